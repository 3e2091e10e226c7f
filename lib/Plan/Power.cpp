//===- Power.cpp - power model and layer-wise frequency plans -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Plan/Power.h"

#include "romac/Dram/DramParams.h"
#include "romac/Support/Error.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

using namespace romac;
using namespace romac::plan;

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

llvm::Expected<PowerModel> PowerModel::get(const Target &target) {
  PowerModel model;
  const double f0 = target.compute.frequencyMHz;
  std::optional<double> nominalStatic = target.power.staticPowerMW;
  if (target.dvfs.empty()) {
    model.points.push_back({f0, 1.0, nominalStatic.value_or(0)});
    model.hasStaticPower = nominalStatic.has_value();
  } else {
    std::vector<DvfsPoint> dvfs = target.dvfs;
    std::sort(dvfs.begin(), dvfs.end(),
              [](const DvfsPoint &a, const DvfsPoint &b) {
                return a.frequencyMHz < b.frequencyMHz;
              });
    auto nominal = llvm::find_if(
        dvfs, [&](const DvfsPoint &p) { return p.frequencyMHz == f0; });
    if (nominal == dvfs.end())
      return makeStringError(llvm::formatv(
          "{0}: the dvfs table has no point at compute.frequency_mhz ({1:f0} "
          "MHz), the clock the schedule's energies are for",
          target.sourcePath, f0));
    model.nominal = static_cast<unsigned>(nominal - dvfs.begin());
    double v0 = nominal->voltage;
    if (!nominalStatic)
      nominalStatic = nominal->staticPowerMW;
    model.hasStaticPower = nominalStatic.has_value();
    for (const DvfsPoint &p : dvfs) {
      // A point without its own figure: the nominal static power scaled as
      // V^3 (leakage current falls with the supply), 0 without either.
      double leak = p.staticPowerMW ? *p.staticPowerMW
                                    : nominalStatic.value_or(0) *
                                          std::pow(p.voltage / v0, 3);
      model.points.push_back({p.frequencyMHz, p.voltage, leak});
    }
  }
  model.switchNs = target.power.dfsSwitchUs * 1000.0;
  llvm::Expected<DramParams> dram = DramParams::get(target.dram);
  if (!dram)
    return dram.takeError();
  // Every rank of every channel in precharge standby, plus the refresh each
  // rank needs per tREFI: pJ per ns = mW.
  double ranks =
      static_cast<double>(dram->geometry.channels * dram->geometry.ranks);
  double standbyPJPerNs =
      dram->getPrechargeStandbyEnergyPJPerCycle() / dram->tCK;
  double refreshPJPerNs =
      dram->tREFI ? dram->getRefreshEnergyPJ() /
                        (static_cast<double>(dram->tREFI) * dram->tCK)
                  : 0;
  model.dramStandbyMW = ranks * (standbyPJPerNs + refreshPJPerNs);
  return model;
}

StepCost plan::evaluateStep(const Step &step, const PowerModel &model,
                            unsigned point) {
  const OperatingPoint &p = model.points[point];
  const OperatingPoint &p0 = model.points[model.nominal];
  StepCost cost;
  double computeNs = step.computeCycles * 1000.0 / p.frequencyMHz;
  cost.latencyNs = std::max(computeNs, step.dramBusyNs);
  double scale = (p.voltage / p0.voltage) * (p.voltage / p0.voltage);
  cost.npuPJ = step.onChipPJ * scale + p.staticPowerMW * cost.latencyNs;
  cost.dramPJ =
      step.dramAccessPJ + step.dramBusyBackgroundPJ +
      model.dramStandbyMW * std::max(0.0, cost.latencyNs - step.dramBusyNs);
  return cost;
}

llvm::Error plan::checkPowerCap(const PowerModel &model, double capMW) {
  const OperatingPoint &lowest = model.points.front();
  if (capMW >= lowest.staticPowerMW)
    return llvm::Error::success();
  return makeStringError(llvm::formatv(
      "--power-cap-mw {0}: below the static power of the lowest operating "
      "point ({1:f1} mW at {2:f0} MHz)",
      llvm::format("%g", capMW), lowest.staticPowerMW, lowest.frequencyMHz));
}

//===----------------------------------------------------------------------===//
// Plans
//===----------------------------------------------------------------------===//

