//===- DramSearch.cpp - the DRAM-aware search driver ----------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DRAM-aware search in four steps (docs/dram-model.md, "DRAM-aware
// search"):
//
//  1. candidate tilings: the exact search's optimum for every (reuse policy,
//     objective) pair of the options, plus the optimum of the options as
//     given, per distinct workload;
//  2. per distinct workload and address mapping, every candidate under every
//     layout combination of its operands (row-major / tile-blocked, skipping
//     blocked layouts that equal row-major) through the fast engine; the
//     best choice is kept per layout combination;
//  3. per address mapping, two network plans (LayoutAgreement.cpp): (a)
//     every layer's best choice, then, in program order, every consumer
//     whose producer wrote an input in another layout either adopts the
//     producer's layout (its tiling and other layouts re-chosen) or pays a
//     re-layout, whichever is cheaper; (b) every activation that passes
//     between two layers row-major (no re-layout needed), the rest chosen
//     freely. The cheaper plan wins;
//  4. the address mapping with the lowest network objective wins, and every
//     layer's tiling is refined by a hill climb under its placement.
//
// Producers and consumers are the edges of the WorkloadGraph (tensor ids).
// Every loop runs in a fixed order and ties go to the earlier candidate,
// layout combination and mapping, so the result does not depend on the
// number of threads.
//
//===----------------------------------------------------------------------===//

#include "DramSearchImpl.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Error.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <chrono>
#include <map>

using namespace romac;
using namespace romac::detail;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// DRAM capacity
//===----------------------------------------------------------------------===//

/// checkModelFitsDram(), with the resident tensors of \p graph when given.
static llvm::Error checkFitsDram(ArrayRef<Workload> workloads,
                                 const DramParams &dram,
                                 const WorkloadGraph *graph) {
  unsigned bits = dram.geometry.getTotalBits();
  if (bits >= 64)
    return llvm::Error::success();
  uint64_t capacity = uint64_t(1) << bits;
  uint64_t row = std::max<uint64_t>(getRowBytes(dram), 1);
  auto roundUp = [&](uint64_t bytes) { return (bytes + row - 1) / row * row; };
  std::map<TensorId, uint64_t> residentBytes;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    uint64_t end = 0;
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      uint64_t bytes =
          static_cast<uint64_t>(op.getStorageBytes(op.getNumElements()));
      if (graph && op.role == OperandRole::Read) {
        TensorId t = graph->getTensorOf(i, o);
        if (graph->getTensor(t).resident)
          residentBytes[t] = bytes;
      }
      if (sharedWith(w, o) == o)
        end = roundUp(end) + bytes;
    }
    if (end > capacity)
      return makeLayerError(
          w.name, "layer '" + w.name + "' needs " + llvm::Twine(end) +
                      " bytes of DRAM for its operands, "
                      "more than the " +
                      llvm::Twine(capacity) + "-byte DRAM of the target");
  }
  uint64_t total = 0;
  for (const auto &entry : residentBytes)
    total += entry.second;
  if (total > capacity)
    return makeStringError("the model's weights and inputs take " +
                           llvm::Twine(total) + " bytes, more than the " +
                           llvm::Twine(capacity) + "-byte DRAM of the target");
  return llvm::Error::success();
}

llvm::Error romac::checkModelFitsDram(ArrayRef<Workload> workloads,
                                      const DramParams &dram) {
  return checkFitsDram(workloads, dram, nullptr);
}

llvm::Error romac::checkModelFitsDram(const WorkloadGraph &graph,
                                      const DramParams &dram) {
  return checkFitsDram(graph.getLayers(), dram, &graph);
}

//===----------------------------------------------------------------------===//
// Candidates and evaluations
//===----------------------------------------------------------------------===//

llvm::Error DramSearch::collectUnique() {
  llvm::StringMap<unsigned> keyToUnique;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    if (llvm::Error err = w.verify())
      return err;
    auto [it, inserted] =
        keyToUnique.try_emplace(w.getCanonicalKey(), firstOf.size());
    if (inserted)
      firstOf.push_back(i);
    uniqueOf.push_back(it->second);
  }
  return llvm::Error::success();
}

