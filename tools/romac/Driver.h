//===- Driver.h - helpers shared by the romac subcommands ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What every subcommand of the driver does the same way: error lines
// ("romac CMD: error: ..."), exit statuses, import flags, loading a model.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_DRIVER_H
#define ROMAC_TOOLS_ROMAC_DRIVER_H

#include "romac/Import/ONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace romac::driver {

/// Exit status for usage errors and for stages that are not built yet.
constexpr int kUsageError = 2;

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

/// Seconds since the command started, for the progress lines.
class Stopwatch {
public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }

private:
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
};

/// Prints `err` as "romac COMMAND: error: MESSAGE" ("romac COMMAND: MESSAGE"
/// when MESSAGE is located: "FILE: error: ...") and returns `status`.
int reportError(llvm::StringRef command, llvm::Error err, int status = 1);

/// Flushes stdout and turns a write error on it (a full disk) into one
/// message and a failing exit status instead of LLVM's fatal error at exit.
int checkStdout(int status);

/// Fills `options` from the --dim/--shape/--freeze flags; false on error.
bool parseImportFlags(const std::string &command,
                      const std::vector<std::string> &dims,
                      const std::vector<std::string> &shapes,
                      const std::vector<std::string> &frozen,
                      romac::OnnxImportOptions &options);

/// Checks an output folder before any work: it may not be a file, and a
/// folder that holds files is written into only with --force. Prints
/// "romac COMMAND: error: FLAG: ..." and returns false otherwise.
bool checkOutputFolder(llvm::StringRef command, llvm::StringRef flag,
                       llvm::StringRef path, bool force);

/// A context with romac's dialects for a command that searches: \p threads
/// 0 gives it its own pool (one thread per core), 1 none (the calling
/// thread), N a pool of N threads made into \p pool, which must outlive
/// the context.
std::unique_ptr<mlir::MLIRContext>
makeSearchContext(unsigned threads,
                  std::unique_ptr<llvm::ThreadPoolInterface> &pool);

/// Imports an ONNX model, or parses an .mlir file, into `ctx`.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(const std::string &command, const std::string &path,
          const romac::OnnxImportOptions &options, mlir::MLIRContext &ctx);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_DRIVER_H
