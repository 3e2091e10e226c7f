//===- Pipelines.cpp - romac-compile-pipeline ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The order of romac's stages lives here and only here: `romac-opt
// --romac-compile-pipeline` and `romac compile` both call
// buildCompilePipeline().
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void romac::buildCompilePipeline(OpPassManager &pm,
                                 const CompilePipelineOptions &options) {
  RomacAttachTargetPassOptions attach;
  attach.targetName = options.target;
  attach.quantize = options.quantize;
  attach.weightSharing = options.weightSharing;
  attach.prune = options.prune;
  pm.addPass(createRomacAttachTargetPass(attach));
  // Normalize: fold constants and simplify the imported program.
  pm.addPass(createCanonicalizerPass());
  // Tile search: one #romac.mapping per contraction, against a flat DRAM
  // or the row-buffer model (with layouts, address mapping and fusion).
  if (options.search == PipelineSearch::Dram) {
    RomacDramSearchPassOptions search;
    search.objective = options.objective;
    search.policy = options.policy;
    search.mapping = options.mapping;
    search.fuse = options.fuse;
    pm.addPass(createRomacDramSearchPass(search));
  } else if (options.search == PipelineSearch::Flat) {
    RomacTileSearchPassOptions search;
    search.objective = options.objective;
    search.policy = options.policy;
    pm.addPass(createRomacTileSearchPass(search));
  }
}

void romac::registerCompilePipeline() {
  PassPipelineRegistration<CompilePipelineOptions>(
      "romac-compile-pipeline",
      "The stages of `romac compile`: attach the target, normalize "
      "(canonicalize), search every contraction's tiling (search=flat|dram, "
      "mapping=M, fuse=true)",
      buildCompilePipeline);
}
