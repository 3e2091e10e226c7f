//===- WorkloadTest.cpp - Workload unit tests -------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Analysis/Workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

using namespace romac;

namespace {

/// The message of `err`, or "" on success.
std::string errorOf(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}

template <typename T> std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

/// All projection strings of operand `o`.
std::vector<std::string> projections(const Workload &w, unsigned o) {
  std::vector<std::string> out;
  for (unsigned j = 0; j < w.operands[o].projection.size(); ++j)
    out.push_back(w.projectionString(o, j));
  return out;
}

std::vector<std::string> dimNames(const Workload &w) {
  std::vector<std::string> out;
  for (const LoopDim &d : w.dims)
    out.push_back(d.name + "=" + std::to_string(d.bound) +
                  (d.kind == LoopKind::Reduction ? "r" : ""));
  return out;
}

Conv2dSpec conv3x3(int64_t c, int64_t k, int64_t hw) {
  Conv2dSpec s;
  s.c = c;
  s.k = k;
  s.h = s.w = hw;
  s.r = s.s = 3;
  s.padTop = s.padLeft = s.padBottom = s.padRight = 1;
  return s;
}

using Strings = std::vector<std::string>;

TEST(WorkloadTest, Conv2dFactory) {
  Conv2dSpec s = conv3x3(3, 64, 224);
  s.name = "conv1";
  s.inputTensor = "images";
  Workload w = llvm::cantFail(Workload::conv2d(s));
  EXPECT_EQ(w.name, "conv1");
  EXPECT_EQ(w.op, OpKind::Conv2d);
  EXPECT_EQ(dimNames(w),
            (Strings{"N=1", "K=64", "C=3r", "P=224", "Q=224", "R=3r", "S=3r"}));
  ASSERT_EQ(w.operands.size(), 3u);
  EXPECT_EQ(w.operands[0].name, "input");
  EXPECT_EQ(w.operands[0].tensor, "images");
  EXPECT_EQ(w.operands[0].role, OperandRole::Read);
  EXPECT_EQ(projections(w, 0), (Strings{"N", "C", "P*1+R*1-1", "Q*1+S*1-1"}));
  EXPECT_EQ(w.operands[0].extent,
            (llvm::SmallVector<int64_t, 4>{1, 3, 224, 224}));
  EXPECT_EQ(projections(w, 1), (Strings{"K", "C", "R", "S"}));
  EXPECT_EQ(projections(w, 2), (Strings{"N", "K", "P", "Q"}));
  EXPECT_EQ(w.operands[2].role, OperandRole::ReadWrite);
  EXPECT_EQ(w.getIterationCount(), 64LL * 3 * 224 * 224 * 9);
  EXPECT_TRUE(w.operands[0].isIndexedBy(*w.findDim("R")));
  EXPECT_FALSE(w.operands[0].isIndexedBy(*w.findDim("K")));
  EXPECT_EQ(w.findOperand("weight"), 1u);
  EXPECT_EQ(w.findDim("X"), std::nullopt);
}

TEST(WorkloadTest, OpKindNames) {
  // Every kind round-trips through its spelling, and the convolution kinds
  // are found by variant and spatial rank.
  for (const EnumName<OpKind> &entry : kOpKindNames)
    EXPECT_EQ(symbolizeOpKind(stringifyOpKind(entry.value)), entry.value);
  EXPECT_EQ(symbolizeOpKind("conv"), std::nullopt);
  EXPECT_EQ(getConvOpKind(OpKind::Conv2d, 1), OpKind::Conv1d);
  EXPECT_EQ(getConvOpKind(OpKind::DepthwiseConv2d, 3), OpKind::DepthwiseConv3d);
  EXPECT_EQ(getConvOpKind(OpKind::GroupedConv2d, 2), OpKind::GroupedConv2d);
  EXPECT_EQ(getConvOpKind(OpKind::Conv2d, 4), std::nullopt);
  EXPECT_EQ(getConvOpKind(OpKind::Matmul, 2), std::nullopt);
  EXPECT_EQ(stringifyOpKind(getConvOpKind(OpKind::GroupedConv2d, 1).value()),
            "grouped_conv1d");
}

TEST(WorkloadTest, Conv2dStrideDilationPadding) {
  Conv2dSpec s = conv3x3(8, 8, 224);
  s.strideH = s.strideW = 2;
  Workload strided = llvm::cantFail(Workload::conv2d(s));
  EXPECT_EQ(strided.dims[3].bound, 112); // (224 + 2 - 3) / 2 + 1
  EXPECT_EQ(projections(strided, 0)[2], "P*2+R*1-1");

  s = conv3x3(8, 8, 17);
  s.dilationH = 2;
  s.padTop = 2;
  s.padBottom = 0;
  s.padLeft = 0;
  s.padRight = 0;
  Workload dilated = llvm::cantFail(Workload::conv2d(s));
  EXPECT_EQ(dilated.dims[3].bound, 15); // 17 + 2 - 4 - 1 + 1
  EXPECT_EQ(dilated.dims[4].bound, 15); // 17 - 2
  EXPECT_EQ(projections(dilated, 0)[2], "P*1+R*2-2");
  EXPECT_EQ(projections(dilated, 0)[3], "Q*1+S*1");
}

TEST(WorkloadTest, DepthwiseAndGrouped) {
  Workload dw = llvm::cantFail(Workload::depthwiseConv2d(conv3x3(32, 32, 56)));
  EXPECT_EQ(dw.op, OpKind::DepthwiseConv2d);
  EXPECT_EQ(dimNames(dw),
            (Strings{"N=1", "C=32", "P=56", "Q=56", "R=3r", "S=3r"}));
  EXPECT_EQ(projections(dw, 0), (Strings{"N", "C", "P*1+R*1-1", "Q*1+S*1-1"}));
  EXPECT_EQ(projections(dw, 1), (Strings{"C", "0", "R", "S"}));
  EXPECT_EQ(dw.operands[1].extent,
            (llvm::SmallVector<int64_t, 4>{32, 1, 3, 3}));

  Workload mult = llvm::cantFail(Workload::depthwiseConv2d(conv3x3(8, 16, 5)));
  EXPECT_EQ(dimNames(mult),
            (Strings{"N=1", "C=8", "M=2", "P=5", "Q=5", "R=3r", "S=3r"}));
  EXPECT_EQ(projections(mult, 1), (Strings{"C*2+M*1", "0", "R", "S"}));
  EXPECT_EQ(projections(mult, 2), (Strings{"N", "C*2+M*1", "P", "Q"}));

  Conv2dSpec g = conv3x3(32, 64, 8);
  g.groups = 8;
  Workload grouped = llvm::cantFail(Workload::conv2d(g));
  EXPECT_EQ(grouped.op, OpKind::GroupedConv2d);
  EXPECT_EQ(dimNames(grouped), (Strings{"N=1", "G=8", "K=8", "C=4r", "P=8",
                                        "Q=8", "R=3r", "S=3r"}));
  EXPECT_EQ(projections(grouped, 0)[1], "G*4+C*1");
  EXPECT_EQ(projections(grouped, 1), (Strings{"G*8+K*1", "C", "R", "S"}));
  EXPECT_EQ(projections(grouped, 2)[1], "G*8+K*1");
}

TEST(WorkloadTest, MatmulFactories) {
  Workload mm = llvm::cantFail(Workload::matmul(4, 5, 6, 2, "fc"));
  EXPECT_EQ(mm.op, OpKind::Matmul);
  EXPECT_EQ(dimNames(mm), (Strings{"M=4", "N=5", "K=6r"}));
  EXPECT_EQ(projections(mm, 0), (Strings{"M", "K"}));
  EXPECT_EQ(projections(mm, 1), (Strings{"K", "N"}));
  EXPECT_EQ(projections(mm, 2), (Strings{"M", "N"}));
  EXPECT_EQ(mm.operands[1].bytesPerElement, 2);

  Workload bmm = llvm::cantFail(Workload::batchMatmul(8, 64, 64, 40));
  EXPECT_EQ(bmm.op, OpKind::BatchMatmul);
  EXPECT_EQ(dimNames(bmm), (Strings{"B=8", "M=64", "N=64", "K=40r"}));
  EXPECT_EQ(projections(bmm, 0), (Strings{"B", "M", "K"}));
  EXPECT_EQ(projections(bmm, 1), (Strings{"B", "K", "N"}));
  EXPECT_EQ(bmm.operands[0].name, "lhs");
}

TEST(WorkloadTest, FactoryErrors) {
  Conv2dSpec s = conv3x3(6, 8, 8);
  s.groups = 4;
  EXPECT_NE(errorOf(Workload::conv2d(s)).find("groups 4 does not divide"),
            std::string::npos);
  s = conv3x3(3, 8, 2);
  s.padTop = s.padBottom = 0;
  EXPECT_NE(errorOf(Workload::conv2d(s)).find("empty output"),
            std::string::npos);
  s = conv3x3(3, 8, 8);
  s.strideW = 0;
  EXPECT_NE(errorOf(Workload::conv2d(s)).find("strideW is 0"),
            std::string::npos);
  EXPECT_NE(errorOf(Workload::matmul(4, 0, 4)).find("'N' has bound 0"),
            std::string::npos);
}

TEST(WorkloadTest, SD2SizedLayerVerifies) {
  Conv2dSpec s = conv3x3(2560, 1280, 64);
  s.inputBytes = s.weightBytes = s.outputBytes = 2;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  EXPECT_EQ(w.getIterationCount(), 1280LL * 2560 * 64 * 64 * 9);
  EXPECT_EQ(w.operands[1].getNumElements(), 1280LL * 2560 * 9);
}

/// A hand-built matmul to mutate in the verification tests.
Workload handMatmul() {
  Workload w;
  w.name = "mm";
  w.op = OpKind::Matmul;
  w.dims = {{"M", 4, LoopKind::Parallel},
            {"N", 4, LoopKind::Parallel},
            {"K", 4, LoopKind::Reduction}};
  Operand a{"input", "A", OperandRole::Read, 1, {}, {4, 4}};
  a.projection = {IndexExpr{{{0, 1}}, 0}, IndexExpr{{{2, 1}}, 0}};
  Operand b{"weight", "B", OperandRole::Read, 1, {}, {4, 4}};
  b.projection = {IndexExpr{{{2, 1}}, 0}, IndexExpr{{{1, 1}}, 0}};
  Operand c{"output", "C", OperandRole::ReadWrite, 4, {}, {4, 4}};
  c.projection = {IndexExpr{{{0, 1}}, 0}, IndexExpr{{{1, 1}}, 0}};
  w.operands = {a, b, c};
  return w;
}

TEST(WorkloadTest, VerifyAcceptsHandBuilt) {
  EXPECT_EQ(errorOf(handMatmul().verify()), "");
}

TEST(WorkloadTest, VerifyErrors) {
  struct Case {
    const char *expected;
    std::function<void(Workload &)> mutate;
  };
  const Case cases[] = {
      {"loop dim 'K' has bound 0", [](Workload &w) { w.dims[2].bound = 0; }},
      {"duplicate loop dim 'M'", [](Workload &w) { w.dims[1].name = "M"; }},
      {"a loop dim has an empty name",
       [](Workload &w) { w.dims[0].name = ""; }},
      {"operand 'input': projection has 2 dims but the extent has 3",
       [](Workload &w) { w.operands[0].extent.push_back(2); }},
      {"extent of tensor dim 1 is 0",
       [](Workload &w) { w.operands[1].extent[1] = 0; }},
      {"bytes per element is 0",
       [](Workload &w) { w.operands[2].bytesPerElement = 0; }},
      {"term names loop dim #7 but there are only 3",
       [](Workload &w) { w.operands[0].projection[0].terms[0].dim = 7; }},
      {"loop dim 'M' has a zero coefficient",
       [](Workload &w) { w.operands[0].projection[0].terms[0].coeff = 0; }},
      {"loop dim 'K' occurs twice",
       [](Workload &w) {
         w.operands[0].projection[1].terms.push_back({2, 3});
       }},
      {"read-write operand is indexed by reduction dim 'K'",
       [](Workload &w) {
         w.operands[2].projection[1].terms.push_back({2, 1});
       }},
      {"duplicate operand 'input'",
       [](Workload &w) { w.operands[1].name = "input"; }},
      {"iteration count overflows int64",
       [](Workload &w) {
         for (LoopDim &d : w.dims)
           d.bound = int64_t(1) << 30;
       }},
      {"tensor size in bytes overflows int64",
       [](Workload &w) {
         w.operands[2].extent = {int64_t(1) << 31, int64_t(1) << 31};
       }},
      {"index range overflows int64",
       [](Workload &w) {
         w.operands[0].projection[0].terms[0].coeff =
             std::numeric_limits<int64_t>::max() / 2;
       }},
  };
  for (const Case &c : cases) {
    Workload w = handMatmul();
    c.mutate(w);
    std::string err = errorOf(w.verify());
    EXPECT_NE(err.find(c.expected), std::string::npos)
        << "expected '" << c.expected << "', got '" << err << "'";
    EXPECT_NE(err.find("workload 'mm'"), std::string::npos) << err;
  }
}

TEST(WorkloadTest, ProjectionPrinting) {
  Workload w = handMatmul();
  EXPECT_EQ(w.projectionString(IndexExpr{{{0, 1}}, 0}), "M");
  EXPECT_EQ(w.projectionString(IndexExpr{{{0, 1}}, 2}), "M*1+2");
  EXPECT_EQ(w.projectionString(IndexExpr{{{0, 2}, {2, -1}}, -3}), "M*2-K*1-3");
  EXPECT_EQ(w.projectionString(IndexExpr{{{1, -1}}, 0}), "-N*1");
  EXPECT_EQ(w.projectionString(IndexExpr{{}, 0}), "0");
  EXPECT_EQ(w.projectionString(IndexExpr{{}, -5}), "-5");
}

TEST(WorkloadTest, ProjectionParsingRoundTrips) {
  Workload w = llvm::cantFail(Workload::conv2d(conv3x3(4, 4, 8)));
  for (const char *str : {"N", "C", "P*1+R*1-1", "P*2+R*3", "-R*1+4", "0", "-7",
                          "Q*1+S*2-3", "K*4+C*1"}) {
    llvm::Expected<IndexExpr> expr = w.parseProjection(str);
    ASSERT_TRUE(bool(expr)) << str << ": " << llvm::toString(expr.takeError());
    EXPECT_EQ(w.projectionString(*expr), str);
  }
  // Shorthands are accepted and printed canonically.
  IndexExpr e = llvm::cantFail(w.parseProjection(" P + R - 1 "));
  EXPECT_EQ(w.projectionString(e), "P*1+R*1-1");
  e = llvm::cantFail(w.parseProjection("1+P"));
  EXPECT_EQ(w.projectionString(e), "P*1+1");

  for (auto [str, why] : {std::pair{"", "empty expression"},
                          {"X", "unknown loop dim 'X'"},
                          {"P*0", "zero coefficient"},
                          {"P+P", "occurs twice"},
                          {"P*", "bad coefficient"},
                          {"P+", "missing term"},
                          {"P R", "unknown loop dim 'P R'"}}) {
    std::string err = errorOf(w.parseProjection(str));
    EXPECT_NE(err.find(why), std::string::npos)
        << "'" << str << "': got '" << err << "'";
  }
}

TEST(WorkloadTest, CanonicalKeyIgnoresNames) {
  Conv2dSpec s = conv3x3(16, 32, 28);
  Workload a = llvm::cantFail(Workload::conv2d(s));
  s.name = "other_layer";
  s.inputTensor = "x7";
  s.weightTensor = "w7";
  s.outputTensor = "y7";
  Workload b = llvm::cantFail(Workload::conv2d(s));
  b.dims[0].name = "batch";
  b.operands[0].name = "ifmap";
  EXPECT_EQ(a.getCanonicalKey(), b.getCanonicalKey());
  EXPECT_EQ(a.getCanonicalHash(), b.getCanonicalHash());

  // Term order inside an expression does not matter.
  std::swap(b.operands[0].projection[2].terms[0],
            b.operands[0].projection[2].terms[1]);
  EXPECT_EQ(a.getCanonicalKey(), b.getCanonicalKey());

  // Anything the cost model sees does.
  auto differs = [&](auto mutate) {
    Workload c = a;
    mutate(c);
    return c.getCanonicalKey() != a.getCanonicalKey() &&
           c.getCanonicalHash() != a.getCanonicalHash();
  };
  EXPECT_TRUE(differs([](Workload &c) { c.dims[1].bound = 31; }));
  EXPECT_TRUE(
      differs([](Workload &c) { c.dims[1].kind = LoopKind::Reduction; }));
  EXPECT_TRUE(differs([](Workload &c) { c.operands[1].bytesPerElement = 2; }));
  EXPECT_TRUE(
      differs([](Workload &c) { c.operands[0].projection[2].constant = 0; }));
  EXPECT_TRUE(differs(
      [](Workload &c) { c.operands[0].projection[2].terms[0].coeff = 2; }));
  EXPECT_TRUE(differs([](Workload &c) { c.operands[0].extent[3] = 29; }));
  EXPECT_TRUE(differs(
      [](Workload &c) { c.operands[0].role = OperandRole::ReadWrite; }));
  EXPECT_TRUE(differs([](Workload &c) { std::swap(c.dims[1], c.dims[2]); }));
  // Swapping two identical dims is a renaming: the same problem.
  EXPECT_FALSE(differs([](Workload &c) { std::swap(c.dims[5], c.dims[6]); }));
}

TEST(WorkloadTest, StrMentionsEverything) {
  Workload w = llvm::cantFail(Workload::matmul(2, 3, 4));
  std::string s = w.str();
  EXPECT_NE(s.find("workload 'matmul' (matmul)"), std::string::npos) << s;
  EXPECT_NE(s.find("K=4(r)"), std::string::npos) << s;
  EXPECT_NE(s.find("output 'C' readwrite 1B [M, N] extent [2, 3]"),
            std::string::npos)
      << s;
  EXPECT_EQ(stringifyLoopKind(LoopKind::Reduction), "reduction");
  EXPECT_EQ(symbolizeOperandRole("readwrite"), OperandRole::ReadWrite);
  EXPECT_EQ(symbolizeOperandRole("write"), std::nullopt);
}

} // namespace

