//===- Search.cpp - exact per-layer mapping search --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The search of docs/search.md. In short:
//
//  1. Loop dims that share a component of some operand's footprint (a group
//     of tensor dims that share loop dims, e.g. {P, R} of a convolution
//     input) form a *unit* and get their tiles jointly; other dims alone.
//  2. Each unit gets a candidate list: the tile tuples that are not
//     dominated by another tuple with the same tile counts (smaller or equal
//     footprints, footprint sums and array steps). For a dim whose
//     footprints never clip this is the smallest tile of each tile count
//     plus the tiles that use the MAC array better.
//  3. A depth-first enumeration over the units prunes by capacity (the
//     footprints only grow with the tiles). For energy-like objectives the
//     last unit is a "pure" dim (index `d`, never clipped) whose cost depends
//     only on its tile count and array steps; only the Pareto front of those
//     among the tiles that fit is tried.
//  4. At every leaf (a full tile vector) the cost depends on the loop order
//     only through, per operand, the set of loops inside its innermost
//     relevant loop; the distinct such tuples (and, for energy-like
//     objectives, only the non-dominated ones) are enumerated once per set of
//     multi-tile dims. The spatial mapping is chosen per leaf.
//
// Costs come from CostModel::summarize() on integer counts that this file
// computes its own way (the unit test compares them with the closed-form
// access counts through a naive enumeration).
//
//===----------------------------------------------------------------------===//

#include "romac/Search/Search.h"
#include "LayerSearch.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Error.h"
#include "romac/Support/Parallel.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;
using namespace romac::search_detail;

//===----------------------------------------------------------------------===//
// Policies and labels
//===----------------------------------------------------------------------===//

std::optional<OperandClass> romac::getStationaryClass(ReusePolicy policy) {
  switch (policy) {
  case ReusePolicy::Adaptive:
    return std::nullopt;
  case ReusePolicy::InputStationary:
    return OperandClass::Input;
  case ReusePolicy::WeightStationary:
    return OperandClass::Weight;
  case ReusePolicy::OutputStationary:
    return OperandClass::Output;
  }
  llvm_unreachable("unknown policy");
}

/// Per class: 0 = absent, 1 = every operand of the class fetched once per
/// tile, 2 = some operand of the class revisited.
static std::array<int, kNumOperandClasses>
getStationarity(const Workload &workload, const AccessCounts &counts) {
  std::array<int, kNumOperandClasses> state = {0, 0, 0};
  for (const OperandAccessCounts &c : counts.operands) {
    int &s = state[static_cast<unsigned>(classifyOperand(workload, c.operand))];
    bool once = c.visits == c.distinctTiles;
    s = std::max(s, once ? 1 : 2);
  }
  return state;
}

std::string romac::describeReuse(const Workload &workload,
                                 const Mapping &mapping) {
  auto state =
      getStationarity(workload, computeAccessCounts(workload, mapping));
  std::string label;
  for (unsigned c = 0; c < kNumOperandClasses; ++c)
    if (state[c] == 1)
      label += (label.empty() ? "" : "+") +
               stringifyOperandClass(static_cast<OperandClass>(c)).str();
  return label.empty() ? "mixed" : label + "-stationary";
}

bool romac::satisfiesPolicy(const Workload &workload, const Mapping &mapping,
                            ReusePolicy policy) {
  std::optional<OperandClass> cls = getStationaryClass(policy);
  if (!cls)
    return true;
  auto state =
      getStationarity(workload, computeAccessCounts(workload, mapping));
  return state[static_cast<unsigned>(*cls)] != 2;
}

std::vector<SpatialMapping>
romac::enumerateSpatialMappings(const Workload &workload) {
  std::vector<SpatialMapping> result(1);
  SmallVector<unsigned, 8> dims;
  for (auto [d, dim] : llvm::enumerate(workload.dims))
    if (dim.bound > 1)
      dims.push_back(d);
  for (unsigned d : dims)
    result.push_back({d, std::nullopt});
  for (unsigned d : dims)
    result.push_back({std::nullopt, d});
  for (unsigned r : dims)
    for (unsigned c : dims)
      if (r != c)
        result.push_back({r, c});
  return result;
}

