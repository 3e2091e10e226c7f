//===- ExternalizeWeights.cpp - weights supplied by the runtime -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Moves the value of every large constant memref.global into the `romac.weight`
// attribute and leaves an external declaration, so the lowered code refers to
// the weights by symbol and the runtime binds each symbol to data it already
// holds (the memory-mapped model file) instead of copying it into the code.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

namespace romac {
#define GEN_PASS_DEF_ROMACEXTERNALIZEWEIGHTSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

int64_t romac::getWeightBytes(ElementsAttr value) {
  auto type = cast<ShapedType>(value.getType());
  return type.getNumElements() *
         std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
}

namespace {
struct ExternalizeWeightsPass
    : public romac::impl::RomacExternalizeWeightsPassBase<
          ExternalizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // The new names, put in by one walk over the module at the end
    // (SymbolTable::rename walks the module once per weight).
    DenseMap<StringAttr, StringAttr> renamed;
    unsigned next = 0;
    for (auto global :
         llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
      auto value = llvm::dyn_cast_or_null<ElementsAttr>(
          global.getInitialValue().value_or(Attribute()));
      if (!global.getConstant() || !value || value.isSplat() ||
          romac::getWeightBytes(value) < minBytes)
        continue;
      // A name of romac's own: a weight called `exp` must not bind to libm.
      std::string name;
      do
        name = "romac_weight_" + std::to_string(next++);
      while (symbols.lookup(name));
      auto newName = StringAttr::get(&getContext(), name);
      renamed[global.getSymNameAttr()] = newName;
      global.setSymNameAttr(newName);
      global->setAttr(romac::RomacDialect::getWeightAttrName(), value);
      global.setInitialValueAttr(Attribute());
      // The data lives where the model keeps it (an offset in the ONNX
      // file): promise no alignment beyond the element type's.
      global.setAlignmentAttr(IntegerAttr());
      // A declaration the JIT resolves: external linkage.
      global.setPublic();
    }
    AttrTypeReplacer replacer;
    replacer.addReplacement(
        [&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
          auto it = renamed.find(ref.getAttr());
          if (it == renamed.end())
            return std::nullopt;
          return FlatSymbolRefAttr::get(it->second);
        });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/false);
  }
};
} // namespace
