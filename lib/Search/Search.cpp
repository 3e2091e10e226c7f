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
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/ThreadPool.h"
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

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Policies and labels
//===----------------------------------------------------------------------===//

llvm::StringRef romac::stringifyReusePolicy(ReusePolicy policy) {
  switch (policy) {
  case ReusePolicy::Adaptive:
    return "adaptive";
  case ReusePolicy::InputStationary:
    return "input-stationary";
  case ReusePolicy::WeightStationary:
    return "weight-stationary";
  case ReusePolicy::OutputStationary:
    return "output-stationary";
  }
  llvm_unreachable("unknown policy");
}

std::optional<ReusePolicy> romac::symbolizeReusePolicy(llvm::StringRef name) {
  for (ReusePolicy p :
       {ReusePolicy::Adaptive, ReusePolicy::InputStationary,
        ReusePolicy::WeightStationary, ReusePolicy::OutputStationary})
    if (name == stringifyReusePolicy(p))
      return p;
  return std::nullopt;
}

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
// The search of one workload
//===----------------------------------------------------------------------===//

namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

int64_t satMul(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? kSaturated : r;
}

int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  return llvm::AddOverflow(a, b, r) ? kSaturated : r;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Array steps of all tiles of a dim (bound, tile) over an axis of `axis`.
int64_t unrolledSteps(int64_t bound, int64_t tile, int64_t axis) {
  int64_t count = ceilDiv(bound, tile);
  int64_t last = bound - (count - 1) * tile;
  return (count - 1) * ceilDiv(tile, axis) + ceilDiv(last, axis);
}

/// Tensor dims of one operand that share loop dims, with their loop dims.
struct Component {
  unsigned op = 0;
  SmallVector<unsigned, 2> tensorDims;
  SmallVector<unsigned, 2> loopDims;
  /// One tensor dim whose index never leaves [0, extent): its footprint
  /// length and sum have closed forms that depend on tile counts only.
  bool closedForm = false;
};

/// Dims searched jointly and their candidate tile tuples (flat arrays).
struct Unit {
  SmallVector<unsigned, 2> dims;
  /// One dim, indexed only as `d` (coefficient +-1, never clipped): its
  /// footprint factor is the tile and its footprint sum the bound.
  bool pure = false;
  size_t numCands = 0;
  /// [cand * dims.size() + i]
  std::vector<int64_t> tile, count, gRow, gCol;
  /// [cand * numOps + op]: footprint and footprint-sum factors.
  std::vector<int64_t> foot, sum;
  /// Per operand, the smallest footprint and footprint-sum factors.
  SmallVector<int64_t, 4> minFoot, minSum;
  /// Candidates sorted by tile and footprints monotone in it (one dim
  /// whose footprints never clip): the enumeration stops at the first that
  /// does not fit.
  bool monotone = false;
};

/// One equivalence class of loop orders for a set of multi-tile dims.
struct OrderEntry {
  /// Per operand: multi-tile dims whose tile counts multiply its visits
  /// (`vMask`) and its revisits (`mMask`, the irrelevant ones among them).
  SmallVector<uint32_t, 4> vMask, mMask;
  /// A loop order (outermost first) of the class.
  SmallVector<unsigned, 8> order;
};

/// The best candidate so far.
struct Best {
  bool valid = false;
  double objective = 0, energy = 0, cycles = 0;
  SmallVector<int64_t, 8> tiles;
  SmallVector<unsigned, 8> order;
  unsigned spatial = 0;
};

/// -1, 0 or 1 comparing the numbers of two candidates.
int compareNumbers(double objA, double eA, double cA, const Best &b) {
  for (auto [x, y] : {std::pair{objA, b.objective}, std::pair{eA, b.energy},
                      std::pair{cA, b.cycles}}) {
    if (x < y)
      return -1;
    if (x > y)
      return 1;
  }
  return 0;
}

/// Whether `a` precedes `b` in the total order on candidates.
bool precedes(const Best &a, const Best &b) {
  if (!b.valid)
    return a.valid;
  if (!a.valid)
    return false;
  if (int c = compareNumbers(a.objective, a.energy, a.cycles, b))
    return c < 0;
  if (a.tiles != b.tiles)
    return std::lexicographical_compare(a.tiles.begin(), a.tiles.end(),
                                        b.tiles.begin(), b.tiles.end());
  if (a.order != b.order)
    return std::lexicographical_compare(a.order.begin(), a.order.end(),
                                        b.order.begin(), b.order.end());
  return a.spatial < b.spatial;
}

