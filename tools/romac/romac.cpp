//===- romac.cpp - the romac command-line driver ---------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The user-facing driver: `romac
// import|compile|inspect|run|cache|zoom|report|version`. Each subcommand is a
// thin layer over the romac libraries.
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/AccessCounts.h"
#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Analysis/StreamingLayers.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/DramParams.h"
#include "romac/Dram/Fusion.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Schedule/ScheduleTraces.h"
#include "romac/Schedule/ScheduleVerify.h"
#include "romac/Search/Search.h"
#include "romac/Support/OutputFile.h"
#include "romac/Support/Parallel.h"
#include "romac/Target/Target.h"
#include "romac/Verify/Verify.h"

#include "CompressionFlags.h"
#include "Driver.h"
#include "EmitLibrary.h"
#include "HostInfo.h"
#include "Inspect.h"
#include "Plan.h"
#include "Report.h"
#include "Run.h"
#include "Version.h"
#include "Zoom.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace {

using namespace romac::driver;

/// Records the files a command reads (the model and the --freeze tensors) as
/// inputs of `outputs`, so that no output overwrites them.
void addInputs(romac::OutputSet &outputs, llvm::StringRef model,
               const std::vector<std::string> &frozen) {
  outputs.addInput(model);
  for (llvm::StringRef f : frozen)
    if (f.contains('='))
      outputs.addInput(f.split('=').second);
}

/// Writes `module` (with `flags`) and a final newline.
void printModule(llvm::raw_ostream &os, mlir::ModuleOp module,
                 const mlir::OpPrintingFlags &flags) {
  module.print(os, flags);
  os << "\n";
}

struct ImportArgs {
  std::string model, output = "-";
  std::vector<std::string> dims, shapes, frozen;
  bool noLocations = false;
  bool elideWeights = false;
  bool summary = false;
};

/// Prints what an imported module holds: ops by name and weight bytes.
void printImportSummary(llvm::StringRef model, mlir::ModuleOp module,
                        double seconds, llvm::raw_ostream &os) {
  std::map<std::string, int64_t> ops;
  int64_t weights = 0, weightBytes = 0, total = 0;
  module.walk([&](mlir::Operation *op) {
    if (op == module.getOperation())
      return;
    ++total;
    ++ops[op->getName().getStringRef().str()];
    if (auto cst = llvm::dyn_cast<mlir::arith::ConstantOp>(op))
      if (auto res =
              llvm::dyn_cast<mlir::DenseResourceElementsAttr>(cst.getValue())) {
        ++weights;
        auto type = llvm::cast<mlir::ShapedType>(res.getType());
        weightBytes +=
            type.getNumElements() * (type.getElementTypeBitWidth() / 8);
      }
  });
  os << model << ": imported in " << llvm::format("%.2f", seconds) << " s, "
     << total << " ops, " << weights << " weight blobs ("
     << llvm::format("%.1f", weightBytes / 1048576.0)
     << " MiB, memory-mapped, not copied)\n";
  for (const auto &[name, count] : ops)
    os << "  " << llvm::format("%-36s", name.c_str()) << " " << count << "\n";
}

int runImport(const ImportArgs &args) {
  romac::OnnxImportOptions options;
  if (!parseImportFlags("import", args.dims, args.shapes, args.frozen, options))
    return kUsageError;
  romac::OutputSet outputs;
  addInputs(outputs, args.model, args.frozen);
  if (!args.summary)
    if (llvm::Error e = outputs.checkFile(args.output))
      return reportError("import", std::move(e), kUsageError);
  mlir::DialectRegistry registry;
  romac::registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  DiagnosticPrinter printer(ctx, "import");
  auto start = std::chrono::steady_clock::now();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      romac::importOnnxFile(args.model, ctx, options);
  if (!module)
    return 1;
  if (args.summary) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    printImportSummary(args.model, *module, seconds, llvm::outs());
    return 0;
  }
  mlir::OpPrintingFlags flags;
  if (!args.noLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  if (args.elideWeights)
    flags.elideLargeResourceString(64);
  if (llvm::Error e = outputs.addFile(args.output, [&](llvm::raw_ostream &os) {
        printModule(os, *module, flags);
      }))
    return reportError("import", std::move(e));
  if (llvm::Error e = outputs.commit())
    return reportError("import", std::move(e));
  return 0;
}

