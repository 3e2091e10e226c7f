//===- romac-zoom-tool.cpp - test driver of the zoom building blocks ------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A test-only command line over lib/Zoom for the python oracle tests
// (python/tests/test_zoom_*.py). Every command reads JSON on stdin and
// writes JSON on stdout; a failure is one line "error: ..." on stderr and
// exit status 1.
//
//   tokenize --bpe GZ | --hf VOCAB MERGES
//       stdin: ["prompt", ...]; stdout: [{"ids": [77 ids], "encode": [...]}
//       or {"error": "..."}, ...]
//   schedule KIND STEPS CONFIG_JSON
//       runs the scheduler on the closed-form model of scheduleCommand()
//       and prints {"timesteps", "init_noise_sigma", "scales", "samples"}
//       (the sample after each call)
//   resize IN.png W H OUT.png [bicubic|lanczos]
//       resizeBicubic() (default) or resizeLanczos()
//   canvas IN.png MASK_WIDTH OUTDIR    shrinkAndPasteOnBlank() as canvas.png,
//       and image.npy, mask.npy, masked.npy, latent_mask.npy, back.png
//       (tensorToImage(imageToTensor(canvas)))
//   mp4 OUT.mp4 FPS COUNT W H          COUNT synthetic frames (frame k:
//       R = (x + 4k) & 255, G = (y * 2) & 255, B = 128 + 100 sin(...)),
//       frame 0 also written as OUT.mp4.frame0.png
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Image.h"
#include "romac/Zoom/Scheduler.h"
#include "romac/Zoom/Tokenizer.h"
#include "romac/Zoom/Video.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace romac;
using namespace romac::zoom;

static int fail(llvm::Error e) {
  llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
  return 1;
}

static llvm::Expected<llvm::json::Value> readStdinJson() {
  auto buf = llvm::MemoryBuffer::getSTDIN();
  if (!buf)
    return llvm::createStringError(buf.getError(), "cannot read stdin");
  return llvm::json::parse((*buf)->getBuffer());
}

static llvm::json::Value idsToJson(const std::vector<int64_t> &ids) {
  llvm::json::Array a;
  for (int64_t id : ids)
    a.push_back(id);
  return a;
}

static int tokenizeCommand(llvm::ArrayRef<const char *> args) {
  llvm::Expected<ClipTokenizer> tok =
      args.size() == 2 && llvm::StringRef(args[0]) == "--bpe"
          ? ClipTokenizer::loadOpenAI(args[1])
      : args.size() == 3 && llvm::StringRef(args[0]) == "--hf"
          ? ClipTokenizer::loadHF(args[1], args[2])
          : llvm::Expected<ClipTokenizer>(llvm::createStringError(
                "usage: tokenize --bpe GZ | --hf VOCAB MERGES"));
  if (!tok)
    return fail(tok.takeError());
  auto in = readStdinJson();
  if (!in)
    return fail(in.takeError());
  const llvm::json::Array *prompts = in->getAsArray();
  if (!prompts)
    return fail(
        llvm::createStringError("stdin must be a JSON array of strings"));
  llvm::json::Array out;
  for (const llvm::json::Value &p : *prompts) {
    std::optional<llvm::StringRef> text = p.getAsString();
    if (!text)
      return fail(
          llvm::createStringError("stdin must be a JSON array of strings"));
    auto ids = tok->tokenize(*text);
    if (!ids) {
      out.push_back(
          llvm::json::Object{{"error", llvm::toString(ids.takeError())}});
      continue;
    }
    auto all = tok->encode(*text);
    if (!all)
      return fail(all.takeError()); // tokenize() succeeded on the same text
    out.push_back(llvm::json::Object{{"ids", idsToJson(*ids)},
                                     {"encode", idsToJson(*all)}});
  }
  llvm::outs() << llvm::json::Value(std::move(out)) << "\n";
  return 0;
}

