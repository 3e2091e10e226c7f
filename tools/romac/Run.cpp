//===- Run.cpp - `romac run`: execute a model on the host -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports a model, optionally searches its schedule for a target (whose
// DRAM-level tiles then become the loops that run), JIT-compiles it for this
// CPU and runs it on .npy / TensorProto inputs; writes the outputs and checks
// them against reference files.
//
//===----------------------------------------------------------------------===//

#include "Run.h"
#include "Calibrate.h"
#include "RunProfile.h"

#include "Driver.h"
#include "ModelLoader.h"

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Transforms/CompressWeights.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Runtime/ArtefactCache.h"
#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Kernels.h"
#include "romac/Runtime/Tensor.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"
#include "romac/Target/Host.h"
#include "romac/Target/Target.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <malloc.h>
#include <map>
#include <optional>

using namespace romac;
using namespace romac::driver;

namespace {

/// The --input tensors by name, in the order given.
struct NamedInputs {
  std::vector<std::string> names;
  llvm::StringMap<Tensor> tensors;
};

/// Reads every --input (NAME=FILE, or FILE.pb named by its TensorProto).
std::optional<NamedInputs> readInputs(const RunArgs &args) {
  NamedInputs inputs;
  for (llvm::StringRef spec : args.inputs) {
    auto [name, path] = spec.split('=');
    if (path.empty()) {
      path = spec;
      name = "";
    }
    std::string protoName;
    llvm::Expected<Tensor> t = readTensorFile(path, &protoName);
    if (!t) {
      reportError("run", t.takeError());
      return std::nullopt;
    }
    std::string key = name.empty() ? protoName : name.str();
    if (key.empty()) {
      llvm::errs() << "romac run: error: --input " << spec
                   << ": the file does not name its tensor; give the input "
                      "as --input NAME=FILE\n";
      return std::nullopt;
    }
    if (inputs.tensors.count(key)) {
      llvm::errs() << "romac run: error: --input: input '" << key
                   << "' given twice\n";
      return std::nullopt;
    }
    inputs.names.push_back(key);
    inputs.tensors.try_emplace(key, std::move(*t));
  }
  return inputs;
}

/// "expected inputs: a: float32[1, 3], b: int64[1, 77]"
std::string listSpecs(llvm::StringRef what, llvm::ArrayRef<TensorSpec> specs) {
  std::string s = "expected " + what.str() + ": ";
  for (auto [i, spec] : llvm::enumerate(specs))
    s += (i ? ", " : "") + spec.str();
  return s;
}

/// The messages of an --input name the model lacks and of a model input
/// not given (`expected` lists the model's inputs).
std::string unknownInputMessage(llvm::StringRef name,
                                llvm::StringRef expected) {
  return ("--input: the model has no input '" + name + "'; " + expected).str();
}
std::string missingInputMessage(llvm::StringRef name,
                                llvm::StringRef expected) {
  return ("input '" + name +
          "' is missing (give it with --input NAME=FILE or use "
          "--random-inputs SEED); " +
          expected)
      .str();
}

/// Pairs the model's inputs with the --input tensors (random ones for the
/// rest with --random-inputs): moved out of `given`, or copied with
/// --compare-fp32, whose fp32 run binds them again. Prints the error and
/// returns false when a name is unknown or missing, or a type or shape differs.
bool bindInputs(const RunArgs &args, llvm::ArrayRef<TensorSpec> specs,
                NamedInputs &given, std::vector<Tensor> &bound) {
  for (const std::string &name : given.names)
    if (llvm::none_of(specs,
                      [&](const TensorSpec &s) { return s.name == name; })) {
      llvm::errs() << "romac run: error: "
                   << unknownInputMessage(name, listSpecs("inputs", specs))
                   << "\n";
      return false;
    }
  for (auto [i, spec] : llvm::enumerate(specs)) {
    auto it = given.tensors.find(spec.name);
    if (it == given.tensors.end()) {
      if (args.randomSeed < 0) {
        llvm::errs() << "romac run: error: "
                     << missingInputMessage(spec.name,
                                            listSpecs("inputs", specs))
                     << "\n";
        return false;
      }
      bound.push_back(
          makeRandomTensor(spec.type, spec.shape, args.randomSeed + i));
      continue;
    }
    Tensor &t = it->second;
    if (t.getElementType() != spec.type ||
        t.getShape() != llvm::ArrayRef<int64_t>(spec.shape)) {
      llvm::errs() << "romac run: error: input '" << spec.name << "' is "
                   << t.getTypeString() << " but the model expects "
                   << spec.str() << "; " << listSpecs("inputs", specs) << "\n";
      return false;
    }
    bound.push_back(args.compareFp32 ? t.clone() : std::move(t));
  }
  return true;
}

/// "sample: float32[batch_size, 9, height, width]": an input as the model
/// file declares it, free dims by name ("?" when unnamed).
std::string describeDecl(const OnnxInputDecl &decl) {
  std::optional<ElementType> type = getElementTypeFromOnnx(decl.elemType);
  std::string s = decl.name + ": " +
                  (type ? stringifyElementType(*type).str()
                        : getOnnxDataTypeName(decl.elemType)) +
                  "[";
  if (!decl.hasShape)
    return s + "any]";
  for (size_t k = 0; k < decl.dims.size(); ++k)
    s += (k ? ", " : "") + (decl.dims[k] >= 0 ? std::to_string(decl.dims[k])
                            : decl.params[k].empty() ? std::string("?")
                                                     : decl.params[k]);
  return s + "]";
}

/// For a model whose free dims the --input shapes bind: the first given input
/// that does not fit the inputs the file declares (an unknown name, a missing
/// input, another type or rank, a fixed dim of another size, a free dim bound
/// to two sizes), as one message that lists the expected inputs. Otherwise
/// none, and `dims` gets every free dim the given inputs bind.
std::optional<std::string> explainInputs(const RunArgs &args,
                                         const NamedInputs &inputs,
                                         llvm::ArrayRef<OnnxInputDecl> decls,
                                         std::map<std::string, int64_t> &dims) {
  std::string expected = "expected inputs: ";
  for (auto [i, decl] : llvm::enumerate(decls))
    expected += (i ? ", " : "") + describeDecl(decl);
  for (const std::string &name : inputs.names)
    if (llvm::none_of(decls,
                      [&](const OnnxInputDecl &d) { return d.name == name; }))
      return unknownInputMessage(name, expected);
  // Free dim -> (size, the input that bound it).
  std::map<std::string, std::pair<int64_t, std::string>> bound;
  for (const OnnxInputDecl &decl : decls) {
    auto it = inputs.tensors.find(decl.name);
    if (it == inputs.tensors.end()) {
      if (args.randomSeed < 0)
        return missingInputMessage(decl.name, expected);
      continue;
    }
    const Tensor &t = it->second;
    std::string mismatch = "input '" + decl.name + "' is " + t.getTypeString() +
                           " but the model expects " + describeDecl(decl);
    if (getElementTypeFromOnnx(decl.elemType) != t.getElementType())
      return mismatch + "; " + expected;
    if (!decl.hasShape)
      continue;
    if (t.getShape().size() != decl.dims.size())
      return mismatch + "; " + expected;
    for (size_t k = 0; k < decl.dims.size(); ++k) {
      int64_t size = t.getShape()[k];
      if (decl.dims[k] >= 0 && decl.dims[k] != size)
        return mismatch + "; " + expected;
      if (decl.dims[k] >= 0 || decl.params[k].empty())
        continue;
      auto [entry, inserted] =
          bound.insert({decl.params[k], {size, decl.name}});
      if (!inserted && entry->second.first != size)
        return mismatch + ": its dim " + std::to_string(k) + " ('" +
               decl.params[k] + "') is " + std::to_string(size) + " here and " +
               std::to_string(entry->second.first) + " in input '" +
               entry->second.second + "'; " + expected;
    }
  }
  for (const auto &[param, entry] : bound)
    dims[param] = entry.first;
  return std::nullopt;
}

/// Imports the model with the --dim/--shape flags; the shapes of the --input
/// tensors bind the inputs' free dims. When those shapes do not fit the
/// model, the model is imported without them, so that bindInputs() reports
/// the difference and lists what the model expects; when the model needs
/// them (free dims), the inputs are compared with the file's declarations.
mlir::OwningOpRef<mlir::ModuleOp> importForRun(const RunArgs &args,
                                               const NamedInputs &inputs,
                                               mlir::MLIRContext &ctx) {
  OnnxImportOptions options;
  if (!parseImportFlags("run", args.dims, args.shapes, {}, options))
    return nullptr;
  OnnxImportOptions plain = options;
  bool derived = false;
  for (const std::string &name : inputs.names) {
    llvm::ArrayRef<int64_t> shape =
        inputs.tensors.find(name)->second.getShape();
    if (options.shapes.count(name) || shape.empty())
      continue;
    options.shapes[name].assign(shape.begin(), shape.end());
    derived = true;
  }
  if (!derived)
    return loadModel("run", args.model, options, ctx);
  {
    // Quietly: bindInputs() reports a mismatch with the expected inputs.
    mlir::ScopedDiagnosticHandler quiet(
        &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
    if (auto module = loadModel("run", args.model, options, ctx))
      return module;
    if (auto module = loadModel("run", args.model, plain, ctx))
      return module;
  }
  // The model has free dims the given shapes do not bind: say which input
  // is at fault, or bind the dims of the inputs left to --random-inputs.
  if (llvm::Expected<std::vector<OnnxInputDecl>> decls =
          readOnnxInputs(args.model)) {
    std::map<std::string, int64_t> dims;
    if (std::optional<std::string> why =
            explainInputs(args, inputs, *decls, dims)) {
      llvm::errs() << "romac run: error: " << *why << "\n";
      return nullptr;
    }
    for (const auto &[param, size] : dims)
      options.dims.try_emplace(param, size);
  } else {
    llvm::consumeError(decls.takeError());
  }
  return loadModel("run", args.model, options, ctx);
}

/// The file name an output is written to: its ONNX name with every
/// character outside [A-Za-z0-9._-] replaced by '_', and "." + `format`.
std::string outputFileName(llvm::StringRef name, llvm::StringRef format) {
  std::string s = name.str();
  for (char &c : s)
    if (!llvm::isAlnum(c) && c != '.' && c != '_' && c != '-')
      c = '_';
  if (s.empty() || s[0] == '.')
    s = "output" + s;
  return s + "." + format.str();
}

/// Reads the reference outputs of REF_DIR: output_K.pb / output_K.npy for
/// K = 0, 1, ... (ONNX test data sets) or NAME.npy per output.
llvm::Expected<std::vector<Tensor>>
readReferences(llvm::StringRef dir, llvm::ArrayRef<TensorSpec> specs) {
  std::vector<Tensor> refs;
  for (auto [k, spec] : llvm::enumerate(specs)) {
    llvm::SmallVector<std::string, 3> candidates = {
        (dir + "/output_" + llvm::Twine(k) + ".pb").str(),
        (dir + "/output_" + llvm::Twine(k) + ".npy").str(),
        (dir + "/" + outputFileName(spec.name, "npy")).str()};
    auto found = llvm::find_if(candidates, [](const std::string &p) {
      return llvm::sys::fs::exists(p);
    });
    if (found == candidates.end())
      return makeStringError(dir + ": no reference for output " +
                             llvm::Twine(k) + " ('" + spec.name +
                             "'): expected " + candidates[0] + ", " +
                             candidates[1] + " or " + candidates[2]);
    llvm::Expected<Tensor> t = readTensorFile(*found);
    if (!t)
      return t.takeError();
    refs.push_back(std::move(*t));
  }
  return refs;
}

/// --check: prints one line per output; false when any differs.
bool checkOutputs(const RunArgs &args, const Executable &exe,
                  llvm::ArrayRef<Tensor> outputs) {
  llvm::Expected<std::vector<Tensor>> refs =
      readReferences(args.checkDir, exe.getOutputs());
  if (!refs) {
    reportError("run", refs.takeError());
    return false;
  }
  bool ok = true;
  for (auto [k, spec] : llvm::enumerate(exe.getOutputs())) {
    llvm::Expected<TensorDiff> diff =
        compareTensors(outputs[k], (*refs)[k], args.rtol, args.atol);
    if (!diff) {
      llvm::errs() << "romac run: error: --check: output '" << spec.name
                   << "': " << llvm::toString(diff.takeError()) << "\n";
      ok = false;
      continue;
    }
    bool match = diff->mismatches == 0;
    ok &= match;
    llvm::outs() << llvm::formatv(
        "check {0}: max abs error {1:e2}, max rel error {2:e2}, {3} of {4} "
        "outside rtol {5:e1} atol {6:e1}: {7}\n",
        spec.name, diff->maxAbsError, diff->maxRelError, diff->mismatches,
        spec.getNumElements(), args.rtol, args.atol,
        match ? "match" : "MISMATCH");
  }
  return ok;
}

/// Writes every output into --output-dir (staged; nothing on error).
bool writeOutputs(const RunArgs &args, const Executable &exe,
                  llvm::ArrayRef<Tensor> outputs) {
  OutputSet set;
  set.addInput(args.model);
  llvm::Expected<std::string> staging = set.addDirectory(args.outputDir);
  if (!staging) {
    reportError("run", staging.takeError());
    return false;
  }
  for (auto [k, spec] : llvm::enumerate(exe.getOutputs()))
    if (llvm::Error e = writeTensorFile(
            *staging + "/" + outputFileName(spec.name, args.outputFormat),
            outputs[k], spec.name)) {
      set.discard();
      reportError("run", std::move(e));
      return false;
    }
  if (llvm::Error e = set.commit()) {
    reportError("run", std::move(e));
    return false;
  }
  return true;
}

/// Checks the --output-dir before any work.
bool checkOutputDir(const RunArgs &args) {
  return args.outputDir.empty() ||
         checkOutputFolder("run", "--output-dir", args.outputDir, args.force);
}

/// The cycles and MACs the schedule predicts per contraction layer, by
/// name: from --schedule, or costed from the module's mappings for
/// --target. Empty when neither applies (--no-tile) or the costing fails.
llvm::StringMap<LayerPrediction>
predictLayers(const RunArgs &args, const std::optional<Schedule> &file,
              mlir::ModuleOp module) {
  llvm::StringMap<LayerPrediction> predicted;
  std::optional<Schedule> built;
  const Schedule *schedule = file ? &*file : nullptr;
  if (!schedule && !args.noTile) {
    llvm::Expected<Target> target = loadTarget(args.target);
    llvm::Expected<Schedule> s =
        target ? buildSchedule(module, args.model, *target, SearchOptions())
               : llvm::Expected<Schedule>(target.takeError());
    if (!s) {
      llvm::consumeError(s.takeError());
      return predicted;
    }
    built = std::move(*s);
    schedule = &*built;
  }
  if (schedule)
    for (const LayerSchedule &l : schedule->layers)
      predicted[l.workload.name] = {l.cost.cycles, l.cost.macs};
  return predicted;
}

/// Runs `exe` on `bound` (--repeat times) into `outputs`, prints the times
/// after `how` ("imported in ..."), the profile, writes and checks the
/// outputs; returns the exit status.
int execute(const RunArgs &args, Executable &exe,
            const std::vector<Tensor> &bound, const std::string &how,
            const llvm::StringMap<LayerPrediction> &predicted,
            std::vector<Tensor> &outputs) {
  for (const TensorSpec &spec : exe.getOutputs())
    outputs.emplace_back(spec.type, spec.shape);
  std::vector<const void *> in;
  for (const Tensor &t : bound)
    in.push_back(t.data());
  std::vector<void *> out;
  for (Tensor &t : outputs)
    out.push_back(t.data());
  // The weights packed into the kernels' layouts first, then the warm-up
  // runs: untimed, not in the profile (the first run maps the activation
  // buffers).
  Stopwatch packClock;
  if (llvm::Error e = exe.packWeights())
    return reportError("run", llvm::createFileError(args.model, std::move(e)));
  std::string loaded = llvm::formatv("{0}, weights packed in {1:f2} s", how,
                                     packClock.seconds());
  for (unsigned r = 0; r < args.warmup; ++r)
    if (llvm::Error e = exe.run(in, out))
      return reportError("run",
                         llvm::createFileError(args.model, std::move(e)));
  exe.resetProfile();
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, args.repeat); ++r) {
    Stopwatch runClock;
    if (llvm::Error e = exe.run(in, out))
      return reportError("run",
                         llvm::createFileError(args.model, std::move(e)));
    times.push_back(runClock.seconds());
  }
  std::vector<double> sorted = times;
  llvm::sort(sorted);
  llvm::errs() << llvm::formatv(
      "romac run: {0}: {1}; ran {2} time(s): median {3:f2} ms (min {4:f2}, "
      "max {5:f2})\n",
      args.model, loaded, times.size(), 1e3 * sorted[sorted.size() / 2],
      1e3 * sorted.front(), 1e3 * sorted.back());
  if (args.profile)
    printProfile(exe.getProfile(), times.size(), predicted);
  if (!args.outputDir.empty() && !writeOutputs(args, exe, outputs))
    return 1;
  if (!args.checkDir.empty() && !checkOutputs(args, exe, outputs))
    return 1;
  return 0;
}