struct CompileArgs {
  std::string model, output, target = "edge-npu-lpddr4";
  /// --objective (empty: not given, energy); --dram-objective (empty: the
  /// --objective's when given, else dram-energy).
  std::string objective, dramObjective, policy = "adaptive", emitMlir;
  /// --emit-library: a shared object with the C API (EmitLibrary.cpp),
  /// its products in --precision (fp32 or bf16).
  std::string emitLibrary, precision = "fp32";
  std::string dramMapping, dramTrace, traceLayer;
  bool dram = false, fuse = false;
  std::vector<std::string> dims, shapes, frozen;
  unsigned threads = 0;
  /// Seconds between the search's progress lines (0: after every layer).
  double progressSeconds = 5;
  bool verify = false, quiet = false, force = false;
  TableArgs table;
  CompressionArgs compression;

  /// Whether the DRAM-aware search runs (--dram and every flag implying it).
  bool isDramAware() const {
    return dram || fuse || !dramMapping.empty() || !dramTrace.empty() ||
           !dramObjective.empty();
  }
};

/// The search's progress lines: "romac compile: searched K/N distinct
/// layers (T s)" at most every `interval` seconds (0: after every layer),
/// the first after `interval` seconds, so a long search is never silent and a
/// short one prints nothing. Thread-safe: the search calls it from its
/// workers.
class SearchProgress {
public:
  SearchProgress(double interval, const Stopwatch &clock)
      : interval(interval), clock(clock), last(clock.seconds()) {}

  /// One more distinct layer of a search over `total` of them is done.
  void layerDone(size_t total) {
    std::lock_guard<std::mutex> lock(mutex);
    // The DRAM-aware search runs several searches in turn: count each anew.
    done = done % total + 1;
    double now = clock.seconds();
    if (interval > 0 && now - last < interval)
      return;
    last = now;
    llvm::errs() << llvm::formatv(
        "romac compile: searched {0}/{1} distinct layers ({2:f1} s)\n", done,
        total, now);
  }

private:
  double interval;
  const Stopwatch &clock;
  double last;
  size_t done = 0;
  std::mutex mutex;
};

/// The compile flags, checked: what the import and the search need.
struct CompileSetup {
  romac::Objective objective;
  /// What the DRAM-aware search and fusion minimise.
  romac::DramObjective dramObjective;
  romac::ReusePolicy policy;
  romac::Target target;
  romac::OnnxImportOptions importOptions;
};

/// Checks the --dram-trace folder before any work: it may not be a file, and
/// a folder that holds files is written into only with --force.
bool checkTraceDirectory(const CompileArgs &args) {
  return args.dramTrace.empty() ||
         checkOutputFolder("compile", "--dram-trace", args.dramTrace,
                           args.force);
}