//===----------------------------------------------------------------------===//
// Touched elements and the compulsory DRAM traffic (the lower bound)
//===----------------------------------------------------------------------===//

namespace {

/// The oracle, from the convolution's definition (not from the workload's
/// projections): the input elements some output pixel's window reads, the
/// weights, the outputs.
struct ConvTouched {
  int64_t input = 0, weight = 0, output = 0;
};
ConvTouched bruteForceConv(const romac::Conv2dSpec &s) {
  int64_t p =
      (s.h + s.padTop + s.padBottom - (s.r - 1) * s.dilationH - 1) / s.strideH +
      1;
  int64_t q =
      (s.w + s.padLeft + s.padRight - (s.s - 1) * s.dilationW - 1) / s.strideW +
      1;
  std::vector<bool> rows(s.h, false), cols(s.w, false);
  for (int64_t y = 0; y < p; ++y)
    for (int64_t r = 0; r < s.r; ++r) {
      int64_t h = y * s.strideH + r * s.dilationH - s.padTop;
      if (h >= 0 && h < s.h)
        rows[h] = true;
    }
  for (int64_t x = 0; x < q; ++x)
    for (int64_t t = 0; t < s.s; ++t) {
      int64_t w = x * s.strideW + t * s.dilationW - s.padLeft;
      if (w >= 0 && w < s.w)
        cols[w] = true;
    }
  ConvTouched c;
  int64_t hs = std::count(rows.begin(), rows.end(), true);
  int64_t ws = std::count(cols.begin(), cols.end(), true);
  c.input = s.n * s.c * hs * ws;
  c.weight = s.k * (s.c / s.groups) * s.r * s.s;
  c.output = s.n * s.k * p * q;
  return c;
}

TEST(WorkloadTest, TouchedElementsMatchTheConvolutionsDefinition) {
  std::mt19937 rng(5);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int strided = 0;
  for (int trial = 0; trial < 200; ++trial) {
    romac::Conv2dSpec s;
    s.n = pick(1, 2);
    s.c = pick(1, 4);
    s.k = pick(1, 5);
    s.h = pick(3, 20);
    s.w = pick(3, 20);
    s.r = pick(1, 3);
    s.s = pick(1, 3);
    s.strideH = pick(1, 5);
    s.strideW = pick(1, 5);
    s.dilationH = pick(1, 2);
    s.dilationW = pick(1, 2);
    s.padTop = pick(0, 2);
    s.padBottom = pick(0, 2);
    s.padLeft = pick(0, 2);
    s.padRight = pick(0, 2);
    if ((s.r - 1) * s.dilationH + 1 > s.h + s.padTop + s.padBottom ||
        (s.s - 1) * s.dilationW + 1 > s.w + s.padLeft + s.padRight)
      continue;
    strided += s.strideH > (s.r - 1) * s.dilationH + 1;
    llvm::Expected<romac::Workload> w = romac::Workload::conv2d(s);
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    ConvTouched want = bruteForceConv(s);
    unsigned in = *w->findOperand("input"), wt = *w->findOperand("weight"),
             out = *w->findOperand("output");
    EXPECT_EQ(w->getTouchedElements(in), want.input) << w->str();
    EXPECT_EQ(w->getTouchedElements(wt), want.weight);
    EXPECT_EQ(w->getTouchedElements(out), want.output);
    EXPECT_EQ(w->getCompulsoryDramBytes(), want.input * s.inputBytes +
                                               want.weight * s.weightBytes +
                                               want.output * s.outputBytes);
  }
  // Windows with gaps between them were among the cases.
  EXPECT_GT(strided, 10);
}

TEST(WorkloadTest, CompulsoryBytesOfAMatmul) {
  llvm::Expected<romac::Workload> w = romac::Workload::matmul(3, 5, 7, 2);
  ASSERT_TRUE(static_cast<bool>(w));
  EXPECT_EQ(w->getCompulsoryDramBytes(), 2 * (3 * 7 + 7 * 5 + 3 * 5));
  // One tensor read through two operands counts once.
  w->operands[1].tensor = w->operands[0].tensor;
  w->operands[1].extent = w->operands[0].extent;
  w->operands[1].projection = w->operands[0].projection;
  EXPECT_EQ(w->getCompulsoryDramBytes(), 2 * (3 * 7 + 3 * 5));
}

} // namespace
