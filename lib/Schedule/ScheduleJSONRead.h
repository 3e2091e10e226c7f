//===- ScheduleJSONRead.h - shared by the schedule reader -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Schedule. What the two halves of the schedule reader share:
// ScheduleJSONReader.cpp reads the schedule around its layers (target,
// search, totals, fusion) and renders the error; ScheduleJSONLayerReader.cpp
// reads one layer (readLayer()).
//
// A problem is reported on its json::Path with fail(); the first one ends
// the read (every function returns false from then on). The keys along the
// path must live until parseSchedule() renders the error: literals, keys of
// the parsed JSON, or strings of the schedule being read.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_SCHEDULE_SCHEDULEJSONREAD_H
#define ROMAC_LIB_SCHEDULE_SCHEDULEJSONREAD_H

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>

namespace romac::detail {

/// Reports `problem` at `path` and returns false (`return fail(...)` ends a
/// read).
bool fail(llvm::json::Path path, const llvm::Twine &problem);

/// The member `key` of `obj` (at `path`), or null after reporting it
/// missing.
const llvm::json::Value *getMember(const llvm::json::Object &obj,
                                   llvm::json::Path path, llvm::StringRef key);
/// The object / array member `key` of `obj` (at `path`), or null after
/// reporting it missing or of another type.
const llvm::json::Object *getObject(const llvm::json::Object &obj,
                                    llvm::json::Path path, llvm::StringRef key);
const llvm::json::Array *getArray(const llvm::json::Object &obj,
                                  llvm::json::Path path, llvm::StringRef key);

/// An optional integer member: absent is nullopt; present, it must be an
/// integer (null too is an error, unlike ObjectMapper::map of an optional).
bool mapOptional(const llvm::json::Object &obj, llvm::json::Path path,
                 llvm::StringLiteral key, std::optional<int64_t> &out);
/// A required non-negative integer / finite non-negative number member.
bool mapNonNegative(llvm::json::ObjectMapper &m, llvm::json::Path path,
                    llvm::StringLiteral key, int64_t &out);
bool mapNonNegative(llvm::json::ObjectMapper &m, llvm::json::Path path,
                    llvm::StringLiteral key, double &out);

/// Whether `a` and `b` agree to a relative 1e-9 (plus an absolute 1e-6 pJ).
bool nearlyEqual(double a, double b);

/// The DRAM energy kinds of the row-buffer model, in schedule order.
inline constexpr llvm::StringRef kDramEnergyKinds[] = {"act_pre", "rd_wr",
                                                       "background", "refresh"};

/// Layer `l` (at `path`), the last layer of `s`, whose target and earlier
/// layers are read; and its `fused_group` (checked against the fusion
/// section later).
bool readLayer(const llvm::json::Value &v, llvm::json::Path path,
               const Schedule &s, LayerSchedule &l,
               std::optional<int64_t> &fusedGroup);

/// The row-buffer counts of a `dram` object (\p dram at \p path):
/// `bursts`, `row_hits`, `row_misses`, `row_conflicts` (all or none, adding
/// up) and the optional `energy_pj` by kind.
bool readRowBufferEstimate(const llvm::json::Object &dram,
                           llvm::json::Path path, DramEstimate &d);

/// The optional `streaming_layers` of the schedule object \p top (at
/// \p path) into `s.streaming`, after its layers.
bool readStreamingLayers(const llvm::json::Object &top, llvm::json::Path path,
                         Schedule &s);

/// The optional `attention_fusion` of \p top into `s.attention`, after the
/// layers, the streaming layers and the fusion section.
bool readAttentionGroups(const llvm::json::Object &top, llvm::json::Path path,
                         Schedule &s);

} // namespace romac::detail

#endif // ROMAC_LIB_SCHEDULE_SCHEDULEJSONREAD_H
