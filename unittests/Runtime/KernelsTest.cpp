//===- KernelsTest.cpp - the native kernels against naive loops -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every kernel entry point, on every ISA this host supports (the others are
// reported as skipped), against a naive triple loop written here: shapes
// with ragged tails in every dim, strided views (tiles of a larger buffer,
// transposed operands), strides and dilations, 1 and 2 threads.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"
#include "KernelsTestSupport.h"
#include "MemrefView.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace romac::kernels;
using romac::test::makeRandom;
using romac::test::makeView;

namespace {

/// `v` rounded to the nearest bfloat16, ties to even, NaN kept, denormals
/// to zero (VCVTNEPS2BF16's rounding), by arithmetic on the value rather
/// than on its bits: the reference of the `_bf16` kernels.
float referenceBf16(float v) {
  if (std::isnan(v) || std::isinf(v) || v == 0.0f)
    return v;
  if (std::abs(v) < std::numeric_limits<float>::min())
    return std::copysign(0.0f, v);
  int exponent;
  double mantissa = std::frexp(double(v), &exponent); // |mantissa| in [0.5, 1)
  // bfloat16 keeps 8 significant bits: round mantissa * 2^8 to an integer,
  // ties to even (std::nearbyint in the default rounding mode).
  double rounded = std::nearbyint(std::ldexp(mantissa, 8));
  return float(std::ldexp(rounded, exponent - 8));
}

/// Max |a - b| / (1 + |b|) over all elements.
double maxError(const std::vector<float> &a, const std::vector<float> &b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) /
                                (1.0 + std::abs(double(b[i]))));
  return worst;
}

struct KernelsTest : romac::test::IsaThreadsTest {};

TEST_P(KernelsTest, MatmulStridedViewsMatchNaiveLoops) {
  // Sizes around every register tile's edges; A is a transposed view for
  // odd m (k-stride != 1), B's columns are strided when n % 3 == 0 and C is
  // a tile inside a larger buffer.
  for (int64_t m : {1, 5, 6, 13, 31, 64})
    for (int64_t n : {1, 7, 16, 17, 33, 64, 100, 164})
      for (int64_t k : {1, 9, 300}) {
        bool transA = m % 2 == 1, stridedB = n % 3 == 0;
        std::vector<float> a = makeRandom(m * k, 1),
                           b = makeRandom(k * n * 2, 2);
        std::vector<float> c = makeRandom((m + 2) * (n + 5), 3);
        std::vector<float> want = c;
        int64_t bColStride = stridedB ? 2 : 1;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = want[(i + 1) * (n + 5) + j + 2];
            for (int64_t kk = 0; kk < k; ++kk)
              sum += double(transA ? a[kk * m + i] : a[i * k + kk]) *
                     b[kk * n * 2 + j * bColStride];
            want[(i + 1) * (n + 5) + j + 2] = float(sum);
          }
        auto av = transA ? makeView<RomacMemref2F32>(a, 0, {m, k}, {1, m})
                         : makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
        auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n * 2, bColStride});
        auto cv = makeView<RomacMemref2F32>(c, n + 5 + 2, {m, n}, {n + 5, 1});
        // B as a weight twice: packed ahead, then that copy reused.
        std::vector<float> start = c;
        for (int constant : {0, 1, 1}) {
          c = start;
          _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, constant);
          EXPECT_LT(maxError(c, want), 1e-5)
              << "m=" << m << " n=" << n << " k=" << k
              << " constantB=" << constant;
        }
      }
}

TEST_P(KernelsTest, ThinMatmulsMatchNaiveLoops) {
  // A of 1-5 rows (the thin kernels take up to 4) times B stored as W^T
  // (B's columns contiguous, the dot form; C's columns strided) or
  // row-major (the axpy form); k and n around the vector widths and the
  // 64-column blocks the threads take.
  for (int64_t m : {1, 2, 3, 4, 5})
    for (int64_t n : {1, 3, 4, 5, 63, 64, 65, 130, 200})
      for (int64_t k : {1, 15, 16, 17, 300})
        for (bool transposedB : {true, false}) {
          int64_t cColStride = transposedB ? 3 : 1;
          int64_t ldc = n * cColStride + 1;
          std::vector<float> a = makeRandom(m * k, 31),
                             b = makeRandom(k * n, 32),
                             c = makeRandom(m * ldc, 33);
          std::vector<float> want = c;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double sum = want[i * ldc + j * cColStride];
              for (int64_t kk = 0; kk < k; ++kk)
                sum += double(a[i * k + kk]) *
                       (transposedB ? b[j * k + kk] : b[kk * n + j]);
              want[i * ldc + j * cColStride] = float(sum);
            }
          auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
          auto bv = transposedB
                        ? makeView<RomacMemref2F32>(b, 0, {k, n}, {1, k})
                        : makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
          auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {ldc, cColStride});
          // A transposed weight (an FC layer's) stays thin, packed or not.
          _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, transposedB ? 1 : 0);
          EXPECT_LT(maxError(c, want), 1e-5)
              << "m=" << m << " n=" << n << " k=" << k
              << (transposedB ? " B=W^T" : " B row-major");
        }
}

TEST_P(KernelsTest, BatchMatmulMatchesNaiveLoops) {
  for (int64_t batch : {1, 3})
    for (int64_t m : {4, 37})
      for (int64_t n : {8, 70}) {
        int64_t k = 19;
        std::vector<float> a = makeRandom(batch * m * k, 4),
                           b = makeRandom(batch * k * n, 5),
                           c(batch * m * n, 0.0f), want(batch * m * n, 0.0f);
        for (int64_t x = 0; x < batch; ++x)
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double sum = 0;
              for (int64_t kk = 0; kk < k; ++kk)
                sum +=
                    double(a[(x * m + i) * k + kk]) * b[(x * k + kk) * n + j];
              want[(x * m + i) * n + j] = float(sum);
            }
        auto av = makeView<RomacMemref3F32>(a, 0, {batch, m, k}, {m * k, k, 1});
        auto bv = makeView<RomacMemref3F32>(b, 0, {batch, k, n}, {k * n, n, 1});
        auto cv = makeView<RomacMemref3F32>(c, 0, {batch, m, n}, {m * n, n, 1});
        for (int constant : {0, 1}) {
          std::fill(c.begin(), c.end(), 0.0f);
          _mlir_ciface_romac_batch_matmul_f32(&av, &bv, &cv, constant);
          EXPECT_LT(maxError(c, want), 1e-5)
              << "batch=" << batch << " m=" << m << " n=" << n
              << " constantB=" << constant;
        }
      }
}

TEST_P(KernelsTest, ConvMatchesNaiveLoops) {
  struct Case {
    int64_t n, c, h, w, f, kh, kw, sh, sw, dh, dw;
  };
  for (Case t : {Case{1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1},
                 Case{2, 5, 11, 20, 13, 3, 3, 2, 2, 1, 1},
                 Case{1, 4, 12, 40, 7, 3, 2, 1, 1, 2, 2},
                 Case{1, 16, 6, 6, 30, 1, 1, 1, 1, 1, 1},
                 Case{1, 2, 10, 70, 3, 5, 5, 1, 3, 1, 1},
                 // Stride 2 along rows of 37 and 40 outputs: B's columns
                 // are packed by even-lane loads, whole and masked.
                 Case{1, 3, 9, 75, 8, 3, 3, 2, 2, 1, 1},
                 Case{1, 4, 5, 80, 9, 1, 1, 1, 2, 1, 1},
                 // Stride 4 (gathers): 11x11 windows, rows of 18 outputs.
                 Case{1, 3, 15, 79, 5, 11, 11, 4, 4, 1, 1}}) {
    int64_t oh = (t.h - t.dh * (t.kh - 1) - 1) / t.sh + 1;
    int64_t ow = (t.w - t.dw * (t.kw - 1) - 1) / t.sw + 1;
    std::vector<float> in = makeRandom(t.n * t.c * t.h * t.w, 6),
                       w = makeRandom(t.f * t.c * t.kh * t.kw, 7);
    // The output is a view with a padded row (stride ow + 3).
    int64_t ldo = ow + 3;
    std::vector<float> out = makeRandom(t.n * t.f * oh * ldo, 8);
    std::vector<float> want = out;
    for (int64_t b = 0; b < t.n; ++b)
      for (int64_t f = 0; f < t.f; ++f)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x) {
            double sum = want[((b * t.f + f) * oh + y) * ldo + x];
            for (int64_t c = 0; c < t.c; ++c)
              for (int64_t i = 0; i < t.kh; ++i)
                for (int64_t j = 0; j < t.kw; ++j)
                  sum +=
                      double(
                          in[((b * t.c + c) * t.h + y * t.sh + i * t.dh) * t.w +
                             x * t.sw + j * t.dw]) *
                      w[((f * t.c + c) * t.kh + i) * t.kw + j];
            want[((b * t.f + f) * oh + y) * ldo + x] = float(sum);
          }
    auto iv = makeView<RomacMemref4F32>(in, 0, {t.n, t.c, t.h, t.w},
                                        {t.c * t.h * t.w, t.h * t.w, t.w, 1});
    auto wv =
        makeView<RomacMemref4F32>(w, 0, {t.f, t.c, t.kh, t.kw},
                                  {t.c * t.kh * t.kw, t.kh * t.kw, t.kw, 1});
    auto ov = makeView<RomacMemref4F32>(out, 0, {t.n, t.f, oh, ow},
                                        {t.f * oh * ldo, oh * ldo, ldo, 1});
    // Twice with the filter marked constant: the second call reuses the
    // packed copy of the first.
    std::vector<float> start = out;
    for (int constant : {0, 1, 1}) {
      out = start;
      _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &wv, &ov, t.sh, t.sw, t.dh,
                                              t.dw, constant);
      EXPECT_LT(maxError(out, want), 1e-5)
          << "c=" << t.c << " f=" << t.f << " k=" << t.kh << "x" << t.kw
          << " constant=" << constant;
    }
  }
}

