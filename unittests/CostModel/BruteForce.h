//===- BruteForce.h - loop-nest simulator (test ground truth) ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The ground truth for the access-count contract (DESIGN.md §5): a simulator
// that literally walks every tile of the loop nest in order, computes every
// operand's tile footprint by projecting every iteration point of the tile,
// and counts fetches, read-backs and write-backs as the contract says. Test
// code only: it is slow on purpose and shares nothing with the closed form.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_COSTMODEL_BRUTEFORCE_H
#define ROMAC_UNITTESTS_COSTMODEL_BRUTEFORCE_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"

#include <cstdint>
#include <vector>

namespace romac::test {

/// What the simulator observed for one operand.
struct SimulatedOperand {
  int64_t visits = 0;
  int64_t distinctTiles = 0;
  int64_t fetches = 0;
  int64_t writebacks = 0;
  int64_t readElements = 0;
  int64_t writeElements = 0;
  /// Read elements when each fetch only brings what the previous tile of
  /// the operand did not already hold (the "halo-reuse" refinement).
  int64_t haloReadElements = 0;
  int64_t maxTileElements = 0;
};

/// The footprint of every tile of a workload under some tile sizes,
/// computed point by point. Independent of the loop order, so one table
/// serves every order.
class TileFootprints {
public:
  TileFootprints(const Workload &workload,
                 const std::vector<int64_t> &tileSizes);

  /// A clipped box: per tensor dim [lo, hi]; empty when some hi < lo.
  struct Box {
    std::vector<int64_t> lo, hi;
    int64_t size = 0;
  };
  /// The box of operand `operand` for the tile with per-dim indices `idx`.
  const Box &get(unsigned operand, const std::vector<int64_t> &idx) const;

  const std::vector<int64_t> &getNumTiles() const { return numTiles; }

private:
  int64_t linearize(const std::vector<int64_t> &idx) const;

  const Workload &workload;
  std::vector<int64_t> tileSizes, numTiles;
  /// boxes[operand][linear tile index].
  std::vector<std::vector<Box>> boxes;
};

/// Walks the tile loops of `mapping` (whose tile sizes must be those of
/// `footprints`) and returns, per operand, what the contract counts.
std::vector<SimulatedOperand>
simulateLoopNest(const Workload &workload, const Mapping &mapping,
                 const TileFootprints &footprints);

} // namespace romac::test

#endif // ROMAC_UNITTESTS_COSTMODEL_BRUTEFORCE_H
