//===- LayerSearch.cpp - one workload: analysis, candidates, orders -------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//
// Steps 1, 2 and 4 of docs/search.md for one workload (see Search.cpp's
// overview): footprint components and units, the candidate tile tuples of
// each unit, the loop-order classes of a set of multi-tile dims, and the
// result of a finished enumeration.
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
#include <map>
#include <numeric>

namespace romac::search_detail {

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

void LayerSearch::analyseComponents() {
  compsOfDim.assign(numDims, {});
  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    size_t firstComp = components.size();
    int64_t constant = 1;
    for (DimComponent &dc : op.getDimComponents(numDims)) {
      if (dc.loopDims.empty()) {
        // A fixed index: one element, or none when outside the tensor.
        const IndexExpr &expr = op.projection[dc.tensorDims[0]];
        bool inside =
            expr.constant >= 0 && expr.constant < op.extent[dc.tensorDims[0]];
        constant *= inside ? 1 : 0;
        continue;
      }
      Component &comp = components.emplace_back();
      comp.op = o;
      comp.tensorDims = std::move(dc.tensorDims);
      comp.loopDims = std::move(dc.loopDims);
    }
    constFoot.push_back(constant);
    for (size_t c = firstComp; c < components.size(); ++c) {
      Component &comp = components[c];
      for (unsigned d : comp.loopDims)
        compsOfDim[d].push_back(c);
      if (comp.tensorDims.size() != 1)
        continue;
      const IndexExpr &expr = op.projection[comp.tensorDims[0]];
      int64_t lo = expr.constant, hi = expr.constant;
      for (const AffineTerm &term : expr.terms) {
        int64_t span = term.coeff * (bound[term.dim] - 1);
        (span < 0 ? lo : hi) += span;
      }
      comp.closedForm = lo >= 0 && hi < op.extent[comp.tensorDims[0]];
    }
  }
}

void LayerSearch::evalComponent(const Component &comp, ArrayRef<int64_t> tiles,
                                int64_t &sum, int64_t &max) const {
  const auto &op = workload.operands[comp.op];
  if (comp.closedForm) {
    // Length sum_j |c_j| (L_j - 1) + 1 for a tile of L_j iterations; summed
    // over all tiles: prod T + sum_j |c_j| (B_j - T_j) prod_{i != j} T_i.
    const IndexExpr &expr = op.projection[comp.tensorDims[0]];
    int64_t len = 1, prodT = 1;
    for (const AffineTerm &term : expr.terms) {
      len += std::abs(term.coeff) * (tiles[term.dim] - 1);
      prodT = satMul(prodT, ceilDiv(bound[term.dim], tiles[term.dim]));
    }
    int64_t total = prodT;
    for (const AffineTerm &term : expr.terms) {
      int64_t t = ceilDiv(bound[term.dim], tiles[term.dim]);
      total = satAdd(
          total,
          satMul(satMul(std::abs(term.coeff), bound[term.dim] - t), prodT / t));
    }
    sum = total;
    max = len;
    return;
  }
  // Enumerate the tile positions of the component's loop dims.
  SmallVector<int64_t, 4> idx(comp.loopDims.size(), 0), cnt;
  for (unsigned d : comp.loopDims)
    cnt.push_back(ceilDiv(bound[d], tiles[d]));
  SmallVector<int64_t, 8> first(numDims, 0), last(numDims, 0);
  sum = 0;
  max = 0;
  while (true) {
    for (auto [i, d] : llvm::enumerate(comp.loopDims)) {
      first[d] = idx[i] * tiles[d];
      last[d] = std::min(first[d] + tiles[d], bound[d]) - 1;
    }
    int64_t f = 1;
    for (unsigned j : comp.tensorDims) {
      const IndexExpr &expr = op.projection[j];
      int64_t lo = expr.constant, hi = expr.constant;
      for (const AffineTerm &term : expr.terms) {
        int64_t a = term.coeff * first[term.dim];
        int64_t b = term.coeff * last[term.dim];
        lo += std::min(a, b);
        hi += std::max(a, b);
      }
      lo = std::max<int64_t>(lo, 0);
      hi = std::min(hi, op.extent[j] - 1);
      f *= hi < lo ? 0 : hi - lo + 1;
    }
    sum = satAdd(sum, f);
    max = std::max(max, f);
    size_t i = 0;
    for (; i < idx.size(); ++i) {
      if (++idx[i] < cnt[i])
        break;
      idx[i] = 0;
    }
    if (i == idx.size())
      break;
  }
}

