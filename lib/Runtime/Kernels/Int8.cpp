//===- Int8.cpp - the `_i8` entry points: GEMMs on integer codes -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A quantized run (`romac run --quantize w8a8|w4a8`) holds its weights and
// the activations they multiply as integer codes in float tensors, the
// scales applied after the product (romac::quantizeModuleActivations); the
// lowering calls these entry points for those products. With AVX512-VNNI
// they pack the codes into bytes and multiply them exactly in int32
// (GemmAvx512Vnni.cpp, Int8Gemm.h); without it, or for a product the int8
// GEMM does not take (a thin one, or a reduction too deep for int32), they
// are the fp32 entry points, which compute the same sums in fp32.
//
//===----------------------------------------------------------------------===//

#include "Int8Gemm.h"
#include "KernelsInternal.h"

#include <cstring>

using namespace romac::kernels;
using namespace romac::kernels::detail;

bool romac::kernels::hasInt8DotProducts() {
  static const bool vnni = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") != 0;
  }();
  return vnni && static_cast<int>(getIsa()) >= static_cast<int>(Isa::Avx512);
}

namespace {

/// The deepest reduction whose sums of products of codes fit int32:
/// k * 128 * 255 < 2^31 (Int8Gemm.h).
constexpr int64_t kMaxInt8Depth = 65536;

int64_t getInt8Depth(int64_t k) { return (k + 3) / 4; }

int64_t getInt8Panels(int64_t m) { return (m + kInt8Rows - 1) / kInt8Rows; }

/// int32s of a packed A and its corrections (Int8Gemm::packedA, then
/// corrections, one buffer).
int64_t getPackedAWords(int64_t m, int64_t k) {
  int64_t panels = getInt8Panels(m);
  return panels * kInt8Rows * getInt8Depth(k) + panels * kInt8Rows;
}

/// Packs A(i, kk) = a[i * rowStride + cols[kk]] and its corrections into
/// `out` on every thread, row by row or panel by panel (`rows`).
void packA8(const float *a, int64_t m, int64_t k, int64_t rowStride,
            const std::vector<int64_t> &cols, int32_t *out, bool rows) {
  struct Ctx {
    const float *a;
    int64_t m, k, rowStride;
    const int64_t *cols;
    int32_t *packed, *corrections;
    bool rows;
  } ctx{a,
        m,
        k,
        rowStride,
        cols.data(),
        out,
        out + getInt8Panels(m) * kInt8Rows * getInt8Depth(k),
        rows};
  parallelFor(
      getInt8Panels(m),
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        packInt8A(x.a, x.m, x.k, x.rowStride, x.cols, x.packed, x.corrections,
                  begin, end, x.rows);
      },
      &ctx);
}

/// A weight's packed bytes as the cache keeps them: a header, `extra`
/// int32s (A's row corrections), then the bytes in groups (A's panels, B's
/// strips) either as packed or, when they take at most 16 distinct values,
/// as 4-bit indices into the header's table (decodeNibbles), each group's
/// indices rounded up to 64 bytes (a group's bytes to 128). Every part
/// starts 64-byte aligned.
struct CodesHeader {
  int32_t nibbles;
  int32_t unused[3];
  uint8_t table[16];
  uint8_t padding[32];
};
static_assert(sizeof(CodesHeader) == 64, "the parts after it stay aligned");

int64_t roundUp(int64_t value, int64_t to) {
  return (value + to - 1) / to * to;
}

/// A stored weight's parts (readCodes).
struct StoredCodes {
  const int32_t *extra;
  /// The groups as packed (null when they are indices).
  const int32_t *bytes;
  /// The groups as indices into `table`, `groupNibbles` bytes each.
  const uint8_t *nibbles, *table;
  int64_t groupNibbles;
};

StoredCodes readCodes(const float *stored, int64_t extraWords,
                      int64_t groupBytes) {
  const auto *header = reinterpret_cast<const CodesHeader *>(stored);
  const auto *extra = reinterpret_cast<const int32_t *>(header + 1);
  const auto *data = reinterpret_cast<const uint8_t *>(extra) +
                     roundUp(4 * extraWords, sizeof(CodesHeader));
  if (!header->nibbles)
    return {extra, reinterpret_cast<const int32_t *>(data), nullptr, nullptr,
            0};
  return {extra, nullptr, data, header->table, roundUp(groupBytes, 128) / 2};
}

