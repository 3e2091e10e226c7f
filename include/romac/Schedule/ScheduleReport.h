//===- ScheduleReport.h - a schedule's text reports -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The text reports of schedules: the table `romac compile` prints and the
// side-by-side comparison of `romac inspect --compare`. Library
// RomacScheduleReport (on RomacSchedule).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULEREPORT_H
#define ROMAC_SCHEDULE_SCHEDULEREPORT_H

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace romac {

/// The order of the table's layer lines.
enum class ScheduleSort : uint8_t {
  /// The network's order.
  Order,
  /// Most energy first.
  Energy,
  /// Longest first.
  Latency,
  /// Most DRAM bytes first.
  Dram
};
/// "order", "energy", "latency" or "dram".
std::optional<ScheduleSort> parseScheduleSort(llvm::StringRef name);

/// What printScheduleTable() shows.
struct ScheduleTableOptions {
  ScheduleSort sort = ScheduleSort::Order;
  /// Layers the summary lists, most energy first (0: no list).
  unsigned top = 10;
};

/// One line per layer (name shortened in the middle, op, dims, tiles,
/// order, reuse, spatial unrolling, DRAM bytes per operand class, energy in
/// mJ and its share of the total, latency in ms, array utilisation, traffic
/// over its lower bound) and a totals line; with row-buffer statistics also
/// the row-hit rate, the row activations and the DRAM energy. Then a
/// summary: the totals, the split between MAC, SRAM and DRAM energy, and
/// the `top` layers with the most energy.
void printScheduleTable(llvm::raw_ostream &os, const Schedule &schedule,
                        const ScheduleTableOptions &options = {});

/// `romac inspect --layer NAME` for a streaming layer: its op, fusion,
/// traffic, energy and cycles (docs/streaming-layers.md).
void printStreamingLayerDetail(llvm::raw_ostream &os,
                               const StreamingLayerSchedule &layer);

/// The streaming layers fused into layer \p name (one line each, nothing
/// when none), for `romac inspect --layer NAME`.
void printStreamingLayersFusedInto(llvm::raw_ostream &os,
                                   const Schedule &schedule,
                                   llvm::StringRef name);

/// Matches the layers of \p other to those of \p base by name (a name used
/// several times matches in order): entry i is the index in `other.layers`
/// of base layer i's match, or none. printScheduleComparison() and the HTML
/// report (romac/Report) pair layers this way.
std::vector<std::optional<size_t>> matchScheduleLayers(const Schedule &base,
                                                       const Schedule &other);

/// Two schedules side by side, layers matched by name (then position):
/// energy, DRAM bytes and cycles of each with the ratio other / base, and
/// totals; when both have row-buffer statistics also the DRAM energy (with
/// its ratio) and the row-hit rates.
void printScheduleComparison(llvm::raw_ostream &os, const Schedule &base,
                             const Schedule &other);

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULEREPORT_H
