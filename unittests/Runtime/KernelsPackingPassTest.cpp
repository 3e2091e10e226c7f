//===- KernelsPackingPassTest.cpp - the kernels' packing pass ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// setPackingPass(true): every contraction entry point packs its constant
// operand and computes nothing (its output keeps its bytes); the real call
// that follows packs nothing more and gives the bits of a call without the
// pass. On every ISA this host supports, 1 and 2 threads.
//
//===----------------------------------------------------------------------===//

#include "KernelsTestSupport.h"
#include "MemrefView.h"
#include "romac/Runtime/Kernels.h"

#include "gtest/gtest.h"

#include <functional>
#include <string>
#include <vector>

using namespace romac::kernels;
using romac::test::makeRandom;
using romac::test::makeView;

namespace {

struct PackingPassTest : romac::test::IsaThreadsTest {
  void SetUp() override {
    IsaThreadsTest::SetUp();
    clearPackedConstants();
  }
  void TearDown() override {
    setPackingPass(false);
    clearPackedConstants();
    IsaThreadsTest::TearDown();
  }
};

/// One contraction: `call` computes into `out` (which starts as
/// `initial`); `packs` whether it has a constant operand to pack.
struct Case {
  std::string name;
  std::function<void()> call;
  std::vector<float> *out;
  bool packs;
};

TEST_P(PackingPassTest, PacksTheWeightsAndComputesNothing) {
  const int64_t m = 40, k = 70, n = 36;
  std::vector<float> a = makeRandom(m * k, 1), b = makeRandom(k * n, 2);
  std::vector<float> c(m * n);
  auto av = makeView<RomacMemref2F32>(a, 0, {m, k}, {k, 1});
  auto bv = makeView<RomacMemref2F32>(b, 0, {k, n}, {n, 1});
  auto cv = makeView<RomacMemref2F32>(c, 0, {m, n}, {n, 1});
  // Three batches of the same shapes.
  std::vector<float> a3 = makeRandom(3 * m * k, 3), b3 = makeRandom(k * n, 4);
  std::vector<float> c3(3 * m * n);
  auto a3v = makeView<RomacMemref3F32>(a3, 0, {3, m, k}, {m * k, k, 1});
  auto b3v = makeView<RomacMemref3F32>(b3, 0, {3, k, n}, {0, n, 1});
  auto c3v = makeView<RomacMemref3F32>(c3, 0, {3, m, n}, {m * n, n, 1});
  // Convolutions: 3x3 on 24x24 outputs (Winograd, F(4x4) in fp32), 5x5
  // (direct), depthwise 3x3.
  const int64_t ch = 16, h = 26, o = 24;
  std::vector<float> in = makeRandom(ch * h * h, 5),
                     w3 = makeRandom(ch * ch * 9, 6),
                     w5 = makeRandom(ch * ch * 25, 7),
                     wd = makeRandom(ch * 9, 8);
  std::vector<float> out3(ch * o * o), out5(ch * 22 * 22), outd(ch * o * o);
  auto iv = makeView<RomacMemref4F32>(in, 0, {1, ch, h, h},
                                      {ch * h * h, h * h, h, 1});
  auto w3v =
      makeView<RomacMemref4F32>(w3, 0, {ch, ch, 3, 3}, {ch * 9, 9, 3, 1});
  auto w5v =
      makeView<RomacMemref4F32>(w5, 0, {ch, ch, 5, 5}, {ch * 25, 25, 5, 1});
  auto wdv = makeView<RomacMemref3F32>(wd, 0, {ch, 3, 3}, {9, 3, 1});
  auto o3v = makeView<RomacMemref4F32>(out3, 0, {1, ch, o, o},
                                       {ch * o * o, o * o, o, 1});
  auto o5v = makeView<RomacMemref4F32>(out5, 0, {1, ch, 22, 22},
                                       {ch * 22 * 22, 22 * 22, 22, 1});
  auto odv = makeView<RomacMemref4F32>(outd, 0, {1, ch, o, o},
                                       {ch * o * o, o * o, o, 1});
  // Attention over [1, 50, 32].
  const int64_t s = 50, d = 32;
  std::vector<float> q = makeRandom(s * d, 9), kk = makeRandom(s * d, 10),
                     v = makeRandom(s * d, 11), att(s * d);
  auto qv = makeView<RomacMemref3F32>(q, 0, {1, s, d}, {s * d, d, 1});
  auto kv = makeView<RomacMemref3F32>(kk, 0, {1, s, d}, {s * d, d, 1});
  auto vv = makeView<RomacMemref3F32>(v, 0, {1, s, d}, {s * d, d, 1});
  auto attv = makeView<RomacMemref3F32>(att, 0, {1, s, d}, {s * d, d, 1});
  // Integer codes for the int8 product (fp32 values that are integers).
  std::vector<float> a8(m * k), b8(k * n);
  for (size_t i = 0; i < a8.size(); ++i)
    a8[i] = float(int(i * 7 % 255) - 127);
  for (size_t i = 0; i < b8.size(); ++i)
    b8[i] = float(int(i * 5 % 255) - 127);
  auto a8v = makeView<RomacMemref2F32>(a8, 0, {m, k}, {k, 1});
  auto b8v = makeView<RomacMemref2F32>(b8, 0, {k, n}, {n, 1});

  std::vector<Case> cases = {
      {"matmul_f32", [&] { _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, 1); },
       &c, true},
      {"matmul_bf16", [&] { _mlir_ciface_romac_matmul_bf16(&av, &bv, &cv, 1); },
       &c, true},
      {"matmul_f32 (B not constant)",
       [&] { _mlir_ciface_romac_matmul_f32(&av, &bv, &cv, 0); }, &c, false},
      {"batch_matmul_f32",
       [&] { _mlir_ciface_romac_batch_matmul_f32(&a3v, &b3v, &c3v, 1); }, &c3,
       true},
      {"conv 3x3 f32 (Winograd)",
       [&] {
         _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &w3v, &o3v, 1, 1, 1, 1,
                                                 1);
       },
       &out3, true},
      {"conv 3x3 bf16",
       [&] {
         _mlir_ciface_romac_conv2d_nchw_fchw_bf16(&iv, &w3v, &o3v, 1, 1, 1, 1,
                                                  1);
       },
       &out3, true},
      {"conv 5x5 f32 (direct)",
       [&] {
         _mlir_ciface_romac_conv2d_nchw_fchw_f32(&iv, &w5v, &o5v, 1, 1, 1, 1,
                                                 1);
       },
       &out5, true},
      {"depthwise 3x3",
       [&] {
         _mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32(&iv, &wdv, &odv, 1, 1,
                                                          1, 1);
       },
       &outd, false},
      {"attention_f32",
       [&] { _mlir_ciface_romac_attention_f32(&qv, &kv, &vv, &attv, 0.25f); },
       &att, false},
      {"attention_bf16",
       [&] { _mlir_ciface_romac_attention_bf16(&qv, &kv, &vv, &attv, 0.25f); },
       &att, false},
      {"matmul_i8", [&] { _mlir_ciface_romac_matmul_i8(&a8v, &b8v, &cv, 1); },
       &c, true},
  };
  for (Case &t : cases) {
    // Without the pass, from nothing packed: the reference bits.
    clearPackedConstants();
    std::fill(t.out->begin(), t.out->end(), 0.5f);
    t.call();
    std::vector<float> want = *t.out;
    clearPackedConstants();
    // The pass: the output keeps its bytes; the weight is packed.
    std::vector<float> before = makeRandom(t.out->size(), 12);
    *t.out = before;
    setPackingPass(true);
    EXPECT_TRUE(isPackingPass());
    t.call();
    setPackingPass(false);
    EXPECT_EQ(*t.out, before) << t.name << ": the packing pass computed";
    int64_t packed = getPackedConstantBytes();
    if (t.packs) {
      EXPECT_GT(packed, 0) << t.name << ": nothing packed";
    } else {
      EXPECT_EQ(packed, 0) << t.name << ": packed an operand that varies";
    }
    // The real call: nothing more to pack, the same bits.
    std::fill(t.out->begin(), t.out->end(), 0.5f);
    t.call();
    EXPECT_EQ(getPackedConstantBytes(), packed)
        << t.name << ": the real call packed what the pass had not";
    EXPECT_EQ(*t.out, want) << t.name;
  }
}

ROMAC_INSTANTIATE_EVERY_ISA_AND_THREADS(PackingPassTest);

} // namespace
