//===- kernel_bench.cpp - the kernels against the CPU's peak --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-kernel-bench [--runs N] [--threads N]: measures the CPU's peak
// multiply-add rate itself (a loop of independent FMAs, of VDPBF16PS where
// the CPU has AVX512-BF16, of VPDPBUSD where it has AVX512-VNNI), then
// times the SD2 UNet's large 3x3 convolutions and matmuls (batch 2, 64x64
// latents) through romac's kernel entry points in fp32, bf16 (the
// convolutions by the direct GEMM and by Winograd's F(2x2, 3x3); in fp32
// also F(4x4, 3x3)) and int8 codes (direct), and prints GFLOP/s (GOP/s for int8) and the share of the
// peak as a markdown table (medians of N runs). Docs: docs/benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace romac::kernels;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The peak loops: 12 independent accumulators hide the latency of the
// multiply-add (4 cycles, 2 per cycle on Zen 4/5 and Intel's server cores).
constexpr int kChains = 12;
constexpr int64_t kIterations = 20'000'000;

/// Lane 0 of the sum of the accumulators (what the loops return, so that
/// the compiler keeps them).
__attribute__((target("avx512f"))) float firstLaneOfSum(const __m512 *acc) {
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, sum);
  return out[0];
}

__attribute__((target("avx512f"))) float fmaLoop(float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(seed * float(i));
  __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
  for (int64_t it = 0; it < kIterations; ++it)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(a, acc[i], b);
  return firstLaneOfSum(acc);
}

__attribute__((target("avx512f,avx512bf16"))) float dpbf16Loop(float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(seed * float(i));
  __m512bh a =
      _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
  for (int64_t it = 0; it < kIterations; ++it)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  return firstLaneOfSum(acc);
}

__attribute__((target("avx512f,avx512vnni"))) float dpbusdLoop(float seed) {
  __m512i acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_epi32(static_cast<int>(seed) * i);
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  for (int64_t it = 0; it < kIterations; ++it)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  __m512 f[kChains];
  for (int i = 0; i < kChains; ++i)
    f[i] = _mm512_maskz_cvtepi32_ps(0xffff, acc[i]); // (GCC 12: no warning)
  return firstLaneOfSum(f);
}

/// GFLOP/s of `loop` on `threads` threads at once (one multiply-add = 2
/// flops; a VDPBF16PS lane does two, a VPDPBUSD lane four).
double measurePeak(float (*loop)(float), double flopsPerLanePerOp,
                   int threads) {
  std::vector<std::thread> pool;
  std::vector<float> sink(threads);
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { sink[t] = loop(1.0f + t); });
  for (auto &thread : pool)
    thread.join();
  double seconds = secondsSince(start);
  volatile float keep = sink[0];
  (void)keep;
  return double(threads) * kIterations * kChains * 16 * flopsPerLanePerOp /
         seconds / 1e9;
}

