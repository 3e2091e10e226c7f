//===- VerifyTest.cpp - Z3 proofs of tilings --------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The verifier proves what the search produces, rejects broken tilings
// (gaps, overlaps, tiles past the bound, tiles larger than a buffer) with a
// counterexample, and its footprint encoding agrees with the closed-form
// footprints on random layers at the exact capacity boundary.
//
//===----------------------------------------------------------------------===//

#include "romac/Verify/Verify.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Search/Search.h"

#include <gtest/gtest.h>

using namespace romac;

namespace {

CostTarget target(int64_t in, int64_t wt, int64_t out) {
  CostTarget t;
  t.name = "t";
  t.rows = 4;
  t.cols = 4;
  const char *names[3] = {"iBuff", "wBuff", "oBuff"};
  int64_t caps[3] = {in, wt, out};
  for (unsigned m = 0; m < 3; ++m) {
    CostMemory &mem = t.memories.emplace_back();
    mem.name = names[m];
    mem.capacityBytes = caps[m];
    mem.classMask = 1u << m;
    t.memoryOf[m] = m;
  }
  return t;
}

Workload paddedConv() {
  Conv2dSpec s;
  s.name = "conv";
  s.c = 3;
  s.k = 4;
  s.h = s.w = 9;
  s.r = s.s = 3;
  s.padTop = s.padLeft = s.padBottom = s.padRight = 1;
  return llvm::cantFail(Workload::conv2d(s));
}

TEST(VerifyTest, ProvesSearchResults) {
  Workload w = paddedConv();
  CostTarget t = target(120, 40, 60);
  for (bool dbuf : {false, true}) {
    SearchOptions o;
    o.cost.doubleBuffering = dbuf;
    LayerResult r = llvm::cantFail(searchLayer(w, t, o));
    VerifyOptions v;
    v.doubleBuffering = dbuf;
    VerifyStats stats;
    llvm::Error err = verifyMapping(w, r.mapping, t, v, &stats);
    EXPECT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
    // Three coverage proofs per dim and one per buffer.
    EXPECT_EQ(stats.proofs, 3 * 7 + 3u);
  }
}

TEST(VerifyTest, RejectsGapsOverlapsAndOutsideTiles) {
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 10));
  CostTarget t = target(1000, 1000, 1000);
  Mapping m = llvm::cantFail(
      Mapping::get(w, {{"M", 2}, {"N", 3}, {"K", 4}}, {"M", "N", "K"}));
  llvm::SmallVector<TileLoop, 8> loops = getTileLoops(w, m);
  EXPECT_EQ(loops[2], (TileLoop{4, 4, 3}));
  EXPECT_FALSE(static_cast<bool>(verifyTiling(w, loops, t)));

  // Too few tiles: iterations 8 and 9 of K are in no tile.
  auto bad = loops;
  bad[2].count = 2;
  std::string msg = llvm::toString(verifyTiling(w, bad, t));
  EXPECT_EQ(msg.rfind("layer 'matmul': tile loop of dim 'K' leaves a gap: "
                      "iteration K=",
                      0),
            0u)
      << msg;
  EXPECT_NE(msg.find("is in no tile (size 4, step 4, 2 tiles, bound 10)"),
            std::string::npos)
      << msg;

  // Step smaller than the tile: neighbours overlap.
  bad = loops;
  bad[1].step = 2;
  bad[1].count = 3;
  msg = llvm::toString(verifyTiling(w, bad, t));
  EXPECT_EQ(
      msg.rfind("layer 'matmul': tile loop of dim 'N' overlaps: tiles ", 0), 0u)
      << msg;

  // Step larger than the tile: a gap between tiles.
  bad = loops;
  bad[0].step = 3;
  msg = llvm::toString(verifyTiling(w, bad, t));
  EXPECT_EQ(msg, "layer 'matmul': tile loop of dim 'M' leaves a gap: "
                 "iteration M=2 is in no tile (size 2, step 3, 2 tiles, "
                 "bound 4)");

  // A tile past the bound.
  bad = loops;
  bad[0].count = 3;
  msg = llvm::toString(verifyTiling(w, bad, t));
  EXPECT_EQ(msg, "layer 'matmul': tile loop of dim 'M' has tiles outside the "
                 "dim: tile 2 starts at 4, past the bound 4 (3 tiles)");

  bad = loops;
  bad[0].size = 0;
  msg = llvm::toString(verifyTiling(w, bad, t));
  EXPECT_EQ(msg, "layer 'matmul': tile loop of dim 'M' has size 0, step 2, "
                 "count 2; all must be positive");
}

