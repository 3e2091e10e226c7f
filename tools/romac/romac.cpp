//===- romac.cpp - the romac command-line driver ---------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The user-facing driver: `romac import|compile|inspect|run|zoom|version`.
// Each subcommand is a thin layer over the romac libraries; a subcommand whose
// stage is not built yet says so on stderr and exits with status 2.
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/DramParams.h"
#include "romac/Dram/Fusion.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Schedule/ScheduleTraces.h"
#include "romac/Search/Verify.h"
#include "romac/Search/Search.h"
#include "romac/Target/Target.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

namespace {

/// Exit status for usage errors and for stages that are not built yet.
constexpr int kUsageError = 2;

/// Reports that `command` is not available in this build and returns the
/// status the driver exits with.
int notBuiltYet(const std::string &command, const std::string &what) {
  std::fprintf(stderr,
               "romac %s: not built yet: %s is not implemented in this "
               "version of romac\n",
               command.c_str(), what.c_str());
  return kUsageError;
}

/// Prints every MLIR diagnostic as one "romac CMD: error: ..." line.
class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &ctx, std::string command)
      : handler(&ctx, [command = std::move(command)](mlir::Diagnostic &d) {
          const char *kind =
              d.getSeverity() == mlir::DiagnosticSeverity::Error     ? "error"
              : d.getSeverity() == mlir::DiagnosticSeverity::Warning ? "warning"
                                                                     : "note";
          llvm::errs() << "romac " << command << ": " << kind << ": " << d.str()
                       << "\n";
          return mlir::success();
        }) {}

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// Writes `text` to `path` through a temporary file in the same folder and a
/// rename, so a failed run never leaves a half-written file. "-" is stdout.
bool writeFileAtomically(const std::string &command, llvm::StringRef path,
                         llvm::function_ref<void(llvm::raw_ostream &)> write) {
  if (path == "-") {
    write(llvm::outs());
    return true;
  }
  // Devices and pipes (/dev/null) are written directly.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file &&
      status.type() != llvm::sys::fs::file_type::file_not_found) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      llvm::errs() << "romac " << command << ": error: cannot write '" << path
                   << "': " << ec.message() << "\n";
      return false;
    }
    write(os);
    return true;
  }
  llvm::SmallString<256> tmp;
  int fd;
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tmp)) {
    llvm::errs() << "romac " << command << ": error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    write(os);
    os.flush();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      llvm::errs() << "romac " << command << ": error: cannot write '" << path
                   << "'\n";
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    llvm::errs() << "romac " << command << ": error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    return false;
  }
  return true;
}

/// Fills `options` from the --dim/--shape/--freeze flags; false on error.
bool parseImportFlags(const std::string &command,
                      const std::vector<std::string> &dims,
                      const std::vector<std::string> &shapes,
                      const std::vector<std::string> &frozen,
                      romac::OnnxImportOptions &options) {
  auto check = [&](llvm::Error e, const char *flag) {
    if (!e)
      return true;
    llvm::errs() << "romac " << command << ": error: " << flag << ": "
                 << llvm::toString(std::move(e)) << "\n";
    return false;
  };
  for (const std::string &d : dims)
    if (!check(options.addDim(d), "--dim"))
      return false;
  for (const std::string &s : shapes)
    if (!check(options.addShape(s), "--shape"))
      return false;
  for (const std::string &f : frozen)
    if (!check(options.addFrozenInput(f), "--freeze"))
      return false;
  return true;
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
      if (auto res = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(
              cst.getValue())) {
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
  if (!parseImportFlags("import", args.dims, args.shapes, args.frozen,
                        options))
    return kUsageError;
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
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    printImportSummary(args.model, *module, seconds, llvm::outs());
    return 0;
  }
  mlir::OpPrintingFlags flags;
  if (!args.noLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  if (args.elideWeights)
    flags.elideLargeResourceString(64);
  return writeFileAtomically("import", args.output,
                             [&](llvm::raw_ostream &os) {
                               module->print(os, flags);
                               os << "\n";
                             })
             ? 0
             : 1;
}

/// Imports an ONNX model, or parses an .mlir file, into `ctx`.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(const std::string &command, const std::string &path,
          const romac::OnnxImportOptions &options, mlir::MLIRContext &ctx) {
  if (llvm::StringRef(path).ends_with(".mlir")) {
    auto module = mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
    if (!module)
      llvm::errs() << "romac " << command << ": error: " << path
                   << ": cannot parse the MLIR file\n";
    return module;
  }
  return romac::importOnnxFile(path, ctx, options);
}

