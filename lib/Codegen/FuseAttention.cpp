//===- FuseAttention.cpp - attention's chain as romac.attention -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-fuse-attention (see Passes.td): Q K^T, a constant scale, the
// softmax over the keys as the importer writes it (max, exp of the
// difference, sum, divide) and the product with V become one
// romac.attention, which the runtime computes without storing the scores.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "MatmulMaps.h"
#include "romac/Dialect/Romac/Analysis/ConstantMatchers.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace romac {
#define GEN_PASS_DEF_ROMACFUSEATTENTIONPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// (d0, d1, d2) -> (d0, d1, 0): a [B, M, 1] operand broadcast over the keys.
AffineMap getRowBroadcastMap(MLIRContext *ctx) {
  return AffineMap::get(3, 0,
                        {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                         getAffineConstantExpr(0, ctx)},
                        ctx);
}

/// The one op the body of \p generic yields, with its operands; null unless
/// the body is that op and the yield.
Operation *getYieldedOp(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return nullptr;
  return yield.getOperand(0).getDefiningOp();
}

/// Whether \p generic is element-wise over rank 3 with one output (identity
/// map, all loops parallel), its first input read through the identity and
/// its second as a [B, M, 1] tensor broadcast over the last dim (the
/// importer writes the identity map when that dim is 1).
bool isRowBroadcastElementwise(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumDpsInputs() != 2 ||
      generic.getNumLoops() != 3 || generic.getNumReductionLoops() != 0)
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[0].isIdentity() || !maps[2].isIdentity())
    return false;
  return maps[1] == getRowBroadcastMap(generic.getContext()) ||
         (maps[1].isIdentity() && generic.getStaticLoopRanges()[2] == 1);
}

/// If \p value is `tensor.expand_shape` [B, M] -> [B, M, 1] of a reduction
/// over the last of three loops (identity input map, init a fill of a
/// constant) whose body combines the accumulator and the element with
/// CombineOp (either order), the reduction; else null.
template <typename... CombineOps>
linalg::GenericOp matchRowReduction(Value value, Value input,
                                    float &initValue) {
  auto expand = value.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !expand.getSrc().hasOneUse() ||
      expand.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0}, {1, 2}})
    return nullptr;
  auto reduce = expand.getSrc().getDefiningOp<linalg::GenericOp>();
  if (!reduce || reduce.getNumDpsInputs() != 1 ||
      reduce.getNumDpsInits() != 1 || reduce.getDpsInputs()[0] != input ||
      reduce.getNumLoops() != 3 || reduce.getNumReductionLoops() != 1 ||
      reduce.getIteratorTypesArray()[2] != utils::IteratorType::reduction)
    return nullptr;
  MLIRContext *ctx = value.getContext();
  SmallVector<AffineMap> maps = reduce.getIndexingMapsArray();
  if (!maps[0].isIdentity() ||
      maps[1] !=
          AffineMap::get(
              3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx))
    return nullptr;
  std::optional<float> init = romac::getFillValue(reduce.getDpsInits()[0]);
  Operation *combine = getYieldedOp(reduce);
  if (!init || !combine || !isa<CombineOps...>(combine))
    return nullptr;
  Block &body = reduce.getRegion().front();
  Value a = combine->getOperand(0), b = combine->getOperand(1);
  bool operands = (a == body.getArgument(0) && b == body.getArgument(1)) ||
                  (a == body.getArgument(1) && b == body.getArgument(0));
  if (!operands)
    return nullptr;
  initValue = *init;
  return reduce;
}

/// Whether every use of \p value is by one of \p users.
bool onlyUsedBy(Value value, ArrayRef<Operation *> users) {
  return llvm::all_of(value.getUsers(), [&](Operation *user) {
    return llvm::is_contained(users, user);
  });
}

/// One attention found: the ops to remove and what romac.attention needs.
struct AttentionChain {
  /// The two products (linalg.batch_matmul, or linalg.matmul at batch 1).
  linalg::LinalgOp scores, product;
  /// The product's result, which romac.attention replaces: [B, M, DV], or
  /// [M, DV] at batch 1.
  Value result;
  /// Q [B, M, D], K [B, N, D], V [B, N, DV]; at batch 1 each may be the 2-D
  /// matrix the importer's views give the matmuls ([M, D], [N, D],
  /// [N, DV]), viewed as [1, ...] by the rewrite.
  Value query, key, value;
  float scale = 1.0f;
  /// Every op of the chain (views included).
  SmallVector<Operation *> ops;
};

