//===- TileSearch.cpp - per-layer tile search ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A thin pass over searchModuleFlat() (ScheduleBuilder.h): collects the
// contractions, searches them (identical workloads once, in parallel), and
// records each result as a #romac.mapping attribute on its op.
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
    llvm::Expected<ModuleSearchSetup> setup = prepareModuleSearch(
        module, objective, policy, getSearchThreadPool(&getContext()));
    if (!setup) {
      module.emitError() << "romac-tile-search: "
                         << llvm::toString(setup.takeError());
      return signalPassFailure();
    }
    if (llvm::Error err =
            searchModuleFlat(module, setup->target, setup->options)) {
      emitSearchError(collectContractions(module, setup->target),
                      std::move(err), module, "romac-tile-search");
      return signalPassFailure();
    }
  }
};

} // namespace