/// Tile candidates of one dim on its own: per tile count, the smallest tile
/// plus the larger tiles of the same count that need fewer array steps on
/// the rows or the columns.
std::vector<int64_t> LayerSearch::dimCandidates(unsigned d) const {
  int64_t b = bound[d];
  std::vector<int64_t> result;
  if (options.debugMode == SearchDebugMode::DivisorTilesOnly) {
    for (int64_t t = 1; t <= b; ++t)
      if (b % t == 0)
        result.push_back(t);
    return result;
  }
  for (int64_t t = 1; t <= b;) {
    int64_t count = ceilDiv(b, t);
    int64_t classEnd = count == 1 ? b : ceilDiv(b, count - 1) - 1;
    SmallVector<std::pair<int64_t, int64_t>, 4> kept;
    for (int64_t u = t; u <= classEnd; ++u) {
      int64_t gr = unrolledSteps(b, u, target.rows);
      int64_t gc = unrolledSteps(b, u, target.cols);
      if (llvm::any_of(kept, [&](const auto &k) {
            return k.first <= gr && k.second <= gc;
          }))
        continue;
      kept.push_back({gr, gc});
      result.push_back(u);
      if (options.debugMode == SearchDebugMode::SmallestTilePerCount)
        break;
    }
    t = classEnd + 1;
  }
  return result;
}

/// Fills the per-dim values of candidate `c` of `unit` from `tiles`.
static void fillDims(Unit &unit, size_t c, ArrayRef<int64_t> tiles,
                     ArrayRef<int64_t> bound, int64_t rows, int64_t cols) {
  size_t k = unit.dims.size();
  for (auto [i, d] : llvm::enumerate(unit.dims)) {
    unit.tile[c * k + i] = tiles[d];
    unit.count[c * k + i] = ceilDiv(bound[d], tiles[d]);
    unit.gRow[c * k + i] = unrolledSteps(bound[d], tiles[d], rows);
    unit.gCol[c * k + i] = unrolledSteps(bound[d], tiles[d], cols);
  }
}

void LayerSearch::fillSeparableUnit(Unit &unit) {
  // Every component of the unit has a closed form: its values depend on
  // each dim's tile count except for the footprint, which grows with each
  // tile, so the candidates are the product of the per-dim lists.
  size_t k = unit.dims.size();
  std::vector<std::vector<int64_t>> lists;
  size_t total = 1;
  for (unsigned d : unit.dims) {
    lists.push_back(dimCandidates(d));
    total *= lists.back().size();
  }
  unit.numCands = total;
  unit.tile.resize(total * k);
  unit.count.resize(total * k);
  unit.gRow.resize(total * k);
  unit.gCol.resize(total * k);
  unit.foot.assign(total * numOps, 1);
  unit.sum.assign(total * numOps, 1);
  SmallVector<unsigned, 8> unitComps;
  for (unsigned d : unit.dims)
    for (unsigned c : compsOfDim[d])
      if (!llvm::is_contained(unitComps, c))
        unitComps.push_back(c);
  SmallVector<int64_t, 8> tiles(numDims, 1);
  SmallVector<size_t, 2> pick(k, 0);
  for (size_t c = 0; c < total; ++c) {
    size_t rest = c;
    for (size_t i = k; i-- > 0;) {
      pick[i] = rest % lists[i].size();
      rest /= lists[i].size();
      tiles[unit.dims[i]] = lists[i][pick[i]];
    }
    fillDims(unit, c, tiles, bound, target.rows, target.cols);
    for (unsigned ci : unitComps) {
      int64_t s, m;
      evalComponent(components[ci], tiles, s, m);
      unsigned op = components[ci].op;
      unit.foot[c * numOps + op] = satMul(unit.foot[c * numOps + op], m);
      unit.sum[c * numOps + op] = satMul(unit.sum[c * numOps + op], s);
    }
  }
  unit.monotone = k == 1;
}

