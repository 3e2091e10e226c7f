//===- StreamingLayerTest.cpp - streaming layers of a schedule --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// costStreamingLayer() against the formulas of docs/streaming-layers.md
// evaluated here from the target's numbers; the row-buffer streams' burst
// counts from the byte counts; the totals, the table and the JSON of a
// schedule with streaming layers (round trip, edited fields refused).
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>

#include "JsonEdit.h"

using namespace romac;

namespace {

struct TestTarget {
  CostTarget cost;
  DramParams dram;
  int64_t burstBytes = 0;
};

TestTarget npu() {
  Target t =
      llvm::cantFail(loadTarget("edge-npu-lpddr4", ROMAC_SOURCE_TARGETS_DIR));
  return {CostTarget::get(t), llvm::cantFail(DramParams::get(t.dram)),
          static_cast<int64_t>(t.dram.getBytesPerBurst())};
}

StreamingTraffic traffic() {
  StreamingTraffic t;
  t.elements = 100000;
  t.ops = 300000;
  t.dramInputBytes = 100000;
  t.dramWeightBytes = 640;
  t.dramWriteBytes = 100000;
  t.sramInputBytes = 200000;
  t.sramWeightBytes = 100000;
  t.sramOutputBytes = 100000;
  return t;
}

TEST(StreamingLayerTest, FlatCostIsTheDocumentedFormula) {
  TestTarget t = npu();
  const CostTarget &c = t.cost;
  StreamingTraffic s = traffic();
  CostBreakdown b = costStreamingLayer(s, c, nullptr);
  // One MAC's energy per op.
  EXPECT_DOUBLE_EQ(b.macEnergyPJ, 300000 * c.macEnergyPJ);
  // Array reads and DRAM fills of the input and weight buffers; array
  // writes and DRAM drains of the output buffer.
  const CostMemory &in = c.getMemory(OperandClass::Input);
  const CostMemory &wt = c.getMemory(OperandClass::Weight);
  const CostMemory &out = c.getMemory(OperandClass::Output);
  double sram = 200000 * in.readPJPerByte + 100000 * in.writePJPerByte +
                100000 * wt.readPJPerByte + 640 * wt.writePJPerByte +
                100000 * out.writePJPerByte + 100000 * out.readPJPerByte;
  EXPECT_NEAR(b.sramEnergyPJ, sram, 1e-6 * sram);
  // The flat DRAM model: pJ per bit, peak bandwidth.
  double bytes = 100000 + 640 + 100000;
  EXPECT_NEAR(b.dramEnergyPJ, bytes * 8 * c.dramFlatPJPerBit, 1e-6 * bytes);
  double dramCycles = bytes / (c.dramPeakGBps * 1e3 / c.frequencyMHz);
  EXPECT_NEAR(b.dramCycles, dramCycles, 1e-6 * dramCycles);
  EXPECT_EQ(b.dramReadBytes, 100640);
  EXPECT_EQ(b.dramWriteBytes, 100000);
  // The array and the buffers at the compute clock: the ops over the PEs or
  // the busiest buffer's bytes (compute and DRAM side) over its bandwidth.
  int64_t pes = c.rows * c.cols;
  double sramCycles =
      std::max({(200000.0 + 100000) / in.bandwidthBytesPerCycle,
                (100000.0 + 640) / wt.bandwidthBytesPerCycle,
                (100000.0 + 100000) / out.bandwidthBytesPerCycle});
  EXPECT_GT(sramCycles, 0);
  EXPECT_EQ(b.computeCycles,
            std::max((300000 + pes - 1) / pes,
                     static_cast<int64_t>(std::ceil(sramCycles))));
  EXPECT_DOUBLE_EQ(b.cycles, std::max<double>(b.computeCycles, b.dramCycles));
  EXPECT_DOUBLE_EQ(b.totalEnergyPJ,
                   b.macEnergyPJ + b.sramEnergyPJ + b.dramEnergyPJ);
  EXPECT_EQ(b.macs, 0);
}

TEST(StreamingLayerTest, RowBufferStreamsEveryBurstOnce) {
  TestTarget t = npu();
  DramModel model = llvm::cantFail(DramModel::get(t.dram));
  StreamingTraffic s = traffic();
  std::optional<int64_t> acts;
  CostBreakdown b = costStreamingLayer(s, t.cost, &model, &acts);
  int64_t burst = t.burstBytes;
  auto bursts = [&](int64_t bytes) { return (bytes + burst - 1) / burst; };
  // Each side is one contiguous region from a row boundary.
  ASSERT_TRUE(b.dram.bursts);
  EXPECT_EQ(*b.dram.bursts, bursts(100640) + bursts(100000));
  EXPECT_EQ(*b.dram.rowHits + *b.dram.rowMisses + *b.dram.rowConflicts,
            *b.dram.bursts);
  ASSERT_TRUE(acts);
  EXPECT_EQ(*acts, *b.dram.rowMisses + *b.dram.rowConflicts);
  EXPECT_GT(*acts, 0);
  EXPECT_EQ(b.dramModel, "row-buffer");
  // A copy of equal sides is a re-layout's charge.
  StreamingTraffic copy;
  copy.dramInputBytes = copy.dramWriteBytes = 50000;
  CostBreakdown c = costStreamingLayer(copy, t.cost, &model);
  Relayout r =
      computeRelayoutCharge(50000, RelayoutCharge::RowBuffer, model, t.cost);
  EXPECT_DOUBLE_EQ(c.dramEnergyPJ, r.energyPJ);
  EXPECT_DOUBLE_EQ(c.dramCycles, r.cycles);
  // No traffic: zero counts, zero DRAM energy.
  CostBreakdown none =
      costStreamingLayer(StreamingTraffic(), t.cost, &model, &acts);
  EXPECT_EQ(*none.dram.bursts, 0);
  EXPECT_EQ(*acts, 0);
  EXPECT_EQ(none.dramEnergyPJ, 0);
}

TEST(StreamingLayerTest, AttentionTilesAreTheLargestThatFit) {
  // Small buffers so that the bounds bind; every (query rows, key block)
  // pair is tried.
  CostTarget c = npu().cost;
  c.memories[c.memoryOf[static_cast<unsigned>(OperandClass::Input)]]
      .capacityBytes = 700;
  c.memories[c.memoryOf[static_cast<unsigned>(OperandClass::Weight)]]
      .capacityBytes = 900;
  c.memories[c.memoryOf[static_cast<unsigned>(OperandClass::Output)]]
      .capacityBytes = 1500;
  for (int64_t d : {4, 16, 48})
    for (int64_t scoreBytes : {1, 4}) {
      AttentionShape a;
      a.batch = 3;
      a.queries = 50;
      a.keys = 37;
      a.headDim = d;
      a.valueDim = 8;
      a.scoreBytes = scoreBytes;
      a.outputBytes = 2;
      AttentionTiles best{0, 0};
      for (int64_t br = 1; br <= a.queries; ++br)
        for (int64_t bc = 1; bc <= a.keys; ++bc) {
          // Each tile's bytes, summed per buffer by hand.
          bool fits = br * d * a.queryBytes <= 700 &&
                      bc * (d * a.keyBytes + 8 * a.valueBytes) <= 900 &&
                      br * bc * scoreBytes + br * 8 * 2 + 2 * br * 2 <= 1500;
          if (fits && (br > best.queryRows ||
                       (br == best.queryRows && bc > best.keyCols)))
            best = {br, bc};
        }
      AttentionTiles got = chooseAttentionTiles(a, c);
      EXPECT_EQ(got.queryRows, best.queryRows) << d << " " << scoreBytes;
      EXPECT_EQ(got.keyCols, best.keyCols) << d << " " << scoreBytes;
      if (best.queryRows == 0)
        continue;
      // The traffic of the loop nest, walked: per head and query tile, the
      // tile's queries, every key and value block, the tile's outputs.
      int64_t reads = 0, writes = 0;
      for (int64_t h = 0; h < a.batch; ++h)
        for (int64_t q = 0; q < a.queries; q += got.queryRows) {
          int64_t rows = std::min(got.queryRows, a.queries - q);
          reads += rows * d * a.queryBytes;
          for (int64_t k = 0; k < a.keys; k += got.keyCols) {
            int64_t cols = std::min(got.keyCols, a.keys - k);
            reads += cols * (d * a.keyBytes + 8 * a.valueBytes);
          }
          writes += rows * 8 * a.outputBytes;
        }
      StreamingTraffic t = getFusedAttentionTraffic(a, got);
      EXPECT_EQ(t.dramInputBytes + t.dramWeightBytes, reads);
      EXPECT_EQ(t.dramWriteBytes, writes);
    }
}

/// A schedule of one matmul with a fused bias before a streamed softmax-like
/// reduction.
Schedule scheduleWithStreaming() {
  TestTarget t = npu();
  Workload w = llvm::cantFail(Workload::matmul(64, 64, 64, 1, "fc"));
  SearchOptions o;
  std::vector<LayerResult> rs = llvm::cantFail(searchLayers({w}, t.cost, o));
  Schedule s = makeSchedule("net.onnx", t.cost, {w}, rs, o);
  StreamingLayerSchedule &bias = s.streaming.emplace_back();
  bias.name = "bias";
  bias.op = OpKind::Elementwise;
  bias.mlirOp = "linalg.generic";
  bias.position = 1;
  bias.fusion = StreamingFusion::Epilogue;
  bias.fusedInto = "fc";
  bias.traffic.elements = bias.traffic.ops = 4096;
  bias.traffic.dramWeightBytes = 64;
  bias.traffic.sramInputBytes = bias.traffic.sramWeightBytes =
      bias.traffic.sramOutputBytes = 4096;
  bias.cost = costStreamingLayer(bias.traffic, t.cost, nullptr);
  StreamingLayerSchedule &sum = s.streaming.emplace_back();
  sum.name = "sum";
  sum.op = OpKind::Reduction;
  sum.mlirOp = "linalg.generic";
  sum.position = 1;
  sum.traffic = traffic();
  sum.cost = costStreamingLayer(sum.traffic, t.cost, nullptr);
  return s;
}

TEST(StreamingLayerTest, TotalsTableAndJSON) {
  Schedule s = scheduleWithStreaming();
  ScheduleTotals t = s.getTotals();
  const CostBreakdown &fc = s.layers[0].cost;
  double energy = fc.totalEnergyPJ;
  int64_t read = fc.dramReadBytes, ops = 0;
  for (const StreamingLayerSchedule &l : s.streaming) {
    energy += l.cost.totalEnergyPJ;
    read += l.cost.dramReadBytes;
    ops += l.traffic.ops;
  }
  EXPECT_DOUBLE_EQ(t.totalEnergyPJ, energy);
  EXPECT_EQ(t.dramReadBytes, read);
  EXPECT_EQ(t.streamingLayers, 2);
  EXPECT_EQ(t.fusedStreamingLayers, 1);
  EXPECT_EQ(t.streamingOps, ops);
  EXPECT_EQ(t.macs, fc.macs);

  std::string table;
  llvm::raw_string_ostream os(table);
  printScheduleTable(os, s);
  EXPECT_NE(table.find("total (1 layers + 2 streaming)"), std::string::npos)
      << table;
  // Program order: the matmul, then its epilogue, then the reduction.
  size_t fcAt = table.find("\nfc "), biasAt = table.find("\nbias "),
         sumAt = table.find("\nsum ");
  EXPECT_LT(fcAt, biasAt);
  EXPECT_LT(biasAt, sumAt);
  EXPECT_NE(table.find("into fc"), std::string::npos) << table;
  EXPECT_NE(table.find("streaming layers: 2 (1 fused"), std::string::npos);

  std::string text = scheduleToJSON(s);
  Schedule back = llvm::cantFail(parseSchedule(text, "net.json"));
  EXPECT_EQ(scheduleToJSON(back), text);
  ASSERT_EQ(back.streaming.size(), 2u);
  EXPECT_EQ(back.streaming[0].fusedInto, "fc");
  EXPECT_EQ(back.streaming[1].traffic.dramWeightBytes, 640);
  EXPECT_DOUBLE_EQ(back.getTotals().totalEnergyPJ, t.totalEnergyPJ);

  auto error = [&](llvm::function_ref<void(llvm::json::Object &)> edit) {
    llvm::Expected<Schedule> r =
        parseSchedule(test::editJSON(text, edit), "net.json");
    return r ? std::string("(no error)") : llvm::toString(r.takeError());
  };
  auto layer = [](llvm::json::Object &root, size_t i) -> llvm::json::Object & {
    return *(*root.getArray("streaming_layers"))[i].getAsObject();
  };
  EXPECT_NE(error([&](llvm::json::Object &r) {
              layer(r, 0)["fused_into"] = "nowhere";
            }).find("streaming_layers[0].fused_into: names no layer"),
            std::string::npos);
  EXPECT_NE(error([&](llvm::json::Object &r) { layer(r, 1)["position"] = 2; })
                .find("streaming_layers[1].position: is 2 but the schedule "
                      "has 1 layers"),
            std::string::npos);
  EXPECT_NE(error([&](llvm::json::Object &r) {
              layer(r, 1)["compute_cycles"] = 1;
            }).find("streaming_layers[1].compute_cycles: is 1"),
            std::string::npos);
  // The totals are the sums of both kinds of layers.
  EXPECT_NE(error([&](llvm::json::Object &r) {
              (*r.getObject("totals")->getObject("energy_pj"))["total"] =
                  fc.totalEnergyPJ;
            }).find("totals.energy_pj.total"),
            std::string::npos);
}

} // namespace
