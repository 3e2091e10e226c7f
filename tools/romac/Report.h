//===- Report.h - `romac report` -------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_REPORT_H
#define ROMAC_TOOLS_ROMAC_REPORT_H

#include <CLI/CLI.hpp>

#include <string>

namespace romac::driver {

struct ReportArgs {
  std::string schedule, other, output, plan;
};

/// Registers `romac report` and its flags.
CLI::App *addReportCommand(CLI::App &app, ReportArgs &args);

/// Runs `romac report`; returns the exit status.
int runReport(const ReportArgs &args);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_REPORT_H
