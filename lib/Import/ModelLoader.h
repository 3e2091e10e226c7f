//===- ModelLoader.h - parse and shape-infer ONNX models --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The part of the importer that talks to protobuf and to ONNX's own shape
// inference. Both report errors by throwing, so ModelLoader.cpp is the one
// translation unit of the importer compiled with exceptions; nothing thrown
// leaves it.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_IMPORT_MODELLOADER_H
#define ROMAC_LIB_IMPORT_MODELLOADER_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace romac::onnximport {

/// The encodings the importer reads.
enum class ModelEncoding { Binary, Json, ProtoText, OnnxText };

/// Guesses the encoding of `bytes` from its first significant characters.
ModelEncoding detectEncoding(llvm::StringRef bytes);

/// Parses `bytes` (any encoding) into `model`. On failure returns false and
/// sets `error` to a one-line description (without the file name).
bool parseModel(llvm::StringRef bytes, onnx::ModelProto &model,
                std::string &error);

/// Checks each default-domain node of `model` against its ONNX schema at
/// `opset` (input and output counts, attribute types) and checks the
/// attributes ONNX's shape inference divides by or sizes with (strides,
/// dilations, kernel_shape, group, blocksize must be positive; conv and pool
/// pads non-negative), since libonnx crashes on some of them. On failure sets
/// `nodeIndex` and `error`.
bool verifyNodes(const onnx::ModelProto &model, int64_t opset, int &nodeIndex,
                 std::string &error);

/// Runs ONNX shape inference over `model`, in place: with data propagation
/// (shape values computed through Shape -> Gather -> Mul -> Reshape chains)
/// unless `dataPropagation` is false.
bool inferShapes(onnx::ModelProto &model, std::string &error,
                 bool dataPropagation = true);

} // namespace romac::onnximport

#endif // ROMAC_LIB_IMPORT_MODELLOADER_H