/// Stores `groups` groups of `groupBytes` packed bytes and `extraWords`
/// int32s as readCodes reads them: as indices when the bytes that hold
/// codes (isCode(group, byte)) take at most 16 distinct values. The other
/// bytes pad the panels and strips: each multiplies a zero of the other
/// operand or lands in an output that is not stored, so they take the
/// table's first value.
template <typename IsCode>
std::unique_ptr<Buffer> storeCodes(const int32_t *packed, int64_t groups,
                                   int64_t groupBytes, const int32_t *extra,
                                   int64_t extraWords, IsCode isCode) {
  const auto *bytes = reinterpret_cast<const uint8_t *>(packed);
  bool seen[256] = {};
  int distinct = 0;
  for (int64_t g = 0; g < groups && distinct <= 16; ++g)
    for (int64_t i = 0; i < groupBytes && distinct <= 16; ++i) {
      uint8_t value = bytes[g * groupBytes + i];
      if (!seen[value] && isCode(g, i)) {
        seen[value] = true;
        ++distinct;
      }
    }
  CodesHeader header{};
  header.nibbles = distinct <= 16;
  uint8_t index[256] = {};
  for (int value = 0, next = 0; value < 256 && header.nibbles; ++value)
    if (seen[value]) {
      index[value] = static_cast<uint8_t>(next);
      header.table[next++] = static_cast<uint8_t>(value);
    }
  int64_t groupStored =
      header.nibbles ? roundUp(groupBytes, 128) / 2 : groupBytes;
  int64_t extraBytes = roundUp(4 * extraWords, sizeof(CodesHeader));
  auto stored = std::make_unique<Buffer>(
      (sizeof(CodesHeader) + extraBytes + groups * groupStored + 3) / 4);
  auto *out = reinterpret_cast<uint8_t *>(stored->data);
  std::memcpy(out, &header, sizeof(header));
  if (extraWords)
    std::memcpy(out + sizeof(header), extra, 4 * extraWords);
  out += sizeof(header) + extraBytes;
  if (!header.nibbles) {
    std::memcpy(out, bytes, groups * groupBytes);
    return stored;
  }
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t *in = bytes + g * groupBytes;
    uint8_t *indices = out + g * groupStored;
    for (int64_t i = 0; i < groupStored; ++i) {
      // Byte i of 32 in its chunk: the chunk's indices i and 32 + i (a pad
      // byte's value may be in no table entry: index[] gives it 0).
      int64_t lo = i / 32 * 64 + i % 32, hi = lo + 32;
      indices[i] = static_cast<uint8_t>(
          (lo < groupBytes && seen[in[lo]] ? index[in[lo]] : 0) |
          (hi < groupBytes && seen[in[hi]] ? index[in[hi]] : 0) << 4);
    }
  }
  return stored;
}

/// A packed (Int8Gemm's packedA or aNibbles, and its corrections): row by
/// row in this thread's scratch (a row of an activation is converted
/// without a transposition), or, for a weight (`constant`), panel by panel
/// once per process and kept like the fp32 kernels' packed weights (keyed
/// by address, layout and fingerprint; -3 tags an int8 A), as indices when
/// it has at most 16 distinct codes.
void packA8For(Int8Gemm &g, const float *a, int64_t rowStride,
               const std::vector<int64_t> &cols, bool constant,
               std::vector<int64_t> layoutKey) {
  int64_t m = g.m, k = g.k, words = getPackedAWords(m, k);
  int64_t panels = getInt8Panels(m), panelWords = kInt8Rows * getInt8Depth(k);
  g.aRows = !constant;
  if (!constant) {
    auto *out = reinterpret_cast<int32_t *>(getThreadScratch(words, 0));
    packA8(a, m, k, rowStride, cols, out, /*rows=*/true);
    g.packedA = out;
    g.corrections = out + panels * panelWords;
    return;
  }
  layoutKey.insert(layoutKey.begin(), -3);
  layoutKey.insert(layoutKey.end(),
                   {reinterpret_cast<int64_t>(a), m, k, rowStride});
  FingerprintSamples samples =
      appendFingerprint(layoutKey, a, m, k, rowStride, cols);
  // The weight's pages are handed back once its bytes are packed, as the
  // fp32 kernels do with theirs.
  const float *stored = getPackedConstantMade(layoutKey, [&] {
    Buffer buffer(words);
    auto *packed = reinterpret_cast<int32_t *>(buffer.data);
    packA8(a, m, k, rowStride, cols, packed, /*rows=*/false);
    releasePages(a,
                 (m - 1) * rowStride +
                     *std::max_element(cols.begin(), cols.end()) + 1,
                 samples);
    // Byte i of a panel: word i / 4 = q * kInt8Rows + row, code 4q + i % 4.
    auto isCode = [&](int64_t panel, int64_t i) {
      int64_t word = i / 4;
      return panel * kInt8Rows + word % kInt8Rows < m &&
             4 * (word / kInt8Rows) + i % 4 < k;
    };
    return storeCodes(packed, panels, 4 * panelWords,
                      packed + panels * panelWords, panels * kInt8Rows, isCode);
  });
  StoredCodes codes = readCodes(stored, panels * kInt8Rows, 4 * panelWords);
  g.packedA = codes.bytes;
  g.corrections = codes.extra;
  g.aNibbles = codes.nibbles;
  g.aTable = codes.table;
  g.aPanelNibbles = codes.groupNibbles;
}