/// A plane-by-plane window op's shape (the depthwise convolution's and the
/// max pooling's tests): its output is a tile at (1, 2) of planes
/// (oh + 2) x (ow + 3) of a larger buffer; its input is stored row by row,
/// or transposed in memory (the kernels' scalar path).
struct WindowCase {
  int64_t n, c, ih, iw, kh, kw, sh, sw, dh, dw;
  bool transposedInput;
  int64_t oh() const { return (ih - (kh - 1) * dh - 1) / sh + 1; }
  int64_t ow() const { return (iw - (kw - 1) * dw - 1) / sw + 1; }
  int64_t ph() const { return oh() + 2; }
  int64_t pw() const { return ow() + 3; }

  /// visit(output element of `out`, c, ky, kx, input value) for every
  /// window element of every output, in order.
  template <typename Visit>
  void forEachWindow(const std::vector<float> &in, std::vector<float> &out,
                     Visit visit) const {
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < oh(); ++y)
          for (int64_t x = 0; x < ow(); ++x) {
            float &o = out[((b * c + ch) * ph() + y + 1) * pw() + x + 2];
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t yy = y * sh + ky * dh, xx = x * sw + kx * dw;
                int64_t plane = (b * c + ch) * ih * iw;
                visit(o, ch, ky, kx,
                      in[plane +
                         (transposedInput ? xx * ih + yy : yy * iw + xx)]);
              }
          }
  }
  RomacMemref4F32 inputView(std::vector<float> &in) const {
    int64_t plane = ih * iw;
    return transposedInput
               ? makeView<RomacMemref4F32>(in, 0, {n, c, ih, iw},
                                           {c * plane, plane, 1, ih})
               : makeView<RomacMemref4F32>(in, 0, {n, c, ih, iw},
                                           {c * plane, plane, iw, 1});
  }
  RomacMemref4F32 outputView(std::vector<float> &out) const {
    return makeView<RomacMemref4F32>(out, pw() + 2, {n, c, oh(), ow()},
                                     {c * ph() * pw(), ph() * pw(), pw(), 1});
  }
  std::string describe() const {
    return "c=" + std::to_string(c) + " " + std::to_string(ih) + "x" +
           std::to_string(iw) + " k=" + std::to_string(kh) + "x" +
           std::to_string(kw) + " s=" + std::to_string(sh) + "," +
           std::to_string(sw) + " d=" + std::to_string(dh) + "," +
           std::to_string(dw) + (transposedInput ? " transposed input" : "");
  }
};

TEST_P(KernelsTest, DepthwiseConvMatchesNaiveLoops) {
  // Strides 1, 2 (the vector paths) and 3 (scalar), dilations, 1x1 to 5x5
  // windows, output widths around the vector widths (rows narrower than a
  // vector; 16 outputs of stride 2 whose full load would overrun the input
  // row by one float), a padded output tile inside a larger buffer and a
  // transposed-in-memory input (scalar path).
  for (WindowCase t : {WindowCase{1, 3, 9, 9, 3, 3, 1, 1, 1, 1, false},
                       WindowCase{2, 5, 12, 70, 3, 3, 1, 1, 1, 1, false},
                       WindowCase{1, 4, 40, 135, 3, 3, 2, 2, 1, 1, false},
                       WindowCase{1, 3, 29, 29, 3, 3, 2, 2, 1, 1, false},
                       WindowCase{1, 2, 9, 33, 3, 3, 2, 2, 1, 1, false},
                       WindowCase{1, 2, 11, 37, 5, 5, 2, 2, 1, 1, false},
                       WindowCase{1, 3, 20, 66, 3, 3, 1, 1, 2, 2, false},
                       WindowCase{1, 3, 17, 50, 1, 1, 1, 2, 1, 1, false},
                       WindowCase{1, 2, 16, 40, 3, 2, 3, 3, 1, 1, false},
                       WindowCase{1, 2, 18, 34, 3, 3, 1, 2, 1, 1, true}}) {
    std::vector<float> in = makeRandom(t.n * t.c * t.ih * t.iw, 41),
                       w = makeRandom(t.c * t.kh * t.kw, 42);
    std::vector<float> out = makeRandom(t.n * t.c * t.ph() * t.pw(), 43);
    // Sums in double, added to the output's old value.
    std::vector<double> sums(out.begin(), out.end());
    std::vector<float> want = out;
    t.forEachWindow(in, want,
                    [&](float &o, int64_t c, int64_t ky, int64_t kx, float v) {
                      double &sum = sums[&o - want.data()];
                      sum += double(w[(c * t.kh + ky) * t.kw + kx]) * v;
                      o = float(sum);
                    });
    RomacMemref4F32 iv = t.inputView(in), ov = t.outputView(out);
    auto wv = makeView<RomacMemref3F32>(w, 0, {t.c, t.kh, t.kw},
                                        {t.kh * t.kw, t.kw, 1});
    _mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32(&iv, &wv, &ov, t.sh, t.sw,
                                                     t.dh, t.dw);
    EXPECT_LT(maxError(out, want), 1e-5) << t.describe();
  }
}

TEST_P(KernelsTest, DepthwiseConvPadsImplicitly) {
  // romac-implicit-pads: the kernel reads the unpadded input and treats
  // rows and columns outside it as zeros. 3x3 with stride 1 or 2 takes the
  // ISA's flattened kernel (narrow and wide rows, odd widths, padding only
  // below and right, several row blocks of a tall plane); 5x5, a dilation
  // and a transposed-in-memory input take the copy per block. The output
  // is a tile at (1, 2) of larger planes; plain accumulation, then the
  // fused epilogue (overwrite, scale, clamp).
  struct Case {
    int64_t n, c, ih, iw, oh, ow, k, s, d, top, left;
    bool transposedInput;
  };
  for (Case t : {Case{1, 3, 7, 7, 7, 7, 3, 1, 1, 1, 1, false},
                 Case{2, 5, 14, 17, 14, 17, 3, 1, 1, 1, 1, false},
                 Case{1, 2, 56, 56, 56, 56, 3, 1, 1, 1, 1, false},
                 Case{1, 2, 300, 40, 300, 40, 3, 1, 1, 1, 1, false},
                 Case{1, 3, 28, 28, 14, 14, 3, 2, 1, 1, 1, false},
                 Case{1, 2, 15, 29, 8, 15, 3, 2, 1, 1, 1, false},
                 Case{1, 2, 13, 13, 7, 7, 3, 2, 1, 0, 0, false},
                 Case{1, 2, 112, 112, 56, 56, 3, 2, 1, 1, 1, false},
                 Case{1, 2, 11, 11, 11, 11, 5, 1, 1, 2, 2, false},
                 Case{1, 2, 12, 20, 12, 20, 3, 1, 2, 2, 2, false},
                 Case{1, 3, 9, 9, 9, 9, 3, 1, 1, 1, 1, true}}) {
    std::string what =
        "c=" + std::to_string(t.c) + " " + std::to_string(t.ih) + "x" +
        std::to_string(t.iw) + " k=" + std::to_string(t.k) +
        " s=" + std::to_string(t.s) + " d=" + std::to_string(t.d) +
        " pad=" + std::to_string(t.top) + "," + std::to_string(t.left) +
        (t.transposedInput ? " transposed" : "");
    std::vector<float> in = makeRandom(t.n * t.c * t.ih * t.iw, 51),
                       w = makeRandom(t.c * t.k * t.k, 52);
    int64_t ph = t.oh + 2, pw = t.ow + 3, plane = t.ih * t.iw;
    auto at = [&](int64_t b, int64_t ch, int64_t y, int64_t x) -> double {
      if (y < 0 || y >= t.ih || x < 0 || x >= t.iw)
        return 0.0;
      int64_t base = (b * t.c + ch) * plane;
      return in[base + (t.transposedInput ? x * t.ih + y : y * t.iw + x)];
    };
    auto iv = t.transposedInput
                  ? makeView<RomacMemref4F32>(in, 0, {t.n, t.c, t.ih, t.iw},
                                              {t.c * plane, plane, 1, t.ih})
                  : makeView<RomacMemref4F32>(in, 0, {t.n, t.c, t.ih, t.iw},
                                              {t.c * plane, plane, t.iw, 1});
    auto wv =
        makeView<RomacMemref3F32>(w, 0, {t.c, t.k, t.k}, {t.k * t.k, t.k, 1});
    for (bool fused : {false, true}) {
      std::vector<float> out = makeRandom(t.n * t.c * ph * pw, 53);
      std::vector<float> want = out;
      for (int64_t b = 0; b < t.n; ++b)
        for (int64_t ch = 0; ch < t.c; ++ch)
          for (int64_t y = 0; y < t.oh; ++y)
            for (int64_t x = 0; x < t.ow; ++x) {
              double sum = 0;
              for (int64_t ky = 0; ky < t.k; ++ky)
                for (int64_t kx = 0; kx < t.k; ++kx)
                  sum += double(w[(ch * t.k + ky) * t.k + kx]) *
                         at(b, ch, y * t.s + ky * t.d - t.top,
                            x * t.s + kx * t.d - t.left);
              float &o = want[((b * t.c + ch) * ph + y + 1) * pw + x + 2];
              o = fused ? std::min(std::max(float(0.5 * sum), -0.25f), 0.25f)
                        : float(o + sum);
            }
      auto ov = makeView<RomacMemref4F32>(out, pw + 2, {t.n, t.c, t.oh, t.ow},
                                          {t.c * ph * pw, ph * pw, pw, 1});
      if (fused)
        _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32(
            &iv, &wv, &ov, t.s, t.s, t.d, t.d, t.top, t.left, 1, 0.5f, -0.25f,
            0.25f);
      else
        _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32(
            &iv, &wv, &ov, t.s, t.s, t.d, t.d, t.top, t.left);
      EXPECT_LT(maxError(out, want), 1e-5) << what << (fused ? " fused" : "");
    }
  }
}

