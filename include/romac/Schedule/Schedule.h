//===- Schedule.h - the schedule file and its reports -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A schedule is what `romac compile` emits: per layer the workload, the
// chosen mapping (DRAM -> SRAM tiles and order, spatial unrolling), its DRAM
// and SRAM traffic, energy and cycles, plus totals. This header holds the
// in-memory form, the JSON format of DESIGN.md §7 version 1
// (docs/schedule-format.md) with a deterministic writer and a validating
// reader, and the text reports (`romac compile` table, `romac inspect`
// comparison). Plain C++ on LLVM Support; no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULE_H
#define ROMAC_SCHEDULE_SCHEDULE_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Cost.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Search/Search.h"
#include "romac/Search/Verify.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace romac {

/// The `format` string of schedule files and the version this code reads
/// and writes.
inline constexpr llvm::StringLiteral kScheduleFormat = "romac-schedule";
inline constexpr int64_t kScheduleVersion = 1;

/// One layer of a schedule.
struct LayerSchedule {
  Workload workload;
  Mapping mapping;
  /// The DRAM-level tile loops: getTileLoops(workload, mapping), unless a
  /// file states other tile counts or steps (the verifier checks them).
  llvm::SmallVector<TileLoop, 8> loops;
  SpatialMapping spatial;
  /// The reuse label (LayerResult::reuse).
  std::string reuse;
  /// Costs. A schedule read from a file has what the file states: the
  /// per-operand array accesses and visits are not stored (zero).
  CostBreakdown cost;
};

/// How the schedule was searched.
struct ScheduleSearchInfo {
  std::string objective = "energy";
  std::string policy = "adaptive";
  /// CostOptions::str(): "none" or "double-buffering".
  std::string refinements = "none";
};

/// Sums over the layers.
struct ScheduleTotals {
  int64_t macs = 0;
  int64_t dramReadBytes = 0;
  int64_t dramWriteBytes = 0;
  double macEnergyPJ = 0;
  double sramEnergyPJ = 0;
  double dramEnergyPJ = 0;
  double totalEnergyPJ = 0;
  int64_t computeCycles = 0;
  double cycles = 0;
};

/// A whole schedule.
struct Schedule {
  /// The model's name (its file name for `romac compile`).
  std::string model;
  /// The target the schedule was made for (what the cost model used).
  CostTarget target;
  ScheduleSearchInfo search;
  std::vector<LayerSchedule> layers;

  ScheduleTotals getTotals() const;
};

/// Builds a schedule from search results (`results[i]` for `workloads[i]`).
Schedule makeSchedule(llvm::StringRef model, const CostTarget &target,
                      llvm::ArrayRef<Workload> workloads,
                      llvm::ArrayRef<LayerResult> results,
                      const SearchOptions &options);

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

/// Writes `schedule` as JSON: keys in a fixed order, two-space indentation,
/// a final newline. Equal schedules give equal bytes.
void writeScheduleJSON(llvm::raw_ostream &os, const Schedule &schedule);
/// The JSON text of `schedule`.
std::string scheduleToJSON(const Schedule &schedule);

/// Writes `schedule` to `path` atomically: into a temporary file in the
/// same directory, renamed over `path` only when complete.
llvm::Error writeScheduleFile(llvm::StringRef path, const Schedule &schedule);

/// Parses and validates a schedule. Errors are one line,
/// `FILE: error: JSON.PATH: PROBLEM` (`FILE: error: invalid JSON: ...` for
/// syntax errors), naming `fileName`.
llvm::Expected<Schedule> parseSchedule(llvm::StringRef text,
                                       llvm::StringRef fileName);
/// Reads, parses and validates the schedule file at `path`.
llvm::Expected<Schedule> readScheduleFile(llvm::StringRef path);

/// Proves every layer's tiling with Z3 (verifyTiling()) against the
/// schedule's target, with double buffering when the schedule was searched
/// with it. The error names the layer.
llvm::Error verifySchedule(const Schedule &schedule,
                           VerifyOptions options = {});

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

/// One line per layer (name, op, dims, tiles, order, reuse, spatial
/// unrolling, DRAM bytes per operand class, energy, cycles, array
/// utilisation) and a totals line.
void printScheduleTable(llvm::raw_ostream &os, const Schedule &schedule);

/// Two schedules side by side, layers matched by name (then position):
/// energy, DRAM bytes and cycles of each with the ratio other / base, and
/// totals.
void printScheduleComparison(llvm::raw_ostream &os, const Schedule &base,
                             const Schedule &other);

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULE_H
