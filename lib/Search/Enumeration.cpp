//===- Enumeration.cpp - the depth-first enumeration of tiles -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//
// Step 3 of docs/search.md: one Worker per chunk of the split level walks
// the units depth first, prunes by capacity (and, for cycle objectives, by a
// lower bound shared between the chunks of a layer), and at every leaf
// costs the loop-order classes and spatial mappings.
//
//===----------------------------------------------------------------------===//

#include "LayerSearch.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

namespace romac::search_detail {

//===----------------------------------------------------------------------===//
// Enumeration
//===----------------------------------------------------------------------===//

/// The state of one enumeration (one thread).
class Worker {
public:
  Worker(const LayerSearch &s, unsigned residue, unsigned modulus,
         const Best &incumbent, std::atomic<double> *sharedBound)
      : best(incumbent), s(s), residue(residue), modulus(modulus),
        sharedBound(sharedBound), tile(s.numDims, 1), count(s.numDims, 1),
        gRow(s.numDims, 1), gCol(s.numDims, 1),
        rowFactor((s.numDims + 1) * s.numOps, 1),
        colFactor((s.numDims + 1) * s.numOps, 1),
        foot((s.units.size() + 1) * s.numOps, 1),
        sum((s.units.size() + 1) * s.numOps, 1) {
    for (unsigned o = 0; o < s.numOps; ++o) {
      foot[o] = s.constFoot[o];
      sum[o] = s.constFoot[o];
    }
    inputs.macs = s.macs;
    inputs.operands.resize(s.numOps);
    access.resize(s.numOps);
    candidate.tiles.resize(s.numDims);
  }

  void run() {
    if (s.energyLike()) {
      // The MACs and the least array energy with every loop at its fewest
      // array steps (lowerBound()'s EDP terms with nothing chosen).
      double cc, array;
      arrayLowerBound(0, cc, array);
      energyFloor = s.macEnergy + array;
    }
    descend(0);
  }

