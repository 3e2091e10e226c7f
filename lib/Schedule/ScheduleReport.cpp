//===- ScheduleReport.cpp - a schedule's text reports -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The `romac compile` table and the `romac inspect --compare` comparison:
// fixed-width columns, energies in uJ, bytes in binary units.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/ScheduleReport.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace romac;
using llvm::StringRef;

namespace {

/// 1536 -> "1.5 KiB".
std::string formatBytes(int64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0)
    return std::to_string(bytes) + " B";
  return llvm::formatv("{0:f1} {1}", v, units[u]).str();
}

/// pJ -> "0.0123" (mJ).
std::string formatMilliJoules(double pj) {
  return llvm::formatv("{0:f4}", pj * 1e-9).str();
}

/// Compute cycles -> "1.234" (ms at the target's clock).
std::string formatMilliseconds(double cycles, const CostTarget &target) {
  if (target.frequencyMHz <= 0)
    return "-";
  return llvm::formatv("{0:f3}", cycles / (target.frequencyMHz * 1e3)).str();
}

/// part / whole -> "12.3%".
std::string formatShare(double part, double whole) {
  if (whole <= 0)
    return "-";
  return llvm::formatv("{0:f1}%", 100 * part / whole).str();
}

std::string formatCycles(double cycles) {
  return std::to_string(static_cast<int64_t>(std::llround(cycles)));
}

std::string formatRatio(double other, double base) {
  if (base == 0)
    return other == 0 ? "1.000" : "inf";
  return llvm::formatv("{0:f3}", other / base).str();
}

/// `s` padded with spaces to `width`.
std::string padRight(std::string s, size_t width) {
  if (s.size() < width)
    s.append(width - s.size(), ' ');
  return s;
}

/// Keeps the end of long names: "...resnets.0.conv1".
std::string fit(StringRef s, size_t width) {
  if (s.size() <= width)
    return s.str();
  return "..." + s.take_back(width - 3).str();
}

/// Shortens long layer names in the middle, keeping a quarter of the width
/// from the start (which part of the network) and the rest from the end
/// (which block and op): "/decoder...ks.3/resnets.0/conv_shortcut/Conv".
std::string fitName(StringRef s, size_t width) {
  if (s.size() <= width)
    return s.str();
  size_t head = (width - 3) / 4;
  return s.take_front(head).str() + "..." + s.take_back(width - 3 - head).str();
}

std::string dimsString(const Workload &w) {
  std::string out;
  for (const LoopDim &d : w.dims)
    if (d.bound > 1)
      out += (out.empty() ? "" : " ") + d.name + std::to_string(d.bound);
  return out.empty() ? "-" : out;
}

std::string tilesString(const LayerSchedule &l) {
  std::string out;
  for (auto [d, dim] : llvm::enumerate(l.workload.dims))
    if (l.mapping.tileSizes[d] < dim.bound)
      out += (out.empty() ? "" : " ") + dim.name +
             std::to_string(l.mapping.tileSizes[d]);
  return out.empty() ? "untiled" : out;
}

std::string orderString(const LayerSchedule &l) {
  std::string out;
  for (unsigned d : l.mapping.order)
    if (l.loops[d].count > 1)
      out += (out.empty() ? "" : ",") + l.workload.dims[d].name;
  return out.empty() ? "-" : out;
}

/// "weight-stationary" -> "WS", "input+output-stationary" -> "I+O".
std::string reuseString(StringRef reuse) {
  if (!reuse.consume_back("-stationary"))
    return reuse.str();
  llvm::SmallVector<StringRef, 3> parts;
  reuse.split(parts, '+');
  if (parts.size() == 1)
    return std::string(1, static_cast<char>(std::toupper(parts[0][0]))) + "S";
  std::string out;
  for (StringRef p : parts)
    out += (out.empty() ? "" : "+") +
           std::string(1, static_cast<char>(std::toupper(p[0])));
  return out;
}

std::string spatialString(const LayerSchedule &l) {
  auto name = [&](const std::optional<unsigned> &d) -> std::string {
    return d ? l.workload.dims[*d].name : "-";
  };
  return name(l.spatial.rowDim) + "|" + name(l.spatial.colDim);
}

