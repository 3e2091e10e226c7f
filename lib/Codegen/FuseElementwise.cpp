//===- FuseElementwise.cpp - element-wise chains, contractions kept -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-fuse-elementwise: upstream's producer/consumer fusion of linalg
// element-wise ops (populateElementwiseOpsFusionPatterns), restricted so
// that a contraction is never a consumer. Upstream's
// linalg-fuse-elementwise-ops also fuses an element-wise producer (a
// LayerNorm's last step, a weight computed by ConstantOfShape) into a
// matmul or convolution, which turns the named op into a linalg.generic
// that recomputes the producer for every multiply-add and that no kernel
// recognises; it also propagates reshapes through named ops.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace romac {
#define GEN_PASS_DEF_ROMACFUSEELEMENTWISEPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// Whether `op` is a linalg.generic that is not a contraction or a
/// convolution (element-wise maps, broadcasts, reductions).
bool isStreamingGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && !linalg::isaContractionOpInterface(generic) &&
         !linalg::isaConvolutionOpInterface(generic);
}

struct FuseElementwisePass
    : public romac::impl::RomacFuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             isStreamingGeneric(producer) &&
             isStreamingGeneric(operand->getOwner());
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
