//===- ZoomCheck.cpp - `romac zoom`: the checks before any work -----------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Everything `romac zoom` checks before it compiles or writes anything
// (docs/zoom.md, "Bad input is refused before any work"): the options and
// prompts, the model dir (the four graphs, the tokenizer, the scheduler
// config), the output folder and a resumed run's zoom.json.
//
//===----------------------------------------------------------------------===//

#include "ZoomInternal.h"

#include "Driver.h"
#include "ModelLoader.h"

#include "romac/Import/ONNXSignature.h"
#include "romac/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace romac;
using namespace romac::driver;
using namespace romac::zoom;

namespace romac::driver::zoomcmd {
namespace {

/// SD2-inpainting's published scheduler/scheduler_config.json, used when
/// the model dir has none (the committed fixtures do not carry one).
constexpr const char *kSd2SchedulerConfig = R"({
  "_class_name": "PNDMScheduler", "beta_end": 0.012,
  "beta_schedule": "scaled_linear", "beta_start": 0.00085,
  "clip_sample": false, "num_train_timesteps": 1000,
  "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1
})";

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
  if (args.precision != "fp32" && args.precision != "bf16")
    return "--precision " + args.precision + ": expected fp32 or bf16";
  if (llvm::Expected<Compression> c = parseCompressionFlags(args.compression);
      !c)
    return llvm::toString(c.takeError());
  if (llvm::Expected<SchedulerKind> kind = parseSchedulerKind(args.scheduler);
      !kind)
    return "--scheduler: " + llvm::toString(kind.takeError());
  if (args.prompt.empty() && args.promptsAt.empty())
    return std::string("--prompt: give the prompt of the first key frame");
  return std::nullopt;
}

/// The prompt of every key frame from K on: --prompt at 0, then each
/// --prompt-at K=TEXT.
llvm::Expected<PromptMap> parsePrompts(const ZoomArgs &args) {
  PromptMap prompts;
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

/// One graph of the model dir as its file declares it.
struct GraphDecl {
  std::string path;
  OnnxSignature signature;

  /// Input \p name, null when the graph has none.
  const OnnxInputDecl *input(llvm::StringRef name) const {
    for (const OnnxInputDecl &d : signature.inputs)
      if (d.name == name)
        return &d;
    return nullptr;
  }
};

/// "PATH: the graphs do not fit together: WHAT".
llvm::Error misfit(const GraphDecl &g, const llvm::Twine &what) {
  return makeStringError(g.path + ": the graphs do not fit together: " + what);
}

/// Checks the declared shape of \p d (the graph's input or output \p role)
/// against \p want: its rank, and every dim that both the file and \p want
/// fix (-1 in \p want: any). \p why explains the expected dims.
llvm::Error expectDims(const GraphDecl &g, const OnnxInputDecl &d,
                       llvm::StringRef role, llvm::ArrayRef<int64_t> want,
                       const llvm::Twine &why) {
  if (!d.hasShape)
    return llvm::Error::success();
  if (d.dims.size() != want.size())
    return misfit(g, role + " '" + d.name + "' has rank " +
                         llvm::Twine(d.dims.size()) + ", expected " +
                         llvm::Twine(want.size()) + " (" + why + ")");
  for (auto [i, w] : llvm::enumerate(want))
    if (w >= 0 && d.dims[i] >= 0 && d.dims[i] != w)
      return misfit(g, role + " '" + d.name + "' dim " + llvm::Twine(i) +
                           " is " + llvm::Twine(d.dims[i]) + ", expected " +
                           llvm::Twine(w) + " (" + why + ")");
  return llvm::Error::success();
}

/// Input \p name of \p g, or an error naming the graph.
llvm::Expected<const OnnxInputDecl *>
requireInput(const GraphDecl &g, llvm::StringRef name, llvm::StringRef what) {
  if (const OnnxInputDecl *d = g.input(name))
    return d;
  return makeStringError(g.path + ": " + what + " has no input '" + name + "'");
}

/// The VAE's down-sampling factor from DIR/PART/config.json
/// (2^(len(block_out_channels) - 1)), 0 when the file does not say.
int64_t readVaeFactor(llvm::StringRef root, llvm::StringRef part) {
  std::string path = (root + "/" + part + "/config.json").str();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return 0;
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return 0;
  }
  const llvm::json::Object *object = json->getAsObject();
  const llvm::json::Array *blocks =
      object ? object->getArray("block_out_channels") : nullptr;
  return blocks && !blocks->empty() ? int64_t(1) << (blocks->size() - 1) : 0;
}

