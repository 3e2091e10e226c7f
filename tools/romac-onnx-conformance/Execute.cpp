//===- Execute.cpp - run one ONNX backend node test -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles an imported node test with romac's runtime (Executable: the
// romac-codegen-pipeline and the JIT), feeds it test_data_set_0/input_K.pb
// and compares every output with output_K.pb: floats within rtol 1e-4 /
// atol 1e-5 (wider for half precision and for the ops of the tolerance
// table), integers and bools exactly.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include "romac/InitRomac.h"
#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Tensor.h"
#include "romac/Support/Error.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

using namespace mlir;
using namespace romac::conformance;
using romac::ElementType;
using romac::Executable;
using romac::Tensor;
using romac::TensorSpec;

namespace {

/// Tests with a wider float tolerance; an output's tolerance is the widest
/// of the default and every entry that matches the test.
constexpr TestTolerance kTestTolerances[] = {
    {"^test_(blackman|hamming|hann)window",
     {1e-4, 2e-4},
     "ONNX computes these references with pi = 3.1415 "
     "(onnx/backend/test/case/node/*window.py): up to 1.2e-4 from the exact "
     "window"},
};

constexpr KnownMismatch kKnownMismatches[] = {
    {"^test_training_dropout",
     "training-mode Dropout draws its mask at random; the reference is "
     "NumPy's draw"},
};

/// The default tolerance of outputs of \p type: rtol 1e-4 / atol 1e-5 for
/// fp32 and fp64, what the format holds for fp16 and bf16, exact for
/// integers and bools.
Tolerance getTypeTolerance(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::F64:
    return {1e-4, 1e-5};
  case ElementType::F16:
    return {1e-3, 1e-3};
  case ElementType::BF16:
    return {1e-2, 1e-2};
  default:
    return {0, 0};
  }
}

/// The tolerance of an output of \p type of \p test.
Tolerance getTolerance(const NodeTest &test, ElementType type) {
  Tolerance t = getTypeTolerance(type);
  if (!romac::isFloatElementType(type))
    return t;
  for (const TestTolerance &entry : kTestTolerances)
    if (llvm::Regex(entry.pattern).match(test.name)) {
      t.rtol = std::max(t.rtol, entry.tolerance.rtol);
      t.atol = std::max(t.atol, entry.tolerance.atol);
    }
  return t;
}

/// The first line of \p text.
std::string firstLine(llvm::StringRef text) {
  return text.split('\n').first.rtrim().str();
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Whether a test file of type \p file holds what the compiled model's
/// buffer of type \p spec holds: the same type, or the same bits under
/// another name. The importer makes ONNX's unsigned integers signless, which
/// the runtime calls signed (uint8 is int8 to it), and ONNX's generator
/// stores bfloat16 test data as uint16 (NumPy has no bfloat16).
bool holdsSameBits(ElementType file, ElementType spec) {
  switch (file) {
  case ElementType::U8:
    return spec == ElementType::I8;
  case ElementType::U16:
    return spec == ElementType::I16 || spec == ElementType::BF16;
  case ElementType::U32:
    return spec == ElementType::I32;
  case ElementType::U64:
    return spec == ElementType::I64;
  default:
    return file == spec;
  }
}

/// \p t with its bytes relabelled as \p type (of the same size).
Tensor relabel(const Tensor &t, ElementType type) {
  Tensor copy(type, t.getShape());
  std::memcpy(copy.data(), t.data(), t.getNumBytes());
  return copy;
}

/// Reads the test's input files for the compiled model's inputs: by ONNX
/// name, or by position when the names do not fit (inputs frozen at import
/// time are not inputs of the compiled model).
llvm::Expected<std::vector<Tensor>> bindInputs(const NodeTest &test,
                                               const Executable &exe) {
  std::vector<Tensor> bound;
  llvm::ArrayRef<TensorSpec> specs = exe.getInputs();
  for (auto [i, spec] : llvm::enumerate(specs)) {
    const TestInput *in = nullptr;
    for (const TestInput &candidate : test.inputs)
      if (candidate.name == spec.name)
        in = &candidate;
    if (!in && specs.size() == test.inputs.size())
      in = &test.inputs[i];
    if (!in)
      return romac::makeStringError("input '" + spec.name +
                                    "' has no input_K.pb");
    llvm::Expected<Tensor> t = romac::readTensorFile(in->file);
    if (!t)
      return t.takeError();
    if (!holdsSameBits(t->getElementType(), spec.type) ||
        t->getShape() != llvm::ArrayRef<int64_t>(spec.shape))
      return romac::makeStringError(
          "input '" + spec.name + "' is " + t->getTypeString() +
          " but the compiled model expects " + spec.str());
    bound.push_back(std::move(*t));
  }
  return bound;
}

/// Compares every output with output_K.pb; "" when all match, else one
/// "output K 'name': ..." clause per output that does not.
llvm::Expected<std::string> compareOutputs(const NodeTest &test,
                                           const Executable &exe,
                                           llvm::ArrayRef<Tensor> outputs) {
  std::string mismatches;
  for (auto [k, spec] : llvm::enumerate(exe.getOutputs())) {
    std::string file =
        test.dir + "/test_data_set_0/output_" + std::to_string(k) + ".pb";
    llvm::Expected<Tensor> ref = romac::readTensorFile(file);
    if (!ref)
      return ref.takeError();
    // Compare in the reference's type (unsigned integers compare as such),
    // except for bfloat16 stored as uint16.
    Tensor got, want;
    const Tensor *gotPtr = &outputs[k], *wantPtr = &*ref;
    if (ref->getElementType() != spec.type &&
        holdsSameBits(ref->getElementType(), spec.type)) {
      if (spec.type == ElementType::BF16) {
        want = relabel(*ref, spec.type);
        wantPtr = &want;
      } else {
        got = relabel(outputs[k], ref->getElementType());
        gotPtr = &got;
      }
    }
    Tolerance tol = getTolerance(test, gotPtr->getElementType());
    std::string clause;
    llvm::Expected<romac::TensorDiff> diff =
        romac::compareTensors(*gotPtr, *wantPtr, tol.rtol, tol.atol);
    if (!diff)
      clause = llvm::toString(diff.takeError());
    else if (diff->mismatches)
      clause = llvm::formatv(
          "max abs error {0:e2}, max rel error {1:e2}, {2} of {3} outside "
          "rtol {4:e0} atol {5:e0} (first at {6})",
          diff->maxAbsError, diff->maxRelError, diff->mismatches,
          spec.getNumElements(), tol.rtol, tol.atol, diff->firstMismatch);
    if (clause.empty())
      continue;
    if (!mismatches.empty())
      mismatches += "; ";
    mismatches +=
        "output " + std::to_string(k) + " '" + spec.name + "': " + clause;
  }
  return mismatches;
}

} // namespace

