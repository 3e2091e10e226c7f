//===- Winograd.cpp - 3x3 convolutions by Winograd -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// conv2d (Kernels.cpp) hands a stride-1 3x3 convolution with a weight as
// its filter to winogradConv: the filter transform U = G g G^T of F(m x m,
// 3x3) is computed and packed once per process, and each chunk of output
// tiles runs the input transform, (m + 2)^2 GEMMs and the output transform
// (Gemm.h's WinogradProblem; the transforms are WinogradMicro.inc, per
// ISA). chooseWinograd picks m (2 or 4) and the products' precision per
// convolution.
//
//===----------------------------------------------------------------------===//

#include "KernelsInternal.h"

#include <cstring>
#include <vector>

using namespace romac::kernels;
using namespace romac::kernels::detail;

namespace {

/// How the kernels compute 3x3 convolutions (WinogradMode): ROMAC_WINOGRAD
/// (0, 2 or 4), else Auto.
WinogradMode &winogradMode() {
  static WinogradMode mode = [] {
    const char *env = std::getenv("ROMAC_WINOGRAD");
    if (env && std::strcmp(env, "0") == 0)
      return WinogradMode::Off;
    if (env && std::strcmp(env, "2") == 0)
      return WinogradMode::F2x2;
    if (env && std::strcmp(env, "4") == 0)
      return WinogradMode::F4x4;
    return WinogradMode::Auto;
  }();
  return mode;
}

/// G (a b c)^T, one column (or row) of a 3x3 filter transformed for
/// F(m x m, 3x3) (m + 2 values):
///
///   m = 2: G = |  1    0    0  |   m = 4: G = |  1/4    0     0  |
///              | 1/2  1/2  1/2 |              | -1/6  -1/6  -1/6 |
///              | 1/2 -1/2  1/2 |              | -1/6   1/6  -1/6 |
///              |  0    0    1  |              | 1/24  1/12   1/6 |
///                                             | 1/24 -1/12   1/6 |
///                                             |   0     0     1  |
void applyG(int64_t side, float a, float b, float c, float out[6]) {
  if (side == 2) {
    out[0] = a;
    out[1] = (a + b + c) * 0.5f;
    out[2] = (a - b + c) * 0.5f;
    out[3] = c;
    return;
  }
  out[0] = a * 0.25f;
  out[1] = -(a + b + c) / 6.0f;
  out[2] = -(a - b + c) / 6.0f;
  out[3] = (a + 2.0f * b + 4.0f * c) / 24.0f;
  out[4] = (a - 2.0f * b + 4.0f * c) / 24.0f;
  out[5] = c;
}

/// The transformed filter U = G g G^T of Winograd's F(side x side, 3x3) for
/// every (filter, channel) of a constant 3x3 filter w, as (side + 2)^2
/// matrices U[xi] (filters x channels, xi = (side + 2) i + j) each packed
/// as the A of a GEMM for `tile` (`stride` floats apart): computed once per
/// process and kept, like getPackedA's constants.
const float *getWinogradFilter(const IsaKernels &isa, RomacMemref4F32 *w,
                               int64_t side, Tile tile, PackFormat format,
                               int64_t stride) {
  int64_t window = side + 2, transforms = window * window;
  int64_t filters = w->sizes[0], channels = w->sizes[1];
  const float *data = w->aligned + w->offset;
  std::vector<int64_t> wOffsets;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x)
        wOffsets.push_back(c * w->strides[1] + y * w->strides[2] +
                           x * w->strides[3]);
  // -side: not any getPackedA layout key.
  std::vector<int64_t> key = {-side,           reinterpret_cast<int64_t>(data),
                              filters,         channels,
                              w->strides[0],   w->strides[1],
                              w->strides[2],   w->strides[3],
                              tile.mr,         format.kPack,
                              format.roundBf16};
  FingerprintSamples samples = appendFingerprint(
      key, data, filters, channels * 9, w->strides[0], wOffsets);
  return getPackedConstant(key, transforms * stride, [&](float *out) {
    // Panel by panel of mr filters, on the threads: U of the panel's filters
    // for every xi (u[xi][r][c], a few KiB), then packed into each xi's A.
    // Transforming all of U before packing would hold an unpacked copy (16/9
    // or 36/9 of the filter: 210 MB for the UNet's 2560 -> 1280 filters in
    // F(2x2)) at once.
    struct Ctx {
      const IsaKernels &isa;
      const float *data;
      const std::vector<int64_t> &wOffsets, cols;
      int64_t filterStride, filters, channels, stride, side;
      Tile tile;
      PackFormat format;
      float *out;
    } ctx{isa,           data,    wOffsets, getRange(channels, 1),
          w->strides[0], filters, channels, stride,
          side,          tile,    format,   out};
    parallelFor(
        getNumPanels(filters, tile.mr),
        [](void *c, int64_t begin, int64_t end) {
          auto &x = *static_cast<Ctx *>(c);
          int mr = x.tile.mr;
          int64_t window = x.side + 2, transforms = window * window;
          std::vector<float> u(transforms * mr * x.channels);
          int64_t depth = getPackedDepth(x.channels, x.format.kPack);
          for (int64_t panel = begin; panel < end; ++panel) {
            int64_t rows = std::min<int64_t>(mr, x.filters - panel * mr);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t ch = 0; ch < x.channels; ++ch) {
                const float *g = x.data + (panel * mr + r) * x.filterStride;
                const int64_t *at = x.wOffsets.data() + ch * 9;
                // Gg (window x 3): G applied to each column of g.
                float gg[6][3];
                for (int col = 0; col < 3; ++col) {
                  float t[6];
                  applyG(x.side, g[at[col]], g[at[3 + col]], g[at[6 + col]], t);
                  for (int64_t i = 0; i < window; ++i)
                    gg[i][col] = t[i];
                }
                for (int64_t i = 0; i < window; ++i) {
                  float t[6];
                  applyG(x.side, gg[i][0], gg[i][1], gg[i][2], t);
                  for (int64_t j = 0; j < window; ++j)
                    u[((i * window + j) * mr + r) * x.channels + ch] = t[j];
                }
              }
            for (int64_t xi = 0; xi < transforms; ++xi)
              x.isa.packA(u.data() + xi * mr * x.channels, rows, x.channels,
                          x.channels, x.cols.data(), mr, x.format,
                          x.out + xi * x.stride + panel * depth * mr);
          }
        },
        &ctx);
    releasePages(data, (filters - 1) * w->strides[0] + wOffsets.back() + 1,
                 samples);
  });
}