/// What `romac run` asks ModelLoader for: the flags, and the given inputs'
/// names and types in the cache key (their shapes bind the free dims).
ModelLoadRequest makeLoadRequest(const RunArgs &args, const NamedInputs &inputs,
                                 const std::optional<Schedule> &file) {
  ModelLoadRequest request;
  request.command = "run";
  request.model = args.model;
  request.target = args.target;
  request.schedule = args.schedule;
  request.scheduleFile = file ? &*file : nullptr;
  request.noTile = args.noTile;
  request.noKernels = args.noKernels;
  request.noFuse = args.noFuse;
  request.noFuseAttention = args.noFuseAttention;
  request.noParallelKernels = args.noParallelKernels;
  request.bf16 = args.precision == "bf16";
  // --profile needs the schedule's predictions, so it imports anyway.
  request.noCache = args.noCache || args.profile;
  request.dims = args.dims;
  request.shapes = args.shapes;
  std::vector<std::string> names = inputs.names;
  llvm::sort(names);
  for (const std::string &name : names)
    request.inputKeys.push_back(
        name + " " + inputs.tensors.find(name)->second.getTypeString());
  // A calibrated model depends on its calibration inputs.
  if (args.calibrateSeed >= 0) {
    request.inputKeys.push_back("calibrate-seed " +
                                std::to_string(args.calibrateSeed));
  } else if (isCalibrated(args)) {
    if (std::optional<std::vector<std::string>> files =
            getCalibrationFiles(args.calibrateDir))
      request.keyFiles = std::move(*files);
    else
      request.noCache = true;
  }
  return request;
}

} // namespace

