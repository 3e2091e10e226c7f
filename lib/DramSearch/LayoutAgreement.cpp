//===- LayoutAgreement.cpp - producers and consumers agree on layouts -----===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The network plans of the DRAM-aware search (step 3 of DramSearch.cpp) and
// chargeRelayouts(): a tensor passed from a producer to a consumer (an edge
// of the WorkloadGraph) is read in the layout it was written in, or a
// re-layout is charged.
//
//===----------------------------------------------------------------------===//

#include "DramSearchImpl.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <map>

using namespace romac;
using namespace romac::detail;
using llvm::ArrayRef;
using llvm::SmallVector;

//===----------------------------------------------------------------------===//
// Network plans
//===----------------------------------------------------------------------===//

void DramSearch::findProducers() {
  producers.assign(workloads.size(), {});
  consumed.assign(workloads.size(), {});
  for (auto [i, w] : llvm::enumerate(workloads)) {
    for (unsigned o = 0; o < w.operands.size(); ++o)
      producers[i].push_back(graph.getProducer(i, o));
    consumed[i].assign(w.operands.size(), false);
  }
  for (const TensorEdge &edge : graph.getEdges())
    consumed[edge.producer.layer][edge.producer.operand] = true;
}

double DramSearch::networkObjective(const Plan &plan) const {
  double energy = 0, cycles = 0, sum = 0;
  for (auto [i, c] : llvm::enumerate(plan.choices)) {
    double e = c.energy, cy = c.cycles;
    for (const Relayout &r : plan.relayouts[i])
      addRelayout(dramOptions.objective, r, e, cy);
    energy += e;
    cycles += cy;
    sum += objectiveValue(dramOptions.objective, e, cy);
  }
  return isAdditive(dramOptions.objective) ? sum : energy * cycles;
}

/// The best entry of `masks` whose mask has none of the bits of `rowMajor`.
static const Choice *bestMatching(ArrayRef<Choice> masks, unsigned rowMajor) {
  const Choice *best = nullptr;
  for (const Choice &c : masks)
    if (c.valid && !(c.mask & rowMajor) &&
        (!best || c.objective < best->objective))
      best = &c;
  return best;
}

DramSearch::Plan DramSearch::planRowMajorActivations(unsigned m) const {
  Plan plan;
  plan.choices.resize(workloads.size());
  plan.relayouts.resize(workloads.size());
  for (auto [i, w] : llvm::enumerate(workloads)) {
    unsigned rowMajor = 0;
    for (unsigned o = 0; o < w.operands.size(); ++o)
      if (producers[i][o].isValid() || consumed[i][o])
        rowMajor |= 1u << o;
    const Choice *c = bestMatching(perMask[m][uniqueOf[i]], rowMajor);
    if (!c)
      return Plan();
    plan.choices[i] = *c;
  }
  plan.objective = networkObjective(plan);
  return plan;
}

DramSearch::Plan DramSearch::plan(unsigned m, bool screened) const {
  Plan a = planAgreement(m, screened);
  if (!dramOptions.layoutAgreement)
    return a;
  Plan b = planRowMajorActivations(m);
  return b.objective < a.objective ? std::move(b) : std::move(a);
}

