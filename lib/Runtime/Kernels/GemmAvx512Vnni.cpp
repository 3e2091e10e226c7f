//===- GemmAvx512Vnni.cpp - the GEMM on int8 codes, VPDPBUSD -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -mavx512vnni (lib/Runtime/Kernels/CMakeLists.txt); called
// only when the host has AVX512-VNNI (Int8.cpp checks CPUID). Int8Gemm.h
// describes the packed layouts and the correction of B's offset.
//
// The register tile is 6 rows x 64 columns: 24 int32 accumulators, 4
// vectors of B and one broadcast of A, 29 of the 32 registers. Each
// VPDPBUSD advances four steps of the reduction for 16 columns: 64
// multiply-adds per instruction, four times the fp32 FMA's.
//
//===----------------------------------------------------------------------===//

#include "Int8Gemm.h"

#include <immintrin.h>

using romac::kernels::detail::Epilogue;
using romac::kernels::detail::Int8Gemm;
using romac::kernels::detail::kInt8Cols;
using romac::kernels::detail::kInt8Rows;

namespace {

constexpr int kVectors = kInt8Cols / 16;

int64_t minOf(int64_t a, int64_t b) { return a < b ? a : b; }

int64_t getDepth(int64_t k) { return (k + 3) / 4; }

/// The first `valid` lanes (0 <= valid <= 16).
__mmask16 firstLanes(int64_t valid) {
  return valid >= 16 ? __mmask16(0xffff) : __mmask16((1u << valid) - 1);
}

/// The integer codes of 16 floats: rounded to the nearest (ties to even),
/// saturated to [-128, 127] (a NaN becomes -128, as in toCode). (The
/// zero-masking forms with every lane set compute the same as the plain
/// intrinsics, without GCC 12's false uninitialised-value warnings.)
__m512i toCodes(__m512 x) {
  x = _mm512_maskz_max_ps(0xffff, x, _mm512_set1_ps(-128.0f)); // NaN: -128
  x = _mm512_maskz_min_ps(0xffff, x, _mm512_set1_ps(127.0f));
  return _mm512_maskz_cvtps_epi32(0xffff, x);
}

/// One float's code, as toCodes computes it.
int32_t toCode(float v) {
  __m128 x = _mm_max_ss(_mm_set_ss(v), _mm_set_ss(-128.0f));
  x = _mm_min_ss(x, _mm_set_ss(127.0f));
  return _mm_cvtss_si32(x);
}

/// Whether offsets[0..n) are offsets[0], offsets[0] + 1, ...
bool consecutive(const int64_t *offsets, int64_t n) {
  for (int64_t i = 1; i < n; ++i)
    if (offsets[i] != offsets[0] + i)
      return false;
  return true;
}

/// One row of A packed: out[q * step] holds codes 4q..4q+3 as signed
/// bytes (step kInt8Rows in a panel, 1 row by row); returns the sum of the
/// codes.
int32_t packRow(const float *row, int64_t k, const int64_t *colOffsets,
                bool contiguous, int64_t step, int32_t *out) {
  int32_t sum = 0;
  int64_t depth = getDepth(k), q = 0;
  if (contiguous) {
    const float *p = row + colOffsets[0];
    __m512i sums = _mm512_setzero_si512();
    alignas(16) int32_t words[4];
    for (; 4 * q + 16 <= k; q += 4) {
      __m512i codes = toCodes(_mm512_loadu_ps(p + 4 * q));
      sums = _mm512_add_epi32(sums, codes);
      __m128i bytes = _mm512_maskz_cvtepi32_epi8(0xffff, codes);
      if (step == 1) {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + q), bytes);
        continue;
      }
      _mm_store_si128(reinterpret_cast<__m128i *>(words), bytes);
      for (int u = 0; u < 4; ++u)
        out[(q + u) * step] = words[u];
    }
    alignas(64) int32_t lanes[16];
    _mm512_store_si512(lanes, sums);
    for (int32_t lane : lanes)
      sum += lane;
  }
  for (; q < depth; ++q) {
    uint32_t word = 0;
    for (int t = 0; t < 4; ++t) {
      int64_t kk = 4 * q + t;
      int32_t code = kk < k ? toCode(row[colOffsets[kk]]) : 0;
      sum += code;
      word |= uint32_t(uint8_t(int8_t(code))) << (8 * t);
    }
    out[q * step] = static_cast<int32_t>(word);
  }
  return sum;
}

