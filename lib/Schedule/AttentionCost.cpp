//===- AttentionCost.cpp - the DRAM traffic of a fused attention -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Attention fused as one tiled computation (an online softmax, as
// FlashAttention does): a tile of queries stays on chip while every key and
// value block streams past; the scores live only in the output buffer
// (docs/streaming-layers.md, "Fused attention").
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"

#include <algorithm>

using namespace romac;

llvm::SmallVector<int64_t, 3>
romac::getAttentionBufferBytes(const AttentionShape &a, AttentionTiles tiles,
                               const CostTarget &target) {
  llvm::SmallVector<int64_t, 3> bytes(target.memories.size(), 0);
  auto add = [&](OperandClass cls, int64_t b) {
    bytes[target.memoryOf[static_cast<unsigned>(cls)]] += b;
  };
  int64_t br = tiles.queryRows, bc = tiles.keyCols;
  add(OperandClass::Input, br * a.headDim * a.queryBytes);
  add(OperandClass::Weight,
      bc * (a.headDim * a.keyBytes + a.valueDim * a.valueBytes));
  add(OperandClass::Output, br * bc * a.scoreBytes +
                                br * a.valueDim * a.outputBytes +
                                2 * br * a.outputBytes);
  return bytes;
}

AttentionTiles romac::chooseAttentionTiles(const AttentionShape &a,
                                           const CostTarget &target) {
  auto fits = [&](AttentionTiles t) {
    llvm::SmallVector<int64_t, 3> bytes = getAttentionBufferBytes(a, t, target);
    for (auto [m, mem] : llvm::enumerate(target.memories))
      if (bytes[m] > mem.capacityBytes)
        return false;
    return true;
  };
  // The most query rows for the smallest key block, then the largest key
  // block for those rows: every buffer's bytes grow with both.
  int64_t lo = 0, hi = a.queries;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits({mid, 1}))
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo == 0)
    return {};
  AttentionTiles best{lo, 1};
  int64_t klo = 1, khi = a.keys;
  while (klo < khi) {
    int64_t mid = klo + (khi - klo + 1) / 2;
    if (fits({best.queryRows, mid}))
      klo = mid;
    else
      khi = mid - 1;
  }
  best.keyCols = klo;
  return best;
}

StreamingTraffic romac::getFusedAttentionTraffic(const AttentionShape &a,
                                                 AttentionTiles tiles) {
  StreamingTraffic t;
  if (tiles.queryRows <= 0)
    return t;
  int64_t passes = (a.queries + tiles.queryRows - 1) / tiles.queryRows;
  t.dramInputBytes = a.batch * a.queries * a.headDim * a.queryBytes;
  t.dramWeightBytes = a.batch * passes * a.keys *
                      (a.headDim * a.keyBytes + a.valueDim * a.valueBytes);
  t.dramWriteBytes = a.batch * a.queries * a.valueDim * a.outputBytes;
  return t;
}
