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
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Scheduler.h"
#include "romac/Zoom/Tokenizer.h"

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
    return fail(llvm::createStringError("stdin must be a JSON array of strings"));
  llvm::json::Array out;
  for (const llvm::json::Value &p : *prompts) {
    std::optional<llvm::StringRef> text = p.getAsString();
    if (!text)
      return fail(llvm::createStringError("stdin must be a JSON array of strings"));
    auto ids = tok->tokenize(*text);
    if (!ids) {
      out.push_back(llvm::json::Object{{"error", llvm::toString(ids.takeError())}});
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
    return fail(llvm::createStringError("usage: schedule KIND STEPS CONFIG_JSON"));
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
  llvm::errs() << "error: unknown command '" << cmd << "'\n";
  return 2;
}