/// DRAM bytes (read + written) per operand class.
std::array<int64_t, kNumOperandClasses> dramByClass(const LayerSchedule &l) {
  std::array<int64_t, kNumOperandClasses> bytes = {0, 0, 0};
  for (auto [o, c] : llvm::enumerate(l.cost.operands))
    bytes[static_cast<unsigned>(classifyOperand(l.workload, o))] +=
        c.dramReadBytes + c.dramWriteBytes;
  return bytes;
}

/// Whether some layer has row-buffer statistics.
bool hasRowStats(const Schedule &s) {
  return llvm::any_of(s.layers,
                      [](const LayerSchedule &l) {
                        return l.cost.dram.bursts.has_value();
                      }) ||
         llvm::any_of(s.streaming, [](const StreamingLayerSchedule &l) {
           return l.cost.dram.bursts.has_value();
         });
}

/// "97.5" (percent), or "-" when unknown.
std::string hitRate(std::optional<int64_t> hits,
                    std::optional<int64_t> bursts) {
  if (!hits || !bursts)
    return "-";
  if (*bursts == 0)
    return "0.0";
  return llvm::formatv("{0:f1}", 100.0 * static_cast<double>(*hits) /
                                     static_cast<double>(*bursts))
      .str();
}

/// Row activations of a layer, or "-" when unknown.
std::string activations(const LayerSchedule &l) {
  if (l.dram)
    return std::to_string(l.dram->activates);
  if (l.cost.dram.rowMisses && l.cost.dram.rowConflicts)
    return std::to_string(*l.cost.dram.rowMisses + *l.cost.dram.rowConflicts);
  return "-";
}

/// "total (8 layers)", "total (8 layers + 12 streaming)".
std::string totalLabel(const Schedule &s) {
  std::string label = "total (" + std::to_string(s.layers.size()) + " layers";
  if (!s.streaming.empty())
    label += " + " + std::to_string(s.streaming.size()) + " streaming";
  return label + ")";
}

size_t nameWidth(const Schedule &s) {
  // Wide enough for "total (N layers)" and "total (matched)".
  size_t width = 7 + std::to_string(s.layers.size()).size() + 8;
  if (!s.streaming.empty())
    width = std::max(width, totalLabel(s).size());
  for (const LayerSchedule &l : s.layers)
    width = std::max(width, l.workload.name.size());
  for (const StreamingLayerSchedule &l : s.streaming)
    width = std::max(width, l.name.size());
  return std::min<size_t>(width, 44);
}

/// A row of the table: contraction layer `index` or streaming layer
/// `index`.
struct RowRef {
  bool streaming = false;
  size_t index = 0;
};

const CostBreakdown &rowCost(const Schedule &s, RowRef r) {
  return r.streaming ? s.streaming[r.index].cost : s.layers[r.index].cost;
}
StringRef rowName(const Schedule &s, RowRef r) {
  return r.streaming ? StringRef(s.streaming[r.index].name)
                     : StringRef(s.layers[r.index].workload.name);
}

/// Every layer, contractions and streaming layers, in the order of `by`:
/// largest first, ties (and ScheduleSort::Order) in the network's order.
std::vector<RowRef> sortLayers(const Schedule &s, ScheduleSort by) {
  std::vector<RowRef> order;
  size_t next = 0;
  for (size_t i = 0; i <= s.layers.size(); ++i) {
    for (; next < s.streaming.size() && s.streaming[next].position <= i; ++next)
      order.push_back({true, next});
    if (i < s.layers.size())
      order.push_back({false, i});
  }
  for (; next < s.streaming.size(); ++next)
    order.push_back({true, next});
  auto key = [&](RowRef r) -> double {
    const CostBreakdown &c = rowCost(s, r);
    switch (by) {
    case ScheduleSort::Order:
      return 0;
    case ScheduleSort::Energy:
      return c.totalEnergyPJ;
    case ScheduleSort::Latency:
      return c.cycles;
    case ScheduleSort::Dram:
      return static_cast<double>(c.getDramBytes());
    }
    return 0;
  };
  llvm::stable_sort(order, [&](RowRef a, RowRef b) { return key(a) > key(b); });
  return order;
}

