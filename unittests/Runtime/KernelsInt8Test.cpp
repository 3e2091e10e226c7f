//===- KernelsInt8Test.cpp - the `_i8` kernels against exact sums -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The int8 GEMMs (Kernels.h: romac_matmul_i8, romac_conv2d_nchw_fchw_i8)
// against sums of products of codes computed here in double, which are
// exact: on AVX512-VNNI the kernels' int32 sums are exact too, so every
// output must equal the reference to the bit. Ragged shapes around the
// 6 x 64 register tile and the 4-deep packing, strided and transposed
// views, convolutions with strides and dilations, epilogues, weights packed
// once and reused, 1 and 2 threads; and the fallback (no VNNI in use) to
// the fp32 kernels, which must agree to fp32 rounding.
//
//===----------------------------------------------------------------------===//

#include "MemrefView.h"
#include "romac/Runtime/Kernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace romac::kernels;
using romac::test::makeView;

namespace {

/// Random integer codes in [-limit, limit] as floats.
std::vector<float> makeCodes(size_t n, int limit, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-limit, limit);
  std::vector<float> v(n);
  for (float &x : v)
    x = static_cast<float>(dist(rng));
  return v;
}

/// The code the kernels use for `v`: nearest integer (ties to even),
/// saturated to [-128, 127].
double code(float v) {
  double r = std::nearbyint(double(v));
  return r < -128 ? -128 : r > 127 ? 127 : r;
}

/// The stored value of an output: (old + the exact sum rounded to float),
/// or the sum alone when overwriting, then scaled and clamped.
float expected(float old, double sum, bool overwrite, float scale, float lo,
               float hi) {
  float v = overwrite ? float(sum) : old + float(sum);
  v *= scale;
  return v < lo ? lo : v > hi ? hi : v;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

/// c + A * B of row-major m x k codes A and k x n B: each output's exact
/// sum rounded to float once and added (no epilogue).
std::vector<float> addProduct(const std::vector<float> &a,
                              const std::vector<float> &b, std::vector<float> c,
                              int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        sum += code(a[i * k + kk]) * double(b[kk * n + j]);
      c[i * n + j] = expected(c[i * n + j], sum, false, 1, -kInf, kInf);
    }
  return c;
}

struct Int8KernelsTest : public ::testing::TestWithParam<int> {
  void SetUp() override {
    savedThreads = getNumThreads();
    setNumThreads(GetParam());
  }
  void TearDown() override {
    setNumThreads(savedThreads);
    setIsa(savedIsa);
  }
  /// Whether the int8 GEMM does not run here (the test is skipped).
  static bool skipWithoutVnni() { return !hasInt8DotProducts(); }
  int savedThreads = 1;
  Isa savedIsa = getIsa();
};

TEST_P(Int8KernelsTest, MatmulIsExactOnEveryShapeAndView) {
  if (skipWithoutVnni())
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  for (int64_t m : {5, 6, 7, 13, 40})
    for (int64_t n : {1, 15, 16, 17, 64, 65, 130})
      for (int64_t k : {1, 3, 4, 5, 31, 300}) {
        bool transA = n % 2 == 1, stridedB = k % 2 == 1;
        std::vector<float> a = makeCodes(m * k, 127, 1),
                           b = makeCodes(k * n * 2, 127, 2),
                           c = makeCodes((m + 2) * (n + 5), 1000, 3);
        std::vector<float> want = c;
        int64_t bCol = stridedB ? 2 : 1, ldc = n + 5;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t kk = 0; kk < k; ++kk)
              sum += (transA ? a[kk * m + i] : a[i * k + kk]) *
                     double(b[kk * n * 2 + j * bCol]);
            float &w = want[(i + 1) * ldc + j + 2];
            w = expected(w, sum, false, 1, -kInf, kInf);
          }
        auto av = transA ? makeView<RomacMemref2F32>(a, 0, {m, k}, {1, m})
                         : makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
        auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n * 2, bCol});
        auto cv = makeView<RomacMemref2F32>(c, ldc + 2, {m, n}, {ldc, 1});
        _mlir_ciface_romac_matmul_i8(&av, &bv, &cv, /*constantB=*/0);
        ASSERT_EQ(c, want) << m << "x" << n << "x" << k;
      }
}

