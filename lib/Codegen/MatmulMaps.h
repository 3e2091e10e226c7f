//===- MatmulMaps.h - indexing maps of transposed operands -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Codegen: the one definition of "an operand read with its
// last two dims swapped" that romac-fold-transposes writes and
// romac-lower-to-kernels recognises.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_CODEGEN_MATMULMAPS_H
#define ROMAC_LIB_CODEGEN_MATMULMAPS_H

#include "mlir/IR/AffineMap.h"

namespace romac {

/// `map` with its last two results swapped (at least two results).
inline mlir::AffineMap swapLastTwoResults(mlir::AffineMap map) {
  llvm::SmallVector<mlir::AffineExpr> results(map.getResults());
  std::swap(results[results.size() - 2], results[results.size() - 1]);
  return mlir::AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                              map.getContext());
}

} // namespace romac

#endif // ROMAC_LIB_CODEGEN_MATMULMAPS_H
