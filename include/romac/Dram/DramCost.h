//===- DramCost.h - row-buffer DRAM cost and DRAM-aware search --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Joins the DRAM model (DramModel.h) to the cost model and the search:
//
//  - RowBufferDramModel: a DramCostModel whose evaluate() replays the layer's
//    burst stream through the row-buffer model (energy by kind, cycles, row
//    hits / misses / conflicts) for one address mapping and one placement of
//    the operands (a layout per operand);
//  - searchLayersDramAware(): tiling, loop order, per-operand layout and the
//    address mapping chosen together to minimise DRAM energy (or EDP) as the
//    row-buffer model computes it. The exact mapping search supplies
//    candidate tilings (its optima for several reuse policies and
//    objectives); each candidate is evaluated under every layout combination
//    and the address mappings the geometry supports with the fast engine,
//    the best is kept and refined by a hill climb. Producers and consumers
//    of an activation (the edges of the WorkloadGraph, tensors by id) agree
//    on its layout or a re-layout is charged. docs/dram-model.md states
//    what is exact and what is a heuristic.
//
// Library RomacDramSearch (lib/DramSearch): above the DRAM model (RomacDram)
// and the tiling search (RomacSearch).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_DRAMCOST_H
#define ROMAC_DRAM_DRAMCOST_H

#include "romac/Analysis/Workload.h"
#include "romac/Analysis/WorkloadGraph.h"
#include "romac/CostModel/Cost.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Dram/DramModel.h"
#include "romac/Dram/DramParams.h"
#include "romac/Dram/Layout.h"
#include "romac/Search/Search.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace romac {

struct Target;

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

/// \p dramCycles cycles of tCK in cycles of a compute clock of
/// \p computeMHz: `dramCycles × tCK[ns] × MHz / 1000`.
double dramToComputeCycles(double dramCycles, const DramParams &params,
                           double computeMHz);

/// The cost model's view of \p stats: total energy, cycles converted to the
/// compute clock, the energy by kind ("act_pre", "rd_wr", "background",
/// "refresh", in that order), bursts and row hits / misses / conflicts.
DramEstimate makeDramEstimate(const DramStats &stats, const DramParams &params,
                              double computeMHz);

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

/// How the operands of one layer are placed in DRAM. Operands are placed one
/// after another in operand order from `base`, each starting at a multiple
/// of `alignment`; an operand that names an earlier operand's tensor shares
/// its layout.
struct DramPlacement {
  /// Layout kind per operand (`Workload::operands` order); operands beyond
  /// the list get `defaultKind`. Blocked layouts use the blocks that make the
  /// mapping's tiles contiguous (getTileBlockSizes()).
  llvm::SmallVector<LayoutKind, 3> kinds;
  LayoutKind defaultKind = LayoutKind::RowMajor;
  /// An explicit layout per operand (its base address is ignored: the
  /// operand is still placed in order); overrides `kinds`. Used when a
  /// consumer adopts its producer's layout.
  llvm::SmallVector<std::optional<TensorLayout>, 3> fixed;
  /// Address of the first operand.
  uint64_t base = 0;
  /// Every operand starts at a multiple of this; 0 means one DRAM row of the
  /// rank (DramConfig::getRowBytes()), so that tensors never share a row.
  uint64_t alignment = 0;

  /// The kind of operand \p operand (ignoring `fixed`).
  LayoutKind getKind(unsigned operand) const {
    return operand < kinds.size() ? kinds[operand] : defaultKind;
  }
};

/// The layouts \p placement gives the operands of \p workload under
/// \p mapping on a DRAM of \p params. Fails on a bad fixed layout (wrong
/// shape) or an address overflow.
llvm::Expected<LayerLayout> placeOperands(const Workload &workload,
                                          const Mapping &mapping,
                                          const DramPlacement &placement,
                                          const DramParams &params);

/// Whether \p a and \p b store a tensor the same way (base addresses
/// ignored): both row-major in the identity dim order with the same number
/// of bytes (a reshape of a row-major tensor is row-major), or the same kind,
/// extent, block sizes and dim order.
bool sameDataLayout(const TensorLayout &a, const TensorLayout &b);

//===----------------------------------------------------------------------===//
// RowBufferDramModel
//===----------------------------------------------------------------------===//

