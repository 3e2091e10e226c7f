//===- ReportData.cpp - the data blob of the HTML report --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Builds the JSON the report's script draws from. Every number is one the
// schedule states or one the schedule library computes from it: the totals
// (Schedule::getTotals()), each layer's DRAM lower bound (its compulsory
// traffic, Workload::getCompulsoryDramBytes(): every touched element read
// or written once, docs/dram-model.md), its
// buffer occupancy (the access counts of its own mapping) and the layer
// matching of `romac inspect --compare`. The script only formats and
// divides; docs/report.md lists the keys.
//
//===----------------------------------------------------------------------===//

#include "romac/Report/HtmlReport.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace romac;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

/// An optional count as JSON: the number, or null when the model did not
/// compute it.
Value optional(const std::optional<int64_t> &v) {
  return v ? Value(*v) : Value(nullptr);
}

/// The access counts of `w` under `m` with the schedule's refinements
/// (double buffering doubles the buffers); std::nullopt when the workload
/// or mapping does not verify (a hand-edited file can still load).
std::optional<AccessCounts> accessCounts(const Workload &w, const Mapping &m,
                                         const Schedule &s) {
  AccessCountOptions options;
  options.doubleBuffering = s.search.refinements == "double-buffering";
  llvm::Expected<AccessCounts> counts =
      computeAccessCountsChecked(w, m, options);
  if (!counts) {
    llvm::consumeError(counts.takeError());
    return std::nullopt;
  }
  return std::move(*counts);
}

/// Per tensor dim of operand `o`: the size of the first tile's box (the
/// range its index expression spans over one tile, clipped to the tensor),
/// the number of tile positions along it (the tile counts of its loop dims
/// multiplied) and the step between positions of its first multi-tile term.
Object tileBoxes(const LayerSchedule &l, unsigned o) {
  const Workload &w = l.workload;
  const Operand &op = w.operands[o];
  Array box, positions, step;
  for (auto [t, expr] : llvm::enumerate(op.projection)) {
    int64_t span = 1, count = 1, stride = 0;
    for (const AffineTerm &term : expr.terms) {
      int64_t tile = l.mapping.tileSizes[term.dim];
      span += std::llabs(term.coeff) * (tile - 1);
      int64_t tiles = l.loops[term.dim].count;
      count *= tiles;
      if (tiles > 1 && stride == 0)
        stride = std::llabs(term.coeff) * l.loops[term.dim].step;
    }
    box.push_back(std::min(span, op.extent[t]));
    positions.push_back(count);
    step.push_back(stride);
  }
  return Object{{"box", std::move(box)},
                {"positions", std::move(positions)},
                {"step", std::move(step)}};
}

/// The tiling of a layer: its loop dims, DRAM-level tiles, order and the
/// dims unrolled on the array, and per operand its tensor and tile boxes.
Object tilingData(const LayerSchedule &l, const Schedule &s,
                  const std::optional<AccessCounts> &counts) {
  const Workload &w = l.workload;
  Array dims, order, operands;
  for (auto [d, dim] : llvm::enumerate(w.dims))
    dims.push_back(Object{
        {"name", dim.name},
        {"bound", dim.bound},
        {"kind", dim.kind == LoopKind::Reduction ? "reduction" : "parallel"},
        {"tile", l.mapping.tileSizes[d]},
        {"count", l.loops[d].count}});
  for (unsigned d : l.mapping.order)
    order.push_back(w.dims[d].name);
  for (auto [o, op] : llvm::enumerate(w.operands)) {
    OperandClass cls = classifyOperand(w, o);
    Array projection, extent;
    for (unsigned t = 0; t < op.projection.size(); ++t)
      projection.push_back(w.projectionString(o, t));
    for (int64_t e : op.extent)
      extent.push_back(e);
    Object entry{
        {"name", op.name},
        {"tensor", op.tensor},
        {"class", stringifyOperandClass(cls)},
        {"buffer", s.target.getMemory(cls).name},
        {"role", stringifyOperandRole(op.role)},
        {"bytes_per_element", op.bytesPerElement},
        {"projection", std::move(projection)},
        {"extent", std::move(extent)},
        {"footprint_bytes", counts ? Value(counts->operands[o].tileBytes)
                                   : Value(l.cost.operands[o].tileBytes)}};
    Object boxes = tileBoxes(l, o);
    for (auto &kv : boxes)
      entry[kv.first] = std::move(kv.second);
    operands.push_back(std::move(entry));
  }
  auto dimName = [&](const std::optional<unsigned> &d) -> Value {
    return d ? Value(w.dims[*d].name) : Value(nullptr);
  };
  return Object{{"dims", std::move(dims)},
                {"order", std::move(order)},
                {"unroll", Object{{"rows", dimName(l.spatial.rowDim)},
                                  {"cols", dimName(l.spatial.colDim)}}},
                {"operands", std::move(operands)}};
}

