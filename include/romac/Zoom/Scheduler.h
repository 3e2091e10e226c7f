//===- Scheduler.h - diffusion schedulers and guidance ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The denoising loop's schedulers, with diffusers' formulas (docs/zoom.md):
//
//  - PNDM with skip_prk_steps (SD2's default): N+1 model calls, the second
//    at the first timestep again, then Adams-Bashforth on the eps history;
//  - DDIM with eta 0;
//  - DPM-Solver++ (2M, midpoint), multistep, data prediction;
//  - Euler ancestral, whose noise the caller supplies;
//
// configured from diffusers' scheduler/scheduler_config.json, and the
// classifier-free guidance combination eps_u + g (eps_c - eps_u).
//
// A loop over Scheduler:
//
//   x = noise * getInitNoiseSigma();
//   for (size_t i = 0; i < getNumCalls(); ++i) {
//     in = x * getModelInputScale(i);
//     eps = model(in, getTimesteps()[i]);
//     step(i, eps, x, noiseForStep);   // x becomes the next sample
//   }
//
// Arithmetic is in double; diffusers keeps alphas_cumprod and sigmas in
// float32, so the two differ by float32 rounding (~1e-7 relative).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ZOOM_SCHEDULER_H
#define ROMAC_ZOOM_SCHEDULER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace romac::zoom {

/// The schedulers romac implements (`--scheduler`).
enum class SchedulerKind { PNDM, DDIM, DPMSolverPP2M, EulerAncestral };

/// "pndm", "ddim", "dpm-solver++", "euler-a".
llvm::StringRef stringifySchedulerKind(SchedulerKind kind);
/// The kind spelled \p name (stringifySchedulerKind()); an error listing the
/// known names otherwise.
llvm::Expected<SchedulerKind> parseSchedulerKind(llvm::StringRef name);

/// The keys of diffusers' scheduler_config.json that romac reads (diffusers'
/// defaults where a key is absent; unknown keys are ignored, as diffusers
/// does). Values romac does not implement are refused by parse().
struct SchedulerConfig {
  int numTrainTimesteps = 1000;
  double betaStart = 0.0001;
  double betaEnd = 0.02;
  /// "linear" or "scaled_linear".
  std::string betaSchedule = "linear";
  bool setAlphaToOne = true;
  int stepsOffset = 0;
  /// "leading", "linspace" or "trailing"; empty: the scheduler's default
  /// (leading for PNDM and DDIM, linspace for DPM-Solver++ and Euler-a).
  std::string timestepSpacing;
  /// DDIM: clamp the predicted x0 to +-clipSampleRange.
  bool clipSample = false;
  double clipSampleRange = 1.0;
  /// DPM-Solver++: 1 or 2; lower-order steps near the end; the last sigma,
  /// "zero" (diffusers' current default) or "sigma_min" (timestep 0, as
  /// diffusers before final_sigmas_type existed).
  int solverOrder = 2;
  bool lowerOrderFinal = true;
  std::string finalSigmasType = "zero";

  /// Parses the JSON text \p text of the file \p path. Errors name the file
  /// and the key.
  static llvm::Expected<SchedulerConfig> parse(llvm::StringRef text,
                                               llvm::StringRef path);
  /// Reads and parses \p path.
  static llvm::Expected<SchedulerConfig> load(llvm::StringRef path);
};

/// One denoising run's scheduler: the timesteps of its model calls and the
/// update after each call. Not reusable: make a new one per run.
class Scheduler {
public:
  virtual ~Scheduler();

  /// A scheduler of \p kind for \p numInferenceSteps steps (1 .. the number
  /// of training timesteps).
  static llvm::Expected<std::unique_ptr<Scheduler>>
  create(SchedulerKind kind, const SchedulerConfig &config,
         unsigned numInferenceSteps);

  SchedulerKind getKind() const { return kind; }
  /// The timestep of each model call, in call order (PNDM: N+1 entries).
  llvm::ArrayRef<double> getTimesteps() const { return timesteps; }
  size_t getNumCalls() const { return timesteps.size(); }
  /// alphas_cumprod of the training schedule.
  llvm::ArrayRef<double> getAlphasCumprod() const { return alphasCumprod; }
  /// The standard deviation of the initial noise.
  virtual double getInitNoiseSigma() const { return 1.0; }
  /// scale_model_input(): the factor of the sample fed to call \p call.
  virtual double getModelInputScale(size_t call) const { return 1.0; }
  /// Whether step() reads noise (Euler ancestral).
  virtual bool needsNoise() const { return false; }
  /// The update after model call \p call (calls go 0, 1, 2, ... in order):
  /// \p sample becomes the next sample; \p noise (same size, standard
  /// normal) is read when needsNoise().
  virtual void step(size_t call, llvm::ArrayRef<double> modelOutput,
                    llvm::MutableArrayRef<double> sample,
                    llvm::ArrayRef<double> noise = {}) = 0;

protected:
  Scheduler(SchedulerKind kind, const SchedulerConfig &config);

  SchedulerKind kind;
  SchedulerConfig config;
  std::vector<double> alphasCumprod;
  std::vector<double> timesteps;
};

/// Classifier-free guidance: out = uncond + scale * (cond - uncond), element
/// by element (diffusers' noise_pred_uncond + guidance_scale *
/// (noise_pred_text - noise_pred_uncond)). \p out may alias either input.
void applyGuidance(llvm::ArrayRef<float> uncond, llvm::ArrayRef<float> cond,
                   float scale, llvm::MutableArrayRef<float> out);

} // namespace romac::zoom

#endif // ROMAC_ZOOM_SCHEDULER_H
