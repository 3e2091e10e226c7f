//===- TensorParams.h - parameters of data-movement ops ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The parameters of the shape and data-movement ops, computed once from a
// node's attributes and constant inputs. OpsTensor.cpp builds IR from them and
// TensorHostEval.cpp folds the same ops on the host. Every function reports a
// bad parameter through NodeContext::fail and returns failure.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_IMPORT_TENSORPARAMS_H
#define ROMAC_LIB_IMPORT_TENSORPARAMS_H

#include "ImporterImpl.h"

namespace romac::onnximport {

/// Integer list from input `idx` (must be known) or, for old opsets, from
/// attribute `attrName`. `present` tells whether either was given.
mlir::FailureOr<llvm::SmallVector<int64_t>>
intsFromInputOrAttr(NodeContext &nc, unsigned idx, llvm::StringRef attrName,
                    bool &present);

/// A list that moved from attribute `name` to input 1 at opset `inputSince`
/// (Squeeze's and Unsqueeze's axes, Split's sizes).
mlir::FailureOr<llvm::SmallVector<int64_t>> versionedInts(NodeContext &nc,
                                                          llvm::StringRef name,
                                                          int64_t inputSince,
                                                          bool &present);

/// `axes` normalized for `rank` (negative axes count from the end); fails on
/// an axis out of range or repeated.
mlir::FailureOr<llvm::SmallVector<int64_t>>
normalizeAxes(NodeContext &nc, llvm::ArrayRef<int64_t> axes, int64_t rank);

/// Reshape's output shape for input shape `in` and shape spec `spec` (0
/// copies an input dim unless `allowzero`, one -1 is inferred).
mlir::FailureOr<llvm::SmallVector<int64_t>>
reshapeTarget(NodeContext &nc, llvm::ArrayRef<int64_t> in,
              llvm::ArrayRef<int64_t> spec);

/// A Slice window per dim: first index, number of elements, step.
struct SliceParams {
  llvm::SmallVector<int64_t> start, size, step;
};

/// Slice's window over a tensor of `shape` (starts and ends clamped as ONNX
/// specifies).
mlir::FailureOr<SliceParams> sliceParams(NodeContext &nc,
                                         llvm::ArrayRef<int64_t> shape);

/// Output shape of Unsqueeze, or failure.
mlir::FailureOr<llvm::SmallVector<int64_t>>
unsqueezeShape(NodeContext &nc, llvm::ArrayRef<int64_t> in);

/// Output shape of Squeeze (every size-1 dim when no axes are given).
mlir::FailureOr<llvm::SmallVector<int64_t>>
squeezeShape(NodeContext &nc, llvm::ArrayRef<int64_t> in);

/// Flatten's axis lies in [-rank, rank]; negative counts from the end.
mlir::FailureOr<int64_t> flattenAxis(NodeContext &nc, int64_t rank);

/// Flatten's 2-D output shape: the dims before `axis` and those from it on.
llvm::SmallVector<int64_t>
flattenShape(NodeContext &nc, llvm::ArrayRef<int64_t> in, int64_t axis);

/// Transpose's permutation (reversed dims by default), checked.
mlir::FailureOr<llvm::SmallVector<int64_t>> transposePerm(NodeContext &nc,
                                                          int64_t rank);

/// Sizes of Split's outputs along an axis of size `dim`.
mlir::FailureOr<llvm::SmallVector<int64_t>> splitSizes(NodeContext &nc,
                                                       int64_t dim);

} // namespace romac::onnximport

#endif // ROMAC_LIB_IMPORT_TENSORPARAMS_H