/// Checks the text encoder and the UNet's declared shapes; records the
/// text encoder's width and the UNet's timestep rank in \p dir.
llvm::Error checkTextAndUnet(const GraphDecl &te, const GraphDecl &unet,
                             int64_t latent, ZoomModelDir &dir) {
  llvm::Expected<const OnnxInputDecl *> ids =
      requireInput(te, "input_ids", "the text encoder");
  if (!ids)
    return ids.takeError();
  if (llvm::Error e = expectDims(te, **ids, "input", {-1, kSequenceLength},
                                 "CLIP's 77 tokens"))
    return e;
  if (!te.signature.outputs.empty()) {
    const OnnxInputDecl &hidden = te.signature.outputs[0];
    if (llvm::Error e = expectDims(te, hidden, "output", {-1, -1, -1},
                                   "last_hidden_state [1, 77, D]"))
      return e;
    if (hidden.hasShape && hidden.dims[2] > 0)
      dir.textWidth = hidden.dims[2];
  }
  for (const OnnxInputDecl &d : unet.signature.inputs)
    if (d.name != "sample" && d.name != "timestep" &&
        d.name != "encoder_hidden_states")
      return makeStringError(unet.path + ": unexpected UNet input '" + d.name +
                             "' (expected sample, timestep, "
                             "encoder_hidden_states)");
  llvm::Expected<const OnnxInputDecl *> sample =
      requireInput(unet, "sample", "the UNet");
  if (!sample)
    return sample.takeError();
  const OnnxInputDecl &s = **sample;
  if (s.hasShape && s.dims.size() == 4 && s.dims[1] >= 0 && s.dims[1] != 9)
    return makeStringError(
        unet.path + ": input 'sample' has " + llvm::Twine(s.dims[1]) +
        " channels; romac zoom needs the 9-channel inpainting UNet "
        "(latents, mask, masked-image latents)");
  std::string latentWhy = "the latent side for --size " +
                          std::to_string(latent * 8) + " is " +
                          std::to_string(latent);
  if (llvm::Error e = expectDims(unet, s, "input", {2, 9, latent, latent},
                                 "batch 2 of guidance; " + latentWhy))
    return e;
  llvm::Expected<const OnnxInputDecl *> timestep =
      requireInput(unet, "timestep", "the UNet");
  if (!timestep)
    return timestep.takeError();
  if ((*timestep)->hasShape && (*timestep)->dims.size() > 1)
    return misfit(unet, "input 'timestep' has rank " +
                            llvm::Twine((*timestep)->dims.size()) +
                            ", expected a scalar or [1]");
  dir.timestepRank1 = (*timestep)->hasShape && (*timestep)->dims.size() == 1;
  llvm::Expected<const OnnxInputDecl *> context =
      requireInput(unet, "encoder_hidden_states", "the UNet");
  if (!context)
    return context.takeError();
  std::string widthWhy = dir.textWidth
                             ? "the text encoder " + te.path + " gives width " +
                                   std::to_string(dir.textWidth)
                             : std::string("CLIP's 77 tokens");
  if (llvm::Error e = expectDims(
          unet, **context, "input",
          {2, kSequenceLength, dir.textWidth ? dir.textWidth : -1}, widthWhy))
    return e;
  if (unet.signature.outputs.empty())
    return llvm::Error::success();
  return expectDims(unet, unet.signature.outputs[0], "output",
                    {2, 4, latent, latent}, "4 latent channels; " + latentWhy);
}

