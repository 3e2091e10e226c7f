//===- SearchTest.cpp - search behaviour ------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The search beyond optimality (SearchNaiveTest): error messages, the fixed
// reuse schemes, identical layers searched once, results independent of the
// thread count, reuse labels and the baseline table.
//
//===----------------------------------------------------------------------===//

#include "romac/Search/Search.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Parallel.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace romac;

namespace {

CostTarget makeTarget(int64_t inBytes, int64_t wBytes, int64_t outBytes) {
  CostTarget t;
  t.name = "t";
  t.rows = 4;
  t.cols = 4;
  t.frequencyMHz = 1000;
  t.macEnergyPJ = 0.3;
  const char *names[3] = {"iBuff", "wBuff", "oBuff"};
  int64_t caps[3] = {inBytes, wBytes, outBytes};
  for (unsigned m = 0; m < 3; ++m) {
    CostMemory &mem = t.memories.emplace_back();
    mem.name = names[m];
    mem.capacityBytes = caps[m];
    mem.classMask = 1u << m;
    mem.readPJPerByte = 1.5;
    mem.writePJPerByte = 2;
    t.memoryOf[m] = m;
  }
  t.dramFlatPJPerBit = 8;
  t.dramPeakGBps = 8;
  return t;
}

Workload conv(const char *name, int64_t c, int64_t k, int64_t hw, int64_t r,
              int64_t stride = 1) {
  Conv2dSpec s;
  s.name = name;
  s.c = c;
  s.k = k;
  s.h = s.w = hw;
  s.r = s.s = r;
  s.strideH = s.strideW = stride;
  s.padTop = s.padBottom = s.padLeft = s.padRight = r / 2;
  return llvm::cantFail(Workload::conv2d(s));
}

SearchOptions serial(Objective objective = Objective::Energy,
                     ReusePolicy policy = ReusePolicy::Adaptive) {
  SearchOptions o;
  o.objective = objective;
  o.policy = policy;
  return o;
}

TEST(SearchTest, EverythingFitsMeansEveryTensorMovesOnce) {
  Workload w = llvm::cantFail(Workload::matmul(8, 8, 8));
  CostTarget t = makeTarget(1 << 20, 1 << 20, 1 << 20);
  LayerResult r = llvm::cantFail(searchLayer(w, t, serial()));
  EXPECT_EQ(r.cost.getDramBytes(), 3 * 64);
  // The untiled mapping moves the same bytes; the search may still split a
  // dim whose tiles every operand keeps (same energy, and a shorter
  // pipeline prologue: ties are broken by cycles).
  CostBreakdown untiled =
      llvm::cantFail(computeCost(t, w, Mapping::untiled(w), r.spatial));
  EXPECT_EQ(r.cost.totalEnergyPJ, untiled.totalEnergyPJ);
  EXPECT_LE(r.cost.cycles, untiled.cycles);
  EXPECT_EQ(r.reuse, "input+weight+output-stationary");
  EXPECT_TRUE(r.stats.exhaustive);
  EXPECT_EQ(r.stats.fullSpace, 512);
}

TEST(SearchTest, PackedTilesMakeTheSearchPreferFewerTiles) {
  // A text-encoder projection on a host-like target (one 1 MiB buffer for
  // every operand, 16 x 4 MACs). Whatever N tile fits, DRAM moves every
  // tensor once: energies tie, and without packing the shorter pipeline
  // prologue wins (N tiles of 4 columns, 256 steps). A CPU kernel packs its
  // operand tiles per call (time, and buffer energy for the copies), so
  // the same search on the target with `pack_bytes_per_cycle` takes few,
  // large tiles at the same DRAM traffic.
  Workload w = llvm::cantFail(Workload::matmul(77, 1024, 1024));
  CostTarget t = makeTarget(1 << 20, 0, 0);
  t.memories.resize(1);
  t.memories[0].name = "L2";
  t.memories[0].classMask = 7;
  t.memoryOf = {0, 0, 0};
  t.rows = 16;
  LayerResult inPlace = llvm::cantFail(searchLayer(w, t, serial()));
  t.packBytesPerCycle = 32;
  LayerResult packed = llvm::cantFail(searchLayer(w, t, serial()));
  EXPECT_EQ(packed.cost.getDramBytes(), inPlace.cost.getDramBytes());
  EXPECT_GE(inPlace.cost.steps, 64);
  EXPECT_LE(packed.cost.steps, 8);
}

TEST(SearchTest, NoTilingFits) {
  Workload w = conv("conv1", 3, 8, 8, 3);
  w.operands[1].bytesPerElement = 2;
  llvm::Expected<LayerResult> r =
      searchLayer(w, makeTarget(1024, 1, 1024), serial());
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            "layer 'conv1': no tiling fits buffer 'wBuff' (1 bytes): the "
            "smallest tiles of operand 'weight' need 2 bytes");