  Best best;
  SearchStats stats;

private:
  bool fits(unsigned level, ArrayRef<int64_t> f) const;
  /// A lower bound of the objective over every completion of the units
  /// before `level` (cycle objectives only).
  double lowerBound(unsigned level);
  /// The least compute cycles and array energy over every spatial option
  /// and every completion of the units before `level`.
  void arrayLowerBound(unsigned level, double &bestCC, double &bestArray);
  /// macEnergy + the least array energy of any tiling (Energy and
  /// DramAccesses).
  double energyFloor = 0;
  /// The objective every result must beat: the best found by any chunk of
  /// this layer. Pruning only what is strictly worse keeps the result
  /// independent of the thread schedule.
  double getBound() const {
    double b =
        best.valid ? best.objective : std::numeric_limits<double>::infinity();
    return sharedBound
               ? std::min(b, sharedBound->load(std::memory_order_relaxed))
               : b;
  }
  void publish(double objective) {
    if (!sharedBound)
      return;
    double cur = sharedBound->load(std::memory_order_relaxed);
    while (objective < cur && !sharedBound->compare_exchange_weak(
                                  cur, objective, std::memory_order_relaxed))
      ;
  }
  /// Whether the subtree below `level` cannot reach the bound.
  bool hopeless(unsigned level) {
    if (level >= s.units.size())
      return false;
    if (s.cycleObjective())
      return lowerBound(level) > getBound() * (1 + 1e-9);
    if (s.options.objective == Objective::Energy)
      return energyLowerBound(level) > getBound() * (1 + 1e-9);
    return beyondBytes(bytesLowerBound(level),
                       [&] { return energyLowerBound(level); });
  }
  /// A lower bound of the DRAM bytes over every completion of the units
  /// before `level`: every operand's footprint sum moved once.
  double bytesLowerBound(unsigned level) const {
    double bytes = 0;
    for (unsigned o = 0; o < s.numOps; ++o)
      bytes += minSumBytes(level, o);
    return bytes;
  }
  /// For the dram-accesses objective: whether candidates with at least
  /// `bytes` DRAM bytes and at least `energy()` pJ cannot precede the best
  /// (more bytes than the bound, or as many bytes as the best and more
  /// energy: the tie-break of compareNumbers()).
  template <typename EnergyFn>
  bool beyondBytes(double bytes, EnergyFn energy) const {
    if (bytes > getBound() * (1 + 1e-9))
      return true;
    return best.valid && bytes >= best.objective &&
           energy() > best.energy * (1 + 1e-9);
  }
  /// A lower bound of the energy over every completion of the units before
  /// `level`: the MACs, the least array energy of any tiling (energyFloor)
  /// and every operand's footprint sum moved once, each byte costed its
  /// DRAM and buffer-fill energy. Every other addend of the energy is >= 0.
  double energyLowerBound(unsigned level) const {
    return energyFloor + trafficLowerBound(level);
  }
  /// Every operand's smallest footprint sum at `level`, in bytes.
  double minSumBytes(unsigned level, unsigned o) const {
    return static_cast<double>(sum[level * s.numOps + o]) *
           static_cast<double>(s.minRestSum[level * s.numOps + o]) *
           s.storageBytesPerElement[o];
  }
  /// The traffic's least energy over every completion of the units before
  /// `level`: every operand's footprint sum moved once.
  double trafficLowerBound(unsigned level) const {
    double traffic = 0;
    for (unsigned o = 0; o < s.numOps; ++o)
      traffic += minSumBytes(level, o) * s.trafficPJPerByte[o];
    return traffic;
  }
  void descend(unsigned level);
  /// The largest tile in [lo, hi] of pure dim \p d whose operands in buffer
  /// \p m fit beside \p irr bytes, when a compressed operand depends on d.
  int64_t largestCompressedFit(unsigned level, unsigned d, unsigned m,
                               int64_t irr, int64_t lo, int64_t hi) const;
  void descendFront(unsigned level);
  /// Costs the full tile vector reached at `level`: every loop-order class
  /// with the spatial mappings worth trying.
  void leaf(unsigned level);
  /// Sets `access` to the array accesses per operand of spatial option `i`
  /// at the current tiles and returns its compute cycles.
  int64_t spatialAccess(unsigned i);
  /// The spatial mappings worth costing at this leaf, into `chosen`.
  void chooseSpatial();
  /// The DRAM traffic and visits of every operand for loop-order class
  /// `entry`, into `inputs.operands` (footprints `f`, footprint sums `sm`).
  void setOrderInputs(const OrderEntry &entry, ArrayRef<int64_t> f,
                      ArrayRef<int64_t> sm);
  /// The DRAM bytes of the order of the current `inputs` (the
  /// dram-accesses objective, exactly).
  double getOrderBytes() const;
  /// A lower bound of the objective for the order of the current `inputs`
  /// (the leaf's least compute cycles and array energy given; for
  /// dram-accesses, of its energy).
  double getOrderBound(double leafCC, double leafArray) const;
  /// Costs `chosen` with the order of `entry` and keeps the best.
  void costChoices(const OrderEntry &entry);
  const std::vector<OrderEntry> &getOrders(uint32_t mask);

