//===- Vectorize.cpp - element-wise and reductions on vectors --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-vectorize: every linalg.generic and fill left on buffers after the
// contractions became kernel calls (element-wise chains, broadcasts, the
// reductions of norms and softmax, padded buffers' zeros) has its
// contiguous innermost loops collapsed into one, is tiled to one vector
// along that loop (its remainder one shorter vector) and vectorized with
// upstream's linalg vectorizer (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Whether every operand of \p op is a memref or a scalar, read through a
/// projected permutation (no windows).
bool hasPlainBuffers(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0)
    return false;
  return llvm::all_of(op->getOpOperands(), [&](OpOperand &operand) {
    // Scalars (a fill's value) are broadcast. A vector of i1 is packed in
    // bits where a buffer of i1 holds bytes: booleans stay loops.
    Type type = operand.get().getType();
    Type element = getElementTypeOrSelf(type);
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() < 8)
      return false;
    return (isa<MemRefType>(type) || !isa<ShapedType>(type)) &&
           op.getMatchingIndexingMap(&operand).isProjectedPermutation();
  });
}

/// How many innermost loops of \p op can be one loop: all parallel and
/// statically bounded, and every operand either walks all of them as its
/// last dims, in order, contiguous in memory (a [C, H, W] activation), or
/// none of them (a per-channel bias). 1 when no two can.
unsigned getCollapsibleLoops(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned best = 1;
  for (unsigned count = 2; count <= loops; ++count) {
    unsigned first = loops - count;
    bool ok = true;
    for (unsigned loop = first; loop < loops && ok; ++loop)
      ok = iterators[loop] == utils::IteratorType::parallel &&
           !ShapedType::isDynamic(bounds[loop]);
    for (OpOperand &operand : op->getOpOperands()) {
      if (!ok)
        break;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      unsigned uses = 0;
      for (unsigned loop = first; loop < loops; ++loop)
        uses += map.isFunctionOfDim(loop);
      if (uses == 0)
        continue;
      unsigned results = map.getNumResults();
      if (uses != count || results < count) {
        ok = false;
        break;
      }
      auto type = cast<MemRefType>(operand.get().getType());
      int64_t offset;
      SmallVector<int64_t> strides;
      if (failed(type.getStridesAndOffset(strides, offset))) {
        ok = false;
        break;
      }
      for (unsigned i = 0; i < count && ok; ++i) {
        unsigned result = results - count + i;
        ok = map.getResult(result) ==
             getAffineDimExpr(first + i, op.getContext());
        // Row r + 1 starts where row r ends.
        if (ok && i + 1 < count)
          ok = !ShapedType::isDynamic(strides[result]) &&
               !ShapedType::isDynamic(strides[result + 1]) &&
               !type.isDynamicDim(result + 1) &&
               strides[result] ==
                   strides[result + 1] * type.getDimSize(result + 1);
      }
    }
    if (!ok)
      break;
    best = count;
  }
  return best;
}

/// Whether every operand either walks the innermost loop along its own
/// last, contiguous dim, or does not depend on it (a broadcast, or the
/// output of a reduction over it): each vector is one contiguous load or
/// store.
bool isContiguousAlongInnermost(linalg::GenericOp op) {
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(inner))
      continue;
    auto type = cast<MemRefType>(operand.get().getType());
    if (map.getNumResults() == 0 ||
        map.getResult(map.getNumResults() - 1) !=
            getAffineDimExpr(inner, op.getContext()))
      return false;
    int64_t offset;
    SmallVector<int64_t> strides;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return false;
  }
  return true;
}

/// How the innermost loop of bound \p bound is cut into vectors.
struct VectorSplit {
  int64_t length = 0;    ///< lanes of each vector of the main part
  int64_t remainder = 0; ///< the last elements, as one shorter vector
};

/// The largest multiple of `lanes` up to 4 * `lanes` that divides the main
/// part (the bound less its remainder modulo `lanes`); a bound below
/// `lanes` is one vector of its own length.
VectorSplit getVectorSplit(int64_t bound, int64_t lanes) {
  VectorSplit split;
  split.remainder = bound % lanes;
  int64_t main = bound - split.remainder;
  if (main == 0)
    return {bound, 0};
  for (int64_t length = 4 * lanes; length >= lanes; length -= lanes)
    if (main % length == 0)
      return {length, split.remainder};
  return split; // unreachable: lanes divides main
}

/// The least innermost bound that is vectorized.
constexpr int64_t kMinVector = 4;