/// C = clamp(scale * C) of the epilogue, 16 lanes; NaN kept (ordered
/// comparisons are false for it).
__m512 applyEpilogue(__m512 v, const Epilogue *e) {
  if (!e)
    return v;
  v = _mm512_mul_ps(v, _mm512_set1_ps(e->scale));
  if (e->hasClamp) {
    __m512 lo = _mm512_set1_ps(e->clamp.lo), hi = _mm512_set1_ps(e->clamp.hi);
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), hi);
  }
  return v;
}

/// A run of a strip's columns whose outputs are contiguous in C: columns
/// [first, last) of the strip, column j at row + base + j.
struct ColumnRun {
  int64_t first, last, base;
};

/// The runs of a strip's `cols` columns, C(r, j) = row + cCols[j]; returns
/// their number (at most kInt8Cols).
int getColumnRuns(const int64_t *cCols, int64_t cols, ColumnRun *runs) {
  int count = 0;
  for (int64_t j = 0; j < cols;) {
    int64_t e = j + 1;
    while (e < cols && cCols[e] == cCols[j] + (e - j))
      ++e;
    runs[count++] = {j, e, cCols[j] - j};
    j = e;
  }
  return count;
}

/// The 128 bytes that 64 bytes of 4-bit indices encode (Int8Gemm.h's
/// decodeNibbles), as two vectors: VPSHUFB looks each index up in
/// `lookup`, the table copied into every 128-bit lane. (Whole 64-byte
/// loads: masked halves that cross a cache line made a thin product
/// slower than its int8 bytes.)
inline void decode128(const uint8_t *in, __m512i lookup, __m512i &first,
                      __m512i &second) {
  const __m512i low = _mm512_set1_epi8(0x0f);
  __m512i x = _mm512_loadu_si512(in);
  __m512i lo = _mm512_and_si512(x, low);
  __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low);
  // The low halves of bytes 0..31, then their high halves; then 32..63's.
  first = _mm512_shuffle_epi8(lookup,
                              _mm512_maskz_shuffle_i64x2(0xff, lo, hi, 0x44));
  second = _mm512_shuffle_epi8(lookup,
                               _mm512_maskz_shuffle_i64x2(0xff, lo, hi, 0xee));
}

inline __m512i getLookup(const uint8_t *table) {
  return _mm512_maskz_broadcast_i32x4(
      0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i *>(table)));
}

/// The register tile: C[0..rows, 0..cols) (+)= A-panel * B-strip, the
/// panel's row corrections subtracted in int32, for a panel of `Rows`
/// rows (rows <= Rows; fewer accumulators for a thin product or the last
/// panel). `c` is the tile's first row, C(r, j) = c[r * ldc + cCols[j]]
/// (cCols relative to the strip), stored run by run of contiguous columns
/// (masked vector accesses). With NibblesOfB, `b` is the strip as 4-bit
/// indices into `bTable`, decoded here as each step of the reduction loads
/// it (a thin product reads each strip once: decoding it into a buffer
/// first would write and read it once more).
template <bool RowsOfA, bool NibblesOfB, int Rows>
void microKernel(int64_t depth, const int32_t *a, const int32_t *b,
                 const uint8_t *bTable, const int32_t *corrections, int rows,
                 float *c, int64_t ldc, const ColumnRun *runs, int numRuns,
                 const Epilogue *e) {
  __m512i acc[Rows][kVectors];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v)
      acc[r][v] = _mm512_setzero_si512();
  __m512i lookup = NibblesOfB ? getLookup(bTable) : _mm512_setzero_si512();
  for (int64_t q = 0; q < depth; ++q) {
    __m512i bv[kVectors];
    if (NibblesOfB) {
      const auto *row =
          reinterpret_cast<const uint8_t *>(b) + q * 2 * kInt8Cols;
#pragma GCC unroll 2
      for (int v = 0; v < kVectors; v += 2)
        decode128(row + 32 * v, lookup, bv[v], bv[v + 1]);
    } else {
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v)
        bv[v] = _mm512_load_si512(b + q * kInt8Cols + 16 * v);
    }
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) {
      int32_t word = RowsOfA ? a[r * depth + q] : a[q * kInt8Rows + r];
      __m512i av = _mm512_set1_epi32(word);
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v)
        acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], bv[v], av);
    }
  }
  // The sums leave the registers with constant indices only (indexing the
  // accumulators by `rows` would keep them in memory in the loop above).
  alignas(64) int32_t sums[Rows][kInt8Cols];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v)
      _mm512_store_si512(sums[r] + 16 * v, acc[r][v]);
  bool overwrite = e && e->overwrite;
  for (int r = 0; r < rows; ++r) {
    __m512i correction = _mm512_set1_epi32(corrections[r]);
    float *row = c + r * ldc;
    int run = 0;
    for (int v = 0; v < kVectors && run < numRuns; ++v) {
      __m512 sum = _mm512_maskz_cvtepi32_ps(
          0xffff,
          _mm512_sub_epi32(_mm512_load_si512(sums[r] + 16 * v), correction));
      int64_t lo = 16 * v, hi = lo + 16;
      // The runs that overlap this vector's columns [lo, hi).
      for (; run < numRuns && runs[run].first < hi; ++run) {
        int64_t first = runs[run].first > lo ? runs[run].first : lo;
        int64_t last = runs[run].last < hi ? runs[run].last : hi;
        __mmask16 m = firstLanes(last - lo) & ~firstLanes(first - lo);
        float *p = row + runs[run].base + lo;
        __m512 value =
            overwrite ? sum : _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), sum);
        _mm512_mask_storeu_ps(p, m, applyEpilogue(value, e));
        if (runs[run].last > hi)
          break; // the run goes on in the next vector
      }
    }
  }
}

} // namespace

