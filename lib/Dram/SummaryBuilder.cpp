//===- SummaryBuilder.cpp - tile summaries of the fast engine -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "SummaryBuilder.h"

#include "llvm/Support/Compiler.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace romac;
using namespace romac::detail;
using llvm::ArrayRef;

SummaryBuilder::SummaryBuilder(const AddressMapping &mapping,
                               uint64_t controllerQueue)
    : mapping(mapping), controllerQueue(controllerQueue) {
  const DramGeometry &g = mapping.getGeometry();
  channelShift = llvm::Log2_64(g.ranks * g.getBanksPerRank());
  groupShift = llvm::Log2_64(g.banksPerGroup);
  bankState.resize(g.getTotalBanks());
  channelState.resize(g.channels);

  ArrayRef<DramField> bits = mapping.getBitFields();
  while (chunkBits < bits.size() && bits[chunkBits] == DramField::Column)
    ++chunkBits;
  blocks.resize(bits.size() + 1);
  for (size_t k = 1; k <= bits.size(); ++k) {
    const BlockInfo &half = blocks[k - 1];
    BlockInfo &b = blocks[k];
    b = half;
    DramField field = bits[k - 1];
    uint64_t bit = uint64_t(1) << (k - 1);
    bool rowsBelow = half.rowMask != 0;
    // Ra / Bg bits below: the bank-group key of a block's last burst differs
    // from the next block's first.
    uint64_t groupKeyMask = 0;
    for (size_t i = 0; i + 1 < k; ++i)
      if (bits[i] == DramField::Rank || bits[i] == DramField::BankGroup)
        groupKeyMask |= uint64_t(1) << i;
    bool groupKeyBelow = groupKeyMask != 0;
    bool keyBelow = half.bankInChannelMask != 0 || rowsBelow;
    switch (field) {
    case DramField::Channel:
      b.bankMask |= bit;
      b.channelMask |= bit;
      break;
    case DramField::Rank:
    case DramField::BankGroup:
      b.bankMask |= bit;
      b.bankInChannelMask |= bit;
      b.channelBursts = 2 * half.channelBursts;
      b.samePairs = 2 * half.samePairs;
      b.breaks = 2 * half.breaks + 1;
      break;
    case DramField::Bank:
      b.bankMask |= bit;
      b.bankInChannelMask |= bit;
      b.channelBursts = 2 * half.channelBursts;
      b.samePairs = 2 * half.samePairs + (groupKeyBelow ? 0 : 1);
      b.breaks = 2 * half.breaks + 1;
      break;
    case DramField::Row:
      b.rowMask |= bit;
      b.bankBursts = 2 * half.bankBursts;
      b.bankHits = 2 * half.bankHits;
      b.bankHitSpan = 2 * half.bankHitSpan;
      b.bankConflicts = 2 * half.bankConflicts + 1;
      b.bankGroups = 2 * half.bankGroups;
      b.channelBursts = 2 * half.channelBursts;
      b.samePairs = 2 * half.samePairs + (groupKeyBelow ? 0 : 1);
      b.breaks = 2 * half.breaks + 1;
      break;
    case DramField::Column:
      b.bankBursts = 2 * half.bankBursts;
      b.bankHits = 2 * half.bankHits + (rowsBelow ? 0 : 1);
      // The pair across the halves: from offset sub | (bits below but the
      // bank's) to offset bit | sub.
      b.bankHitSpan = 2 * half.bankHitSpan +
                      (rowsBelow ? 0 : bit - ((bit - 1) & ~half.bankMask));
      b.bankConflicts = 2 * half.bankConflicts + (rowsBelow ? 1 : 0);
      b.bankGroups = 2 * half.bankGroups - (keyBelow ? 0 : 1);
      b.channelBursts = 2 * half.channelBursts;
      b.samePairs = 2 * half.samePairs + (groupKeyBelow ? 0 : 1);
      b.breaks = 2 * half.breaks + (keyBelow ? 1 : 0);
      break;
    }
  }
}

