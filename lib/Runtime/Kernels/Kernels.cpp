//===- Kernels.cpp - ISA choice, entry points, runtime symbols -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C entry points generated code calls (Kernels.h) turn a strided
// memref view into GemmProblems (Gemm.h): A is packed once per call, B is
// read in place when its columns are contiguous (else gathered), C is
// accumulated in place when its columns are contiguous (else through a
// copy), and the outermost independent loop is split over the threads.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"

#include "Gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace romac::kernels;
using namespace romac::kernels::detail;

//===----------------------------------------------------------------------===//
// The instruction set
//===----------------------------------------------------------------------===//

namespace {

Isa getBestIsa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return Isa::Avx2;
  return Isa::Scalar;
}

Isa getInitialIsa() {
  if (const char *env = std::getenv("ROMAC_KERNEL_ISA"))
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
      if (std::strcmp(env, getIsaName(isa)) == 0 && isSupported(isa))
        return isa;
  return getBestIsa();
}

Isa &currentIsa() {
  static Isa isa = getInitialIsa();
  return isa;
}

const IsaKernels &getKernels() {
  switch (currentIsa()) {
  case Isa::Avx512:
    return getAvx512Kernels();
  case Isa::Avx2:
    return getAvx2Kernels();
  case Isa::Scalar:
    break;
  }
  return getScalarKernels();
}

} // namespace

const char *romac::kernels::getIsaName(Isa isa) {
  switch (isa) {
  case Isa::Avx512:
    return "avx512";
  case Isa::Avx2:
    return "avx2";
  case Isa::Scalar:
    break;
  }
  return "scalar";
}

bool romac::kernels::isSupported(Isa isa) {
  Isa best = getBestIsa();
  return isa == Isa::Scalar || isa == best ||
         (isa == Isa::Avx2 && best == Isa::Avx512 &&
          __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
}

Isa romac::kernels::getIsa() { return currentIsa(); }

bool romac::kernels::setIsa(Isa isa) {
  if (!isSupported(isa))
    return false;
  currentIsa() = isa;
  return true;
}

//===----------------------------------------------------------------------===//
// GEMM building blocks
//===----------------------------------------------------------------------===//

void romac::kernels::detail::packA(const float *a, int64_t m, int64_t k,
                                   int64_t rowStride, const int64_t *colOffsets,
                                   int mr, float *out) {
  int64_t panels = getNumPanels(m, mr);
  for (int64_t p = 0; p < panels; ++p) {
    float *panel = out + p * k * mr;
    for (int r = 0; r < mr; ++r) {
      int64_t row = p * mr + r;
      if (row >= m) {
        for (int64_t kk = 0; kk < k; ++kk)
          panel[kk * mr + r] = 0.0f;
        continue;
      }
      const float *src = a + row * rowStride;
      for (int64_t kk = 0; kk < k; ++kk)
        panel[kk * mr + r] = src[colOffsets[kk]];
    }
  }
}

namespace {

/// A float buffer on the heap, 64-byte aligned, uninitialised.
struct Buffer {
  explicit Buffer(int64_t floats)
      : data(static_cast<float *>(std::aligned_alloc(
            64, ((std::max<int64_t>(floats, 1) * 4 + 63) / 64) * 64))) {}
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  float *data;
};

/// Runs `problem` on every thread: by row panels when there are enough,
/// else by column blocks.
void runParallel(const IsaKernels &isa, const GemmProblem &problem) {
  int64_t panels = getNumPanels(problem.m, problem.tile.mr);
  int threads = getNumThreads();
  struct Ctx {
    const IsaKernels &isa;
    const GemmProblem &problem;
    int64_t panels, nr;
  } ctx{isa, problem, panels, int64_t(problem.tile.nv) * isa.vectorWidth};
  if (panels >= 2 * threads || problem.n <= ctx.nr) {
    parallelFor(
        panels,
        [](void *c, int64_t begin, int64_t end) {
          auto &x = *static_cast<Ctx *>(c);
          x.isa.run(x.problem, begin, end);
        },
        &ctx);
    return;
  }
  int64_t blocks = (problem.n + ctx.nr - 1) / ctx.nr;
  parallelFor(
      blocks,
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        GemmProblem part = x.problem;
        part.b += begin * x.nr;
        part.c += begin * x.nr;
        part.n = std::min(x.problem.n, end * x.nr) - begin * x.nr;
        x.isa.run(part, 0, x.panels);
      },
      &ctx);
}

/// C += A * B for one matrix product of strided views; `parallel` splits it
/// over the threads.
void matmul(const float *a, const int64_t aStrides[2], const float *b,
            const int64_t bStrides[2], float *c, const int64_t cStrides[2],
            int64_t m, int64_t n, int64_t k, bool parallel) {
  if (m == 0 || n == 0 || k == 0)
    return;
  const IsaKernels &isa = getKernels();
  GemmProblem problem{m,       n,       k, isa.chooseTile(n), nullptr, nullptr,
                      nullptr, nullptr, 0};
  std::vector<int64_t> aOffsets(k), bOffsets(k);
  for (int64_t kk = 0; kk < k; ++kk)
    aOffsets[kk] = kk * aStrides[1];
  Buffer packed(getNumPanels(m, problem.tile.mr) * k * problem.tile.mr);
  packA(a, m, k, aStrides[0], aOffsets.data(), problem.tile.mr, packed.data);
  problem.packedA = packed.data;

  std::unique_ptr<Buffer> bCopy;
  problem.b = b;
  for (int64_t kk = 0; kk < k; ++kk)
    bOffsets[kk] = kk * bStrides[0];
  if (bStrides[1] != 1) { // gather B into a dense k x n block
    bCopy = std::make_unique<Buffer>(k * n);
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t j = 0; j < n; ++j)
        bCopy->data[kk * n + j] = b[kk * bStrides[0] + j * bStrides[1]];
      bOffsets[kk] = kk * n;
    }
    problem.b = bCopy->data;
  }
  problem.kOffsets = bOffsets.data();

  std::unique_ptr<Buffer> cCopy;
  problem.c = c;
  problem.ldc = cStrides[0];
  if (cStrides[1] != 1) {
    cCopy = std::make_unique<Buffer>(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        cCopy->data[i * n + j] = c[i * cStrides[0] + j * cStrides[1]];
    problem.c = cCopy->data;
    problem.ldc = n;
  }
  if (parallel)
    runParallel(isa, problem);
  else
    isa.run(problem, 0, getNumPanels(m, problem.tile.mr));
  if (cCopy)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cStrides[0] + j * cStrides[1]] = cCopy->data[i * n + j];
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// A convolution as one GEMM per output row (n, oh): M = filters,
/// K = channels x kh x kw, N = output columns; B's rows are the input rows
/// the window touches (kOffsets), read in place when the columns are
/// contiguous.
struct Conv {
  const RomacMemref4F32 &in, &w, &out;
  int64_t strideH, strideW, dilH, dilW;
  const IsaKernels &isa;
  Tile tile;
  const float *packedW;
  std::vector<int64_t> inOffsets; // per (c, kh, kw): offset in the input

