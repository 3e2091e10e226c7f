//===- RowBufferState.cpp - state shared by the DRAM engines --------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "RowBufferState.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>

using namespace romac;
using namespace romac::detail;

TimingTable::TimingTable(const DramParams &p) {
  int64_t burst = static_cast<int64_t>(p.getBurstCycles());
  for (int prevWrite = 0; prevWrite < 2; ++prevWrite)
    for (int same = 0; same < 2; ++same)
      for (int write = 0; write < 2; ++write) {
        int64_t gap;
        if (prevWrite == write)
          gap = static_cast<int64_t>(same ? p.tCCD_L : p.tCCD_S);
        else if (!prevWrite)
          // Read to write: the read data must leave the bus before the write
          // data arrives (RL + BL/2 + 2 - WL).
          gap = static_cast<int64_t>(p.CL) + burst + 2 -
                static_cast<int64_t>(p.CWL);
        else
          // Write to read: write data, then tWTR before the read command.
          gap = static_cast<int64_t>(p.CWL) + burst +
                static_cast<int64_t>(same ? p.tWTR_L : p.tWTR_S);
        slots[prevWrite][same][write] =
            static_cast<uint64_t>(std::max(gap, burst));
      }
  tails[0] = p.tRTP;
  tails[1] = p.CWL + p.getBurstCycles() + p.tWR;
}

RowBufferState::RowBufferState(const DramParams &params,
                               const AddressMapping &mapping)
    : params(params), mapping(mapping), timing(params),
      open(params.policy == PagePolicy::Open) {
  const DramGeometry &g = mapping.getGeometry();
  banksPerChannel = g.ranks * g.getBanksPerRank();
  channelShift = llvm::Log2_64(banksPerChannel);
  groupShift = llvm::Log2_64(g.banksPerGroup);
  uint64_t banks = g.getTotalBanks();
  counters.banks.resize(banks);
  counters.channels.resize(g.channels);
  openRow.assign(banks, -1);
  lastWrite.assign(banks, 0);
  lastPos.assign(banks, 0);
  chLastBank.assign(g.channels, -1);
  chLastRow.assign(g.channels, 0);
  chLastWrite.assign(g.channels, 0);
}

void RowBufferState::access(uint64_t burst, bool write) {
  uint64_t b = mapping.getBankIndex(burst);
  uint64_t row = mapping.getRow(burst);
  uint64_t c = b >> channelShift;
  uint64_t position = getPosition();
  (write ? counters.writes : counters.reads) += 1;
  BankCounters &bank = counters.banks[b];
  if (open) {
    if (openRow[b] < 0) {
      ++counters.misses;
      ++counters.acts;
      ++bank.acts;
    } else if (static_cast<uint64_t>(openRow[b]) == row) {
      ++counters.hits;
      bank.hitSpan += position - lastPos[b];
    } else {
      ++counters.conflicts;
      ++counters.pres;
      ++counters.acts;
      ++bank.acts;
      bank.tails += timing.tail(lastWrite[b]);
    }
    openRow[b] = static_cast<int64_t>(row);
    lastWrite[b] = write;
    lastPos[b] = position;
  } else {
    if (chLastBank[c] == static_cast<int64_t>(b) && chLastRow[c] == row) {
      ++counters.hits;
    } else {
      if (chLastBank[c] >= 0) {
        ++counters.pres;
        counters.banks[chLastBank[c]].tails += timing.tail(chLastWrite[c]);
      }
      ++counters.misses;
      ++counters.acts;
      ++bank.acts;
    }
  }
  ++bank.bursts;
  ChannelCounters &channel = counters.channels[c];
  if (chLastBank[c] >= 0)
    channel.slots += timing.slot(
        chLastWrite[c],
        static_cast<uint64_t>(chLastBank[c]) >> groupShift == b >> groupShift,
        write);
  ++channel.bursts;
  chLastBank[c] = static_cast<int64_t>(b);
  chLastRow[c] = row;
  chLastWrite[c] = write;
  run.add(c, 1, [&](uint64_t ch, uint64_t length) {
    addExcess(counters, ch, length);
  });
}

