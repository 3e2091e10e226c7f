//===- Steps.h - the plan's steps from DRAM-aware schedules -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `romac plan` schedules (Power.h's steps), built from a graph's
// DRAM-aware search result (one step per layer; with fusion one per fused
// group and per layer outside a group), and the cost model of an
// interpolated video frame.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_PLAN_STEPS_H
#define ROMAC_PLAN_STEPS_H

#include "romac/Dram/DramCost.h"
#include "romac/Dram/Fusion.h"
#include "romac/Plan/Power.h"
#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace romac::plan {

/// The steps of \p result (layers of \p workloads), or of \p fusion's groups
/// and ungrouped layers when given, at the nominal clock \p computeMHz.
std::vector<Step> getSteps(llvm::ArrayRef<Workload> workloads,
                           const DramSearchResult &result,
                           const FusionResult *fusion, const DramParams &dram,
                           double computeMHz);

/// getSteps() with the graph's other ops: one step per streaming layer
/// (docs/streaming-layers.md), in program order among the contractions' steps;
/// a fused attention's DRAM (\p attention) replaces its products' and
/// softmax's, charged to the step of its first product.
std::vector<Step>
getNetworkSteps(llvm::ArrayRef<Workload> workloads,
                const DramSearchResult &result, const FusionResult *fusion,
                llvm::ArrayRef<StreamingLayerSchedule> streaming,
                llvm::ArrayRef<AttentionGroup> attention,
                const DramParams &dram, double computeMHz);

/// One interpolated video frame of \p size x \p size RGB pixels (v8hid's
/// crop, resize and paste; docs/plan.md states the model).
Step getInterpolationStep(const Target &target, int64_t size);

} // namespace romac::plan

#endif // ROMAC_PLAN_STEPS_H