/// Whether the schedule leaves \p op untiled: no mapping, or one whose
/// every tile covers its loop. With \p overTiles, any mapping that fits the
/// op's loops (one that does not is left to romac-tile-by-schedule to
/// report).
bool scheduleAllowsFusion(linalg::LinalgOp op, bool overTiles) {
  auto mapping = op->getAttrOfType<romac::MappingAttr>(
      romac::RomacDialect::getMappingAttrName());
  if (!mapping)
    return true;
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  ArrayRef<int64_t> tiles = mapping.getTile().asArrayRef();
  if (tiles.size() != bounds.size())
    return false;
  for (auto [tile, bound] : llvm::zip(tiles, bounds))
    if (tile <= 0 || tile > bound || (!overTiles && tile != bound))
      return false;
  return true;
}

/// Whether \p op is a product romac.attention can take: on tensors, its
/// init a zero fill, its schedule allowing the fusion.
bool isFusableProduct(linalg::LinalgOp op, bool overTiles) {
  return op && op.hasPureTensorSemantics() &&
         romac::isZeroFill(op.getDpsInits()[0]) &&
         scheduleAllowsFusion(op, overTiles);
}

/// The [1, R, C] source of \p value when it is the tensor.collapse_shape
/// [[0, 1], [2]] of one (the importer's 2-D view of a batch-1 operand).
Value getBatchOneSource(Value value) {
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getSrcType().getRank() != 3 ||
      collapse.getSrcType().getDimSize(0) != 1 ||
      collapse.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0, 1}, {2}})
    return {};
  return collapse.getSrc();
}

/// The 2-D linalg.matmul whose result \p value views as [1, M, N]
/// (tensor.expand_shape [[0, 1], [2]] with the matmul's one use: the
/// scores, which the softmax reads in 3-D).
linalg::MatmulOp getBatchOneProduct(Value value) {
  auto expand = value.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getResultType().getRank() != 3 ||
      expand.getResultType().getDimSize(0) != 1 ||
      expand.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0, 1}, {2}} ||
      !expand.getSrc().hasOneUse())
    return nullptr;
  return expand.getSrc().getDefiningOp<linalg::MatmulOp>();
}

/// Matches s = Q K^T, the scores [B, M, N] (\p chain's scores, query, key):
/// a linalg.batch_matmul reading K [B, N, D] transposed, or at batch 1 the
/// expand_shape of a 2-D linalg.matmul of Q [M, D] and K^T (the 2-D view
/// of a linalg.transpose of K [1, N, D] that nothing else reads, or K
/// [N, D] read transposed through the matmul's map).
bool matchScores(Value s, bool overTiles, AttentionChain &chain) {
  MLIRContext *ctx = s.getContext();
  if (auto batch = s.getDefiningOp<linalg::BatchMatmulOp>()) {
    SmallVector<AffineMap> defaults =
        linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx);
    SmallVector<AffineMap> maps = batch.getIndexingMapsArray();
    if (maps[0] != defaults[0] ||
        maps[1] != romac::swapLastTwoResults(defaults[1]) ||
        maps[2] != defaults[2] || !isFusableProduct(batch, overTiles))
      return false;
    chain.scores = batch;
    chain.query = batch.getInputs()[0];
    chain.key = batch.getInputs()[1];
    chain.ops.push_back(batch);
    return true;
  }
  linalg::MatmulOp matmul = getBatchOneProduct(s);
  if (!matmul || !isFusableProduct(matmul, overTiles))
    return false;
  SmallVector<AffineMap> defaults =
      linalg::MatmulOp::getDefaultIndexingMaps(ctx);
  SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
  Value keyView = matmul.getInputs()[1];
  if (maps[0] != defaults[0] || maps[2] != defaults[2] || !keyView.hasOneUse())
    return false;
  Value key;
  if (maps[1] == romac::swapLastTwoResults(defaults[1])) {
    key = keyView;
  } else if (maps[1] == defaults[1]) {
    Value transposed = getBatchOneSource(keyView);
    auto transpose =
        transposed ? transposed.getDefiningOp<linalg::TransposeOp>() : nullptr;
    if (!transpose || !transposed.hasOneUse() ||
        transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
      return false;
    key = transpose.getInput();
    chain.ops.push_back(transpose);
  }
  if (!key)
    return false;
  chain.scores = matmul;
  chain.query = matmul.getInputs()[0];
  chain.key = key;
  chain.ops.append({s.getDefiningOp(), matmul});
  if (key != keyView)
    chain.ops.push_back(keyView.getDefiningOp());
  return true;
}

