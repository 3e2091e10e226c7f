//===- DramModel.h - row-buffer, timing and energy model --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DRAM model of DESIGN.md §4.6: the burst stream of a layer's tile
// schedule (RequestStream.h) goes through a row-buffer model — per bank the
// open row; a burst is a hit (its row is open), a miss (the bank is
// precharged) or a conflict (another row is open) — under an open-page or a
// closed-page policy; ACT/PRE and RD/WR counts give the energy (DRAMPower's
// formulas from the datasheet IDD currents) and, with per-bank and per-channel
// occupancy, the cycles. docs/dram-model.md describes the model and what it
// ignores.
//
// Two engines compute the same numbers:
//  - DramEngine::Replay walks every tile position and every burst (the
//    ground truth);
//  - DramEngine::Fast summarises each distinct tile transfer once (per bank
//    the first and last row and the hits/conflicts inside; per channel the
//    first/last bank and the bank-group pattern), computing the summary from
//    the transfer's burst ranges in aligned power-of-two blocks, and composes
//    the cached summaries along the loop nest. Its cost grows with the number
//    of tile transfers, distinct tiles and contiguous runs, not with bytes.
// Every count, the cycles and the energies are equal (unit-tested).
//
// This header does not include romac/Target/Target.h (DramConfig is only
// declared) so that it can be used next to romac/Analysis/Workload.h.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_DRAMMODEL_H
#define ROMAC_DRAM_DRAMMODEL_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Dram/AddressMapping.h"
#include "romac/Dram/DramParams.h"
#include "romac/Dram/Layout.h"
#include "romac/Dram/RequestStream.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace romac {

struct DramConfig;

/// DRAM energy of a layer by kind, in pJ.
struct DramEnergy {
  double actPre = 0;
  double rdWr = 0;
  double background = 0;
  double refresh = 0;

  double getTotal() const { return actPre + rdWr + background + refresh; }
};

/// DRAM traffic of one operand.
struct DramOperandStats {
  uint64_t readBursts = 0, writeBursts = 0;
  /// Bytes moved over the bus: bursts × bytes per burst.
  uint64_t readBytes = 0, writeBytes = 0;
  /// Bytes of the tile footprints (what AccessCounts counts); the rest of
  /// the burst bytes is overfetch at run edges.
  uint64_t usefulReadBytes = 0, usefulWriteBytes = 0;
  /// Tile transfers: fetches or read-backs, and write-backs.
  uint64_t readTransfers = 0, writeTransfers = 0;

  bool operator==(const DramOperandStats &other) const;
};

/// What the DRAM model reports for one layer.
struct DramStats {
  uint64_t bursts = 0, reads = 0, writes = 0;
  uint64_t rowHits = 0, rowMisses = 0, rowConflicts = 0;
  uint64_t activates = 0, precharges = 0;
  /// Open page: bursts that would hit their bank's open row but find it
  /// closed by a refresh (counted as misses, with their ACT and the
  /// refresh's precharge; an expected count, see docs/dram-model.md).
  uint64_t refreshCloses = 0;
  /// Several channels: bursts past the controller queue's depth in runs of
  /// consecutive bursts to one channel. The accelerator issues in order, so
  /// while they wait for their channel the other channels idle; the cycles
  /// are at least these bursts one after another (docs/dram-model.md).
  uint64_t serialBursts = 0;
  /// DRAM cycles (of tCK) the traffic takes, refresh included.
  uint64_t cycles = 0;
  /// Energy in pJ.
  DramEnergy energyPJ;
  /// One entry per operand, in `Workload::operands` order.
  llvm::SmallVector<DramOperandStats, 3> operands;
  /// The evaluation stopped early, past its activation limit (see
  /// DramModel::evaluate()): the numbers are partial.
  bool truncated = false;

