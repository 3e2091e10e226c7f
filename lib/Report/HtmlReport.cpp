//===- HtmlReport.cpp - the HTML report of schedules ------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Assembles the page: the template (assets/report.html) with its markers
// replaced by the CSS, Chart.js, the escaped data blob and the report
// script, all embedded at build time (ReportAssets.inc, made by
// EmbedAssets.cmake), so the page loads nothing.
//
//===----------------------------------------------------------------------===//

#include "romac/Report/HtmlReport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <functional>
#include <string>

using namespace romac;
using llvm::StringRef;

namespace {

// kReportHtml, kReportCss, kReportJs and kChartJs (empty when the build
// found no Chart.js), each a NUL-terminated unsigned char array.
#include "ReportAssets.inc"

/// An embedded asset without its final NUL.
StringRef asset(const unsigned char *bytes, size_t size) {
  return StringRef(reinterpret_cast<const char *>(bytes), size - 1);
}

/// Writes \p text, the contents of a `<script>` or `<style>` element, with
/// what could end the element early or change how HTML reads it (`</script`,
/// `</style`, `<!--`, any case) written as `<\/script`, `<\/style` and
/// `<\!--`: the same string in a JavaScript or CSS string or comment, the
/// only places where such text can occur in valid code.
void writeElementText(llvm::raw_ostream &os, StringRef text) {
  size_t from = 0;
  for (size_t at = text.find('<'); at != StringRef::npos;
       at = text.find('<', at + 1)) {
    StringRef rest = text.drop_front(at + 1);
    bool closing = rest.starts_with_insensitive("/script") ||
                   rest.starts_with_insensitive("/style");
    if (!closing && !rest.starts_with("!--"))
      continue;
    os << text.slice(from, at + 1) << '\\';
    from = at + 1;
  }
  os << text.drop_front(from);
}

/// \p text escaped for HTML text and attribute values.
std::string escapeHtml(StringRef text) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::printHTMLEscaped(text, os);
  return out;
}

} // namespace

std::string romac::escapeJsonForScript(StringRef json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
             (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR.
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else
      out += c;
  }
  return out;
}

bool romac::isHtmlReportAvailable() { return sizeof(kChartJs) > 1; }

llvm::Error romac::writeHtmlReport(llvm::raw_ostream &os,
                                   const ReportInput &base,
                                   const ReportInput *other,
                                   const llvm::json::Value *plan) {
  if (!isHtmlReportAvailable())
    return llvm::createStringError(
        "this romac was built without Chart.js (install Debian's "
        "libjs-chart.js and rebuild)");
  std::string json;
  {
    llvm::raw_string_ostream js(json);
    js << buildReportData(base, other, plan);
  }
  std::string title = "romac report: " + base.schedule->model;
  if (other)
    title += " vs " + other->schedule->model;
  // The template's markers, in the order they occur.
  struct Part {
    StringRef marker;
    std::function<void()> write;
  };
  Part parts[] = {
      {"@TITLE@", [&] { os << escapeHtml(title); }},
      {"/*@CSS@*/",
       [&] { writeElementText(os, asset(kReportCss, sizeof(kReportCss))); }},
      {"/*@DATA@*/", [&] { os << escapeJsonForScript(json); }},
      {"/*@CHARTJS@*/",
       [&] { writeElementText(os, asset(kChartJs, sizeof(kChartJs))); }},
      {"/*@REPORTJS@*/",
       [&] { writeElementText(os, asset(kReportJs, sizeof(kReportJs))); }}};
  StringRef page = asset(kReportHtml, sizeof(kReportHtml));
  for (Part &p : parts) {
    size_t at = page.find(p.marker);
    assert(at != StringRef::npos && "report.html lacks a marker");
    os << page.take_front(at);
    p.write();
    page = page.drop_front(at + p.marker.size());
  }
  os << page;
  return llvm::Error::success();
}
