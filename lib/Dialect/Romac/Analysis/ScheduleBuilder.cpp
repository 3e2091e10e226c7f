//===- ScheduleBuilder.cpp - schedules from compiled IR --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Analysis/StreamingLayers.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace romac;

void romac::applyTargetPrecision(Workload &workload, const Target &target) {
  const WeightFormat &format = target.weightFormat;
  const Compression &compression = target.compression;
  workload.macFraction = 1;
  for (unsigned i = 0; i < workload.operands.size(); ++i) {
    Operand &op = workload.operands[i];
    auto cls = static_cast<OperandKind>(classifyOperand(workload, i));
    // A product of two activations (attention's keys and values) takes the
    // activations' type when the network is quantized.
    bool weight = cls == OperandKind::Weight && op.constant;
    if (cls == OperandKind::Weight && !op.constant && compression.quantize)
      cls = OperandKind::Input;
    op.bytesPerElement =
        static_cast<int64_t>(target.compute.getBytesPerElement(cls));
    op.storageBits16 = 0;
    if (!weight || compression.empty() || format.isPlain())
      continue;
    // The format's bits plus the layer's codebook, spread over its weights.
    int64_t n = op.getNumElements();
    unsigned __int128 bits =
        static_cast<unsigned __int128>(n) * format.getBits16() +
        format.getCodebookBytes() * 128;
    op.storageBits16 = static_cast<uint32_t>((bits + n - 1) / n);
    if (target.compute.skipsZeroOperands && format.sparsity != Sparsity::Dense)
      workload.macFraction = format.density;
  }
}

