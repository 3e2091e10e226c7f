//===- ScheduleJSON.h - the schedule file format ----------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The JSON format of a schedule (DESIGN.md §7 version 1,
// docs/schedule-format.md): a deterministic writer and a validating reader,
// both on llvm::json. Part of RomacSchedule.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULEJSON_H
#define ROMAC_SCHEDULE_SCHEDULEJSON_H

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace romac {

/// The `format` string of schedule files and the version this code reads
/// and writes.
inline constexpr llvm::StringLiteral kScheduleFormat = "romac-schedule";
inline constexpr int64_t kScheduleVersion = 1;

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

/// A real as schedule files print it: the shortest decimal that reads back
/// as `v` (std::to_chars); "null" when `v` is not finite.
std::string formatScheduleReal(double v);

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULEJSON_H
