//===- CostTest.cpp - hand-derived layer costs ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The cost model against numbers derived by hand (docs/search.md): MAC,
// SRAM and DRAM energy, compute cycles from the spatial mapping, the
// double-buffered cycle formula, capacities, the shipped targets and a
// plugged-in DRAM model.
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Cost.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/CostModel/Mapping.h"

#include <gtest/gtest.h>

using namespace romac;

namespace {

/// 2 x 4 array at 1 GHz, separate buffers with distinct energies, 1 pJ/bit
/// DRAM at 4 GB/s (4 bytes per cycle).
CostTarget handTarget() {
  CostTarget t;
  t.name = "hand";
  t.rows = 2;
  t.cols = 4;
  t.frequencyMHz = 1000;
  t.macEnergyPJ = 0.5;
  const char *names[3] = {"iBuff", "wBuff", "oBuff"};
  for (unsigned m = 0; m < 3; ++m) {
    CostMemory &mem = t.memories.emplace_back();
    mem.name = names[m];
    mem.capacityBytes = 1000;
    mem.classMask = 1u << m;
    mem.readPJPerByte = 1 + 2 * m;  // 1, 3, 5
    mem.writePJPerByte = 2 + 2 * m; // 2, 4, 6
    mem.bandwidthBytesPerCycle = 8;
    t.memoryOf[m] = m;
  }
  t.dramStandard = "DDR4";
  t.dramFlatPJPerBit = 1;
  t.dramPeakGBps = 4;
  return t;
}

/// input[M,K] x weight[K,N] -> output[M,N], M=4 N=6 K=8, tiles M=2 N=3,
/// order M N K, rows unroll N, columns unroll K.
TEST(CostTest, HandComputedMatmul) {
  CostTarget t = handTarget();
  ASSERT_FALSE(static_cast<bool>(t.verify()));
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  Mapping m =
      llvm::cantFail(Mapping::get(w, {{"M", 2}, {"N", 3}}, {"M", "N", "K"}));
  SpatialMapping sp{1, 2}; // rows = N, cols = K
  CostBreakdown c = llvm::cantFail(computeCost(t, w, m, sp));

  // Traffic: input fetched per M tile (32 B), weight per (M, N) tile (2 x
  // 48 B), output written once (24 B).
  EXPECT_EQ(c.operands[0].dramReadBytes, 32);
  EXPECT_EQ(c.operands[1].dramReadBytes, 96);
  EXPECT_EQ(c.operands[2].dramWriteBytes, 24);
  EXPECT_EQ(c.operands[2].dramReadBytes, 0);
  EXPECT_EQ(c.getDramBytes(), 152);

  // Array: N in two tiles of 3 over 2 rows = 4 steps, K one tile of 8 over
  // 4 columns = 2 steps, M = 4: 32 cycles. The input is broadcast along N
  // (4 x 4 x 8 reads), the weight is not (4 x 6 x 8), the output is
  // reduced along K (4 x 6 x 2 updates).
  EXPECT_EQ(c.computeCycles, 32);
  EXPECT_EQ(c.operands[0].arrayAccesses, 128);
  EXPECT_EQ(c.operands[1].arrayAccesses, 192);
  EXPECT_EQ(c.operands[2].arrayAccesses, 48);
  EXPECT_DOUBLE_EQ(c.utilization, 192.0 / (32 * 8));

  // Energy: MACs 192 x 0.5; SRAM input 128x1 + 32x2, weight 192x3 + 96x4,
  // output (48 + 24)x5 + 48x6; DRAM 152 B x 8 pJ.
  EXPECT_EQ(c.macs, 192);
  EXPECT_EQ(c.macEnergyPJ, 96);
  EXPECT_EQ(c.operands[0].sramReadBytes, 128);
  EXPECT_EQ(c.operands[0].sramWriteBytes, 32);
  EXPECT_EQ(c.operands[2].sramReadBytes, 72);
  EXPECT_EQ(c.operands[2].sramWriteBytes, 48);
  EXPECT_EQ(c.sramEnergyPJ, 192 + 960 + 648);
  EXPECT_EQ(c.dramEnergyPJ, 1216);
  EXPECT_EQ(c.totalEnergyPJ, 3112);

  // Cycles: 4 steps of 8 compute cycles; DRAM at 0.25 cycles per byte.
  // Load 10 (input 4 + weight 6); step 0 || N changes (weight 6 + output
  // write-back 1.5) = 8; step 1 || M changes (4 + 6 + 1.5) = 11.5; step 2
  // || N changes = 8; step 3 = 8; final write-back 1.5. Total 47.
  EXPECT_EQ(c.dramCycles, 38);
  EXPECT_EQ(c.cycles, 47);
  EXPECT_EQ(c.getObjective(Objective::Energy), 3112);
  EXPECT_EQ(c.getObjective(Objective::Latency), 47);
  EXPECT_EQ(c.getObjective(Objective::EDP), 3112.0 * 47);
  EXPECT_EQ(c.getObjective(Objective::DramAccesses), 152);
  EXPECT_EQ(c.dramModel, "flat");
  EXPECT_FALSE(c.dram.rowHits.has_value());

  // A model that serialised transfer and compute would say 10 + 4 x 8 +
  // 28 + ... ; one that ignored the prologue max(32, 38) = 38.
  EXPECT_NE(c.cycles, 38);
}

TEST(CostTest, SummaryEqualsBreakdown) {
  CostTarget t = handTarget();
  Workload w = llvm::cantFail(Workload::matmul(5, 7, 3));
  CostModel model(t, w);
  Mapping m = llvm::cantFail(
      Mapping::get(w, {{"M", 2}, {"N", 4}, {"K", 2}}, {"K", "M", "N"}));
  SpatialMapping sp{0, 1};
  AccessCounts counts = computeAccessCounts(w, m);
  CostInputs in = model.getInputs(m, counts, sp);
  CostSummary s = model.summarize(in);
  CostBreakdown b = model.evaluate(in);
  EXPECT_EQ(s.energyPJ, b.totalEnergyPJ);
  EXPECT_EQ(s.cycles, b.cycles);
  EXPECT_EQ(s.dramBytes, b.getDramBytes());
  // K outermost: the output is read back (K tiles - 1) times per tile.
  EXPECT_EQ(b.operands[2].dramReadBytes, 35);
  EXPECT_EQ(b.operands[2].dramWriteBytes, 70);
}

TEST(CostTest, UnrolledDimsAndNoUnrolling) {
  CostTarget t = handTarget();
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  CostModel model(t, w);
  int64_t tiles[3] = {4, 5, 8};
  // Nothing unrolled: one MAC per cycle, every operand read per MAC.
  EXPECT_EQ(model.getComputeCycles(tiles, {}), 192);
  EXPECT_EQ(model.getArrayAccesses(tiles, {}, 0), 192);
  // N (tiles 5 + 1) over 2 rows: 3 + 1 steps; M over 4 columns: 1 step.
  EXPECT_EQ(model.getComputeCycles(tiles, {1, 0}), 4 * 1 * 8);
  // The weight does not depend on M: read once per column step.
  EXPECT_EQ(model.getArrayAccesses(tiles, {1, 0}, 1), 1 * 6 * 8);
}

TEST(CostTest, CapacityAndDoubleBuffering) {
  CostTarget t = handTarget();
  t.memories[1].capacityBytes = 40;
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  int64_t tiles[3] = {4, 5, 8};
  CostModel single(t, w);
  EXPECT_EQ(single.getBufferBytes(tiles)[1], 40);
  EXPECT_FALSE(static_cast<bool>(single.checkCapacity(tiles)));
  CostOptions opts;
  opts.doubleBuffering = true;
  CostModel twice(t, w, opts);
  EXPECT_EQ(twice.getBufferBytes(tiles)[1], 80);
  EXPECT_EQ(llvm::toString(twice.checkCapacity(tiles)),
            "layer 'matmul': the tiles of 'weight' need 80 bytes "
            "(double-buffered) but buffer 'wBuff' holds 40");
  EXPECT_EQ(opts.str(), "double-buffering");

  // One shared buffer sums every operand.
  CostTarget shared = handTarget();
  shared.memories.resize(1);
  shared.memories[0].name = "GLB";
  shared.memories[0].classMask = 7;
  shared.memories[0].capacityBytes = 50;
  shared.memoryOf = {0, 0, 0};
  ASSERT_FALSE(static_cast<bool>(shared.verify()));
  CostModel glb(shared, w);
  EXPECT_EQ(glb.getBufferBytes(tiles)[0], 4 * 8 + 8 * 5 + 4 * 5);
  EXPECT_EQ(llvm::toString(glb.checkCapacity(tiles)),
            "layer 'matmul': the tiles of 'input', 'weight', 'output' need "
            "92 bytes but buffer 'GLB' holds 50");
}

TEST(CostTest, ShippedTargets) {
  CostTarget npu = llvm::cantFail(
      loadCostTarget("edge-npu-lpddr4", ROMAC_SOURCE_TARGETS_DIR));
  EXPECT_EQ(npu.rows, 32);
  EXPECT_EQ(npu.cols, 32);
  ASSERT_EQ(npu.memories.size(), 3u);
  EXPECT_EQ(npu.getMemory(OperandClass::Weight).name, "wBuff");
  EXPECT_EQ(npu.getMemory(OperandClass::Output).capacityBytes, 64 * 1024);
  EXPECT_FALSE(npu.getMemory(OperandClass::Input).isShared());
  EXPECT_EQ(npu.dramFlatPJPerBit, 8);
  // 2 channels x 4 bytes x 2 / 0.83 ns = 19.28 GB/s; at 800 MHz 24.1 B/cycle.
  EXPECT_NEAR(npu.getDramBytesPerCycle(), 2 * 4 * 2 / 0.83 / 0.8, 1e-9);

  CostTarget eyeriss =
      llvm::cantFail(loadCostTarget("eyeriss-like", ROMAC_SOURCE_TARGETS_DIR));
  ASSERT_EQ(eyeriss.memories.size(), 1u);
  EXPECT_TRUE(eyeriss.memories[0].isShared());
  EXPECT_EQ(eyeriss.memoryOf, (std::array<unsigned, 3>{0, 0, 0}));
  EXPECT_EQ(eyeriss.rows * eyeriss.cols, 168);

  llvm::Expected<CostTarget> missing =
      loadCostTarget("no-such-target", ROMAC_SOURCE_TARGETS_DIR);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("unknown target"),
            std::string::npos);
}

