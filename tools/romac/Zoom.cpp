//===- Zoom.cpp - `romac zoom`: the SD2 infinite-zoom video ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// v8hid's infinite zoom on romac's runtime (docs/zoom.md): the four graphs
// of an SD2-inpainting export are compiled for the host (through the
// artefact cache), the prompts encoded once each, then every key frame is
// outpainted around the shrunk previous one with batch-2 classifier-free
// guidance, and the video frames in between are crops of the key frames.
// Everything is checked before any work; key frames are written as they
// complete, and --resume continues from them.
//
//===----------------------------------------------------------------------===//

#include "Zoom.h"

#include "Driver.h"
#include "ModelLoader.h"

#include "romac/Support/Error.h"
#include "romac/Zoom/Image.h"
#include "romac/Zoom/Pipeline.h"
#include "romac/Zoom/Scheduler.h"
#include "romac/Zoom/Tokenizer.h"
#include "romac/Zoom/Video.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>

using namespace romac;
using namespace romac::driver;
using namespace romac::zoom;

namespace {

/// The VAE's latent scaling of SD2 (diffusers' default scaling_factor).
constexpr double kLatentScale = 0.18215;
/// The CLIP context length the text encoder and the UNet are compiled for.
constexpr int64_t kSequenceLength = ClipTokenizer::kContextLength;

/// SD2-inpainting's published scheduler/scheduler_config.json, used when
/// the model dir has none (the committed fixtures do not carry one).
constexpr const char *kSd2SchedulerConfig = R"({
  "_class_name": "PNDMScheduler", "beta_end": 0.012,
  "beta_schedule": "scaled_linear", "beta_start": 0.00085,
  "clip_sample": false, "num_train_timesteps": 1000,
  "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1
})";

/// One usage error: "romac zoom: error: MESSAGE", status 2.
int usage(const llvm::Twine &message) {
  llvm::errs() << "romac zoom: error: " << message << "\n";
  return kUsageError;
}

/// Checks the numbers of the options; the message names the option.
std::optional<std::string> checkOptions(const ZoomArgs &args) {
  if (args.size <= 0 || args.size % 8)
    return "--size " + std::to_string(args.size) +
           ": the size must be a positive multiple of 8";
  if (args.size % 64)
    return "--size " + std::to_string(args.size) +
           ": the size must be a multiple of 64 (the UNet halves the "
           "size/8 latent three times)";
  if (args.maskWidth <= 0 || 2 * args.maskWidth >= args.size)
    return "--mask-width " + std::to_string(args.maskWidth) +
           ": the mask width must be at least 1 and less than size/2 (" +
           std::to_string(args.size / 2) + ")";
  if (args.precision == "bf16")
    return std::string("--precision bf16: not supported yet (romac's runtime "
                       "runs fp32 only)");
  if (args.precision != "fp32")
    return "--precision " + args.precision + ": expected fp32 or bf16";
  if (llvm::Expected<SchedulerKind> kind = parseSchedulerKind(args.scheduler);
      !kind)
    return "--scheduler: " + llvm::toString(kind.takeError());
  if (args.prompt.empty() && args.promptsAt.empty())
    return std::string("--prompt: give the prompt of the first key frame");
  return std::nullopt;
}

/// The prompt of every key frame from K on: --prompt at 0, then each
/// --prompt-at K=TEXT.
llvm::Expected<std::map<unsigned, std::string>>
parsePrompts(const ZoomArgs &args) {
  std::map<unsigned, std::string> prompts;
  if (!args.prompt.empty())
    prompts[0] = args.prompt;
  for (llvm::StringRef spec : args.promptsAt) {
    auto [key, text] = spec.split('=');
    unsigned k;
    if (key.trim().getAsInteger(10, k) || !spec.contains('='))
      return makeStringError("--prompt-at " + spec +
                             ": expected K=TEXT with K a key frame number");
    if (k > args.outpaintSteps)
      return makeStringError("--prompt-at " + spec + ": key frame " +
                             llvm::Twine(k) + " is after the last one (" +
                             llvm::Twine(args.outpaintSteps) + ")");
    prompts[k] = text.str();
  }
  if (!prompts.count(0))
    return makeStringError(
        "--prompt: no prompt for key frame 0 (give --prompt or "
        "--prompt-at 0=TEXT)");
  return prompts;
}

