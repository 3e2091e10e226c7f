//===- Power.h - power model and layer-wise frequency plans -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The power model of `romac plan` (docs/plan.md) and the frequency plans it
// compares. No MLIR here.
//
// Work is a sequence of *steps* (a layer, or a fused group of layers, as the
// schedule costs it at the target's nominal operating point f0 / V0), grouped
// into *segments* (one graph call, repeated `count` times per period: per
// video frame for the zoom). At an operating point (f, V) a step takes
//
//   latency  = max(compute cycles / f, DRAM busy time)      (DRAM time does
//                                                            not scale with f)
//   NPU      = on-chip energy(V0) * (V / V0)^2 + static(V) * latency
//   DRAM     = ACT/PRE + RD/WR + background during the busy time
//              + standby power * (latency - busy time)
//
// so its dynamic power while computing is C_eff * f * V^2 with C_eff =
// on-chip energy(V0) / (compute cycles * V0^2). The NPU power that a power
// cap bounds is the step's average: NPU energy / latency.
//
// A change of operating point between consecutive steps costs the target's
// `dfs_switch_us`, with static and DRAM standby power burning and no work
// done; the plans charge it wherever the point changes (weighted by the
// count of the later step's segment).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_PLAN_POWER_H
#define ROMAC_PLAN_POWER_H

#include "romac/Target/Target.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace romac::plan {

/// One operating point of the compute die.
struct OperatingPoint {
  double frequencyMHz = 0;
  double voltage = 0;
  double staticPowerMW = 0;
};

/// What the plans know about a target's power.
struct PowerModel {
  /// Operating points by ascending frequency. Without a `dvfs` table: the
  /// nominal point alone.
  std::vector<OperatingPoint> points;
  /// Index of the nominal point (compute.frequency_mhz) in `points`.
  unsigned nominal = 0;
  /// Time of one change of operating point, ns.
  double switchNs = 0;
  /// DRAM power when it moves nothing (precharge standby and refresh of
  /// every rank), mW.
  double dramStandbyMW = 0;
  /// Whether the static powers are the target's own figures (false: 0
  /// assumed, the target gives none).
  bool hasStaticPower = false;

  /// The model of \p target. Errors name the target file: a dvfs table
  /// without the nominal frequency.
  static llvm::Expected<PowerModel> get(const Target &target);
  /// Whether more than one operating point exists.
  bool canScale() const { return points.size() > 1; }
};

/// An error when \p capMW is below the static power of the lowest
/// operating point (no plan can meet it).
llvm::Error checkPowerCap(const PowerModel &model, double capMW);

/// A unit of work at the nominal operating point.
struct Step {
  std::string name;
  /// Array cycles at any clock.
  double computeCycles = 0;
  /// MAC and SRAM energy at the nominal voltage, pJ.
  double onChipPJ = 0;
  /// DRAM ACT/PRE and RD/WR energy (and re-layouts), pJ.
  double dramAccessPJ = 0;
  /// Time the DRAM needs for the traffic, ns.
  double dramBusyNs = 0;
  /// DRAM background and refresh energy during that time, pJ.
  double dramBusyBackgroundPJ = 0;
};

/// One graph call, `count` times per period.
struct Segment {
  std::string name;
  double count = 1;
  std::vector<Step> steps;
};

/// A step's cost at one operating point.
struct StepCost {
  double latencyNs = 0;
  double npuPJ = 0;
  double dramPJ = 0;
  /// Average NPU power over the step, mW (pJ / ns).
  double getNpuPowerMW() const { return latencyNs > 0 ? npuPJ / latencyNs : 0; }
};

StepCost evaluateStep(const Step &step, const PowerModel &model,
                      unsigned point);

/// An operating point for every step of every segment, and its totals per
/// period.
struct FrequencyPlan {
  /// How it was chosen: "fixed", "highest-under-cap", "min-latency-under-cap",
  /// "min-energy", "min-energy-under-deadline".
  std::string rule;
  /// points[segment][step]: index into PowerModel::points.
  std::vector<std::vector<unsigned>> points;
  double latencyNs = 0;
  double npuPJ = 0;
  double dramPJ = 0;
  /// Operating point changes per period (weighted by segment counts).
  double switches = 0;
  /// The largest average NPU power of any step, mW.
  double peakNpuPowerMW = 0;

  double getEnergyPJ() const { return npuPJ + dramPJ; }
};

/// The totals of \p points (shaped like \p segments) under \p model.
FrequencyPlan evaluatePlan(llvm::ArrayRef<Segment> segments,
                           const PowerModel &model,
                           std::vector<std::vector<unsigned>> points,
                           std::string rule);

/// Every step at \p point.
FrequencyPlan planFixed(llvm::ArrayRef<Segment> segments,
                        const PowerModel &model, unsigned point);

/// Classic DVFS under a power cap: the highest single point at which no step
/// draws more than \p capMW. An error when even the lowest does not fit.
llvm::Expected<FrequencyPlan>
planFixedUnderCap(llvm::ArrayRef<Segment> segments, const PowerModel &model,
                  double capMW);

/// The ETRI Journal 2022 rule: each step at the highest point whose power
/// fits \p capMW.
llvm::Expected<FrequencyPlan>
planHighestUnderCap(llvm::ArrayRef<Segment> segments, const PowerModel &model,
                    double capMW);

/// romac's optimum under a power cap: the least latency per period, switch
/// costs included, every step within \p capMW (dynamic programming over the
/// steps and the current point; exact).
llvm::Expected<FrequencyPlan>
planMinLatencyUnderCap(llvm::ArrayRef<Segment> segments,
                       const PowerModel &model, double capMW);

/// The most frames per joule: the least energy per period, switch costs
/// included, with no bound on time (dynamic programming, exact).
FrequencyPlan planMinEnergy(llvm::ArrayRef<Segment> segments,
                            const PowerModel &model);

/// Classic DVFS under a deadline: the single point with the least energy
/// that meets \p deadlineNs.
llvm::Expected<FrequencyPlan>
planFixedUnderDeadline(llvm::ArrayRef<Segment> segments,
                       const PowerModel &model, double deadlineNs);

/// romac's optimum under a deadline: the least energy per period whose
/// latency, switch costs included, meets \p deadlineNs. A multiple-choice
/// knapsack solved by dynamic programming over (step, current point, time):
/// times are counted in units of deadline / \p buckets, rounded to the
/// nearest unit; when the plan found misses the deadline in exact time the
/// budget shrinks by the excess and the DP runs again. Exact when every
/// weighted latency is a multiple of the unit (the unit tests' brute-force
/// cases). An error names how far the fastest plan is from the deadline.
llvm::Expected<FrequencyPlan>
planMinEnergyUnderDeadline(llvm::ArrayRef<Segment> segments,
                           const PowerModel &model, double deadlineNs,
                           unsigned buckets = 20000);

/// Hours a battery of \p batteryMWh lasts at an average \p powerMW
/// (1200 mWh at 2 W: 0.6 h).
inline double getBatteryHours(double batteryMWh, double powerMW) {
  return powerMW > 0 ? batteryMWh / powerMW : 0;
}

} // namespace romac::plan

#endif // ROMAC_PLAN_POWER_H
