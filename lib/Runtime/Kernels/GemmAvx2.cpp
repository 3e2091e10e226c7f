//===- GemmAvx2.cpp - the GEMM micro-kernels for AVX2 + FMA ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -mavx2 -mfma (lib/Runtime/Kernels/CMakeLists.txt); called
// only when the host has AVX2 and FMA. 16 ymm registers: tiles of 6 x 16
// and 12 x 8 floats keep 12 accumulators in registers.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include <immintrin.h>

namespace {
struct Vec {
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int W = 8;
  static constexpr int KPack = 1;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const float *p) { return _mm256_loadu_ps(p); }
  static Reg loadMasked(const float *p, Mask m) {
    return _mm256_maskload_ps(p, m);
  }
  static Reg broadcast(const float *p) { return _mm256_broadcast_ss(p); }
  static Reg fma(Reg a, Reg b, Reg acc) { return _mm256_fmadd_ps(a, b, acc); }
  /// The GEMM's multiply-add of packed elements: fma here (a bfloat16 pair
  /// dot product in GemmAvx512Bf16.cpp).
  static Reg madd(Reg a, Reg b, Reg acc) { return fma(a, b, acc); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  /// b when either is NaN.
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  /// max(acc, x), NaN when either is NaN (max pooling): max_ps(x, acc)
  /// keeps a NaN acc, the blend a NaN x.
  static Reg maxNaN(Reg acc, Reg x) {
    return _mm256_blendv_ps(_mm256_max_ps(x, acc), x,
                            _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  }
  /// The nearest integer (ties to even), as a float.
  static Reg round(Reg v) {
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  /// v * 2^n for an integral n in [-126, 127]: 2^n built in the exponent
  /// bits.
  static Reg scaleByPowerOf2(Reg v, Reg n) {
    __m256i exponent = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(v, _mm256_castsi256_ps(exponent));
  }
  /// min(max(v, lo), hi); max_ps and min_ps return their second operand
  /// when either is NaN, so a NaN in v stays NaN.
  static Reg clamp(Reg v, Reg lo, Reg hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
  }
  static float sum(Reg v) {
    __m128 half =
        _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    return _mm_cvtss_f32(half);
  }
  static Reg loadEven(const float *p) {
    // [a0 a2 b0 b2 | a4 a6 b4 b6], then 64-bit lanes 0, 2, 1, 3.
    __m256 pairs = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8),
                                     _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static Reg loadEvenMasked(const float *p, int64_t n) {
    __m256 pairs =
        _mm256_shuffle_ps(_mm256_maskload_ps(p, mask(n < W ? n : W)),
                          _mm256_maskload_ps(p + W, mask(n > W ? n - W : 0)),
                          _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
  }
  /// lo = a0 b0 a1 b1 a2 b2 a3 b3, hi = a4 b4 ... a7 b7.
  static void interleave(Reg a, Reg b, Reg &lo, Reg &hi) {
    // [a0 b0 a1 b1 | a4 b4 a5 b5] and [a2 b2 a3 b3 | a6 b6 a7 b7].
    Reg low = _mm256_unpacklo_ps(a, b), high = _mm256_unpackhi_ps(a, b);
    lo = _mm256_permute2f128_ps(low, high, 0x20);
    hi = _mm256_permute2f128_ps(low, high, 0x31);
  }
  static void store(float *p, Reg v) { _mm256_storeu_ps(p, v); }
  static void storeMasked(float *p, Reg v, Mask m) {
    _mm256_maskstore_ps(p, m, v);
  }
  static Mask mask(int64_t valid) {
    // Lane i is on when i < valid (the sign bit of each 32-bit lane).
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(valid)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  /// p[0], p[step], ..., p[7 step] (a gather: no other float is read).
  static Reg loadStrided(const float *p, int64_t step) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_i32gather_ps(
        p, _mm256_mullo_epi32(lanes, _mm256_set1_epi32(static_cast<int>(step))),
        4);
  }
  /// Lanes [lo, hi), 0 <= lo <= hi <= W.
  static Mask maskRange(int64_t lo, int64_t hi) {
    return _mm256_andnot_si256(mask(lo), mask(hi));
  }
  /// v1 v2 ... v7 next: the lanes shifted down by one, `next` last.
  static Reg shiftIn(Reg v, float next) {
    Reg rotated =
        _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0));
    return _mm256_blend_ps(rotated, _mm256_set1_ps(next), 0x80);
  }
  /// even = a0 a2 a4 a6 b0 b2 b4 b6, odd = a1 a3 ... b7.
  static void deinterleave(Reg a, Reg b, Reg &even, Reg &odd) {
    // [a0 a2 b0 b2 | a4 a6 b4 b6], then 64-bit lanes 0, 2, 1, 3.
    __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
  }
};
} // namespace

#define ROMAC_TILES X(6, 2) X(12, 1)
#include "GemmMicro.inc"

// These use GemmMicro.inc's helpers.
#include "AttentionMicro.inc"
#include "DepthwiseMicro.inc"
#include "ThinMicro.inc"
#include "WinogradMicro.inc"

namespace {
romac::kernels::detail::Tile chooseTile(int64_t n) {
  if (n > 8)
    return {6, 2};
  return {12, 1};
}
} // namespace

const romac::kernels::detail::IsaKernels &
romac::kernels::detail::getAvx2Kernels() {
  static const IsaKernels kernels = {Vec::W,        Vec::KPack,
                                     chooseTile,    runGemm,
                                     packBlock,     runBlock,
                                     packA,         runThin,
                                     runDepthwise,  runDepthwisePadded3x3,
                                     runAttention,  winogradInput,
                                     winogradOutput};
  return kernels;
}
