//===- Scheduler.cpp - diffusion schedulers and guidance ------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// PNDM (PLMS part), DDIM (eta 0), DPM-Solver++ (2M) and Euler ancestral as
// diffusers implements them (include/romac/Zoom/Scheduler.h), and the
// scheduler_config.json reader.
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Scheduler.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <deque>

using namespace romac;
using namespace romac::zoom;

//===----------------------------------------------------------------------===//
// Kinds
//===----------------------------------------------------------------------===//

static constexpr std::pair<SchedulerKind, llvm::StringLiteral> kKindNames[] = {
    {SchedulerKind::PNDM, "pndm"},
    {SchedulerKind::DDIM, "ddim"},
    {SchedulerKind::DPMSolverPP2M, "dpm-solver++"},
    {SchedulerKind::EulerAncestral, "euler-a"},
};

llvm::StringRef zoom::stringifySchedulerKind(SchedulerKind kind) {
  for (auto &[k, name] : kKindNames)
    if (k == kind)
      return name;
  return "?";
}

llvm::Expected<SchedulerKind> zoom::parseSchedulerKind(llvm::StringRef name) {
  for (auto &[k, n] : kKindNames)
    if (n == name)
      return k;
  return makeStringError("unknown scheduler '" + name +
                         "' (known: pndm, ddim, dpm-solver++, euler-a)");
}

//===----------------------------------------------------------------------===//
// scheduler_config.json
//===----------------------------------------------------------------------===//

namespace {
/// Reads typed keys of one JSON object; the first error is kept.
class ConfigReader {
public:
  ConfigReader(const llvm::json::Object &obj, llvm::StringRef path)
      : obj(obj), path(path) {}

  void get(llvm::StringRef key, int &out) {
    if (const llvm::json::Value *v = find(key)) {
      std::optional<int64_t> i = v->getAsInteger();
      if (!i || *i < 0 || *i > (1 << 24))
        return fail(key, "a non-negative integer");
      out = static_cast<int>(*i);
    }
  }
  void get(llvm::StringRef key, double &out) {
    if (const llvm::json::Value *v = find(key)) {
      std::optional<double> d = v->getAsNumber();
      if (!d || !std::isfinite(*d))
        return fail(key, "a number");
      out = *d;
    }
  }
  void get(llvm::StringRef key, bool &out) {
    if (const llvm::json::Value *v = find(key)) {
      std::optional<bool> b = v->getAsBoolean();
      if (!b)
        return fail(key, "true or false");
      out = *b;
    }
  }
  void get(llvm::StringRef key, std::string &out,
           llvm::ArrayRef<llvm::StringRef> allowed) {
    if (const llvm::json::Value *v = find(key)) {
      std::optional<llvm::StringRef> s = v->getAsString();
      if (!s || !llvm::is_contained(allowed, *s))
        return fail(key, "one of " + llvm::join(allowed, ", ") +
                             " (romac implements these)");
      out = s->str();
    }
  }
  /// \p key must be absent, null or equal to \p value (a feature romac does
  /// not implement).
  template <typename T>
  void require(llvm::StringRef key, T value, llvm::StringRef what) {
    if (const llvm::json::Value *v = find(key))
      if (!(*v == llvm::json::Value(value)))
        fail(key, what);
  }
  llvm::Error takeError() { return std::move(err); }

private:
  const llvm::json::Value *find(llvm::StringRef key) {
    const llvm::json::Value *v = obj.get(key);
    return v && v->kind() != llvm::json::Value::Null ? v : nullptr;
  }
  void fail(llvm::StringRef key, const llvm::Twine &expected) {
    if (!err)
      err = makeStringError(path + ": \"" + key + "\" must be " + expected);
  }

  const llvm::json::Object &obj;
  llvm::StringRef path;
  llvm::Error err = llvm::Error::success();
};
} // namespace

