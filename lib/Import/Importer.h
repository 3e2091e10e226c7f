//===- Importer.h - the ONNX graph importer ---------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Importer: the state of one import (the value table, the inferred
// types, the memory-mapped external data files) and its steps. Importer.cpp
// walks the graph; Initializers.cpp reads initializers and builds weights;
// NodeContext.cpp is what an op converter sees of it.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_IMPORT_IMPORTER_H
#define ROMAC_LIB_IMPORT_IMPORTER_H

#include "ImporterImpl.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace romac::onnximport {

/// Everything the importer knows about one ONNX value.
struct ValueEntry {
  mlir::Value value;
  OnnxType type = onnx::TensorProto::UNDEFINED;
  std::optional<HostTensor> host;
  const onnx::TensorProto *initializer = nullptr;
};

/// One import of one model.
class Importer {
public:
  Importer(mlir::MLIRContext &ctx, llvm::StringRef displayName,
           llvm::StringRef baseDir, const OnnxImportOptions &options)
      : ctx(ctx), builder(&ctx), displayName(displayName.str()),
        baseDir(baseDir.str()), options(options) {}

  mlir::OwningOpRef<mlir::ModuleOp>
  run(std::shared_ptr<onnx::ModelProto> model);

  /// Emits "<file>: <msg>" and returns failure. Only the first error counts.
  mlir::LogicalResult error(const llvm::Twine &msg) {
    if (!failedOnce)
      mlir::emitError(mlir::UnknownLoc::get(&ctx))
          << displayName << ": " << msg;
    failedOnce = true;
    return mlir::failure();
  }

  /// The entry of a value a node defines.
  ValueEntry &define(llvm::StringRef name) { return values[name]; }
  ValueEntry *lookup(llvm::StringRef name) {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
  mlir::Value materializeEntry(llvm::StringRef name, ValueEntry &entry,
                               mlir::Location loc);
  /// A small tensor proto as a HostTensor (nullopt when too large).
  std::optional<HostTensor> readHostTensor(const onnx::TensorProto &t);
  /// A tensor proto as a constant op (dense_resource for weights).
  mlir::Value weightConstant(const onnx::TensorProto &t, mlir::Location loc);
  const HostTensor *hostValue(ValueEntry &entry);

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  std::string displayName;
  std::string baseDir;
  const OnnxImportOptions &options;
  bool failedOnce = false;

private:
  mlir::LogicalResult checkModel();
  mlir::LogicalResult freezeInputs();
  mlir::LogicalResult bindInputShapes();
  mlir::LogicalResult checkInitializers();
  mlir::LogicalResult
  sortNodes(llvm::SmallVectorImpl<const onnx::NodeProto *> &order);
  mlir::LogicalResult
  checkSupport(llvm::ArrayRef<const onnx::NodeProto *> order);
  mlir::LogicalResult convertNode(const onnx::NodeProto &node);
  mlir::LogicalResult checkResultTypes(const onnx::NodeProto &node);
  mlir::LogicalResult checkInferredSizes(const onnx::NodeProto &node);
  mlir::LogicalResult checkDimsForOnnx(const llvm::Twine &what,
                                       llvm::ArrayRef<int64_t> ours,
                                       const onnx::TensorShapeProto *inferred);
  mlir::LogicalResult checkTensorSize(const llvm::Twine &what,
                                      llvm::ArrayRef<int64_t> shape,
                                      OnnxType type);
  mlir::LogicalResult runShapeInference();
  mlir::FailureOr<mlir::RankedTensorType>
  staticType(const onnx::TypeProto &type, llvm::StringRef what);
  mlir::FailureOr<llvm::ArrayRef<char>>
  initializerBytes(const onnx::TensorProto &t);

  std::shared_ptr<onnx::ModelProto> model;
  int64_t opset = 0;
  llvm::StringMap<ValueEntry> values;
  llvm::StringMap<const onnx::TypeProto *> inferredTypes;
  /// Set when ONNX shape inference failed with data propagation and ran again
  /// without it; the first failure's message, reported after the conversion
  /// unless a node's result explains it first.
  std::optional<std::string> dataPropagationError;
  /// Memory-mapped external data files, by resolved path.
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> mappedFiles;
};

} // namespace romac::onnximport

#endif // ROMAC_LIB_IMPORT_IMPORTER_H