/// Checks every compile flag before any work (a wrong name is a usage
/// error) and records the inputs of the command in `outputs`, whose output
/// paths it checks. Prints the error and returns nothing on a bad flag.
std::optional<CompileSetup> checkCompileFlags(const CompileArgs &args,
                                              romac::OutputSet &outputs) {
  std::optional<romac::Objective> objective = romac::symbolizeObjective(
      args.objective.empty() ? "energy" : args.objective);
  if (!objective) {
    llvm::errs() << "romac compile: error: unknown objective '"
                 << args.objective
                 << "' (expected energy, edp, latency or dram-accesses)\n";
    return std::nullopt;
  }
  // The DRAM-aware search minimises --dram-objective, else the --objective
  // given, else DRAM energy (docs/dram-model.md).
  std::optional<romac::DramObjective> dramObjective =
      romac::DramObjective::DramEnergy;
  if (!args.dramObjective.empty())
    dramObjective = romac::symbolizeDramObjective(args.dramObjective);
  else if (!args.objective.empty())
    dramObjective = romac::symbolizeDramObjective(args.objective);
  if (!dramObjective) {
    llvm::errs() << "romac compile: error: unknown DRAM objective '"
                 << args.dramObjective
                 << "' (expected dram-energy, dram-edp, energy, edp, latency "
                    "or dram-accesses)\n";
    return std::nullopt;
  }
  std::optional<romac::ReusePolicy> policy =
      romac::symbolizeReusePolicy(args.policy);
  if (!policy) {
    llvm::errs() << "romac compile: error: unknown policy '" << args.policy
                 << "' (expected adaptive, input-stationary, "
                    "weight-stationary or output-stationary)\n";
    return std::nullopt;
  }
  llvm::Expected<romac::Compression> compression =
      parseCompressionFlags(args.compression);
  if (!compression) {
    reportError("compile", compression.takeError());
    return std::nullopt;
  }
  llvm::Expected<romac::Target> target = romac::loadTarget(args.target);
  if (!target) {
    // Target errors already read "FILE:LINE:COL: error: KEY: problem".
    std::string message = llvm::toString(target.takeError());
    bool located = llvm::StringRef(message).contains("error: ");
    llvm::errs() << "romac compile: " << (located ? "" : "error: ") << message
                 << "\n";
    return std::nullopt;
  }
  if (!compression->empty())
    if (llvm::Error e = romac::applyCompression(*target, *compression)) {
      reportError("compile", std::move(e));
      return std::nullopt;
    }
  romac::OnnxImportOptions importOptions;
  if (!parseImportFlags("compile", args.dims, args.shapes, args.frozen,
                        importOptions))
    return std::nullopt;

  addInputs(outputs, args.model, args.frozen);
  if (llvm::sys::fs::is_regular_file(args.target))
    outputs.addInput(args.target);
  for (const std::string &output : {args.output, args.emitMlir})
    if (!output.empty())
      if (llvm::Error e = outputs.checkFile(output)) {
        reportError("compile", std::move(e));
        return std::nullopt;
      }
  if (!checkTraceDirectory(args))
    return std::nullopt;
  if (!args.emitLibrary.empty())
    if (llvm::Error e = checkLibraryOutputs(args.emitLibrary, outputs)) {
      reportError("compile", std::move(e));
      return std::nullopt;
    }
  return CompileSetup{*objective, *dramObjective, *policy, std::move(*target),
                      std::move(importOptions)};
}

/// Imports the model (or parses the .mlir file), says how many contractions
/// it holds, and runs the stages of romac-opt --romac-compile-pipeline:
/// search=flat, or search=none when the DRAM-aware search (run by
/// searchDramAware(), where its results are kept) follows. Null on error.
mlir::OwningOpRef<mlir::ModuleOp> loadAndLower(const CompileArgs &args,
                                               const CompileSetup &setup,
                                               mlir::MLIRContext &ctx,
                                               const Stopwatch &clock) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel("compile", args.model, setup.importOptions, ctx);
  if (!module)
    return nullptr;
  if (!args.quiet) {
    size_t layers = 0;
    llvm::StringSet<> distinct;
    for (auto func : module->getOps<mlir::func::FuncOp>())
      for (const romac::Layer &l : romac::collectLayers(func))
        if (l.kind == romac::LayerKind::Contraction) {
          ++layers;
          distinct.insert(l.workload.getCanonicalKey());
        }
    llvm::errs() << llvm::formatv(
        "romac compile: imported {0} in {1:f2} s; searching {2} "
        "contractions ({3} distinct) for '{4}'...\n",
        args.model, clock.seconds(), layers, distinct.size(),
        setup.target.name);
  }
  mlir::PassManager pm(&ctx);
  romac::CompilePipelineOptions pipeline;
  pipeline.target = args.target;
  pipeline.quantize = args.compression.quantize;
  pipeline.weightSharing =
      setup.target.compression.sharedWeights; // checked by checkCompileFlags
  pipeline.prune = args.compression.prune;
  pipeline.objective = setup.objective;
  pipeline.policy = setup.policy;
  // The driver runs the search itself (searchModuleFlat() or the DRAM-aware
  // search), with its progress lines.
  pipeline.search = romac::PipelineSearch::None;
  romac::buildCompilePipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return nullptr;
  return module;
}