TEST_P(Int8KernelsTest, ConstantWeightsArePackedOnceAndEpiloguesApply) {
  if (skipWithoutVnni())
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  // A deep product (several blocks of B's strips), int4-range weights,
  // activations that are not exact codes (rounded and saturated), and an
  // epilogue that overwrites, scales and clamps.
  int64_t m = 50, n = 700, k = 4609;
  std::vector<float> a = makeCodes(m * k, 127, 4), b = makeCodes(k * n, 7, 5);
  for (size_t i = 0; i < a.size(); i += 97)
    a[i] = i % 2 ? 300.4f : -1e9f;
  for (size_t i = 1; i < a.size(); i += 89)
    a[i] += 0.3f;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<float> c(m * n, 5.0f), want(m * n);
    float scale = pass ? 0.5f : 1e-3f, lo = -2e3f, hi = 1e4f;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += code(a[i * k + kk]) * double(b[kk * n + j]);
        want[i * n + j] = expected(0, sum, true, scale, lo, hi);
      }
    auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
    auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
    auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
    _mlir_ciface_romac_matmul_fused_i8(&av, &bv, &cv, /*constantB=*/1,
                                       /*overwrite=*/1, scale, lo, hi);
    ASSERT_EQ(c, want) << "pass " << pass;
  }
  // New values at the same address are packed again.
  std::vector<float> old = b;
  b = makeCodes(k * n, 7, 6);
  ASSERT_NE(old, b);
  std::vector<float> c(m * n, 0.0f), want(m * n, 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        sum += code(a[i * k + kk]) * double(b[kk * n + j]);
      want[i * n + j] = expected(0, sum, false, 1, -kInf, kInf);
    }
  auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
  auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
  auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
  _mlir_ciface_romac_matmul_i8(&av, &bv, &cv, /*constantB=*/1);
  EXPECT_EQ(c, want);
  clearPackedConstants();
}

/// A contiguous n x c x h x w view of \p v.
RomacMemref4F32 nchwView(std::vector<float> &v, int64_t n, int64_t c, int64_t h,
                         int64_t w) {
  return makeView<RomacMemref4F32>(v, 0, {n, c, h, w},
                                   {c * h * w, h * w, w, 1});
}

/// out[n, f, y, x] (+)= sum in[n, c, y * s + ky * d, x * s + kx * d] *
/// w[f, c, ky, kx], exactly.
std::vector<float> referenceConv(const std::vector<float> &in,
                                 const std::vector<float> &w,
                                 std::vector<float> out, int64_t batch,
                                 int64_t channels, int64_t ih, int64_t iw,
                                 int64_t filters, int64_t kh, int64_t kw,
                                 int64_t stride, int64_t dil, bool overwrite) {
  int64_t oh = (ih - dil * (kh - 1) - 1) / stride + 1;
  int64_t ow = (iw - dil * (kw - 1) - 1) / stride + 1;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t f = 0; f < filters; ++f)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          double sum = 0;
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx)
                sum +=
                    code(in[((b * channels + c) * ih + y * stride + ky * dil) *
                                iw +
                            x * stride + kx * dil]) *
                    code(w[((f * channels + c) * kh + ky) * kw + kx]);
          float &o = out[((b * filters + f) * oh + y) * ow + x];
          o = expected(o, sum, overwrite, 1, 0, kInf);
        }
  return out;
}

