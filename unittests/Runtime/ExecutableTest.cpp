//===- ExecutableTest.cpp - JIT-compiled models against references -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Executable compiles small modules (a tiled matmul, a matmul on a weight
// that the runtime binds by symbol, its weight packed ahead) and runs
// them; the outputs are checked against plain loops written here, in
// double precision.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Executable.h"
#include "romac/InitRomac.h"
#include "romac/Runtime/Kernels.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace mlir;
using namespace romac;

namespace {

/// out[M,N] = a[M,K] * b[K,N] in double precision.
std::vector<double> referenceMatmul(const float *a, const float *b, int64_t m,
                                    int64_t n, int64_t k) {
  std::vector<double> out(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t l = 0; l < k; ++l)
        out[i * n + j] += double(a[i * k + l]) * double(b[l * n + j]);
  return out;
}

/// A 37x23 by 23x19 matmul whose mapping tiles M by 8, N by 16 and K by 4
/// (none divides its bound, so the last tiles are partial).
constexpr const char *kTiledMatmul = R"mlir(
  func.func @main(%a: tensor<37x23xf32> {onnx.name = "a"},
                  %b: tensor<23x19xf32> {onnx.name = "b"})
      -> (tensor<37x19xf32> {onnx.name = "c"}) {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<37x19xf32>
    %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x19xf32>) -> tensor<37x19xf32>
    %c = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary,
           tile = array<i64: 8, 16, 4>, order = array<i64: 1, 0, 2>>}
         ins(%a, %b : tensor<37x23xf32>, tensor<23x19xf32>)
         outs(%init : tensor<37x19xf32>) -> tensor<37x19xf32>
    return %c : tensor<37x19xf32>
  })mlir";

void runTiledMatmul(bool tile) {
  DialectRegistry registry;
  registerRomacDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kTiledMatmul, &ctx);
  ASSERT_TRUE(module);
  ExecutableOptions options;
  options.tile = tile;
  auto exe = Executable::compile(*module, options);
  ASSERT_TRUE(bool(exe)) << llvm::toString(exe.takeError());
  ASSERT_EQ((*exe)->getInputs().size(), 2u);
  EXPECT_EQ((*exe)->getInputs()[0].str(), "a: float32[37, 23]");
  EXPECT_EQ((*exe)->getOutputs()[0].str(), "c: float32[37, 19]");
  Tensor a = makeRandomTensor(ElementType::F32, {37, 23}, 1);
  Tensor b = makeRandomTensor(ElementType::F32, {23, 19}, 2);
  Tensor c(ElementType::F32, {37, 19});
  ASSERT_FALSE(bool((*exe)->run({a.data(), b.data()}, {c.data()})));
  std::vector<double> ref =
      referenceMatmul(a.dataAs<float>(), b.dataAs<float>(), 37, 19, 23);
  for (int64_t i = 0; i < 37 * 19; ++i)
    ASSERT_NEAR(c.dataAs<float>()[i], ref[i], 1e-5) << "element " << i;
}

TEST(Executable, TiledMatmulMatchesPlainLoops) { runTiledMatmul(true); }
TEST(Executable, UntiledMatmulMatchesPlainLoops) { runTiledMatmul(false); }

/// `@main(x: rows x 16) = x * w` with w a 16x8 constant of the values
/// `value(i)` (not a splat: it becomes a weight bound by symbol).
std::string getWeightMatmul(int64_t rows, std::vector<float> &w,
                            float (*value)(int)) {
  std::string values;
  w.resize(16 * 8);
  for (int i = 0; i < 16 * 8; ++i) {
    w[i] = value(i);
    values += (i ? ", " : "") + llvm::formatv("{0:e}", w[i]).str();
  }
  std::string x = llvm::formatv("tensor<{0}x16xf32>", rows).str(),
              y = llvm::formatv("tensor<{0}x8xf32>", rows).str();
  return R"mlir(
    func.func @main(%x: )mlir" +
         x + R"mlir( {onnx.name = "x"}) -> )mlir" + y + R"mlir( {
      %w = arith.constant dense<[)mlir" +
         values + R"mlir(]> : tensor<128xf32>
      %w2 = tensor.expand_shape %w [[0, 1]] output_shape [16, 8] : tensor<128xf32> into tensor<16x8xf32>
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : )mlir" +
         y + R"mlir(
      %init = linalg.fill ins(%zero : f32) outs(%e : )mlir" +
         y + ") -> " + y + R"mlir(
      %y = linalg.matmul ins(%x, %w2 : )mlir" +
         x + R"mlir(, tensor<16x8xf32>)
           outs(%init : )mlir" +
         y + ") -> " + y + R"mlir(
      return %y : )mlir" +
         y + R"mlir(
    })mlir";
}