//===----------------------------------------------------------------------===//
// Drivers
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<LayerResult>>
romac::searchLayers(ArrayRef<Workload> workloads, const CostTarget &target,
                    const SearchOptions &options) {
  // Identical workloads are searched once.
  llvm::StringMap<unsigned> keyToUnique;
  std::vector<unsigned> uniqueOf;
  std::vector<unsigned> firstOf;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    auto [it, inserted] =
        keyToUnique.try_emplace(w.getCanonicalKey(), firstOf.size());
    if (inserted)
      firstOf.push_back(i);
    uniqueOf.push_back(it->second);
  }
  size_t numUnique = firstOf.size();
  std::vector<std::unique_ptr<LayerSearch>> searches(numUnique);
  std::vector<Best> incumbents(numUnique);
  std::unique_ptr<std::atomic<double>[]> bounds(
      new std::atomic<double>[numUnique]);
  for (size_t u = 0; u < numUnique; ++u)
    bounds[u].store(std::numeric_limits<double>::infinity());
  std::vector<std::string> errors(numUnique);

  llvm::ThreadPoolInterface *pool = options.threadPool;

  // Phase 1: analysis and candidate lists.
  parallelFor(pool, numUnique, [&](size_t u) {
    auto search =
        std::make_unique<LayerSearch>(workloads[firstOf[u]], target, options);
    if (llvm::Error err = search->prepare()) {
      errors[u] = llvm::toString(std::move(err));
      return;
    }
    if (options.objective == Objective::Latency ||
        options.objective == Objective::EDP) {
      // Seed the branch and bound with the energy-optimal mapping (a fast
      // search), costed with this objective.
      SearchOptions energy = options;
      energy.objective = Objective::Energy;
      LayerSearch seed(workloads[firstOf[u]], target, energy);
      if (!seed.prepare()) {
        Best seedBest;
        SearchStats seedStats;
        seed.run(0, 1, Best(), nullptr, seedBest, seedStats);
        if (seedBest.valid) {
          Mapping m;
          m.tileSizes.assign(seedBest.tiles.begin(), seedBest.tiles.end());
          m.order.assign(seedBest.order.begin(), seedBest.order.end());
          incumbents[u] = search->makeCandidate(m, seedBest.spatial);
        }
      }
    }
    searches[u] = std::move(search);
  });

  // Phase 2: the enumeration, split into chunks (strided over the split
  // level's candidates) so that big and small layers share the threads.
  unsigned threads = getConcurrency(pool);
  struct Chunk {
    unsigned unique, residue, modulus;
    Best best;
    SearchStats stats;
  };
  std::vector<Chunk> chunks;
  for (size_t u = 0; u < numUnique; ++u) {
    if (!searches[u])
      continue;
    unsigned modulus = static_cast<unsigned>(std::min<size_t>(
        searches[u]->getSplitWidth(), threads == 1 ? 1 : 4 * threads));
    for (unsigned r = 0; r < modulus; ++r)
      chunks.push_back({static_cast<unsigned>(u), r, modulus, {}, {}});
  }
  // Chunks left per distinct layer, for the progress callback.
  std::unique_ptr<std::atomic<unsigned>[]> chunksLeft(
      new std::atomic<unsigned>[numUnique]);
  for (size_t u = 0; u < numUnique; ++u)
    chunksLeft[u].store(0);
  for (const Chunk &c : chunks)
    chunksLeft[c.unique].fetch_add(1);
  parallelFor(pool, chunks.size(), [&](size_t i) {
    Chunk &c = chunks[i];
    searches[c.unique]->run(c.residue, c.modulus, incumbents[c.unique],
                            &bounds[c.unique], c.best, c.stats);
    if (chunksLeft[c.unique].fetch_sub(1) == 1 && options.onLayerSearched)
      options.onLayerSearched(numUnique);
  });

  // Merge in chunk order with the total order: the result does not depend
  // on the schedule.
  std::vector<Best> best(numUnique);
  std::vector<SearchStats> stats(numUnique);
  for (Chunk &c : chunks) {
    if (precedes(c.best, best[c.unique]))
      best[c.unique] = c.best;
    stats[c.unique].tileVectors += c.stats.tileVectors;
    stats[c.unique].evaluations += c.stats.evaluations;
  }

  std::vector<LayerResult> uniqueResults(numUnique);
  parallelFor(pool, numUnique, [&](size_t u) {
    if (!searches[u])
      return;
    if (!best[u].valid) {
      errors[u] = "layer '" + searches[u]->getWorkload().name +
                  "': no mapping satisfies the " +
                  stringifyReusePolicy(options.policy).str() + " policy";
      return;
    }
    uniqueResults[u] = searches[u]->finish(best[u], stats[u]);
  });

  std::vector<LayerResult> results;
  results.reserve(workloads.size());
  for (size_t i = 0; i < workloads.size(); ++i) {
    // A layer's first occurrence comes first, so its error names it.
    unsigned u = uniqueOf[i];
    if (!errors[u].empty())
      return makeLayerError(workloads[i].name, errors[u]);
    results.push_back(uniqueResults[u]);
  }
  return results;
}