/// What RowBufferDramModel::estimate() (the search's per-candidate DRAM
/// cost) charges.
enum class DramEstimateKind : uint8_t {
  /// Streaming: every burst a row hit at the peak data rate (read / write
  /// burst energy, precharge standby of every rank and refresh over the
  /// burst's bus time). Linear in the bytes, a lower bound of evaluate()'s
  /// energy and cycles; the search evaluates it inline.
  Streaming,
  /// Streaming plus one row activation (ACT + PRE energy, tRC of bank time
  /// spread over the banks) per tile transfer: a transfer opens at least one
  /// row unless it continues the previous transfer's row. Not linear (the
  /// search calls estimate()), non-decreasing in bytes and transfers; it
  /// steers the search towards fewer, larger transfers.
  StreamingWithActivations
};

/// A DramCostModel backed by the row-buffer model. evaluate() places the
/// operands (DramPlacement) and runs DramModel::evaluate() with the engine
/// given; its numbers are exactly the model's (makeDramEstimate()).
/// estimate() is the cheap per-candidate estimate of DramEstimateKind.
class RowBufferDramModel : public DramCostModel {
public:
  RowBufferDramModel(
      DramModel model, DramPlacement placement = {},
      DramEngine engine = DramEngine::Fast,
      DramEstimateKind estimateKind = DramEstimateKind::Streaming);

  llvm::StringRef getName() const override { return "row-buffer"; }
  DramEstimate estimate(const CostTarget &target, const Workload &workload,
                        const DramTraffic &traffic) const override;
  /// The row-buffer model's numbers for the placed layer; falls back to
  /// estimate() only when the placement fails (use getStats() to see why).
  DramEstimate evaluate(const CostTarget &target, const Workload &workload,
                        const Mapping &mapping,
                        const DramTraffic &traffic) const override;
  /// The streaming rates (also for StreamingWithActivations, whose
  /// estimate adds the activations to them); std::nullopt for
  /// StreamingWithActivations so that the search calls estimate().
  std::optional<LinearRates>
  getLinearRates(const CostTarget &target) const override;
  /// The streaming rates, for either estimate kind: both estimates and
  /// evaluate() are at least the streaming cost.
  std::optional<LinearRates>
  getLowerBoundRates(const CostTarget &target) const override {
    return getStreamingRates(target);
  }
  /// The streaming rates of the model's DRAM.
  LinearRates getStreamingRates(const CostTarget &target) const;

  /// The full statistics of \p workload under \p mapping.
  llvm::Expected<DramStats> getStats(const Workload &workload,
                                     const Mapping &mapping) const;
  /// The layouts evaluate() uses.
  llvm::Expected<LayerLayout> getLayout(const Workload &workload,
                                        const Mapping &mapping) const;

  /// Tile summaries to keep across this model's evaluations of one tiling
  /// (not owned; results never depend on it).
  void setTileCache(DramTileCache *cache) { tileCache = cache; }

  const DramModel &getModel() const { return model; }
  const DramPlacement &getPlacement() const { return placement; }
  DramEngine getEngine() const { return engine; }
  DramEstimateKind getEstimateKind() const { return estimateKind; }

private:
  DramModel model;
  DramPlacement placement;
  DramEngine engine;
  DramEstimateKind estimateKind;
  DramTileCache *tileCache = nullptr;
};

//===----------------------------------------------------------------------===//
// Address mappings
//===----------------------------------------------------------------------===//

/// The address mappings the DRAM-aware search tries, in preference order:
/// the target's own, the named policies (romanet, drmap, row-interleaved)
/// and the conventional orders RoBaRaCoCh (Ramulator's default), ChRaBaRoCo
/// (a bank filled row after row) and RoCoRaBaCh (gem5's burst-interleaved
/// order). Two names whose address-bit assignments are equal on \p params'
/// geometry (one channel and rank make several coincide) are tried once,
/// under the first name.
std::vector<std::string> getDramMappingCandidates(const DramParams &params);

/// The mapping called \p name on \p params' geometry; an unknown or invalid
/// name gives an error listing the valid names (getDramMappingCandidates()
/// and "any field order of Ch Ra Bg Ba Ro Co").
llvm::Expected<DramModel> getDramModel(const DramParams &params,
                                       llvm::StringRef name);

//===----------------------------------------------------------------------===//
// DRAM-aware search
//===----------------------------------------------------------------------===//

/// What the DRAM-aware search minimises, per layer.
enum class DramObjective : uint8_t {
  /// DRAM energy: ACT/PRE + RD/WR + background + refresh (pJ).
  DramEnergy,
  /// DRAM energy × DRAM cycles.
  DramEDP,
  /// The layer's total energy (MAC + SRAM + DRAM) with the row-buffer DRAM.
  Energy,
  /// Total energy × total cycles.
  EDP,
  /// Total cycles (compute and DRAM overlapped per tile step).
  Latency,
  /// Bytes moved between DRAM and the chip.
  DramAccesses
};

