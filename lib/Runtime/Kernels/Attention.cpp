//===- Attention.cpp - the fused attention's driver -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The romac_attention entry points (Kernels.h): the operands' strided
// views become an AttentionProblem (Gemm.h) for the ISA's runAttention
// (AttentionMicro.inc), K^T and V packed once per call by the threads.
//
//===----------------------------------------------------------------------===//

#include "KernelsInternal.h"

#include <algorithm>
#include <vector>

using namespace romac::kernels;
using namespace romac::kernels::detail;

namespace {

/// One operand of an attention: rows x cols matrices, one per batch element
/// b, which is head b % heads of sequence b / heads (a [B, S, D] memref:
/// one head; a [B, S, H, D] one: B x H batch elements whose rows are H * D
/// apart, the layout a projection's output has before its heads are split).
struct AttentionOperand {
  float *data;
  int64_t batch, heads, rows, cols;
  int64_t batchStride, headStride, rowStride, colStride;
  explicit AttentionOperand(RomacMemref3F32 *m)
      : data(m->aligned + m->offset), batch(m->sizes[0]), heads(1),
        rows(m->sizes[1]), cols(m->sizes[2]), batchStride(m->strides[0]),
        headStride(0), rowStride(m->strides[1]), colStride(m->strides[2]) {}
  explicit AttentionOperand(RomacMemref4F32 *m)
      : data(m->aligned + m->offset), batch(m->sizes[0] * m->sizes[2]),
        heads(m->sizes[2]), rows(m->sizes[1]), cols(m->sizes[3]),
        batchStride(m->strides[0]), headStride(m->strides[2]),
        rowStride(m->strides[1]), colStride(m->strides[3]) {}
  /// Batch element b's matrix.
  float *at(int64_t b) const {
    return data + b / heads * batchStride + b % heads * headStride;
  }
};

/// The threads pack every batch element's K^T and V together (each a share
/// of the strips), then share out the blocks of query rows of all of them:
/// two synchronisations per call, whatever the batch. In bf16 both products
/// run on bfloat16 pairs where the ISA has them (getGemmKernels), else in
/// fp32.
void attention(const AttentionOperand &q, const AttentionOperand &k,
               const AttentionOperand &v, const AttentionOperand &o,
               float scale, Precision precision) {
  const IsaKernels &isa = getGemmKernels(precision);
  int64_t batch = o.batch, m = o.rows, dv = o.cols;
  int64_t n = k.rows, d = k.cols;
  if (batch == 0 || m == 0 || dv == 0)
    return;
  if (n == 0) {
    // No keys: every product is an empty sum (the unfused ops give 0).
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < dv; ++c)
          o.at(b)[i * o.rowStride + c * o.colStride] = 0.0f;
    return;
  }
  Tile tile = isa.chooseTile(dv);
  int64_t nr = int64_t(tile.nv) * isa.vectorWidth;
  int64_t ktStrips = (n + nr - 1) / nr, vStrips = (dv + nr - 1) / nr;
  // K^T's depth and V's keys in packed elements (pairs with kPack 2).
  int64_t dPacked = getPackedDepth(d, isa.kPack);
  int64_t nPacked = getPackedDepth(n, isa.kPack);
  int64_t ktFloats = ktStrips * nr * dPacked,
          perBatch = ktFloats + vStrips * nr * nPacked;
  float *packed = getThreadScratch(batch * perBatch, /*slot=*/1);
  // K^T(kk, j) = K(j, kk); V(j, c).
  std::vector<int64_t> depth = getRange(d, k.colStride);
  std::vector<int64_t> keyRows = getRange(n, k.rowStride);
  std::vector<int64_t> valueRows = getRange(n, v.rowStride);
  std::vector<int64_t> valueCols = getRange(dv, v.colStride);
  AttentionProblem problem{};
  problem.m = m;
  problem.n = n;
  problem.d = d;
  problem.dv = dv;
  problem.tile = tile;
  problem.heads = q.heads;
  problem.q = q.data;
  problem.qBatchStride = q.batchStride;
  problem.qHeadStride = q.headStride;
  problem.qRowStride = q.rowStride;
  problem.qColStride = q.colStride;
  problem.packedKt = packed;
  problem.packedV = packed + ktFloats;
  problem.packedBatchStride = perBatch;
  problem.o = o.data;
  problem.oBatchStride = o.batchStride;
  problem.oHeadStride = o.headStride;
  problem.oRowStride = o.rowStride;
  problem.oColStride = o.colStride;
  problem.scale = scale;
  struct Ctx {
    const IsaKernels &isa;
    const AttentionOperand &k, &v;
    const std::vector<int64_t> &depth, &keyRows, &valueRows, &valueCols;
    const AttentionProblem &problem;
    float *packed;
    int64_t ktStrips, vStrips;
  } ctx{isa,       k,       v,      depth,    keyRows, valueRows,
        valueCols, problem, packed, ktStrips, vStrips};
  // Strip s of the flattened [batch][K^T strips, V strips].
  parallelFor(
      batch * (ktStrips + vStrips),
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        const AttentionProblem &p = x.problem;
        int64_t strips = x.ktStrips + x.vStrips;
        for (int64_t s = begin; s < end;) {
          int64_t b = s / strips, first = s % strips;
          int64_t last = std::min(strips, first + (end - s));
          GemmProblem g{};
          g.tile = p.tile;
          float *out = x.packed + b * p.packedBatchStride;
          int64_t ktBegin = std::min(first, x.ktStrips),
                  ktEnd = std::min(last, x.ktStrips);
          if (ktBegin < ktEnd) {
            g.b = x.k.at(b);
            g.k = p.d;
            g.kOffsets = x.depth.data();
            g.colOffsets = x.keyRows.data();
            x.isa.packBlock(g, 0, getPackedDepth(p.d, x.isa.kPack), 0, p.n,
                            ktBegin, ktEnd, out);
          }
          int64_t vBegin = std::max(first, x.ktStrips) - x.ktStrips,
                  vEnd = std::max(last, x.ktStrips) - x.ktStrips;
          if (vBegin < vEnd) {
            g.b = x.v.at(b);
            g.k = p.n;
            g.kOffsets = x.valueRows.data();
            g.colOffsets = x.valueCols.data();
            x.isa.packBlock(g, 0, getPackedDepth(p.n, x.isa.kPack), 0, p.dv,
                            vBegin, vEnd, out + (p.packedV - p.packedKt));
          }
          s += last - first;
        }
      },
      &ctx);
  parallelFor(
      batch * getAttentionBlocks(problem),
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        x.isa.runAttention(x.problem, begin, end);
      },
      &ctx);
}