  void runRows(int64_t begin, int64_t end) const {
    int64_t oh = out.sizes[2], ow = out.sizes[3], k = inOffsets.size();
    int64_t colStride = strideW * in.strides[3];
    std::unique_ptr<Buffer> rowCopy, cCopy;
    std::vector<int64_t> denseOffsets;
    if (colStride != 1) {
      rowCopy = std::make_unique<Buffer>(k * ow);
      denseOffsets.resize(k);
      for (int64_t kk = 0; kk < k; ++kk)
        denseOffsets[kk] = kk * ow;
    }
    if (out.strides[3] != 1)
      cCopy = std::make_unique<Buffer>(out.sizes[1] * ow);
    for (int64_t row = begin; row < end; ++row) {
      int64_t n = row / oh, y = row % oh;
      const float *inRow = in.aligned + in.offset + n * in.strides[0] +
                           y * strideH * in.strides[2];
      float *outRow =
          out.aligned + out.offset + n * out.strides[0] + y * out.strides[2];
      GemmProblem p{
          out.sizes[1],  ow, k, tile, packedW, inRow, inOffsets.data(), outRow,
          out.strides[1]};
      if (rowCopy) {
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t x = 0; x < ow; ++x)
            rowCopy->data[kk * ow + x] = inRow[inOffsets[kk] + x * colStride];
        p.b = rowCopy->data;
        p.kOffsets = denseOffsets.data();
      }
      if (cCopy) {
        for (int64_t f = 0; f < p.m; ++f)
          for (int64_t x = 0; x < ow; ++x)
            cCopy->data[f * ow + x] =
                outRow[f * out.strides[1] + x * out.strides[3]];
        p.c = cCopy->data;
        p.ldc = ow;
      }
      isa.run(p, 0, getNumPanels(p.m, tile.mr));
      if (cCopy)
        for (int64_t f = 0; f < p.m; ++f)
          for (int64_t x = 0; x < ow; ++x)
            outRow[f * out.strides[1] + x * out.strides[3]] =
                cCopy->data[f * ow + x];
    }
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

extern "C" void _mlir_ciface_romac_matmul_f32(RomacMemref2F32 *a,
                                              RomacMemref2F32 *b,
                                              RomacMemref2F32 *c) {
  matmul(a->aligned + a->offset, a->strides, b->aligned + b->offset, b->strides,
         c->aligned + c->offset, c->strides, c->sizes[0], c->sizes[1],
         a->sizes[1], /*parallel=*/true);
}

extern "C" void _mlir_ciface_romac_batch_matmul_f32(RomacMemref3F32 *a,
                                                    RomacMemref3F32 *b,
                                                    RomacMemref3F32 *c) {
  int64_t batch = c->sizes[0];
  auto one = [&](int64_t i, bool parallel) {
    matmul(a->aligned + a->offset + i * a->strides[0], a->strides + 1,
           b->aligned + b->offset + i * b->strides[0], b->strides + 1,
           c->aligned + c->offset + i * c->strides[0], c->strides + 1,
           c->sizes[1], c->sizes[2], a->sizes[2], parallel);
  };
  if (batch < getNumThreads()) {
    for (int64_t i = 0; i < batch; ++i)
      one(i, /*parallel=*/true);
    return;
  }
  parallelFor(
      batch,
      [](void *ctx, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          (*static_cast<decltype(one) *>(ctx))(i, /*parallel=*/false);
      },
      &one);
}

extern "C" void _mlir_ciface_romac_conv2d_nchw_fchw_f32(
    RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW) {
  int64_t filters = w->sizes[0], channels = w->sizes[1], kh = w->sizes[2],
          kw = w->sizes[3];
  int64_t k = channels * kh * kw;
  int64_t rows = out->sizes[0] * out->sizes[2];
  if (k == 0 || rows == 0 || filters == 0 || out->sizes[3] == 0)
    return;
  const IsaKernels &isa = getKernels();
  Conv conv{*in,     *w,      *out,
            strideH, strideW, dilH,
            dilW,    isa,     isa.chooseTile(out->sizes[3]),
            nullptr, {}};
  std::vector<int64_t> wOffsets(k);
  conv.inOffsets.resize(k);
  for (int64_t c = 0, kk = 0; c < channels; ++c)
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x, ++kk) {
        wOffsets[kk] =
            c * w->strides[1] + y * w->strides[2] + x * w->strides[3];
        conv.inOffsets[kk] = c * in->strides[1] + y * dilH * in->strides[2] +
                             x * dilW * in->strides[3];
      }
  Buffer packed(getNumPanels(filters, conv.tile.mr) * k * conv.tile.mr);
  packA(w->aligned + w->offset, filters, k, w->strides[0], wOffsets.data(),
        conv.tile.mr, packed.data);
  conv.packedW = packed.data;
  parallelFor(
      rows,
      [](void *ctx, int64_t begin, int64_t end) {
        static_cast<Conv *>(ctx)->runRows(begin, end);
      },
      &conv);
}

