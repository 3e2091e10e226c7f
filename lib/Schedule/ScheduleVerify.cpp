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
#include "romac/Support/Parallel.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <string>
#include <vector>

using namespace romac;

llvm::Error romac::verifySchedule(const Schedule &schedule,
                                  VerifyOptions options,
                                  llvm::ThreadPoolInterface *threadPool) {
  if (schedule.target.memories.empty())
    return makeStringError("schedule of '" + schedule.model +
                           "': the target '" + schedule.target.name +
                           "' has no buffers to verify against");
  if (schedule.search.refinements == "double-buffering")
    options.doubleBuffering = true;
  // Identical (workload, tiling) pairs are proved once (the UNet repeats
  // most of its blocks); the first failure in layer order is returned.
  std::vector<const LayerSchedule *> distinct;
  llvm::StringSet<> seen;
  for (const LayerSchedule &l : schedule.layers) {
    std::string key = l.workload.getCanonicalKey();
    for (const TileLoop &t : l.loops)
      key += llvm::formatv("|{0},{1},{2}", t.size, t.step, t.count).str();
    if (seen.insert(key).second)
      distinct.push_back(&l);
  }
  std::vector<std::string> errors(distinct.size());
  parallelFor(threadPool, distinct.size(), [&](size_t i) {
    const LayerSchedule &l = *distinct[i];
    if (llvm::Error e =
            verifyTiling(l.workload, l.loops, schedule.target, options))
      errors[i] = llvm::toString(std::move(e));
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return makeStringError(e);
  return llvm::Error::success();
}