/// The search options of the compile flags.
romac::SearchOptions getSearchOptions(const CompileSetup &setup,
                                      mlir::MLIRContext &ctx,
                                      SearchProgress *progress) {
  romac::SearchOptions options;
  options.objective = setup.objective;
  options.policy = setup.policy;
  options.threadPool = romac::getSearchThreadPool(&ctx);
  if (progress)
    options.onLayerSearched = [progress](size_t total) {
      progress->layerDone(total);
    };
  return options;
}

/// The DRAM-aware compile: tiling, loop order, tensor layouts and the
/// address mapping chosen together against the row-buffer model
/// (docs/dram-model.md); with --fuse, chains of convolutions whose
/// intermediates stay on chip (docs/fusion.md). The same as romac-opt
/// --romac-dram-search. Fills `dramCompile` (the traces need it) and returns
/// the schedule; nothing on error.
std::optional<romac::Schedule>
searchDramAware(const CompileArgs &args, const CompileSetup &setup,
                mlir::MLIRContext &ctx, mlir::ModuleOp module,
                const Stopwatch &clock, SearchProgress *progress,
                std::optional<romac::DramCompile> &dramCompile) {
  romac::SearchOptions options = getSearchOptions(setup, ctx, progress);
  llvm::Expected<romac::DramCompile> compiled = romac::compileModuleDramAware(
      module, setup.target, options, args.dramMapping, args.fuse,
      setup.dramObjective);
  if (!compiled) {
    reportError("compile", compiled.takeError());
    return std::nullopt;
  }
  dramCompile = std::move(*compiled);
  // The IR records the DRAM-aware tilings, layouts and groups (--emit-mlir).
  romac::annotateDramCompile(&ctx, *dramCompile);
  romac::CostTarget costTarget = romac::CostTarget::get(setup.target);
  romac::Schedule schedule = romac::makeSchedule(
      llvm::sys::path::filename(args.model), costTarget, dramCompile->workloads,
      dramCompile->result, options, dramCompile->dramOptions);
  if (!args.quiet)
    llvm::errs() << llvm::formatv(
        "romac compile: DRAM-aware search done ({0:f2} s total)\n",
        clock.seconds());
  // The other ops, through the row-buffer model under the search's mapping.
  llvm::Expected<romac::DramModel> rowBuffer = romac::DramModel::get(
      setup.target.dram, dramCompile->result.addressMapping);
  if (!rowBuffer) {
    reportError("compile", rowBuffer.takeError());
    return std::nullopt;
  }
  double before = clock.seconds();
  romac::StreamingAnalysis streaming(module, setup.target);
  schedule.streaming = streaming.costLayers(&*rowBuffer);
  if (!args.quiet)
    llvm::errs() << llvm::formatv("romac compile: costed {0} streaming layers "
                                  "in {1:f2} s ({2:f2} s total)\n",
                                  schedule.streaming.size(),
                                  clock.seconds() - before, clock.seconds());
  const std::optional<romac::FusionResult> &fused = dramCompile->fusion;
  if (!fused)
    return schedule;
  schedule.fusion = romac::makeScheduleFusion(
      *fused, llvm::cantFail(romac::DramParams::get(setup.target.dram)),
      costTarget.frequencyMHz);
  schedule.attention = streaming.findAttentionGroups(schedule, &*rowBuffer);
  if (!args.quiet) {
    unsigned fusedLayers = 0;
    for (const romac::FusedGroup &g : fused->groups)
      fusedLayers += g.last - g.first + 1;
    llvm::errs() << llvm::formatv(
        "romac compile: fused {0} of {1} layers into {2} groups ({3:f2} "
        "s total)\n",
        fusedLayers, dramCompile->workloads.size(), fused->groups.size(),
        clock.seconds());
    if (!schedule.attention.empty())
      llvm::errs() << llvm::formatv(
          "romac compile: {0} attentions costed fused (Q K^T, softmax, . V "
          "in query tiles)\n",
          schedule.attention.size());
  }
  return schedule;
}

