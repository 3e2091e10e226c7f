//===- Passes.h - romac passes and pipelines --------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_H
#define ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_H

#include "romac/CostModel/Cost.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Dram/DramCost.h"
#include "romac/Search/Search.h"
#include "romac/Support/EnumTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace romac {

/// Which search `romac-compile-pipeline` runs.
enum class PipelineSearch : uint8_t {
  /// romac-tile-search: the tiling against a flat DRAM.
  Flat,
  /// romac-dram-search: tiling, layouts and address mapping against the
  /// row-buffer model (and fusion with `fuse`).
  Dram,
  /// No search: the caller searches.
  None
};

/// The spellings of PipelineSearch (the one definition; EnumTable.h).
inline constexpr EnumName<PipelineSearch> kPipelineSearchNames[] = {
    {PipelineSearch::Flat, "flat", "romac-tile-search"},
    {PipelineSearch::Dram, "dram", "romac-dram-search"},
    {PipelineSearch::None, "none", "no search (the caller searches)"},
};

#define GEN_PASS_DECL
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"

/// Options of `romac-compile-pipeline`; `romac compile` fills the same struct.
struct CompilePipelineOptions
    : public mlir::PassPipelineOptions<CompilePipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Target description name or path"),
                             llvm::cl::init("edge-npu-lpddr4")};
  Option<Objective> objective{
      *this, "objective",
      llvm::cl::desc("energy, edp, latency or dram-accesses"),
      llvm::cl::init(Objective::Energy), enumClValues(kObjectiveNames)};
  Option<ReusePolicy> policy{
      *this, "policy",
      llvm::cl::desc("adaptive, input-stationary, weight-stationary or "
                     "output-stationary"),
      llvm::cl::init(ReusePolicy::Adaptive), enumClValues(kReusePolicyNames)};
  Option<PipelineSearch> search{
      *this, "search",
      llvm::cl::desc("flat (romac-tile-search), dram (romac-dram-search) or "
                     "none (the caller searches)"),
      llvm::cl::init(PipelineSearch::Flat), enumClValues(kPipelineSearchNames)};
  Option<std::string> mapping{
      *this, "mapping",
      llvm::cl::desc("search=dram: fix the address mapping (empty: chosen)"),
      llvm::cl::init("")};
  Option<bool> fuse{*this, "fuse",
                    llvm::cl::desc("search=dram: fuse chains of convolutions"),
                    llvm::cl::init(false)};
  Option<std::string> quantize{*this, "quantize",
                               llvm::cl::desc("w8a8, w8a16, w4a16 or w4a8"),
                               llvm::cl::init("")};
  Option<unsigned> weightSharing{
      *this, "weight-sharing",
      llvm::cl::desc("K shared weights per layer (0: none)"),
      llvm::cl::init(0)};
  Option<std::string> prune{*this, "prune",
                            llvm::cl::desc("a ratio in (0, 1), or 2:4"),
                            llvm::cl::init("")};
};

/// Adds the stages of `romac compile` to `pm`, in order. This is the one
/// place where the pass order lives.
void buildCompilePipeline(mlir::OpPassManager &pm,
                          const CompilePipelineOptions &options);

/// Registers `romac-compile-pipeline` with the global pass registry.
void registerCompilePipeline();

/// Registers every romac pass and pipeline.
inline void registerAllRomacPasses() {
  registerRomacPasses();
  registerCompilePipeline();
}

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_H