  const LayerSearch &s;
  unsigned residue, modulus;
  std::atomic<double> *sharedBound;
  SmallVector<int64_t, 8> tile, count, gRow, gCol;
  /// Per loop d and operand o ([d * numOps + o]), the factor unrolling d on
  /// the array's rows (columns) gives o's accesses at the current tiles: d's
  /// bound when o depends on d, else d's row (column) steps. Slot numDims is
  /// "nothing unrolled" (factor 1). Set by chooseSpatial().
  SmallVector<int64_t, 32> rowFactor, colFactor;
  /// Running products per level: [level * numOps + op].
  std::vector<int64_t> foot, sum;
  llvm::DenseMap<uint32_t, std::vector<OrderEntry>> orderCache;
  CostInputs inputs;
  SmallVector<int64_t, 4> access;
  Best candidate;
  struct SpatialChoice {
    unsigned index;
    int64_t cycles;
    SmallVector<int64_t, 4> access;
  };
  SmallVector<SpatialChoice, 4> chosen;
};

bool Worker::fits(unsigned level, ArrayRef<int64_t> f) const {
  // Bytes per buffer with the remaining units at their smallest.
  SmallVector<int64_t, 3> need(s.target.memories.size(), 0);
  for (unsigned o = 0; o < s.numOps; ++o)
    need[s.memOf[o]] =
        satAdd(need[s.memOf[o]],
               s.bufferBytes(o, satMul(f[o], s.minRest[level * s.numOps + o])));
  for (auto [m, mem] : llvm::enumerate(s.target.memories))
    if (need[m] > mem.capacityBytes)
      return false;
  return true;
}

void Worker::descend(unsigned level) {
  if (level == s.units.size())
    return leaf(level);
  if (s.frontMode && level + 1 == s.units.size())
    return descendFront(level);
  const Unit &unit = s.units[level];
  size_t k = unit.dims.size();
  unsigned ops = s.numOps;
  ArrayRef<int64_t> prevFoot = ArrayRef<int64_t>(foot).slice(level * ops, ops);
  ArrayRef<int64_t> prevSum = ArrayRef<int64_t>(sum).slice(level * ops, ops);
  for (size_t c = 0; c < unit.numCands; ++c) {
    if (level == s.splitLevel && c % modulus != residue)
      continue;
    int64_t *nextFoot = &foot[(level + 1) * ops];
    int64_t *nextSum = &sum[(level + 1) * ops];
    for (unsigned o = 0; o < ops; ++o) {
      nextFoot[o] = satMul(prevFoot[o], unit.foot[c * ops + o]);
      nextSum[o] = satMul(prevSum[o], unit.sum[c * ops + o]);
    }
    if (!fits(level + 1, ArrayRef<int64_t>(nextFoot, ops))) {
      if (unit.monotone)
        break;
      continue;
    }
    for (size_t i = 0; i < k; ++i) {
      unsigned d = unit.dims[i];
      tile[d] = unit.tile[c * k + i];
      count[d] = unit.count[c * k + i];
      gRow[d] = unit.gRow[c * k + i];
      gCol[d] = unit.gCol[c * k + i];
    }
    if (hopeless(level + 1))
      continue;
    descend(level + 1);
  }
}

int64_t Worker::largestCompressedFit(unsigned level, unsigned d, unsigned m,
                                     int64_t irr, int64_t lo,
                                     int64_t hi) const {
  // A compressed operand's bytes are rounded up per tile, so t tiles of the
  // same footprint may take fewer bytes than t times one: bisect the exact
  // bytes between a tile known to fit (`lo`, from the linear bound) and `hi`.
  unsigned ops = s.numOps;
  const int64_t *prevFoot = &foot[level * ops];
  auto fits = [&](int64_t t) {
    int64_t need = irr;
    for (unsigned o = 0; o < ops; ++o)
      if (s.memOf[o] == m && (s.relMask[o] & (1u << d)))
        need = satAdd(need, s.bufferBytes(o, satMul(prevFoot[o], t)));
    return need <= s.target.memories[m].capacityBytes;
  };
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

void Worker::descendFront(unsigned level) {
  // The last unit is one pure dim d: its footprint factor is the tile for
  // the operands indexed by d and 1 otherwise, so the largest tile that fits
  // follows from the other units' footprints.
  const Unit &unit = s.units[level];
  unsigned d = unit.dims[0];
  unsigned ops = s.numOps;
  int64_t b = s.bound[d];
  ArrayRef<int64_t> prevFoot = ArrayRef<int64_t>(foot).slice(level * ops, ops);
  ArrayRef<int64_t> prevSum = ArrayRef<int64_t>(sum).slice(level * ops, ops);
  int64_t tmax = b;
  for (auto [m, mem] : llvm::enumerate(s.target.memories)) {
    int64_t rel = 0, irr = 0;
    bool relCompressed = false;
    for (unsigned o = 0; o < ops; ++o) {
      if (s.memOf[o] != m)
        continue;
      int64_t bytes = s.bufferBytes(o, prevFoot[o]);
      if (s.relMask[o] & (1u << d)) {
        rel = satAdd(rel, bytes);
        relCompressed |= s.compressed[o];
      } else {
        irr = satAdd(irr, bytes);
      }
    }
    if (irr > mem.capacityBytes)
      return;
    if (rel == 0)
      continue;
    int64_t fit = (mem.capacityBytes - irr) / rel;
    if (relCompressed && fit < tmax)
      fit = largestCompressedFit(level, d, m, irr, fit, tmax);
    tmax = std::min(tmax, fit);
  }
  if (tmax < 1)
    return;
  int64_t *nextFoot = &foot[(level + 1) * ops];
  int64_t *nextSum = &sum[(level + 1) * ops];
  for (int32_t t : s.fronts[tmax]) {
    for (unsigned o = 0; o < ops; ++o) {
      bool rel = s.relMask[o] & (1u << d);
      nextFoot[o] = rel ? satMul(prevFoot[o], t) : prevFoot[o];
      nextSum[o] = rel ? satMul(prevSum[o], b) : prevSum[o];
    }
    tile[d] = t;
    count[d] = ceilDiv(b, t);
    gRow[d] = unrolledSteps(b, t, s.target.rows);
    gCol[d] = unrolledSteps(b, t, s.target.cols);
    leaf(level + 1);
  }
}

void Worker::arrayLowerBound(unsigned level, double &bestCC,
                             double &bestArray) {
  // Unassigned dims take their fewest array steps.
  uint32_t done = s.assigned[level];
  unsigned ops = s.numOps;
  bool array = s.options.objective != Objective::Latency;
  bestCC = std::numeric_limits<double>::infinity();
  bestArray = bestCC;
  for (unsigned i = 0; i < s.spatials.size(); ++i) {
    auto [r, c] = s.spatialDims[i];
    int64_t base = s.spatialBase[i];
    int64_t gr = r < 0 ? 1 : ((done >> r) & 1) ? gRow[r] : s.minGRow[r];
    int64_t gc = c < 0 ? 1 : ((done >> c) & 1) ? gCol[c] : s.minGCol[c];
    bestCC = std::min(bestCC, static_cast<double>(base * gr * gc));
    if (!array)
      continue;
    for (unsigned o = 0; o < ops; ++o) {
      int64_t a = base;
      if (r >= 0)
        a *= (s.relMask[o] & (1u << r)) ? s.bound[r] : gr;
      if (c >= 0)
        a *= (s.relMask[o] & (1u << c)) ? s.bound[c] : gc;
      access[o] = a;
    }
    bestArray = std::min(bestArray, s.model.getArrayEnergyPJ(access));
  }
}

double Worker::lowerBound(unsigned level) {
  // cycles >= compute cycles and >= DRAM cycles (docs/search.md); energy >=
  // MACs + the array's accesses + every operand's footprint sum moved once.
  // Unassigned dims take their fewest array steps and smallest sums.
  bool edp = s.options.objective == Objective::EDP;
  double bestCC, bestArray;
  arrayLowerBound(level, bestCC, bestArray);
  double cycles = std::max(bestCC, bytesLowerBound(level) * s.cyclesPerByte);
  if (!edp)
    return cycles;
  return (s.macEnergy + bestArray + trafficLowerBound(level)) * cycles;
}

const std::vector<OrderEntry> &Worker::getOrders(uint32_t mask) {
  auto it = orderCache.find(mask);
  if (it != orderCache.end())
    return it->second;
  return orderCache.try_emplace(mask, s.computeOrders(mask, count))
      .first->second;
}

int64_t Worker::spatialAccess(unsigned i) {
  auto [r, c] = s.spatialDims[i];
  int64_t base = s.spatialBase[i];
  int64_t cycles = base;
  if (r >= 0)
    cycles *= gRow[r];
  if (c >= 0)
    cycles *= gCol[c];
  for (unsigned o = 0; o < s.numOps; ++o) {
    int64_t a = base;
    if (r >= 0)
      a *= (s.relMask[o] & (1u << r)) ? s.bound[r] : gRow[r];
    if (c >= 0)
      a *= (s.relMask[o] & (1u << c)) ? s.bound[c] : gCol[c];
    access[o] = a;
  }
  return cycles;
}

void Worker::chooseSpatial() {
  // Energy depends on the spatial mapping only through the array's accesses
  // (one addend, getArrayEnergyPJ), cycles only through the compute cycles;
  // keep the best by the objective (both for EDP). The per-loop factors are
  // computed once per leaf; each option then costs one product per operand,
  // in the same order of operations as spatialAccess() and
  // getArrayEnergyPJ(), so the values are bit for bit theirs.
  unsigned ops = s.numOps, none = s.numDims;
  for (unsigned d = 0; d < s.numDims; ++d)
    for (unsigned o = 0; o < ops; ++o) {
      bool rel = s.relMask[o] & (1u << d);
      rowFactor[d * ops + o] = rel ? s.bound[d] : gRow[d];
      colFactor[d * ops + o] = rel ? s.bound[d] : gCol[d];
    }
  ArrayRef<double> perAccess = s.model.getArrayPJPerAccess();
  auto evaluate = [&](unsigned i, int64_t &cycles) {
    auto [r, c] = s.spatialDims[i];
    int64_t base = s.spatialBase[i];
    cycles = base;
    if (r >= 0)
      cycles *= gRow[r];
    if (c >= 0)
      cycles *= gCol[c];
    const int64_t *rf = &rowFactor[(r >= 0 ? r : none) * ops];
    const int64_t *cf = &colFactor[(c >= 0 ? c : none) * ops];
    double energy = 0;
    for (unsigned o = 0; o < ops; ++o)
      energy += static_cast<double>(base * rf[o] * cf[o]) * perAccess[o];
    return energy;
  };

  chosen.clear();
  Objective objective = s.options.objective;
  struct Option {
    unsigned index;
    int64_t cycles;
    double energy;
  };
  if (objective != Objective::EDP) {
    std::optional<Option> best;
    for (unsigned i = 0; i < s.spatials.size(); ++i) {
      int64_t cc;
      double e = evaluate(i, cc);
      bool better =
          !best ||
          (objective == Objective::Latency
               ? cc < best->cycles || (cc == best->cycles && e < best->energy)
               : e < best->energy || (e == best->energy && cc < best->cycles));
      if (better)
        best = Option{i, cc, e};
    }
    if (best) {
      spatialAccess(best->index);
      chosen.push_back({best->index, best->cycles, access});
    }
    return;
  }
  // Pareto front of (compute cycles, array energy).
  SmallVector<Option, 64> all;
  for (unsigned i = 0; i < s.spatials.size(); ++i) {
    int64_t cc;
    double e = evaluate(i, cc);
    all.push_back({i, cc, e});
  }
  llvm::stable_sort(all, [](const Option &a, const Option &b) {
    return a.cycles < b.cycles || (a.cycles == b.cycles && a.energy < b.energy);
  });
  double bestE = 0;
  for (const Option &opt : all) {
    if (!chosen.empty() && !(opt.energy < bestE))
      continue;
    spatialAccess(opt.index);
    chosen.push_back({opt.index, opt.cycles, access});
    bestE = opt.energy;
  }
}

void Worker::setOrderInputs(const OrderEntry &entry, ArrayRef<int64_t> f,
                            ArrayRef<int64_t> sm) {
  for (unsigned o = 0; o < s.numOps; ++o) {
    int64_t v = 1, m = 1;
    for (uint32_t bits = entry.vMask[o]; bits; bits &= bits - 1) {
      unsigned d = llvm::countr_zero(bits);
      v = satMul(v, count[d]);
      if (entry.mMask[o] & (1u << d))
        m = satMul(m, count[d]);
    }
    OperandCostInputs &in = inputs.operands[o];
    int64_t elems = satMul(m, sm[o]);
    if (s.readWrite[o]) {
      in.dramWriteBytes = s.storageBytes(o, elems);
      in.dramReadBytes = s.storageBytes(o, satMul(m - 1, sm[o]));
    } else {
      in.dramReadBytes = s.storageBytes(o, elems);
      in.dramWriteBytes = 0;
    }
    in.visits = v;
    in.distinctTiles = v / m;
    in.tileBytes = s.storageBytes(o, f[o]);
  }
}

double Worker::getOrderBytes() const {
  double bytes = 0;
  for (const OperandCostInputs &in : inputs.operands)
    bytes += static_cast<double>(in.dramReadBytes + in.dramWriteBytes);
  return bytes;
}

double Worker::getOrderBound(double leafCC, double leafArray) const {
  // cycles >= max(compute, DRAM time); energy >= MACs + array + traffic.
  double bytes = 0, traffic = 0;
  for (unsigned o = 0; o < s.numOps; ++o) {
    const OperandCostInputs &in = inputs.operands[o];
    double moved = static_cast<double>(in.dramReadBytes + in.dramWriteBytes);
    bytes += moved;
    traffic += static_cast<double>(s.readWrite[o] ? in.dramWriteBytes
                                                  : in.dramReadBytes) *
               s.trafficPJPerByte[o];
  }
  if (s.energyLike())
    return s.macEnergy + leafArray + traffic;
  double bound = std::max(leafCC, bytes * s.cyclesPerByte);
  if (s.options.objective == Objective::EDP)
    bound *= s.macEnergy + leafArray + traffic;
  return bound;
}

void Worker::costChoices(const OrderEntry &entry) {
  for (const SpatialChoice &sp : chosen) {
    inputs.computeCycles = sp.cycles;
    for (unsigned o = 0; o < s.numOps; ++o)
      inputs.operands[o].arrayAccesses = sp.access[o];
    CostSummary summary = s.model.summarize(inputs);
    ++stats.evaluations;
    double obj = summary.getObjective(s.options.objective);
    int cmp = best.valid
                  ? compareNumbers(obj, summary.energyPJ, summary.cycles, best)
                  : -1;
    if (cmp > 0)
      continue;
    candidate.valid = true;
    candidate.objective = obj;
    candidate.energy = summary.energyPJ;
    candidate.cycles = summary.cycles;
    candidate.tiles.assign(tile.begin(), tile.end());
    candidate.order = entry.order;
    candidate.spatial = sp.index;
    if (cmp < 0 || precedes(candidate, best)) {
      best = candidate;
      publish(obj);
    }
  }
}

void Worker::leaf(unsigned level) {
  unsigned ops = s.numOps;
  ArrayRef<int64_t> f = ArrayRef<int64_t>(foot).slice(level * ops, ops);
  ArrayRef<int64_t> sm = ArrayRef<int64_t>(sum).slice(level * ops, ops);
  uint32_t mask = 0;
  int64_t steps = 1;
  for (unsigned d = 0; d < s.numDims; ++d) {
    if (count[d] > 1)
      mask |= 1u << d;
    steps = satMul(steps, count[d]);
  }
  const std::vector<OrderEntry> &orders = getOrders(mask);
  ++stats.tileVectors;

  // The per-order bound (branch and bound, docs/search.md §2.6). For energy
  // an order is first bounded with the least array energy of any tiling, so
  // that a leaf whose every order is out of reach never costs its spatial
  // options.
  double limit = getBound() * (1 + 1e-9);
  bool energy = s.options.objective == Objective::Energy;
  bool accesses = s.options.objective == Objective::DramAccesses;
  bool bounded = limit < std::numeric_limits<double>::infinity();
  double leafCC = std::numeric_limits<double>::infinity(), leafArray = leafCC;
  bool spatialChosen = false;
  auto chooseSpatialOnce = [&] {
    if (spatialChosen)
      return;
    spatialChosen = true;
    chooseSpatial();
    if (bounded)
      for (const SpatialChoice &sp : chosen) {
        leafCC = std::min(leafCC, static_cast<double>(sp.cycles));
        leafArray = std::min(leafArray, s.model.getArrayEnergyPJ(sp.access));
      }
  };
  if (!energy && !accesses)
    chooseSpatialOnce();

  inputs.steps = steps;
  // The packed tiles depend on the tiles only, not on the loop order.
  for (unsigned o = 0; o < s.numOps; ++o) {
    int64_t &packBytes = inputs.operands[o].packBytes;
    packBytes = s.bytesPerElement[o];
    for (uint32_t bits = s.relMask[o]; bits; bits &= bits - 1)
      packBytes = satMul(packBytes, tile[llvm::countr_zero(bits)]);
  }
  for (const OrderEntry &entry : orders) {
    setOrderInputs(entry, f, sm);
    if (accesses && bounded && beyondBytes(getOrderBytes(), [&] {
          return getOrderBound(0, energyFloor - s.macEnergy);
        }))
      continue;
    if (energy && bounded &&
        getOrderBound(0, energyFloor - s.macEnergy) > limit)
      continue;
    chooseSpatialOnce();
    if (bounded &&
        (accesses
             ? beyondBytes(getOrderBytes(),
                           [&] { return getOrderBound(leafCC, leafArray); })
             : getOrderBound(leafCC, leafArray) > limit))
      continue;
    costChoices(entry);
  }
}

void LayerSearch::run(unsigned residue, unsigned modulus, const Best &incumbent,
                      std::atomic<double> *sharedBound, Best &best,
                      SearchStats &stats) const {
  Worker worker(*this, residue, modulus, incumbent, sharedBound);
  worker.run();
  best = std::move(worker.best);
  stats = worker.stats;
}

} // namespace romac::search_detail
