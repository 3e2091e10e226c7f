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
    std::optional<Objective> obj = symbolizeObjective(objective);
    if (!obj) {
      module.emitError() << "romac-dram-search: unknown objective '"
                         << objective
                         << "' (energy, edp, latency, dram-accesses)";
      return signalPassFailure();
    }
    std::optional<ReusePolicy> pol = symbolizeReusePolicy(policy);
    if (!pol) {
      module.emitError() << "romac-dram-search: unknown policy '" << policy
                         << "' (adaptive, input-stationary, "
                            "weight-stationary, output-stationary)";
      return signalPassFailure();
    }
    SearchOptions options;
    options.objective = *obj;
    options.policy = *pol;
    options.threads = threads;
    llvm::Expected<Target> target = loadModuleTarget(module);
    if (!target) {
      module.emitError() << "romac-dram-search: "
                         << llvm::toString(target.takeError());
      return signalPassFailure();
    }
    llvm::Expected<DramCompile> compiled =
        compileModuleDramAware(module, *target, options, mapping, fuse);
    if (!compiled) {
      module.emitError() << "romac-dram-search: "
                         << llvm::toString(compiled.takeError());
      return signalPassFailure();
    }
    annotateDramCompile(&getContext(), *compiled);
  }
};

} // namespace
