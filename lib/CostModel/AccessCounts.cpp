//===- AccessCounts.cpp - DRAM traffic of a tiled loop nest -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Closed form of the access-count contract (docs/access-counts.md).
//
// Let T[d] = ceil(bound[d] / tile[d]) and let the tile loops run in
// `order`. For an operand X, let L be the innermost position whose dim X
// depends on and that has more than one tile. X's tile index changes exactly
// when a loop at a position <= L advances, so X is visited
// V = prod_{p <= L} T[order[p]] times, and every distinct tile (a
// combination of tile indices of the dims X depends on) is visited
// M = prod_{p <= L, X independent of order[p]} T[order[p]] times. The
// traffic is then M (or M - 1, for read-backs) times S, the sum of the
// clipped footprints over all distinct tiles; S factors over groups of
// tensor dims that share loop dims, and each group's sum enumerates tile
// positions (never elements).
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/AccessCounts.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <limits>
#include <numeric>

using namespace romac;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
using llvm::SmallVector;

namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

/// Non-negative arithmetic that saturates at INT64_MAX and remembers it.
struct Checked {
  bool overflow = false;
  int64_t mul(int64_t a, int64_t b) {
    int64_t r;
    if (llvm::MulOverflow(a, b, r)) {
      overflow = true;
      return kSaturated;
    }
    return r;
  }
  int64_t add(int64_t a, int64_t b) {
    int64_t r;
    if (llvm::AddOverflow(a, b, r)) {
      overflow = true;
      return kSaturated;
    }
    return r;
  }
};

/// Tile sizes and tile counts of every loop dim.
struct Tiling {
  Tiling(const Workload &workload, ArrayRef<int64_t> tileSizes)
      : workload(workload), tile(tileSizes) {
    for (auto [size, dim] : llvm::zip_equal(tileSizes, workload.dims))
      count.push_back((dim.bound + size - 1) / size);
  }
  /// First and last iteration of tile `i` of dim `d`.
  int64_t first(unsigned d, int64_t i) const { return i * tile[d]; }
  int64_t last(unsigned d, int64_t i) const {
    return std::min(first(d, i) + tile[d], workload.dims[d].bound) - 1;
  }

  const Workload &workload;
  ArrayRef<int64_t> tile;
  SmallVector<int64_t, 8> count;
};

/// Unclipped [min, max] of `expr` over the iteration box of the tile with
/// per-dim tile indices `idx`. Workload::verify() bounds every partial sum.
std::pair<int64_t, int64_t>
indexRange(const IndexExpr &expr, const Tiling &tiling, ArrayRef<int64_t> idx) {
  int64_t lo = expr.constant, hi = expr.constant;
  for (const AffineTerm &term : expr.terms) {
    int64_t a = term.coeff * tiling.first(term.dim, idx[term.dim]);
    int64_t b = term.coeff * tiling.last(term.dim, idx[term.dim]);
    lo += std::min(a, b);
    hi += std::max(a, b);
  }
  return {lo, hi};
}

/// Length of `[lo, hi]` intersected with `[0, extent)`.
int64_t clippedLength(std::pair<int64_t, int64_t> range, int64_t extent) {
  int64_t lo = std::max<int64_t>(range.first, 0);
  int64_t hi = std::min(range.second, extent - 1);
  return hi < lo ? 0 : hi - lo + 1;
}

/// Length of the intersection of two ranges, clipped to `[0, extent)`.
int64_t overlapLength(std::pair<int64_t, int64_t> a,
                      std::pair<int64_t, int64_t> b, int64_t extent) {
  return clippedLength(
      {std::max(a.first, b.first), std::min(a.second, b.second)}, extent);
}

/// Calls `fn()` once for every combination of `idx[d]` in
/// `[first[d], first[d] + count[d])` over the dims `dims` (other entries of
/// `idx` are left alone). Does nothing if some count is 0.
template <typename Fn>
void forEachTile(ArrayRef<unsigned> dims, ArrayRef<int64_t> first,
                 ArrayRef<int64_t> count, MutableArrayRef<int64_t> idx, Fn fn) {
  for (unsigned d : dims) {
    if (count[d] <= 0)
      return;
    idx[d] = first[d];
  }
  while (true) {
    fn();
    size_t i = 0;
    for (; i < dims.size(); ++i) {
      unsigned d = dims[i];
      if (++idx[d] < first[d] + count[d])
        break;
      idx[d] = first[d];
    }
    if (i == dims.size())
      return;
  }
}

/// Footprint, in elements, of the tile `idx` restricted to one component.
int64_t componentFootprint(const Operand &op,
                           const AccessCountModel::Component &comp,
                           const Tiling &tiling, ArrayRef<int64_t> idx) {
  int64_t f = 1;
  for (unsigned j : comp.tensorDims)
    f *= clippedLength(indexRange(op.projection[j], tiling, idx), op.extent[j]);
  return f;
}

} // namespace