/// About the work of replaying `mapping`: every tile visit's contiguous
/// runs in a row-major layout (the first tile's, per operand).
static double getReplayRuns(const Workload &w, const Mapping &mapping) {
  AccessCounts counts = computeAccessCounts(w, mapping);
  double runs = 0;
  SmallVector<int64_t, 8> first(w.dims.size(), 0);
  for (auto [o, op] : llvm::enumerate(w.operands)) {
    SmallVector<int64_t, 4> lo(op.extent.size()), size(op.extent.size());
    getTileBox(w, mapping.tileSizes, o, first, lo, size);
    llvm::Expected<TensorLayout> rowMajor =
        TensorLayout::getRowMajor(op.extent, ElementSize::of(op), 0);
    if (!rowMajor) {
      llvm::consumeError(rowMajor.takeError());
      continue;
    }
    uint64_t tileRuns = rowMajor->countRuns(lo, size);
    runs += static_cast<double>(tileRuns) *
            static_cast<double>(counts.operands[o].visits);
  }
  return runs;
}

llvm::Error DramSearch::generateCandidates() {
  size_t numUnique = firstOf.size();
  std::vector<Workload> unique;
  for (unsigned i : firstOf)
    unique.push_back(workloads[i]);
  candidates.assign(numUnique, {});

  unsigned runIndex = 0;
  auto add = [&](unsigned u, const LayerResult &r) {
    for (const Candidate &c : candidates[u])
      if (c.mapping.tileSizes == r.mapping.tileSizes &&
          c.mapping.order == r.mapping.order && c.spatial == r.spatial)
        return;
    Candidate c;
    c.mapping = r.mapping;
    c.spatial = r.spatial;
    // A fixed scheme's optimum is labelled like any adaptive mapping.
    c.reuse = options.policy == ReusePolicy::Adaptive
                  ? describeReuse(unique[u], r.mapping)
                  : r.reuse;
    c.stats = r.stats;
    c.run = runIndex;
    const Workload &w = unique[u];
    for (unsigned o = 0; o < w.operands.size(); ++o)
      if (sharedWith(w, o) == o && blockedDiffers(w, r.mapping, o))
        c.blockable |= 1u << o;
    c.replayRuns = getReplayRuns(w, r.mapping);
    candidates[u].push_back(std::move(c));
  };

  // The search exactly as asked first (its failure is the error), then the
  // other (policy, objective) pairs with the row-buffer model's streaming
  // rates as the DRAM estimate.
  llvm::Expected<std::vector<LayerResult>> first =
      searchLayers(unique, target, options);
  if (!first)
    return first.takeError();
  for (auto [u, r] : llvm::enumerate(*first))
    add(u, r);

  // The searches' results are candidates only: every candidate is replayed
  // under every placement later, so their own costs are estimates (a
  // replay of each would cost as much as the search).
  RowBufferDramModel streamingReplay(models.front());
  RowBufferDramModel withActivationsReplay(
      models.front(), DramPlacement(), dramOptions.engine,
      DramEstimateKind::StreamingWithActivations);
  EstimateOnly streaming(streamingReplay);
  EstimateOnly withActivations(withActivationsReplay);
  SmallVector<ReusePolicy, 4> policies;
  if (options.policy != ReusePolicy::Adaptive)
    policies.push_back(options.policy);
  else
    policies.append(dramOptions.candidatePolicies.begin(),
                    dramOptions.candidatePolicies.end());
  SmallVector<Objective, 4> objectives(dramOptions.candidateObjectives.begin(),
                                       dramOptions.candidateObjectives.end());
  struct Run {
    Objective objective;
    ReusePolicy policy;
    const DramCostModel *model;
  };
  SmallVector<Run, 16> runs;
  for (Objective objective : objectives)
    for (ReusePolicy policy : policies)
      runs.push_back({objective, policy, &streaming});
  if (dramOptions.activationAwareCandidates)
    for (ReusePolicy policy : policies)
      runs.push_back({Objective::Energy, policy, &withActivations});
  for (const Run &run : runs) {
    ++runIndex;
    SearchOptions o = options;
    o.objective = run.objective;
    o.policy = run.policy;
    o.cost.dramModel = run.model;
    llvm::Expected<std::vector<LayerResult>> results =
        searchLayers(unique, target, o);
    if (results) {
      for (auto [u, r] : llvm::enumerate(*results))
        add(u, r);
      continue;
    }
    // A fixed scheme that some layer cannot satisfy: search layer by layer
    // and keep what exists.
    llvm::consumeError(results.takeError());
    std::vector<std::optional<LayerResult>> each(numUnique);
    SearchOptions inner = o;
    inner.threadPool = nullptr;
    parallelFor(options.threadPool, numUnique, [&](size_t u) {
      llvm::Expected<LayerResult> r = searchLayer(unique[u], target, inner);
      if (r)
        each[u] = std::move(*r);
      else
        llvm::consumeError(r.takeError());
    });
    for (size_t u = 0; u < numUnique; ++u)
      if (each[u])
        add(u, *each[u]);
  }
  return llvm::Error::success();
}

