//===- DramRandomTest.cpp - fast engine vs replay -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The fast engine must produce exactly what the replay produces — every
// count, the cycles and the energies — on seeded random cases: small
// geometries (so that rows fill and conflict), the named mappings, random
// field orders and random bit scrambles, row-major layouts in random dim
// orders and tile-blocked layouts, random bases, random convolutions
// (stride, dilation, padding, depthwise, grouped), matmuls and batch
// matmuls with random tiles and loop orders, under both page policies. The
// traffic must also match the access counts of the cost model.
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Dram/DramModel.h"

#include "llvm/ADT/StringExtras.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <optional>

using namespace romac;
using namespace romac::test;

namespace {

/// A random small geometry over the DDR3 timing and currents.
DramParams randomParams(Rng &rng, const DramParams &ddr3) {
  DramParams p = ddr3;
  DramGeometry &g = p.geometry;
  auto pow2 = [&](int lo, int hi) { return uint64_t(1) << rng.range(lo, hi); };
  g.channels = pow2(0, 1);
  g.ranks = pow2(0, 1);
  g.bankGroups = pow2(0, 2);
  g.banksPerGroup = pow2(0, 2);
  g.columns = pow2(3, 7);
  g.burstLength = std::min<uint64_t>(pow2(1, 3), g.columns);
  g.busBytes = pow2(0, 3);
  g.rows = pow2(10, 14);
  // Room for the layers' tensors (up to about 100 KiB).
  while (g.getTotalBits() < 17)
    g.rows *= 2;
  // Vary the timing a little so that cycles depend on the details.
  p.tCCD_L = p.tCCD_S + rng.range(0, 4);
  p.tRRD_L = p.tRRD_S + rng.range(0, 3);
  p.tWTR_L = p.tWTR_S + rng.range(0, 4);
  p.tREFI = rng.range(300, 2000);
  p.tRFC = rng.range(20, 200);
  p.controllerQueue = rng.range(1, 16);
  return p;
}

AddressMapping randomMapping(Rng &rng, const DramGeometry &g) {
  int kind = rng.range(0, 4);
  if (kind <= 1) {
    llvm::StringRef names[] = {"romanet", "drmap", "row-interleaved"};
    return *AddressMapping::get(g, names[rng.range(0, 2)]);
  }
  if (kind <= 3) {
    std::vector<std::string> fields = {"Ch", "Ra", "Bg", "Ba", "Ro", "Co"};
    for (size_t j = fields.size(); j > 1; --j)
      std::swap(fields[j - 1], fields[rng.range(0, j - 1)]);
    llvm::Expected<AddressMapping> m =
        AddressMapping::get(g, llvm::join(fields, ""));
    EXPECT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
    return std::move(*m);
  }
  // Scrambled bits.
  std::vector<DramField> bits;
  for (DramField f : {DramField::Channel, DramField::Rank, DramField::BankGroup,
                      DramField::Bank, DramField::Row, DramField::Column})
    bits.insert(bits.end(), g.getFieldBits(f), f);
  for (size_t j = bits.size(); j > 1; --j)
    std::swap(bits[j - 1], bits[rng.range(0, j - 1)]);
  llvm::Expected<AddressMapping> m =
      AddressMapping::getFromBits(g, bits, "scrambled");
  EXPECT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  return std::move(*m);
}

std::optional<Workload> randomWorkload(Rng &rng) {
  int kind = rng.range(0, 9);
  if (kind <= 5) {
    Conv2dSpec s;
    s.n = rng.range(1, 2);
    s.c = rng.range(1, 12);
    s.h = rng.range(3, 20);
    s.w = rng.range(3, 20);
    s.r = rng.range(1, 3);
    s.s = rng.range(1, 3);
    s.strideH = rng.range(1, 2);
    s.strideW = rng.range(1, 2);
    s.dilationH = rng.range(1, 2);
    s.padTop = rng.range(0, 1);
    s.padBottom = rng.range(0, 1);
    s.padLeft = rng.range(0, 1);
    s.padRight = rng.range(0, 1);
    s.inputBytes = rng.range(1, 2);
    s.weightBytes = rng.range(1, 2);
    s.outputBytes = rng.range(1, 4);
    if (kind == 4) {
      s.groups = s.c;
      s.k = s.c * rng.range(1, 2);
    } else if (kind == 5) {
      s.c = 2 * rng.range(1, 3);
      s.groups = 2;
      s.k = 2 * rng.range(1, 3);
    } else {
      s.k = rng.range(1, 16);
    }
    llvm::Expected<Workload> w = Workload::conv2d(s);
    if (!w) {
      llvm::consumeError(w.takeError());
      return std::nullopt;
    }
    return std::move(*w);
  }
  llvm::Expected<Workload> w =
      kind <= 7 ? Workload::matmul(rng.range(1, 48), rng.range(1, 48),
                                   rng.range(1, 48), rng.range(1, 4))
                : Workload::batchMatmul(rng.range(1, 3), rng.range(1, 12),
                                        rng.range(1, 12), rng.range(1, 12),
                                        rng.range(1, 2));
  if (!w) {
    llvm::consumeError(w.takeError());
    return std::nullopt;
  }
  return std::move(*w);
}

/// Random tiles (at most `maxPositions` tile positions) and a random order.
Mapping randomTiling(Rng &rng, const Workload &w, int64_t maxPositions) {
  Mapping m = Mapping::untiled(w);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int64_t positions = 1;
    for (size_t d = 0; d < w.dims.size(); ++d) {
      int64_t bound = w.dims[d].bound;
      m.tileSizes[d] = rng.coin() ? bound : rng.range(1, bound);
      positions *= (bound + m.tileSizes[d] - 1) / m.tileSizes[d];
    }
    if (positions <= maxPositions)
      break;
    m = Mapping::untiled(w);
  }
  for (size_t j = m.order.size(); j > 1; --j)
    std::swap(m.order[j - 1], m.order[rng.range(0, j - 1)]);
  return m;
}