/// All of g's B (a weight) packed once per process and kept (-4 tags an
/// int8 B; its key as packA8For's), as indices when it has at most 16
/// distinct codes.
void packB8Ahead(Int8Gemm &g, const int64_t bStrides[2]) {
  int64_t strips = (g.n + kInt8Cols - 1) / kInt8Cols;
  int64_t stripWords = getInt8Depth(g.k) * kInt8Cols;
  std::vector<int64_t> key = {
      -4, reinterpret_cast<int64_t>(g.b), g.k, g.n, bStrides[0], bStrides[1]};
  FingerprintSamples samples = appendFingerprint(
      key, g.b, g.n, g.k, bStrides[1], getRange(g.k, bStrides[0]));
  const float *stored = getPackedConstantMade(key, [&] {
    Buffer buffer(strips * stripWords); // packInt8B's stores are aligned
    auto *packed = reinterpret_cast<int32_t *>(buffer.data);
    struct Ctx {
      const Int8Gemm &g;
      int32_t *out;
    } ctx{g, packed};
    parallelFor(
        strips,
        [](void *c, int64_t begin, int64_t end) {
          auto &x = *static_cast<Ctx *>(c);
          packInt8B(x.g, begin, end,
                    x.out + begin * getInt8Depth(x.g.k) * kInt8Cols);
        },
        &ctx);
    releasePages(g.b, (g.k - 1) * bStrides[0] + (g.n - 1) * bStrides[1] + 1,
                 samples);
    // Byte i of a strip: word i / 4 = q * kInt8Cols + column, code 4q + i % 4.
    auto isCode = [&](int64_t strip, int64_t i) {
      int64_t word = i / 4;
      return strip * kInt8Cols + word % kInt8Cols < g.n &&
             4 * (word / kInt8Cols) + i % 4 < g.k;
    };
    return storeCodes(packed, strips, 4 * stripWords, nullptr, 0, isCode);
  });
  StoredCodes codes = readCodes(stored, 0, 4 * stripWords);
  g.packedB = codes.bytes;
  g.bNibbles = codes.nibbles;
  g.bTable = codes.table;
}

/// The most panels of A that read a strip of B's indices decoded in their
/// register tiles (each tile decodes it again).
constexpr int64_t kDecodeInTile = 2;