DramPlacement DramSearch::getPlacement(const Choice &c) const {
  DramPlacement placement;
  placement.base = dramOptions.base;
  placement.alignment = dramOptions.alignment;
  placement.fixed = c.fixed;
  for (unsigned o = 0; o < 32; ++o)
    if (c.mask & (1u << o)) {
      placement.kinds.resize(o + 1, LayoutKind::RowMajor);
      placement.kinds[o] = LayoutKind::Blocked;
    }
  return placement;
}

LayerLayout DramSearch::getLayout(size_t i, const Choice &c,
                                  const DramModel &model) const {
  RowBufferDramModel adapter(model, getPlacement(c), dramOptions.engine);
  return llvm::cantFail(adapter.getLayout(
      workloads[i], candidates[uniqueOf[i]][c.candidate].mapping));
}

namespace {
/// A DRAM model that answers one known estimate (a replay's).
class KnownDram : public DramCostModel {
public:
  explicit KnownDram(DramEstimate est) : est(std::move(est)) {}
  StringRef getName() const override { return "row-buffer"; }
  DramEstimate estimate(const CostTarget &, const Workload &,
                        const DramTraffic &) const override {
    return est;
  }

private:
  DramEstimate est;
};
} // namespace

std::optional<CostBreakdown>
DramSearch::replay(unsigned u, unsigned ci, const DramModel &model,
                   const DramPlacement &placement, const CostInputs &inputs,
                   DramTileCache &tileCache, uint64_t maxActivates) const {
  const Workload &w = workloads[firstOf[u]];
  const Mapping &mapping = candidates[u][ci].mapping;
  RowBufferDramModel adapter(model, placement, dramOptions.engine);
  CostOptions co = options.cost;
  llvm::Expected<LayerLayout> layout = adapter.getLayout(w, mapping);
  if (!layout) {
    // RowBufferDramModel's answer to a failed placement.
    llvm::consumeError(layout.takeError());
    co.dramModel = &adapter;
    return CostModel(target, w, co).evaluate(inputs, &mapping);
  }
  std::string key = std::to_string(&model - models.data()) + "/" +
                    std::to_string(u) + "/" + std::to_string(ci);
  for (const TensorLayout &l : layout->operands)
    key += "/" + l.str();
  {
    std::lock_guard<std::mutex> lock(replayMutex);
    auto it = replays.find(key);
    if (it != replays.end())
      return it->second;
  }
  DramStats stats = model.evaluate(w, mapping, *layout, dramOptions.engine,
                                   &tileCache, maxActivates);
  if (stats.truncated)
    return std::nullopt;
  KnownDram known(
      makeDramEstimate(stats, model.getParams(), target.frequencyMHz));
  co.dramModel = &known;
  CostBreakdown cost = CostModel(target, w, co).evaluate(inputs, &mapping);
  std::lock_guard<std::mutex> lock(replayMutex);
  replays.try_emplace(key, cost);
  return cost;
}