/// Random layouts, packed with random gaps from a random base.
LayerLayout randomLayout(Rng &rng, const Workload &w, const Mapping &m) {
  LayerLayout layout;
  uint64_t next = rng.coin() ? 0 : rng.range(0, 5000);
  for (unsigned o = 0; o < w.operands.size(); ++o) {
    const Operand &op = w.operands[o];
    size_t rank = op.extent.size();
    std::vector<unsigned> order(rank);
    for (size_t d = 0; d < rank; ++d)
      order[d] = d;
    if (rng.coin())
      for (size_t j = rank; j > 1; --j)
        std::swap(order[j - 1], order[rng.range(0, j - 1)]);
    llvm::Expected<TensorLayout> l = [&]() {
      switch (rng.range(0, 2)) {
      case 0:
        return TensorLayout::getRowMajor(op.extent, op.bytesPerElement, next,
                                         order);
      case 1:
        return TensorLayout::getBlocked(op.extent, op.bytesPerElement, next,
                                        getTileBlockSizes(w, m, o), order);
      default: {
        std::vector<int64_t> blocks;
        for (int64_t e : op.extent)
          blocks.push_back(rng.range(1, e));
        return TensorLayout::getBlocked(op.extent, op.bytesPerElement, next,
                                        blocks, order);
      }
      }
    }();
    EXPECT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
    next += l->getSizeBytes() + (rng.coin() ? 0 : rng.range(0, 300));
    layout.operands.push_back(std::move(*l));
  }
  return layout;
}

struct Coverage {
  int cases = 0, withConflicts = 0, withHits = 0, policiesDiffer = 0,
      withWrites = 0, withReadBacks = 0, truncated = 0, withRefreshCloses = 0,
      queueBound = 0;
  uint64_t bursts = 0, maxBursts = 0;
};

