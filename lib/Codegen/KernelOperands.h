//===- KernelOperands.h - the memref type kernels take ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Codegen: the fully dynamic strided f32 memref that the
// native kernels' declarations take (romac-lower-to-kernels) and that an
// implicitly padded depthwise convolution reads (romac-implicit-pads).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_CODEGEN_KERNELOPERANDS_H
#define ROMAC_LIB_CODEGEN_KERNELOPERANDS_H

#include "mlir/IR/BuiltinTypes.h"

namespace romac {

/// memref<?x...x?xf32, strided<[?, ...], offset: ?>> of `rank`.
inline mlir::MemRefType getAnyStridedType(mlir::MLIRContext *ctx,
                                          int64_t rank) {
  llvm::SmallVector<int64_t> dynamic(rank, mlir::ShapedType::kDynamic);
  auto layout =
      mlir::StridedLayoutAttr::get(ctx, mlir::ShapedType::kDynamic, dynamic);
  return mlir::MemRefType::get(dynamic, mlir::Float32Type::get(ctx), layout);
}

} // namespace romac

#endif // ROMAC_LIB_CODEGEN_KERNELOPERANDS_H
