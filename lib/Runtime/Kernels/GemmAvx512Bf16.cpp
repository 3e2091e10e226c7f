//===- GemmAvx512Bf16.cpp - the GEMM on bfloat16 pairs -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -mavx512bf16 (lib/Runtime/Kernels/CMakeLists.txt); called
// only when the host has AVX512-BF16 (Kernels.cpp checks CPUID) and a call
// asks for bfloat16 precision. The loops are GemmMicro.inc's with the
// AVX-512 tiles; what changes is the element of the packed operands and
// the multiply-add:
//  - A and B are packed as pairs of the reduction, two bfloat16s in 32 bits
//    (Gemm.h's packBf16Pair: row 2q in the low half, 2q + 1 in the high);
//  - the multiply-add of packed elements (Vec::madd) is VDPBF16PS: each fp32
//  lane of the accumulator gets
//    a(2q) * b(2q) + a(2q + 1) * b(2q + 1), so a register tile advances two
//    steps of the reduction per instruction, at the same register count.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include "Avx512Vec.inc"

namespace {
struct Vec : Avx512Vec {
  static constexpr int KPack = 2;
  // broadcast() is Avx512Vec's: a 32-bit move, so a pair's bits are kept.
  /// acc + a(even) * b(even) + a(odd) * b(odd), per lane (fma stays the
  /// fp32 multiply-add, for the attention's softmax).
  static Reg madd(Reg a, Reg b, Reg acc) {
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
  }
  /// dst[t] = the pair (even[t], odd[t]) for t < n (odd null: zeros), 16
  /// columns per conversion: VCVTNE2PS2BF16 rounds both rows into one
  /// register (even in the low half), a permutation interleaves them.
  static void packPairs(float *dst, const float *even, const float *odd,
                        int64_t n) {
    alignas(64) static constexpr uint16_t interleave[32] = {
        0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
        8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i order = _mm512_load_si512(interleave);
    for (int64_t t = 0; t < n; t += W) {
      Mask m = mask(n - t < W ? n - t : W);
      Reg e = _mm512_maskz_loadu_ps(m, even + t);
      Reg o = odd ? _mm512_maskz_loadu_ps(m, odd + t) : zero();
      __m512i both = (__m512i)_mm512_cvtne2ps_pbh(o, e);
      _mm512_mask_storeu_epi32(dst + t, m,
                               _mm512_permutexvar_epi16(order, both));
    }
  }
  /// The 2W values lo, hi (lo first) as W pairs of adjacent values at dst,
  /// packAdjacentPairs' layout.
  static void storeAdjacentPairs(float *dst, Reg lo, Reg hi) {
    _mm512_storeu_si512(dst, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
  /// dst[t] = the pair (src[2t], src[2t + 1]) for t < ceil(n / 2), zero
  /// past n: n consecutive floats rounded to n consecutive bfloat16s,
  /// which is the pair layout (the even value in the low half).
  static void packAdjacentPairs(float *dst, const float *src, int64_t n) {
    for (int64_t t = 0; t < n; t += 2 * W) {
      int64_t lo = n - t < W ? n - t : W;
      int64_t hi = n - t - W < 0 ? 0 : n - t - W < W ? n - t - W : W;
      Reg a = _mm512_maskz_loadu_ps(mask(lo), src + t);
      Reg b = _mm512_maskz_loadu_ps(mask(hi), src + t + W);
      __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, a);
      _mm512_mask_storeu_epi32(dst + t / 2, mask((lo + hi + 1) / 2), both);
    }
  }
};
} // namespace

#include "GemmMicro.inc"

// The attention on bfloat16 pairs (uses GemmMicro.inc's helpers).
#include "AttentionMicro.inc"

namespace {

using romac::kernels::detail::PackFormat;

/// out[q * MR + r] = rows[r * chunk + q] for q < pairs, r < MR: a panel's
/// rows of pairs into the panel's layout, MR a constant so that the
/// compiler keeps the MR rows' streams in registers.
template <int MR>
void transposeRowsOf(const float *rows, int64_t chunk, int64_t pairs,
                     float *out) {
  for (int64_t q = 0; q < pairs; ++q)
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      out[q * MR + r] = rows[r * chunk + q];
}

/// transposeRowsOf for the tiles' heights (ROMAC_TILES), else by a loop.
void transposeRows(const float *rows, int64_t chunk, int64_t pairs, int mr,
                   float *out) {
#define X(MR, NV)                                                              \
  if (mr == MR)                                                                \
    return transposeRowsOf<MR>(rows, chunk, pairs, out);
  ROMAC_TILES
#undef X
  for (int64_t q = 0; q < pairs; ++q)
    for (int r = 0; r < mr; ++r)
      out[q * mr + r] = rows[r * chunk + q];
}

/// detail::packA into bfloat16 pairs: a panel's contiguous rows are
/// converted by the vector instructions (packAdjacentPairs) a chunk of
/// pairs at a time into a buffer, which is then stored transposed
/// ([pair][row]); other layouts take the scalar detail::packA.
void packAPairs(const float *a, int64_t m, int64_t k, int64_t rowStride,
                const int64_t *colOffsets, int mr, PackFormat format,
                float *out) {
  constexpr int kMaxRows = 24; // the tallest tile (Avx512Vec.inc)
  if (!romac::kernels::detail::isConsecutive(colOffsets, k) || mr > kMaxRows)
    return romac::kernels::detail::packA(a, m, k, rowStride, colOffsets, mr,
                                         format, out);
  constexpr int64_t chunk = 128; // pairs per row in the buffer (12 KiB)
  alignas(64) float rows[kMaxRows * chunk];
  int64_t depth = getPackedDepth(k, 2);
  int64_t panels = romac::kernels::detail::getNumPanels(m, mr);
  for (int64_t p = 0; p < panels; ++p) {
    float *panel = out + p * depth * mr;
    int valid = static_cast<int>(minOf(mr, m - p * mr));
    for (int64_t q0 = 0; q0 < depth; q0 += chunk) {
      int64_t pairs = minOf(chunk, depth - q0);
      for (int r = 0; r < valid; ++r)
        Vec::packAdjacentPairs(rows + r * chunk,
                               a + (p * mr + r) * rowStride + colOffsets[0] +
                                   2 * q0,
                               minOf(2 * pairs, k - 2 * q0));
      for (int r = valid; r < mr; ++r)
        for (int64_t q = 0; q < pairs; ++q)
          rows[r * chunk + q] = 0.0f;
      transposeRows(rows, chunk, pairs, mr, panel + q0 * mr);
    }
  }
}

} // namespace

const romac::kernels::detail::IsaKernels &
romac::kernels::detail::getAvx512Bf16Kernels() {
  static const IsaKernels kernels = {
      Vec::W,       Vec::KPack, chooseTile, runGemm, packBlock,
      runBlock,     packAPairs, nullptr,    nullptr, nullptr,
      runAttention, nullptr,    nullptr};
  return kernels;
}
