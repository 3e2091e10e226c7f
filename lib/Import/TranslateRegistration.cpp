//===- TranslateRegistration.cpp - --import-onnx ----------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace {
llvm::cl::list<std::string>
    clDims("onnx-dim", llvm::cl::desc("Bind a symbolic ONNX dim: NAME=N"),
           llvm::cl::value_desc("NAME=N"));
llvm::cl::list<std::string>
    clShapes("onnx-shape",
             llvm::cl::desc("Give an ONNX input's shape: NAME=D0xD1x..."),
             llvm::cl::value_desc("NAME=SHAPE"));
} // namespace

void romac::registerOnnxImportTranslation() {
  TranslateToMLIRRegistration reg(
      "import-onnx",
      "Import an ONNX model (binary, text, JSON) into linalg on tensors",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        OnnxImportOptions options;
        for (const std::string &d : clDims)
          if (llvm::Error e = options.addDim(d)) {
            emitError(UnknownLoc::get(context))
                << "--onnx-dim: " << llvm::toString(std::move(e));
            return {};
          }
        for (const std::string &s : clShapes)
          if (llvm::Error e = options.addShape(s)) {
            emitError(UnknownLoc::get(context))
                << "--onnx-shape: " << llvm::toString(std::move(e));
            return {};
          }
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buf->getBufferIdentifier();
        llvm::SmallString<256> dir(name);
        llvm::sys::path::remove_filename(dir);
        if (name == "<stdin>")
          dir.clear();
        else if (dir.empty())
          dir = ".";
        auto module = importOnnxBuffer(buf->getBuffer(), name, dir, *context,
                                       options);
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) { registerOnnxImportDialects(registry); });
}
