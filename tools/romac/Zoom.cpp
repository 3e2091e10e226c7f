//===- Zoom.cpp - `romac zoom`: the SD2 infinite-zoom video ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// v8hid's infinite zoom on romac's runtime (docs/zoom.md): the four graphs
// of an SD2-inpainting export are compiled for the host (through the
// artefact cache, ZoomModels.cpp), the prompts encoded once each, then every
// key frame is outpainted around the shrunk previous one with batch-2
// classifier-free guidance, and the video frames in between are crops of the
// key frames. Everything is checked before any work (ZoomCheck.cpp); key
// frames are written as they complete, and --resume continues from them.
//
//===----------------------------------------------------------------------===//

#include "Zoom.h"
#include "ZoomInternal.h"

#include "Driver.h"

#include "romac/Support/Error.h"
#include "romac/Zoom/Image.h"
#include "romac/Zoom/Pipeline.h"
#include "romac/Zoom/Scheduler.h"
#include "romac/Zoom/Video.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Process.h"

#include <algorithm>
#include <random>

using namespace romac;
using namespace romac::driver;
using namespace romac::zoom;

using namespace romac::driver::zoomcmd;

namespace {

/// Everything a key frame needs besides the previous frame.
struct KeyFrameContext {
  const ZoomArgs &args;
  const ZoomModelDir &dir;
  ZoomModels &models;
  /// [2, 77, D] per key frame's prompt: the negative prompt first.
  const std::map<std::string, Tensor> &contexts;
  const PromptMap &prompts;
  uint64_t seed;
  StageTimes &times;
};

/// --dump-tensors: OUT/tensors/keyframe_NNNN_WHAT.npy.
std::string dumpPath(const ZoomArgs &args, unsigned key, llvm::StringRef what) {
  return llvm::formatv("{0}/tensors/keyframe_{1:d4}_{2}.npy", args.out, key,
                       what)
      .str();
}

/// --dump-tensors: writes latents (4 x S/8 x S/8 doubles) as a float64
/// [1, 4, S/8, S/8] .npy; nothing without the option.
llvm::Error dumpLatents(const ZoomArgs &args, unsigned key,
                        llvm::StringRef what, llvm::ArrayRef<double> latents) {
  if (!args.dumpTensors)
    return llvm::Error::success();
  int64_t latent = args.size / 8;
  Tensor t(ElementType::F64, {1, 4, latent, latent});
  std::copy(latents.begin(), latents.end(), t.dataAs<double>());
  return writeTensorFile(dumpPath(args, key, what), t);
}

/// Progress of the UNet loop on stderr: one line rewritten in place on a
/// terminal, a line per key frame otherwise.
void printProgress(unsigned key, unsigned keys, size_t call, size_t calls,
                   double elapsed, double perKeyFrame) {
  bool tty = llvm::sys::Process::StandardErrIsDisplayed();
  if (!tty && call != calls)
    return;
  double remaining = call ? elapsed / call * (calls - call) : 0;
  double eta = remaining + perKeyFrame * (keys - key - 1);
  llvm::errs() << llvm::formatv(
      "{0}romac zoom: key frame {1}/{2}, UNet step {3}/{4}, ETA {5:f0} s{6}",
      tty ? "\r" : "", key + 1, keys, call, calls, eta, tty ? "" : "\n");
  if (tty && call == calls)
    llvm::errs() << "\n";
}

/// The denoising loop of key frame \p key: noise latents, batch-2 CFG
/// through the UNet and the scheduler; returns the final latents.
llvm::Expected<std::vector<double>> denoise(const KeyFrameContext &c,
                                            unsigned key, const Tensor &mask,
                                            const Tensor &maskedLatents,
                                            double perKeyFrame) {
  llvm::Expected<std::unique_ptr<Scheduler>> scheduler = Scheduler::create(
      *parseSchedulerKind(c.args.scheduler), c.dir.scheduler, c.args.steps);
  if (!scheduler)
    return scheduler.takeError();
  Scheduler &s = **scheduler;
  int64_t latent = c.args.size / 8, count = 4 * latent * latent;
  NormalNoise noise(c.seed, key);
  std::vector<double> latents = noise.take(count);
  for (double &v : latents)
    v *= s.getInitNoiseSigma();
  if (llvm::Error e = dumpLatents(c.args, key, "latents", latents))
    return std::move(e);
  const Tensor &context = c.contexts.at(promptAt(c.prompts, key));
  const TensorSpec &tSpec = c.models.unet->getInputs()[c.models.timestepIndex];
  std::vector<float> eps(count);
  std::vector<double> epsD(count);
  Stopwatch clock;
  for (size_t call = 0; call < s.getNumCalls(); ++call) {
    Tensor sample = makeUnetSample(latents, s.getModelInputScale(call), mask,
                                   maskedLatents, 2);
    Tensor timestep(tSpec.type, tSpec.shape);
    double t = s.getTimesteps()[call];
    if (tSpec.type == ElementType::I64)
      timestep.dataAs<int64_t>()[0] = int64_t(t);
    else
      timestep.dataAs<float>()[0] = float(t);
    const Tensor *inputs[3];
    inputs[c.models.sampleIndex] = &sample;
    inputs[c.models.timestepIndex] = &timestep;
    inputs[c.models.contextIndex] = &context;
    llvm::Expected<Tensor> out =
        timed(c.times.unet, [&] { return runGraph(*c.models.unet, inputs); });
    if (!out)
      return out.takeError();
    const float *o = out->dataAs<float>();
    // diffusers turns guidance off at a scale <= 1: the prompt's half only.
    if (c.args.guidance > 1)
      applyGuidance({o, size_t(count)}, {o + count, size_t(count)},
                    float(c.args.guidance), eps);
    else
      std::copy(o + count, o + 2 * count, eps.begin());
    std::copy(eps.begin(), eps.end(), epsD.begin());
    std::vector<double> stepNoise;
    if (s.needsNoise())
      stepNoise = noise.take(count);
    s.step(call, epsD, latents, stepNoise);
    printProgress(key, c.args.outpaintSteps + 1, call + 1, s.getNumCalls(),
                  clock.seconds(), perKeyFrame);
  }
  return latents;
}

/// Key frame \p key: outpaints around \p previous (none: the first frame
/// from a blank canvas, all repainted).
llvm::Expected<RgbImage> makeKeyFrame(const KeyFrameContext &c, unsigned key,
                                      const RgbImage *previous,
                                      double perKeyFrame) {
  int size = c.args.size, latent = size / 8;
  int maskWidth = previous ? c.args.maskWidth : size / 2;
  RgbImage canvas = previous ? shrinkAndPasteOnBlank(*previous, maskWidth)
                             : RgbImage(size, size);
  Tensor mask = makeBorderMask(size, size, maskWidth);
  Tensor masked = maskImageTensor(imageToTensor(canvas), mask);
  llvm::Expected<Tensor> moments = timed(c.times.vaeEncode, [&] {
    return runGraph(*c.models.vaeEncoder, {&masked});
  });
  if (!moments)
    return moments.takeError();
  // The mean of latent_dist (its first 4 channels), scaled: docs/zoom.md.
  Tensor maskedLatents(ElementType::F32, {1, 4, latent, latent});
  const float *mean = moments->dataAs<float>();
  for (int64_t i = 0; i < maskedLatents.getNumElements(); ++i)
    maskedLatents.dataAs<float>()[i] = float(mean[i] * kLatentScale);
  llvm::Expected<std::vector<double>> latents =
      denoise(c, key, maskToLatent(mask), maskedLatents, perKeyFrame);
  if (!latents)
    return latents.takeError();
  if (llvm::Error e = dumpLatents(c.args, key, "final", *latents))
    return std::move(e);
  Tensor z(ElementType::F32, {1, 4, latent, latent});
  for (auto [i, v] : llvm::enumerate(*latents))
    z.dataAs<float>()[i] = float(v / kLatentScale);
  llvm::Expected<Tensor> decoded = timed(
      c.times.vaeDecode, [&] { return runGraph(*c.models.vaeDecoder, {&z}); });
  if (!decoded)
    return decoded.takeError();
  if (c.args.dumpTensors)
    if (llvm::Error e =
            writeTensorFile(dumpPath(c.args, key, "decoded"), *decoded))
      return std::move(e);
  RgbImage frame = tensorToImage(*decoded);
  if (previous)
    pasteCentre(frame, canvas, maskWidth);
  return frame;
}

std::string keyFramePath(const ZoomArgs &args, unsigned k) {
  return llvm::formatv("{0}/keyframe_{1:d4}.png", args.out, k).str();
}

/// The key frames: read back with --resume while they exist, computed and
/// written as they complete otherwise.
llvm::Expected<std::vector<RgbImage>>
makeKeyFrames(const KeyFrameContext &c, std::optional<RgbImage> init,
              unsigned &resumed) {
  std::vector<RgbImage> keys;
  resumed = 0;
  for (unsigned k = 0; k <= c.args.outpaintSteps; ++k) {
    std::string path = keyFramePath(c.args, k);
    if (c.args.resume && resumed == k && llvm::sys::fs::exists(path)) {
      llvm::Expected<RgbImage> image = readPng(path);
      if (!image)
        return image.takeError();
      if (image->width != c.args.size || image->height != c.args.size)
        return makeStringError(path + ": --resume: the key frame is not " +
                               llvm::Twine(c.args.size) + "x" +
                               llvm::Twine(c.args.size));
      keys.push_back(std::move(*image));
      ++resumed;
      continue;
    }
    Stopwatch clock;
    double perKeyFrame =
        c.times.keyFrames.empty() ? 0 : c.times.keyFrames.back();
    llvm::Expected<RgbImage> frame = RgbImage();
    if (k == 0 && init)
      frame = std::move(*init);
    else
      frame = makeKeyFrame(c, k, k ? &keys.back() : nullptr, perKeyFrame);
    if (!frame)
      return frame.takeError();
    if (llvm::Error e =
            timed(c.times.pngWrite, [&] { return writePng(path, *frame); }))
      return std::move(e);
    c.times.keyFrames.push_back(clock.seconds());
    keys.push_back(std::move(*frame));
  }
  if (resumed)
    llvm::errs() << "romac zoom: resumed after " << resumed
                 << " key frame(s) already in " << c.args.out << "\n";
  return keys;
}

/// The video frames, zoom-out order: key frame 0, then per outpaint step
/// its interpolated frames and its key frame.
std::vector<RgbImage> makeVideoFrames(const ZoomArgs &args,
                                      const std::vector<RgbImage> &keys) {
  std::vector<RgbImage> frames;
  frames.push_back(keys[0]);
  for (size_t k = 1; k < keys.size(); ++k) {
    for (RgbImage &f : interpolateFrames(keys[k - 1], keys[k], args.maskWidth,
                                         args.interpFrames))
      frames.push_back(std::move(f));
    frames.push_back(keys[k]);
  }
  return frames;
}

/// Writes the frames' PNGs and both MP4s.
llvm::Error writeVideo(const ZoomArgs &args, std::vector<RgbImage> &frames,
                       StageTimes &times) {
  for (auto [i, f] : llvm::enumerate(frames))
    if (llvm::Error e = timed(times.pngWrite, [&] {
          return writePng(
              llvm::formatv("{0}/frame_{1:d5}.png", args.out, i).str(), f);
        }))
      return e;
  return timed(times.videoEncode, [&]() -> llvm::Error {
    if (llvm::Error e = writeMp4(args.out + "/zoom_out.mp4", frames, args.fps))
      return e;
    std::reverse(frames.begin(), frames.end());
    llvm::Error e = writeMp4(args.out + "/zoom_in.mp4", frames, args.fps);
    std::reverse(frames.begin(), frames.end());
    return e;
  });
}

llvm::json::Value describeRun(const ZoomArgs &args, const PromptMap &prompts,
                              uint64_t seed, const StageTimes *times,
                              size_t videoFrames, unsigned resumed,
                              double total) {
  llvm::json::Object run{
      {"tool", "romac zoom"},
      {"parameters", describeParameters(args, prompts, seed)},
      {"status", times ? "done" : "running"}};
  if (!times)
    return run;
  llvm::json::Array perKey;
  for (double s : times->keyFrames)
    perKey.push_back(s);
  double pipeline = total - times->load;
  run["key_frames"] = args.outpaintSteps + 1;
  run["resumed_key_frames"] = resumed;
  run["video_frames"] = int64_t(videoFrames);
  run["seconds"] = llvm::json::Object{{"load", times->load},
                                      {"text", times->text},
                                      {"vae_encode", times->vaeEncode},
                                      {"unet", times->unet},
                                      {"vae_decode", times->vaeDecode},
                                      {"interpolation", times->interpolation},
                                      {"video_encode", times->videoEncode},
                                      {"png_write", times->pngWrite},
                                      {"per_key_frame", std::move(perKey)},
                                      {"total", total}};
  run["video_frames_per_second"] =
      pipeline > 0 ? double(videoFrames) / pipeline : 0.0;
  run["latent_sample"] = "mean";
  run["files"] = llvm::json::Object{{"key_frames", "keyframe_NNNN.png"},
                                    {"video_frames", "frame_NNNNN.png"},
                                    {"zoom_out", "zoom_out.mp4"},
                                    {"zoom_in", "zoom_in.mp4"}};
  return run;
}

/// The UNet calls of one key frame (PNDM: steps + 1).
size_t countUnetCalls(const ZoomModelDir &dir, const ZoomArgs &args) {
  llvm::Expected<std::unique_ptr<Scheduler>> scheduler = Scheduler::create(
      *parseSchedulerKind(args.scheduler), dir.scheduler, args.steps);
  if (!scheduler) {
    llvm::consumeError(scheduler.takeError());
    return 0;
  }
  return (*scheduler)->getNumCalls();
}

} // namespace

