//===- DramModel.cpp - row-buffer, timing and energy model ----------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The replay engine feeds every burst of forEachBurst() to RowBufferState.
//
// The fast engine walks the tile loops itself and, for every tile transfer,
// applies a summary of the transfer to the same state. The outcome of a burst
// depends only on the previous burst of its bank (open page) or of its
// channel (closed page, and the bank-group/direction timing slots), so a
// transfer is fully described by, per bank, its first and last row and the
// hits/conflicts between its own consecutive bursts, and per channel, its
// first and last (bank, row) and the same-bank-group pairs and key changes
// inside. The summary of a tile is built once from its burst ranges and
// cached (a tile is transferred many times).
//
// Building a summary splits each burst range into aligned power-of-two
// blocks. Inside an aligned block of 2^k bursts the low k address bits take
// every value, so what happens inside depends only on which fields those k
// bits belong to: a table, computed once per mapping, gives per bank and per
// channel the hits, conflicts, groups, same-bank-group pairs and bursts of a
// block of every size (a recursion over the bits: doubling a block by a
// column, row or bank bit), and the block's first and last rows follow from
// its base address. A range of n bursts costs O(log n) blocks, each
// touching the banks its low bank bits select.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/DramModel.h"

#include "RowBufferState.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace romac;
using namespace romac::detail;
using llvm::ArrayRef;
using llvm::SmallVector;

//===----------------------------------------------------------------------===//
// DramParams, DramStats
//===----------------------------------------------------------------------===//

uint64_t DramParams::getBurstCycles() const {
  return std::max<uint64_t>(geometry.burstLength / 2, 1);
}

double DramParams::getActPreEnergyPJ() const {
  double tRCd = static_cast<double>(tRC), tRASd = static_cast<double>(tRAS);
  return VDD * (IDD0 * tRCd - (IDD3N * tRASd + IDD2N * (tRCd - tRASd))) * tCK *
         static_cast<double>(chipsPerRank);
}

double DramParams::getReadBurstEnergyPJ() const {
  return VDD * (IDD4R - IDD3N) * static_cast<double>(getBurstCycles()) * tCK *
         static_cast<double>(chipsPerRank);
}

double DramParams::getWriteBurstEnergyPJ() const {
  return VDD * (IDD4W - IDD3N) * static_cast<double>(getBurstCycles()) * tCK *
         static_cast<double>(chipsPerRank);
}

double DramParams::getRefreshEnergyPJ() const {
  return VDD * (IDD5AB - IDD3N) * static_cast<double>(tRFC) * tCK *
         static_cast<double>(chipsPerRank);
}

double DramParams::getActiveStandbyEnergyPJPerCycle() const {
  return VDD * IDD3N * tCK * static_cast<double>(chipsPerRank);
}

double DramParams::getPrechargeStandbyEnergyPJPerCycle() const {
  return VDD * IDD2N * tCK * static_cast<double>(chipsPerRank);
}

bool DramOperandStats::operator==(const DramOperandStats &o) const {
  return readBursts == o.readBursts && writeBursts == o.writeBursts &&
         readBytes == o.readBytes && writeBytes == o.writeBytes &&
         usefulReadBytes == o.usefulReadBytes &&
         usefulWriteBytes == o.usefulWriteBytes &&
         readTransfers == o.readTransfers && writeTransfers == o.writeTransfers;
}

bool DramStats::countsEqual(const DramStats &o) const {
  return bursts == o.bursts && reads == o.reads && writes == o.writes &&
         rowHits == o.rowHits && rowMisses == o.rowMisses &&
         rowConflicts == o.rowConflicts && activates == o.activates &&
         precharges == o.precharges && operands == o.operands;
}

bool DramStats::operator==(const DramStats &o) const {
  return countsEqual(o) && cycles == o.cycles &&
         energyPJ.actPre == o.energyPJ.actPre &&
         energyPJ.rdWr == o.energyPJ.rdWr &&
         energyPJ.background == o.energyPJ.background &&
         energyPJ.refresh == o.energyPJ.refresh;
}

double DramStats::getHitRate() const {
  return bursts == 0
             ? 0
             : static_cast<double>(rowHits) / static_cast<double>(bursts);
}