/// Proves every distinct (workload, tiling) of `schedule` with Z3, in
/// parallel; identical layers (the UNet repeats most of its blocks) are
/// proved once. The first failure in layer order is returned.
llvm::Error verifyDistinctLayers(const romac::Schedule &schedule,
                                 unsigned threads) {
  std::vector<const romac::LayerSchedule *> distinct;
  llvm::StringSet<> seen;
  for (const romac::LayerSchedule &l : schedule.layers) {
    std::string key = l.workload.getCanonicalKey();
    for (const romac::TileLoop &t : l.loops)
      key += llvm::formatv("|{0},{1},{2}", t.size, t.step, t.count).str();
    if (seen.insert(key).second)
      distinct.push_back(&l);
  }
  romac::VerifyOptions options;
  options.doubleBuffering = schedule.search.refinements == "double-buffering";
  std::vector<std::string> errors(distinct.size());
  llvm::DefaultThreadPool pool(
      llvm::hardware_concurrency(threads ? threads : 0));
  for (size_t i = 0; i < distinct.size(); ++i)
    pool.async([&, i] {
      const romac::LayerSchedule &l = *distinct[i];
      if (llvm::Error e = romac::verifyTiling(l.workload, l.loops,
                                              schedule.target, options))
        errors[i] = llvm::toString(std::move(e));
    });
  pool.wait();
  for (const std::string &e : errors)
    if (!e.empty())
      return llvm::createStringError(e.c_str());
  return llvm::Error::success();
}

struct CompileArgs {
  std::string model, output, target = "edge-npu-lpddr4";
  std::string objective = "energy", policy = "adaptive", emitMlir;
  std::string dramMapping, dramTrace, traceLayer;
  bool dram = false, fuse = false;
  std::vector<std::string> dims, shapes, frozen;
  unsigned threads = 0;
  bool verify = false, quiet = false;
};

