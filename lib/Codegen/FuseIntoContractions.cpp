//===- FuseIntoContractions.cpp - romac-fuse-into-contractions --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A matmul or convolution accumulates into its output (C += A x B), so an
// element-wise consumer that only adds terms to the contraction's result (a
// bias, a residual, both) can be computed first and become the
// contraction's initial value: the kernel then adds its products onto the
// bias and the residual inside its tiles, and the consumer's pass over the
// whole output (read it, write it again) is gone. A constant scale and an
// activation that clamps the sum (ReLU, ReLU6, Clip) go with it, as the
// kernel's last store (`romac.scale`, `romac.clamp`); a contraction whose
// output still starts as zeros overwrites it instead (`romac.overwrite`:
// no zero fill, no read of the output). Passes.td has the rules.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "romac/Dialect/Romac/Analysis/ConstantMatchers.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace romac {
#define GEN_PASS_DEF_ROMACFUSEINTOCONTRACTIONSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// A named matmul or convolution: it adds its products onto its one init.
bool isAccumulatingContraction(linalg::LinalgOp op) {
  if (isa<linalg::GenericOp>(op.getOperation()) || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !op.hasPureTensorSemantics())
    return false;
  return linalg::isaContractionOpInterface(op) ||
         linalg::isaConvolutionOpInterface(op);
}

/// The consumer to fold and where the contraction's result enters it.
struct AdditiveConsumer {
  linalg::GenericOp generic;
  /// The contraction's result, or a tensor.expand_shape of it (the MatMul
  /// of a 3-D activation is a 2-D matmul between two reshapes).
  tensor::ExpandShapeOp expand;
  OpOperand *operand; ///< the generic's input that carries the result
  /// In the generic's body, `x + terms` (the value the init generic yields).
  Value sum;
  /// After the sum: mul by scale, max with lo, min with hi (ops to drop
  /// from the init generic; null when absent).
  Operation *mulOp = nullptr, *maxOp = nullptr, *minOp = nullptr;
  float scale = 1.0f;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

/// If \p value's one user is `arith.OpTy(value, c)` or `(c, value)` with c
/// an f32 constant: that op and c.
template <typename OpTy>
std::optional<std::pair<Operation *, float>> matchConstantOperand(Value value) {
  if (!value.hasOneUse())
    return std::nullopt;
  auto op = dyn_cast<OpTy>(*value.getUsers().begin());
  if (!op)
    return std::nullopt;
  Value other = op.getLhs() == value ? op.getRhs() : op.getLhs();
  std::optional<float> bound = romac::getConstantF32(other);
  if (!bound || other == value)
    return std::nullopt;
  return std::make_pair(op.getOperation(), *bound);
}

/// Matches the generic's body from the block argument \p arg to the yield:
/// `x + terms` (every op an addf, or a subf with the chain on its left,
/// whose result has no other use), then, when \p epilogues, optionally
/// mulf by a constant (attention's scale), then maximumf with a constant
/// and / or minimumf with a constant (ReLU, ReLU6, Clip, as the importer
/// writes them).
bool matchChain(BlockArgument arg, bool epilogues, AdditiveConsumer &consumer) {
  Value value = arg;
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    bool additive = isa<arith::AddFOp>(user) ||
                    (isa<arith::SubFOp>(user) && user->getOperand(0) == value);
    if (!additive || user->getOperand(0) == user->getOperand(1))
      break; // x + x doubles the result
    value = user->getResult(0);
  }
  consumer.sum = value;
  if (epilogues) {
    if (auto mul = matchConstantOperand<arith::MulFOp>(value)) {
      std::tie(consumer.mulOp, consumer.scale) = *mul;
      value = consumer.mulOp->getResult(0);
    }
    if (auto max = matchConstantOperand<arith::MaximumFOp>(value)) {
      std::tie(consumer.maxOp, consumer.lo) = *max;
      value = consumer.maxOp->getResult(0);
    }
    if (auto min = matchConstantOperand<arith::MinimumFOp>(value)) {
      std::tie(consumer.minOp, consumer.hi) = *min;
      value = consumer.minOp->getResult(0);
    }
    if (!(consumer.lo <= consumer.hi))
      return false;
  }
  return value.hasOneUse() && isa<linalg::YieldOp>(*value.getUsers().begin());
}