void LayerSearch::fillCoupledUnit(Unit &unit) {
  size_t k = unit.dims.size();
  SmallVector<unsigned, 8> unitComps;
  for (unsigned d : unit.dims)
    for (unsigned c : compsOfDim[d])
      if (!llvm::is_contained(unitComps, c))
        unitComps.push_back(c);

  // Per-dim tile lists: every tile, unless the joint enumeration would
  // cost too much (then the per-dim candidates, and the result is no
  // longer guaranteed optimal).
  std::vector<std::vector<int64_t>> lists;
  double work = 0, tuples = 1;
  for (unsigned d : unit.dims)
    tuples *= static_cast<double>(bound[d]);
  for (unsigned ci : unitComps) {
    double w = tuples;
    for (unsigned d : components[ci].loopDims)
      w *= std::log(static_cast<double>(bound[d])) + 1;
    work += w;
  }
  bool full = options.debugMode == SearchDebugMode::None && work < 2e7;
  if (!full && options.debugMode == SearchDebugMode::None)
    exhaustive = false;
  for (unsigned d : unit.dims) {
    if (full) {
      std::vector<int64_t> all(bound[d]);
      std::iota(all.begin(), all.end(), 1);
      lists.push_back(std::move(all));
    } else {
      lists.push_back(dimCandidates(d));
    }
  }
  size_t total = 1;
  for (const auto &l : lists)
    total *= l.size();

  // Evaluate every tuple.
  Unit raw;
  raw.dims = unit.dims;
  raw.numCands = total;
  raw.tile.resize(total * k);
  raw.count.resize(total * k);
  raw.gRow.resize(total * k);
  raw.gCol.resize(total * k);
  raw.foot.assign(total * numOps, 1);
  raw.sum.assign(total * numOps, 1);
  SmallVector<int64_t, 8> tiles(numDims, 1);
  for (size_t c = 0; c < total; ++c) {
    size_t rest = c;
    for (size_t i = k; i-- > 0;) {
      tiles[unit.dims[i]] = lists[i][rest % lists[i].size()];
      rest /= lists[i].size();
    }
    fillDims(raw, c, tiles, bound, target.rows, target.cols);
    for (unsigned ci : unitComps) {
      int64_t s, m;
      evalComponent(components[ci], tiles, s, m);
      unsigned op = components[ci].op;
      raw.foot[c * numOps + op] = satMul(raw.foot[c * numOps + op], m);
      raw.sum[c * numOps + op] = satMul(raw.sum[c * numOps + op], s);
    }
  }

  // Keep the tuples that no other tuple with the same tile counts
  // dominates (all footprints, sums, packed tiles and array steps smaller
  // or equal; among equal ones the first).
  SmallVector<size_t, 0> orderIdx(total);
  std::iota(orderIdx.begin(), orderIdx.end(), 0);
  auto countsOf = [&](size_t c) {
    return ArrayRef<int64_t>(raw.count).slice(c * k, k);
  };
  std::stable_sort(orderIdx.begin(), orderIdx.end(), [&](size_t a, size_t b) {
    ArrayRef<int64_t> ca = countsOf(a), cb = countsOf(b);
    return std::lexicographical_compare(cb.begin(), cb.end(), ca.begin(),
                                        ca.end());
  });
  // On a target that packs its tiles, an operand's packed tile is the
  // product of the tile sizes of the dims that index it, not its footprint
  // (a window's im2col panel against its input tile): the unit's share of
  // that product must not be larger either.
  bool packs = target.packBytesPerCycle > 0;
  auto packFactor = [&](size_t c, unsigned o) {
    int64_t factor = 1;
    for (size_t i = 0; i < k; ++i)
      if (relMask[o] & (1u << unit.dims[i]))
        factor = satMul(factor, raw.tile[c * k + i]);
    return factor;
  };
  auto dominates = [&](size_t a, size_t b) {
    for (unsigned o = 0; o < numOps; ++o)
      if (raw.foot[a * numOps + o] > raw.foot[b * numOps + o] ||
          raw.sum[a * numOps + o] > raw.sum[b * numOps + o] ||
          (packs && packFactor(a, o) > packFactor(b, o)))
        return false;
    for (size_t i = 0; i < k; ++i)
      if (raw.gRow[a * k + i] > raw.gRow[b * k + i] ||
          raw.gCol[a * k + i] > raw.gCol[b * k + i])
        return false;
    return true;
  };
  std::vector<size_t> keep;
  bool prune = options.debugMode == SearchDebugMode::None;
  for (size_t g = 0; g < total;) {
    size_t h = g;
    while (h < total && countsOf(orderIdx[h]) == countsOf(orderIdx[g]))
      ++h;
    // Within the group, in enumeration order (tiles ascending).
    SmallVector<size_t, 16> group(orderIdx.begin() + g, orderIdx.begin() + h);
    llvm::sort(group);
    SmallVector<size_t, 16> kept;
    for (size_t c : group) {
      if (prune &&
          llvm::any_of(kept, [&](size_t o) { return dominates(o, c); }))
        continue;
      if (prune)
        llvm::erase_if(kept, [&](size_t o) { return dominates(c, o); });
      kept.push_back(c);
    }
    keep.insert(keep.end(), kept.begin(), kept.end());
    g = h;
  }
  // Enumeration order: by tiles (lexicographic). The footprints are not
  // monotone here: tiles start at multiples of their size, so a bigger tile
  // can split the part of a window that lies inside the tensor and have a
  // smaller largest clipped footprint (index 3 - d, extent 2: tile 2 needs
  // 2 elements, tile 3 only 1).
  llvm::sort(keep, [&](size_t a, size_t b) {
    ArrayRef<int64_t> ta = ArrayRef<int64_t>(raw.tile).slice(a * k, k);
    ArrayRef<int64_t> tb = ArrayRef<int64_t>(raw.tile).slice(b * k, k);
    return ta < tb;
  });
  unit.numCands = keep.size();
  for (size_t c : keep) {
    for (size_t i = 0; i < k; ++i) {
      unit.tile.push_back(raw.tile[c * k + i]);
      unit.count.push_back(raw.count[c * k + i]);
      unit.gRow.push_back(raw.gRow[c * k + i]);
      unit.gCol.push_back(raw.gCol[c * k + i]);
    }
    for (unsigned o = 0; o < numOps; ++o) {
      unit.foot.push_back(raw.foot[c * numOps + o]);
      unit.sum.push_back(raw.sum[c * numOps + o]);
    }
  }
  unit.monotone = false;
}

