//===- Fusion.h - row-band fusion of chains of convolutions ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Layer fusion: a chain of contractions (layer j + 1 reads what layer j
// writes, nothing else reads it) runs as one group whose intermediate
// tensors never reach DRAM. The group produces its final output in bands of
// rows; every layer produces the rows of its output the next layer needs, in
// order, each row once (line buffers keep the rows that neighbouring bands
// share). DRAM sees the group's input rows (each read once), its output rows
// (each written once) and the weights (once when all of the group's weights
// fit the weight buffer, else once per band in which the layer computes).
//
// The model (docs/fusion.md):
//
//  - A *row-band layer* is a contraction with one output operand, one read
//    operand whose tensor dim `inputRowDim` is indexed by
//    `p * stride + r - pad` (p a parallel loop dim indexing the output's tensor
//    dim `outputRowDim` alone, r an optional reduction dim of bound
//    `kernelRows`, dilation 1) and read operands (weights) that p does not
//    index. Output row p reads input rows [p*stride - pad, p*stride - pad +
//    kernelRows) clipped to the input. `kernelRows >= stride` is required, so
//    that the rows consecutive output rows read form one interval.
//  - *Steps*: band b = 0, 1, ... of the final output covers its rows
//    [b*B, min((b+1)*B, H)). Within a band the layers run in chain order; the
//    last layer produces the band's rows, and layer j (going backwards)
//    produces its rows up to the end of what layer j + 1 needs in this band
//    (a prefix of its output, continuing where it stopped). Step (b, j)
//    produces output rows [outLo, outHi) of layer j and needs input rows
//    [inLo, inHi) (empty when it produces nothing).
//  - *Residency*: a row of a layer's input is on chip from the step that
//    produces it (or, for the group's input, fetches it) through the last
//    step that needs it. At step (b, j) the activation buffer holds every
//    such row of every tensor of the group, plus the rows the step produces;
//    a final output row is written to DRAM at the end of its step. The peak
//    activation bytes are the maximum over steps. Weights: all of the
//    group's are resident (their sum counts), or a layer's weights are
//    streamed: fetched at each of its non-empty steps, one output-channel
//    chunk after the other (the step's rows are computed chunk by chunk
//    from the input rows on chip), each dropped after use; the largest chunk
//    (weightChunkBytes) counts. The weights move in the same order either
//    way, so the DRAM sees one whole fetch per step.
//
// computeRowBandCounts() computes this with interval arithmetic per step;
// unittests check it against a row-by-row simulation on random chains.
// evaluateRowBandGroup() lays the group's transfers over DRAM layouts and
// replays the bursts through the row-buffer model. fuseLayersDram() chooses,
// over a network (a WorkloadGraph: chains follow its producer -> consumer
// edges), which chains to fuse (and their band heights and layouts) by
// dynamic programming against the unfused DRAM-aware result.
//
// Library RomacFusion (lib/Fusion: RowBand.cpp one group, FusionNetwork.cpp
// the network), above RomacDramSearch.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_FUSION_H
#define ROMAC_DRAM_FUSION_H

#include "romac/Analysis/Workload.h"
#include "romac/Analysis/WorkloadGraph.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/DramModel.h"
#include "romac/Dram/Layout.h"
#include "romac/Dram/Trace.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace romac {

struct CostTarget;

//===----------------------------------------------------------------------===//
// Row-band layers and chains
//===----------------------------------------------------------------------===//

/// How one contraction takes part in a fused group (see the file comment).
struct RowBandLayer {
  /// Operand indices (Workload::operands) of the activation input and the
  /// output; every other operand is a weight.
  unsigned input = 0, output = 0;
  /// The tensor dims that hold rows.
  unsigned inputRowDim = 0, outputRowDim = 0;
  int64_t inputRows = 1, outputRows = 1;
  int64_t stride = 1, kernelRows = 1, pad = 0;
  /// Bytes of one row (every other tensor dim whole).
  int64_t inputRowBytes = 0, outputRowBytes = 0;
  /// Bytes of all weight operands.
  int64_t weightBytes = 0;
  /// Bytes of the smallest piece of the weights a step can fetch and use on
  /// its own: one filter, i.e. the weights divided by every parallel loop
  /// dim other than the rows that indexes both the output and the weights
  /// (the whole weights when none does). 0 means the whole weightBytes.
  /// A filter smaller than a DRAM burst shares bursts with its neighbours;
  /// the footprint ignores that partial burst.
  int64_t weightChunkBytes = 0;

  /// The input rows output rows [outLo, outHi) need: [first, second),
  /// clipped to the input; (0, 0) when outLo >= outHi.
  std::pair<int64_t, int64_t> getInputRows(int64_t outLo, int64_t outHi) const;
};

