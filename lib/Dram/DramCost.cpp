//===- DramCost.cpp - row-buffer DRAM cost and DRAM-aware search ----------===//
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
//  3. per address mapping, two network plans: (a) every layer's best choice,
//     then, in program order, every consumer whose producer wrote an input
//     in another layout either adopts the producer's layout (its tiling and
//     other layouts re-chosen) or pays a re-layout, whichever is cheaper;
//     (b) every activation that passes between two layers row-major (no
//     re-layout needed), the rest chosen freely. The cheaper plan wins;
//  4. the address mapping with the lowest network objective wins.
//
// Every loop runs in a fixed order and ties go to the earlier candidate,
// layout combination and mapping, so the result does not depend on the
// number of threads.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/DramCost.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <memory>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

double romac::dramToComputeCycles(double dramCycles, const DramParams &params,
                                  double computeMHz) {
  return dramCycles * params.tCK * computeMHz / 1000.0;
}

DramEstimate romac::makeDramEstimate(const DramStats &stats,
                                     const DramParams &params,
                                     double computeMHz) {
  DramEstimate est;
  est.energyPJ = stats.energyPJ.getTotal();
  est.cycles = dramToComputeCycles(static_cast<double>(stats.cycles), params,
                                   computeMHz);
  est.energyBreakdownPJ = {{"act_pre", stats.energyPJ.actPre},
                           {"rd_wr", stats.energyPJ.rdWr},
                           {"background", stats.energyPJ.background},
                           {"refresh", stats.energyPJ.refresh}};
  est.bursts = static_cast<int64_t>(stats.bursts);
  est.rowHits = static_cast<int64_t>(stats.rowHits);
  est.rowMisses = static_cast<int64_t>(stats.rowMisses);
  est.rowConflicts = static_cast<int64_t>(stats.rowConflicts);
  return est;
}

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

/// Bytes of one DRAM row of a rank.
static uint64_t getRowBytes(const DramParams &params) {
  return params.geometry.columns * params.deviceWidth * params.chipsPerRank / 8;
}

/// Whether `layout` stores its tensor exactly as the identity-order
/// row-major layout does: row-major in the identity order, or blocked in the
/// identity order where every dim inside the innermost split dim is whole
/// and every dim outside it has blocks of one element.
static bool isRowMajorEquivalent(const TensorLayout &layout) {
  ArrayRef<unsigned> order = layout.getDimOrder();
  for (auto [i, d] : llvm::enumerate(order))
    if (d != i)
      return false;
  if (layout.getKind() == LayoutKind::RowMajor)
    return true;
  ArrayRef<int64_t> extent = layout.getExtent(), block = layout.getBlockSizes();
  int split = -1;
  for (int j = static_cast<int>(extent.size()) - 1; j >= 0; --j)
    if (block[j] < extent[j]) {
      split = j;
      break;
    }
  for (int j = 0; j < split; ++j)
    if (block[j] != 1 && extent[j] != 1)
      return false;
  return true;
}

bool romac::sameDataLayout(const TensorLayout &a, const TensorLayout &b) {
  if (a.getSizeBytes() != b.getSizeBytes())
    return false;
  bool rowA = isRowMajorEquivalent(a), rowB = isRowMajorEquivalent(b);
  if (rowA || rowB)
    return rowA && rowB;
  return a.getKind() == b.getKind() && a.getExtent() == b.getExtent() &&
         a.getBlockSizes() == b.getBlockSizes() &&
         a.getDimOrder() == b.getDimOrder() &&
         a.getBytesPerElement() == b.getBytesPerElement();
}

/// The blocked layout of operand `o` under `mapping`, or nothing when it
/// stores the tensor as row-major does.
static bool blockedDiffers(const Workload &workload, const Mapping &mapping,
                           unsigned o) {
  const Operand &op = workload.operands[o];
  llvm::Expected<TensorLayout> layout =
      TensorLayout::getBlocked(op.extent, op.bytesPerElement, 0,
                               getTileBlockSizes(workload, mapping, o));
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return false;
  }
  return !isRowMajorEquivalent(*layout);
}

/// Index of the first operand before `o` that names the same tensor (with
/// the same shape), or `o`.
static unsigned sharedWith(const Workload &workload, unsigned o) {
  const Operand &op = workload.operands[o];
  for (unsigned i = 0; i < o; ++i) {
    const Operand &other = workload.operands[i];
    if (other.tensor == op.tensor && other.extent == op.extent &&
        other.bytesPerElement == op.bytesPerElement)
      return i;
  }
  return o;
}

