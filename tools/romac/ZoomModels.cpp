//===- ZoomModels.cpp - `romac zoom`: the four graphs ---------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The graphs of an SD2-inpainting export compiled for --size and --target
// through the artefact cache (ModelLoader.h), run, and the prompts encoded
// (docs/zoom.md).
//
//===----------------------------------------------------------------------===//

#include "ZoomInternal.h"

#include "Driver.h"
#include "ModelLoader.h"

#include "romac/Support/Error.h"
#include "romac/Zoom/Pipeline.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace romac;
using namespace romac::driver;
using namespace romac::zoom;

namespace romac::driver::zoomcmd {
namespace {

/// Loads \p path with \p shapes bound (through the artefact cache), and
/// what its --target schedule predicts into \p prediction.
llvm::Expected<std::unique_ptr<Executable>> loadGraph(
    const ZoomArgs &args, const std::string &path,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes,
    std::optional<SchedulePrediction> &prediction) {
  ModelLoadRequest request;
  request.command = "zoom";
  request.model = path;
  request.target = args.target;
  request.noCache = args.noCache;
  request.bf16 = args.precision == "bf16";
  // checkOptions() parsed the flags already.
  request.compression = llvm::cantFail(parseCompressionFlags(args.compression));
  OnnxImportOptions options;
  for (const auto &[name, shape] : shapes) {
    std::string spec = name + "=";
    for (auto [k, d] : llvm::enumerate(shape))
      spec += (k ? "x" : "") + std::to_string(d);
    if (shape.empty())
      spec += "scalar";
    request.shapes.push_back(spec);
    options.shapes[name].assign(shape.begin(), shape.end());
  }
  Stopwatch clock;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      loadExecutable(request, options, &prediction);
  if (!exe)
    return exe.takeError();
  // Every weight packed now, in the load stage, not by the first key
  // frame's calls (as onnxruntime packs them when it creates a session).
  if (llvm::Error e = (*exe)->packWeights())
    return makeStringError(path + ": " + llvm::toString(std::move(e)));
  llvm::errs() << llvm::formatv("romac zoom: {0}: ready in {1:f1} s\n", path,
                                clock.seconds());
  return exe;
}

/// An error naming \p path when the first output of \p exe is not \p shape.
llvm::Error expectShape(const Executable &exe, const std::string &path,
                        llvm::ArrayRef<int64_t> shape, llvm::StringRef what) {
  const TensorSpec &spec = exe.getOutputs()[0];
  if (llvm::ArrayRef<int64_t>(spec.shape) == shape)
    return llvm::Error::success();
  std::string want;
  for (auto [k, d] : llvm::enumerate(shape))
    want += (k ? ", " : "") + std::to_string(d);
  return makeStringError(path + ": the graphs do not fit together: " + what +
                         " is " + spec.str() + ", expected [" + want + "]");
}

} // namespace

/// Compiles the graphs for --size and checks that they fit together.
llvm::Expected<ZoomModels> loadModels(const ZoomArgs &args,
                                      const ZoomModelDir &dir) {
  ZoomModels m;
  int64_t size = args.size, latent = size / 8;
  auto te =
      loadGraph(args, dir.textEncoder, {{"input_ids", {1, kSequenceLength}}},
                m.predicted.textEncoder);
  if (!te)
    return te.takeError();
  m.textEncoder = std::move(*te);
  const TensorSpec &hidden = m.textEncoder->getOutputs()[0];
  if (hidden.shape.size() != 3)
    return makeStringError(dir.textEncoder + ": output 0 is " + hidden.str() +
                           ", expected [1, 77, D] (last_hidden_state)");
  int64_t width = hidden.shape[2];
  std::vector<int64_t> timestep;
  if (dir.timestepRank1)
    timestep = {1};
  auto unet =
      loadGraph(args, dir.unet,
                {{"sample", {2, 9, latent, latent}},
                 {"timestep", timestep},
                 {"encoder_hidden_states", {2, kSequenceLength, width}}},
                m.predicted.unet);
  if (!unet)
    return unet.takeError();
  m.unet = std::move(*unet);
  for (auto [i, spec] : llvm::enumerate(m.unet->getInputs())) {
    if (spec.name == "sample")
      m.sampleIndex = i;
    else if (spec.name == "timestep")
      m.timestepIndex = i;
    else if (spec.name == "encoder_hidden_states")
      m.contextIndex = i;
    else
      return makeStringError(dir.unet + ": unexpected UNet input '" +
                             spec.name + "'");
  }
  if (llvm::Error e = expectShape(*m.unet, dir.unet, {2, 4, latent, latent},
                                  "the UNet's output"))
    return std::move(e);
  auto enc = loadGraph(args, dir.vaeEncoder, {{"sample", {1, 3, size, size}}},
                       m.predicted.vaeEncoder);
  if (!enc)
    return enc.takeError();
  m.vaeEncoder = std::move(*enc);
  if (llvm::Error e =
          expectShape(*m.vaeEncoder, dir.vaeEncoder, {1, 8, latent, latent},
                      "the VAE encoder's output"))
    return std::move(e);
  auto dec = loadGraph(args, dir.vaeDecoder,
                       {{"latent_sample", {1, 4, latent, latent}}},
                       m.predicted.vaeDecoder);
  if (!dec)
    return dec.takeError();
  m.vaeDecoder = std::move(*dec);
  if (llvm::Error e =
          expectShape(*m.vaeDecoder, dir.vaeDecoder, {1, 3, size, size},
                      "the VAE decoder's output"))
    return std::move(e);
  return m;
}

/// Runs \p exe on \p inputs; returns its first output.
llvm::Expected<Tensor> runGraph(Executable &exe,
                                llvm::ArrayRef<const Tensor *> inputs) {
  std::vector<Tensor> outputs;
  for (const TensorSpec &s : exe.getOutputs())
    outputs.emplace_back(s.type, s.shape);
  std::vector<const void *> in;
  for (const Tensor *t : inputs)
    in.push_back(t->data());
  std::vector<void *> out;
  for (Tensor &t : outputs)
    out.push_back(t.data());
  if (llvm::Error e = exe.run(in, out))
    return std::move(e);
  return std::move(outputs[0]);
}

/// Batch-2 embeddings [negative; prompt] for each distinct prompt.
llvm::Expected<std::map<std::string, Tensor>>
encodePrompts(const ZoomArgs &args, const ZoomModelDir &dir, ZoomModels &models,
              const PromptMap &prompts, StageTimes &times) {
  auto encode = [&](const std::string &text) -> llvm::Expected<Tensor> {
    llvm::Expected<std::vector<int64_t>> ids = dir.tokenizer->tokenize(text);
    if (!ids)
      return makeStringError("prompt \"" + text +
                             "\": " + llvm::toString(ids.takeError()));
    std::vector<int64_t> mapped = mapTokenIds(*ids, dir.vocabSize);
    Tensor input(ElementType::I64, {1, kSequenceLength});
    std::copy(mapped.begin(), mapped.end(), input.dataAs<int64_t>());
    return timed(times.text,
                 [&] { return runGraph(*models.textEncoder, {&input}); });
  };
  llvm::Expected<Tensor> negative = encode(args.negativePrompt);
  if (!negative)
    return negative.takeError();
  std::map<std::string, Tensor> contexts;
  for (const auto &[k, text] : prompts) {
    if (contexts.count(text))
      continue;
    llvm::Expected<Tensor> cond = encode(text);
    if (!cond)
      return cond.takeError();
    llvm::SmallVector<int64_t, 4> shape(negative->getShape());
    shape[0] = 2;
    Tensor both(ElementType::F32, shape);
    size_t half = negative->getNumBytes();
    std::memcpy(both.data(), negative->data(), half);
    std::memcpy(both.data() + half, cond->data(), half);
    contexts.emplace(text, std::move(both));
  }
  return contexts;
}

llvm::json::Value describePredictions(const ZoomArgs &args,
                                      const ZoomPredictions &p,
                                      size_t unetCalls, size_t textRuns,
                                      size_t keyFrames, size_t videoFrames) {
  if (!p.textEncoder || !p.unet || !p.vaeEncoder || !p.vaeDecoder)
    return nullptr;
  auto cost = [](double energyPJ, double seconds) {
    return llvm::json::Object{{"energy_j", energyPJ * 1e-12},
                              {"seconds", seconds}};
  };
  auto one = [&](const SchedulePrediction &s) {
    return cost(s.energyPJ, s.seconds);
  };
  double keyEnergy = p.vaeEncoder->energyPJ +
                     double(unetCalls) * p.unet->energyPJ +
                     p.vaeDecoder->energyPJ;
  double keySeconds = p.vaeEncoder->seconds +
                      double(unetCalls) * p.unet->seconds +
                      p.vaeDecoder->seconds;
  double textEnergy = double(textRuns) * p.textEncoder->energyPJ;
  double textSeconds = double(textRuns) * p.textEncoder->seconds;
  double frames = videoFrames ? double(videoFrames) : 1.0;
  return llvm::json::Object{
      {"target", args.target},
      {"graphs", llvm::json::Object{{"text_encoder", one(*p.textEncoder)},
                                    {"unet", one(*p.unet)},
                                    {"vae_encoder", one(*p.vaeEncoder)},
                                    {"vae_decoder", one(*p.vaeDecoder)}}},
      {"unet_calls_per_key_frame", int64_t(unetCalls)},
      {"text_encoder_runs", int64_t(textRuns)},
      {"diffused_key_frames", int64_t(keyFrames)},
      {"text", cost(textEnergy, textSeconds)},
      {"per_key_frame", cost(keyEnergy, keySeconds)},
      {"per_video_frame",
       cost((textEnergy + double(keyFrames) * keyEnergy) / frames,
            (textSeconds + double(keyFrames) * keySeconds) / frames)}};
}

} // namespace romac::driver::zoomcmd
