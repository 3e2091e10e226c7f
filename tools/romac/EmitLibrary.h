//===- EmitLibrary.h - `romac compile --emit-library` -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_EMITLIBRARY_H
#define ROMAC_TOOLS_ROMAC_EMITLIBRARY_H

#include "romac/Import/ONNX.h"
#include "romac/Schedule/Schedule.h"
#include "romac/Support/OutputFile.h"

#include "llvm/Support/Error.h"

#include <string>

namespace romac::driver {

/// The packed weights file next to library `path`: its extension replaced
/// by `.weights` (`out.so` -> `out.weights`), as romac_model_create() looks
/// for it.
std::string getLibraryWeightsPath(llvm::StringRef path);

/// Checks the --emit-library paths as outputs of `outputs` (before any work).
llvm::Error checkLibraryOutputs(llvm::StringRef path,
                                const romac::OutputSet &outputs);

/// Imports `model` again, attaches `schedule` (the one the compile chose),
/// compiles it for this CPU into a shared object with the C API of
/// include/romac-c/romac.h and stages it as `path` and its weights as
/// getLibraryWeightsPath(path) in `outputs` (committed with the other
/// outputs), its products in bfloat16 when `bf16`. Prints one line unless
/// `quiet`.
llvm::Error stageLibrary(const std::string &model,
                         const romac::OnnxImportOptions &importOptions,
                         const romac::Schedule &schedule,
                         const std::string &path, bool bf16, bool quiet,
                         romac::OutputSet &outputs);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_EMITLIBRARY_H