/// Checks the schedule before anything is written: --layer names one of its
/// layers, and with --verify Z3 proves every tiling. False on error.
bool checkSchedule(const CompileArgs &args, const romac::Schedule &schedule,
                   mlir::MLIRContext &ctx, const Stopwatch &clock) {
  if (!args.traceLayer.empty() &&
      llvm::none_of(schedule.layers, [&](const romac::LayerSchedule &l) {
        return l.workload.name == args.traceLayer;
      })) {
    llvm::errs() << "romac compile: error: --layer: no layer named '"
                 << args.traceLayer << "' in " << args.model << "\n";
    return false;
  }
  if (!args.verify)
    return true;
  if (llvm::Error e = romac::verifySchedule(schedule, {},
                                            romac::getSearchThreadPool(&ctx))) {
    llvm::errs() << "romac compile: error: the schedule does not verify: "
                 << llvm::toString(std::move(e)) << "\n";
    return false;
  }
  if (!args.quiet)
    llvm::errs() << llvm::formatv(
        "romac compile: Z3 proved every tiling covers its iteration space "
        "once and fits its buffers ({0:f2} s total)\n",
        clock.seconds());
  return true;
}

/// Writes the DRAMsim3 / Ramulator 2 traces of every layer (and of every
/// fused group) into a staging folder of `outputs` for the --dram-trace
/// folder; `progress` receives the lines to print once they are committed.
llvm::Error stageTraces(const CompileArgs &args, const romac::Target &target,
                        const romac::Schedule &schedule,
                        const std::optional<romac::DramCompile> &dramCompile,
                        romac::OutputSet &outputs,
                        std::vector<std::string> &progress) {
  llvm::Expected<romac::DramParams> params =
      romac::DramParams::get(target.dram);
  if (!params)
    return params.takeError();
  llvm::Expected<std::string> dir = outputs.addDirectory(args.dramTrace);
  if (!dir)
    return dir.takeError();
  romac::TraceOptions traceOptions;
  traceOptions.layer = args.traceLayer;
  auto files =
      romac::writeScheduleTraces(schedule, *params, *dir, traceOptions);
  if (!files)
    return files.takeError();
  progress.push_back(llvm::formatv("romac compile: wrote DRAMsim3 and "
                                   "Ramulator 2 traces of {0} layers to {1}",
                                   files->size(), args.dramTrace));
  if (!dramCompile || !dramCompile->fusion)
    return llvm::Error::success();
  llvm::Expected<romac::DramModel> model =
      romac::getDramModel(*params, dramCompile->result.addressMapping);
  if (!model)
    return model.takeError();
  auto groups = romac::writeFusedGroupTraces(
      *dramCompile->fusion, dramCompile->workloads, *model, *dir, traceOptions);
  if (!groups)
    return groups.takeError();
  progress.push_back(llvm::formatv(
      "romac compile: wrote the traces of {0} fused groups to {1}",
      groups->size(), args.dramTrace));
  return llvm::Error::success();
}

