//===- FusionNetwork.cpp - choosing the fused groups of a network ---------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// fuseLayersDram() (Fusion.h, docs/fusion.md): which chains of a network's
// searched layers may share a group (linked by WorkloadGraph edges, their
// intermediates read by nobody else), the best band schedule and layouts of
// every candidate group, a dynamic program over the chains against the
// unfused DRAM-aware result, and the exact accounting of the chosen groups;
// and the DRAM traces of the fused groups.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Fusion.h"

#include "romac/CostModel/Cost.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;

//===----------------------------------------------------------------------===//
// Choosing the groups of a network
//===----------------------------------------------------------------------===//

double FusedGroup::getEnergyPJ() const {
  double e = stats.energyPJ.getTotal();
  for (const Relayout &r : relayouts)
    e += r.energyPJ;
  return e;
}

/// \p layout at another base address.
static TensorLayout rebase(const TensorLayout &layout, uint64_t base) {
  if (layout.getKind() == LayoutKind::Blocked)
    return llvm::cantFail(TensorLayout::getBlocked(
        layout.getExtent(), layout.getElementSize(), base,
        layout.getBlockSizes(), layout.getDimOrder()));
  return llvm::cantFail(TensorLayout::getRowMajor(
      layout.getExtent(), layout.getElementSize(), base, layout.getDimOrder()));
}

/// \p layout for a tensor of shape \p extent (a reshape of it): itself when
/// the shapes agree, the identity row-major layout when \p layout stores the
/// tensor that way, else nothing.
static std::optional<TensorLayout> reshapeLayout(const TensorLayout &layout,
                                                 ArrayRef<int64_t> extent) {
  if (layout.getExtent() == extent)
    return layout;
  TensorLayout identity = llvm::cantFail(TensorLayout::getRowMajor(
      layout.getExtent(), layout.getElementSize(), layout.getBase()));
  if (!sameDataLayout(layout, identity))
    return std::nullopt;
  llvm::Expected<TensorLayout> l = TensorLayout::getRowMajor(
      extent, layout.getElementSize(), layout.getBase());
  if (!l) {
    llvm::consumeError(l.takeError());
    return std::nullopt;
  }
  return *l;
}

namespace {

/// The best way found to run one chain: the group (first, last and
/// re-layouts are set when it is chosen) and its own DRAM cost (Fuser::score).
struct GroupChoice : FusedGroup {
  double score = std::numeric_limits<double>::infinity();
  bool valid() const { return score < std::numeric_limits<double>::infinity(); }
};

/// The cost of an unfused layer with some operands reading tensors that
/// groups wrote in their layouts.
struct SingletonChoice {
  DramStats stats;
  LayerLayout layout;
  SmallVector<Relayout, 1> relayouts;
  double score = 0;
};

class Fuser {
public:
  Fuser(const WorkloadGraph &graph, const DramSearchResult &unfused,
        const CostTarget &target, const DramParams &params,
        const FusionOptions &options, DramModel model)
      : graph(graph), workloads(graph.getLayers()), unfused(unfused),
        target(target), params(params), options(options),
        model(std::move(model)), capacity(RowBandCapacity::get(target)) {
    capacity.activationLimit = options.activationBytesLimit;
  }

  FusionResult run();

private:
  /// A chosen group: layers [first, last] run as `choice`.
  struct Segment {
    unsigned first, last;
    const GroupChoice *choice;
  };
  /// The fused result of running `segments` as groups and every other layer
  /// unfused, with the real producers of every tensor.
  FusionResult account(llvm::ArrayRef<Segment> segments);
  /// What unfused layer k's energy changes by when its operand o reads a
  /// tensor a group wrote with `placement` (adopting it or paying).
  double singletonDelta(unsigned k, unsigned o,
                        const RowBandPlacement &placement);
  /// How many readers need each tensor (by alias root) in DRAM.
  llvm::DenseMap<TensorId, unsigned> countReaders() const;
  void findLinks();
  /// The best schedule of chain [i, j] per layout variant (rows outermost
  /// or not, input in its producer's layout or not); empty when nothing
  /// fits.
  SmallVector<GroupChoice, 4> evaluateGroup(unsigned i, unsigned j);
  /// The DRAM cost options.objective compares (FusionOptions::objective)
  /// of \p stats and \p relayouts, and of a whole result.
  double score(const DramStats &stats, ArrayRef<Relayout> relayouts) const;
  double score(const FusionResult &result) const;
  double relayoutScore(int64_t bytes);
  Relayout relayout(int64_t bytes);
  /// Layer i unfused, operands `adopt` reading tensors in the given layouts
  /// (group outputs): adopting them all, or paying a re-layout for each
  /// that differs, whichever costs less.
  SingletonChoice
  singleton(unsigned i,
            ArrayRef<std::pair<unsigned, const TensorLayout *>> adopt);
  /// The read operand of layer i that layer i - 1 writes, if any.
  std::optional<unsigned> chainOperand(unsigned i) const;