//===----------------------------------------------------------------------===//
// AccessCountOptions / AccessCounts
//===----------------------------------------------------------------------===//

std::string AccessCountOptions::str() const {
  SmallVector<llvm::StringRef, 2> names;
  if (haloReuse)
    names.push_back("halo-reuse");
  if (doubleBuffering)
    names.push_back("double-buffering");
  return names.empty() ? "none" : llvm::join(names, ",");
}

int64_t AccessCounts::getTotalBytes() const {
  int64_t total;
  return llvm::AddOverflow(readBytes, writeBytes, total) ? kSaturated : total;
}

const OperandAccessCounts *AccessCounts::lookup(const Workload &workload,
                                                llvm::StringRef name) const {
  for (const OperandAccessCounts &c : operands)
    if (workload.operands[c.operand].name == name)
      return &c;
  return nullptr;
}

std::string AccessCounts::str(const Workload &workload) const {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0,-10} {1,10} {2,10} {3,10} {4,14} {5,14} {6,12}\n",
                      "operand", "visits", "fetches", "writebacks",
                      "read_bytes", "write_bytes", "tile_bytes");
  for (const OperandAccessCounts &c : operands)
    os << llvm::formatv("{0,-10} {1,10} {2,10} {3,10} {4,14} {5,14} {6,12}\n",
                        workload.operands[c.operand].name, c.visits, c.fetches,
                        c.writebacks, c.readBytes, c.writeBytes, c.tileBytes);
  os << llvm::formatv("{0,-10} {1,10} {2,10} {3,10} {4,14} {5,14} {6,12}\n",
                      "total", "", "", "", readBytes, writeBytes, bufferBytes);
  os << "refinements: " << options.str() << (overflow ? " (overflow)" : "")
     << "\n";
  return out;
}

//===----------------------------------------------------------------------===//
// AccessCountModel
//===----------------------------------------------------------------------===//

AccessCountModel::AccessCountModel(const Workload &workload)
    : workload(workload) {
  size_t numDims = workload.dims.size();
  for (const Operand &op : workload.operands) {
    OperandInfo &info = infos.emplace_back();
    info.relevant.assign(numDims, false);
    for (const IndexExpr &expr : op.projection)
      for (const AffineTerm &term : expr.terms)
        info.relevant[term.dim] = true;
    info.components = op.getDimComponents(numDims);
  }
}

int64_t AccessCountModel::getFootprintElements(ArrayRef<int64_t> tileSizes,
                                               unsigned operand) const {
  assert(tileSizes.size() == workload.dims.size() && "one tile per dim");
  Tiling tiling(workload, tileSizes);
  const Operand &op = workload.operands[operand];
  SmallVector<int64_t, 8> idx(workload.dims.size(), 0);
  SmallVector<int64_t, 8> zeros(workload.dims.size(), 0);
  // Components are independent, so the largest product is the product of
  // the largest factors. Each factor is at most the tensor size.
  int64_t result = 1;
  for (const Component &comp : infos[operand].components) {
    int64_t best = 0;
    forEachTile(comp.loopDims, zeros, tiling.count, idx, [&] {
      best = std::max(best, componentFootprint(op, comp, tiling, idx));
    });
    result *= best;
  }
  return result;
}

