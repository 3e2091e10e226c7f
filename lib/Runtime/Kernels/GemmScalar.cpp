//===- GemmScalar.cpp - the portable GEMM micro-kernel ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Plain C++ for any host (the compiler may use the baseline SSE2): one
// float per "register", a 4 x 8 tile. The reference the vector ISAs are
// tested against is a separate naive loop in the unit tests, not this file.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

namespace {
struct Vec {
  using Reg = float;
  using Mask = bool;
  static constexpr int W = 1;
  static constexpr int KPack = 1;
  static Reg zero() { return 0.0f; }
  static Reg load(const float *p) { return *p; }
  static Reg loadMasked(const float *p, Mask m) { return m ? *p : 0.0f; }
  static Reg broadcast(const float *p) { return *p; }
  static Reg fma(Reg a, Reg b, Reg acc) { return acc + a * b; }
  /// The GEMM's multiply-add of packed elements: fma here (a bfloat16 pair
  /// dot product in GemmAvx512Bf16.cpp).
  static Reg madd(Reg a, Reg b, Reg acc) { return fma(a, b, acc); }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  /// b when either is NaN, as the vector ISAs' max.
  static Reg max(Reg a, Reg b) { return a > b ? a : b; }
  /// max(acc, x), NaN when either is NaN (max pooling).
  static Reg maxNaN(Reg acc, Reg x) { return x != x ? x : max(x, acc); }
  static Reg round(Reg v) { return __builtin_rintf(v); }
  static Reg scaleByPowerOf2(Reg v, Reg n) {
    return __builtin_ldexpf(v, static_cast<int>(n));
  }
  /// min(max(v, lo), hi), NaN kept.
  static Reg clamp(Reg v, Reg lo, Reg hi) {
    return v < lo ? lo : v > hi ? hi : v;
  }
  static float sum(Reg v) { return v; }
  static Reg loadEven(const float *p) { return *p; }
  static Reg loadEvenMasked(const float *p, int64_t n) {
    return n > 0 ? *p : 0.0f;
  }
  static void interleave(Reg a, Reg b, Reg &lo, Reg &hi) {
    lo = a;
    hi = b;
  }
  static void store(float *p, Reg v) { *p = v; }
  static void storeMasked(float *p, Reg v, Mask m) {
    if (m)
      *p = v;
  }
  static Mask mask(int64_t valid) { return valid > 0; }
  static Mask maskRange(int64_t lo, int64_t hi) { return lo == 0 && hi > 0; }
  static Reg loadStrided(const float *p, int64_t) { return *p; }
  static Reg shiftIn(Reg, float next) { return next; }
  static void deinterleave(Reg a, Reg b, Reg &even, Reg &odd) {
    even = a;
    odd = b;
  }
};
} // namespace

#define ROMAC_TILES X(4, 8)
#include "GemmMicro.inc"

// These use GemmMicro.inc's helpers.
#include "AttentionMicro.inc"
#include "DepthwiseMicro.inc"
#include "ThinMicro.inc"
#include "WinogradMicro.inc"

namespace {
romac::kernels::detail::Tile chooseTile(int64_t) { return {4, 8}; }
} // namespace

const romac::kernels::detail::IsaKernels &
romac::kernels::detail::getScalarKernels() {
  static const IsaKernels kernels = {Vec::W,        Vec::KPack,
                                     chooseTile,    runGemm,
                                     packBlock,     runBlock,
                                     packA,         runThin,
                                     runDepthwise,  runDepthwisePadded3x3,
                                     runAttention,  winogradInput,
                                     winogradOutput};
  return kernels;
}