std::vector<float> makeRandom(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

template <typename Desc>
Desc view(std::vector<float> &data, std::initializer_list<int64_t> sizes) {
  Desc d{};
  d.allocated = d.aligned = data.data();
  std::copy(sizes.begin(), sizes.end(), d.sizes);
  int64_t stride = 1;
  for (int i = int(sizes.size()) - 1; i >= 0; --i) {
    d.strides[i] = stride;
    stride *= d.sizes[i];
  }
  return d;
}

struct Shape {
  const char *name;
  bool conv;
  // conv: batch, channels in (k), filters (m), height, width of the output
  // (3x3, padding 1); matmul: m x k times k x n.
  int64_t batch, cin, cout, h, w;
  int64_t m, n, k;
  double flops() const {
    return conv ? 2.0 * batch * cout * h * w * cin * 9 : 2.0 * m * n * k;
  }
};

/// The products of a timed call: fp32, bf16 or int8 codes.
enum class Products { Fp32, Bf16, Int8 };

/// Random operands; integer codes in [-127, 127] for int8.
std::vector<float> makeOperand(size_t n, unsigned seed, Products products) {
  std::vector<float> v = makeRandom(n, seed);
  if (products == Products::Int8)
    for (float &x : v)
      x = std::nearbyint(x * 127.0f);
  return v;
}

/// Median seconds of `runs` calls of `shape` with `products`.
double timeShape(const Shape &s, Products products, int runs) {
  std::vector<double> times;
  bool bf16 = products == Products::Bf16, int8 = products == Products::Int8;
  if (s.conv) {
    std::vector<float> in = makeOperand(s.batch * s.cin * (s.h + 2) * (s.w + 2),
                                        1, products),
                       w = makeOperand(s.cout * s.cin * 9, 2, products),
                       out(s.batch * s.cout * s.h * s.w);
    auto iv = view<RomacMemref4F32>(in, {s.batch, s.cin, s.h + 2, s.w + 2});
    auto wv = view<RomacMemref4F32>(w, {s.cout, s.cin, 3, 3});
    auto ov = view<RomacMemref4F32>(out, {s.batch, s.cout, s.h, s.w});
    for (int r = 0; r <= runs; ++r) { // the first packs the filter: not timed
      auto start = Clock::now();
      (int8   ? _mlir_ciface_romac_conv2d_nchw_fchw_fused_i8
       : bf16 ? _mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16
              : _mlir_ciface_romac_conv2d_nchw_fchw_fused_f32)(
          &iv, &wv, &ov, 1, 1, 1, 1, /*constantFilter=*/1, /*overwrite=*/1,
          1.0f, -INFINITY, INFINITY);
      if (r > 0)
        times.push_back(secondsSince(start));
    }
  } else {
    std::vector<float> a = makeOperand(s.m * s.k, 3, products),
                       b = makeOperand(s.k * s.n, 4, products), c(s.m * s.n);
    auto av = view<RomacMemref2F32>(a, {s.m, s.k});
    auto bv = view<RomacMemref2F32>(b, {s.k, s.n});
    auto cv = view<RomacMemref2F32>(c, {s.m, s.n});
    // B is a weight, as in the models: the first call packs it, untimed.
    for (int r = 0; r <= runs; ++r) {
      auto start = Clock::now();
      (int8   ? _mlir_ciface_romac_matmul_fused_i8
       : bf16 ? _mlir_ciface_romac_matmul_fused_bf16
              : _mlir_ciface_romac_matmul_fused_f32)(
          &av, &bv, &cv, /*constantB=*/1, /*overwrite=*/1, 1.0f, -INFINITY,
          INFINITY);
      if (r > 0)
        times.push_back(secondsSince(start));
    }
  }
  return median(times);
}

std::string cpuName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

} // namespace

