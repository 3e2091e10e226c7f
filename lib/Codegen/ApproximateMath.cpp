//===- ApproximateMath.cpp - math functions as polynomials ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-approximate-math: the f32 transcendental functions of the networks
// (exp in softmax and SiLU, erf in GELU, tanh, log) become upstream MLIR's
// polynomial approximations, plain arithmetic that LLVM's loop vectorizer
// turns into AVX-512 / AVX2 code, instead of one libm call per element.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace romac {
#define GEN_PASS_DEF_ROMACAPPROXIMATEMATHPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public romac::impl::RomacApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return llvm::is_contained({"math.exp", "math.expm1", "math.log",
                                 "math.log1p", "math.log2", "math.erf",
                                 "math.tanh"},
                                name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
