//===- DramSearch.cpp - DRAM-aware search and layer fusion -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A thin pass over compileModuleDramAware() (ScheduleBuilder.h): the
// DRAM-aware search of every contraction and, with `fuse`, layer fusion,
// recorded on the ops by annotateDramCompile().
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"

namespace romac {
#define GEN_PASS_DEF_ROMACDRAMSEARCHPASS
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"
} // namespace romac

using namespace mlir;
using namespace romac;

namespace {

struct DramSearchPass
    : public romac::impl::RomacDramSearchPassBase<DramSearchPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<ModuleSearchSetup> setup =
        prepareModuleSearch(module, objective, policy,
                            getSearchThreadPool(&getContext()));
    if (!setup) {
      module.emitError() << "romac-dram-search: "
                         << llvm::toString(setup.takeError());
      return signalPassFailure();
    }
    llvm::Expected<DramCompile> compiled = compileModuleDramAware(
        module, setup->target, setup->options, mapping, fuse, dramObjective);
    if (!compiled) {
      emitSearchError(collectContractions(module, setup->target),
                      compiled.takeError(), module, "romac-dram-search");
      return signalPassFailure();
    }
    annotateDramCompile(&getContext(), *compiled);
  }
};

} // namespace
