//===- InitRomac.h - dialect registration for romac tools ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The set of dialects every romac tool understands: the upstream dialects the
// importer emits and later stages lower to, plus `romac`.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_INITROMAC_H
#define ROMAC_INITROMAC_H

#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

namespace romac {

/// Adds the upstream dialects romac uses, their interface extensions, and the
/// romac dialect to `registry`.
inline void registerRomacDialects(mlir::DialectRegistry &registry) {
  registry.insert<RomacDialect, mlir::affine::AffineDialect,
                  mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
  // Every upstream dialect with its external interface models (linalg's
  // TilingInterface, the bufferization models) for code generation.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

} // namespace romac

#endif // ROMAC_INITROMAC_H
