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

#include "Avx512Vec.inc"

namespace {
struct Vec : Avx512Vec {};
} // namespace

#include "GemmMicro.inc"

// These use GemmMicro.inc's helpers.
#include "AttentionMicro.inc"
#include "DepthwiseMicro.inc"
#include "ThinMicro.inc"
#include "WinogradMicro.inc"

const romac::kernels::detail::IsaKernels &
romac::kernels::detail::getAvx512Kernels() {
  static const IsaKernels kernels = {Vec::W,        Vec::KPack,
                                     chooseTile,    runGemm,
                                     packBlock,     runBlock,
                                     packA,         runThin,
                                     runDepthwise,  runDepthwisePadded3x3,
                                     runAttention,  winogradInput,
                                     winogradOutput};
  return kernels;
}
