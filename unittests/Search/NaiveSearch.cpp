//===- NaiveSearch.cpp - whole-space enumeration for tests ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "NaiveSearch.h"

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"

#include <algorithm>

using namespace romac;
using namespace romac::test;

double romac::test::naiveSpaceSize(const Workload &workload) {
  double space = 1;
  int permuted = 0;
  for (const LoopDim &dim : workload.dims) {
    space *= static_cast<double>(dim.bound);
    if (dim.bound > 1)
      space *= ++permuted;
  }
  return space;
}

NaiveResult romac::test::naiveSearch(const Workload &workload,
                                     const CostTarget &target,
                                     const CostOptions &options) {
  NaiveResult result;
  CostModel model(target, workload, options);
  AccessCountModel counts(workload);
  std::vector<SpatialMapping> spatials = enumerateSpatialMappings(workload);
  size_t numDims = workload.dims.size(), numOps = workload.operands.size();

  std::vector<unsigned> fixed, permuted;
  for (unsigned d = 0; d < numDims; ++d)
    (workload.dims[d].bound > 1 ? permuted : fixed).push_back(d);

  std::vector<int64_t> tiles(numDims, 1);
  std::vector<int64_t> cycles(spatials.size());
  std::vector<llvm::SmallVector<int64_t, 4>> accesses(spatials.size());
  while (true) {
    llvm::Error fit = model.checkCapacity(tiles);
    bool fits = !fit;
    llvm::consumeError(std::move(fit));
    if (fits) {
      for (size_t s = 0; s < spatials.size(); ++s) {
        cycles[s] = model.getComputeCycles(tiles, spatials[s]);
        accesses[s].clear();
        for (unsigned o = 0; o < numOps; ++o)
          accesses[s].push_back(model.getArrayAccesses(tiles, spatials[s], o));
      }
      std::vector<unsigned> perm = permuted;
      do {
        Mapping mapping;
        mapping.tileSizes.assign(tiles.begin(), tiles.end());
        mapping.order.assign(fixed.begin(), fixed.end());
        mapping.order.append(perm.begin(), perm.end());
        AccessCounts c = counts.compute(mapping);
        // Which classes are fetched once per tile.
        std::array<bool, 4> allowed = {true, true, true, true};
        for (const OperandAccessCounts &oc : c.operands) {
          if (oc.visits == oc.distinctTiles)
            continue;
          switch (classifyOperand(workload, oc.operand)) {
          case OperandClass::Input:
            allowed[1] = false;
            break;
          case OperandClass::Weight:
            allowed[2] = false;
            break;
          case OperandClass::Output:
            allowed[3] = false;
            break;
          }
        }
        CostInputs in = model.getInputs(mapping, c, spatials[0]);
        for (size_t s = 0; s < spatials.size(); ++s) {
          in.computeCycles = cycles[s];
          for (unsigned o = 0; o < numOps; ++o)
            in.operands[o].arrayAccesses = accesses[s][o];
          CostSummary summary = model.summarize(in);
          ++result.evaluations;
          for (size_t i = 0; i < kObjectives.size(); ++i) {
            double value = summary.getObjective(kObjectives[i]);
            for (size_t p = 0; p < kPolicies.size(); ++p) {
              NaiveBest &b = result.best[i][p];
              // dram-accesses ties are broken by the energy, like the
              // search does; the others keep the first.
              bool better =
                  !b.valid || value < b.objective ||
                  (kObjectives[i] == Objective::DramAccesses &&
                   value == b.objective && summary.energyPJ < b.energy);
              if (!allowed[p] || !better)
                continue;
              b.valid = true;
              b.objective = value;
              b.energy = summary.energyPJ;
              b.mapping = mapping;
              b.spatial = spatials[s];
            }
          }
        }
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
    // Next tile vector.
    size_t d = 0;
    for (; d < numDims; ++d) {
      if (++tiles[d] <= workload.dims[d].bound)
        break;
      tiles[d] = 1;
    }
    if (d == numDims)
      break;
  }
  return result;
}
