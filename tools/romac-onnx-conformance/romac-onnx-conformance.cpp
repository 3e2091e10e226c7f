//===- romac-onnx-conformance.cpp - ONNX backend node tests ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs romac over ONNX's backend node tests (Debian's libonnx-testdata).
//
// Import (the default): every test whose ops the importer supports must
// import, verify, and produce result types that match the element types and
// shapes of its test_data_set_0/output_*.pb. Prints "imported N / M" per op
// type, lists every unsupported test, and fails when a test listed in the
// baseline file does not pass.
//
// Execution (--execute): every test that imports is also compiled for this
// CPU, run on its input_*.pb and compared with its output_*.pb, each in a
// child process. Prints "executed N / M, matched K" per op type, lists every
// mismatch, compilation failure and run failure, and fails when a test
// listed in the execution baseline no longer matches.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Runtime/Tensor.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;
using namespace romac::conformance;
namespace fs = llvm::sys::fs;

static llvm::cl::opt<std::string> clDir(llvm::cl::Positional,
                                        llvm::cl::desc("<node test folder>"),
                                        llvm::cl::Required);
static llvm::cl::opt<std::string>
    clBaseline("baseline",
               llvm::cl::desc("File listing the tests that must import"),
               llvm::cl::init(""));
static llvm::cl::opt<bool> clExecute(
    "execute",
    llvm::cl::desc("Also compile, run and compare every test that imports"),
    llvm::cl::init(false));
static llvm::cl::opt<std::string> clBaselineExec(
    "baseline-exec",
    llvm::cl::desc("File listing the tests that must run and match "
                   "(with --execute)"),
    llvm::cl::init(""));
static llvm::cl::opt<bool>
    clWriteBaseline("write-baseline",
                    llvm::cl::desc("Rewrite the baselines with the tests that "
                                   "pass now"),
                    llvm::cl::init(false));
static llvm::cl::opt<std::string>
    clFilter("filter", llvm::cl::desc("Only the tests whose name matches"),
             llvm::cl::init(""));
static llvm::cl::opt<unsigned>
    clJobs("j", llvm::cl::desc("Tests executed at once (--execute)"),
           llvm::cl::init(1));
static llvm::cl::opt<unsigned> clTimeout(
    "timeout",
    llvm::cl::desc("Seconds one test may take to execute (--execute)"),
    llvm::cl::init(60));
static llvm::cl::opt<bool> clNoFork(
    "no-fork",
    llvm::cl::desc("Execute in this process (for a debugger; a crash of the "
                   "generated code ends the run)"),
    llvm::cl::init(false));
static llvm::cl::opt<unsigned>
    clOptLevel("opt-level",
               llvm::cl::desc("LLVM optimization level of the generated code"),
               llvm::cl::init(3));
static llvm::cl::opt<std::string> clCrash(
    "debug-crash",
    llvm::cl::desc("Tests (a regex) that raise SIGSEGV when they start to run"),
    llvm::cl::init(""), llvm::cl::Hidden);
static llvm::cl::opt<std::string>
    clHang("debug-hang",
           llvm::cl::desc("Tests (a regex) that hang when they start to run"),
           llvm::cl::init(""), llvm::cl::Hidden);
static llvm::cl::opt<bool> clVerbose("v", llvm::cl::desc("Print every test"),
                                     llvm::cl::init(false));

namespace {

/// One test and what became of it.
struct TestRecord {
  NodeTest test;
  TestOutcome outcome;
};

//===----------------------------------------------------------------------===//
// Baselines
//===----------------------------------------------------------------------===//

/// Writes the names of the tests \p passed accepts to \p file.
bool writeBaseline(llvm::StringRef file, llvm::StringRef header,
                   llvm::ArrayRef<TestRecord> records,
                   llvm::function_ref<bool(const TestRecord &)> passed) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (ec) {
    llvm::errs() << "romac-onnx-conformance: error: cannot write '" << file
                 << "': " << ec.message() << "\n";
    return false;
  }
  os << header;
  for (const TestRecord &r : records)
    if (passed(r))
      os << r.test.name << "\n";
  return true;
}

