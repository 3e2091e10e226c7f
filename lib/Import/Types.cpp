//===- Types.cpp - ONNX element types and host tensors ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the importer's translation units share about values: ONNX element
// types (size, name, MLIR type), node names for messages and locations, and
// HostTensor, the small constants folded at import time.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace romac;
using namespace romac::onnximport;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

bool romac::onnximport::isFloatType(OnnxType t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE ||
         t == onnx::TensorProto::FLOAT16 || t == onnx::TensorProto::BFLOAT16;
}

bool romac::onnximport::isUnsignedType(OnnxType t) {
  return t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::UINT16 ||
         t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64 ||
         t == onnx::TensorProto::BOOL;
}

int64_t romac::onnximport::elementBytes(OnnxType t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

std::string romac::onnximport::typeName(OnnxType t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return llvm::StringRef(onnx::TensorProto::DataType_Name(
                               static_cast<onnx::TensorProto::DataType>(t)))
        .lower();
  return "type " + std::to_string(t);
}

Type romac::onnximport::toMlirType(MLIRContext *ctx, OnnxType t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64);
  default:
    return {};
  }
}

std::string romac::onnximport::nodeName(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + ":" + (node.output_size() ? node.output(0) : "");
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

std::optional<int64_t>
romac::onnximport::checkedNumel(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor HostTensor::make(OnnxType type, ArrayRef<int64_t> shape) {
  HostTensor t;
  t.type = type;
  t.shape.assign(shape.begin(), shape.end());
  if (t.isFloat())
    t.f.assign(t.numel(), 0.0);
  else
    t.i.assign(t.numel(), 0);
  return t;
}

void HostTensor::set(int64_t k, double v) {
  if (isFloat())
    f[k] = v;
  else if (type == onnx::TensorProto::BOOL)
    i[k] = v != 0.0;
  else
    i[k] = static_cast<int64_t>(v);
}

SmallVector<int64_t> HostTensor::toInts() const {
  SmallVector<int64_t> out;
  for (int64_t k = 0, e = numel(); k < e; ++k)
    out.push_back(getI(k));
  return out;
}
