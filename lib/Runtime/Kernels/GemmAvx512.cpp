//===- GemmAvx512.cpp - the GEMM micro-kernels for AVX-512 -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -mavx512f -mfma (lib/Runtime/Kernels/CMakeLists.txt); called
// only when the host has AVX-512F (Kernels.cpp checks CPUID). 32 zmm
// registers: tiles of 6 x 64, 12 x 32 and 24 x 16 floats keep 24
// accumulators, B's vectors and a broadcast in registers.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include <immintrin.h>

namespace {
struct Vec {
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int W = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const float *p) { return _mm512_loadu_ps(p); }
  static Reg loadMasked(const float *p, Mask m) {
    return _mm512_maskz_loadu_ps(m, p);
  }
  static Reg broadcast(const float *p) { return _mm512_set1_ps(*p); }
  static Reg fma(Reg a, Reg b, Reg acc) { return _mm512_fmadd_ps(a, b, acc); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  /// b when either is NaN.
  static Reg max(Reg a, Reg b) { return _mm512_maskz_max_ps(0xffff, a, b); }
  /// The nearest integer (ties to even), as a float.
  static Reg round(Reg v) {
    return _mm512_maskz_roundscale_ps(
        0xffff, v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  /// v * 2^n for an integral n (scalef).
  static Reg scaleByPowerOf2(Reg v, Reg n) {
    return _mm512_maskz_scalef_ps(0xffff, v, n);
  }
  /// min(max(v, lo), hi); max_ps and min_ps return their second operand
  /// when either is NaN, so a NaN in v stays NaN. (The zero-masking forms,
  /// as in sum(): GCC 12 warns of its header's unmasked ones.)
  static Reg clamp(Reg v, Reg lo, Reg hi) {
    const __mmask16 all = 0xffff;
    return _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, v));
  }
  static float sum(Reg v) {
    // The zero-masking forms: GCC 12's unmasked shuffles, extracts and
    // _mm512_reduce_add_ps warn of an uninitialized register in its header.
    const __mmask16 all = 0xffff;
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, 0x4e));
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, 0xb1));
    v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0x4e));
    v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0xb1));
    return _mm512_cvtss_f32(v);
  }
  static Reg loadEven(const float *p) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even,
                                  _mm512_loadu_ps(p + 16));
  }
  static Reg loadEvenMasked(const float *p, int64_t n) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(
        _mm512_maskz_loadu_ps(mask(n < W ? n : W), p), even,
        _mm512_maskz_loadu_ps(mask(n > W ? n - W : 0), p + W));
  }
  static void store(float *p, Reg v) { _mm512_storeu_ps(p, v); }
  static void storeMasked(float *p, Reg v, Mask m) {
    _mm512_mask_storeu_ps(p, m, v);
  }
  static Mask mask(int64_t valid) {
    return static_cast<Mask>((1u << valid) - 1u);
  }
};
} // namespace

#define ROMAC_TILES X(6, 4) X(12, 2) X(24, 1)
#include "GemmMicro.inc"

// These use GemmMicro.inc's helpers.
#include "AttentionMicro.inc"
#include "DepthwiseMicro.inc"
#include "ThinMicro.inc"

namespace {
romac::kernels::detail::Tile chooseTile(int64_t n) {
  if (n > 32)
    return {6, 4};
  if (n > 16)
    return {12, 2};
  return {24, 1};
}
} // namespace

const romac::kernels::detail::IsaKernels &
romac::kernels::detail::getAvx512Kernels() {
  static const IsaKernels kernels = {Vec::W,       chooseTile,  runGemm,
                                     packBlock,    runBlock,    runThin,
                                     runDepthwise, runAttention};
  return kernels;
}