/// getWeightMatmul(rows, value) compiled (JIT), with its weight and the
/// context that holds it.
struct WeightMatmul {
  WeightMatmul(int64_t rows, float (*value)(int)) : rows(rows) {
    DialectRegistry registry;
    registerRomacDialects(registry);
    ctx = std::make_unique<MLIRContext>(registry);
    module =
        parseSourceString<ModuleOp>(getWeightMatmul(rows, w, value), &*ctx);
    EXPECT_TRUE(module);
    if (!module)
      return;
    auto compiled = Executable::compile(*module);
    if (!compiled) {
      ADD_FAILURE() << llvm::toString(compiled.takeError());
      return;
    }
    exe = std::move(*compiled);
  }

  /// Runs it on seeded values and compares with double loops.
  void expectRight(unsigned seed) {
    Tensor x = makeRandomTensor(ElementType::F32, {rows, 16}, seed);
    Tensor y(ElementType::F32, {rows, 8});
    ASSERT_FALSE(bool(exe->run({x.data()}, {y.data()})));
    std::vector<double> ref =
        referenceMatmul(x.dataAs<float>(), w.data(), rows, 8, 16);
    for (int64_t i = 0; i < rows * 8; ++i)
      ASSERT_NEAR(y.dataAs<float>()[i], ref[i], 1e-5) << "element " << i;
  }

  int64_t rows;
  std::vector<float> w;
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<Executable> exe;
};

TEST(Executable, WeightsAreBoundBySymbol) {
  // A 16x8 weight (512 bytes, not a splat) becomes an external symbol bound
  // to the data the module holds.
  WeightMatmul m(3, [](int i) { return 0.25f * (i % 7) - 0.5f; });
  ASSERT_TRUE(m.exe);
  EXPECT_EQ(m.exe->getWeightBytes(), 512);
  EXPECT_EQ(m.exe->getOutputs()[0].str(), "output_0: float32[3, 8]");
  m.expectRight(3);
}

TEST(Executable, PackWeightsPacksAheadOfTheFirstRun) {
  // A 16x8 weight times a 32x16 input (rows enough for the packed-B
  // GEMM): packWeights() packs it without computing; the run that follows
  // packs nothing more and is right.
  WeightMatmul m(32, [](int i) { return 0.125f * (i % 11) - 0.5f; });
  ASSERT_TRUE(m.exe);
  kernels::clearPackedConstants();
  ASSERT_FALSE(bool(m.exe->packWeights()));
  EXPECT_FALSE(kernels::isPackingPass());
  int64_t packed = kernels::getPackedConstantBytes();
  EXPECT_GT(packed, 0);
  m.expectRight(4);
  EXPECT_EQ(kernels::getPackedConstantBytes(), packed);
}

TEST(Executable, SignatureErrors) {
  DialectRegistry registry;
  registerRomacDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> dynamic = parseSourceString<ModuleOp>(R"mlir(
    func.func @main(%x: tensor<?x4xf32> {onnx.name = "x"}) -> tensor<?x4xf32> {
      return %x : tensor<?x4xf32>
    })mlir",
                                                              &ctx);
  ASSERT_TRUE(dynamic);
  auto sig = getModelSignature(*dynamic);
  ASSERT_FALSE(bool(sig));
  EXPECT_EQ(llvm::toString(sig.takeError()),
            "'x' is not a tensor of static shape");
  OwningOpRef<ModuleOp> noMain =
      parseSourceString<ModuleOp>("func.func @f() { return }", &ctx);
  ASSERT_TRUE(noMain);
  auto exe = Executable::compile(*noMain);
  ASSERT_FALSE(bool(exe));
  EXPECT_EQ(llvm::toString(exe.takeError()),
            "the module has no function @main to run");
}

} // namespace