/// Checks that every test named in \p file passes: prints a REGRESSION line
/// for each that does not and "<what>: N / M still <verb>". Returns the
/// number of regressions, or -1 when the file cannot be read.
int checkBaseline(llvm::StringRef file, llvm::StringRef what,
                  llvm::StringRef verb, llvm::ArrayRef<TestRecord> records,
                  llvm::function_ref<bool(const TestRecord &)> passed,
                  llvm::function_ref<std::string(const TestRecord &)> why) {
  auto buf = llvm::MemoryBuffer::getFile(file);
  if (!buf) {
    llvm::errs() << "romac-onnx-conformance: error: cannot read baseline '"
                 << file << "'\n";
    return -1;
  }
  std::map<std::string, const TestRecord *> byName;
  for (const TestRecord &r : records)
    byName[r.test.name] = &r;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buf)->getBuffer().split(lines, '\n');
  int regressions = 0, expected = 0;
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    ++expected;
    auto it = byName.find(line.str());
    if (it == byName.end() || !passed(*it->second)) {
      ++regressions;
      llvm::outs() << "REGRESSION: " << line << ": "
                   << (it == byName.end() ? "test not found" : why(*it->second))
                   << "\n";
    }
  }
  llvm::outs() << what << ": " << (expected - regressions) << " / " << expected
               << " still " << verb << "\n";
  return regressions;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

bool imported(const TestRecord &r) { return r.outcome.import.passed; }
bool matched(const TestRecord &r) {
  return r.outcome.exec.status == ExecStatus::Matched;
}
bool executed(const TestRecord &r) {
  return matched(r) || r.outcome.exec.status == ExecStatus::Mismatch;
}

void printImportReport(llvm::ArrayRef<TestRecord> records) {
  std::map<std::string, std::pair<int, int>> perOp; // op -> (passed, tried)
  int supported = 0, passed = 0;
  for (const TestRecord &r : records) {
    if (!r.test.supported)
      continue;
    ++supported;
    passed += imported(r);
    for (const std::string &op : r.test.ops) {
      auto &[opPassed, tried] = perOp[op];
      ++tried;
      opPassed += imported(r);
    }
  }
  llvm::outs() << "== per op: imported N / M supported tests ==\n";
  for (const auto &[op, counts] : perOp)
    llvm::outs() << "  " << op << ": imported " << counts.first << " / "
                 << counts.second << "\n";
  llvm::outs() << "== failing supported tests ==\n";
  for (const TestRecord &r : records)
    if (r.test.supported && !imported(r))
      llvm::outs() << "  " << r.test.name << ": " << r.outcome.import.message
                   << "\n";
  llvm::outs() << "== unsupported tests (an op is not supported) ==\n";
  for (const TestRecord &r : records)
    if (!r.test.supported) {
      llvm::outs() << "  " << r.test.name << ":";
      for (const std::string &op : r.test.ops)
        if (!romac::isOnnxOpSupported(op))
          llvm::outs() << " " << op;
      llvm::outs() << (r.test.error.empty() ? "" : " " + r.test.error) << "\n";
    }
  llvm::outs() << "imported " << passed << " / " << supported
               << " supported tests (" << records.size() << " tests in all)\n";
}

/// Lists the imported tests whose execution ended in \p status.
void printExecList(llvm::StringRef title, llvm::ArrayRef<TestRecord> records,
                   ExecStatus status) {
  llvm::outs() << "== " << title << " ==\n";
  for (const TestRecord &r : records) {
    if (!imported(r) || r.outcome.exec.status != status)
      continue;
    llvm::outs() << "  " << r.test.name << ": " << r.outcome.exec.message;
    llvm::StringRef known = getKnownMismatchReason(r.test.name);
    if (!known.empty())
      llvm::outs() << " [known: " << known << "]";
    llvm::outs() << "\n";
  }
}

