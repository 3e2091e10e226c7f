//===- RomacOps.cpp - romac operations --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace romac;

#define GET_OP_CLASSES
#include "romac/Dialect/Romac/IR/RomacOps.cpp.inc"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  Value operands[] = {getQuery(), getKey(), getValue(), getInit()};
  const char *names[] = {"query", "key", "value", "init"};
  bool tensors = isa<RankedTensorType>(getInit().getType());
  auto initType = dyn_cast<ShapedType>(getInit().getType());
  int64_t rank = initType && initType.hasRank() ? initType.getRank() : 3;
  if (rank != 4)
    rank = 3;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (auto [value, name] : llvm::zip(operands, names)) {
    auto type = dyn_cast<ShapedType>(value.getType());
    if (!type || !type.hasStaticShape() || type.getRank() != rank ||
        !type.getElementType().isF32())
      return emitOpError() << name << " must be a static rank-" << rank
                           << " f32 shape (the operands are all rank 3 or "
                              "all rank 4)";
    if (isa<RankedTensorType>(type) != tensors ||
        !isa<RankedTensorType, MemRefType>(type))
      return emitOpError("operands must be all tensors or all memrefs");
    shapes.push_back(type.getShape());
  }
  auto dims = [](ArrayRef<int64_t> s) {
    std::string text = "[";
    for (auto [i, d] : llvm::enumerate(s))
      text += (i ? ", " : "") + std::to_string(d);
    return text + "]";
  };
  ArrayRef<int64_t> q = shapes[0], k = shapes[1], v = shapes[2], o = shapes[3];
  bool ok = k[0] == q[0] && v[0] == q[0] && o[0] == q[0] && v[1] == k[1] &&
            o[1] == q[1] && k.back() == q.back() && o.back() == v.back();
  if (rank == 4)
    ok = ok && k[2] == q[2] && v[2] == q[2] && o[2] == q[2];
  if (!ok)
    return emitOpError() << (rank == 3
                                 ? "expects query [B, M, D], key [B, N, D], "
                                   "value [B, N, DV] and init [B, M, DV]; got "
                                 : "expects query [B, M, H, D], key [B, N, H, "
                                   "D], value [B, N, H, DV] and init [B, M, "
                                   "H, DV]; got ")
                         << dims(q) << ", " << dims(k) << ", " << dims(v)
                         << ", " << dims(o);
  if (tensors != (getNumResults() == 1) ||
      (tensors && getResult()[0].getType() != getInit().getType()))
    return emitOpError(tensors ? "on tensors has one result of init's type"
                               : "on memrefs has no result");
  return success();
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

bool AttentionOp::bufferizesToMemoryRead(OpOperand &operand,
                                         const bufferization::AnalysisState &) {
  // The destination is overwritten, never read.
  return !isDpsInit(&operand);
}

bool AttentionOp::bufferizesToMemoryWrite(
    OpOperand &operand, const bufferization::AnalysisState &) {
  return isDpsInit(&operand);
}

bufferization::AliasingValueList
AttentionOp::getAliasingValues(OpOperand &operand,
                               const bufferization::AnalysisState &) {
  if (!isDpsInit(&operand))
    return {};
  return {
      {getTiedOpResult(&operand), bufferization::BufferRelation::Equivalent}};
}

LogicalResult
AttentionOp::bufferize(RewriterBase &rewriter,
                       const bufferization::BufferizationOptions &options,
                       bufferization::BufferizationState &state) {
  SmallVector<Value> buffers;
  for (Value operand : getOperation()->getOperands()) {
    FailureOr<Value> buffer =
        bufferization::getBuffer(rewriter, operand, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  rewriter.setInsertionPoint(*this);
  AttentionOp::create(rewriter, getLoc(), TypeRange{}, buffers[0], buffers[1],
                      buffers[2], buffers[3], getScaleAttr());
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, buffers[3]);
  return success();
}