/// The summary after the totals: energy and latency, the MAC / SRAM /
/// DRAM split, the traffic, and the `options.top` layers by energy.
void printSummary(llvm::raw_ostream &os, const Schedule &s,
                  const ScheduleTotals &t,
                  const ScheduleTableOptions &options) {
  os << llvm::formatv(
      "summary: {0} mJ, {1} ms at {2:f0} MHz; compute {3} mJ ({4}), SRAM {5} "
      "mJ "
      "({6}), DRAM {7} mJ ({8}); DRAM traffic {9} read, {10} written, lower "
      "bound {11} (compulsory traffic, xLB = traffic / it)\n",
      formatMilliJoules(t.totalEnergyPJ),
      formatMilliseconds(t.cycles, s.target), s.target.frequencyMHz,
      formatMilliJoules(t.macEnergyPJ),
      formatShare(t.macEnergyPJ, t.totalEnergyPJ),
      formatMilliJoules(t.sramEnergyPJ),
      formatShare(t.sramEnergyPJ, t.totalEnergyPJ),
      formatMilliJoules(t.dramEnergyPJ),
      formatShare(t.dramEnergyPJ, t.totalEnergyPJ),
      formatBytes(t.dramReadBytes), formatBytes(t.dramWriteBytes),
      formatBytes(t.dramLowerBoundBytes));
  if (t.streamingLayers > 0) {
    double energy = 0, cycles = 0;
    for (const StreamingLayerSchedule &l : s.streaming) {
      energy += l.cost.totalEnergyPJ;
      cycles += l.cost.cycles;
    }
    os << llvm::formatv(
        "streaming layers: {0} ({1} fused into another layer's tiles), {2} "
        "mJ ({3}), {4} ms; their DRAM {5} mJ\n",
        t.streamingLayers, t.fusedStreamingLayers, formatMilliJoules(energy),
        formatShare(energy, t.totalEnergyPJ),
        formatMilliseconds(cycles, s.target),
        formatMilliJoules(t.streamingDramEnergyPJ));
  }
  if (options.top == 0 || (s.layers.empty() && s.streaming.empty()))
    return;
  std::vector<RowRef> top = sortLayers(s, ScheduleSort::Energy);
  top.resize(std::min<size_t>(top.size(), options.top));
  double covered = 0;
  for (RowRef r : top)
    covered += rowCost(s, r).totalEnergyPJ;
  os << llvm::formatv("top {0} layers by energy ({1} of it):\n", top.size(),
                      formatShare(covered, t.totalEnergyPJ));
  for (auto [rank, r] : llvm::enumerate(top)) {
    const CostBreakdown &c = rowCost(s, r);
    os << llvm::formatv("  {0,2}. {1} {2,10} mJ {3,6} {4,10} ms\n", rank + 1,
                        padRight(fitName(rowName(s, r), 48), 48),
                        formatMilliJoules(c.totalEnergyPJ),
                        formatShare(c.totalEnergyPJ, t.totalEnergyPJ),
                        formatMilliseconds(c.cycles, s.target));
  }
}

