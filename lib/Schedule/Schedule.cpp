//===- Schedule.cpp - the schedule model ------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Building a schedule from search results, its totals and its fused
// groups.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/STLExtras.h"

#include <cassert>

using namespace romac;
using llvm::ArrayRef;
using llvm::StringRef;

double LayerDramInfo::getRelayoutEnergyPJ() const {
  double sum = 0;
  for (const Relayout &r : relayouts)
    sum += r.energyPJ;
  return sum;
}

ScheduleTotals Schedule::getTotals() const {
  ScheduleTotals t;
  bool any = !layers.empty() || !streaming.empty();
  bool allStats = any, allInfo = any, allParts = any;
  // What every layer, contraction or streaming, adds.
  auto add = [&](const CostBreakdown &c, bool hasActivates) {
    t.dramReadBytes += c.dramReadBytes;
    t.dramWriteBytes += c.dramWriteBytes;
    t.macEnergyPJ += c.macEnergyPJ;
    t.sramEnergyPJ += c.sramEnergyPJ;
    t.dramEnergyPJ += c.dramEnergyPJ;
    t.totalEnergyPJ += c.totalEnergyPJ;
    t.computeCycles += c.computeCycles;
    t.cycles += c.cycles;
    t.dramCycles += c.dramCycles;
    const DramEstimate &d = c.dram;
    allStats &= d.bursts && d.rowHits && d.rowMisses && d.rowConflicts;
    allInfo &= hasActivates;
    // The same kinds in the same order in every layer.
    if (!allParts || d.energyBreakdownPJ.empty() ||
        (!t.dramEnergyBreakdownPJ.empty() &&
         t.dramEnergyBreakdownPJ.size() != d.energyBreakdownPJ.size())) {
      allParts = false;
      return;
    }
    if (t.dramEnergyBreakdownPJ.empty())
      for (const auto &[name, pj] : d.energyBreakdownPJ)
        t.dramEnergyBreakdownPJ.push_back({name, 0});
    for (auto [sum, part] :
         llvm::zip_equal(t.dramEnergyBreakdownPJ, d.energyBreakdownPJ)) {
      allParts &= sum.first == part.first;
      sum.second += part.second;
    }
  };
  for (const LayerSchedule &l : layers) {
    add(l.cost, l.dram.has_value());
    t.macs += l.cost.macs;
    t.dramLowerBoundBytes += l.workload.getCompulsoryDramBytes();
    if (l.dram) {
      t.relayouts += static_cast<int64_t>(l.dram->relayouts.size());
      t.relayoutEnergyPJ += l.dram->getRelayoutEnergyPJ();
    }
  }
  for (const StreamingLayerSchedule &l : streaming) {
    add(l.cost, l.activates.has_value());
    ++t.streamingLayers;
    t.fusedStreamingLayers += l.fusion != StreamingFusion::None;
    t.streamingOps += l.traffic.ops;
    t.streamingDramEnergyPJ += l.cost.dramEnergyPJ;
    t.streamingDramCycles += l.cost.dramCycles;
    // A streaming layer has no other choice: its traffic is its bound.
    t.dramLowerBoundBytes += l.cost.getDramBytes();
  }
  if (!allParts)
    t.dramEnergyBreakdownPJ.clear();
  if (allStats) {
    t.bursts = t.rowHits = t.rowMisses = t.rowConflicts = 0;
    auto addCounts = [&](const DramEstimate &d) {
      *t.bursts += *d.bursts;
      *t.rowHits += *d.rowHits;
      *t.rowMisses += *d.rowMisses;
      *t.rowConflicts += *d.rowConflicts;
    };
    for (const LayerSchedule &l : layers)
      addCounts(l.cost.dram);
    for (const StreamingLayerSchedule &l : streaming)
      addCounts(l.cost.dram);
  }
  if (allInfo) {
    t.activates = 0;
    for (const LayerSchedule &l : layers)
      *t.activates += l.dram->activates;
    for (const StreamingLayerSchedule &l : streaming)
      *t.activates += *l.activates;
  }
  return t;
}

std::pair<double, double> Schedule::getFusedDram() const {
  assert(fusion && "a fused schedule");
  double energy = fusion->dramEnergyPJ, cycles = fusion->dramCycles;
  for (const StreamingLayerSchedule &l : streaming) {
    energy += l.cost.dramEnergyPJ;
    cycles += l.cost.dramCycles;
  }
  for (const AttentionGroup &g : attention) {
    energy -= g.unfusedDramEnergyPJ - g.dramEnergyPJ;
    cycles -= g.unfusedDramCycles - g.dramCycles;
  }
  return {energy, cycles};
}

