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

/// The f32 value of a scalar constant or of a splat constant tensor.
std::optional<float> getSplatF32(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr);
      dense && dense.isSplat() && dense.getElementType().isF32())
    return dense.getSplatValue<APFloat>().convertToFloat();
  if (auto scalar = dyn_cast<FloatAttr>(attr); scalar && v.getType().isF32())
    return scalar.getValue().convertToFloat();
  return std::nullopt;
}

/// The constant a linalg.fill writes, if its value is a constant.
std::optional<float> getFillValue(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  return getSplatF32(fill.getInputs()[0]);
}

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
/// its second, with \p rowBroadcast, as a [B, M, 1] tensor broadcast over
/// the last dim (the importer writes the identity when that dim is 1).
bool isElementwise(linalg::GenericOp generic, bool rowBroadcast) {
  if (generic.getNumDpsInits() != 1 || generic.getNumDpsInputs() != 2 ||
      generic.getNumLoops() != 3 || generic.getNumReductionLoops() != 0)
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[0].isIdentity() || !maps[2].isIdentity())
    return false;
  if (!rowBroadcast)
    return true;
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
  std::optional<float> init = getFillValue(reduce.getDpsInits()[0]);
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
  linalg::BatchMatmulOp scores, product;
  Value query, key, value;
  float scale = 1.0f;
  /// Every op of the chain, the product last.
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

/// Matches attention's chain ending at \p product (softmax(x) V).
std::optional<AttentionChain> matchAttention(linalg::BatchMatmulOp product,
                                             bool overTiles) {
  MLIRContext *ctx = product.getContext();
  SmallVector<AffineMap> defaults =
      linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx);
  AttentionChain chain;
  chain.product = product;
  if (!product.hasPureTensorSemantics() ||
      product.getIndexingMapsArray() != defaults ||
      getFillValue(product.getDpsInits()[0]) != 0.0f ||
      !scheduleAllowsFusion(product, overTiles))
    return std::nullopt;
  chain.value = product.getInputs()[1];

  // y = e / sum(e), e = exp(x - max(x)).
  Value y = product.getInputs()[0];
  auto divide = y.getDefiningOp<linalg::GenericOp>();
  if (!y.hasOneUse() || !divide ||
      !isElementwise(divide, /*rowBroadcast=*/true))
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
      !isElementwise(exponential, /*rowBroadcast=*/true) ||
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

  // x = s or s * c, s = Q K^T (K read transposed).
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
      std::optional<float> c = getSplatF32(other);
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
  chain.scores = s.getDefiningOp<linalg::BatchMatmulOp>();
  if (!chain.scores || !chain.scores.hasPureTensorSemantics() ||
      getFillValue(chain.scores.getDpsInits()[0]) != 0.0f ||
      !scheduleAllowsFusion(chain.scores, overTiles))
    return std::nullopt;
  SmallVector<AffineMap> maps = chain.scores.getIndexingMapsArray();
  if (maps[0] != defaults[0] ||
      maps[1] != romac::swapLastTwoResults(defaults[1]) ||
      maps[2] != defaults[2])
    return std::nullopt;
  if (scale ? !s.hasOneUse() : !onlyUsedBy(s, {max, exponential}))
    return std::nullopt;
  chain.query = chain.scores.getInputs()[0];
  Block *block = product->getBlock();
  chain.key = chain.scores.getInputs()[1];
  for (Operation *op :
       {chain.scores.getOperation(), scale.getOperation(), max.getOperation(),
        exponential.getOperation(), sum.getOperation(), divide.getOperation(),
        product.getOperation()})
    if (op)
      chain.ops.push_back(op);
  // The expand_shapes of the two reductions.
  chain.ops.insert(chain.ops.begin(),
                   {exponential.getInputs()[1].getDefiningOp(),
                    divide.getInputs()[1].getDefiningOp()});
  // One block (the pass runs before any tiling loop): erased in its order.
  if (!llvm::all_of(chain.ops,
                    [&](Operation *op) { return op->getBlock() == block; }))
    return std::nullopt;
  return chain;
}

struct FuseAttentionPass
    : public romac::impl::RomacFuseAttentionPassBase<FuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<AttentionChain> chains;
    getOperation().walk([&](linalg::BatchMatmulOp op) {
      if (auto chain = matchAttention(op, overTiles))
        chains.push_back(*chain);
    });
    IRRewriter rewriter(&getContext());
    for (AttentionChain &chain : chains) {
      linalg::BatchMatmulOp product = chain.product;
      // The product's zero fill goes: its tensor is the destination.
      auto fill = product.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
      rewriter.setInsertionPoint(product);
      // Both products' locations: the profile times the kernel as both
      // layers of the schedule.
      Location loc =
          rewriter.getFusedLoc({chain.scores.getLoc(), product.getLoc()});
      auto attention = romac::AttentionOp::create(
          rewriter, loc, product.getResultTypes(), chain.query, chain.key,
          chain.value, fill.getOutputs()[0],
          rewriter.getF32FloatAttr(chain.scale));
      rewriter.replaceOp(product, attention->getResults());
      // Users before producers, then the fills and empty tensors only the
      // chain used.
      llvm::sort(chain.ops, [](Operation *a, Operation *b) {
        return b->isBeforeInBlock(a);
      });
      SmallVector<Operation *> inits;
      for (Operation *op : chain.ops) {
        if (op == product.getOperation())
          continue;
        for (Value operand : op->getOperands())
          if (Operation *def = operand.getDefiningOp();
              def && isa<linalg::FillOp, tensor::EmptyOp>(def))
            inits.push_back(def);
        rewriter.eraseOp(op);
      }
      inits.push_back(fill);
      for (size_t i = 0; i < inits.size(); ++i) {
        Operation *op = inits[i];
        if (llvm::is_contained(ArrayRef(inits).take_front(i), op) ||
            !op->use_empty())
          continue;
        if (auto dead = dyn_cast<linalg::FillOp>(op))
          if (Operation *empty = dead.getOutputs()[0].getDefiningOp();
              empty && isa<tensor::EmptyOp>(empty))
            inits.push_back(empty);
        rewriter.eraseOp(op);
      }
    }
  }
};

} // namespace
