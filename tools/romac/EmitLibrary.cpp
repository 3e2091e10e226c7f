//===- EmitLibrary.cpp - `romac compile --emit-library` --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Writes the model `romac compile` just scheduled as a shared object that an
// application runs through include/romac-c/romac.h (no MLIR, LLVM or romac
// library needed), plus its packed weights file: the same artefact the cache
// of `romac run` keeps (Executable.h compileObject, linkSharedObject).
//
//===----------------------------------------------------------------------===//

#include "EmitLibrary.h"

#include "Driver.h"

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/InitRomac.h"
#include "romac/Runtime/Executable.h"
#include "romac/Support/Error.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace romac;

std::string romac::driver::getLibraryWeightsPath(llvm::StringRef path) {
  llvm::SmallString<256> weights(path);
  llvm::sys::path::replace_extension(weights, "weights");
  return weights.str().str();
}

llvm::Error romac::driver::checkLibraryOutputs(llvm::StringRef path,
                                               const OutputSet &outputs) {
  if (path == "-")
    return makeStringError("--emit-library: a library cannot be written to "
                           "standard output");
  for (const std::string &file : {path.str(), getLibraryWeightsPath(path)})
    if (llvm::sys::fs::exists(file) && !llvm::sys::fs::is_regular_file(file))
      return makeStringError("--emit-library: '" + file +
                             "' exists and is not a regular file");
  if (getLibraryWeightsPath(path) == path)
    return makeStringError("--emit-library: '" + path +
                           "' ends in .weights, the name of its weights file");
  if (llvm::Error e = outputs.checkFile(path))
    return e;
  return outputs.checkFile(getLibraryWeightsPath(path));
}

llvm::Error romac::driver::stageLibrary(const std::string &model,
                                        const OnnxImportOptions &importOptions,
                                        const Schedule &schedule,
                                        const std::string &path, bool bf16,
                                        bool quiet, OutputSet &outputs) {
  Stopwatch clock;
  mlir::DialectRegistry registry;
  registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  DiagnosticPrinter printer(ctx, "compile");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel("compile", model, importOptions, ctx);
  if (!module)
    return makeStringError(model + ": cannot import the model again");
  if (llvm::Error e = attachSchedule(*module, schedule))
    return e;
  ExecutableOptions options;
  options.bf16 = bf16;
  llvm::Expected<CompiledObject> compiled = compileObject(*module, options);
  if (!compiled)
    return llvm::createFileError(model, compiled.takeError());

  // Linked in a temporary folder, then staged with the other outputs.
  llvm::SmallString<128> work;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("romac-library", work))
    return makeStringError("cannot create a temporary folder: " + ec.message());
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(work); });
  std::string linked = (work + "/model.so").str();
  if (llvm::Error e = linkSharedObject(compiled->objects, linked))
    return e;
  auto library = llvm::MemoryBuffer::getFile(linked, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
  if (!library)
    return llvm::createFileError(linked, library.getError());
  llvm::StringRef bytes = (*library)->getBuffer();
  if (llvm::Error e =
          outputs.addFile(path, [&](llvm::raw_ostream &os) { os << bytes; }))
    return e;
  std::string weightsPath = getLibraryWeightsPath(path);
  if (llvm::Error e = outputs.addFile(weightsPath, [&](llvm::raw_ostream &os) {
        writeWeights(*compiled, os);
      }))
    return e;
  if (!quiet) {
    int64_t weightBytes = 0;
    for (llvm::ArrayRef<char> w : compiled->weights)
      weightBytes += w.size();
    llvm::errs() << llvm::formatv(
        "romac compile: library {0} ({1} inputs, {2} outputs; {3:f1} KiB of "
        "code) and its weights {4} ({5:f1} MiB) built in {6:f2} s\n",
        path, compiled->signature.inputs.size(),
        compiled->signature.outputs.size(), bytes.size() / 1024.0, weightsPath,
        weightBytes / (1024.0 * 1024.0), clock.seconds());
  }
  return llvm::Error::success();
}
