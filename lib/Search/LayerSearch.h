//===- LayerSearch.h - the search of one workload (private) -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The per-layer search of docs/search.md, shared by the files of the search
// library: LayerSearch (analysis, candidate lists and loop orders;
// LayerSearch.cpp) and its enumeration (Worker; Enumeration.cpp). Search.cpp
// drives them over a network. Private to lib/Search.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_SEARCH_LAYERSEARCH_H
#define ROMAC_LIB_SEARCH_LAYERSEARCH_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Cost.h"
#include "romac/Search/Search.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace romac::search_detail {

using llvm::ArrayRef;
using llvm::SmallVector;

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

inline int64_t satMul(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? kSaturated : r;
}

inline int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  return llvm::AddOverflow(a, b, r) ? kSaturated : r;
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Array steps of all tiles of a dim (bound, tile) over an axis of `axis`.
inline int64_t unrolledSteps(int64_t bound, int64_t tile, int64_t axis) {
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
inline int compareNumbers(double objA, double eA, double cA, const Best &b) {
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
inline bool precedes(const Best &a, const Best &b) {
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
  /// Bytes \p elements of operand \p o take in memory (Operand::
  /// getStorageBytes(), with the plain case inline for the hot loops).
  int64_t storageBytes(unsigned o, int64_t elements) const {
    return compressed[o] ? workload.operands[o].getStorageBytes(elements)
                         : satMul(elements, bytesPerElement[o]);
  }
  /// Buffer bytes of a tile of \p elements of operand \p o (its copies).
  int64_t bufferBytes(unsigned o, int64_t elements) const {
    return satMul(storageBytes(o, elements), bufferCopies);
  }

  const Workload &workload;
  const CostTarget &target;
  SearchOptions options;
  CostModel model;

  unsigned numDims = 0, numOps = 0;
  SmallVector<int64_t, 8> bound;
  /// Per operand: bit d set when the operand depends on dim d.
  SmallVector<uint32_t, 4> relMask;
  /// Per operand: bytes per element of the values (what a kernel packs).
  SmallVector<int64_t, 4> bytesPerElement;
  /// Per operand: average bytes per element in memory (compressed weights
  /// take fewer; Operand::getStorageBytesPerElement()).
  SmallVector<double, 4> storageBytesPerElement;
  /// Per operand: whether it is stored compressed.
  SmallVector<bool, 4> compressed;
  /// Buffer copies of every tile: 2 with double buffering, else 1.
  int64_t bufferCopies = 1;
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
  /// (count, rows steps, cols steps) Pareto front of [1, tmax], descending
  /// (with packing also count x tile).
  std::vector<SmallVector<int32_t, 4>> fronts;

  /// Spatial options (rows dim, cols dim; -1 for none) and per option the
  /// product of the bounds of the other dims.
  std::vector<SpatialMapping> spatials;
  SmallVector<std::pair<int, int>, 64> spatialDims;
  SmallVector<int64_t, 64> spatialBase;

  bool exhaustive = true;
  double candidateSpace = 1, fullSpace = 1;
};

} // namespace romac::search_detail

#endif // ROMAC_LIB_SEARCH_LAYERSEARCH_H
