//===- Steps.cpp - the plan's steps from DRAM-aware schedules -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Plan/Steps.h"

#include "llvm/ADT/StringMap.h"

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

/// The contractions' steps, each with the index of its first contraction;
/// the layers in \p noDram keep their compute but not their DRAM.
std::vector<std::pair<unsigned, Step>>
getContractionSteps(llvm::ArrayRef<Workload> workloads,
                    const DramSearchResult &result, const FusionResult *fusion,
                    const std::vector<bool> &noDram, const DramParams &dram,
                    double computeMHz) {
  std::vector<std::pair<unsigned, Step>> steps;
  for (size_t i = 0; i < workloads.size(); ++i) {
    int g = fusion ? fusion->groupOf[i] : -1;
    if (g < 0) {
      const DramLayerResult &l = fusion ? fusion->layers[i] : result.layers[i];
      Step step;
      step.name = workloads[i].name;
      addCompute(step, l.layer);
      if (!noDram[i])
        addDram(step, l.stats, l.relayouts, dram, computeMHz);
      steps.push_back({static_cast<unsigned>(i), std::move(step)});
      continue;
    }
    // A group's layers keep their tilings' compute; its DRAM is the group's.
    const FusedGroup &group = fusion->groups[g];
    if (i != group.first)
      continue;
    Step step;
    step.name =
        workloads[group.first].name + " .. " + workloads[group.last].name;
    for (unsigned j = group.first; j <= group.last; ++j)
      addCompute(step, fusion->layers[j].layer);
    addDram(step, group.stats, group.relayouts, dram, computeMHz);
    steps.push_back({static_cast<unsigned>(i), std::move(step)});
  }
  return steps;
}

/// A streaming layer's step (its DRAM unless \p withDram is false).
Step getStreamingStep(const StreamingLayerSchedule &l, bool withDram,
                      double computeMHz) {
  Step step;
  step.name = l.name;
  step.computeCycles = static_cast<double>(l.cost.computeCycles);
  step.onChipPJ = l.cost.macEnergyPJ + l.cost.sramEnergyPJ;
  if (!withDram)
    return step;
  // Background and refresh over the busy time, the rest access energy.
  double background = 0;
  for (const auto &[kind, pj] : l.cost.dram.energyBreakdownPJ)
    if (kind == "background" || kind == "refresh")
      background += pj;
  step.dramBusyBackgroundPJ = background;
  step.dramAccessPJ = l.cost.dramEnergyPJ - background;
  step.dramBusyNs = l.cost.dramCycles * 1000.0 / computeMHz;
  return step;
}

} // namespace

std::vector<Step> plan::getSteps(llvm::ArrayRef<Workload> workloads,
                                 const DramSearchResult &result,
                                 const FusionResult *fusion,
                                 const DramParams &dram, double computeMHz) {
  return getNetworkSteps(workloads, result, fusion, {}, {}, dram, computeMHz);
}

std::vector<Step>
plan::getNetworkSteps(llvm::ArrayRef<Workload> workloads,
                      const DramSearchResult &result,
                      const FusionResult *fusion,
                      llvm::ArrayRef<StreamingLayerSchedule> streaming,
                      llvm::ArrayRef<AttentionGroup> attention,
                      const DramParams &dram, double computeMHz) {
  // A fused attention's DRAM replaces its products' and softmax's.
  std::vector<bool> noDram(workloads.size(), false),
      noStreamDram(streaming.size(), false);
  for (const AttentionGroup &g : attention) {
    noDram[g.scores] = noDram[g.output] = true;
    for (unsigned j : g.streaming)
      noStreamDram[j] = true;
  }
  std::vector<std::pair<unsigned, Step>> contractions =
      getContractionSteps(workloads, result, fusion, noDram, dram, computeMHz);
  for (const AttentionGroup &g : attention)
    for (auto &[first, step] : contractions)
      if (first == g.scores) {
        step.dramAccessPJ += g.dramEnergyPJ;
        step.dramBusyNs += g.dramCycles * 1000.0 / computeMHz;
      }
  // Program order: an unfused streaming layer before the contraction it
  // precedes. A fused one runs in its host's tiles: its compute, on-chip
  // energy and DRAM join the host's step.
  std::vector<Step> steps;
  llvm::StringMap<size_t> stepOf;
  auto emit = [&](const StreamingLayerSchedule &l, bool withDram) {
    if (l.fusion == StreamingFusion::None) {
      stepOf[l.name] = steps.size();
      steps.push_back(getStreamingStep(l, withDram, computeMHz));
    }
  };
  size_t next = 0;
  for (auto &[first, step] : contractions) {
    for (; next < streaming.size() && streaming[next].position <= first; ++next)
      emit(streaming[next], !noStreamDram[next]);
    // Every layer of a fused group maps to the group's step.
    int g = fusion ? fusion->groupOf[first] : -1;
    unsigned last = g < 0 ? first : fusion->groups[g].last;
    for (unsigned i = first; i <= last; ++i)
      stepOf[workloads[i].name] = steps.size();
    steps.push_back(std::move(step));
  }
  for (; next < streaming.size(); ++next)
    emit(streaming[next], !noStreamDram[next]);
  for (auto [j, l] : llvm::enumerate(streaming)) {
    auto host = stepOf.find(l.fusedInto);
    if (l.fusion == StreamingFusion::None || host == stepOf.end())
      continue;
    Step extra = getStreamingStep(l, !noStreamDram[j], computeMHz);
    Step &h = steps[host->second];
    h.computeCycles += extra.computeCycles;
    h.onChipPJ += extra.onChipPJ;
    h.dramAccessPJ += extra.dramAccessPJ;
    h.dramBusyBackgroundPJ += extra.dramBusyBackgroundPJ;
    h.dramBusyNs += extra.dramBusyNs;
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