llvm::Expected<LayerLayout> romac::placeOperands(const Workload &workload,
                                                 const Mapping &mapping,
                                                 const DramPlacement &placement,
                                                 const DramParams &params) {
  LayerLayout result;
  uint64_t next = placement.base;
  uint64_t align =
      placement.alignment ? placement.alignment : getRowBytes(params);
  align = std::max<uint64_t>(align, 1);
  for (auto [i, op] : llvm::enumerate(workload.operands)) {
    unsigned same = sharedWith(workload, i);
    if (same != i) {
      result.operands.push_back(result.operands[same]);
      continue;
    }
    bool overflow = false;
    uint64_t addr =
        llvm::SaturatingAdd(next, (align - next % align) % align, &overflow);
    if (overflow)
      return makeError("placement of '" + workload.name +
                       "': addresses overflow 64 bits");
    const std::optional<TensorLayout> *fixed =
        i < placement.fixed.size() && placement.fixed[i] ? &placement.fixed[i]
                                                         : nullptr;
    llvm::Expected<TensorLayout> layout =
        [&]() -> llvm::Expected<TensorLayout> {
      if (fixed) {
        const TensorLayout &f = **fixed;
        if (f.getExtent() != ArrayRef<int64_t>(op.extent) ||
            f.getBytesPerElement() != op.bytesPerElement)
          return makeError("placement of '" + workload.name +
                           "': the fixed layout of operand '" + op.name +
                           "' does not match its shape");
        return f.getKind() == LayoutKind::RowMajor
                   ? TensorLayout::getRowMajor(op.extent, op.bytesPerElement,
                                               addr, f.getDimOrder())
                   : TensorLayout::getBlocked(op.extent, op.bytesPerElement,
                                              addr, f.getBlockSizes(),
                                              f.getDimOrder());
      }
      if (placement.getKind(i) == LayoutKind::RowMajor)
        return TensorLayout::getRowMajor(op.extent, op.bytesPerElement, addr);
      return TensorLayout::getBlocked(op.extent, op.bytesPerElement, addr,
                                      getTileBlockSizes(workload, mapping, i));
    }();
    if (!layout)
      return layout.takeError();
    next = llvm::SaturatingAdd(addr, layout->getSizeBytes(), &overflow);
    if (overflow)
      return makeError("placement of '" + workload.name +
                       "': addresses overflow 64 bits");
    result.operands.push_back(std::move(*layout));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// RowBufferDramModel
//===----------------------------------------------------------------------===//

RowBufferDramModel::RowBufferDramModel(DramModel model, DramPlacement placement,
                                       DramEngine engine,
                                       DramEstimateKind estimateKind)
    : model(std::move(model)), placement(std::move(placement)), engine(engine),
      estimateKind(estimateKind) {}

std::optional<DramCostModel::LinearRates>
RowBufferDramModel::getLinearRates(const CostTarget &target) const {
  if (estimateKind != DramEstimateKind::Streaming)
    return std::nullopt;
  return getStreamingRates(target);
}

DramCostModel::LinearRates
RowBufferDramModel::getStreamingRates(const CostTarget &target) const {
  // Every burst a row hit at the peak data rate: a burst occupies the bus of
  // its channel for BL/2 cycles, the channels work in parallel, every rank
  // draws at least precharge standby current and refreshes meanwhile.
  const DramParams &p = model.getParams();
  const DramGeometry &g = p.geometry;
  double bytesPerBurst = static_cast<double>(g.getBytesPerBurst());
  double busCycles =
      static_cast<double>(p.getBurstCycles()) / static_cast<double>(g.channels);
  double ranks = static_cast<double>(g.channels * g.ranks);
  double standby =
      busCycles * ranks *
      (p.getPrechargeStandbyEnergyPJPerCycle() +
       (p.tREFI ? p.getRefreshEnergyPJ() / static_cast<double>(p.tREFI) : 0));
  LinearRates rates;
  rates.readPJPerByte = (p.getReadBurstEnergyPJ() + standby) / bytesPerBurst;
  rates.writePJPerByte = (p.getWriteBurstEnergyPJ() + standby) / bytesPerBurst;
  rates.cyclesPerByte =
      dramToComputeCycles(busCycles, p, target.frequencyMHz) / bytesPerBurst;
  return rates;
}

DramEstimate RowBufferDramModel::estimate(const CostTarget &target,
                                          const Workload &,
                                          const DramTraffic &traffic) const {
  LinearRates rates = getStreamingRates(target);
  int64_t reads = traffic.getReadBytes(), writes = traffic.getWriteBytes();
  DramEstimate est;
  est.energyPJ = static_cast<double>(reads) * rates.readPJPerByte +
                 static_cast<double>(writes) * rates.writePJPerByte;
  est.cycles = static_cast<double>(reads + writes) * rates.cyclesPerByte;
  if (estimateKind == DramEstimateKind::StreamingWithActivations) {
    const DramParams &p = model.getParams();
    double transfers = 0;
    for (const DramOperandTraffic &t : traffic.operands)
      transfers += static_cast<double>(t.readTransfers + t.writeTransfers);
    est.energyPJ += transfers * p.getActPreEnergyPJ();
    est.cycles +=
        dramToComputeCycles(transfers * static_cast<double>(p.tRC) /
                                static_cast<double>(p.geometry.getTotalBanks()),
                            p, target.frequencyMHz);
  }
  return est;
}

llvm::Expected<LayerLayout>
RowBufferDramModel::getLayout(const Workload &workload,
                              const Mapping &mapping) const {
  return placeOperands(workload, mapping, placement, model.getParams());
}

llvm::Expected<DramStats>
RowBufferDramModel::getStats(const Workload &workload,
                             const Mapping &mapping) const {
  llvm::Expected<LayerLayout> layout = getLayout(workload, mapping);
  if (!layout)
    return layout.takeError();
  return model.evaluate(workload, mapping, *layout, engine);
}

DramEstimate RowBufferDramModel::evaluate(const CostTarget &target,
                                          const Workload &workload,
                                          const Mapping &mapping,
                                          const DramTraffic &traffic) const {
  llvm::Expected<DramStats> stats = getStats(workload, mapping);
  if (!stats) {
    llvm::consumeError(stats.takeError());
    return estimate(target, workload, traffic);
  }
  return makeDramEstimate(*stats, model.getParams(), target.frequencyMHz);
}

//===----------------------------------------------------------------------===//
// Address mappings
//===----------------------------------------------------------------------===//

/// The names tried, in preference order (before removing duplicates).
static SmallVector<std::string, 8> getMappingNames(const DramParams &params) {
  SmallVector<std::string, 8> names;
  if (!params.addressMapping.empty())
    names.push_back(params.addressMapping);
  for (StringRef policy : AddressMapping::getPolicyNames())
    names.push_back(policy.str());
  for (StringRef order : {"RoBaRaCoCh", "ChRaBaRoCo", "RoCoRaBaCh"})
    names.push_back(order.str());
  return names;
}

std::vector<std::string>
romac::getDramMappingCandidates(const DramParams &params) {
  std::vector<std::string> names;
  std::vector<SmallVector<DramField, 48>> seen;
  for (const std::string &name : getMappingNames(params)) {
    llvm::Expected<AddressMapping> mapping =
        AddressMapping::get(params.geometry, name);
    if (!mapping) {
      llvm::consumeError(mapping.takeError());
      continue;
    }
    SmallVector<DramField, 48> bits(mapping->getBitFields().begin(),
                                    mapping->getBitFields().end());
    if (llvm::is_contained(seen, bits))
      continue;
    seen.push_back(std::move(bits));
    names.push_back(name);
  }
  return names;
}

llvm::Expected<DramModel> romac::getDramModel(const DramParams &params,
                                              StringRef name) {
  llvm::Expected<DramModel> model = DramModel::get(params, name);
  if (model)
    return model;
  std::string problem = llvm::toString(model.takeError());
  std::string valid;
  for (const std::string &n : getMappingNames(params))
    if (!StringRef(valid).contains(n + ",") && !StringRef(valid).ends_with(n))
      valid += (valid.empty() ? "" : ", ") + n;
  return makeError("unknown or invalid DRAM address mapping '" + name +
                   "' for this DRAM (" + problem + "); valid: " + valid +
                   ", or any field order of Ch, Ra, Bg, Ba, Ro, Co whose "
                   "fields exist in the geometry");
}

//===----------------------------------------------------------------------===//
// Objectives and re-layouts
//===----------------------------------------------------------------------===//

StringRef romac::stringifyDramObjective(DramObjective objective) {
  switch (objective) {
  case DramObjective::DramEnergy:
    return "dram-energy";
  case DramObjective::DramEDP:
    return "dram-edp";
  case DramObjective::Energy:
    return "energy";
  case DramObjective::EDP:
    return "edp";
  }
  llvm_unreachable("unknown DRAM objective");
}

std::optional<DramObjective> romac::symbolizeDramObjective(StringRef name) {
  for (DramObjective o : {DramObjective::DramEnergy, DramObjective::DramEDP,
                          DramObjective::Energy, DramObjective::EDP})
    if (name == stringifyDramObjective(o))
      return o;
  return std::nullopt;
}

/// Whether the objective adds up over layers (else it is energy x cycles of
/// the sums).
static bool isAdditive(DramObjective objective) {
  return objective == DramObjective::DramEnergy ||
         objective == DramObjective::Energy;
}

/// The (energy, cycles) pair an objective multiplies or sums.
static std::pair<double, double> objectiveParts(DramObjective objective,
                                                const CostBreakdown &cost) {
  if (objective == DramObjective::DramEnergy ||
      objective == DramObjective::DramEDP)
    return {cost.dramEnergyPJ, cost.dramCycles};
  return {cost.totalEnergyPJ, cost.cycles};
}

static double objectiveValue(DramObjective objective, double energy,
                             double cycles) {
  return isAdditive(objective) ? energy : energy * cycles;
}

Relayout romac::computeRelayoutCharge(int64_t bytes, RelayoutCharge charge,
                                      const DramModel &model,
                                      const CostTarget &target) {
  Relayout r;
  r.bytes = bytes;
  if (bytes <= 0)
    return r;
  if (charge == RelayoutCharge::Flat) {
    r.energyPJ = 2.0 * static_cast<double>(bytes) * 8 * target.dramFlatPJPerBit;
    double perCycle = target.getDramBytesPerCycle();
    r.cycles = perCycle > 0 ? 2.0 * static_cast<double>(bytes) / perCycle : 0;
    return r;
  }
  // A copy: the whole tensor read as one sequential stream, then written as
  // one sequential stream to a new place.
  Workload copy;
  copy.name = "relayout";
  copy.op = "copy";
  copy.dims.push_back({"E", bytes, LoopKind::Parallel});
  for (auto [name, role] : {std::pair{"src", OperandRole::Read},
                            std::pair{"dst", OperandRole::ReadWrite}}) {
    Operand &op = copy.operands.emplace_back();
    op.name = name;
    op.tensor = name;
    op.role = role;
    op.bytesPerElement = 1;
    op.projection.push_back(IndexExpr{{AffineTerm{0, 1}}, 0});
    op.extent.push_back(bytes);
  }
  Mapping untiled = Mapping::untiled(copy);
  llvm::Expected<LayerLayout> layout =
      placeOperands(copy, untiled, DramPlacement(), model.getParams());
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return computeRelayoutCharge(bytes, RelayoutCharge::Flat, model, target);
  }
  DramStats stats = model.evaluate(copy, untiled, *layout, DramEngine::Fast);
  r.energyPJ = stats.energyPJ.getTotal();
  r.cycles = dramToComputeCycles(static_cast<double>(stats.cycles),
                                 model.getParams(), target.frequencyMHz);
  return r;
}

SmallVector<LayoutKind, 3> DramLayerResult::getLayoutKinds() const {
  SmallVector<LayoutKind, 3> kinds;
  for (const TensorLayout &l : layout.operands)
    kinds.push_back(l.getKind());
  return kinds;
}

double DramLayerResult::getRelayoutEnergyPJ() const {
  double sum = 0;
  for (const Relayout &r : relayouts)
    sum += r.energyPJ;
  return sum;
}

double DramLayerResult::getRelayoutCycles() const {
  double sum = 0;
  for (const Relayout &r : relayouts)
    sum += r.cycles;
  return sum;
}

//===----------------------------------------------------------------------===//
// The search
//===----------------------------------------------------------------------===//

llvm::Error romac::checkModelFitsDram(ArrayRef<Workload> workloads,
                                      const DramParams &dram,
                                      const std::set<std::string> &resident) {
  unsigned bits = dram.geometry.getTotalBits();
  if (bits >= 64)
    return llvm::Error::success();
  uint64_t capacity = uint64_t(1) << bits;
  uint64_t row = std::max<uint64_t>(getRowBytes(dram), 1);
  auto roundUp = [&](uint64_t bytes) { return (bytes + row - 1) / row * row; };
  llvm::StringMap<uint64_t> residentBytes;
  for (const Workload &w : workloads) {
    uint64_t end = 0;
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      uint64_t bytes = static_cast<uint64_t>(op.getNumElements()) *
                       static_cast<uint64_t>(op.bytesPerElement);
      if (op.role == OperandRole::Read && resident.count(op.tensor))
        residentBytes[op.tensor] = bytes;
      if (sharedWith(w, o) == o)
        end = roundUp(end) + bytes;
    }
    if (end > capacity)
      return makeError("layer '" + w.name + "' needs " + llvm::Twine(end) +
                       " bytes of DRAM for its operands, more than the " +
                       llvm::Twine(capacity) + "-byte DRAM of the target");
  }
  uint64_t total = 0;
  for (const auto &entry : residentBytes)
    total += entry.getValue();
  if (total > capacity)
    return makeError("the model's weights and inputs take " +
                     llvm::Twine(total) + " bytes, more than the " +
                     llvm::Twine(capacity) + "-byte DRAM of the target");
  return llvm::Error::success();
}