llvm::Expected<SchedulerConfig> SchedulerConfig::parse(llvm::StringRef text,
                                                       llvm::StringRef path) {
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return makeStringError(path + " is not valid JSON: " +
                           llvm::toString(json.takeError()));
  const llvm::json::Object *obj = json->getAsObject();
  if (!obj)
    return makeStringError(path + " must hold a JSON object");
  SchedulerConfig c;
  ConfigReader r(*obj, path);
  r.get("num_train_timesteps", c.numTrainTimesteps);
  r.get("beta_start", c.betaStart);
  r.get("beta_end", c.betaEnd);
  r.get("beta_schedule", c.betaSchedule, {"linear", "scaled_linear"});
  r.get("set_alpha_to_one", c.setAlphaToOne);
  r.get("steps_offset", c.stepsOffset);
  r.get("timestep_spacing", c.timestepSpacing,
        {"leading", "linspace", "trailing"});
  r.get("clip_sample", c.clipSample);
  r.get("clip_sample_range", c.clipSampleRange);
  r.get("solver_order", c.solverOrder);
  r.get("lower_order_final", c.lowerOrderFinal);
  r.get("final_sigmas_type", c.finalSigmasType, {"zero", "sigma_min"});
  std::string unused;
  r.get("prediction_type", unused, {"epsilon"});
  r.get("algorithm_type", unused, {"dpmsolver++"});
  r.get("solver_type", unused, {"midpoint"});
  r.require("skip_prk_steps", true, "true (PNDM's Runge-Kutta warm-up is not implemented)");
  r.require("thresholding", false, "false (dynamic thresholding is not implemented)");
  r.require("use_karras_sigmas", false, "false (Karras sigmas are not implemented)");
  if (const llvm::json::Value *betas = obj->get("trained_betas"))
    if (betas->kind() != llvm::json::Value::Null)
      r.require("trained_betas", nullptr, "null (trained betas are not implemented)");
  if (llvm::Error e = r.takeError())
    return std::move(e);
  if (c.numTrainTimesteps < 2)
    return makeStringError(path + ": \"num_train_timesteps\" must be at least 2");
  if (!(c.betaStart > 0 && c.betaEnd > 0 && c.betaStart < 1 && c.betaEnd < 1))
    return makeStringError(path + ": \"beta_start\" and \"beta_end\" must lie in (0, 1)");
  if (c.solverOrder < 1 || c.solverOrder > 2)
    return makeStringError(path + ": \"solver_order\" must be 1 or 2 (romac implements these)");
  return c;
}