TEST(VerifyTest, RejectsTilesLargerThanTheBuffer) {
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  Mapping m = Mapping::untiled(w);
  std::string msg = llvm::toString(verifyMapping(w, m, target(1000, 40, 1000)));
  EXPECT_EQ(msg, "layer 'matmul': tiles do not fit buffer 'wBuff' (40 bytes): "
                 "at tile (M=0, N=0, K=0) operand 'weight' needs 48 bytes");
  // Shared buffer: the sum of the operands.
  CostTarget shared = target(100, 1, 1);
  shared.memories.resize(1);
  shared.memories[0].name = "GLB";
  shared.memories[0].classMask = 7;
  shared.memoryOf = {0, 0, 0};
  msg = llvm::toString(verifyMapping(w, m, shared));
  EXPECT_EQ(msg, "layer 'matmul': tiles do not fit buffer 'GLB' (100 bytes): "
                 "at tile (M=0, N=0, K=0) operand 'input' needs 32, operand "
                 "'weight' needs 48, operand 'output' needs 24 bytes (104 in "
                 "all)");
  // Double buffering doubles every tile.
  VerifyOptions dbuf;
  dbuf.doubleBuffering = true;
  Mapping half = llvm::cantFail(Mapping::get(w, {{"N", 3}}, {"M", "N", "K"}));
  EXPECT_FALSE(
      static_cast<bool>(verifyMapping(w, half, target(1000, 48, 1000), dbuf)));
  EXPECT_TRUE(
      static_cast<bool>(verifyMapping(w, half, target(1000, 47, 1000), dbuf)));
}

TEST(VerifyTest, ClippedFootprintAtTheBoundary) {
  // 9x9 input, padding 1, tiles of 4 output rows/cols: interior tiles read
  // 6 rows, border tiles 5, the last (one row) 2.
  Workload w = paddedConv();
  Mapping m = llvm::cantFail(Mapping::get(w, {{"P", 4}, {"Q", 4}, {"C", 1}},
                                          {"N", "K", "C", "P", "Q", "R", "S"}));
  CostModel model(target(1 << 20, 1 << 20, 1 << 20), w);
  int64_t need = model.getBufferBytes(m.tileSizes)[0];
  EXPECT_EQ(need, 6 * 6);
  EXPECT_FALSE(
      static_cast<bool>(verifyMapping(w, m, target(need, 1 << 20, 1 << 20))));
  std::string msg =
      llvm::toString(verifyMapping(w, m, target(need - 1, 1 << 20, 1 << 20)));
  // The counterexample is an interior tile (P and Q tile 1).
  EXPECT_NE(msg.find("P=1, Q=1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("operand 'input' needs 36 bytes"), std::string::npos)
      << msg;
}

/// The Z3 encoding and the closed-form footprints agree: on random layers
/// and tiles, a buffer of exactly the closed-form need is proved to fit and
/// one byte less is refuted.
TEST(VerifyTest, EncodingAgreesWithClosedForm) {
  uint64_t state = 99;
  auto next = [&](int64_t lo, int64_t hi) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + static_cast<int64_t>((state >> 33) % (hi - lo + 1));
  };
  int checked = 0;
  for (int i = 0; i < 14; ++i) {
    Conv2dSpec s;
    s.c = next(1, 3);
    s.k = next(1, 3);
    s.h = next(2, 9);
    s.w = next(2, 7);
    s.r = next(1, 3);
    s.s = next(1, 3);
    s.strideH = next(1, 2);
    s.dilationW = next(1, 2);
    s.padTop = next(0, 2);
    s.padBottom = next(0, 1);
    s.padLeft = next(0, 1);
    s.inputBytes = next(1, 2);
    llvm::Expected<Workload> w = Workload::conv2d(s);
    if (!w) {
      llvm::consumeError(w.takeError());
      continue;
    }
    Mapping m = Mapping::untiled(*w);
    for (unsigned d = 0; d < w->dims.size(); ++d)
      m.tileSizes[d] = next(1, w->dims[d].bound);
    CostModel model(target(1 << 20, 1 << 20, 1 << 20), *w);
    llvm::SmallVector<int64_t, 3> need = model.getBufferBytes(m.tileSizes);
    EXPECT_FALSE(static_cast<bool>(
        verifyMapping(*w, m, target(need[0], need[1], need[2]))))
        << w->str() << m.str(*w);
    if (need[0] > 1) {
      llvm::Error err =
          verifyMapping(*w, m, target(need[0] - 1, need[1], need[2]));
      EXPECT_TRUE(static_cast<bool>(err)) << w->str() << m.str(*w);
      llvm::consumeError(std::move(err));
    }
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

} // namespace