/// Describes \p workload as a row-band layer; the error says why it is not
/// one (no row dim, dilation, kernelRows < stride, more than one output...).
llvm::Expected<RowBandLayer> getRowBandLayer(const Workload &workload);

/// Checks that \p chain can run as one group: at least one layer, and layer
/// j + 1's input has as many rows and row bytes as layer j's output, in the
/// same tensor dim.
llvm::Error verifyRowBandChain(llvm::ArrayRef<RowBandLayer> chain);

//===----------------------------------------------------------------------===//
// The band schedule and its counts
//===----------------------------------------------------------------------===//

/// How a group runs.
struct RowBandSchedule {
  /// Final output rows per band (>= 1; clipped to the output).
  int64_t bandRows = 1;
  /// All of the group's weights stay on chip (else fetched per step).
  bool weightsResident = true;
};

/// One step of a band schedule (see the file comment).
struct RowBandStep {
  int64_t band = 0;
  /// Position of the layer in the chain.
  unsigned position = 0;
  /// Output rows produced, input rows needed ([0, 0) for an empty step).
  int64_t outLo = 0, outHi = 0;
  int64_t inLo = 0, inHi = 0;
  bool isEmpty() const { return outLo >= outHi; }
};

/// Calls \p fn for every step, band after band, layers in chain order (empty
/// steps included). The chain must verify and `bandRows >= 1`.
void forEachRowBandStep(llvm::ArrayRef<RowBandLayer> chain, int64_t bandRows,
                        llvm::function_ref<void(const RowBandStep &)> fn);

/// DRAM traffic and on-chip footprint of a group.
struct RowBandCounts {
  int64_t bands = 0;
  /// Group input rows read (each needed row once) and bytes.
  int64_t inputRowsRead = 0, inputReadBytes = 0;
  /// Final output bytes written (every row once).
  int64_t outputWriteBytes = 0;
  /// Weight bytes read (per the residency mode).
  int64_t weightReadBytes = 0;
  /// Peak bytes of the activation rows on chip (group input, intermediates
  /// and the final output rows of a step).
  int64_t peakActivationBytes = 0;
  /// Bytes of weights on chip at the peak.
  int64_t weightBufferBytes = 0;
  /// Intermediate bytes kept off DRAM: each intermediate tensor once written
  /// and once read by the unfused schedule (its whole size, both ways).
  int64_t savedBytes = 0;

  int64_t getDramBytes() const {
    return inputReadBytes + outputWriteBytes + weightReadBytes;
  }
  bool operator==(const RowBandCounts &other) const;
};

/// The counts of \p chain under \p schedule (interval arithmetic).
RowBandCounts computeRowBandCounts(llvm::ArrayRef<RowBandLayer> chain,
                                   const RowBandSchedule &schedule);

/// On-chip capacity a group may use, from the target's buffers: the buffers
/// holding inputs and outputs form one activation pool, the weight buffer
/// holds the weights; a buffer that holds weights and activations is shared.
struct RowBandCapacity {
  int64_t activationBytes = 0, weightBytes = 0, sharedBytes = 0;
  /// When > 0, at most this many activation bytes whatever the buffers hold
  /// (FusionOptions::activationBytesLimit).
  int64_t activationLimit = 0;
  static RowBandCapacity get(const CostTarget &target);
  /// Whether \p counts' peak activation and weight bytes fit.
  bool fits(const RowBandCounts &counts) const;
};

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

/// Where a group's tensors live in DRAM: its input, every weight operand of
/// every layer (in chain order, operand order) and its output.
struct RowBandPlacement {
  RowBandPlacement(TensorLayout input, TensorLayout output,
                   std::vector<TensorLayout> weights)
      : input(std::move(input)), output(std::move(output)),
        weights(std::move(weights)) {}
  TensorLayout input, output;
  std::vector<TensorLayout> weights;
};

/// Row-major layouts from \p base (each tensor at a multiple of
/// \p alignment, 0: a DRAM row): the input, the weights, the output. With
/// \p rowsOutermost the input and output store rows outermost (a band is
/// contiguous), else in the identity order.
llvm::Expected<RowBandPlacement>
placeRowBandGroup(llvm::ArrayRef<const Workload *> layers,
                  llvm::ArrayRef<RowBandLayer> chain, const DramParams &params,
                  bool rowsOutermost, uint64_t base = 0,
                  uint64_t alignment = 0);

/// The burst stream of a group: per step, layer 1's new input rows (operand
/// 0), then the layer's weights when fetched (operand 1), and after the last
/// layer's step its rows written (operand 2); each transfer a box laid over
/// its layout and cut into bursts (forEachBurstRange()).
void forEachRowBandBurst(llvm::ArrayRef<const Workload *> layers,
                         llvm::ArrayRef<RowBandLayer> chain,
                         const RowBandSchedule &schedule,
                         const RowBandPlacement &placement,
                         unsigned burstOffsetBits,
                         llvm::function_ref<void(const DramRequest &)> fn);

