//===- Kernels.cpp - ISA choice and the kernels' entry points -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C entry points generated code calls (Kernels.h) turn strided memref
// views into GemmProblems (Gemm.h): A is packed once per call (a weight
// once per process), B and C are described by offset tables (any strides,
// a convolution's windows; a weight B is packed once per process), and the
// columns (or rows) are split over the threads. The attention's driver is
// Attention.cpp, Winograd's convolutions Winograd.cpp, the depthwise
// convolutions' and max pooling's Depthwise.cpp.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"

#include "Gemm.h"
#include "KernelsInternal.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

using namespace romac::kernels;
using namespace romac::kernels::detail;

//===----------------------------------------------------------------------===//
// The instruction set
//===----------------------------------------------------------------------===//

namespace {

/// Every ISA, narrowest first: each supports what the ones before it do.
constexpr Isa kIsas[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Bf16};

Isa getBestIsa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"))
    return Isa::Avx512Bf16;
  if (__builtin_cpu_supports("avx512f"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return Isa::Avx2;
  return Isa::Scalar;
}

Isa getInitialIsa() {
  if (const char *env = std::getenv("ROMAC_KERNEL_ISA"))
    for (Isa isa : kIsas)
      if (std::strcmp(env, getIsaName(isa)) == 0 && isSupported(isa))
        return isa;
  return getBestIsa();
}

Isa &currentIsa() {
  static Isa isa = getInitialIsa();
  return isa;
}

} // namespace

namespace romac::kernels::detail {

const IsaKernels &getKernels() {
  switch (currentIsa()) {
  case Isa::Avx512Bf16:
  case Isa::Avx512:
    return getAvx512Kernels();
  case Isa::Avx2:
    return getAvx2Kernels();
  case Isa::Scalar:
    break;
  }
  return getScalarKernels();
}

const IsaKernels &getGemmKernels(Precision precision) {
  if (precision == Precision::Bf16 && currentIsa() == Isa::Avx512Bf16)
    return getAvx512Bf16Kernels();
  return getKernels();
}

} // namespace romac::kernels::detail

const char *romac::kernels::getIsaName(Isa isa) {
  switch (isa) {
  case Isa::Avx512Bf16:
    return "avx512bf16";
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
  // Every AVX-512 CPU has AVX2 and FMA but for Intel's Xeon Phi (AVX-512F
  // without AVX2 is possible), so AVX2 is checked on its own.
  if (isa == Isa::Avx2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return static_cast<int>(isa) <= static_cast<int>(getBestIsa());
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
                                   int mr, PackFormat format, float *out) {
  int64_t panels = getNumPanels(m, mr);
  if (format.kPack == 2) {
    // Pairs of the reduction: element q of a row holds values 2q and 2q+1.
    int64_t depth = getPackedDepth(k, 2);
    for (int64_t p = 0; p < panels; ++p) {
      float *panel = out + p * depth * mr;
      int valid = static_cast<int>(std::min<int64_t>(mr, m - p * mr));
      for (int64_t q = 0; q < depth; ++q) {
        float *dst = panel + q * mr;
        int r = 0;
        for (; r < valid; ++r) {
          const float *row = a + (p * mr + r) * rowStride;
          dst[r] =
              packBf16Pair(row[colOffsets[2 * q]],
                           2 * q + 1 < k ? row[colOffsets[2 * q + 1]] : 0.0f);
        }
        for (; r < mr; ++r)
          dst[r] = 0.0f;
      }
    }
    return;
  }
  std::vector<const float *> rows(mr);
  bool contiguous = isConsecutive(colOffsets, k);
  for (int64_t p = 0; p < panels; ++p) {
    float *panel = out + p * k * mr;
    int valid = static_cast<int>(std::min<int64_t>(mr, m - p * mr));
    for (int r = 0; r < valid; ++r)
      rows[r] = a + (p * mr + r) * rowStride;
    // Sequential writes; `mr` read streams.
    for (int64_t kk = 0; kk < k; ++kk) {
      float *dst = panel + kk * mr;
      int64_t offset = contiguous ? colOffsets[0] + kk : colOffsets[kk];
      int r = 0;
      for (; r < valid; ++r)
        dst[r] =
            format.roundBf16 ? roundToBf16(rows[r][offset]) : rows[r][offset];
      for (; r < mr; ++r)
        dst[r] = 0.0f;
    }
  }
}

namespace romac::kernels::detail {

namespace {

/// min(max(v, lo), hi) of one float, NaN kept (both comparisons are false).
float clampScalar(float v, float lo, float hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/// The epilogue's scale and clamp of one finished output.
void finish(float &v, const Epilogue &e) {
  v *= e.scale;
  if (e.hasClamp)
    v = clampScalar(v, e.clamp.lo, e.clamp.hi);
}

} // namespace

float *getThreadScratch(int64_t floats, unsigned slot) {
  static thread_local std::unique_ptr<Buffer> buffers[6];
  static thread_local int64_t capacities[6] = {};
  if (capacities[slot] < floats) {
    buffers[slot] = std::make_unique<Buffer>(floats);
    capacities[slot] = floats;
  }
  return buffers[slot]->data;
}

namespace {

/// Runs `problem` by row panels on every thread, block of B by block of B:
/// the threads first pack the block together (each a share of its
/// column strips), then each multiplies its row panels by it. Packing B
/// once per block instead of once per thread matters when A has few rows
/// (a projection of 77 tokens: B's packing costs as much as the product).
void runByPanels(const IsaKernels &isa, const GemmProblem &problem,
                 int64_t panels) {
  int64_t nr = int64_t(problem.tile.nv) * isa.vectorWidth;
  int64_t nc = (nBlock + nr - 1) / nr * nr;
  float *packed = getThreadScratch(kBlock * nc, /*slot=*/1);
  struct Ctx {
    const IsaKernels &isa;
    const GemmProblem &problem;
    float *packed;
    int64_t k0, kLen, j0, nLen;
  } ctx{isa, problem, packed, 0, 0, 0, 0};
  for (ctx.j0 = 0; ctx.j0 < problem.n; ctx.j0 += nc) {
    ctx.nLen = std::min(nc, problem.n - ctx.j0);
    int64_t depth = getPackedDepth(problem.k, isa.kPack);
    for (ctx.k0 = 0; ctx.k0 < depth; ctx.k0 += kBlock) {
      ctx.kLen = std::min(kBlock, depth - ctx.k0);
      if (!problem.packedB)
        parallelFor((ctx.nLen + nr - 1) / nr,
                    [](void *c, int64_t begin, int64_t end) {
                      auto &x = *static_cast<Ctx *>(c);
                      x.isa.packBlock(x.problem, x.k0, x.kLen, x.j0, x.nLen,
                                      begin, end, x.packed);
                    },
                    &ctx);
      parallelFor(
          panels,
          [](void *c, int64_t begin, int64_t end) {
            auto &x = *static_cast<Ctx *>(c);
            x.isa.runBlock(x.problem, x.packed, x.k0, x.kLen, x.j0, x.nLen,
                           begin, end);
          },
          &ctx);
    }
  }
}

} // namespace

/// Runs `problem` on every thread: by column blocks when there are enough
/// columns, else by row panels; `parallel` false runs it on this thread.
void run(const IsaKernels &isa, const GemmProblem &problem, bool parallel) {
  if (isPackingPass())
    return;
  int64_t panels = getNumPanels(problem.m, problem.tile.mr);
  int64_t nr = int64_t(problem.tile.nv) * isa.vectorWidth;
  int threads = parallel ? getNumThreads() : 1;
  if (threads == 1) {
    isa.run(problem, 0, panels, 0, problem.n);
    return;
  }
  struct Ctx {
    const IsaKernels &isa;
    const GemmProblem &problem;
    int64_t panels, nr;
  } ctx{isa, problem, panels, nr};
  // Columns split over the threads need no synchronisation inside the
  // call, and each thread packs only its own columns of B: by whole register
  // tiles when there are enough of them, else by vectors (a tile of the
  // schedule 164 columns wide: 3 register tiles for 2 threads, where
  // splitting the row panels instead synchronised the threads twice per
  // block of B, and two threads ran slower than one). Row panels when the
  // columns are too few, or when whole tiles would leave a thread idle
  // for more than a tenth of the call and there are rows enough for the
  // two synchronisations per block of B not to matter (the UNet's
  // 8192 x 320 projections: 5 tiles of 64 columns, 3 and 2 per thread,
  // ran 1.6x faster on 2 threads than on 1).
  int64_t blocks = (problem.n + nr - 1) / nr;
  int64_t perThread = (blocks + threads - 1) / threads;
  if (perThread * threads * 10 > blocks * 11 && panels >= 64 * threads) {
    runByPanels(isa, problem, panels);
    return;
  }
  int64_t vectors = (problem.n + isa.vectorWidth - 1) / isa.vectorWidth;
  // (Not with B packed ahead: its strips are whole register tiles.)
  if (blocks < 2 * threads && panels >= threads && vectors >= 4 * threads &&
      !problem.packedB)
    ctx.nr = isa.vectorWidth;
  if (ctx.nr != nr || blocks >= 2 * threads || panels < threads) {
    parallelFor((problem.n + ctx.nr - 1) / ctx.nr,
                [](void *c, int64_t begin, int64_t end) {
                  auto &x = *static_cast<Ctx *>(c);
                  x.isa.run(x.problem, 0, x.panels, begin * x.nr,
                            std::min(x.problem.n, end * x.nr));
                },
                &ctx);
    return;
  }
  runByPanels(isa, problem, panels);
}

void packAOnThreads(const IsaKernels &isa, const float *a, int64_t m, int64_t k,
                    int64_t rowStride, const int64_t *cols, int mr,
                    PackFormat format, float *out, bool parallel) {
  int64_t panels = getNumPanels(m, mr);
  if (!parallel || panels < 2 || getNumThreads() == 1)
    return isa.packA(a, m, k, rowStride, cols, mr, format, out);
  struct Ctx {
    const IsaKernels &isa;
    const float *a;
    int64_t m, k, rowStride;
    const int64_t *cols;
    int mr;
    PackFormat format;
    float *out;
  } ctx{isa, a, m, k, rowStride, cols, mr, format, out};
  parallelFor(
      panels,
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        int64_t row0 = begin * x.mr;
        x.isa.packA(x.a + row0 * x.rowStride, std::min(x.m, end * x.mr) - row0,
                    x.k, x.rowStride, x.cols, x.mr, x.format,
                    x.out + begin * getPackedDepth(x.k, x.format.kPack) * x.mr);
      },
      &ctx);
}

/// Asks the kernel to reclaim the whole pages of [data, data + floats): a
/// weight that was just packed is read again only by the fingerprint of
/// getPackedA, so its pages need not stay resident next to its packed copy
/// (the full SD2 UNet's filters would count twice in the peak RSS). The
/// pages of the fingerprint's samples stay: every call reads them, and a
/// file-backed page reclaimed is read again from the disk (the text
/// encoder's first run after its weights were packed took 4x its time).
/// MADV_PAGEOUT keeps the contents (a file-backed page is dropped and read
/// again from its file if touched; an anonymous one is swapped out, or
/// kept without swap); where the kernel lacks it, nothing happens.
void releasePages(const float *data, int64_t floats,
                  const FingerprintSamples &kept) {
#ifdef MADV_PAGEOUT
  constexpr uintptr_t page = 4096;
  uintptr_t begin =
      (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data + floats) & ~(page - 1);
  std::array<uintptr_t, std::tuple_size_v<FingerprintSamples>> keptPages;
  for (size_t i = 0; i < kept.size(); ++i)
    keptPages[i] = reinterpret_cast<uintptr_t>(kept[i]) & ~(page - 1);
  std::sort(keptPages.begin(), keptPages.end());
  // The runs of pages between the kept ones.
  for (uintptr_t keptPage : keptPages) {
    if (keptPage < begin)
      continue;
    if (keptPage >= end)
      break;
    if (keptPage > begin)
      madvise(reinterpret_cast<void *>(begin), keptPage - begin, MADV_PAGEOUT);
    begin = keptPage + page;
  }
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_PAGEOUT);
#else
  (void)data;
  (void)floats;
  (void)kept;
#endif
}

FingerprintSamples appendFingerprint(std::vector<int64_t> &key, const float *a,
                                     int64_t m, int64_t k, int64_t rowStride,
                                     const std::vector<int64_t> &cols) {
  FingerprintSamples samples;
  for (int64_t i = 0; i < int64_t(samples.size()); ++i) {
    int64_t row = (m - 1) * i / 7, col = (k - 1) * i / 7;
    samples[i] = &a[row * rowStride + cols[col]];
    int32_t bits;
    std::memcpy(&bits, samples[i], sizeof(bits));
    key.push_back(bits);
  }
  return samples;
}

namespace {

/// A packed for `tile`: in this thread's scratch buffer, or, when the data
/// is a constant (a weight: the same address always holds the same values),
/// packed once per process and kept, keyed by its address and layout.
const float *getPackedA(const IsaKernels &isa, const float *a, int64_t m,
                        int64_t k, int64_t rowStride,
                        const std::vector<int64_t> &cols, Tile tile,
                        PackFormat format, bool constant,
                        std::vector<int64_t> layoutKey, bool parallel) {
  int64_t floats =
      getNumPanels(m, tile.mr) * getPackedDepth(k, format.kPack) * tile.mr;
  if (!constant) {
    float *out = getThreadScratch(floats);
    packAOnThreads(isa, a, m, k, rowStride, cols.data(), tile.mr, format, out,
                   parallel);
    return out;
  }
  layoutKey.insert(layoutKey.end(),
                   {reinterpret_cast<int64_t>(a), m, k, rowStride, tile.mr,
                    format.kPack, format.roundBf16});
  FingerprintSamples samples =
      appendFingerprint(layoutKey, a, m, k, rowStride, cols);
  return getPackedConstant(layoutKey, floats, [&](float *out) {
    packAOnThreads(isa, a, m, k, rowStride, cols.data(), tile.mr, format, out,
                   parallel);
    releasePages(a,
                 (m - 1) * rowStride +
                     *std::max_element(cols.begin(), cols.end()) + 1,
                 samples);
  });
}

} // namespace

ConvOffsets::ConvOffsets(const RomacMemref4F32 *in, const RomacMemref4F32 *w,
                         const RomacMemref4F32 *out, int64_t strideH,
                         int64_t strideW, int64_t dilH, int64_t dilW) {
  int64_t channels = w->sizes[1], kh = w->sizes[2], kw = w->sizes[3];
  int64_t batch = out->sizes[0], oh = out->sizes[2], ow = out->sizes[3];
  int64_t k = channels * kh * kw, n = batch * oh * ow;
  filter.resize(k);
  input.resize(k);
  inputColumns.resize(n);
  outputColumns.resize(n);
  for (int64_t c = 0, kk = 0; c < channels; ++c)
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x, ++kk) {
        filter[kk] = c * w->strides[1] + y * w->strides[2] + x * w->strides[3];
        input[kk] = c * in->strides[1] + y * dilH * in->strides[2] +
                    x * dilW * in->strides[3];
      }
  for (int64_t b = 0, j = 0; b < batch; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x, ++j) {
        inputColumns[j] = b * in->strides[0] + y * strideH * in->strides[2] +
                          x * strideW * in->strides[3];
        outputColumns[j] =
            b * out->strides[0] + y * out->strides[2] + x * out->strides[3];
      }
}

std::shared_ptr<const ConvOffsets>
getConvOffsets(const RomacMemref4F32 *in, const RomacMemref4F32 *w,
               const RomacMemref4F32 *out, int64_t strideH, int64_t strideW,
               int64_t dilH, int64_t dilW) {
  constexpr size_t kMaxKept = 512;
  static std::mutex mutex;
  static std::map<std::vector<int64_t>, std::shared_ptr<const ConvOffsets>>
      kept;
  std::vector<int64_t> key = {strideH, strideW, dilH, dilW};
  for (const RomacMemref4F32 *m : {in, w, out})
    key.insert(key.end(),
               {m->sizes[0], m->sizes[1], m->sizes[2], m->sizes[3],
                m->strides[0], m->strides[1], m->strides[2], m->strides[3]});
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = kept.find(key); it != kept.end())
    return it->second;
  if (kept.size() >= kMaxKept)
    kept.clear();
  auto offsets = std::make_shared<const ConvOffsets>(in, w, out, strideH,
                                                     strideW, dilH, dilW);
  kept.emplace(std::move(key), offsets);
  return offsets;
}

std::vector<int64_t> getRange(int64_t n, int64_t stride) {
  std::vector<int64_t> offsets(n);
  for (int64_t i = 0; i < n; ++i)
    offsets[i] = i * stride;
  return offsets;
}

namespace {

/// C += A * B by the thin kernels when A has at most kThinRows rows and
/// B's rows or columns are contiguous (C's columns too for the axpy form);
/// false when the product is not thin. A is copied to contiguous rows
/// first unless they are already.
bool runThinMatmul(const float *a, const int64_t aStrides[2], const float *b,
                   const int64_t bStrides[2], float *c,
                   const int64_t cStrides[2], int64_t m, int64_t n, int64_t k,
                   bool parallel, const Epilogue *epilogue) {
  bool dot = bStrides[0] == 1 && bStrides[1] != 1;
  bool axpy = bStrides[1] == 1 && cStrides[1] == 1;
  if (m > kThinRows || (!dot && !axpy))
    return false;
  if (isPackingPass())
    return true; // nothing of it is packed ahead
  ThinProblem problem{m,           n,           k, a,           aStrides[0], b,
                      bStrides[0], bStrides[1], c, cStrides[0], cStrides[1]};
  if (aStrides[1] != 1) {
    float *rows = getThreadScratch(m * k);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t kk = 0; kk < k; ++kk)
        rows[i * k + kk] = a[i * aStrides[0] + kk * aStrides[1]];
    problem.a = rows;
    problem.lda = k;
  }
  const IsaKernels &isa = getKernels();
  // Threads take blocks of 64 columns: whole vectors of the axpy form,
  // whole groups of four dot products.
  constexpr int64_t width = 64;
  int64_t blocks = (n + width - 1) / width;
  struct Ctx {
    const IsaKernels &isa;
    const ThinProblem &problem;
    const Epilogue *epilogue;
  } ctx{isa, problem, epilogue};
  // The thin kernels have no epilogue of their own: each thread zeroes the
  // columns it is about to compute and finishes them after (C is at most
  // kThinRows rows).
  auto runColumns = [](void *c, int64_t begin, int64_t end) {
    auto &x = *static_cast<Ctx *>(c);
    const ThinProblem &p = x.problem;
    int64_t j0 = begin * width, j1 = std::min(p.n, end * width);
    if (x.epilogue && x.epilogue->overwrite)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = j0; j < j1; ++j)
          p.c[i * p.ldc + j * p.cColStride] = 0.0f;
    x.isa.runThin(p, j0, j1);
    if (x.epilogue)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = j0; j < j1; ++j)
          finish(p.c[i * p.ldc + j * p.cColStride], *x.epilogue);
  };
  if (!parallel || blocks < 2 || getNumThreads() == 1)
    runColumns(&ctx, 0, blocks);
  else
    parallelFor(blocks, runColumns, &ctx);
  return true;
}

} // namespace

