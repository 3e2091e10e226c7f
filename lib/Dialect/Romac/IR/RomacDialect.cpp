//===- RomacDialect.cpp - romac dialect -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacOps.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace romac;

#include "romac/Dialect/Romac/IR/RomacOpsDialect.cpp.inc"

void RomacDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "romac/Dialect/Romac/IR/RomacOps.cpp.inc"
      >();
}

/// Checks `romac.dram` on \p op: {address_mapping = string, layouts =
/// [#romac.layout, ...], band_rows = i64 (optional)}; on a linalg op one
/// layout per operand, each DRAM layout ordering the operand's dims.
static LogicalResult verifyDramAttr(Operation *op, Attribute value) {
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto mapping = dict ? dict.getAs<StringAttr>("address_mapping") : nullptr;
  auto layouts = dict ? dict.getAs<ArrayAttr>("layouts") : nullptr;
  Attribute bandRows = dict ? dict.get("band_rows") : nullptr;
  if (!mapping || !layouts ||
      !llvm::all_of(layouts, [](Attribute a) { return isa<LayoutAttr>(a); }) ||
      (bandRows && !isa<IntegerAttr>(bandRows)))
    return op->emitError()
           << "'" << RomacDialect::getDramAttrName()
           << "' must be {address_mapping = string, layouts = "
              "[#romac.layout, ...], band_rows = i64 (optional)}";
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return success();
  if (layouts.size() != op->getNumOperands())
    return op->emitError() << "'" << RomacDialect::getDramAttrName() << "' has "
                           << layouts.size() << " layouts, the op has "
                           << op->getNumOperands() << " operands";
  for (auto [k, layout] : llvm::enumerate(layouts.getAsRange<LayoutAttr>())) {
    auto type = dyn_cast<ShapedType>(op->getOperand(k).getType());
    if (layout.getOrder() && type && type.hasRank() &&
        static_cast<int64_t>(layout.getOrder().size()) != type.getRank())
      return op->emitError()
             << "'" << RomacDialect::getDramAttrName() << "' layout " << k
             << " orders " << layout.getOrder().size()
             << " dims, the operand has " << type.getRank();
  }
  return success();
}

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
      return op->emitError()
             << "'" << getWeightAttrName() << "' must be an elements attribute";
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
  if (attr.getName() == getDramAttrName())
    return verifyDramAttr(op, attr.getValue());
  if (attr.getName() == getFusedGroupAttrName() ||
      attr.getName() == getArenaBytesAttrName() ||
      attr.getName() == getArenaLowerBoundAttrName()) {
    auto index = dyn_cast<IntegerAttr>(attr.getValue());
    if (!index || !index.getType().isInteger(64) || index.getInt() < 0)
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' must be a non-negative i64";
    return success();
  }
  if (attr.getName() == getWeightCodeBitsAttrName() ||
      attr.getName() == getActivationCodeBitsAttrName()) {
    auto bits = dyn_cast<IntegerAttr>(attr.getValue());
    if (!bits || !bits.getType().isInteger(64) || bits.getInt() < 2 ||
        bits.getInt() > 16 || !isa<linalg::LinalgOp>(op))
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' must be an i64 in [2, 16] on a linalg op";
    return success();
  }
  if (attr.getName() == getClampAttrName() ||
      attr.getName() == getScaleAttrName() ||
      attr.getName() == getOverwriteAttrName()) {
    StringRef name = attr.getName().getValue();
    if (attr.getName() == getClampAttrName()) {
      auto bounds = dyn_cast<DenseF32ArrayAttr>(attr.getValue());
      if (!bounds || bounds.size() != 2 || !(bounds[0] <= bounds[1]))
        return op->emitError()
               << "'" << name << "' must be array<f32: lo, hi> with lo <= hi";
    }
    if (attr.getName() == getScaleAttrName()) {
      auto scale = dyn_cast<FloatAttr>(attr.getValue());
      if (!scale || !scale.getType().isF32())
        return op->emitError() << "'" << name << "' must be an f32";
    }
    if (attr.getName() == getOverwriteAttrName() &&
        !isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a unit attribute";
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || linalgOp.getNumDpsInits() != 1 ||
        !isa<FloatType>(getElementTypeOrSelf(
            linalgOp.getDpsInitOperand(0)->get().getType())))
      return op->emitError()
             << "'" << name << "' needs a linalg op with one float output";
    return success();
  }
  if (attr.getName() == getInputPadAttrName()) {
    auto pad = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!pad || pad.size() != 2 || pad[0] < 0 || pad[1] < 0 ||
        op->getName().getStringRef() != "linalg.depthwise_conv_2d_nchw_chw")
      return op->emitError()
             << "'" << getInputPadAttrName()
             << "' must be array<i64: top, left>, both non-negative, of a "
                "linalg.depthwise_conv_2d_nchw_chw";
    return success();
  }
  if (attr.getName() == getParallelAttrName()) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<scf::ForOp>(op))
      return op->emitError() << "'" << getParallelAttrName()
                             << "' must be a unit attribute of an scf.for";
    return success();
  }
  return op->emitError() << "unknown romac attribute '"
                         << attr.getName().getValue() << "'";
}