TEST(CostTest, TargetValidation) {
  CostTarget t = handTarget();
  t.memories[2].classMask = 3; // input held twice, output never
  EXPECT_EQ(llvm::toString(t.verify()),
            "target 'hand': 2 buffers hold the input, expected exactly one");
  t = handTarget();
  t.memories[0].capacityBytes = 0;
  EXPECT_EQ(llvm::toString(t.verify()),
            "target 'hand': buffer 'iBuff' has no capacity");
}

TEST(CostTest, ClassifyOperands) {
  Workload mm = llvm::cantFail(Workload::matmul(2, 2, 2));
  EXPECT_EQ(classifyOperand(mm, 0), OperandClass::Input);
  EXPECT_EQ(classifyOperand(mm, 1), OperandClass::Weight);
  EXPECT_EQ(classifyOperand(mm, 2), OperandClass::Output);
  Workload bmm = llvm::cantFail(Workload::batchMatmul(2, 2, 2, 2));
  EXPECT_EQ(classifyOperand(bmm, 0), OperandClass::Input);  // lhs
  EXPECT_EQ(classifyOperand(bmm, 1), OperandClass::Weight); // rhs
  EXPECT_EQ(classifyOperand(bmm, 2), OperandClass::Output);
}

TEST(CostTest, SpatialMappingValidation) {
  CostTarget t = handTarget();
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  Mapping m = Mapping::untiled(w);
  llvm::Expected<CostBreakdown> twice = computeCost(t, w, m, {1, 1});
  ASSERT_FALSE(static_cast<bool>(twice));
  EXPECT_EQ(llvm::toString(twice.takeError()),
            "spatial mapping of 'matmul' unrolls dim 'N' over both rows and "
            "columns");
  llvm::Expected<CostBreakdown> bad = computeCost(t, w, m, {7, {}});
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "spatial mapping of 'matmul' names loop dim #7 but there are "
            "only 3");
  EXPECT_EQ((SpatialMapping{2, {}}).str(w), "rows=K cols=-");
}

