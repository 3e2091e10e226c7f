//===- RunProfile.h - `romac run --profile`'s tables -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_RUNPROFILE_H
#define ROMAC_TOOLS_ROMAC_RUNPROFILE_H

#include "romac/Runtime/Executable.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>

namespace romac::driver {

/// What the schedule predicts for one contraction layer (--profile).
struct LayerPrediction {
  double cycles = 0;
  int64_t macs = 0;
};

/// --profile: the time per op kind, then per layer over `runs` runs next to
/// the share of the contractions' cycles the schedule predicts (`predicted`,
/// by layer name) and the GFLOP/s it ran at, slowest first (docs/runtime.md).
void printProfile(llvm::ArrayRef<KernelProfile> kernels, unsigned runs,
                  const llvm::StringMap<LayerPrediction> &predicted);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_RUNPROFILE_H