/// The closed-form test "model" and inputs, also written in
/// python/tests/test_zoom_scheduler.py: x0[i] = cos(0.5 i) * init_sigma,
/// eps(x, t)[i] = 0.3 x[i] + 0.1 sin(0.01 t + i) on the scaled input, and
/// the noise of call k: sin(1.7 k + 0.3 i).
static int scheduleCommand(llvm::ArrayRef<const char *> args) {
  if (args.size() != 3)
    return fail(
        llvm::createStringError("usage: schedule KIND STEPS CONFIG_JSON"));
  auto kind = parseSchedulerKind(args[0]);
  if (!kind)
    return fail(kind.takeError());
  unsigned steps = 0;
  if (llvm::StringRef(args[1]).getAsInteger(10, steps))
    return fail(llvm::createStringError("STEPS must be an integer"));
  auto config = SchedulerConfig::load(args[2]);
  if (!config)
    return fail(config.takeError());
  auto sched = Scheduler::create(*kind, *config, steps);
  if (!sched)
    return fail(sched.takeError());
  Scheduler &s = **sched;
  const size_t n = 16;
  std::vector<double> x(n), eps(n), noise(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = std::cos(0.5 * i) * s.getInitNoiseSigma();
  llvm::json::Array timesteps, scales, samples;
  for (size_t k = 0; k < s.getNumCalls(); ++k) {
    double t = s.getTimesteps()[k], scale = s.getModelInputScale(k);
    for (size_t i = 0; i < n; ++i) {
      eps[i] = 0.3 * (x[i] * scale) + 0.1 * std::sin(0.01 * t + i);
      noise[i] = std::sin(1.7 * k + 0.3 * i);
    }
    s.step(k, eps, x, noise);
    timesteps.push_back(t);
    scales.push_back(scale);
    samples.push_back(llvm::json::Array(x));
  }
  llvm::outs() << llvm::json::Value(llvm::json::Object{
                      {"timesteps", std::move(timesteps)},
                      {"init_noise_sigma", s.getInitNoiseSigma()},
                      {"scales", std::move(scales)},
                      {"samples", std::move(samples)}})
               << "\n";
  return 0;
}

static llvm::Expected<int> parseInt(const char *text) {
  int v;
  if (llvm::StringRef(text).getAsInteger(10, v))
    return llvm::createStringError(llvm::Twine("not an integer: ") + text);
  return v;
}

static int resizeCommand(llvm::ArrayRef<const char *> args) {
  if (args.size() != 4 && args.size() != 5)
    return fail(llvm::createStringError(
        "usage: resize IN.png W H OUT.png [bicubic|lanczos]"));
  llvm::StringRef kind = args.size() == 5 ? args[4] : "bicubic";
  if (kind != "bicubic" && kind != "lanczos")
    return fail(llvm::createStringError("resize: unknown filter " + kind));
  auto in = readPng(args[0]);
  if (!in)
    return fail(in.takeError());
  auto w = parseInt(args[1]);
  auto h = parseInt(args[2]);
  if (!w || !h)
    return fail(llvm::joinErrors(w.takeError(), h.takeError()));
  ResampleFilter filter =
      kind == "lanczos" ? ResampleFilter::Lanczos : ResampleFilter::Bicubic;
  if (llvm::Error e = writePng(args[3], resize(*in, *w, *h, filter)))
    return fail(std::move(e));
  return 0;
}

static llvm::Error writeNpyFile(const llvm::Twine &path, const Tensor &t) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path.str(), ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path.str());
  writeNpy(os, t);
  return llvm::Error::success();
}

static int canvasCommand(llvm::ArrayRef<const char *> args) {
  if (args.size() != 3)
    return fail(
        llvm::createStringError("usage: canvas IN.png MASK_WIDTH OUTDIR"));
  auto in = readPng(args[0]);
  if (!in)
    return fail(in.takeError());
  auto m = parseInt(args[1]);
  if (!m)
    return fail(m.takeError());
  llvm::StringRef dir = args[2];
  RgbImage canvas = shrinkAndPasteOnBlank(*in, *m);
  Tensor image = imageToTensor(canvas);
  Tensor mask = makeBorderMask(canvas.width, canvas.height, *m);
  Tensor masked = maskImageTensor(image, mask);
  Tensor latent = maskToLatent(mask);
  for (auto [name, t] :
       {std::pair<const char *, const Tensor *>{"image", &image},
        {"mask", &mask},
        {"masked", &masked},
        {"latent_mask", &latent}})
    if (llvm::Error e = writeNpyFile(dir + "/" + name + ".npy", *t))
      return fail(std::move(e));
  if (llvm::Error e = writePng((dir + "/canvas.png").str(), canvas))
    return fail(std::move(e));
  if (llvm::Error e = writePng((dir + "/back.png").str(), tensorToImage(image)))
    return fail(std::move(e));
  return 0;
}

static int mp4Command(llvm::ArrayRef<const char *> args) {
  if (args.size() != 5)
    return fail(llvm::createStringError("usage: mp4 OUT.mp4 FPS COUNT W H"));
  auto fps = parseInt(args[1]), count = parseInt(args[2]);
  auto w = parseInt(args[3]), h = parseInt(args[4]);
  if (!fps || !count || !w || !h)
    return fail(
        llvm::joinErrors(llvm::joinErrors(fps.takeError(), count.takeError()),
                         llvm::joinErrors(w.takeError(), h.takeError())));
  std::vector<RgbImage> frames;
  for (int k = 0; k < *count; ++k) {
    RgbImage f(*w, *h);
    for (int y = 0; y < *h; ++y)
      for (int x = 0; x < *w; ++x) {
        uint8_t *p = f.at(x, y);
        p[0] = static_cast<uint8_t>((x + 4 * k) & 255);
        p[1] = static_cast<uint8_t>((y * 2) & 255);
        p[2] = static_cast<uint8_t>(128 + 100 * std::sin(0.05 * (x + y) + k));
      }
    frames.push_back(std::move(f));
  }
  if (!frames.empty())
    if (llvm::Error e =
            writePng((llvm::Twine(args[0]) + ".frame0.png").str(), frames[0]))
      return fail(std::move(e));
  if (llvm::Error e = writeMp4(args[0], frames, *fps))
    return fail(std::move(e));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    llvm::errs() << "usage: romac-zoom-tool COMMAND ARGS... (see the file "
                    "banner of unittests/Zoom/romac-zoom-tool.cpp)\n";
    return 2;
  }
  llvm::StringRef cmd = argv[1];
  llvm::ArrayRef<const char *> args(argv + 2, argv + argc);
  if (cmd == "tokenize")
    return tokenizeCommand(args);
  if (cmd == "schedule")
    return scheduleCommand(args);
  if (cmd == "resize")
    return resizeCommand(args);
  if (cmd == "canvas")
    return canvasCommand(args);
  if (cmd == "mp4")
    return mp4Command(args);
  llvm::errs() << "error: unknown command '" << cmd << "'\n";
  return 2;
}
