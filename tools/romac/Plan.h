//===- Plan.h - `romac plan` -----------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_PLAN_H
#define ROMAC_TOOLS_ROMAC_PLAN_H

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace romac::driver {

struct PlanArgs {
  /// The SD2 export (the zoom), or one model (one call per frame).
  std::string modelDir, model;
  std::vector<std::string> dims, shapes;
  std::string target = "edge-npu-lpddr4", scheduler = "pndm", output;
  unsigned steps = 50, outpaintSteps = 8, interpFrames = 30, fps = 30;
  unsigned threads = 0;
  double guidance = 7.5, batteryMWh = 15000;
  int size = 512;
  std::optional<double> powerCapMW, deadlineMs;
  bool quiet = false;
};

/// Registers `romac plan` and its flags.
CLI::App *addPlanCommand(CLI::App &app, PlanArgs &args);

/// Runs `romac plan`; returns the exit status.
int runPlan(const PlanArgs &args);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_PLAN_H