/// The fused groups, one line each, and the network's DRAM energy and
/// cycles with them against the unfused layers (`t`).
void printFusion(llvm::raw_ostream &os, const Schedule &s,
                 const ScheduleFusion &f, const ScheduleTotals &t) {
  auto name = [&](unsigned i) {
    return i < s.layers.size() ? s.layers[i].workload.name
                               : "#" + std::to_string(i);
  };
  for (auto [g, group] : llvm::enumerate(f.groups))
    os << llvm::formatv(
        "fused group {0}: layers {1}..{2} ({3} layers), band {4} rows x {5} "
        "bands, weights {6}, {7}, DRAM {8} mJ, saves {9} of intermediates, "
        "peak on-chip {10} activations + {11} weights\n",
        g, name(group.first), name(group.last),
        group.last >= group.first ? group.last - group.first + 1 : 0,
        group.bandRows, group.bands,
        stringifyGroupWeights(group.weightsResident),
        stringifyGroupLayout(group.rowsOutermost).str() +
            (group.producerInput ? " (input in its producer's layout)" : ""),
        formatMilliJoules(group.dramEnergyPJ), formatBytes(group.savedBytes),
        formatBytes(group.peakActivationBytes),
        formatBytes(group.weightBufferBytes));
  // The unfused DRAM time: the layers' and their re-layouts' (as the fused
  // figure counts them).
  double unfusedCycles = t.dramCycles;
  for (const LayerSchedule &l : s.layers)
    if (l.dram)
      for (const Relayout &r : l.dram->relayouts)
        unfusedCycles += r.cycles;
  if (!s.attention.empty()) {
    double fused = 0, unfused = 0;
    int64_t saved = 0, minRows = INT64_MAX, maxRows = 0;
    for (const AttentionGroup &g : s.attention) {
      fused += g.dramEnergyPJ;
      unfused += g.unfusedDramEnergyPJ;
      saved += g.unfusedDramBytes - g.dramReadBytes - g.dramWriteBytes;
      minRows = std::min(minRows, g.tiles.queryRows);
      maxRows = std::max(maxRows, g.tiles.queryRows);
    }
    os << llvm::formatv(
        "fused attention ({0} group{1}: Q K^T, softmax and . V in tiles of "
        "{2} queries): DRAM {3} mJ, unfused {4} mJ; saves {5} of DRAM "
        "traffic\n",
        s.attention.size(), s.attention.size() == 1 ? "" : "s",
        minRows == maxRows
            ? std::to_string(minRows)
            : std::to_string(minRows) + "-" + std::to_string(maxRows),
        formatMilliJoules(fused), formatMilliJoules(unfused),
        formatBytes(saved));
  }
  // The streaming layers' DRAM traffic is the same either way.
  auto [fusedEnergy, fusedCycles] = s.getFusedDram();
  os << llvm::formatv(
      "fusion ({0} group{1}): DRAM {2} mJ, {3} DRAM cycles; unfused {4} mJ, "
      "{5} DRAM cycles; fused / unfused {6} (energy), {7} (cycles)\n",
      f.groups.size(),
      (f.groups.size() == 1 ? "" : "s") +
          (s.attention.empty()
               ? std::string()
               : " and " + std::to_string(s.attention.size()) + " attention" +
                     (s.attention.size() == 1 ? "" : "s")),
      formatMilliJoules(fusedEnergy), formatCycles(fusedCycles),
      formatMilliJoules(t.dramEnergyPJ), formatCycles(unfusedCycles),
      formatRatio(fusedEnergy, t.dramEnergyPJ),
      formatRatio(fusedCycles, unfusedCycles));
}

} // namespace

std::optional<ScheduleSort> romac::parseScheduleSort(StringRef name) {
  return llvm::StringSwitch<std::optional<ScheduleSort>>(name)
      .Case("order", ScheduleSort::Order)
      .Case("energy", ScheduleSort::Energy)
      .Case("latency", ScheduleSort::Latency)
      .Case("dram", ScheduleSort::Dram)
      .Default(std::nullopt);
}