/// The DRAM side of a layer: traffic per operand class, its compulsory
/// traffic (`lower_bound_bytes`, Workload::getCompulsoryDramBytes()), the
/// row-buffer counts.
Object dramData(const LayerSchedule &l, const Schedule &s) {
  const Workload &w = l.workload;
  std::array<int64_t, kNumOperandClasses> read = {0, 0, 0}, write = {0, 0, 0};
  for (auto [o, c] : llvm::enumerate(l.cost.operands)) {
    unsigned cls = static_cast<unsigned>(classifyOperand(w, o));
    read[cls] += c.dramReadBytes;
    write[cls] += c.dramWriteBytes;
  }
  Object readObj, writeObj;
  for (unsigned c = 0; c < kNumOperandClasses; ++c) {
    llvm::StringRef name = stringifyOperandClass(static_cast<OperandClass>(c));
    readObj[name] = read[c];
    writeObj[name] = write[c];
  }
  Object breakdown;
  for (const auto &[name, pj] : l.cost.dram.energyBreakdownPJ)
    breakdown[name] = pj;
  std::optional<int64_t> activates;
  if (l.dram)
    activates = l.dram->activates;
  else if (l.cost.dram.rowMisses && l.cost.dram.rowConflicts)
    activates = *l.cost.dram.rowMisses + *l.cost.dram.rowConflicts;
  return Object{{"model", l.cost.dramModel},
                {"read_bytes", std::move(readObj)},
                {"write_bytes", std::move(writeObj)},
                {"bytes", l.cost.getDramBytes()},
                {"lower_bound_bytes", w.getCompulsoryDramBytes()},
                {"cycles", l.cost.dramCycles},
                {"bursts", optional(l.cost.dram.bursts)},
                {"row_hits", optional(l.cost.dram.rowHits)},
                {"row_misses", optional(l.cost.dram.rowMisses)},
                {"row_conflicts", optional(l.cost.dram.rowConflicts)},
                {"activates", optional(activates)},
                {"energy_pj", std::move(breakdown)},
                {"address_mapping",
                 l.dram ? Value(l.dram->addressMapping) : Value(nullptr)},
                {"relayout_energy_pj",
                 l.dram ? Value(l.dram->getRelayoutEnergyPJ()) : Value(0.0)}};
}

/// One layer: what it is, its costs, DRAM side, buffer occupancy, tiling.
Object layerData(const LayerSchedule &l, const Schedule &s, int group) {
  const Workload &w = l.workload;
  std::optional<AccessCounts> counts = accessCounts(w, l.mapping, s);
  // Bytes each buffer holds for this layer: the tiles of the operands it
  // holds (twice with double buffering), from the access counts; the file's
  // footprints when the mapping does not verify.
  std::vector<int64_t> used(s.target.memories.size(), 0);
  for (unsigned o = 0; o < w.operands.size(); ++o)
    used[s.target.memoryOf[static_cast<unsigned>(classifyOperand(w, o))]] +=
        counts ? counts->operands[o].bufferBytes : l.cost.operands[o].tileBytes;
  Array buffers;
  for (int64_t b : used)
    buffers.push_back(b);
  return Object{{"name", w.name},
                {"op", stringifyOpKind(w.op)},
                {"fused_group", group >= 0 ? Value(group) : Value(nullptr)},
                {"reuse", l.reuse},
                {"macs", l.cost.macs},
                {"energy_pj", Object{{"mac", l.cost.macEnergyPJ},
                                     {"sram", l.cost.sramEnergyPJ},
                                     {"dram", l.cost.dramEnergyPJ},
                                     {"total", l.cost.totalEnergyPJ}}},
                {"cycles", l.cost.cycles},
                {"compute_cycles", l.cost.computeCycles},
                {"utilization", l.cost.utilization},
                {"dram", dramData(l, s)},
                {"buffer_bytes", std::move(buffers)},
                {"tiling", tilingData(l, s, counts)}};
}

Object targetData(const CostTarget &t) {
  Array memories;
  for (const CostMemory &m : t.memories) {
    Array holds;
    for (unsigned c = 0; c < kNumOperandClasses; ++c)
      if (m.holds(static_cast<OperandClass>(c)))
        holds.push_back(stringifyOperandClass(static_cast<OperandClass>(c)));
    memories.push_back(Object{{"name", m.name},
                              {"bytes", m.capacityBytes},
                              {"holds", std::move(holds)}});
  }
  return Object{{"name", t.name},
                {"description", t.description},
                {"rows", t.rows},
                {"cols", t.cols},
                {"frequency_mhz", t.frequencyMHz},
                {"dram_standard", t.dramStandard},
                {"memories", std::move(memories)}};
}

