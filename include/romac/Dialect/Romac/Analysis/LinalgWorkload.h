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
// so padding is never fetched from DRAM.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H
#define ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H

#include "romac/Analysis/Workload.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <set>
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

/// Builds the Workload of a linalg op. Fails (with a reason) when an
/// indexing-map result is not a sum of dims times constants plus a constant.
llvm::Expected<Workload> workloadFromLinalg(mlir::linalg::LinalgOp op,
                                            const NameTable &names);

/// Classifies every op of `func` that costs DRAM traffic. Reshapes
/// (expand/collapse_shape), tensor.empty, linalg.fill of an init and
/// constants cost nothing and are skipped.
std::vector<Layer> collectLayers(mlir::func::FuncOp func);
/// Names (NameTable::tensor()) of the tensors of `func` that something other
/// than a layer with a workload reads: the function's results and the
/// operands of ops whose layer has no workload (concat, gathers, ...).
/// Reshapes and folded pads are looked through. Layer fusion must keep these
/// tensors in DRAM.
std::set<std::string> collectOpaqueReads(mlir::func::FuncOp func);
/// Names (NameTable::tensor()) of the tensors of `func` that stay in DRAM for
/// the whole run: its arguments and its constants (weights).
std::set<std::string> collectResidentTensors(mlir::func::FuncOp func);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_LINALGWORKLOAD_H