void romac::printScheduleTable(llvm::raw_ostream &os, const Schedule &s,
                               const ScheduleTableOptions &options) {
  size_t nw = nameWidth(s);
  bool rowStats = hasRowStats(s);
  ScheduleTotals t = s.getTotals();
  // The row-buffer columns (row-hit rate, activations, DRAM energy) of a
  // row, or nothing without row-buffer statistics.
  std::string extra;
  auto row = [&](StringRef name, StringRef op, StringRef dims, StringRef tiles,
                 StringRef order, StringRef reuse, StringRef spatial,
                 StringRef in, StringRef wt, StringRef out, StringRef energy,
                 StringRef share, StringRef ms, StringRef util,
                 StringRef bound) {
    os << llvm::formatv("{0} {1,-14} {2,-26} {3,-22} {4,-12} {5,-5} {6,-7} "
                        "{7,10} {8,10} {9,10} {10,11} {11,6} {12,10} {13,5} "
                        "{14,6}",
                        padRight(fitName(name, nw), nw), fit(op, 14),
                        fit(dims, 26), fit(tiles, 22), fit(order, 12), reuse,
                        spatial, in, wt, out, energy, share, ms, util, bound);
    os << extra << "\n";
  };
  auto dramColumns = [&](StringRef hit, StringRef acts, StringRef dram) {
    extra = rowStats
                ? llvm::formatv(" {0,6} {1,10} {2,11}", hit, acts, dram).str()
                : std::string();
  };
  dramColumns("hit%", "ACTs", "DRAM mJ");
  os << "model '" << s.model << "' on target '" << s.target.name
     << "' (objective " << s.search.objective;
  if (!s.search.dramObjective.empty())
    os << ", DRAM-aware search minimising " << s.search.dramObjective;
  os << ", policy " << s.search.policy << ", refinements "
     << s.search.refinements << ")\n";
  if (!s.target.compression.empty()) {
    // What the compressed weights take in memory (each tensor once).
    int64_t stored = 0, weights = 0;
    for (const LayerSchedule &l : s.layers)
      for (const Operand &op : l.workload.operands)
        if (op.isCompressed()) {
          weights += op.getNumElements();
          stored += op.getStorageBytes(op.getNumElements());
        }
    os << "compression: " << s.target.compression << "; constant weights "
       << s.target.weightFormat;
    if (weights > 0)
      os << llvm::formatv(", {0:f2} bits each, {1} in all",
                          8.0 * static_cast<double>(stored) /
                              static_cast<double>(weights),
                          formatBytes(stored));
    os << "\n";
  }
  row("layer", "op", "dims", "tiles (DRAM->SRAM)", "order", "reuse",
      "rows|cols", "DRAM in", "DRAM wt", "DRAM out", "energy mJ", "share", "ms",
      "util", "xLB");
  for (RowRef r : sortLayers(s, options.sort)) {
    if (r.streaming) {
      const StreamingLayerSchedule &l = s.streaming[r.index];
      dramColumns(hitRate(l.cost.dram.rowHits, l.cost.dram.bursts),
                  l.activates ? std::to_string(*l.activates) : "-",
                  formatMilliJoules(l.cost.dramEnergyPJ));
      row(l.name, stringifyOpKind(l.op),
          std::to_string(l.traffic.elements) + " points",
          l.fusion == StreamingFusion::None ? std::string("streamed")
                                            : "into " + fit(l.fusedInto, 17),
          l.fusion == StreamingFusion::None
              ? StringRef("-")
              : stringifyStreamingFusion(l.fusion),
          "-", "-", formatBytes(l.traffic.dramInputBytes),
          formatBytes(l.traffic.dramWeightBytes),
          formatBytes(l.traffic.dramWriteBytes),
          formatMilliJoules(l.cost.totalEnergyPJ),
          formatShare(l.cost.totalEnergyPJ, t.totalEnergyPJ),
          formatMilliseconds(l.cost.cycles, s.target), "-", "-");
      continue;
    }
    const LayerSchedule &l = s.layers[r.index];
    auto bytes = dramByClass(l);
    dramColumns(hitRate(l.cost.dram.rowHits, l.cost.dram.bursts),
                activations(l), formatMilliJoules(l.cost.dramEnergyPJ));
    row(l.workload.name, stringifyOpKind(l.workload.op), dimsString(l.workload),
        tilesString(l), orderString(l), reuseString(l.reuse), spatialString(l),
        formatBytes(bytes[0]), formatBytes(bytes[1]), formatBytes(bytes[2]),
        formatMilliJoules(l.cost.totalEnergyPJ),
        formatShare(l.cost.totalEnergyPJ, t.totalEnergyPJ),
        formatMilliseconds(l.cost.cycles, s.target),
        llvm::formatv("{0:f0}%", 100 * l.cost.utilization).str(),
        formatRatio(static_cast<double>(l.cost.getDramBytes()),
                    static_cast<double>(l.workload.getCompulsoryDramBytes())));
  }
  std::array<int64_t, kNumOperandClasses> bytes = {0, 0, 0};
  for (const LayerSchedule &l : s.layers) {
    auto b = dramByClass(l);
    for (unsigned c = 0; c < kNumOperandClasses; ++c)
      bytes[c] += b[c];
  }
  for (const StreamingLayerSchedule &l : s.streaming) {
    bytes[0] += l.traffic.dramInputBytes;
    bytes[1] += l.traffic.dramWeightBytes;
    bytes[2] += l.traffic.dramWriteBytes;
  }
  double util = t.computeCycles > 0
                    ? static_cast<double>(t.macs) /
                          (static_cast<double>(t.computeCycles) *
                           static_cast<double>(s.target.rows * s.target.cols))
                    : 0;
  dramColumns(hitRate(t.rowHits, t.bursts),
              t.activates ? std::to_string(*t.activates)
              : t.rowMisses && t.rowConflicts
                  ? std::to_string(*t.rowMisses + *t.rowConflicts)
                  : std::string("-"),
              formatMilliJoules(t.dramEnergyPJ));
  row(totalLabel(s), "", "", "", "", "", "", formatBytes(bytes[0]),
      formatBytes(bytes[1]), formatBytes(bytes[2]),
      formatMilliJoules(t.totalEnergyPJ),
      formatShare(t.totalEnergyPJ, t.totalEnergyPJ),
      formatMilliseconds(t.cycles, s.target),
      llvm::formatv("{0:f0}%", 100 * util).str(),
      formatRatio(static_cast<double>(t.dramReadBytes + t.dramWriteBytes),
                  static_cast<double>(t.dramLowerBoundBytes)));
  printSummary(os, s, t, options);
  if (rowStats) {
    os << llvm::formatv("DRAM (row-buffer model{0}): ",
                        !s.layers.empty() && s.layers.front().dram
                            ? ", mapping " +
                                  s.layers.front().dram->addressMapping
                            : std::string());
    if (t.bursts)
      os << llvm::formatv("{0} bursts, {1} row hits, {2} misses, {3} "
                          "conflicts",
                          *t.bursts, *t.rowHits, *t.rowMisses, *t.rowConflicts);
    for (const auto &[name, pj] : t.dramEnergyBreakdownPJ)
      os << "; " << name << " " << formatMilliJoules(pj) << " mJ";
    if (t.relayouts)
      os << llvm::formatv("; {0} re-layouts {1} mJ", t.relayouts,
                          formatMilliJoules(t.relayoutEnergyPJ));
    os << "\n";
  }
  if (s.fusion)
    printFusion(os, s, *s.fusion, t);
  os << "reuse: IS/WS/OS input/weight/output stationary, I+W etc. several "
        "classes fetched once per tile; rows|cols: dims unrolled on the "
        "MAC array; share: of the total energy";
  if (rowStats)
    os << "; hit%: row-buffer hits / bursts, ACTs: row activations";
  os << "\n";
}

