//===- ScheduleTraces.h - the DRAM traces of a schedule ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DRAMsim3 and Ramulator 2 traces of a schedule's layers
// (`romac compile --dram-trace DIR`). Part of RomacSchedule; needs only the
// DRAM model.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SCHEDULE_SCHEDULETRACES_H
#define ROMAC_SCHEDULE_SCHEDULETRACES_H

#include "romac/Dram/DramParams.h"
#include "romac/Dram/Trace.h"
#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace romac {

/// Writes the DRAMsim3 and Ramulator 2 traces of every layer that has a
/// LayerDramInfo into the directory \p dir (created if needed), with the
/// layer's address mapping and layouts on the DRAM of \p dram (the target's
/// DramParams, loadDramParams()): per layer `NNN-NAME.dramsim3.trace`,
/// `.dramsim3.ini`, `.ramulator2.trace` and `.summary.json`
/// (writeLayerTraces(); NNN is the layer's index, NAME its name with characters
/// other than letters, digits, '.', '_' and '-' replaced by '_'). Fails when no
/// layer has a DRAM placement or a file cannot be written.
llvm::Expected<std::vector<LayerTraceFiles>>
writeScheduleTraces(const Schedule &schedule, const DramParams &dram,
                    llvm::StringRef dir, const TraceOptions &options = {});

} // namespace romac

#endif // ROMAC_SCHEDULE_SCHEDULETRACES_H