/// min(max(v, lo), hi), NaN kept: the activation the `_clamp` kernels fuse.
float clampNaive(float v, float lo, float hi) {
  return std::isnan(v) ? v : std::min(std::max(v, lo), hi);
}

/// A 2-D convolution's input (n x c planes of h x w, rows `ldi` floats
/// apart, planes h * ldi apart), its filter (f x (depthwise ? 1 : c) x k x
/// k, contiguous), stride and zero padding on every side.
struct NaiveConv {
  int64_t c, h, w, ldi, k, s, pad;
  bool depthwise;
};

/// The double sum of output (b, f, y, x) of `g`: the tests' oracle for the
/// convolution kernels (no code of theirs).
double naiveConvSum(const NaiveConv &g, const std::vector<float> &in,
                    const std::vector<float> &w, int64_t b, int64_t f,
                    int64_t y, int64_t x) {
  int64_t perFilter = g.depthwise ? 1 : g.c;
  double sum = 0;
  for (int64_t c = 0; c < perFilter; ++c)
    for (int64_t i = 0; i < g.k; ++i)
      for (int64_t j = 0; j < g.k; ++j) {
        int64_t yy = y * g.s + i - g.pad, xx = x * g.s + j - g.pad;
        if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w)
          continue;
        int64_t ch = g.depthwise ? f : c;
        sum += double(in[((b * g.c + ch) * g.h + yy) * g.ldi + xx]) *
               w[((f * perFilter + c) * g.k + i) * g.k + j];
      }
  return sum;
}

TEST_P(KernelsTest, ConvolutionsAddTheirBias) {
  // The `_bias_fused` kernels: out = clamp(scale * ((overwrite ? 0 : out)
  // + bias[c] + sum)). Convolutions through the direct GEMM (a 1x1, a
  // strided 3x3 whose output rows are padded, so tiles span rows, batch 2)
  // and through Winograd (3x3, stride 1, 16 channels: the output starts as
  // the bias); depthwise convolutions with an explicit input and with an
  // implicitly padded one (3x3 stride 1 and 2, 5x5). Overwriting a NaN
  // output (the padding columns kept) and accumulating onto it.
  constexpr float inf = std::numeric_limits<float>::infinity();
  struct Case {
    int64_t n, c, h, w, f, k, s, pad;
    bool depthwise;
  };
  for (Case t : {Case{1, 24, 14, 14, 40, 1, 1, 0, false},
                 Case{2, 5, 15, 15, 7, 3, 2, 0, false},
                 Case{1, 16, 12, 12, 16, 3, 1, 0, false},
                 Case{1, 6, 9, 20, 6, 3, 1, 0, true},
                 Case{2, 3, 14, 14, 3, 3, 1, 1, true},
                 Case{1, 4, 15, 15, 4, 3, 2, 1, true},
                 Case{1, 2, 11, 11, 2, 5, 1, 2, true}}) {
    std::string what =
        std::string(t.depthwise ? "depthwise" : "conv") +
        " c=" + std::to_string(t.c) + " k=" + std::to_string(t.k) +
        " s=" + std::to_string(t.s) + " pad=" + std::to_string(t.pad);
    int64_t oh = (t.h + 2 * t.pad - t.k) / t.s + 1,
            ow = (t.w + 2 * t.pad - t.k) / t.s + 1, ldo = ow + 3;
    int64_t perFilter = t.depthwise ? 1 : t.c;
    std::vector<float> in = makeRandom(t.n * t.c * t.h * t.w, 71),
                       w = makeRandom(t.f * perFilter * t.k * t.k, 72),
                       bias = makeRandom(t.f, 73),
                       start = makeRandom(t.n * t.f * oh * ldo, 74);
    std::vector<double> sums(start.size(), 0.0);
    NaiveConv g{t.c, t.h, t.w, t.w, t.k, t.s, t.pad, t.depthwise};
    for (int64_t b = 0; b < t.n; ++b)
      for (int64_t f = 0; f < t.f; ++f)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x)
            sums[((b * t.f + f) * oh + y) * ldo + x] =
                naiveConvSum(g, in, w, b, f, y, x) + bias[f];
    auto iv = makeView<RomacMemref4F32>(in, 0, {t.n, t.c, t.h, t.w},
                                        {t.c * t.h * t.w, t.h * t.w, t.w, 1});
    auto bv = makeView<RomacMemref1F32>(bias, 0, {t.f}, {1});
    for (bool overwrite : {true, false}) {
      float scale = overwrite ? 0.5f : 1.0f, lo = overwrite ? -1.0f : -inf,
            hi = overwrite ? 2.0f : inf;
      std::vector<float> out = start, want(start.size());
      for (size_t i = 0; i < start.size(); ++i) {
        bool inside = int64_t(i % ldo) < ow;
        if (overwrite && inside)
          out[i] = NAN;
        want[i] = !inside     ? start[i]
                  : overwrite ? clampNaive(float(0.5 * sums[i]), lo, hi)
                              : float(start[i] + sums[i]);
      }
      auto ov = makeView<RomacMemref4F32>(out, 0, {t.n, t.f, oh, ow},
                                          {t.f * oh * ldo, oh * ldo, ldo, 1});
      if (!t.depthwise) {
        auto wv = makeView<RomacMemref4F32>(
            w, 0, {t.f, t.c, t.k, t.k}, {t.c * t.k * t.k, t.k * t.k, t.k, 1});
        _mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_f32(
            &iv, &wv, &ov, &bv, t.s, t.s, 1, 1, /*constantFilter=*/1, overwrite,
            scale, lo, hi);
      } else {
        auto wv = makeView<RomacMemref3F32>(w, 0, {t.f, t.k, t.k},
                                            {t.k * t.k, t.k, 1});
        if (t.pad)
          _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32(
              &iv, &wv, &ov, &bv, t.s, t.s, 1, 1, t.pad, t.pad, overwrite,
              scale, lo, hi);
        else
          _mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32(
              &iv, &wv, &ov, &bv, t.s, t.s, 1, 1, overwrite, scale, lo, hi);
      }
      EXPECT_LT(maxError(out, want), 2e-5)
          << what << (overwrite ? " overwrite" : " accumulate");
    }
  }
}

/// maxError() where a NaN must meet a NaN (and counts as equal to it).
double maxErrorWithNan(const std::vector<float> &a,
                       const std::vector<float> &b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) {
      if (std::isnan(a[i]) != std::isnan(b[i]))
        return INFINITY;
      continue;
    }
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) /
                                (1.0 + std::abs(double(b[i]))));
  }
  return worst;
}