  const WorkloadGraph &graph;
  ArrayRef<Workload> workloads;
  const DramSearchResult &unfused;
  const CostTarget &target;
  const DramParams &params;
  const FusionOptions &options;
  DramModel model;
  RowBandCapacity capacity;

  std::vector<std::optional<RowBandLayer>> rb;
  std::vector<SmallVector<OperandRef, 3>> producers;
  /// link[i]: layers i and i + 1 may share a group.
  std::vector<bool> link;
  /// consumers[i]: the (layer, operand) pairs that read layer i's output.
  std::vector<SmallVector<std::pair<unsigned, unsigned>, 2>> consumers;
  std::map<int64_t, Relayout> relayoutCache;
  uint64_t evaluations = 0;
};

} // namespace

std::optional<unsigned> Fuser::chainOperand(unsigned i) const {
  if (i == 0)
    return std::nullopt;
  for (auto [o, p] : llvm::enumerate(producers[i]))
    if (p.layer == static_cast<int>(i) - 1)
      return static_cast<unsigned>(o);
  return std::nullopt;
}

llvm::DenseMap<TensorId, unsigned> Fuser::countReaders() const {
  // Readers of every tensor (by its alias root) that would need it in DRAM:
  // contraction operands, what has no workload (graph outputs, opaque ops),
  // and streaming layers other than element-wise ones with a single
  // full-size input (a fused ReLU / clip).
  llvm::DenseMap<TensorId, unsigned> readers;
  for (auto [i, w] : llvm::enumerate(workloads))
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (op.role == OperandRole::Read)
        ++readers[graph.resolveAlias(graph.getTensorOf(i, o))];
  for (auto [id, t] : llvm::enumerate(graph.getTensors()))
    if (t.readOutside)
      ++readers[graph.resolveAlias(static_cast<TensorId>(id))];
  for (auto [si, s] : llvm::enumerate(graph.getStreamingLayers())) {
    const Operand *out = nullptr;
    TensorId outId = 0;
    unsigned outputs = 0, fullInputs = 0;
    for (auto [o, op] : llvm::enumerate(s.operands))
      if (op.role == OperandRole::ReadWrite) {
        out = &op;
        outId = graph.getStreamingTensorOf(si, o);
        ++outputs;
      }
    for (const Operand &op : s.operands)
      fullInputs +=
          op.role == OperandRole::Read && out && op.extent == out->extent;
    // A single-input element-wise layer (bias, ReLU, clip) runs on the band
    // in place: its read of the tensor it aliases does not count. Its other
    // reads (a bias vector, a broadcast scale) do.
    std::optional<TensorId> source;
    if (outputs == 1 && fullInputs == 1)
      source = graph.getTensor(outId).aliasOf;
    for (auto [o, op] : llvm::enumerate(s.operands)) {
      TensorId t = graph.getStreamingTensorOf(si, o);
      if (op.role == OperandRole::Read &&
          !(source && t == *source && op.extent == out->extent))
        ++readers[graph.resolveAlias(t)];
    }
  }
  return readers;
}