/// Stages every output of the compile (--dram-trace, -o, --emit-mlir) and
/// commits them together: a failure leaves none of them. `schedule` and
/// `module` are written at commit time when an output is a stream.
int writeCompileOutputs(const CompileArgs &args, const CompileSetup &setup,
                        const romac::Schedule &schedule,
                        const std::optional<romac::DramCompile> &dramCompile,
                        mlir::ModuleOp module, romac::OutputSet &outputs) {
  std::vector<std::string> progress;
  if (!args.dramTrace.empty())
    if (llvm::Error e = stageTraces(args, setup.target, schedule, dramCompile,
                                    outputs, progress))
      return reportError("compile", std::move(e));
  if (!args.output.empty())
    if (llvm::Error e =
            outputs.addFile(args.output, [&](llvm::raw_ostream &os) {
              os << romac::scheduleToJSON(schedule);
            }))
      return reportError("compile", std::move(e));
  mlir::OpPrintingFlags flags;
  flags.elideLargeResourceString(64);
  if (!args.emitMlir.empty())
    if (llvm::Error e =
            outputs.addFile(args.emitMlir, [&](llvm::raw_ostream &os) {
              printModule(os, module, flags);
            }))
      return reportError("compile", std::move(e));
  if (llvm::Error e = outputs.commit())
    return reportError("compile", std::move(e));
  if (!args.quiet)
    for (const std::string &line : progress)
      llvm::errs() << line << "\n";
  return 0;
}