TEST_P(KernelsTest, MaxPoolMatchesNaiveLoops) {
  // The depthwise kernel's walk with max instead of the multiply-add: 2x2
  // and 3x3 windows of strides 1, 2 (vectors) and 3 (scalar), a dilation,
  // output widths around the vector widths, a padded output tile inside a
  // larger buffer and a transposed-in-memory input (scalar path). The
  // output starts as -inf or as random values (out = max(out, window));
  // NaNs in the input and in the output's start must come out as NaN
  // (arith.maximumf), wherever they sit in a window.
  struct Case {
    WindowCase window;
    bool fromLowest;
  };
  for (Case x : {Case{{1, 3, 9, 9, 3, 3, 2, 2, 1, 1, false}, true},
                 Case{{2, 5, 12, 70, 2, 2, 2, 2, 1, 1, false}, true},
                 Case{{1, 4, 55, 55, 3, 3, 2, 2, 1, 1, false}, true},
                 Case{{1, 2, 13, 13, 3, 3, 2, 2, 1, 1, false}, false},
                 Case{{1, 2, 11, 37, 3, 3, 1, 1, 1, 1, false}, false},
                 Case{{1, 3, 20, 66, 3, 3, 1, 1, 2, 2, false}, true},
                 Case{{1, 2, 16, 40, 3, 2, 3, 3, 1, 1, false}, true},
                 Case{{1, 2, 18, 34, 3, 3, 2, 2, 1, 1, true}, true}}) {
    const WindowCase &t = x.window;
    std::vector<float> in = makeRandom(t.n * t.c * t.ih * t.iw, 51);
    for (size_t i = 7; i < in.size(); i += 97)
      in[i] = NAN;
    std::vector<float> out = makeRandom(t.n * t.c * t.ph() * t.pw(), 53);
    if (x.fromLowest)
      std::fill(out.begin(), out.end(), -INFINITY);
    out[(t.ph() / 2) * t.pw() + t.pw() / 2] = NAN; // inside plane 0's tile
    std::vector<float> want = out;
    t.forEachWindow(in, want, [](float &o, int64_t, int64_t, int64_t, float v) {
      o = std::isnan(o) || std::isnan(v) ? NAN : std::max(o, v);
    });
    RomacMemref4F32 iv = t.inputView(in), ov = t.outputView(out);
    _mlir_ciface_romac_maxpool2d_nchw_f32(&iv, &ov, t.kh, t.kw, t.sh, t.sw,
                                          t.dh, t.dw);
    // Maxima are inputs or old outputs: exact.
    EXPECT_EQ(maxErrorWithNan(out, want), 0.0) << t.describe();
  }
}

TEST_P(KernelsTest, WinogradConvMatchesNaiveLoops) {
  // Stride-1 3x3 convolutions with a constant filter, at least 16 channels
  // and filters and an output of 100 pixels run by Winograd's F(2x2, 3x3)
  // or F(4x4, 3x3) (a 7x7 output does not, and matches the direct GEMM bit
  // for bit): output sizes that leave a last tile partly outside (for
  // F(4x4): 1, 2 and 3 of its 4 rows or columns), several chunks of tile
  // rows (the 40 x 150 case), a row of tiles longer than a vector and
  // ending in a partial one, batch 2, an input whose rows are padded, an
  // output that is a view with padded rows; accumulating onto the output's
  // values, and the fused epilogue overwriting a NaN output, scaling and
  // clamping. The same calls with Winograd off (the direct GEMM's sums),
  // F(2x2) and F(4x4) must each match the double loop, and the three must
  // differ somewhere (so each path ran).
  struct Case {
    int64_t n, c, h, w, f;
    bool winograd; // false: too few output pixels (the direct GEMM's sums)
  };
  for (Case t : {Case{1, 16, 12, 12, 16, true}, Case{2, 17, 13, 14, 19, true},
                 Case{1, 24, 40, 150, 20, true}, Case{1, 32, 7, 35, 40, true},
                 Case{1, 16, 27, 29, 17, true}, Case{2, 16, 9, 9, 16, false}}) {
    int64_t oh = t.h - 2, ow = t.w - 2, ldi = t.w + 5, ldo = ow + 3;
    std::vector<float> in = makeRandom(t.n * t.c * t.h * ldi, 61),
                       w = makeRandom(t.f * t.c * 9, 62);
    std::vector<float> start = makeRandom(t.n * t.f * oh * ldo, 63);
    std::vector<double> sums(start.size(), 0.0);
    NaiveConv g{t.c, t.h, t.w, ldi, 3, 1, 0, false};
    for (int64_t b = 0; b < t.n; ++b)
      for (int64_t f = 0; f < t.f; ++f)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x)
            sums[((b * t.f + f) * oh + y) * ldo + x] =
                naiveConvSum(g, in, w, b, f, y, x);
    auto iv = makeView<RomacMemref4F32>(in, 0, {t.n, t.c, t.h, t.w},
                                        {t.c * t.h * ldi, t.h * ldi, ldi, 1});
    auto wv =
        makeView<RomacMemref4F32>(w, 0, {t.f, t.c, 3, 3}, {t.c * 9, 9, 3, 1});
    std::vector<float> out;
    auto ov = makeView<RomacMemref4F32>(out, 0, {t.n, t.f, oh, ow},
                                        {t.f * oh * ldo, oh * ldo, ldo, 1});
    for (bool fused : {false, true}) {
      // Accumulate: out = start + conv. Fused: out = clamp(0.5 * conv) over
      // a NaN start, with the padding columns kept.
      std::vector<float> want(start.size());
      std::vector<float> before = start;
      for (size_t i = 0; i < start.size(); ++i) {
        bool inside = int64_t(i % ldo) < ow;
        if (fused && inside)
          before[i] = NAN;
        want[i] = !inside ? start[i]
                  : fused ? clampNaive(float(0.5 * sums[i]), -1.0f, 2.0f)
                          : float(start[i] + sums[i]);
      }
      std::vector<float> got[3];
      const WinogradMode modes[3] = {WinogradMode::Off, WinogradMode::F2x2,
                                     WinogradMode::F4x4};
      for (int mode = 0; mode < 3; ++mode) {
        setWinogradMode(modes[mode]);
        out = before;
        ov.allocated = ov.aligned = out.data();
        if (fused)
          _mlir_ciface_romac_conv2d_nchw_fchw_fused_f32(
              &iv, &wv, &ov, 1, 1, 1, 1, /*constantFilter=*/1,
              /*overwrite=*/1, 0.5f, -1.0f, 2.0f);
        else
          _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &wv, &ov, 1, 1, 1, 1,
                                                  /*constantFilter=*/1);
        // F(4x4)'s larger transform coefficients (up to 8) round about
        // 10x more than F(2x2)'s: 2.4e-5 to 4.6e-5 here, on sums of up to
        // 288 products of values in [-1, 1].
        double tolerance = modes[mode] == WinogradMode::F4x4 ? 1e-4 : 2e-5;
        EXPECT_LT(maxErrorWithNan(out, want), tolerance)
            << "c=" << t.c << " f=" << t.f << " " << oh << "x" << ow
            << " fused=" << fused << " mode=" << static_cast<int>(modes[mode]);
        got[mode] = out;
      }
      setWinogradMode(WinogradMode::Auto);
      for (int mode : {1, 2}) {
        if (t.winograd) {
          EXPECT_NE(got[0], got[mode])
              << "c=" << t.c << " f=" << t.f << " mode "
              << static_cast<int>(modes[mode]) << ": Winograd did not run";
        } else {
          EXPECT_EQ(got[0], got[mode])
              << "c=" << t.c << " f=" << t.f << ": a 7x7 output took Winograd";
        }
      }
      if (t.winograd) {
        EXPECT_NE(got[1], got[2]) << "c=" << t.c << " f=" << t.f
                                  << ": F(2x2) and F(4x4) gave the same sums";
      }
    }
  }
  clearPackedConstants();
}

TEST_P(KernelsTest, WinogradAutoChoosesTheTileByPrecisionAndSize) {
  // WinogradMode::Auto's choice, seen through bit-identical outputs: fp32
  // takes F(4x4) on a 24x24 output and F(2x2) on a 10x10 one; bfloat16
  // products take F(4x4) in fp32 (the fp32 entry's sums) with at most 384
  // channels and filters on a 24x24 output, and F(2x2) in bfloat16 with
  // more channels.
  struct Case {
    int64_t c, h;      // channels (= filters), input rows and columns
    bool bf16;         // the call asks for bfloat16 products
    WinogradMode same; // the forced mode Auto must match
    bool sameAsFp32;   // ... called through the fp32 entry point
  };
  for (Case t : {Case{16, 26, false, WinogradMode::F4x4, true},
                 Case{16, 12, false, WinogradMode::F2x2, true},
                 Case{16, 26, true, WinogradMode::F4x4, true},
                 Case{400, 26, true, WinogradMode::F2x2, false}}) {
    int64_t o = t.h - 2;
    std::vector<float> in = makeRandom(t.c * t.h * t.h, 71),
                       w = makeRandom(t.c * t.c * 9, 72);
    auto iv = makeView<RomacMemref4F32>(in, 0, {1, t.c, t.h, t.h},
                                        {t.c * t.h * t.h, t.h * t.h, t.h, 1});
    auto wv =
        makeView<RomacMemref4F32>(w, 0, {t.c, t.c, 3, 3}, {t.c * 9, 9, 3, 1});
    auto run = [&](WinogradMode mode, bool bf16) {
      setWinogradMode(mode);
      std::vector<float> out(t.c * o * o, 0.0f);
      auto ov = makeView<RomacMemref4F32>(out, 0, {1, t.c, o, o},
                                          {t.c * o * o, o * o, o, 1});
      if (bf16)
        _mlir_ciface_romac_conv2d_nchw_fchw_bf16(&iv, &wv, &ov, 1, 1, 1, 1,
                                                 /*constantFilter=*/1);
      else
        _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &wv, &ov, 1, 1, 1, 1,
                                                /*constantFilter=*/1);
      return out;
    };
    std::vector<float> automatic = run(WinogradMode::Auto, t.bf16);
    std::vector<float> forced = run(t.same, t.bf16 && !t.sameAsFp32);
    std::vector<float> other = run(
        t.same == WinogradMode::F4x4 ? WinogradMode::F2x2 : WinogradMode::F4x4,
        t.bf16 && !t.sameAsFp32);
    setWinogradMode(WinogradMode::Auto);
    EXPECT_EQ(automatic, forced)
        << "c=" << t.c << " " << o << "x" << o << " bf16=" << t.bf16;
    EXPECT_NE(automatic, other)
        << "c=" << t.c << " " << o << "x" << o << " bf16=" << t.bf16;
  }
  clearPackedConstants();
}