void Fuser::findLinks() {
  size_t n = workloads.size();
  rb.resize(n);
  for (auto [i, w] : llvm::enumerate(workloads)) {
    llvm::Expected<RowBandLayer> l = getRowBandLayer(w);
    if (l)
      rb[i] = *l;
    else
      llvm::consumeError(l.takeError());
  }
  producers.assign(n, {});
  for (auto [i, w] : llvm::enumerate(workloads))
    for (unsigned o = 0; o < w.operands.size(); ++o)
      producers[i].push_back(graph.getProducer(i, o));
  consumers.assign(n, {});
  for (const TensorEdge &e : graph.getEdges())
    consumers[e.producer.layer].push_back(
        {static_cast<unsigned>(e.consumer.layer),
         static_cast<unsigned>(e.consumer.operand)});
  llvm::DenseMap<TensorId, unsigned> readers = countReaders();
  link.assign(n, false);
  for (size_t i = 0; i + 1 < n; ++i) {
    if (!rb[i] || !rb[i + 1])
      continue;
    const Operand &out = workloads[i].operands[rb[i]->output];
    OperandRef p = producers[i + 1][rb[i + 1]->input];
    if (p.layer != static_cast<int>(i) ||
        p.operand != static_cast<int>(rb[i]->output))
      continue;
    TensorId outId = graph.getTensorOf(i, rb[i]->output);
    if (readers.lookup(graph.resolveAlias(outId)) != 1)
      continue;
    // The same tensor, not a reshape of it (rows must mean the same rows).
    if (workloads[i + 1].operands[rb[i + 1]->input].extent != out.extent)
      continue;
    RowBandLayer pair[2] = {*rb[i], *rb[i + 1]};
    if (llvm::Error e = verifyRowBandChain(pair)) {
      llvm::consumeError(std::move(e));
      continue;
    }
    link[i] = true;
  }
}

Relayout Fuser::relayout(int64_t bytes) {
  auto it = relayoutCache.find(bytes);
  if (it == relayoutCache.end())
    it = relayoutCache
             .emplace(bytes,
                      computeRelayoutCharge(bytes, RelayoutCharge::RowBuffer,
                                            model, target))
             .first;
  return it->second;
}

double Fuser::score(const DramStats &stats,
                    ArrayRef<Relayout> relayouts) const {
  double s = 0;
  switch (options.objective) {
  case DramObjective::Latency:
    // ns: DRAM cycles of tCK, re-layout cycles of the compute clock.
    s = static_cast<double>(stats.cycles) * params.tCK;
    for (const Relayout &r : relayouts)
      s += r.cycles * 1000.0 / target.frequencyMHz;
    return s;
  case DramObjective::DramAccesses:
    s = static_cast<double>(stats.bursts) *
        static_cast<double>(params.geometry.getBytesPerBurst());
    for (const Relayout &r : relayouts)
      s += 2.0 * static_cast<double>(r.bytes);
    return s;
  default:
    s = stats.energyPJ.getTotal();
    for (const Relayout &r : relayouts)
      s += r.energyPJ;
    return s;
  }
}

double Fuser::score(const FusionResult &result) const {
  double s = 0;
  for (const FusedGroup &g : result.groups)
    s += score(g.stats, g.relayouts);
  for (auto [i, l] : llvm::enumerate(result.layers))
    if (result.groupOf[i] < 0)
      s += score(l.stats, l.relayouts);
  return s;
}

double Fuser::relayoutScore(int64_t bytes) {
  return score(DramStats(), {relayout(bytes)});
}