namespace {

/// A model ready to run: the executable (and, when it was compiled here,
/// the context whose weights it uses), its bound inputs, how it was
/// obtained ("imported in ...") and the schedule's predicted cycles.
struct LoadedModel {
  std::unique_ptr<mlir::MLIRContext> ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<Executable> exe;
  std::vector<Tensor> bound;
  std::string how;
  llvm::StringMap<LayerPrediction> predicted;
  /// Whether `exe` was loaded from an artefact cache entry (just stored or
  /// found): then it needs neither `module` nor `ctx`.
  bool fromCache = false;

  /// Frees the compiler's memory before the model runs: the imported module
  /// and its context, then the heap pages they and the compile left free
  /// (glibc keeps them otherwise: the full SD2 UNet's fp32 run peaked at
  /// 0.43 GiB more RSS after a compile than from the cache).
  void releaseCompiler() {
    if (!fromCache || !ctx)
      return;
    module = nullptr;
    ctx.reset();
    malloc_trim(0);
  }
};

/// --quantize / --weight-sharing / --prune: the weights as compressed
/// (docs/compression.md, "Running compressed") and the activations as
/// codes (their scales calibrated with --calibrate), with a line saying
/// what changed; false after printing an error.
bool compressWeights(const RunArgs &args, const ModelLoadRequest &request,
                     mlir::ModuleOp module) {
  if (request.compression.empty())
    return true;
  llvm::Expected<CompressedWeightsStats> stats =
      compressModuleWeights(module, request.compression);
  if (!stats) {
    reportError("run", llvm::createFileError(request.model, stats.takeError()));
    return false;
  }
  int64_t activations = 0;
  unsigned activationBits = 0;
  std::string scales = "scales from their own max |x|";
  if (request.compression.quantize) {
    activationBits = request.compression.quantize->activationBits;
    std::vector<float> calibrated;
    if (isCalibrated(args)) {
      llvm::Expected<std::vector<float>> maxima =
          calibrateActivations(args, request, module);
      if (!maxima) {
        reportError("run", maxima.takeError());
        return false;
      }
      calibrated = std::move(*maxima);
      scales = args.calibrateSeed >= 0
                   ? "scales calibrated on seeded inputs"
                   : "scales calibrated on " + args.calibrateDir;
    }
    llvm::Expected<int64_t> n =
        quantizeModuleActivations(module, activationBits, calibrated);
    if (!n) {
      reportError("run", llvm::createFileError(request.model, n.takeError()));
      return false;
    }
    activations = *n;
  }
  llvm::errs() << llvm::formatv(
      "romac run: {0}: {1}: {2} weight tensors ({3} weights, {4:f1} % zero)"
      "{5}; {6}\n",
      request.model, request.compression.getFlags(), stats->tensors,
      stats->weights,
      stats->weights ? 100.0 * stats->zeros / stats->weights : 0.0,
      stats->skipped ? llvm::formatv(", {0} not a plain f32 constant (left "
                                     "as they are)",
                                     stats->skipped)
                           .str()
                     : std::string(),
      activationBits ? llvm::formatv("{0} activations rounded to {1} bits per "
                                     "tensor ({2})",
                                     activations, activationBits, scales)
                           .str()
                     : std::string("activations stay fp32"));
  return true;
}

/// Loads `request`'s model from the cache, or imports, schedules and
/// compiles it; null after printing an error.
std::unique_ptr<LoadedModel> loadModel(const RunArgs &args,
                                       const ModelLoadRequest &request,
                                       NamedInputs &inputs,
                                       const std::optional<Schedule> &file) {
  Stopwatch clock;
  auto loaded = std::make_unique<LoadedModel>();
  // The second run of a model: nothing to import or compile.
  std::string entry;
  std::optional<ArtefactCache> cache = openModelCache(request, entry);
  if (cache)
    if (std::unique_ptr<Executable> exe =
            lookupModelCache(request, *cache, entry)) {
      if (!bindInputs(args, exe->getInputs(), inputs, loaded->bound))
        return nullptr;
      loaded->exe = std::move(exe);
      loaded->fromCache = true;
      loaded->how =
          llvm::formatv("loaded from the cache in {0:f2} s", clock.seconds());
      return loaded;
    }

  mlir::DialectRegistry registry;
  registerRomacDialects(registry);
  loaded->ctx = std::make_unique<mlir::MLIRContext>(registry);
  DiagnosticPrinter printer(*loaded->ctx, "run");
  std::optional<CompileProgress> progress(std::in_place, "run", args.model,
                                          args.progressSeconds);
  loaded->module = importForRun(args, inputs, *loaded->ctx);
  if (!loaded->module)
    return nullptr;
  mlir::ModuleOp module = *loaded->module;
  // The inputs are checked against the model before the (long) compile.
  llvm::Expected<ModelSignature> signature = getModelSignature(module);
  if (!signature) {
    reportError("run",
                llvm::createFileError(args.model, signature.takeError()));
    return nullptr;
  }
  if (!bindInputs(args, signature->inputs, inputs, loaded->bound))
    return nullptr;
  if (!compressWeights(args, request, module))
    return nullptr;
  double importSeconds = clock.seconds();
  if (!args.noTile && !searchModelSchedule(request, module, &*progress))
    return nullptr;
  if (args.profile)
    loaded->predicted = predictLayers(args, file, module);
  double searchSeconds = clock.seconds() - importSeconds;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      compileModel(request, module, cache, entry, args.profile, &*progress);
  progress.reset();
  if (!exe) {
    reportError("run", llvm::createFileError(args.model, exe.takeError()));
    return nullptr;
  }
  loaded->exe = std::move(*exe);
  loaded->fromCache = cache.has_value();
  loaded->how = llvm::formatv(
      "imported in {0:f2} s, schedule in {1:f2} s, compiled in {2:f2} s",
      importSeconds, searchSeconds,
      clock.seconds() - importSeconds - searchSeconds);
  return loaded;
}

/// --compare-fp32: runs the fp32 build of the model once on the same
/// inputs and prints, per output, the cosine similarity and the errors of
/// `outputs` against it; false when a cosine is below --min-cosine (or
/// NaN).
bool compareWithFp32(const RunArgs &args, const ModelLoadRequest &request,
                     NamedInputs &inputs, const std::optional<Schedule> &file,
                     llvm::ArrayRef<Tensor> outputs) {
  ModelLoadRequest fp32 = request;
  fp32.bf16 = false;
  fp32.compression = Compression();
  std::unique_ptr<LoadedModel> reference = loadModel(args, fp32, inputs, file);
  if (!reference)
    return false;
  reference->releaseCompiler();
  std::vector<Tensor> want;
  std::vector<const void *> in;
  std::vector<void *> out;
  for (const Tensor &t : reference->bound)
    in.push_back(t.data());
  for (const TensorSpec &spec : reference->exe->getOutputs()) {
    want.emplace_back(spec.type, spec.shape);
    out.push_back(want.back().data());
  }
  if (llvm::Error e = reference->exe->run(in, out)) {
    reportError("run", llvm::createFileError(args.model, std::move(e)));
    return false;
  }
  std::string minCosine;
  llvm::raw_string_ostream(minCosine) << llvm::format("%.10g", args.minCosine);
  bool ok = true;
  for (auto [k, spec] : llvm::enumerate(reference->exe->getOutputs())) {
    llvm::Expected<TensorDiff> diff = compareTensors(outputs[k], want[k]);
    if (!diff) {
      reportError("run", diff.takeError());
      return false;
    }
    bool pass = diff->cosine >= args.minCosine;
    ok &= pass;
    double scale = diff->maxAbsExpected;
    llvm::outs() << llvm::formatv(
        "compare-fp32 {0}: cosine {1:f6}, max abs error {2:e2} ({3:e2} of "
        "the largest |fp32| value {4:e2}), max rel error {5:e2}: {6}\n",
        spec.name, diff->cosine, diff->maxAbsError,
        scale > 0 ? diff->maxAbsError / scale : 0.0, scale, diff->maxRelError,
        pass ? std::string("ok") : "BELOW --min-cosine " + minCosine);
  }
  return ok;
}

} // namespace