TEST_P(KernelsTest, FusedKernelsMatchNaiveLoops) {
  // The `_fused` entry points, twice: accumulating onto an output that
  // starts with values (a folded bias) and clamping, then overwriting an
  // output that starts as NaN (it must not be read), scaling and clamping.
  // k > 256 where the GEMM is deep enough, so the first block of k must
  // overwrite and only the last scale and clamp. A NaN in A stays NaN.
  // Matmuls through the register tiles and the thin kernels, a batch, a
  // convolution whose padded output rows go through the scratch tile (the
  // padding itself is never written), and a depthwise convolution.
  for (bool overwrite : {false, true}) {
    const float scale = overwrite ? 0.125f : 1.0f, lo = -0.5f,
                hi = overwrite ? 0.75f : 6.0f;
    auto start = [&](size_t n, unsigned seed) {
      return overwrite ? std::vector<float>(n, NAN) : makeRandom(n, seed);
    };
    // The naive result from the output's start and the sum.
    auto expected = [&](float old, double sum) {
      return clampNaive(float((overwrite ? 0.0 : double(old)) + sum) * scale,
                        lo, hi);
    };
    std::string what = overwrite ? " (overwrite)" : "";

    for (int64_t m : {3, 13, 40})
      for (int64_t n : {5, 70})
        for (int64_t k : {7, 300}) {
          std::vector<float> a = makeRandom(m * k, 51),
                             b = makeRandom(k * n, 52), c = start(m * n, 53);
          a[k + 1] = NAN; // row 1 of C is NaN throughout
          std::vector<float> want = c;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double sum = 0;
              for (int64_t kk = 0; kk < k; ++kk)
                sum += double(a[i * k + kk]) * b[kk * n + j];
              want[i * n + j] = expected(want[i * n + j], sum);
            }
          auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
          auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
          auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
          _mlir_ciface_romac_matmul_fused_f32(&av, &bv, &cv, 0, overwrite,
                                              scale, lo, hi);
          EXPECT_LT(maxErrorWithNan(c, want), 1e-5)
              << "matmul m=" << m << " n=" << n << " k=" << k << what;
          if (overwrite)
            continue;
          // Nothing to do, (0, 1, -inf, +inf), is the plain kernel.
          std::vector<float> plain = makeRandom(m * n, 53), fused = plain;
          auto pv = makeView<RomacMemref2F32>(plain, 0, {m, n}, {n, 1});
          _mlir_ciface_romac_matmul_f32(&av, &bv, &pv, 0);
          auto fv = makeView<RomacMemref2F32>(fused, 0, {m, n}, {n, 1});
          _mlir_ciface_romac_matmul_fused_f32(&av, &bv, &fv, 0, 0, 1.0f,
                                              -INFINITY, INFINITY);
          EXPECT_EQ(maxErrorWithNan(plain, fused), 0.0);
        }

    {
      int64_t batch = 3, m = 9, n = 20, k = 33;
      std::vector<float> a = makeRandom(batch * m * k, 54),
                         b = makeRandom(batch * k * n, 55),
                         c = start(batch * m * n, 56);
      std::vector<float> want = c;
      for (int64_t x = 0; x < batch; ++x)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t kk = 0; kk < k; ++kk)
              sum += double(a[(x * m + i) * k + kk]) * b[(x * k + kk) * n + j];
            float &w = want[(x * m + i) * n + j];
            w = expected(w, sum);
          }
      auto av = makeView<RomacMemref3F32>(a, 0, {batch, m, k}, {m * k, k, 1});
      auto bv = makeView<RomacMemref3F32>(b, 0, {batch, k, n}, {k * n, n, 1});
      auto cv = makeView<RomacMemref3F32>(c, 0, {batch, m, n}, {m * n, n, 1});
      _mlir_ciface_romac_batch_matmul_fused_f32(&av, &bv, &cv, 0, overwrite,
                                                scale, lo, hi);
      EXPECT_LT(maxErrorWithNan(c, want), 1e-5) << "batch matmul" << what;
    }

    {
      // 30 channels x 3 x 3 = 270 > 256: two blocks of k. Output rows of 9
      // with a stride of 12: a register tile's columns wrap rows.
      int64_t c = 30, h = 11, w = 11, f = 7, oh = 9, ow = 9, ldo = 12;
      std::vector<float> in = makeRandom(c * h * w, 57),
                         wt = makeRandom(f * c * 9, 58),
                         out = start(f * oh * ldo, 59);
      std::vector<float> want = out;
      for (int64_t ff = 0; ff < f; ++ff)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x) {
            double sum = 0;
            for (int64_t cc = 0; cc < c; ++cc)
              for (int64_t i = 0; i < 3; ++i)
                for (int64_t j = 0; j < 3; ++j)
                  sum += double(in[(cc * h + y + i) * w + x + j]) *
                         wt[((ff * c + cc) * 3 + i) * 3 + j];
            float &o = want[(ff * oh + y) * ldo + x];
            o = expected(o, sum);
          }
      auto iv = makeView<RomacMemref4F32>(in, 0, {1, c, h, w},
                                          {c * h * w, h * w, w, 1});
      auto wv =
          makeView<RomacMemref4F32>(wt, 0, {f, c, 3, 3}, {c * 9, 9, 3, 1});
      auto ov = makeView<RomacMemref4F32>(out, 0, {1, f, oh, ow},
                                          {f * oh * ldo, oh * ldo, ldo, 1});
      _mlir_ciface_romac_conv2d_nchw_fchw_fused_f32(&iv, &wv, &ov, 1, 1, 1, 1,
                                                    /*constantFilter=*/0,
                                                    overwrite, scale, lo, hi);
      EXPECT_LT(maxErrorWithNan(out, want), 1e-5) << "conv" << what;
    }

    {
      // The sums of 9 products reach both bounds.
      int64_t c = 3, h = 12, w = 40, oh = 10, ow = 38;
      std::vector<float> in = makeRandom(c * h * w, 60),
                         wt = makeRandom(c * 9, 61),
                         out = start(c * oh * ow, 62);
      std::vector<float> want = out;
      for (int64_t cc = 0; cc < c; ++cc)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x) {
            double sum = 0;
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j)
                sum += double(in[(cc * h + y + i) * w + x + j]) *
                       wt[(cc * 3 + i) * 3 + j];
            float &o = want[(cc * oh + y) * ow + x];
            o = expected(o, sum);
          }
      auto iv = makeView<RomacMemref4F32>(in, 0, {1, c, h, w},
                                          {c * h * w, h * w, w, 1});
      auto wv = makeView<RomacMemref3F32>(wt, 0, {c, 3, 3}, {9, 3, 1});
      auto ov = makeView<RomacMemref4F32>(out, 0, {1, c, oh, ow},
                                          {c * oh * ow, oh * ow, ow, 1});
      _mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32(
          &iv, &wv, &ov, 1, 1, 1, 1, overwrite, scale, lo, hi);
      EXPECT_LT(maxErrorWithNan(out, want), 1e-5) << "depthwise" << what;
    }
  }
}

/// softmax_j(scale * q_i . k_j) v_j in double, with the max subtracted.
std::vector<float> naiveAttention(int64_t batch, int64_t m, int64_t n,
                                  int64_t d, int64_t dv, float scale,
                                  const std::vector<float> &q,
                                  const std::vector<float> &k,
                                  const std::vector<float> &v) {
  std::vector<float> o(batch * m * dv);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i) {
      std::vector<double> s(n);
      double best = -INFINITY;
      for (int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (int64_t kk = 0; kk < d; ++kk)
          dot += double(q[(b * m + i) * d + kk]) * k[(b * n + j) * d + kk];
        s[j] = double(scale) * dot;
        best = std::max(best, s[j]);
      }
      double total = 0;
      for (double &x : s)
        total += (x = std::exp(x - best));
      for (int64_t c = 0; c < dv; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < n; ++j)
          sum += s[j] * v[(b * n + j) * dv + c];
        o[(b * m + i) * dv + c] = float(sum / total);
      }
    }
  return o;
}