void romac::printStreamingLayerDetail(llvm::raw_ostream &os,
                                      const StreamingLayerSchedule &l) {
  const StreamingTraffic &t = l.traffic;
  const CostBreakdown &c = l.cost;
  os << "streaming layer '" << l.name << "' (" << stringifyOpKind(l.op) << ", "
     << l.mlirOp << ")\n";
  if (l.fusion == StreamingFusion::None)
    os << "  streamed: reads its inputs from DRAM and writes its output\n";
  else
    os << "  fused into '" << l.fusedInto << "' ("
       << stringifyStreamingFusion(l.fusion) << ")\n";
  os << llvm::formatv("  points {0}, ops {1}\n", t.elements, t.ops);
  os << llvm::formatv("  DRAM bytes: input {0}, weight {1}, written {2} ({3} "
                      "model)\n",
                      t.dramInputBytes, t.dramWeightBytes, t.dramWriteBytes,
                      c.dramModel);
  os << llvm::formatv("  SRAM bytes: input read {0}, weight read {1}, output "
                      "written {2}\n",
                      t.sramInputBytes, t.sramWeightBytes, t.sramOutputBytes);
  if (c.dram.bursts)
    os << llvm::formatv("  row buffer: {0} bursts, {1} hits, {2} misses, {3} "
                        "conflicts, {4} activations\n",
                        *c.dram.bursts, *c.dram.rowHits, *c.dram.rowMisses,
                        *c.dram.rowConflicts, l.activates.value_or(0));
  os << llvm::formatv("  energy pJ: ops {0:f0}, SRAM {1:f0}, DRAM {2:f0}, "
                      "total {3:f0}\n",
                      c.macEnergyPJ, c.sramEnergyPJ, c.dramEnergyPJ,
                      c.totalEnergyPJ);
  os << llvm::formatv("  cycles {0:f0} (compute {1}, DRAM {2:f0})\n", c.cycles,
                      c.computeCycles, c.dramCycles);
}

