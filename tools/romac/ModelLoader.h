//===- ModelLoader.h - a runnable model from an ONNX file ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `romac run` and `romac zoom` share to get an Executable: the artefact
// cache (its entry name from the model, target, flags and bound dims), the
// schedule search for --target and the compile. `loadExecutable()` does it
// all for a caller that binds the model's dims itself (`romac zoom`);
// `romac run` uses the pieces, since it checks its inputs between them.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_MODELLOADER_H
#define ROMAC_TOOLS_ROMAC_MODELLOADER_H

#include "romac/Import/ONNX.h"
#include "romac/Runtime/ArtefactCache.h"
#include "romac/Runtime/Executable.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Target/Compression.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace romac::driver {

/// How to turn one model file into an Executable, and what the compiled
/// model depends on (the cache key).
struct ModelLoadRequest {
  /// The subcommand, for messages ("romac COMMAND: warning: ...").
  std::string command = "run";
  /// The ONNX model (or .mlir).
  std::string model;
  /// Search this target's schedule ("host": this CPU's caches).
  std::string target = "host";
  /// A schedule JSON to execute instead of searching one (its path, for the
  /// key; the parsed file in `scheduleFile`).
  std::string schedule;
  const Schedule *scheduleFile = nullptr;
  bool noTile = false, noKernels = false, noFuse = false,
       noFuseAttention = false, noParallelKernels = false;
  /// bfloat16 products in the matmuls and convolutions (--precision bf16).
  bool bf16 = false;
  /// The weights as compressed (romac run --quantize ...;
  /// compressModuleWeights()).
  Compression compression;
  /// Neither load from nor store in the artefact cache.
  bool noCache = false;
  /// --dim / --shape flags as given (NAME=N, NAME=D0xD1...): in the key.
  std::vector<std::string> dims, shapes;
  /// More key entries "input" (`romac run`: "NAME TYPE" of each given
  /// input, sorted).
  std::vector<std::string> inputKeys;
  /// Files whose contents the compiled model depends on (`romac run
  /// --calibrate DIR`'s inputs): each one's path and content hash
  /// (ArtefactCache::hashFile, remembered while the file is unchanged) are
  /// key entries.
  std::vector<std::string> keyFiles;
};

/// The cache of compiled models, unless `request.noCache` or it cannot be
/// used (a warning says why). `entry` receives the model's entry name.
/// The progress lines of a compile that is not in the cache: while it lives,
/// a thread prints "romac COMMAND: MODEL: PHASE (T s)" on stderr every
/// `interval` seconds, the first after `interval` seconds, so a long compile
/// (the SD2 UNet: about 40 s) is never silent and a short one prints
/// nothing. Lines are whole: they do not interleave with other output.
class CompileProgress {
public:
  CompileProgress(llvm::StringRef command, llvm::StringRef model,
                  double interval = 5);
  ~CompileProgress() { stop(); }
  CompileProgress(const CompileProgress &) = delete;
  CompileProgress &operator=(const CompileProgress &) = delete;

  /// What the compile does now ("importing", "searching the schedule").
  void setPhase(llvm::StringRef phase);
  /// No more lines (also on destruction).
  void stop();

private:
  std::string prefix, phase;
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::thread thread;
};

std::optional<ArtefactCache> openModelCache(const ModelLoadRequest &request,
                                            std::string &entry);

/// Looks the model up in the cache; null on a miss (a note says why when
/// an entry exists but does not load; the entry is then removed).
std::unique_ptr<Executable> lookupModelCache(const ModelLoadRequest &request,
                                             ArtefactCache &cache,
                                             llvm::StringRef entry);

/// Searches the schedule of every contraction for `request.target` (the
/// flat search of `romac compile`) so that codegen tiles by it; with a
/// schedule file, attaches its tilings. Prints the error; false on failure.
/// `progress`, when given, is told the phase.
bool searchModelSchedule(const ModelLoadRequest &request, mlir::ModuleOp module,
                         CompileProgress *progress = nullptr);

/// Compiles `module` (scheduled already), through the cache when `cache`
/// is set (stored under `entry`), else JIT in this process. `progress`,
/// when given, is told the phase.
llvm::Expected<std::unique_ptr<Executable>>
compileModel(const ModelLoadRequest &request, mlir::ModuleOp module,
             std::optional<ArtefactCache> &cache, llvm::StringRef entry,
             bool profile = false, CompileProgress *progress = nullptr);

/// What the schedule searched for `request.target` predicts for one run of
/// the model: the totals of its contractions (Schedule::getTotals()).
struct SchedulePrediction {
  double energyPJ = 0;
  double cycles = 0;
  /// cycles at the target's clock.
  double seconds = 0;
};

/// The prediction of `module`, whose contractions carry the mappings the
/// schedule search gave them (searchModelSchedule()).
llvm::Expected<SchedulePrediction>
predictModelSchedule(const ModelLoadRequest &request, mlir::ModuleOp module);

/// All of it: the cache entry if there is one, else import with `options`
/// (the caller binds the free dims there, and names them in
/// `request.dims` for the key), schedule, compile and store. Errors name
/// the model file.
///
/// With `prediction`, also what the schedule predicts (not with
/// `request.noTile`): taken from the module the compile searched, and kept
/// next to the cache entry (`prediction.json`) so that a later cache hit
/// reads it; a hit without one imports and searches the model again (no
/// compile) and adds it.
llvm::Expected<std::unique_ptr<Executable>>
loadExecutable(const ModelLoadRequest &request,
               const OnnxImportOptions &options,
               std::optional<SchedulePrediction> *prediction = nullptr);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_MODELLOADER_H
