//===- PowerTest.cpp - power model and frequency plans
//---------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The power model against hand-worked numbers, the battery arithmetic, and
// the dynamic programs against brute force over every assignment of points
// (the brute force sums its own totals; it shares only evaluateStep(), which
// the hand-worked test checks).
//
//===----------------------------------------------------------------------===//

#include "romac/Plan/Power.h"

#include "romac/Target/Target.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace romac;
using namespace romac::plan;

namespace {

/// Three points, 100 / 200 / 400 MHz at 0.6 / 0.7 / 0.8 V, nominal the top.
PowerModel makeModel(double switchNs) {
  PowerModel m;
  m.points = {{100, 0.6, 10}, {200, 0.7, 20}, {400, 0.8, 40}};
  m.nominal = 2;
  m.switchNs = switchNs;
  m.dramStandbyMW = 5;
  m.hasStaticPower = true;
  return m;
}

TEST(PlanPower, ShippedTargetModel) {
  llvm::Expected<Target> t = loadTarget("edge-npu-lpddr4");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  llvm::Expected<PowerModel> m = PowerModel::get(*t);
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  ASSERT_EQ(m->points.size(), 4u);
  EXPECT_EQ(m->nominal, 3u);
  EXPECT_DOUBLE_EQ(m->points[0].frequencyMHz, 200);
  EXPECT_DOUBLE_EQ(m->points[0].staticPowerMW, 25);
  EXPECT_DOUBLE_EQ(m->switchNs, 10000);
  EXPECT_TRUE(m->hasStaticPower);
  // LPDDR4 x16, 2 chips a rank, 2 channels of 1 rank: per rank VDD * IDD2N *
  // chips = 1.2 V * 34 mA * 2 = 81.6 mW standby, and VDD * (IDD5AB - IDD3N)
  // * tRFC * chips / tREFI = 1.2 * 233 * 392 * 2 / 8660 = 25.316 mW refresh.
  EXPECT_NEAR(m->dramStandbyMW, 2 * (81.6 + 1.2 * 233 * 392 * 2 / 8660.0),
              1e-9);
}

TEST(PlanPower, TargetWithoutNominalPointIsAnError) {
  llvm::Expected<Target> t = loadTarget("edge-npu-lpddr4");
  ASSERT_TRUE(static_cast<bool>(t));
  t->compute.frequencyMHz = 700;
  llvm::Expected<PowerModel> m = PowerModel::get(*t);
  ASSERT_FALSE(static_cast<bool>(m));
  EXPECT_NE(llvm::toString(m.takeError()).find("no point at"),
            std::string::npos);
}

TEST(PlanPower, HandWorkedStep) {
  PowerModel m = makeModel(0);
  Step s;
  s.computeCycles = 400000;
  s.onChipPJ = 3e8;
  s.dramAccessPJ = 5e5;
  s.dramBusyNs = 1.5e6;
  s.dramBusyBackgroundPJ = 1e5;
  // 400 MHz: compute 1e6 ns, DRAM-bound at 1.5e6 ns; no voltage scaling;
  // static 40 mW * 1.5e6 ns; DRAM never idle.
  StepCost top = evaluateStep(s, m, 2);
  EXPECT_DOUBLE_EQ(top.latencyNs, 1.5e6);
  EXPECT_DOUBLE_EQ(top.npuPJ, 3e8 + 40 * 1.5e6);
  EXPECT_DOUBLE_EQ(top.dramPJ, 6e5);
  EXPECT_DOUBLE_EQ(top.getNpuPowerMW(), (3e8 + 6e7) / 1.5e6);
  // 100 MHz at 0.6 V: compute 4e6 ns; dynamic energy * (0.6/0.8)^2 =
  // 0.5625; static 10 mW * 4e6 ns; DRAM idle 2.5e6 ns at 5 mW.
  StepCost low = evaluateStep(s, m, 0);
  EXPECT_DOUBLE_EQ(low.latencyNs, 4e6);
  EXPECT_DOUBLE_EQ(low.npuPJ, 3e8 * 0.5625 + 10 * 4e6);
  EXPECT_DOUBLE_EQ(low.dramPJ, 6e5 + 5 * 2.5e6);
  // P_dyn = C_eff f V^2 while computing: C_eff = 3e8 / (4e5 * 0.64).
  double ceff = 3e8 / (4e5 * 0.64);
  EXPECT_NEAR((low.npuPJ - 10 * 4e6) / 4e6, ceff * 100e-3 * 0.36, 1e-9);
}

TEST(PlanPower, BatteryArithmetic) {
  // The seed's example: 1200 mWh at 2 W lasts 0.6 h (not 600 h).
  EXPECT_DOUBLE_EQ(getBatteryHours(1200, 2000), 0.6);
  EXPECT_DOUBLE_EQ(getBatteryHours(15000, 5000), 3.0);
}

/// A random instance whose latencies are whole ns at every point.
std::vector<Segment> makeInstance(std::mt19937 &rng, unsigned steps) {
  std::uniform_int_distribution<int> cycles(1, 12), busy(0, 30), energy(1, 90);
  std::vector<Segment> segments(2);
  segments[0].name = "a";
  segments[0].count = 1;
  segments[1].name = "b";
  segments[1].count = 2;
  for (unsigned k = 0; k < steps; ++k) {
    Step s;
    s.name = "s" + std::to_string(k);
    s.computeCycles = 4 * cycles(rng); // whole ns at 100, 200 and 400 MHz
    s.onChipPJ = 1000.0 * energy(rng);
    s.dramAccessPJ = 10.0 * energy(rng);
    s.dramBusyNs = busy(rng);
    s.dramBusyBackgroundPJ = 2.0 * energy(rng);
    segments[k % 2].steps.push_back(s);
  }
  return segments;
}

/// Totals of one assignment, computed here: switches where the point
/// changes between consecutive steps (period order), weighted by the later
/// step's segment count.
struct Totals {
  double latencyNs = 0, energyPJ = 0, peakMW = 0;
};
Totals bruteTotals(const std::vector<Segment> &segments, const PowerModel &m,
                   const std::vector<unsigned> &choice) {
  Totals t;
  size_t k = 0;
  int previous = -1;
  for (const Segment &seg : segments)
    for (const Step &s : seg.steps) {
      unsigned p = choice[k++];
      if (previous >= 0 && static_cast<unsigned>(previous) != p) {
        t.latencyNs += seg.count * m.switchNs;
        t.energyPJ += seg.count * m.switchNs *
                      (m.points[p].staticPowerMW + m.dramStandbyMW);
      }
      previous = static_cast<int>(p);
      StepCost c = evaluateStep(s, m, p);
      t.latencyNs += seg.count * c.latencyNs;
      t.energyPJ += seg.count * (c.npuPJ + c.dramPJ);
      t.peakMW = std::max(t.peakMW, c.getNpuPowerMW());
    }
  return t;
}

/// Calls \p visit with every assignment of points to \p n steps.
template <typename F> void forEachChoice(unsigned n, unsigned points, F visit) {
  std::vector<unsigned> choice(n, 0);
  while (true) {
    visit(choice);
    unsigned i = 0;
    while (i < n && ++choice[i] == points)
      choice[i++] = 0;
    if (i == n)
      return;
  }
}

TEST(PlanPower, MinEnergyUnderDeadlineMatchesBruteForce) {
  std::mt19937 rng(7);
  PowerModel m = makeModel(3);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<Segment> segments = makeInstance(rng, 7);
    // Deadlines between the fastest and the slowest plan, whole ns.
    Totals fast = bruteTotals(segments, m, std::vector<unsigned>(7, 2));
    Totals slow = bruteTotals(segments, m, std::vector<unsigned>(7, 0));
    double deadline =
        std::round(fast.latencyNs +
                   (slow.latencyNs - fast.latencyNs) * (trial % 5 + 0.5) / 5.0);
    double best = std::numeric_limits<double>::infinity();
    forEachChoice(7, 3, [&](const std::vector<unsigned> &c) {
      Totals t = bruteTotals(segments, m, c);
      if (t.latencyNs <= deadline)
        best = std::min(best, t.energyPJ);
    });
    // One unit per ns: every weighted latency is a whole number of units.
    llvm::Expected<FrequencyPlan> plan = planMinEnergyUnderDeadline(
        segments, m, deadline, static_cast<unsigned>(deadline));
    ASSERT_TRUE(static_cast<bool>(plan)) << llvm::toString(plan.takeError());
    EXPECT_LE(plan->latencyNs, deadline);
    EXPECT_NEAR(plan->getEnergyPJ(), best, 1e-6 * best) << "trial " << trial;
    // The plan's own totals agree with the brute force's arithmetic.
    std::vector<unsigned> flat;
    for (const auto &seg : plan->points)
      flat.insert(flat.end(), seg.begin(), seg.end());
    Totals t = bruteTotals(segments, m, flat);
    EXPECT_NEAR(plan->latencyNs, t.latencyNs, 1e-9 * t.latencyNs);
    EXPECT_NEAR(plan->getEnergyPJ(), t.energyPJ, 1e-9 * t.energyPJ);
  }
}