SmallVector<GroupChoice, 4> Fuser::evaluateGroup(unsigned i, unsigned j) {
  SmallVector<RowBandLayer, 8> chain;
  SmallVector<const Workload *, 8> layers;
  for (unsigned k = i; k <= j; ++k) {
    chain.push_back(*rb[k]);
    layers.push_back(&workloads[k]);
  }
  // The producer's layout of the group input, when an unfused layer wrote
  // it.
  std::optional<TensorLayout> producerLayout;
  auto [p, po] = producers[i][chain[0].input];
  if (p >= 0) {
    const TensorLayout &written = unfused.layers[p].layout.operands[po];
    if (auto l = reshapeLayout(written,
                               workloads[i].operands[chain[0].input].extent))
      producerLayout = *l;
  }
  int64_t rows = chain.back().outputRows;
  SmallVector<int64_t, 32> bands;
  for (int64_t n = 1; n <= rows; ++n) {
    int64_t b = (rows + n - 1) / n;
    if (bands.empty() || bands.back() != b)
      bands.push_back(b);
  }
  SmallVector<GroupChoice, 4> variants;
  for (bool ro : {false, true}) {
    if (ro && !options.rowsOutermostLayouts)
      continue;
    llvm::Expected<RowBandPlacement> placed =
        placeRowBandGroup(layers, chain, params, ro);
    if (!placed) {
      llvm::consumeError(placed.takeError());
      continue;
    }
    for (bool fromProducer : {false, true}) {
      RowBandPlacement placement = *placed;
      if (fromProducer) {
        if (!producerLayout || sameDataLayout(*producerLayout, placed->input))
          continue;
        placement.input = rebase(*producerLayout, placed->input.getBase());
      }
      GroupChoice best;
      for (int64_t b : bands)
        for (bool resident : {true, false}) {
          RowBandSchedule schedule{b, resident};
          RowBandCounts counts = computeRowBandCounts(chain, schedule);
          if (!capacity.fits(counts))
            continue;
          ++evaluations;
          DramStats stats =
              evaluateRowBandGroup(layers, chain, schedule, placement, model);
          double e = score(stats, {});
          if (e < best.score) {
            best.schedule = schedule;
            best.counts = counts;
            best.rowsOutermost = ro;
            best.producerInput = fromProducer;
            best.placement = placement;
            best.stats = std::move(stats);
            best.score = e;
          }
          if (resident)
            break; // streaming the weights only helps when they do not fit
        }
      if (best.valid())
        variants.push_back(std::move(best));
    }
  }
  return variants;
}

SingletonChoice
Fuser::singleton(unsigned i,
                 ArrayRef<std::pair<unsigned, const TensorLayout *>> adopt) {
  const DramLayerResult &orig = unfused.layers[i];
  const Workload &w = workloads[i];
  auto keptRelayouts = [&](SingletonChoice &c) {
    for (const Relayout &r : orig.relayouts)
      if (!llvm::any_of(adopt, [&](auto &a) { return a.first == r.operand; }))
        c.relayouts.push_back(r);
  };
  // Pay re-layouts where the layouts differ.
  SingletonChoice pay;
  pay.stats = orig.stats;
  pay.layout = orig.layout;
  keptRelayouts(pay);
  bool differs = false;
  for (auto [o, layout] : adopt) {
    if (sameDataLayout(*layout, orig.layout.operands[o]))
      continue;
    differs = true;
    Relayout r = relayout(static_cast<int64_t>(layout->getSizeBytes()));
    r.operand = o;
    r.tensor = w.operands[o].tensor;
    pay.relayouts.push_back(std::move(r));
  }
  auto total = [&](SingletonChoice &c) {
    c.score = score(c.stats, c.relayouts);
  };
  total(pay);
  if (!differs)
    return pay;
  // Adopt: read the operands in the groups' layouts.
  DramPlacement placement;
  for (const TensorLayout &l : orig.layout.operands)
    placement.fixed.push_back(l);
  for (auto [o, layout] : adopt) {
    std::optional<TensorLayout> l =
        reshapeLayout(*layout, w.operands[o].extent);
    if (!l)
      return pay;
    placement.fixed[o] = *l;
  }
  RowBufferDramModel rbm(model, placement);
  llvm::Expected<LayerLayout> layout = rbm.getLayout(w, orig.layer.mapping);
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return pay;
  }
  ++evaluations;
  SingletonChoice take;
  take.layout = *layout;
  take.stats = model.evaluate(w, orig.layer.mapping, *layout);
  keptRelayouts(take);
  total(take);
  return take.score < pay.score ? take : pay;
}

double Fuser::singletonDelta(unsigned k, unsigned o,
                             const RowBandPlacement &placement) {
  std::pair<unsigned, const TensorLayout *> adopt[] = {{o, &placement.output}};
  const DramLayerResult &orig = unfused.layers[k];
  return singleton(k, adopt).score - score(orig.stats, orig.relayouts);
}

