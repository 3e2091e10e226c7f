//===- ScheduleBuilder.h - schedules from compiled IR -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Glue between the IR and the search libraries: the contraction workloads of
// a module with the target's data types, and the schedule that the
// `#romac.mapping` attributes of a compiled module describe. The IR is the
// source of truth: a schedule is recomputed from the attributes, so
// `romac compile` and `romac-opt --romac-compile-pipeline` agree.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_ANALYSIS_SCHEDULEBUILDER_H
#define ROMAC_DIALECT_ROMAC_ANALYSIS_SCHEDULEBUILDER_H

#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/Fusion.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Search/Search.h"
#include "romac/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace romac {

/// Sets every operand's bytes per element to the target's data type for its
/// class (input, weight, output).
void applyTargetPrecision(Workload &workload, const Target &target);

/// The target of a compiled module's `romac.target`: the description it
/// carries, parsed and validated as a target file is, or (an attribute with a
/// name only) the target of that name, loaded from the targets folder (or a
/// path). The error names the module attribute or the description's problem.
llvm::Expected<Target> loadModuleTarget(mlir::ModuleOp module);

/// The contraction layers of every function of `module`, in program order,
/// with the target's data types applied.
std::vector<Layer> collectContractions(mlir::ModuleOp module,
                                       const Target &target);

/// The `#romac.mapping` that records `result` for `workload`: its tiles,
/// order and spatial dims by position in `workload.dims`, which is the loop
/// index of the linalg op the workload was built from (workloadFromLinalg()).
/// `result.reuse` must be a label parseReuseSchemeLabel() knows.
MappingAttr mappingAttr(mlir::MLIRContext *ctx, const Workload &workload,
                        const LayerResult &result);

/// Attaches the tilings of `schedule` (read from a schedule JSON file) to
/// the contractions of `module` as `#romac.mapping` attributes, matched by
/// layer name. Fails, naming the layer, when the schedule and the module do
/// not have the same contractions with the same loop dims and bounds (a
/// schedule written for another model or other shapes).
llvm::Error attachSchedule(mlir::ModuleOp module, const Schedule &schedule);

/// The search result the `#romac.mapping` of `layer.op` describes, costed
/// with `options`. Fails when the attribute is missing or does not match the
/// layer's workload.
llvm::Expected<LayerResult> resultFromMapping(const Layer &layer,
                                              const CostTarget &target,
                                              const SearchOptions &options);

/// The schedule of a module compiled by romac-tile-search.
llvm::Expected<Schedule> buildSchedule(mlir::ModuleOp module,
                                       llvm::StringRef model,
                                       const Target &target,
                                       const SearchOptions &options);

/// What a search pass needs: the module's target and the search options.
struct ModuleSearchSetup {
  Target target;
  SearchOptions options;
};

/// The target of \p module (loadModuleTarget()) and search options from a
/// pass's `objective` and `policy` options, searching on \p threadPool
/// (the pass's MLIRContext pool; null when threading is disabled); the
/// error is the target's problem.
llvm::Expected<ModuleSearchSetup>
prepareModuleSearch(mlir::ModuleOp module, Objective objective,
                    ReusePolicy policy, llvm::ThreadPoolInterface *threadPool);

/// The thread pool a pass searches on: its context's, or null when the
/// context has threading disabled (`--mlir-disable-threading`).
llvm::ThreadPoolInterface *getSearchThreadPool(mlir::MLIRContext *ctx);

/// The flat tile search of every contraction of \p module (what
/// romac-tile-search runs): each gets its `romac.mapping`. The error of a
/// layer is a LayerError.
llvm::Error searchModuleFlat(mlir::ModuleOp module, const Target &target,
                             const SearchOptions &options);

/// Reports the failed search \p err of pass \p passName ("PASS: MESSAGE") at
/// the op of the layer it belongs to (a LayerError, Support/Error.h), else at
/// \p fallback.
void emitSearchError(llvm::ArrayRef<Layer> layers, llvm::Error err,
                     mlir::Operation *fallback, llvm::StringRef passName);

/// The DRAM-aware compile of a module (docs/dram-model.md, docs/fusion.md):
/// its contractions with the target's data types, its workload graph (the
/// contractions, the streaming layers and the tensors between them), the
/// DRAM-aware search of the contractions and, when asked, layer fusion.
struct DramCompile {
  std::vector<Layer> contractions;
  /// The graph's searched layers (`graph.getLayers()`), one per contraction.
  std::vector<Workload> workloads;
  WorkloadGraph graph;
  DramSearchOptions dramOptions;
  DramSearchResult result;
  /// Set with `fuse`.
  std::optional<FusionResult> fusion;
};

/// Runs searchLayersDramAware() on the workload graph of \p module
/// (buildWorkloadGraph(): the outputs of element-wise streaming layers are
/// aliases of their sources, producers and consumers are SSA def-use edges)
/// with the address mapping \p addressMapping (empty: chosen), then with
/// \p fuse fuseLayersDram() (graph outputs and what ops without a workload
/// read stay in DRAM); both minimise \p objective.
llvm::Expected<DramCompile>
compileModuleDramAware(mlir::ModuleOp module, const Target &target,
                       const SearchOptions &options,
                       llvm::StringRef addressMapping, bool fuse,
                       DramObjective objective = DramObjective::DramEnergy);

/// Records \p compile on its ops: `romac.mapping` (the DRAM-aware tiling),
/// `romac.dram` (a dictionary: `address_mapping` and one `#romac.layout` per
/// operand, the TensorLayout; for a fused layer the group's layouts with
/// `#romac.layout<on_chip>` for its intermediates, and `band_rows`) and, for
/// fused layers, `romac.fused_group` (the group's index, i64; removed from
/// the others).
void annotateDramCompile(mlir::MLIRContext *ctx, const DramCompile &compile);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_ANALYSIS_SCHEDULEBUILDER_H