namespace {

/// Cost of one switch into \p point: time with no work, static and DRAM
/// standby power burning.
StepCost switchCost(const PowerModel &model, unsigned point) {
  StepCost cost;
  cost.latencyNs = model.switchNs;
  cost.npuPJ = model.points[point].staticPowerMW * model.switchNs;
  cost.dramPJ = model.dramStandbyMW * model.switchNs;
  return cost;
}

/// The steps in period order with their segment's count.
struct FlatStep {
  const Step *step;
  double count;
  unsigned segment;
};

std::vector<FlatStep> flatten(llvm::ArrayRef<Segment> segments) {
  std::vector<FlatStep> flat;
  for (auto [s, seg] : llvm::enumerate(segments))
    for (const Step &step : seg.steps)
      flat.push_back({&step, seg.count, static_cast<unsigned>(s)});
  return flat;
}

/// Shapes \p choice (one point per flat step) like \p segments.
std::vector<std::vector<unsigned>> unflatten(llvm::ArrayRef<Segment> segments,
                                             llvm::ArrayRef<unsigned> choice) {
  std::vector<std::vector<unsigned>> points;
  size_t k = 0;
  for (const Segment &seg : segments) {
    points.emplace_back();
    for (size_t i = 0; i < seg.steps.size(); ++i)
      points.back().push_back(choice[k++]);
  }
  return points;
}

std::string mw(double x) { return llvm::formatv("{0:f1} mW", x).str(); }

/// The error of a step that no point fits under \p capMW.
llvm::Error capTooLow(llvm::ArrayRef<Segment> segments, const FlatStep &f,
                      const PowerModel &model, double capMW) {
  if (llvm::Error e = checkPowerCap(model, capMW))
    return e;
  double lowest = evaluateStep(*f.step, model, 0).getNpuPowerMW();
  return makeStringError(llvm::formatv(
      "--power-cap-mw {0}: {1} step '{2}' draws {3} even at {4:f0} MHz",
      llvm::format("%g", capMW), segments[f.segment].name, f.step->name,
      mw(lowest), model.points[0].frequencyMHz));
}

/// The error of a deadline that even \p fastest misses: by how much.
llvm::Error deadlineTooShort(const FrequencyPlan &fastest,
                             const PowerModel &model, double deadlineNs) {
  return makeStringError(llvm::formatv(
      "--deadline-ms {0}: below the fastest plan ({1:f3} ms at {2:f0} MHz, "
      "{3:f3} ms over)",
      llvm::format("%g", deadlineNs * 1e-6), fastest.latencyNs * 1e-6,
      model.points.back().frequencyMHz,
      (fastest.latencyNs - deadlineNs) * 1e-6));
}

} // namespace

FrequencyPlan plan::evaluatePlan(llvm::ArrayRef<Segment> segments,
                                 const PowerModel &model,
                                 std::vector<std::vector<unsigned>> points,
                                 std::string rule) {
  FrequencyPlan plan;
  plan.rule = std::move(rule);
  std::optional<unsigned> previous;
  for (auto [seg, segPoints] : llvm::zip_equal(segments, points)) {
    for (auto [step, point] : llvm::zip_equal(seg.steps, segPoints)) {
      if (previous && *previous != point) {
        StepCost sw = switchCost(model, point);
        plan.latencyNs += seg.count * sw.latencyNs;
        plan.npuPJ += seg.count * sw.npuPJ;
        plan.dramPJ += seg.count * sw.dramPJ;
        plan.switches += seg.count;
      }
      previous = point;
      StepCost c = evaluateStep(step, model, point);
      plan.latencyNs += seg.count * c.latencyNs;
      plan.npuPJ += seg.count * c.npuPJ;
      plan.dramPJ += seg.count * c.dramPJ;
      plan.peakNpuPowerMW = std::max(plan.peakNpuPowerMW, c.getNpuPowerMW());
    }
  }
  plan.points = std::move(points);
  return plan;
}

FrequencyPlan plan::planFixed(llvm::ArrayRef<Segment> segments,
                              const PowerModel &model, unsigned point) {
  std::vector<std::vector<unsigned>> points;
  for (const Segment &seg : segments)
    points.emplace_back(seg.steps.size(), point);
  return evaluatePlan(segments, model, std::move(points), "fixed");
}

llvm::Expected<FrequencyPlan>
plan::planFixedUnderCap(llvm::ArrayRef<Segment> segments,
                        const PowerModel &model, double capMW) {
  for (unsigned p = model.points.size(); p-- > 0;) {
    FrequencyPlan plan = planFixed(segments, model, p);
    if (plan.peakNpuPowerMW <= capMW)
      return plan;
  }
  std::vector<FlatStep> flat = flatten(segments);
  for (const FlatStep &f : flat)
    if (evaluateStep(*f.step, model, 0).getNpuPowerMW() > capMW)
      return capTooLow(segments, f, model, capMW);
  return makeStringError("--power-cap-mw: no operating point fits");
}

