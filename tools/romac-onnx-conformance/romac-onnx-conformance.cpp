//===- romac-onnx-conformance.cpp - ONNX backend node tests ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs the importer over ONNX's backend node tests (Debian's
// libonnx-testdata): every test whose ops the importer supports must import,
// verify, and produce result types that match the element types and shapes
// of its test_data_set_0/output_*.pb. Prints "imported N / M" per op type,
// lists every unsupported test, and fails when a test listed in the
// baseline file does not pass.
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <map>
#include <set>

using namespace mlir;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

static llvm::cl::opt<std::string> clDir(llvm::cl::Positional,
                                        llvm::cl::desc("<node test folder>"),
                                        llvm::cl::Required);
static llvm::cl::opt<std::string>
    clBaseline("baseline",
               llvm::cl::desc("File listing the tests that must pass"),
               llvm::cl::init(""));
static llvm::cl::opt<bool>
    clWriteBaseline("write-baseline",
                    llvm::cl::desc("Rewrite the baseline with the tests that "
                                   "pass now"),
                    llvm::cl::init(false));
static llvm::cl::opt<bool> clVerbose("v", llvm::cl::desc("Print every test"),
                                     llvm::cl::init(false));

namespace {

struct TestResult {
  std::string name;
  std::vector<std::string> ops;
  bool supported = true;
  bool passed = false;
  std::string message;
};

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

TestResult runTest(llvm::StringRef dir) {
  TestResult r;
  r.name = path::filename(dir).str();
  std::string modelPath = (dir + "/model.onnx").str();
  onnx::ModelProto model;
  if (!readProto(modelPath, model)) {
    r.supported = false;
    r.message = "cannot read model.onnx";
    return r;
  }
  std::set<std::string> ops;
  for (const auto &node : model.graph().node()) {
    std::string op = node.domain().empty() || node.domain() == "ai.onnx"
                         ? node.op_type()
                         : node.domain() + "." + node.op_type();
    ops.insert(op);
    if (!romac::isOnnxOpSupported(op))
      r.supported = false;
  }
  r.ops.assign(ops.begin(), ops.end());
  if (!r.supported)
    return r;

  // Bind input shapes from the test's own inputs. Node tests feed shape
  // operands (Reshape's shape, Resize's sizes) as inputs: when the import
  // needs them at import time, retry with the integer inputs frozen to the
  // test's values, then with every input but the first frozen, then all.
  std::string dataDir = (dir + "/test_data_set_0").str();
  llvm::StringSet<> initNames;
  for (const auto &init : model.graph().initializer())
    initNames.insert(init.name());
  struct Input {
    std::string name, file;
    int32_t type;
    llvm::SmallVector<int64_t> shape;
  };
  std::vector<Input> inputs;
  int inputIndex = 0;
  for (const auto &in : model.graph().input()) {
    if (initNames.contains(in.name()))
      continue;
    onnx::TensorProto t;
    std::string file = dataDir + "/input_" + std::to_string(inputIndex++) + ".pb";
    if (!readProto(file, t))
      continue;
    inputs.push_back({in.name(), file, t.data_type(),
                      llvm::SmallVector<int64_t>(t.dims().begin(), t.dims().end())});
  }

  DialectRegistry registry;
  romac::registerRomacDialects(registry);
  MLIRContext ctx(registry);
  std::string diag;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (diag.empty())
      diag = d.str();
    return success();
  });
  OwningOpRef<ModuleOp> module;
  for (int attempt = 0; attempt < 4 && !module; ++attempt) {
    romac::OnnxImportOptions options;
    for (auto [k, in] : llvm::enumerate(inputs)) {
      bool isInt = in.type == onnx::TensorProto::INT64 ||
                   in.type == onnx::TensorProto::INT32;
      if ((attempt == 1 && isInt) || (attempt == 2 && k > 0) || attempt == 3)
        options.frozenInputs[in.name] = in.file;
      else
        options.shapes[in.name] = in.shape;
    }
    diag.clear();
    module = romac::importOnnxFile(modelPath, ctx, options);
    if (!module &&
        llvm::StringRef(diag).find("known at import time") == llvm::StringRef::npos)
      break;
    if (module && attempt > 0)
      r.message = "with frozen shape inputs";
  }
  if (!module) {
    r.message = diag.empty() ? "import failed" : diag;
    return r;
  }
  if (failed(verify(*module))) {
    r.message = "does not verify: " + diag;
    return r;
  }
  auto func = *module->getOps<func::FuncOp>().begin();
  auto results = func.getFunctionType().getResults();
  for (size_t k = 0; k < results.size(); ++k) {
    onnx::TensorProto t;
    std::string file = dataDir + "/output_" + std::to_string(k) + ".pb";
    if (!readProto(file, t)) {
      r.message = "missing " + file;
      return r;
    }
    llvm::SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
    auto type = cast<RankedTensorType>(results[k]);
    Type want = romac::onnxElementType(&ctx, t.data_type());
    if (type.getShape() != llvm::ArrayRef<int64_t>(shape) ||
        type.getElementType() != want) {
      r.message = "result " + std::to_string(k) + " is " +
                  describe(type.getShape(), type.getElementType()) +
                  ", expected " + describe(shape, want);
      return r;
    }
  }
  r.passed = true;
  return r;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "romac ONNX importer conformance on ONNX backend node tests\n");

  std::vector<std::string> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(clDir, ec), end; it != end && !ec;
       it.increment(ec))
    if (fs::exists(it->path() + "/model.onnx"))
      dirs.push_back(it->path());
  if (ec || dirs.empty()) {
    llvm::errs() << "romac-onnx-conformance: error: no node tests under '"
                 << clDir << "'\n";
    return 2;
  }
  llvm::sort(dirs);

  std::map<std::string, std::pair<int, int>> perOp; // op -> (passed, tried)
  std::vector<TestResult> results;
  for (const std::string &d : dirs) {
    TestResult r = runTest(d);
    if (r.supported)
      for (const std::string &op : r.ops) {
        auto &[passed, tried] = perOp[op];
        ++tried;
        passed += r.passed;
      }
    if (clVerbose)
      llvm::outs() << (r.supported ? (r.passed ? "PASS " : "FAIL ") : "SKIP ")
                   << r.name << (r.message.empty() ? "" : ": ") << r.message
                   << "\n";
    results.push_back(std::move(r));
  }

  int supported = 0, passed = 0;
  for (const TestResult &r : results) {
    supported += r.supported;
    passed += r.passed;
  }
  llvm::outs() << "== per op: imported N / M supported tests ==\n";
  for (const auto &[op, counts] : perOp)
    llvm::outs() << "  " << op << ": imported " << counts.first << " / "
                 << counts.second << "\n";
  llvm::outs() << "== failing supported tests ==\n";
  for (const TestResult &r : results)
    if (r.supported && !r.passed)
      llvm::outs() << "  " << r.name << ": " << r.message << "\n";
  llvm::outs() << "== unsupported tests (an op is not supported) ==\n";
  for (const TestResult &r : results)
    if (!r.supported) {
      llvm::outs() << "  " << r.name << ":";
      for (const std::string &op : r.ops)
        if (!romac::isOnnxOpSupported(op))
          llvm::outs() << " " << op;
      llvm::outs() << "\n";
    }
  llvm::outs() << "imported " << passed << " / " << supported
               << " supported tests (" << results.size() << " tests in all)\n";

  if (clBaseline.empty())
    return 0;
  if (clWriteBaseline) {
    std::error_code wec;
    llvm::raw_fd_ostream os(clBaseline, wec);
    if (wec) {
      llvm::errs() << "romac-onnx-conformance: error: cannot write '"
                   << clBaseline << "': " << wec.message() << "\n";
      return 2;
    }
    os << "# ONNX backend node tests that romac's importer must pass.\n"
          "# Regenerate with romac-onnx-conformance --write-baseline.\n";
    for (const TestResult &r : results)
      if (r.passed)
        os << r.name << "\n";
    return 0;
  }
  auto buf = llvm::MemoryBuffer::getFile(clBaseline);
  if (!buf) {
    llvm::errs() << "romac-onnx-conformance: error: cannot read baseline '"
                 << clBaseline << "'\n";
    return 2;
  }
  std::map<std::string, const TestResult *> byName;
  for (const TestResult &r : results)
    byName[r.name] = &r;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buf)->getBuffer().split(lines, '\n');
  int regressions = 0, expected = 0;
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    ++expected;
    auto it = byName.find(line.str());
    if (it == byName.end() || !it->second->passed) {
      ++regressions;
      llvm::outs() << "REGRESSION: " << line << ": "
                   << (it == byName.end() ? "test not found"
                                          : it->second->message)
                   << "\n";
    }
  }
  llvm::outs() << "baseline: " << (expected - regressions) << " / " << expected
               << " still pass\n";
  return regressions ? 1 : 0;
}