TEST(PlanPower, MinEnergyMatchesBruteForce) {
  std::mt19937 rng(3);
  PowerModel m = makeModel(4);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<Segment> segments = makeInstance(rng, 7);
    double best = std::numeric_limits<double>::infinity();
    forEachChoice(7, 3, [&](const std::vector<unsigned> &c) {
      best = std::min(best, bruteTotals(segments, m, c).energyPJ);
    });
    FrequencyPlan plan = planMinEnergy(segments, m);
    EXPECT_NEAR(plan.getEnergyPJ(), best, 1e-9 * best) << "trial " << trial;
  }
}

TEST(PlanPower, NoStepsIsAnEmptyPlan) {
  PowerModel m = makeModel(4);
  std::vector<Segment> segments(1);
  segments[0].name = "relu-only";
  EXPECT_EQ(planMinEnergy(segments, m).getEnergyPJ(), 0);
  llvm::Expected<FrequencyPlan> d =
      planMinEnergyUnderDeadline(segments, m, 1000);
  ASSERT_TRUE(static_cast<bool>(d));
  EXPECT_EQ(d->latencyNs, 0);
  llvm::Expected<FrequencyPlan> c = planMinLatencyUnderCap(segments, m, 100);
  ASSERT_TRUE(static_cast<bool>(c));
  EXPECT_EQ(c->latencyNs, 0);
}