/// Evaluates one case with both engines under both policies.
void checkCase(const DramModel &model, const Workload &w, const Mapping &m,
               const LayerLayout &layout, const std::string &what,
               Coverage &coverage) {
  AccessCounts counts = computeAccessCounts(w, m);
  DramStats open[2];
  for (PagePolicy policy : {PagePolicy::Open, PagePolicy::Closed}) {
    DramModel withPolicy = model.withPolicy(policy);
    DramStats replay = withPolicy.evaluate(w, m, layout, DramEngine::Replay);
    DramStats fast = withPolicy.evaluate(w, m, layout, DramEngine::Fast);
    ASSERT_EQ(replay, fast)
        << what << " policy " << stringifyPagePolicy(policy).str()
        << "\nreplay: " << replay.str() << "\nfast:   " << fast.str();
    // Tile summaries kept from an evaluation with other layouts (the last
    // operand row-major) change nothing; nor does a second use.
    DramTileCache cache;
    LayerLayout other = layout;
    const TensorLayout &last = layout.operands.back();
    other.operands.back() = llvm::cantFail(TensorLayout::getRowMajor(
        last.getExtent(), last.getBytesPerElement(), last.getBase()));
    withPolicy.evaluate(w, m, other, DramEngine::Fast, &cache);
    for (int use = 0; use < 2; ++use)
      ASSERT_EQ(replay,
                withPolicy.evaluate(w, m, layout, DramEngine::Fast, &cache))
          << what << " with a tile cache, use " << use;
    // An activation limit stops the walk only past it, and changes nothing
    // when the evaluation ends within it.
    for (uint64_t limit : {replay.activates / 2, replay.activates}) {
      DramStats cut =
          withPolicy.evaluate(w, m, layout, DramEngine::Fast, nullptr, limit);
      if (cut.truncated) {
        ASSERT_GT(replay.activates, limit) << what;
        ASSERT_GT(cut.activates, limit) << what;
        ++coverage.truncated;
      } else {
        ASSERT_EQ(replay, cut) << what << " limit " << limit;
      }
    }
    ASSERT_EQ(replay.activates, replay.precharges) << what;
    ASSERT_EQ(replay.bursts,
              replay.rowHits + replay.rowMisses + replay.rowConflicts);
    for (unsigned o = 0; o < w.operands.size(); ++o) {
      const OperandAccessCounts &c = counts.operands[o];
      const DramOperandStats &s = replay.operands[o];
      ASSERT_EQ(s.usefulReadBytes, static_cast<uint64_t>(c.readBytes)) << what;
      ASSERT_EQ(s.usefulWriteBytes, static_cast<uint64_t>(c.writeBytes))
          << what;
      ASSERT_EQ(s.readTransfers, static_cast<uint64_t>(c.fetches)) << what;
      ASSERT_EQ(s.writeTransfers, static_cast<uint64_t>(c.writebacks)) << what;
      ASSERT_GE(s.readBytes, s.usefulReadBytes) << what;
      ASSERT_GE(s.writeBytes, s.usefulWriteBytes) << what;
      if (c.fetches > 0 && w.operands[o].role == OperandRole::ReadWrite)
        ++coverage.withReadBacks;
    }
    open[policy == PagePolicy::Open ? 0 : 1] = replay;
  }
  ++coverage.cases;
  coverage.bursts += open[0].bursts;
  coverage.maxBursts = std::max(coverage.maxBursts, open[0].bursts);
  coverage.withConflicts += open[0].rowConflicts > 0;
  coverage.withHits += open[0].rowHits > 0;
  coverage.withRefreshCloses += open[0].refreshCloses > 0;
  // Cases whose cycles the channel runs' excess sets (an unbounded queue
  // gives fewer).
  DramParams unbounded = model.getParams();
  unbounded.controllerQueue = uint64_t(1) << 40;
  coverage.queueBound += DramModel(unbounded, model.getMapping())
                             .evaluate(w, m, layout, DramEngine::Replay)
                             .cycles < open[0].cycles;
  coverage.policiesDiffer += !open[0].countsEqual(open[1]);
  coverage.withWrites += open[0].writes > 0;
}

