//===- Inspect.cpp - romac inspect ------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Inspect.h"
#include "Driver.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleVerify.h"
#include "romac/Support/Parallel.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

using namespace romac::driver;

/// Prints one layer of a schedule in detail.
static void printLayerDetail(llvm::raw_ostream &os,
                             const romac::LayerSchedule &l) {
  const romac::Workload &w = l.workload;
  os << "layer '" << w.name << "' (" << romac::stringifyOpKind(w.op)
     << ")\n  dims:";
  for (const romac::LoopDim &d : w.dims)
    os << " " << d.name << "=" << d.bound
       << (d.kind == romac::LoopKind::Reduction ? "(red)" : "");
  os << "\n  operands:\n";
  for (auto [k, o] : llvm::enumerate(w.operands)) {
    os << "    " << o.name << " '" << o.tensor << "' "
       << romac::stringifyOperandRole(o.role) << ", " << o.bytesPerElement
       << " B/elem, ";
    if (o.isCompressed())
      os << llvm::formatv("stored {0:f4} bits/elem, ", o.storageBits16 / 16.0);
    os << "[";
    for (unsigned d = 0; d < o.projection.size(); ++d)
      os << (d ? ", " : "") << w.projectionString(k, d);
    os << "] extent [";
    for (auto [d, e] : llvm::enumerate(o.extent))
      os << (d ? ", " : "") << e;
    os << "]\n";
  }
  os << "  mapping: " << l.mapping.str(w) << ", reuse " << l.reuse
     << ", spatial " << l.spatial.str(w) << "\n";
  os << llvm::formatv("  MACs {0}, utilisation {1:f1}%\n", l.cost.macs,
                      100 * l.cost.utilization);
  os << llvm::formatv("  energy pJ: MAC {0:f0}, SRAM {1:f0}, DRAM {2:f0}, "
                      "total {3:f0}\n",
                      l.cost.macEnergyPJ, l.cost.sramEnergyPJ,
                      l.cost.dramEnergyPJ, l.cost.totalEnergyPJ);
  os << llvm::formatv("  cycles {0:f0} (compute {1}, DRAM {2:f0})\n",
                      l.cost.cycles, l.cost.computeCycles, l.cost.dramCycles);
  // Tile visits and distinct tiles follow from the tiling (a saved schedule
  // does not store them): the access counts of docs/access-counts.md.
  romac::AccessCounts counts = romac::computeAccessCounts(w, l.mapping);
  os << "  per operand: DRAM read/write bytes, SRAM read/write bytes, tile "
        "bytes, tile visits, distinct tiles\n";
  for (auto [k, c] : llvm::enumerate(l.cost.operands)) {
    if (k >= w.operands.size())
      continue;
    int64_t visits = 0, distinct = 0;
    if (!counts.overflow && k < counts.operands.size()) {
      visits = counts.operands[k].visits;
      distinct = counts.operands[k].distinctTiles;
    }
    os << llvm::formatv("    {0,-8} {1,12} {2,12} {3,12} {4,12} {5,10} "
                        "{6,8} {7,8}\n",
                        w.operands[k].name, c.dramReadBytes, c.dramWriteBytes,
                        c.sramReadBytes, c.sramWriteBytes, c.tileBytes, visits,
                        distinct);
  }
  const romac::DramEstimate &d = l.cost.dram;
  if (d.bursts && d.rowHits && d.rowMisses && d.rowConflicts) {
    os << llvm::formatv(
        "  DRAM (row-buffer model{0}): {1} bursts, {2} row hits ({3:f1}%), "
        "{4} misses, {5} conflicts",
        l.dram ? ", mapping " + l.dram->addressMapping : std::string(),
        *d.bursts, *d.rowHits,
        *d.bursts ? 100.0 * static_cast<double>(*d.rowHits) /
                        static_cast<double>(*d.bursts)
                  : 0.0,
        *d.rowMisses, *d.rowConflicts);
    if (l.dram)
      os << ", " << l.dram->activates << " activations";
    os << "\n  DRAM energy pJ:";
    for (const auto &[name, pj] : d.energyBreakdownPJ)
      os << llvm::formatv(" {0} {1:f0}", name, pj);
    os << llvm::formatv(", total {0:f0}; DRAM cycles {1:f0}\n", d.energyPJ,
                        d.cycles);
  }
  if (l.dram) {
    for (auto [k, layout] : llvm::enumerate(l.dram->layout.operands))
      if (k < w.operands.size())
        os << "  layout " << w.operands[k].name << ": " << layout.str() << "\n";
    for (const romac::Relayout &r : l.dram->relayouts)
      os << llvm::formatv("  re-layout of '{0}' (written by '{1}'): {2} "
                          "bytes, {3:f0} pJ, {4:f0} cycles\n",
                          r.tensor, r.producer, r.bytes, r.energyPJ, r.cycles);
  }
}

int romac::driver::runInspect(const InspectArgs &args) {
  llvm::Expected<romac::Schedule> schedule =
      romac::readScheduleFile(args.schedule);
  if (!schedule)
    return reportError("inspect", schedule.takeError());
  if (args.verify) {
    // Loading checked the tile counts, the buffers and the totals; Z3 proves
    // each tiling point by point.
    std::unique_ptr<llvm::ThreadPoolInterface> pool = romac::makeThreadPool(0);
    if (llvm::Error e = romac::verifySchedule(*schedule, {}, pool.get())) {
      llvm::errs() << "romac inspect: error: " << args.schedule
                   << ": the schedule does not verify: "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    llvm::errs() << "romac inspect: " << args.schedule << ": Z3 proved every "
                 << "tiling of its " << schedule->layers.size()
                 << " layers covers its iteration space once and fits its "
                    "buffers\n";
  }
  if (!args.compare.empty()) {
    llvm::Expected<romac::Schedule> other =
        romac::readScheduleFile(args.compare);
    if (!other)
      return reportError("inspect", other.takeError());
    romac::printScheduleComparison(llvm::outs(), *schedule, *other);
    return 0;
  }
  if (!args.layer.empty()) {
    for (const romac::LayerSchedule &l : schedule->layers)
      if (l.workload.name == args.layer) {
        printLayerDetail(llvm::outs(), l);
        romac::printStreamingLayersFusedInto(llvm::outs(), *schedule,
                                             args.layer);
        return 0;
      }
    for (const romac::StreamingLayerSchedule &l : schedule->streaming)
      if (l.name == args.layer) {
        romac::printStreamingLayerDetail(llvm::outs(), l);
        return 0;
      }
    llvm::errs() << "romac inspect: error: " << args.schedule
                 << ": no layer named '" << args.layer << "'\n";
    return 1;
  }
  romac::printScheduleTable(llvm::outs(), *schedule, args.table.get());
  return 0;
}

/// Declares `romac inspect` and its flags, bound to `args`.
CLI::App *romac::driver::addInspectCommand(CLI::App &app, InspectArgs &args) {
  CLI::App *inspectCmd = app.add_subcommand(
      "inspect", "Print a saved schedule, one layer in detail, or compare "
                 "two schedules");
  inspectCmd->add_option("schedule", args.schedule, "Schedule JSON")
      ->required();
  inspectCmd->add_option("--layer", args.layer, "Print this layer in detail");
  inspectCmd->add_option("--compare", args.compare,
                         "Compare with this schedule (ratios other/base)");
  inspectCmd->add_flag("--verify", args.verify,
                       "Also prove every tiling with Z3 (coverage, capacity); "
                       "loading already checks tile counts, buffers and "
                       "totals");
  addTableOptions(inspectCmd, args.table);
  return inspectCmd;
}
