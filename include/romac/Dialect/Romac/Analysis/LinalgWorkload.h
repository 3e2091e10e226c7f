//===- LinalgWorkload.h - Workloads from linalg ops -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The adapter between the IR and the MLIR-free models: reads a linalg op's
// loop bounds, iterator types and indexing maps into a romac::Workload, with
// no op special-cased. A tensor.pad producer of an input is folded into the
// projection (the constant becomes -pad and the extent the unpadded tensor),
// so padding is never fetched from DRAM. buildWorkloadGraph() turns a
// module's layers into a WorkloadGraph whose tensor ids and producer ->
// consumer edges come from SSA def-use.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H
#define ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H

#include "romac/Analysis/Workload.h"
#include "romac/Analysis/WorkloadGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <vector>

namespace romac {

/// How a layer moves data.
enum class LayerKind {
  /// A contraction (conv, matmul, ...): tiled by the search.
  Contraction,
  /// Element-wise, reductions, pooling, data movement: streams its operands
  /// once through DRAM unless fused.
  Streaming,
};

/// One costed op of a function, in program order.
struct Layer {
  mlir::Operation *op = nullptr;
  LayerKind kind = LayerKind::Streaming;
  /// Valid for every layer whose indexing maps are affine sums; for the rest
  /// (gathers through tensor.extract, concat, pad) `workload.dims` is empty
  /// and only the byte counts below are meaningful.
  Workload workload;
  /// The value each operand of `workload` reads or writes (an init: the
  /// result it becomes), one per operand; empty without a workload.
  llvm::SmallVector<mlir::Value, 3> values;
  /// Whole-tensor traffic of a streaming layer (inputs read once, the result
  /// written once).
  int64_t streamReadBytes = 0;
  int64_t streamWriteBytes = 0;
};

/// The ONNX node name carried by an op's location (or its op name).
std::string locationName(mlir::Operation *op);

/// Unique names for the ops and values of one function. One ONNX node may
/// become several ops (a conv and its bias add): the first op of a node is
/// named after the node, later ones NODE/1, NODE/2, ... in program order.
class NameTable {
public:
  explicit NameTable(mlir::func::FuncOp func);
  /// The unique name of `op` (its location name if it is not in the table).
  std::string layer(mlir::Operation *op) const;
  /// The name that identifies `v` in schedules: the ONNX name of a function
  /// argument, the unique name of the producing op (with "#k" for its k-th
  /// result when it has several; reshapes and pads are looked through), or
  /// the blob key of a weight.
  std::string tensor(mlir::Value v) const;

private:
  llvm::DenseMap<mlir::Operation *, std::string> names;
};

/// Builds the Workload of a linalg op. Fails (with a reason; a LayerError)
/// when an indexing-map result is not a sum of dims times constants plus a
/// constant. With \p values, appends the value of every operand (Layer::values).
llvm::Expected<Workload>
workloadFromLinalg(mlir::linalg::LinalgOp op, const NameTable &names,
                   llvm::SmallVectorImpl<mlir::Value> *values = nullptr);

/// Classifies every op of `func` that costs DRAM traffic. Reshapes
/// (expand/collapse_shape), tensor.empty, linalg.fill of an init and
/// constants cost nothing and are skipped.
std::vector<Layer> collectLayers(mlir::func::FuncOp func);
/// The tensor a value holds: \p v with reshapes and pads looked through (as
/// NameTable::tensor() names it).
mlir::Value getTensorRoot(mlir::Value v);

/// The WorkloadGraph of every function of \p module: its contraction layers
/// (collectLayers() order, each passed through \p prepare first) are the
/// searched layers, its streaming layers with a workload the streaming
/// layers. One tensor per getTensorRoot() value, named by
/// NameTable::tensor(); function arguments and tensor constants are
/// resident; the function's results and the operands of ops whose layer has
/// no workload (concat, gathers, ...) are read outside, so layer fusion keeps
/// them in DRAM.
WorkloadGraph
buildWorkloadGraph(mlir::ModuleOp module,
                   llvm::function_ref<void(Workload &)> prepare = nullptr);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H