/// The fewest channels and filters of a Winograd convolution.
constexpr int64_t kWinogradMinChannels = 16;

/// The fewest output pixels per plane (and 4 rows and columns). A filter's
/// transform U is 16/9 of its size and kept, while the gain is smallest on
/// small planes: the full SD2 UNet's 8x8 level (1280 channels) gains 1.35-
/// 1.4x per convolution there against 1.7-2.1x at 14x14 and above
/// (romac-kernel-bench, docs/runtime.md), and its 1.0 GB of 3x3 filters
/// would lift the UNet's peak RSS past issue #12's weights + 2 GiB.
constexpr int64_t kWinogradMinPixels = 100;

/// The fewest tiles per chunk (unless the convolution has fewer): the
/// columns of its GEMMs, over which each element of U is reused.
constexpr int64_t kWinogradMinChunkTiles = 256;

/// Floats of V and M together per chunk of a Winograd convolution: 12 MiB,
/// so that a chunk's transforms and GEMMs work in the last-level cache.
constexpr int64_t kWinogradChunkFloats = 3 << 20;

/// The fewest output pixels per plane for F(4x4, 3x3) in WinogradMode::Auto.
/// romac-kernel-bench and alternating runs on 2 threads (fp32, Zen 5): F(4x4)
/// took 0.58x F(2x2)'s time at 2x320 64x64, 0.68x at 2x640 32x32, 0.72x at
/// 512 28x28 and 0.68x at 128 256x256, but 1.05x at 2x1280 16x16, 1.29x at
/// 512 14x14 and 1.11x at 384 13x13: on small planes the few tiles do not
/// pay for reading U, 36/16 of F(2x2)'s.
constexpr int64_t kWinogradMinPixels4 = 24 * 24;

/// The most floats of one filter's F(4x4) transform U (36 per filter and
/// channel, 4x the filter, against 16/9 of it for F(2x2)) in
/// WinogradMode::Auto: 64 MiB, a 640 -> 640 filter's (36 * 409,600 floats)
/// but not a 960 -> 640 one's. Without it F(4x4) on all of the full SD2
/// UNet's 64x64 and 32x32 levels kept 0.7 GB more of U than F(2x2), and its
/// fp32 run (compile included) peaked at 5.56 GiB RSS, past issue #12's
/// bound (3.22 GiB of weights + 2 GiB).
constexpr int64_t kWinogradMaxU4Floats = 16 << 20;

