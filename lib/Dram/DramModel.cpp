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
// transfer is fully described by, per bank, its first and last row, the
// hits/conflicts between its own consecutive bursts and (for the rows a
// refresh closes) the positions of its first and last burst and the
// distance its hits span; per channel, its first and last (bank, row), the
// same-bank-group pairs and key changes inside; and its channel runs (the
// first and the last, which may join the runs around it, and the excess of
// those in between). The summary of a tile is built once from its burst
// ranges and cached (a tile is transferred many times).
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
#include "SummaryBuilder.h"

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
         precharges == o.precharges && refreshCloses == o.refreshCloses &&
         serialBursts == o.serialBursts && operands == o.operands;
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
      "act={6} pre={7} (refresh closes {13}) cycles={8} (serial bursts "
      "{14}) "
      "energy_pj{{act_pre={9:f1} rd_wr={10:f1} background={11:f1} "
      "refresh={12:f1}}",
      bursts, reads, writes, rowHits, rowMisses, rowConflicts, activates,
      precharges, cycles, energyPJ.actPre, energyPJ.rdWr, energyPJ.background,
      energyPJ.refresh, refreshCloses, serialBursts);
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
// The fast engine: tile summaries (SummaryBuilder.h) kept and applied
//===----------------------------------------------------------------------===//

namespace {

/// A tile summary in its arenas.
struct TileSummary {
  uint32_t bankBegin = 0, bankEnd = 0, channelBegin = 0, channelEnd = 0;
  uint64_t bursts = 0;
  TransferRuns runs;
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

  /// Starts over unless the cache is of this (mapping, controller queue,
  /// workload, tiling).
  void prepare(const AddressMapping &m, uint64_t queue, const Workload &w,
               const Mapping &t) {
    std::string id =
        m.str() + "|" + std::to_string(queue) + "|" + w.getCanonicalKey() + "|";
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
        burstBits(mapping.getBurstOffsetBits()),
        controllerQueue(params.controllerQueue), state(params, mapping),
        builder(mapping, params.controllerQueue), tileIndex(numDims, 0),
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
  uint64_t controllerQueue;
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
    cache->prepare(mapping, controllerQueue, workload, tiling);
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
  summary.bursts = builder.finish(store.banks, store.channels, summary.runs);
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
      summary->runs, summary->bursts, write);
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