  CostTarget shared = makeTarget(2, 1, 1);
  shared.memories.resize(1);
  shared.memories[0].name = "GLB";
  shared.memories[0].classMask = 7;
  shared.memoryOf = {0, 0, 0};
  SearchOptions dbuf = serial();
  dbuf.cost.doubleBuffering = true;
  llvm::Expected<LayerResult> s = searchLayer(w, shared, dbuf);
  ASSERT_FALSE(static_cast<bool>(s));
  EXPECT_EQ(llvm::toString(s.takeError()),
            "layer 'conv1': no tiling fits buffer 'GLB' (2 bytes): the "
            "smallest tiles of operands 'input', 'weight', 'output' need 8 "
            "bytes (double-buffered)");
}

TEST(SearchTest, FixedSchemesKeepTheirOperandResident) {
  Workload w = conv("conv", 16, 32, 14, 3);
  CostTarget t = makeTarget(2048, 1024, 1024);
  int64_t weightBytes = w.operands[1].getNumElements();
  int64_t inputBytes = w.operands[0].getNumElements();
  double adaptive =
      llvm::cantFail(searchLayer(w, t, serial(Objective::DramAccesses)))
          .objective;
  for (ReusePolicy p :
       {ReusePolicy::InputStationary, ReusePolicy::WeightStationary,
        ReusePolicy::OutputStationary}) {
    LayerResult r =
        llvm::cantFail(searchLayer(w, t, serial(Objective::DramAccesses, p)));
    EXPECT_EQ(r.reuse, stringifyReusePolicy(p));
    EXPECT_TRUE(satisfiesPolicy(w, r.mapping, p));
    EXPECT_LE(adaptive, r.objective);
    AccessCounts c = computeAccessCounts(w, r.mapping);
    if (p == ReusePolicy::WeightStationary) {
      EXPECT_EQ(c.operands[1].readBytes, weightBytes); // every weight once
    }
    if (p == ReusePolicy::OutputStationary) {
      EXPECT_EQ(c.operands[2].readBytes, 0); // no partial sums read back
    }
    if (p == ReusePolicy::InputStationary) {
      // Each input tile is fetched once (the halos of tiled windows make
      // that more than the tensor).
      EXPECT_EQ(c.operands[0].visits, c.operands[0].distinctTiles);
      EXPECT_GE(c.operands[0].readBytes, inputBytes);
    }
  }
}

TEST(SearchTest, ResultDoesNotDependOnThreads) {
  std::vector<Workload> layers = {
      conv("a", 16, 32, 14, 3),
      conv("b", 32, 32, 14, 3),
      conv("c", 32, 64, 14, 3, 2),
      conv("d", 64, 16, 7, 1),
      llvm::cantFail(Workload::matmul(49, 64, 96, 1, "fc")),
      llvm::cantFail(Workload::batchMatmul(3, 20, 20, 16, 1, "bmm"))};
  CostTarget t = makeTarget(4096, 2048, 2048);
  for (Objective obj : {Objective::Energy, Objective::Latency}) {
    SearchOptions one = serial(obj), many = serial(obj);
    std::unique_ptr<llvm::ThreadPoolInterface> pool = makeThreadPool(3);
    many.threadPool = pool.get();
    std::vector<LayerResult> a = llvm::cantFail(searchLayers(layers, t, one));
    std::vector<LayerResult> b = llvm::cantFail(searchLayers(layers, t, many));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].mapping.tileSizes, b[i].mapping.tileSizes) << i;
      EXPECT_EQ(a[i].mapping.order, b[i].mapping.order) << i;
      EXPECT_EQ(a[i].spatial, b[i].spatial) << i;
      EXPECT_EQ(a[i].objective, b[i].objective) << i;
      EXPECT_EQ(a[i].cost.totalEnergyPJ, b[i].cost.totalEnergyPJ) << i;
      EXPECT_EQ(a[i].cost.cycles, b[i].cost.cycles) << i;
    }
  }
}