TEST_P(KernelsTest, AttentionMatchesNaiveSoftmax) {
  // Row blocks of 48 and key blocks of 256 with ragged tails, one and
  // several vector strips of V, large scores (scale 4: a later key block
  // raises a row's max, so the running sums are rescaled), K read through
  // a transposed view and O written into a wider buffer.
  struct Case {
    int64_t batch, m, n, d, dv;
    float scale;
  };
  for (Case t : {Case{1, 1, 1, 3, 1, 1.0f}, Case{2, 5, 7, 8, 17, 0.5f},
                 Case{1, 50, 300, 40, 64, 4.0f}, Case{3, 97, 520, 16, 70, 1.0f},
                 Case{1, 49, 77, 64, 40, 0.125f}})
    for (bool transposedK : {false, true}) {
      int64_t b = t.batch, m = t.m, n = t.n, d = t.d, dv = t.dv;
      std::vector<float> q = makeRandom(b * m * d, 31),
                         k = makeRandom(b * n * d, 32),
                         v = makeRandom(b * n * dv, 33);
      std::vector<float> want =
          naiveAttention(b, m, n, d, dv, t.scale, q, k, v);
      // K stored as [b][d][n] and read transposed.
      std::vector<float> kStored = k;
      if (transposedK)
        for (int64_t x = 0; x < b; ++x)
          for (int64_t j = 0; j < n; ++j)
            for (int64_t kk = 0; kk < d; ++kk)
              kStored[(x * d + kk) * n + j] = k[(x * n + j) * d + kk];
      int64_t ldo = dv + 3;
      std::vector<float> out(b * m * ldo, NAN);
      auto qv = makeView<RomacMemref3F32>(q, 0, {b, m, d}, {m * d, d, 1});
      auto kv =
          transposedK
              ? makeView<RomacMemref3F32>(kStored, 0, {b, n, d}, {d * n, 1, n})
              : makeView<RomacMemref3F32>(kStored, 0, {b, n, d}, {n * d, d, 1});
      auto vv = makeView<RomacMemref3F32>(v, 0, {b, n, dv}, {n * dv, dv, 1});
      auto ov =
          makeView<RomacMemref3F32>(out, 0, {b, m, dv}, {m * ldo, ldo, 1});
      _mlir_ciface_romac_attention_f32(&qv, &kv, &vv, &ov, t.scale);
      std::vector<float> got(b * m * dv);
      for (int64_t i = 0; i < b * m; ++i)
        for (int64_t c = 0; c < dv; ++c)
          got[i * dv + c] = out[i * ldo + c];
      EXPECT_LT(maxError(got, want), 1e-5)
          << "batch=" << b << " m=" << m << " n=" << n << " d=" << d
          << " dv=" << dv << (transposedK ? " transposed K" : "");
      // The padding between O's rows is not written.
      EXPECT_TRUE(std::isnan(out[dv])) << "m=" << m << " n=" << n;
    }
}

TEST_P(KernelsTest, Bf16AttentionMatchesSoftmaxOfRoundedOperands) {
  // romac_attention_bf16 against a double-precision softmax of Q, K and V
  // rounded here (referenceBf16): the kernel also rounds the probabilities,
  // so the bound is bfloat16's (2^-8 relative). Odd depths and key counts
  // leave half a pair; several key blocks rescale the running sums. Only
  // with AVX512-BF16: elsewhere the bf16 entry point is the fp32 kernel.
  struct Case {
    int64_t batch, m, n, d, dv;
    float scale;
  };
  for (Case t : {Case{1, 1, 1, 3, 1, 1.0f}, Case{2, 5, 7, 9, 17, 0.5f},
                 Case{1, 50, 301, 40, 64, 4.0f}, Case{3, 97, 520, 15, 70, 1.0f},
                 Case{2, 49, 77, 64, 40, 0.125f}}) {
    int64_t b = t.batch, m = t.m, n = t.n, d = t.d, dv = t.dv;
    std::vector<float> q = makeRandom(b * m * d, 61),
                       k = makeRandom(b * n * d, 62),
                       v = makeRandom(b * n * dv, 63);
    auto rounded = [](std::vector<float> x) {
      for (float &value : x)
        value = referenceBf16(value);
      return x;
    };
    std::vector<float> want = naiveAttention(
        b, m, n, d, dv, t.scale, rounded(q), rounded(k), rounded(v));
    std::vector<float> got(b * m * dv, NAN), fp32(b * m * dv, NAN);
    auto qv = makeView<RomacMemref3F32>(q, 0, {b, m, d}, {m * d, d, 1});
    auto kv = makeView<RomacMemref3F32>(k, 0, {b, n, d}, {n * d, d, 1});
    auto vv = makeView<RomacMemref3F32>(v, 0, {b, n, dv}, {n * dv, dv, 1});
    auto ov = makeView<RomacMemref3F32>(got, 0, {b, m, dv}, {m * dv, dv, 1});
    auto fv = makeView<RomacMemref3F32>(fp32, 0, {b, m, dv}, {m * dv, dv, 1});
    _mlir_ciface_romac_attention_bf16(&qv, &kv, &vv, &ov, t.scale);
    _mlir_ciface_romac_attention_f32(&qv, &kv, &vv, &fv, t.scale);
    std::string what = "batch=" + std::to_string(b) +
                       " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                       " d=" + std::to_string(d);
    if (getIsa() == Isa::Avx512Bf16) {
      EXPECT_LT(maxError(got, want), 4e-3) << what;
      EXPECT_NE(got, fp32) << what;
    } else {
      EXPECT_EQ(got, fp32) << what;
    }
  }
}

TEST_P(KernelsTest, AttentionOverHeadsReadsTheProjectionsInPlace) {
  // romac_attention_heads_*: q [B, M, H, D], k [B, N, H, D], v [B, N, H,
  // DV] and o [B, M, H, DV], rows padded (a stride of H * D + 3): each
  // (b, h) against a double softmax of that head's copy, and bit for bit
  // the [B * H, S, D] kernel of the same precision on the split copies.
  int64_t b = 2, m = 70, n = 300, h = 3, d = 9, dv = 20;
  float scale = 0.75f;
  int64_t qRow = h * d + 3, vRow = h * dv + 3;
  std::vector<float> q = makeRandom(b * m * qRow, 71),
                     k = makeRandom(b * n * qRow, 72),
                     v = makeRandom(b * n * vRow, 73);
  // The heads split: [B * H, S, D].
  std::vector<float> qs(b * h * m * d), ks(b * h * n * d), vs(b * h * n * dv);
  for (int64_t x = 0; x < b; ++x)
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < d; ++c)
          qs[((x * h + y) * m + i) * d + c] = q[(x * m + i) * qRow + y * d + c];
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t c = 0; c < d; ++c)
          ks[((x * h + y) * n + j) * d + c] = k[(x * n + j) * qRow + y * d + c];
        for (int64_t c = 0; c < dv; ++c)
          vs[((x * h + y) * n + j) * dv + c] =
              v[(x * n + j) * vRow + y * dv + c];
      }
    }
  std::vector<float> want =
      naiveAttention(b * h, m, n, d, dv, scale, qs, ks, vs);
  auto q4 =
      makeView<RomacMemref4F32>(q, 0, {b, m, h, d}, {m * qRow, qRow, d, 1});
  auto k4 =
      makeView<RomacMemref4F32>(k, 0, {b, n, h, d}, {n * qRow, qRow, d, 1});
  auto v4 =
      makeView<RomacMemref4F32>(v, 0, {b, n, h, dv}, {n * vRow, vRow, dv, 1});
  auto q3 = makeView<RomacMemref3F32>(qs, 0, {b * h, m, d}, {m * d, d, 1});
  auto k3 = makeView<RomacMemref3F32>(ks, 0, {b * h, n, d}, {n * d, d, 1});
  auto v3 = makeView<RomacMemref3F32>(vs, 0, {b * h, n, dv}, {n * dv, dv, 1});
  for (bool bf16 : {false, true}) {
    std::vector<float> out(b * m * vRow, NAN), split(b * h * m * dv, NAN);
    auto o4 = makeView<RomacMemref4F32>(out, 0, {b, m, h, dv},
                                        {m * vRow, vRow, dv, 1});
    auto o3 =
        makeView<RomacMemref3F32>(split, 0, {b * h, m, dv}, {m * dv, dv, 1});
    if (bf16) {
      _mlir_ciface_romac_attention_heads_bf16(&q4, &k4, &v4, &o4, scale);
      _mlir_ciface_romac_attention_bf16(&q3, &k3, &v3, &o3, scale);
    } else {
      _mlir_ciface_romac_attention_heads_f32(&q4, &k4, &v4, &o4, scale);
      _mlir_ciface_romac_attention_f32(&q3, &k3, &v3, &o3, scale);
    }
    std::vector<float> got(b * h * m * dv);
    for (int64_t x = 0; x < b; ++x)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t c = 0; c < dv; ++c)
            got[((x * h + y) * m + i) * dv + c] =
                out[(x * m + i) * vRow + y * dv + c];
    EXPECT_EQ(got, split) << (bf16 ? "bf16" : "fp32");
    if (!bf16) {
      EXPECT_LT(maxError(got, want), 1e-5);
    }
    // The padding between rows is not written.
    EXPECT_TRUE(std::isnan(out[h * dv])) << (bf16 ? "bf16" : "fp32");
  }
}