TEST_P(Int8KernelsTest, ConvolutionIsExactWithStridesAndDilations) {
  if (skipWithoutVnni())
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  struct Case {
    int64_t batch, channels, ih, iw, filters, kh, kw, stride, dil;
  };
  for (Case t :
       {Case{1, 3, 23, 23, 16, 11, 11, 4, 1}, Case{2, 9, 13, 13, 7, 3, 3, 1, 1},
        Case{1, 32, 9, 20, 40, 3, 3, 2, 2}, Case{1, 64, 7, 7, 70, 1, 1, 1, 1}})
    for (bool constant : {false, true}) {
      int64_t oh = (t.ih - t.dil * (t.kh - 1) - 1) / t.stride + 1;
      int64_t ow = (t.iw - t.dil * (t.kw - 1) - 1) / t.stride + 1;
      std::vector<float> in = makeCodes(t.batch * t.channels * t.ih * t.iw, 127,
                                        7),
                         w = makeCodes(t.filters * t.channels * t.kh * t.kw,
                                       127, 8),
                         out = makeCodes(t.batch * t.filters * oh * ow, 50, 9);
      std::vector<float> want =
          referenceConv(in, w, out, t.batch, t.channels, t.ih, t.iw, t.filters,
                        t.kh, t.kw, t.stride, t.dil, constant);
      auto iv = nchwView(in, t.batch, t.channels, t.ih, t.iw);
      auto wv = nchwView(w, t.filters, t.channels, t.kh, t.kw);
      auto ov = nchwView(out, t.batch, t.filters, oh, ow);
      // ReLU as the epilogue; overwrite with the packed-once filter.
      _mlir_ciface_romac_conv2d_nchw_fchw_fused_i8(
          &iv, &wv, &ov, t.stride, t.stride, t.dil, t.dil, constant,
          /*overwrite=*/constant, 1.0f, 0.0f, kInf);
      ASSERT_EQ(out, want) << t.channels << "->" << t.filters << " " << t.kh
                           << "x" << t.kw << " stride " << t.stride;
    }
  clearPackedConstants();
}

TEST_P(Int8KernelsTest, ThinProductsOfAWeightAreExact) {
  if (skipWithoutVnni())
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  // A fully connected layer at batch 1 to 4: the weight's bytes packed once,
  // the rows of A padded to a register tile.
  for (int64_t m : {1, 2, 4})
    for (int64_t n : {10, 100}) {
      int64_t k = 777;
      std::vector<float> a = makeCodes(m * k, 127, 12),
                         b = makeCodes(k * n, 127, 13), c(m * n, 2.0f);
      std::vector<float> want = addProduct(a, b, c, m, n, k);
      auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
      auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
      auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
      _mlir_ciface_romac_matmul_i8(&av, &bv, &cv, /*constantB=*/1);
      ASSERT_EQ(c, want) << m << " rows, " << n << " columns";
    }
  clearPackedConstants();
}

/// Random draws from `book` (a weight with only these codes: int4's, or a
/// codebook of shared weights) as floats.
std::vector<float> drawFrom(const std::vector<int> &book, size_t n,
                            unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, book.size() - 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = static_cast<float>(book[pick(rng)]);
  return v;
}

/// A 16-entry codebook without zero (the pads of the packed weight then
/// hold a value the table lacks), and the same with a 17th entry.
const std::vector<int> kBook16 = {-128, -97, -60, -33, -9, -4, -1,  3,
                                  6,    13,  27,  44,  70, 99, 120, 127};

std::vector<int> withSeventeenth() {
  std::vector<int> book = kBook16;
  book.push_back(50);
  return book;
}