/// Two copies of \p op, on [0, point) and [point, bound) of its innermost
/// loop, in one scf.execute_region: each operand that walks that loop is
/// viewed on its part. None when such an operand has a dynamic shape or the
/// body reads its indices.
std::optional<std::pair<linalg::GenericOp, linalg::GenericOp>>
splitInnermost(RewriterBase &rewriter, linalg::GenericOp op, int64_t point) {
  unsigned inner = op.getNumLoops() - 1;
  int64_t bound = op.getStaticLoopRanges()[inner];
  // A part's linalg.index would count from its own start.
  if (op.hasIndexSemantics())
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (op.getMatchingIndexingMap(&operand).isFunctionOfDim(inner) &&
        !cast<MemRefType>(operand.get().getType()).hasStaticShape())
      return std::nullopt;
  // Both parts in one region: one loop nest, outlined as one kernel.
  rewriter.setInsertionPoint(op);
  auto region =
      scf::ExecuteRegionOp::create(rewriter, op.getLoc(), TypeRange{});
  Block *body = rewriter.createBlock(&region.getRegion());
  scf::YieldOp::create(rewriter, op.getLoc());
  rewriter.setInsertionPointToStart(body);
  auto makePart = [&](int64_t begin, int64_t size) {
    SmallVector<Value> operands;
    for (OpOperand &operand : op->getOpOperands()) {
      Value value = operand.get();
      if (op.getMatchingIndexingMap(&operand).isFunctionOfDim(inner)) {
        auto type = cast<MemRefType>(value.getType());
        SmallVector<OpFoldResult> offsets(type.getRank(),
                                          rewriter.getIndexAttr(0));
        SmallVector<OpFoldResult> strides(type.getRank(),
                                          rewriter.getIndexAttr(1));
        SmallVector<OpFoldResult> sizes;
        for (int64_t size : type.getShape())
          sizes.push_back(rewriter.getIndexAttr(size));
        offsets.back() = rewriter.getIndexAttr(begin);
        sizes.back() = rewriter.getIndexAttr(size);
        value = memref::SubViewOp::create(rewriter, op.getLoc(), value, offsets,
                                          sizes, strides);
      }
      operands.push_back(value);
    }
    Operation *part = rewriter.clone(*op);
    part->setOperands(operands);
    return cast<linalg::GenericOp>(part);
  };
  linalg::GenericOp first = makePart(0, point);
  linalg::GenericOp second = makePart(point, bound - point);
  rewriter.eraseOp(op);
  return std::make_pair(first, second);
}

/// \p op with every operand's unit dims that its map reads at constant 0
/// (GroupNorm's [C, 1, 1] scale and shift, a [N, G, 1] mean) collapsed
/// away, so that its map is a projected permutation; \p op itself when no
/// operand has such dims.
linalg::GenericOp dropConstantUnitDims(RewriterBase &rewriter,
                                       linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return op;
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  bool changed = false;
  rewriter.setInsertionPoint(op);
  for (OpOperand &operand : op->getOpOperands()) {
    Value value = operand.get();
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(value.getType());
    SmallVector<bool> drop(map.getNumResults(), false);
    bool any = false, all = true;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      auto constant = dyn_cast<AffineConstantExpr>(expr);
      drop[i] = type && constant && constant.getValue() == 0 &&
                type.getDimSize(i) == 1;
      any |= drop[i];
      all &= drop[i];
    }
    if (!any || all) {
      operands.push_back(value);
      maps.push_back(map);
      continue;
    }
    // Each dropped dim joins the kept dim before it (or after it, at the
    // front).
    SmallVector<ReassociationIndices> groups;
    SmallVector<AffineExpr> results;
    ReassociationIndices leading;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      if (drop[i]) {
        if (groups.empty())
          leading.push_back(i);
        else
          groups.back().push_back(i);
        continue;
      }
      ReassociationIndices group = leading;
      leading.clear();
      group.push_back(i);
      groups.push_back(group);
      results.push_back(expr);
    }
    value =
        memref::CollapseShapeOp::create(rewriter, op.getLoc(), value, groups);
    operands.push_back(value);
    maps.push_back(AffineMap::get(map.getNumDims(), map.getNumSymbols(),
                                  results, op.getContext()));
    changed = true;
  }
  if (!changed)
    return op;
  unsigned numInputs = op.getNumDpsInputs();
  auto generic =
      linalg::GenericOp::create(rewriter, op.getLoc(), TypeRange{},
                                ValueRange(operands).take_front(numInputs),
                                ValueRange(operands).drop_front(numInputs),
                                maps, op.getIteratorTypesArray());
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                              generic.getRegion().end());
  rewriter.eraseOp(op);
  return generic;
}

/// A generic that stays loops (a transpose, a gather through linalg.index:
/// ONNX's Resize) and reads through projected permutations gets its first
/// loop of several iterations, when that loop is parallel, as an scf.for of
/// one iteration per step, marked for romac-parallelize-kernels; the rest
/// stays the generic. Nothing for dynamic shapes.
void tileForThreads(RewriterBase &rewriter, linalg::GenericOp op) {
  // Projected permutations only: a tile's slice of a window or a reversed
  // read (x * -2 + 19) is not what tileUsingSCF's slice computation makes.
  if (!op.hasPureBufferSemantics() || op.getNumLoops() < 2 ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return;
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  if (llvm::any_of(bounds, ShapedType::isDynamic))
    return;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned dim = 0; dim < bounds.size(); ++dim) {
    if (bounds[dim] < 2)
      continue;
    if (iterators[dim] != utils::IteratorType::parallel)
      return;
    SmallVector<int64_t> sizes(bounds.size(), 0);
    sizes[dim] = 1;
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), sizes));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return;
    rewriter.eraseOp(op);
    for (LoopLikeOpInterface loop : tiled->loops)
      loop->setAttr(romac::RomacDialect::getParallelAttrName(),
                    rewriter.getUnitAttr());
    return;
  }
}