void SummaryBuilder::addRangeSlow(uint64_t first, uint64_t count) {
  uint64_t x = first, end = first + count;
  unsigned maxK = blocks.size() - 1;
  uint64_t chunkMask = (uint64_t(1) << chunkBits) - 1;
  while (x < end) {
    // Bursts inside one chunk (one bank and row): no block decomposition.
    uint64_t chunkEnd = (x | chunkMask) + 1;
    if ((x & chunkMask) != 0 || end < chunkEnd) {
      uint64_t n = std::min(end, chunkEnd) - x;
      addChunk(x, n);
      x += n;
      continue;
    }
    unsigned k = x == 0 ? maxK : std::min<unsigned>(llvm::countr_zero(x), maxK);
    k = std::min<unsigned>(k, llvm::Log2_64(end - x));
    addBlock(x, k);
    x += uint64_t(1) << k;
  }
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void
SummaryBuilder::mergeBank(uint64_t b, const BankPiece &piece) {
  BankState &s = bankState[b];
  if (!s.touched) {
    s.touched = true;
    touchedBanks.push_back(b);
    s.firstRow = piece.firstRow;
    s.bursts = piece.bursts;
    s.hits = piece.hits;
    s.conflicts = piece.conflicts;
    s.groups = piece.groups;
    s.firstPos = piece.firstPos;
    s.hitSpan = piece.hitSpan;
  } else {
    if (s.lastRow == piece.firstRow) {
      s.hits += 1;
      s.hitSpan += piece.firstPos - s.lastPos;
    } else {
      s.conflicts += 1;
    }
    s.bursts += piece.bursts;
    s.hits += piece.hits;
    s.conflicts += piece.conflicts;
    s.groups += piece.groups;
    s.hitSpan += piece.hitSpan;
  }
  s.lastRow = piece.lastRow;
  s.lastPos = piece.lastPos;
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void
SummaryBuilder::mergeChannel(uint64_t firstBank, uint64_t firstRow,
                             uint64_t lastBank, uint64_t lastRow, uint64_t n,
                             uint64_t samePairs, uint64_t breaks) {
  uint64_t c = firstBank >> channelShift;
  ChannelState &s = channelState[c];
  if (!s.touched) {
    s.touched = true;
    touchedChannels.push_back(c);
    s.firstBank = firstBank;
    s.firstRow = firstRow;
    s.bursts = n;
    s.samePairs = samePairs;
    s.breaks = breaks;
  } else {
    if (s.lastBank >> groupShift == firstBank >> groupShift)
      ++s.samePairs;
    if (s.lastBank == firstBank && s.lastRow == firstRow)
      --bankState[firstBank].groups; // the group goes on
    else
      ++s.breaks;
    s.bursts += n;
    s.samePairs += samePairs;
    s.breaks += breaks;
  }
  s.lastBank = lastBank;
  s.lastRow = lastRow;
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void SummaryBuilder::addToRun(uint64_t c,
                                                           uint64_t n) {
  run.add(c, n, [&](uint64_t ch, uint64_t length) { runEnded(ch, length); });
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void SummaryBuilder::runEnded(uint64_t c,
                                                           uint64_t length) {
  if (firstRun.channel < 0)
    firstRun = {static_cast<int64_t>(c), length};
  else
    channelState[c].excess += getRunExcess(length, controllerQueue);
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void SummaryBuilder::addChunk(uint64_t x,
                                                           uint64_t n) {
  bursts += n;
  if (pendingN != 0 && (x >> chunkBits) == (pendingX >> chunkBits)) {
    pendingN += n;
    return;
  }
  flushChunk();
  pendingX = x;
  pendingN = n;
  pendingPos = bursts - n;
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void SummaryBuilder::flushChunk() {
  if (pendingN == 0)
    return;
  uint64_t b = mapping.getBankIndex(pendingX);
  uint64_t row = mapping.getRow(pendingX);
  mergeBank(b, {row, row, pendingN, pendingN - 1, 0, 1, pendingPos,
                pendingPos + pendingN - 1, pendingN - 1});
  mergeChannel(b, row, b, row, pendingN, pendingN - 1, 0);
  addToRun(b >> channelShift, pendingN);
  pendingN = 0;
}

LLVM_ATTRIBUTE_ALWAYS_INLINE void SummaryBuilder::addBlock(uint64_t x,
                                                           unsigned k) {
  flushChunk();
  const BlockInfo &info = blocks[k];
  uint64_t pos = bursts;
  uint64_t others = ((uint64_t(1) << k) - 1) & ~info.bankMask;
  bursts += uint64_t(1) << k;
  uint64_t firstRow = mapping.getRow(x);
  uint64_t lastRow = info.rowMask ? mapping.getRow(x | info.rowMask) : firstRow;

  // Every bank the block touches: every value of its low bank bits.
  uint64_t mask = info.bankMask, sub = 0;
  do {
    mergeBank(mapping.getBankIndex(x | sub),
              {firstRow, lastRow, info.bankBursts, info.bankHits,
               info.bankConflicts, info.bankGroups, pos + sub,
               pos + (sub | others), info.bankHitSpan});
    sub = (sub - mask) & mask;
  } while (sub != 0);

  // Every channel the block touches.
  mask = info.channelMask;
  sub = 0;
  do {
    uint64_t y = x | sub;
    uint64_t firstBank = mapping.getBankIndex(y);
    uint64_t lastBank = info.bankInChannelMask
                            ? mapping.getBankIndex(y | info.bankInChannelMask)
                            : firstBank;
    mergeChannel(firstBank, firstRow, lastBank, lastRow, info.channelBursts,
                 info.samePairs, info.breaks);
    sub = (sub - mask) & mask;
  } while (sub != 0);

  // The channel runs: one, or runs of 2^c0 bursts below the lowest channel
  // bit c0, the block's 2^nb channels taking turns (each 2^(k - c0 - nb)
  // runs).
  uint64_t firstChannel = mapping.getBankIndex(x) >> channelShift;
  if (mask == 0) {
    addToRun(firstChannel, uint64_t(1) << k);
    return;
  }
  unsigned c0 = llvm::countr_zero(mask);
  uint64_t length = uint64_t(1) << c0;
  uint64_t perChannel = (uint64_t(1) << (k - c0)) >> llvm::popcount(mask);
  uint64_t lastChannel = mapping.getBankIndex(x | mask) >> channelShift;
  addToRun(firstChannel, length);
  runEnded(static_cast<uint64_t>(run.channel), run.length);
  if (uint64_t excess = getRunExcess(length, controllerQueue)) {
    sub = 0;
    do {
      uint64_t c = mapping.getBankIndex(x | sub) >> channelShift;
      uint64_t middle =
          perChannel - (c == firstChannel ? 1 : 0) - (c == lastChannel ? 1 : 0);
      channelState[c].excess += middle * excess;
      sub = (sub - mask) & mask;
    } while (sub != 0);
  }
  run = {static_cast<int64_t>(lastChannel), length};
}

uint64_t SummaryBuilder::finish(std::vector<BankEntry> &banks,
                                std::vector<ChannelEntry> &channels,
                                TransferRuns &runs) {
  flushChunk();
  runs.last = run;
  runs.first = firstRun.channel < 0 ? run : firstRun;
  run = firstRun = ChannelRun();
  for (uint32_t b : touchedBanks) {
    BankState &s = bankState[b];
    const ChannelState &ch = channelState[b >> channelShift];
    BankEntry e;
    e.bank = b;
    e.firstRow = s.firstRow;
    e.lastRow = s.lastRow;
    e.bursts = s.bursts;
    e.hits = s.hits;
    e.conflicts = s.conflicts;
    e.firstPos = s.firstPos;
    e.lastPos = s.lastPos;
    e.hitSpan = s.hitSpan;
    e.closedActs = s.groups - (ch.firstBank == b ? 1 : 0);
    e.closedPres = s.groups - (ch.lastBank == b ? 1 : 0);
    banks.push_back(e);
    s = BankState();
  }
  for (uint32_t c : touchedChannels) {
    ChannelState &s = channelState[c];
    ChannelEntry e;
    e.channel = c;
    e.firstBank = s.firstBank;
    e.firstRow = s.firstRow;
    e.lastBank = s.lastBank;
    e.lastRow = s.lastRow;
    e.bursts = s.bursts;
    e.samePairs = s.samePairs;
    e.breaks = s.breaks;
    e.excess = s.excess;
    channels.push_back(e);
    s = ChannelState();
  }
  touchedBanks.clear();
  touchedChannels.clear();
  uint64_t result = bursts;
  bursts = 0;
  return result;
}