/// Runs `g` on every thread: blocks of B's strips (at most 2 MiB packed,
/// shared by the threads, which pack them together unless B is packed
/// ahead), each multiplied by A's panels, the work cut into (chunk of
/// panels, strip) items, enough of them for every thread. A weight stored
/// as indices is decoded into each thread's scratch: a chunk of A's panels
/// when the thread's items reach it, a strip of B per item.
void runInt8Gemm(const Int8Gemm &g) {
  if (isPackingPass())
    return;
  int64_t depth = getInt8Depth(g.k);
  int64_t strips = (g.n + kInt8Cols - 1) / kInt8Cols;
  int64_t panels = getInt8Panels(g.m);
  int64_t stripWords = depth * kInt8Cols;
  bool bAhead = g.packedB || g.bNibbles;
  int64_t blockStrips =
      bAhead ? strips
             : std::max<int64_t>(
                   1, std::min<int64_t>(strips, (2 << 20) / 4 / stripWords));
  int32_t *block = bAhead ? nullptr
                          : reinterpret_cast<int32_t *>(
                                getThreadScratch(blockStrips * stripWords, 1));
  struct Ctx {
    const Int8Gemm &g;
    const int32_t *packed;
    int32_t *block;
    int64_t s0, chunks, chunkPanels, panels, stripWords, count;
  } ctx{g, nullptr, block, 0, 1, panels, panels, stripWords, 0};
  int threads = getNumThreads();
  for (ctx.s0 = 0; ctx.s0 < strips; ctx.s0 += blockStrips) {
    int64_t count = std::min(blockStrips, strips - ctx.s0);
    if (bAhead) {
      ctx.packed = g.packedB ? g.packedB + ctx.s0 * stripWords : nullptr;
    } else {
      parallelFor(
          count,
          [](void *c, int64_t begin, int64_t end) {
            auto &x = *static_cast<Ctx *>(c);
            packInt8B(x.g, x.s0 + begin, x.s0 + end,
                      x.block + begin * x.stripWords);
          },
          &ctx);
      ctx.packed = block;
    }
    // Chunks of A's panels of about 128 KiB, which stay in L2 while every
    // strip of the block passes them (one strip in L1 at a time), halved
    // until every thread has a few items. The items go chunk by chunk, so
    // that a thread's run of items reuses its chunk.
    ctx.chunkPanels = std::max<int64_t>(
        1, std::min<int64_t>(panels, (128 << 10) / (4 * kInt8Rows * depth)));
    ctx.chunks = (panels + ctx.chunkPanels - 1) / ctx.chunkPanels;
    while (count * ctx.chunks < 4 * threads && ctx.chunkPanels > 1) {
      ctx.chunkPanels = (ctx.chunkPanels + 1) / 2;
      ctx.chunks = (panels + ctx.chunkPanels - 1) / ctx.chunkPanels;
    }
    ctx.count = count;
    parallelFor(
        count * ctx.chunks,
        [](void *c, int64_t begin, int64_t end) {
          auto &x = *static_cast<Ctx *>(c);
          const Int8Gemm &g = x.g;
          int64_t panelWords = kInt8Rows * getInt8Depth(g.k);
          // The decoded panels of A hold 128 bytes past the chunk's last:
          // each panel's indices decode to a whole number of 128 bytes.
          int32_t *aDecoded =
              g.aNibbles ? reinterpret_cast<int32_t *>(getThreadScratch(
                               x.chunkPanels * panelWords + 32, 4))
                         : nullptr;
          int32_t *bDecoded = g.bNibbles
                                  ? reinterpret_cast<int32_t *>(
                                        getThreadScratch(x.stripWords, 5))
                                  : nullptr;
          int64_t decodedChunk = -1;
          for (int64_t item = begin; item < end; ++item) {
            int64_t chunk = item / x.count, s = item % x.count;
            int64_t p0 = chunk * x.chunkPanels,
                    p1 = std::min(x.panels, p0 + x.chunkPanels);
            const int32_t *panels =
                g.aNibbles ? aDecoded : g.packedA + p0 * panelWords;
            if (g.aNibbles && chunk != decodedChunk) {
              for (int64_t p = p0; p < p1; ++p)
                decodeNibbles(g.aNibbles + p * g.aPanelNibbles,
                              2 * g.aPanelNibbles, g.aTable,
                              aDecoded + (p - p0) * panelWords);
              decodedChunk = chunk;
            }
            // A strip of indices that few panels read is decoded as the
            // register tiles load it, else into this thread's buffer once.
            const int32_t *strip =
                g.bNibbles ? nullptr : x.packed + s * x.stripWords;
            bool stripNibbles = g.bNibbles && p1 - p0 <= kDecodeInTile;
            if (stripNibbles) {
              strip = reinterpret_cast<const int32_t *>(
                  g.bNibbles + (x.s0 + s) * 2 * x.stripWords);
            } else if (g.bNibbles) {
              decodeNibbles(g.bNibbles + (x.s0 + s) * 2 * x.stripWords,
                            4 * x.stripWords, g.bTable, bDecoded);
              strip = bDecoded;
            }
            runInt8(g, panels, strip, stripNibbles, x.s0 + s, p0, p1);
          }
        },
        &ctx);
  }
}

/// Whether the int8 GEMM takes an m x n x k product. A thin one (at most
/// kThinRows rows) only when B is a weight packed once (`packedOnce`): its
/// bytes are then read once per call, a quarter of the fp32 thin kernels'
/// floats (a fully connected layer at batch 1 is bound by them), while
/// packing B per call would cost more than the product.
bool takesInt8(int64_t m, int64_t n, int64_t k, bool packedOnce) {
  return hasInt8DotProducts() && (m > kThinRows || packedOnce) && m > 0 &&
         n > 0 && k > 0 && k < kMaxInt8Depth;
}