llvm::ArrayRef<TestTolerance> romac::conformance::getTestTolerances() {
  return kTestTolerances;
}

llvm::ArrayRef<KnownMismatch> romac::conformance::getKnownMismatches() {
  return kKnownMismatches;
}

llvm::StringRef
romac::conformance::getKnownMismatchReason(llvm::StringRef testName) {
  for (const KnownMismatch &entry : kKnownMismatches)
    if (llvm::Regex(entry.pattern).match(testName))
      return entry.why;
  return "";
}

ExecResult romac::conformance::executeNodeTest(
    const NodeTest &test, ModuleOp module, const ExecOptions &options,
    llvm::function_ref<void(ExecPhase)> onPhase) {
  ExecResult result;
  onPhase(ExecPhase::Compile);
  auto start = std::chrono::steady_clock::now();
  romac::ExecutableOptions exeOptions;
  exeOptions.optLevel = options.optLevel;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      Executable::compile(module, exeOptions);
  result.compileSeconds = secondsSince(start);
  if (!exe) {
    result.status = ExecStatus::CompileFailed;
    std::string text = llvm::toString(exe.takeError());
    // "code generation failed\n  node 'x': error": the node's line says why.
    llvm::StringRef first = llvm::StringRef(text).split('\n').first;
    llvm::StringRef rest = llvm::StringRef(text).split('\n').second.trim();
    result.message =
        firstLine(first) + (rest.empty() ? "" : ": " + firstLine(rest));
    return result;
  }
  onPhase(ExecPhase::Run);
  if (!options.crashPattern.empty() &&
      llvm::Regex(options.crashPattern).match(test.name))
    std::raise(SIGSEGV);
  if (!options.hangPattern.empty() &&
      llvm::Regex(options.hangPattern).match(test.name))
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  result.status = ExecStatus::RunFailed;
  llvm::Expected<std::vector<Tensor>> inputs = bindInputs(test, **exe);
  if (!inputs) {
    result.message = firstLine(llvm::toString(inputs.takeError()));
    return result;
  }
  std::vector<Tensor> outputs;
  for (const TensorSpec &spec : (*exe)->getOutputs())
    outputs.emplace_back(spec.type, spec.shape);
  std::vector<const void *> in;
  for (const Tensor &t : *inputs)
    in.push_back(t.data());
  std::vector<void *> out;
  for (Tensor &t : outputs)
    out.push_back(t.data());
  start = std::chrono::steady_clock::now();
  if (llvm::Error e = (*exe)->run(in, out)) {
    result.message = firstLine(llvm::toString(std::move(e)));
    return result;
  }
  result.runSeconds = secondsSince(start);
  llvm::Expected<std::string> mismatches = compareOutputs(test, **exe, outputs);
  if (!mismatches) {
    result.message = firstLine(llvm::toString(mismatches.takeError()));
    return result;
  }
  result.message = *mismatches;
  result.status =
      mismatches->empty() ? ExecStatus::Matched : ExecStatus::Mismatch;
  return result;
}

TestOutcome romac::conformance::importAndExecute(
    const NodeTest &test, const ExecOptions &options,
    llvm::function_ref<void(ExecPhase)> onPhase) {
  TestOutcome outcome;
  onPhase(ExecPhase::Import);
  DialectRegistry registry;
  romac::registerRomacDialects(registry);
  MLIRContext ctx(registry);
  ctx.disableMultithreading();
  OwningOpRef<ModuleOp> module = importNodeTest(test, ctx, outcome.import);
  if (!module)
    return outcome;
  outcome.exec = executeNodeTest(test, *module, options, onPhase);
  return outcome;
}