std::vector<Choice>
DramSearch::evaluate(unsigned u, const DramModel &model,
                     ArrayRef<std::optional<TensorLayout>> fixed,
                     unsigned &evaluations, bool screened) const {
  const Workload &w = workloads[firstOf[u]];
  unsigned numOps = w.operands.size();
  unsigned fixedMask = 0;
  for (auto [o, f] : llvm::enumerate(fixed))
    if (f)
      fixedMask |= 1u << o;
  // Layout masks: a bit per operand; masks over `blockable` operands only.
  unsigned numMasks = numOps <= 4 ? 1u << numOps : 1;
  std::vector<Choice> best(fixed.empty() ? numMasks : 1);
  CostOptions base = options.cost;
  CostModel plain(target, w, base);
  AccessCountModel counts(w);
  // A lower bound of every candidate's objective: its traffic at the
  // streaming rate (RowBufferDramModel's linear estimate, never above the
  // row-buffer model's numbers). Candidates are tried in the order of their
  // bounds and skipped once the bound reaches the best found: the result
  // is the same as trying them all, ties broken by (candidate, mask).
  RowBufferDramModel streaming(model, DramPlacement(), dramOptions.engine);
  CostOptions lowerOptions = base;
  lowerOptions.dramModel = &streaming;
  CostModel lower(target, w, lowerOptions);
  struct Item {
    double bound;
    unsigned index;
    CostInputs inputs;
  };
  std::vector<Item> items;
  double fewestRuns = std::numeric_limits<double>::infinity();
  for (auto [ci, cand] : llvm::enumerate(candidates[u])) {
    if (screened && !llvm::is_contained(screen[u], ci))
      continue;
    AccessCounts ac = counts.compute(cand.mapping);
    CostInputs inputs = plain.getInputs(cand.mapping, ac, cand.spatial);
    auto [e, cy] =
        objectiveParts(dramOptions.objective, lower.evaluate(inputs));
    items.push_back({objectiveValue(dramOptions.objective, e, cy),
                     static_cast<unsigned>(ci), std::move(inputs)});
    fewestRuns = std::min(fewestRuns, cand.replayRuns);
  }
  // In the order of the bounds, except that a candidate whose replay walks
  // far more runs than the lightest one comes after the light ones: a
  // light best found first stops the heavy replays early (the activation
  // limit below). The order never changes the result, only the work.
  auto heavy = [&](const Item &item) {
    return candidates[u][item.index].replayRuns > 16 * fewestRuns;
  };
  llvm::stable_sort(items, [&](const Item &a, const Item &b) {
    if (heavy(a) != heavy(b))
      return heavy(b);
    return a.bound < b.bound;
  });
  // Every activation adds its ACT + PRE energy to the bound (the
  // streaming estimate counts none), so with an energy objective a replay
  // past `(best - bound) / energy` activations cannot win.
  double actEnergy = model.getParams().getActPreEnergyPJ();
  bool actLimit =
      actEnergy > 0 && (dramOptions.objective == DramObjective::DramEnergy ||
                        dramOptions.objective == DramObjective::Energy);
  for (const Item &item : items) {
    unsigned ci = item.index;
    const Candidate &cand = candidates[u][ci];
    unsigned allowed = cand.blockable & ~fixedMask;
    // The masks share the summaries of the operands they lay out alike.
    DramTileCache tileCache;
    for (unsigned mask = 0; mask < numMasks; ++mask) {
      if (mask & ~allowed)
        continue;
      if (dramOptions.layout) {
        // A fixed layout: every operand that can be blocked is, or none.
        unsigned want =
            *dramOptions.layout == LayoutKind::Blocked ? allowed : 0u;
        if (mask != want)
          continue;
      }
      Choice &slot = best[fixed.empty() ? mask : 0];
      if (slot.valid && item.bound > slot.objective)
        continue;
      Choice c;
      c.candidate = ci;
      c.mask = mask;
      c.fixed.assign(fixed.begin(), fixed.end());
      uint64_t maxActivates = UINT64_MAX;
      if (actLimit && slot.valid) {
        double acts = (slot.objective * (1 + 1e-9) - item.bound) / actEnergy;
        if (acts < 1e18)
          maxActivates = static_cast<uint64_t>(std::max(acts, 0.0));
      }
      std::optional<CostBreakdown> cost = replay(
          u, ci, model, getPlacement(c), item.inputs, tileCache, maxActivates);
      ++evaluations;
      if (!cost)
        continue; // past the limit: worse than the slot's best
      c.cost = std::move(*cost);
      auto [e, cy] = objectiveParts(dramOptions.objective, c.cost);
      c.energy = e;
      c.cycles = cy;
      c.objective = objectiveValue(dramOptions.objective, e, cy);
      c.valid = true;
      bool better =
          !slot.valid || c.objective < slot.objective ||
          (c.objective == slot.objective &&
           std::pair(ci, mask) < std::pair(slot.candidate, slot.mask));
      if (better)
        slot = std::move(c);
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

llvm::Error DramSearch::prepare() {
  if (llvm::Error err = target.verify())
    return err;
  if (llvm::Error err = checkModelFitsDram(graph, params))
    return err;
  if (!dramOptions.addressMapping.empty()) {
    llvm::Expected<DramModel> model =
        getDramModel(params, dramOptions.addressMapping);
    if (!model)
      return model.takeError();
    mappingNames.push_back(dramOptions.addressMapping);
    models.push_back(std::move(*model));
  } else {
    for (const std::string &name : getDramMappingCandidates(params)) {
      mappingNames.push_back(name);
      models.push_back(llvm::cantFail(DramModel::get(params, name)));
    }
    if (models.empty())
      return makeStringError(
          "no address mapping is valid for this DRAM geometry");
  }
  if (llvm::Error err = collectUnique())
    return err;
  return llvm::Error::success();
}

void DramSearch::evaluateMappings(bool screening) {
  // Every workload under the first mapping (the target's, or the one
  // asked for); the other mappings fully too, or, screened, with the
  // candidates that win some layout mask under the first one.
  size_t numUnique = firstOf.size(), numMappings = models.size();
  perMask.assign(numMappings, std::vector<std::vector<Choice>>(numUnique));
  evaluationsOf.assign(numMappings, std::vector<unsigned>(numUnique, 0));
  size_t firstPass = screening ? 1 : numMappings;
  parallelFor(options.threadPool, firstPass * numUnique, [&](size_t k) {
    size_t m = k / numUnique, u = k % numUnique;
    perMask[m][u] = evaluate(u, models[m], {}, evaluationsOf[m][u]);
  });
  if (!screening)
    return;
  screen.assign(numUnique, {});
  for (size_t u = 0; u < numUnique; ++u) {
    for (const Choice &c : perMask[0][u])
      if (c.valid && !llvm::is_contained(screen[u], c.candidate))
        screen[u].push_back(c.candidate);
    llvm::sort(screen[u]);
  }
  parallelFor(options.threadPool, (numMappings - 1) * numUnique, [&](size_t k) {
    size_t m = 1 + k / numUnique, u = k % numUnique;
    perMask[m][u] = evaluate(u, models[m], {}, evaluationsOf[m][u], true);
  });
}

size_t DramSearch::planMappings(
    bool screening, std::vector<Plan> &plans,
    std::vector<std::pair<std::string, double>> &mappingObjectives) {
  size_t numUnique = firstOf.size(), numMappings = models.size();
  plans.assign(numMappings, Plan());
  parallelFor(options.threadPool, numMappings,
              [&](size_t m) { plans[m] = plan(m, screening && m != 0); });
  size_t bestM = 0;
  for (size_t m = 0; m < numMappings; ++m)
    if (plans[m].objective < plans[bestM].objective)
      bestM = m;
  for (size_t m = 0; m < numMappings; ++m)
    mappingObjectives.push_back({mappingNames[m], plans[m].objective});
  if (screening && bestM != 0) {
    // The winner of the screening, evaluated and planned in full; the
    // screened plan stays if it is better.
    parallelFor(options.threadPool, numUnique, [&](size_t u) {
      perMask[bestM][u] =
          evaluate(u, models[bestM], {}, evaluationsOf[bestM][u]);
    });
    Plan full = plan(bestM, false);
    if (full.objective <= plans[bestM].objective)
      plans[bestM] = std::move(full);
    mappingObjectives[bestM].second = plans[bestM].objective;
  }
  return bestM;
}

void DramSearch::placeForRefinement(const Plan &plan, const DramModel &model,
                                    std::vector<DramPlacement> &placements,
                                    std::vector<unsigned> &jobOf,
                                    std::vector<unsigned> &jobs) const {
  placements.assign(workloads.size(), DramPlacement());
  jobOf.assign(workloads.size(), 0);
  jobs.clear();
  llvm::StringMap<unsigned> signatures;
  for (size_t i = 0; i < workloads.size(); ++i) {
    unsigned u = uniqueOf[i];
    const Choice &c = plan.choices[i];
    DramPlacement p = getPlacement(c);
    LayerLayout layout = getLayout(i, c, model);
    p.fixed.resize(workloads[i].operands.size());
    std::string signature =
        std::to_string(u) + ":" + std::to_string(c.candidate);
    for (unsigned o = 0; o < workloads[i].operands.size(); ++o) {
      bool shared = dramOptions.layoutAgreement &&
                    (producers[i][o].isValid() || consumed[i][o]);
      if (shared && !p.fixed[o])
        p.fixed[o] = layout.operands[o];
      signature += "|" + (p.fixed[o] ? p.fixed[o]->str()
                                     : stringifyLayoutKind(p.getKind(o)).str());
    }
    placements[i] = std::move(p);
    auto [it, inserted] = signatures.try_emplace(signature, jobs.size());
    if (inserted)
      jobs.push_back(i);
    jobOf[i] = it->second;
  }
}

std::vector<LayerResult> DramSearch::refine(const Plan &plan,
                                            const DramModel &model,
                                            ArrayRef<DramPlacement> placements,
                                            ArrayRef<unsigned> jobs) const {
  std::vector<LayerResult> refined(jobs.size());
  parallelFor(options.threadPool, jobs.size(), [&](size_t j) {
    size_t i = jobs[j];
    unsigned u = uniqueOf[i];
    const Choice &c = plan.choices[i];
    const Candidate &cand = candidates[u][c.candidate];
    LayerResult start;
    start.mapping = cand.mapping;
    start.spatial = cand.spatial;
    start.reuse = cand.reuse;
    start.stats = cand.stats;
    start.cost = c.cost;
    if (dramOptions.refineRounds == 0) {
      refined[j] = std::move(start);
      return;
    }
    RowBufferDramModel adapter(model, placements[i], dramOptions.engine);
    refined[j] = refineTilingForDram(workloads[i], start, target, adapter,
                                     options, dramOptions.objective,
                                     std::nullopt, dramOptions.refineRounds);
    refined[j].stats = cand.stats;
  });
  return refined;
}

llvm::Expected<DramSearchResult> DramSearch::run() {
  if (llvm::Error err = prepare())
    return std::move(err);
  using Clock = std::chrono::steady_clock;
  auto elapsed = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  auto t0 = Clock::now();
  if (llvm::Error err = generateCandidates())
    return std::move(err);
  findProducers();
  auto t1 = Clock::now();

  size_t numUnique = firstOf.size(), numMappings = models.size();
  bool screening = dramOptions.screenMappings && numMappings > 1;
  evaluateMappings(screening);
  auto t2 = Clock::now();
  std::vector<Plan> plans;
  std::vector<std::pair<std::string, double>> mappingObjectives;
  size_t bestM = planMappings(screening, plans, mappingObjectives);
  auto t3 = Clock::now();

  DramSearchResult result;
  result.candidateSeconds = elapsed(t0, t1);
  result.evaluateSeconds = elapsed(t1, t2);
  result.planSeconds = elapsed(t2, t3);
  result.distinctWorkloads = numUnique;
  for (size_t u = 0; u < numUnique; ++u) {
    result.candidateTilings += candidates[u].size();
    for (size_t m = 0; m < numMappings; ++m)
      result.evaluations += evaluationsOf[m][u];
  }
  result.mappingObjectives = std::move(mappingObjectives);
  Plan &plan = plans[bestM];
  // A network without contractions (its streaming layers are costed
  // apart) has nothing to place.
  if (plan.choices.empty() && !workloads.empty())
    return makeStringError("no layer placement satisfies the layout options");
  result.addressMapping = mappingNames[bestM];
  result.adopted = plan.adopted;
  result.layers.resize(workloads.size());
  const DramModel &model = models[bestM];

  // Refinement: every layer's tiling improved by a hill climb under its
  // placement, with the operands that pass between layers frozen to their
  // layouts (so agreements and re-layout charges stay as planned).
  // Identical (workload, placement) pairs are refined once.
  std::vector<DramPlacement> placements;
  std::vector<unsigned> jobOf, jobs;
  placeForRefinement(plan, model, placements, jobOf, jobs);
  auto t4 = Clock::now();
  std::vector<LayerResult> refined = refine(plan, model, placements, jobs);
  result.refineSeconds = elapsed(t4, Clock::now());

  parallelFor(options.threadPool, workloads.size(), [&](size_t i) {
    unsigned u = uniqueOf[i];
    DramLayerResult &r = result.layers[i];
    r.layer = refined[jobOf[i]];
    r.addressMapping = mappingNames[bestM];
    RowBufferDramModel adapter(model, placements[i], dramOptions.engine);
    r.layout = llvm::cantFail(adapter.getLayout(workloads[i], r.layer.mapping));
    r.stats = model.evaluate(workloads[i], r.layer.mapping, r.layout,
                             dramOptions.engine);
    r.relayouts = plan.relayouts[i];
    auto [e, cy] = getLayerParts(dramOptions.objective, r);
    r.objective = objectiveValue(dramOptions.objective, e, cy);
    r.layer.objective = r.objective;
    r.candidates = candidates[u].size();
    r.evaluations = evaluationsOf[bestM][u];
  });
  for (const DramLayerResult &r : result.layers)
    result.relayouts += r.relayouts.size();
  // The chosen mapping's objective is the refined result's (refinement
  // never makes a layer worse, and may make it better than planned).
  if (!result.layers.empty())
    result.mappingObjectives[bestM].second =
        getNetworkObjective(dramOptions.objective, result.layers);
  return result;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(const WorkloadGraph &graph,
                             const CostTarget &target, const DramParams &dram,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  return DramSearch(graph, target, dram, options, dramOptions).run();
}

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(const WorkloadGraph &graph, const Target &target,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  llvm::Expected<DramParams> params = DramParams::get(target.dram);
  if (!params)
    return params.takeError();
  return searchLayersDramAware(graph, CostTarget::get(target), *params, options,
                               dramOptions);
}

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(ArrayRef<Workload> workloads,
                             const CostTarget &target, const DramParams &dram,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  return searchLayersDramAware(
      WorkloadGraph::fromTensorNames({workloads.begin(), workloads.end()}),
      target, dram, options, dramOptions);
}

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(ArrayRef<Workload> workloads, const Target &target,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  return searchLayersDramAware(
      WorkloadGraph::fromTensorNames({workloads.begin(), workloads.end()}),
      target, options, dramOptions);
}

llvm::Expected<RowMajorBaselineTilings> romac::searchRowMajorBaselineTilings(
    ArrayRef<Workload> workloads, const CostTarget &target,
    const DramParams &dram, const SearchOptions &options) {
  llvm::Expected<DramModel> conventional = getDramModel(dram, "RoBaRaCoCh");
  if (!conventional)
    return conventional.takeError();
  RowBufferDramModel transfers(*conventional, DramPlacement(), DramEngine::Fast,
                               DramEstimateKind::StreamingWithActivations);
  SearchOptions base = options;
  base.objective = Objective::DramAccesses;
  base.cost.dramModel = &transfers;
  llvm::Expected<std::vector<LayerResult>> tiles =
      searchLayers(workloads, target, base);
  if (!tiles)
    return tiles.takeError();
  RowMajorBaselineTilings out;
  out.byteMinimal = *tiles;
  out.tuned = std::move(*tiles);
  RowBufferDramModel rowMajor(*conventional);
  llvm::StringMap<LayerResult> refined;
  for (auto [w, r] : llvm::zip_equal(workloads, out.tuned)) {
    auto [it, inserted] = refined.try_emplace(w.getCanonicalKey());
    if (inserted)
      it->second =
          refineTilingForDram(w, r, target, rowMajor, base,
                              DramObjective::DramEnergy, r.cost.getDramBytes());
    r.mapping = it->second.mapping;
    r.reuse = it->second.reuse;
  }
  return out;
}

llvm::Expected<DramSearchResult> romac::evaluateLayersDram(
    ArrayRef<Workload> workloads, ArrayRef<LayerResult> results,
    const CostTarget &target, const DramParams &dram, StringRef addressMapping,
    LayoutKind layout, const SearchOptions &options, DramObjective objective,
    DramEngine engine) {
  if (workloads.size() != results.size())
    return makeStringError(
        "evaluateLayersDram: " + llvm::Twine(results.size()) + " results for " +
        llvm::Twine(workloads.size()) + " workloads");
  if (llvm::Error err = target.verify())
    return std::move(err);
  if (llvm::Error err = checkModelFitsDram(workloads, dram))
    return std::move(err);
  llvm::Expected<DramModel> model = getDramModel(dram, addressMapping);
  if (!model)
    return model.takeError();
  DramSearchResult out;
  out.addressMapping = addressMapping.str();
  out.layers.resize(workloads.size());
  std::vector<std::string> errors(workloads.size());
  DramPlacement placement;
  placement.defaultKind = layout;
  parallelFor(options.threadPool, workloads.size(), [&](size_t i) {
    const Workload &w = workloads[i];
    const LayerResult &res = results[i];
    if (llvm::Error err = w.verify()) {
      errors[i] = llvm::toString(std::move(err));
      return;
    }
    if (llvm::Error err = res.mapping.verify(w)) {
      errors[i] = llvm::toString(std::move(err));
      return;
    }
    RowBufferDramModel adapter(*model, placement, engine);
    llvm::Expected<LayerLayout> l = adapter.getLayout(w, res.mapping);
    if (!l) {
      errors[i] = llvm::toString(l.takeError());
      return;
    }
    DramLayerResult &r = out.layers[i];
    r.layer = res;
    CostOptions co = options.cost;
    co.dramModel = &adapter;
    CostModel cm(target, w, co);
    r.layer.cost = cm.compute(res.mapping, res.spatial);
    r.addressMapping = out.addressMapping;
    r.layout = std::move(*l);
    r.stats = model->evaluate(w, res.mapping, r.layout, engine);
    auto [e, cy] = objectiveParts(objective, r.layer.cost);
    r.objective = objectiveValue(objective, e, cy);
    r.layer.objective = r.objective;
    r.candidates = 1;
    r.evaluations = 1;
  });
  for (const std::string &error : errors)
    if (!error.empty())
      return makeStringError(error);
  out.mappingObjectives.push_back(
      {out.addressMapping, getNetworkObjective(objective, out.layers)});
  return out;
}
