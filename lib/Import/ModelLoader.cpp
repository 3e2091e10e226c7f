//===- ModelLoader.cpp - parse and shape-infer ONNX models -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions: protobuf's JSON parser and ONNX's parser and
// shape inference may throw. Every exception is caught here and turned into a
// message.
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include "llvm/ADT/STLExtras.h"

#include <cctype>
#include <exception>
#include <limits>

using namespace romac::onnximport;

namespace {

/// Collects the first protobuf text-format error with its line and column.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
public:
  void AddError(int line, int column, const std::string &message) override {
    if (error.empty())
      error = "line " + std::to_string(line + 1) + ", column " +
              std::to_string(column + 1) + ": " + message;
  }
  std::string error;
};

/// Skips whitespace, a UTF-8 byte-order mark and `#` comment lines.
llvm::StringRef skipInsignificant(llvm::StringRef text) {
  if (text.starts_with("\xEF\xBB\xBF"))
    text = text.drop_front(3);
  while (true) {
    text = text.ltrim();
    if (!text.starts_with("#"))
      return text;
    size_t eol = text.find('\n');
    text = eol == llvm::StringRef::npos ? llvm::StringRef() : text.substr(eol);
  }
}

bool looksLikeText(llvm::StringRef bytes) {
  llvm::StringRef head = bytes.take_front(4096);
  if (head.empty())
    return false;
  for (unsigned char c : head)
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t'))
      return false;
  return true;
}

} // namespace

ModelEncoding romac::onnximport::detectEncoding(llvm::StringRef bytes) {
  if (!looksLikeText(bytes))
    return ModelEncoding::Binary;
  llvm::StringRef text = skipInsignificant(bytes);
  if (text.starts_with("{"))
    return ModelEncoding::Json;
  if (text.starts_with("<"))
    return ModelEncoding::OnnxText;
  // Protobuf text format starts with `field:` or `field {`; the ONNX syntax
  // without a model header starts with a graph name and `(`.
  size_t end = 0;
  while (end < text.size() && (std::isalnum((unsigned char)text[end]) ||
                               text[end] == '_'))
    ++end;
  llvm::StringRef rest = text.drop_front(end).ltrim();
  if (end > 0 && (rest.starts_with(":") || rest.starts_with("{")))
    return ModelEncoding::ProtoText;
  return ModelEncoding::OnnxText;
}

bool romac::onnximport::parseModel(llvm::StringRef bytes,
                                   onnx::ModelProto &model,
                                   std::string &error) {
  try {
    switch (detectEncoding(bytes)) {
    case ModelEncoding::Binary: {
      if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        error = "model file is larger than 2 GiB; store the weights as ONNX "
                "external data";
        return false;
      }
      if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        error = "not a valid ONNX protobuf (the file is truncated, corrupt or "
                "not an ONNX model)";
        return false;
      }
      return true;
    }
    case ModelEncoding::Json: {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      auto status = google::protobuf::util::JsonStringToMessage(
          std::string(bytes), &model, options);
      if (!status.ok()) {
        error = "invalid ONNX JSON: " + std::string(status.message());
        return false;
      }
      return true;
    }
    case ModelEncoding::ProtoText: {
      google::protobuf::TextFormat::Parser parser;
      FirstErrorCollector collector;
      parser.RecordErrorsTo(&collector);
      if (!parser.ParseFromString(std::string(bytes), &model)) {
        error = "invalid ONNX protobuf text: " + collector.error;
        return false;
      }
      return true;
    }
    case ModelEncoding::OnnxText: {
      std::string text(bytes);
      auto status = onnx::OnnxParser::Parse(model, text.c_str());
      if (!status.IsOK()) {
        error = "invalid ONNX text syntax: " + status.ErrorMessage();
        // ONNX's parser spreads its message over lines: keep one line.
        for (char &c : error)
          if (c == '\n')
            c = ' ';
        return false;
      }
      return true;
    }
    }
  } catch (const std::exception &e) {
    error = std::string("cannot parse the model: ") + e.what();
    return false;
  }
  error = "unknown model encoding";
  return false;
}

bool romac::onnximport::verifyNodes(const onnx::ModelProto &model,
                                    int64_t opset, int &nodeIndex,
                                    std::string &error) {
  const auto &graph = model.graph();
  for (int n = 0; n < graph.node_size(); ++n) {
    const onnx::NodeProto &node = graph.node(n);
    nodeIndex = n;
    const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
        node.op_type(), static_cast<int>(opset), node.domain());
    if (!schema) {
      error = "ONNX has no schema for this op at opset " +
              std::to_string(opset);
      return false;
    }
    try {
      schema->Verify(node);
    } catch (const std::exception &e) {
      error = e.what();
      for (char &c : error)
        if (c == '\n')
          c = ' ';
      return false;
    }
    llvm::StringRef op = node.op_type();
    bool convOrPool = op.contains("Conv") || op.contains("Pool");
    for (const onnx::AttributeProto &a : node.attribute()) {
      llvm::StringRef name = a.name();
      bool positive = name == "strides" || name == "dilations" ||
                      name == "kernel_shape" || name == "blocksize" ||
                      name == "group";
      bool nonNegative = convOrPool && name == "pads";
      if (!positive && !nonNegative)
        continue;
      auto bad = [&](int64_t v) { return positive ? v <= 0 : v < 0; };
      bool wrong = a.type() == onnx::AttributeProto::INT
                       ? bad(a.i())
                       : llvm::any_of(a.ints(), bad);
      if (wrong) {
        error = "attribute '" + a.name() + "' must be " +
                (positive ? "positive" : "non-negative");
        return false;
      }
    }
  }
  return true;
}

bool romac::onnximport::inferShapes(onnx::ModelProto &model,
                                    std::string &error, bool dataPropagation) {
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false,
                                        /*error_mode=*/1,
                                        dataPropagation);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), options);
    return true;
  } catch (const std::exception &e) {
    std::string what = e.what();
    // ONNX's messages may span lines; keep the message to one line.
    for (char &c : what)
      if (c == '\n')
        c = ' ';
    error = "ONNX shape inference failed: " + what;
    return false;
  }
}