//===----------------------------------------------------------------------===//
// memrefCopy and the symbol table
//===----------------------------------------------------------------------===//

namespace {

/// An unranked memref: {rank, ranked descriptor*}; the ranked descriptor
/// is {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

/// Copies the strided view `src` to `dst`, innermost dim as one loop.
void copyStrided(int64_t elementSize, int64_t rank, const int64_t *sizes,
                 const int64_t *srcStrides, const int64_t *dstStrides,
                 const char *src, char *dst) {
  if (rank == 0) {
    std::memcpy(dst, src, elementSize);
    return;
  }
  for (int64_t i = 0; i < sizes[0]; ++i)
    copyStrided(elementSize, rank - 1, sizes + 1, srcStrides + 1,
                dstStrides + 1, src + i * srcStrides[0] * elementSize,
                dst + i * dstStrides[0] * elementSize);
}

} // namespace

/// The runtime function `memrefCopy(elementSize, src, dst)` that the LLVM
/// lowering of memref.copy calls for non-contiguous copies.
extern "C" void romacMemrefCopy(int64_t elementSize, UnrankedDescriptor *src,
                                UnrankedDescriptor *dst) {
  struct Header {
    char *allocated;
    char *aligned;
    int64_t offset;
  };
  auto *s = static_cast<Header *>(src->descriptor);
  auto *d = static_cast<Header *>(dst->descriptor);
  int64_t rank = src->rank;
  auto *sSizes = reinterpret_cast<const int64_t *>(s + 1);
  auto *dSizes = reinterpret_cast<const int64_t *>(d + 1);
  copyStrided(elementSize, rank, sSizes, sSizes + rank, dSizes + rank,
              s->aligned + s->offset * elementSize,
              d->aligned + d->offset * elementSize);
}

const Symbol *romac::kernels::getSymbols(int *count) {
  static const Symbol symbols[] = {
      {"memrefCopy", reinterpret_cast<void *>(&romacMemrefCopy)},
      {"_mlir_ciface_romac_matmul_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_f32)},
      {"_mlir_ciface_romac_batch_matmul_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_batch_matmul_f32)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_conv2d_nchw_fchw_f32)},
  };
  *count = sizeof(symbols) / sizeof(symbols[0]);
  return symbols;
}
