//===- SummaryBuilder.h - tile summaries of the fast engine -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dram. The fast engine's summary of one tile transfer (what
// it does per bank and per channel, and its channel runs) built from its
// burst ranges in aligned power-of-two blocks; DramModel.cpp says how.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_DRAM_SUMMARYBUILDER_H
#define ROMAC_LIB_DRAM_SUMMARYBUILDER_H

#include "RowBufferState.h"

#include "romac/Dram/AddressMapping.h"

#include <cstdint>
#include <vector>

namespace romac::detail {

/// What an aligned block of 2^k bursts does, per bank and per channel it
/// touches (every bank / channel of the block behaves alike).
struct BlockInfo {
  /// Burst-address bits below k that select a bank (Ch, Ra, Bg, Ba), a
  /// channel, a bank within the channel (Ra, Bg, Ba), or a row.
  uint64_t bankMask = 0, channelMask = 0, bankInChannelMask = 0, rowMask = 0;
  /// Per bank: bursts, hits and conflicts between its consecutive bursts,
  /// and groups (maximal runs of one key in the channel's sequence).
  uint64_t bankBursts = 1, bankHits = 0, bankConflicts = 0, bankGroups = 1;
  /// Per bank: the distance in the block between consecutive bursts that
  /// hit, summed (BankCounters::hitSpan). A bank's bursts are the block's
  /// offsets `sub | y`, `sub` its bank bits and `y` any of the others.
  uint64_t bankHitSpan = 0;
  /// Per channel: bursts, consecutive pairs in one bank group, key changes.
  uint64_t channelBursts = 1, samePairs = 0, breaks = 0;
};

/// Builds tile summaries from burst ranges.
class SummaryBuilder {
public:
  /// \p controllerQueue: DramParams::controllerQueue (channel runs' excess).
  SummaryBuilder(const AddressMapping &mapping, uint64_t controllerQueue);

  /// Adds the bursts [first, first + count) in order.
  void addRange(uint64_t first, uint64_t count) {
    // Inline: a range that continues the pending chunk (most ranges of a
    // row-major tile's rows).
    uint64_t chunk = pendingX >> chunkBits;
    if (pendingN != 0 && (first >> chunkBits) == chunk &&
        ((first + count - 1) >> chunkBits) == chunk) {
      bursts += count;
      pendingN += count;
      return;
    }
    addRangeSlow(first, count);
  }
  /// Appends the summary of everything added since the last finish() to
  /// \p banks and \p channels, sets \p runs and resets the builder.
  /// Returns the bursts.
  uint64_t finish(std::vector<BankEntry> &banks,
                  std::vector<ChannelEntry> &channels, TransferRuns &runs);

private:
  void addRangeSlow(uint64_t first, uint64_t count);
  /// Adds the aligned block of 2^k bursts at \p x.
  void addBlock(uint64_t x, unsigned k);
  /// Adds \p n bursts from \p x that lie in one chunk (one bank and row):
  /// held as pending while the next ranges continue in the same chunk
  /// (bursts of one row in a row are merged exactly like one range: the
  /// gaps between them are never seen by the row buffer).
  void addChunk(uint64_t x, uint64_t n);
  /// Merges the pending chunk into the bank and channel states.
  void flushChunk();
  /// What a chunk or a block does to one bank: its first and last row, its
  /// bursts, the hits and conflicts between them, its groups (see
  /// BlockInfo), the positions of its first and last burst in the
  /// transfer's stream and its hit span.
  struct BankPiece {
    uint64_t firstRow, lastRow, bursts, hits, conflicts, groups;
    uint64_t firstPos, lastPos, hitSpan;
  };
  void mergeBank(uint64_t bank, const BankPiece &piece);
  void mergeChannel(uint64_t firstBank, uint64_t firstRow, uint64_t lastBank,
                    uint64_t lastRow, uint64_t bursts, uint64_t samePairs,
                    uint64_t breaks);
  /// The channel runs: adds \p n bursts to channel \p c (ChannelRun::add).
  void addToRun(uint64_t c, uint64_t n);
  /// A run of \p length bursts to channel \p c ended: the transfer's first
  /// run is kept apart (it may continue the run before the transfer), a
  /// later one adds its excess to its channel.
  void runEnded(uint64_t c, uint64_t length);

  const AddressMapping &mapping;
  uint64_t controllerQueue;
  /// log2 of the banks per channel and per bank group (powers of two).
  unsigned channelShift, groupShift;
  /// Number of low burst-address bits that are column bits: an aligned
  /// chunk of 2^chunkBits bursts lies in one bank and row.
  unsigned chunkBits = 0;
  std::vector<BlockInfo> blocks;

  struct BankState {
    bool touched = false;
    uint64_t firstRow = 0, lastRow = 0, bursts = 0, hits = 0, conflicts = 0;
    int64_t groups = 0;
    uint64_t firstPos = 0, lastPos = 0, hitSpan = 0;
  };
  struct ChannelState {
    bool touched = false;
    uint64_t firstBank = 0, firstRow = 0, lastBank = 0, lastRow = 0;
    uint64_t bursts = 0, samePairs = 0, breaks = 0, excess = 0;
  };
  std::vector<BankState> bankState;
  std::vector<ChannelState> channelState;
  std::vector<uint32_t> touchedBanks, touchedChannels;
  uint64_t bursts = 0;
  /// The pending chunk: its first burst, number of bursts (0: none) and
  /// position in the transfer's stream.
  uint64_t pendingX = 0, pendingN = 0, pendingPos = 0;
  /// The channel run in progress, and the transfer's first run once it
  /// has ended (channel -1 before).
  ChannelRun run, firstRun;
};

} // namespace romac::detail

#endif // ROMAC_LIB_DRAM_SUMMARYBUILDER_H
