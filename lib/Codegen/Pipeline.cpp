//===- Pipeline.cpp - romac-codegen-pipeline -------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The order of the code generation stages lives here and only here:
// `romac-opt --romac-codegen-pipeline` and `romac run` both call
// buildCodegenPipeline().
//
// The function boundary it produces is the runtime's calling convention:
// `@main(inputs..., outputs...)` with every argument a memref descriptor of a
// dense row-major buffer (static shapes, identity layouts; MLIR's default
// expansion into allocated pointer, aligned pointer, offset, sizes, strides),
// outputs written by the callee, weights bound by symbol
// (romac-externalize-weights).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void romac::buildCodegenPipeline(OpPassManager &pm,
                                 const CodegenPipelineOptions &options) {
  buildCodegenBufferizePipeline(pm, options);
  buildCodegenLLVMPipeline(pm, options);
}

void romac::buildCodegenBufferizePipeline(
    OpPassManager &pm, const CodegenPipelineOptions &options) {
  // 0. An index (a Gather's) or integer divisor computed from the data is
  //    checked before it is used: out of range or zero, the run fails
  //    instead of reading outside its tensor or trapping.
  pm.addPass(createRomacCheckIndicesPass());
  //    Transposed matmul operands are read through the op's indexing map,
  //    not copied (a Gemm's transposed weights, attention's K^T).
  if (options.kernels)
    pm.addPass(createRomacFoldTransposesPass());
  //    Attention's Q K^T, scale, softmax and product with V: one
  //    romac.attention, computed by the runtime without storing the scores.
  if (options.kernels && options.fuseAttention) {
    RomacFuseAttentionPassOptions attention;
    attention.overTiles = options.attentionOverTiles;
    pm.addNestedPass<func::FuncOp>(createRomacFuseAttentionPass(attention));
  }
  // 1. Element-wise chains (bias, activations, the element-wise parts of
  //    norms and softmax) fuse into one loop nest each: upstream producer /
  //    consumer fusion of linalg.generic ops, never into a contraction
  //    (which stays a named op for romac-lower-to-kernels).
  pm.addPass(createRomacFuseElementwisePass());
  //    A chain that only adds to a contraction's result (bias, residual)
  //    becomes the contraction's initial value: the kernel accumulates
  //    onto it inside its tiles.
  //    So do a constant scale and a clamping activation (ReLU, ReLU6) when
  //    the native kernels run: they become their last store; an output that
  //    starts as zeros is overwritten instead of filled and read.
  if (options.fuseIntoContractions) {
    RomacFuseIntoContractionsPassOptions fuse;
    fuse.epilogues = options.kernels;
    pm.addNestedPass<func::FuncOp>(createRomacFuseIntoContractionsPass(fuse));
  }
  // 2. The schedule's DRAM-level tiles become loops (tensors still).
  if (options.tile)
    pm.addNestedPass<func::FuncOp>(createRomacTileBySchedulePass());
  pm.addPass(createCanonicalizerPass());

  // 3. Buffers: one-shot bufferization across function boundaries with
  //    identity layouts, results turned into caller-provided outputs, and
  //    every intermediate buffer freed after its last use.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  // A depthwise convolution reads its input unpadded; the kernel pads.
  if (options.kernels)
    pm.addNestedPass<func::FuncOp>(createRomacImplicitPadsPass());
  // Memory follows liveness: each buffer is freed after its last use, not
  // at the end of @main.
  pm.addNestedPass<func::FuncOp>(createRomacEarlyDeallocPass());
  // The statically shaped buffers then share one arena at offsets planned
  // from those live intervals (romac-plan-arena): one allocation per run,
  // which the runtime's pool keeps mapped between runs.
  pm.addNestedPass<func::FuncOp>(createRomacPlanArenaPass());

  // 4. Contractions: calls of the runtime's native kernels, which own the
  //    cache blocking, register tiles, vector ISA and threads inside a tile.
  if (options.kernels) {
    RomacLowerToKernelsPassOptions lower;
    lower.precision = options.precision;
    pm.addPass(createRomacLowerToKernelsPass(lower));
  }
  // The rest (element-wise chains, broadcasts, the reductions of norms and
  // softmax) on vectors, one vector per step of the innermost loop.
  if (options.vectorize)
    pm.addNestedPass<func::FuncOp>(createRomacVectorizePass());

  // 5. Weights: bound by the runtime, not copied into the code.
  RomacExternalizeWeightsPassOptions weights;
  weights.minBytes = options.weightMinBytes;
  pm.addPass(createRomacExternalizeWeightsPass(weights));

  // 6. One kernel function per layer (fast LLVM optimization, symbols for
  //    profiling).
  RomacOutlineKernelsPassOptions outline;
  outline.profile = options.profile;
  pm.addPass(createRomacOutlineKernelsPass(outline));
  // 7. The element-wise kernels' loops split over the threads.
  if (options.vectorize && options.parallelizeKernels)
    pm.addPass(createRomacParallelizeKernelsPass());
}

void romac::buildCodegenLLVMPipeline(OpPassManager &pm,
                                     const CodegenPipelineOptions &options) {
  // 8. Loops and the LLVM dialect.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  if (options.approximateMath)
    pm.addPass(createRomacApproximateMathPass());
  // Math first: what has no LLVM intrinsic (acosh, ...) becomes libm calls,
  // on vectors one element at a time (vector.extract / insert, lowered
  // next).
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // romac-vectorize's loads, stores and reductions; a vector's reduction is
  // a tree (reassociated), as the vectorizer meant it.
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createUBToLLVMConversionPass());
  // Buffers come from the runtime's pool (Kernels.h: romacAlloc), which
  // reuses freed blocks instead of mapping fresh pages for every layer.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void romac::registerCodegenPipeline() {
  PassPipelineRegistration<CodegenPipelineOptions>(
      "romac-codegen-pipeline",
      "Lower a scheduled module to the LLVM dialect: tile by schedule, "
      "bufferize, externalize weights, lower (tile=false skips the tiling)",
      buildCodegenPipeline);
}