  /// Whether every count (not cycles or energy) is equal.
  bool countsEqual(const DramStats &other) const;
  /// Whether everything is equal (energies compared exactly).
  bool operator==(const DramStats &other) const;
  /// Row-buffer hit rate: hits / bursts (0 without bursts).
  double getHitRate() const;
  /// A one-line summary for logs and test failures.
  std::string str() const;
};

/// Which implementation computes DramStats.
enum class DramEngine : uint8_t { Replay, Fast };

/// Tile summaries the fast engine keeps across evaluations of one tiling
/// under one address mapping: an operand whose layout is the same in two
/// evaluations (the search tries each tiling with several layouts of the
/// other operands) has the same summary of every tile. Results never
/// depend on it; it holds at most about 64 MiB and starts over when asked
/// for another (workload, tiling, mapping). Not thread-safe: one per
/// thread.
class DramTileCache {
public:
  DramTileCache();
  ~DramTileCache();
  DramTileCache(const DramTileCache &) = delete;
  DramTileCache &operator=(const DramTileCache &) = delete;

  struct Impl;
  Impl &getImpl() { return *impl; }

private:
  std::unique_ptr<Impl> impl;
};

/// The DRAM model of one target DRAM under one address mapping. Cheap to
/// copy; evaluate() is const and may be called from several threads.
class DramModel {
public:
  DramModel(DramParams params, AddressMapping mapping);

  /// The model of \p config's DRAM under the address mapping \p mappingName
  /// (the target's `address_mapping` when empty).
  static llvm::Expected<DramModel> get(const DramConfig &config,
                                       llvm::StringRef mappingName = "");
  /// The model of \p params under \p mappingName (`params.addressMapping`
  /// when empty).
  static llvm::Expected<DramModel> get(const DramParams &params,
                                       llvm::StringRef mappingName = "");

  const DramParams &getParams() const { return params; }
  const AddressMapping &getMapping() const { return mapping; }
  /// A copy with another row-buffer policy.
  DramModel withPolicy(PagePolicy policy) const;

  /// The DRAM statistics of \p workload tiled by \p mapping with its operands
  /// placed by \p layout: the entry point of the search's DRAM cost. The
  /// workload, the mapping and the layout must be valid and the layout must
  /// fit the DRAM (see evaluateChecked()).
  /// With the fast engine, \p cache keeps tile summaries across calls, and
  /// the walk stops (DramStats::truncated) as soon as it has made more than
  /// \p maxActivates row activations: a search that knows how many make a
  /// candidate lose stops replaying it there.
  DramStats evaluate(const Workload &workload, const Mapping &mapping,
                     const LayerLayout &layout,
                     DramEngine engine = DramEngine::Fast,
                     DramTileCache *cache = nullptr,
                     uint64_t maxActivates = UINT64_MAX) const;
  /// evaluate() after checking the workload, the mapping, the layout and
  /// that every tensor lies inside the DRAM's capacity.
  llvm::Expected<DramStats>
  evaluateChecked(const Workload &workload, const Mapping &mapping,
                  const LayerLayout &layout,
                  DramEngine engine = DramEngine::Fast) const;

  /// Replays an explicit burst stream (burst addresses, see DramRequest),
  /// from all banks precharged; the stream's operands index `operands` of
  /// the result (sized to the largest index + 1).
  DramStats replayBursts(llvm::ArrayRef<DramRequest> requests) const;
  /// replayBursts() of the requests \p produce passes to its sink, one at a
  /// time (a long stream is never stored).
  DramStats replayBurstStream(
      llvm::function_ref<void(llvm::function_ref<void(const DramRequest &)>)>
          produce) const;

private:
  DramStats replay(const Workload &workload, const Mapping &mapping,
                   const LayerLayout &layout) const;
  DramStats evaluateFast(const Workload &workload, const Mapping &mapping,
                         const LayerLayout &layout, DramTileCache *cache,
                         uint64_t maxActivates) const;

  DramParams params;
  AddressMapping mapping;
};

} // namespace romac

#endif // ROMAC_DRAM_DRAMMODEL_H
