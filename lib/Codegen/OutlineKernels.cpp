//===- OutlineKernels.cpp - one function per layer -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Moves every layer of a bufferized function into a kernel function of its
// own (see Passes.td, romac-outline-kernels).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

#include <limits>

namespace romac {
#define GEN_PASS_DEF_ROMACOUTLINEKERNELSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// Whether `op` is a layer to outline: it has regions (a loop nest or a
/// linalg body) and, being on buffers, no results; or it is a whole layer's
/// call of a native kernel (romac-lower-to-kernels, untiled).
bool isKernel(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return call.getCallee().starts_with("romac_") &&
           !call.getCallee().starts_with("romac_profile_") &&
           call->getNumResults() == 0;
  return op->getNumRegions() > 0 && op->getNumResults() == 0 &&
         !op->hasTrait<OpTrait::IsTerminator>();
}

/// The profiling hooks `romac_profile_enter/exit(i64)`, declared once.
func::FuncOp getProfileHook(ModuleOp module, StringRef name) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto hook = b.create<func::FuncOp>(module.getLoc(), name,
                                     b.getFunctionType({b.getI64Type()}, {}));
  hook.setPrivate();
  return hook;
}

/// Outlines `op` into a new function `name` inserted before `func`, and
/// replaces it with a call (between the profiling hooks with `index` when
/// `profile` is set). Returns the kernel and its call.
std::pair<func::FuncOp, func::CallOp> outline(Operation *op, func::FuncOp func,
                                              StringRef name, bool profile,
                                              int64_t index) {
  llvm::SetVector<Value> captured;
  for (Value v : op->getOperands())
    captured.insert(v);
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  SmallVector<Value> args;
  SmallVector<Operation *> constants;
  for (Value v : captured) {
    if (Operation *def = v.getDefiningOp();
        def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      args.push_back(v);
  }
  OpBuilder b(func);
  auto type = b.getFunctionType(ValueRange(args).getTypes(), {});
  auto kernel = b.create<func::FuncOp>(op->getLoc(), name, type);
  kernel.setPrivate();
  kernel->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  Block *body = kernel.addEntryBlock();
  IRMapping map;
  for (auto [v, arg] : llvm::zip(args, body->getArguments()))
    map.map(v, arg);
  b.setInsertionPointToStart(body);
  for (Operation *c : constants)
    b.clone(*c, map);
  b.clone(*op, map);
  b.create<func::ReturnOp>(op->getLoc());
  b.setInsertionPoint(op);
  Value id;
  auto module = func->getParentOfType<ModuleOp>();
  if (profile) {
    id = b.create<arith::ConstantOp>(op->getLoc(), b.getI64IntegerAttr(index));
    b.create<func::CallOp>(op->getLoc(),
                           getProfileHook(module, "romac_profile_enter"), id);
  }
  auto call = b.create<func::CallOp>(op->getLoc(), kernel, args);
  if (profile)
    b.create<func::CallOp>(op->getLoc(),
                           getProfileHook(module, "romac_profile_exit"), id);
  op->erase();
  return {kernel, call};
}

/// What `kernel` computes: its printed form without its name and without
/// locations. Two kernels with the same text have the same type, attributes
/// and body.
std::string getKernelText(func::FuncOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // Local scope: a kernel is isolated from above, and numbering the whole
  // module for each kernel would make this quadratic. Every constant in
  // full and no locations, whatever --mlir-elide-elementsattrs-if-larger or
  // --mlir-print-debuginfo say (an elided constant would merge two kernels
  // that differ).
  kernel->print(
      os, OpPrintingFlags()
              .useLocalScope()
              .enableDebugInfo(false)
              .elideLargeElementsAttrs(std::numeric_limits<int64_t>::max()));
  std::string name = "@" + kernel.getName().str() + "(";
  size_t at = text.find(name);
  if (at != std::string::npos)
    text.replace(at, name.size(), "@(");
  return text;
}

struct OutlineKernelsPass
    : public romac::impl::RomacOutlineKernelsPassBase<OutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // The kernel outlined first for each distinct text: a network repeats
    // its blocks, and each distinct kernel is compiled once (the SD2 UNet's
    // 2,054 layers have 316 distinct kernels).
    llvm::StringMap<func::FuncOp> distinct;
    unsigned next = 0;
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal() || func.getName().starts_with("romac_"))
        continue;
      for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
        if (!isKernel(&op))
          continue;
        std::string name;
        int64_t index;
        do {
          index = next++;
          name = "romac_kernel_" + std::to_string(index);
        } while (symbols.lookup(name));
        auto [kernel, call] = outline(&op, func, name, profile, index);
        auto [it, inserted] =
            distinct.try_emplace(getKernelText(kernel), kernel);
        if (inserted)
          continue;
        call.setCallee(it->second.getName());
        kernel.erase();
      }
    }
  }
};

} // namespace
