//===- Steps.cpp - the plan's steps from DRAM-aware schedules -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Plan/Steps.h"

using namespace romac;
using namespace romac::plan;

namespace {

/// Adds \p stats (DRAM cycles of tCK) and \p relayouts (compute-clock
/// cycles) to \p step.
void addDram(Step &step, const DramStats &stats,
             llvm::ArrayRef<Relayout> relayouts, const DramParams &dram,
             double computeMHz) {
  step.dramAccessPJ += stats.energyPJ.actPre + stats.energyPJ.rdWr;
  step.dramBusyBackgroundPJ +=
      stats.energyPJ.background + stats.energyPJ.refresh;
  step.dramBusyNs += static_cast<double>(stats.cycles) * dram.tCK;
  for (const Relayout &r : relayouts) {
    step.dramAccessPJ += r.energyPJ;
    step.dramBusyNs += r.cycles * 1000.0 / computeMHz;
  }
}

void addCompute(Step &step, const LayerResult &layer) {
  step.computeCycles += static_cast<double>(layer.cost.computeCycles);
  step.onChipPJ += layer.cost.macEnergyPJ + layer.cost.sramEnergyPJ;
}

} // namespace

std::vector<Step> plan::getSteps(llvm::ArrayRef<Workload> workloads,
                                 const DramSearchResult &result,
                                 const FusionResult *fusion,
                                 const DramParams &dram, double computeMHz) {
  std::vector<Step> steps;
  if (!fusion) {
    for (auto [w, l] : llvm::zip_equal(workloads, result.layers)) {
      Step step;
      step.name = w.name;
      addCompute(step, l.layer);
      addDram(step, l.stats, l.relayouts, dram, computeMHz);
      steps.push_back(std::move(step));
    }
    return steps;
  }
  // A group's layers keep their tilings' compute; its DRAM is the group's.
  for (size_t i = 0; i < workloads.size(); ++i) {
    int g = fusion->groupOf[i];
    if (g < 0) {
      const DramLayerResult &l = fusion->layers[i];
      Step step;
      step.name = workloads[i].name;
      addCompute(step, l.layer);
      addDram(step, l.stats, l.relayouts, dram, computeMHz);
      steps.push_back(std::move(step));
      continue;
    }
    const FusedGroup &group = fusion->groups[g];
    if (i != group.first)
      continue;
    Step step;
    step.name =
        workloads[group.first].name + " .. " + workloads[group.last].name;
    for (unsigned j = group.first; j <= group.last; ++j)
      addCompute(step, fusion->layers[j].layer);
    addDram(step, group.stats, group.relayouts, dram, computeMHz);
    steps.push_back(std::move(step));
  }
  return steps;
}

Step plan::getInterpolationStep(const Target &target, int64_t size) {
  // Per output pixel and channel: a 4x4-tap resize of the key frame's crop
  // and a 4x4-tap shrink of the previous key frame pasted into the centre
  // (32 MACs); the two frames read and the new one written once (3 bytes a
  // pixel), every byte also written into and read from an on-chip buffer.
  const double values = 3.0 * static_cast<double>(size) * size;
  const double macs = 32 * values;
  const double dramBytes = 3 * values;
  Step step;
  step.name = "interpolated frame";
  step.computeCycles = macs / static_cast<double>(target.compute.getNumMacs());
  double sramPJPerByte = 0;
  if (!target.memories.empty())
    sramPJPerByte = target.memories.front().readEnergyPJPerByte +
                    target.memories.front().writeEnergyPJPerByte;
  step.onChipPJ = macs * target.compute.macEnergyPJ + dramBytes * sramPJPerByte;
  step.dramAccessPJ = dramBytes * 8 * target.dram.flatEnergyPJPerBit;
  // GB/s = bytes per ns.
  step.dramBusyNs = dramBytes / target.dram.getPeakBandwidthGBps();
  return step;
}