/// Matches attention's chain ending at \p root: a linalg.batch_matmul of
/// the probabilities and V, or at batch 1 a 2-D linalg.matmul of the
/// probabilities' 2-D view and V [N, DV].
std::optional<AttentionChain> matchAttention(linalg::LinalgOp root,
                                             bool overTiles) {
  MLIRContext *ctx = root.getContext();
  AttentionChain chain;
  Value y;
  if (auto batch = dyn_cast<linalg::BatchMatmulOp>(root.getOperation())) {
    if (batch.getIndexingMapsArray() !=
        linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx))
      return std::nullopt;
    y = batch.getInputs()[0];
    chain.value = batch.getInputs()[1];
    chain.result = batch.getResult(0);
  } else if (auto matmul = dyn_cast<linalg::MatmulOp>(root.getOperation())) {
    if (matmul.getIndexingMapsArray() !=
            linalg::MatmulOp::getDefaultIndexingMaps(ctx) ||
        !matmul.getInputs()[0].hasOneUse())
      return std::nullopt;
    y = getBatchOneSource(matmul.getInputs()[0]);
    if (!y)
      return std::nullopt;
    chain.value = matmul.getInputs()[1];
    chain.result = matmul.getResult(0);
    chain.ops.push_back(matmul.getInputs()[0].getDefiningOp());
  } else {
    return std::nullopt;
  }
  if (!isFusableProduct(root, overTiles))
    return std::nullopt;
  chain.product = root;

  // y = e / sum(e), e = exp(x - max(x)).
  auto divide = y.getDefiningOp<linalg::GenericOp>();
  if (!y.hasOneUse() || !divide || !isRowBroadcastElementwise(divide))
    return std::nullopt;
  Operation *quotient = getYieldedOp(divide);
  Block &divBody = divide.getRegion().front();
  if (!isa_and_nonnull<arith::DivFOp>(quotient) ||
      quotient->getOperand(0) != divBody.getArgument(0) ||
      quotient->getOperand(1) != divBody.getArgument(1))
    return std::nullopt;
  Value e = divide.getInputs()[0];
  float sumInit = 0.0f;
  linalg::GenericOp sum =
      matchRowReduction<arith::AddFOp>(divide.getInputs()[1], e, sumInit);
  auto exponential = e.getDefiningOp<linalg::GenericOp>();
  if (!sum || sumInit != 0.0f || !exponential ||
      !isRowBroadcastElementwise(exponential) ||
      !onlyUsedBy(e, {sum, divide}) || !divide.getInputs()[1].hasOneUse())
    return std::nullopt;
  Operation *exp = getYieldedOp(exponential);
  Block &expBody = exponential.getRegion().front();
  auto difference = exp && isa<math::ExpOp>(exp)
                        ? exp->getOperand(0).getDefiningOp<arith::SubFOp>()
                        : nullptr;
  if (!difference || !difference->hasOneUse() ||
      difference.getLhs() != expBody.getArgument(0) ||
      difference.getRhs() != expBody.getArgument(1))
    return std::nullopt;
  Value x = exponential.getInputs()[0];
  float maxInit = 0.0f;
  linalg::GenericOp max =
      matchRowReduction<arith::MaximumFOp, arith::MaxNumFOp>(
          exponential.getInputs()[1], x, maxInit);
  if (!max || !(maxInit <= std::numeric_limits<float>::lowest()) ||
      !exponential.getInputs()[1].hasOneUse() ||
      !onlyUsedBy(x, {max, exponential}))
    return std::nullopt;

  // x = s or s * c.
  Value s = x;
  linalg::GenericOp scale;
  if (auto generic = x.getDefiningOp<linalg::GenericOp>()) {
    if (generic.getNumDpsInputs() != 2)
      return std::nullopt;
    Operation *product = getYieldedOp(generic);
    Block &body = generic.getRegion().front();
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    if (!isa_and_nonnull<arith::MulFOp>(product) ||
        generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() != 0 ||
        !maps[2].isIdentity())
      return std::nullopt;
    // One input is the scores (identity map), the other a constant.
    for (unsigned i = 0; i < 2; ++i) {
      Value scores = generic.getInputs()[i], other = generic.getInputs()[1 - i];
      std::optional<float> c = romac::getConstantF32(other);
      bool operands = (product->getOperand(0) == body.getArgument(i) &&
                       product->getOperand(1) == body.getArgument(1 - i)) ||
                      (product->getOperand(1) == body.getArgument(i) &&
                       product->getOperand(0) == body.getArgument(1 - i));
      if (c && operands && maps[i].isIdentity() && scores.hasOneUse()) {
        scale = generic;
        s = scores;
        chain.scale = *c;
        break;
      }
    }
    if (!scale)
      return std::nullopt;
  }
  if (scale ? !s.hasOneUse() : !onlyUsedBy(s, {max, exponential}))
    return std::nullopt;
  if (!matchScores(s, overTiles, chain))
    return std::nullopt;
  for (Operation *op :
       {scale.getOperation(), max.getOperation(), exponential.getOperation(),
        sum.getOperation(), divide.getOperation(), root.getOperation()})
    if (op)
      chain.ops.push_back(op);
  // The expand_shapes of the two reductions.
  chain.ops.append({exponential.getInputs()[1].getDefiningOp(),
                    divide.getInputs()[1].getDefiningOp()});
  // romac.attention and its kernel are f32 with static shapes.
  for (Value v : {chain.query, chain.key, chain.value, chain.result}) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return std::nullopt;
  }
  // One block (the pass runs before any tiling loop): erased in its order.
  Block *block = root->getBlock();
  if (!llvm::all_of(chain.ops,
                    [&](Operation *op) { return op->getBlock() == block; }))
    return std::nullopt;
  return chain;
}

