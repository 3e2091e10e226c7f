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

#include "llvm/Config/llvm-config.h"

#include <CLI/CLI.hpp>

#include <cstdio>
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

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"romac: a memory-aware compiler for neural networks on edge "
               "accelerators.\nImports ONNX models, searches per-layer tilings "
               "against the target's SRAM and DRAM, and reports energy and "
               "latency."};
  app.name("romac");
  app.require_subcommand(1);
  app.fallthrough(false);

  std::string modelPath;
  auto *importCmd = app.add_subcommand(
      "import", "Import an ONNX model into MLIR (linalg on tensors)");
  importCmd->add_option("model", modelPath, "ONNX model (.onnx, text or JSON)")
      ->required();

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
    return notBuiltYet("import", "the ONNX importer");
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