/// The spellings of DramObjective (the one definition; EnumTable.h).
inline constexpr EnumName<DramObjective> kDramObjectiveNames[] = {
    {DramObjective::DramEnergy, "dram-energy"},
    {DramObjective::DramEDP, "dram-edp"},
    {DramObjective::Energy, "energy"},
    {DramObjective::EDP, "edp"},
    {DramObjective::Latency, "latency"},
    {DramObjective::DramAccesses, "dram-accesses"},
};

/// Returns "dram-energy", "dram-edp", "energy", "edp", "latency" or
/// "dram-accesses".
inline llvm::StringRef stringifyDramObjective(DramObjective objective) {
  return stringifyEnum(kDramObjectiveNames, objective);
}
/// Parses the spellings of stringifyDramObjective().
inline std::optional<DramObjective>
symbolizeDramObjective(llvm::StringRef name) {
  return symbolizeEnum(kDramObjectiveNames, name);
}

/// How a re-layout (producer and consumer disagree on a tensor's layout) is
/// charged.
enum class RelayoutCharge : uint8_t {
  /// The tensor is read once and written once, each side one sequential
  /// stream, through the row-buffer model under the chosen address mapping.
  RowBuffer,
  /// Read + write bytes at the target's flat energy per bit and peak
  /// bandwidth.
  Flat
};

/// Options of the DRAM-aware search (the tiling search's options are a
/// SearchOptions next to it).
struct DramSearchOptions {
  DramObjective objective = DramObjective::DramEnergy;
  /// Fix the address mapping (a policy name or a field order); empty: choose
  /// among getDramMappingCandidates() (one mapping for the whole network:
  /// it is a setting of the memory controller).
  std::string addressMapping;
  /// Fix the layout of every operand; unset: chosen per operand.
  std::optional<LayoutKind> layout;
  /// The candidate tilings are the search's optimum under the
  /// SearchOptions as given, and its optima for these reuse policies (only
  /// SearchOptions::policy when that is not adaptive) and these objectives,
  /// with the row-buffer model's Streaming estimate as the DRAM cost.
  llvm::SmallVector<ReusePolicy, 4> candidatePolicies = {
      ReusePolicy::Adaptive, ReusePolicy::InputStationary,
      ReusePolicy::WeightStationary, ReusePolicy::OutputStationary};
  llvm::SmallVector<Objective, 4> candidateObjectives = {
      Objective::DramAccesses};
  /// Add, per policy, the energy optimum under the
  /// StreamingWithActivations estimate (fewer, larger tile transfers).
  bool activationAwareCandidates = true;
  /// Producers and consumers agree on every tensor passed between layers
  /// (the WorkloadGraph's edges: a consumer of an element-wise alias reads
  /// what the producer of its source wrote), adopting the producer's layout
  /// or paying a re-layout (docs/dram-model.md). Tensors no searched layer
  /// writes have no producer (a streaming layer such as a norm or pooling in
  /// between reads and writes whole tensors in whatever layouts its
  /// neighbours use). false: layers are independent, nothing is checked or
  /// charged.
  bool layoutAgreement = true;
  RelayoutCharge relayoutCharge = RelayoutCharge::RowBuffer;
  DramEngine engine = DramEngine::Fast;
  /// Screen the address mappings: only the first mapping (the target's, or
  /// the one fixed) is evaluated with every candidate tiling; the others
  /// with the candidates that win some layout combination under it, and
  /// the best of them is then evaluated in full. false: every mapping in
  /// full (about as many times slower as there are mappings).
  bool screenMappings = true;
  /// Rounds of the final hill climb over every chosen tiling
  /// (refineTilingForDram(), under the layer's placement with the operands
  /// that pass between layers frozen to their layouts); 0 disables it.
  unsigned refineRounds = 8;
  /// Operand placement (DramPlacement::base / alignment).
  uint64_t base = 0;
  uint64_t alignment = 0;
};

/// A re-layout charged to a consumer: its operand `operand` reads tensor
/// `tensor` that layer `producer` wrote in another layout.
struct Relayout {
  unsigned operand = 0;
  std::string tensor;
  /// Index of the producing layer in the list, and its name.
  unsigned producerIndex = 0;
  std::string producer;
  /// Bytes of the tensor (read once and written once).
  int64_t bytes = 0;
  double energyPJ = 0;
  /// Compute-clock cycles of the copy.
  double cycles = 0;
};