void romac::kernels::detail::packInt8A(const float *a, int64_t m, int64_t k,
                                       int64_t rowStride,
                                       const int64_t *colOffsets,
                                       int32_t *packed, int32_t *corrections,
                                       int64_t panelBegin, int64_t panelEnd,
                                       bool rows) {
  int64_t depth = getDepth(k);
  bool contiguous = consecutive(colOffsets, k);
  // Row r of a panel: its first element and the step between its q.
  int64_t rowStep = rows ? depth : 1, qStep = rows ? 1 : kInt8Rows;
  for (int64_t p = panelBegin; p < panelEnd; ++p) {
    int32_t *panel = packed + p * depth * kInt8Rows;
    for (int r = 0; r < kInt8Rows; ++r) {
      int64_t i = p * kInt8Rows + r;
      int32_t *out = panel + r * rowStep;
      if (i >= m) {
        for (int64_t q = 0; q < depth; ++q)
          out[q * qStep] = 0;
        corrections[i] = 0;
        continue;
      }
      corrections[i] = 128 * packRow(a + i * rowStride, k, colOffsets,
                                     contiguous, qStep, out);
    }
  }
}

void romac::kernels::detail::packInt8B(const Int8Gemm &g, int64_t stripBegin,
                                       int64_t stripEnd, int32_t *out) {
  int64_t depth = getDepth(g.k);
  const __m512i offset = _mm512_set1_epi32(128);
  for (int64_t s = stripBegin; s < stripEnd; ++s) {
    int32_t *strip = out + (s - stripBegin) * depth * kInt8Cols;
    int64_t j0 = s * kInt8Cols, valid = minOf(kInt8Cols, g.n - j0);
    const int64_t *cols = g.colOffsets + j0;
    // Each vector of 16 columns is one load when its columns are
    // consecutive, else a gather by their offsets from the strip's first.
    alignas(64) int32_t relative[kInt8Cols] = {};
    bool contiguous[kVectors], gatherable = true;
    for (int64_t j = 0; j < valid; ++j) {
      int64_t d = cols[j] - cols[0];
      gatherable = gatherable && d >= INT32_MIN && d <= INT32_MAX;
      relative[j] = static_cast<int32_t>(d);
    }
    for (int v = 0; v < kVectors; ++v)
      contiguous[v] = 16 * v < valid &&
                      consecutive(cols + 16 * v, minOf(16, valid - 16 * v));
    for (int64_t q = 0; q < depth; ++q) {
      for (int v = 0; v < kVectors; ++v) {
        __mmask16 m = firstLanes(valid - 16 * v > 0 ? valid - 16 * v : 0);
        __m512i word = _mm512_setzero_si512();
        for (int t = 0; t < 4; ++t) {
          int64_t kk = 4 * q + t;
          __m512i codes = _mm512_setzero_si512();
          if (kk < g.k && m) {
            const float *base = g.b + g.kOffsets[kk] + cols[0];
            __m512 x;
            if (contiguous[v]) {
              x = _mm512_maskz_loadu_ps(m, base + relative[16 * v]);
            } else if (gatherable) {
              __m512i idx = _mm512_load_si512(relative + 16 * v);
              x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base,
                                           4);
            } else {
              alignas(64) float lanes[16] = {};
              for (int l = 0; l < 16 && 16 * v + l < valid; ++l)
                lanes[l] = base[cols[16 * v + l] - cols[0]];
              x = _mm512_load_ps(lanes);
            }
            codes = toCodes(x);
          }
          // B + 128 in [0, 255]; 0 past k, where A's byte may be any value
          // (a weight's pad as stored, Int8.cpp) and adds nothing.
          if (kk < g.k)
            codes = _mm512_add_epi32(codes, offset);
          word = _mm512_or_si512(word,
                                 _mm512_maskz_slli_epi32(0xffff, codes, 8 * t));
        }
        _mm512_store_si512(strip + q * kInt8Cols + 16 * v, word);
      }
    }
  }
}