namespace {

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
};

/// The best (candidate, layout mask) found for one workload.
struct Choice {
  bool valid = false;
  unsigned candidate = 0;
  /// Bit o: operand o blocked (only bits of `blockable`).
  unsigned mask = 0;
  /// Operands whose layout is fixed (adopted from a producer).
  SmallVector<std::optional<TensorLayout>, 3> fixed;
  CostBreakdown cost;
  double energy = 0, cycles = 0;
  double objective = std::numeric_limits<double>::infinity();
};

/// Runs `fn(i)` for i in [0, n) on `pool` (inline without one).
void parallelFor(llvm::DefaultThreadPool *pool, size_t n,
                 const std::function<void(size_t)> &fn) {
  if (!pool || n <= 1) {
    for (size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  for (size_t i = 0; i < n; ++i)
    pool->async([&fn, i] { fn(i); });
  pool->wait();
}

/// Everything one search shares.
class DramSearch {
public:
  DramSearch(ArrayRef<Workload> workloads, const CostTarget &target,
             const DramParams &params, const SearchOptions &options,
             const DramSearchOptions &dramOptions)
      : workloads(workloads), target(target), params(params), options(options),
        dramOptions(dramOptions) {}

  llvm::Expected<DramSearchResult> run();

private:
  llvm::Error collectUnique();
  llvm::Error generateCandidates();
  /// Best choice of unique workload `u` under `model` per layout mask (or,
  /// with `fixed`, one entry: the best over all masks).
  /// With `screened`, only the candidates of `screen[u]` are tried.
  std::vector<Choice> evaluate(unsigned u, const DramModel &model,
                               ArrayRef<std::optional<TensorLayout>> fixed,
                               unsigned &evaluations,
                               bool screened = false) const;
  /// The placement of a choice.
  DramPlacement getPlacement(const Choice &c) const;
  /// The layouts of a choice of layer `i`.
  LayerLayout getLayout(size_t i, const Choice &c,
                        const DramModel &model) const;

  struct Plan {
    std::vector<Choice> choices;
    std::vector<SmallVector<Relayout, 1>> relayouts;
    double objective = std::numeric_limits<double>::infinity();
    unsigned adopted = 0;
  };
  /// Plan (a): free choices, then agreement in program order (adoptions
  /// re-evaluated over the screened candidates only when `screened`).
  Plan planAgreement(unsigned m, bool screened) const;
  /// Plan (b): activations between layers row-major.
  Plan planRowMajorActivations(unsigned m) const;
  /// The better of plans (a) and (b) (only (a) without layout agreement).
  Plan plan(unsigned m, bool screened) const;
  double networkObjective(const Plan &plan) const;
  /// The producer (layer, operand) of every operand, or (-1, -1).
  void findProducers();

  ArrayRef<Workload> workloads;
  const CostTarget &target;
  const DramParams &params;
  SearchOptions options;
  DramSearchOptions dramOptions;

  std::vector<std::string> mappingNames;
  std::vector<DramModel> models;
  std::unique_ptr<llvm::DefaultThreadPool> pool;

  std::vector<unsigned> uniqueOf;
  std::vector<unsigned> firstOf;
  std::vector<std::vector<Candidate>> candidates;
  /// [m][u][mask] best choice.
  std::vector<std::vector<std::vector<Choice>>> perMask;
  /// [u]: the candidates that win some layout mask under the first mapping
  /// (what the other mappings are screened with).
  std::vector<SmallVector<unsigned, 8>> screen;
  std::vector<std::vector<unsigned>> evaluationsOf;
  /// producers[i][o] = (layer, operand) that wrote operand o's tensor.
  std::vector<SmallVector<std::pair<int, int>, 3>> producers;
  /// hasConsumer[i]: the output of layer i is read by a later layer.
  std::vector<SmallVector<bool, 3>> consumed;
};

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

  RowBufferDramModel streaming(models.front());
  RowBufferDramModel withActivations(
      models.front(), DramPlacement(), dramOptions.engine,
      DramEstimateKind::StreamingWithActivations);
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
    inner.threads = 1;
    parallelFor(pool.get(), numUnique, [&](size_t u) {
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
  for (auto [ci, cand] : llvm::enumerate(candidates[u])) {
    if (screened && !llvm::is_contained(screen[u], ci))
      continue;
    AccessCounts ac = counts.compute(cand.mapping);
    CostInputs inputs = plain.getInputs(cand.mapping, ac, cand.spatial);
    auto [e, cy] =
        objectiveParts(dramOptions.objective, lower.evaluate(inputs));
    items.push_back({objectiveValue(dramOptions.objective, e, cy),
                     static_cast<unsigned>(ci), std::move(inputs)});
  }
  llvm::stable_sort(
      items, [](const Item &a, const Item &b) { return a.bound < b.bound; });
  for (const Item &item : items) {
    unsigned ci = item.index;
    const Candidate &cand = candidates[u][ci];
    unsigned allowed = cand.blockable & ~fixedMask;
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
      DramPlacement placement = getPlacement(c);
      RowBufferDramModel adapter(model, placement, dramOptions.engine);
      CostOptions co = base;
      co.dramModel = &adapter;
      CostModel cm(target, w, co);
      c.cost = cm.evaluate(item.inputs, &cand.mapping);
      ++evaluations;
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

void DramSearch::findProducers() {
  producers = romac::findProducers(workloads, dramOptions.tensorAliases);
  consumed.assign(workloads.size(), {});
  for (auto [i, w] : llvm::enumerate(workloads))
    consumed[i].assign(w.operands.size(), false);
  for (const auto &ops : producers)
    for (auto [p, po] : ops)
      if (p >= 0)
        consumed[p][po] = true;
}

double DramSearch::networkObjective(const Plan &plan) const {
  double energy = 0, cycles = 0, sum = 0;
  for (auto [i, c] : llvm::enumerate(plan.choices)) {
    double e = c.energy, cy = c.cycles;
    for (const Relayout &r : plan.relayouts[i]) {
      e += r.energyPJ;
      cy += r.cycles;
    }
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
      if (producers[i][o].first >= 0 || consumed[i][o])
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
      if (producers[i][o].first >= 0 && dramOptions.layoutAgreement)
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
      for (const Relayout &r : rs) {
        e += r.energyPJ;
        cy += r.cycles;
      }
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
              written.getBytesPerElement() != w.operands[o].bytesPerElement) {
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

llvm::Expected<DramSearchResult> DramSearch::run() {
  if (llvm::Error err = target.verify())
    return std::move(err);
  if (llvm::Error err =
          checkModelFitsDram(workloads, params, dramOptions.residentTensors))
    return std::move(err);
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
      return makeError("no address mapping is valid for this DRAM geometry");
  }
  if (llvm::Error err = collectUnique())
    return std::move(err);
  if (options.threads != 1)
    pool = std::make_unique<llvm::DefaultThreadPool>(
        llvm::hardware_concurrency(options.threads));
  using Clock = std::chrono::steady_clock;
  auto elapsed = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  auto t0 = Clock::now();
  if (llvm::Error err = generateCandidates())
    return std::move(err);
  findProducers();
  auto t1 = Clock::now();

  // Every workload under the first mapping (the target's, or the one
  // asked for); the other mappings fully too, or, screened, with the
  // candidates that win some layout mask under the first one.
  size_t numUnique = firstOf.size(), numMappings = models.size();
  bool screening = dramOptions.screenMappings && numMappings > 1;
  perMask.assign(numMappings, std::vector<std::vector<Choice>>(numUnique));
  evaluationsOf.assign(numMappings, std::vector<unsigned>(numUnique, 0));
  size_t firstPass = screening ? 1 : numMappings;
  parallelFor(pool.get(), firstPass * numUnique, [&](size_t k) {
    size_t m = k / numUnique, u = k % numUnique;
    perMask[m][u] = evaluate(u, models[m], {}, evaluationsOf[m][u]);
  });
  if (screening) {
    screen.assign(numUnique, {});
    for (size_t u = 0; u < numUnique; ++u) {
      for (const Choice &c : perMask[0][u])
        if (c.valid && !llvm::is_contained(screen[u], c.candidate))
          screen[u].push_back(c.candidate);
      llvm::sort(screen[u]);
    }
    parallelFor(pool.get(), (numMappings - 1) * numUnique, [&](size_t k) {
      size_t m = 1 + k / numUnique, u = k % numUnique;
      perMask[m][u] = evaluate(u, models[m], {}, evaluationsOf[m][u], true);
    });
  }
  auto t2 = Clock::now();
  std::vector<Plan> plans(numMappings);
  parallelFor(pool.get(), numMappings,
              [&](size_t m) { plans[m] = plan(m, screening && m != 0); });
  size_t bestM = 0;
  for (size_t m = 0; m < numMappings; ++m)
    if (plans[m].objective < plans[bestM].objective)
      bestM = m;
  std::vector<std::pair<std::string, double>> mappingObjectives;
  for (size_t m = 0; m < numMappings; ++m)
    mappingObjectives.push_back({mappingNames[m], plans[m].objective});
  if (screening && bestM != 0) {
    // The winner of the screening, evaluated and planned in full; the
    // screened plan stays if it is better.
    parallelFor(pool.get(), numUnique, [&](size_t u) {
      perMask[bestM][u] =
          evaluate(u, models[bestM], {}, evaluationsOf[bestM][u]);
    });
    Plan full = plan(bestM, false);
    if (full.objective <= plans[bestM].objective)
      plans[bestM] = std::move(full);
    mappingObjectives[bestM].second = plans[bestM].objective;
  }
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
  if (plan.choices.empty())
    return makeError("no layer placement satisfies the layout options");
  result.addressMapping = mappingNames[bestM];
  result.adopted = plan.adopted;
  result.layers.resize(workloads.size());
  const DramModel &model = models[bestM];

  // Refinement: every layer's tiling improved by a hill climb under its
  // placement, with the operands that pass between layers frozen to their
  // layouts (so agreements and re-layout charges stay as planned).
  // Identical (workload, placement) pairs are refined once.
  std::vector<DramPlacement> placements(workloads.size());
  std::vector<unsigned> jobOf(workloads.size());
  std::vector<unsigned> jobs;
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
                    (producers[i][o].first >= 0 || consumed[i][o]);
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
  auto t4 = Clock::now();
  std::vector<LayerResult> refined(jobs.size());
  parallelFor(pool.get(), jobs.size(), [&](size_t j) {
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
  result.refineSeconds = elapsed(t4, Clock::now());

  parallelFor(pool.get(), workloads.size(), [&](size_t i) {
    unsigned u = uniqueOf[i];
    DramLayerResult &r = result.layers[i];
    r.layer = refined[jobOf[i]];
    r.addressMapping = mappingNames[bestM];
    RowBufferDramModel adapter(model, placements[i], dramOptions.engine);
    r.layout = llvm::cantFail(adapter.getLayout(workloads[i], r.layer.mapping));
    r.stats = model.evaluate(workloads[i], r.layer.mapping, r.layout,
                             dramOptions.engine);
    r.relayouts = plan.relayouts[i];
    auto [e, cy] = objectiveParts(dramOptions.objective, r.layer.cost);
    e += r.getRelayoutEnergyPJ();
    cy += r.getRelayoutCycles();
    r.objective = objectiveValue(dramOptions.objective, e, cy);
    r.layer.objective = r.objective;
    r.candidates = candidates[u].size();
    r.evaluations = evaluationsOf[bestM][u];
  });
  for (const DramLayerResult &r : result.layers)
    result.relayouts += r.relayouts.size();
  return result;
}

} // namespace

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(ArrayRef<Workload> workloads,
                             const CostTarget &target, const DramParams &dram,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  return DramSearch(workloads, target, dram, options, dramOptions).run();
}

llvm::Expected<DramSearchResult>
romac::searchLayersDramAware(ArrayRef<Workload> workloads, const Target &target,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  llvm::Expected<DramParams> params = DramParams::get(target.dram);
  if (!params)
    return params.takeError();
  return searchLayersDramAware(workloads, CostTarget::get(target), *params,
                               options, dramOptions);
}

llvm::Expected<DramSearchResult> romac::evaluateLayersDram(
    ArrayRef<Workload> workloads, ArrayRef<LayerResult> results,
    const CostTarget &target, const DramParams &dram, StringRef addressMapping,
    LayoutKind layout, const SearchOptions &options, DramObjective objective,
    DramEngine engine) {
  if (workloads.size() != results.size())
    return makeError("evaluateLayersDram: " + llvm::Twine(results.size()) +
                     " results for " + llvm::Twine(workloads.size()) +
                     " workloads");
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
  std::unique_ptr<llvm::DefaultThreadPool> pool;
  if (options.threads != 1)
    pool = std::make_unique<llvm::DefaultThreadPool>(
        llvm::hardware_concurrency(options.threads));
  DramPlacement placement;
  placement.defaultKind = layout;
  parallelFor(pool.get(), workloads.size(), [&](size_t i) {
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
  double energy = 0, cycles = 0, sum = 0;
  for (auto [i, r] : llvm::enumerate(out.layers)) {
    if (!errors[i].empty())
      return makeError(errors[i]);
    auto [e, cy] = objectiveParts(objective, r.layer.cost);
    energy += e;
    cycles += cy;
    sum += r.objective;
  }
  out.mappingObjectives.push_back(
      {out.addressMapping, isAdditive(objective) ? sum : energy * cycles});
  return out;
}

std::string
romac::resolveTensorAlias(const std::map<std::string, std::string> &aliases,
                          const std::string &tensor) {
  const std::string *t = &tensor;
  // A chain longer than the alias map has a cycle: stop there.
  for (size_t steps = 0; steps <= aliases.size(); ++steps) {
    auto it = aliases.find(*t);
    if (it == aliases.end())
      break;
    t = &it->second;
  }
  return *t;
}

std::vector<SmallVector<std::pair<int, int>, 3>>
romac::findProducers(ArrayRef<Workload> workloads,
                     const std::map<std::string, std::string> &aliases) {
  auto resolve = [&](const std::string &tensor) {
    return resolveTensorAlias(aliases, tensor);
  };
  std::vector<SmallVector<std::pair<int, int>, 3>> producers(workloads.size());
  llvm::StringMap<std::pair<int, int>> writer;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    for (const Operand &op : w.operands) {
      std::pair<int, int> p = {-1, -1};
      if (op.role == OperandRole::Read) {
        auto it = writer.find(resolve(op.tensor));
        if (it != writer.end())
          p = it->second;
      }
      producers[i].push_back(p);
    }
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (op.role == OperandRole::ReadWrite)
        writer[resolve(op.tensor)] = {static_cast<int>(i), static_cast<int>(o)};
  }
  return producers;
}

llvm::Expected<unsigned>
romac::chargeRelayouts(ArrayRef<Workload> workloads, DramSearchResult &result,
                       const CostTarget &target, const DramParams &dram,
                       RelayoutCharge charge,
                       const std::map<std::string, std::string> &aliases,
                       DramObjective objective) {
  if (workloads.size() != result.layers.size())
    return makeError("chargeRelayouts: " + llvm::Twine(result.layers.size()) +
                     " results for " + llvm::Twine(workloads.size()) +
                     " workloads");
  llvm::Expected<DramModel> model = getDramModel(dram, result.addressMapping);
  if (!model)
    return model.takeError();
  auto producers = findProducers(workloads, aliases);
  std::map<int64_t, Relayout> charges;
  unsigned count = 0;
  double energy = 0, cycles = 0, sum = 0;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    DramLayerResult &r = result.layers[i];
    if (r.layout.operands.size() != w.operands.size())
      return makeError("chargeRelayouts: layer '" + w.name + "' has no layout");
    r.relayouts.clear();
    for (unsigned o = 0; o < w.operands.size(); ++o) {
      auto [p, po] = producers[i][o];
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
    auto [e, cy] = objectiveParts(objective, r.layer.cost);
    e += r.getRelayoutEnergyPJ();
    cy += r.getRelayoutCycles();
    r.objective = objectiveValue(objective, e, cy);
    r.layer.objective = r.objective;
    energy += e;
    cycles += cy;
    sum += r.objective;
  }
  result.relayouts = count;
  result.mappingObjectives.assign(
      1,
      {result.addressMapping, isAdditive(objective) ? sum : energy * cycles});
  return count;
}

LayerResult romac::refineTilingForDram(
    const Workload &workload, const LayerResult &start,
    const CostTarget &target, const RowBufferDramModel &dram,
    const SearchOptions &options, DramObjective objective,
    std::optional<int64_t> maxDramBytes, unsigned maxRounds) {
  CostOptions co = options.cost;
  co.dramModel = &dram;
  CostModel model(target, workload, co);
  auto costOf = [&](const Mapping &m) {
    return model.compute(m, start.spatial);
  };
  auto value = [&](const CostBreakdown &c) {
    auto [e, cy] = objectiveParts(objective, c);
    return objectiveValue(objective, e, cy);
  };
  LayerResult best = start;
  best.cost = costOf(best.mapping);
  double bestValue = value(best.cost);
  unsigned numDims = workload.dims.size();
  auto consider = [&](SmallVector<int64_t, 8> tiles, bool &improved) {
    for (auto [d, t] : llvm::enumerate(tiles))
      t = std::clamp<int64_t>(t, 1, workload.dims[d].bound);
    if (tiles == best.mapping.tileSizes)
      return;
    if (llvm::Error err = model.checkCapacity(tiles)) {
      llvm::consumeError(std::move(err));
      return;
    }
    Mapping m = best.mapping;
    m.tileSizes = tiles;
    if (!satisfiesPolicy(workload, m, options.policy))
      return;
    if (maxDramBytes) {
      AccessCounts counts = computeAccessCounts(workload, m);
      if (counts.overflow || counts.getTotalBytes() > *maxDramBytes)
        return;
    }
    CostBreakdown c = costOf(m);
    double v = value(c);
    if (v < bestValue) {
      best.mapping = std::move(m);
      best.cost = std::move(c);
      bestValue = v;
      improved = true;
    }
  };
  for (unsigned round = 0; round < maxRounds; ++round) {
    bool improved = false;
    for (unsigned d = 0; d < numDims; ++d) {
      if (workload.dims[d].bound == 1)
        continue;
      for (int64_t num : {2, 1}) {
        SmallVector<int64_t, 8> t = best.mapping.tileSizes;
        t[d] = num == 2 ? t[d] * 2 : (t[d] + 1) / 2;
        consider(t, improved);
      }
      // The whole dim, the other dims shrinking until the tiles fit.
      SmallVector<int64_t, 8> t = best.mapping.tileSizes;
      t[d] = workload.dims[d].bound;
      for (unsigned shrink = 0; shrink < 64; ++shrink) {
        llvm::Error err = model.checkCapacity(t);
        if (!err)
          break;
        llvm::consumeError(std::move(err));
        // Halve the largest other tile.
        int victim = -1;
        for (unsigned e = 0; e < numDims; ++e)
          if (e != d && t[e] > 1 && (victim < 0 || t[e] > t[victim]))
            victim = static_cast<int>(e);
        if (victim < 0)
          break;
        t[victim] = (t[victim] + 1) / 2;
      }
      consider(t, improved);
      for (unsigned e = 0; e < numDims; ++e) {
        if (e == d || workload.dims[e].bound == 1)
          continue;
        SmallVector<int64_t, 8> u = best.mapping.tileSizes;
        u[d] = u[d] * 2;
        u[e] = (u[e] + 1) / 2;
        consider(u, improved);
      }
    }
    if (!improved)
      break;
  }
  best.objective = bestValue;
  best.reuse = options.policy == ReusePolicy::Adaptive
                   ? describeReuse(workload, best.mapping)
                   : stringifyReusePolicy(options.policy).str();
  return best;
}

std::map<std::string, std::string>
romac::collectTensorAliases(ArrayRef<Workload> layers) {
  std::map<std::string, std::string> aliases;
  for (const Workload &w : layers) {
    const Operand *out = nullptr;
    unsigned outputs = 0;
    for (const Operand &op : w.operands)
      if (op.role == OperandRole::ReadWrite) {
        out = &op;
        ++outputs;
      }
    if (outputs != 1 || w.dims.empty())
      continue;
    for (const Operand &op : w.operands) {
      if (op.role != OperandRole::Read || op.extent != out->extent ||
          op.tensor == out->tensor ||
          op.projection.size() != out->projection.size())
        continue;
      bool same = true;
      for (size_t j = 0; same && j < op.projection.size(); ++j)
        same = w.projectionString(op.projection[j]) ==
               w.projectionString(out->projection[j]);
      if (same) {
        aliases[out->tensor] = op.tensor;
        break;
      }
    }
  }
  return aliases;
}
