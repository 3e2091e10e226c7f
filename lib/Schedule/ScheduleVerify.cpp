//===- ScheduleVerify.cpp - proving a schedule's tilings --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// verifySchedule(): every layer's tiling through the Z3 verifier.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/ScheduleVerify.h"
#include "romac/Support/Error.h"

using namespace romac;

llvm::Error romac::verifySchedule(const Schedule &schedule,
                                  VerifyOptions options) {
  if (schedule.target.memories.empty())
    return makeStringError("schedule of '" + schedule.model +
                           "': the target '" + schedule.target.name +
                           "' has no buffers to verify against");
  if (schedule.search.refinements == "double-buffering")
    options.doubleBuffering = true;
  for (const LayerSchedule &l : schedule.layers)
    if (llvm::Error err =
            verifyTiling(l.workload, l.loops, schedule.target, options))
      return err;
  return llvm::Error::success();
}
