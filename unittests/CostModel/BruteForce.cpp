//===- BruteForce.cpp - loop-nest simulator (test ground truth) -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "BruteForce.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <set>

using namespace romac;
using namespace romac::test;

TileFootprints::TileFootprints(const Workload &workload,
                               const std::vector<int64_t> &tileSizes)
    : workload(workload), tileSizes(tileSizes) {
  size_t numDims = workload.dims.size();
  int64_t total = 1;
  for (size_t d = 0; d < numDims; ++d) {
    numTiles.push_back((workload.dims[d].bound + tileSizes[d] - 1) /
                       tileSizes[d]);
    total *= numTiles.back();
  }
  boxes.resize(workload.operands.size());
  for (std::vector<Box> &table : boxes)
    table.resize(total);

  // Every tile, and in it every iteration point.
  std::vector<int64_t> tile(numDims, 0);
  for (int64_t t = 0; t < total; ++t) {
    std::vector<int64_t> lo(numDims), hi(numDims), point(numDims);
    for (size_t d = 0; d < numDims; ++d) {
      lo[d] = tile[d] * tileSizes[d];
      hi[d] = std::min(lo[d] + tileSizes[d], workload.dims[d].bound);
      point[d] = lo[d];
    }
    for (size_t o = 0; o < workload.operands.size(); ++o) {
      const Operand &op = workload.operands[o];
      size_t rank = op.extent.size();
      Box box;
      box.lo.assign(rank, std::numeric_limits<int64_t>::max());
      box.hi.assign(rank, std::numeric_limits<int64_t>::min());
      std::vector<int64_t> p = point;
      bool done = false;
      while (!done) {
        for (size_t j = 0; j < rank; ++j) {
          int64_t index = op.projection[j].constant;
          for (const AffineTerm &term : op.projection[j].terms)
            index += term.coeff * p[term.dim];
          box.lo[j] = std::min(box.lo[j], index);
          box.hi[j] = std::max(box.hi[j], index);
        }
        done = true;
        for (size_t d = 0; d < numDims; ++d) {
          if (++p[d] < hi[d]) {
            done = false;
            break;
          }
          p[d] = lo[d];
        }
      }
      box.size = 1;
      for (size_t j = 0; j < rank; ++j) {
        box.lo[j] = std::max<int64_t>(box.lo[j], 0);
        box.hi[j] = std::min(box.hi[j], op.extent[j] - 1);
        box.size *= std::max<int64_t>(0, box.hi[j] - box.lo[j] + 1);
      }
      boxes[o][t] = std::move(box);
    }
    for (size_t d = 0; d < numDims; ++d) {
      if (++tile[d] < numTiles[d])
        break;
      tile[d] = 0;
    }
  }
}

int64_t TileFootprints::linearize(const std::vector<int64_t> &idx) const {
  int64_t id = 0;
  for (size_t d = idx.size(); d-- > 0;)
    id = id * numTiles[d] + idx[d];
  return id;
}

const TileFootprints::Box &
TileFootprints::get(unsigned operand, const std::vector<int64_t> &idx) const {
  return boxes[operand][linearize(idx)];
}

/// Elements the two boxes have in common.
static int64_t intersection(const TileFootprints::Box &a,
                            const TileFootprints::Box &b) {
  int64_t size = 1;
  for (size_t j = 0; j < a.lo.size(); ++j)
    size *= std::max<int64_t>(0, std::min(a.hi[j], b.hi[j]) -
                                     std::max(a.lo[j], b.lo[j]) + 1);
  return size;
}

std::vector<SimulatedOperand>
romac::test::simulateLoopNest(const Workload &workload, const Mapping &mapping,
                              const TileFootprints &footprints) {
  size_t numDims = workload.dims.size();
  size_t numOps = workload.operands.size();
  const std::vector<int64_t> &numTiles = footprints.getNumTiles();

  // The dims each operand's tile index is made of.
  std::vector<std::vector<unsigned>> indexDims(numOps);
  for (size_t o = 0; o < numOps; ++o)
    for (unsigned d = 0; d < numDims; ++d)
      for (const IndexExpr &expr : workload.operands[o].projection)
        for (const AffineTerm &term : expr.terms)
          if (term.dim == d && term.coeff != 0 &&
              (indexDims[o].empty() || indexDims[o].back() != d))
            indexDims[o].push_back(d);

  std::vector<SimulatedOperand> result(numOps);
  std::vector<std::vector<int64_t>> current(numOps);
  std::vector<const TileFootprints::Box *> resident(numOps, nullptr);
  std::vector<std::set<std::vector<int64_t>>> seen(numOps);

  // The tile loops, outermost first: an odometer whose last digit is the
  // innermost loop.
  std::vector<int64_t> idx(numDims, 0);
  bool done = false;
  while (!done) {
    for (size_t o = 0; o < numOps; ++o) {
      const Operand &op = workload.operands[o];
      SimulatedOperand &sim = result[o];
      std::vector<int64_t> key;
      for (unsigned d : indexDims[o])
        key.push_back(idx[d]);
      if (resident[o] && key == current[o])
        continue; // Same tile: it stays in the buffer.
      const TileFootprints::Box &box = footprints.get(o, idx);
      sim.maxTileElements = std::max(sim.maxTileElements, box.size);
      bool firstVisit = seen[o].insert(key).second;
      ++sim.visits;
      if (op.role == OperandRole::ReadWrite) {
        if (resident[o]) {
          ++sim.writebacks;
          sim.writeElements += resident[o]->size;
        }
        if (!firstVisit) {
          ++sim.fetches;
          sim.readElements += box.size;
        }
      } else {
        ++sim.fetches;
        sim.readElements += box.size;
        sim.haloReadElements +=
            box.size - (resident[o] ? intersection(*resident[o], box) : 0);
      }
      current[o] = std::move(key);
      resident[o] = &box;
    }
    done = true;
    for (size_t p = numDims; p-- > 0;) {
      unsigned d = mapping.order[p];
      if (++idx[d] < numTiles[d]) {
        done = false;
        break;
      }
      idx[d] = 0;
    }
  }
  // The last tiles of read-write operands go back at the end.
  for (size_t o = 0; o < numOps; ++o) {
    result[o].distinctTiles = seen[o].size();
    if (workload.operands[o].role == OperandRole::ReadWrite && resident[o]) {
      ++result[o].writebacks;
      result[o].writeElements += resident[o]->size;
    }
  }
  return result;
}