int romac::driver::runZoom(const ZoomArgs &args) {
  Stopwatch clock;
  PromptMap prompts;
  std::optional<ZoomModelDir> dir;
  std::optional<RgbImage> init;
  if (int status = prepare(args, prompts, dir, init))
    return status;
  uint64_t seed = args.seed ? *args.seed : std::random_device()();
  if (llvm::Error e = prepareOutDir(args, prompts, seed))
    return usage(llvm::toString(std::move(e)));
  if (args.dumpTensors)
    if (std::error_code ec =
            llvm::sys::fs::create_directories(args.out + "/tensors"))
      return usage("--dump-tensors: " + args.out +
                   "/tensors: cannot create: " + ec.message());
  StageTimes times;
  llvm::Expected<ZoomModels> models =
      timed(times.load, [&] { return loadModels(args, *dir); });
  if (!models)
    return reportError("zoom", models.takeError());
  llvm::Expected<std::map<std::string, Tensor>> contexts =
      encodePrompts(args, *dir, *models, prompts, times);
  if (!contexts)
    return reportError("zoom", contexts.takeError());
  std::string jsonPath = args.out + "/zoom.json";
  if (llvm::Error e = writeJsonFile(
          jsonPath, describeRun(args, prompts, seed, nullptr, 0, 0, 0)))
    return reportError("zoom", std::move(e));
  llvm::errs() << "romac zoom: seed " << seed << ", " << args.outpaintSteps + 1
               << " key frames into " << args.out << "\n";
  KeyFrameContext context{args, *dir, *models, *contexts, prompts, seed, times};
  size_t diffused = args.outpaintSteps + (init ? 0 : 1);
  unsigned resumed = 0;
  llvm::Expected<std::vector<RgbImage>> keys =
      makeKeyFrames(context, std::move(init), resumed);
  if (!keys)
    return reportError("zoom", keys.takeError());
  std::vector<RgbImage> frames =
      timed(times.interpolation, [&] { return makeVideoFrames(args, *keys); });
  if (llvm::Error e = writeVideo(args, frames, times))
    return reportError("zoom", std::move(e));
  llvm::json::Value run = describeRun(args, prompts, seed, &times,
                                      frames.size(), resumed, clock.seconds());
  run.getAsObject()->try_emplace(
      "predicted",
      describePredictions(args, models->predicted, countUnetCalls(*dir, args),
                          contexts->size() + 1, diffused, frames.size()));
  if (llvm::Error e = writeJsonFile(jsonPath, run))
    return reportError("zoom", std::move(e));
  llvm::errs() << llvm::formatv(
      "romac zoom: {0} key frames, {1} video frames in {2:f1} s: {3}/"
      "zoom_out.mp4, zoom_in.mp4, zoom.json\n",
      keys->size(), frames.size(), clock.seconds(), args.out);
  return 0;
}