void RowBufferState::applyTile(llvm::ArrayRef<BankEntry> banks,
                               llvm::ArrayRef<ChannelEntry> channels,
                               const TransferRuns &runs, uint64_t bursts,
                               bool write) {
  uint64_t position = getPosition();
  (write ? counters.writes : counters.reads) += bursts;
  uint64_t tail = timing.tail(write);
  if (open) {
    for (const BankEntry &e : banks) {
      uint64_t b = e.bank;
      BankCounters &bank = counters.banks[b];
      if (openRow[b] < 0) {
        ++counters.misses;
        ++counters.acts;
        ++bank.acts;
      } else if (static_cast<uint64_t>(openRow[b]) == e.firstRow) {
        ++counters.hits;
        bank.hitSpan += position + e.firstPos - lastPos[b];
      } else {
        ++counters.conflicts;
        ++counters.pres;
        ++counters.acts;
        ++bank.acts;
        bank.tails += timing.tail(lastWrite[b]);
      }
      counters.hits += e.hits;
      counters.conflicts += e.conflicts;
      counters.pres += e.conflicts;
      counters.acts += e.conflicts;
      bank.acts += e.conflicts;
      bank.tails += e.conflicts * tail;
      bank.bursts += e.bursts;
      bank.hitSpan += e.hitSpan;
      openRow[b] = static_cast<int64_t>(e.lastRow);
      lastWrite[b] = write;
      lastPos[b] = position + e.lastPos;
    }
  } else {
    for (const BankEntry &e : banks) {
      BankCounters &bank = counters.banks[e.bank];
      bank.bursts += e.bursts;
      bank.acts += e.closedActs;
      bank.tails += e.closedPres * tail;
    }
  }
  uint64_t sameSlot = timing.slot(write, true, write);
  uint64_t otherSlot = timing.slot(write, false, write);
  for (const ChannelEntry &e : channels) {
    uint64_t c = e.channel;
    if (!open) {
      if (chLastBank[c] == static_cast<int64_t>(e.firstBank) &&
          chLastRow[c] == e.firstRow) {
        ++counters.hits;
      } else {
        if (chLastBank[c] >= 0) {
          ++counters.pres;
          counters.banks[chLastBank[c]].tails += timing.tail(chLastWrite[c]);
        }
        ++counters.misses;
        ++counters.acts;
        ++counters.banks[e.firstBank].acts;
      }
      counters.misses += e.breaks;
      counters.acts += e.breaks;
      counters.pres += e.breaks;
      counters.hits += e.bursts - 1 - e.breaks;
    }
    ChannelCounters &channel = counters.channels[c];
    if (chLastBank[c] >= 0)
      channel.slots +=
          timing.slot(chLastWrite[c],
                      static_cast<uint64_t>(chLastBank[c]) >> groupShift ==
                          e.firstBank >> groupShift,
                      write);
    channel.slots +=
        e.samePairs * sameSlot + (e.bursts - 1 - e.samePairs) * otherSlot;
    channel.bursts += e.bursts;
    channel.excess += e.excess;
    chLastBank[c] = static_cast<int64_t>(e.lastBank);
    chLastRow[c] = e.lastRow;
    chLastWrite[c] = write;
  }
  auto end = [&](uint64_t ch, uint64_t length) {
    addExcess(counters, ch, length);
  };
  run.add(runs.first.channel, runs.first.length, end);
  if (runs.first.length != bursts) {
    // The first run ended inside the transfer; the last one goes on.
    end(static_cast<uint64_t>(run.channel), run.length);
    run = runs.last;
  }
}

void RowBufferState::finish() {
  if (open) {
    for (size_t b = 0; b < openRow.size(); ++b) {
      if (openRow[b] < 0)
        continue;
      ++counters.pres;
      counters.banks[b].tails += timing.tail(lastWrite[b]);
      openRow[b] = -1;
    }
    return;
  }
  for (size_t c = 0; c < chLastBank.size(); ++c) {
    if (chLastBank[c] < 0)
      continue;
    ++counters.pres;
    counters.banks[chLastBank[c]].tails += timing.tail(chLastWrite[c]);
    chLastBank[c] = -1;
  }
}

uint64_t RowBufferState::rawCycles(const Counters &k,
                                   std::vector<uint64_t> &rankActs,
                                   std::vector<uint64_t> &rankOpen) const {
  // Per channel the busiest resource — the data bus (column slots), a bank
  // (activations and their accesses), the activation window of a rank —
  // plus the latency of the first access; channels run in parallel.
  const DramParams &p = params;
  const DramGeometry &g = mapping.getGeometry();
  uint64_t burstCycles = p.getBurstCycles();
  uint64_t columnGap = std::max(burstCycles, p.tCCD_L);
  uint64_t banksPerRank = g.getBanksPerRank();
  rankActs.assign(g.channels * g.ranks, 0);
  rankOpen.assign(g.channels * g.ranks, 0);
  uint64_t raw = 0;
  // The channels' excess bursts, one after another.
  double serial = 0;
  for (uint64_t c = 0; c < g.channels; ++c) {
    const ChannelCounters &channel = k.channels[c];
    if (channel.bursts == 0)
      continue;
    uint64_t busy = burstCycles + channel.slots;
    for (uint64_t b = c * banksPerChannel; b < (c + 1) * banksPerChannel; ++b) {
      const BankCounters &bank = k.banks[b];
      if (bank.acts == 0)
        continue;
      uint64_t work = bank.acts * (p.tRCD + p.tRP) +
                      (bank.bursts - bank.acts) * columnGap + bank.tails;
      busy = std::max({busy, bank.acts * p.tRC, work});
      rankActs[b / banksPerRank] += bank.acts;
      rankOpen[b / banksPerRank] +=
          std::max(bank.acts * p.tRAS,
                   bank.acts * p.tRCD + (bank.bursts - bank.acts) * columnGap +
                       bank.tails);
    }
    for (uint64_t r = c * g.ranks; r < (c + 1) * g.ranks; ++r)
      busy = std::max({busy, rankActs[r] * p.tRRD_S, rankActs[r] * p.tFAW / 4});
    raw = std::max(raw, busy + p.tRCD + p.CL);
    serial += static_cast<double>(channel.excess) * static_cast<double>(busy) /
              static_cast<double>(channel.bursts);
  }
  if (g.channels > 1 && serial > 0)
    raw = std::max(raw,
                   static_cast<uint64_t>(std::llround(serial)) + p.tRCD + p.CL);
  return raw;
}

