//===- Gemm.h - the register-tiled GEMM core of the kernels ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Runtime/Kernels. Every contraction kernel is a sum of
// GEMMs C += A * B where
//  - A (m x k) is packed into panels of `mr` rows, k-major inside a panel
//    ([panel][k][mr], rows past m zero), so the micro-kernel broadcasts from
//    one contiguous stream;
//  - B (k x n) is addressed through a table of row offsets,
//    B(k, j) = b[kOffsets[k] + j], so a matmul (kOffsets[k] = k * ldb) and a
//    convolution's sliding window (kOffsets[(c, kh, kw)] = the input offset
//    of channel c shifted by kh, kw) are the same loop without an im2col
//    copy; columns are contiguous;
//  - C (m x n) is row-major with row stride ldc, accumulated in place.
//
// One file per ISA (GemmAvx512.cpp, GemmAvx2.cpp, GemmScalar.cpp) compiles
// GemmMicro.inc with that ISA's vector type; only this header's plain
// structs cross the boundary, so no inline function compiled for a wide
// ISA can be picked by the linker for code that runs on a narrower host.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_RUNTIME_KERNELS_GEMM_H
#define ROMAC_LIB_RUNTIME_KERNELS_GEMM_H

#include <cstdint>

namespace romac::kernels::detail {

/// The register tile of a micro-kernel: mr rows of A times nv vectors of B.
struct Tile {
  int mr;
  int nv;
};

/// One GEMM, C += A * B, with A already packed for `tile`.
struct GemmProblem {
  int64_t m, n, k;
  Tile tile;
  /// Packed A: ceil(m / mr) panels of k * mr floats.
  const float *packedA;
  /// B(kk, j) = b[kOffsets[kk] + j].
  const float *b;
  const int64_t *kOffsets;
  /// C(i, j) = c[i * ldc + j].
  float *c;
  int64_t ldc;
};

/// The kernels of one instruction set.
struct IsaKernels {
  /// Floats per vector register.
  int vectorWidth;
  /// The register tile for a GEMM `n` columns wide.
  Tile (*chooseTile)(int64_t n);
  /// C += A * B over the row panels [panelBegin, panelEnd) and all columns.
  void (*run)(const GemmProblem &problem, int64_t panelBegin, int64_t panelEnd);
};

const IsaKernels &getScalarKernels();
const IsaKernels &getAvx2Kernels();
const IsaKernels &getAvx512Kernels();

/// The number of row panels of `m` rows for tile height `mr`.
inline int64_t getNumPanels(int64_t m, int mr) { return (m + mr - 1) / mr; }

/// Packs A(i, kk) = a[i * rowStride + colOffsets[kk]] (m x k) into `out`
/// (getNumPanels(m, mr) * k * mr floats), rows past m zero.
void packA(const float *a, int64_t m, int64_t k, int64_t rowStride,
           const int64_t *colOffsets, int mr, float *out);

/// Runs fn(ctx, begin, end) over [0, count) split into contiguous chunks,
/// one per thread (the caller runs the first); returns when all are done.
void parallelFor(int64_t count,
                 void (*fn)(void *ctx, int64_t begin, int64_t end), void *ctx);

} // namespace romac::kernels::detail

#endif // ROMAC_LIB_RUNTIME_KERNELS_GEMM_H