namespace {

using MicroKernel = void (*)(int64_t, const int32_t *, const int32_t *,
                             const uint8_t *, const int32_t *, int, float *,
                             int64_t, const ColumnRun *, int, const Epilogue *);

template <bool RowsOfA, bool NibblesOfB> MicroKernel getMicroKernel(int rows) {
  switch (rows) {
  case 1:
    return microKernel<RowsOfA, NibblesOfB, 1>;
  case 2:
    return microKernel<RowsOfA, NibblesOfB, 2>;
  case 3:
    return microKernel<RowsOfA, NibblesOfB, 3>;
  case 4:
    return microKernel<RowsOfA, NibblesOfB, 4>;
  case 5:
    return microKernel<RowsOfA, NibblesOfB, 5>;
  default:
    return microKernel<RowsOfA, NibblesOfB, kInt8Rows>;
  }
}

/// The register tile for a panel of `rows` rows.
MicroKernel getMicroKernel(bool rowsOfA, bool nibblesOfB, int rows) {
  if (rowsOfA)
    return nibblesOfB ? getMicroKernel<true, true>(rows)
                      : getMicroKernel<true, false>(rows);
  return nibblesOfB ? getMicroKernel<false, true>(rows)
                    : getMicroKernel<false, false>(rows);
}

} // namespace

void romac::kernels::detail::runInt8(const Int8Gemm &g, const int32_t *panels,
                                     const int32_t *strip, bool stripNibbles,
                                     int64_t s, int64_t panelBegin,
                                     int64_t panelEnd) {
  int64_t depth = getDepth(g.k);
  int64_t j0 = s * kInt8Cols, cols = minOf(kInt8Cols, g.n - j0);
  ColumnRun runs[kInt8Cols];
  int numRuns = getColumnRuns(g.cColOffsets + j0, cols, runs);
  for (int64_t p = panelBegin; p < panelEnd; ++p) {
    int64_t i0 = p * kInt8Rows;
    int rows = static_cast<int>(minOf(kInt8Rows, g.m - i0));
    getMicroKernel(g.aRows, stripNibbles,
                   rows)(depth, panels + (p - panelBegin) * depth * kInt8Rows,
                         strip, g.bTable, g.corrections + i0, rows,
                         g.c + i0 * g.ldc, g.ldc, runs, numRuns, g.epilogue);
  }
}

void romac::kernels::detail::decodeNibbles(const uint8_t *in, int64_t bytes,
                                           const uint8_t *table, void *out) {
  __m512i lookup = getLookup(table);
  auto *dst = static_cast<uint8_t *>(out);
  for (int64_t i = 0; i < bytes; i += 128) {
    __m512i first, second;
    decode128(in + i / 2, lookup, first, second);
    _mm512_storeu_si512(dst + i, first);
    _mm512_storeu_si512(dst + i + 64, second);
  }
}