/// The most channels and filters for which WinogradMode::Auto computes a
/// convolution with bfloat16 products by F(4x4) in fp32 instead of F(2x2)
/// in bfloat16 (on planes of kWinogradMinPixels4): there its transforms,
/// not its products, take most of the time, and F(4x4) moves 36/64 of
/// F(2x2)'s data per output. Measured on 2 threads (Zen 5), F(2x2) in
/// bfloat16 against F(4x4) in fp32: 20.8 vs 17.1 ms at 2x320 64x64, 38.9 vs
/// 33.4 at 128 256x256, 26.4 vs 21.7 at 256 128x128, 12.8 vs 9.7 at 64
/// 224x224; but 16.7 vs 17.2 at 2x640 32x32, 19.8 vs 19.1 at 512 64x64,
/// 5.4 vs 5.4 at 256 56x56.
constexpr int64_t kWinogradMaxChannelsFp32For16 = 384;

/// How winogradConv computes one convolution: the tile side m and the
/// precision of the products.
struct WinogradChoice {
  int64_t side;
  Precision precision;
};

/// The choice for an oh x ow output of `filters` x `channels` asked for in
/// `precision`. fp32: F(4x4) on planes of kWinogradMinPixels4 with a U of
/// at most kWinogradMaxU4Floats, else F(2x2). bfloat16: never F(4x4) in
/// bfloat16, as the rounding of V and U to bfloat16, amplified by F(4x4)'s
/// coefficients up to 8, gave 2.5e-2 relative RMS error on a 320-channel
/// convolution, against 3.7e-3 for F(2x2) and 2.3e-3 direct (numpy, random
/// inputs; with fp32 products 3.9e-7 and 5.4e-8); F(4x4) in fp32 (more
/// accurate, and faster) with at most kWinogradMaxChannelsFp32For16
/// channels and filters on planes of kWinogradMinPixels4, else F(2x2) in
/// bfloat16. A forced mode keeps the precision.
WinogradChoice chooseWinograd(Precision precision, int64_t oh, int64_t ow,
                              int64_t filters, int64_t channels) {
  switch (winogradMode()) {
  case WinogradMode::F2x2:
    return {2, precision};
  case WinogradMode::F4x4:
    return {4, precision};
  default:
    break;
  }
  bool largePlane = oh * ow >= kWinogradMinPixels4;
  if (precision == Precision::Fp32)
    return {largePlane && 36 * filters * channels <= kWinogradMaxU4Floats ? 4
                                                                          : 2,
            precision};
  if (largePlane && filters <= kWinogradMaxChannelsFp32For16 &&
      channels <= kWinogradMaxChannelsFp32For16)
    return {4, Precision::Fp32};
  return {2, precision};
}

} // namespace

