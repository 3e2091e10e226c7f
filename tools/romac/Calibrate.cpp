//===- Calibrate.cpp - `romac run --calibrate`: static scales ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Static quantization of the activations (docs/compression.md, "Running
// compressed"): instead of taking each activation's scale from its own
// max |x| at run time, a copy of the model measures those maxima on
// calibration inputs once, and the quantized model carries them as
// constants (quantizeModuleActivations with `calibrated`).
//
//===----------------------------------------------------------------------===//

#include "Calibrate.h"

#include "romac/Dialect/Romac/Transforms/CompressWeights.h"
#include "romac/Runtime/ArtefactCache.h"
#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Tensor.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace romac;
using namespace romac::driver;

bool romac::driver::isCalibrated(const RunArgs &args) {
  return !args.calibrateDir.empty() || args.calibrateSeed >= 0;
}

namespace {

/// The folders of --calibrate DIR that hold one set of inputs each: DIR's
/// subfolders (sorted) when it has any, else DIR itself.
llvm::Expected<std::vector<std::string>> getSampleDirs(llvm::StringRef dir) {
  if (!llvm::sys::fs::is_directory(dir))
    return makeStringError("--calibrate " + dir + ": not a folder");
  std::vector<std::string> subdirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      subdirs.push_back(it->path());
  if (ec)
    return makeStringError("--calibrate " + dir + ": " + ec.message());
  std::sort(subdirs.begin(), subdirs.end());
  if (subdirs.empty())
    subdirs.push_back(dir.str());
  return subdirs;
}

/// One set of calibration inputs from `dir`, one per spec: NAME.npy,
/// NAME.pb or input_K.pb, of the spec's type and shape.
llvm::Expected<std::vector<Tensor>>
readSample(llvm::StringRef dir, llvm::ArrayRef<TensorSpec> specs) {
  std::vector<Tensor> tensors;
  for (auto [k, spec] : llvm::enumerate(specs)) {
    std::string path;
    std::vector<std::string> files = {"input_" + std::to_string(k) + ".pb"};
    if (!spec.name.empty())
      files.insert(files.begin(), {spec.name + ".npy", spec.name + ".pb"});
    for (const std::string &file : files) {
      llvm::SmallString<256> candidate(dir);
      llvm::sys::path::append(candidate, file);
      if (llvm::sys::fs::is_regular_file(candidate)) {
        path = candidate.str().str();
        break;
      }
    }
    if (path.empty())
      return makeStringError("--calibrate " + dir + ": no file for input '" +
                             spec.name + "' (" + spec.name + ".npy, " +
                             spec.name + ".pb or input_" + llvm::Twine(k) +
                             ".pb)");
    llvm::Expected<Tensor> t = readTensorFile(path);
    if (!t)
      return t.takeError();
    if (t->getElementType() != spec.type ||
        t->getShape() != llvm::ArrayRef<int64_t>(spec.shape))
      return makeStringError("--calibrate " + path + ": " + t->getTypeString() +
                             ", but the model's input " + spec.str());
    tensors.push_back(std::move(*t));
  }
  return tensors;
}

} // namespace

std::optional<std::vector<std::string>>
romac::driver::getCalibrationFiles(llvm::StringRef dir) {
  if (!llvm::sys::fs::is_directory(dir))
    return std::nullopt;
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::fs::is_regular_file(it->path()))
      files.push_back(it->path());
  if (ec)
    return std::nullopt;
  std::sort(files.begin(), files.end());
  return files;
}

llvm::Expected<std::vector<float>>
romac::driver::calibrateActivations(const RunArgs &args,
                                    const ModelLoadRequest &request,
                                    mlir::ModuleOp module) {
  mlir::OwningOpRef<mlir::ModuleOp> probed(module.clone());
  llvm::Expected<int64_t> probes = addActivationProbes(*probed);
  if (!probes)
    return llvm::createFileError(request.model, probes.takeError());
  std::vector<float> maxima(*probes, 0.0f);
  if (*probes == 0)
    return maxima;
  // The probes need no tiles: the untiled model measures the same values.
  ModelLoadRequest build = request;
  build.noTile = true;
  std::optional<ArtefactCache> noCache;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      compileModel(build, *probed, noCache, "");
  if (!exe)
    return llvm::createFileError(request.model, exe.takeError());
  llvm::ArrayRef<TensorSpec> specs = (*exe)->getInputs();
  std::vector<std::vector<Tensor>> samples;
  if (args.calibrateSeed >= 0) {
    std::vector<Tensor> sample;
    for (auto [k, spec] : llvm::enumerate(specs))
      sample.push_back(
          makeRandomTensor(spec.type, spec.shape, args.calibrateSeed + k));
    samples.push_back(std::move(sample));
  } else {
    llvm::Expected<std::vector<std::string>> dirs =
        getSampleDirs(args.calibrateDir);
    if (!dirs)
      return dirs.takeError();
    for (const std::string &dir : *dirs) {
      llvm::Expected<std::vector<Tensor>> sample = readSample(dir, specs);
      if (!sample)
        return sample.takeError();
      samples.push_back(std::move(*sample));
    }
  }
  llvm::ArrayRef<TensorSpec> outputs = (*exe)->getOutputs();
  size_t first = outputs.size() - maxima.size();
  for (const std::vector<Tensor> &sample : samples) {
    std::vector<const void *> in;
    for (const Tensor &t : sample)
      in.push_back(t.data());
    std::vector<Tensor> out;
    std::vector<void *> outPointers;
    for (const TensorSpec &spec : outputs) {
      out.emplace_back(spec.type, spec.shape);
      outPointers.push_back(out.back().data());
    }
    if (llvm::Error e = (*exe)->run(in, outPointers))
      return std::move(e);
    for (size_t i = 0; i < maxima.size(); ++i) {
      float v;
      std::memcpy(&v, out[first + i].data(), sizeof(v));
      if (!std::isfinite(v))
        return makeStringError(
            (args.calibrateSeed >= 0
                 ? "--calibrate-seed " + std::to_string(args.calibrateSeed)
                 : "--calibrate " + args.calibrateDir) +
            ": activation " + std::to_string(i) +
            " (in the order of the model's layers) has a non-finite max |x|");
      maxima[i] = std::max(maxima[i], v);
    }
  }
  return maxima;
}