struct VectorizePass
    : public romac::impl::RomacVectorizePassBase<VectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    if (lanes < 1) {
      getOperation().emitError("romac-vectorize: lanes must be at least 1");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    // A fill (a padded buffer's zeros, a pool's -inf), a transpose and a
    // broadcast are generics too.
    SmallVector<linalg::LinalgOp> fills;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::FillOp, linalg::MapOp, linalg::TransposeOp,
              linalg::BroadcastOp>(op.getOperation()) &&
          op.hasPureBufferSemantics())
        fills.push_back(op);
    });
    for (linalg::LinalgOp fill : fills) {
      rewriter.setInsertionPoint(fill);
      (void)linalg::generalizeNamedOp(rewriter, fill);
    }

    SmallVector<linalg::GenericOp> generics, candidates;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      linalg::GenericOp plain = dropConstantUnitDims(rewriter, op);
      if (hasPlainBuffers(plain))
        candidates.push_back(plain);
      else
        tileForThreads(rewriter, plain);
    }
    bool changed = false;
    for (linalg::GenericOp op : candidates) {
      // The tiles have the op's body and maps, with static shapes: they
      // vectorize when the whole op would.
      if (failed(linalg::vectorizeOpPrecondition(op))) {
        tileForThreads(rewriter, op);
        continue;
      }
      // [C, 7, 7] with a per-channel bias is [C, 49]: longer vectors.
      if (unsigned count = getCollapsibleLoops(op); count > 1) {
        unsigned loops = op.getNumLoops();
        ReassociationIndices group;
        for (unsigned loop = loops - count; loop < loops; ++loop)
          group.push_back(loop);
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::CollapseResult> collapsed =
            linalg::collapseOpIterationDims(op, {group}, rewriter);
        if (succeeded(collapsed)) {
          rewriter.eraseOp(op);
          op = cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
        }
      }
      int64_t bound = op.getStaticLoopRanges().back();
      if (ShapedType::isDynamic(bound) || bound < kMinVector ||
          !isContiguousAlongInnermost(op)) {
        tileForThreads(rewriter, op);
        continue;
      }
      VectorSplit split = getVectorSplit(bound, lanes);
      SmallVector<std::pair<linalg::GenericOp, int64_t>> parts = {
          {op, split.length}};
      if (split.remainder) {
        // The main part in vectors of `length`, the rest as one vector.
        std::optional<std::pair<linalg::GenericOp, linalg::GenericOp>> halves =
            splitInnermost(rewriter, op, bound - split.remainder);
        if (!halves) {
          tileForThreads(rewriter, op);
          continue;
        }
        parts = {{halves->first, split.length},
                 {halves->second, split.remainder}};
      }
      for (auto [part, length] : parts) {
        // A last element of its own stays a loop (a 0-d vector).
        if (length == 1)
          continue;
        // One vector of the innermost loop per tile; every other loop
        // steps by one.
        SmallVector<int64_t> vectorShape(part.getNumLoops(), 1);
        vectorShape.back() = length;
        scf::SCFTilingOptions options;
        options.setTileSizes(
            getAsIndexOpFoldResult(&getContext(), vectorShape));
        rewriter.setInsertionPoint(part);
        FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(part.getOperation()), options);
        if (failed(tiled))
          continue;
        SmallVector<utils::IteratorType> iterators =
            part.getIteratorTypesArray();
        rewriter.eraseOp(part);
        changed = true;
        // Each loop of a parallel dim may be split over the threads
        // (romac-parallelize-kernels). The loops follow the dims.
        if (parts.size() == 1 && tiled->loops.size() == iterators.size())
          for (auto [loop, iterator] : llvm::zip(tiled->loops, iterators))
            if (iterator == utils::IteratorType::parallel)
              loop->setAttr(romac::RomacDialect::getParallelAttrName(),
                            rewriter.getUnitAttr());
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
    }
    if (!changed)
      return;

    // A reduction over unit dims only (a [red, par] generic's tile of 1 x
    // N: a max over rows into a vector of partial maxima) is the
    // element-wise op of its combiner, folded before the lowering below
    // would take it apart lane by lane.
    {
      RewritePatternSet folds(&getContext());
      vector::MultiDimReductionOp::getCanonicalizationPatterns(folds,
                                                               &getContext());
      if (failed(applyPatternsGreedily(getOperation(), std::move(folds))))
        return signalPassFailure();
    }
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
