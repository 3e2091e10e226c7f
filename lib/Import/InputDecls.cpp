//===- InputDecls.cpp - a model's graph inputs as declared ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// readOnnxInputs(): the graph inputs of an ONNX file with their free dims
// still named, without importing the model (so that `romac run` can say which
// given input does not fit a model whose dims are bound by the inputs);
// readOnnxSignature(): its inputs and outputs (`romac zoom` checks that the
// graphs of a pipeline fit together before compiling any).
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"
#include "romac/Import/ONNXSignature.h"

#include "ModelLoader.h"
#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace romac;

namespace {

/// The declaration of \p value (a graph input or output).
OnnxInputDecl declare(const onnx::ValueInfoProto &value) {
  OnnxInputDecl decl;
  decl.name = value.name();
  const onnx::TypeProto::Tensor &tensor = value.type().tensor_type();
  decl.elemType = tensor.elem_type();
  decl.hasShape = tensor.has_shape();
  for (const onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    decl.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    decl.params.push_back(dim.has_dim_value() ? "" : dim.dim_param());
  }
  return decl;
}

} // namespace

llvm::Expected<OnnxSignature> romac::readOnnxSignature(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read " + path.str());
  onnx::ModelProto model;
  std::string error;
  if (!onnximport::parseModel((*buffer)->getBuffer(), model, error))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path.str() + ": " + error);
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &init : model.graph().initializer())
    initializers.insert(init.name());
  OnnxSignature signature;
  for (const onnx::ValueInfoProto &in : model.graph().input())
    if (!initializers.contains(in.name()))
      signature.inputs.push_back(declare(in));
  for (const onnx::ValueInfoProto &out : model.graph().output())
    signature.outputs.push_back(declare(out));
  return signature;
}

llvm::Expected<std::vector<OnnxInputDecl>>
romac::readOnnxInputs(llvm::StringRef path) {
  llvm::Expected<OnnxSignature> signature = readOnnxSignature(path);
  if (!signature)
    return signature.takeError();
  return std::move(signature->inputs);
}
