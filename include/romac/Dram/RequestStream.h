//===- RequestStream.h - the DRAM requests of a tiled layer -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tile schedule of a layer as DRAM traffic. The tile loops of a Mapping
// run in order (outermost first) and, per the access-count contract
// (docs/access-counts.md):
//
//  - an operand's tile is transferred when its tile index changes (and at
//    the first step); a read operand's tile is fetched;
//  - a read-write operand's previous tile is written back when its index
//    changes (and at the end); a tile visited before is read back first.
//
// Within one step, the write-backs of all changed read-write operands come
// first (operand order), then the fetches and read-backs (operand order).
// A transfer moves the tile's clipped footprint box; laid over the tensor's
// layout it covers contiguous byte runs, in increasing address order, and
// each run is cut into bursts. A burst shared by two runs of one transfer
// is moved once.
//
// forEachTileTransfer() and forEachBurst() walk this literally, one tile
// position and one burst at a time: the ground truth of the DRAM model.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_REQUESTSTREAM_H
#define ROMAC_DRAM_REQUESTSTREAM_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Dram/Layout.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace romac {

/// One tile transfer between DRAM and an on-chip buffer.
struct TileTransfer {
  /// Index into `Workload::operands`.
  unsigned operand = 0;
  /// A write-back (else a fetch or a read-back).
  bool isWrite = false;
  /// A read-back of a read-write operand's partial sums.
  bool isReadBack = false;
  /// Index of the tile position in loop order (0-based); write-backs at the
  /// end carry the number of positions.
  uint64_t step = 0;
  /// Tile index of every loop dim (the operand's tile is the projection).
  llvm::ArrayRef<int64_t> tileIndex;
  /// The clipped footprint box: per tensor dim `[lo, lo + size)`.
  llvm::ArrayRef<int64_t> boxLo;
  llvm::ArrayRef<int64_t> boxSize;
  /// Elements in the box.
  int64_t elements = 0;
};

/// Calls \p fn for every tile transfer of \p workload under \p mapping, in
/// schedule order. Both must be valid. Walks every tile position; detects
/// index changes by comparing tile indices and revisits with a set.
void forEachTileTransfer(const Workload &workload, const Mapping &mapping,
                         llvm::function_ref<void(const TileTransfer &)> fn);

/// One burst request: `burst` is the burst address (byte address >>
/// log2(bytes per burst)).
struct DramRequest {
  uint64_t burst = 0;
  unsigned operand = 0;
  bool isWrite = false;
};

/// Calls \p fn for every burst of the schedule, in order: every transfer of
/// forEachTileTransfer() laid over \p layout and cut into bursts of
/// `1 << burstOffsetBits` bytes (a burst shared by consecutive runs of one
/// transfer is requested once). \p onTransfer, when given, is called before
/// each transfer's bursts.
void forEachBurst(
    const Workload &workload, const Mapping &mapping, const LayerLayout &layout,
    unsigned burstOffsetBits, llvm::function_ref<void(const DramRequest &)> fn,
    llvm::function_ref<void(const TileTransfer &)> onTransfer = nullptr);

/// Turns byte runs given in increasing address order into ranges of
/// consecutive bursts, a burst shared by neighbouring runs counted once:
/// forEachBurstRange()'s merging, inline for hot loops. \p Sink is called as
/// sink(firstBurst, numBursts).
template <typename Sink> class BurstRangeMerger {
public:
  BurstRangeMerger(unsigned burstOffsetBits, Sink &sink)
      : burstOffsetBits(burstOffsetBits), sink(sink) {}

  void add(uint64_t addr, uint64_t bytes) {
    uint64_t f = addr >> burstOffsetBits;
    uint64_t l = (addr + bytes - 1) >> burstOffsetBits;
    if (any && f < next)
      f = next; // the burst is shared with the previous run
    if (f > l)
      return;
    if (any && f == next) {
      next = l + 1;
      return;
    }
    if (any)
      sink(first, next - first);
    first = f;
    next = l + 1;
    any = true;
  }
  /// Reports the pending range.
  void finish() {
    if (any)
      sink(first, next - first);
    any = false;
  }

private:
  unsigned burstOffsetBits;
  Sink &sink;
  bool any = false;
  uint64_t first = 0, next = 0; // pending range [first, next)
};

/// forEachBurstRange() with \p sink inlined (hot loops): sink(firstBurst,
/// numBursts) for every range of consecutive bursts of the box.
template <typename Sink>
void forEachBurstRangeInline(const TensorLayout &layout,
                             llvm::ArrayRef<int64_t> lo,
                             llvm::ArrayRef<int64_t> size,
                             unsigned burstOffsetBits, Sink &sink) {
  BurstRangeMerger<Sink> merger(burstOffsetBits, sink);
  layout.forEachRunGroup(
      lo, size,
      [&](uint64_t addr, uint64_t bytes, uint64_t count, uint64_t stride) {
        for (uint64_t i = 0; i < count; ++i, addr += stride)
          merger.add(addr, bytes);
      });
  merger.finish();
}

/// Calls \p fn(firstBurst, numBursts) for every range of consecutive bursts
/// one transfer of box `[lo, lo + size)` of \p layout moves, in order, with
/// the bursts shared by neighbouring runs counted once.
void forEachBurstRange(const TensorLayout &layout, llvm::ArrayRef<int64_t> lo,
                       llvm::ArrayRef<int64_t> size, unsigned burstOffsetBits,
                       llvm::function_ref<void(uint64_t, uint64_t)> fn);

} // namespace romac

#endif // ROMAC_DRAM_REQUESTSTREAM_H