void LayerSearch::buildUnits() {
  // Dims that share a component are searched jointly.
  SmallVector<unsigned, 8> parent(numDims);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const Component &comp : components)
    for (unsigned d : comp.loopDims)
      parent[find(d)] = find(comp.loopDims.front());
  std::vector<Unit> all;
  SmallVector<int, 8> unitOf(numDims, -1);
  for (unsigned d = 0; d < numDims; ++d) {
    unsigned root = find(d);
    if (unitOf[root] < 0) {
      unitOf[root] = all.size();
      all.emplace_back();
    }
    all[unitOf[root]].dims.push_back(d);
  }
  for (Unit &unit : all) {
    bool separable = true;
    for (unsigned d : unit.dims)
      for (unsigned c : compsOfDim[d])
        separable &= components[c].closedForm;
    if (unit.dims.size() == 1) {
      unsigned d = unit.dims[0];
      unit.pure = llvm::all_of(compsOfDim[d], [&](unsigned c) {
        const Component &comp = components[c];
        const IndexExpr &expr =
            workload.operands[comp.op].projection[comp.tensorDims[0]];
        return comp.closedForm && expr.terms.size() == 1 &&
               std::abs(expr.terms[0].coeff) == 1;
      });
    }
    if (separable)
      fillSeparableUnit(unit);
    else
      fillCoupledUnit(unit);
    unit.minFoot.assign(numOps, kSaturated);
    unit.minSum.assign(numOps, kSaturated);
    for (size_t c = 0; c < unit.numCands; ++c)
      for (unsigned o = 0; o < numOps; ++o) {
        unit.minFoot[o] = std::min(unit.minFoot[o], unit.foot[c * numOps + o]);
        unit.minSum[o] = std::min(unit.minSum[o], unit.sum[c * numOps + o]);
      }
    candidateSpace *= static_cast<double>(unit.numCands);
  }
  // Enumeration order: units that are not pure first, then pure dims by
  // candidate count; the last pure dim may use the Pareto front.
  std::stable_sort(all.begin(), all.end(), [](const Unit &a, const Unit &b) {
    if (a.pure != b.pure)
      return !a.pure;
    if (a.pure)
      return a.numCands < b.numCands;
    return false;
  });
  units = std::move(all);

  frontMode = energyLike() && !units.empty() && units.back().pure &&
              options.debugMode == SearchDebugMode::None &&
              bound[units.back().dims[0]] <= (1 << 16);
  if (frontMode) {
    unsigned d = units.back().dims[0];
    int64_t b = bound[d];
    fronts.assign(b + 1, {});
    SmallVector<int32_t, 4> prev;
    for (int64_t t = 1; t <= b; ++t) {
      int64_t gr = unrolledSteps(b, t, target.rows);
      int64_t gc = unrolledSteps(b, t, target.cols);
      SmallVector<int32_t, 4> cur;
      cur.push_back(static_cast<int32_t>(t));
      // `t` has the fewest tiles of [1, t]; it removes the tiles it
      // dominates in array steps. On a target that packs its tiles, the
      // pure dim's packing time is proportional to count x tile for the
      // operands it indexes (a packed tile is the product of the tile sizes
      // of the dims that index the operand) and to count for the others,
      // so `t` must not be larger there either.
      bool packs = target.packBytesPerCycle > 0;
      for (int32_t u : prev)
        if (!(gr <= unrolledSteps(b, u, target.rows) &&
              gc <= unrolledSteps(b, u, target.cols) &&
              (!packs || ceilDiv(b, t) * t <= ceilDiv(b, u) * u)))
          cur.push_back(u);
      fronts[t] = cur;
      prev = std::move(cur);
    }
  }

  minRest.assign((units.size() + 1) * numOps, 1);
  minRestSum.assign((units.size() + 1) * numOps, 1);
  for (size_t l = units.size(); l-- > 0;)
    for (unsigned o = 0; o < numOps; ++o) {
      minRest[l * numOps + o] =
          satMul(minRest[(l + 1) * numOps + o], units[l].minFoot[o]);
      minRestSum[l * numOps + o] =
          satMul(minRestSum[(l + 1) * numOps + o], units[l].minSum[o]);
    }
  assigned.assign(units.size() + 1, 0);
  for (size_t l = 0; l < units.size(); ++l) {
    assigned[l + 1] = assigned[l];
    for (unsigned d : units[l].dims)
      assigned[l + 1] |= 1u << d;
  }
  for (unsigned d = 0; d < numDims; ++d) {
    minGRow.push_back(ceilDiv(bound[d], target.rows));
    minGCol.push_back(ceilDiv(bound[d], target.cols));
  }
  splitLevel = 0;
  while (splitLevel < units.size() && units[splitLevel].numCands < 2)
    ++splitLevel;
  if (frontMode && splitLevel + 1 == units.size())
    splitLevel = units.size();
}