std::pair<const IsaKernels *, PackFormat> getGemm(Precision precision) {
  const IsaKernels &isa = getGemmKernels(precision);
  return {&isa, PackFormat{isa.kPack,
                           precision == Precision::Bf16 && isa.kPack == 1}};
}

namespace {

/// All of `problem`'s B (a weight) packed ahead for its tile
/// (GemmProblem::packedB), once per process and kept like a packed filter,
/// keyed by its address, layout and fingerprint; the weight's own pages are
/// handed back.
const float *getPackedB(const IsaKernels &isa, const GemmProblem &problem,
                        const int64_t bStrides[2], PackFormat format,
                        bool parallel) {
  int64_t nr = int64_t(problem.tile.nv) * isa.vectorWidth;
  int64_t strips = (problem.n + nr - 1) / nr;
  int64_t depth = getPackedDepth(problem.k, isa.kPack);
  // -2: not any getPackedA or Winograd key.
  std::vector<int64_t> key = {-2,
                              reinterpret_cast<int64_t>(problem.b),
                              problem.k,
                              problem.n,
                              bStrides[0],
                              bStrides[1],
                              nr,
                              format.kPack,
                              format.roundBf16};
  // B^T's rows are B's columns: the fingerprint reads n x k values.
  FingerprintSamples samples =
      appendFingerprint(key, problem.b, problem.n, problem.k, bStrides[1],
                        getRange(problem.k, bStrides[0]));
  return getPackedConstant(key, strips * depth * nr, [&](float *out) {
    struct Ctx {
      const IsaKernels &isa;
      const GemmProblem &problem;
      int64_t depth;
      float *out;
    } ctx{isa, problem, depth, out};
    auto pack = [](void *c, int64_t begin, int64_t end) {
      auto &x = *static_cast<Ctx *>(c);
      x.isa.packBlock(x.problem, 0, x.depth, 0, x.problem.n, begin, end, x.out);
    };
    if (parallel)
      parallelFor(strips, pack, &ctx);
    else
      pack(&ctx, 0, strips);
    releasePages(problem.b,
                 (problem.k - 1) * bStrides[0] + (problem.n - 1) * bStrides[1] +
                     1,
                 samples);
  });
}

/// C += A * B for one matrix product of strided views; `parallel` splits it
/// over the threads. A product thin enough for the thin kernels is computed
/// in fp32 whatever the `precision` (they stream B once, unpacked).
/// `constantB`: B is a weight (packed ahead, getPackedB).
void matmul(const float *a, const int64_t aStrides[2], const float *b,
            const int64_t bStrides[2], float *c, const int64_t cStrides[2],
            int64_t m, int64_t n, int64_t k, bool parallel,
            const Epilogue *epilogue, Precision precision,
            bool constantB = false) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    // Nothing to add, but the epilogue still applies.
    if (epilogue)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          float &v = c[i * cStrides[0] + j * cStrides[1]];
          if (epilogue->overwrite)
            v = 0.0f;
          finish(v, *epilogue);
        }
    return;
  }
  if (runThinMatmul(a, aStrides, b, bStrides, c, cStrides, m, n, k, parallel,
                    epilogue))
    return;
  auto [isa, format] = getGemm(precision);
  Tile tile = isa->chooseTile(n);
  std::vector<int64_t> aOffsets = getRange(k, aStrides[1]),
                       kOffsets = getRange(k, bStrides[0]),
                       bColumns = getRange(n, bStrides[1]),
                       cColumns = getRange(n, cStrides[1]);
  // An fp32 A with contiguous rows is read in place by the 6-row tiles
  // (packing it would copy all of A on every call: an 8192 x 1280
  // activation, 10.5 million floats, for a 320-wide product); taller tiles
  // and bfloat16 pack it.
  bool inPlace = format.kPack == 1 && !format.roundBf16 && aStrides[1] == 1 &&
                 aStrides[0] > 0 && tile.mr <= 6;
  const float *packed =
      inPlace ? a
              : getPackedA(*isa, a, m, k, aStrides[0], aOffsets, tile, format,
                           /*constant=*/false, {}, parallel);
  GemmProblem problem{m,
                      n,
                      k,
                      tile,
                      packed,
                      b,
                      kOffsets.data(),
                      bColumns.data(),
                      c,
                      cStrides[0],
                      cColumns.data(),
                      epilogue,
                      format.roundBf16,
                      inPlace ? aStrides[0] : 0};
  // A weight B with non-negative strides is packed once (a projection of
  // the text encoder's 77 tokens would copy all of its weight per call).
  if (constantB && bStrides[0] >= 0 && bStrides[1] >= 0)
    problem.packedB = getPackedB(*isa, problem, bStrides, format, parallel);
  run(*isa, problem, parallel);
}

} // namespace

} // namespace romac::kernels::detail