DramSearch::Plan DramSearch::planAgreement(unsigned m, bool screened) const {
  const DramModel &model = models[m];
  Plan plan;
  plan.choices.resize(workloads.size());
  plan.relayouts.resize(workloads.size());
  std::vector<LayerLayout> layouts(workloads.size());
  std::map<int64_t, Relayout> charges;
  auto charge = [&](int64_t bytes) {
    auto it = charges.find(bytes);
    if (it == charges.end())
      it = charges
               .emplace(bytes,
                        computeRelayoutCharge(bytes, dramOptions.relayoutCharge,
                                              model, target))
               .first;
    return it->second;
  };
  for (auto [i, w] : llvm::enumerate(workloads)) {
    unsigned u = uniqueOf[i];
    const Choice *free = bestMatching(perMask[m][u], 0);
    if (!free)
      return Plan();
    // Inputs written by an earlier layer (none when layers are independent).
    SmallVector<unsigned, 2> fed;
    for (unsigned o = 0; o < w.operands.size(); ++o)
      if (producers[i][o].isValid() && dramOptions.layoutAgreement)
        fed.push_back(o);

    // The charges of a choice against the producers' layouts.
    auto chargesOf = [&](const LayerLayout &layout) {
      SmallVector<Relayout, 1> out;
      for (unsigned o : fed) {
        auto [p, po] = producers[i][o];
        const TensorLayout &written = layouts[p].operands[po];
        if (sameDataLayout(written, layout.operands[o]))
          continue;
        Relayout r = charge(static_cast<int64_t>(written.getSizeBytes()));
        r.operand = o;
        r.tensor = w.operands[o].tensor;
        r.producerIndex = p;
        r.producer = workloads[p].name;
        out.push_back(std::move(r));
      }
      return out;
    };
    auto total = [&](const Choice &c, ArrayRef<Relayout> rs) {
      double e = c.energy, cy = c.cycles;
      for (const Relayout &r : rs)
        addRelayout(dramOptions.objective, r, e, cy);
      return objectiveValue(dramOptions.objective, e, cy);
    };

    Choice best = *free;
    LayerLayout bestLayout = getLayout(i, best, model);
    SmallVector<Relayout, 1> bestCharges = chargesOf(bestLayout);
    double bestTotal = total(best, bestCharges);
    bool adopted = false;
    if (!bestCharges.empty()) {
      // Adopt the producers' layouts of a non-empty subset of the
      // mismatched inputs (the others may still pay).
      SmallVector<unsigned, 2> mismatched;
      for (const Relayout &r : bestCharges)
        mismatched.push_back(r.operand);
      unsigned subsets = 1u << std::min<size_t>(mismatched.size(), 3);
      for (unsigned s = 1; s < subsets; ++s) {
        SmallVector<std::optional<TensorLayout>, 3> fixed(w.operands.size());
        bool possible = true;
        for (auto [k, o] : llvm::enumerate(mismatched)) {
          if (!(s & (1u << k)))
            continue;
          auto [p, po] = producers[i][o];
          const TensorLayout &written = layouts[p].operands[po];
          if (written.getExtent() != ArrayRef<int64_t>(w.operands[o].extent) ||
              written.getElementSize() != ElementSize::of(w.operands[o])) {
            possible = false;
            break;
          }
          fixed[o] = written;
        }
        if (!possible)
          continue;
        unsigned evals = 0;
        std::vector<Choice> alt = evaluate(u, model, fixed, evals, screened);
        if (alt.empty() || !alt.front().valid)
          continue;
        LayerLayout altLayout = getLayout(i, alt.front(), model);
        SmallVector<Relayout, 1> altCharges = chargesOf(altLayout);
        double altTotal = total(alt.front(), altCharges);
        if (altTotal < bestTotal) {
          best = std::move(alt.front());
          bestLayout = std::move(altLayout);
          bestCharges = std::move(altCharges);
          bestTotal = altTotal;
          adopted = true;
        }
      }
    }
    plan.adopted += adopted;
    plan.choices[i] = std::move(best);
    plan.relayouts[i] = std::move(bestCharges);
    layouts[i] = std::move(bestLayout);
  }
  plan.objective = networkObjective(plan);
  return plan;
}

//===----------------------------------------------------------------------===//
// Re-layouts of given layouts
//===----------------------------------------------------------------------===//

llvm::Expected<unsigned>
romac::chargeRelayouts(const WorkloadGraph &graph, DramSearchResult &result,
                       const CostTarget &target, const DramParams &dram,
                       RelayoutCharge charge, DramObjective objective) {
  ArrayRef<Workload> workloads = graph.getLayers();
  if (workloads.size() != result.layers.size())
    return makeStringError(
        "chargeRelayouts: " + llvm::Twine(result.layers.size()) +
        " results for " + llvm::Twine(workloads.size()) + " workloads");
  llvm::Expected<DramModel> model = getDramModel(dram, result.addressMapping);
  if (!model)
    return model.takeError();
  std::map<int64_t, Relayout> charges;
  unsigned count = 0;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    DramLayerResult &r = result.layers[i];
    if (r.layout.operands.size() != w.operands.size())
      return makeLayerError(w.name, "chargeRelayouts: layer '" + w.name +
                                        "' has no layout");
    r.relayouts.clear();
    for (unsigned o = 0; o < w.operands.size(); ++o) {
      auto [p, po] = graph.getProducer(i, o);
      if (p < 0)
        continue;
      const TensorLayout &written = result.layers[p].layout.operands[po];
      if (sameDataLayout(written, r.layout.operands[o]))
        continue;
      int64_t bytes = static_cast<int64_t>(written.getSizeBytes());
      auto it = charges.find(bytes);
      if (it == charges.end())
        it = charges
                 .emplace(bytes,
                          computeRelayoutCharge(bytes, charge, *model, target))
                 .first;
      Relayout rl = it->second;
      rl.operand = o;
      rl.tensor = w.operands[o].tensor;
      rl.producerIndex = p;
      rl.producer = workloads[p].name;
      r.relayouts.push_back(std::move(rl));
      ++count;
    }
    auto [e, cy] = getLayerParts(objective, r);
    r.objective = objectiveValue(objective, e, cy);
    r.layer.objective = r.objective;
  }
  result.relayouts = count;
  result.mappingObjectives.assign(
      1,
      {result.addressMapping, getNetworkObjective(objective, result.layers)});
  return count;
}
