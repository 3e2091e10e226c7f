//===- StreamingCost.cpp - the cost of a streaming layer -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A streaming layer (element-wise, reduction, data movement) is not tiled by
// the search: it passes over whole tensors, so its cost follows from what it
// moves and computes (docs/streaming-layers.md).
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"

#include <algorithm>
#include <cmath>

using namespace romac;

double romac::getStreamingSramCycles(const StreamingTraffic &t,
                                     const CostTarget &target) {
  llvm::SmallVector<double, 3> bytes(target.memories.size(), 0);
  auto add = [&](OperandClass cls, int64_t b) {
    bytes[target.memoryOf[static_cast<unsigned>(cls)]] +=
        static_cast<double>(b);
  };
  add(OperandClass::Input, t.sramInputBytes + t.dramInputBytes);
  add(OperandClass::Weight, t.sramWeightBytes + t.dramWeightBytes);
  add(OperandClass::Output, t.sramOutputBytes + t.dramWriteBytes);
  double cycles = 0;
  for (auto [m, mem] : llvm::enumerate(target.memories))
    if (mem.bandwidthBytesPerCycle > 0)
      cycles = std::max(cycles, bytes[m] / mem.bandwidthBytesPerCycle);
  return cycles;
}

CostBreakdown romac::costStreamingLayer(const StreamingTraffic &traffic,
                                        const CostTarget &target,
                                        const DramModel *rowBuffer,
                                        std::optional<int64_t> *activates) {
  CostBreakdown c;
  const StreamingTraffic &t = traffic;
  c.macEnergyPJ = static_cast<double>(t.ops) * target.macEnergyPJ;
  // Each buffer: the compute's accesses, plus what DRAM fills and drains.
  auto sram = [&](OperandClass cls, int64_t reads, int64_t writes) {
    const CostMemory &m = target.getMemory(cls);
    return static_cast<double>(reads) * m.readPJPerByte +
           static_cast<double>(writes) * m.writePJPerByte;
  };
  c.sramEnergyPJ =
      sram(OperandClass::Input, t.sramInputBytes, t.dramInputBytes) +
      sram(OperandClass::Weight, t.sramWeightBytes, t.dramWeightBytes) +
      sram(OperandClass::Output, t.dramWriteBytes, t.sramOutputBytes);
  c.dramReadBytes = t.dramInputBytes + t.dramWeightBytes;
  c.dramWriteBytes = t.dramWriteBytes;
  std::optional<DramStats> stats;
  if (rowBuffer)
    stats = evaluateStreams(c.dramReadBytes, c.dramWriteBytes, *rowBuffer);
  if (stats) {
    c.dram =
        makeDramEstimate(*stats, rowBuffer->getParams(), target.frequencyMHz);
    c.dramModel = "row-buffer";
    if (activates)
      *activates = static_cast<int64_t>(stats->activates);
  } else {
    DramTraffic flat;
    DramOperandTraffic &o = flat.operands.emplace_back();
    o.readBytes = c.dramReadBytes;
    o.writeBytes = c.dramWriteBytes;
    c.dram = getFlatDramModel().estimate(target, Workload(), flat);
    c.dramModel = "flat";
  }
  c.dramEnergyPJ = c.dram.energyPJ;
  c.dramCycles = c.dram.cycles;
  // The array and the buffers run at the compute clock: the ops over the
  // PEs, or the busiest buffer's accesses over its bandwidth.
  int64_t pes = std::max<int64_t>(1, target.rows * target.cols);
  c.computeCycles = std::max(
      (t.ops + pes - 1) / pes,
      static_cast<int64_t>(std::ceil(getStreamingSramCycles(traffic, target))));
  c.cycles = std::max(static_cast<double>(c.computeCycles), c.dramCycles);
  c.totalEnergyPJ = c.macEnergyPJ + c.sramEnergyPJ + c.dramEnergyPJ;
  return c;
}