std::string DramStats::str() const {
  return llvm::formatv(
      "bursts={0} (rd {1}, wr {2}) hits={3} misses={4} conflicts={5} "
      "act={6} pre={7} cycles={8} energy_pj{{act_pre={9:f1} rd_wr={10:f1} "
      "background={11:f1} refresh={12:f1}}",
      bursts, reads, writes, rowHits, rowMisses, rowConflicts, activates,
      precharges, cycles, energyPJ.actPre, energyPJ.rdWr, energyPJ.background,
      energyPJ.refresh);
}

//===----------------------------------------------------------------------===//
// DramModel: common parts and the replay
//===----------------------------------------------------------------------===//

DramModel::DramModel(DramParams params, AddressMapping mapping)
    : params(std::move(params)), mapping(std::move(mapping)) {}

llvm::Expected<DramModel> DramModel::get(const DramConfig &config,
                                         llvm::StringRef mappingName) {
  llvm::Expected<DramParams> params = DramParams::get(config);
  if (!params)
    return params.takeError();
  return get(*params, mappingName);
}

llvm::Expected<DramModel> DramModel::get(const DramParams &params,
                                         llvm::StringRef mappingName) {
  llvm::Expected<AddressMapping> mapping = AddressMapping::get(
      params.geometry, mappingName.empty()
                           ? llvm::StringRef(params.addressMapping)
                           : mappingName);
  if (!mapping)
    return mapping.takeError();
  return DramModel(params, std::move(*mapping));
}

DramModel DramModel::withPolicy(PagePolicy policy) const {
  DramModel copy = *this;
  copy.params.policy = policy;
  return copy;
}

DramStats DramModel::evaluate(const Workload &workload, const Mapping &mapping,
                              const LayerLayout &layout, DramEngine engine,
                              DramTileCache *cache,
                              uint64_t maxActivates) const {
  return engine == DramEngine::Replay
             ? replay(workload, mapping, layout)
             : evaluateFast(workload, mapping, layout, cache, maxActivates);
}

llvm::Expected<DramStats> DramModel::evaluateChecked(const Workload &workload,
                                                     const Mapping &tiling,
                                                     const LayerLayout &layout,
                                                     DramEngine engine) const {
  if (llvm::Error err = workload.verify())
    return std::move(err);
  if (llvm::Error err = tiling.verify(workload))
    return std::move(err);
  if (llvm::Error err = layout.verify(workload))
    return std::move(err);
  unsigned bits = mapping.getGeometry().getTotalBits();
  for (auto [i, tensor] : llvm::enumerate(layout.operands)) {
    uint64_t end = tensor.getBase() + tensor.getSizeBytes();
    if (bits < 64 && end > (uint64_t(1) << bits))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "operand '" + workload.operands[i].name + "' of '" + workload.name +
              "' ends at byte " + llvm::Twine(end) +
              ", past the DRAM capacity of " +
              llvm::Twine(uint64_t(1) << bits) + " bytes");
  }
  return evaluate(workload, tiling, layout, engine);
}

/// Sets the byte counts of every operand from its burst counts.
static void finishOperands(DramStats &stats, uint64_t bytesPerBurst) {
  for (DramOperandStats &op : stats.operands) {
    op.readBytes = op.readBursts * bytesPerBurst;
    op.writeBytes = op.writeBursts * bytesPerBurst;
  }
}

DramStats DramModel::replay(const Workload &workload, const Mapping &tiling,
                            const LayerLayout &layout) const {
  RowBufferState state(params, mapping);
  DramStats stats;
  stats.operands.resize(workload.operands.size());
  forEachBurst(
      workload, tiling, layout, mapping.getBurstOffsetBits(),
      [&](const DramRequest &request) {
        state.access(request.burst, request.isWrite);
        DramOperandStats &op = stats.operands[request.operand];
        (request.isWrite ? op.writeBursts : op.readBursts) += 1;
      },
      [&](const TileTransfer &t) {
        DramOperandStats &op = stats.operands[t.operand];
        uint64_t bytes = static_cast<uint64_t>(
            workload.operands[t.operand].getStorageBytes(t.elements));
        if (t.isWrite) {
          ++op.writeTransfers;
          op.usefulWriteBytes += bytes;
        } else {
          ++op.readTransfers;
          op.usefulReadBytes += bytes;
        }
      });
  state.finish();
  state.computeStats(stats);
  finishOperands(stats, mapping.getGeometry().getBytesPerBurst());
  return stats;
}

DramStats DramModel::replayBursts(ArrayRef<DramRequest> requests) const {
  return replayBurstStream(
      [&](llvm::function_ref<void(const DramRequest &)> sink) {
        for (const DramRequest &request : requests)
          sink(request);
      });
}