/// The [B, S, H, D] tensor that \p value ([B * H, S, D]) splits into heads:
/// the tensor.collapse_shape [[0, 1], [2], [3]] of its linalg.transpose
/// [0, 2, 1, 3] (the importer's Reshape and Transpose of a projection's
/// output); null otherwise.
Value getHeadsSource(Value value) {
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getSrcType().getRank() != 4 ||
      collapse.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
    return {};
  auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return {};
  return transpose.getInput();
}

/// An attention whose operands are heads split from [B, S, H, D] tensors
/// and whose result is merged back into one: romac.attention takes them as
/// they are (rank 4), and the splits and the merge go.
struct HeadsForm {
  Value query, key, value;
  /// The merge: expand_shape [B * H, M, DV] -> [B, H, M, DV], then
  /// linalg.transpose [0, 2, 1, 3], whose result the attention replaces.
  Operation *expand, *transpose;
};

/// \p chain in the heads form, if all of Q, K and V are split from
/// [B, S, H, D] tensors with one B and H and the result's only use is its
/// merge into [B, M, H, DV].
std::optional<HeadsForm> matchHeads(const AttentionChain &chain) {
  HeadsForm heads;
  heads.query = getHeadsSource(chain.query);
  heads.key = getHeadsSource(chain.key);
  heads.value = getHeadsSource(chain.value);
  if (!heads.query || !heads.key || !heads.value || !chain.result.hasOneUse())
    return std::nullopt;
  auto expand = dyn_cast<tensor::ExpandShapeOp>(*chain.result.user_begin());
  if (!expand || expand.getResultType().getRank() != 4 ||
      expand.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}} ||
      !expand.getResult().hasOneUse())
    return std::nullopt;
  auto transpose =
      dyn_cast<linalg::TransposeOp>(*expand.getResult().user_begin());
  if (!transpose || transpose.getInput() != expand.getResult() ||
      transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return std::nullopt;
  auto shape = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  };
  ArrayRef<int64_t> q = shape(heads.query), k = shape(heads.key),
                    v = shape(heads.value), o = shape(transpose->getResult(0));
  if (k[0] != q[0] || v[0] != q[0] || o[0] != q[0] || k[2] != q[2] ||
      v[2] != q[2] || o[2] != q[2] || o[1] != q[1] || v[1] != k[1])
    return std::nullopt;
  heads.expand = expand;
  heads.transpose = transpose;
  return heads;
}

