//===- DramSearchImpl.h - the DRAM-aware search's internals -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to lib/DramSearch. The helpers the placement, the search driver
// (DramSearch.cpp) and the layout agreement (LayoutAgreement.cpp) share, and
// the DramSearch class whose methods those two files define.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_DRAMSEARCH_DRAMSEARCHIMPL_H
#define ROMAC_LIB_DRAMSEARCH_DRAMSEARCHIMPL_H

#include "romac/Analysis/WorkloadGraph.h"
#include "romac/Dram/DramCost.h"

#include "romac/Support/Parallel.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace romac::detail {

//===----------------------------------------------------------------------===//
// Shared helpers (DramCost.cpp)
//===----------------------------------------------------------------------===//

/// Bytes of one DRAM row of a rank.
uint64_t getRowBytes(const DramParams &params);

/// Whether operand `o`'s tile-blocked layout under `mapping` stores the
/// tensor differently from row-major.
bool blockedDiffers(const Workload &workload, const Mapping &mapping,
                    unsigned o);

/// Index of the first operand before `o` that names the same tensor (with
/// the same shape), or `o`.
unsigned sharedWith(const Workload &workload, unsigned o);

/// Whether the objective adds up over layers (else it is energy x cycles of
/// the sums).
bool isAdditive(DramObjective objective);

/// The (energy, cycles) pair an objective multiplies or sums (for latency
/// and dram-accesses the first part is the cycles, the bytes).
std::pair<double, double> objectiveParts(DramObjective objective,
                                         const CostBreakdown &cost);

/// Adds re-layout \p r to the (energy, cycles) pair of \p objective: its
/// cycles, and to the first part its energy (its cycles for latency, the
/// bytes it moves for dram-accesses).
void addRelayout(DramObjective objective, const Relayout &r, double &energy,
                 double &cycles);

/// The objective of (energy, cycles).
double objectiveValue(DramObjective objective, double energy, double cycles);

/// The (energy, cycles) pair of \p objective for layer \p r: its cost and
/// its re-layouts.
std::pair<double, double> getLayerParts(DramObjective objective,
                                        const DramLayerResult &r);

/// The network objective of \p layers: the sum of their objectives, or
/// energy x cycles of the sums.
double getNetworkObjective(DramObjective objective,
                           llvm::ArrayRef<DramLayerResult> layers);

/// A DRAM model's estimate, also as its evaluate(): for searches whose
/// results are only candidates, and for bounds (a Streaming
/// RowBufferDramModel's estimate is a lower bound of its evaluate()).
class EstimateOnly : public DramCostModel {
public:
  explicit EstimateOnly(const DramCostModel &inner) : inner(inner) {}
  llvm::StringRef getName() const override { return inner.getName(); }
  DramEstimate estimate(const CostTarget &target, const Workload &workload,
                        const DramTraffic &traffic) const override {
    return inner.estimate(target, workload, traffic);
  }
  std::optional<LinearRates>
  getLinearRates(const CostTarget &target) const override {
    return inner.getLinearRates(target);
  }
  std::optional<LinearRates>
  getLowerBoundRates(const CostTarget &target) const override {
    return inner.getLowerBoundRates(target);
  }

private:
  const DramCostModel &inner;
};

//===----------------------------------------------------------------------===//
// The search
//===----------------------------------------------------------------------===//

/// A candidate tiling of one distinct workload.
struct Candidate {
  Mapping mapping;
  SpatialMapping spatial;
  std::string reuse;
  SearchStats stats;
  /// The search run that found it first (0: the options as given).
  unsigned run = 0;
  /// Bit o: operand o has a blocked layout that differs from row-major
  /// (and is not a second use of an earlier operand's tensor).
  unsigned blockable = 0;
  /// About the work of replaying it: the row-major runs of every tile
  /// visit (evaluate() replays heavy candidates after light ones).
  double replayRuns = 0;
};

/// The best (candidate, layout mask) found for one workload.
struct Choice {
  bool valid = false;
  unsigned candidate = 0;
  /// Bit o: operand o blocked (only bits of `blockable`).
  unsigned mask = 0;
  /// Operands whose layout is fixed (adopted from a producer).
  llvm::SmallVector<std::optional<TensorLayout>, 3> fixed;
  CostBreakdown cost;
  double energy = 0, cycles = 0;
  double objective = std::numeric_limits<double>::infinity();
};

/// Everything one search shares. The driver (candidates, evaluations,
/// refinement) is in DramSearch.cpp, the network plans that make producers
/// and consumers agree on layouts in LayoutAgreement.cpp.
class DramSearch {
public:
  DramSearch(const WorkloadGraph &graph, const CostTarget &target,
             const DramParams &params, const SearchOptions &options,
             const DramSearchOptions &dramOptions)
      : graph(graph), workloads(graph.getLayers()), target(target),
        params(params), options(options), dramOptions(dramOptions) {}

