//===- RequestStream.cpp - the DRAM requests of a tiled layer -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/RequestStream.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <set>
#include <vector>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;

void romac::forEachTileTransfer(
    const Workload &workload, const Mapping &mapping,
    llvm::function_ref<void(const TileTransfer &)> fn) {
  size_t numDims = workload.dims.size();
  size_t numOps = workload.operands.size();
  SmallVector<int64_t, 8> numTiles(numDims);
  for (size_t d = 0; d < numDims; ++d)
    numTiles[d] = mapping.getNumTiles(workload, d);

  // Per operand: the loop dims it depends on, its previous tile (key and
  // full loop index), and for read-write operands the tiles seen so far.
  struct OperandState {
    SmallVector<unsigned, 8> dims;
    std::vector<int64_t> key;
    SmallVector<int64_t, 8> tileIndex;
    std::set<std::vector<int64_t>> seen;
    bool valid = false;
  };
  std::vector<OperandState> state(numOps);
  for (size_t o = 0; o < numOps; ++o)
    for (size_t d = 0; d < numDims; ++d)
      if (workload.operands[o].isIndexedBy(d))
        state[o].dims.push_back(d);

  SmallVector<int64_t, 8> idx(numDims, 0);
  SmallVector<int64_t, 4> lo, size;
  auto emit = [&](unsigned o, ArrayRef<int64_t> tileIndex, bool isWrite,
                  bool isReadBack, uint64_t step) {
    size_t rank = workload.operands[o].extent.size();
    lo.resize(rank);
    size.resize(rank);
    TileTransfer t;
    t.operand = o;
    t.isWrite = isWrite;
    t.isReadBack = isReadBack;
    t.step = step;
    t.tileIndex = tileIndex;
    t.elements =
        getTileBox(workload, mapping.tileSizes, o, tileIndex, lo, size);
    t.boxLo = lo;
    t.boxSize = size;
    fn(t);
  };

  SmallVector<bool, 4> changed(numOps);
  std::vector<int64_t> key;
  for (uint64_t step = 0;; ++step) {
    for (size_t o = 0; o < numOps; ++o) {
      key.clear();
      for (unsigned d : state[o].dims)
        key.push_back(idx[d]);
      changed[o] = !state[o].valid || key != state[o].key;
    }
    // Write-backs of the tiles being left.
    for (size_t o = 0; o < numOps; ++o)
      if (changed[o] && state[o].valid &&
          workload.operands[o].role == OperandRole::ReadWrite)
        emit(o, state[o].tileIndex, /*isWrite=*/true, false, step);
    // Fetches and read-backs of the new tiles.
    for (size_t o = 0; o < numOps; ++o) {
      if (!changed[o])
        continue;
      OperandState &s = state[o];
      s.key.clear();
      for (unsigned d : s.dims)
        s.key.push_back(idx[d]);
      s.tileIndex.assign(idx.begin(), idx.end());
      s.valid = true;
      if (workload.operands[o].role == OperandRole::ReadWrite) {
        if (!s.seen.insert(s.key).second)
          emit(o, s.tileIndex, /*isWrite=*/false, /*isReadBack=*/true, step);
      } else {
        emit(o, s.tileIndex, /*isWrite=*/false, false, step);
      }
    }
    // Next tile position: the innermost loop moves first.
    size_t p = numDims;
    for (; p-- > 0;) {
      unsigned d = mapping.order[p];
      if (++idx[d] < numTiles[d])
        break;
      idx[d] = 0;
    }
    if (p == static_cast<size_t>(-1)) {
      for (size_t o = 0; o < numOps; ++o)
        if (workload.operands[o].role == OperandRole::ReadWrite &&
            state[o].valid)
          emit(o, state[o].tileIndex, /*isWrite=*/true, false, step + 1);
      return;
    }
  }
}

void romac::forEachBurstRange(const TensorLayout &layout, ArrayRef<int64_t> lo,
                              ArrayRef<int64_t> size, unsigned burstOffsetBits,
                              llvm::function_ref<void(uint64_t, uint64_t)> fn) {
  forEachBurstRangeInline(layout, lo, size, burstOffsetBits, fn);
}

void romac::forEachBurst(
    const Workload &workload, const Mapping &mapping, const LayerLayout &layout,
    unsigned burstOffsetBits, llvm::function_ref<void(const DramRequest &)> fn,
    llvm::function_ref<void(const TileTransfer &)> onTransfer) {
  forEachTileTransfer(workload, mapping, [&](const TileTransfer &t) {
    if (onTransfer)
      onTransfer(t);
    DramRequest request;
    request.operand = t.operand;
    request.isWrite = t.isWrite;
    forEachBurstRange(layout.operands[t.operand], t.boxLo, t.boxSize,
                      burstOffsetBits, [&](uint64_t first, uint64_t count) {
                        for (uint64_t b = first; b < first + count; ++b) {
                          request.burst = b;
                          fn(request);
                        }
                      });
  });
}
