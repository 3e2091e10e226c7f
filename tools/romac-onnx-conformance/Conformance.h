//===- Conformance.h - ONNX backend node tests ------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The pieces of romac-onnx-conformance: one ONNX backend node test
// (model.onnx + test_data_set_0/{input,output}_K.pb) imported and checked
// against the types of its reference outputs (Import.cpp), then compiled
// for this CPU, run on its inputs and compared with its reference outputs
// (Execute.cpp), each test in a child process (Isolate.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_ROMAC_ONNX_CONFORMANCE_CONFORMANCE_H
#define TOOLS_ROMAC_ONNX_CONFORMANCE_CONFORMANCE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace romac::conformance {

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

/// One graph input of a node test that is not an initializer, and the file
/// of test_data_set_0 that feeds it (input_K.pb for the K-th such input).
struct TestInput {
  std::string name, file;
  /// The TensorProto data type of the file.
  int32_t dataType = 0;
  llvm::SmallVector<int64_t> shape;
};

/// A node test as its model.onnx describes it (no MLIR involved).
struct NodeTest {
  /// "test_abs"
  std::string name;
  /// The test's folder.
  std::string dir;
  /// The op types of its nodes, sorted and unique ("Abs", "com.microsoft.X").
  std::vector<std::string> ops;
  /// Whether the importer supports every op.
  bool supported = false;
  /// The inputs fed from test_data_set_0, in graph order.
  std::vector<TestInput> inputs;
  /// Why the test could not be read ("" when it could).
  std::string error;
};

/// Reads the model.onnx and the input files of the node test in \p dir.
NodeTest loadNodeTest(llvm::StringRef dir);

/// The outcome of importing a supported node test.
struct ImportResult {
  /// Imported, verified, and its result types are those of the reference
  /// outputs.
  bool passed = false;
  /// Why it failed, or a note on how it passed ("with frozen shape inputs").
  std::string message;
};

/// Imports \p test into \p ctx and checks its result types against
/// test_data_set_0/output_K.pb. Returns the module when the import passed.
mlir::OwningOpRef<mlir::ModuleOp> importNodeTest(const NodeTest &test,
                                                 mlir::MLIRContext &ctx,
                                                 ImportResult &result);

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

/// How an imported node test fared when executed.
enum class ExecStatus {
  /// The import failed: the test is not executed.
  NotImported,
  /// Every output matches its reference within tolerance.
  Matched,
  /// It ran, and an output differs from its reference.
  Mismatch,
  /// Code generation or JIT compilation failed (or crashed).
  CompileFailed,
  /// It compiled, but could not be run: input binding, reference files, a
  /// crash or a timeout while running.
  RunFailed,
};

/// The tolerance of one comparison: |got - expected| <= atol + rtol *
/// |expected|.
struct Tolerance {
  double rtol = 0;
  double atol = 0;
};

/// A wider float tolerance for the tests whose name matches a pattern: ops
/// whose kernels approximate, or references ONNX computed inexactly. The
/// table is printed by the tool and documented in docs/conformance.md.
struct TestTolerance {
  /// An llvm::Regex over the test's name.
  const char *pattern;
  Tolerance tolerance;
  const char *why;
};

/// The tests with a wider float tolerance than the default.
llvm::ArrayRef<TestTolerance> getTestTolerances();

/// Tests that cannot match, with the reason: they stay mismatches (listed,
/// never skipped), and the reason is printed next to them.
struct KnownMismatch {
  /// An llvm::Regex over the test's name.
  const char *pattern;
  const char *why;
};

llvm::ArrayRef<KnownMismatch> getKnownMismatches();

/// The reason \p testName is known not to match, or "".
llvm::StringRef getKnownMismatchReason(llvm::StringRef testName);

struct ExecOptions {
  /// LLVM optimization level of the generated code (0-3).
  unsigned optLevel = 3;
  /// Tests (an llvm::Regex over the name; "" for none) that raise SIGSEGV or
  /// hang when they start to run: the tool's own tests of its isolation.
  std::string crashPattern, hangPattern;
};

/// The outcome of executing one node test.
struct ExecResult {
  ExecStatus status = ExecStatus::NotImported;
  /// The first line of the error, or the error of every output that does
  /// not match ("output 0 'y': max abs error ...").
  std::string message;
  /// Seconds spent compiling and running (0 when not reached).
  double compileSeconds = 0, runSeconds = 0;
};

/// Phases of an execution, reported to the parent so that a crash can be
/// attributed.
enum class ExecPhase { Import, Compile, Run };

/// Compiles \p module (imported from \p test) for this CPU, runs it on the
/// test's inputs and compares its outputs with output_K.pb. Never aborts:
/// every failure is a status and a message. \p onPhase is told when a phase
/// starts.
ExecResult executeNodeTest(const NodeTest &test, mlir::ModuleOp module,
                           const ExecOptions &options,
                           llvm::function_ref<void(ExecPhase)> onPhase);

/// Import and execution of one test together.
struct TestOutcome {
  ImportResult import;
  ExecResult exec;
};

/// Imports and executes \p test in this process.
TestOutcome importAndExecute(const NodeTest &test, const ExecOptions &options,
                             llvm::function_ref<void(ExecPhase)> onPhase);

/// Imports and executes every test of \p tests, each in a forked child so
/// that a crash or a hang of the generated code is one failed test: at most
/// \p jobs children at once, each killed after \p timeoutSeconds.
/// \p onDone is called as each test finishes, with its index in \p tests.
void runIsolated(llvm::ArrayRef<NodeTest> tests, const ExecOptions &options,
                 unsigned jobs, unsigned timeoutSeconds,
                 llvm::function_ref<void(size_t, TestOutcome)> onDone);

} // namespace romac::conformance

#endif // TOOLS_ROMAC_ONNX_CONFORMANCE_CONFORMANCE_H
