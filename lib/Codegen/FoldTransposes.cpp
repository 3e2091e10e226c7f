//===- FoldTransposes.cpp - transposed operands as matmul maps --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-fold-transposes: a linalg.transpose that swaps the last two dims of
// a matmul's or batch_matmul's operand (ONNX Gemm with transB, attention's
// K^T) and has no other use folds into the op's indexing map, so no
// transposed copy is made at run time (for a fully connected layer, a copy
// of all its weights on every run); romac-lower-to-kernels passes the
// operand to the kernel as a transposed strided view.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "MatmulMaps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace romac {
#define GEN_PASS_DEF_ROMACFOLDTRANSPOSESPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// The source of `value` when it is a single-use linalg.transpose that
/// swaps the last two dims and keeps the others; else a null value.
Value getSwappedSource(Value value) {
  auto transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose->getResult(0).hasOneUse())
    return {};
  ArrayRef<int64_t> perm = transpose.getPermutation();
  int64_t rank = perm.size();
  if (rank < 2)
    return {};
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (perm[i] != i)
      return {};
  if (perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return {};
  return transpose.getInput();
}

template <typename OpTy> struct FoldIntoMaps : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.hasUserDefinedMaps() || !op.hasPureTensorSemantics())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<Value> inputs(op.getInputs());
    bool changed = false;
    for (unsigned i = 0; i < 2; ++i)
      if (Value source = getSwappedSource(inputs[i])) {
        inputs[i] = source;
        maps[i] = romac::swapLastTwoResults(maps[i]);
        changed = true;
      }
    if (!changed)
      return failure();
    SmallVector<NamedAttribute> attrs(op->getDiscardableAttrs());
    attrs.push_back(rewriter.getNamedAttr(
        "indexing_maps", rewriter.getAffineMapArrayAttr(maps)));
    auto folded = OpTy::create(rewriter, op.getLoc(), op->getResultTypes(),
                               inputs, op.getOutputs(), attrs);
    rewriter.replaceOp(op, folded->getResults());
    return success();
  }
};

struct FoldTransposesPass
    : public romac::impl::RomacFoldTransposesPassBase<FoldTransposesPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoMaps<linalg::MatmulOp>,
                 FoldIntoMaps<linalg::BatchMatmulOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
