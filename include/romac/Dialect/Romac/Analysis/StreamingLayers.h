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

#include <memory>
#include <vector>

namespace romac {

/// Which ops of a module are streaming layers, what each moves and which
/// layer it is fused into (docs/streaming-layers.md), found once and then
/// costed under any DRAM model. The module and the target must outlive it.
class StreamingAnalysis {
public:
  StreamingAnalysis(mlir::ModuleOp module, const Target &target);
  ~StreamingAnalysis();
  StreamingAnalysis(const StreamingAnalysis &) = delete;
  StreamingAnalysis &operator=(const StreamingAnalysis &) = delete;

  /// The streaming layers of every function in program order
  /// (collectLayers()), their data types the target's, costed by
  /// costStreamingLayer(): through \p rowBuffer when given, else with the
  /// flat DRAM model.
  std::vector<StreamingLayerSchedule>
  costLayers(const DramModel *rowBuffer = nullptr) const;

  /// The attentions that can run as one fused, tiled computation: a
  /// batch_matmul or matmul Q Kᵀ whose scores only streaming layers read (a
  /// scale, a softmax; constants aside, at least one reduction),
  /// transitively, up to one contraction that reads their result as its
  /// first operand (· V). \p schedule is the module's (its layers and
  /// streaming layers in collectLayers() order): the groups index it, their
  /// unfused DRAM is its entries', their fused DRAM streams through
  /// \p rowBuffer (flat without). Groups whose fused DRAM energy is not
  /// lower are left out.
  std::vector<AttentionGroup>
  findAttentionGroups(const Schedule &schedule,
                      const DramModel *rowBuffer = nullptr) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// StreamingAnalysis(module, target).costLayers(rowBuffer).
std::vector<StreamingLayerSchedule>
collectStreamingLayers(mlir::ModuleOp module, const Target &target,
                       const DramModel *rowBuffer = nullptr);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_STREAMINGLAYERS_H