void printTolerances() {
  llvm::outs() << "== tolerances: |got - expected| <= atol + rtol * "
                  "|expected| ==\n"
                  "  float32, float64: rtol 1e-4 atol 1e-5\n"
                  "  float16: rtol 1e-3 atol 1e-3\n"
                  "  bfloat16: rtol 1e-2 atol 1e-2\n"
                  "  integers, bool: exact\n";
  for (const TestTolerance &entry : getTestTolerances())
    llvm::outs() << llvm::formatv("  tests {0} (floats): rtol {1:e0} atol "
                                  "{2:e0}: {3}\n",
                                  entry.pattern, entry.tolerance.rtol,
                                  entry.tolerance.atol, entry.why);
  for (const KnownMismatch &entry : getKnownMismatches())
    llvm::outs() << "  tests " << entry.pattern
                 << ": cannot match (listed as mismatches): " << entry.why
                 << "\n";
}

void printExecReport(llvm::ArrayRef<TestRecord> records) {
  struct Counts {
    int imported = 0, executed = 0, matched = 0;
  };
  std::map<std::string, Counts> perOp;
  Counts all;
  std::vector<double> compileTimes;
  double runTime = 0;
  for (const TestRecord &r : records) {
    if (!imported(r))
      continue;
    Counts one{1, executed(r), matched(r)};
    auto add = [&](Counts &c) {
      c.imported += one.imported;
      c.executed += one.executed;
      c.matched += one.matched;
    };
    add(all);
    for (const std::string &op : r.test.ops)
      add(perOp[op]);
    if (r.outcome.exec.compileSeconds > 0)
      compileTimes.push_back(r.outcome.exec.compileSeconds);
    runTime += r.outcome.exec.runSeconds;
  }
  llvm::outs() << "== per op: executed N / M imported tests, matched K ==\n";
  for (const auto &[op, c] : perOp)
    llvm::outs() << "  " << op << ": executed " << c.executed << " / "
                 << c.imported << ", matched " << c.matched << "\n";
  printTolerances();
  printExecList("mismatches", records, ExecStatus::Mismatch);
  printExecList("failed to compile", records, ExecStatus::CompileFailed);
  printExecList("failed to run", records, ExecStatus::RunFailed);
  llvm::sort(compileTimes);
  double compileTotal = 0;
  for (double t : compileTimes)
    compileTotal += t;
  llvm::outs() << llvm::formatv(
      "time: compiling {0:f1} s in all (median {1:f0} ms, max {2:f0} ms per "
      "test), running {3:f2} s\n",
      compileTotal,
      compileTimes.empty() ? 0.0 : 1e3 * compileTimes[compileTimes.size() / 2],
      compileTimes.empty() ? 0.0 : 1e3 * compileTimes.back(), runTime);
  llvm::outs() << "executed " << all.executed << " / " << all.imported
               << " imported tests, matched " << all.matched << " ("
               << records.size() << " tests in all)\n";
}

