//===- ONNXSignature.h - declared inputs and outputs of a model -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// readOnnxSignature(): the graph inputs and outputs of an ONNX file as it
// declares them, without importing it (`romac zoom` checks that the graphs
// of a pipeline fit together before compiling any). Implemented next to
// readOnnxInputs() in lib/Import/InputDecls.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_IMPORT_ONNXSIGNATURE_H
#define ROMAC_IMPORT_ONNXSIGNATURE_H

#include "romac/Import/ONNX.h"

namespace romac {

/// The graph inputs (initializers left out) and outputs of a model, as the
/// file declares them (OnnxInputDecl describes an output the same way).
struct OnnxSignature {
  std::vector<OnnxInputDecl> inputs, outputs;
};

/// Reads the graph inputs and outputs of the model at `path` without
/// importing it.
llvm::Expected<OnnxSignature> readOnnxSignature(llvm::StringRef path);

} // namespace romac

#endif // ROMAC_IMPORT_ONNXSIGNATURE_H