template <typename Memref>
void attentionOf(Memref *q, Memref *k, Memref *v, Memref *o, float scale,
                 Precision precision) {
  if (isPackingPass())
    return; // no constant operand
  attention(AttentionOperand(q), AttentionOperand(k), AttentionOperand(v),
            AttentionOperand(o), scale, precision);
}

} // namespace

// The attention entry points: [B, S, D] operands (`attention`) or the
// heads in place, [B, S, H, D] (`attention_heads`); fp32 or bf16 products.
#define ROMAC_ATTENTION_ENTRY_POINT(NAME, MEMREF, PRECISION)                   \
  extern "C" void _mlir_ciface_romac_##NAME(MEMREF *q, MEMREF *k, MEMREF *v,   \
                                            MEMREF *o, float scale) {          \
    attentionOf(q, k, v, o, scale, PRECISION);                                 \
  }
ROMAC_ATTENTION_ENTRY_POINT(attention_f32, RomacMemref3F32, Precision::Fp32)
ROMAC_ATTENTION_ENTRY_POINT(attention_bf16, RomacMemref3F32, Precision::Bf16)
ROMAC_ATTENTION_ENTRY_POINT(attention_heads_f32, RomacMemref4F32,
                            Precision::Fp32)
ROMAC_ATTENTION_ENTRY_POINT(attention_heads_bf16, RomacMemref4F32,
                            Precision::Bf16)
#undef ROMAC_ATTENTION_ENTRY_POINT