TEST_P(KernelsTest, AttentionWithoutKeysWritesZeros) {
  // N = 0: every product is an empty sum, as the unfused ops give.
  int64_t m = 5, d = 4, dv = 3;
  std::vector<float> q = makeRandom(2 * m * d, 44), k(1), v(1),
                     out(2 * m * dv, NAN);
  auto qv = makeView<RomacMemref3F32>(q, 0, {2, m, d}, {m * d, d, 1});
  auto kv = makeView<RomacMemref3F32>(k, 0, {2, 0, d}, {0, d, 1});
  auto vv = makeView<RomacMemref3F32>(v, 0, {2, 0, dv}, {0, dv, 1});
  auto ov = makeView<RomacMemref3F32>(out, 0, {2, m, dv}, {m * dv, dv, 1});
  _mlir_ciface_romac_attention_f32(&qv, &kv, &vv, &ov, 1.0f);
  for (float x : out)
    EXPECT_EQ(x, 0.0f);
}

TEST_P(KernelsTest, Bf16ProductsMatchProductsOfRoundedOperands) {
  // Every `_bf16` entry point against a double sum of operands rounded to
  // bfloat16 here (referenceBf16): the sums must be within fp32 rounding of
  // it (as close as the fp32 kernels are to theirs), and far from the fp32
  // product of the unrounded operands (a kernel that does not round
  // fails). k around the pairs (odd k leaves half a
  // pair) and across a block of 256 pairs; strided and transposed views;
  // the fused epilogue's overwrite, scale and clamp; a constant filter
  // packed once and reused.
  auto check = [](const std::vector<float> &got,
                  const std::vector<float> &wantBf16,
                  const std::vector<float> &wantFp32, const std::string &what) {
    EXPECT_LT(maxError(got, wantBf16), 1e-5) << what;
    EXPECT_GT(maxError(got, wantFp32), 5e-4) << what;
  };
  for (int64_t m : {5, 13, 64})
    for (int64_t n : {7, 33, 100})
      for (int64_t k : {1, 2, 9, 300, 1101}) {
        bool transA = m % 2 == 1, stridedB = n % 3 == 0;
        std::vector<float> a = makeRandom(m * k, 51),
                           b = makeRandom(k * n * 2, 52);
        std::vector<float> start = makeRandom(m * n, 53);
        std::vector<float> wantBf16 = start, wantFp32 = start;
        int64_t bColStride = stridedB ? 2 : 1;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum16 = 0, sum32 = 0;
            for (int64_t kk = 0; kk < k; ++kk) {
              float x = transA ? a[kk * m + i] : a[i * k + kk];
              float y = b[kk * n * 2 + j * bColStride];
              sum16 += double(referenceBf16(x)) * referenceBf16(y);
              sum32 += double(x) * y;
            }
            // Fused: overwrite, scale 0.5, clamp to [-1, 2].
            auto finish = [](double v) {
              return float(std::min(std::max(0.5 * v, -1.0), 2.0));
            };
            wantBf16[i * n + j] = finish(sum16);
            wantFp32[i * n + j] = finish(sum32);
          }
        auto av = transA ? makeView<RomacMemref2F32>(a, 0, {m, k}, {1, m})
                         : makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
        auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n * 2, bColStride});
        std::vector<float> c(m * n, NAN);
        auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
        _mlir_ciface_romac_matmul_fused_bf16(&av, &bv, &cv, 0, 1, 0.5f, -1.0f,
                                             2.0f);
        std::string what = "matmul m=" + std::to_string(m) +
                           " n=" + std::to_string(n) +
                           " k=" + std::to_string(k);
        if (k >= 9)
          check(c, wantBf16, wantFp32, what);
        else
          EXPECT_LT(maxError(c, wantBf16), 1e-5) << what;
        // The plain entry point accumulates onto C.
        if (k == 300) {
          c = start;
          // B as a weight: its pairs packed ahead.
          _mlir_ciface_romac_matmul_bf16(&av, &bv, &cv, /*constantB=*/1);
          std::vector<float> want = start;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double sum = start[i * n + j];
              for (int64_t kk = 0; kk < k; ++kk)
                sum += double(referenceBf16(transA ? a[kk * m + i]
                                                   : a[i * k + kk])) *
                       referenceBf16(b[kk * n * 2 + j * bColStride]);
              want[i * n + j] = float(sum);
            }
          EXPECT_LT(maxError(c, want), 1e-5) << what << " (accumulating)";
        }
      }
  // A batch_matmul of 3 and a strided convolution with a constant filter.
  {
    int64_t batch = 3, m = 20, n = 40, k = 77;
    std::vector<float> a = makeRandom(batch * m * k, 54),
                       b = makeRandom(batch * k * n, 55),
                       c(batch * m * n, 0.0f), want16(c), want32(c);
    for (int64_t x = 0; x < batch; ++x)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s16 = 0, s32 = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            float u = a[(x * m + i) * k + kk], v = b[(x * k + kk) * n + j];
            s16 += double(referenceBf16(u)) * referenceBf16(v);
            s32 += double(u) * v;
          }
          want16[(x * m + i) * n + j] = float(s16);
          want32[(x * m + i) * n + j] = float(s32);
        }
    auto av = makeView<RomacMemref3F32>(a, 0, {batch, m, k}, {m * k, k, 1});
    auto bv = makeView<RomacMemref3F32>(b, 0, {batch, k, n}, {k * n, n, 1});
    auto cv = makeView<RomacMemref3F32>(c, 0, {batch, m, n}, {m * n, n, 1});
    _mlir_ciface_romac_batch_matmul_bf16(&av, &bv, &cv, 0);
    check(c, want16, want32, "batch_matmul");
  }
  {
    // 5 channels x 3 x 3 = 45 values per output: half a pair at the end,
    // pairs across channels; stride 2 (every column its own run).
    int64_t c = 5, h = 13, w = 21, f = 9, oh = 6, ow = 10;
    std::vector<float> in = makeRandom(2 * c * h * w, 56),
                       wt = makeRandom(f * c * 9, 57),
                       out(2 * f * oh * ow, NAN), want16(out), want32(out);
    for (int64_t nb = 0; nb < 2; ++nb)
      for (int64_t ff = 0; ff < f; ++ff)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x) {
            double s16 = 0, s32 = 0;
            for (int64_t cc = 0; cc < c; ++cc)
              for (int64_t i = 0; i < 3; ++i)
                for (int64_t j = 0; j < 3; ++j) {
                  float u = in[((nb * c + cc) * h + 2 * y + i) * w + 2 * x + j];
                  float v = wt[((ff * c + cc) * 3 + i) * 3 + j];
                  s16 += double(referenceBf16(u)) * referenceBf16(v);
                  s32 += double(u) * v;
                }
            want16[((nb * f + ff) * oh + y) * ow + x] = float(s16);
            want32[((nb * f + ff) * oh + y) * ow + x] = float(s32);
          }
    auto iv = makeView<RomacMemref4F32>(in, 0, {2, c, h, w},
                                        {c * h * w, h * w, w, 1});
    auto wv = makeView<RomacMemref4F32>(wt, 0, {f, c, 3, 3}, {c * 9, 9, 3, 1});
    auto ov = makeView<RomacMemref4F32>(out, 0, {2, f, oh, ow},
                                        {f * oh * ow, oh * ow, ow, 1});
    for (int constant : {0, 1, 1}) {
      std::fill(out.begin(), out.end(), NAN);
      _mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16(&iv, &wv, &ov, 2, 2, 1, 1,
                                                     constant, /*overwrite=*/1,
                                                     1.0f, -INFINITY, INFINITY);
      check(out, want16, want32,
            "conv2d, constant filter " + std::to_string(constant));
    }
    clearPackedConstants();
  }
}

TEST(KernelsBf16, RoundingMatchesTheReference) {
  // The rounding the kernels use on every ISA (packing by scalar code and
  // by VCVTNE2PS2BF16) against referenceBf16: a bf16 matmul of 1 x 1 x 1
  // with B = 1 returns A rounded. Values at and around ties, denormals,
  // the largest finite values, infinities.
  std::vector<float> values = {1.0f,
                               1.00390625f, // 1 + 2^-8: a tie, to even (1)
                               1.01171875f, // 1 + 3 * 2^-8: a tie, to 1.015625
                               1.0039063f,  // just above the tie: up
                               -2.3456789f, 3.0e38f,
                               -3.39e38f, // to the largest finite bfloat16
                               3.4e38f,   // beyond it: to +inf
                               1.0e-39f,  // denormal: to zero
                               -1.0e-39f,   std::numeric_limits<float>::min(),
                               INFINITY,    -INFINITY};
  int saved = getNumThreads();
  setNumThreads(1);
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Bf16}) {
    if (!isSupported(isa))
      continue;
    Isa before = getIsa();
    ASSERT_TRUE(setIsa(isa));
    for (float value : values) {
      // As A (packed by scalar code) and as B (packed by the vector path
      // when the row has 16 or more columns).
      std::vector<float> one = {1.0f}, b(32, value);
      auto onev = makeView<RomacMemref2F32>(one, 0, {1, 1}, {1, 1});
      // 8 rows of A (not thin) of which one is read.
      std::vector<float> a8(8, value), c8(8 * 32, 0.0f);
      auto a8v = makeView<RomacMemref2F32>(a8, 0, {8, 1}, {1, 1});
      auto bv = makeView<RomacMemref2F32>(b, 0, {1, 32}, {32, 1});
      auto c8v = makeView<RomacMemref2F32>(c8, 0, {8, 32}, {32, 1});
      std::vector<float> ones(8, 1.0f);
      auto onesv = makeView<RomacMemref2F32>(ones, 0, {8, 1}, {1, 1});
      _mlir_ciface_romac_matmul_bf16(&a8v, &onev, &c8v, 0); // only column 0
      float want = referenceBf16(value);
      // (A sum that starts at +0 loses the sign of a -0 product.)
      EXPECT_EQ(c8[0], want) << getIsaName(isa) << " A=" << value;
      std::fill(c8.begin(), c8.end(), 0.0f);
      _mlir_ciface_romac_matmul_bf16(&onesv, &bv, &c8v, 0);
      for (int j = 0; j < 32; ++j)
        EXPECT_EQ(c8[j], want) << getIsaName(isa) << " B=" << value;
    }
    setIsa(before);
  }
  setNumThreads(saved);
}