llvm::Error LayerSearch::prepare() {
  if (llvm::Error err = target.verify())
    return err;
  if (llvm::Error err = workload.verify())
    return err;
  numDims = workload.dims.size();
  numOps = workload.operands.size();
  if (numDims > 30)
    return makeStringError("layer '" + workload.name + "' has " +
                           llvm::Twine(numDims) +
                           " loop dims; the search handles at most 30");
  for (const LoopDim &dim : workload.dims) {
    bound.push_back(dim.bound);
    macs *= dim.bound;
    fullSpace *= static_cast<double>(dim.bound);
  }
  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    uint32_t mask = 0;
    for (unsigned d = 0; d < numDims; ++d)
      if (op.isIndexedBy(d))
        mask |= 1u << d;
    relMask.push_back(mask);
    bytesPerElement.push_back(op.bytesPerElement);
    storageBytesPerElement.push_back(op.getStorageBytesPerElement());
    compressed.push_back(op.isCompressed());
    memOf.push_back(model.getMemoryIndex(o));
    readWrite.push_back(op.role == OperandRole::ReadWrite);
    classes.push_back(model.getOperandClass(o));
  }
  bufferCopies = options.cost.doubleBuffering ? 2 : 1;
  analyseComponents();
  buildUnits();

  spatials = enumerateSpatialMappings(workload);
  for (const SpatialMapping &s : spatials) {
    int r = s.rowDim ? static_cast<int>(*s.rowDim) : -1;
    int c = s.colDim ? static_cast<int>(*s.colDim) : -1;
    spatialDims.push_back({r, c});
    int64_t base = macs;
    if (r >= 0)
      base /= bound[r];
    if (c >= 0)
      base /= bound[c];
    spatialBase.push_back(base);
  }

  // The bounds' DRAM rates (the model's linear rates, or rates its
  // estimates never undercut).
  std::optional<DramCostModel::LinearRates> rates =
      options.cost.getDramModel().getLowerBoundRates(target);
  macEnergy =
      static_cast<double>(macs) * target.macEnergyPJ * workload.macFraction;
  for (unsigned o = 0; o < numOps; ++o) {
    const CostMemory &mem = target.memories[memOf[o]];
    double dram = 0;
    if (rates)
      dram = readWrite[o] ? rates->writePJPerByte : rates->readPJPerByte;
    trafficPJPerByte.push_back(
        dram + (readWrite[o] ? mem.readPJPerByte : mem.writePJPerByte));
  }
  cyclesPerByte = rates ? rates->cyclesPerByte : 0;

  // With every tile of size 1 the footprints are the smallest possible.
  for (auto [m, mem] : llvm::enumerate(target.memories)) {
    int64_t need = 0;
    std::string names;
    for (unsigned o = 0; o < numOps; ++o) {
      if (memOf[o] != m)
        continue;
      need = satAdd(need, bufferBytes(o, satMul(constFoot[o], minRest[o])));
      names += (names.empty() ? "'" : ", '") + workload.operands[o].name + "'";
    }
    if (need > mem.capacityBytes)
      return makeStringError(
          "layer '" + workload.name + "': no tiling fits buffer '" + mem.name +
          "' (" + llvm::Twine(mem.capacityBytes) +
          " bytes): the smallest tiles of operand" +
          (names.find(',') != std::string::npos ? "s " : " ") + names +
          " need " + llvm::Twine(need) + " bytes" +
          (options.cost.doubleBuffering ? " (double-buffered)" : ""));
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Loop orders
//===----------------------------------------------------------------------===//

std::vector<OrderEntry>
LayerSearch::computeOrders(uint32_t mask, ArrayRef<int64_t> counts) const {
  // The cost depends on the order only through I_X, the multi-tile loops
  // inside operand X's innermost relevant multi-tile loop. Building the
  // order from the innermost loop outwards, X "closes" at the first placed
  // loop it depends on and I_X is what was placed before. All distinct
  // tuples (I_X) are enumerated, memoised on (placed, still open).
  struct Partial {
    SmallVector<uint32_t, 4> inner;
    SmallVector<unsigned, 8> path; // innermost first
  };
  std::map<std::pair<uint32_t, uint32_t>, std::vector<Partial>> memo;
  std::function<const std::vector<Partial> &(uint32_t, uint32_t)> solve =
      [&](uint32_t placed, uint32_t open) -> const std::vector<Partial> & {
    auto key = std::make_pair(placed, open);
    auto it = memo.find(key);
    if (it != memo.end())
      return it->second;
    std::vector<Partial> results;
    if (open == 0) {
      results.push_back({SmallVector<uint32_t, 4>(numOps, 0), {}});
    } else {
      for (unsigned d = 0; d < numDims; ++d) {
        if (!(mask & ~placed & (1u << d)))
          continue;
        uint32_t closing = 0;
        for (unsigned o = 0; o < numOps; ++o)
          if ((open & (1u << o)) && (relMask[o] & (1u << d)))
            closing |= 1u << o;
        const std::vector<Partial> &sub =
            solve(placed | (1u << d), open & ~closing);
        for (const Partial &s : sub) {
          Partial p = s;
          for (unsigned o = 0; o < numOps; ++o)
            if (closing & (1u << o))
              p.inner[o] = placed;
          if (llvm::any_of(results, [&](const Partial &r) {
                return r.inner == p.inner;
              }))
            continue;
          p.path.insert(p.path.begin(), d);
          results.push_back(std::move(p));
        }
      }
    }
    return memo.emplace(key, std::move(results)).first->second;
  };
  uint32_t open = 0;
  for (unsigned o = 0; o < numOps; ++o)
    if (relMask[o] & mask)
      open |= 1u << o;
  std::vector<Partial> partials = solve(0, open);

  std::optional<OperandClass> stationary = getStationaryClass(options.policy);
  std::vector<OrderEntry> entries;
  for (Partial &p : partials) {
    OrderEntry e;
    bool allowed = true;
    for (unsigned o = 0; o < numOps; ++o) {
      uint32_t inner = (open & (1u << o)) ? p.inner[o] : mask;
      uint32_t v = mask & ~inner;
      e.vMask.push_back(v);
      e.mMask.push_back(v & ~relMask[o]);
      if (stationary && classes[o] == *stationary && e.mMask.back() != 0)
        allowed = false;
    }
    if (!allowed)
      continue;
    // Single-tile loops outermost, then the multi-tile loops outside every
    // operand's innermost relevant loop, then the path.
    for (unsigned d = 0; d < numDims; ++d)
      if (counts[d] == 1)
        e.order.push_back(d);
    for (unsigned d = 0; d < numDims; ++d)
      if ((mask & (1u << d)) && !llvm::is_contained(p.path, d))
        e.order.push_back(d);
    e.order.append(p.path.rbegin(), p.path.rend());
    entries.push_back(std::move(e));
  }
  // A compressed operand's bytes are rounded up once per count, so its
  // visits do not all move the same bytes and cycles may fall with more of
  // them: the dominance below holds for energy only then.
  bool compressedOps = llvm::is_contained(compressed, true);
  if ((energyLike() || (model.hasLinearDram() && !compressedOps)) &&
      options.debugMode == SearchDebugMode::None) {
    // Energy only grows with every operand's visits and revisits, and so do
    // cycles when DRAM time is linear in bytes (each visit of an operand
    // moves the same bytes for a given tile vector; docs/search.md): a class
    // whose visit masks all contain another's is never better.
    auto covers = [&](const OrderEntry &a, const OrderEntry &b) {
      for (unsigned o = 0; o < numOps; ++o)
        if ((a.vMask[o] & b.vMask[o]) != b.vMask[o])
          return false;
      return true;
    };
    std::vector<OrderEntry> kept;
    for (size_t i = 0; i < entries.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < entries.size() && !dominated; ++j)
        dominated = j != i && covers(entries[i], entries[j]);
      if (!dominated)
        kept.push_back(entries[i]);
    }
    entries = std::move(kept);
  }
  return entries;
}

