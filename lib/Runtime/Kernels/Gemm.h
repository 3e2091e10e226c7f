//===- Gemm.h - the register-tiled GEMM core of the kernels ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Runtime/Kernels. Every contraction kernel is a sum of
// GEMMs C += A * B where
//  - A (m x k) is packed once per call into panels of `mr` rows, k-major
//    inside a panel ([panel][k][mr], rows past m zero);
//  - B (k x n) is addressed through two offset tables,
//    B(kk, j) = b[kOffsets[kk] + colOffsets[j]], so a matmul
//    (kOffsets[kk] = kk * ldb, colOffsets[j] = j * columnStride) and a
//    convolution (kOffsets over (c, kh, kw) = the input offset of channel c
//    shifted by the window; colOffsets over the output pixels (n, oh, ow) =
//    where their window starts) are the same loop, without an im2col
//    buffer: blocks of B are copied into cache-sized contiguous panels as
//    the loops reach them (BLIS's packing), which also makes any stride
//    cheap;
//  - C (m x n) is C(i, j) = c[i * ldc + cColOffsets[j]], accumulated in
//    place (through a small buffer where a register tile's columns are not
//    contiguous).
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
#include <cstring>

namespace romac::kernels::detail {

/// The bfloat16 nearest to `v` (ties to even), as its 16 bits: the upper
/// half of the float's bits, rounded. As VCVTNEPS2BF16 does it: a NaN stays
/// a (quiet) NaN and a denormal becomes a zero of its sign, so that packing
/// by scalar code and by the vector instruction gives the same bits.
inline uint16_t toBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0)
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  if ((bits & 0x7f800000u) == 0)
    return static_cast<uint16_t>((bits >> 16) & 0x8000u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// `v` rounded to the nearest bfloat16 (toBf16), as a float.
inline float roundToBf16(float v) {
  uint32_t bits = uint32_t(toBf16(v)) << 16;
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

/// Two bfloat16s in one 32-bit element of a packed operand, as
/// VDPBF16PS reads them: `even` (row 2q of the reduction) in the low half,
/// `odd` (row 2q + 1) in the high half. Stored in a float slot, so that
/// packed buffers keep one element type.
inline float packBf16Pair(float even, float odd) {
  uint32_t bits = uint32_t(toBf16(even)) | uint32_t(toBf16(odd)) << 16;
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

/// The register tile of a micro-kernel: mr rows of A times nv vectors of B.
struct Tile {
  int mr;
  int nv;
};

/// An activation applied to C as it is stored for the last time:
/// C = min(max(C, lo), hi) (ReLU, ReLU6, Clip), NaN kept.
struct Clamp {
  float lo, hi;
};

/// What a fused kernel does besides C += A * B (romac-fuse-into-contractions):
/// `overwrite` ignores C's old values (C = A * B: no zero fill, no read of
/// C); `bias` adds bias[i * biasStride] to row i (an output channel) once,
/// with the first block of k (the bias the output would otherwise start
/// as: no pass that writes it, no read of it); then C = clamp(scale * C)
/// where the last block of k is stored. In a depthwise plane's epilogue
/// (DepthwisePlane, PaddedDepthwise) `bias` points at the plane's own.
struct Epilogue {
  bool overwrite;
  float scale;
  bool hasClamp;
  Clamp clamp;
  const float *bias = nullptr;
  int64_t biasStride = 0;
};

/// The precision of a contraction's products: fp32, or bfloat16 operands
/// with fp32 sums (the `_bf16` entry points).
enum class Precision { Fp32, Bf16 };

/// One GEMM, C += A * B, with A already packed for `tile`.
///
/// In bfloat16 precision (romac_*_bf16, `romac run --precision bf16`) A
/// and B are rounded to bfloat16 and the products summed in fp32. The
/// kernels of an ISA with bfloat16 dot products (IsaKernels::kPack == 2)
/// pack them as pairs of the reduction (packBf16Pair): "k" in their packed
/// layouts, and in the k0/kLen of packBlock and runBlock, counts pairs,
/// ceil(k / 2) of them. The fp32 kernels instead round B's values as they
/// pack them (`roundBf16`) and get A packed from rounded values: the same
/// operands, fp32 products.
struct GemmProblem {
  int64_t m, n, k;
  Tile tile;
  /// Packed A: ceil(m / mr) panels of ceil(k / kPack) * mr elements; or,
  /// when aRowStride is not 0, A itself: A(i, kk) = packedA[i * aRowStride
  /// + kk] (fp32 kernels only: an activation whose rows are contiguous is
  /// read in place instead of copied per call).
  const float *packedA;
  /// B(kk, j) = b[kOffsets[kk] + colOffsets[j]].
  const float *b;
  const int64_t *kOffsets, *colOffsets;
  /// C(i, j) = c[i * ldc + cColOffsets[j]].
  float *c;
  int64_t ldc;
  const int64_t *cColOffsets;
  /// Overwrite, scale and clamp; null for plain accumulation.
  const Epilogue *epilogue = nullptr;
  /// fp32 kernels: round B's values to bfloat16 as they are packed.
  bool roundBf16 = false;
  /// Not 0: A is read in place with this row stride (packedA).
  int64_t aRowStride = 0;
  /// Not null: all of B packed ahead (a weight, packed once per process):
  /// strip s of nr = tile.nv * vectorWidth columns at packedB + s * depth *
  /// nr, as [kk][nr] over the whole depth (packBlock's layout with k0 = 0
  /// and kLen = the depth), so that the kernels skip packing B. Column
  /// ranges then start at whole strips.
  const float *packedB = nullptr;
};

/// C += A * B for an A of at most kThinRows rows, read in place
/// (ThinMicro.inc): A(i, kk) = a[i * lda + kk], B(kk, j) =
/// b[kk * bRowStride + j * bColStride] with bRowStride == 1 (the dot form)
/// or bColStride == 1 (the axpy form, which also needs C's columns
/// contiguous), C(i, j) = c[i * ldc + j * cColStride].
struct ThinProblem {
  int64_t m, n, k;
  const float *a;
  int64_t lda;
  const float *b;
  int64_t bRowStride, bColStride;
  float *c;
  int64_t ldc, cColStride;
};

/// The most rows of A for which a product is thin: a register tile of the
/// GEMM is 6 (AVX-512) to 12 rows high, so below this it would compute
/// mostly zero rows and pack all of B for them.
constexpr int64_t kThinRows = 4;

/// One plane of a depthwise convolution (DepthwiseMicro.inc):
/// out(oy, ox) += sum_{ky, kx} w(ky, kx) * in(oy * sh + ky * dh,
/// ox * sw + kx * dw), each operand addressed by its row and column
/// strides; the input row holds inWidth floats.
struct DepthwisePlane {
  const float *in;
  int64_t inRowStride, inColStride, inWidth;
  const float *w;
  int64_t wRowStride, wColStride;
  float *out;
  int64_t outRowStride, outColStride;
  int64_t ow, kh, kw, sh, sw, dh, dw;
  /// Overwrite, scale and clamp, applied to each output as it is stored
  /// (a depthwise sum is complete there); null for plain accumulation.
  const Epilogue *epilogue = nullptr;
  /// A max pooling instead: out(oy, ox) = max(out(oy, ox), the kh x kw
  /// window's max), NaN kept; `w` and `epilogue` unused.
  bool max = false;
};

/// A block of output rows of a 3x3 depthwise convolution, stride 1 or 2,
/// dilation 1, of an implicitly zero-padded input plane
/// (DepthwiseMicro.inc, runDepthwisePadded3x3): out(oy, ox) [+]= sum
/// w(ky, kx) * in(oy * stride + ky - padTop, ox * stride + kx - padLeft),
/// zero outside the input. Rows and columns of `in` and `out` are
/// contiguous. The rows are copied into `scratch` with their zeros so that
/// every output row, however narrow, continues the previous one: the
/// vectors run over the flattened block, not row by row, and a stride of 2
/// reads rows and columns split by parity, so every tap is a plain load.
struct PaddedDepthwise {
  const float *in;
  int64_t inRowStride, inHeight, inWidth;
  const float *w;
  int64_t wRowStride, wColStride;
  float *out;
  int64_t outRowStride, ow, stride, padTop, padLeft;
  /// Overwrite, scale and clamp as DepthwisePlane's; null: accumulate.
  const Epilogue *epilogue;
  /// getPaddedDepthwiseScratch(ow, rows, stride) floats.
  float *scratch;
};

/// The flattened pitch of a block's rows: each output row of ow outputs
/// continues the previous one after 2 (stride 1) or 1 (stride 2) outputs
/// that are computed and dropped.
inline int64_t getPaddedDepthwisePitch(int64_t ow, int64_t stride) {
  return stride == 1 ? ow + 2 : ow + 1;
}

/// The floats PaddedDepthwise::scratch holds for `rows` output rows: the
/// copied input (one array for stride 1; four arrays, rows and columns by
/// parity, for stride 2) and the flattened sums, each
/// with room for a vector's overrun.
/// The floats past an array of PaddedDepthwise::scratch that the last
/// vectors of a block read (kept zero) or write.
constexpr int64_t kPaddedDepthwiseSlack = 64;

/// The floats of one array of copied input rows in PaddedDepthwise::scratch
/// for `rows` output rows (rows + 2 rows of `pitch`, and the slack).
inline int64_t getPaddedDepthwiseArray(int64_t rows, int64_t pitch) {
  return (rows + 2) * pitch + kPaddedDepthwiseSlack;
}

inline int64_t getPaddedDepthwiseScratch(int64_t ow, int64_t rows,
                                         int64_t stride) {
  int64_t pitch = getPaddedDepthwisePitch(ow, stride);
  int64_t array = getPaddedDepthwiseArray(rows, pitch);
  int64_t sums = rows * pitch + kPaddedDepthwiseSlack;
  return (stride == 1 ? 1 : 4) * array + sums;
}

/// One fused attention (AttentionMicro.inc): for every batch element b,
/// O_b(i, c) = sum_j softmax_j(scale * sum_kk Q_b(i, kk) K_b(j, kk)) V_b(j, c)
/// for the query rows i of the call, with the softmax taken online block
/// of keys by block of keys (FlashAttention's recurrence), so that the
/// m x n scores exist only one block of rows and keys at a time, in cache.
struct AttentionProblem {
  /// Query rows, keys, the depth of Q and K, the width of V.
  int64_t m, n, d, dv;
  /// The register tile of both products (chooseTile(dv)).
  Tile tile;
  /// Batch element b is head b % heads of sequence b / heads (heads 1: the
  /// batch is the sequences).
  int64_t heads;
  /// Q_b(i, kk) = q[(b / heads) * qBatchStride + (b % heads) * qHeadStride
  /// + i * qRowStride + kk * qColStride].
  const float *q;
  int64_t qBatchStride, qHeadStride, qRowStride, qColStride;
  /// K_b^T and V_b packed whole by packBlock for `tile`, packedBatchStride
  /// floats apart: [strip][kk][nr] over d x n and [strip][j][nr] over
  /// n x dv (columns past n, dv zero; kk and j count pairs with kPack 2).
  const float *packedKt, *packedV;
  int64_t packedBatchStride;
  /// O_b(i, c) = o[(b / heads) * oBatchStride + (b % heads) * oHeadStride
  /// + i * oRowStride + c * oColStride], overwritten.
  float *o;
  int64_t oBatchStride, oHeadStride, oRowStride, oColStride;
  float scale;
};

/// Query rows per block of an attention: its scores, kAttentionRows x
/// kAttentionKeys floats (48 KiB), stay in L2 next to one block of K^T and V.
constexpr int64_t kAttentionRows = 48;
/// Keys per block of an attention.
constexpr int64_t kAttentionKeys = 256;

/// The blocks of kAttentionRows query rows of one batch element of `p`:
/// runAttention's block t is block t % count of batch element t / count.
inline int64_t getAttentionBlocks(const AttentionProblem &p) {
  return (p.m + kAttentionRows - 1) / kAttentionRows;
}

/// Rank-1 updates accumulated in registers per micro-kernel call.
constexpr int64_t kBlock = 256;
/// Columns of B packed at a time: kBlock x nBlock floats (512 KiB) in L2.
constexpr int64_t nBlock = 512;
/// One stride-1 3x3 convolution by Winograd's minimal filtering F(m x m,
/// 3x3), m = 2 or 4 (Kernels.cpp's winogradConv, WinogradMicro.inc): the
/// output is cut into m x m tiles, tile (b, ty, tx) reading the (m + 2) x
/// (m + 2) input window at (m ty, m tx) of batch element b. A chunk of whole
/// tile rows (rows r = b * tilesH + ty in [rowBegin, rowEnd)) goes through
/// three steps: the input transform writes V ((m + 2)^2 matrices of
/// channels x chunk tiles), as many GEMMs multiply the transformed filters
/// U (filters x channels) by them into M ((m + 2)^2 matrices of filters x
/// chunk tiles), and the output transform turns M into the tiles' outputs.
/// Chunk tile t = (r - rowBegin) * tilesW + tx.
struct WinogradProblem {
  /// in(b, c, y, x) = in[b * inBatchStride + c * inChannelStride +
  /// y * inRowStride + x] (rows contiguous), ih x iw; reads past it are 0.
  const float *in;
  int64_t inBatchStride, inChannelStride, inRowStride, ih, iw;
  /// out(b, f, y, x), likewise, oh x ow (= ih - 2 x iw - 2).
  float *out;
  int64_t outBatchStride, outChannelStride, outRowStride, oh, ow;
  int64_t channels, filters;
  /// m: outputs per side of a tile, 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3)).
  int64_t tileSide;
  /// Tiles per column and per row of an output plane: ceil(oh / m),
  /// ceil(ow / m).
  int64_t tilesH, tilesW;
  /// The chunk's tile rows.
  int64_t rowBegin, rowEnd;
  /// V[xi][c][t] = v[(xi * channels + c) * getChunkTiles() + t], and
  /// M[xi][f][t] = m[(xi * filters + f) * getChunkTiles() + t], xi =
  /// (m + 2) i + j.
  float *v, *m;
  /// Overwrite, scale and clamp, applied as the outputs are stored; null:
  /// the outputs are added to `out`.
  const Epilogue *epilogue;
  int64_t getChunkTiles() const { return (rowEnd - rowBegin) * tilesW; }
  /// (m + 2)^2: the matrices of V, U and M (the GEMMs per chunk).
  int64_t getTransforms() const { return (tileSide + 2) * (tileSide + 2); }
};

/// Rows of A that pass one packed panel of B while it is in L1: their
/// kBlock x mBlock floats (128 KiB) stay in L2.
constexpr int64_t mBlock = 128;

/// Whether offsets[0..n) are consecutive (offsets[0], offsets[0] + 1, ...):
/// a contiguous row of A or run of C's columns.
inline bool isConsecutive(const int64_t *offsets, int64_t n) {
  if (n == 0 || offsets[n - 1] - offsets[0] != n - 1)
    return false;
  for (int64_t i = 1; i < n; ++i)
    if (offsets[i] != offsets[0] + i)
      return false;
  return true;
}

/// Elements of a packed operand along a reduction of `k` values.
inline int64_t getPackedDepth(int64_t k, int kPack) {
  return (k + kPack - 1) / kPack;
}

/// How A is packed: fp32 (kPack 1, values rounded to bfloat16 when
/// `roundBf16`) or bfloat16 pairs (kPack 2).
struct PackFormat {
  int kPack = 1;
  bool roundBf16 = false;
};

/// The kernels of one instruction set.
struct IsaKernels {
  /// Floats per vector register.
  int vectorWidth;
  /// Values of the reduction per element of a packed operand: 1 (fp32), or
  /// 2 for bfloat16 pairs (getAvx512Bf16Kernels).
  int kPack;
  /// The register tile for a GEMM `n` columns wide.
  Tile (*chooseTile)(int64_t n);
  /// C += A * B over the row panels [panelBegin, panelEnd) and the columns
  /// [colBegin, colEnd).
  void (*run)(const GemmProblem &problem, int64_t panelBegin, int64_t panelEnd,
              int64_t colBegin, int64_t colEnd);
  /// The two halves of `run` for one block of B (rows k0.., columns j0..,
  /// kLen x nLen), so that threads can share the packed block: packs the
  /// strips [stripBegin, stripEnd) of nr = tile.nv * vectorWidth columns
  /// into `packed` ([strip][kk][nr]) ...
  void (*packBlock)(const GemmProblem &problem, int64_t k0, int64_t kLen,
                    int64_t j0, int64_t nLen, int64_t stripBegin,
                    int64_t stripEnd, float *packed);
  /// ... and adds the row panels [panelBegin, panelEnd) of A times it to C.
  void (*runBlock)(const GemmProblem &problem, const float *packed, int64_t k0,
                   int64_t kLen, int64_t j0, int64_t nLen, int64_t panelBegin,
                   int64_t panelEnd);
  /// detail::packA for this ISA's kernels (the bfloat16 kernels convert
  /// contiguous rows with vector instructions).
  void (*packA)(const float *a, int64_t m, int64_t k, int64_t rowStride,
                const int64_t *colOffsets, int mr, PackFormat format,
                float *out);
  /// C += A * B for a thin product, over the columns [colBegin, colEnd).
  void (*runThin)(const ThinProblem &problem, int64_t colBegin, int64_t colEnd);
  /// out += the depthwise convolution of one plane (or its max pooling,
  /// DepthwisePlane::max), output rows [rowBegin, rowEnd).
  void (*runDepthwise)(const DepthwisePlane &plane, int64_t rowBegin,
                       int64_t rowEnd);
  /// PaddedDepthwise's output rows [rowBegin, rowEnd); null where the ISA
  /// has no such kernel (bfloat16).
  void (*runDepthwisePadded3x3)(const PaddedDepthwise &p, int64_t rowBegin,
                                int64_t rowEnd);
  /// The attention of the query blocks [blockBegin, blockEnd) of
  /// kAttentionRows rows, numbered over all batch elements
  /// (getAttentionBlocks per element).
  void (*runAttention)(const AttentionProblem &problem, int64_t blockBegin,
                       int64_t blockEnd);
  /// Winograd's input transform of the channels [channelBegin, channelEnd)
  /// of a chunk (V from the input) ...
  void (*winogradInput)(const WinogradProblem &problem, int64_t channelBegin,
                        int64_t channelEnd);
  /// ... and its output transform of the filters [filterBegin, filterEnd)
  /// (the output from M).
  void (*winogradOutput)(const WinogradProblem &problem, int64_t filterBegin,
                         int64_t filterEnd);
};

const IsaKernels &getScalarKernels();
const IsaKernels &getAvx2Kernels();
const IsaKernels &getAvx512Kernels();
/// The GEMM and the attention of AVX512-BF16 (VDPBF16PS on bfloat16 pairs,
/// kPack 2); it has no thin, depthwise or Winograd transform kernels
/// (null): those stay fp32.
const IsaKernels &getAvx512Bf16Kernels();

/// The number of row panels of `m` rows for tile height `mr`.
inline int64_t getNumPanels(int64_t m, int mr) { return (m + mr - 1) / mr; }

/// Packs A(i, kk) = a[i * rowStride + colOffsets[kk]] (m x k) into `out`
/// (getNumPanels(m, mr) * getPackedDepth(k, kPack) * mr elements), rows
/// past m and a pair's missing second value zero.
void packA(const float *a, int64_t m, int64_t k, int64_t rowStride,
           const int64_t *colOffsets, int mr, PackFormat format, float *out);

/// Runs fn(ctx, begin, end) over [0, count) split into contiguous chunks,
/// one per thread (the caller runs the first); returns when all are done.
void parallelFor(int64_t count,
                 void (*fn)(void *ctx, int64_t begin, int64_t end), void *ctx);

} // namespace romac::kernels::detail

#endif // ROMAC_LIB_RUNTIME_KERNELS_GEMM_H
