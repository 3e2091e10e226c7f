//===- ScheduleTraces.cpp - the DRAM traces of a schedule -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// writeScheduleTraces(): per layer with a DRAM placement, its traces through
// writeLayerTraces() under a file name made from its index and name.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/ScheduleTraces.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <string>

using namespace romac;
using llvm::StringRef;

llvm::Expected<std::vector<LayerTraceFiles>>
romac::writeScheduleTraces(const Schedule &schedule, const DramParams &dram,
                           StringRef dir, const TraceOptions &options) {
  if (llvm::none_of(schedule.layers,
                    [](const LayerSchedule &l) { return l.dram.has_value(); }))
    return makeStringError("schedule of '" + schedule.model +
                           "': no layer has a DRAM placement (traces need the "
                           "DRAM-aware search)");
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeStringError(
        dir + ": error: cannot create the trace directory: " + ec.message());
  std::vector<LayerTraceFiles> files;
  size_t width = std::to_string(schedule.layers.size()).size();
  width = std::max<size_t>(width, 3);
  if (!options.layer.empty() &&
      llvm::none_of(schedule.layers, [&](const LayerSchedule &l) {
        return l.workload.name == options.layer;
      }))
    return makeStringError("schedule of '" + schedule.model +
                           "': no layer named '" + options.layer +
                           "' to trace");
  for (auto [i, l] : llvm::enumerate(schedule.layers)) {
    if (!l.dram || (!options.layer.empty() && l.workload.name != options.layer))
      continue;
    llvm::Expected<DramModel> model =
        getDramModel(dram, l.dram->addressMapping);
    if (!model)
      return makeStringError("layer '" + l.workload.name +
                             "': " + llvm::toString(model.takeError()));
    std::string name = std::to_string(i);
    name.insert(0, width - std::min(width, name.size()), '0');
    name += "-";
    for (char ch : l.workload.name)
      name +=
          llvm::isAlnum(ch) || ch == '.' || ch == '_' || ch == '-' ? ch : '_';
    llvm::SmallString<256> prefix(dir);
    llvm::sys::path::append(prefix, name);
    llvm::Expected<LayerTraceFiles> written = writeLayerTraces(
        *model, l.workload, l.mapping, l.dram->layout, prefix, options);
    if (!written)
      return makeStringError("layer '" + l.workload.name +
                             "': " + llvm::toString(written.takeError()));
    files.push_back(std::move(*written));
  }
  return files;
}