llvm::Expected<Target> romac::loadModuleTarget(ModuleOp module) {
  auto attr =
      module->getAttrOfType<TargetAttr>(RomacDialect::getTargetAttrName());
  if (!attr)
    return llvm::createStringError(
        "the module has no '%s' attribute (run romac-attach-target first)",
        RomacDialect::getTargetAttrName().data());
  if (!attr.getDescription())
    return loadTarget(attr.getName());
  return parseTarget(attr.getDescriptionYaml(),
                     "the description of #romac.target<\"" +
                         attr.getName().str() + "\">");
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

MappingAttr romac::mappingAttr(MLIRContext *ctx, const Workload &workload,
                               const LayerResult &result) {
  // Workload dims are the linalg op's loops in iteration order
  // (workloadFromLinalg()), so a dim's position is its loop index.
  assert(result.mapping.tileSizes.size() == workload.dims.size() &&
         "one tile per loop dim");
  std::optional<ReuseScheme> reuse = parseReuseSchemeLabel(result.reuse);
  assert(reuse && "the search labels every result with a known scheme");
  SmallVector<int64_t> order(result.mapping.order.begin(),
                             result.mapping.order.end());
  auto loop = [](std::optional<unsigned> d) -> std::optional<int64_t> {
    if (d)
      return static_cast<int64_t>(*d);
    return std::nullopt;
  };
  return MappingAttr::get(
      ctx, ReuseSchemeAttr::get(ctx, reuse.value_or(ReuseScheme::Mixed)),
      DenseI64ArrayAttr::get(ctx, result.mapping.tileSizes),
      DenseI64ArrayAttr::get(ctx, order), loop(result.spatial.rowDim),
      loop(result.spatial.colDim));
}

/// "N=1 K=64 P=56": the dims of `w` for messages.
static std::string dimsString(const Workload &w) {
  std::string s;
  for (const LoopDim &d : w.dims)
    s += (s.empty() ? "" : " ") + d.name + "=" + std::to_string(d.bound);
  return s;
}

llvm::Error romac::attachSchedule(ModuleOp module, const Schedule &schedule) {
  llvm::StringMap<const LayerSchedule *> byName;
  for (const LayerSchedule &l : schedule.layers)
    byName[l.workload.name] = &l;
  std::vector<std::pair<const Layer *, const LayerSchedule *>> matched;
  std::vector<Layer> layers;
  for (auto func : module.getOps<func::FuncOp>())
    for (Layer &layer : collectLayers(func))
      if (layer.kind == LayerKind::Contraction)
        layers.push_back(std::move(layer));
  for (const Layer &layer : layers) {
    const Workload &w = layer.workload;
    auto it = byName.find(w.name);
    if (it == byName.end())
      return makeStringError("the schedule has no layer '" + w.name +
                             "' (a schedule written for another model?)");
    const Workload &sw = it->second->workload;
    bool same = sw.dims.size() == w.dims.size();
    for (size_t d = 0; same && d < w.dims.size(); ++d)
      same = sw.dims[d].name == w.dims[d].name &&
             sw.dims[d].bound == w.dims[d].bound &&
             sw.dims[d].kind == w.dims[d].kind;
    if (!same)
      return makeStringError("layer '" + w.name + "': the schedule's dims " +
                             dimsString(sw) + " are not the model's " +
                             dimsString(w));
    if (!parseReuseSchemeLabel(it->second->reuse))
      return makeStringError("layer '" + w.name + "': unknown reuse scheme '" +
                             it->second->reuse + "'");
    matched.push_back({&layer, it->second});
    byName.erase(it);
  }
  if (!byName.empty())
    return makeStringError("layer '" + byName.begin()->getKey() +
                           "' of the schedule is not a contraction of the "
                           "model (a schedule written for another model?)");
  module.getContext()->getOrLoadDialect<RomacDialect>();
  for (auto [layer, scheduled] : matched) {
    LayerResult result;
    result.mapping = scheduled->mapping;
    result.spatial = scheduled->spatial;
    result.reuse = scheduled->reuse;
    layer->op->setAttr(
        RomacDialect::getMappingAttrName(),
        mappingAttr(module.getContext(), layer->workload, result));
  }
  return llvm::Error::success();
}

llvm::Expected<LayerResult>
romac::resultFromMapping(const Layer &layer, const CostTarget &target,
                         const SearchOptions &options) {
  const Workload &w = layer.workload;
  auto fail = [&](const Twine &why) {
    return llvm::createStringError((w.name + ": " + why).str().c_str());
  };
  auto attr =
      layer.op->getAttrOfType<MappingAttr>(RomacDialect::getMappingAttrName());
  if (!attr)
    return fail("has no #romac.mapping (run romac-tile-search first)");
  // Loop i of the op is dim i of its workload.
  Mapping mapping;
  mapping.tileSizes.assign(attr.getTile().asArrayRef().begin(),
                           attr.getTile().asArrayRef().end());
  for (int64_t loop : attr.getOrder().asArrayRef())
    mapping.order.push_back(static_cast<unsigned>(loop));
  if (llvm::Error e = mapping.verify(w))
    return fail(llvm::toString(std::move(e)));
  SpatialMapping spatial;
  if (std::optional<int64_t> rows = attr.getSpatialRows())
    spatial.rowDim = static_cast<unsigned>(*rows);
  if (std::optional<int64_t> cols = attr.getSpatialCols())
    spatial.colDim = static_cast<unsigned>(*cols);
  if (llvm::Error e = spatial.verify(w))
    return fail(llvm::toString(std::move(e)));
  CostModel model(target, w, options.cost);
  if (llvm::Error e = model.checkCapacity(mapping.tileSizes))
    return fail(llvm::toString(std::move(e)));
  LayerResult result;
  result.mapping = std::move(mapping);
  result.spatial = spatial;
  result.reuse = getReuseSchemeLabel(attr.getReuse().getValue());
  result.cost = model.compute(result.mapping, spatial);
  result.objective = result.cost.getObjective(options.objective);
  return result;
}

llvm::Error romac::searchModuleFlat(ModuleOp module, const Target &target,
                                    const SearchOptions &options) {
  std::vector<Layer> layers = collectContractions(module, target);
  std::vector<Workload> workloads;
  for (const Layer &layer : layers)
    workloads.push_back(layer.workload);
  llvm::Expected<std::vector<LayerResult>> results =
      searchLayers(workloads, target, options);
  if (!results)
    return results.takeError();
  for (auto [layer, result] : llvm::zip(layers, *results))
    layer.op->setAttr(RomacDialect::getMappingAttrName(),
                      mappingAttr(module.getContext(), layer.workload, result));
  return llvm::Error::success();
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
  Schedule schedule =
      makeSchedule(modelName, costTarget, workloads, results, options);
  schedule.streaming = collectStreamingLayers(module, target);
  return schedule;
}

llvm::Expected<DramCompile> romac::compileModuleDramAware(
    ModuleOp module, const Target &target, const SearchOptions &options,
    llvm::StringRef addressMapping, bool fuse, DramObjective objective) {
  DramCompile c;
  c.contractions = collectContractions(module, target);
  // The graph's searched layers are the contractions in the same order,
  // with the same data types; its tensors come from SSA def-use.
  c.graph = buildWorkloadGraph(
      module, [&](Workload &w) { applyTargetPrecision(w, target); });
  c.workloads.assign(c.graph.getLayers().begin(), c.graph.getLayers().end());
  c.dramOptions.addressMapping = addressMapping.str();
  c.dramOptions.objective = objective;
  llvm::Expected<DramSearchResult> result =
      searchLayersDramAware(c.graph, target, options, c.dramOptions);
  if (!result)
    return result.takeError();
  c.result = std::move(*result);
  if (!fuse)
    return c;
  llvm::Expected<DramParams> params = DramParams::get(target.dram);
  if (!params)
    return params.takeError();
  FusionOptions fusionOptions;
  fusionOptions.objective = objective;
  llvm::Expected<FusionResult> fusion = fuseLayersDram(
      c.graph, c.result, CostTarget::get(target), *params, fusionOptions);
  if (!fusion)
    return fusion.takeError();
  c.fusion = std::move(*fusion);
  return c;
}

/// The #romac.layout that records \p layout.
static LayoutAttr layoutAttr(MLIRContext *ctx, const TensorLayout &layout) {
  SmallVector<int64_t> order(layout.getDimOrder().begin(),
                             layout.getDimOrder().end());
  bool blocked = layout.getKind() == LayoutKind::Blocked;
  return LayoutAttr::get(
      ctx, blocked ? DramLayoutKind::Blocked : DramLayoutKind::RowMajor,
      blocked ? DenseI64ArrayAttr::get(ctx, layout.getBlockSizes()) : nullptr,
      DenseI64ArrayAttr::get(ctx, order), layout.getBase());
}

void romac::annotateDramCompile(MLIRContext *ctx, const DramCompile &c) {
  // Unfused layers as the fused result evaluated them (a layer reading a
  // group's output may have adopted its layout).
  const std::vector<DramLayerResult> &results =
      c.fusion ? c.fusion->layers : c.result.layers;
  auto dramAttr = [&](StringRef mapping, ArrayRef<Attribute> layouts,
                      std::optional<int64_t> bandRows) {
    SmallVector<NamedAttribute, 3> fields = {
        NamedAttribute(StringAttr::get(ctx, "address_mapping"),
                       StringAttr::get(ctx, mapping)),
        NamedAttribute(StringAttr::get(ctx, "layouts"),
                       ArrayAttr::get(ctx, layouts))};
    if (bandRows)
      fields.push_back(NamedAttribute(
          StringAttr::get(ctx, "band_rows"),
          IntegerAttr::get(IntegerType::get(ctx, 64), *bandRows)));
    return DictionaryAttr::get(ctx, fields);
  };
  Attribute onChip =
      LayoutAttr::get(ctx, DramLayoutKind::OnChip, nullptr, nullptr, {});
  for (auto [k, layer] : llvm::enumerate(c.contractions)) {
    const DramLayerResult &r = results[k];
    layer.op->setAttr(RomacDialect::getMappingAttrName(),
                      mappingAttr(ctx, layer.workload, r.layer));
    layer.op->removeAttr(RomacDialect::getFusedGroupAttrName());
    int g = c.fusion ? c.fusion->groupOf[k] : -1;
    llvm::Expected<RowBandLayer> rb =
        g >= 0 ? getRowBandLayer(layer.workload)
               : llvm::Expected<RowBandLayer>(RowBandLayer());
    if (!rb || g < 0 || !c.fusion->groups[g].placement) {
      if (!rb)
        llvm::consumeError(rb.takeError());
      SmallVector<Attribute> layouts;
      for (const TensorLayout &l : r.layout.operands)
        layouts.push_back(layoutAttr(ctx, l));
      layer.op->setAttr(RomacDialect::getDramAttrName(),
                        dramAttr(r.addressMapping, layouts, std::nullopt));
      continue;
    }
    // A fused layer: the group's DRAM tensors, its intermediates on chip.
    const FusedGroup &group = c.fusion->groups[g];
    const RowBandPlacement &placement = *group.placement;
    size_t weight = 0;
    for (unsigned j = group.first; j < k; ++j)
      weight += c.workloads[j].operands.size() - 2;
    SmallVector<Attribute> layouts;
    for (unsigned o = 0; o < layer.workload.operands.size(); ++o) {
      if (o == rb->input)
        layouts.push_back(k == group.first ? layoutAttr(ctx, placement.input)
                                           : onChip);
      else if (o == rb->output)
        layouts.push_back(k == group.last ? layoutAttr(ctx, placement.output)
                                          : onChip);
      else
        layouts.push_back(layoutAttr(ctx, placement.weights[weight++]));
    }
    layer.op->setAttr(
        RomacDialect::getDramAttrName(),
        dramAttr(c.result.addressMapping, layouts, group.schedule.bandRows));
    layer.op->setAttr(
        RomacDialect::getFusedGroupAttrName(),
        IntegerAttr::get(IntegerType::get(ctx, 64), static_cast<int64_t>(g)));
  }
}

llvm::Expected<ModuleSearchSetup>
romac::prepareModuleSearch(ModuleOp module, Objective objective,
                           ReusePolicy policy,
                           llvm::ThreadPoolInterface *threadPool) {
  llvm::Expected<Target> target = loadModuleTarget(module);
  if (!target)
    return target.takeError();
  ModuleSearchSetup setup{std::move(*target), SearchOptions()};
  setup.options.objective = objective;
  setup.options.policy = policy;
  setup.options.threadPool = threadPool;
  return setup;
}

llvm::ThreadPoolInterface *romac::getSearchThreadPool(MLIRContext *ctx) {
  return ctx->isMultithreadingEnabled() ? &ctx->getThreadPool() : nullptr;
}

void romac::emitSearchError(llvm::ArrayRef<Layer> layers, llvm::Error err,
                            Operation *fallback, llvm::StringRef passName) {
  ErrorWithLayer e = takeErrorWithLayer(std::move(err));
  Operation *at = fallback;
  if (!e.layer.empty())
    for (const Layer &layer : layers)
      if (layer.workload.name == e.layer)
        at = layer.op;
  at->emitError() << passName << ": " << e.message;
}
