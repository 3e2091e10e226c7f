//===- CostTarget.cpp - the target as the cost model sees it ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Distills a loaded `Target` into a `CostTarget`. This is the only file of
// the cost model, the search and the schedule libraries that includes
// Target.h: everything else works on the distilled view.
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Cost.h"
#include "romac/Target/Target.h"

#include <algorithm>
#include <limits>

using namespace romac;

namespace {
constexpr unsigned toIndex(OperandKind op) { return static_cast<unsigned>(op); }
} // namespace



CostTarget CostTarget::get(const Target &target) {
  CostTarget result;
  result.name = target.name;
  result.description = target.description;
  result.rows = static_cast<int64_t>(target.compute.rows);
  result.cols = static_cast<int64_t>(target.compute.cols);
  result.frequencyMHz = target.compute.frequencyMHz;
  result.macEnergyPJ = target.compute.macEnergyPJ;
  result.packBytesPerCycle = target.compute.packBytesPerCycle;
  result.activationBuffersPooled = target.activationBuffersPooled;
  result.compression = target.compression.getFlags();
  if (!target.compression.empty())
    result.weightFormat = target.weightFormat.str();
  for (const OnChipMemory &mem : target.memories) {
    CostMemory &m = result.memories.emplace_back();
    m.name = mem.name;
    m.capacityBytes = static_cast<int64_t>(
        std::min<uint64_t>(mem.bytes, std::numeric_limits<int64_t>::max()));
    m.classMask = mem.operandMask;
    m.readPJPerByte = mem.readEnergyPJPerByte;
    m.writePJPerByte = mem.writeEnergyPJPerByte;
    m.bandwidthBytesPerCycle = mem.bandwidthBytesPerCycle;
  }
  for (OperandKind op : kAllOperands)
    if (const OnChipMemory *mem = target.getMemoryFor(op))
      result.memoryOf[toIndex(op)] =
          static_cast<unsigned>(mem - target.memories.data());
  result.dramStandard = stringifyDramStandard(target.dram.standard).str();
  result.dramFlatPJPerBit = target.dram.flatEnergyPJPerBit;
  result.dramPeakGBps = target.dram.getPeakBandwidthGBps();
  return result;
}

llvm::Expected<CostTarget> romac::loadCostTarget(llvm::StringRef nameOrPath,
                                                 llvm::StringRef targetsDir) {
  llvm::Expected<Target> target = loadTarget(nameOrPath, targetsDir);
  if (!target)
    return target.takeError();
  CostTarget result = CostTarget::get(*target);
  if (llvm::Error err = result.verify())
    return std::move(err);
  return result;
}
