//===- AccessCounts.h - DRAM traffic of a tiled loop nest -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact, closed-form DRAM <-> SRAM access counts of a workload under a
// mapping, following the access-count contract of DESIGN.md §5:
//
//  - each operand's buffer holds exactly the footprint of its current tile;
//    the tile is fetched whole when its index changes (a loop the operand
//    depends on moves to another tile);
//  - footprints are clipped to the tensor: per tensor dim the contiguous
//    range [min, max] of the projected index over the tile's iteration box,
//    intersected with [0, extent); padding is not read;
//  - a read-write tile is written back when its index changes (and at the
//    end); when it is visited again its partial sums are read back first.
//
// Refinements (halo reuse, double buffering) are named options, off by
// default. docs/access-counts.md derives the formulas; a brute-force
// loop-nest simulator in unittests/CostModel checks them.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_COSTMODEL_ACCESSCOUNTS_H
#define ROMAC_COSTMODEL_ACCESSCOUNTS_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace romac {

/// Named refinements of the access-count contract. Each one is reported by
/// name (AccessCountOptions::str()) and none is on by default.
struct AccessCountOptions {
  /// "halo-reuse": a read operand keeps the part of its previous tile that
  /// its next tile also covers (the overlap of the two footprint boxes, e.g.
  /// the convolution halo between neighbouring windows) and fetches only the
  /// rest. Fetch counts and buffer sizes are unchanged; read-write operands
  /// are not affected.
  bool haloReuse = false;
  /// "double-buffering": every operand gets two tile buffers so the next
  /// tile can be fetched while the current one is used. Traffic is
  /// unchanged; the buffer size doubles.
  bool doubleBuffering = false;

  /// "none", or the enabled refinements joined by ','.
  std::string str() const;
};

/// DRAM traffic of one operand at the DRAM -> SRAM level.
struct OperandAccessCounts {
  /// Index into `Workload::operands`.
  unsigned operand = 0;
  /// Tiles brought into the buffer: one per change of the operand's tile
  /// index, plus the first.
  int64_t visits = 0;
  /// Distinct tiles of the operand: the product of the tile counts of the
  /// dims it depends on.
  int64_t distinctTiles = 0;
  /// DRAM read transfers: `visits` for read operands, `visits -
  /// distinctTiles` (partial-sum read-backs) for read-write operands.
  int64_t fetches = 0;
  /// DRAM write transfers: `visits` for read-write operands, else 0.
  int64_t writebacks = 0;
  int64_t readElements = 0;
  int64_t writeElements = 0;
  int64_t readBytes = 0;
  int64_t writeBytes = 0;
  /// The largest tile footprint (the buffer one tile needs).
  int64_t tileElements = 0;
  int64_t tileBytes = 0;
  /// The buffer the operand needs: `tileBytes`, twice that with double
  /// buffering.
  int64_t bufferBytes = 0;
};

/// DRAM traffic of a workload under a mapping, per operand and in total.
struct AccessCounts {
  /// One entry per operand, in `Workload::operands` order.
  llvm::SmallVector<OperandAccessCounts, 3> operands;
  int64_t readElements = 0;
  int64_t writeElements = 0;
  int64_t readBytes = 0;
  int64_t writeBytes = 0;
  /// Sum of the operands' buffers.
  int64_t bufferBytes = 0;
  /// The refinements these counts include.
  AccessCountOptions options;
  /// Set when a count did not fit in int64_t; such counts saturate at
  /// INT64_MAX.
  bool overflow = false;

  int64_t getTotalBytes() const;
  /// Returns the counts of the operand called `name`, or null.
  const OperandAccessCounts *lookup(const Workload &workload,
                                    llvm::StringRef name) const;
  /// A small table, one line per operand, for logs and test failures.
  std::string str(const Workload &workload) const;
};

/// Precomputes, for one workload, which loop dims every operand depends on
/// and how its tensor dims group into independent components, so that many
/// mappings of the same workload are evaluated cheaply (the search). The
/// workload must pass Workload::verify() and outlive the model.
class AccessCountModel {
public:
  explicit AccessCountModel(const Workload &workload);

  /// The access counts under `mapping`, which must pass Mapping::verify().
  AccessCounts compute(const Mapping &mapping,
                       const AccessCountOptions &options = {}) const;

  /// The largest footprint, in elements, of a tile of operand `operand`
  /// with the given tile sizes (over all tile positions, edge tiles
  /// included; footprints are clipped to the tensor).
  int64_t getFootprintElements(llvm::ArrayRef<int64_t> tileSizes,
                               unsigned operand) const;

  const Workload &getWorkload() const { return workload; }

  /// Tensor dims of one operand that (transitively) share loop dims, with
  /// the union of their loop dims. Footprints factor over components.
  using Component = DimComponent;
  /// What the model precomputes per operand.
  struct OperandInfo {
    llvm::SmallVector<Component, 4> components;
    /// relevant[d]: the operand's projection uses loop dim d.
    llvm::SmallVector<bool, 8> relevant;
  };
  const OperandInfo &getOperandInfo(unsigned operand) const {
    return infos[operand];
  }

private:
  const Workload &workload;
  llvm::SmallVector<OperandInfo, 3> infos;
};

/// Computes the access counts of `workload` under `mapping`. Both must be
/// valid (asserted); counts saturate and set `overflow` if they do not fit.
AccessCounts computeAccessCounts(const Workload &workload,
                                 const Mapping &mapping,
                                 const AccessCountOptions &options = {});

/// Like computeAccessCounts(), but verifies the workload and the mapping and
/// reports an error instead of saturating.
llvm::Expected<AccessCounts>
computeAccessCountsChecked(const Workload &workload, const Mapping &mapping,
                           const AccessCountOptions &options = {});

/// The largest footprint of a tile of operand `operand` under `tileSizes`
/// (one per loop dim), in elements / bytes: what the operand's buffer must
/// hold. Independent of the loop order.
int64_t footprintElements(const Workload &workload,
                          llvm::ArrayRef<int64_t> tileSizes, unsigned operand);
int64_t footprintBytes(const Workload &workload,
                       llvm::ArrayRef<int64_t> tileSizes, unsigned operand);

} // namespace romac

#endif // ROMAC_COSTMODEL_ACCESSCOUNTS_H
