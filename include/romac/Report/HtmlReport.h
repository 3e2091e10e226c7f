//===- HtmlReport.h - the HTML report of schedules --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `romac report`: one self-contained HTML file showing a schedule (and, with
// a second one, their ratios) with charts (docs/report.md). The report is a
// static page (lib/Report/assets: HTML, CSS, the script that draws it)
// embedded in the library at build time, Debian's Chart.js inlined, and a
// JSON data blob built here from the schedules with the schedule library's
// own numbers (Schedule::getTotals(), the access-count model for the DRAM
// lower bound, matchScheduleLayers() for the comparison). Nothing is loaded
// from the network. Library RomacReport.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_REPORT_HTMLREPORT_H
#define ROMAC_REPORT_HTMLREPORT_H

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace romac {

/// One schedule of a report and the name it is shown under (its file name).
struct ReportInput {
  const Schedule *schedule = nullptr;
  std::string label;
};

/// The data blob of a report: the totals, one entry per layer (energy
/// split, DRAM traffic against its lower bound, row-buffer counts, buffer
/// occupancy, the tiling), the fused groups and, with \p other, the layers
/// matched by name with their ratios other / base, and with \p plan (a
/// `romac plan -o` JSON) that plan as "plan". docs/report.md lists the
/// keys.
llvm::json::Value buildReportData(const ReportInput &base,
                                  const ReportInput *other = nullptr,
                                  const llvm::json::Value *plan = nullptr);

/// \p json made safe inside an HTML `<script>` element: `<`, `>`, `&`,
/// U+2028 and U+2029 become `\uXXXX` escapes (JSON and JavaScript read them
/// back as the same characters), so no string in the data can close the
/// element or start markup.
std::string escapeJsonForScript(llvm::StringRef json);

/// Whether the report's page can be written: false when the build found no
/// Chart.js to embed (libjs-chart.js was not installed).
bool isHtmlReportAvailable();

/// Writes the report of \p base (and \p other) as one HTML page: the page
/// template with the CSS, Chart.js, the data blob and the report script
/// inlined. Fails only when isHtmlReportAvailable() is false.
llvm::Error writeHtmlReport(llvm::raw_ostream &os, const ReportInput &base,
                            const ReportInput *other = nullptr,
                            const llvm::json::Value *plan = nullptr);

/// Checks that \p plan is a `romac plan -o` JSON the report can draw
/// (format, version, lever rows with their figures); the error names
/// \p fileName.
llvm::Error checkPlanData(const llvm::json::Value &plan,
                          llvm::StringRef fileName);

} // namespace romac

#endif // ROMAC_REPORT_HTMLREPORT_H
