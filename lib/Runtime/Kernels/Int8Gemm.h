//===- Int8Gemm.h - the GEMM on 8-bit integer codes -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Runtime/Kernels: the `_i8` entry points (Int8.cpp) on
// AVX512-VNNI (GemmAvx512Vnni.cpp). Their operands are float tensors that
// hold integer codes (a quantized run's weights and activations,
// romac::quantizeModuleActivations); the products are exact in int32.
//
// VPDPBUSD multiplies unsigned bytes by signed bytes, four pairs summed
// into each int32 lane. A's codes are the signed bytes, broadcast; B's
// codes are stored as B + 128 (unsigned), so every lane adds
// sum_k A(i, k) * (B(k, j) + 128) = C(i, j) + 128 * sum_k A(i, k); the
// second term, one per row of A, is subtracted in int32 before the sum is
// converted to float once (the whole reduction stays in registers: no
// k-blocks, so no partial sums are rounded). |sum| <= k * 127 * 255 fits
// int32 for k < 66,000.
//
// A weight whose packed bytes take at most 16 distinct values (int4 codes,
// or the codes of a codebook of at most 16 shared weights) is kept as
// 4-bit indices into a table of those bytes, half the bytes of int8, and
// decoded panel by panel (A) or strip by strip (B) into a buffer that
// stays in cache while the register tiles read it (Int8.cpp).
//
// Only plain structs and declarations cross this boundary (Gemm.h says why).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_RUNTIME_KERNELS_INT8GEMM_H
#define ROMAC_LIB_RUNTIME_KERNELS_INT8GEMM_H

#include "Gemm.h"

#include <cstdint>

namespace romac::kernels::detail {

/// Rows of A per register tile and panel.
constexpr int kInt8Rows = 6;
/// Columns of B per register tile and strip: 4 vectors of 16 int32 lanes.
constexpr int kInt8Cols = 64;

/// One GEMM C (+)= A * B on integer codes (values outside [-128, 127] are
/// saturated, fractions rounded to the nearest integer).
///  - A: ceil(m / kInt8Rows) panels of depth = ceil(k / 4) int32s per row,
///    [panel][q][row] (or, with `aRows`, row by row: [row][q]), each
///    holding A(i, 4q + t) as a signed byte t (an activation's zero past m
///    and k; a weight's pads may hold any value); `corrections[i]` = 128 *
///    sum_k A(i, k).
///  - B(kk, j) = b[kOffsets[kk] + colOffsets[j]], packed per strip of
///    kInt8Cols columns as [q][column], byte t = B(4q + t, j) + 128 (zero
///    past k: A's pad there adds nothing); or all of it packed ahead
///    (`packedB`, strip s at packedB + s * depth * kInt8Cols; a weight's
///    pads may hold any value).
///  - C(i, j) = c[i * ldc + cColOffsets[j]], overwritten or added to, then
///    scaled and clamped (the epilogue; null: added to).
struct Int8Gemm {
  int64_t m, n, k;
  const int32_t *packedA;
  const int32_t *corrections;
  /// A packed row by row (packInt8A's `rows`), not panel by panel.
  bool aRows;
  const float *b;
  const int64_t *kOffsets, *colOffsets;
  const int32_t *packedB;
  float *c;
  int64_t ldc;
  const int64_t *cColOffsets;
  const Epilogue *epilogue;
  /// A (panel by panel) as 4-bit indices instead of packedA: panel p's
  /// bytes at aNibbles + p * aPanelNibbles (NibbleCodes), decoded by
  /// aTable; null when packedA holds them.
  const uint8_t *aNibbles = nullptr, *aTable = nullptr;
  int64_t aPanelNibbles = 0;
  /// All of B packed ahead as 4-bit indices instead of packedB: strip s
  /// at bNibbles + s * ceil(k / 4) * kInt8Cols * 2, decoded by bTable.
  const uint8_t *bNibbles = nullptr, *bTable = nullptr;
};

/// Bytes stored as 4-bit indices into a table of 16 bytes, 64 bytes in
/// every 32: byte i < 32 of a group of 32 holds index i of the group's 64
/// in its low half and index 32 + i in its high half.
/// decodeNibbles writes the `bytes` bytes (a multiple of 128) that the
/// bytes / 2 of `in` encode into `out` (table[index] each).
void decodeNibbles(const uint8_t *in, int64_t bytes, const uint8_t *table,
                   void *out);

/// Packs the row panels [panelBegin, panelEnd) of A(i, kk) = a[i *
/// rowStride + colOffsets[kk]] (m x k) and their rows' corrections; with
/// `rows`, each row's codes contiguous ([row][q]: a contiguous row of A is
/// converted 16 values to 16 bytes at a time, no transposition), else
/// [panel][q][row].
void packInt8A(const float *a, int64_t m, int64_t k, int64_t rowStride,
               const int64_t *colOffsets, int32_t *packed, int32_t *corrections,
               int64_t panelBegin, int64_t panelEnd, bool rows);

/// Packs the strips [stripBegin, stripEnd) of g's B into `out` ([strip][q]
/// [column], as Int8Gemm::packedB).
void packInt8B(const Int8Gemm &g, int64_t stripBegin, int64_t stripEnd,
               int32_t *out);

/// C (+)= A * B over the row panels [panelBegin, panelEnd) and strip s of
/// B: `panels` holds panel panelBegin and those after it (g.packedA's
/// layout), `strip` the strip ([q][column]), or with `stripNibbles` its
/// 4-bit indices into g.bTable (decoded as they are loaded).
void runInt8(const Int8Gemm &g, const int32_t *panels, const int32_t *strip,
             bool stripNibbles, int64_t s, int64_t panelBegin,
             int64_t panelEnd);

} // namespace romac::kernels::detail

#endif // ROMAC_LIB_RUNTIME_KERNELS_INT8GEMM_H