struct FuseAttentionPass
    : public romac::impl::RomacFuseAttentionPassBase<FuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<AttentionChain> chains;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::BatchMatmulOp, linalg::MatmulOp>(op.getOperation()))
        if (auto chain = matchAttention(op, overTiles))
          chains.push_back(*chain);
    });
    IRRewriter rewriter(&getContext());
    for (AttentionChain &chain : chains) {
      Operation *last = chain.result.getDefiningOp();
      rewriter.setInsertionPoint(last);
      Location at = last->getLoc();
      // At batch 1, [1, R, C] views of the 2-D operands and the result.
      auto as3D = [&](Value value) -> Value {
        auto type = cast<RankedTensorType>(value.getType());
        if (type.getRank() == 3)
          return value;
        if (Value source = getBatchOneSource(value))
          return source;
        return tensor::ExpandShapeOp::create(
            rewriter, at,
            RankedTensorType::get({1, type.getDimSize(0), type.getDimSize(1)},
                                  type.getElementType()),
            value, SmallVector<ReassociationIndices>{{0, 1}, {2}});
      };
      // Both products' locations: the profile times the kernel as both
      // layers of the schedule.
      Location loc = rewriter.getFusedLoc(
          {chain.scores->getLoc(), chain.product->getLoc()});
      if (std::optional<HeadsForm> heads = matchHeads(chain)) {
        // Rank 4: the heads stay where the projections put them.
        rewriter.setInsertionPoint(heads->transpose);
        Value merged = heads->transpose->getResult(0);
        auto type = cast<RankedTensorType>(merged.getType());
        Value init = tensor::EmptyOp::create(rewriter, at, type.getShape(),
                                             type.getElementType());
        Value result =
            romac::AttentionOp::create(
                rewriter, loc, TypeRange{type}, heads->query, heads->key,
                heads->value, init, rewriter.getF32FloatAttr(chain.scale))
                ->getResult(0);
        rewriter.replaceAllUsesWith(merged, result);
        chain.ops.append({heads->expand, heads->transpose});
      } else {
        Value query = as3D(chain.query), key = as3D(chain.key),
              value = as3D(chain.value);
        auto resultType = cast<RankedTensorType>(chain.result.getType());
        SmallVector<int64_t> shape(resultType.getShape());
        if (shape.size() == 2)
          shape.insert(shape.begin(), 1);
        auto type = RankedTensorType::get(shape, resultType.getElementType());
        Value init =
            tensor::EmptyOp::create(rewriter, at, shape, type.getElementType());
        Value result = romac::AttentionOp::create(
                           rewriter, loc, TypeRange{type}, query, key, value,
                           init, rewriter.getF32FloatAttr(chain.scale))
                           ->getResult(0);
        if (type != resultType)
          result = tensor::CollapseShapeOp::create(
              rewriter, at, resultType, result,
              SmallVector<ReassociationIndices>{{0, 1}, {2}});
        rewriter.replaceAllUsesWith(chain.result, result);
      }
      // Users before producers, so that each goes without uses (and no
      // later pass, romac-tile-by-schedule included, sees the products).
      // The fills, empty tensors, views and constants only the chain used
      // go with the canonicalizer that follows the tiling.
      llvm::sort(chain.ops, [](Operation *a, Operation *b) {
        return b->isBeforeInBlock(a);
      });
      for (Operation *op : chain.ops)
        rewriter.eraseOp(op);
    }
  }
};

} // namespace