FusionResult Fuser::run() {
  findLinks();
  size_t n = workloads.size();
  constexpr double kInf = std::numeric_limits<double>::infinity();

  // Groups: every chain of >= 2 linked layers, until nothing fits (a longer
  // chain needs at least the rows of a shorter one: a pruning heuristic).
  std::map<std::pair<unsigned, unsigned>, SmallVector<GroupChoice, 4>> groups;
  for (unsigned i = 0; i < n; ++i)
    for (unsigned j = i + 1;
         j < n && link[j - 1] && j - i + 1 <= options.maxGroupLayers; ++j) {
      SmallVector<GroupChoice, 4> g = evaluateGroup(i, j);
      if (g.empty())
        break;
      groups.emplace(std::pair{i, j}, std::move(g));
    }

  // Dynamic program over the layers. The state after a prefix says what
  // its last segment is: an unfused layer (0), or a group writing its output
  // in the identity order (1) or rows outermost (2). A group's input pays a
  // re-layout unless its producer wrote that layout; an unfused layer after
  // a group adopts the group's layout or pays (singleton()). Producers other
  // than the previous segment are settled by the exact accounting below.
  struct Cell {
    double cost = kInf;
    int from = -1;      ///< first layer of the last segment
    int fromState = -1; ///< state before it
    int variant = -1;   ///< the group variant of the last segment
  };
  std::vector<std::array<Cell, 3>> dp(n + 1);
  dp[0][0].cost = 0;
  auto lastGroup = [&](unsigned i, unsigned state) -> const GroupChoice & {
    const Cell &c = dp[i][state];
    return groups.at({static_cast<unsigned>(c.from), i - 1})[c.variant];
  };
  for (unsigned i = 0; i < n; ++i)
    for (unsigned state = 0; state < 3; ++state) {
      const Cell &cell = dp[i][state];
      if (cell.cost == kInf)
        continue;
      // Layer i unfused.
      {
        double c = score(unfused.layers[i].stats, unfused.layers[i].relayouts);
        std::optional<unsigned> o = chainOperand(i);
        if (state != 0 && o) {
          std::pair<unsigned, const TensorLayout *> adopt[] = {
              {*o, &lastGroup(i, state).placement->output}};
          c = singleton(i, adopt).score;
        }
        Cell &next = dp[i + 1][0];
        if (cell.cost + c < next.cost)
          next = {cell.cost + c, static_cast<int>(i), static_cast<int>(state),
                  -1};
      }
      // A group starting at i.
      for (unsigned j = i + 1; j < n; ++j) {
        auto it = groups.find({i, j});
        if (it == groups.end())
          break;
        for (auto [v, g] : llvm::enumerate(it->second)) {
          double c = g.score;
          // Unfused readers of the group's output other than layer j + 1
          // (which the next step charges) adopt its layout or pay.
          for (auto [k, o] : consumers[j])
            if (k > j + 1)
              c += singletonDelta(k, o, *g.placement);
          auto [p, po] = producers[i][rb[i]->input];
          if (p >= 0) {
            bool agree;
            if (state != 0 && p + 1 == static_cast<int>(i))
              agree = sameDataLayout(lastGroup(i, state).placement->output,
                                     g.placement->input);
            else
              agree = g.producerInput ||
                      sameDataLayout(unfused.layers[p].layout.operands[po],
                                     g.placement->input);
            if (!agree)
              c += relayoutScore(
                  static_cast<int64_t>(g.placement->input.getSizeBytes()));
          }
          Cell &next = dp[j + 1][g.rowsOutermost ? 2 : 1];
          if (cell.cost + c < next.cost)
            next = {cell.cost + c, static_cast<int>(i), static_cast<int>(state),
                    static_cast<int>(v)};
        }
      }
    }

  // Walk back the segments.
  std::vector<Segment> segments;
  {
    unsigned i = n, state = 0;
    for (unsigned s = 1; s < 3; ++s)
      if (dp[n][s].cost < dp[n][state].cost)
        state = s;
    while (i > 0) {
      const Cell &c = dp[i][state];
      if (c.variant >= 0)
        segments.push_back(
            {static_cast<unsigned>(c.from), i - 1,
             &groups.at({static_cast<unsigned>(c.from), i - 1})[c.variant]});
      i = static_cast<unsigned>(c.from);
      state = static_cast<unsigned>(c.fromState);
    }
    std::reverse(segments.begin(), segments.end());
  }

  // Exact accounting; then drop groups while that lowers the score (the
  // dynamic program's boundary charges are estimates), and never return
  // more than the unfused schedule costs.
  FusionResult best = account(segments);
  double bestScore = score(best);
  for (bool improved = true; improved && !segments.empty();) {
    improved = false;
    for (size_t k = 0; k < segments.size(); ++k) {
      std::vector<Segment> fewer = segments;
      fewer.erase(fewer.begin() + k);
      FusionResult r = account(fewer);
      double rScore = score(r);
      if (rScore < bestScore) {
        best = std::move(r);
        bestScore = rScore;
        segments = std::move(fewer);
        improved = true;
        break;
      }
    }
  }
  FusionResult none = account({});
  if (score(none) <= bestScore)
    best = std::move(none);
  best.evaluations = evaluations;
  return best;
}

