//===- Mapping.h - tiling of a workload at one memory level -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DRAM -> SRAM level of a mapping: a tile size per loop dim and the order
// of the tile loops (outermost first). The order decides the reuse scheme:
// an operand stays resident while only loops it does not depend on change.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_COSTMODEL_MAPPING_H
#define ROMAC_COSTMODEL_MAPPING_H

#include "romac/Analysis/Workload.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>

namespace romac {

/// Tile sizes and tile-loop order of one workload at the DRAM -> SRAM level.
/// Both are indexed by position in `Workload::dims`.
struct Mapping {
  /// Tile size of every loop dim, in `[1, bound]` (the bound when the dim is
  /// not tiled). The last tile of a dim is smaller when the size does not
  /// divide the bound.
  llvm::SmallVector<int64_t, 8> tileSizes;
  /// The tile loops outermost first: a permutation of `0 .. dims.size()-1`.
  llvm::SmallVector<unsigned, 8> order;

  /// The untiled mapping: every tile is the whole dim, loops in dim order.
  static Mapping untiled(const Workload &workload);
  /// Builds a mapping from dim names. Dims missing from `tiles` are not
  /// tiled; `order` must name every dim exactly once. Errors name the
  /// offending dim.
  static llvm::Expected<Mapping>
  get(const Workload &workload,
      llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> tiles,
      llvm::ArrayRef<llvm::StringRef> order);

  /// Checks that there is one tile size per dim, each in `[1, bound]`, and
  /// that `order` is a permutation of the dims.
  llvm::Error verify(const Workload &workload) const;

  /// Number of tiles of dim `dim`: `ceil(bound / tileSize)`.
  int64_t getNumTiles(const Workload &workload, unsigned dim) const;

  /// Prints "tile{N=1,K=16,...} order[K,C,P,Q,N,R,S]".
  std::string str(const Workload &workload) const;
};

/// One DRAM-level tile loop as a schedule states it: tile `t` in
/// `[0, count)` covers iterations `[t * step, min(t * step + size, bound))`
/// of its dim. A correct loop has `step == size` and
/// `count == ceil(bound / size)`.
struct TileLoop {
  int64_t size = 1;
  int64_t step = 1;
  int64_t count = 1;

  bool operator==(const TileLoop &other) const {
    return size == other.size && step == other.step && count == other.count;
  }
};

/// The tile loops a mapping means (one per dim, in dim order).
llvm::SmallVector<TileLoop, 8> getTileLoops(const Workload &workload,
                                            const Mapping &mapping);

} // namespace romac

#endif // ROMAC_COSTMODEL_MAPPING_H
