//===- KernelsTestSupport.h - what the kernel tests share ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Seeded random operands, and a fixture that runs a test on one ISA (skipped
// where the host lacks it) and thread count, restoring both after it; every
// ISA x {1, 2} threads is instantiated with EveryIsaAndThreads.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_RUNTIME_KERNELSTESTSUPPORT_H
#define ROMAC_UNITTESTS_RUNTIME_KERNELSTESTSUPPORT_H

#include "romac/Runtime/Kernels.h"

#include "gtest/gtest.h"

#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace romac::test {

/// n values uniform in [-1, 1) from `seed`.
inline std::vector<float> makeRandom(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// A test on the ISA and thread count of its parameter.
struct IsaThreadsTest
    : public ::testing::TestWithParam<std::tuple<kernels::Isa, int>> {
  void SetUp() override {
    // Saved first: TearDown() runs after a skip too.
    savedIsa = kernels::getIsa();
    savedThreads = kernels::getNumThreads();
    auto [isa, threads] = GetParam();
    if (!kernels::isSupported(isa))
      GTEST_SKIP() << "this host has no " << kernels::getIsaName(isa);
    ASSERT_TRUE(kernels::setIsa(isa));
    kernels::setNumThreads(threads);
  }
  void TearDown() override {
    kernels::setIsa(savedIsa);
    kernels::setNumThreads(savedThreads);
  }
  kernels::Isa savedIsa = kernels::Isa::Scalar;
  int savedThreads = 1;
};

/// Every ISA, 1 and 2 threads, named "avx512_2threads".
#define ROMAC_INSTANTIATE_EVERY_ISA_AND_THREADS(SUITE)                         \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      EveryIsa, SUITE,                                                         \
      ::testing::Combine(::testing::Values(romac::kernels::Isa::Scalar,        \
                                           romac::kernels::Isa::Avx2,          \
                                           romac::kernels::Isa::Avx512,        \
                                           romac::kernels::Isa::Avx512Bf16),   \
                         ::testing::Values(1, 2)),                             \
      [](const auto &info) {                                                   \
        return std::string(                                                    \
                   romac::kernels::getIsaName(std::get<0>(info.param))) +      \
               "_" + std::to_string(std::get<1>(info.param)) + "threads";      \
      })

} // namespace romac::test

#endif // ROMAC_UNITTESTS_RUNTIME_KERNELSTESTSUPPORT_H