CLI::App *romac::driver::addZoomCommand(CLI::App &app, ZoomArgs &args) {
  CLI::App *zoom = app.add_subcommand(
      "zoom", "Run the SD2 infinite-zoom video pipeline: outpainted key "
              "frames, interpolated video frames, PNGs, MP4s and zoom.json");
  zoom->add_option("--model-dir", args.modelDir,
                   "SD2-inpainting export: text_encoder/, unet/, vae_encoder/, "
                   "vae_decoder/ (tokenizer/, scheduler/ optional)")
      ->required();
  zoom->add_option("--prompt", args.prompt, "The prompt (from key frame 0)");
  zoom->add_option("--prompt-at", args.promptsAt,
                   "K=TEXT: the prompt from key frame K on (repeatable)");
  zoom->add_option("--negative-prompt", args.negativePrompt,
                   "The unconditional prompt of guidance (default empty)");
  zoom->add_option("--steps", args.steps, "Scheduler steps per key frame")
      ->check(CLI::Range(1u, 1000u));
  zoom->add_option("--guidance", args.guidance,
                   "Classifier-free guidance scale (<= 1: off)");
  zoom->add_option("--scheduler", args.scheduler,
                   "pndm (default), ddim, dpm-solver++ or euler-a");
  zoom->add_option("--seed", args.seed,
                   "Seed of the noise (default: random, written to zoom.json)");
  zoom->add_option("--size", args.size, "Frame side in pixels (default 512)");
  zoom->add_option("--outpaint-steps", args.outpaintSteps,
                   "Key frames after the first (each zooms out)")
      ->check(CLI::Range(0u, 10000u));
  zoom->add_option("--mask-width", args.maskWidth,
                   "Width of the outpainted border in pixels (default 128)");
  zoom->add_option("--interp-frames", args.interpFrames,
                   "Video frames per outpaint step (default 30)")
      ->check(CLI::Range(1u, 10000u));
  zoom->add_option("--fps", args.fps, "Frames per second of the MP4s")
      ->check(CLI::Range(1u, 240u));
  zoom->add_option("--init-image", args.initImage,
                   "PNG used as key frame 0 (resized, Lanczos as v8hid)");
  zoom->add_option("--precision", args.precision,
                   "fp32 (default), or bf16: every graph's matmuls and "
                   "convolutions with bfloat16 operands and fp32 sums (as "
                   "romac run --precision bf16)");
  addCompressionFlags(zoom, args.compression);
  zoom->add_option("--target", args.target,
                   "Schedule the graphs for this target (default host)");
  zoom->add_option("--out", args.out,
                   "Output folder: new or empty, or the run to --resume "
                   "(default ./zoom)");
  zoom->add_flag("--resume", args.resume,
                 "Continue the run in --out from its last key frame");
  zoom->add_flag("--dump-tensors", args.dumpTensors,
                 "Debugging: also write each computed key frame's initial "
                 "and final latents and its decoded image (floats, before "
                 "quantisation) as OUT/tensors/keyframe_NNNN_{latents,final,"
                 "decoded}.npy");
  zoom->add_flag("--no-cache", args.noCache,
                 "Compile the graphs in this process instead of using the "
                 "artefact cache");
  return zoom;
}