llvm::Expected<FrequencyPlan>
plan::planHighestUnderCap(llvm::ArrayRef<Segment> segments,
                          const PowerModel &model, double capMW) {
  std::vector<FlatStep> flat = flatten(segments);
  std::vector<unsigned> choice;
  for (const FlatStep &f : flat) {
    std::optional<unsigned> best;
    for (unsigned p = model.points.size(); p-- > 0 && !best;)
      if (evaluateStep(*f.step, model, p).getNpuPowerMW() <= capMW)
        best = p;
    if (!best)
      return capTooLow(segments, f, model, capMW);
    choice.push_back(*best);
  }
  return evaluatePlan(segments, model, unflatten(segments, choice),
                      "highest-under-cap");
}

namespace {

/// The cheapest path through (step, point) where a step at point p costs
/// `cost(k, p)` (nullopt: not allowed) and entering point p from another
/// costs `switchCost(k, p)`: dynamic programming over the steps and the
/// current point (exact). Empty when some step allows no point; then
/// \p blocked is that step's index.
template <typename Cost, typename SwitchCost>
std::vector<unsigned> cheapestPath(size_t steps, unsigned points, Cost cost,
                                   SwitchCost switchCost, size_t &blocked) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // best[p]: least cost of the steps so far, the last at p; from[k][p]: the
  // point of step k-1 on that path.
  std::vector<double> best(points, kInf), next(points);
  std::vector<std::vector<unsigned>> from(steps,
                                          std::vector<unsigned>(points, 0));
  for (size_t k = 0; k < steps; ++k) {
    bool any = false;
    for (unsigned p = 0; p < points; ++p) {
      next[p] = kInf;
      std::optional<double> c = cost(k, p);
      if (!c)
        continue;
      any = true;
      if (k == 0) {
        next[p] = *c;
        continue;
      }
      for (unsigned q = 0; q < points; ++q) {
        double t = best[q] + *c + (q != p ? switchCost(k, p) : 0);
        if (t < next[p]) {
          next[p] = t;
          from[k][p] = q;
        }
      }
    }
    if (!any) {
      blocked = k;
      return {};
    }
    best.swap(next);
  }
  unsigned last = std::min_element(best.begin(), best.end()) - best.begin();
  std::vector<unsigned> choice(steps);
  for (size_t k = steps; k-- > 0;) {
    choice[k] = last;
    last = from[k][last];
  }
  return choice;
}

} // namespace

llvm::Expected<FrequencyPlan>
plan::planMinLatencyUnderCap(llvm::ArrayRef<Segment> segments,
                             const PowerModel &model, double capMW) {
  std::vector<FlatStep> flat = flatten(segments);
  if (flat.empty())
    return evaluatePlan(segments, model, unflatten(segments, {}),
                        "min-latency-under-cap");
  size_t blocked = 0;
  std::vector<unsigned> choice = cheapestPath(
      flat.size(), model.points.size(),
      [&](size_t k, unsigned p) -> std::optional<double> {
        StepCost c = evaluateStep(*flat[k].step, model, p);
        if (c.getNpuPowerMW() > capMW)
          return std::nullopt;
        return flat[k].count * c.latencyNs;
      },
      [&](size_t k, unsigned) { return flat[k].count * model.switchNs; },
      blocked);
  if (choice.empty())
    return capTooLow(segments, flat[blocked], model, capMW);
  return evaluatePlan(segments, model, unflatten(segments, choice),
                      "min-latency-under-cap");
}

FrequencyPlan plan::planMinEnergy(llvm::ArrayRef<Segment> segments,
                                  const PowerModel &model) {
  std::vector<FlatStep> flat = flatten(segments);
  if (flat.empty())
    return evaluatePlan(segments, model, unflatten(segments, {}), "min-energy");
  size_t blocked = 0;
  std::vector<unsigned> choice = cheapestPath(
      flat.size(), model.points.size(),
      [&](size_t k, unsigned p) -> std::optional<double> {
        StepCost c = evaluateStep(*flat[k].step, model, p);
        return flat[k].count * (c.npuPJ + c.dramPJ);
      },
      [&](size_t k, unsigned p) {
        StepCost sw = switchCost(model, p);
        return flat[k].count * (sw.npuPJ + sw.dramPJ);
      },
      blocked);
  return evaluatePlan(segments, model, unflatten(segments, choice),
                      "min-energy");
}

llvm::Expected<FrequencyPlan>
plan::planFixedUnderDeadline(llvm::ArrayRef<Segment> segments,
                             const PowerModel &model, double deadlineNs) {
  std::optional<FrequencyPlan> best;
  for (unsigned p = 0; p < model.points.size(); ++p) {
    FrequencyPlan plan = planFixed(segments, model, p);
    if (plan.latencyNs <= deadlineNs &&
        (!best || plan.getEnergyPJ() < best->getEnergyPJ()))
      best = std::move(plan);
  }
  if (best)
    return std::move(*best);
  return deadlineTooShort(planFixed(segments, model, model.points.size() - 1),
                          model, deadlineNs);
}