Object totalsData(const Schedule &s, const ScheduleTotals &t,
                  int64_t lowerBound) {
  Object breakdown;
  for (const auto &[name, pj] : t.dramEnergyBreakdownPJ)
    breakdown[name] = pj;
  return Object{{"layers", static_cast<int64_t>(s.layers.size())},
                {"streaming_layers", t.streamingLayers},
                {"streaming_ops", t.streamingOps},
                {"streaming_dram_energy_pj", t.streamingDramEnergyPJ},
                {"macs", t.macs},
                {"energy_pj", Object{{"mac", t.macEnergyPJ},
                                     {"sram", t.sramEnergyPJ},
                                     {"dram", t.dramEnergyPJ},
                                     {"total", t.totalEnergyPJ}}},
                {"dram_energy_pj", std::move(breakdown)},
                {"cycles", t.cycles},
                {"compute_cycles", t.computeCycles},
                {"dram_cycles", t.dramCycles},
                {"latency_ms", t.cycles / (s.target.frequencyMHz * 1e3)},
                {"dram_read_bytes", t.dramReadBytes},
                {"dram_write_bytes", t.dramWriteBytes},
                {"dram_lower_bound_bytes", lowerBound},
                {"bursts", optional(t.bursts)},
                {"row_hits", optional(t.rowHits)},
                {"row_misses", optional(t.rowMisses)},
                {"row_conflicts", optional(t.rowConflicts)},
                {"activates", optional(t.activates)},
                {"relayouts", t.relayouts},
                {"relayout_energy_pj", t.relayoutEnergyPJ}};
}

/// The fused groups and the network's DRAM energy with them; also the total
/// energy with the fused DRAM energy in place of the unfused one.
Object fusionData(const Schedule &s, const ScheduleFusion &f,
                  const ScheduleTotals &t) {
  Array groups;
  for (const ScheduleGroup &g : f.groups)
    groups.push_back(
        Object{{"first", static_cast<int64_t>(g.first)},
               {"last", static_cast<int64_t>(g.last)},
               {"band_rows", g.bandRows},
               {"bands", g.bands},
               {"weights", stringifyGroupWeights(g.weightsResident)},
               {"layout", stringifyGroupLayout(g.rowsOutermost)},
               {"input_read_bytes", g.inputReadBytes},
               {"weight_read_bytes", g.weightReadBytes},
               {"output_write_bytes", g.outputWriteBytes},
               {"saved_bytes", g.savedBytes},
               {"peak_activation_bytes", g.peakActivationBytes},
               {"weight_buffer_bytes", g.weightBufferBytes},
               {"dram_energy_pj", g.dramEnergyPJ},
               {"dram_cycles", g.dramCycles},
               {"bursts", g.bursts},
               {"row_hits", g.rowHits}});
  // The whole network's DRAM as it runs fused: the groups', the streaming
  // layers' and the fused attentions' (Schedule::getFusedDram()).
  auto [dramEnergy, dramCycles] = s.getFusedDram();
  return Object{
      {"dram_energy_pj", dramEnergy},
      {"dram_cycles", dramCycles},
      {"total_energy_pj", t.totalEnergyPJ - t.dramEnergyPJ + dramEnergy},
      {"attentions", static_cast<int64_t>(s.attention.size())},
      {"groups", std::move(groups)}};
}

/// A whole schedule.
Object scheduleData(const ReportInput &in) {
  const Schedule &s = *in.schedule;
  ScheduleTotals t = s.getTotals();
  std::vector<int> groups = s.getFusedGroupOfLayers();
  Array layers;
  for (auto [i, l] : llvm::enumerate(s.layers))
    layers.push_back(layerData(l, s, groups[i]));
  // The streaming layers' traffic is part of the totals and of the bound
  // (ScheduleTotals::dramLowerBoundBytes).
  int64_t lowerBound = t.dramLowerBoundBytes;
  Array streaming;
  for (const StreamingLayerSchedule &l : s.streaming)
    streaming.push_back(
        Object{{"name", l.name},
               {"op", stringifyOpKind(l.op)},
               {"fusion", stringifyStreamingFusion(l.fusion)},
               {"fused_into", l.fusedInto},
               {"elements", l.traffic.elements},
               {"ops", l.traffic.ops},
               {"dram_read_bytes", l.cost.dramReadBytes},
               {"dram_write_bytes", l.cost.dramWriteBytes},
               {"energy_pj", Object{{"ops", l.cost.macEnergyPJ},
                                    {"sram", l.cost.sramEnergyPJ},
                                    {"dram", l.cost.dramEnergyPJ},
                                    {"total", l.cost.totalEnergyPJ}}},
               {"cycles", l.cost.cycles}});
  Object out{{"label", in.label},
             {"model", s.model},
             {"target", targetData(s.target)},
             {"search", Object{{"objective", s.search.objective},
                               {"policy", s.search.policy},
                               {"refinements", s.search.refinements},
                               {"dram_objective", s.search.dramObjective}}},
             {"totals", totalsData(s, t, lowerBound)},
             {"layers", std::move(layers)},
             {"streaming", std::move(streaming)}};
  if (s.fusion)
    out["fusion"] = fusionData(s, *s.fusion, t);
  return out;
}