namespace {
std::atomic<bool> packingPass{false};
} // namespace

void romac::kernels::setPackingPass(bool on) { packingPass = on; }

bool romac::kernels::isPackingPass() { return packingPass; }

int64_t romac::kernels::getPackedConstantBytes() {
  PackedConstants &constants = PackedConstants::get();
  std::lock_guard<std::mutex> lock(constants.mutex);
  int64_t bytes = 0;
  for (const auto &entry : constants.cache)
    bytes += entry.second->bytes;
  return bytes;
}

void romac::kernels::clearPackedConstants() {
  PackedConstants &constants = PackedConstants::get();
  std::lock_guard<std::mutex> lock(constants.mutex);
  constants.cache.clear();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::optional<Epilogue> romac::kernels::detail::getEpilogue(int64_t overwrite,
                                                            float scale,
                                                            float lo,
                                                            float hi) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  bool hasClamp = !(lo == -inf && hi == inf);
  if (!overwrite && scale == 1.0f && !hasClamp)
    return std::nullopt;
  return Epilogue{overwrite != 0, scale, hasClamp, Clamp{lo, hi}};
}

Epilogue romac::kernels::detail::getBiasEpilogue(const RomacMemref1F32 *bias,
                                                 int64_t overwrite, float scale,
                                                 float lo, float hi) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  Epilogue epilogue = getEpilogue(overwrite, scale, lo, hi)
                          .value_or(Epilogue{false, 1.0f, false, {-inf, inf}});
  epilogue.bias = bias->aligned + bias->offset;
  epilogue.biasStride = bias->strides[0];
  return epilogue;
}