/// The row-buffer model's statistics of a group (operands: 0 input, 1
/// weights, 2 output; useful bytes from computeRowBandCounts()).
DramStats evaluateRowBandGroup(llvm::ArrayRef<const Workload *> layers,
                               llvm::ArrayRef<RowBandLayer> chain,
                               const RowBandSchedule &schedule,
                               const RowBandPlacement &placement,
                               const DramModel &model);

//===----------------------------------------------------------------------===//
// Choosing the groups of a network
//===----------------------------------------------------------------------===//

struct FusionOptions {
  /// Longest chain tried.
  unsigned maxGroupLayers = 16;
  /// Try rows-outermost input/output layouts (else identity only).
  bool rowsOutermostLayouts = true;
  /// Limit the activation bytes on chip to this many (0: the target's
  /// buffers decide, RowBandCapacity::get()); for sensitivity studies.
  int64_t activationBytesLimit = 0;
  /// What the groups are chosen by. Fusion changes only the DRAM side, so
  /// the energy objectives (dram-energy, energy and both EDPs) compare DRAM
  /// energy, latency the DRAM time, dram-accesses the bytes moved (whole
  /// bursts) (docs/fusion.md).
  DramObjective objective = DramObjective::DramEnergy;
};

/// A fused group of a network: layers [first, last] of the workload list.
struct FusedGroup {
  unsigned first = 0, last = 0;
  RowBandSchedule schedule;
  RowBandCounts counts;
  bool rowsOutermost = false;
  /// The group reads its input in the layout its (unfused) producer wrote
  /// instead of its own.
  bool producerInput = false;
  /// Where the group's tensors lie (the input possibly in its producer's
  /// layout).
  std::optional<RowBandPlacement> placement;
  DramStats stats;
  /// Re-layouts charged at the group's input (its producer wrote another
  /// layout); an unfused reader of its output pays its own.
  llvm::SmallVector<Relayout, 1> relayouts;
  double getEnergyPJ() const;
};

/// The fused schedule of a network.
struct FusionResult {
  std::vector<FusedGroup> groups;
  /// Per workload: the group holding it, or -1.
  std::vector<int> groupOf;
  /// Per workload: the unfused layer's result (as given, or re-evaluated
  /// with an operand adopting a neighbouring group's layout); meaningful
  /// where groupOf is -1.
  std::vector<DramLayerResult> layers;
  /// DRAM energy of the network (groups, unfused layers and re-layouts).
  double energyPJ = 0;
  /// DRAM cycles (tCK).
  double dramCycles = 0;
  /// DRAM evaluations made: band schedules of candidate groups and unfused
  /// layers re-evaluated reading a group's layout.
  uint64_t evaluations = 0;
};

/// Chooses row-band groups over the searched layers of \p graph (program
/// order) given their unfused DRAM-aware result \p unfused
/// (searchLayersDramAware() on the same graph and target): a dynamic program
/// over the chains minimises DRAM energy, every group under its best band
/// height, weight residency and input/output layout that fit the target's
/// buffers; the chosen groups are then accounted exactly (real producers and
/// readers), groups are dropped while that lowers the energy, and the result
/// never costs more than \p unfused. Layers j and j + 1 may share a group
/// when j + 1 reads what j writes (a graph edge, possibly through
/// element-wise aliases) and nothing else needs that tensor in DRAM: no
/// other searched layer, no streaming layer (other than an element-wise one
/// that runs on the band in place) and nothing without a workload
/// (GraphTensor::readOutside) reads it.
llvm::Expected<FusionResult>
fuseLayersDram(const WorkloadGraph &graph, const DramSearchResult &unfused,
               const CostTarget &target, const DramParams &params,
               const FusionOptions &options = {});

/// Writes the DRAMsim3 and Ramulator 2 traces of every group of \p result
/// (writeTraceFiles(), operands "input", "weights", "output") into \p dir,
/// which must exist: per group `group-NN-FIRST.*` (FIRST the first layer's
/// name with characters other than letters, digits, '.', '_' and '-' replaced
/// by '_'). \p workloads are fuseLayersDram()'s (the graph's layers),
/// \p model its DRAM model (the unfused result's address mapping). With
/// TraceOptions::layer, only the group holding that layer (none when it is
/// not fused).
llvm::Expected<std::vector<LayerTraceFiles>>
writeFusedGroupTraces(const FusionResult &result,
                      llvm::ArrayRef<Workload> workloads,
                      const DramModel &model, llvm::StringRef dir,
                      const TraceOptions &options = {});

} // namespace romac

#endif // ROMAC_DRAM_FUSION_H
