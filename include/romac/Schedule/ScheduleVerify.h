//===- ScheduleVerify.h - proving a schedule's tilings ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Z3 proof of every layer's tiling of a schedule. Library
// RomacScheduleVerify, the only schedule library that depends on the Z3
// verifier.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULEVERIFY_H
#define ROMAC_SCHEDULE_SCHEDULEVERIFY_H

#include "romac/Schedule/Schedule.h"
#include "romac/Verify/Verify.h"

#include "llvm/Support/Error.h"

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace romac {

/// Proves every layer's tiling with Z3 (verifyTiling()) against the
/// schedule's target, with double buffering when the schedule was searched
/// with it; identical layers once, on \p threadPool when given. The error
/// (the first failing layer's) names the layer.
llvm::Error verifySchedule(const Schedule &schedule, VerifyOptions options = {},
                           llvm::ThreadPoolInterface *threadPool = nullptr);

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULEVERIFY_H