namespace {

const Epilogue *orNull(const std::optional<Epilogue> &epilogue) {
  return epilogue ? &*epilogue : nullptr;
}

void batchMatmul(RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,
                 int64_t constantB, const Epilogue *epilogue,
                 Precision precision);
void conv2d(RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
            int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
            int64_t constantFilter, const Epilogue *epilogue,
            Precision precision);

} // namespace

namespace {

void matmul2d(RomacMemref2F32 *a, RomacMemref2F32 *b, RomacMemref2F32 *c,
              int64_t constantB, const Epilogue *epilogue,
              Precision precision) {
  matmul(a->aligned + a->offset, a->strides, b->aligned + b->offset, b->strides,
         c->aligned + c->offset, c->strides, c->sizes[0], c->sizes[1],
         a->sizes[1], /*parallel=*/true, epilogue, precision, constantB != 0);
}

} // namespace

// The matmul, batch_matmul and convolution entry points, plain and fused,
// in fp32 (`_f32`) and with bfloat16 products (`_bf16`, same operands).
#define ROMAC_GEMM_ENTRY_POINTS(SUFFIX, PRECISION)                             \
  extern "C" void _mlir_ciface_romac_matmul_##SUFFIX(                          \
      RomacMemref2F32 *a, RomacMemref2F32 *b, RomacMemref2F32 *c,              \
      int64_t constantB) {                                                     \
    matmul2d(a, b, c, constantB, nullptr, PRECISION);                          \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_matmul_fused_##SUFFIX(                    \
      RomacMemref2F32 *a, RomacMemref2F32 *b, RomacMemref2F32 *c,              \
      int64_t constantB, int64_t overwrite, float scale, float lo, float hi) { \
    std::optional<Epilogue> epilogue = getEpilogue(overwrite, scale, lo, hi);  \
    matmul2d(a, b, c, constantB, orNull(epilogue), PRECISION);                 \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_batch_matmul_##SUFFIX(                    \
      RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,              \
      int64_t constantB) {                                                     \
    batchMatmul(a, b, c, constantB, nullptr, PRECISION);                       \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_batch_matmul_fused_##SUFFIX(              \
      RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,              \
      int64_t constantB, int64_t overwrite, float scale, float lo, float hi) { \
    std::optional<Epilogue> epilogue = getEpilogue(overwrite, scale, lo, hi);  \
    batchMatmul(a, b, c, constantB, orNull(epilogue), PRECISION);              \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_conv2d_nchw_fchw_##SUFFIX(                \
      RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,           \
      int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,            \
      int64_t constantFilter) {                                                \
    conv2d(in, w, out, strideH, strideW, dilH, dilW, constantFilter, nullptr,  \
           PRECISION);                                                         \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_conv2d_nchw_fchw_fused_##SUFFIX(          \
      RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,           \
      int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,            \
      int64_t constantFilter, int64_t overwrite, float scale, float lo,        \
      float hi) {                                                              \
    std::optional<Epilogue> epilogue = getEpilogue(overwrite, scale, lo, hi);  \
    conv2d(in, w, out, strideH, strideW, dilH, dilW, constantFilter,           \
           orNull(epilogue), PRECISION);                                       \
  }                                                                            \
  extern "C" void _mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_##SUFFIX(     \
      RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,           \
      RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,   \
      int64_t dilW, int64_t constantFilter, int64_t overwrite, float scale,    \
      float lo, float hi) {                                                    \
    Epilogue epilogue = getBiasEpilogue(bias, overwrite, scale, lo, hi);       \
    conv2d(in, w, out, strideH, strideW, dilH, dilW, constantFilter,           \
           &epilogue, PRECISION);                                              \
  }

