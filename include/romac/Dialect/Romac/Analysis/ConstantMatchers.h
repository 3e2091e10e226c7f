//===- ConstantMatchers.h - f32 constants and zero fills --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The one definition of "an f32 constant" and "an output that starts as
// zeros" that romac-fuse-into-contractions, romac-fuse-attention and the
// quantization of contractions (CompressWeights.h) match.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_ANALYSIS_CONSTANTMATCHERS_H
#define ROMAC_DIALECT_ROMAC_ANALYSIS_CONSTANTMATCHERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <optional>

namespace romac {

/// The value of \p v when it is an f32 constant: a scalar, or a tensor
/// whose elements are all that value (a splat).
inline std::optional<float> getConstantF32(mlir::Value v) {
  mlir::Attribute attr;
  if (!mlir::matchPattern(v, mlir::m_Constant(&attr)))
    return std::nullopt;
  if (auto scalar = llvm::dyn_cast<mlir::FloatAttr>(attr);
      scalar && v.getType().isF32())
    return scalar.getValue().convertToFloat();
  if (auto dense = llvm::dyn_cast<mlir::DenseFPElementsAttr>(attr);
      dense && dense.isSplat() && dense.getElementType().isF32())
    return dense.getSplatValue<llvm::APFloat>().convertToFloat();
  return std::nullopt;
}

/// The constant \p init is filled with, when it is a linalg.fill of one.
inline std::optional<float> getFillValue(mlir::Value init) {
  auto fill = init.getDefiningOp<mlir::linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  return getConstantF32(fill.getInputs()[0]);
}

/// Whether \p init is a linalg.fill of a floating-point 0.0 (+0 or -0).
inline bool isZeroFill(mlir::Value init) {
  auto fill = init.getDefiningOp<mlir::linalg::FillOp>();
  mlir::FloatAttr value;
  return fill &&
         mlir::matchPattern(fill.getInputs()[0], mlir::m_Constant(&value)) &&
         value.getValue().isZero();
}

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_CONSTANTMATCHERS_H