FusionResult Fuser::account(llvm::ArrayRef<Segment> segments) {
  size_t n = workloads.size();
  // The chosen segments with the real producers of every tensor.
  FusionResult result;
  result.groupOf.assign(n, -1);
  result.layers.assign(unfused.layers.begin(), unfused.layers.end());
  std::vector<const GroupChoice *> chosen;
  for (const Segment &seg : segments) {
    const GroupChoice &g = *seg.choice;
    chosen.push_back(&g);
    FusedGroup fg = g;
    fg.first = seg.first;
    fg.last = seg.last;
    for (unsigned k = seg.first; k <= seg.last; ++k)
      result.groupOf[k] = static_cast<int>(result.groups.size());
    result.groups.push_back(std::move(fg));
  }
  auto groupOutput = [&](int layer) -> const TensorLayout * {
    int gi = result.groupOf[layer];
    if (gi < 0 || result.groups[gi].last != static_cast<unsigned>(layer))
      return nullptr;
    return &chosen[gi]->placement->output;
  };
  for (auto [fg, gp] : llvm::zip_equal(result.groups, chosen)) {
    const GroupChoice &g = *gp;
    auto [p, po] = producers[fg.first][rb[fg.first]->input];
    if (p < 0)
      continue;
    const TensorLayout *written = groupOutput(p);
    bool agree = written
                     ? sameDataLayout(*written, g.placement->input)
                     : g.producerInput ||
                           sameDataLayout(unfused.layers[p].layout.operands[po],
                                          g.placement->input);
    if (agree)
      continue;
    Relayout r =
        relayout(static_cast<int64_t>(g.placement->input.getSizeBytes()));
    r.operand = rb[fg.first]->input;
    r.tensor = workloads[fg.first].operands[r.operand].tensor;
    r.producerIndex = static_cast<unsigned>(p);
    r.producer = workloads[p].name;
    fg.relayouts.push_back(std::move(r));
  }
  for (unsigned i = 0; i < n; ++i) {
    if (result.groupOf[i] >= 0)
      continue;
    SmallVector<std::pair<unsigned, const TensorLayout *>, 2> adopt;
    for (auto [o, p] : llvm::enumerate(producers[i]))
      if (p.isValid())
        if (const TensorLayout *l = groupOutput(p.layer))
          adopt.push_back({static_cast<unsigned>(o), l});
    if (adopt.empty())
      continue;
    SingletonChoice c = singleton(i, adopt);
    DramLayerResult &l = result.layers[i];
    l.stats = c.stats;
    l.layout = c.layout;
    l.relayouts = c.relayouts;
    for (Relayout &r : l.relayouts)
      if (r.producer.empty()) {
        r.producerIndex = static_cast<unsigned>(producers[i][r.operand].layer);
        r.producer = workloads[r.producerIndex].name;
      }
  }
  double mhz = target.frequencyMHz;
  auto relayoutCycles = [&](ArrayRef<Relayout> rs) {
    double c = 0;
    for (const Relayout &r : rs)
      c += r.cycles * 1000.0 / (params.tCK * mhz);
    return c;
  };
  for (const FusedGroup &fg : result.groups) {
    result.energyPJ += fg.getEnergyPJ();
    result.dramCycles +=
        static_cast<double>(fg.stats.cycles) + relayoutCycles(fg.relayouts);
  }
  for (unsigned i = 0; i < n; ++i) {
    if (result.groupOf[i] >= 0)
      continue;
    const DramLayerResult &l = result.layers[i];
    result.energyPJ += l.stats.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
    result.dramCycles +=
        static_cast<double>(l.stats.cycles) + relayoutCycles(l.relayouts);
  }
  return result;
}

