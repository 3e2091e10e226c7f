//===- SearchNaiveTest.cpp - the search against the whole space -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// On seeded random small layers (convolutions with stride, dilation and
// asymmetric padding, depthwise and grouped convolutions, matmuls, batch
// matmuls, random affine nests with negative coefficients and clipping) and
// random targets (separate or shared buffers small enough to bind, odd
// array shapes), the search must reach exactly the optimum of a naive
// enumeration of every tile vector, every loop order and every spatial
// mapping, for every objective and every reuse policy. A deliberately
// unsound search must be caught. ROMAC_SEARCH_NAIVE_SEED, _COUNT and _SPACE
// (the largest whole space enumerated per layer) run other sweeps.
//
//===----------------------------------------------------------------------===//

#include "NaiveSearch.h"

#include "../Common/RandomWorkloads.h"

#include "romac/Analysis/Workload.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>

using namespace romac;
using namespace romac::test;

namespace {

/// A small deterministic generator (splitmix64).

std::optional<Workload> randomConv(Rng &rng, int kind) {
  Conv2dSpec s;
  s.n = 1;
  s.c = rng.range(1, 3);
  s.h = rng.range(1, 6);
  s.w = rng.range(1, 4);
  s.r = rng.range(1, 3);
  s.s = rng.range(1, 2);
  s.strideH = rng.range(1, 2);
  s.strideW = rng.range(1, 2);
  s.dilationH = rng.range(1, 2);
  s.dilationW = 1;
  s.padTop = rng.range(0, 2);
  s.padLeft = rng.range(0, 1);
  s.padBottom = rng.range(0, 2);
  s.padRight = rng.range(0, 1);
  s.inputBytes = rng.range(1, 2);
  s.weightBytes = rng.range(1, 2);
  s.outputBytes = rng.range(1, 4);
  if (kind == 0) {
    s.k = rng.range(1, 4);
  } else if (kind == 1) {
    s.k = s.c * rng.range(1, 2);
    s.groups = s.c;
  } else {
    s.groups = 2;
    s.c = 2 * rng.range(1, 2);
    s.k = 2 * rng.range(1, 2);
  }
  llvm::Expected<Workload> w = Workload::conv2d(s);
  if (!w) {
    llvm::consumeError(w.takeError());
    return std::nullopt;
  }
  return std::move(*w);
}

std::optional<Workload> randomLayer(Rng &rng, int kind) {
  switch (kind) {
  case 0:
  case 1:
  case 2:
    return randomConv(rng, kind);
  case 3:
    return llvm::cantFail(Workload::matmul(rng.range(1, 7), rng.range(1, 7),
                                           rng.range(1, 7), rng.range(1, 2)));
  case 4:
    return llvm::cantFail(Workload::batchMatmul(
        rng.range(1, 3), rng.range(1, 4), rng.range(1, 4), rng.range(1, 4)));
  case 5: {
    // Long dims against small arrays: tiles that are not the smallest of
    // their tile count use the array better.
    Conv2dSpec s;
    s.c = rng.range(1, 2);
    s.k = rng.range(6, 14);
    s.h = rng.range(6, 12);
    s.w = 1;
    s.r = rng.range(1, 3);
    s.padTop = rng.range(0, 1);
    s.padBottom = rng.range(0, 1);
    llvm::Expected<Workload> w = Workload::conv2d(s);
    if (!w) {
      llvm::consumeError(w.takeError());
      return std::nullopt;
    }
    return std::move(*w);
  }
  case 6:
    return llvm::cantFail(
        Workload::matmul(rng.range(7, 16), rng.range(1, 3), rng.range(5, 12)));
  default:
    return randomAffine(rng);
  }
}

/// A target whose buffers lie between the smallest and the untiled
/// footprints of `w`, so that capacity binds.
CostTarget randomTarget(Rng &rng, const Workload &w) {
  CostTarget t;
  t.name = "random";
  t.rows = rng.range(1, 4);
  t.cols = rng.range(1, 4);
  t.frequencyMHz = 1000;
  t.macEnergyPJ = 0.25 * rng.range(1, 4);
  t.dramFlatPJPerBit = 0.5 * rng.range(1, 20);
  t.dramPeakGBps = 0.5 * rng.range(1, 16);
  bool shared = rng.coin();
  int numMems = shared ? 1 : 3;
  for (int m = 0; m < numMems; ++m) {
    CostMemory &mem = t.memories.emplace_back();
    mem.name = shared ? "GLB" : std::string("buf") + std::to_string(m);
    mem.classMask = shared ? 7 : 1 << m;
    mem.capacityBytes = 1 << 30;
    mem.readPJPerByte = 0.125 * rng.range(1, 16);
    mem.writePJPerByte = 0.125 * rng.range(1, 16);
    mem.bandwidthBytesPerCycle = 16;
  }
  for (unsigned c = 0; c < kNumOperandClasses; ++c)
    t.memoryOf[c] = shared ? 0 : c;
  // Smallest and untiled needs per buffer.
  CostModel model(t, w);
  llvm::SmallVector<int64_t, 8> ones(w.dims.size(), 1), full;
  for (const LoopDim &d : w.dims)
    full.push_back(d.bound);
  llvm::SmallVector<int64_t, 3> lo = model.getBufferBytes(ones);
  llvm::SmallVector<int64_t, 3> hi = model.getBufferBytes(full);
  for (int m = 0; m < numMems; ++m)
    t.memories[m].capacityBytes =
        std::max<int64_t>(1, rng.range(lo[m], std::max(lo[m], hi[m] - 1)));
  return t;
}

std::string describe(const Workload &w, const CostTarget &t) {
  std::ostringstream os;
  os << w.str() << "target: " << t.rows << "x" << t.cols << " buffers";
  for (const CostMemory &m : t.memories)
    os << " " << m.name << "=" << m.capacityBytes << "B(mask "
       << int(m.classMask) << ")";
  return os.str();
}

/// Whether the search's optimum equals the naive one. Energy and DRAM
/// bytes are computed from integer counts by one function and must be
/// bit-identical. Cycles average each operand's transfers over its visits
/// (divisions), so two mappings that tie exactly in real arithmetic can
/// differ in the last bits, and the search may keep the other one of a
/// tie: cycle-based objectives must agree to 1e-9 relative.
bool sameOptimum(Objective objective, double search, double naive) {
  if (objective == Objective::Energy || objective == Objective::DramAccesses)
    return search == naive;
  return std::abs(search - naive) <= 1e-9 * std::abs(naive);
}

/// Runs the search for every objective and policy and compares it with the
/// naive result. Returns the number of mismatches (reported when `report`).
int compareWithNaive(const Workload &w, const CostTarget &t,
                     const NaiveResult &naive, SearchDebugMode mode,
                     bool report) {
  int mismatches = 0;
  for (size_t i = 0; i < kObjectives.size(); ++i) {
    for (size_t p = 0; p < kPolicies.size(); ++p) {
      SearchOptions options;
      options.objective = kObjectives[i];
      options.policy = kPolicies[p];
      options.debugMode = mode;
      const NaiveBest &truth = naive.best[i][p];
      llvm::Expected<LayerResult> r = searchLayer(w, t, options);
      std::string where = std::string(stringifyObjective(kObjectives[i])) +
                          "/" + stringifyReusePolicy(kPolicies[p]).str();
      if (!r) {
        std::string msg = llvm::toString(r.takeError());
        if (truth.valid) {
          ++mismatches;
          if (report)
            ADD_FAILURE() << where << ": search failed (" << msg
                          << ") but the naive search found "
                          << truth.mapping.str(w) << "\n"
                          << describe(w, t);
        }
        continue;
      }
      if (!truth.valid) {
        ++mismatches;
        if (report)
          ADD_FAILURE() << where << ": search found a mapping, naive none\n"
                        << describe(w, t);
        continue;
      }
      // With dram-accesses the energy breaks ties: among the mappings of
      // the fewest bytes, the search's has the least energy.
      bool sameEnergy = kObjectives[i] != Objective::DramAccesses ||
                        r->cost.totalEnergyPJ == truth.energy;
      if (!sameOptimum(kObjectives[i], r->objective, truth.objective) ||
          !sameEnergy) {
        ++mismatches;
        if (report)
          ADD_FAILURE() << where << ": search " << r->objective << " ("
                        << r->cost.totalEnergyPJ << " pJ) with "
                        << r->mapping.str(w) << " " << r->spatial.str(w)
                        << ", naive " << truth.objective << " (" << truth.energy
                        << " pJ) with " << truth.mapping.str(w) << " "
                        << truth.spatial.str(w) << "\n"
                        << describe(w, t);
        continue;
      }
      if (!report)
        continue;
      // The reported cost is the reference cost of the reported mapping.
      EXPECT_EQ(r->cost.getObjective(kObjectives[i]), r->objective) << where;
      CostModel model(t, w);
      EXPECT_FALSE(static_cast<bool>(model.checkCapacity(r->mapping.tileSizes)))
          << where;
      EXPECT_TRUE(satisfiesPolicy(w, r->mapping, kPolicies[p])) << where;
    }
  }
  return mismatches;
}

/// An integer from the environment (for larger sweeps), else `fallback`.
int64_t envOr(const char *name, int64_t fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

struct Case {
  Workload workload;
  CostTarget target;
};

/// Seeded random cases whose whole space is small enough to enumerate.
std::vector<Case> randomCases(uint64_t seed, int count, double maxSpace) {
  Rng rng(seed);
  std::vector<Case> cases;
  while (static_cast<int>(cases.size()) < count) {
    int kind = static_cast<int>(rng.range(0, 7));
    std::optional<Workload> w = randomLayer(rng, kind);
    if (!w || naiveSpaceSize(*w) > maxSpace || w->verify())
      continue;
    CostTarget t = randomTarget(rng, *w);
    cases.push_back({std::move(*w), std::move(t)});
  }
  return cases;
}

TEST(SearchNaiveTest, MatchesWholeSpaceEnumeration) {
  std::vector<Case> cases =
      randomCases(envOr("ROMAC_SEARCH_NAIVE_SEED", 2024),
                  static_cast<int>(envOr("ROMAC_SEARCH_NAIVE_COUNT", 1200)),
                  envOr("ROMAC_SEARCH_NAIVE_SPACE", 12000));
  int64_t evaluations = 0;
  for (const Case &c : cases) {
    NaiveResult naive = naiveSearch(c.workload, c.target);
    evaluations += naive.evaluations;
    compareWithNaive(c.workload, c.target, naive, SearchDebugMode::None,
                     /*report=*/true);
  }
  // The naive side really enumerated a large space.
  EXPECT_GT(evaluations, 1000000);
}

TEST(SearchNaiveTest, MatchesWholeSpaceEnumerationWhenTilesArePacked) {
  // A target whose compute units copy every operand tile per step (the
  // host's `pack_bytes_per_cycle`): the cycles and the buffer energy grow
  // with the packed tiles (the product of the tile sizes of the dims that
  // index an operand). This checks every objective's optimum: the branch
  // and bound's lower bounds, the coupled units' dominance and the last
  // pure dim's front with packing. For DRAM accesses packing only breaks
  // ties, which the harness (comparing objective values) cannot see.
  std::vector<Case> cases = randomCases(/*seed=*/4049, /*count=*/400,
                                        /*maxSpace=*/12000);
  for (Case &c : cases) {
    c.target.packBytesPerCycle = 0.5 + static_cast<double>(c.target.rows);
    compareWithNaive(c.workload, c.target, naiveSearch(c.workload, c.target),
                     SearchDebugMode::None, /*report=*/true);
  }
}

TEST(SearchNaiveTest, MatchesWholeSpaceEnumerationWithCompressedWeights) {
  // Compressed weights (issue #15): an operand's bytes are its elements x
  // its average bits, rounded up per count, so buffer footprints are not
  // linear in the tiles (the last pure dim's front bisects them) and the
  // MACs of a pruned layer may cost a fraction of their energy.
  std::vector<Case> cases = randomCases(/*seed=*/1515, /*count=*/400,
                                        /*maxSpace=*/12000);
  const uint32_t kBits16[] = {8, 16, 40, 64, 80, 106, 264};
  Rng rng(1516);
  for (Case &c : cases) {
    for (auto [o, op] : llvm::enumerate(c.workload.operands))
      if (o != 0 && op.role == OperandRole::Read)
        op.storageBits16 = kBits16[rng.range(0, std::size(kBits16) - 1)];
    if (rng.coin())
      c.workload.macFraction = 0.5;
    compareWithNaive(c.workload, c.target, naiveSearch(c.workload, c.target),
                     SearchDebugMode::None, /*report=*/true);
  }
}

TEST(SearchNaiveTest, HarnessCatchesUnsoundPruning) {
  std::vector<Case> cases = randomCases(/*seed=*/77, /*count=*/60,
                                        /*maxSpace=*/3000);
  for (SearchDebugMode mode : {SearchDebugMode::DivisorTilesOnly,
                               SearchDebugMode::SmallestTilePerCount}) {
    int mismatches = 0;
    for (const Case &c : cases)
      mismatches += compareWithNaive(c.workload, c.target,
                                     naiveSearch(c.workload, c.target), mode,
                                     /*report=*/false);
    EXPECT_GT(mismatches, 0)
        << "debug mode " << static_cast<int>(mode) << " was not caught";
  }
}

} // namespace