/// out += conv(in, w) by Winograd's F(m x m, 3x3) (Gemm.h's
/// WinogradProblem) for a stride-1, undilated 3x3 convolution whose input
/// and output rows are contiguous. Its (m + 2)^2 products per m x m outputs
/// replace 9 m^2 (2.25x fewer multiply-adds for m = 2, 4x for m = 4); its
/// rounding differs from the direct sum's by a few units in the last place
/// of the operands' magnitudes (about 10x more for m = 4).
void romac::kernels::detail::winogradConv(RomacMemref4F32 *in,
                                          RomacMemref4F32 *w,
                                          RomacMemref4F32 *out,
                                          const Epilogue *epilogue,
                                          Precision precision) {
  const IsaKernels &transforms = getKernels();
  WinogradChoice choice = chooseWinograd(
      precision, out->sizes[2], out->sizes[3], w->sizes[0], w->sizes[1]);
  auto [isa, format] = getGemm(choice.precision);
  WinogradProblem p{};
  p.in = in->aligned + in->offset;
  p.inBatchStride = in->strides[0];
  p.inChannelStride = in->strides[1];
  p.inRowStride = in->strides[2];
  p.ih = in->sizes[2];
  p.iw = in->sizes[3];
  p.out = out->aligned + out->offset;
  p.outBatchStride = out->strides[0];
  p.outChannelStride = out->strides[1];
  p.outRowStride = out->strides[2];
  p.oh = out->sizes[2];
  p.ow = out->sizes[3];
  p.channels = w->sizes[1];
  p.filters = w->sizes[0];
  p.tileSide = choice.side;
  p.tilesH = (p.oh + p.tileSide - 1) / p.tileSide;
  p.tilesW = (p.ow + p.tileSide - 1) / p.tileSide;
  p.epilogue = epilogue;
  int64_t count = p.getTransforms();
  int64_t rows = out->sizes[0] * p.tilesH;
  // Whole tile rows per chunk: what fits kWinogradChunkFloats, but at least
  // kWinogradMinChunkTiles (the GEMMs' columns, over which U is reused).
  int64_t target = std::max<int64_t>(kWinogradMinChunkTiles,
                                     kWinogradChunkFloats /
                                         (count * (p.channels + p.filters)));
  int64_t rowsPerChunk =
      std::min(rows, std::max<int64_t>(1, target / p.tilesW));
  int64_t chunkTiles = rowsPerChunk * p.tilesW;
  Tile tile = isa->chooseTile(chunkTiles);
  int64_t panels = getNumPanels(p.filters, tile.mr);
  int64_t uStride = panels * getPackedDepth(p.channels, format.kPack) * tile.mr;
  const float *u =
      getWinogradFilter(*isa, w, p.tileSide, tile, format, uStride);
  if (isPackingPass())
    return;
  p.v = getThreadScratch(count * p.channels * chunkTiles, /*slot=*/2);
  p.m = getThreadScratch(count * p.filters * chunkTiles, /*slot=*/3);
  // The GEMMs store M (overwrite); the epilogue is the output transform's.
  const Epilogue store{true, 1.0f, false, Clamp{0.0f, 0.0f}};
  std::vector<int64_t> columns = getRange(chunkTiles, 1);
  struct Ctx {
    const IsaKernels &isa;
    WinogradProblem &p;
    const float *u;
    int64_t uStride, panels;
    Tile tile;
    PackFormat format;
    const Epilogue &store;
    std::vector<int64_t> kOffsets;
    const std::vector<int64_t> &columns;
    /// The transform the threads run next (input, then output).
    void (*transform)(const WinogradProblem &, int64_t, int64_t);
  } ctx{*isa, p, u, uStride, panels, tile, format, store, {}, columns, nullptr};
  auto transform = [](void *c, int64_t begin, int64_t end) {
    auto &x = *static_cast<Ctx *>(c);
    x.transform(x.p, begin, end);
  };
  // GEMM xi: M[xi] = U[xi] * V[xi] (filters x channels times channels x
  // tiles).
  auto gemms = [](void *c, int64_t begin, int64_t end) {
    auto &x = *static_cast<Ctx *>(c);
    const WinogradProblem &p = x.p;
    int64_t tiles = p.getChunkTiles();
    for (int64_t xi = begin; xi < end; ++xi) {
      GemmProblem g{p.filters,
                    tiles,
                    p.channels,
                    x.tile,
                    x.u + xi * x.uStride,
                    p.v + xi * p.channels * tiles,
                    x.kOffsets.data(),
                    x.columns.data(),
                    p.m + xi * p.filters * tiles,
                    tiles,
                    x.columns.data(),
                    &x.store,
                    x.format.roundBf16};
      x.isa.run(g, 0, x.panels, 0, tiles);
    }
  };
  // Per chunk the threads share out its channels (input transform), its
  // GEMMs, then its filters (output transform).
  for (p.rowBegin = 0; p.rowBegin < rows; p.rowBegin += rowsPerChunk) {
    p.rowEnd = std::min(rows, p.rowBegin + rowsPerChunk);
    ctx.kOffsets = getRange(p.channels, p.getChunkTiles());
    ctx.transform = transforms.winogradInput;
    parallelFor(p.channels, transform, &ctx);
    parallelFor(count, gemms, &ctx);
    ctx.transform = transforms.winogradOutput;
    parallelFor(p.filters, transform, &ctx);
  }
}

bool romac::kernels::detail::useWinograd(RomacMemref4F32 *in,
                                         RomacMemref4F32 *w,
                                         RomacMemref4F32 *out, int64_t strideH,
                                         int64_t strideW, int64_t dilH,
                                         int64_t dilW, int64_t constantFilter) {
  return winogradMode() != WinogradMode::Off && constantFilter &&
         w->sizes[2] == 3 && w->sizes[3] == 3 && strideH == 1 && strideW == 1 &&
         dilH == 1 && dilW == 1 && in->strides[3] == 1 &&
         out->strides[3] == 1 && w->sizes[0] >= kWinogradMinChannels &&
         w->sizes[1] >= kWinogradMinChannels && out->sizes[2] >= 4 &&
         out->sizes[3] >= 4 &&
         out->sizes[2] * out->sizes[3] >= kWinogradMinPixels;
}

WinogradMode romac::kernels::getWinogradMode() { return winogradMode(); }

void romac::kernels::setWinogradMode(WinogradMode mode) {
  winogradMode() = mode;
}

bool romac::kernels::isWinogradEnabled() {
  return winogradMode() != WinogradMode::Off;
}

void romac::kernels::setWinograd(bool enabled) {
  winogradMode() = enabled ? WinogradMode::Auto : WinogradMode::Off;
}
