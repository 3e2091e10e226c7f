//===- ONNX.h - ONNX to MLIR importer ---------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (binary protobuf, protobuf text format, protobuf JSON
// or the ONNX textual syntax) into `func.func @main` on ranked tensors, using
// upstream dialects only (linalg named ops and linalg.generic, tensor, arith,
// math). Every op carries its ONNX node name as location; weights become
// `dense_resource` blobs that point into the memory-mapped model files.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_IMPORT_ONNX_H
#define ROMAC_IMPORT_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class DialectRegistry;
class Type;
class MLIRContext;
} // namespace mlir

namespace romac {

/// User choices that make an ONNX model's shapes static.
struct OnnxImportOptions {
  /// Symbolic dims by name: `--dim batch_size=2`.
  llvm::StringMap<int64_t> dims;
  /// Whole input shapes by input name: `--shape sample=2x9x64x64`.
  llvm::StringMap<llvm::SmallVector<int64_t>> shapes;
  /// Inputs frozen to constants, by name: a serialized TensorProto file each
  /// (`--freeze NAME=FILE.pb`). The input becomes an initializer, so shape
  /// inputs (Reshape's shape, Resize's sizes) fold at import time.
  llvm::StringMap<std::string> frozenInputs;
  /// Name of the emitted function.
  std::string funcName = "main";

  /// Parses `NAME=VALUE` into `dims`; the error names the flag's text.
  llvm::Error addDim(llvm::StringRef spec);
  /// Parses `NAME=D0xD1x...` into `shapes`.
  llvm::Error addShape(llvm::StringRef spec);
  /// Parses `NAME=FILE.pb` into `frozenInputs`.
  llvm::Error addFrozenInput(llvm::StringRef spec);
};

/// Imports the model file at `path`. External data is resolved relative to
/// the model's folder and memory-mapped. On failure, emits one error that names
/// the file and the problem through the context's diagnostics and returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(llvm::StringRef path, mlir::MLIRContext &context,
               const OnnxImportOptions &options = {});

/// Imports a model held in memory. `displayName` names it in messages;
/// external data is looked up under `baseDir` (none allowed when empty).
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBuffer(llvm::StringRef bytes, llvm::StringRef displayName,
                 llvm::StringRef baseDir, mlir::MLIRContext &context,
                 const OnnxImportOptions &options = {});

/// One graph input of an ONNX model as the file declares it (initializers
/// listed as inputs are left out).
struct OnnxInputDecl {
  std::string name;
  /// The ONNX TensorProto data type (0 when the input is not a tensor).
  int32_t elemType = 0;
  /// False when the file gives no shape (any rank).
  bool hasShape = false;
  /// Per dim: its size, or -1 for a free dim ...
  llvm::SmallVector<int64_t, 4> dims;
  /// ... named here ("" for a fixed or an unnamed dim).
  llvm::SmallVector<std::string, 4> params;
};

/// Reads the graph inputs of the model at `path` without importing it.
llvm::Expected<std::vector<OnnxInputDecl>> readOnnxInputs(llvm::StringRef path);

/// Adds the dialects the importer emits to `registry`.
void registerOnnxImportDialects(mlir::DialectRegistry &registry);

/// Registers `--import-onnx` (with `--onnx-dim`, `--onnx-shape`) for
/// mlir-translate style tools.
void registerOnnxImportTranslation();

/// The MLIR element type the importer uses for an ONNX element type
/// (onnx::TensorProto::DataType), or null when unsupported.
mlir::Type onnxElementType(mlir::MLIRContext *context, int32_t onnxType);

/// True if the importer can convert `opType` in the default domain.
bool isOnnxOpSupported(llvm::StringRef opType);

} // namespace romac

#endif // ROMAC_IMPORT_ONNX_H