int runCompile(const CompileArgs &args) {
  const std::string cmd = "compile";
  // Flags first: a wrong name is a usage error, before any work.
  std::optional<romac::Objective> objective =
      romac::symbolizeObjective(args.objective);
  if (!objective) {
    llvm::errs() << "romac compile: error: unknown objective '"
                 << args.objective
                 << "' (expected energy, edp, latency or dram-accesses)\n";
    return kUsageError;
  }
  std::optional<romac::ReusePolicy> policy =
      romac::symbolizeReusePolicy(args.policy);
  if (!policy) {
    llvm::errs() << "romac compile: error: unknown policy '" << args.policy
                 << "' (expected adaptive, input-stationary, "
                    "weight-stationary or output-stationary)\n";
    return kUsageError;
  }
  llvm::Expected<romac::Target> target = romac::loadTarget(args.target);
  if (!target) {
    // Target errors already read "FILE:LINE:COL: error: KEY: problem".
    std::string message = llvm::toString(target.takeError());
    llvm::errs() << "romac compile: "
                 << (llvm::StringRef(message).contains("error: ") ? "" : "error: ")
                 << message << "\n";
    return kUsageError;
  }
  romac::OnnxImportOptions importOptions;
  if (!parseImportFlags(cmd, args.dims, args.shapes, args.frozen,
                        importOptions))
    return kUsageError;

  mlir::DialectRegistry registry;
  romac::registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  DiagnosticPrinter printer(ctx, cmd);
  auto start = std::chrono::steady_clock::now();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel(cmd, args.model, importOptions, ctx);
  if (!module)
    return 1;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  {
    size_t layers = 0;
    llvm::StringSet<> distinct;
    for (auto func : module->getOps<mlir::func::FuncOp>())
      for (const romac::Layer &l : romac::collectLayers(func))
        if (l.kind == romac::LayerKind::Contraction) {
          ++layers;
          distinct.insert(l.workload.getCanonicalKey());
        }
    if (!args.quiet)
      llvm::errs() << llvm::formatv(
          "romac compile: imported {0} in {1:f2} s; searching {2} "
          "contractions ({3} distinct) for '{4}'...\n",
          args.model, elapsed(), layers, distinct.size(), target->name);
  }

  bool dramAware = args.dram || args.fuse || !args.dramMapping.empty() ||
                   !args.dramTrace.empty();
  // The same stages as romac-opt --romac-compile-pipeline (search=flat, or
  // search=dram, whose search runs below where its results are kept).
  mlir::PassManager pm(&ctx);
  romac::CompilePipelineOptions pipeline;
  pipeline.target = args.target;
  pipeline.objective = args.objective;
  pipeline.policy = args.policy;
  pipeline.threads = args.threads;
  pipeline.search = dramAware ? "none" : "flat";
  romac::buildCompilePipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return 1;

  romac::SearchOptions options;
  options.objective = *objective;
  options.policy = *policy;
  options.threads = args.threads;
  std::optional<romac::Schedule> schedule;
  if (!dramAware) {
    llvm::Expected<romac::Schedule> flat = romac::buildSchedule(
        *module, llvm::sys::path::filename(args.model), *target, options);
    if (!flat) {
      llvm::errs() << "romac compile: error: "
                   << llvm::toString(flat.takeError()) << "\n";
      return 1;
    }
    schedule = std::move(*flat);
  }
  // The DRAM-aware compile (for --dram-trace with --fuse).
  std::optional<romac::DramCompile> dramCompile;
  if (dramAware) {
    // Tiling, loop order, tensor layouts and the address mapping chosen
    // together against the row-buffer model (docs/dram-model.md); with
    // --fuse, chains of convolutions whose intermediates stay on chip
    // (docs/fusion.md). The same as romac-opt --romac-dram-search.
    llvm::Expected<romac::DramCompile> compiled =
        romac::compileModuleDramAware(*module, *target, options,
                                      args.dramMapping, args.fuse);
    if (!compiled) {
      llvm::errs() << "romac compile: error: "
                   << llvm::toString(compiled.takeError()) << "\n";
      return 1;
    }
    dramCompile = std::move(*compiled);
    // The IR records the DRAM-aware tilings, layouts and groups
    // (--emit-mlir).
    romac::annotateDramCompile(&ctx, *dramCompile);
    romac::CostTarget costTarget = romac::CostTarget::get(*target);
    schedule =
        romac::makeSchedule(llvm::sys::path::filename(args.model), costTarget,
                            dramCompile->workloads, dramCompile->result,
                            options, dramCompile->dramOptions);
    if (!args.quiet)
      llvm::errs() << llvm::formatv(
          "romac compile: DRAM-aware search done ({0:f2} s total)\n",
          elapsed());
    if (const std::optional<romac::FusionResult> &fused =
            dramCompile->fusion) {
      schedule->fusion = romac::makeScheduleFusion(
          *fused, llvm::cantFail(romac::DramParams::get(target->dram)),
          costTarget.frequencyMHz);
      if (!args.quiet) {
        unsigned fusedLayers = 0;
        for (const romac::FusedGroup &g : fused->groups)
          fusedLayers += g.last - g.first + 1;
        llvm::errs() << llvm::formatv(
            "romac compile: fused {0} of {1} layers into {2} groups ({3:f2} "
            "s total)\n",
            fusedLayers, dramCompile->workloads.size(), fused->groups.size(),
            elapsed());
      }
    }
  }
  if (!args.quiet)
    llvm::errs() << llvm::formatv(
        "romac compile: searched {0} layers in {1:f2} s total\n",
        schedule->layers.size(), elapsed());
  if (!args.traceLayer.empty() &&
      llvm::none_of(schedule->layers, [&](const romac::LayerSchedule &l) {
        return l.workload.name == args.traceLayer;
      })) {
    llvm::errs() << "romac compile: error: --layer: no layer named '"
                 << args.traceLayer << "' in " << args.model << "\n";
    return 1;
  }
  if (args.verify) {
    if (llvm::Error e = verifyDistinctLayers(*schedule, args.threads)) {
      llvm::errs() << "romac compile: error: the schedule does not verify: "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    if (!args.quiet)
      llvm::errs() << llvm::formatv(
          "romac compile: Z3 proved every tiling covers its iteration space "
          "once and fits its buffers ({0:f2} s total)\n",
          elapsed());
  }
  if (!args.quiet)
    romac::printScheduleTable(llvm::outs(), *schedule);
  if (!args.output.empty())
    if (llvm::Error e = romac::writeScheduleFile(args.output, *schedule)) {
      llvm::errs() << "romac compile: error: " << llvm::toString(std::move(e))
                   << "\n";
      return 1;
    }
  if (!args.dramTrace.empty()) {
    llvm::Expected<romac::DramParams> params =
        romac::DramParams::get(target->dram);
    if (!params) {
      llvm::errs() << "romac compile: error: "
                   << llvm::toString(params.takeError()) << "\n";
      return 1;
    }
    if (std::error_code ec =
            llvm::sys::fs::create_directories(args.dramTrace)) {
      llvm::errs() << "romac compile: error: cannot create '"
                   << args.dramTrace << "': " << ec.message() << "\n";
      return 1;
    }
    romac::TraceOptions traceOptions;
    traceOptions.layer = args.traceLayer;
    auto files = romac::writeScheduleTraces(*schedule, *params, args.dramTrace,
                                            traceOptions);
    if (!files) {
      llvm::errs() << "romac compile: error: "
                   << llvm::toString(files.takeError()) << "\n";
      return 1;
    }
    if (!args.quiet)
      llvm::errs() << "romac compile: wrote DRAMsim3 and Ramulator 2 traces "
                      "of "
                   << files->size() << " layers to " << args.dramTrace << "\n";
    if (dramCompile && dramCompile->fusion) {
      llvm::Expected<romac::DramModel> model = romac::getDramModel(
          *params, dramCompile->result.addressMapping);
      auto groups = model ? romac::writeFusedGroupTraces(
                                *dramCompile->fusion, dramCompile->workloads,
                                *model, args.dramTrace, traceOptions)
                          : llvm::Expected<std::vector<romac::LayerTraceFiles>>(
                                model.takeError());
      if (!groups) {
        llvm::errs() << "romac compile: error: "
                     << llvm::toString(groups.takeError()) << "\n";
        return 1;
      }
      if (!args.quiet)
        llvm::errs() << "romac compile: wrote the traces of "
                     << groups->size() << " fused groups to " << args.dramTrace
                     << "\n";
    }
  }
  if (!args.emitMlir.empty() &&
      !writeFileAtomically(cmd, args.emitMlir, [&](llvm::raw_ostream &os) {
        mlir::OpPrintingFlags flags;
        flags.elideLargeResourceString(64);
        module->print(os, flags);
        os << "\n";
      }))
    return 1;
  return 0;
}

struct InspectArgs {
  std::string schedule, layer, compare;
};

/// Prints one layer of a schedule in detail.
void printLayerDetail(llvm::raw_ostream &os, const romac::LayerSchedule &l) {
  const romac::Workload &w = l.workload;
  os << "layer '" << w.name << "' (" << w.op << ")\n  dims:";
  for (const romac::LoopDim &d : w.dims)
    os << " " << d.name << "=" << d.bound
       << (d.kind == romac::LoopKind::Reduction ? "(red)" : "");
  os << "\n  operands:\n";
  for (auto [k, o] : llvm::enumerate(w.operands)) {
    os << "    " << o.name << " '" << o.tensor << "' "
       << romac::stringifyOperandRole(o.role) << ", " << o.bytesPerElement
       << " B/elem, [";
    for (unsigned d = 0; d < o.projection.size(); ++d)
      os << (d ? ", " : "") << w.projectionString(k, d);
    os << "] extent [";
    for (auto [d, e] : llvm::enumerate(o.extent))
      os << (d ? ", " : "") << e;
    os << "]\n";
  }
  os << "  mapping: " << l.mapping.str(w) << ", reuse " << l.reuse
     << ", spatial " << l.spatial.str(w) << "\n";
  os << llvm::formatv("  MACs {0}, utilisation {1:f1}%\n", l.cost.macs,
                      100 * l.cost.utilization);
  os << llvm::formatv("  energy pJ: MAC {0:f0}, SRAM {1:f0}, DRAM {2:f0}, "
                      "total {3:f0}\n",
                      l.cost.macEnergyPJ, l.cost.sramEnergyPJ,
                      l.cost.dramEnergyPJ, l.cost.totalEnergyPJ);
  os << llvm::formatv("  cycles {0:f0} (compute {1}, DRAM {2:f0})\n",
                      l.cost.cycles, l.cost.computeCycles, l.cost.dramCycles);
  os << "  per operand: DRAM read/write bytes, SRAM read/write bytes, tile "
        "bytes, tile visits\n";
  for (auto [k, c] : llvm::enumerate(l.cost.operands))
    if (k < w.operands.size())
      os << llvm::formatv("    {0,-8} {1,12} {2,12} {3,12} {4,12} {5,10} "
                          "{6,8}\n",
                          w.operands[k].name, c.dramReadBytes,
                          c.dramWriteBytes, c.sramReadBytes, c.sramWriteBytes,
                          c.tileBytes, c.visits);
}

int runInspect(const InspectArgs &args) {
  llvm::Expected<romac::Schedule> schedule =
      romac::readScheduleFile(args.schedule);
  if (!schedule) {
    llvm::errs() << "romac inspect: error: "
                 << llvm::toString(schedule.takeError()) << "\n";
    return 1;
  }
  if (!args.compare.empty()) {
    llvm::Expected<romac::Schedule> other =
        romac::readScheduleFile(args.compare);
    if (!other) {
      llvm::errs() << "romac inspect: error: "
                   << llvm::toString(other.takeError()) << "\n";
      return 1;
    }
    romac::printScheduleComparison(llvm::outs(), *schedule, *other);
    return 0;
  }
  if (!args.layer.empty()) {
    for (const romac::LayerSchedule &l : schedule->layers)
      if (l.workload.name == args.layer) {
        printLayerDetail(llvm::outs(), l);
        return 0;
      }
    llvm::errs() << "romac inspect: error: " << args.schedule
                 << ": no layer named '" << args.layer << "'\n";
    return 1;
  }
  romac::printScheduleTable(llvm::outs(), *schedule);
  return 0;
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
  auto *importCmd = app.add_subcommand(
      "import", "Import an ONNX model into MLIR (linalg on tensors)");
  importCmd
      ->add_option("model", importArgs.model,
                   "ONNX model: binary .onnx, protobuf text, protobuf JSON or "
                   "the ONNX text syntax")
      ->required();
  importCmd->add_option("-o,--output", importArgs.output,
                        "Output .mlir file ('-' for stdout, the default)");
  importCmd->add_option("--dim", importArgs.dims,
                        "Bind a symbolic dim: NAME=N (repeatable)");
  importCmd->add_option("--shape", importArgs.shapes,
                        "Give an input's shape: NAME=D0xD1x... (repeatable)");
  importCmd->add_option("--freeze", importArgs.frozen,
                        "Freeze an input to the TensorProto in FILE.pb: "
                        "NAME=FILE.pb (repeatable)");
  importCmd->add_flag("--no-locations", importArgs.noLocations,
                      "Do not print the ONNX node names as locations");
  importCmd->add_flag("--elide-weights", importArgs.elideWeights,
                      "Print weight blobs as elided (the IR cannot be "
                      "re-imported bit-exact)");
  importCmd->add_flag("--summary", importArgs.summary,
                      "Print ops by kind and weight bytes instead of the IR");

  CompileArgs compileArgs;
  auto *compileCmd = app.add_subcommand(
      "compile", "Search the tiling of every layer of a model for a target, "
                 "print the per-layer table and write the schedule");
  compileCmd
      ->add_option("model", compileArgs.model,
                   "ONNX model (any encoding) or an .mlir file")
      ->required();
  compileCmd->add_option("-t,--target", compileArgs.target,
                         "Target name (targets/NAME.yaml) or YAML path "
                         "(default edge-npu-lpddr4)");
  compileCmd->add_option("-o,--output", compileArgs.output,
                         "Write the schedule JSON here");
  compileCmd->add_option("--objective", compileArgs.objective,
                         "energy (default), edp, latency or dram-accesses");
  compileCmd->add_option("--policy", compileArgs.policy,
                         "adaptive (default), input-stationary, "
                         "weight-stationary or output-stationary");
  compileCmd->add_option("--threads", compileArgs.threads,
                         "Search threads (default: one per core)");
  compileCmd->add_flag("--dram", compileArgs.dram,
                       "DRAM-aware search: choose tiling, tensor layouts and "
                       "the address mapping against the row-buffer model");
  compileCmd->add_flag("--fuse", compileArgs.fuse,
                       "Fuse chains of convolutions so that their "
                       "intermediates stay on chip (row bands, "
                       "docs/fusion.md); implies --dram");
  compileCmd->add_option("--dram-mapping", compileArgs.dramMapping,
                         "Fix the address mapping (romanet, drmap, "
                         "row-interleaved or a field order such as "
                         "RoBaRaCoCh); implies --dram");
  CLI::Option *traceOption = compileCmd->add_option(
      "--dram-trace", compileArgs.dramTrace,
                         "Write DRAMsim3/Ramulator 2 traces per layer (and per "
                         "fused group with --fuse) to this folder; implies "
                         "--dram");
  compileCmd
      ->add_option("--layer", compileArgs.traceLayer,
                   "With --dram-trace: trace only the layer of this name (and "
                   "the fused group holding it)")
      ->needs(traceOption);
  compileCmd->add_flag("--verify", compileArgs.verify,
                       "Prove every tiling with Z3 (coverage, capacity)");
  compileCmd->add_option("--emit-mlir", compileArgs.emitMlir,
                         "Also write the compiled IR (with #romac.mapping)");
  compileCmd->add_flag("-q,--quiet", compileArgs.quiet,
                       "No table or progress lines");
  compileCmd->add_option("--dim", compileArgs.dims,
                         "Bind a symbolic dim: NAME=N (repeatable)");
  compileCmd->add_option("--shape", compileArgs.shapes,
                         "Give an input's shape: NAME=D0xD1x... (repeatable)");
  compileCmd->add_option("--freeze", compileArgs.frozen,
                         "Freeze an input: NAME=FILE.pb (repeatable)");

  InspectArgs inspectArgs;
  auto *inspectCmd = app.add_subcommand(
      "inspect", "Print a saved schedule, one layer in detail, or compare "
                 "two schedules");
  inspectCmd->add_option("schedule", inspectArgs.schedule, "Schedule JSON")
      ->required();
  inspectCmd->add_option("--layer", inspectArgs.layer,
                         "Print this layer in detail");
  inspectCmd->add_option("--compare", inspectArgs.compare,
                         "Compare with this schedule (ratios other/base)");

  auto *runCmd = app.add_subcommand("run", "Execute a compiled model");
  runCmd->allow_extras();
  auto *zoomCmd =
      app.add_subcommand("zoom", "Run the SD2 infinite-zoom video pipeline");
  zoomCmd->allow_extras();

  auto *versionCmd = app.add_subcommand("version", "Print the romac version");

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
  } catch (const CLI::ParseError &e) {
    // Every usage error: one line naming the problem, status 2.
    std::fprintf(stderr,
                 "romac: error: %s\nRun 'romac --help' for usage.\n",
                 e.what());
    return kUsageError;
  }

  if (versionCmd->parsed()) {
    std::printf("romac %s (LLVM/MLIR %s)\n", ROMAC_VERSION,
                LLVM_VERSION_STRING);
    return 0;
  }
  if (importCmd->parsed())
    return runImport(importArgs);
  if (compileCmd->parsed())
    return runCompile(compileArgs);
  if (inspectCmd->parsed())
    return runInspect(inspectArgs);
  if (runCmd->parsed())
    return notBuiltYet("run", "code generation and execution");
  if (zoomCmd->parsed())
    return notBuiltYet("zoom", "the zoom pipeline");
  return kUsageError;
}