int romac::driver::runModel(const RunArgs &args) {
  llvm::Expected<Compression> compression =
      parseCompressionFlags(args.compression);
  if (!compression) {
    reportError("run", compression.takeError());
    return kUsageError;
  }
  if (args.compareFp32 && args.precision == "fp32" && compression->empty()) {
    llvm::errs() << "romac run: error: --compare-fp32 compares a "
                    "--precision bf16 or a compressed run (--quantize, "
                    "--weight-sharing, --prune) with the fp32 one; this run "
                    "is fp32\n";
    return kUsageError;
  }
  if (isCalibrated(args) && !compression->quantize) {
    llvm::errs() << "romac run: error: --calibrate and --calibrate-seed set "
                    "the scales of quantized activations; give --quantize\n";
    return kUsageError;
  }
  if (!checkOutputDir(args))
    return kUsageError;
  if (args.noWinograd)
    romac::kernels::setWinograd(false);
  std::optional<NamedInputs> inputs = readInputs(args);
  if (!inputs)
    return 1;
  std::optional<Schedule> scheduleFile;
  if (!args.schedule.empty()) {
    llvm::Expected<Schedule> read = readScheduleFile(args.schedule);
    if (!read)
      return reportError("run", read.takeError());
    scheduleFile = std::move(*read);
  }
  ModelLoadRequest request = makeLoadRequest(args, *inputs, scheduleFile);
  request.compression = *compression;
  std::unique_ptr<LoadedModel> model =
      loadModel(args, request, *inputs, scheduleFile);
  if (!model)
    return 1;
  model->releaseCompiler();
  std::vector<Tensor> outputs;
  int status = execute(args, *model->exe, model->bound, model->how,
                       model->predicted, outputs);
  if (status != 0 || !args.compareFp32)
    return status;
  return compareWithFp32(args, request, *inputs, scheduleFile, outputs) ? 0 : 1;
}