TEST_P(KernelsTest, AttentionPropagatesNanToItsRowOnly) {
  int64_t m = 60, n = 300, d = 8, dv = 20;
  std::vector<float> q = makeRandom(m * d, 41), k = makeRandom(n * d, 42),
                     v = makeRandom(n * dv, 43), out(m * dv, 0.0f);
  q[50 * d + 3] = NAN;
  auto qv = makeView<RomacMemref3F32>(q, 0, {1, m, d}, {m * d, d, 1});
  auto kv = makeView<RomacMemref3F32>(k, 0, {1, n, d}, {n * d, d, 1});
  auto vv = makeView<RomacMemref3F32>(v, 0, {1, n, dv}, {n * dv, dv, 1});
  auto ov = makeView<RomacMemref3F32>(out, 0, {1, m, dv}, {m * dv, dv, 1});
  _mlir_ciface_romac_attention_f32(&qv, &kv, &vv, &ov, 1.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < dv; ++c)
      EXPECT_EQ(std::isnan(out[i * dv + c]), i == 50) << i << ", " << c;
}

ROMAC_INSTANTIATE_EVERY_ISA_AND_THREADS(KernelsTest);

TEST(KernelsThreads, RowPanelSplitSharesEveryBlockOfB) {
  // With many threads and few column blocks the threads split A's row
  // panels and pack each block of B together: n = 600 spans two column
  // blocks and k = 300 two k-blocks, with a strided (non-contiguous) B.
  int saved = getNumThreads();
  setNumThreads(16);
  int64_t m = 200, n = 600, k = 300;
  std::vector<float> a = makeRandom(m * k, 21), b = makeRandom(k * n * 2, 22),
                     c = makeRandom(m * n, 23);
  std::vector<float> want = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = want[i * n + j];
      for (int64_t kk = 0; kk < k; ++kk)
        sum += double(a[i * k + kk]) * b[kk * n * 2 + j * 2];
      want[i * n + j] = float(sum);
    }
  auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
  auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n * 2, 2});
  auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
  // B packed per block by the threads, then packed ahead as a weight.
  std::vector<float> start = c;
  for (int constant : {0, 1}) {
    c = start;
    _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, constant);
    EXPECT_LT(maxError(c, want), 1e-4) << "constantB=" << constant;
  }
  setNumThreads(saved);
}

TEST(KernelsConstantFilters, NewValuesAtTheSameAddressArePackedAgain) {
  // A constant filter's packed copy is keyed by its address, layout and a
  // fingerprint of its values: other values at the same address (a model
  // destroyed and another mapped there) must not reuse the old copy.
  std::vector<float> in = makeRandom(1 * 4 * 6 * 6, 11),
                     w = makeRandom(5 * 4 * 3 * 3, 12);
  auto iv = makeView<RomacMemref4F32>(in, 0, {1, 4, 6, 6}, {144, 36, 6, 1});
  auto wv = makeView<RomacMemref4F32>(w, 0, {5, 4, 3, 3}, {36, 9, 3, 1});
  auto conv = [&] {
    std::vector<float> out(5 * 4 * 4, 0.0f);
    auto ov = makeView<RomacMemref4F32>(out, 0, {1, 5, 4, 4}, {80, 16, 4, 1});
    _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &wv, &ov, 1, 1, 1, 1,
                                            /*constantFilter=*/1);
    return out;
  };
  std::vector<float> first = conv();
  for (float &x : w)
    x = -2.0f * x;
  std::vector<float> second = conv();
  std::vector<float> want = first;
  for (float &x : want)
    x = -2.0f * x;
  EXPECT_LT(maxError(second, want), 1e-5);
  clearPackedConstants();
}

TEST(KernelsConstantOperands, AWeightIsPackedOnceAndReused) {
  // A weight's packed copy (a matmul's B marked constant, a Winograd
  // filter's transform U) is made on the first call and reused: a value
  // changed outside the fingerprint at the same address does not reach a
  // later call that says the operand is constant (the copy is what runs),
  // while a call that says it is not sees the new value.
  clearPackedConstants();
  setWinograd(true);
  int64_t m = 13, n = 100, k = 300;
  std::vector<float> a = makeRandom(m * k, 31), b = makeRandom(k * n, 32);
  auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
  auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
  auto matmul = [&](int64_t constantB) {
    std::vector<float> c(m * n, 0.0f);
    auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
    _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, constantB);
    return c;
  };
  std::vector<float> first = matmul(1);
  b[n] += 10.0f; // B(1, 0): not among the fingerprint's values
  EXPECT_EQ(matmul(1), first) << "B was packed again";
  EXPECT_NE(matmul(0), first);

  std::vector<float> in = makeRandom(16 * 12 * 12, 33),
                     w = makeRandom(16 * 16 * 9, 34);
  auto iv =
      makeView<RomacMemref4F32>(in, 0, {1, 16, 12, 12}, {2304, 144, 12, 1});
  auto wv = makeView<RomacMemref4F32>(w, 0, {16, 16, 3, 3}, {144, 9, 3, 1});
  auto conv = [&](int64_t constantFilter) {
    std::vector<float> out(16 * 10 * 10, 0.0f);
    auto ov =
        makeView<RomacMemref4F32>(out, 0, {1, 16, 10, 10}, {1600, 100, 10, 1});
    _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &wv, &ov, 1, 1, 1, 1,
                                            constantFilter);
    return out;
  };
  std::vector<float> once = conv(1); // 10x10: by Winograd
  w[1] += 10.0f; // filter 0, channel 0, (0, 1): not in the fingerprint
  EXPECT_EQ(conv(1), once) << "the filter was transformed again";
  EXPECT_NE(conv(0), once);
  clearPackedConstants();
}

TEST(KernelsSymbols, EveryEntryPointIsListed) {
  int count = 0;
  const Symbol *symbols = getSymbols(&count);
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    EXPECT_NE(symbols[i].address, nullptr);
    names.push_back(symbols[i].name);
  }
  for (const char *name :
       {"memrefCopy",
        "_mlir_ciface_romac_matmul_f32",
        "_mlir_ciface_romac_matmul_fused_f32",
        "_mlir_ciface_romac_batch_matmul_fused_f32",
        "_mlir_ciface_romac_conv2d_nchw_fchw_fused_f32",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32",
        "_mlir_ciface_romac_batch_matmul_f32",
        "_mlir_ciface_romac_conv2d_nchw_fchw_f32",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32",
        "_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_f32",
        "_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_bf16",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32",
        "_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32",
        "_mlir_ciface_romac_maxpool2d_nchw_f32",
        "_mlir_ciface_romac_attention_f32",
        "_mlir_ciface_romac_matmul_bf16",
        "_mlir_ciface_romac_matmul_fused_bf16",
        "_mlir_ciface_romac_batch_matmul_bf16",
        "_mlir_ciface_romac_batch_matmul_fused_bf16",
        "_mlir_ciface_romac_conv2d_nchw_fchw_bf16",
        "_mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16",
        "_mlir_ciface_romac_matmul_i8",
        "_mlir_ciface_romac_matmul_fused_i8",
        "_mlir_ciface_romac_conv2d_nchw_fchw_i8",
        "_mlir_ciface_romac_conv2d_nchw_fchw_fused_i8"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

} // namespace

namespace {

TEST(KernelsBufferPool, LargeBlocksAreReusedAndEveryBufferIsAligned) {
  // A large buffer freed and asked for again (same size class) is the same
  // memory: the pool maps nothing new.
  void *large = romacAlloc(3 << 20);
  ASSERT_NE(large, nullptr);
  std::memset(large, 1, 3 << 20);
  romacFree(large);
  void *again = romacAlloc((3 << 20) - 100);
  EXPECT_EQ(again, large);
  void *other = romacAlloc(3 << 20); // the first is taken: a new block
  EXPECT_NE(other, again);
  for (void *p : {again, other, romacAlloc(10), romacAlloc(1000),
                  romacAlignedAlloc(64, 100)}) {
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    romacFree(p);
  }
  EXPECT_EQ(romacAlignedAlloc(128, 100), nullptr);
  romacFree(nullptr);
  releaseBufferPool();
}

} // namespace
