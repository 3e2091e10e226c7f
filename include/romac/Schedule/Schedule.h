//===- Schedule.h - the schedule model --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A schedule is what `romac compile` emits: per layer the workload, the
// chosen mapping (DRAM -> SRAM tiles and order, spatial unrolling), its DRAM
// and SRAM traffic, energy and cycles, plus totals. This header holds the
// in-memory form and how it is built from search results (library
// RomacSchedule). The rest of the schedule library builds on it, one way:
//   ScheduleJSON.h    the JSON file format (RomacSchedule)
//   ScheduleTraces.h  the DRAM traces of a schedule (RomacSchedule)
//   ScheduleReport.h  the text reports (RomacScheduleReport)
//   ScheduleVerify.h  the Z3 proof of its tilings (RomacScheduleVerify)
// Plain C++ on LLVM Support; no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULE_H
#define ROMAC_SCHEDULE_SCHEDULE_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Cost.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/DramModel.h"
#include "romac/Dram/DramParams.h"
#include "romac/Dram/Fusion.h"
#include "romac/Dram/Layout.h"
#include "romac/Search/Search.h"
// TileLoop and getTileLoops() (the tile loops a schedule states).

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace romac {

/// Where a layer's operands lie in DRAM and what the row-buffer model counted
/// beyond `CostBreakdown::dram` (bursts, row hits / misses / conflicts and
/// the energy by kind live there). Set for schedules of the DRAM-aware
/// search (searchLayersDramAware()); absent otherwise, and then not written.
struct LayerDramInfo {
  /// The address mapping: a policy name or a field order.
  std::string addressMapping;
  /// The layout of every operand, in `Workload::operands` order.
  LayerLayout layout;
  /// Row activations (row misses + row conflicts).
  int64_t activates = 0;
  /// Re-layouts charged to the layer. Their energy and cycles are part of
  /// the layer's `cost.dramEnergyPJ`, `cost.totalEnergyPJ` and `cost.cycles`
  /// but not of `cost.dram` (the row-buffer model's numbers for the layer's
  /// own traffic).
  llvm::SmallVector<Relayout, 1> relayouts;

  double getRelayoutEnergyPJ() const;
};

/// One layer of a schedule.
struct LayerSchedule {
  Workload workload;
  Mapping mapping;
  /// The DRAM-level tile loops: getTileLoops(workload, mapping), unless a
  /// file states other tile counts or steps (the verifier checks them).
  llvm::SmallVector<TileLoop, 8> loops;
  SpatialMapping spatial;
  /// The reuse label (LayerResult::reuse).
  std::string reuse;
  /// Costs. A schedule read from a file has what the file states: the
  /// per-operand array accesses and visits are not stored (zero).
  CostBreakdown cost;
  /// The DRAM placement and row-buffer counts, when known.
  std::optional<LayerDramInfo> dram;
};

/// How the schedule was searched.
/// How a streaming layer runs (docs/streaming-layers.md): as a pass of its
/// own over whole tensors, or fused into another layer's tiles.
enum class StreamingFusion {
  /// Reads every input from DRAM once and writes its output once.
  None,
  /// Applied to the output tiles of the layer that produces its element-wise
  /// source (bias, activation, residual add after a convolution): the source
  /// is never read back and its own output is what that layer writes.
  Epilogue,
  /// Applied as the layer that reads its output loads its tiles (the
  /// element-wise part of a norm before a convolution): its output is never
  /// written and the reader fetches its source instead.
  Prologue,
};

inline constexpr EnumName<StreamingFusion> kStreamingFusionNames[] = {
    {StreamingFusion::None, "none"},
    {StreamingFusion::Epilogue, "epilogue"},
    {StreamingFusion::Prologue, "prologue"},
};

inline llvm::StringRef stringifyStreamingFusion(StreamingFusion f) {
  return stringifyEnum(kStreamingFusionNames, f);
}
inline std::optional<StreamingFusion>
symbolizeStreamingFusion(llvm::StringRef name) {
  return symbolizeEnum(kStreamingFusionNames, name);
}

/// What a streaming layer moves and computes, before it is costed; bytes in
/// the target's data types (docs/streaming-layers.md).
struct StreamingTraffic {
  /// Points of the iteration space (the output's elements for an op without
  /// a loop nest) and arithmetic ops (points x ops of the body).
  int64_t elements = 0, ops = 0;
  /// DRAM bytes read from activations and from constants (weights), and
  /// written.
  int64_t dramInputBytes = 0, dramWeightBytes = 0, dramWriteBytes = 0;
  /// Bytes the compute reads from the input and weight buffers and writes
  /// to the output buffer (one access per operand and point; an output once
  /// per element).
  int64_t sramInputBytes = 0, sramWeightBytes = 0, sramOutputBytes = 0;
};

/// One op other than a contraction (element-wise, reduction, norm part,
/// softmax part, pooling, data movement): not tiled by the search, costed
/// as what it moves and computes (costStreamingLayer()).
struct StreamingLayerSchedule {
  std::string name;
  /// Elementwise, Reduction or Other (no loop nest: concat, gather, ...).
  OpKind op = OpKind::Other;
  /// The MLIR operation ("linalg.generic", "tensor.concat").
  std::string mlirOp;
  /// Contraction layers before it in program order (where the table shows
  /// it).
  unsigned position = 0;
  StreamingFusion fusion = StreamingFusion::None;
  /// The layer it is fused into (a contraction or an unfused streaming
  /// layer), by name; empty when not fused.
  std::string fusedInto;
  StreamingTraffic traffic;
  /// Costs: macEnergyPJ is the ops' energy, `macs` stays 0, `operands` is
  /// empty.
  CostBreakdown cost;
  /// Row activations, when the row-buffer model costed it.
  std::optional<int64_t> activates;
};

/// The cycles the busiest buffer needs for \p traffic's SRAM accesses (the
/// compute's and the DRAM fills and drains) at its bandwidth.
double getStreamingSramCycles(const StreamingTraffic &traffic,
                              const CostTarget &target);

/// Costs \p traffic on \p target: ops x the target's MAC energy, the SRAM
/// accesses (fills from DRAM and drains to it included) at the buffers'
/// energies, and the DRAM traffic with the flat model, or, given \p rowBuffer,
/// as one sequential read stream and one sequential write stream through the
/// row-buffer model. Compute cycles are the larger of the ops over the
/// array's PEs and the busiest buffer's time (getStreamingSramCycles()),
/// cycles the larger of those and the DRAM time. Sets \p activates with the
/// row-buffer model.
CostBreakdown costStreamingLayer(const StreamingTraffic &traffic,
                                 const CostTarget &target,
                                 const DramModel *rowBuffer,
                                 std::optional<int64_t> *activates = nullptr);

/// The sizes of one attention: softmax(Q Kᵀ) V over `batch` heads, and the
/// bytes per element of its tensors (the products' operands').
struct AttentionShape {
  int64_t batch = 1, queries = 1, keys = 1, headDim = 1, valueDim = 1;
  int64_t queryBytes = 1, keyBytes = 1, valueBytes = 1, scoreBytes = 1,
          outputBytes = 1;
};

/// The tiles of a fused attention: `queryRows` queries at a time stay on
/// chip while the keys and values stream past in blocks of `keyCols`.
struct AttentionTiles {
  int64_t queryRows = 0, keyCols = 0;
};

/// The on-chip bytes \p tiles need in each of \p target's buffers: the
/// query tile in the input buffer, a key and a value block in the weight
/// buffer, the score tile, the output accumulator and two statistics per
/// query (the running max and sum of the online softmax) in the output
/// buffer.
llvm::SmallVector<int64_t, 3> getAttentionBufferBytes(const AttentionShape &a,
                                                      AttentionTiles tiles,
                                                      const CostTarget &target);

/// The fused attention's tiles: the most query rows whose data fits the
/// target's buffers (fewer passes over the keys and values), then the
/// largest key block; {0, 0} when not even one query and one key fit.
AttentionTiles chooseAttentionTiles(const AttentionShape &a,
                                    const CostTarget &target);

/// The DRAM traffic of the fused attention with \p tiles: every query and
/// output once, the keys and values once per query tile (input, weight and
/// write bytes of the result; nothing else set).
StreamingTraffic getFusedAttentionTraffic(const AttentionShape &a,
                                          AttentionTiles tiles);

/// One attention costed as one fused, tiled computation (`romac compile
/// --fuse`; docs/streaming-layers.md): the scores never reach DRAM.
struct AttentionGroup {
  /// Positions in Schedule::layers of the two products (Q Kᵀ, then · V) and
  /// in Schedule::streaming of the layers between them (scale, softmax).
  unsigned scores = 0, output = 0;
  std::vector<unsigned> streaming;
  AttentionShape shape;
  AttentionTiles tiles;
  /// Fused: the DRAM bytes (getFusedAttentionTraffic()), energy (pJ) and
  /// busy time (compute cycles).
  int64_t dramReadBytes = 0, dramWriteBytes = 0;
  double dramEnergyPJ = 0, dramCycles = 0;
  /// The same three layers' DRAM unfused (as their entries state them).
  int64_t unfusedDramBytes = 0;
  double unfusedDramEnergyPJ = 0, unfusedDramCycles = 0;
};

struct ScheduleSearchInfo {
  std::string objective = "energy";
  std::string policy = "adaptive";
  /// CostOptions::str(): "none" or "double-buffering".
  std::string refinements = "none";
  /// The DRAM-aware search's objective (stringifyDramObjective()); empty
  /// when the schedule was not made by it.
  std::string dramObjective;
};

/// Sums over the layers.
struct ScheduleTotals {
  int64_t macs = 0;
  int64_t dramReadBytes = 0;
  int64_t dramWriteBytes = 0;
  double macEnergyPJ = 0;
  double sramEnergyPJ = 0;
  double dramEnergyPJ = 0;
  double totalEnergyPJ = 0;
  int64_t computeCycles = 0;
  double cycles = 0;
  /// DRAM busy time (compute clock) summed over the layers.
  double dramCycles = 0;
  /// Row-buffer counts summed over the layers; set only when every layer
  /// has them (`activates`: when every layer has a LayerDramInfo).
  std::optional<int64_t> bursts, rowHits, rowMisses, rowConflicts, activates;
  /// The DRAM energy by kind summed over the layers; empty unless every
  /// layer has a breakdown with the same kinds.
  llvm::SmallVector<std::pair<std::string, double>, 4> dramEnergyBreakdownPJ;
  /// Re-layouts over all layers and their energy (part of dramEnergyPJ).
  int64_t relayouts = 0;
  double relayoutEnergyPJ = 0;
  /// Sum of the layers' compulsory DRAM traffic
  /// (Workload::getCompulsoryDramBytes(): a lower bound for any schedule),
  /// and the streaming layers' traffic (they have no other choice).
  int64_t dramLowerBoundBytes = 0;
  /// The streaming layers (included in every sum above): how many, how many
  /// of them are fused, their arithmetic ops, and their DRAM energy and
  /// busy time.
  int64_t streamingLayers = 0, fusedStreamingLayers = 0, streamingOps = 0;
  double streamingDramEnergyPJ = 0, streamingDramCycles = 0;
};

/// A chain of layers that runs fused (docs/fusion.md, FusedGroup): its band
/// schedule, what it moves and what the row-buffer model counts for it.
struct ScheduleGroup {
  /// Positions in Schedule::layers of its first and last layer (first <
  /// last; every layer in between belongs to the group).
  unsigned first = 0, last = 0;
  /// Final output rows per band, the number of bands, whether all weights
  /// stay on chip (else fetched per band), and whether the group's input and
  /// output are stored rows outermost (else in the identity order).
  int64_t bandRows = 1, bands = 1;
  bool weightsResident = true;
  bool rowsOutermost = false;
  /// The group reads its input in the layout its unfused producer wrote
  /// (else in the group's own, `rowsOutermost`).
  bool producerInput = false;
  /// DRAM bytes (RowBandCounts): input read, weights read, output written,
  /// and the intermediate bytes the unfused schedule would move.
  int64_t inputReadBytes = 0, weightReadBytes = 0, outputWriteBytes = 0,
          savedBytes = 0;
  /// Peak on-chip bytes of activation rows and of weights.
  int64_t peakActivationBytes = 0, weightBufferBytes = 0;
  /// Row-buffer model: bursts, hits / misses / conflicts, activations.
  int64_t bursts = 0, rowHits = 0, rowMisses = 0, rowConflicts = 0,
          activates = 0;
  /// DRAM energy (pJ) of the group's traffic and of the re-layouts charged
  /// to its input (included in dramEnergyPJ); DRAM busy time in cycles of
  /// the compute clock.
  double dramEnergyPJ = 0, relayoutEnergyPJ = 0, dramCycles = 0;
};

/// The spellings of ScheduleGroup::weightsResident ("resident" or
/// "streamed") and ScheduleGroup::rowsOutermost ("rows-outermost" or
/// "row-major") in schedule files and reports.
llvm::StringRef stringifyGroupWeights(bool weightsResident);
llvm::StringRef stringifyGroupLayout(bool rowsOutermost);

/// Layer fusion on top of a DRAM-aware schedule (`romac compile --fuse`).
/// `Schedule::layers` and the totals stay those of the unfused schedule;
/// this says which chains run fused and what the network's DRAM costs then.
struct ScheduleFusion {
  std::vector<ScheduleGroup> groups;
  /// The network's DRAM energy (pJ) and DRAM busy time (compute cycles)
  /// with the groups fused: the groups, the unfused layers (those reading a
  /// group's output in its layout re-evaluated) and every re-layout.
  double dramEnergyPJ = 0, dramCycles = 0;
};

/// A whole schedule.
struct Schedule {
  /// The model's name (its file name for `romac compile`).
  std::string model;
  /// The target the schedule was made for (what the cost model used).
  CostTarget target;
  ScheduleSearchInfo search;
  std::vector<LayerSchedule> layers;
  /// Every other op that moves data, in program order (empty in a schedule
  /// written before romac costed them).
  std::vector<StreamingLayerSchedule> streaming;
  /// Set when chains of layers were fused (`romac compile --fuse`).
  std::optional<ScheduleFusion> fusion;
  /// Attentions costed fused (`romac compile --fuse`); their layers' own
  /// entries stay the unfused ones.
  std::vector<AttentionGroup> attention;

  ScheduleTotals getTotals() const;
  /// The network's DRAM energy (pJ) and DRAM busy time (compute cycles) as
  /// it runs fused: the fused groups' figure (`fusion`, the contractions),
  /// the streaming layers', less what every fused attention saves. Requires
  /// `fusion`.
  std::pair<double, double> getFusedDram() const;
  /// Per layer, the index in `fusion->groups` of the group covering it, or
  /// -1 (every layer -1 without a fusion section).
  std::vector<int> getFusedGroupOfLayers() const;
};

/// The fusion section of a schedule made from \p result (fuseLayersDram() on
/// the same layers, in the same order as `Schedule::layers`), with DRAM
/// cycles converted from tCK of \p dram to the compute clock of
/// \p computeMHz.
ScheduleFusion makeScheduleFusion(const FusionResult &result,
                                  const DramParams &dram, double computeMHz);

/// Builds a schedule from search results (`results[i]` for `workloads[i]`).
Schedule makeSchedule(llvm::StringRef model, const CostTarget &target,
                      llvm::ArrayRef<Workload> workloads,
                      llvm::ArrayRef<LayerResult> results,
                      const SearchOptions &options);

/// Builds a schedule from a DRAM-aware search (`result.layers[i]` for
/// `workloads[i]`, e.g. searchLayersDramAware() or evaluateLayersDram()):
/// costs with the row-buffer DRAM model, every layer's LayerDramInfo, and
/// its re-layouts added to its DRAM energy, total energy and cycles.
Schedule makeSchedule(llvm::StringRef model, const CostTarget &target,
                      llvm::ArrayRef<Workload> workloads,
                      const DramSearchResult &result,
                      const SearchOptions &options,
                      const DramSearchOptions &dramOptions);

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULE_H
