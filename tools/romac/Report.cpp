//===- Report.cpp - `romac report` ------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `romac report S.json [OTHER.json] [--plan plan.json] -o report.html`:
// reads one or two schedules with the validating reader (and a plan of
// `romac plan`, checked) and writes the self-contained HTML
// report of lib/Report (docs/report.md) atomically: a bad input or a failed
// write leaves whatever -o names untouched.
//
//===----------------------------------------------------------------------===//

#include "Report.h"

#include "Driver.h"

#include "romac/Report/HtmlReport.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <optional>

using namespace romac;
using namespace romac::driver;

namespace {

/// Reads and checks a `romac plan -o` JSON; errors name \p path.
llvm::Expected<llvm::json::Value> readPlanFile(const std::string &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeStringError(path + ": error: cannot read plan file (" +
                           buffer.getError().message() + ")");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeStringError(
        path + ": error: invalid JSON: " + llvm::toString(json.takeError()));
  if (llvm::Error e = checkPlanData(*json, path))
    return std::move(e);
  return json;
}

} // namespace

CLI::App *romac::driver::addReportCommand(CLI::App &app, ReportArgs &args) {
  CLI::App *report = app.add_subcommand(
      "report",
      "Write a self-contained HTML report of a schedule (totals, per-layer "
      "energy, DRAM view, tilings) with charts; with a second schedule also "
      "the ratios other / base (docs/report.md)");
  report->add_option("schedule", args.schedule, "Schedule JSON")->required();
  report->add_option("other", args.other,
                     "A second schedule JSON to compare with (layers matched "
                     "by name, as romac inspect --compare does)");
  report->add_option("--plan", args.plan,
                     "A romac plan JSON (romac plan -o): adds the lever chart "
                     "of performance per watt (docs/plan.md)");
  report
      ->add_option("-o,--output", args.output,
                   "The HTML file to write ('-' for stdout); Chart.js is "
                   "inlined, the page loads nothing")
      ->required();
  return report;
}

int romac::driver::runReport(const ReportArgs &args) {
  OutputSet outputs;
  outputs.addInput(args.schedule);
  if (!args.other.empty())
    outputs.addInput(args.other);
  if (!args.plan.empty())
    outputs.addInput(args.plan);
  if (llvm::Error e = outputs.checkFile(args.output))
    return reportError("report", std::move(e));
  if (!isHtmlReportAvailable())
    return reportError("report",
                       llvm::createStringError(
                           "this romac was built without Chart.js (install "
                           "Debian's libjs-chart.js and rebuild)"));
  llvm::Expected<Schedule> base = readScheduleFile(args.schedule);
  if (!base)
    return reportError("report", base.takeError());
  std::optional<Schedule> other;
  if (!args.other.empty()) {
    llvm::Expected<Schedule> read = readScheduleFile(args.other);
    if (!read)
      return reportError("report", read.takeError());
    other = std::move(*read);
  }
  std::optional<llvm::json::Value> plan;
  if (!args.plan.empty()) {
    llvm::Expected<llvm::json::Value> read = readPlanFile(args.plan);
    if (!read)
      return reportError("report", read.takeError());
    plan = std::move(*read);
  }
  ReportInput baseInput{&*base, llvm::sys::path::filename(args.schedule).str()};
  ReportInput otherInput;
  if (other)
    otherInput = {&*other, llvm::sys::path::filename(args.other).str()};
  llvm::Error writeError = llvm::Error::success();
  if (llvm::Error e = outputs.addFile(args.output, [&](llvm::raw_ostream &os) {
        // Only fails without Chart.js, checked above.
        llvm::cantFail(writeHtmlReport(os, baseInput,
                                       other ? &otherInput : nullptr,
                                       plan ? &*plan : nullptr));
      }))
    return reportError("report", std::move(e));
  if (llvm::Error e = outputs.commit())
    return reportError("report", std::move(e));
  return 0;
}