/// The prompt of key frame \p k: the one of the largest K <= k.
const std::string &promptAt(const std::map<unsigned, std::string> &prompts,
                            unsigned k) {
  return std::prev(prompts.upper_bound(k))->second;
}

/// Where the shipped CLIP BPE file is: $ROMAC_CLIP_BPE, PREFIX/share/romac/
/// clip next to the executable, else the source tree's models/clip.
std::string findShippedBpe() {
  if (std::optional<std::string> env =
          llvm::sys::Process::GetEnv("ROMAC_CLIP_BPE"))
    return *env;
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("romac", &anchor);
  llvm::SmallString<256> shared(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(shared, "share", "romac", "clip",
                          "bpe_simple_vocab_16e6.txt.gz");
  if (llvm::sys::fs::exists(shared))
    return std::string(shared);
  return ROMAC_SOURCE_CLIP_BPE;
}

/// The parts of the model dir, read and checked before any work.
struct ZoomModelDir {
  std::string textEncoder, unet, vaeEncoder, vaeDecoder;
  std::optional<ClipTokenizer> tokenizer;
  SchedulerConfig scheduler;
  /// The text encoder's vocabulary (config.json's vocab_size; 0: unknown).
  int64_t vocabSize = 0;
};

/// vocab_size of DIR/text_encoder/config.json, 0 when there is none.
llvm::Expected<int64_t> readVocabSize(llvm::StringRef dir) {
  std::string path = (dir + "/text_encoder/config.json").str();
  if (!llvm::sys::fs::exists(path))
    return 0;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeStringError(path +
                           ": cannot read: " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeStringError(path + ": " + llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  std::optional<int64_t> size =
      object ? object->getInteger("vocab_size") : std::nullopt;
  return size.value_or(0);
}

/// The UNet must be the 9-channel inpainting one.
llvm::Error checkUnet(llvm::StringRef path) {
  llvm::Expected<std::vector<OnnxInputDecl>> decls = readOnnxInputs(path);
  if (!decls)
    return decls.takeError();
  for (const OnnxInputDecl &d : *decls)
    if (d.name == "sample") {
      if (d.hasShape && d.dims.size() == 4 && d.dims[1] != 9)
        return makeStringError(
            path + ": input 'sample' has " + llvm::Twine(d.dims[1]) +
            " channels; romac zoom needs the 9-channel inpainting UNet "
            "(latents, mask, masked-image latents)");
      return llvm::Error::success();
    }
  return makeStringError(path + ": the UNet has no input 'sample'");
}

llvm::Expected<ZoomModelDir> readModelDir(const ZoomArgs &args) {
  ZoomModelDir dir;
  llvm::StringRef root = args.modelDir;
  if (!llvm::sys::fs::is_directory(root))
    return makeStringError("--model-dir " + root + ": not a folder");
  std::pair<std::string *, const char *> graphs[] = {
      {&dir.textEncoder, "text_encoder"},
      {&dir.unet, "unet"},
      {&dir.vaeEncoder, "vae_encoder"},
      {&dir.vaeDecoder, "vae_decoder"}};
  for (auto &[path, part] : graphs) {
    *path = (root + "/" + part + "/model.onnx").str();
    if (!llvm::sys::fs::exists(*path))
      return makeStringError("--model-dir " + root + ": no " + *path +
                             " (expected text_encoder/, unet/, vae_encoder/ "
                             "and vae_decoder/, each with model.onnx)");
  }
  if (llvm::Error e = checkUnet(dir.unet))
    return std::move(e);
  llvm::Expected<ClipTokenizer> tokenizer =
      ClipTokenizer::loadModelDir(root, findShippedBpe());
  if (!tokenizer)
    return tokenizer.takeError();
  dir.tokenizer.emplace(std::move(*tokenizer));
  std::string schedulerPath = (root + "/scheduler/scheduler_config.json").str();
  llvm::Expected<SchedulerConfig> config =
      llvm::sys::fs::exists(schedulerPath)
          ? SchedulerConfig::load(schedulerPath)
          : SchedulerConfig::parse(kSd2SchedulerConfig,
                                   "SD2's built-in scheduler_config.json");
  if (!config)
    return config.takeError();
  dir.scheduler = *config;
  llvm::Expected<int64_t> vocab = readVocabSize(root);
  if (!vocab)
    return vocab.takeError();
  dir.vocabSize = *vocab;
  return dir;
}

/// The parameters that fix the frames (zoom.json's "parameters"; a resumed
/// run must give the same).
llvm::json::Object
describeParameters(const ZoomArgs &args,
                   const std::map<unsigned, std::string> &prompts,
                   uint64_t seed) {
  llvm::json::Array promptList;
  for (const auto &[k, text] : prompts)
    promptList.push_back(
        llvm::json::Object{{"key_frame", k}, {"prompt", text}});
  return llvm::json::Object{{"model_dir", args.modelDir},
                            {"prompts", std::move(promptList)},
                            {"negative_prompt", args.negativePrompt},
                            {"steps", args.steps},
                            {"guidance", args.guidance},
                            {"scheduler", args.scheduler},
                            {"seed", std::to_string(seed)},
                            {"size", args.size},
                            {"outpaint_steps", args.outpaintSteps},
                            {"mask_width", args.maskWidth},
                            {"interp_frames", args.interpFrames},
                            {"fps", args.fps},
                            {"init_image", args.initImage},
                            {"precision", args.precision},
                            {"target", args.target}};
}

/// Writes \p value to \p path through a temporary file renamed over it.
llvm::Error writeJsonFile(llvm::StringRef path,
                          const llvm::json::Value &value) {
  std::string tmp = (path + ".tmp").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return makeStringError(tmp + ": cannot write: " + ec.message());
    os << llvm::formatv("{0:2}", value) << "\n";
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return makeStringError(tmp + ": write error");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path))
    return makeStringError(path + ": cannot write: " + ec.message());
  return llvm::Error::success();
}

/// The seed of a resumed run when --seed is not given: the one zoom.json
/// recorded. Checks that DIR/zoom.json's parameters are this run's.
llvm::Error checkResume(const ZoomArgs &args,
                        const std::map<unsigned, std::string> &prompts,
                        uint64_t &seed) {
  std::string path = args.out + "/zoom.json";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeStringError("--resume: " + path + ": cannot read (" +
                           buffer.getError().message() +
                           "); --resume continues a run in its --out folder");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  const llvm::json::Object *params =
      json && json->getAsObject() ? json->getAsObject()->getObject("parameters")
                                  : nullptr;
  if (!json)
    llvm::consumeError(json.takeError());
  if (!params)
    return makeStringError("--resume: " + path + ": not a romac zoom file");
  if (!args.seed) {
    std::optional<llvm::StringRef> recorded = params->getString("seed");
    if (!recorded || recorded->getAsInteger(10, seed))
      return makeStringError("--resume: " + path + ": no seed");
  }
  llvm::json::Value now = describeParameters(args, prompts, seed);
  for (const auto &[key, value] : *now.getAsObject()) {
    const llvm::json::Value *old = params->get(key);
    if (!old || *old != value)
      return makeStringError(llvm::formatv(
          "--resume: {0}: parameter '{1}' was {2} and is {3} now; resume "
          "with the same options",
          path, key.str(), old ? llvm::formatv("{0}", *old).str() : "unset",
          llvm::formatv("{0}", value).str()));
  }
  return llvm::Error::success();
}

/// Checks (and creates) --out before any work: a new or empty folder, or
/// with --resume the folder of the run to continue; it must be writable.
llvm::Error prepareOutDir(const ZoomArgs &args,
                          const std::map<unsigned, std::string> &prompts,
                          uint64_t &seed) {
  llvm::StringRef out = args.out;
  bool exists = llvm::sys::fs::exists(out);
  if (exists && !llvm::sys::fs::is_directory(out))
    return makeStringError("--out " + out + ": exists and is not a folder");
  std::error_code ec;
  bool empty = !exists || llvm::sys::fs::directory_iterator(out, ec) ==
                              llvm::sys::fs::directory_iterator();
  if (args.resume) {
    if (llvm::Error e = checkResume(args, prompts, seed))
      return e;
  } else if (!empty) {
    return makeStringError("--out " + out +
                           ": the folder is not empty; pick a new folder, or "
                           "continue its run with --resume");
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(out))
    return makeStringError("--out " + out + ": cannot create: " + ec.message());
  std::string probe = (out + "/.romac-zoom-probe").str();
  {
    std::error_code wec;
    llvm::raw_fd_ostream os(probe, wec);
    if (wec)
      return makeStringError("--out " + out +
                             ": cannot write there: " + wec.message());
  }
  llvm::sys::fs::remove(probe);
  return llvm::Error::success();
}

/// The four compiled graphs, bound to this run's sizes.
struct ZoomModels {
  std::unique_ptr<Executable> textEncoder, unet, vaeEncoder, vaeDecoder;
  /// The UNet's inputs: sample, timestep, encoder_hidden_states.
  unsigned sampleIndex = 0, timestepIndex = 1, contextIndex = 2;
};

/// Loads \p path with \p shapes bound (through the artefact cache).
llvm::Expected<std::unique_ptr<Executable>> loadGraph(
    const ZoomArgs &args, const std::string &path,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes) {
  ModelLoadRequest request;
  request.command = "zoom";
  request.model = path;
  request.target = args.target;
  request.noCache = args.noCache;
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
      loadExecutable(request, options);
  if (exe)
    llvm::errs() << llvm::formatv("romac zoom: {0}: ready in {1:f1} s\n", path,
                                  clock.seconds());
  return exe;
}

/// The rank of input \p name as the file declares it (-1: none or any).
int declaredRank(llvm::ArrayRef<OnnxInputDecl> decls, llvm::StringRef name) {
  for (const OnnxInputDecl &d : decls)
    if (d.name == name)
      return d.hasShape ? int(d.dims.size()) : -1;
  return -1;
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

/// Compiles the graphs for --size and checks that they fit together.
llvm::Expected<ZoomModels> loadModels(const ZoomArgs &args,
                                      const ZoomModelDir &dir) {
  ZoomModels m;
  int64_t size = args.size, latent = size / 8;
  auto te =
      loadGraph(args, dir.textEncoder, {{"input_ids", {1, kSequenceLength}}});
  if (!te)
    return te.takeError();
  m.textEncoder = std::move(*te);
  const TensorSpec &hidden = m.textEncoder->getOutputs()[0];
  if (hidden.shape.size() != 3)
    return makeStringError(dir.textEncoder + ": output 0 is " + hidden.str() +
                           ", expected [1, 77, D] (last_hidden_state)");
  int64_t width = hidden.shape[2];
  llvm::Expected<std::vector<OnnxInputDecl>> decls = readOnnxInputs(dir.unet);
  if (!decls)
    return decls.takeError();
  std::vector<int64_t> timestep;
  if (declaredRank(*decls, "timestep") == 1)
    timestep = {1};
  auto unet =
      loadGraph(args, dir.unet,
                {{"sample", {2, 9, latent, latent}},
                 {"timestep", timestep},
                 {"encoder_hidden_states", {2, kSequenceLength, width}}});
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
  auto enc = loadGraph(args, dir.vaeEncoder, {{"sample", {1, 3, size, size}}});
  if (!enc)
    return enc.takeError();
  m.vaeEncoder = std::move(*enc);
  if (llvm::Error e =
          expectShape(*m.vaeEncoder, dir.vaeEncoder, {1, 8, latent, latent},
                      "the VAE encoder's output"))
    return std::move(e);
  auto dec = loadGraph(args, dir.vaeDecoder,
                       {{"latent_sample", {1, 4, latent, latent}}});
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

/// Everything a key frame needs besides the previous frame.
struct KeyFrameContext {
  const ZoomArgs &args;
  const ZoomModelDir &dir;
  ZoomModels &models;
  /// [2, 77, D] per key frame's prompt: the negative prompt first.
  const std::map<std::string, Tensor> &contexts;
  const std::map<unsigned, std::string> &prompts;
  uint64_t seed;
  StageTimes &times;
};

/// Batch-2 embeddings [negative; prompt] for each distinct prompt.
llvm::Expected<std::map<std::string, Tensor>>
encodePrompts(const ZoomArgs &args, const ZoomModelDir &dir, ZoomModels &models,
              const std::map<unsigned, std::string> &prompts,
              StageTimes &times) {
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
  Tensor z(ElementType::F32, {1, 4, latent, latent});
  for (auto [i, v] : llvm::enumerate(*latents))
    z.dataAs<float>()[i] = float(v / kLatentScale);
  llvm::Expected<Tensor> decoded = timed(
      c.times.vaeDecode, [&] { return runGraph(*c.models.vaeDecoder, {&z}); });
  if (!decoded)
    return decoded.takeError();
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

llvm::json::Value describeRun(const ZoomArgs &args,
                              const std::map<unsigned, std::string> &prompts,
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

/// The checks before any work; fills the prompts, model dir, init image.
int prepare(const ZoomArgs &args, std::map<unsigned, std::string> &prompts,
            std::optional<ZoomModelDir> &dir, std::optional<RgbImage> &init) {
  if (std::optional<std::string> why = checkOptions(args))
    return usage(*why);
  llvm::Expected<std::map<unsigned, std::string>> parsed = parsePrompts(args);
  if (!parsed)
    return usage(llvm::toString(parsed.takeError()));
  prompts = std::move(*parsed);
  for (const auto &[k, text] : prompts)
    if (llvm::Error e = cleanClipText(text).takeError())
      return usage("prompt \"" + text + "\": " + llvm::toString(std::move(e)));
  llvm::Expected<ZoomModelDir> read = readModelDir(args);
  if (!read)
    return reportError("zoom", read.takeError());
  dir.emplace(std::move(*read));
  if (!args.initImage.empty()) {
    llvm::Expected<RgbImage> image = readPng(args.initImage);
    if (!image)
      return reportError("zoom",
                         llvm::createFileError("--init-image " + args.initImage,
                                               image.takeError()));
    init = resizeBicubic(*image, args.size, args.size);
  }
  return 0;
}

} // namespace

int romac::driver::runZoom(const ZoomArgs &args) {
  Stopwatch clock;
  std::map<unsigned, std::string> prompts;
  std::optional<ZoomModelDir> dir;
  std::optional<RgbImage> init;
  if (int status = prepare(args, prompts, dir, init))
    return status;
  uint64_t seed = args.seed ? *args.seed : std::random_device()();
  if (llvm::Error e = prepareOutDir(args, prompts, seed))
    return usage(llvm::toString(std::move(e)));
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
  unsigned resumed = 0;
  llvm::Expected<std::vector<RgbImage>> keys =
      makeKeyFrames(context, std::move(init), resumed);
  if (!keys)
    return reportError("zoom", keys.takeError());
  std::vector<RgbImage> frames =
      timed(times.interpolation, [&] { return makeVideoFrames(args, *keys); });
  if (llvm::Error e = writeVideo(args, frames, times))
    return reportError("zoom", std::move(e));
  if (llvm::Error e = writeJsonFile(
          jsonPath, describeRun(args, prompts, seed, &times, frames.size(),
                                resumed, clock.seconds())))
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
                   "PNG used as key frame 0 (resized, bicubic)");
  zoom->add_option("--precision", args.precision, "fp32 (bf16: not yet)");
  zoom->add_option("--target", args.target,
                   "Schedule the graphs for this target (default host)");
  zoom->add_option("--out", args.out,
                   "Output folder: new or empty, or the run to --resume "
                   "(default ./zoom)");
  zoom->add_flag("--resume", args.resume,
                 "Continue the run in --out from its last key frame");
  zoom->add_flag("--no-cache", args.noCache,
                 "Compile the graphs in this process instead of using the "
                 "artefact cache");
  return zoom;
}