TEST(DramRandomTest, FastEqualsReplayOnSmallGeometries) {
  DramParams ddr3 = getTargetParams("romanet-ddr3");
  Rng rng(0x5eed);
  Coverage coverage;
  for (int iter = 0; iter < 1500; ++iter) {
    std::optional<Workload> w = randomWorkload(rng);
    if (!w)
      continue;
    DramParams params = randomParams(rng, ddr3);
    AddressMapping mapping = randomMapping(rng, params.geometry);
    DramModel model(params, mapping);
    Mapping tiling = randomTiling(rng, *w, 1000);
    LayerLayout layout = randomLayout(rng, *w, tiling);
    uint64_t end = 0;
    for (const TensorLayout &l : layout.operands)
      end = std::max(end, l.getBase() + l.getSizeBytes());
    ASSERT_LE(end, uint64_t(1) << params.geometry.getTotalBits());
    std::string what = "case " + std::to_string(iter) + ": " + w->str() +
                       tiling.str(*w) + "\n" + layout.str(*w) + "mapping " +
                       mapping.str();
    checkCase(model, *w, tiling, layout, what, coverage);
    if (HasFatalFailure())
      return;
  }
  // The cases exercise what the engines must get right.
  std::printf("%d cases, %llu bursts (largest %llu), %d with conflicts, "
              "%d where the policies differ, %d with refresh closes, %d "
              "bound by the controller queue\n",
              coverage.cases, (unsigned long long)coverage.bursts,
              (unsigned long long)coverage.maxBursts, coverage.withConflicts,
              coverage.policiesDiffer, coverage.withRefreshCloses,
              coverage.queueBound);
  EXPECT_GE(coverage.cases, 1400);
  EXPECT_GE(coverage.withConflicts, coverage.cases / 4);
  EXPECT_GE(coverage.withHits, coverage.cases / 2);
  EXPECT_GE(coverage.policiesDiffer, coverage.cases / 4);
  EXPECT_GE(coverage.withRefreshCloses, coverage.cases / 4);
  EXPECT_GE(coverage.queueBound, coverage.cases / 12);
  EXPECT_GE(coverage.withWrites, coverage.cases / 2);
  EXPECT_GE(coverage.withReadBacks, 50);
  EXPECT_GE(coverage.truncated, coverage.cases / 4);
}

TEST(DramRandomTest, FastEqualsReplayOnShippedTargets) {
  // Larger layers on the real geometries: every shipped target, every named
  // mapping plus Ramulator's default, row-major and blocked layouts.
  Rng rng(99);
  Coverage coverage;
  for (const std::string &target : getShippedTargets()) {
    DramParams params = getTargetParams(target);
    for (llvm::StringRef name :
         {"romanet", "drmap", "row-interleaved", "RoBaRaCoCh"}) {
      llvm::Expected<AddressMapping> mapping =
          AddressMapping::get(params.geometry, name);
      ASSERT_TRUE(static_cast<bool>(mapping));
      DramModel model(params, *mapping);
      for (int iter = 0; iter < 3; ++iter) {
        Conv2dSpec s;
        s.c = 8 * rng.range(1, 4);
        s.k = 8 * rng.range(1, 4);
        s.h = s.w = 8 * rng.range(2, 4);
        s.r = s.s = 3;
        s.padTop = s.padBottom = s.padLeft = s.padRight = 1;
        s.strideH = s.strideW = rng.range(1, 2);
        llvm::Expected<Workload> w = Workload::conv2d(s);
        ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
        Mapping tiling = randomTiling(rng, *w, 400);
        LayerLayoutOptions options;
        options.kind = rng.coin() ? LayoutKind::RowMajor : LayoutKind::Blocked;
        options.base = rng.range(0, 1 << 20);
        options.alignment = rng.coin() ? 0 : 4096;
        llvm::Expected<LayerLayout> layout =
            makeLayerLayout(*w, tiling, options);
        ASSERT_TRUE(static_cast<bool>(layout));
        std::string what = target + " " + name.str() + " " + tiling.str(*w) +
                           "\n" + layout->str(*w);
        checkCase(model, *w, tiling, *layout, what, coverage);
        if (HasFatalFailure())
          return;
      }
    }
  }
  EXPECT_EQ(coverage.cases, 4 * 4 * 3);
}

} // namespace
