//===- ModelLoader.cpp - a runnable model from an ONNX file ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The artefact cache, schedule search and compile shared by `romac run` and
// `romac zoom` (ModelLoader.h).
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "Driver.h"

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Transforms/CompressWeights.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/InitRomac.h"
#include "romac/Support/Error.h"
#include "romac/Target/Host.h"
#include "romac/Target/Target.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

using namespace romac;
using namespace romac::driver;

namespace {

/// What the compiled model depends on besides romac itself: the model's
/// content, the schedule or target, the codegen flags, the import flags and
/// the caller's input entries.
llvm::Expected<std::string> getCacheEntryName(const ModelLoadRequest &request,
                                              ArtefactCache &cache) {
  ArtefactKey key;
  llvm::Expected<std::string> model = cache.hashFile(request.model);
  if (!model)
    return model.takeError();
  key.add("model", *model);
  if (!request.schedule.empty()) {
    llvm::Expected<std::string> schedule = cache.hashFile(request.schedule);
    if (!schedule)
      return schedule.takeError();
    key.add("schedule", *schedule);
  } else if (!request.noTile) {
    key.add("target", request.target);
    if (std::optional<unsigned> level = parseHostTargetName(request.target)) {
      key.add("host-target", getHostTargetYaml(getHostCpu(), *level));
    } else {
      std::string file =
          isTargetPath(request.target)
              ? request.target
              : getDefaultTargetsDir() + "/" + request.target + ".yaml";
      llvm::Expected<std::string> target = cache.hashFile(file);
      if (!target)
        return target.takeError();
      key.add("target-file", *target);
    }
  }
  key.add("tile", request.noTile ? "0" : "1");
  key.add("kernels", request.noKernels ? "0" : "1");
  key.add("fuse", request.noFuse ? "0" : "1");
  key.add("fuse-attention",
          request.noFuse || request.noFuseAttention ? "0" : "1");
  if (request.noParallelKernels)
    key.add("parallel-kernels", "0");
  // Only bf16 adds an entry: the keys of fp32 models are as before.
  if (request.bf16)
    key.add("precision", "bf16");
  if (!request.compression.empty())
    key.add("compression",
            request.compression.getFlags() + " (weights and activations)");
  key.add("opt", std::to_string(ExecutableOptions().optLevel));
  for (const std::string &d : request.dims)
    key.add("dim", d);
  for (const std::string &s : request.shapes)
    key.add("shape", s);
  for (const std::string &input : request.inputKeys)
    key.add("input", input);
  for (const std::string &file : request.keyFiles) {
    llvm::Expected<std::string> hash = cache.hashFile(file);
    if (!hash)
      return hash.takeError();
    key.add("file", file + " " + *hash);
  }
  return cache.getEntryName(key);
}

/// The cache entry's about.txt: the model and what it was compiled with, as
/// `romac cache list` shows it.
std::string describeRequest(const ModelLoadRequest &request) {
  llvm::SmallVector<std::string> parts;
  if (!request.schedule.empty())
    parts.push_back("schedule " + request.schedule);
  else if (request.noTile)
    parts.push_back("untiled");
  else
    parts.push_back("target " + request.target);
  if (request.bf16)
    parts.push_back("bf16");
  if (!request.compression.empty())
    parts.push_back(request.compression.getFlags());
  if (request.noKernels)
    parts.push_back("--no-kernels");
  if (request.noFuse)
    parts.push_back("--no-fuse");
  else if (request.noFuseAttention)
    parts.push_back("--no-fuse-attention");
  if (request.noParallelKernels)
    parts.push_back("--no-parallel-kernels");
  for (const std::string &d : request.dims)
    parts.push_back("--dim " + d);
  for (const std::string &s : request.shapes)
    parts.push_back("--shape " + s);
  std::string model = request.model;
  llvm::SmallString<256> absolute(model);
  if (!llvm::sys::fs::make_absolute(absolute))
    model = absolute.str().str();
  return model + " (" + llvm::join(parts, ", ") + ")";
}

} // namespace

CompileProgress::CompileProgress(llvm::StringRef command, llvm::StringRef model,
                                 double interval)
    : prefix(("romac " + command + ": " + model + ": ").str()),
      phase("importing") {
  auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(interval));
  auto start = std::chrono::steady_clock::now();
  thread = std::thread([this, period, start] {
    std::unique_lock<std::mutex> lock(mutex);
    for (auto next = start + period;
         !wake.wait_until(lock, next, [this] { return done; });
         next += period) {
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      // One write(2) per line, not llvm::errs(): the main thread may be
      // printing a diagnostic at the same time, and a raw_ostream is not
      // safe to share between threads.
      std::string line =
          llvm::formatv("{0}{1} ({2:f1} s)\n", prefix, phase, seconds).str();
      [[maybe_unused]] ssize_t written =
          ::write(STDERR_FILENO, line.data(), line.size());
    }
  });
}