/// A DRAM model that charges per transfer and reports row statistics.
class CountingDram : public DramCostModel {
public:
  llvm::StringRef getName() const override { return "counting"; }
  DramEstimate estimate(const CostTarget &, const Workload &,
                        const DramTraffic &traffic) const override {
    DramEstimate e;
    for (const DramOperandTraffic &o : traffic.operands) {
      e.energyPJ +=
          100.0 * static_cast<double>(o.readTransfers + o.writeTransfers) +
          static_cast<double>(o.readBytes + o.writeBytes);
      e.cycles += static_cast<double>(o.readBytes + o.writeBytes);
    }
    return e;
  }
  DramEstimate evaluate(const CostTarget &t, const Workload &w, const Mapping &,
                        const DramTraffic &traffic) const override {
    DramEstimate e = estimate(t, w, traffic);
    e.rowHits = 7;
    e.energyBreakdownPJ.push_back({"rd_wr", e.energyPJ});
    return e;
  }
};

TEST(CostTest, PluggableDramModel) {
  CostTarget t = handTarget();
  Workload w = llvm::cantFail(Workload::matmul(4, 6, 8));
  Mapping m =
      llvm::cantFail(Mapping::get(w, {{"M", 2}, {"N", 3}}, {"M", "N", "K"}));
  CountingDram dram;
  CostOptions opts;
  opts.dramModel = &dram;
  CostBreakdown c = llvm::cantFail(computeCost(t, w, m, {1, 2}, opts));
  // Transfers: input 2, weight 4, output 4 write-backs; 152 bytes.
  EXPECT_EQ(c.dramEnergyPJ, 100.0 * 10 + 152);
  EXPECT_EQ(c.dramCycles, 152);
  EXPECT_EQ(c.dramModel, "counting");
  EXPECT_EQ(c.dram.rowHits, 7);
  EXPECT_EQ(c.totalEnergyPJ, 96 + 1800 + 1152);
  CostModel model(t, w, opts);
  EXPECT_FALSE(model.hasLinearDram());
}

} // namespace