  llvm::Expected<DramSearchResult> run();

private:
  /// One network plan under one address mapping.
  struct Plan {
    std::vector<Choice> choices;
    std::vector<llvm::SmallVector<Relayout, 1>> relayouts;
    double objective = std::numeric_limits<double>::infinity();
    unsigned adopted = 0;
  };

  // DramSearch.cpp.
  /// Checks the target and the DRAM capacity, makes the address mappings,
  /// the distinct workloads and the thread pool.
  llvm::Error prepare();
  llvm::Error collectUnique();
  llvm::Error generateCandidates();
  /// Best choice of unique workload `u` under `model` per layout mask (or,
  /// with `fixed`, one entry: the best over all masks).
  /// With `screened`, only the candidates of `screen[u]` are tried.
  std::vector<Choice>
  evaluate(unsigned u, const DramModel &model,
           llvm::ArrayRef<std::optional<TensorLayout>> fixed,
           unsigned &evaluations, bool screened = false) const;
  /// Fills `perMask`: every workload under the first mapping, the others
  /// in full or, with `screening`, over the first mapping's winners.
  void evaluateMappings(bool screening);
  /// Plans every mapping and returns the best one's index; records every
  /// mapping's objective in `mappingObjectives`.
  size_t
  planMappings(bool screening, std::vector<Plan> &plans,
               std::vector<std::pair<std::string, double>> &mappingObjectives);
  /// The placement of every layer's chosen tiling for the refinement: the
  /// operands that pass between layers frozen to their planned layouts.
  /// Identical (workload, placement) pairs share a job: `jobOf[i]` indexes
  /// `jobs`, which holds the first layer of each.
  void placeForRefinement(const Plan &plan, const DramModel &model,
                          std::vector<DramPlacement> &placements,
                          std::vector<unsigned> &jobOf,
                          std::vector<unsigned> &jobs) const;
  /// The refined tiling of every job.
  std::vector<LayerResult> refine(const Plan &plan, const DramModel &model,
                                  llvm::ArrayRef<DramPlacement> placements,
                                  llvm::ArrayRef<unsigned> jobs) const;
  /// The cost of candidate `ci` of unique workload `u` replayed under
  /// `model` and `placement`. Memoised by the placed layouts: the network
  /// plans re-evaluate adoptions whose layouts equal ones the free choices
  /// evaluated.
  /// With `maxActivates`, std::nullopt when the replay makes more row
  /// activations (it stops there).
  std::optional<CostBreakdown>
  replay(unsigned u, unsigned ci, const DramModel &model,
         const DramPlacement &placement, const CostInputs &inputs,
         DramTileCache &tileCache, uint64_t maxActivates = UINT64_MAX) const;
  /// The placement of a choice.
  DramPlacement getPlacement(const Choice &c) const;
  /// The layouts of a choice of layer `i`.
  LayerLayout getLayout(size_t i, const Choice &c,
                        const DramModel &model) const;

  // LayoutAgreement.cpp.
  /// The producer of every operand (from the graph) and which outputs a
  /// later layer reads.
  void findProducers();
  /// Plan (a): free choices, then agreement in program order (adoptions
  /// re-evaluated over the screened candidates only when `screened`).
  Plan planAgreement(unsigned m, bool screened) const;
  /// Plan (b): activations between layers row-major.
  Plan planRowMajorActivations(unsigned m) const;
  /// The better of plans (a) and (b) (only (a) without layout agreement).
  Plan plan(unsigned m, bool screened) const;
  double networkObjective(const Plan &plan) const;

  const WorkloadGraph &graph;
  llvm::ArrayRef<Workload> workloads;
  const CostTarget &target;
  const DramParams &params;
  SearchOptions options;
  DramSearchOptions dramOptions;

  std::vector<std::string> mappingNames;
  std::vector<DramModel> models;

  std::vector<unsigned> uniqueOf;
  std::vector<unsigned> firstOf;
  std::vector<std::vector<Candidate>> candidates;
  /// [m][u][mask] best choice.
  std::vector<std::vector<std::vector<Choice>>> perMask;
  /// [u]: the candidates that win some layout mask under the first mapping
  /// (what the other mappings are screened with).
  std::vector<llvm::SmallVector<unsigned, 8>> screen;
  std::vector<std::vector<unsigned>> evaluationsOf;
  /// replay()'s memo: "mapping/workload/candidate/layouts" -> cost.
  mutable std::mutex replayMutex;
  mutable llvm::StringMap<CostBreakdown> replays;

  /// producers[i][o] = the (layer, operand) that wrote operand o's tensor.
  std::vector<llvm::SmallVector<OperandRef, 3>> producers;
  /// consumed[i][o]: operand o of layer i is read by a later layer.
  std::vector<llvm::SmallVector<bool, 3>> consumed;
};

} // namespace romac::detail

#endif // ROMAC_LIB_DRAMSEARCH_DRAMSEARCHIMPL_H
