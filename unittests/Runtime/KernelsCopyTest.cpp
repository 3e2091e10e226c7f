//===- KernelsCopyTest.cpp - memrefCopy and nested parallel loops -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The runtime's memrefCopy (Symbols.cpp), which generated code calls for
// non-contiguous copies (an activation copied into the interior of its
// zero-padded buffer) and which splits large copies over the threads,
// against an element-by-element copy; and a parallel loop started from a
// chunk of another (it runs on the chunk's thread instead of waiting for
// the busy workers).
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstdint>
#include <vector>

using namespace romac::kernels;

extern "C" {
struct RomacUnranked {
  int64_t rank;
  void *descriptor;
};
void romacMemrefCopy(int64_t elementSize, RomacUnranked *src,
                     RomacUnranked *dst);
}

namespace {

/// A ranked descriptor {allocated, aligned, offset, sizes, strides} of
/// rank 4, as MLIR's lowering passes it behind an unranked one.
struct Descriptor4 {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

struct CopyTest : public ::testing::TestWithParam<int> {
  void SetUp() override {
    saved = getNumThreads();
    setNumThreads(GetParam());
  }
  void TearDown() override { setNumThreads(saved); }
  int saved = 1;
};

TEST_P(CopyTest, StridedCopiesMatchElementByElement) {
  // An activation into its padded buffer's interior: large (split over the
  // threads) and small (one thread); a view whose outer dims have one
  // element (split along the first dim with more), and a transposed one.
  struct Case {
    int64_t sizes[4];
    int64_t pad;
    bool transposed;
  };
  for (Case t :
       {Case{{1, 96, 112, 112}, 1, false}, Case{{1, 3, 9, 9}, 2, false},
        Case{{2, 24, 30, 31}, 1, true}, Case{{1, 1, 300, 257}, 3, false}}) {
    int64_t n = t.sizes[0], c = t.sizes[1], h = t.sizes[2], w = t.sizes[3];
    int64_t ph = h + 2 * t.pad, pw = w + 2 * t.pad;
    std::vector<float> src(n * c * h * w), dst(n * c * ph * pw, -7.0f);
    for (size_t i = 0; i < src.size(); ++i)
      src[i] = static_cast<float>(i % 1009) - 500.0f;
    // The transposed source is read with its two last dims swapped.
    Descriptor4 s{
        src.data(), src.data(), 0, {n, c, h, w}, {c * h * w, h * w, w, 1}};
    if (t.transposed) {
      s.sizes[2] = w;
      s.sizes[3] = h;
      s.strides[2] = 1;
      s.strides[3] = w;
    }
    Descriptor4 d{dst.data(),
                  dst.data(),
                  t.pad * pw + t.pad,
                  {s.sizes[0], s.sizes[1], s.sizes[2], s.sizes[3]},
                  {c * ph * pw, ph * pw, pw, 1}};
    RomacUnranked us{4, &s}, ud{4, &d};
    romacMemrefCopy(sizeof(float), &us, &ud);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < ph; ++y)
          for (int64_t x = 0; x < pw; ++x) {
            int64_t iy = y - t.pad, ix = x - t.pad;
            bool inside =
                iy >= 0 && ix >= 0 && iy < s.sizes[2] && ix < s.sizes[3];
            float want = -7.0f;
            if (inside)
              want = src[b * s.strides[0] + ch * s.strides[1] +
                         iy * s.strides[2] + ix * s.strides[3]];
            ASSERT_EQ(dst[((b * c + ch) * ph + y) * pw + x], want)
                << b << " " << ch << " " << y << " " << x;
          }
  }
}

TEST_P(CopyTest, AParallelLoopInsideAChunkRunsOnItsThread) {
  // Each of 8 outer chunks starts an inner loop of 100; every inner index
  // must run exactly once (and the calls return).
  struct Ctx {
    std::atomic<int64_t> sum{0}, calls{0};
  } ctx;
  romac_parallel_for(
      8,
      [](void *c, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          romac_parallel_for(
              100,
              [](void *c2, int64_t b2, int64_t e2) {
                auto &y = *static_cast<Ctx *>(c2);
                y.calls.fetch_add(1);
                for (int64_t j = b2; j < e2; ++j)
                  y.sum.fetch_add(j);
              },
              c);
      },
      &ctx);
  EXPECT_EQ(ctx.sum.load(), 8 * (99 * 100 / 2));
  // The inner loops ran on their chunks' threads, each in one piece.
  EXPECT_EQ(ctx.calls.load(), 8);
}

INSTANTIATE_TEST_SUITE_P(Threads, CopyTest, ::testing::Values(1, 2),
                         [](const auto &info) {
                           return std::to_string(info.param) + "Threads";
                         });

} // namespace