llvm::Expected<FrequencyPlan>
plan::planMinEnergyUnderDeadline(llvm::ArrayRef<Segment> segments,
                                 const PowerModel &model, double deadlineNs,
                                 unsigned buckets) {
  const unsigned P = model.points.size();
  // The fastest plan (every step at the top point) bounds what is possible.
  FrequencyPlan fastest = planFixed(segments, model, P - 1);
  if (fastest.latencyNs > deadlineNs)
    return deadlineTooShort(fastest, model, deadlineNs);
  std::vector<FlatStep> flat = flatten(segments);
  const size_t K = flat.size();
  if (K == 0) {
    fastest.rule = "min-energy-under-deadline";
    return fastest;
  }
  const double unit = deadlineNs / buckets;
  // Per step and point: its weighted time in units and energy; per step the
  // weighted switch time into it.
  std::vector<std::vector<int64_t>> time(K, std::vector<int64_t>(P));
  std::vector<std::vector<double>> energy(K, std::vector<double>(P));
  std::vector<std::vector<double>> switchEnergy(K, std::vector<double>(P));
  std::vector<int64_t> switchTime(K);
  for (auto [k, f] : llvm::enumerate(flat)) {
    for (unsigned p = 0; p < P; ++p) {
      StepCost c = evaluateStep(*f.step, model, p);
      time[k][p] = std::llround(f.count * c.latencyNs / unit);
      energy[k][p] = f.count * (c.npuPJ + c.dramPJ);
      StepCost sw = switchCost(model, p);
      switchEnergy[k][p] = f.count * (sw.npuPJ + sw.dramPJ);
    }
    switchTime[k] = std::llround(f.count * model.switchNs / unit);
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  int64_t budget = buckets;
  for (int attempt = 0; attempt < 64 && budget >= 0; ++attempt) {
    const size_t B = static_cast<size_t>(budget) + 1;
    // cur[p * B + t]: least energy of the steps so far, the last at point p,
    // using exactly t units. from[k]: the previous point on that path.
    std::vector<double> cur(P * B, kInf), nxt(P * B);
    std::vector<std::vector<uint8_t>> from(K, std::vector<uint8_t>(P * B, 0));
    for (unsigned p = 0; p < P; ++p)
      if (time[0][p] < static_cast<int64_t>(B))
        cur[p * B + time[0][p]] = energy[0][p];
    for (size_t k = 1; k < K; ++k) {
      std::fill(nxt.begin(), nxt.end(), kInf);
      for (unsigned q = 0; q < P; ++q)
        for (unsigned p = 0; p < P; ++p) {
          int64_t dt = time[k][p] + (p != q ? switchTime[k] : 0);
          double de = energy[k][p] + (p != q ? switchEnergy[k][p] : 0);
          if (dt >= static_cast<int64_t>(B))
            continue;
          const double *in = &cur[q * B];
          double *out = &nxt[p * B + dt];
          uint8_t *src = &from[k][p * B + dt];
          for (size_t t = 0; t + dt < B; ++t)
            if (in[t] + de < out[t]) {
              out[t] = in[t] + de;
              src[t] = static_cast<uint8_t>(q);
            }
        }
      cur.swap(nxt);
    }
    size_t bestIndex = P * B;
    for (size_t i = 0; i < P * B; ++i)
      if (cur[i] < kInf && (bestIndex == P * B || cur[i] < cur[bestIndex]))
        bestIndex = i;
    if (bestIndex == P * B)
      break;
    std::vector<unsigned> choice(K);
    unsigned p = bestIndex / B;
    int64_t t = bestIndex % B;
    for (size_t k = K; k-- > 0;) {
      choice[k] = p;
      if (k == 0)
        break;
      unsigned q = from[k][p * B + t];
      t -= time[k][p] + (p != q ? switchTime[k] : 0);
      p = q;
    }
    FrequencyPlan plan =
        evaluatePlan(segments, model, unflatten(segments, choice),
                     "min-energy-under-deadline");
    if (plan.latencyNs <= deadlineNs)
      return plan;
    // Rounding made the plan late: shrink the budget by the excess.
    budget -= std::max<int64_t>(1, static_cast<int64_t>(std::ceil(
                                       (plan.latencyNs - deadlineNs) / unit)));
  }
  // The DP's rounding could not place a plan: the fastest one meets it.
  fastest.rule = "min-energy-under-deadline";
  return fastest;
}