int main(int argc, char **argv) {
  int runs = 5, threads = getNumThreads();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--runs" || arg == "--threads") && i + 1 < argc) {
      int value = std::atoi(argv[++i]);
      if (value < 1) {
        std::fprintf(stderr, "romac-kernel-bench: %s needs a positive count\n",
                     arg.c_str());
        return 2;
      }
      (arg == "--runs" ? runs : threads) = value;
    } else {
      std::fprintf(stderr,
                   "usage: romac-kernel-bench [--runs N] [--threads N]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  if (!isSupported(Isa::Avx512)) {
    std::fprintf(stderr, "romac-kernel-bench: this CPU has no AVX-512; the "
                         "peak loops are written for it\n");
    return 1;
  }
  bool hasBf16 = isSupported(Isa::Avx512Bf16);
  setNumThreads(threads);
  std::printf("CPU: %s; kernels: %s; %d thread(s); medians of %d runs\n\n",
              cpuName().c_str(), getIsaName(getIsa()), threads, runs);
  double fp32Peak = measurePeak(fmaLoop, 2.0, threads);
  double bf16Peak = hasBf16 ? measurePeak(dpbf16Loop, 4.0, threads) : 0.0;
  bool hasInt8 = hasInt8DotProducts();
  double int8Peak = hasInt8 ? measurePeak(dpbusdLoop, 8.0, threads) : 0.0;
  std::printf("| peak (%d thread(s)) | GFLOP/s |\n|---|---:|\n", threads);
  std::printf("| fp32 FMA (VFMADD, zmm) | %.0f |\n", fp32Peak);
  if (hasBf16)
    std::printf("| bf16 dot product (VDPBF16PS, zmm) | %.0f |\n", bf16Peak);
  else
    std::printf("| bf16 dot product | (no AVX512-BF16: bf16 kernels round "
                "and multiply in fp32) |\n");
  if (hasInt8)
    std::printf("| int8 dot product (VPDPBUSD, zmm), GOP/s | %.0f |\n",
                int8Peak);
  else
    std::printf("| int8 dot product | (no AVX512-VNNI: the int8 entry points "
                "are the fp32 kernels) |\n");
  std::printf("\n");

  const Shape shapes[] = {
      {"conv 3x3 320->320, 2x64x64", true, 2, 320, 320, 64, 64, 0, 0, 0},
      {"conv 3x3 640->640, 2x32x32", true, 2, 640, 640, 32, 32, 0, 0, 0},
      {"conv 3x3 1280->1280, 2x16x16", true, 2, 1280, 1280, 16, 16, 0, 0, 0},
      {"conv 3x3 1280->1280, 2x8x8", true, 2, 1280, 1280, 8, 8, 0, 0, 0},
      {"matmul 8192x320 * 320x320", false, 0, 0, 0, 0, 0, 8192, 320, 320},
      {"matmul 8192x320 * 320x2560", false, 0, 0, 0, 0, 0, 8192, 2560, 320},
      {"matmul 8192x1280 * 1280x320", false, 0, 0, 0, 0, 0, 8192, 320, 1280},
      {"matmul 2048x640 * 640x5120", false, 0, 0, 0, 0, 0, 2048, 5120, 640},
      // The text encoder's MLP at 77 tokens: its 16 MB weight is streamed.
      {"matmul 77x1024 * 1024x4096", false, 0, 0, 0, 0, 0, 77, 4096, 1024},
      {"matmul 77x4096 * 4096x1024", false, 0, 0, 0, 0, 0, 77, 1024, 4096},
  };
  std::printf("| layer | fp32 ms | fp32 GFLOP/s | %% of fp32 peak | bf16 ms | "
              "bf16 GFLOP/s | %% of bf16 peak | bf16 speedup | int8 ms | "
              "int8 GOP/s | %% of int8 peak | int8 speedup |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  // The 3x3 convolutions three times: the direct GEMM, then Winograd's
  // F(2x2, 3x3) and F(4x4, 3x3), whose GFLOP/s count the direct
  // multiply-adds (so they can pass the peak). The kernels keep planes under
  // 100 output pixels direct (the 8x8 layer; docs/runtime.md), so those get
  // one row. F(4x4) is timed with fp32 products only: the kernels never
  // take it for bfloat16 products (its rounding; docs/runtime.md); the
  // kernels' own choice (WinogradMode::Auto) takes it for fp32 on planes of
  // at least 24 x 24.
  const WinogradMode modes[] = {WinogradMode::Off, WinogradMode::F2x2,
                                WinogradMode::F4x4};
  for (const Shape &s : shapes)
    for (WinogradMode mode : modes) {
      bool winograd = mode != WinogradMode::Off;
      if (winograd && (!s.conv || s.h * s.w < 100))
        continue;
      setWinogradMode(mode);
      bool f4 = mode == WinogradMode::F4x4;
      double t32 = timeShape(s, Products::Fp32, runs);
      double g32 = s.flops() / t32 / 1e9;
      // The four cells of one precision (ms, rate, share of its peak where
      // the CPU has the instruction, speed-up over fp32), or dashes.
      auto cells = [&](bool timed, Products products, double peak,
                       bool hasPeak) -> std::string {
        if (!timed)
          return "- | - | - | -";
        double t = timeShape(s, products, runs), g = s.flops() / t / 1e9;
        std::string share =
            hasPeak ? std::to_string(int(100 * g / peak + 0.5)) + " %" : "-";
        char text[128];
        std::snprintf(text, sizeof(text), "%.1f | %.0f | %s | %.2fx", t * 1e3,
                      g, share.c_str(), t32 / t);
        return text;
      };
      std::string bf16Cells = cells(!f4, Products::Bf16, bf16Peak, hasBf16);
      // int8 codes never take Winograd (its transforms are not integer).
      std::string int8Cells =
          cells(!winograd, Products::Int8, int8Peak, hasInt8);
      std::string name =
          std::string(s.name) + (!s.conv    ? ""
                                 : f4       ? " (Winograd F(4x4))"
                                 : winograd ? " (Winograd F(2x2))"
                                            : " (direct)");
      std::printf("| %s | %.1f | %.0f | %.0f %% | %s | %s |\n", name.c_str(),
                  t32 * 1e3, g32, 100 * g32 / fp32Peak, bf16Cells.c_str(),
                  int8Cells.c_str());
      std::fflush(stdout);
    }
  setWinogradMode(WinogradMode::Auto);
  return 0;
}
