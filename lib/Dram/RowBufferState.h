//===- RowBufferState.h - state shared by the DRAM engines ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dram. The row-buffer state (per bank the open row, per
// channel the last request) and the counters both engines fill: the replay
// one burst at a time (access()), the fast engine one tile summary at a time
// (applyTile()). finish() closes the rows left open and
// computeStats() turns the counters into cycles and energy.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_DRAM_ROWBUFFERSTATE_H
#define ROMAC_LIB_DRAM_ROWBUFFERSTATE_H

#include "romac/Dram/DramModel.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace romac::detail {

/// What the model counts per bank.
struct BankCounters {
  uint64_t acts = 0;
  uint64_t bursts = 0;
  /// Cycles from the last column command of each activation to its PRE
  /// (tRTP after a read, CWL + BL/2 + tWR after a write), summed.
  uint64_t tails = 0;
  /// Open page: over the pairs of consecutive bursts of the bank that hit
  /// the open row, the distance between them in the layer's burst stream,
  /// summed: how long the bank holds a row its next burst hits (what a
  /// refresh in that time closes; see computeStats()).
  uint64_t hitSpan = 0;
};

/// What the model counts per channel.
struct ChannelCounters {
  uint64_t bursts = 0;
  /// Cycles between consecutive column commands, summed (see slot()).
  uint64_t slots = 0;
  /// Bursts past the first DramParams::controllerQueue of each run (a
  /// maximal sequence of consecutive bursts of the stream to this channel):
  /// issued in order, they wait for this channel while the other channels
  /// have nothing left queued.
  uint64_t excess = 0;
};

/// Counters both engines fill identically.
struct Counters {
  uint64_t reads = 0, writes = 0;
  uint64_t hits = 0, misses = 0, conflicts = 0;
  uint64_t acts = 0, pres = 0;
  std::vector<BankCounters> banks;
  std::vector<ChannelCounters> channels;
};

/// What one tile transfer does to one bank, independent of the direction.
struct BankEntry {
  uint64_t bank = 0;
  uint64_t firstRow = 0, lastRow = 0;
  uint64_t bursts = 0;
  /// Open page: hits and conflicts between consecutive bursts of the bank
  /// inside the transfer.
  uint64_t hits = 0, conflicts = 0;
  /// Open page: the positions of the bank's first and last burst in the
  /// transfer's stream, and BankCounters::hitSpan inside the transfer.
  uint64_t firstPos = 0, lastPos = 0, hitSpan = 0;
  /// Closed page: activations and precharges inside the transfer (groups of
  /// the bank that do not start / end the transfer's sequence on the
  /// channel).
  uint64_t closedActs = 0, closedPres = 0;
};

/// What one tile transfer does to one channel.
struct ChannelEntry {
  uint64_t channel = 0;
  uint64_t firstBank = 0, firstRow = 0, lastBank = 0, lastRow = 0;
  uint64_t bursts = 0;
  /// Consecutive bursts of the channel in the same bank group.
  uint64_t samePairs = 0;
  /// Consecutive bursts of the channel to another bank or row.
  uint64_t breaks = 0;
  /// ChannelCounters::excess of the runs that start and end inside the
  /// transfer.
  uint64_t excess = 0;
};

/// A run of consecutive bursts of the stream to one channel, in progress
/// (both engines count the runs: ChannelCounters::excess).
struct ChannelRun {
  int64_t channel = -1; ///< -1: none
  uint64_t length = 0;

  /// Adds \p n bursts to channel \p c: extends the run, or ends it (calls
  /// \p end with its channel and length, when there is one) and starts one.
  /// No bursts change nothing.
  template <typename End> void add(uint64_t c, uint64_t n, End end) {
    if (n == 0)
      return;
    if (channel == static_cast<int64_t>(c)) {
      length += n;
      return;
    }
    if (channel >= 0)
      end(static_cast<uint64_t>(channel), length);
    channel = static_cast<int64_t>(c);
    length = n;
  }
};

/// The bursts of a run of \p length past a controller queue of \p queue
/// requests.
inline uint64_t getRunExcess(uint64_t length, uint64_t queue) {
  return length > queue ? length - queue : 0;
}

/// The channel runs of one tile transfer: its first and its last, which may
/// continue the runs around it; one run (first == last) when the first
/// holds all of the transfer's bursts.
struct TransferRuns {
  ChannelRun first, last;
};

/// Per-pair timing of the data path.
class TimingTable {
public:
  explicit TimingTable(const DramParams &params);
  /// Cycles between two consecutive column commands of a channel.
  uint64_t slot(bool prevWrite, bool sameBankGroup, bool write) const {
    return slots[prevWrite][sameBankGroup][write];
  }
  /// Cycles from the last column command of an activation to its PRE.
  uint64_t tail(bool write) const { return tails[write]; }

private:
  uint64_t slots[2][2][2];
  uint64_t tails[2];
};

/// Row-buffer state and counters.
class RowBufferState {
public:
  RowBufferState(const DramParams &params, const AddressMapping &mapping);

  /// One burst (the replay).
  void access(uint64_t burst, bool write);
  /// One tile transfer summarised by \p banks and \p channels (the fast
  /// engine).
  void applyTile(llvm::ArrayRef<BankEntry> banks,
                 llvm::ArrayRef<ChannelEntry> channels,
                 const TransferRuns &runs, uint64_t bursts, bool write);
  /// Precharges the rows left open.
  void finish();

  /// Fills the counts, cycles and energy of \p stats (not its operands).
  /// The cycles are at least those of the channel runs' excess bursts
  /// (ChannelCounters::excess) one after another, each at its channel's
  /// average cycles per burst: the in-order issue of a finite queue.
  /// Open page: a refresh precharges every bank of its rank, so a hit whose
  /// row a refresh closed in between is a miss (DramStats::refreshCloses):
  /// the refreshes of a rank (cycles / tREFI, at times spread evenly over
  /// the layer) close, per bank, hitSpan / bursts rows that its next burst
  /// would have hit.
  void computeStats(DramStats &stats) const;

  Counters counters;

private:
  const DramParams &params;
  const AddressMapping &mapping;
  TimingTable timing;
  bool open;
  uint64_t banksPerChannel;
  /// log2 of the banks per channel and per bank group (powers of two).
  unsigned channelShift, groupShift;
  /// Cycles of \p k by the resource-occupancy model, refresh excluded;
  /// fills the activations of every rank.
  uint64_t rawCycles(const Counters &k, std::vector<uint64_t> &rankActs,
                     std::vector<uint64_t> &rankOpen) const;

  // Per bank: the open row (-1: precharged), whether the last access was a
  // write and the position of the last access in the burst stream.
  std::vector<int64_t> openRow;
  std::vector<uint8_t> lastWrite;
  std::vector<uint64_t> lastPos;
  /// Bursts so far: the position of the next one in the stream.
  uint64_t getPosition() const { return counters.reads + counters.writes; }
  /// The channel run in progress.
  ChannelRun run;
  /// Adds the excess of a run of \p length bursts to channel \p c of \p k.
  void addExcess(Counters &k, uint64_t c, uint64_t length) const {
    k.channels[c].excess += getRunExcess(length, params.controllerQueue);
  }
  // Per channel: the last burst's bank (-1: none yet), row and direction.
  std::vector<int64_t> chLastBank;
  std::vector<uint64_t> chLastRow;
  std::vector<uint8_t> chLastWrite;
};

} // namespace romac::detail

#endif // ROMAC_LIB_DRAM_ROWBUFFERSTATE_H
