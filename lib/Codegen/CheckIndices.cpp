//===- CheckIndices.cpp - indices and divisors from the data --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-check-indices: every index of a tensor.extract that depends on the
// data (a Gather's indices) goes through the runtime's romac_check_index,
// and every integer divisor that does through romac_check_divisor, so an
// index out of range or a division by zero fails the run with an error
// instead of reading outside the tensor or trapping (bad input must never
// crash romac).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/DenseSet.h"

namespace romac {
#define GEN_PASS_DEF_ROMACCHECKINDICESPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kCheckIndex = "romac_check_index";
constexpr llvm::StringLiteral kCheckDivisor = "romac_check_divisor";

/// Whether `value` may depend on the data: on a block argument of a
/// linalg.generic that stands for a non-constant operand (or its output),
/// on any other block argument (a function's inputs), or on an operation
/// with no operands that is not a constant. linalg.index, constants and
/// the elements of constant operands are not data.
bool dependsOnData(Value value) {
  SmallVector<Value> work = {value};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto generic = dyn_cast<linalg::GenericOp>(arg.getOwner()->getParentOp());
      if (!generic || arg.getArgNumber() >= generic.getNumDpsInputs())
        return true;
      if (!matchPattern(generic.getDpsInputs()[arg.getArgNumber()],
                        m_Constant()))
        return true;
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (isa<linalg::IndexOp>(def) || matchPattern(v, m_Constant()))
      continue;
    if (def->getNumOperands() == 0 || def->getNumRegions() > 0)
      return true;
    llvm::append_range(work, def->getOperands());
  }
  return false;
}

/// `func.func private @NAME(i64 x args) -> i64`, declared once (the
/// runtime's romac_check_index and romac_check_divisor).
func::FuncOp getCheckFunction(ModuleOp module, StringRef name, unsigned args) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<Type> i64s(args, b.getI64Type());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType(i64s, {b.getI64Type()}));
  f.setPrivate();
  return f;
}

/// Puts the divisor of `op` (an integer division or remainder whose
/// divisor depends on the data) through romac_check_divisor, widened to
/// i64 and narrowed back (signed ops sign-extend, unsigned zero-extend).
void checkDivisor(Operation *op, ModuleOp module) {
  Value divisor = op->getOperand(1);
  auto type = dyn_cast<IntegerType>(divisor.getType());
  if (!type || !dependsOnData(divisor))
    return;
  OpBuilder b(op);
  Location loc = op->getLoc();
  Type i64 = b.getI64Type();
  bool isUnsigned = isa<arith::DivUIOp, arith::RemUIOp>(op);
  Value wide = divisor;
  if (type.getWidth() < 64)
    wide = isUnsigned
               ? arith::ExtUIOp::create(b, loc, i64, divisor).getResult()
               : arith::ExtSIOp::create(b, loc, i64, divisor).getResult();
  Value checked =
      func::CallOp::create(b, loc, getCheckFunction(module, kCheckDivisor, 1),
                           ValueRange{wide})
          .getResult(0);
  if (type.getWidth() < 64)
    checked = arith::TruncIOp::create(b, loc, type, checked);
  op->setOperand(1, checked);
}

/// The index `x` when `index` is ONNX's wrap of a negative index into an
/// axis of `size` entries, select(x < 0, x + size, x) (the importer's
/// Gather): checking x itself names the index the data holds.
Value getWrappedIndex(Value index, int64_t size) {
  auto select = index.getDefiningOp<arith::SelectOp>();
  if (!select)
    return {};
  auto cmp = select.getCondition().getDefiningOp<arith::CmpIOp>();
  auto add = select.getTrueValue().getDefiningOp<arith::AddIOp>();
  Value x = select.getFalseValue();
  APInt zero, c;
  if (!cmp || !add || cmp.getPredicate() != arith::CmpIPredicate::slt ||
      cmp.getLhs() != x || !matchPattern(cmp.getRhs(), m_ConstantInt(&zero)) ||
      !zero.isZero() || add.getLhs() != x ||
      !matchPattern(add.getRhs(), m_ConstantInt(&c)) || c != size)
    return {};
  return x;
}

struct CheckIndicesPass
    : public romac::impl::RomacCheckIndicesPassBase<CheckIndicesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> divisions;
    module.walk([&](Operation *op) {
      if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
              arith::CeilDivSIOp, arith::FloorDivSIOp>(op))
        divisions.push_back(op);
    });
    for (Operation *op : divisions)
      checkDivisor(op, module);
    SmallVector<tensor::ExtractOp> extracts;
    module.walk([&](tensor::ExtractOp op) { extracts.push_back(op); });
    for (tensor::ExtractOp op : extracts) {
      auto type = cast<RankedTensorType>(op.getTensor().getType());
      for (auto [d, index] : llvm::enumerate(op.getIndices())) {
        if (!dependsOnData(index))
          continue;
        OpBuilder b(op);
        Location loc = op.getLoc();
        Type i64 = b.getI64Type();
        Value wrapped = type.isDynamicDim(d)
                            ? Value()
                            : getWrappedIndex(index, type.getDimSize(d));
        Value size =
            type.isDynamicDim(d)
                ? arith::IndexCastOp::create(
                      b, loc, i64,
                      tensor::DimOp::create(b, loc, op.getTensor(), d))
                      .getResult()
                : arith::ConstantIntOp::create(b, loc, i64, type.getDimSize(d))
                      .getResult();
        Value asI64 =
            arith::IndexCastOp::create(b, loc, i64, wrapped ? wrapped : index);
        Value wraps =
            arith::ConstantIntOp::create(b, loc, i64, wrapped ? 1 : 0);
        Value checked = func::CallOp::create(
                            b, loc, getCheckFunction(module, kCheckIndex, 3),
                            ValueRange{asI64, size, wraps})
                            .getResult(0);
        op->setOperand(1 + d, arith::IndexCastOp::create(
                                  b, loc, b.getIndexType(), checked));
      }
    }
  }
};

} // namespace