void printVerbose(const TestRecord &r) {
  const TestOutcome &o = r.outcome;
  llvm::StringRef verdict;
  std::string message = o.import.message;
  if (!r.test.supported)
    verdict = "SKIP";
  else if (!o.import.passed)
    verdict = "FAIL";
  else if (!clExecute)
    verdict = "PASS";
  else {
    message = o.exec.message;
    switch (o.exec.status) {
    case ExecStatus::Matched:
      verdict = "MATCH";
      break;
    case ExecStatus::Mismatch:
      verdict = "MISMATCH";
      break;
    case ExecStatus::CompileFailed:
      verdict = "NOCOMPILE";
      break;
    default:
      verdict = "NORUN";
      break;
    }
  }
  llvm::outs() << verdict << " " << r.test.name;
  if (clExecute && o.import.passed)
    llvm::outs() << llvm::formatv(
        " ({0:f0} ms)", 1e3 * (o.exec.compileSeconds + o.exec.runSeconds));
  llvm::outs() << (message.empty() ? "" : ": ") << message << "\n";
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

/// The node tests under \p dir matching --filter, by name.
std::vector<TestRecord> findTests(llvm::StringRef dir) {
  std::vector<std::string> dirs;
  std::error_code ec;
  llvm::Regex filter(clFilter);
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (fs::exists(it->path() + "/model.onnx") &&
        (clFilter.empty() ||
         filter.match(llvm::sys::path::filename(it->path()))))
      dirs.push_back(it->path());
  llvm::sort(dirs);
  std::vector<TestRecord> records;
  for (const std::string &d : dirs)
    records.push_back({loadNodeTest(d), {}});
  return records;
}

/// Imports (and with --execute runs) every supported test.
void runTests(std::vector<TestRecord> &records) {
  ExecOptions options;
  options.optLevel = clOptLevel;
  options.crashPattern = clCrash;
  options.hangPattern = clHang;
  if (!clExecute || clNoFork) {
    DialectRegistry registry;
    romac::registerRomacDialects(registry);
    for (TestRecord &r : records) {
      if (!r.test.supported)
        continue;
      if (clExecute) {
        r.outcome = importAndExecute(r.test, options, [](ExecPhase) {});
      } else {
        MLIRContext ctx(registry);
        importNodeTest(r.test, ctx, r.outcome.import);
      }
      if (clVerbose)
        printVerbose(r);
    }
    return;
  }
  std::vector<NodeTest> supported;
  std::vector<size_t> indices;
  for (auto [i, r] : llvm::enumerate(records))
    if (r.test.supported) {
      supported.push_back(r.test);
      indices.push_back(i);
    }
  runIsolated(supported, options, clJobs, clTimeout,
              [&](size_t k, TestOutcome outcome) {
                TestRecord &r = records[indices[k]];
                r.outcome = std::move(outcome);
                if (clVerbose) {
                  printVerbose(r);
                  llvm::outs().flush();
                }
              });
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "romac conformance on ONNX's backend node tests: import, "
      "and with --execute execution\n");
  std::string filterError;
  if (!clFilter.empty() && !llvm::Regex(clFilter).isValid(filterError)) {
    llvm::errs() << "romac-onnx-conformance: error: --filter: " << filterError
                 << "\n";
    return 2;
  }
  std::vector<TestRecord> records = findTests(clDir);
  if (records.empty()) {
    llvm::errs() << "romac-onnx-conformance: error: no node tests under '"
                 << clDir << "'\n";
    return 2;
  }
  runTests(records);
  if (clExecute)
    printExecReport(records);
  else
    printImportReport(records);

  auto whyImport = [](const TestRecord &r) { return r.outcome.import.message; };
  auto whyExec = [](const TestRecord &r) {
    return r.outcome.import.passed
               ? r.outcome.exec.message
               : "import failed: " + r.outcome.import.message;
  };
  if (clWriteBaseline) {
    bool ok = true;
    if (!clBaseline.empty())
      ok &= writeBaseline(
          clBaseline,
          "# ONNX backend node tests that romac's importer must pass.\n"
          "# Regenerate with romac-onnx-conformance --write-baseline.\n",
          records, imported);
    if (clExecute && !clBaselineExec.empty())
      ok &= writeBaseline(
          clBaselineExec,
          "# ONNX backend node tests that romac must run and match.\n"
          "# Regenerate with romac-onnx-conformance --execute "
          "--baseline-exec FILE --write-baseline.\n",
          records, matched);
    return ok ? 0 : 2;
  }
  int regressions = 0;
  if (!clBaseline.empty()) {
    int n = checkBaseline(clBaseline, "baseline", "pass", records, imported,
                          whyImport);
    if (n < 0)
      return 2;
    regressions += n;
  }
  if (clExecute && !clBaselineExec.empty()) {
    int n = checkBaseline(clBaselineExec, "execution baseline", "match",
                          records, matched, whyExec);
    if (n < 0)
      return 2;
    regressions += n;
  }
  return regressions ? 1 : 0;
}
