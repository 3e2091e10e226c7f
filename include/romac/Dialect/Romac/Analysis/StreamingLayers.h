//===- StreamingLayers.h - the streaming layers of a module ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every op of a module that moves data but is not a contraction (element-wise
// ops, reductions, norms, softmax, pooling, concatenations) as a costed
// streaming layer of the schedule, with the contraction or streaming layer
// it is fused into (docs/streaming-layers.md).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_ANALYSIS_STREAMINGLAYERS_H
#define ROMAC_DIALECT_ROMAC_ANALYSIS_STREAMINGLAYERS_H

#include "romac/Schedule/Schedule.h"
#include "romac/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"

#include <vector>

namespace romac {

/// The streaming layers of every function of \p module in program order
/// (collectLayers()), their data types the target's, fused by the rules of
/// docs/streaming-layers.md and costed by costStreamingLayer() on \p target:
/// through \p rowBuffer when given, else with the flat DRAM model.
std::vector<StreamingLayerSchedule>
collectStreamingLayers(mlir::ModuleOp module, const Target &target,
                       const DramModel *rowBuffer = nullptr);

/// The attentions of \p module that can run as one fused, tiled
/// computation: a batch_matmul or matmul Q Kᵀ whose scores only streaming
/// layers read (a scale, a softmax; constants aside), transitively, up to
/// one contraction that reads their result as its first operand (· V).
/// \p schedule is the module's (its layers and streaming layers in
/// collectLayers() order): the groups index it, their unfused DRAM is its
/// entries', their fused DRAM streams through \p rowBuffer (flat without).
/// Groups whose fused DRAM energy is not lower are left out.
std::vector<AttentionGroup>
findAttentionGroups(mlir::ModuleOp module, const Target &target,
                    const Schedule &schedule,
                    const DramModel *rowBuffer = nullptr);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_STREAMINGLAYERS_H