void romac::printStreamingLayersFusedInto(llvm::raw_ostream &os,
                                          const Schedule &s, StringRef name) {
  std::vector<const StreamingLayerSchedule *> fused;
  for (const StreamingLayerSchedule &l : s.streaming)
    if (l.fusion != StreamingFusion::None && l.fusedInto == name)
      fused.push_back(&l);
  if (fused.empty())
    return;
  os << "  streaming layers fused into it: " << fused.size() << "\n";
  for (const StreamingLayerSchedule *l : fused)
    os << llvm::formatv("    {0} ({1}, {2}): {3} mJ\n", l->name,
                        stringifyOpKind(l->op),
                        stringifyStreamingFusion(l->fusion),
                        formatMilliJoules(l->cost.totalEnergyPJ));
}

std::vector<std::optional<size_t>>
romac::matchScheduleLayers(const Schedule &base, const Schedule &other) {
  // A name used several times matches in order.
  llvm::StringMap<llvm::SmallVector<size_t, 1>> byName;
  for (auto [i, l] : llvm::enumerate(other.layers))
    byName[l.workload.name].push_back(i);
  std::vector<bool> used(other.layers.size(), false);
  std::vector<std::optional<size_t>> matches(base.layers.size());
  for (auto [i, l] : llvm::enumerate(base.layers)) {
    auto it = byName.find(l.workload.name);
    if (it == byName.end())
      continue;
    for (size_t j : it->second)
      if (!used[j]) {
        used[j] = true;
        matches[i] = j;
        break;
      }
  }
  return matches;
}