Schedule romac::makeSchedule(StringRef model, const CostTarget &target,
                             ArrayRef<Workload> workloads,
                             ArrayRef<LayerResult> results,
                             const SearchOptions &options) {
  assert(workloads.size() == results.size() && "one result per workload");
  Schedule s;
  s.model = model.str();
  s.target = target;
  s.search.objective = stringifyObjective(options.objective).str();
  s.search.policy = stringifyReusePolicy(options.policy).str();
  s.search.refinements = options.cost.str();
  for (auto [w, r] : llvm::zip_equal(workloads, results)) {
    LayerSchedule &l = s.layers.emplace_back();
    l.workload = w;
    l.mapping = r.mapping;
    l.loops = getTileLoops(w, r.mapping);
    l.spatial = r.spatial;
    l.reuse = r.reuse;
    l.cost = r.cost;
  }
  return s;
}

Schedule romac::makeSchedule(StringRef model, const CostTarget &target,
                             ArrayRef<Workload> workloads,
                             const DramSearchResult &result,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  assert(workloads.size() == result.layers.size() && "one result per workload");
  std::vector<LayerResult> plain;
  for (const DramLayerResult &r : result.layers)
    plain.push_back(r.layer);
  Schedule s = makeSchedule(model, target, workloads, plain, options);
  s.search.dramObjective = stringifyDramObjective(dramOptions.objective).str();
  for (auto [l, r] : llvm::zip_equal(s.layers, result.layers)) {
    LayerDramInfo &info = l.dram.emplace();
    info.addressMapping = r.addressMapping;
    info.layout = r.layout;
    info.activates = static_cast<int64_t>(r.stats.activates);
    info.relayouts = r.relayouts;
    l.cost.dramEnergyPJ += r.getRelayoutEnergyPJ();
    l.cost.totalEnergyPJ += r.getRelayoutEnergyPJ();
    l.cost.cycles += r.getRelayoutCycles();
  }
  return s;
}

ScheduleFusion romac::makeScheduleFusion(const FusionResult &result,
                                         const DramParams &dram,
                                         double computeMHz) {
  ScheduleFusion f;
  for (const FusedGroup &fg : result.groups) {
    ScheduleGroup &g = f.groups.emplace_back();
    g.first = fg.first;
    g.last = fg.last;
    g.bandRows = fg.schedule.bandRows;
    g.bands = fg.counts.bands;
    g.weightsResident = fg.schedule.weightsResident;
    g.rowsOutermost = fg.rowsOutermost;
    g.producerInput = fg.producerInput;
    g.inputReadBytes = fg.counts.inputReadBytes;
    g.weightReadBytes = fg.counts.weightReadBytes;
    g.outputWriteBytes = fg.counts.outputWriteBytes;
    g.savedBytes = fg.counts.savedBytes;
    g.peakActivationBytes = fg.counts.peakActivationBytes;
    g.weightBufferBytes = fg.counts.weightBufferBytes;
    g.bursts = static_cast<int64_t>(fg.stats.bursts);
    g.rowHits = static_cast<int64_t>(fg.stats.rowHits);
    g.rowMisses = static_cast<int64_t>(fg.stats.rowMisses);
    g.rowConflicts = static_cast<int64_t>(fg.stats.rowConflicts);
    g.activates = static_cast<int64_t>(fg.stats.activates);
    g.dramEnergyPJ = fg.getEnergyPJ();
    // Re-layout cycles are compute cycles already; the group's own are tCK.
    g.dramCycles = dramToComputeCycles(static_cast<double>(fg.stats.cycles),
                                       dram, computeMHz);
    for (const Relayout &r : fg.relayouts) {
      g.relayoutEnergyPJ += r.energyPJ;
      g.dramCycles += r.cycles;
    }
  }
  f.dramEnergyPJ = result.energyPJ;
  f.dramCycles = dramToComputeCycles(result.dramCycles, dram, computeMHz);
  return f;
}

StringRef romac::stringifyGroupWeights(bool weightsResident) {
  return weightsResident ? "resident" : "streamed";
}

StringRef romac::stringifyGroupLayout(bool rowsOutermost) {
  return rowsOutermost ? "rows-outermost" : "row-major";
}

std::vector<int> Schedule::getFusedGroupOfLayers() const {
  std::vector<int> groupOf(layers.size(), -1);
  if (fusion)
    for (auto [g, group] : llvm::enumerate(fusion->groups))
      for (size_t i = group.first; i <= group.last && i < groupOf.size(); ++i)
        groupOf[i] = static_cast<int>(g);
  return groupOf;
}
