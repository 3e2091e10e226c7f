//===- KernelsInternal.h - helpers shared by the kernel drivers -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Runtime/Kernels: what the drivers that turn entry-point
// calls into GemmProblems share (Kernels.cpp, Winograd.cpp). Compiled
// without any ISA flag: the ISA files see only Gemm.h.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_RUNTIME_KERNELS_KERNELSINTERNAL_H
#define ROMAC_LIB_RUNTIME_KERNELS_KERNELSINTERNAL_H

#include "Gemm.h"

#include "romac/Runtime/Kernels.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace romac::kernels::detail {

/// A float buffer on the heap, 64-byte aligned, uninitialised.
struct Buffer {
  explicit Buffer(int64_t floats)
      : bytes(((std::max<int64_t>(floats, 1) * 4 + 63) / 64) * 64),
        data(static_cast<float *>(std::aligned_alloc(64, bytes))) {}
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  int64_t bytes;
  float *data;
};

/// The packed copies of constant operands, by address, layout and
/// fingerprint (appendFingerprint); emptied by clearPackedConstants().
struct PackedConstants {
  static PackedConstants &get() {
    static PackedConstants constants;
    return constants;
  }
  std::mutex mutex;
  std::map<std::vector<int64_t>, std::unique_ptr<Buffer>> cache;
};

/// The epilogue of the `_fused` entry points' scalars; none when it
/// changes nothing (no overwrite, scale 1, clamp to (-inf, +inf)).
std::optional<Epilogue> getEpilogue(int64_t overwrite, float scale, float lo,
                                    float hi);

/// The epilogue of the `_bias_fused` entry points: getEpilogue's, adding
/// bias[i] to output channel i.
Epilogue getBiasEpilogue(const RomacMemref1F32 *bias, int64_t overwrite,
                         float scale, float lo, float hi);

/// The packed copy of a constant operand under `key` as getPackedConstant,
/// for a copy whose size is known only once it is packed: make() returns
/// the buffer.
template <typename Make>
float *getPackedConstantMade(const std::vector<int64_t> &key, Make make) {
  PackedConstants &constants = PackedConstants::get();
  std::lock_guard<std::mutex> lock(constants.mutex);
  std::unique_ptr<Buffer> &packed = constants.cache[key];
  if (!packed)
    packed = make();
  return packed->data;
}

/// The packed copy of a constant operand (a weight) under `key` (its
/// address, layout and fingerprint, appendFingerprint): made once by
/// pack(out), into a buffer of `floats` floats, and kept until
/// clearPackedConstants().
template <typename Pack>
float *getPackedConstant(const std::vector<int64_t> &key, int64_t floats,
                         Pack pack) {
  return getPackedConstantMade(key, [&] {
    auto packed = std::make_unique<Buffer>(floats);
    pack(packed->data);
    return packed;
  });
}

/// The fp32 kernels of the current ISA.
const IsaKernels &getKernels();

/// The GEMM kernels for `precision`: bfloat16 pair dot products where the
/// ISA has them, else the fp32 kernels (which then round B as they pack it,
/// GemmProblem::roundBf16).
const IsaKernels &getGemmKernels(Precision precision);

/// The GEMM kernels for `precision`, and how A must be packed for them.
std::pair<const IsaKernels *, PackFormat> getGemm(Precision precision);

/// A grow-only buffer per thread (a fresh allocation per call would
/// page-fault on every call); `slot` 0 holds packed A, 1 a shared block of
/// B, 2 and 3 Winograd's V and M, 4 and 5 the int8 GEMM's decoded panels
/// of A and strip of B (Int8.cpp).
float *getThreadScratch(int64_t floats, unsigned slot = 0);

/// packA, its row panels shared out over the threads when `parallel`.
void packAOnThreads(const IsaKernels &isa, const float *a, int64_t m, int64_t k,
                    int64_t rowStride, const int64_t *cols, int mr,
                    PackFormat format, float *out, bool parallel);

/// Where the values of a weight's fingerprint are (appendFingerprint).
using FingerprintSamples = std::array<const float *, 8>;

/// Appends a few values of the m x k matrix a[i * rowStride + cols[kk]] to
/// `key`, as a fingerprint against an address reused by another model's
/// weights after clearPackedConstants() was not called; returns where they
/// are.
FingerprintSamples appendFingerprint(std::vector<int64_t> &key, const float *a,
                                     int64_t m, int64_t k, int64_t rowStride,
                                     const std::vector<int64_t> &cols);

/// Asks the OS to reclaim the whole pages of [data, data + floats), a
/// weight that was just packed (its contents are kept), but the pages of
/// its fingerprint's samples, which every later call reads.
void releasePages(const float *data, int64_t floats,
                  const FingerprintSamples &kept);

/// A convolution as one GEMM (M = filters, K = (channel, kh, kw), N =
/// output pixels (n, oh, ow)), its offset tables: A(f, kk) = w[f *
/// w.strides[0] + filter[kk]], B(kk, j) = in[input[kk] + inputColumns[j]]
/// (the input value under the window, no im2col buffer), C(f, j) = out[f *
/// out.strides[1] + outputColumns[j]].
struct ConvOffsets {
  ConvOffsets(const RomacMemref4F32 *in, const RomacMemref4F32 *w,
              const RomacMemref4F32 *out, int64_t strideH, int64_t strideW,
              int64_t dilH, int64_t dilW);
  std::vector<int64_t> filter, input, inputColumns, outputColumns;
};

/// The ConvOffsets of a convolution's shapes and strides (not its data):
/// made once and kept (a few hundred at most), as the same layers run
/// again on every run of a model (a 1x1 convolution at 112 x 112 filled
/// two tables of 12,544 offsets per call).
std::shared_ptr<const ConvOffsets>
getConvOffsets(const RomacMemref4F32 *in, const RomacMemref4F32 *w,
               const RomacMemref4F32 *out, int64_t strideH, int64_t strideW,
               int64_t dilH, int64_t dilW);

/// Offsets 0, stride, 2 * stride, ... (n of them).
std::vector<int64_t> getRange(int64_t n, int64_t stride);

/// C += A * B on this thread, or split over the threads when `parallel`.
void run(const IsaKernels &isa, const GemmProblem &problem, bool parallel);

/// Whether conv2d computes this convolution by winogradConv (Winograd.cpp):
/// a stride-1, undilated 3x3 filter that is a weight, rows contiguous,
/// enough channels and filters, and Winograd enabled (isWinogradEnabled).
bool useWinograd(RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
                 int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
                 int64_t constantFilter);

/// out += conv(in, w) (then the epilogue) by Winograd's F(2x2, 3x3), for a
/// convolution useWinograd() accepts.
void winogradConv(RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
                  const Epilogue *epilogue, Precision precision);

} // namespace romac::kernels::detail

#endif // ROMAC_LIB_RUNTIME_KERNELS_KERNELSINTERNAL_H