/// Sums over the matched layers of one side (the totals line of
/// printScheduleComparison()).
struct MatchedSums {
  double energyPJ = 0, dramEnergyPJ = 0, cycles = 0;
  int64_t dramBytes = 0;

  void add(const LayerSchedule &l) {
    energyPJ += l.cost.totalEnergyPJ;
    dramEnergyPJ += l.cost.dramEnergyPJ;
    cycles += l.cost.cycles;
    dramBytes += l.cost.getDramBytes();
  }
  Object toJSON() const {
    return Object{{"energy_pj", energyPJ},
                  {"dram_energy_pj", dramEnergyPJ},
                  {"cycles", cycles},
                  {"dram_bytes", dramBytes}};
  }
};

/// The comparison: per base layer the index of its match in `other` (null
/// when it has none; matchScheduleLayers()), the layers only `other` has and
/// the sums over the matched layers of both.
Object comparisonData(const Schedule &base, const Schedule &other) {
  std::vector<std::optional<size_t>> matches = matchScheduleLayers(base, other);
  std::vector<bool> used(other.layers.size(), false);
  Array match, onlyOther;
  MatchedSums sumBase, sumOther;
  for (auto [i, m] : llvm::enumerate(matches)) {
    match.push_back(m ? Value(static_cast<int64_t>(*m)) : Value(nullptr));
    if (!m)
      continue;
    used[*m] = true;
    sumBase.add(base.layers[i]);
    sumOther.add(other.layers[*m]);
  }
  for (auto [j, u] : llvm::enumerate(used))
    if (!u)
      onlyOther.push_back(static_cast<int64_t>(j));
  return Object{{"match", std::move(match)},
                {"only_other", std::move(onlyOther)},
                {"matched", Object{{"base", sumBase.toJSON()},
                                   {"other", sumOther.toJSON()}}}};
}

} // namespace

Value romac::buildReportData(const ReportInput &base, const ReportInput *other,
                             const Value *plan) {
  Object data{
      {"format", "romac-report"}, {"version", 1}, {"base", scheduleData(base)}};
  if (other) {
    data["other"] = scheduleData(*other);
    data["comparison"] = comparisonData(*base.schedule, *other->schedule);
  }
  if (plan)
    data["plan"] = *plan;
  return data;
}

llvm::Error romac::checkPlanData(const Value &plan, llvm::StringRef fileName) {
  auto bad = [&](const llvm::Twine &why) {
    return makeStringError(fileName + ": error: not a romac plan: " + why);
  };
  const Object *root = plan.getAsObject();
  if (!root)
    return bad("expected a JSON object");
  if (root->getString("format") != llvm::StringRef("romac-plan"))
    return bad("\"format\" is not \"romac-plan\"");
  if (root->getInteger("version") != 1)
    return bad("\"version\" is not 1");
  if (!root->getObject("parameters"))
    return bad("no \"parameters\" object");
  const llvm::json::Array *levers = root->getArray("levers");
  if (!levers || levers->empty())
    return bad("no \"levers\" rows");
  for (auto [i, value] : llvm::enumerate(*levers)) {
    std::string where = "levers[" + std::to_string(i) + "]";
    const Object *row = value.getAsObject();
    if (!row || !row->getString("lever") || !row->getBoolean("modelled"))
      return bad(where + " has no \"lever\" and \"modelled\"");
    if (!*row->getBoolean("modelled"))
      continue;
    const Object *figures = row->getObject("per_video_frame");
    if (!figures)
      return bad(where + " is modelled but has no \"per_video_frame\"");
    for (llvm::StringRef key : {"energy_mj", "time_ms", "fps", "fps_per_w"}) {
      std::optional<double> v = figures->getNumber(key);
      if (!v || !std::isfinite(*v) || *v < 0)
        return bad(where + ".per_video_frame." + key + " is not a number >= 0");
    }
  }
  return llvm::Error::success();
}