void romac::printScheduleComparison(llvm::raw_ostream &os, const Schedule &base,
                                    const Schedule &other) {
  size_t nw = std::max(nameWidth(base), nameWidth(other));
  bool rowStats = hasRowStats(base) && hasRowStats(other);
  std::string extra;
  auto row = [&](StringRef name, StringRef e1, StringRef e2, StringRef er,
                 StringRef d1, StringRef d2, StringRef dr, StringRef c1,
                 StringRef c2, StringRef cr) {
    os << llvm::formatv("{0} {1,11} {2,11} {3,7} {4,10} {5,10} {6,7} {7,12} "
                        "{8,12} {9,7}",
                        padRight(fitName(name, nw), nw), e1, e2, er, d1, d2, dr,
                        c1, c2, cr);
    os << extra << "\n";
  };
  // DRAM energy of each with the ratio, row-hit rates.
  auto dramColumns = [&](StringRef q1, StringRef q2, StringRef qr, StringRef h1,
                         StringRef h2) {
    extra = rowStats ? llvm::formatv(" {0,11} {1,11} {2,7} {3,6} {4,6}", q1, q2,
                                     qr, h1, h2)
                           .str()
                     : std::string();
  };
  dramColumns("DRAM mJ", "other", "ratio", "hit%", "other");
  os << "base:  '" << base.model << "' on '" << base.target.name << "' ("
     << base.search.objective << ", " << base.search.policy << ")\n";
  os << "other: '" << other.model << "' on '" << other.target.name << "' ("
     << other.search.objective << ", " << other.search.policy << ")\n";
  row("layer", "energy mJ", "other", "ratio", "DRAM", "other", "ratio",
      "cycles", "other", "ratio");
  std::vector<std::optional<size_t>> matches = matchScheduleLayers(base, other);
  std::vector<bool> used(other.layers.size(), false);
  double e1 = 0, e2 = 0, c1 = 0, c2 = 0, q1 = 0, q2 = 0;
  int64_t d1 = 0, d2 = 0, h1 = 0, h2 = 0, b1 = 0, b2 = 0;
  std::vector<std::string> onlyBase;
  for (auto [i, l] : llvm::enumerate(base.layers)) {
    std::optional<size_t> match = matches[i];
    if (!match) {
      onlyBase.push_back(l.workload.name);
      continue;
    }
    used[*match] = true;
    const LayerSchedule &r = other.layers[*match];
    dramColumns(formatMilliJoules(l.cost.dramEnergyPJ),
                formatMilliJoules(r.cost.dramEnergyPJ),
                formatRatio(r.cost.dramEnergyPJ, l.cost.dramEnergyPJ),
                hitRate(l.cost.dram.rowHits, l.cost.dram.bursts),
                hitRate(r.cost.dram.rowHits, r.cost.dram.bursts));
    q1 += l.cost.dramEnergyPJ;
    q2 += r.cost.dramEnergyPJ;
    for (auto [layer, hits, bursts] :
         {std::tuple{&l, &h1, &b1}, std::tuple{&r, &h2, &b2}}) {
      if (layer->cost.dram.rowHits && layer->cost.dram.bursts) {
        *hits += *layer->cost.dram.rowHits;
        *bursts += *layer->cost.dram.bursts;
      }
    }
    row(l.workload.name, formatMilliJoules(l.cost.totalEnergyPJ),
        formatMilliJoules(r.cost.totalEnergyPJ),
        formatRatio(r.cost.totalEnergyPJ, l.cost.totalEnergyPJ),
        formatBytes(l.cost.getDramBytes()), formatBytes(r.cost.getDramBytes()),
        formatRatio(static_cast<double>(r.cost.getDramBytes()),
                    static_cast<double>(l.cost.getDramBytes())),
        formatCycles(l.cost.cycles), formatCycles(r.cost.cycles),
        formatRatio(r.cost.cycles, l.cost.cycles));
    e1 += l.cost.totalEnergyPJ;
    e2 += r.cost.totalEnergyPJ;
    d1 += l.cost.getDramBytes();
    d2 += r.cost.getDramBytes();
    c1 += l.cost.cycles;
    c2 += r.cost.cycles;
  }
  dramColumns(formatMilliJoules(q1), formatMilliJoules(q2), formatRatio(q2, q1),
              hitRate(h1, b1), hitRate(h2, b2));
  row("total (matched)", formatMilliJoules(e1), formatMilliJoules(e2),
      formatRatio(e2, e1), formatBytes(d1), formatBytes(d2),
      formatRatio(static_cast<double>(d2), static_cast<double>(d1)),
      formatCycles(c1), formatCycles(c2), formatRatio(c2, c1));
  // Fusion changes the network's DRAM traffic, not the layers' lines: the
  // whole network's DRAM energy and cycles with each side's fused groups.
  if (base.fusion || other.fusion) {
    auto fused = [](const Schedule &s) {
      ScheduleTotals t = s.getTotals();
      if (!s.fusion) {
        // The layers' DRAM time and their re-layouts' (as a fused figure
        // counts them; the energy already holds the re-layouts').
        double cycles = t.dramCycles;
        for (const LayerSchedule &l : s.layers)
          if (l.dram)
            for (const Relayout &r : l.dram->relayouts)
              cycles += r.cycles;
        return std::tuple{t.dramEnergyPJ, cycles, std::string("no fusion")};
      }
      size_t n = s.fusion->groups.size();
      auto [energy, cycles] = s.getFusedDram();
      return std::tuple{energy, cycles,
                        std::to_string(n) + " fused group" +
                            (n == 1 ? "" : "s")};
    };
    auto [be, bc, bw] = fused(base);
    auto [oe, oc, ow] = fused(other);
    os << llvm::formatv(
        "network DRAM with fusion (all layers): base {0} mJ, {1} DRAM cycles "
        "({2}); other {3} mJ, {4} DRAM cycles ({5}); ratio {6} (energy), {7} "
        "(cycles)\n",
        formatMilliJoules(be), formatCycles(bc), bw, formatMilliJoules(oe),
        formatCycles(oc), ow, formatRatio(oe, be), formatRatio(oc, bc));
  }
  for (const std::string &n : onlyBase)
    os << "only in base: " << n << "\n";
  for (auto [j, l] : llvm::enumerate(other.layers))
    if (!used[j])
      os << "only in other: " << l.workload.name << "\n";
  os << "ratio: other / base (below 1: the other schedule is better)\n";
}
