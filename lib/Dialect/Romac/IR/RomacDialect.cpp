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
  if (attr.getName() == getMappingAttrName()) {
    if (!isa<MappingAttr>(attr.getValue()))
      return op->emitError() << "'" << getMappingAttrName()
                             << "' must be a #romac.mapping attribute";
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
  return op->emitError() << "unknown romac attribute '" << attr.getName().getValue()
                         << "'";
}
