//===- Kernels.h - native kernels the generated code calls ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The runtime library of compiled models (lib/Runtime/Kernels, target
// RomacKernels): hand-written micro-kernels for the contractions, in the
// spirit of IREE's ukernels, and the helpers the LLVM lowering of memrefs
// calls. romac-lower-to-kernels (lib/Codegen) replaces each f32
// linalg.matmul, linalg.batch_matmul and linalg.conv_2d_nchw_fchw tile by a
// call to one of the entry points below, so the loops around the call are
// the schedule's DRAM-level tiles and the kernel owns the levels inside a
// tile (cache blocking, register tiles, the vector ISA, both cores).
//
// The instruction set is chosen at run time from CPUID (AVX-512, AVX2 + FMA,
// or portable C++), never from the build machine, so one binary runs on
// every x86-64 host; tests can force each ISA the host supports.
//
// Plain C++17 with no LLVM or MLIR dependency: the library is also linked
// into the shared objects `romac compile --emit-library` writes.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_RUNTIME_KERNELS_H
#define ROMAC_RUNTIME_KERNELS_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace romac::kernels {

/// One function that generated code may call, by its link name.
struct Symbol {
  const char *name;
  void *address;
};

/// Every runtime function generated code may call; `count` receives the
/// number of entries. The JIT binds these names; shared libraries link them.
const Symbol *getSymbols(int *count);

/// The vector instruction sets the kernels are written for, narrowest
/// first. Avx512Bf16 is AVX-512 with AVX512-BF16's VDPBF16PS: its fp32
/// kernels are Avx512's, and the `_bf16` GEMMs use the dot products (on the
/// other ISAs they round the operands to bfloat16 and multiply in fp32).
enum class Isa { Scalar, Avx2, Avx512, Avx512Bf16 };

/// "scalar", "avx2", "avx512" or "avx512bf16".
const char *getIsaName(Isa isa);
/// Whether this CPU (and OS) can run `isa`.
bool isSupported(Isa isa);
/// The ISA the kernels use: the widest the host supports, unless
/// ROMAC_KERNEL_ISA=scalar|avx2|avx512|avx512bf16 or setIsa() asks for
/// another.
Isa getIsa();
/// Forces `isa` (tests); false, with nothing changed, when the host lacks it.
bool setIsa(Isa isa);

/// Whether the `_i8` entry points multiply integer codes as bytes with
/// AVX512-VNNI's VPDPBUSD: the CPU has it and the ISA in use is AVX-512
/// (setIsa(Isa::Avx2) turns it off); otherwise they run the fp32 kernels.
bool hasInt8DotProducts();
/// Threads a kernel splits its work over: ROMAC_NUM_THREADS, else the
/// number of CPUs this process may run on.
int getNumThreads();
/// Sets the thread count (at least 1) for the calls that follow.
void setNumThreads(int threads);

/// How 3x3 convolutions of stride 1 with a weight as filter are computed:
/// directly (Off), or by Winograd's minimal filtering F(2x2, 3x3) (2.25x
/// fewer multiply-adds) or F(4x4, 3x3) (4x fewer). Auto, the default, takes
/// F(4x4, 3x3) for fp32 products on planes of at least 24x24 (unless its
/// transformed filter would pass 64 MiB) and F(2x2, 3x3) otherwise; a
/// convolution asking for bfloat16 products never takes F(4x4) in bfloat16
/// (F(4x4)'s larger coefficients amplify the rounding of the transformed
/// operands about 7x), but with at most 384 channels and filters on such a
/// plane it is computed by F(4x4) in fp32, faster there than F(2x2) in
/// bfloat16 (Winograd.cpp). ROMAC_WINOGRAD=0, 2 or 4 sets Off,
/// F2x2 or F4x4 for the process; the values are the ABI of the model
/// library's romac_internal_set_winograd.
enum class WinogradMode { Off = 0, Auto = 1, F2x2 = 2, F4x4 = 4 };
WinogradMode getWinogradMode();
/// Sets the mode for the calls that follow.
void setWinogradMode(WinogradMode mode);
/// getWinogradMode() != Off.
bool isWinogradEnabled();
/// setWinogradMode(Auto) or (Off).
void setWinograd(bool enabled);

/// The packing pass. While it is on, the contractions (matmuls,
/// convolutions, depthwise convolutions, attention) pack their constant
/// operands (weights) into the copies the kernels keep between calls, and
/// skip their arithmetic: their outputs keep whatever they held. One run of
/// a model with it on (Executable::packWeights) packs every weight before
/// the first real run, as a load step. Process-wide; a model library's own
/// copy of the kernels follows romac_internal_set_packing_pass.
void setPackingPass(bool on);
bool isPackingPass();