int runCompile(const CompileArgs &args) {
  romac::OutputSet outputs;
  std::optional<CompileSetup> setup = checkCompileFlags(args, outputs);
  if (!setup)
    return kUsageError;

  // --threads: 0 searches on the context's own pool (one thread per core),
  // 1 on the calling thread, N on a pool of N threads. The pool outlives the
  // context.
  std::unique_ptr<llvm::ThreadPoolInterface> pool;
  std::unique_ptr<mlir::MLIRContext> context =
      makeSearchContext(args.threads, pool);
  mlir::MLIRContext &ctx = *context;
  DiagnosticPrinter printer(ctx, "compile");
  Stopwatch clock;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadAndLower(args, *setup, ctx, clock);
  if (!module)
    return 1;

  std::optional<romac::Schedule> schedule;
  std::optional<romac::DramCompile> dramCompile;
  std::optional<SearchProgress> progress;
  if (!args.quiet)
    progress.emplace(args.progressSeconds, clock);
  SearchProgress *progressPtr = progress ? &*progress : nullptr;
  if (args.isDramAware()) {
    schedule = searchDramAware(args, *setup, ctx, *module, clock, progressPtr,
                               dramCompile);
  } else {
    // romac-tile-search's search, with progress lines.
    romac::SearchOptions options = getSearchOptions(*setup, ctx, progressPtr);
    if (llvm::Error err =
            romac::searchModuleFlat(*module, setup->target, options)) {
      llvm::errs() << "romac compile: error: romac-tile-search: "
                   << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
    llvm::Expected<romac::Schedule> flat = romac::buildSchedule(
        *module, llvm::sys::path::filename(args.model), setup->target, options);
    if (flat)
      schedule = std::move(*flat);
    else
      reportError("compile", flat.takeError());
  }
  if (!schedule)
    return 1;
  if (!args.quiet)
    llvm::errs() << llvm::formatv(
        "romac compile: searched {0} layers in {1:f2} s total\n",
        schedule->layers.size(), clock.seconds());
  if (!checkSchedule(args, *schedule, ctx, clock))
    return 1;
  if (!args.quiet)
    romac::printScheduleTable(llvm::outs(), *schedule, args.table.get());
  if (!args.emitLibrary.empty())
    if (llvm::Error e = stageLibrary(
            args.model, setup->importOptions, *schedule, args.emitLibrary,
            args.precision == "bf16", args.quiet, outputs))
      return reportError("compile", std::move(e));
  return writeCompileOutputs(args, *setup, *schedule, dramCompile, *module,
                             outputs);
}

/// Declares `romac import` and its flags, bound to `args`.
CLI::App *addImportCommand(CLI::App &app, ImportArgs &args) {
  CLI::App *importCmd = app.add_subcommand(
      "import", "Import an ONNX model into MLIR (linalg on tensors)");
  importCmd
      ->add_option("model", args.model,
                   "ONNX model: binary .onnx, protobuf text, protobuf JSON or "
                   "the ONNX text syntax")
      ->required();
  importCmd->add_option("-o,--output", args.output,
                        "Output .mlir file ('-' for stdout, the default)");
  importCmd->add_option("--dim", args.dims,
                        "Bind a symbolic dim: NAME=N (repeatable)");
  importCmd->add_option("--shape", args.shapes,
                        "Give an input's shape: NAME=D0xD1x... (repeatable)");
  importCmd->add_option("--freeze", args.frozen,
                        "Freeze an input to the TensorProto in FILE.pb: "
                        "NAME=FILE.pb (repeatable)");
  importCmd->add_flag("--no-locations", args.noLocations,
                      "Do not print the ONNX node names as locations");
  importCmd->add_flag("--elide-weights", args.elideWeights,
                      "Print weight blobs as elided (the IR cannot be "
                      "re-imported bit-exact)");
  importCmd->add_flag("--summary", args.summary,
                      "Print ops by kind and weight bytes instead of the IR");
  return importCmd;
}

/// Declares `romac compile` and its flags, bound to `args`.
CLI::App *addCompileCommand(CLI::App &app, CompileArgs &args) {
  CLI::App *compileCmd = app.add_subcommand(
      "compile", "Search the tiling of every contraction of a model for a "
                 "target, cost every other op as a streaming layer, print "
                 "the per-layer table and write the schedule");
  compileCmd
      ->add_option("model", args.model,
                   "ONNX model (any encoding) or an .mlir file")
      ->required();
  compileCmd->add_option("-t,--target", args.target,
                         "Target name (targets/NAME.yaml, or host for this "
                         "CPU) or YAML path (default edge-npu-lpddr4)");
  compileCmd->add_option("-o,--output", args.output,
                         "Write the schedule JSON here ('-' for stdout)");
  compileCmd->add_option("--objective", args.objective,
                         "energy (default), edp, latency or dram-accesses; "
                         "the DRAM-aware search and fusion minimise it too");
  compileCmd->add_option(
      "--dram-objective", args.dramObjective,
      "What the DRAM-aware search and fusion minimise when it must differ "
      "from --objective: dram-energy (the default without --objective), "
      "dram-edp, energy, edp, latency or dram-accesses; implies --dram");
  compileCmd->add_option("--policy", args.policy,
                         "adaptive (default), input-stationary, "
                         "weight-stationary or output-stationary");
  compileCmd->add_option("--threads", args.threads,
                         "Search threads: 0 (default) one per core, 1 the "
                         "calling thread only; the schedule is the same");
  compileCmd
      ->add_option("--progress", args.progressSeconds,
                   "Seconds between the search's progress lines on stderr "
                   "(default 5; 0: after every distinct layer)")
      ->check(CLI::Range(0.0, 86400.0));
  compileCmd->add_flag("--dram", args.dram,
                       "DRAM-aware search: choose tiling, tensor layouts and "
                       "the address mapping against the row-buffer model");
  compileCmd->add_flag("--fuse", args.fuse,
                       "Fuse chains of convolutions so that their "
                       "intermediates stay on chip (row bands, "
                       "docs/fusion.md); implies --dram");
  compileCmd->add_option("--dram-mapping", args.dramMapping,
                         "Fix the address mapping (romanet, drmap, "
                         "row-interleaved or a field order such as "
                         "RoBaRaCoCh); implies --dram");
  CLI::Option *traceOption = compileCmd->add_option(
      "--dram-trace", args.dramTrace,
      "Write DRAMsim3/Ramulator 2 traces per layer (and per "
      "fused group with --fuse) to this folder; implies "
      "--dram");
  compileCmd->add_flag("--force", args.force,
                       "Write --dram-trace files into a folder that is not "
                       "empty (files of the same names are replaced)");
  compileCmd
      ->add_option("--layer", args.traceLayer,
                   "With --dram-trace: trace only the layer of this name (and "
                   "the fused group holding it)")
      ->needs(traceOption);
  compileCmd->add_flag("--verify", args.verify,
                       "Prove every tiling with Z3 (coverage, capacity)");
  compileCmd->add_option("--emit-mlir", args.emitMlir,
                         "Also write the compiled IR (with #romac.mapping)");
  CLI::Option *emitLibrary = compileCmd->add_option(
      "--emit-library", args.emitLibrary,
      "Also write the model compiled for this CPU as a shared object with "
      "the C API of romac-c/romac.h, and its weights next to it "
      "(OUT.weights)");
  compileCmd
      ->add_option("--precision", args.precision,
                   "The --emit-library's matmuls, convolutions and "
                   "attentions: fp32 (default) or bf16 (as romac run "
                   "--precision)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->needs(emitLibrary);
  compileCmd->add_flag("-q,--quiet", args.quiet, "No table or progress lines");
  addTableOptions(compileCmd, args.table);
  addCompressionFlags(compileCmd, args.compression);
  compileCmd->add_option("--dim", args.dims,
                         "Bind a symbolic dim: NAME=N (repeatable)");
  compileCmd->add_option("--shape", args.shapes,
                         "Give an input's shape: NAME=D0xD1x... (repeatable)");
  compileCmd->add_option("--freeze", args.frozen,
                         "Freeze an input: NAME=FILE.pb (repeatable)");
  return compileCmd;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"romac: a memory-aware compiler for neural networks on edge "
               "accelerators.\nImports ONNX models, searches per-layer tilings "
               "against the target's SRAM and DRAM, and reports energy and "
               "latency."};
  app.name("romac");
  app.require_subcommand(1);
  app.fallthrough(false);

  ImportArgs importArgs;
  CLI::App *importCmd = addImportCommand(app, importArgs);
  CompileArgs compileArgs;
  CLI::App *compileCmd = addCompileCommand(app, compileArgs);
  InspectArgs inspectArgs;
  CLI::App *inspectCmd = addInspectCommand(app, inspectArgs);

  RunArgs runArgs;
  CLI::App *runCmd = addRunCommand(app, runArgs);
  CacheArgs cacheArgs;
  CLI::App *cacheCmd = addCacheCommand(app, cacheArgs);
  ZoomArgs zoomArgs;
  CLI::App *zoomCmd = addZoomCommand(app, zoomArgs);
  ReportArgs reportArgs;
  CLI::App *reportCmd = addReportCommand(app, reportArgs);
  PlanArgs planArgs;
  CLI::App *planCmd = addPlanCommand(app, planArgs);

  auto *versionCmd = app.add_subcommand("version", "Print the romac version");
  app.set_version_flag("--version", romac::getVersionText,
                       "Print the romac version and exit");
  romac::addPrintHostFlag(app);
  if (std::optional<int> status = romac::runPrintHost(argc, argv))
    return checkStdout(*status);

  // Name an unknown subcommand instead of CLI11's "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App *sub : app.get_subcommands({})) {
      found |= sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::fprintf(stderr,
                   "romac: error: unknown subcommand '%s' (expected one of: "
                   "%s)\n",
                   argv[1], known.c_str());
      return kUsageError;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    // Every usage error: one line naming the problem, status 2.
    std::fprintf(stderr, "romac: error: %s\nRun 'romac --help' for usage.\n",
                 e.what());
    return kUsageError;
  }

  if (versionCmd->parsed()) {
    std::printf("%s\n", romac::getVersionText().c_str());
    return 0;
  }
  if (importCmd->parsed())
    return checkStdout(runImport(importArgs));
  if (compileCmd->parsed())
    return checkStdout(runCompile(compileArgs));
  if (inspectCmd->parsed())
    return checkStdout(runInspect(inspectArgs));
  if (runCmd->parsed())
    return checkStdout(runModel(runArgs));
  if (cacheCmd->parsed())
    return checkStdout(runCache(cacheArgs));
  if (zoomCmd->parsed())
    return checkStdout(runZoom(zoomArgs));
  if (reportCmd->parsed())
    return checkStdout(runReport(reportArgs));
  if (planCmd->parsed())
    return checkStdout(runPlan(planArgs));
  return kUsageError;
}