/// C (+)= A * B of romac_matmul_i8; false when the int8 GEMM does not take
/// it.
bool matmulInt8(RomacMemref2F32 *a, RomacMemref2F32 *b, RomacMemref2F32 *c,
                int64_t constantB, const std::optional<Epilogue> &epilogue) {
  int64_t m = c->sizes[0], n = c->sizes[1], k = a->sizes[1];
  bool packB = constantB && b->strides[0] >= 0 && b->strides[1] >= 0;
  if (!takesInt8(m, n, k, packB))
    return false;
  const float *bData = b->aligned + b->offset;
  std::vector<int64_t> kOffsets = getRange(k, b->strides[0]),
                       bColumns = getRange(n, b->strides[1]),
                       cColumns = getRange(n, c->strides[1]);
  Int8Gemm g{m,
             n,
             k,
             nullptr,
             nullptr,
             /*aRows=*/true,
             bData,
             kOffsets.data(),
             bColumns.data(),
             nullptr,
             c->aligned + c->offset,
             c->strides[0],
             cColumns.data(),
             epilogue ? &*epilogue : nullptr};
  packA8For(g, a->aligned + a->offset, a->strides[0],
            getRange(k, a->strides[1]), /*constant=*/false, {});
  if (packB)
    packB8Ahead(g, b->strides);
  runInt8Gemm(g);
  return true;
}

/// out (+)= conv(in, w) of romac_conv2d_nchw_fchw_i8, as conv2d's GEMM
/// (Kernels.cpp: M = filters, K = (channel, kh, kw), N = output pixels);
/// false when the int8 GEMM does not take it.
bool conv2dInt8(RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
                int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
                int64_t constantFilter,
                const std::optional<Epilogue> &epilogue) {
  int64_t filters = w->sizes[0], channels = w->sizes[1], kh = w->sizes[2],
          kw = w->sizes[3];
  int64_t batch = out->sizes[0], oh = out->sizes[2], ow = out->sizes[3];
  int64_t k = channels * kh * kw, n = batch * oh * ow;
  if (!takesInt8(filters, n, k, /*packedOnce=*/false))
    return false;
  std::shared_ptr<const ConvOffsets> kept =
      getConvOffsets(in, w, out, strideH, strideW, dilH, dilW);
  const ConvOffsets &offsets = *kept;
  Int8Gemm g{filters,
             n,
             k,
             nullptr,
             nullptr,
             /*aRows=*/true,
             in->aligned + in->offset,
             offsets.input.data(),
             offsets.inputColumns.data(),
             nullptr,
             out->aligned + out->offset,
             out->strides[1],
             offsets.outputColumns.data(),
             epilogue ? &*epilogue : nullptr};
  packA8For(g, w->aligned + w->offset, w->strides[0], offsets.filter,
            constantFilter != 0,
            {channels, kh, kw, w->strides[1], w->strides[2], w->strides[3]});
  runInt8Gemm(g);
  return true;
}

} // namespace

extern "C" void _mlir_ciface_romac_matmul_i8(RomacMemref2F32 *a,
                                             RomacMemref2F32 *b,
                                             RomacMemref2F32 *c,
                                             int64_t constantB) {
  if (!matmulInt8(a, b, c, constantB, std::nullopt))
    _mlir_ciface_romac_matmul_f32(a, b, c, constantB);
}

extern "C" void _mlir_ciface_romac_matmul_fused_i8(
    RomacMemref2F32 *a, RomacMemref2F32 *b, RomacMemref2F32 *c,
    int64_t constantB, int64_t overwrite, float scale, float lo, float hi) {
  if (!matmulInt8(a, b, c, constantB, getEpilogue(overwrite, scale, lo, hi)))
    _mlir_ciface_romac_matmul_fused_f32(a, b, c, constantB, overwrite, scale,
                                        lo, hi);
}

extern "C" void
_mlir_ciface_romac_conv2d_nchw_fchw_i8(RomacMemref4F32 *in, RomacMemref4F32 *w,
                                       RomacMemref4F32 *out, int64_t strideH,
                                       int64_t strideW, int64_t dilH,
                                       int64_t dilW, int64_t constantFilter) {
  if (!conv2dInt8(in, w, out, strideH, strideW, dilH, dilW, constantFilter,
                  std::nullopt))
    _mlir_ciface_romac_conv2d_nchw_fchw_f32(in, w, out, strideH, strideW, dilH,
                                            dilW, constantFilter);
}

extern "C" void _mlir_ciface_romac_conv2d_nchw_fchw_fused_i8(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t constantFilter, int64_t overwrite, float scale, float lo,
    float hi) {
  if (!conv2dInt8(in, w, out, strideH, strideW, dilH, dilW, constantFilter,
                  getEpilogue(overwrite, scale, lo, hi)))
    _mlir_ciface_romac_conv2d_nchw_fchw_fused_f32(in, w, out, strideH, strideW,
                                                  dilH, dilW, constantFilter,
                                                  overwrite, scale, lo, hi);
}
