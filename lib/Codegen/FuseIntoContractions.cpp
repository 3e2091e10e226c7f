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
// whole output (read it, write it again) is gone. Passes.td has the rules.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

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

/// Whether \p init is a linalg.fill with 0.0 (+0 or -0).
bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  FloatAttr value;
  return matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
         value.getValue().isZero();
}

/// The consumer to fold and where the contraction's result enters it.
struct AdditiveConsumer {
  linalg::GenericOp generic;
  /// The contraction's result, or a tensor.expand_shape of it (the MatMul
  /// of a 3-D activation is a 2-D matmul between two reshapes).
  tensor::ExpandShapeOp expand;
  OpOperand *operand; ///< the generic's input that carries the result
};

/// Whether the generic's result is `x + terms` where x is the block
/// argument \p arg: every op from \p arg to the yield is an addf (or a subf
/// with the chain on its left) whose result has no other use.
bool isAdditiveChain(BlockArgument arg) {
  Value value = arg;
  while (true) {
    if (!value.hasOneUse())
      return false;
    Operation *user = *value.getUsers().begin();
    if (isa<linalg::YieldOp>(user))
      return true;
    if (isa<arith::AddFOp>(user) ||
        (isa<arith::SubFOp>(user) && user->getOperand(0) == value &&
         user->getOperand(1) != value)) {
      if (user->getOperand(0) == user->getOperand(1))
        return false; // x + x doubles the result
      value = user->getResult(0);
      continue;
    }
    return false;
  }
}

std::optional<AdditiveConsumer> matchConsumer(linalg::LinalgOp contraction) {
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
      !isAdditiveChain(generic.getMatchingBlockArgument(consumer.operand)))
    return std::nullopt;
  consumer.generic = generic;
  return consumer;
}

/// Rewrites `%r = contraction(outs: fill 0)`, `%y = generic(%r, terms...)`
/// into `%t = generic(terms...)` (the generic with %r's element replaced by
/// 0), `%y = contraction(outs: %t)`.
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
        for (Operation &op : oldBody)
          b.clone(op, mapping);
      });
  terms->setDiscardableAttrs(generic->getDiscardableAttrDictionary());

  Value init = terms->getResult(0);
  if (consumer.expand)
    init = tensor::CollapseShapeOp::create(
        rewriter, loc, contraction->getResult(0).getType(), init,
        consumer.expand.getReassociationIndices());
  Value oldInit = contraction.getDpsInitOperand(0)->get();
  rewriter.modifyOpInPlace(
      contraction, [&] { contraction.getDpsInitOperand(0)->set(init); });
  Value folded = consumer.expand ? Value(consumer.expand.getResult())
                                 : Value(contraction->getResult(0));
  rewriter.replaceOp(generic, folded);
  if (Operation *fill = oldInit.getDefiningOp(); fill && fill->use_empty())
    rewriter.eraseOp(fill);
}

struct FuseIntoContractionsPass
    : public romac::impl::RomacFuseIntoContractionsPassBase<
          FuseIntoContractionsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::LinalgOp> contractions;
    func.walk([&](linalg::LinalgOp op) {
      if (isAccumulatingContraction(op) &&
          isZeroFill(op.getDpsInitOperand(0)->get()))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // The contractions are in the function's body, not in loops yet: one
    // block, where dominance is the (updated) order of the ops.
    DominanceInfo dominance(func);
    for (linalg::LinalgOp contraction : contractions)
      if (std::optional<AdditiveConsumer> consumer = matchConsumer(contraction))
        fold(contraction, *consumer, dominance, rewriter);
  }
};

} // namespace
