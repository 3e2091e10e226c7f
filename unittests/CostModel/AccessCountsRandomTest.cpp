//===- AccessCountsRandomTest.cpp - closed form vs brute force --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compares the closed-form access counts with the brute-force loop-nest
// simulator on seeded random small layers (convolutions with stride,
// dilation, padding and edge tiles, depthwise and grouped convolutions,
// matmuls, batch matmuls, and random affine loop nests) under every loop
// order. The counts must be equal, with and without the named refinements.
//
//===----------------------------------------------------------------------===//

#include "BruteForce.h"

#include "../Common/RandomWorkloads.h"

#include "romac/CostModel/AccessCounts.h"

#include "llvm/ADT/STLExtras.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

using namespace romac;
using namespace romac::test;

namespace {

/// A small deterministic generator (the same numbers on every platform).

/// Random tile sizes, biased to sizes that do not divide the bound, with at
/// most `maxTiles` tiles in total (to keep the brute force cheap).
std::vector<int64_t> randomTiles(const Workload &w, Rng &rng,
                                 int64_t maxTiles) {
  std::vector<int64_t> tiles(w.dims.size());
  for (int attempt = 0;; ++attempt) {
    int64_t total = 1;
    for (size_t d = 0; d < w.dims.size(); ++d) {
      int64_t bound = w.dims[d].bound;
      tiles[d] = attempt < 50 ? rng.range(1, bound) : bound;
      if (attempt >= 50 && d % 2 == 0)
        tiles[d] = (bound + 1) / 2;
      total *= (bound + tiles[d] - 1) / tiles[d];
    }
    if (total <= maxTiles)
      return tiles;
  }
}

std::optional<Workload> randomConv(Rng &rng, int kind) {
  Conv2dSpec s;
  s.n = rng.range(1, 2);
  s.c = rng.range(1, 4);
  s.h = rng.range(1, 9);
  s.w = rng.range(1, 9);
  s.r = rng.range(1, 3);
  s.s = rng.range(1, 3);
  s.strideH = rng.range(1, 3);
  s.strideW = rng.range(1, 3);
  s.dilationH = rng.range(1, 2);
  s.dilationW = rng.range(1, 2);
  s.padTop = rng.range(0, 2);
  s.padLeft = rng.range(0, 2);
  s.padBottom = rng.range(0, 2);
  s.padRight = rng.range(0, 2);
  s.inputBytes = rng.range(1, 2);
  s.weightBytes = rng.range(1, 2);
  s.outputBytes = rng.range(1, 4);
  if (kind == 0) { // conv2d
    s.k = rng.range(1, 4);
  } else if (kind == 1) { // depthwise, maybe with a channel multiplier
    s.k = s.c * rng.range(1, 2);
    s.groups = s.c;
  } else { // grouped
    s.groups = rng.range(2, 3);
    s.c = s.groups * rng.range(1, 2);
    s.k = s.groups * rng.range(1, 2);
    s.n = 1;
  }
  llvm::Expected<Workload> w = Workload::conv2d(s);
  if (!w) {
    llvm::consumeError(w.takeError());
    return std::nullopt;
  }
  return std::move(*w);
}

/// A random loop nest with random affine projections (negative
/// coefficients, constants, several loop dims per tensor dim and loop dims
/// shared between tensor dims).
Workload randomNest(Rng &rng) {
  return test::randomAffine(rng, {/*maxDims=*/5, /*maxOperands=*/4,
                                  /*maxBytes=*/4, /*maxCoeff=*/3,
                                  /*maxConstant=*/4});
}

/// Compares the closed form with the simulator; returns "" when equal.
std::string compare(const Workload &w, const AccessCounts &closed,
                    const AccessCounts &refined,
                    const std::vector<SimulatedOperand> &sim) {
  std::ostringstream os;
  for (size_t o = 0; o < w.operands.size(); ++o) {
    const OperandAccessCounts &c = closed.operands[o];
    const OperandAccessCounts &r = refined.operands[o];
    const SimulatedOperand &s = sim[o];
    int64_t bytes = w.operands[o].bytesPerElement;
    bool rw = w.operands[o].role == OperandRole::ReadWrite;
    auto check = [&](const char *what, int64_t model, int64_t truth) {
      if (model != truth)
        os << w.operands[o].name << "." << what << ": closed form " << model
           << ", brute force " << truth << "\n";
    };
    check("visits", c.visits, s.visits);
    check("distinctTiles", c.distinctTiles, s.distinctTiles);
    check("fetches", c.fetches, s.fetches);
    check("writebacks", c.writebacks, s.writebacks);
    check("readElements", c.readElements, s.readElements);
    check("writeElements", c.writeElements, s.writeElements);
    check("readBytes", c.readBytes, s.readElements * bytes);
    check("writeBytes", c.writeBytes, s.writeElements * bytes);
    check("tileElements", c.tileElements, s.maxTileElements);
    check("bufferBytes", c.bufferBytes, s.maxTileElements * bytes);
    // Refined: halo reuse changes only what read operands read; double
    // buffering only the buffer size.
    check("halo.readElements", r.readElements,
          rw ? s.readElements : s.haloReadElements);
    check("halo.fetches", r.fetches, s.fetches);
    check("halo.writeElements", r.writeElements, s.writeElements);
    check("double.bufferBytes", r.bufferBytes, 2 * s.maxTileElements * bytes);
  }
  if (closed.overflow || refined.overflow)
    os << "unexpected overflow\n";
  return os.str();
}

struct Stats {
  int layers = 0;
  int64_t orders = 0;
  int failures = 0;
};

/// Runs the comparison for one layer under one tiling and every loop order.
void checkAllOrders(const Workload &w, const std::vector<int64_t> &tiles,
                    Stats &stats) {
  ASSERT_FALSE(bool(w.verify())) << w.str();
  ++stats.layers;
  TileFootprints footprints(w, tiles);
  AccessCountModel model(w);
  AccessCountOptions refinedOptions;
  refinedOptions.haloReuse = true;
  refinedOptions.doubleBuffering = true;

  Mapping mapping;
  mapping.tileSizes.assign(tiles.begin(), tiles.end());
  std::vector<unsigned> order(w.dims.size());
  std::iota(order.begin(), order.end(), 0u);
  do {
    mapping.order.assign(order.begin(), order.end());
    ++stats.orders;
    std::vector<SimulatedOperand> sim =
        simulateLoopNest(w, mapping, footprints);
    AccessCounts closed = model.compute(mapping);
    AccessCounts refined = model.compute(mapping, refinedOptions);
    std::string diff = compare(w, closed, refined, sim);
    for (size_t o = 0; o < w.operands.size() && diff.empty(); ++o)
      if (footprintElements(w, tiles, o) != sim[o].maxTileElements)
        diff = "footprintElements of " + w.operands[o].name + "\n";
    if (!diff.empty()) {
      if (++stats.failures <= 5)
        ADD_FAILURE() << w.str() << mapping.str(w) << "\n" << diff;
      return;
    }
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(AccessCountsRandomTest, ClosedFormEqualsBruteForce) {
  Rng rng(0x726f6d6163ULL); // "romac"
  Stats stats;
  std::map<std::string, int> perFamily;

  auto run = [&](const std::string &family, int count, int64_t maxTiles,
                 const std::function<std::optional<Workload>()> &make) {
    int made = 0;
    while (made < count) {
      std::optional<Workload> w = make();
      if (!w)
        continue;
      checkAllOrders(*w, randomTiles(*w, rng, maxTiles), stats);
      ++made;
      if (stats.failures)
        return;
    }
    perFamily[family] = made;
  };

  run("matmul", 300, 64, [&]() -> std::optional<Workload> {
    return llvm::cantFail(Workload::matmul(rng.range(1, 9), rng.range(1, 9),
                                           rng.range(1, 9), rng.range(1, 4)));
  });
  run("batch_matmul", 200, 48, [&]() -> std::optional<Workload> {
    return llvm::cantFail(
        Workload::batchMatmul(rng.range(1, 3), rng.range(1, 7), rng.range(1, 7),
                              rng.range(1, 7), rng.range(1, 2)));
  });
  run("conv2d", 150, 24, [&] { return randomConv(rng, 0); });
  run("depthwise_conv2d", 150, 24, [&] { return randomConv(rng, 1); });
  run("grouped_conv2d", 12, 12, [&] { return randomConv(rng, 2); });
  run("affine", 200, 48,
      [&]() -> std::optional<Workload> { return randomNest(rng); });

  EXPECT_EQ(stats.failures, 0);
  EXPECT_GE(stats.layers, 1000);
  std::ostringstream summary;
  for (auto &[family, n] : perFamily)
    summary << " " << family << "=" << n;
  RecordProperty("layers", stats.layers);
  RecordProperty("orders", std::to_string(stats.orders));
  std::printf("compared %d layers, %lld (layer, order) pairs:%s\n",
              stats.layers, static_cast<long long>(stats.orders),
              summary.str().c_str());
}

/// The harness must be able to tell a wrong model from the right one: three
/// plausible mistakes each disagree with the simulator somewhere.
TEST(AccessCountsRandomTest, HarnessCatchesWrongModels) {
  Rng rng(42);
  // Mutant 1: visits = product of the tile counts up to the innermost loop
  // the operand depends on, even when that loop has a single tile.
  // Mutant 2: unclipped footprints (Ht = (Pt-1)*stride + (R-1)*dil + 1 at
  // the borders too).
  // Mutant 3: read-backs of every visit, first visits included.
  int64_t caught1 = 0, caught2 = 0, caught3 = 0;
  for (int layer = 0; layer < 100; ++layer) {
    std::optional<Workload> w = randomConv(rng, 0);
    if (!w)
      continue;
    std::vector<int64_t> tiles = randomTiles(*w, rng, 24);
    TileFootprints footprints(*w, tiles);
    Mapping mapping;
    mapping.tileSizes.assign(tiles.begin(), tiles.end());
    std::vector<unsigned> order(w->dims.size());
    std::iota(order.begin(), order.end(), 0u);
    for (int i = 0; i < 20; ++i) {
      std::next_permutation(order.begin(), order.end());
      mapping.order.assign(order.begin(), order.end());
      std::vector<SimulatedOperand> sim =
          simulateLoopNest(*w, mapping, footprints);
      AccessCounts closed = computeAccessCounts(*w, mapping);
      for (size_t o = 0; o < w->operands.size(); ++o) {
        const Operand &op = w->operands[o];
        int64_t visits = 1, innermost = -1;
        for (size_t p = 0; p < order.size(); ++p)
          if (op.isIndexedBy(order[p]))
            innermost = p;
        for (int64_t p = 0; p <= innermost; ++p)
          visits *= mapping.getNumTiles(*w, order[p]);
        caught1 += visits != sim[o].visits;

        int64_t unclipped = 1;
        for (const IndexExpr &expr : op.projection) {
          int64_t span = 1;
          for (const AffineTerm &t : expr.terms)
            span += std::abs(t.coeff) * (tiles[t.dim] - 1);
          unclipped *= span;
        }
        caught2 += unclipped != sim[o].maxTileElements;

        if (op.role == OperandRole::ReadWrite)
          caught3 += closed.operands[o].writeElements != sim[o].readElements;
      }
    }
  }
  EXPECT_GT(caught1, 0);
  EXPECT_GT(caught2, 0);
  EXPECT_GT(caught3, 0);
}

} // namespace