DramStats DramModel::replayBurstStream(
    llvm::function_ref<void(llvm::function_ref<void(const DramRequest &)>)>
        produce) const {
  RowBufferState state(params, mapping);
  DramStats stats;
  produce([&](const DramRequest &request) {
    if (request.operand >= stats.operands.size())
      stats.operands.resize(request.operand + 1);
    state.access(request.burst, request.isWrite);
    DramOperandStats &op = stats.operands[request.operand];
    (request.isWrite ? op.writeBursts : op.readBursts) += 1;
  });
  state.finish();
  state.computeStats(stats);
  finishOperands(stats, mapping.getGeometry().getBytesPerBurst());
  return stats;
}

//===----------------------------------------------------------------------===//
// The fast engine: tile summaries
//===----------------------------------------------------------------------===//

namespace {

/// What an aligned block of 2^k bursts does, per bank and per channel it
/// touches (every bank / channel of the block behaves alike).
struct BlockInfo {
  /// Burst-address bits below k that select a bank (Ch, Ra, Bg, Ba), a
  /// channel, a bank within the channel (Ra, Bg, Ba), or a row.
  uint64_t bankMask = 0, channelMask = 0, bankInChannelMask = 0, rowMask = 0;
  /// Per bank: bursts, hits and conflicts between its consecutive bursts,
  /// and groups (maximal runs of one key in the channel's sequence).
  uint64_t bankBursts = 1, bankHits = 0, bankConflicts = 0, bankGroups = 1;
  /// Per channel: bursts, consecutive pairs in one bank group, key changes.
  uint64_t channelBursts = 1, samePairs = 0, breaks = 0;
};

/// Builds tile summaries from burst ranges.
class SummaryBuilder {
public:
  explicit SummaryBuilder(const AddressMapping &mapping);

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
  /// \p banks and \p channels and resets the builder. Returns the bursts.
  uint64_t finish(std::vector<BankEntry> &banks,
                  std::vector<ChannelEntry> &channels);

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
  void mergeBank(uint64_t bank, uint64_t firstRow, uint64_t lastRow,
                 uint64_t bursts, uint64_t hits, uint64_t conflicts,
                 uint64_t groups);
  void mergeChannel(uint64_t firstBank, uint64_t firstRow, uint64_t lastBank,
                    uint64_t lastRow, uint64_t bursts, uint64_t samePairs,
                    uint64_t breaks);

  const AddressMapping &mapping;
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
  };
  struct ChannelState {
    bool touched = false;
    uint64_t firstBank = 0, firstRow = 0, lastBank = 0, lastRow = 0;
    uint64_t bursts = 0, samePairs = 0, breaks = 0;
  };
  std::vector<BankState> bankState;
  std::vector<ChannelState> channelState;
  std::vector<uint32_t> touchedBanks, touchedChannels;
  uint64_t bursts = 0;
  /// The pending chunk: its first burst and number of bursts (0: none).
  uint64_t pendingX = 0, pendingN = 0;
};

