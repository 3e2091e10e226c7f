//===- Inspect.h - romac inspect and the schedule table flags --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `romac inspect SCHEDULE [--layer L] [--compare OTHER] [--verify]`, and the
// --sort / --top flags it shares with `romac compile`.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_INSPECT_H
#define ROMAC_TOOLS_ROMAC_INSPECT_H

#include "romac/Schedule/ScheduleReport.h"

#include <CLI/CLI.hpp>

#include <string>

namespace romac::driver {

/// --sort / --top of the tables of compile and inspect.
struct TableArgs {
  std::string sort = "order";
  unsigned top = 10;

  romac::ScheduleTableOptions get() const {
    romac::ScheduleTableOptions options;
    options.sort = *romac::parseScheduleSort(sort);
    options.top = top;
    return options;
  }
};

/// Declares --sort and --top on `cmd`.
inline void addTableOptions(CLI::App *cmd, TableArgs &args) {
  cmd->add_option("--sort", args.sort,
                  "Order of the table's layers: order (the network's, "
                  "default), energy, latency or dram (bytes), largest first")
      ->check(CLI::IsMember({"order", "energy", "latency", "dram"}));
  cmd->add_option("--top", args.top,
                  "Layers with the most energy listed after the totals "
                  "(default 10; 0: none)");
}

struct InspectArgs {
  std::string schedule, layer, compare;
  bool verify = false;
  TableArgs table;
};

/// Declares `romac inspect` and its flags, bound to `args`.
CLI::App *addInspectCommand(CLI::App &app, InspectArgs &args);
/// Runs `romac inspect`; returns the exit status.
int runInspect(const InspectArgs &args);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_INSPECT_H