/// Whether the kernels take \p op with an epilogue (romac-lower-to-kernels
/// passes `romac.overwrite`, `romac.scale` and `romac.clamp` to them). A
/// reduction loop that the schedule tiles is fine: romac-tile-by-schedule
/// keeps the overwrite to the reduction's first tile and the scale and
/// clamp to its last.
bool canFuseEpilogue(linalg::LinalgOp op) {
  return isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNchwFchwOp,
             linalg::DepthwiseConv2DNchwChwOp>(op.getOperation()) &&
         getElementTypeOrSelf(op->getResult(0).getType()).isF32();
}

std::optional<AdditiveConsumer> matchConsumer(linalg::LinalgOp contraction,
                                              bool epilogues) {
  Value result = contraction->getResult(0);
  if (!result.hasOneUse())
    return std::nullopt;
  AdditiveConsumer consumer{};
  Operation *user = *result.getUsers().begin();
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user)) {
    if (!expand.getResult().hasOneUse() ||
        !expand.getResultType().hasStaticShape())
      return std::nullopt;
    consumer.expand = expand;
    result = expand.getResult();
    user = *result.getUsers().begin();
  }
  auto generic = dyn_cast<linalg::GenericOp>(user);
  if (!generic || generic.getNumDpsInits() != 1 ||
      generic->getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic->getResult(0).getType() != result.getType() ||
      generic.hasIndexSemantics())
    return std::nullopt;
  // The output's old value must not be read: the generic only writes it.
  OpOperand *out = generic.getDpsInitOperand(0);
  if (generic.payloadUsesValueFromOperand(out))
    return std::nullopt;
  AffineMap outMap = generic.getMatchingIndexingMap(out);
  if (!outMap.isPermutation())
    return std::nullopt;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    if (input->get() != result)
      continue;
    if (consumer.operand)
      return std::nullopt; // read twice
    if (generic.getMatchingIndexingMap(input) != outMap)
      return std::nullopt;
    consumer.operand = input;
  }
  if (!consumer.operand ||
      !matchChain(generic.getMatchingBlockArgument(consumer.operand),
                  epilogues && canFuseEpilogue(contraction), consumer))
    return std::nullopt;
  consumer.generic = generic;
  return consumer;
}