/// The error of the first bad value romac_check_index or
/// romac_check_divisor saw since the last call ("an index computed from
/// the data is ..."), and forgets it; empty when there was none. Checked
/// after every run.
std::string takeDataError();

/// The bytes of the packed copies of constant operands (weights) the
/// kernels keep between calls.
int64_t getPackedConstantBytes();

/// Frees the packed copies of constant operands (weights) the kernels keep
/// between calls. Call it when the memory holding weights is unmapped or
/// reused (a compiled model is destroyed).
void clearPackedConstants();

/// Unmaps the large buffers the generated code freed and the pool keeps
/// for reuse (romacAlloc / romacFree, Kernels.cpp). Call it when a compiled
/// model is destroyed.
void releaseBufferPool();

} // namespace romac::kernels

extern "C" {

/// A memref descriptor of rank N as MLIR's C interface passes it
/// (`llvm.emit_c_interface`): element (i0, ..., iN-1) lives at
/// aligned[offset + sum(ik * strides[k])].
#define ROMAC_MEMREF_F32(N)                                                    \
  struct RomacMemref##N##F32 {                                                 \
    float *allocated;                                                          \
    float *aligned;                                                            \
    int64_t offset;                                                            \
    int64_t sizes[N];                                                          \
    int64_t strides[N];                                                        \
  }
ROMAC_MEMREF_F32(1);
ROMAC_MEMREF_F32(2);
ROMAC_MEMREF_F32(3);
ROMAC_MEMREF_F32(4);
#undef ROMAC_MEMREF_F32

/// C[m, n] += sum_k A[m, k] * B[k, n] (linalg.matmul on f32). When
/// `constantB` is non-zero, `b` is a weight (the same address always holds
/// the same values): it is packed once per process and reused by every
/// later call.
void _mlir_ciface_romac_matmul_f32(RomacMemref2F32 *a, RomacMemref2F32 *b,
                                   RomacMemref2F32 *c, int64_t constantB);
/// C[b, m, n] += sum_k A[b, m, k] * B[b, k, n] (linalg.batch_matmul);
/// `constantB` as for the matmul.
void _mlir_ciface_romac_batch_matmul_f32(RomacMemref3F32 *a, RomacMemref3F32 *b,
                                         RomacMemref3F32 *c, int64_t constantB);
/// out[n, f, oh, ow] += sum_{c, kh, kw} in[n, c, oh * strideH + kh * dilH,
///   ow * strideW + kw * dilW] * w[f, c, kh, kw]
/// (linalg.conv_2d_nchw_fchw; padding is explicit in `in`). When
/// `constantFilter` is non-zero, `w` is a weight (the same address always
/// holds the same values): its packed copy is made once per process and
/// reused by every later call.
void _mlir_ciface_romac_conv2d_nchw_fchw_f32(RomacMemref4F32 *in,
                                             RomacMemref4F32 *w,
                                             RomacMemref4F32 *out,
                                             int64_t strideH, int64_t strideW,
                                             int64_t dilH, int64_t dilW,
                                             int64_t constantFilter);
/// out[n, c, oh, ow] += sum_{kh, kw} in[n, c, oh * strideH + kh * dilH,
///   ow * strideW + kw * dilW] * w[c, kh, kw]
/// (linalg.depthwise_conv_2d_nchw_chw; padding is explicit in `in`).
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW);

/// out[n, c, oh, ow] = max(out[n, c, oh, ow], max_{kh, kw} in[n, c,
///   oh * strideH + kh * dilH, ow * strideW + kw * dilW])
/// over a kh x kw window (linalg.pooling_nchw_max: NaN when any operand
/// is NaN; padding is explicit in `in`, the output starts as -inf).
void _mlir_ciface_romac_maxpool2d_nchw_f32(RomacMemref4F32 *in,
                                           RomacMemref4F32 *out, int64_t kh,
                                           int64_t kw, int64_t strideH,
                                           int64_t strideW, int64_t dilH,
                                           int64_t dilW);

/// The same four kernels with an epilogue fused into them
/// (romac-fuse-into-contractions: `romac.overwrite`, `romac.scale`,
/// `romac.clamp`): with `overwrite` non-zero the output's old values are
/// ignored (out = the sum, not out + the sum; no zero fill and no read of
/// it), then every output becomes min(max(scale * x, lo), hi) once its sum
/// is complete, NaN kept. scale 1, lo = -inf and hi = +inf change nothing;
/// ReLU is (0, +inf), ReLU6 (0, 6).
void _mlir_ciface_romac_matmul_fused_f32(RomacMemref2F32 *a, RomacMemref2F32 *b,
                                         RomacMemref2F32 *c, int64_t constantB,
                                         int64_t overwrite, float scale,
                                         float lo, float hi);
