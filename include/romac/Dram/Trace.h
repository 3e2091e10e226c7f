//===- Trace.h - DRAM traces for DRAMsim3 and Ramulator 2 -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Writes a layer's burst stream (RequestStream.h) as simulator input so that
// anyone can cross-check romac's DRAM model (DESIGN.md §4.7):
//
//  - PREFIX.dramsim3.trace: `0x<hex byte address> READ|WRITE <cycle>`, one
//    burst per line, the addresses as the layout placed them;
//  - PREFIX.dramsim3.ini: the target's DRAM as a DRAMsim3 config (geometry,
//    timing, IDD currents, page policy and the address mapping as its
//    12-letter `address_mapping`);
//  - PREFIX.ramulator2.trace: `LD|ST 0x<hex address>` for Ramulator 2's
//    LoadStoreTrace front end, re-encoded so that Ramulator 2's `ChRaBaRoCo`
//    address mapper decodes every address to the coordinate romac's mapping
//    gives (Ramulator 2 has no romanet/drmap mapper);
//  - PREFIX.summary.json: what romac predicts for exactly these bursts
//    (hits, misses, conflicts, ACT/PRE, cycles, energy).
//
// Every file is written to a temporary name and renamed when complete.
// docs/dram-model.md says how to run the simulators and what to compare.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_TRACE_H
#define ROMAC_DRAM_TRACE_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Dram/DramModel.h"
#include "romac/Dram/Layout.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace romac {

/// Options of the trace writers.
struct TraceOptions {
  /// Write at most this many bursts (0: all). The summary then describes the
  /// bursts written.
  uint64_t maxBursts = 0;
  /// writeScheduleTraces() / writeFusedGroupTraces(): only the layer of this
  /// name (the fused group holding it); empty: every layer and group.
  std::string layer;
};

/// What the trace writers wrote.
struct TraceSummary {
  /// romac's prediction for the bursts written (replayed from all banks
  /// precharged, rows closed at the end).
  DramStats stats;
  /// Whether maxBursts cut the stream short.
  bool truncated = false;
};

/// The DRAMsim3 arrival cycle of the \p index-th burst: requests arrive at
/// the peak data rate of the channels, `index × (BL/2) / channels`.
uint64_t getTraceArrivalCycle(const DramParams &params, uint64_t index);

/// Streams the layer's bursts to \p dramsim3 and \p ramulator2 (either may
/// be null) and returns romac's prediction for them.
TraceSummary writeTraces(const DramModel &model, const Workload &workload,
                         const Mapping &mapping, const LayerLayout &layout,
                         llvm::raw_ostream *dramsim3,
                         llvm::raw_ostream *ramulator2,
                         const TraceOptions &options = {});

/// A burst stream: calls its argument for every burst, in order.
using BurstSource = llvm::function_ref<void(
    llvm::function_ref<void(const DramRequest &)>)>;
/// Streams the bursts of \p source (their operands index `numOperands`
/// operand slots) to \p dramsim3 and \p ramulator2 (either may be null) and
/// returns romac's prediction for them (without useful bytes or transfers,
/// which a burst stream does not carry).
TraceSummary writeStreamTraces(const DramModel &model, BurstSource source,
                               unsigned numOperands,
                               llvm::raw_ostream *dramsim3,
                               llvm::raw_ostream *ramulator2,
                               const TraceOptions &options = {});
/// Writes a DRAMsim3 `.ini` describing \p model's DRAM. Fails when the
/// address mapping is not a field order DRAMsim3 can express.
llvm::Error writeDramsim3Ini(llvm::raw_ostream &os, const DramModel &model);

/// Writes the JSON summary of a trace.
void writeTraceSummary(llvm::raw_ostream &os, const DramModel &model,
                       const Workload &workload, const TraceSummary &summary);
/// The same for a trace called \p name whose operands are \p operandNames.
void writeTraceSummary(llvm::raw_ostream &os, const DramModel &model,
                       llvm::StringRef name,
                       llvm::ArrayRef<std::string> operandNames,
                       const TraceSummary &summary);

/// The files writeLayerTraces() produced.
struct LayerTraceFiles {
  std::string dramsim3Trace, dramsim3Ini, ramulator2Trace, summary;
  TraceSummary result;
};

/// Writes PREFIX.dramsim3.trace, PREFIX.dramsim3.ini, PREFIX.ramulator2.trace
/// and PREFIX.summary.json, each atomically (temporary file + rename; on
/// error no file is left behind).
llvm::Expected<LayerTraceFiles>
writeLayerTraces(const DramModel &model, const Workload &workload,
                 const Mapping &mapping, const LayerLayout &layout,
                 llvm::StringRef prefix, const TraceOptions &options = {});

/// writeLayerTraces() for any burst stream (a fused group's): the four
/// files for \p source, the summary naming the trace \p name and its
/// operands \p operandNames.
llvm::Expected<LayerTraceFiles>
writeTraceFiles(const DramModel &model, llvm::StringRef name,
                llvm::ArrayRef<std::string> operandNames, BurstSource source,
                llvm::StringRef prefix, const TraceOptions &options = {});

} // namespace romac

#endif // ROMAC_DRAM_TRACE_H
