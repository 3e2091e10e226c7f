//===- Run.h - `romac run` -------------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_RUN_H
#define ROMAC_TOOLS_ROMAC_RUN_H

#include "CompressionFlags.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace romac::driver {

struct RunArgs {
  std::string model, target = "host", schedule, outputDir, checkDir;
  /// --output-format: "npy" or "pb" (ONNX TensorProto).
  std::string outputFormat = "npy";
  std::vector<std::string> inputs, dims, shapes;
  /// --random-inputs: fill every input not given with --input.
  int64_t randomSeed = -1;
  unsigned repeat = 1, warmup = 0;
  /// Seconds between the progress lines of a compile (CompileProgress).
  double progressSeconds = 5;
  double rtol = 1e-4, atol = 1e-5;
  bool noTile = false, noKernels = false, noFuse = false,
       noFuseAttention = false, noParallelKernels = false, force = false,
       profile = false;
  /// --precision: "fp32", or "bf16" (bfloat16 products in the matmuls and
  /// convolutions).
  std::string precision = "fp32";
  /// --compare-fp32: run the fp32 build of the model too and compare every
  /// output with it; fail below --min-cosine.
  bool compareFp32 = false;
  double minCosine = 0.999;
  /// --no-cache: JIT-compile in this process, neither load nor store.
  bool noCache = false;
  /// --no-winograd: 3x3 convolutions by the direct GEMM only.
  bool noWinograd = false;
  /// --quantize / --weight-sharing / --prune: run the compressed weights.
  CompressionArgs compression;
  /// --calibrate DIR / --calibrate-seed SEED: static activation scales,
  /// measured on these inputs (Calibrate.h), instead of each tensor's own
  /// max |x| at run time.
  std::string calibrateDir;
  int64_t calibrateSeed = -1;
};

/// Registers `romac run` and its flags.
CLI::App *addRunCommand(CLI::App &app, RunArgs &args);

/// Runs `romac run`; returns the exit status.
int runModel(const RunArgs &args);

/// `romac cache dir|list|clear|max-size [SIZE]`: where the artefact cache
/// lives, what it holds, empty it, cap its size (CacheCommand.cpp).
struct CacheArgs {
  std::string action;
  /// max-size's SIZE ("" prints the cap).
  std::string size;
};

/// Registers `romac cache`.
CLI::App *addCacheCommand(CLI::App &app, CacheArgs &args);

/// Runs `romac cache`; returns the exit status.
int runCache(const CacheArgs &args);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_RUN_H