AccessCounts
AccessCountModel::compute(const Mapping &mapping,
                          const AccessCountOptions &options) const {
  size_t numDims = workload.dims.size();
  assert(mapping.tileSizes.size() == numDims &&
         mapping.order.size() == numDims && "mapping does not fit workload");
  Tiling tiling(workload, mapping.tileSizes);
  Checked ck;
  AccessCounts result;
  result.options = options;

  SmallVector<unsigned, 8> pos(numDims);
  for (auto [p, d] : llvm::enumerate(mapping.order))
    pos[d] = p;
  SmallVector<int64_t, 8> idx(numDims, 0), newIdx(numDims, 0);
  SmallVector<int64_t, 8> first(numDims, 0), count(numDims, 0);

  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    const OperandInfo &info = infos[o];
    OperandAccessCounts c;
    c.operand = o;

    // Sum and maximum of the clipped footprints over all distinct tiles.
    int64_t sum = 1, maxTile = 1;
    for (const Component &comp : info.components) {
      int64_t compSum = 0, compMax = 0;
      forEachTile(comp.loopDims, first, tiling.count, idx, [&] {
        int64_t f = componentFootprint(op, comp, tiling, idx);
        compSum = ck.add(compSum, f);
        compMax = std::max(compMax, f);
      });
      sum = ck.mul(sum, compSum);
      maxTile *= compMax;
    }

    // L: innermost position of a relevant loop with more than one tile.
    int last = -1;
    for (auto [p, d] : llvm::enumerate(mapping.order))
      if (info.relevant[d] && tiling.count[d] > 1)
        last = p;
    int64_t visits = 1, revisits = 1, distinct = 1;
    for (int p = 0; p <= last; ++p) {
      unsigned d = mapping.order[p];
      visits = ck.mul(visits, tiling.count[d]);
      if (!info.relevant[d])
        revisits = ck.mul(revisits, tiling.count[d]);
    }
    for (unsigned d = 0; d < numDims; ++d)
      if (info.relevant[d])
        distinct = ck.mul(distinct, tiling.count[d]);

    int64_t traffic = ck.mul(revisits, sum);
    c.visits = visits;
    c.distinctTiles = distinct;
    if (op.role == OperandRole::ReadWrite) {
      c.writebacks = visits;
      c.fetches = visits - distinct;
      c.writeElements = traffic;
      c.readElements = ck.mul(revisits - 1, sum);
    } else {
      c.fetches = visits;
      c.readElements = traffic;
    }

    // Halo reuse: subtract, over every transition between consecutive
    // visits, the overlap of the previous and the next footprint. At a
    // transition where the loop at position k advances, loops outside k keep
    // their tile, k moves from i to i + 1 and relevant loops inside k wrap
    // from their last tile to the first.
    if (options.haloReuse && op.role == OperandRole::Read) {
      int64_t saved = 0, outerMult = 1;
      for (int k = 0; k <= last; ++k) {
        unsigned dk = mapping.order[k];
        int64_t tk = tiling.count[dk];
        if (tk > 1) {
          int64_t term =
              info.relevant[dk] ? outerMult : ck.mul(outerMult, tk - 1);
          for (const Component &comp : info.components) {
            for (unsigned d : comp.loopDims) {
              bool inner = static_cast<int>(pos[d]) > k;
              first[d] = inner ? tiling.count[d] - 1 : 0;
              count[d] =
                  inner ? 1
                        : (static_cast<int>(pos[d]) == k ? tiling.count[d] - 1
                                                         : tiling.count[d]);
            }
            int64_t compSum = 0;
            forEachTile(comp.loopDims, first, count, idx, [&] {
              int64_t f = 1;
              for (unsigned d : comp.loopDims) {
                int p = pos[d];
                newIdx[d] = p < k ? idx[d] : (p == k ? idx[d] + 1 : 0);
              }
              for (unsigned j : comp.tensorDims)
                f *= overlapLength(indexRange(op.projection[j], tiling, idx),
                                   indexRange(op.projection[j], tiling, newIdx),
                                   op.extent[j]);
              compSum = ck.add(compSum, f);
            });
            term = ck.mul(term, compSum);
          }
          saved = ck.add(saved, term);
        }
        if (!info.relevant[dk])
          outerMult = ck.mul(outerMult, tk);
      }
      for (unsigned d = 0; d < numDims; ++d)
        first[d] = 0;
      c.readElements -= saved;
    }

    c.tileElements = maxTile;
    c.tileBytes = op.getStorageBytes(maxTile);
    c.bufferBytes =
        options.doubleBuffering ? ck.mul(c.tileBytes, 2) : c.tileBytes;
    c.readBytes = op.getStorageBytes(c.readElements);
    c.writeBytes = op.getStorageBytes(c.writeElements);
    if (c.readBytes == INT64_MAX || c.writeBytes == INT64_MAX)
      ck.overflow = true;

    result.readElements = ck.add(result.readElements, c.readElements);
    result.writeElements = ck.add(result.writeElements, c.writeElements);
    result.readBytes = ck.add(result.readBytes, c.readBytes);
    result.writeBytes = ck.add(result.writeBytes, c.writeBytes);
    result.bufferBytes = ck.add(result.bufferBytes, c.bufferBytes);
    result.operands.push_back(c);
  }
  result.overflow = ck.overflow;
  return result;
}

//===----------------------------------------------------------------------===//
// Free functions
//===----------------------------------------------------------------------===//

AccessCounts romac::computeAccessCounts(const Workload &workload,
                                        const Mapping &mapping,
                                        const AccessCountOptions &options) {
  return AccessCountModel(workload).compute(mapping, options);
}

llvm::Expected<AccessCounts>
romac::computeAccessCountsChecked(const Workload &workload,
                                  const Mapping &mapping,
                                  const AccessCountOptions &options) {
  if (llvm::Error err = workload.verify())
    return std::move(err);
  if (llvm::Error err = mapping.verify(workload))
    return std::move(err);
  AccessCounts counts = computeAccessCounts(workload, mapping, options);
  if (counts.overflow)
    return makeStringError("access counts of '" + workload.name + "' under " +
                           mapping.str(workload) + " overflow int64");
  return counts;
}

int64_t romac::footprintElements(const Workload &workload,
                                 ArrayRef<int64_t> tileSizes,
                                 unsigned operand) {
  return AccessCountModel(workload).getFootprintElements(tileSizes, operand);
}

int64_t romac::footprintBytes(const Workload &workload,
                              ArrayRef<int64_t> tileSizes, unsigned operand) {
  return workload.operands[operand].getStorageBytes(
      footprintElements(workload, tileSizes, operand));
}
