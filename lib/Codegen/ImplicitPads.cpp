//===- ImplicitPads.cpp - convolutions read unpadded inputs ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-implicit-pads: a bufferized tensor.pad is a buffer filled with
// zeros and the source copied into its interior. When that buffer only
// feeds a depthwise convolution, the convolution reads the source itself
// and carries the padding as `romac.input_pad = [top, left]`, which
// romac-lower-to-kernels passes to the kernel; the fill and the copy (two
// passes over memory per layer: MobileNet-v2's depthwise layers) are gone.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "KernelOperands.h"

#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace romac {
#define GEN_PASS_DEF_ROMACIMPLICITPADSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// Whether `op` writes +0.0 to every element of `buffer`: linalg.fill of
/// the constant, or a linalg.map without inputs that yields it.
bool isZeroFill(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getOutputs()[0] == buffer && fill.hasPureBufferSemantics() &&
           matchPattern(fill.getInputs()[0], m_PosZeroFloat());
  if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (!map.getInputs().empty() || map.getInit() != buffer)
      return false;
    auto yield = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
    return yield.getNumOperands() == 1 &&
           matchPattern(yield.getOperand(0), m_PosZeroFloat());
  }
  return false;
}

/// The buffer `value` is a view of: through subviews, casts, reshapes and
/// every other view-like op.
Value getRoot(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    value = view.getViewSource();
  }
  return value;
}

/// Whether `a` and `b` may share memory: the same root, or a root that is
/// neither an allocation, a global nor an argument of the function (the
/// caller's inputs and outputs are distinct buffers, as bufferization
/// assumes).
bool mayAlias(Value a, Value b) {
  Value ra = getRoot(a), rb = getRoot(b);
  if (ra == rb)
    return true;
  auto known = [](Value root) {
    if (isa<BlockArgument>(root))
      return isa<func::FuncOp>(root.getParentBlock()->getParentOp());
    return isa_and_nonnull<memref::AllocOp, memref::AllocaOp,
                           memref::GetGlobalOp>(root.getDefiningOp());
  };
  return !known(ra) || !known(rb);
}

/// Whether an op strictly between `from` and `to` (one block) may write
/// memory that `buffer` may share.
bool isWrittenBetween(Value buffer, Operation *from, Operation *to) {
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode()) {
    std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
        getEffectsRecursively(op);
    if (!effects)
      return true;
    for (const MemoryEffects::EffectInstance &effect : *effects) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
        continue;
      Value written = effect.getValue();
      if (!written || !isa<BaseMemRefType>(written.getType()) ||
          mayAlias(written, buffer))
        return true;
    }
  }
  return false;
}

/// The padded copy a convolution reads: `buffer` filled with zeros by
/// `fill`, `copy` writing the source into its interior view `interior` at
/// rows and columns (top, left).
struct PaddedCopy {
  memref::AllocOp buffer;
  Operation *fill;
  memref::SubViewOp interior;
  memref::CopyOp copy;
  int64_t top, left;
};

/// The padded copy of `conv`'s input, when nothing but `conv` reads it and
/// its source is unchanged between the copy and `conv`.
std::optional<PaddedCopy>
matchPaddedCopy(linalg::DepthwiseConv2DNchwChwOp conv) {
  auto buffer = conv.getInputs()[0].getDefiningOp<memref::AllocOp>();
  if (!buffer || buffer->getBlock() != conv->getBlock())
    return std::nullopt;
  MemRefType type = buffer.getType();
  if (!type.hasStaticShape() || type.getRank() != 4 ||
      !type.getElementType().isF32())
    return std::nullopt;
  PaddedCopy match{buffer, nullptr, nullptr, nullptr, 0, 0};
  for (Operation *user : buffer->getUsers()) {
    if (user == conv.getOperation() || isa<memref::DeallocOp>(user))
      continue;
    if (!match.fill && isZeroFill(user, buffer)) {
      match.fill = user;
      continue;
    }
    auto interior = dyn_cast<memref::SubViewOp>(user);
    if (match.interior || !interior || !interior->hasOneUse())
      return std::nullopt;
    auto copy = dyn_cast<memref::CopyOp>(*interior->getUsers().begin());
    if (!copy || copy.getTarget() != interior.getResult())
      return std::nullopt;
    match.interior = interior;
    match.copy = copy;
  }
  if (!match.fill || !match.copy ||
      match.fill->getBlock() != conv->getBlock() ||
      match.copy->getBlock() != conv->getBlock() ||
      !match.fill->isBeforeInBlock(match.copy) ||
      !match.copy->isBeforeInBlock(conv))
    return std::nullopt;
  // The interior: all of the batch and the channels, a window of rows and
  // columns, unit strides.
  ArrayRef<int64_t> offsets = match.interior.getStaticOffsets(),
                    sizes = match.interior.getStaticSizes(),
                    strides = match.interior.getStaticStrides();
  if (ShapedType::isDynamicShape(offsets) ||
      ShapedType::isDynamicShape(sizes) ||
      llvm::any_of(strides, [](int64_t s) { return s != 1; }) ||
      offsets[0] != 0 || offsets[1] != 0 || sizes[0] != type.getDimSize(0) ||
      sizes[1] != type.getDimSize(1))
    return std::nullopt;
  match.top = offsets[2];
  match.left = offsets[3];
  Value source = match.copy.getSource();
  auto sourceType = dyn_cast<MemRefType>(source.getType());
  if (!sourceType || !sourceType.getElementType().isF32() ||
      isWrittenBetween(source, match.copy, conv))
    return std::nullopt;
  return match;
}

struct ImplicitPadsPass
    : romac::impl::RomacImplicitPadsPassBase<ImplicitPadsPass> {
  void runOnOperation() override {
    SmallVector<linalg::DepthwiseConv2DNchwChwOp> convs;
    getOperation().walk([&](linalg::DepthwiseConv2DNchwChwOp conv) {
      if (conv.hasPureBufferSemantics() &&
          !conv->hasAttr(romac::RomacDialect::getInputPadAttrName()))
        convs.push_back(conv);
    });
    for (linalg::DepthwiseConv2DNchwChwOp conv : convs) {
      std::optional<PaddedCopy> match = matchPaddedCopy(conv);
      if (!match)
        continue;
      // The source, fully dynamic: the op's static shapes no longer
      // relate its input to its output (the padding is implicit).
      OpBuilder b(conv);
      Value input = memref::CastOp::create(
          b, conv.getLoc(), romac::getAnyStridedType(b.getContext(), 4),
          match->copy.getSource());
      conv->setOperand(0, input);
      conv->setAttr(romac::RomacDialect::getInputPadAttrName(),
                    b.getDenseI64ArrayAttr({match->top, match->left}));
      match->copy.erase();
      match->interior.erase();
      match->fill->erase();
      for (Operation *user :
           llvm::make_early_inc_range(match->buffer->getUsers()))
        user->erase(); // the deallocs
      match->buffer.erase();
    }
  }
};

} // namespace
