//===- Import.cpp - import one ONNX backend node test -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads a node test's model.onnx (its ops, its inputs and their data files)
// and imports it with the shapes of its test data, checking that the result
// types are those of test_data_set_0/output_K.pb.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include "romac/Import/ONNX.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <set>

using namespace mlir;
using namespace romac::conformance;

namespace {

bool readProto(llvm::StringRef file, google::protobuf::MessageLite &msg) {
  auto buf = llvm::MemoryBuffer::getFile(file);
  if (!buf)
    return false;
  return msg.ParseFromArray((*buf)->getBufferStart(),
                            static_cast<int>((*buf)->getBufferSize()));
}

std::string describe(llvm::ArrayRef<int64_t> shape, Type elem) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "tensor<";
  for (int64_t d : shape)
    os << d << "x";
  os << elem << ">";
  return s;
}

/// Checks the result types of `module`'s function against the reference
/// outputs; "" when they match.
std::string checkResultTypes(ModuleOp module, llvm::StringRef dataDir) {
  auto func = *module.getOps<func::FuncOp>().begin();
  auto results = func.getFunctionType().getResults();
  for (size_t k = 0; k < results.size(); ++k) {
    onnx::TensorProto t;
    std::string file = (dataDir + "/output_" + llvm::Twine(k) + ".pb").str();
    if (!readProto(file, t))
      return "missing " + file;
    llvm::SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
    auto type = cast<RankedTensorType>(results[k]);
    Type want = romac::onnxElementType(module.getContext(), t.data_type());
    // ONNX stores bfloat16 test data as uint16 (NumPy has no bfloat16).
    if (t.data_type() == onnx::TensorProto::UINT16 &&
        type.getElementType().isBF16())
      want = type.getElementType();
    if (type.getShape() != llvm::ArrayRef<int64_t>(shape) ||
        type.getElementType() != want)
      return "result " + std::to_string(k) + " is " +
             describe(type.getShape(), type.getElementType()) + ", expected " +
             describe(shape, want);
  }
  return "";
}

} // namespace

NodeTest romac::conformance::loadNodeTest(llvm::StringRef dir) {
  NodeTest test;
  test.dir = dir.str();
  test.name = llvm::sys::path::filename(dir).str();
  onnx::ModelProto model;
  if (!readProto(dir.str() + "/model.onnx", model)) {
    test.error = "cannot read model.onnx";
    return test;
  }
  std::set<std::string> ops;
  test.supported = true;
  for (const auto &node : model.graph().node()) {
    std::string op = node.domain().empty() || node.domain() == "ai.onnx"
                         ? node.op_type()
                         : node.domain() + "." + node.op_type();
    ops.insert(op);
    if (!romac::isOnnxOpSupported(op))
      test.supported = false;
  }
  test.ops.assign(ops.begin(), ops.end());

  // input_K.pb feeds the K-th graph input that is not an initializer (the
  // TensorProto names in these files are often empty).
  std::string dataDir = dir.str() + "/test_data_set_0";
  llvm::StringSet<> initNames;
  for (const auto &init : model.graph().initializer())
    initNames.insert(init.name());
  int inputIndex = 0;
  for (const auto &in : model.graph().input()) {
    if (initNames.contains(in.name()))
      continue;
    onnx::TensorProto t;
    std::string file =
        dataDir + "/input_" + std::to_string(inputIndex++) + ".pb";
    if (!readProto(file, t))
      continue;
    test.inputs.push_back(
        {in.name(), file, t.data_type(),
         llvm::SmallVector<int64_t>(t.dims().begin(), t.dims().end())});
  }
  return test;
}

OwningOpRef<ModuleOp> romac::conformance::importNodeTest(const NodeTest &test,
                                                         MLIRContext &ctx,
                                                         ImportResult &result) {
  result = ImportResult();
  if (!test.error.empty()) {
    result.message = test.error;
    return nullptr;
  }
  std::string diag;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (diag.empty())
      diag = d.str();
    return success();
  });
  // Bind input shapes from the test's own inputs. Node tests feed shape
  // operands (Reshape's shape, Resize's sizes) as inputs: when the import
  // needs them at import time, retry with the integer inputs frozen to the
  // test's values, then with every input but the first frozen, then all.
  OwningOpRef<ModuleOp> module;
  std::string modelPath = test.dir + "/model.onnx";
  for (int attempt = 0; attempt < 4 && !module; ++attempt) {
    romac::OnnxImportOptions options;
    for (auto [k, in] : llvm::enumerate(test.inputs)) {
      bool isInt = in.dataType == onnx::TensorProto::INT64 ||
                   in.dataType == onnx::TensorProto::INT32;
      if ((attempt == 1 && isInt) || (attempt == 2 && k > 0) || attempt == 3)
        options.frozenInputs[in.name] = in.file;
      else
        options.shapes[in.name] = in.shape;
    }
    diag.clear();
    module = romac::importOnnxFile(modelPath, ctx, options);
    if (!module && llvm::StringRef(diag).find("known at import time") ==
                       llvm::StringRef::npos)
      break;
    if (module && attempt > 0)
      result.message = "with frozen shape inputs";
  }
  if (!module) {
    result.message = diag.empty() ? "import failed" : diag;
    return nullptr;
  }
  if (failed(verify(*module))) {
    result.message = "does not verify: " + diag;
    return nullptr;
  }
  std::string mismatch =
      checkResultTypes(*module, test.dir + "/test_data_set_0");
  if (!mismatch.empty()) {
    result.message = mismatch;
    return nullptr;
  }
  result.passed = true;
  return module;
}