SummaryBuilder::SummaryBuilder(const AddressMapping &mapping)
    : mapping(mapping) {
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
      b.bankConflicts = 2 * half.bankConflicts + 1;
      b.bankGroups = 2 * half.bankGroups;
      b.channelBursts = 2 * half.channelBursts;
      b.samePairs = 2 * half.samePairs + (groupKeyBelow ? 0 : 1);
      b.breaks = 2 * half.breaks + 1;
      break;
    case DramField::Column:
      b.bankBursts = 2 * half.bankBursts;
      b.bankHits = 2 * half.bankHits + (rowsBelow ? 0 : 1);
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

void SummaryBuilder::mergeBank(uint64_t b, uint64_t firstRow, uint64_t lastRow,
                               uint64_t n, uint64_t hits, uint64_t conflicts,
                               uint64_t groups) {
  BankState &s = bankState[b];
  if (!s.touched) {
    s.touched = true;
    touchedBanks.push_back(b);
    s.firstRow = firstRow;
    s.bursts = n;
    s.hits = hits;
    s.conflicts = conflicts;
    s.groups = groups;
  } else {
    (s.lastRow == firstRow ? s.hits : s.conflicts) += 1;
    s.bursts += n;
    s.hits += hits;
    s.conflicts += conflicts;
    s.groups += groups;
  }
  s.lastRow = lastRow;
}

void SummaryBuilder::mergeChannel(uint64_t firstBank, uint64_t firstRow,
                                  uint64_t lastBank, uint64_t lastRow,
                                  uint64_t n, uint64_t samePairs,
                                  uint64_t breaks) {
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

void SummaryBuilder::addChunk(uint64_t x, uint64_t n) {
  bursts += n;
  if (pendingN != 0 && (x >> chunkBits) == (pendingX >> chunkBits)) {
    pendingN += n;
    return;
  }
  flushChunk();
  pendingX = x;
  pendingN = n;
}

void SummaryBuilder::flushChunk() {
  if (pendingN == 0)
    return;
  uint64_t b = mapping.getBankIndex(pendingX);
  uint64_t row = mapping.getRow(pendingX);
  mergeBank(b, row, row, pendingN, pendingN - 1, 0, 1);
  mergeChannel(b, row, b, row, pendingN, pendingN - 1, 0);
  pendingN = 0;
}

void SummaryBuilder::addBlock(uint64_t x, unsigned k) {
  flushChunk();
  const BlockInfo &info = blocks[k];
  bursts += uint64_t(1) << k;
  uint64_t firstRow = mapping.getRow(x);
  uint64_t lastRow = info.rowMask ? mapping.getRow(x | info.rowMask) : firstRow;

  // Every bank the block touches: every value of its low bank bits.
  uint64_t mask = info.bankMask, sub = 0;
  do {
    mergeBank(mapping.getBankIndex(x | sub), firstRow, lastRow, info.bankBursts,
              info.bankHits, info.bankConflicts, info.bankGroups);
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
}

uint64_t SummaryBuilder::finish(std::vector<BankEntry> &banks,
                                std::vector<ChannelEntry> &channels) {
  flushChunk();
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
    channels.push_back(e);
    s = ChannelState();
  }
  touchedBanks.clear();
  touchedChannels.clear();
  uint64_t result = bursts;
  bursts = 0;
  return result;
}

/// A tile summary in its arenas.
struct TileSummary {
  uint32_t bankBegin = 0, bankEnd = 0, channelBegin = 0, channelEnd = 0;
  uint64_t bursts = 0;
  uint64_t usefulBytes = 0;
  bool built = false;
};

/// Tile summaries with the arenas they point into.
struct SummaryStore {
  std::vector<TileSummary> tiles;
  std::vector<BankEntry> banks;
  std::vector<ChannelEntry> channels;
};

/// Most bank entries the fast engine caches for one evaluation (about
/// 64 MiB); later tiles are summarised again at every transfer. A
/// DramTileCache holds as many.
constexpr size_t kCacheBudget = size_t(1) << 20;
/// Most distinct tiles of one operand the engine keeps a slot for.
constexpr int64_t kMaxCachedTiles = int64_t(1) << 20;

} // namespace

struct romac::DramTileCache::Impl {
  /// What the summaries are of: the address mapping, the workload's
  /// canonical key and the tile sizes.
  std::string identity;
  /// Per "operand index/layout": the summaries of its tiles.
  std::map<std::string, SummaryStore> operands;
  size_t bankEntries = 0;

  /// Starts over unless the cache is of this (mapping, workload, tiling).
  void prepare(const AddressMapping &m, const Workload &w, const Mapping &t) {
    std::string id = m.str() + "|" + w.getCanonicalKey() + "|";
    for (int64_t size : t.tileSizes)
      id += std::to_string(size) + ",";
    if (id == identity)
      return;
    identity = std::move(id);
    operands.clear();
    bankEntries = 0;
  }
};

romac::DramTileCache::DramTileCache() : impl(std::make_unique<Impl>()) {}
romac::DramTileCache::~DramTileCache() = default;

namespace {

/// What the fast engine knows about one operand during an evaluation.
struct FastOperand {
  /// Innermost position in the moving loops of a dim the operand depends
  /// on; -1.
  int last = -1;
  /// Stride of each loop dim in the linear tile id (0: not indexed).
  SmallVector<int64_t, 8> stride;
  int64_t distinct = 1;
  bool readWrite = false;
  /// Summaries kept: in `local` (a tile transferred more than once) or in
  /// a DramTileCache (`store` points at either; null: none kept).
  SummaryStore local;
  SummaryStore *store = nullptr;
  bool shared = false;
  std::vector<bool> visited;
  int64_t current = 0;
};

/// One run of the fast engine (DramModel::evaluateFast()): walks the tile
/// loops, summarises each operand tile's bursts per bank and channel once
/// (kept when the tile is transferred again, or in the DramTileCache) and
/// applies the summaries to the row-buffer state.
class FastEvaluation {
public:
  FastEvaluation(const DramParams &params, const AddressMapping &mapping,
                 const Workload &workload, const Mapping &tiling,
                 const LayerLayout &layout, DramTileCache *cache,
                 uint64_t maxActivates)
      : mapping(mapping), workload(workload), tiling(tiling), layout(layout),
        numDims(workload.dims.size()), numOps(workload.operands.size()),
        burstBits(mapping.getBurstOffsetBits()), state(params, mapping),
        builder(mapping), tileIndex(numDims, 0),
        cache(cache ? &cache->getImpl() : nullptr), maxActivates(maxActivates) {
  }

  DramStats run() {
    initOperands();
    stats.operands.resize(numOps);
    if (!walk()) {
      // The counts so far (the rows left open stay open).
      stats.truncated = true;
      state.computeStats(stats);
      return std::move(stats);
    }
    state.finish();
    state.computeStats(stats);
    finishOperands(stats, mapping.getGeometry().getBytesPerBurst());
    return std::move(stats);
  }

private:
  void initOperands();
  /// Summarises tile `id` of operand `o` into `store`'s arenas.
  void build(unsigned o, int64_t id, SummaryStore &store, TileSummary &summary);
  /// Reads or writes tile `id` of operand `o`.
  void transfer(unsigned o, int64_t id, bool write);
  /// The tile loops in order: every operand transfer of the schedule.
  /// false: stopped past `maxActivates`.
  bool walk();

  const AddressMapping &mapping;
  const Workload &workload;
  const Mapping &tiling;
  const LayerLayout &layout;
  size_t numDims, numOps;
  unsigned burstBits;
  RowBufferState state;
  SummaryBuilder builder;
  /// The arenas of summaries that are not kept.
  SummaryStore scratch;
  /// Bank entries kept in the operands' local stores.
  size_t localEntries = 0;
  DramStats stats;
  SmallVector<int64_t, 8> numTiles;
  /// The loops that move, outermost first.
  SmallVector<unsigned, 8> loops;
  std::vector<FastOperand> ops;
  SmallVector<int64_t, 8> tileIndex;
  SmallVector<int64_t, 4> lo, size;
  DramTileCache::Impl *cache;
  uint64_t maxActivates;
};

void FastEvaluation::initOperands() {
  numTiles.resize(numDims);
  for (size_t d = 0; d < numDims; ++d)
    numTiles[d] = tiling.getNumTiles(workload, d);
  for (unsigned d : tiling.order)
    if (numTiles[d] > 1)
      loops.push_back(d);
  if (cache)
    cache->prepare(mapping, workload, tiling);
  ops.resize(numOps);
  for (size_t o = 0; o < numOps; ++o) {
    FastOperand &info = ops[o];
    const Operand &op = workload.operands[o];
    info.readWrite = op.role == OperandRole::ReadWrite;
    info.stride.assign(numDims, 0);
    for (size_t d = 0; d < numDims; ++d) {
      if (!op.isIndexedBy(d) || numTiles[d] == 1)
        continue;
      info.stride[d] = info.distinct;
      info.distinct *= numTiles[d];
    }
    for (auto [p, d] : llvm::enumerate(loops))
      if (info.stride[d] != 0)
        info.last = p;
    if (info.readWrite)
      info.visited.assign(info.distinct, false);
    if (info.distinct > kMaxCachedTiles)
      continue;
    if (cache) {
      // Kept across evaluations: every tile.
      SummaryStore &store =
          cache->operands[std::to_string(o) + layout.operands[o].str()];
      store.tiles.resize(info.distinct);
      info.store = &store;
      info.shared = true;
      continue;
    }
    // Kept in this evaluation when a tile is transferred more than once:
    // revisited (read operands are fetched again, read-write ones read back
    // and written).
    int64_t visits = 1;
    for (int p = 0; p <= info.last; ++p)
      visits *= numTiles[loops[p]];
    if (visits > info.distinct) {
      info.local.tiles.resize(info.distinct);
      info.store = &info.local;
    }
  }
}

void FastEvaluation::build(unsigned o, int64_t id, SummaryStore &store,
                           TileSummary &summary) {
  // Decode the tile id into loop tile indices.
  const FastOperand &info = ops[o];
  for (size_t d = 0; d < numDims; ++d)
    tileIndex[d] =
        info.stride[d] == 0 ? 0 : (id / info.stride[d]) % numTiles[d];
  size_t rank = workload.operands[o].extent.size();
  lo.resize(rank);
  size.resize(rank);
  int64_t elements =
      getTileBox(workload, tiling.tileSizes, o, tileIndex, lo, size);
  summary.bankBegin = store.banks.size();
  summary.channelBegin = store.channels.size();
  auto sink = [&](uint64_t first, uint64_t count) {
    builder.addRange(first, count);
  };
  forEachBurstRangeInline(layout.operands[o], lo, size, burstBits, sink);
  summary.bursts = builder.finish(store.banks, store.channels);
  summary.bankEnd = store.banks.size();
  summary.channelEnd = store.channels.size();
  summary.usefulBytes =
      static_cast<uint64_t>(workload.operands[o].getStorageBytes(elements));
  summary.built = true;
}

void FastEvaluation::transfer(unsigned o, int64_t id, bool write) {
  FastOperand &info = ops[o];
  // Where the summary lives: kept in the operand's store while the budget
  // lasts, else in the scratch arenas until the transfer is applied.
  TileSummary local;
  TileSummary *summary = &local;
  SummaryStore *store = &scratch;
  if (info.store) {
    TileSummary &kept = info.store->tiles[id];
    size_t &used = info.shared ? cache->bankEntries : localEntries;
    if (kept.built || used < kCacheBudget) {
      summary = &kept;
      store = info.store;
      if (!kept.built) {
        size_t before = store->banks.size();
        build(o, id, *store, kept);
        used += store->banks.size() - before;
      }
    }
  }
  if (!summary->built)
    build(o, id, scratch, *summary);
  state.applyTile(
      ArrayRef(store->banks)
          .slice(summary->bankBegin, summary->bankEnd - summary->bankBegin),
      ArrayRef(store->channels)
          .slice(summary->channelBegin,
                 summary->channelEnd - summary->channelBegin),
      summary->bursts, write);
  DramOperandStats &op = stats.operands[o];
  if (write) {
    ++op.writeTransfers;
    op.writeBursts += summary->bursts;
    op.usefulWriteBytes += summary->usefulBytes;
  } else {
    ++op.readTransfers;
    op.readBursts += summary->bursts;
    op.usefulReadBytes += summary->usefulBytes;
  }
  if (store == &scratch) {
    scratch.banks.clear();
    scratch.channels.clear();
  }
}

bool FastEvaluation::walk() {
  // The first step: every operand's first tile.
  SmallVector<int64_t, 8> idx(numDims, 0);
  for (size_t o = 0; o < numOps; ++o) {
    ops[o].current = 0;
    if (ops[o].readWrite)
      ops[o].visited[0] = true;
    else
      transfer(o, 0, /*write=*/false);
  }
  while (true) {
    // Advance the innermost loop; k is the outermost position that moved.
    int k = static_cast<int>(loops.size());
    while (k-- > 0) {
      unsigned d = loops[k];
      if (++idx[d] < numTiles[d])
        break;
      idx[d] = 0;
    }
    if (k < 0)
      break;
    if (state.counters.acts > maxActivates)
      return false;
    for (size_t o = 0; o < numOps; ++o)
      if (ops[o].readWrite && ops[o].last >= k)
        transfer(o, ops[o].current, /*write=*/true);
    for (size_t o = 0; o < numOps; ++o) {
      FastOperand &info = ops[o];
      if (info.last < k)
        continue;
      int64_t id = 0;
      for (size_t d = 0; d < numDims; ++d)
        id += idx[d] * info.stride[d];
      info.current = id;
      if (!info.readWrite) {
        transfer(o, id, /*write=*/false);
      } else {
        if (info.visited[id])
          transfer(o, id, /*write=*/false);
        info.visited[id] = true;
      }
    }
  }
  for (size_t o = 0; o < numOps; ++o)
    if (ops[o].readWrite)
      transfer(o, ops[o].current, /*write=*/true);
  return true;
}

} // namespace

DramStats DramModel::evaluateFast(const Workload &workload,
                                  const Mapping &tiling,
                                  const LayerLayout &layout,
                                  DramTileCache *cache,
                                  uint64_t maxActivates) const {
  return FastEvaluation(params, mapping, workload, tiling, layout, cache,
                        maxActivates)
      .run();
}
