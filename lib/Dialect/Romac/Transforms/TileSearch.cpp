//===- TileSearch.cpp - per-layer tile search ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A thin pass over the search library: collects the contractions, searches
// them (identical workloads once, in parallel), and records each result as a
// #romac.mapping attribute on its op.
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"

namespace romac {
#define GEN_PASS_DEF_ROMACTILESEARCHPASS
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"
} // namespace romac

using namespace mlir;
using namespace romac;

namespace {

struct TileSearchPass
    : public romac::impl::RomacTileSearchPassBase<TileSearchPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<ModuleSearchSetup> setup =
        prepareModuleSearch(module, objective, policy,
                            getSearchThreadPool(&getContext()));
    if (!setup) {
      module.emitError() << "romac-tile-search: "
                         << llvm::toString(setup.takeError());
      return signalPassFailure();
    }
    std::vector<Layer> layers = collectContractions(module, setup->target);
    std::vector<Workload> workloads;
    for (const Layer &layer : layers)
      workloads.push_back(layer.workload);
    llvm::Expected<std::vector<LayerResult>> results =
        searchLayers(workloads, setup->target, setup->options);
    if (!results) {
      emitSearchError(layers, results.takeError(), module,
                      "romac-tile-search");
      return signalPassFailure();
    }
    for (auto [layer, result] : llvm::zip(layers, *results))
      layer.op->setAttr(RomacDialect::getMappingAttrName(),
                        mappingAttr(&getContext(), layer.workload, result));
  }
};

} // namespace
