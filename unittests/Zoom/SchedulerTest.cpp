//===- SchedulerTest.cpp - diffusion schedulers and guidance ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Known answers of the published formulas (PNDM's N+1 timesteps, the SD2
// alphas_cumprod end points), scheduler names, configuration errors and the
// guidance combination. The trajectories are compared with a torch reference
// in python/tests/test_zoom_scheduler.py.
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Scheduler.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace romac::zoom;

namespace {

const char *kSd2Config = R"({"beta_end": 0.012, "beta_schedule": "scaled_linear",
  "beta_start": 0.00085, "clip_sample": false, "num_train_timesteps": 1000,
  "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1,
  "trained_betas": null})";

std::unique_ptr<Scheduler> make(SchedulerKind kind, unsigned steps) {
  auto config = SchedulerConfig::parse(kSd2Config, "scheduler_config.json");
  EXPECT_TRUE(static_cast<bool>(config));
  auto s = Scheduler::create(kind, *config, steps);
  EXPECT_TRUE(static_cast<bool>(s));
  return std::move(*s);
}

TEST(SchedulerTest, PndmTimestepsOfSd2) {
  auto s = make(SchedulerKind::PNDM, 50);
  llvm::ArrayRef<double> t = s->getTimesteps();
  ASSERT_EQ(t.size(), 51u); // N + 1 UNet calls
  EXPECT_EQ(t[0], 981);
  EXPECT_EQ(t[1], 961);
  EXPECT_EQ(t[2], 961);
  EXPECT_EQ(t[3], 941);
  EXPECT_EQ(t[49], 21);
  EXPECT_EQ(t[50], 1);
  // beta_t = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2.
  EXPECT_NEAR(s->getAlphasCumprod()[0], 1 - 0.00085, 1e-15);
  EXPECT_NEAR(s->getAlphasCumprod()[999], 0.004660098513077241, 1e-15);
  EXPECT_EQ(s->getInitNoiseSigma(), 1.0);
}

TEST(SchedulerTest, DdimIsOneCallPerStep) {
  auto s = make(SchedulerKind::DDIM, 50);
  ASSERT_EQ(s->getNumCalls(), 50u);
  EXPECT_EQ(s->getTimesteps().front(), 981);
  EXPECT_EQ(s->getTimesteps().back(), 1);
}

// With eps = 0 DDIM keeps x0 = x / sqrt(a_t) and moves it to the next level.
TEST(SchedulerTest, DdimZeroEpsScalesBySqrtAlphaRatio) {
  auto s = make(SchedulerKind::DDIM, 10);
  std::vector<double> x{1.0, -2.0}, eps{0.0, 0.0};
  double a = s->getAlphasCumprod()[901], ap = s->getAlphasCumprod()[801];
  s->step(0, eps, x);
  EXPECT_NEAR(x[0], std::sqrt(ap / a), 1e-14);
  EXPECT_NEAR(x[1], -2 * std::sqrt(ap / a), 1e-14);
}

TEST(SchedulerTest, EulerAncestralScalesAndNoise) {
  auto s = make(SchedulerKind::EulerAncestral, 10);
  EXPECT_TRUE(s->needsNoise());
  EXPECT_GT(s->getInitNoiseSigma(), 14.0); // sigma at t = 999 is ~14.6
  double sigma = s->getInitNoiseSigma();
  EXPECT_NEAR(s->getModelInputScale(0), 1 / std::sqrt(sigma * sigma + 1), 1e-15);
}

TEST(SchedulerTest, Names) {
  for (SchedulerKind k : {SchedulerKind::PNDM, SchedulerKind::DDIM,
                          SchedulerKind::DPMSolverPP2M,
                          SchedulerKind::EulerAncestral}) {
    auto parsed = parseSchedulerKind(stringifySchedulerKind(k));
    ASSERT_TRUE(static_cast<bool>(parsed));
    EXPECT_EQ(*parsed, k);
  }
  auto bad = parseSchedulerKind("lms");
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "unknown scheduler 'lms' (known: pndm, ddim, dpm-solver++, euler-a)");
}

TEST(SchedulerTest, ConfigErrorsNameFileAndKey) {
  auto bad = SchedulerConfig::parse(R"({"beta_start": "x"})", "dir/scheduler_config.json");
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "dir/scheduler_config.json: \"beta_start\" must be a number");
  auto notJson = SchedulerConfig::parse("{,}", "s.json");
  ASSERT_FALSE(static_cast<bool>(notJson));
  EXPECT_NE(llvm::toString(notJson.takeError()).find("s.json is not valid JSON"),
            std::string::npos);
  auto config = SchedulerConfig::parse(kSd2Config, "s.json");
  ASSERT_TRUE(static_cast<bool>(config));
  auto tooMany = Scheduler::create(SchedulerKind::PNDM, *config, 1001);
  ASSERT_FALSE(static_cast<bool>(tooMany));
  llvm::consumeError(tooMany.takeError());
  auto missing = SchedulerConfig::load("/nonexistent/scheduler_config.json");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("/nonexistent/scheduler_config.json"),
            std::string::npos);
}

TEST(SchedulerTest, Guidance) {
  std::vector<float> u{1.0f, 2.0f}, c{3.0f, 0.0f}, out(2);
  applyGuidance(u, c, 7.5f, out);
  EXPECT_EQ(out[0], 1.0f + 7.5f * 2.0f);
  EXPECT_EQ(out[1], 2.0f + 7.5f * -2.0f);
  applyGuidance(u, c, 1.0f, u); // scale 1: the conditional prediction
  EXPECT_EQ(u, c);
}

} // namespace