Best LayerSearch::makeCandidate(const Mapping &mapping,
                                unsigned spatial) const {
  AccessCounts counts = computeAccessCounts(workload, mapping);
  CostSummary summary =
      model.summarize(model.getInputs(mapping, counts, spatials[spatial]));
  Best b;
  b.valid = true;
  b.objective = summary.getObjective(options.objective);
  b.energy = summary.energyPJ;
  b.cycles = summary.cycles;
  b.tiles.assign(mapping.tileSizes.begin(), mapping.tileSizes.end());
  b.order.assign(mapping.order.begin(), mapping.order.end());
  b.spatial = spatial;
  return b;
}

LayerResult LayerSearch::finish(const Best &best,
                                const SearchStats &stats) const {
  LayerResult result;
  result.mapping.tileSizes.assign(best.tiles.begin(), best.tiles.end());
  result.mapping.order.assign(best.order.begin(), best.order.end());
  result.spatial = spatials[best.spatial];
  result.cost = model.compute(result.mapping, result.spatial);
  result.objective = best.objective;
  result.reuse = options.policy == ReusePolicy::Adaptive
                     ? describeReuse(workload, result.mapping)
                     : stringifyReusePolicy(options.policy).str();
  result.stats = stats;
  result.stats.candidateSpace = candidateSpace;
  result.stats.fullSpace = fullSpace;
  result.stats.exhaustive = exhaustive;
  return result;
}

} // namespace romac::search_detail
