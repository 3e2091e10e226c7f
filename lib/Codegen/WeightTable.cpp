//===- WeightTable.cpp - weights through a table the runtime fills -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-weight-table: in the LLVM dialect, every address of an external weight
// declaration (`romac_weight_N`, romac-externalize-weights) becomes a load from
// one table of pointers, `romac_weight_table`, that the runtime fills before a
// run. A shared object compiled this way holds no reference to a weight
// symbol, so the same object runs with weights wherever they are mapped.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace romac {
#define GEN_PASS_DEF_ROMACWEIGHTTABLEPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTableName = "romac_weight_table";
constexpr llvm::StringLiteral kWeightPrefix = "romac_weight_";

/// Whether `global` is a weight declaration of romac-externalize-weights.
bool isWeightDeclaration(LLVM::GlobalOp global) {
  return global.getSymName().starts_with(kWeightPrefix) &&
         global.getSymName() != kTableName && !global.getValueOrNull() &&
         !global.getInitializerBlock() &&
         global.getLinkage() == LLVM::Linkage::External;
}

struct WeightTablePass
    : public romac::impl::RomacWeightTablePassBase<WeightTablePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (module.lookupSymbol(kTableName)) {
      module.emitError() << "@" << kTableName << " exists already";
      return signalPassFailure();
    }
    // The weights in module order (the order romac-externalize-weights
    // numbered them), each with its slot.
    llvm::StringMap<int64_t> slots;
    SmallVector<Attribute> names;
    SmallVector<LLVM::GlobalOp> declarations;
    for (auto global : module.getOps<LLVM::GlobalOp>())
      if (isWeightDeclaration(global)) {
        slots[global.getSymName()] = declarations.size();
        names.push_back(global.getSymNameAttr());
        declarations.push_back(global);
      }

    Location loc = module.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto tableType = LLVM::LLVMArrayType::get(ptrType, declarations.size());
    OpBuilder builder(ctx);
    builder.setInsertionPointToStart(module.getBody());
    auto table = LLVM::GlobalOp::create(
        builder, loc, tableType, /*isConstant=*/false, LLVM::Linkage::External,
        kTableName, Attribute(), /*alignment=*/8);
    table.setVisibility_(LLVM::Visibility::Hidden);
    Block *init = builder.createBlock(&table.getInitializerRegion());
    builder.setInsertionPointToStart(init);
    LLVM::ReturnOp::create(builder, loc,
                           LLVM::ZeroOp::create(builder, loc, tableType));

    WalkResult walk = module.walk([&](LLVM::AddressOfOp address) {
      auto it = slots.find(address.getGlobalName());
      if (it == slots.end())
        return WalkResult::advance();
      if (!address->getParentOfType<LLVM::LLVMFuncOp>()) {
        address.emitError()
            << "the address of weight @" << address.getGlobalName()
            << " is used outside a function";
        return WalkResult::interrupt();
      }
      builder.setInsertionPoint(address);
      Location l = address.getLoc();
      Value base = LLVM::AddressOfOp::create(builder, l, ptrType, kTableName);
      Value slot = LLVM::GEPOp::create(
          builder, l, ptrType, tableType, base,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(it->second)},
          LLVM::GEPNoWrapFlags::inbounds);
      Value pointer =
          LLVM::LoadOp::create(builder, l, ptrType, slot, /*alignment=*/8);
      address.replaceAllUsesWith(pointer);
      address.erase();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (LLVM::GlobalOp global : declarations)
      global.erase();
    table->setAttr("weights", ArrayAttr::get(ctx, names));
  }
};

} // namespace