/// One layer of a DRAM-aware search.
struct DramLayerResult {
  /// Tiling, spatial mapping, reuse label and the cost with the row-buffer
  /// DRAM model (re-layouts not included).
  LayerResult layer;
  /// The address mapping (the same for every layer of one search).
  std::string addressMapping;
  /// The layout of every operand (base addresses from the placement).
  LayerLayout layout;
  /// The row-buffer model's statistics of the layer (DRAM cycles in tCK).
  DramStats stats;
  /// Re-layouts charged to this layer (empty when its producers agree).
  llvm::SmallVector<Relayout, 1> relayouts;
  /// The objective value of the layer, re-layouts included.
  double objective = 0;
  /// Distinct candidate tilings and DRAM evaluations made for the layer's
  /// workload (shared by identical layers).
  unsigned candidates = 0;
  unsigned evaluations = 0;

  /// The layout kind of every operand.
  llvm::SmallVector<LayoutKind, 3> getLayoutKinds() const;
  double getRelayoutEnergyPJ() const;
  double getRelayoutCycles() const;
};

/// The result of a DRAM-aware search.
struct DramSearchResult {
  /// One entry per workload, in order.
  std::vector<DramLayerResult> layers;
  /// The chosen address mapping.
  std::string addressMapping;
  /// Every mapping tried with its network objective (sum over layers, or
  /// total energy × total cycles for the EDP objectives), in try order;
  /// with DramSearchOptions::screenMappings the objectives of the mappings
  /// other than the first and the chosen one are those of the screening.
  std::vector<std::pair<std::string, double>> mappingObjectives;
  /// Number of layers whose producer layout they adopted / that pay a
  /// re-layout.
  unsigned adopted = 0;
  unsigned relayouts = 0;
  /// Work done: distinct workloads, candidate tilings and DRAM evaluations
  /// (over all mappings), and wall time of the four phases in seconds
  /// (candidate searches, DRAM evaluations, network plans, refinement).
  unsigned distinctWorkloads = 0;
  unsigned candidateTilings = 0;
  uint64_t evaluations = 0;
  double candidateSeconds = 0, evaluateSeconds = 0, planSeconds = 0,
         refineSeconds = 0;
};

/// Checks that every layer fits the DRAM of \p dram: its operands, placed
/// one after another from address 0 at DRAM-row boundaries (as the search
/// places them), end inside the capacity. The error (a LayerError) names the
/// layer and the capacity. evaluateLayersDram() calls it.
llvm::Error checkModelFitsDram(llvm::ArrayRef<Workload> workloads,
                               const DramParams &dram);
/// The same for the searched layers of \p graph, and the resident tensors
/// they read (GraphTensor::resident: weights and graph inputs, which stay in
/// DRAM for the whole run; each counted once) fit it together; the error
/// names the total and the capacity. searchLayersDramAware() calls it.
llvm::Error checkModelFitsDram(const WorkloadGraph &graph,
                               const DramParams &dram);

/// Searches the layers of \p graph (in program order; producers and
/// consumers are its edges) jointly over tilings, loop orders, per-operand
/// layouts and the address mapping, minimising DramSearchOptions::objective
/// as the row-buffer model computes it (docs/dram-model.md says which parts
/// are exhaustive and which heuristic). Deterministic: the same input gives
/// the same result on any number of threads (SearchOptions::threads). Fails
/// like searchLayers(), on an unknown mapping name (listing the valid ones),
/// or when the layout options leave no placement.
llvm::Expected<DramSearchResult>
searchLayersDramAware(const WorkloadGraph &graph, const CostTarget &target,
                      const DramParams &dram, const SearchOptions &options = {},
                      const DramSearchOptions &dramOptions = {});
/// The same on a loaded target.
llvm::Expected<DramSearchResult>
searchLayersDramAware(const WorkloadGraph &graph, const Target &target,
                      const SearchOptions &options = {},
                      const DramSearchOptions &dramOptions = {});
/// The same on a hand-built network without aliases or resident tensors
/// (tests, benchmarks): WorkloadGraph::fromTensorNames(workloads).
llvm::Expected<DramSearchResult>
searchLayersDramAware(llvm::ArrayRef<Workload> workloads,
                      const CostTarget &target, const DramParams &dram,
                      const SearchOptions &options = {},
                      const DramSearchOptions &dramOptions = {});
