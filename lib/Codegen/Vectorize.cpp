//===- Vectorize.cpp - element-wise and reductions on vectors --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-vectorize: every linalg.generic left on buffers after the
// contractions became kernel calls (element-wise chains, broadcasts, the
// reductions of norms and softmax) is tiled to one vector along its
// innermost loop and vectorized with upstream's linalg vectorizer (see
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace romac {
#define GEN_PASS_DEF_ROMACVECTORIZEPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// The vector length of `op` along its innermost loop: the largest multiple
/// of `lanes` up to 4 * `lanes` that divides the loop's static bound (0 when
/// none does, or when the op is not one this pass handles).
int64_t getVectorLength(linalg::GenericOp op, int64_t lanes) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0)
    return 0;
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  unsigned inner = bounds.size() - 1;
  if (ShapedType::isDynamic(bounds[inner]))
    return 0;
  // Every operand either walks the innermost loop along its own last,
  // contiguous dim, or does not depend on it (a broadcast, or the output of
  // a reduction over it): the vector is one contiguous load or store.
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return 0;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return 0;
    bool uses = map.isFunctionOfDim(inner);
    if (!uses)
      continue;
    if (map.getNumResults() == 0 ||
        map.getResult(map.getNumResults() - 1) !=
            getAffineDimExpr(inner, op.getContext()))
      return 0;
    int64_t offset;
    SmallVector<int64_t> strides;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return 0;
  }
  for (int64_t length = 4 * lanes; length >= lanes; length -= lanes)
    if (bounds[inner] % length == 0)
      return length;
  return 0;
}

struct VectorizePass
    : public romac::impl::RomacVectorizePassBase<VectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    if (lanes < 1) {
      getOperation().emitError("romac-vectorize: lanes must be at least 1");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, int64_t>> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (int64_t length = getVectorLength(op, lanes))
        candidates.push_back({op, length});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, length] : candidates) {
      // One vector of the innermost loop per tile; every other loop steps
      // by one.
      SmallVector<int64_t> vectorShape(op.getNumLoops(), 1);
      vectorShape.back() = length;
      // The tiles have the op's body and maps, with static shapes: they
      // vectorize when the whole op would.
      if (failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), vectorShape));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue;
      rewriter.eraseOp(op);
      for (Operation *tile : tiled->tiledOps) {
        rewriter.setInsertionPoint(tile);
        FailureOr<linalg::VectorizationResult> vectorized =
            linalg::vectorize(rewriter, tile);
        if (failed(vectorized)) {
          tile->emitOpError("romac-vectorize: a tile passed the "
                            "precondition but did not vectorize");
          return signalPassFailure();
        }
        rewriter.eraseOp(tile);
      }
    }
    if (candidates.empty())
      return;

    // One-dimensional vectors of loads and stores, and each reduction a
    // vector.reduction (a tree when lowered with reassociation), as
    // convert-vector-to-llvm takes them: the tiles are 1 x ... x 1 x N.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorTransferDropUnitDimsPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    // The vector ops' folds (a broadcast of one element read through a
    // transpose is a broadcast).
    for (RegisteredOperationName op : getContext().getRegisteredOperations())
      if (op.getDialectNamespace() ==
          vector::VectorDialect::getDialectNamespace())
        op.getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
