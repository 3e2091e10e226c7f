//===- RomacDialect.cpp - romac dialect -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace romac;

#include "romac/Dialect/Romac/IR/RomacOpsDialect.cpp.inc"

void RomacDialect::initialize() { registerAttributes(); }

LogicalResult RomacDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() == getMappingAttrName() ||
      attr.getName() == getTiledMappingAttrName()) {
    auto mapping = dyn_cast<MappingAttr>(attr.getValue());
    if (!mapping)
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' must be a #romac.mapping attribute";
    // A tiled op's loops are the tile's, so only the search's mapping is
    // checked against the static bounds.
    return mapping.verifyForOp(op, attr.getName().getValue(),
                               /*checkBounds=*/attr.getName() ==
                                   getMappingAttrName());
  }
  if (attr.getName() == getWeightAttrName()) {
    if (!isa<ElementsAttr>(attr.getValue()))
      return op->emitError() << "'" << getWeightAttrName()
                             << "' must be an elements attribute";
    return success();
  }
  if (attr.getName() == getTargetAttrName()) {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << getTargetAttrName()
                             << "' may only be attached to a builtin.module";
    if (!isa<TargetAttr>(attr.getValue()))
      return op->emitError() << "'" << getTargetAttrName()
                             << "' must be a #romac.target attribute";
    return success();
  }
  if (attr.getName() == getDramAttrName()) {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    auto mapping = dict ? dict.getAs<StringAttr>("address_mapping") : nullptr;
    auto layouts = dict ? dict.getAs<ArrayAttr>("layouts") : nullptr;
    if (!mapping || !layouts ||
        !llvm::all_of(layouts, [](Attribute a) { return isa<StringAttr>(a); }))
      return op->emitError()
             << "'" << getDramAttrName()
             << "' must be {address_mapping = string, layouts = [string, "
                "...]}";
    return success();
  }
  if (attr.getName() == getFusedGroupAttrName()) {
    auto index = dyn_cast<IntegerAttr>(attr.getValue());
    if (!index || !index.getType().isInteger(64) || index.getInt() < 0)
      return op->emitError() << "'" << getFusedGroupAttrName()
                             << "' must be a non-negative i64";
    return success();
  }
  return op->emitError() << "unknown romac attribute '" << attr.getName().getValue()
                         << "'";
}