/// \p raw cycles plus the refreshes' stalls (tRFC of every tREFI).
static uint64_t withRefreshStalls(const DramParams &p, uint64_t raw) {
  uint64_t refreshStalls = p.tREFI > p.tRFC ? raw / (p.tREFI - p.tRFC) : 0;
  return raw + refreshStalls * p.tRFC;
}

void RowBufferState::computeStats(DramStats &stats) const {
  const DramParams &p = params;
  const DramGeometry &g = mapping.getGeometry();
  Counters k = counters;
  if (run.channel >= 0)
    addExcess(k, static_cast<uint64_t>(run.channel), run.length);
  std::vector<uint64_t> rankActs, rankOpen;
  uint64_t cycles = withRefreshStalls(p, rawCycles(k, rankActs, rankOpen));

  // Open page: the rows the refreshes close. A refresh at a time spread
  // evenly over the layer finds bank b holding a row its next burst hits
  // with probability hitSpan / bursts; each rank is refreshed cycles /
  // tREFI times. Expected closes, rounded cumulatively over the banks so
  // that they add up to the rounded total; each turns a hit into a miss
  // (its ACT, and the refresh's precharge).
  uint64_t closes = 0;
  uint64_t position = getPosition();
  if (open && p.tREFI != 0 && position != 0) {
    double refreshes =
        static_cast<double>(cycles) / static_cast<double>(p.tREFI);
    double expected = 0;
    for (BankCounters &bank : k.banks) {
      expected += refreshes * static_cast<double>(bank.hitSpan) /
                  static_cast<double>(position);
      uint64_t upTo = static_cast<uint64_t>(std::llround(expected));
      uint64_t mine = std::min(upTo - closes, bank.bursts - bank.acts);
      bank.acts += mine;
      closes += mine;
    }
    k.hits -= closes;
    k.misses += closes;
    k.acts += closes;
    k.pres += closes;
    if (closes != 0)
      cycles = withRefreshStalls(p, rawCycles(k, rankActs, rankOpen));
  }

  stats.reads = k.reads;
  stats.writes = k.writes;
  stats.bursts = k.reads + k.writes;
  stats.rowHits = k.hits;
  stats.rowMisses = k.misses;
  stats.rowConflicts = k.conflicts;
  stats.activates = k.acts;
  stats.precharges = k.pres;
  stats.refreshCloses = closes;
  stats.serialBursts = 0;
  if (g.channels > 1)
    for (const ChannelCounters &channel : k.channels)
      stats.serialBursts += channel.excess;
  stats.cycles = cycles;

  // Energy (DRAMPower): commands, then standby and refresh of every rank.
  uint64_t ranks = g.channels * g.ranks;
  DramEnergy &e = stats.energyPJ;
  e.actPre = static_cast<double>(k.acts) * p.getActPreEnergyPJ();
  e.rdWr = static_cast<double>(k.reads) * p.getReadBurstEnergyPJ() +
           static_cast<double>(k.writes) * p.getWriteBurstEnergyPJ();
  double cyclesD = static_cast<double>(cycles);
  e.background = 0;
  for (uint64_t r = 0; r < ranks; ++r) {
    // Open page keeps a row open from the first activation on; closed page
    // only while an activation lasts.
    double active = 0;
    if (rankActs[r] > 0)
      active =
          open ? cyclesD : std::min(cyclesD, static_cast<double>(rankOpen[r]));
    e.background +=
        active * p.getActiveStandbyEnergyPJPerCycle() +
        (cyclesD - active) * p.getPrechargeStandbyEnergyPJPerCycle();
  }
  e.refresh = p.tREFI == 0
                  ? 0
                  : static_cast<double>(ranks) * p.getRefreshEnergyPJ() *
                        cyclesD / static_cast<double>(p.tREFI);
}