ROMAC_GEMM_ENTRY_POINTS(f32, Precision::Fp32)
ROMAC_GEMM_ENTRY_POINTS(bf16, Precision::Bf16)
#undef ROMAC_GEMM_ENTRY_POINTS

namespace {

void batchMatmul(RomacMemref3F32 *a, RomacMemref3F32 *b, RomacMemref3F32 *c,
                 int64_t constantB, const Epilogue *epilogue,
                 Precision precision) {
  int64_t batch = c->sizes[0];
  auto one = [&](int64_t i, bool parallel) {
    matmul(a->aligned + a->offset + i * a->strides[0], a->strides + 1,
           b->aligned + b->offset + i * b->strides[0], b->strides + 1,
           c->aligned + c->offset + i * c->strides[0], c->strides + 1,
           c->sizes[1], c->sizes[2], a->sizes[2], parallel, epilogue, precision,
           constantB != 0);
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

/// Applies `epilogue` to every element of `out` (a filter of no weights
/// still has its activation).
void finishAll(RomacMemref4F32 *out, const Epilogue &epilogue) {
  for (int64_t n = 0; n < out->sizes[0]; ++n)
    for (int64_t c = 0; c < out->sizes[1]; ++c)
      for (int64_t y = 0; y < out->sizes[2]; ++y)
        for (int64_t x = 0; x < out->sizes[3]; ++x) {
          float &v = out->aligned[out->offset + n * out->strides[0] +
                                  c * out->strides[1] + y * out->strides[2] +
                                  x * out->strides[3]];
          if (epilogue.overwrite)
            v = 0.0f;
          if (epilogue.bias)
            v += epilogue.bias[c * epilogue.biasStride];
          finish(v, epilogue);
        }
}

/// A convolution is one GEMM: M = filters, K = (channel, kh, kw),
/// N = output pixels (n, oh, ow); B(k, pixel) is the input value under the
/// window, found through the two offset tables (no im2col buffer).
void conv2d(RomacMemref4F32 *in, RomacMemref4F32 *w, RomacMemref4F32 *out,
            int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
            int64_t constantFilter, const Epilogue *epilogue,
            Precision precision) {
  int64_t filters = w->sizes[0], channels = w->sizes[1], kh = w->sizes[2],
          kw = w->sizes[3];
  int64_t batch = out->sizes[0], oh = out->sizes[2], ow = out->sizes[3];
  int64_t k = channels * kh * kw, n = batch * oh * ow;
  if (n == 0 || filters == 0)
    return;
  if (k == 0) {
    if (epilogue)
      finishAll(out, *epilogue);
    return;
  }
  if (useWinograd(in, w, out, strideH, strideW, dilH, dilW, constantFilter))
    return winogradConv(in, w, out, epilogue, precision);
  std::shared_ptr<const ConvOffsets> offsets =
      getConvOffsets(in, w, out, strideH, strideW, dilH, dilW);
  const auto &[wOffsets, kOffsets, bColumns, cColumns] = *offsets;
  auto [isa, format] = getGemm(precision);
  Tile tile = isa->chooseTile(n);
  const float *packed = getPackedA(
      *isa, w->aligned + w->offset, filters, k, w->strides[0], wOffsets, tile,
      format, constantFilter != 0,
      {channels, kh, kw, w->strides[1], w->strides[2], w->strides[3]},
      /*parallel=*/true);
  GemmProblem problem{filters,
                      n,
                      k,
                      tile,
                      packed,
                      in->aligned + in->offset,
                      kOffsets.data(),
                      bColumns.data(),
                      out->aligned + out->offset,
                      out->strides[1],
                      cColumns.data(),
                      epilogue,
                      format.roundBf16};
  run(*isa, problem, /*parallel=*/true);
}

} // namespace