class Worker;

/// Everything about one workload that the workers share (read-only once
/// prepared).
class LayerSearch {
public:
  LayerSearch(const Workload &workload, const CostTarget &target,
              const SearchOptions &options)
      : workload(workload), target(target), options(options),
        model(target, workload, options.cost) {}

  /// Analyses the workload and builds the candidate lists. Fails when even
  /// the smallest tiles do not fit.
  llvm::Error prepare();

  /// Runs the enumeration over the candidates of the split level whose
  /// index is `residue` modulo `modulus`, starting from `incumbent` (which
  /// only serves as the bound of the branch and bound; it stays the result
  /// unless something precedes it).
  void run(unsigned residue, unsigned modulus, const Best &incumbent,
           std::atomic<double> *sharedBound, Best &best,
           SearchStats &stats) const;

  /// The candidate for `mapping` + `spatials[spatial]` with this search's
  /// objective, costed with the same arithmetic as the enumeration.
  Best makeCandidate(const Mapping &mapping, unsigned spatial) const;

  /// Candidates at the split level (the first with more than one).
  size_t getSplitWidth() const {
    return splitLevel < units.size() ? units[splitLevel].numCands : 1;
  }

  /// Builds the result from the best candidate.
  LayerResult finish(const Best &best, const SearchStats &stats) const;

  const Workload &getWorkload() const { return workload; }

private:
  friend class Worker;

  void analyseComponents();
  void buildUnits();
  std::vector<int64_t> dimCandidates(unsigned d) const;
  void fillSeparableUnit(Unit &unit);
  void fillCoupledUnit(Unit &unit);
  void evalComponent(const Component &comp, ArrayRef<int64_t> tiles,
                     int64_t &sum, int64_t &max) const;
  std::vector<OrderEntry> computeOrders(uint32_t mask,
                                        ArrayRef<int64_t> counts) const;
  bool energyLike() const {
    return options.objective == Objective::Energy ||
           options.objective == Objective::DramAccesses;
  }
  /// Latency and EDP use the branch and bound.
  bool cycleObjective() const { return !energyLike(); }

  const Workload &workload;
  const CostTarget &target;
  SearchOptions options;
  CostModel model;

  unsigned numDims = 0, numOps = 0;
  SmallVector<int64_t, 8> bound;
  /// Per operand: bit d set when the operand depends on dim d.
  SmallVector<uint32_t, 4> relMask;
  /// Per operand: bytes per element times 2 with double buffering.
  SmallVector<int64_t, 4> bufferBytesPerElement;
  SmallVector<int64_t, 4> bytesPerElement;
  SmallVector<unsigned, 4> memOf;
  SmallVector<bool, 4> readWrite;
  SmallVector<OperandClass, 4> classes;
  int64_t macs = 1;

  std::vector<Component> components;
  /// Per operand: footprint (= footprint sum) of the components without
  /// loop dims.
  SmallVector<int64_t, 4> constFoot;
  /// Per dim: the component indices that use it.
  std::vector<SmallVector<unsigned, 4>> compsOfDim;

  /// Units in enumeration order.
  std::vector<Unit> units;
  /// minRest[level * numOps + op]: product of the smallest footprint
  /// factors of units at `level` and after; minRestSum likewise for the
  /// footprint sums.
  std::vector<int64_t> minRest, minRestSum;
  /// assigned[level]: dims of the units before `level`.
  SmallVector<uint32_t, 8> assigned;
  /// Per dim, the fewest array steps any tile gives on rows / columns.
  SmallVector<int64_t, 8> minGRow, minGCol;
  /// For the bound: DRAM cycles per byte (0 unless the DRAM model is
  /// linear), and per operand the least energy per byte of traffic (DRAM +
  /// buffer fill or drain).
  double cyclesPerByte = 0;
  SmallVector<double, 4> trafficPJPerByte;
  double macEnergy = 0;
  unsigned splitLevel = 0;
  /// The last unit uses the Pareto front of the tiles that fit.
  bool frontMode = false;
  /// fronts[tmax]: tiles of the last (pure) unit's dim that are on the
  /// (count, rows steps, cols steps) Pareto front of [1, tmax], descending.
  std::vector<SmallVector<int32_t, 4>> fronts;