void CompileProgress::setPhase(llvm::StringRef next) {
  std::lock_guard<std::mutex> lock(mutex);
  phase = next.str();
}

void CompileProgress::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  wake.notify_all();
  if (thread.joinable())
    thread.join();
}

std::optional<ArtefactCache>
romac::driver::openModelCache(const ModelLoadRequest &request,
                              std::string &entry) {
  if (request.noCache)
    return std::nullopt;
  ArtefactCache cache(ArtefactCache::getDefaultDirectory());
  llvm::Error e = cache.checkUsable();
  if (!e) {
    llvm::Expected<std::string> name = getCacheEntryName(request, cache);
    if (name) {
      entry = *name;
      return cache;
    }
    e = name.takeError();
  }
  llvm::errs() << "romac " << request.command
               << ": warning: compiling without the artefact cache: "
               << llvm::toString(std::move(e)) << "\n";
  return std::nullopt;
}

std::unique_ptr<Executable>
romac::driver::lookupModelCache(const ModelLoadRequest &request,
                                ArtefactCache &cache, llvm::StringRef entry) {
  std::string note;
  llvm::Expected<std::unique_ptr<Executable>> hit = cache.lookup(entry, &note);
  if (!hit) {
    note = "the cache entry does not load (" + llvm::toString(hit.takeError()) +
           ")";
    llvm::sys::fs::remove_directories(cache.getDirectory() + "/v1/entries/" +
                                      entry.str());
  }
  if (!note.empty())
    llvm::errs() << "romac " << request.command << ": note: " << request.model
                 << ": " << note << "; compiling it again\n";
  return hit ? std::move(*hit) : nullptr;
}

bool romac::driver::searchModelSchedule(const ModelLoadRequest &request,
                                        mlir::ModuleOp module,
                                        CompileProgress *progress) {
  if (request.scheduleFile) {
    if (llvm::Error e = attachSchedule(module, *request.scheduleFile)) {
      reportError(request.command,
                  llvm::createFileError(request.schedule, std::move(e)));
      return false;
    }
    return true;
  }
  if (progress)
    progress->setPhase("searching the schedule for " + request.target);
  mlir::PassManager pm(module.getContext());
  CompilePipelineOptions pipeline;
  pipeline.target = request.target;
  pipeline.search = PipelineSearch::Flat;
  buildCompilePipeline(pm, pipeline);
  return mlir::succeeded(pm.run(module));
}

llvm::Expected<std::unique_ptr<Executable>> romac::driver::compileModel(
    const ModelLoadRequest &request, mlir::ModuleOp module,
    std::optional<ArtefactCache> &cache, llvm::StringRef entry, bool profile,
    CompileProgress *progress) {
  if (progress)
    progress->setPhase("generating code");
  ExecutableOptions options;
  options.tile = !request.noTile;
  options.kernels = !request.noKernels;
  options.fuse = !request.noFuse;
  options.bf16 = request.bf16;
  options.fuseAttention = !request.noFuse && !request.noFuseAttention;
  options.parallelKernels = !request.noParallelKernels;
  // The host's own schedule tiles attention's products for the last-level
  // cache; the fused kernel's blocks are finer. Another target's tiles, or
  // a schedule file's, are executed as they are.
  options.attentionOverTiles = request.schedule.empty() &&
                               parseHostTargetName(request.target).has_value();
  options.profile = profile;
  if (!cache)
    return Executable::compile(module, options);
  llvm::Expected<CompiledObject> compiled = compileObject(module, options);
  if (!compiled)
    return compiled.takeError();
  std::string tooLarge;
  llvm::Expected<std::unique_ptr<Executable>> stored =
      cache->store(entry, *compiled, describeRequest(request), &tooLarge);
  if (stored && !tooLarge.empty())
    llvm::errs() << "romac " << request.command << ": note: " << tooLarge
                 << "\n";
  return stored;
}

