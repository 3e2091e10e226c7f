//===- ZoomInternal.h - the parts of `romac zoom` ---------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the files of `romac zoom` share (docs/zoom.md):
//  - ZoomCheck.cpp: the checks before any work (options, prompts, the model
//    dir and its graphs' declared shapes, --out and --resume), zoom.json's
//    parameters;
//  - ZoomModels.cpp: the four graphs compiled for --size, run, and what
//    the --target schedules predict per key frame and video frame;
//  - Zoom.cpp: the key frames, the video frames, zoom.json, the subcommand.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_ZOOMINTERNAL_H
#define ROMAC_TOOLS_ROMAC_ZOOMINTERNAL_H

#include "ModelLoader.h"
#include "Zoom.h"

#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Tensor.h"
#include "romac/Zoom/Image.h"
#include "romac/Zoom/Scheduler.h"
#include "romac/Zoom/Tokenizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace romac::driver::zoomcmd {

/// The VAE's latent scaling of SD2 (diffusers' default scaling_factor).
constexpr double kLatentScale = 0.18215;
/// The CLIP context length the text encoder and the UNet are compiled for.
constexpr int64_t kSequenceLength = zoom::ClipTokenizer::kContextLength;

/// The prompt of every key frame from K on.
using PromptMap = std::map<unsigned, std::string>;

/// The parts of the model dir, read and checked before any work.
struct ZoomModelDir {
  std::string textEncoder, unet, vaeEncoder, vaeDecoder;
  std::optional<zoom::ClipTokenizer> tokenizer;
  zoom::SchedulerConfig scheduler;
  /// The text encoder's vocabulary (config.json's vocab_size; 0: unknown).
  int64_t vocabSize = 0;
  /// The text encoder's width D (last_hidden_state [1, 77, D]) as the file
  /// declares it; 0: not declared.
  int64_t textWidth = 0;
  /// The UNet's `timestep` is declared with rank 1 (else a scalar).
  bool timestepRank1 = false;
};

/// What the --target schedules predict for one run of each graph.
struct ZoomPredictions {
  std::optional<SchedulePrediction> textEncoder, unet, vaeEncoder, vaeDecoder;
};

/// The four compiled graphs, bound to this run's sizes.
struct ZoomModels {
  std::unique_ptr<Executable> textEncoder, unet, vaeEncoder, vaeDecoder;
  ZoomPredictions predicted;
  /// The UNet's inputs: sample, timestep, encoder_hidden_states.
  unsigned sampleIndex = 0, timestepIndex = 1, contextIndex = 2;
};

/// Seconds per stage (zoom.json's "seconds").
struct StageTimes {
  double load = 0, text = 0, vaeEncode = 0, unet = 0, vaeDecode = 0,
         interpolation = 0, videoEncode = 0, pngWrite = 0;
  std::vector<double> keyFrames;
};

/// Times \p f into \p slot.
template <typename F> auto timed(double &slot, F &&f) {
  auto start = std::chrono::steady_clock::now();
  auto result = f();
  slot +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

//===----------------------------------------------------------------------===//
// ZoomCheck.cpp
//===----------------------------------------------------------------------===//

/// One usage error: "romac zoom: error: MESSAGE", status 2.
int usage(const llvm::Twine &message);

/// Finds the four graphs of --model-dir and checks that their declared
/// inputs and outputs fit together and --size (also `romac plan`'s).
llvm::Expected<ZoomModelDir> readModelDir(const ZoomArgs &args);

/// The checks before any work; fills the prompts, model dir, init image.
/// Returns 0, or the exit status after printing the error.
int prepare(const ZoomArgs &args, PromptMap &prompts,
            std::optional<ZoomModelDir> &dir,
            std::optional<zoom::RgbImage> &init);

/// The prompt of key frame \p k: the one of the largest K <= k.
const std::string &promptAt(const PromptMap &prompts, unsigned k);

/// Checks (and creates) --out before any work: a new or empty folder, or
/// with --resume the folder of the run to continue (whose seed \p seed
/// becomes when --seed is not given); it must be writable.
llvm::Error prepareOutDir(const ZoomArgs &args, const PromptMap &prompts,
                          uint64_t &seed);

/// The parameters that fix the frames (zoom.json's "parameters"; a resumed
/// run must give the same).
llvm::json::Object describeParameters(const ZoomArgs &args,
                                      const PromptMap &prompts, uint64_t seed);

/// Writes \p value to \p path through a temporary file renamed over it.
llvm::Error writeJsonFile(llvm::StringRef path, const llvm::json::Value &value);

//===----------------------------------------------------------------------===//
// ZoomModels.cpp
//===----------------------------------------------------------------------===//

/// Compiles the graphs for --size and checks that they fit together.
llvm::Expected<ZoomModels> loadModels(const ZoomArgs &args,
                                      const ZoomModelDir &dir);

/// Runs \p exe on \p inputs; returns its first output.
llvm::Expected<Tensor> runGraph(Executable &exe,
                                llvm::ArrayRef<const Tensor *> inputs);

/// zoom.json's "predicted": what the --target schedules predict (energy,
/// latency) per graph run, for the text encoder's runs, per key frame (VAE
/// encoder, \p unetCalls UNet runs at batch 2, VAE decoder) and per video
/// frame (all of it over \p videoFrames; \p keyFrames key frames diffused,
/// \p textRuns text encoder runs). Null when a graph has no prediction.
llvm::json::Value describePredictions(const ZoomArgs &args,
                                      const ZoomPredictions &p,
                                      size_t unetCalls, size_t textRuns,
                                      size_t keyFrames, size_t videoFrames);

/// Batch-2 embeddings [negative; prompt] for each distinct prompt.
llvm::Expected<std::map<std::string, Tensor>>
encodePrompts(const ZoomArgs &args, const ZoomModelDir &dir, ZoomModels &models,
              const PromptMap &prompts, StageTimes &times);

} // namespace romac::driver::zoomcmd

#endif // ROMAC_TOOLS_ROMAC_ZOOMINTERNAL_H
