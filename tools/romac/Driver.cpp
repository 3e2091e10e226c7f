//===- Driver.cpp - helpers shared by the romac subcommands ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "romac/InitRomac.h"
#include "romac/Support/OutputFile.h"
#include "romac/Support/Parallel.h"

#include "mlir/Parser/Parser.h"

#include "llvm/Support/FileSystem.h"

using namespace romac::driver;

/// Prints `err` as "romac COMMAND: error: MESSAGE" and returns `status`.
int romac::driver::reportError(llvm::StringRef command, llvm::Error err,
                               int status) {
  // A located message ("FILE: error: ..." from the schedule reader, or
  // "FILE:LINE:COL: error: ...") already says it is an error.
  std::string message = llvm::toString(std::move(err));
  bool located = llvm::StringRef(message).contains("error: ");
  llvm::errs() << "romac " << command << ": " << (located ? "" : "error: ")
               << message << "\n";
  return status;
}

/// Flushes stdout and turns a write error on it (a full disk) into one
/// message and a failing exit status instead of LLVM's fatal error at exit.
int romac::driver::checkStdout(int status) {
  llvm::outs().flush();
  if (!llvm::outs().has_error())
    return status;
  llvm::errs() << "romac: error: cannot write to standard output: "
               << llvm::outs().error().message() << "\n";
  llvm::outs().clear_error();
  return status ? status : 1;
}

/// Fills `options` from the --dim/--shape/--freeze flags; false on error.
bool romac::driver::parseImportFlags(const std::string &command,
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

std::unique_ptr<mlir::MLIRContext> romac::driver::makeSearchContext(
    unsigned threads, std::unique_ptr<llvm::ThreadPoolInterface> &pool) {
  if (threads > 1)
    pool = romac::makeThreadPool(threads);
  mlir::DialectRegistry registry;
  romac::registerRomacDialects(registry);
  auto ctx = std::make_unique<mlir::MLIRContext>(
      registry, mlir::MLIRContext::Threading::DISABLED);
  if (pool)
    ctx->setThreadPool(*pool);
  else if (threads == 0)
    ctx->enableMultithreading();
  return ctx;
}

/// Imports an ONNX model, or parses an .mlir file, into `ctx`.
mlir::OwningOpRef<mlir::ModuleOp>
romac::driver::loadModel(const std::string &command, const std::string &path,
                         const romac::OnnxImportOptions &options,
                         mlir::MLIRContext &ctx) {
  if (llvm::StringRef(path).ends_with(".mlir")) {
    auto module = mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
    if (!module)
      llvm::errs() << "romac " << command << ": error: " << path
                   << ": cannot parse the MLIR file\n";
    return module;
  }
  return romac::importOnnxFile(path, ctx, options);
}

bool romac::driver::checkOutputFolder(llvm::StringRef command,
                                      llvm::StringRef flag,
                                      llvm::StringRef path, bool force) {
  if (llvm::sys::fs::exists(path) && !llvm::sys::fs::is_directory(path)) {
    llvm::errs() << "romac " << command << ": error: " << flag << ": '" << path
                 << "' is not a directory\n";
    return false;
  }
  llvm::Expected<bool> nonEmpty = isNonEmptyDirectory(path);
  if (!nonEmpty) {
    reportError(command, nonEmpty.takeError());
    return false;
  }
  if (*nonEmpty && !force) {
    llvm::errs() << "romac " << command << ": error: " << flag << ": '" << path
                 << "' is not empty (--force writes into it)\n";
    return false;
  }
  return true;
}
