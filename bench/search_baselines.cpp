//===- search_baselines.cpp - fixed reuse schemes vs adaptive ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Prints, for a layer list, the DRAM traffic of ROMANet's three fixed reuse
// schemes (each with its best tiles) and of the adaptive search, minimising
// DRAM accesses as ROMANet does, then the per-layer schedule table of the
// adaptive search.
//
//   romac-search-baselines [alexnet|vgg16|sd2-unet|headline] [TARGET]
//                          [OBJECTIVE]
//
//===----------------------------------------------------------------------===//

#include "Workloads.h"

#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Search/Search.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>

using namespace romac;
using namespace romac::bench;

int main(int argc, char **argv) {
  std::string list = argc > 1 ? argv[1] : "alexnet";
  std::string targetName = argc > 2 ? argv[2] : "romanet-ddr3";
  std::string objectiveName = argc > 3 ? argv[3] : "dram-accesses";
  std::vector<Workload> layers;
  if (list == "alexnet")
    layers = makeAlexNetConvs();
  else if (list == "vgg16")
    layers = makeVgg16Convs();
  else if (list == "sd2-unet")
    layers = makeSd2UnetWorkloads();
  else if (list == "headline")
    layers = {makeHeadlineConv()};
  else {
    llvm::errs() << "error: unknown list '" << list
                 << "' (alexnet, vgg16, sd2-unet, headline)\n";
    return 1;
  }
  std::optional<Objective> objective = symbolizeObjective(objectiveName);
  if (!objective) {
    llvm::errs() << "error: unknown objective '" << objectiveName << "'\n";
    return 1;
  }
  llvm::Expected<CostTarget> target = loadCostTarget(targetName);
  if (!target) {
    llvm::errs() << llvm::toString(target.takeError()) << "\n";
    return 1;
  }
  SearchOptions options;
  options.objective = *objective;

  auto start = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<BaselineRow>> rows =
      compareReuseSchemes(layers, *target, options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!rows) {
    llvm::errs() << llvm::toString(rows.takeError()) << "\n";
    return 1;
  }
  llvm::outs() << list << " on " << targetName << ", objective "
               << objectiveName << " (4 searches per layer in " << seconds
               << " s):\n";
  printBaselineTable(llvm::outs(), *rows);

  options.policy = ReusePolicy::Adaptive;
  std::vector<LayerResult> results =
      llvm::cantFail(searchLayers(layers, *target, options));
  llvm::outs() << "\n";
  printScheduleTable(llvm::outs(),
                     makeSchedule(list, *target, layers, results, options));
  return 0;
}
