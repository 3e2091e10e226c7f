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

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
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

  std::string compileModel;
  auto *compileCmd = app.add_subcommand(
      "compile", "Search tilings and DRAM mappings for a model and write its "
                 "schedule");
  compileCmd->add_option("model", compileModel, "ONNX model")->required();

  std::string schedulePath;
  auto *inspectCmd =
      app.add_subcommand("inspect", "Print or compare saved schedules");
  inspectCmd->add_option("schedule", schedulePath, "Schedule JSON")
      ->required();

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
    return notBuiltYet("compile", "the tile search");
  if (inspectCmd->parsed())
    return notBuiltYet("inspect", "schedule inspection");
  if (runCmd->parsed())
    return notBuiltYet("run", "code generation and execution");
  if (zoomCmd->parsed())
    return notBuiltYet("zoom", "the zoom pipeline");
  return kUsageError;
}