TEST(PlanPower, MinLatencyUnderCapMatchesBruteForce) {
  std::mt19937 rng(11);
  PowerModel m = makeModel(5);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<Segment> segments = makeInstance(rng, 7);
    // A cap between the smallest and the largest step power.
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const Segment &seg : segments)
      for (const Step &s : seg.steps)
        for (unsigned p = 0; p < 3; ++p) {
          double w = evaluateStep(s, m, p).getNpuPowerMW();
          lo = std::min(lo, w);
          hi = std::max(hi, w);
        }
    double cap = lo + (hi - lo) * (0.4 + 0.1 * (trial % 6));
    double best = std::numeric_limits<double>::infinity();
    forEachChoice(7, 3, [&](const std::vector<unsigned> &c) {
      Totals t = bruteTotals(segments, m, c);
      if (t.peakMW <= cap)
        best = std::min(best, t.latencyNs);
    });
    llvm::Expected<FrequencyPlan> plan =
        planMinLatencyUnderCap(segments, m, cap);
    if (best == std::numeric_limits<double>::infinity()) {
      EXPECT_FALSE(static_cast<bool>(plan)) << "trial " << trial;
      llvm::consumeError(plan.takeError());
      continue;
    }
    ASSERT_TRUE(static_cast<bool>(plan)) << llvm::toString(plan.takeError());
    EXPECT_LE(plan->peakNpuPowerMW, cap);
    EXPECT_NEAR(plan->latencyNs, best, 1e-9 * best) << "trial " << trial;
    // The paper's rule and one fixed point are never faster than the
    // optimum.
    llvm::Expected<FrequencyPlan> paper = planHighestUnderCap(segments, m, cap);
    ASSERT_TRUE(static_cast<bool>(paper));
    EXPECT_GE(paper->latencyNs, plan->latencyNs * (1 - 1e-12));
    llvm::Expected<FrequencyPlan> fixed = planFixedUnderCap(segments, m, cap);
    if (fixed)
      EXPECT_GE(fixed->latencyNs, plan->latencyNs * (1 - 1e-12));
    else
      llvm::consumeError(fixed.takeError());
  }
}

TEST(PlanPower, HighestUnderCapPicksEachStepsTopPoint) {
  PowerModel m = makeModel(0);
  Segment seg;
  seg.name = "g";
  Step busy; // compute-bound: power grows with f
  busy.name = "conv";
  busy.computeCycles = 4000;
  busy.onChipPJ = 4e6;
  Step memory = busy; // DRAM-bound at every point: low power
  memory.name = "fc";
  memory.onChipPJ = 1e5;
  memory.dramBusyNs = 1e6;
  seg.steps = {busy, memory};
  double cap = evaluateStep(busy, m, 1).getNpuPowerMW() + 1;
  ASSERT_LT(cap, evaluateStep(busy, m, 2).getNpuPowerMW());
  llvm::Expected<FrequencyPlan> plan = planHighestUnderCap({seg}, m, cap);
  ASSERT_TRUE(static_cast<bool>(plan));
  EXPECT_EQ(plan->points[0], (std::vector<unsigned>{1, 2}));
  // Classic DVFS runs both at the busy step's point.
  llvm::Expected<FrequencyPlan> fixed = planFixedUnderCap({seg}, m, cap);
  ASSERT_TRUE(static_cast<bool>(fixed));
  EXPECT_EQ(fixed->points[0], (std::vector<unsigned>{1, 1}));
}

TEST(PlanPower, BadBoundsSayWhy) {
  PowerModel m = makeModel(0);
  Segment seg;
  seg.name = "g";
  Step s;
  s.name = "conv";
  s.computeCycles = 4000;
  s.onChipPJ = 4e6;
  seg.steps = {s};
  // Fastest: 4000 cycles at 400 MHz = 10000 ns.
  llvm::Expected<FrequencyPlan> late =
      planMinEnergyUnderDeadline({seg}, m, 9000);
  ASSERT_FALSE(static_cast<bool>(late));
  std::string message = llvm::toString(late.takeError());
  EXPECT_NE(message.find("0.001 ms over"), std::string::npos) << message;
  llvm::Expected<FrequencyPlan> capped = planMinLatencyUnderCap({seg}, m, 5);
  ASSERT_FALSE(static_cast<bool>(capped));
  message = llvm::toString(capped.takeError());
  EXPECT_NE(message.find("below the static power"), std::string::npos)
      << message;
}

} // namespace