llvm::Expected<LayerResult> romac::searchLayer(const Workload &workload,
                                               const CostTarget &target,
                                               const SearchOptions &options) {
  llvm::Expected<std::vector<LayerResult>> results =
      searchLayers(ArrayRef<Workload>(workload), target, options);
  if (!results)
    return results.takeError();
  return std::move(results->front());
}

llvm::Expected<LayerResult> romac::searchLayer(const Workload &workload,
                                               const Target &target,
                                               const SearchOptions &options) {
  return searchLayer(workload, CostTarget::get(target), options);
}

llvm::Expected<std::vector<LayerResult>>
romac::searchLayers(ArrayRef<Workload> workloads, const Target &target,
                    const SearchOptions &options) {
  return searchLayers(workloads, CostTarget::get(target), options);
}

//===----------------------------------------------------------------------===//
// Baselines
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<BaselineRow>>
romac::compareReuseSchemes(ArrayRef<Workload> workloads,
                           const CostTarget &target, SearchOptions options) {
  std::vector<BaselineRow> rows(workloads.size());
  for (auto [i, w] : llvm::enumerate(workloads)) {
    rows[i].layer = w.name;
    rows[i].op = w.op;
    rows[i].macs = w.getIterationCount();
  }
  for (auto [p, policy] : llvm::enumerate(kBaselinePolicies)) {
    options.policy = policy;
    llvm::Expected<std::vector<LayerResult>> results =
        searchLayers(workloads, target, options);
    if (!results)
      return results.takeError();
    for (auto [i, r] : llvm::enumerate(*results)) {
      rows[i].dramBytes[p] = r.cost.getDramBytes();
      rows[i].energyPJ[p] = r.cost.totalEnergyPJ;
      rows[i].cycles[p] = r.cost.cycles;
    }
  }
  return rows;
}

void romac::printBaselineTable(llvm::raw_ostream &os,
                               ArrayRef<BaselineRow> rows) {
  auto line = [&](llvm::StringRef layer, llvm::StringRef op,
                  const std::array<int64_t, 4> &bytes) {
    int64_t bestFixed = std::min({bytes[0], bytes[1], bytes[2]});
    double saving = bestFixed > 0
                        ? 100.0 * (1.0 - static_cast<double>(bytes[3]) /
                                             static_cast<double>(bestFixed))
                        : 0.0;
    os << llvm::formatv(
        "{0,-24} {1,-16} {2,14} {3,14} {4,14} {5,14} {6,8:f1}%\n", layer, op,
        bytes[0], bytes[1], bytes[2], bytes[3], saving);
  };
  os << llvm::formatv("{0,-24} {1,-16} {2,14} {3,14} {4,14} {5,14} {6,9}\n",
                      "layer", "op", "IS bytes", "WS bytes", "OS bytes",
                      "adaptive", "saving");
  std::array<int64_t, 4> total = {0, 0, 0, 0};
  for (const BaselineRow &row : rows) {
    line(row.layer, stringifyOpKind(row.op), row.dramBytes);
    for (size_t p = 0; p < 4; ++p)
      total[p] += row.dramBytes[p];
  }
  line("total", "", total);
  os << "saving: adaptive against the best fixed scheme of the layer "
        "(totals: of the whole list)\n";
  os << "adaptive against each scheme used for every layer:";
  const char *names[3] = {"IS", "WS", "OS"};
  for (int p = 0; p < 3; ++p)
    os << llvm::formatv(" {0} {1:f1}%", names[p],
                        total[p] > 0
                            ? 100.0 * (1.0 - static_cast<double>(total[3]) /
                                                 static_cast<double>(total[p]))
                            : 0.0);
  os << " less DRAM traffic\n";
}