llvm::Expected<FusionResult>
romac::fuseLayersDram(const WorkloadGraph &graph,
                      const DramSearchResult &unfused, const CostTarget &target,
                      const DramParams &params, const FusionOptions &options) {
  ArrayRef<Workload> workloads = graph.getLayers();
  if (unfused.layers.size() != workloads.size())
    return makeStringError(
        "fuseLayersDram: " + llvm::Twine(unfused.layers.size()) +
        " unfused results for " + llvm::Twine(workloads.size()) + " workloads");
  for (auto [w, l] : llvm::zip_equal(workloads, unfused.layers))
    if (l.layout.operands.size() != w.operands.size())
      return makeLayerError(w.name, "fuseLayersDram: layer '" + w.name +
                                        "' has no layout");
  llvm::Expected<DramModel> model =
      getDramModel(params, unfused.addressMapping);
  if (!model)
    return model.takeError();
  Fuser fuser(graph, unfused, target, params, options, *model);
  return fuser.run();
}

llvm::Expected<std::vector<LayerTraceFiles>> romac::writeFusedGroupTraces(
    const FusionResult &result, ArrayRef<Workload> workloads,
    const DramModel &model, llvm::StringRef dir, const TraceOptions &options) {
  std::vector<LayerTraceFiles> files;
  size_t width =
      std::max<size_t>(2, std::to_string(result.groups.size()).size());
  for (auto [g, group] : llvm::enumerate(result.groups)) {
    if (!group.placement || group.last >= workloads.size())
      return makeStringError("fused group " + llvm::Twine(g) +
                             " has no placement for its layers");
    if (!options.layer.empty() &&
        llvm::none_of(
            workloads.slice(group.first, group.last - group.first + 1),
            [&](const Workload &w) { return w.name == options.layer; }))
      continue;
    SmallVector<RowBandLayer, 8> chain;
    SmallVector<const Workload *, 8> layers;
    for (unsigned k = group.first; k <= group.last; ++k) {
      llvm::Expected<RowBandLayer> l = getRowBandLayer(workloads[k]);
      if (!l)
        return l.takeError();
      chain.push_back(*l);
      layers.push_back(&workloads[k]);
    }
    const std::string &firstName = workloads[group.first].name;
    std::string name = std::to_string(g);
    name.insert(0, width - std::min(width, name.size()), '0');
    name = "group-" + name + "-";
    for (char ch : firstName)
      name +=
          llvm::isAlnum(ch) || ch == '.' || ch == '_' || ch == '-' ? ch : '_';
    llvm::SmallString<256> prefix(dir);
    llvm::sys::path::append(prefix, name);
    std::string traceName = firstName + ".." + workloads[group.last].name;
    llvm::Expected<LayerTraceFiles> written = writeTraceFiles(
        model, traceName, {"input", "weights", "output"},
        [&](llvm::function_ref<void(const DramRequest &)> emit) {
          forEachRowBandBurst(layers, chain, group.schedule, *group.placement,
                              model.getMapping().getBurstOffsetBits(), emit);
        },
        prefix, options);
    if (!written)
      return makeStringError("fused group " + llvm::Twine(g) + " ('" +
                             traceName +
                             "'): " + llvm::toString(written.takeError()));
    // The useful bytes a burst stream does not carry (as
    // evaluateRowBandGroup() records them).
    DramStats &stats = written->result.stats;
    stats.operands.resize(3);
    stats.operands[0].usefulReadBytes = group.counts.inputReadBytes;
    stats.operands[1].usefulReadBytes = group.counts.weightReadBytes;
    stats.operands[2].usefulWriteBytes = group.counts.outputWriteBytes;
    files.push_back(std::move(*written));
  }
  return files;
}