/// Rewrites `%r = contraction(outs: fill 0)`, `%y = generic(%r, terms...)`
/// into `%t = generic(terms...)` (the generic with %r's element replaced by
/// 0 and without its activation), `%y = contraction(outs: %t)` with the
/// activation as `romac.clamp`.
void fold(linalg::LinalgOp contraction, AdditiveConsumer consumer,
          DominanceInfo &dominance, RewriterBase &rewriter) {
  linalg::GenericOp generic = consumer.generic;
  Location loc = generic.getLoc();

  // The terms are computed before the contraction when they are available
  // there; otherwise the contraction moves down to the consumer (its own
  // operands dominate the consumer, which it dominates).
  // A tensor.empty output is made again where it is needed.
  OpOperand *out = generic.getDpsInitOperand(0);
  auto empty = out->get().getDefiningOp<tensor::EmptyOp>();
  if (empty && empty->getNumOperands() != 0)
    empty = nullptr;
  bool termsBefore = llvm::all_of(generic->getOperands(), [&](Value v) {
    return v == consumer.operand->get() || (empty && v == empty.getResult()) ||
           dominance.properlyDominates(v, contraction.getOperation());
  });
  if (!termsBefore) {
    if (consumer.expand)
      rewriter.moveOpBefore(consumer.expand, generic);
    rewriter.moveOpBefore(contraction, consumer.expand
                                           ? consumer.expand.getOperation()
                                           : generic.getOperation());
  }
  rewriter.setInsertionPoint(contraction);
  auto setEpilogue = [&] {
    if (consumer.mulOp)
      contraction->setAttr(romac::RomacDialect::getScaleAttrName(),
                           rewriter.getF32FloatAttr(consumer.scale));
    if (consumer.maxOp || consumer.minOp)
      contraction->setAttr(
          romac::RomacDialect::getClampAttrName(),
          rewriter.getDenseF32ArrayAttr({consumer.lo, consumer.hi}));
  };
  Value folded = consumer.expand ? Value(consumer.expand.getResult())
                                 : Value(contraction->getResult(0));
  if (consumer.sum == generic.getMatchingBlockArgument(consumer.operand)) {
    // Nothing is added: the output keeps starting as zeros.
    rewriter.modifyOpInPlace(contraction, setEpilogue);
    rewriter.replaceOp(generic, folded);
    return;
  }

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    if (input == consumer.operand)
      continue;
    inputs.push_back(input->get());
    maps.push_back(generic.getMatchingIndexingMap(input));
  }
  maps.push_back(generic.getMatchingIndexingMap(out));
  Value outTensor = out->get();
  if (empty &&
      !dominance.properlyDominates(outTensor, contraction.getOperation()))
    outTensor = rewriter.clone(*empty)->getResult(0);
  BlockArgument dropped = generic.getMatchingBlockArgument(consumer.operand);
  Block &oldBody = generic.getRegion().front();
  auto terms = linalg::GenericOp::create(
      rewriter, loc, generic->getResultTypes(), inputs, ValueRange{outTensor},
      maps, generic.getIteratorTypesArray(),
      [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
        IRMapping mapping;
        unsigned next = 0;
        for (BlockArgument arg : oldBody.getArguments()) {
          if (arg == dropped)
            mapping.map(arg, arith::ConstantOp::create(
                                 b, bodyLoc, b.getZeroAttr(arg.getType())));
          else
            mapping.map(arg, args[next++]);
        }
        for (Operation &op : oldBody.without_terminator())
          if (&op != consumer.mulOp && &op != consumer.maxOp &&
              &op != consumer.minOp)
            b.clone(op, mapping);
        linalg::YieldOp::create(b, bodyLoc, mapping.lookup(consumer.sum));
      });
  terms->setDiscardableAttrs(generic->getDiscardableAttrDictionary());

  Value init = terms->getResult(0);
  if (consumer.expand)
    init = tensor::CollapseShapeOp::create(
        rewriter, loc, contraction->getResult(0).getType(), init,
        consumer.expand.getReassociationIndices());
  Value oldInit = contraction.getDpsInitOperand(0)->get();
  rewriter.modifyOpInPlace(contraction, [&] {
    contraction.getDpsInitOperand(0)->set(init);
    setEpilogue();
  });
  rewriter.replaceOp(generic, folded);
  if (Operation *fill = oldInit.getDefiningOp(); fill && fill->use_empty())
    rewriter.eraseOp(fill);
}

struct FuseIntoContractionsPass
    : public romac::impl::RomacFuseIntoContractionsPassBase<
          FuseIntoContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::LinalgOp> contractions;
    func.walk([&](linalg::LinalgOp op) {
      if (isAccumulatingContraction(op) &&
          romac::isZeroFill(op.getDpsInitOperand(0)->get()))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // The contractions are in the function's body, not in loops yet: one
    // block, where dominance is the (updated) order of the ops.
    DominanceInfo dominance(func);
    for (linalg::LinalgOp contraction : contractions)
      if (std::optional<AdditiveConsumer> consumer =
              matchConsumer(contraction, epilogues))
        fold(contraction, *consumer, dominance, rewriter);
    if (!epilogues)
      return;
    // What still starts as zeros overwrites its output instead: the fill's
    // pass and the kernel's read of it are gone.
    for (linalg::LinalgOp contraction : contractions) {
      OpOperand *init = contraction.getDpsInitOperand(0);
      if (!romac::isZeroFill(init->get()) || !canFuseEpilogue(contraction))
        continue;
      auto fill = init->get().getDefiningOp<linalg::FillOp>();
      rewriter.modifyOpInPlace(contraction, [&] {
        init->set(fill.getOutputs()[0]);
        contraction->setAttr(romac::RomacDialect::getOverwriteAttrName(),
                             rewriter.getUnitAttr());
      });
      if (fill->use_empty())
        rewriter.eraseOp(fill);
    }
  }
};

} // namespace
