//===- ScheduleBuilder.cpp - schedules from compiled IR --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace romac;

void romac::applyTargetPrecision(Workload &workload, const Target &target) {
  for (unsigned i = 0; i < workload.operands.size(); ++i) {
    auto cls = static_cast<OperandKind>(classifyOperand(workload, i));
    workload.operands[i].bytesPerElement =
        static_cast<int64_t>(target.compute.getBytesPerElement(cls));
  }
}

llvm::Expected<Target> romac::loadModuleTarget(ModuleOp module) {
  auto attr = module->getAttrOfType<TargetAttr>(
      RomacDialect::getTargetAttrName());
  if (!attr)
    return llvm::createStringError(
        "the module has no '%s' attribute (run romac-attach-target first)",
        RomacDialect::getTargetAttrName().data());
  return loadTarget(attr.getName());
}

std::vector<Layer> romac::collectContractions(ModuleOp module,
                                              const Target &target) {
  std::vector<Layer> result;
  for (auto func : module.getOps<func::FuncOp>())
    for (Layer &layer : collectLayers(func))
      if (layer.kind == LayerKind::Contraction) {
        applyTargetPrecision(layer.workload, target);
        result.push_back(std::move(layer));
      }
  return result;
}

Attribute romac::mappingAttr(MLIRContext *ctx, const Workload &workload,
                             const LayerResult &result) {
  Builder b(ctx);
  SmallVector<NamedAttribute> tiles;
  for (auto [k, dim] : llvm::enumerate(workload.dims))
    tiles.push_back(b.getNamedAttr(
        dim.name, b.getI64IntegerAttr(result.mapping.tileSizes[k])));
  SmallVector<Attribute> order;
  for (unsigned d : result.mapping.order)
    order.push_back(b.getStringAttr(workload.dims[d].name));
  SmallVector<NamedAttribute> spatial;
  if (result.spatial.rowDim)
    spatial.push_back(b.getNamedAttr(
        "rows", b.getStringAttr(workload.dims[*result.spatial.rowDim].name)));
  if (result.spatial.colDim)
    spatial.push_back(b.getNamedAttr(
        "cols", b.getStringAttr(workload.dims[*result.spatial.colDim].name)));
  return MappingAttr::get(ctx, b.getStringAttr(result.reuse),
                          b.getDictionaryAttr(tiles), b.getArrayAttr(order),
                          b.getDictionaryAttr(spatial));
}

llvm::Expected<LayerResult>
romac::resultFromMapping(const Layer &layer, const CostTarget &target,
                         const SearchOptions &options) {
  const Workload &w = layer.workload;
  auto fail = [&](const Twine &why) {
    return llvm::createStringError(
        (w.name + ": " + why).str().c_str());
  };
  auto attr = layer.op->getAttrOfType<MappingAttr>(
      RomacDialect::getMappingAttrName());
  if (!attr)
    return fail("has no #romac.mapping (run romac-tile-search first)");
  SmallVector<std::pair<StringRef, int64_t>> tiles;
  for (NamedAttribute entry : attr.getTile())
    tiles.push_back({entry.getName().getValue(),
                     cast<IntegerAttr>(entry.getValue()).getInt()});
  SmallVector<StringRef> order;
  for (Attribute a : attr.getOrder())
    order.push_back(cast<StringAttr>(a).getValue());
  llvm::Expected<Mapping> mapping = Mapping::get(w, tiles, order);
  if (!mapping)
    return fail(llvm::toString(mapping.takeError()));
  SpatialMapping spatial;
  for (NamedAttribute axis : attr.getSpatial()) {
    std::optional<unsigned> dim =
        w.findDim(cast<StringAttr>(axis.getValue()).getValue());
    if (!dim)
      return fail("spatial dim '" +
                  cast<StringAttr>(axis.getValue()).getValue() +
                  "' is not a loop dim");
    (axis.getName() == "rows" ? spatial.rowDim : spatial.colDim) = *dim;
  }
  if (llvm::Error e = spatial.verify(w))
    return fail(llvm::toString(std::move(e)));
  CostModel model(target, w, options.cost);
  if (llvm::Error e = model.checkCapacity(mapping->tileSizes))
    return fail(llvm::toString(std::move(e)));
  LayerResult result;
  result.mapping = *mapping;
  result.spatial = spatial;
  result.reuse = attr.getReuse().str();
  result.cost = model.compute(result.mapping, spatial);
  result.objective = result.cost.getObjective(options.objective);
  return result;
}

llvm::Expected<Schedule> romac::buildSchedule(ModuleOp module,
                                              StringRef modelName,
                                              const Target &target,
                                              const SearchOptions &options) {
  CostTarget costTarget = CostTarget::get(target);
  std::vector<Workload> workloads;
  std::vector<LayerResult> results;
  for (const Layer &layer : collectContractions(module, target)) {
    llvm::Expected<LayerResult> r =
        resultFromMapping(layer, costTarget, options);
    if (!r)
      return r.takeError();
    workloads.push_back(layer.workload);
    results.push_back(std::move(*r));
  }
  return makeSchedule(modelName, costTarget, workloads, results, options);
}