CLI::App *romac::driver::addRunCommand(CLI::App &app, RunArgs &args) {
  CLI::App *run = app.add_subcommand(
      "run", "Compile a model for this CPU and execute it: inputs from .npy "
             "or TensorProto .pb files, outputs written and checked");
  run->add_option("model", args.model, "ONNX model (or .mlir)")->required();
  CLI::Option *target = run->add_option(
      "--target", args.target,
      "Search this target's schedule and execute its DRAM-level "
      "tiling exactly (default: host, the tiles for this CPU's "
      "cache)");
  CLI::Option *noTile = run->add_flag(
      "--no-tile", args.noTile, "No schedule: plain loops (for comparison)");
  run->add_flag("--no-kernels", args.noKernels,
                "Lower matmuls and convolutions to plain loops instead of "
                "romac's native kernels (for comparison)");
  run->add_flag("--no-fuse", args.noFuse,
                "Keep bias and residual adds and ReLU/ReLU6/Clip as passes "
                "of their own instead of fusing them into the contractions, "
                "and attention as its two products and softmax (for "
                "comparison)");
  run->add_flag("--no-fuse-attention", args.noFuseAttention,
                "Keep attention as its two products and softmax, the scores "
                "stored (for comparison; --no-fuse implies it)");
  run->add_flag("--no-parallel-kernels", args.noParallelKernels,
                "Run the element-wise and reduction kernels (norms, "
                "activations, adds, fills) on one thread; the matmuls and "
                "convolutions keep both (for comparison)");
  run->add_flag("--no-winograd", args.noWinograd,
                "Compute every 3x3 convolution of stride 1 as the direct "
                "GEMM instead of by Winograd's F(4x4, 3x3) or F(2x2, 3x3) "
                "(for comparison; also ROMAC_WINOGRAD=0; =2 or =4 forces "
                "one of the two)");
  run->add_option("--precision", args.precision,
                  "fp32 (default), or bf16: the matmuls, convolutions and "
                  "fused attention "
                  "round their operands to bfloat16 and sum in fp32 "
                  "(AVX512-BF16 dot products where the CPU has them; 3x3 "
                  "convolutions of at most 384 channels on planes of 24x24 "
                  "and more stay fp32: Winograd's F(4x4) is faster there)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  run->add_flag("--compare-fp32", args.compareFp32,
                "Also run the model in fp32 and print each output's cosine "
                "similarity and errors against it; exit 1 when a cosine is "
                "below --min-cosine (needs --precision bf16 or a "
                "compression flag)");
  addCompressionFlags(run, args.compression);
  CLI::Option *calibrate = run->add_option(
      "--calibrate", args.calibrateDir,
      "With --quantize: static activation scales, each activation's max |x| "
      "over runs on the inputs in this folder (NAME.npy, NAME.pb or "
      "input_K.pb; one set per subfolder when it has subfolders) instead of "
      "its own max at run time");
  run->add_option("--calibrate-seed", args.calibrateSeed,
                  "With --quantize: static activation scales measured on "
                  "seeded random inputs")
      ->check(CLI::NonNegativeNumber)
      ->excludes(calibrate);
  run->add_option("--min-cosine", args.minCosine,
                  "The least cosine similarity --compare-fp32 accepts "
                  "(default 0.999)")
      ->check(CLI::Range(-1.0, 1.0));
  run->add_option("--schedule", args.schedule,
                  "Execute the tiling of this schedule JSON (romac compile "
                  "-o) instead of searching one")
      ->excludes(target)
      ->excludes(noTile);
  run->add_option("--input", args.inputs,
                  "NAME=FILE (.npy or .pb), or FILE.pb named by its "
                  "TensorProto; repeatable");
  run->add_option("--random-inputs", args.randomSeed,
                  "Fill every input not given with --input with random "
                  "values from this seed")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--output-dir", args.outputDir,
                  "Write every output as NAME.npy (or NAME.pb) into this "
                  "folder");
  run->add_option("--output-format", args.outputFormat,
                  "npy (default) or pb (ONNX TensorProto, named after the "
                  "output)")
      ->check(CLI::IsMember({"npy", "pb"}));
  run->add_flag("--force", args.force, "Write into a non-empty --output-dir");
  run->add_option("--check", args.checkDir,
                  "Compare the outputs with output_K.pb / output_K.npy / "
                  "NAME.npy in this folder; exit 1 on a mismatch");
  run->add_option("--rtol", args.rtol, "Relative tolerance of --check")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--atol", args.atol, "Absolute tolerance of --check")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--progress", args.progressSeconds,
                  "Seconds between the progress lines of a compile that is "
                  "not in the cache (default 5)")
      ->check(CLI::Range(0.01, 86400.0));
  run->add_option("--repeat", args.repeat,
                  "Run this many times and print "
                  "the median time")
      ->check(CLI::Range(1u, 100000u));
  run->add_option("--warmup", args.warmup,
                  "Untimed runs before the timed ones (and before --profile "
                  "starts counting)")
      ->check(CLI::Range(0u, 100000u));

  run->add_flag("--no-cache", args.noCache,
                "Compile the model in this process (JIT) instead of loading "
                "it from, or storing it in, the artefact cache");
  run->add_flag("--profile", args.profile,
                "Print the time per op kind and per layer next to the "
                "share of the contractions' cycles the schedule predicts "
                "and the GFLOP/s of each contraction (2 x its MACs per "
                "second)");
  run->add_option("--dim", args.dims, "Bind a symbolic dim: NAME=N");
  run->add_option("--shape", args.shapes, "Fix an input shape: NAME=D0xD1x...");
  return run;
}