  /// Spatial options (rows dim, cols dim; -1 for none) and per option the
  /// product of the bounds of the other dims.
  std::vector<SpatialMapping> spatials;
  SmallVector<std::pair<int, int>, 64> spatialDims;
  SmallVector<int64_t, 64> spatialBase;

  bool exhaustive = true;
  double candidateSpace = 1, fullSpace = 1;
};

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

void LayerSearch::analyseComponents() {
  compsOfDim.assign(numDims, {});
  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    size_t rank = op.projection.size();
    // Union-find over tensor dims joined by a shared loop dim.
    SmallVector<unsigned, 4> parent(rank);
    std::iota(parent.begin(), parent.end(), 0u);
    auto find = [&](unsigned x) {
      while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
      return x;
    };
    SmallVector<int, 8> owner(numDims, -1);
    for (auto [j, expr] : llvm::enumerate(op.projection))
      for (const AffineTerm &term : expr.terms) {
        if (owner[term.dim] < 0)
          owner[term.dim] = j;
        else
          parent[find(j)] = find(owner[term.dim]);
      }
    SmallVector<int, 4> compOf(rank, -1);
    size_t firstComp = components.size();
    int64_t constant = 1;
    for (unsigned j = 0; j < rank; ++j) {
      const IndexExpr &expr = op.projection[j];
      if (expr.terms.empty()) {
        // A fixed index: one element, or none when outside the tensor.
        bool inside = expr.constant >= 0 && expr.constant < op.extent[j];
        constant *= inside ? 1 : 0;
        continue;
      }
      unsigned root = find(j);
      if (compOf[root] < 0) {
        compOf[root] = components.size();
        components.push_back({});
        components.back().op = o;
      }
      components[compOf[root]].tensorDims.push_back(j);
    }
    constFoot.push_back(constant);
    for (unsigned d = 0; d < numDims; ++d)
      if (owner[d] >= 0)
        components[compOf[find(owner[d])]].loopDims.push_back(d);
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
  // dominates (all footprints, sums and array steps smaller or equal; among
  // equal ones the first).
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
  auto dominates = [&](size_t a, size_t b) {
    for (unsigned o = 0; o < numOps; ++o)
      if (raw.foot[a * numOps + o] > raw.foot[b * numOps + o] ||
          raw.sum[a * numOps + o] > raw.sum[b * numOps + o])
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
      // dominates in array steps.
      for (int32_t u : prev)
        if (!(gr <= unrolledSteps(b, u, target.rows) &&
              gc <= unrolledSteps(b, u, target.cols)))
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
    return makeError("layer '" + workload.name + "' has " +
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
    bufferBytesPerElement.push_back(op.bytesPerElement *
                                    (options.cost.doubleBuffering ? 2 : 1));
    memOf.push_back(model.getMemoryIndex(o));
    readWrite.push_back(op.role == OperandRole::ReadWrite);
    classes.push_back(model.getOperandClass(o));
  }
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

  std::optional<DramCostModel::LinearRates> rates =
      options.cost.getDramModel().getLinearRates(target);
  macEnergy = static_cast<double>(macs) * target.macEnergyPJ;
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
      need = satAdd(need, satMul(satMul(constFoot[o], minRest[o]),
                                 bufferBytesPerElement[o]));
      names += (names.empty() ? "'" : ", '") + workload.operands[o].name + "'";
    }
    if (need > mem.capacityBytes)
      return makeError(
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
  if ((energyLike() || model.hasLinearDram()) &&
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

  void run() { descend(0); }

  Best best;
  SearchStats stats;

private:
  bool fits(unsigned level, ArrayRef<int64_t> f) const;
  /// A lower bound of the objective over every completion of the units
  /// before `level` (cycle objectives only).
  double lowerBound(unsigned level);
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
    return s.cycleObjective() && level < s.units.size() &&
           lowerBound(level) > getBound() * (1 + 1e-9);
  }
  void descend(unsigned level);
  void descendFront(unsigned level);
  void leaf(unsigned level);
  const std::vector<OrderEntry> &getOrders(uint32_t mask);

  const LayerSearch &s;
  unsigned residue, modulus;
  std::atomic<double> *sharedBound;
  SmallVector<int64_t, 8> tile, count, gRow, gCol;
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
    need[s.memOf[o]] = satAdd(
        need[s.memOf[o]], satMul(satMul(f[o], s.minRest[level * s.numOps + o]),
                                 s.bufferBytesPerElement[o]));
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
    for (unsigned o = 0; o < ops; ++o) {
      if (s.memOf[o] != m)
        continue;
      int64_t bytes = satMul(prevFoot[o], s.bufferBytesPerElement[o]);
      if (s.relMask[o] & (1u << d))
        rel = satAdd(rel, bytes);
      else
        irr = satAdd(irr, bytes);
    }
    if (irr > mem.capacityBytes)
      return;
    if (rel > 0)
      tmax = std::min(tmax, (mem.capacityBytes - irr) / rel);
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

double Worker::lowerBound(unsigned level) {
  // cycles >= compute cycles and >= DRAM cycles (docs/search.md); energy >=
  // MACs + the array's accesses + every operand's footprint sum moved once.
  // Unassigned dims take their fewest array steps and smallest sums.
  uint32_t done = s.assigned[level];
  unsigned ops = s.numOps;
  bool edp = s.options.objective == Objective::EDP;
  double bestCC = std::numeric_limits<double>::infinity();
  double bestArray = bestCC;
  for (unsigned i = 0; i < s.spatials.size(); ++i) {
    auto [r, c] = s.spatialDims[i];
    int64_t base = s.spatialBase[i];
    int64_t gr = r < 0 ? 1 : ((done >> r) & 1) ? gRow[r] : s.minGRow[r];
    int64_t gc = c < 0 ? 1 : ((done >> c) & 1) ? gCol[c] : s.minGCol[c];
    bestCC = std::min(bestCC, static_cast<double>(base * gr * gc));
    if (!edp)
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
  double bytes = 0, traffic = 0;
  for (unsigned o = 0; o < ops; ++o) {
    double minSum = static_cast<double>(sum[level * ops + o]) *
                    static_cast<double>(s.minRestSum[level * ops + o]) *
                    static_cast<double>(s.bytesPerElement[o]);
    bytes += minSum;
    traffic += minSum * s.trafficPJPerByte[o];
  }
  double cycles = std::max(bestCC, bytes * s.cyclesPerByte);
  if (!edp)
    return cycles;
  return (s.macEnergy + bestArray + traffic) * cycles;
}

const std::vector<OrderEntry> &Worker::getOrders(uint32_t mask) {
  auto it = orderCache.find(mask);
  if (it != orderCache.end())
    return it->second;
  return orderCache.try_emplace(mask, s.computeOrders(mask, count))
      .first->second;
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

  // Spatial mappings: energy depends on them only through the array's
  // accesses (one addend, getArrayEnergyPJ), cycles only through the
  // compute cycles; keep the best by the objective (both for EDP).
  chosen.clear();
  Objective objective = s.options.objective;
  double bestE = 0;
  int64_t bestC = 0;
  struct Option {
    unsigned index;
    int64_t cycles;
    double energy;
  };
  SmallVector<Option, 64> all;
  for (unsigned i = 0; i < s.spatials.size(); ++i) {
    auto [r, c] = s.spatialDims[i];
    int64_t base = s.spatialBase[i];
    int64_t cc = base;
    if (r >= 0)
      cc *= gRow[r];
    if (c >= 0)
      cc *= gCol[c];
    for (unsigned o = 0; o < ops; ++o) {
      int64_t a = base;
      if (r >= 0)
        a *= (s.relMask[o] & (1u << r)) ? s.bound[r] : gRow[r];
      if (c >= 0)
        a *= (s.relMask[o] & (1u << c)) ? s.bound[c] : gCol[c];
      access[o] = a;
    }
    double e = s.model.getArrayEnergyPJ(access);
    if (objective == Objective::EDP) {
      all.push_back({i, cc, e});
      continue;
    }
    bool better;
    if (chosen.empty())
      better = true;
    else if (objective == Objective::Latency)
      better = cc < bestC || (cc == bestC && e < bestE);
    else
      better = e < bestE || (e == bestE && cc < bestC);
    if (better) {
      chosen.clear();
      chosen.push_back({i, cc, access});
      bestE = e;
      bestC = cc;
    }
  }
  if (objective == Objective::EDP) {
    // Pareto front of (compute cycles, array energy).
    llvm::stable_sort(all, [](const Option &a, const Option &b) {
      return a.cycles < b.cycles ||
             (a.cycles == b.cycles && a.energy < b.energy);
    });
    for (const Option &opt : all) {
      if (!chosen.empty() && !(opt.energy < bestE))
        continue;
      auto [r, c] = s.spatialDims[opt.index];
      int64_t base = s.spatialBase[opt.index];
      for (unsigned o = 0; o < ops; ++o) {
        int64_t a = base;
        if (r >= 0)
          a *= (s.relMask[o] & (1u << r)) ? s.bound[r] : gRow[r];
        if (c >= 0)
          a *= (s.relMask[o] & (1u << c)) ? s.bound[c] : gCol[c];
        access[o] = a;
      }
      chosen.push_back({opt.index, opt.cycles, access});
      bestE = opt.energy;
    }
  }

  // For the per-order bound of the cycle objectives.
  double limit = getBound() * (1 + 1e-9);
  bool bounded =
      s.cycleObjective() && limit < std::numeric_limits<double>::infinity();
  double leafCC = std::numeric_limits<double>::infinity(), leafArray = leafCC;
  if (bounded)
    for (const SpatialChoice &sp : chosen) {
      leafCC = std::min(leafCC, static_cast<double>(sp.cycles));
      leafArray = std::min(leafArray, s.model.getArrayEnergyPJ(sp.access));
    }

  inputs.steps = steps;
  for (const OrderEntry &entry : orders) {
    for (unsigned o = 0; o < ops; ++o) {
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
        in.dramWriteBytes = satMul(elems, s.bytesPerElement[o]);
        in.dramReadBytes = satMul(satMul(m - 1, sm[o]), s.bytesPerElement[o]);
      } else {
        in.dramReadBytes = satMul(elems, s.bytesPerElement[o]);
        in.dramWriteBytes = 0;
      }
      in.visits = v;
      in.distinctTiles = v / m;
      in.tileBytes = satMul(f[o], s.bytesPerElement[o]);
    }
    if (bounded) {
      // cycles >= max(compute, DRAM time); energy >= MACs + array + traffic.
      double bytes = 0, traffic = 0;
      for (unsigned o = 0; o < ops; ++o) {
        const OperandCostInputs &in = inputs.operands[o];
        double moved =
            static_cast<double>(in.dramReadBytes + in.dramWriteBytes);
        bytes += moved;
        traffic += static_cast<double>(s.readWrite[o] ? in.dramWriteBytes
                                                      : in.dramReadBytes) *
                   s.trafficPJPerByte[o];
      }
      double bound = std::max(leafCC, bytes * s.cyclesPerByte);
      if (objective == Objective::EDP)
        bound *= s.macEnergy + leafArray + traffic;
      if (bound > limit)
        continue;
    }
    for (const SpatialChoice &sp : chosen) {
      inputs.computeCycles = sp.cycles;
      for (unsigned o = 0; o < ops; ++o)
        inputs.operands[o].arrayAccesses = sp.access[o];
      CostSummary summary = s.model.summarize(inputs);
      ++stats.evaluations;
      double obj = summary.getObjective(objective);
      int cmp = best.valid ? compareNumbers(obj, summary.energyPJ,
                                            summary.cycles, best)
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

void LayerSearch::run(unsigned residue, unsigned modulus, const Best &incumbent,
                      std::atomic<double> *sharedBound, Best &best,
                      SearchStats &stats) const {
  Worker worker(*this, residue, modulus, incumbent, sharedBound);
  worker.run();
  best = std::move(worker.best);
  stats = worker.stats;
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

} // namespace

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

  std::unique_ptr<llvm::DefaultThreadPool> pool;
  if (options.threads != 1)
    pool = std::make_unique<llvm::DefaultThreadPool>(
        llvm::hardware_concurrency(options.threads));
  auto parallelFor = [&](size_t n, const std::function<void(size_t)> &fn) {
    if (!pool) {
      for (size_t i = 0; i < n; ++i)
        fn(i);
      return;
    }
    for (size_t i = 0; i < n; ++i)
      pool->async([&fn, i] { fn(i); });
    pool->wait();
  };

  // Phase 1: analysis and candidate lists.
  parallelFor(numUnique, [&](size_t u) {
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
  unsigned threads = pool ? pool->getMaxConcurrency() : 1;
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
  parallelFor(chunks.size(), [&](size_t i) {
    Chunk &c = chunks[i];
    searches[c.unique]->run(c.residue, c.modulus, incumbents[c.unique],
                            &bounds[c.unique], c.best, c.stats);
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
  parallelFor(numUnique, [&](size_t u) {
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
      return makeError(errors[u]);
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
    line(row.layer, row.op, row.dramBytes);
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