/// Checks the two VAE graphs' declared shapes and down-sampling factor.
llvm::Error checkVae(const GraphDecl &enc, const GraphDecl &dec,
                     llvm::StringRef root, int64_t size) {
  int64_t latent = size / 8;
  std::string sizeWhy = "--size " + std::to_string(size);
  std::string latentWhy =
      "the latent side for " + sizeWhy + " is " + std::to_string(latent);
  for (auto [graph, part] :
       {std::pair(&enc, "vae_encoder"), std::pair(&dec, "vae_decoder")})
    if (int64_t factor = readVaeFactor(root, part); factor && factor != 8)
      return misfit(*graph, llvm::Twine(root) + "/" + part +
                                "/config.json: the VAE scales by " +
                                llvm::Twine(factor) +
                                ", expected 8 (SD2's latents are size/8)");
  llvm::Expected<const OnnxInputDecl *> image =
      requireInput(enc, "sample", "the VAE encoder");
  if (!image)
    return image.takeError();
  if (llvm::Error e =
          expectDims(enc, **image, "input", {1, 3, size, size}, sizeWhy))
    return e;
  if (!enc.signature.outputs.empty())
    if (llvm::Error e = expectDims(
            enc, enc.signature.outputs[0], "output", {1, 8, latent, latent},
            "latent_dist's mean and log-variance; " + latentWhy))
      return e;
  llvm::Expected<const OnnxInputDecl *> z =
      requireInput(dec, "latent_sample", "the VAE decoder");
  if (!z)
    return z.takeError();
  if (llvm::Error e = expectDims(dec, **z, "input", {1, 4, latent, latent},
                                 "4 latent channels; " + latentWhy))
    return e;
  if (dec.signature.outputs.empty())
    return llvm::Error::success();
  return expectDims(dec, dec.signature.outputs[0], "output", {1, 3, size, size},
                    sizeWhy);
}

/// Reads the four graphs' declared inputs and outputs and checks that they
/// fit together and --size before anything is compiled.
llvm::Error checkGraphs(const ZoomArgs &args, ZoomModelDir &dir) {
  GraphDecl graphs[4];
  const std::string *paths[] = {&dir.textEncoder, &dir.unet, &dir.vaeEncoder,
                                &dir.vaeDecoder};
  for (auto [g, path] : llvm::zip(graphs, paths)) {
    g.path = *path;
    llvm::Expected<OnnxSignature> signature = readOnnxSignature(*path);
    if (!signature)
      return signature.takeError();
    g.signature = std::move(*signature);
  }
  if (llvm::Error e =
          checkTextAndUnet(graphs[0], graphs[1], args.size / 8, dir))
    return e;
  return checkVae(graphs[2], graphs[3], args.modelDir, args.size);
}

/// The seed of a resumed run when --seed is not given: the one zoom.json
/// recorded. Checks that DIR/zoom.json's parameters are this run's.
llvm::Error checkResume(const ZoomArgs &args, const PromptMap &prompts,
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

} // namespace

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
  if (llvm::Error e = checkGraphs(args, dir))
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

/// One usage error: "romac zoom: error: MESSAGE", status 2.
int usage(const llvm::Twine &message) {
  llvm::errs() << "romac zoom: error: " << message << "\n";
  return kUsageError;
}

/// The prompt of key frame \p k: the one of the largest K <= k.
const std::string &promptAt(const PromptMap &prompts, unsigned k) {
  return std::prev(prompts.upper_bound(k))->second;
}

/// The parameters that fix the frames (zoom.json's "parameters"; a resumed
/// run must give the same).
llvm::json::Object describeParameters(const ZoomArgs &args,
                                      const PromptMap &prompts, uint64_t seed) {
  llvm::json::Array promptList;
  for (const auto &[k, text] : prompts)
    promptList.push_back(
        llvm::json::Object{{"key_frame", k}, {"prompt", text}});
  llvm::json::Object parameters{{"model_dir", args.modelDir},
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
  // Only when given: the zoom.json of an uncompressed run (and its
  // --resume) is as before the flags existed.
  std::string compression =
      llvm::cantFail(parseCompressionFlags(args.compression)).getFlags();
  if (!compression.empty())
    parameters["compression"] = compression;
  return parameters;
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

/// Checks (and creates) --out before any work: a new or empty folder, or
/// with --resume the folder of the run to continue; it must be writable.
llvm::Error prepareOutDir(const ZoomArgs &args, const PromptMap &prompts,
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

/// The checks before any work; fills the prompts, model dir, init image.
int prepare(const ZoomArgs &args, PromptMap &prompts,
            std::optional<ZoomModelDir> &dir, std::optional<RgbImage> &init) {
  if (std::optional<std::string> why = checkOptions(args))
    return usage(*why);
  llvm::Expected<PromptMap> parsed = parsePrompts(args);
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
    init = resizeLanczos(*image, args.size, args.size);
  }
  return 0;
}

} // namespace romac::driver::zoomcmd
