//===- Passes.h - romac code generation passes ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The passes that turn a scheduled module (linalg on tensors with
// #romac.mapping attributes) into LLVM IR that executes the schedule, and
// `romac-codegen-pipeline`, the one place that orders them.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_CODEGEN_PASSES_H
#define ROMAC_CODEGEN_PASSES_H

#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace romac {

/// Bytes of the data of \p value.
int64_t getWeightBytes(mlir::ElementsAttr value);

#define GEN_PASS_DECL
#include "romac/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "romac/Codegen/Passes.h.inc"

struct CodegenPipelineOptions
    : public mlir::PassPipelineOptions<CodegenPipelineOptions> {
  Option<bool> tile{*this, "tile",
                    llvm::cl::desc("Tile every contraction that has a "
                                   "#romac.mapping with its DRAM-level tiles"),
                    llvm::cl::init(true)};
  Option<int64_t> weightMinBytes{
      *this, "weight-min-bytes",
      llvm::cl::desc("Constants of at least this many bytes become weights "
                     "the runtime supplies (romac-externalize-weights)"),
      llvm::cl::init(256)};
  Option<bool> kernels{
      *this, "kernels",
      llvm::cl::desc("Run f32 matmuls and convolutions through romac's "
                     "native kernels (romac-lower-to-kernels); false lowers "
                     "them to plain loops"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Polynomial approximations of exp, erf, tanh, log "
                     "(romac-approximate-math) instead of libm calls"),
      llvm::cl::init(true)};
  Option<bool> fuseIntoContractions{
      *this, "fuse-into-contractions",
      llvm::cl::desc("Fold element-wise consumers that add to a "
                     "contraction's result into its initial value "
                     "(romac-fuse-into-contractions)"),
      llvm::cl::init(true)};
  Option<bool> fuseAttention{
      *this, "fuse-attention",
      llvm::cl::desc("Replace attention's Q K^T, scale, softmax and product "
                     "with V by romac.attention when the native kernels run "
                     "(romac-fuse-attention)"),
      llvm::cl::init(true)};
  Option<bool> attentionOverTiles{
      *this, "attention-over-tiles",
      llvm::cl::desc("Fuse attention whose products the schedule tiles too "
                     "(romac-fuse-attention over-tiles)"),
      llvm::cl::init(false)};
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Vectorize the element-wise and reduction generics "
                     "(romac-vectorize); false leaves them to LLVM"),
      llvm::cl::init(true)};
  Option<bool> parallelizeKernels{
      *this, "parallelize-kernels",
      llvm::cl::desc("Split the vectorized element-wise and reduction "
                     "kernels over the runtime's threads "
                     "(romac-parallelize-kernels)"),
      llvm::cl::init(true)};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("The products of the native kernels' matmuls and "
                     "convolutions: fp32 or bf16 (romac-lower-to-kernels)"),
      llvm::cl::init("fp32")};
  Option<bool> profile{*this, "profile",
                       llvm::cl::desc("Time every kernel (layer) through the "
                                      "runtime's profiling hooks"),
                       llvm::cl::init(false)};
};

/// Appends the code generation stages: buildCodegenBufferizePipeline() then
/// buildCodegenLLVMPipeline().
void buildCodegenPipeline(mlir::OpPassManager &pm,
                          const CodegenPipelineOptions &options);

/// The first half: tile by schedule, bufferize (outputs as caller-provided
/// buffers), free intermediate buffers, externalize the weights and outline
/// one kernel function per layer. After
/// it, the `romac.weight` attributes name the data each weight symbol binds
/// to (the runtime reads them before the second half).
void buildCodegenBufferizePipeline(mlir::OpPassManager &pm,
                                   const CodegenPipelineOptions &options);

/// The second half: loops, then the LLVM dialect.
void buildCodegenLLVMPipeline(mlir::OpPassManager &pm,
                              const CodegenPipelineOptions &options);

/// Registers `romac-codegen-pipeline`.
void registerCodegenPipeline();

inline void registerAllCodegenPasses() {
  registerRomacCodegenPasses();
  registerCodegenPipeline();
}

} // namespace romac

#endif // ROMAC_CODEGEN_PASSES_H