void _mlir_ciface_romac_batch_matmul_fused_f32(
    RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,
    int64_t constantB, int64_t overwrite, float scale, float lo, float hi);
void _mlir_ciface_romac_conv2d_nchw_fchw_fused_f32(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t constantFilter, int64_t overwrite, float scale, float lo, float hi);
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t overwrite, float scale, float lo, float hi);

/// The depthwise convolution of an implicitly zero-padded input
/// (romac-implicit-pads): `in` is the unpadded input, and the window of
/// output (oh, ow) starts at input row oh * strideH - padTop and column
/// ow * strideW - padLeft; rows and columns outside `in` are zeros. The
/// output's sizes say how far the padding reaches down and right. Plain
/// and with the fused epilogue above.
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t padTop, int64_t padLeft);
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t padTop, int64_t padLeft, int64_t overwrite, float scale, float lo,
    float hi);

/// The convolutions with a bias fused (romac-lower-to-kernels, when the
/// output starts as a per-channel bias broadcast): the `_fused` kernels'
/// operands and epilogue, and `bias` (one float per output channel) is
/// added to each output once, with its first block of the reduction, so
/// the output is neither written with the bias first nor read back: out =
/// min(max(scale * ((overwrite ? 0 : out) + bias[c] + sum), lo), hi).
/// `_bf16`: bfloat16 products, as the conv2d_bf16 kernels.
void _mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_f32(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t constantFilter, int64_t overwrite, float scale,
    float lo, float hi);
void _mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_bf16(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t constantFilter, int64_t overwrite, float scale,
    float lo, float hi);
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t overwrite, float scale, float lo, float hi);
void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t padTop, int64_t padLeft, int64_t overwrite,
    float scale, float lo, float hi);

/// The matmul, batch_matmul and convolution with bfloat16 products
/// (`romac run --precision bf16`): the same operands, outputs and epilogues
/// as the `_f32` kernels, but A and B are rounded to bfloat16 (nearest,
/// ties to even; denormals to zero) and their products summed in fp32. With
/// AVX512-BF16 the kernels pack them as bfloat16 pairs and multiply with
/// VDPBF16PS (twice the fp32 FMA's multiply-adds per instruction); without
/// it they round as they pack and multiply in fp32. A matmul of at most 4
/// rows (the thin kernels) is computed in fp32.
void _mlir_ciface_romac_matmul_bf16(RomacMemref2F32 *a, RomacMemref2F32 *b,
                                    RomacMemref2F32 *c, int64_t constantB);
void _mlir_ciface_romac_batch_matmul_bf16(RomacMemref3F32 *a,
                                          RomacMemref3F32 *b,
                                          RomacMemref3F32 *c,
                                          int64_t constantB);
void _mlir_ciface_romac_conv2d_nchw_fchw_bf16(RomacMemref4F32 *in,
                                              RomacMemref4F32 *w,
                                              RomacMemref4F32 *out,
                                              int64_t strideH, int64_t strideW,
                                              int64_t dilH, int64_t dilW,
                                              int64_t constantFilter);
void _mlir_ciface_romac_matmul_fused_bf16(RomacMemref2F32 *a,
                                          RomacMemref2F32 *b,
                                          RomacMemref2F32 *c, int64_t constantB,
                                          int64_t overwrite, float scale,
                                          float lo, float hi);
void _mlir_ciface_romac_batch_matmul_fused_bf16(
    RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,
    int64_t constantB, int64_t overwrite, float scale, float lo, float hi);
void _mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t constantFilter, int64_t overwrite, float scale, float lo, float hi);

/// The matmul and convolution of a quantized run (`romac run --quantize
/// w8a8|w4a8`, romac-lower-to-kernels on ops marked `romac.integer_codes`):
/// the same operands, outputs and epilogues as the `_f32` kernels, but A's
/// and B's values are integer codes (rounded to the nearest integer and
/// saturated to [-128, 127] if they are not). Where hasInt8DotProducts(),
/// the codes are packed as bytes and their products summed exactly in
/// int32, then converted to float once per output; otherwise, and for a
/// matmul of at most 4 rows whose B is not a weight (`constantB` 0) or a
/// reduction of 65,536 values or more, these are the `_f32` kernels (the
/// same sums in fp32).
void _mlir_ciface_romac_matmul_i8(RomacMemref2F32 *a, RomacMemref2F32 *b,
                                  RomacMemref2F32 *c, int64_t constantB);