TEST(SearchTest, IdenticalLayersSearchedOnce) {
  Workload a = conv("first", 16, 16, 14, 3);
  Workload b = conv("second", 16, 16, 14, 3);
  b.operands[0].tensor = "other";
  Workload c = conv("third", 16, 16, 14, 1);
  CostTarget t = makeTarget(1024, 1024, 1024);
  std::vector<LayerResult> r =
      llvm::cantFail(searchLayers({a, b, c}, t, serial()));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].mapping.tileSizes, r[1].mapping.tileSizes);
  EXPECT_EQ(r[0].mapping.order, r[1].mapping.order);
  EXPECT_EQ(r[0].objective, r[1].objective);
  // Same statistics: the second is a copy of the first's search.
  EXPECT_EQ(r[0].stats.evaluations, r[1].stats.evaluations);
  EXPECT_NE(r[0].objective, r[2].objective);

  // The first failing layer (in list order) is the error.
  Workload wide = conv("wide", 16, 16, 14, 3);
  wide.operands[1].bytesPerElement = 16;
  llvm::Expected<std::vector<LayerResult>> f =
      searchLayers({c, wide, wide}, makeTarget(1024, 8, 1024), serial());
  ASSERT_FALSE(static_cast<bool>(f));
  EXPECT_EQ(llvm::toString(f.takeError()),
            "layer 'wide': no tiling fits buffer 'wBuff' (8 bytes): the "
            "smallest tiles of operand 'weight' need 16 bytes");
}

TEST(SearchTest, ReuseLabels) {
  Workload w = llvm::cantFail(Workload::matmul(8, 8, 8));
  // K innermost: the output stays while K runs.
  Mapping os = llvm::cantFail(
      Mapping::get(w, {{"M", 4}, {"N", 4}, {"K", 4}}, {"M", "N", "K"}));
  EXPECT_EQ(describeReuse(w, os), "output-stationary");
  Mapping ws = llvm::cantFail(
      Mapping::get(w, {{"M", 4}, {"N", 4}, {"K", 4}}, {"K", "N", "M"}));
  EXPECT_EQ(describeReuse(w, ws), "weight-stationary");
  Mapping is = llvm::cantFail(
      Mapping::get(w, {{"M", 4}, {"N", 4}, {"K", 4}}, {"M", "K", "N"}));
  EXPECT_EQ(describeReuse(w, is), "input-stationary");
  Mapping mixed = llvm::cantFail(
      Mapping::get(w, {{"M", 4}, {"N", 4}, {"K", 4}}, {"N", "K", "M"}));
  EXPECT_EQ(describeReuse(w, mixed), "weight-stationary");
  EXPECT_FALSE(satisfiesPolicy(w, mixed, ReusePolicy::OutputStationary));
  // M untiled: K innermost keeps the output, and N, K both index the
  // weight; the input is refetched for every N tile.
  Mapping two = llvm::cantFail(
      Mapping::get(w, {{"M", 8}, {"N", 4}, {"K", 4}}, {"N", "K", "M"}));
  EXPECT_EQ(describeReuse(w, two), "weight+output-stationary");
}

TEST(SearchTest, SpatialMappings) {
  Workload w = conv("conv", 4, 4, 4, 3);
  // N = 1 is never unrolled: none, 6 rows-only, 6 cols-only, 30 pairs.
  EXPECT_EQ(enumerateSpatialMappings(w).size(), 43u);
  EXPECT_EQ(enumerateSpatialMappings(w)[0], SpatialMapping());
}

TEST(SearchTest, PoliciesAndObjectivesParse) {
  for (ReusePolicy p :
       {ReusePolicy::Adaptive, ReusePolicy::InputStationary,
        ReusePolicy::WeightStationary, ReusePolicy::OutputStationary})
    EXPECT_EQ(symbolizeReusePolicy(stringifyReusePolicy(p)), p);
  for (Objective o : {Objective::Energy, Objective::EDP, Objective::Latency,
                      Objective::DramAccesses})
    EXPECT_EQ(symbolizeObjective(stringifyObjective(o)), o);
  EXPECT_FALSE(symbolizeReusePolicy("row-stationary"));
  EXPECT_EQ(getStationaryClass(ReusePolicy::WeightStationary),
            OperandClass::Weight);
}

TEST(SearchTest, BaselineTable) {
  std::vector<Workload> layers = {conv("conv1", 16, 32, 14, 3),
                                  conv("conv2", 32, 32, 7, 3)};
  SearchOptions o = serial(Objective::DramAccesses);
  std::vector<BaselineRow> rows = llvm::cantFail(
      compareReuseSchemes(layers, makeTarget(2048, 2048, 1024), o));
  ASSERT_EQ(rows.size(), 2u);
  for (const BaselineRow &row : rows) {
    EXPECT_GT(row.macs, 0);
    for (int p = 0; p < 3; ++p)
      EXPECT_LE(row.dramBytes[3], row.dramBytes[p]) << row.layer;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  printBaselineTable(os, rows);
  EXPECT_NE(text.find("IS bytes"), std::string::npos);
  EXPECT_NE(text.find("conv2"), std::string::npos);
  EXPECT_NE(text.find("total"), std::string::npos);
  EXPECT_NE(text.find("adaptive against each scheme used for every layer: IS "),
            std::string::npos)
      << text;
}

} // namespace