llvm::Expected<SchedulerConfig> SchedulerConfig::load(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return makeStringError("cannot read " + path + ": " +
                           buf.getError().message());
  return parse((*buf)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

/// numpy.linspace(start, stop, num) (num >= 1; the last value is stop).
static std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> v(num);
  double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
  for (int i = 0; i < num; ++i)
    v[i] = start + i * step;
  if (num > 1)
    v.back() = stop;
  return v;
}

/// numpy.round: halves to even.
static double roundHalfEven(double x) { return std::nearbyint(x); }

Scheduler::~Scheduler() = default;

Scheduler::Scheduler(SchedulerKind kind, const SchedulerConfig &config)
    : kind(kind), config(config) {
  int n = config.numTrainTimesteps;
  std::vector<double> betas;
  if (config.betaSchedule == "scaled_linear") {
    betas = linspace(std::sqrt(config.betaStart), std::sqrt(config.betaEnd), n);
    for (double &b : betas)
      b *= b;
  } else {
    betas = linspace(config.betaStart, config.betaEnd, n);
  }
  alphasCumprod.resize(n);
  double prod = 1.0;
  for (int i = 0; i < n; ++i)
    alphasCumprod[i] = prod *= 1.0 - betas[i];
}

/// Descending integer timesteps of the "leading", "trailing" or "linspace"
/// spacing (diffusers' DDIM / PNDM set_timesteps).
static std::vector<double> integerTimesteps(const SchedulerConfig &c,
                                            llvm::StringRef spacing, int n) {
  int t = c.numTrainTimesteps;
  std::vector<double> ts;
  if (spacing == "leading") {
    int ratio = t / n;
    for (int k = n - 1; k >= 0; --k)
      ts.push_back(double(k) * ratio + c.stepsOffset);
  } else if (spacing == "trailing") {
    double ratio = double(t) / n;
    for (int k = 0; k < n; ++k)
      ts.push_back(roundHalfEven(t - k * ratio) - 1);
  } else {
    std::vector<double> v = linspace(0, t - 1, n);
    for (int k = n - 1; k >= 0; --k)
      ts.push_back(roundHalfEven(v[k]));
  }
  return ts;
}

//===----------------------------------------------------------------------===//
// PNDM (skip_prk_steps: PLMS only)
//===----------------------------------------------------------------------===//

namespace {
class PndmScheduler : public Scheduler {
public:
  PndmScheduler(const SchedulerConfig &c, int n)
      : Scheduler(SchedulerKind::PNDM, c), numSteps(n) {
    // _timesteps ascending; PLMS: [_t[:-1], _t[-2], _t[-1]] reversed.
    std::vector<double> asc =
        integerTimesteps(c, c.timestepSpacing.empty() ? "leading" : c.timestepSpacing, n);
    std::reverse(asc.begin(), asc.end());
    std::vector<double> plms(asc.begin(), asc.end() - 1);
    if (asc.size() >= 2)
      plms.push_back(asc[asc.size() - 2]);
    plms.push_back(asc.back());
    timesteps.assign(plms.rbegin(), plms.rend());
    finalAlpha = c.setAlphaToOne ? 1.0 : alphasCumprod[0];
  }

  void step(size_t call, llvm::ArrayRef<double> eps,
            llvm::MutableArrayRef<double> sample,
            llvm::ArrayRef<double>) override {
    assert(call == counter && "PNDM steps must be taken in order");
    int ratio = config.numTrainTimesteps / numSteps;
    double t = timesteps[call], prev = t - ratio;
    std::vector<double> e(eps.begin(), eps.end());
    if (counter != 1) {
      if (ets.size() > 3)
        ets.pop_front();
      ets.emplace_back(eps.begin(), eps.end());
    } else {
      prev = t;
      t = t + ratio;
    }
    size_t n = ets.size();
    if (n == 1 && counter == 0) {
      curSample.assign(sample.begin(), sample.end());
    } else if (n == 1 && counter == 1) {
      for (size_t i = 0; i < e.size(); ++i)
        e[i] = (eps[i] + ets[0][i]) / 2;
      std::copy(curSample.begin(), curSample.end(), sample.begin());
      curSample.clear();
    } else {
      const auto &e1 = ets[n - 1], &e2 = ets[n - 2];
      for (size_t i = 0; i < e.size(); ++i) {
        if (n == 2)
          e[i] = (3 * e1[i] - e2[i]) / 2;
        else if (n == 3)
          e[i] = (23 * e1[i] - 16 * e2[i] + 5 * ets[n - 3][i]) / 12;
        else
          e[i] = (1.0 / 24) * (55 * e1[i] - 59 * e2[i] + 37 * ets[n - 3][i] -
                               9 * ets[n - 4][i]);
      }
    }
    // _get_prev_sample (formula (9) of the PNDM paper).
    double a = alphasCumprod[static_cast<size_t>(t)];
    double ap = prev >= 0 ? alphasCumprod[static_cast<size_t>(prev)] : finalAlpha;
    double sampleCoeff = std::sqrt(ap / a);
    double denom = a * std::sqrt(1 - ap) + std::sqrt(a * (1 - a) * ap);
    for (size_t i = 0; i < sample.size(); ++i)
      sample[i] = sampleCoeff * sample[i] - (ap - a) * e[i] / denom;
    ++counter;
  }

private:
  int numSteps;
  double finalAlpha;
  size_t counter = 0;
  std::deque<std::vector<double>> ets;
  std::vector<double> curSample;
};

//===----------------------------------------------------------------------===//
// DDIM (eta 0)
//===----------------------------------------------------------------------===//

class DdimScheduler : public Scheduler {
public:
  DdimScheduler(const SchedulerConfig &c, int n)
      : Scheduler(SchedulerKind::DDIM, c), numSteps(n) {
    timesteps = integerTimesteps(
        c, c.timestepSpacing.empty() ? "leading" : c.timestepSpacing, n);
    finalAlpha = c.setAlphaToOne ? 1.0 : alphasCumprod[0];
  }

  void step(size_t call, llvm::ArrayRef<double> eps,
            llvm::MutableArrayRef<double> sample,
            llvm::ArrayRef<double>) override {
    double t = timesteps[call];
    double prev = t - config.numTrainTimesteps / numSteps;
    double a = alphasCumprod[static_cast<size_t>(t)];
    double ap = prev >= 0 ? alphasCumprod[static_cast<size_t>(prev)] : finalAlpha;
    double r = config.clipSampleRange;
    for (size_t i = 0; i < sample.size(); ++i) {
      double x0 = (sample[i] - std::sqrt(1 - a) * eps[i]) / std::sqrt(a);
      if (config.clipSample) // pred_epsilon stays the model's output
        x0 = std::clamp(x0, -r, r);
      sample[i] = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * eps[i];
    }
  }

private:
  int numSteps;
  double finalAlpha;
};

//===----------------------------------------------------------------------===//
// DPM-Solver++ (multistep, order 1 or 2, midpoint)
//===----------------------------------------------------------------------===//

class DpmSolverScheduler : public Scheduler {
public:
  DpmSolverScheduler(const SchedulerConfig &c, int n)
      : Scheduler(SchedulerKind::DPMSolverPP2M, c) {
    std::string spacing = c.timestepSpacing.empty() ? "linspace" : c.timestepSpacing;
    if (spacing == "linspace") {
      std::vector<double> v = linspace(0, c.numTrainTimesteps - 1, n + 1);
      for (int k = n; k >= 1; --k)
        timesteps.push_back(roundHalfEven(v[k]));
    } else {
      timesteps = integerTimesteps(c, spacing, n);
    }
    // sigmas at the timesteps, then the final one.
    for (double t : timesteps)
      sigmas.push_back(sigmaOf(alphasCumprod[static_cast<size_t>(t)]));
    sigmas.push_back(c.finalSigmasType == "zero" ? 0.0 : sigmaOf(alphasCumprod[0]));
  }

  void step(size_t call, llvm::ArrayRef<double> eps,
            llvm::MutableArrayRef<double> sample,
            llvm::ArrayRef<double>) override {
    size_t n = timesteps.size();
    bool zeroFinal = config.finalSigmasType == "zero";
    bool lowerFinal = call == n - 1 && ((config.lowerOrderFinal && n < 15) || zeroFinal);
    bool lowerSecond = call == n - 2 && config.lowerOrderFinal && n < 15;
    // convert_model_output: the data prediction x0.
    auto [alphaS, sigmaS] = alphaSigma(sigmas[call]);
    std::vector<double> x0(sample.size());
    for (size_t i = 0; i < x0.size(); ++i)
      x0[i] = (sample[i] - sigmaS * eps[i]) / alphaS;
    if (outputs.size() == 2)
      outputs.erase(outputs.begin());
    outputs.push_back(std::move(x0));
    const std::vector<double> &m0 = outputs.back();

    double sigmaNext = sigmas[call + 1];
    if (sigmaNext == 0) { // lambda_t = inf: the update is x0 itself
      std::copy(m0.begin(), m0.end(), sample.begin());
    } else {
      auto [alphaT, sigmaT] = alphaSigma(sigmaNext);
      double h = lambda(sigmas[call + 1]) - lambda(sigmas[call]);
      double c0 = sigmaT / sigmaS, c1 = alphaT * (std::exp(-h) - 1.0);
      bool firstOrder = config.solverOrder == 1 || lowerOrderNums < 1 || lowerFinal;
      (void)lowerSecond; // order 2 is the highest: lower_order_second changes nothing
      if (firstOrder) {
        for (size_t i = 0; i < sample.size(); ++i)
          sample[i] = c0 * sample[i] - c1 * m0[i];
      } else {
        const std::vector<double> &m1 = outputs.front();
        double h0 = lambda(sigmas[call]) - lambda(sigmas[call - 1]);
        double r0 = h0 / h;
        for (size_t i = 0; i < sample.size(); ++i) {
          double d1 = (1.0 / r0) * (m0[i] - m1[i]);
          sample[i] = c0 * sample[i] - c1 * m0[i] - 0.5 * c1 * d1;
        }
      }
    }
    if (lowerOrderNums < config.solverOrder)
      ++lowerOrderNums;
  }

private:
  static double sigmaOf(double ac) { return std::sqrt((1 - ac) / ac); }
  /// _sigma_to_alpha_sigma_t.
  static std::pair<double, double> alphaSigma(double sigma) {
    double alpha = 1.0 / std::sqrt(sigma * sigma + 1);
    return {alpha, sigma * alpha};
  }
  static double lambda(double sigma) {
    auto [a, s] = alphaSigma(sigma);
    return std::log(a) - std::log(s);
  }

  std::vector<double> sigmas;
  std::vector<std::vector<double>> outputs;
  int lowerOrderNums = 0;
};

//===----------------------------------------------------------------------===//
// Euler ancestral
//===----------------------------------------------------------------------===//

class EulerAncestralScheduler : public Scheduler {
public:
  EulerAncestralScheduler(const SchedulerConfig &c, int n)
      : Scheduler(SchedulerKind::EulerAncestral, c) {
    spacing = c.timestepSpacing.empty() ? "linspace" : c.timestepSpacing;
    int t = c.numTrainTimesteps;
    if (spacing == "linspace") {
      std::vector<double> v = linspace(0, t - 1, n);
      for (int k = n - 1; k >= 0; --k) // np.float32
        timesteps.push_back(static_cast<float>(v[k]));
    } else {
      timesteps = integerTimesteps(c, spacing, n);
    }
    std::vector<double> all(t);
    for (int i = 0; i < t; ++i)
      all[i] = std::sqrt((1 - alphasCumprod[i]) / alphasCumprod[i]);
    for (double ts : timesteps) { // np.interp
      double lo = std::floor(ts);
      size_t i = static_cast<size_t>(std::clamp(lo, 0.0, double(t - 1)));
      size_t j = std::min<size_t>(i + 1, t - 1);
      double f = ts - lo;
      sigmas.push_back(f == 0 ? all[i] : all[i] + f * (all[j] - all[i]));
    }
    sigmas.push_back(0.0);
  }

  double getInitNoiseSigma() const override {
    double m = *std::max_element(sigmas.begin(), sigmas.end());
    return spacing == "leading" ? std::sqrt(m * m + 1) : m;
  }
  double getModelInputScale(size_t call) const override {
    return 1.0 / std::sqrt(sigmas[call] * sigmas[call] + 1);
  }
  bool needsNoise() const override { return true; }

  void step(size_t call, llvm::ArrayRef<double> eps,
            llvm::MutableArrayRef<double> sample,
            llvm::ArrayRef<double> noise) override {
    assert(noise.size() == sample.size() && "Euler ancestral needs noise");
    double from = sigmas[call], to = sigmas[call + 1];
    double up = std::sqrt(to * to * (from * from - to * to) / (from * from));
    double down = std::sqrt(to * to - up * up);
    double dt = down - from;
    for (size_t i = 0; i < sample.size(); ++i) {
      double x0 = sample[i] - from * eps[i];
      double derivative = (sample[i] - x0) / from;
      sample[i] = sample[i] + derivative * dt + noise[i] * up;
    }
  }

private:
  std::string spacing;
  std::vector<double> sigmas;
};
} // namespace

llvm::Expected<std::unique_ptr<Scheduler>>
Scheduler::create(SchedulerKind kind, const SchedulerConfig &config,
                  unsigned numInferenceSteps) {
  if (numInferenceSteps < 1 ||
      numInferenceSteps > static_cast<unsigned>(config.numTrainTimesteps))
    return makeStringError("the number of steps must lie in 1.." +
                           llvm::Twine(config.numTrainTimesteps) + ", not " +
                           llvm::Twine(numInferenceSteps));
  int n = static_cast<int>(numInferenceSteps);
  std::unique_ptr<Scheduler> s;
  switch (kind) {
  case SchedulerKind::PNDM:
    s = std::make_unique<PndmScheduler>(config, n);
    break;
  case SchedulerKind::DDIM:
    s = std::make_unique<DdimScheduler>(config, n);
    break;
  case SchedulerKind::DPMSolverPP2M:
    s = std::make_unique<DpmSolverScheduler>(config, n);
    break;
  case SchedulerKind::EulerAncestral:
    s = std::make_unique<EulerAncestralScheduler>(config, n);
    break;
  }
  for (double t : s->timesteps)
    if (t < 0 || t >= config.numTrainTimesteps)
      return makeStringError("timestep " + llvm::Twine(static_cast<int64_t>(t)) +
                             " lies outside the training schedule (check "
                             "steps_offset and the number of steps)");
  return s;
}

void zoom::applyGuidance(llvm::ArrayRef<float> uncond,
                         llvm::ArrayRef<float> cond, float scale,
                         llvm::MutableArrayRef<float> out) {
  assert(uncond.size() == cond.size() && cond.size() == out.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
}