void _mlir_ciface_romac_matmul_fused_i8(RomacMemref2F32 *a, RomacMemref2F32 *b,
                                        RomacMemref2F32 *c, int64_t constantB,
                                        int64_t overwrite, float scale,
                                        float lo, float hi);
void _mlir_ciface_romac_conv2d_nchw_fchw_i8(RomacMemref4F32 *in,
                                            RomacMemref4F32 *w,
                                            RomacMemref4F32 *out,
                                            int64_t strideH, int64_t strideW,
                                            int64_t dilH, int64_t dilW,
                                            int64_t constantFilter);
void _mlir_ciface_romac_conv2d_nchw_fchw_fused_i8(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t constantFilter, int64_t overwrite, float scale, float lo, float hi);
/// o[b, i, c] = sum_j softmax_j(scale * sum_kk q[b, i, kk] * k[b, j, kk])
///   * v[b, j, c]
/// (romac.attention, romac-fuse-attention): scaled dot-product attention
/// with the softmax taken online over blocks of keys, so the scores are
/// never stored whole. `o` is overwritten.
void _mlir_ciface_romac_attention_f32(RomacMemref3F32 *q, RomacMemref3F32 *k,
                                      RomacMemref3F32 *v, RomacMemref3F32 *o,
                                      float scale);
/// The same with both products on bfloat16 operands (Q, K, V and the
/// probabilities rounded; the softmax's scores, maxima and sums in fp32)
/// where the CPU has AVX512-BF16, else exactly romac_attention_f32.
void _mlir_ciface_romac_attention_bf16(RomacMemref3F32 *q, RomacMemref3F32 *k,
                                       RomacMemref3F32 *v, RomacMemref3F32 *o,
                                       float scale);
/// The same two kernels with the heads in the operands' layout
/// (romac.attention on rank-4 operands): q [B, M, H, D], k [B, N, H, D],
/// v [B, N, H, DV], o [B, M, H, DV]; each (b, h) is one attention,
/// o[b, i, h, c] = sum_j softmax_j(scale * sum_kk q[b, i, h, kk]
/// * k[b, j, h, kk]) * v[b, j, h, c]. A projection's output [B, S, H * D]
/// viewed as [B, S, H, D] is read in place, without the copies that split
/// it into heads ([B * H, S, D]) and merge the result back.
void _mlir_ciface_romac_attention_heads_f32(RomacMemref4F32 *q,
                                            RomacMemref4F32 *k,
                                            RomacMemref4F32 *v,
                                            RomacMemref4F32 *o, float scale);
void _mlir_ciface_romac_attention_heads_bf16(RomacMemref4F32 *q,
                                             RomacMemref4F32 *k,
                                             RomacMemref4F32 *v,
                                             RomacMemref4F32 *o, float scale);
/// The buffers of generated code (bound to MLIR's generic allocation
/// functions `_mlir_memref_to_llvm_alloc` / `_aligned_alloc` / `_free`):
/// 64-byte aligned; blocks of at least 1 MiB are kept in a pool after
/// romacFree and handed out again for the same size class
/// (releaseBufferPool() unmaps them). romacAlignedAlloc returns null for an
/// alignment above 64.
void *romacAlloc(size_t bytes);
void *romacAlignedAlloc(size_t alignment, size_t bytes);
void romacFree(void *pointer);

/// fn(ctx, begin, end) over contiguous ranges that cover [0, count), on
/// the kernels' worker threads (the caller takes the first range); returns
/// when all are done. Generated code calls it for the element-wise kernels
/// romac-parallelize-kernels splits (`@romac_chunk_K`).
void romac_parallel_for(int64_t count, void (*fn)(void *, int64_t, int64_t),
                        void *ctx);

/// An index that generated code computed from the data (romac-check-indices:
/// a Gather's indices) and is about to read an axis of `size` elements at:
/// returned as it is when in [0, size) (with `wraps`, ONNX's negative
/// indices in [-size, 0) count from the end: index + size); otherwise 0, a
/// safe index, and the first such index since the last takeDataError() is
/// recorded, so the run fails with an error instead of reading outside its
/// tensor.
int64_t romac_check_index(int64_t index, int64_t size, int64_t wraps);
/// An integer divisor (or modulus) computed from the data
/// (romac-check-indices): returned as it is when not zero; zero, which
/// IDIV traps on, becomes 1 and is recorded like a bad index.
int64_t romac_check_divisor(int64_t divisor);
}

#endif // ROMAC_RUNTIME_KERNELS_H