llvm::Expected<DramSearchResult>
searchLayersDramAware(llvm::ArrayRef<Workload> workloads, const Target &target,
                      const SearchOptions &options = {},
                      const DramSearchOptions &dramOptions = {});

/// Evaluates given tilings (`results[i]` for `workloads[i]`, e.g. a flat
/// search's) with the row-buffer model under one address mapping and one
/// layout kind for every operand, without searching. Layers are independent:
/// no re-layout is charged (row-major layouts always agree; for blocked ones
/// chargeRelayouts() adds what disagreements would cost). `objective` is
/// reported per layer and for the network.
llvm::Expected<DramSearchResult>
evaluateLayersDram(llvm::ArrayRef<Workload> workloads,
                   llvm::ArrayRef<LayerResult> results,
                   const CostTarget &target, const DramParams &dram,
                   llvm::StringRef addressMapping, LayoutKind layout,
                   const SearchOptions &options = {},
                   DramObjective objective = DramObjective::DramEnergy,
                   DramEngine engine = DramEngine::Fast);

/// Fills `layers[i].relayouts` of \p result (a result of
/// evaluateLayersDram() or any other on the layers of \p graph) with a
/// re-layout for every operand that reads a tensor its producer (an edge of
/// \p graph) wrote in another layout (no adoption), charged under
/// \p charge with the result's address mapping; adds the re-layouts to the
/// per-layer objectives (as \p objective) and the network objective, and
/// returns their number.
llvm::Expected<unsigned>
chargeRelayouts(const WorkloadGraph &graph, DramSearchResult &result,
                const CostTarget &target, const DramParams &dram,
                RelayoutCharge charge = RelayoutCharge::RowBuffer,
                DramObjective objective = DramObjective::DramEnergy);

/// Improves the tiling of \p start for the DRAM by a deterministic hill
/// climb: each round tries, for every dim, doubling or halving its tile, for
/// every ordered pair of dims moving a factor of two from one tile to the
/// other, and for every dim taking its whole bound while the other dims'
/// tiles shrink to fit; a move is kept when it fits the buffers, does not
/// move more DRAM bytes than \p maxDramBytes (when given), and lowers
/// \p objective under \p dram (its placement and mapping). The loop order
/// and the spatial mapping of \p start are kept. At most \p maxRounds
/// rounds; the result's cost is \p dram's. Used to give the row-major
/// baseline the best tie-break among byte-minimal tilings
/// (docs/romanet-comparison.md).
LayerResult
refineTilingForDram(const Workload &workload, const LayerResult &start,
                    const CostTarget &target, const RowBufferDramModel &dram,
                    const SearchOptions &options, DramObjective objective,
                    std::optional<int64_t> maxDramBytes,
                    unsigned maxRounds = 32);

/// The tilings of the SmartShuttle-like row-major baselines
/// (docs/romanet-comparison.md): `byteMinimal` has per layer the reuse scheme
/// and tiles that move the fewest DRAM bytes, among equal bytes the fewest
/// tile transfers (\p options with the `dram-accesses` objective and a
/// RoBaRaCoCh transfer estimate); `tuned` has, among those byte-minimal
/// tilings, the one a row-major RoBaRaCoCh DRAM serves best
/// (refineTilingForDram() with the bytes capped; identical layers once).
struct RowMajorBaselineTilings {
  std::vector<LayerResult> byteMinimal, tuned;
};
llvm::Expected<RowMajorBaselineTilings>
searchRowMajorBaselineTilings(llvm::ArrayRef<Workload> workloads,
                              const CostTarget &target, const DramParams &dram,
                              const SearchOptions &options);

/// \p readBytes read as one sequential stream, then \p writeBytes written
/// as another, each from the row boundary of a fresh region, through
/// \p model's row buffers (all banks precharged first; a re-layout's copy, a
/// streaming layer's traffic). Zero counts without bytes; nothing when the
/// streams cannot be placed (they overflow the DRAM).
std::optional<DramStats> evaluateStreams(int64_t readBytes, int64_t writeBytes,
                                         const DramModel &model);

/// The charge of re-laying out a tensor of \p bytes bytes (read once, write
/// once: evaluateStreams()) under \p charge with \p model; energy in pJ, cycles
/// in the compute clock of \p target.
Relayout computeRelayoutCharge(int64_t bytes, RelayoutCharge charge,
                               const DramModel &model,
                               const CostTarget &target);

} // namespace romac

#endif // ROMAC_DRAM_DRAMCOST_H
