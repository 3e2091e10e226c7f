//===- DramCost.cpp - the row-buffer DRAM model as a cost model -----------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the DRAM-aware search (DramSearch.cpp, LayoutAgreement.cpp) builds on:
// placing a layer's operands in DRAM, RowBufferDramModel (the row-buffer
// model behind the cost model's DramCostModel interface), the address
// mappings tried, the objectives, the charge of a re-layout and the hill
// climb that refines a tiling for the DRAM.
//
//===----------------------------------------------------------------------===//

#include "DramSearchImpl.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Error.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <set>

using namespace romac;
using namespace romac::detail;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

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

uint64_t detail::getRowBytes(const DramParams &params) {
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
         a.getElementSize() == b.getElementSize();
}

bool detail::blockedDiffers(const Workload &workload, const Mapping &mapping,
                            unsigned o) {
  const Operand &op = workload.operands[o];
  llvm::Expected<TensorLayout> layout =
      TensorLayout::getBlocked(op.extent, ElementSize::of(op), 0,
                               getTileBlockSizes(workload, mapping, o));
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return false;
  }
  return !isRowMajorEquivalent(*layout);
}

unsigned detail::sharedWith(const Workload &workload, unsigned o) {
  const Operand &op = workload.operands[o];
  for (unsigned i = 0; i < o; ++i) {
    const Operand &other = workload.operands[i];
    if (other.tensor == op.tensor && other.extent == op.extent &&
        ElementSize::of(other) == ElementSize::of(op))
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
      return makeLayerError(workload.name, "placement of '" + workload.name +
                                               "': addresses overflow 64 bits");
    const std::optional<TensorLayout> *fixed =
        i < placement.fixed.size() && placement.fixed[i] ? &placement.fixed[i]
                                                         : nullptr;
    llvm::Expected<TensorLayout> layout =
        [&]() -> llvm::Expected<TensorLayout> {
      if (fixed) {
        const TensorLayout &f = **fixed;
        if (f.getExtent() != ArrayRef<int64_t>(op.extent) ||
            f.getElementSize() != ElementSize::of(op))
          return makeLayerError(workload.name,
                                "placement of '" + workload.name +
                                    "': the fixed layout of operand '" +
                                    op.name + "' does not match its shape");
        return f.getKind() == LayoutKind::RowMajor
                   ? TensorLayout::getRowMajor(op.extent, ElementSize::of(op),
                                               addr, f.getDimOrder())
                   : TensorLayout::getBlocked(op.extent, ElementSize::of(op),
                                              addr, f.getBlockSizes(),
                                              f.getDimOrder());
      }
      if (placement.getKind(i) == LayoutKind::RowMajor)
        return TensorLayout::getRowMajor(op.extent, ElementSize::of(op), addr);
      return TensorLayout::getBlocked(op.extent, ElementSize::of(op), addr,
                                      getTileBlockSizes(workload, mapping, i));
    }();
    if (!layout)
      return layout.takeError();
    next = llvm::SaturatingAdd(addr, layout->getSizeBytes(), &overflow);
    if (overflow)
      return makeLayerError(workload.name, "placement of '" + workload.name +
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
  return model.evaluate(workload, mapping, *layout, engine, tileCache);
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
  return makeStringError("unknown or invalid DRAM address mapping '" + name +
                         "' for this DRAM (" + problem + "); valid: " + valid +
                         ", or any field order of Ch, Ra, Bg, Ba, Ro, Co whose "
                         "fields exist in the geometry");
}

//===----------------------------------------------------------------------===//
// Objectives and re-layouts
//===----------------------------------------------------------------------===//

bool detail::isAdditive(DramObjective objective) {
  return objective != DramObjective::DramEDP && objective != DramObjective::EDP;
}

std::pair<double, double> detail::objectiveParts(DramObjective objective,
                                                 const CostBreakdown &cost) {
  switch (objective) {
  case DramObjective::DramEnergy:
  case DramObjective::DramEDP:
    return {cost.dramEnergyPJ, cost.dramCycles};
  case DramObjective::Latency:
    return {cost.cycles, cost.cycles};
  case DramObjective::DramAccesses:
    return {static_cast<double>(cost.getDramBytes()), cost.cycles};
  case DramObjective::Energy:
  case DramObjective::EDP:
    break;
  }
  return {cost.totalEnergyPJ, cost.cycles};
}

void detail::addRelayout(DramObjective objective, const Relayout &r,
                         double &energy, double &cycles) {
  cycles += r.cycles;
  if (objective == DramObjective::Latency)
    energy += r.cycles;
  else if (objective == DramObjective::DramAccesses)
    energy += 2.0 * static_cast<double>(r.bytes); // read once, written once
  else
    energy += r.energyPJ;
}

double detail::objectiveValue(DramObjective objective, double energy,
                              double cycles) {
  return isAdditive(objective) ? energy : energy * cycles;
}

std::pair<double, double> detail::getLayerParts(DramObjective objective,
                                                const DramLayerResult &r) {
  auto [energy, cycles] = objectiveParts(objective, r.layer.cost);
  for (const Relayout &rl : r.relayouts)
    addRelayout(objective, rl, energy, cycles);
  return {energy, cycles};
}

double detail::getNetworkObjective(DramObjective objective,
                                   ArrayRef<DramLayerResult> layers) {
  double energy = 0, cycles = 0, sum = 0;
  for (const DramLayerResult &r : layers) {
    auto [e, cy] = getLayerParts(objective, r);
    energy += e;
    cycles += cy;
    sum += objectiveValue(objective, e, cy);
  }
  return isAdditive(objective) ? sum : energy * cycles;
}

std::optional<DramStats> romac::evaluateStreams(int64_t readBytes,
                                                int64_t writeBytes,
                                                const DramModel &model) {
  // An untiled workload: each side one operand with a dim of its own, so
  // the single tile step fetches the whole source and writes back the whole
  // destination.
  Workload stream;
  stream.name = "stream";
  stream.op = OpKind::Copy;
  for (auto [name, bytes, role] :
       {std::tuple{"src", readBytes, OperandRole::Read},
        std::tuple{"dst", writeBytes, OperandRole::ReadWrite}}) {
    if (bytes <= 0)
      continue;
    unsigned dim = static_cast<unsigned>(stream.dims.size());
    stream.dims.push_back(
        {std::string(name) + "_bytes", bytes, LoopKind::Parallel});
    Operand &op = stream.operands.emplace_back();
    op.name = name;
    op.tensor = name;
    op.role = role;
    op.bytesPerElement = 1;
    op.projection.push_back(IndexExpr{{AffineTerm{dim, 1}}, 0});
    op.extent.push_back(bytes);
  }
  if (stream.operands.empty())
    return DramStats();
  if (llvm::Error e = stream.verify()) {
    llvm::consumeError(std::move(e));
    return std::nullopt;
  }
  Mapping untiled = Mapping::untiled(stream);
  llvm::Expected<LayerLayout> layout =
      placeOperands(stream, untiled, DramPlacement(), model.getParams());
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return std::nullopt;
  }
  return model.evaluate(stream, untiled, *layout, DramEngine::Fast);
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
  std::optional<DramStats> stats = evaluateStreams(bytes, bytes, model);
  if (!stats)
    return computeRelayoutCharge(bytes, RelayoutCharge::Flat, model, target);
  DramStats &s = *stats;
  r.energyPJ = s.energyPJ.getTotal();
  r.cycles = dramToComputeCycles(static_cast<double>(s.cycles),
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
  // A lower bound of every neighbour's objective: its cost with the DRAM at
  // the streaming rate (never above the row-buffer model's numbers), so a
  // neighbour whose bound does not beat the best is never replayed.
  RowBufferDramModel streaming(dram.getModel(), dram.getPlacement(),
                               dram.getEngine());
  detail::EstimateOnly streamingEstimate(streaming);
  CostOptions lowerOptions = options.cost;
  lowerOptions.dramModel = &streamingEstimate;
  CostModel lower(target, workload, lowerOptions);
  LayerResult best = start;
  best.cost = costOf(best.mapping);
  double bestValue = value(best.cost);
  unsigned numDims = workload.dims.size();
  // Tilings tried: the best only improves, so one that lost once loses again.
  std::set<SmallVector<int64_t, 8>> tried = {best.mapping.tileSizes};
  auto consider = [&](SmallVector<int64_t, 8> tiles, bool &improved) {
    for (auto [d, t] : llvm::enumerate(tiles))
      t = std::clamp<int64_t>(t, 1, workload.dims[d].bound);
    if (!tried.insert(tiles).second)
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
    if (value(lower.compute(m, start.spatial)) > bestValue)
      return;
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