TEST_P(Int8KernelsTest, WeightsOfAtMost16CodesAreKeptAs4BitIndices) {
  if (skipWithoutVnni())
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  // A weight whose codes take at most 16 values is packed as 4-bit indices
  // into a table (half the bytes) and decoded inside the GEMM; with 17
  // values it stays in bytes. Both must give the exact sums.
  struct Conv {
    int64_t batch, channels, ih, iw, filters, kh, kw, stride;
  };
  // A's panels: ragged (70 filters), 81 and 27 deep (neither a whole
  // number of 64 bytes per panel), one output strip (every thread decodes
  // chunks of a few panels) and many (a thread's strips reuse its chunk).
  for (Conv t : {Conv{1, 9, 7, 7, 70, 3, 3, 1}, Conv{2, 3, 40, 40, 70, 3, 3, 1},
                 Conv{1, 64, 12, 12, 200, 1, 1, 1}}) {
    int64_t oh = (t.ih - t.kh) / t.stride + 1,
            ow = (t.iw - t.kw) / t.stride + 1;
    int64_t bytes[2] = {0, 0};
    for (int book = 0; book < 2; ++book) {
      std::vector<float> in = makeCodes(t.batch * t.channels * t.ih * t.iw, 127,
                                        21),
                         w = drawFrom(book ? withSeventeenth() : kBook16,
                                      t.filters * t.channels * t.kh * t.kw, 22),
                         out = makeCodes(t.batch * t.filters * oh * ow, 50, 23);
      std::vector<float> want =
          referenceConv(in, w, out, t.batch, t.channels, t.ih, t.iw, t.filters,
                        t.kh, t.kw, t.stride, 1, /*overwrite=*/false);
      auto iv = nchwView(in, t.batch, t.channels, t.ih, t.iw);
      auto wv = nchwView(w, t.filters, t.channels, t.kh, t.kw);
      auto ov = nchwView(out, t.batch, t.filters, oh, ow);
      clearPackedConstants();
      _mlir_ciface_romac_conv2d_nchw_fchw_fused_i8(
          &iv, &wv, &ov, t.stride, t.stride, 1, 1, 1, 0, 1.0f, 0.0f, kInf);
      ASSERT_EQ(out, want) << t.channels << "->" << t.filters << ", "
                           << (book ? 17 : 16) << " codes";
      bytes[book] = getPackedConstantBytes();
    }
    // Half the bytes of the codes, plus the corrections, a header and each
    // panel's indices rounded up to 64 bytes (the 27-deep panels' 84 bytes
    // take 128: there the saving is smaller).
    int64_t depth = t.channels * t.kh * t.kw, codes = t.filters * depth;
    EXPECT_GE(bytes[1], codes);
    EXPECT_LT(bytes[0], depth < 64 ? bytes[1] * 4 / 5 : bytes[1] * 3 / 5)
        << t.channels << "->" << t.filters;
  }
  // B a weight: a thin product and a wide one, 301 deep (pads past k and
  // past the last column).
  for (int64_t m : {3, 40}) {
    int64_t n = 200, k = 301;
    int64_t bytes[2] = {0, 0};
    for (int book = 0; book < 2; ++book) {
      std::vector<float> a = makeCodes(m * k, 127, 24),
                         b = drawFrom(book ? withSeventeenth() : kBook16, k * n,
                                      25),
                         c(m * n, 1.0f);
      std::vector<float> want = addProduct(a, b, c, m, n, k);
      auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
      auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
      auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
      clearPackedConstants();
      _mlir_ciface_romac_matmul_i8(&av, &bv, &cv, /*constantB=*/1);
      ASSERT_EQ(c, want) << m << " rows, " << (book ? 17 : 16) << " codes";
      bytes[book] = getPackedConstantBytes();
    }
    EXPECT_GE(bytes[1], k * n);
    EXPECT_LT(bytes[0], bytes[1] * 6 / 10) << m << " rows";
  }
  clearPackedConstants();
}

TEST_P(Int8KernelsTest, WithoutVnniTheFp32KernelsComputeTheSameSums) {
  // On the AVX2 ISA (or where the CPU has no VNNI, and for thin products
  // of a B that is not a weight everywhere) the `_i8` entry points are the
  // fp32 kernels: sums of the same products, to fp32 rounding.
  for (bool avx2 : {false, true}) {
    if (avx2 && !setIsa(Isa::Avx2))
      continue;
    if (avx2) {
      EXPECT_FALSE(hasInt8DotProducts());
    }
    for (int64_t m : {3, 37}) {
      int64_t n = 90, k = 200;
      std::vector<float> a = makeCodes(m * k, 127, 10),
                         b = makeCodes(k * n, 127, 11), c(m * n, 1.0f);
      auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
      auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
      auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
      _mlir_ciface_romac_matmul_i8(&av, &bv, &cv, 0);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double sum = 1;
          for (int64_t kk = 0; kk < k; ++kk)
            sum += double(a[i * k + kk]) * b[kk * n + j];
          ASSERT_NEAR(c[i * n + j], sum, 1e-6 * (std::abs(sum) + 1e4))
              << (avx2 ? "avx2 " : "") << m << " rows";
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, Int8KernelsTest, ::testing::Values(1, 2),
                         [](const auto &info) {
                           return std::to_string(info.param) + "Threads";
                         });

} // namespace