llvm::Expected<SchedulePrediction>
romac::driver::predictModelSchedule(const ModelLoadRequest &request,
                                    mlir::ModuleOp module) {
  llvm::Expected<Target> target = loadTarget(request.target);
  if (!target)
    return target.takeError();
  // The target's costs with the compressed bytes and MAC energy.
  if (!request.compression.empty())
    if (llvm::Error e = applyCompression(*target, request.compression))
      return std::move(e);
  llvm::Expected<Schedule> schedule =
      buildSchedule(module, request.model, *target, SearchOptions());
  if (!schedule)
    return schedule.takeError();
  ScheduleTotals totals = schedule->getTotals();
  SchedulePrediction p;
  p.energyPJ = totals.totalEnergyPJ;
  p.cycles = totals.cycles;
  p.seconds = totals.cycles * target->compute.getCyclePeriodNs() * 1e-9;
  return p;
}

namespace {

/// Where the prediction of cache entry \p entry is kept.
std::string predictionPath(const ArtefactCache &cache, llvm::StringRef entry) {
  return cache.getDirectory() + "/v1/entries/" + entry.str() +
         "/prediction.json";
}

/// The prediction kept next to a cache entry, if there is a readable one.
std::optional<SchedulePrediction> readPrediction(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *o = json->getAsObject();
  std::optional<double> energy = o ? o->getNumber("energy_pj") : std::nullopt;
  std::optional<double> cycles = o ? o->getNumber("cycles") : std::nullopt;
  std::optional<double> seconds = o ? o->getNumber("seconds") : std::nullopt;
  if (!energy || !cycles || !seconds)
    return std::nullopt;
  return SchedulePrediction{*energy, *cycles, *seconds};
}

/// Keeps \p p next to cache entry \p entry (best effort: a prediction that
/// cannot be written is computed again next time).
void writePrediction(const ArtefactCache &cache, llvm::StringRef entry,
                     const SchedulePrediction &p) {
  llvm::consumeError(llvm::writeToOutput(
      predictionPath(cache, entry), [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                         {"energy_pj", p.energyPJ},
                                         {"cycles", p.cycles},
                                         {"seconds", p.seconds}}))
           << "\n";
        return llvm::Error::success();
      }));
}

/// Imports `request.model` with \p options and searches its schedule.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importAndSchedule(const ModelLoadRequest &request,
                  const OnnxImportOptions &options, mlir::MLIRContext &ctx,
                  CompileProgress &progress) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel(request.command, request.model, options, ctx);
  if (!module)
    return makeStringError(request.model + ": the model does not import");
  if (!request.noTile && !searchModelSchedule(request, *module, &progress))
    return makeStringError(request.model + ": the schedule search failed");
  return std::move(module);
}

} // namespace

llvm::Expected<std::unique_ptr<Executable>>
romac::driver::loadExecutable(const ModelLoadRequest &request,
                              const OnnxImportOptions &options,
                              std::optional<SchedulePrediction> *prediction) {
  if (request.noTile)
    prediction = nullptr;
  std::string entry;
  std::optional<ArtefactCache> cache = openModelCache(request, entry);
  std::unique_ptr<Executable> exe =
      cache ? lookupModelCache(request, *cache, entry) : nullptr;
  // A cache hit needs no import unless the caller wants the prediction and
  // the entry has none kept (one written before predictions were kept).
  if (exe && prediction)
    *prediction = readPrediction(predictionPath(*cache, entry));
  if (exe && (!prediction || *prediction))
    return std::move(exe);

  mlir::DialectRegistry registry;
  registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  DiagnosticPrinter printer(ctx, request.command);
  CompileProgress progress(request.command, request.model);
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      importAndSchedule(request, options, ctx, progress);
  if (!module)
    return module.takeError();
  if (prediction) {
    progress.setPhase("predicting the cost on " + request.target);
    llvm::Expected<SchedulePrediction> p =
        predictModelSchedule(request, **module);
    if (!p)
      return llvm::createFileError(request.model, p.takeError());
    *prediction = *p;
  }
  // The graph as compressed (the weights; the activations with dynamic
  // scales), as `romac run` runs it.
  if (!exe && !request.compression.empty()) {
    if (llvm::Expected<CompressedWeightsStats> stats =
            compressModuleWeights(**module, request.compression);
        !stats)
      return llvm::createFileError(request.model, stats.takeError());
    if (request.compression.quantize)
      if (llvm::Expected<int64_t> n = quantizeModuleActivations(
              **module, request.compression.quantize->activationBits);
          !n)
        return llvm::createFileError(request.model, n.takeError());
  }
  if (!exe) {
    llvm::Expected<std::unique_ptr<Executable>> compiled = compileModel(
        request, **module, cache, entry, /*profile=*/false, &progress);
    if (!compiled)
      return llvm::createFileError(request.model, compiled.takeError());
    exe = std::move(*compiled);
  }
  // After the compile: the entry's folder exists once it is stored.
  if (prediction && cache)
    writePrediction(*cache, entry, **prediction);
  return std::move(exe);
}
