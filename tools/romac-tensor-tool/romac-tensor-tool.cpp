//===- romac-tensor-tool.cpp - tensor files for the tests -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A test-only tool (not installed) over the runtime's tensor files
// (include/romac/Runtime/Tensor.h), so that lit and pytest can check the
// readers and writers against NumPy and ONNX:
//
//   romac-tensor-tool info [--json] FILE...
//       type, shape, TensorProto name and the SHA-256 of the row-major
//       little-endian elements of each file; a file that cannot be read is
//       reported and the others still are
//   romac-tensor-tool convert IN OUT [--name NAME]
//       reads IN and writes OUT (format by extension; the name defaults to
//       IN's TensorProto name)
//   romac-tensor-tool compare GOT REF [--rtol R] [--atol A]
//       max abs / rel error and numpy.isclose mismatches; exit 1 on any
//   romac-tensor-tool random TYPE SHAPE SEED OUT
//       makeRandomTensor(); SHAPE is "2,3" ("" for a scalar)
//
// Errors are one line "romac-tensor-tool: error: ..." and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "romac/Support/OutputFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

using namespace romac;

namespace {

constexpr const char *kUsage =
    "usage: romac-tensor-tool info [--json] FILE...\n"
    "       romac-tensor-tool convert IN OUT [--name NAME]\n"
    "       romac-tensor-tool compare GOT REF [--rtol R] [--atol A]\n"
    "       romac-tensor-tool random TYPE SHAPE SEED OUT\n";

int fail(const llvm::Twine &message) {
  llvm::errs() << "romac-tensor-tool: error: " << message << "\n";
  return 1;
}

int fail(llvm::Error error) { return fail(llvm::toString(std::move(error))); }

/// Splits \p args into positional arguments and "--flag value" options
/// (every option takes a value, except those in \p switches).
struct Args {
  std::vector<std::string> positional;
  llvm::StringMap<std::string> options;
};

std::optional<Args> parseArgs(llvm::ArrayRef<const char *> argv,
                              llvm::ArrayRef<llvm::StringRef> withValue,
                              llvm::ArrayRef<llvm::StringRef> switches) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    llvm::StringRef arg = argv[i];
    if (!arg.starts_with("--")) {
      args.positional.push_back(arg.str());
      continue;
    }
    if (llvm::is_contained(switches, arg)) {
      args.options[arg] = "";
      continue;
    }
    if (!llvm::is_contained(withValue, arg)) {
      fail("unknown option '" + arg + "'");
      return std::nullopt;
    }
    if (i + 1 == argv.size()) {
      fail("option '" + arg + "' needs a value");
      return std::nullopt;
    }
    args.options[arg] = argv[++i];
  }
  return args;
}

std::string sha256Hex(const Tensor &t) {
  llvm::SHA256 hash;
  hash.update(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(t.data()), t.getNumBytes()));
  return llvm::toHex(hash.final(), /*LowerCase=*/true);
}

int runInfo(const Args &args) {
  if (args.positional.empty())
    return fail("info: no file given");
  bool json = args.options.count("--json");
  int status = 0;
  for (const std::string &path : args.positional) {
    std::string name;
    llvm::Expected<Tensor> t = readTensorFile(path, &name);
    if (!t) {
      std::string message = llvm::toString(t.takeError());
      if (json)
        llvm::outs() << llvm::formatv(
            "{0}\n", llvm::json::Value(llvm::json::Object{{"file", path},
                                                          {"error", message}}));
      else
        fail(message);
      status = 1;
      continue;
    }
    std::string hash = sha256Hex(*t);
    if (json) {
      llvm::json::Array shape;
      for (int64_t dim : t->getShape())
        shape.push_back(dim);
      llvm::outs() << llvm::formatv(
          "{0}\n", llvm::json::Value(llvm::json::Object{
                       {"file", path},
                       {"type", stringifyElementType(t->getElementType())},
                       {"shape", std::move(shape)},
                       {"name", name},
                       {"sha256", hash}}));
    } else {
      llvm::outs() << path << ": " << t->getTypeString();
      if (!name.empty())
        llvm::outs() << " '" << name << "'";
      llvm::outs() << " sha256 " << hash << "\n";
    }
  }
  return status;
}

int runConvert(const Args &args) {
  if (args.positional.size() != 2)
    return fail("convert: expected IN OUT");
  const std::string &in = args.positional[0], &out = args.positional[1];
  OutputSet outputs;
  outputs.addInput(in);
  if (llvm::Error e = outputs.checkFile(out))
    return fail(std::move(e));
  std::string name;
  llvm::Expected<Tensor> t = readTensorFile(in, &name);
  if (!t)
    return fail(t.takeError());
  auto it = args.options.find("--name");
  if (it != args.options.end())
    name = it->second;
  if (llvm::Error e = addTensorFile(outputs, out, *t, name))
    return fail(std::move(e));
  if (llvm::Error e = outputs.commit())
    return fail(std::move(e));
  return 0;
}

/// The value of the number option \p flag, or \p fallback.
std::optional<double> numberOption(const Args &args, llvm::StringRef flag,
                                   double fallback) {
  auto it = args.options.find(flag);
  if (it == args.options.end())
    return fallback;
  double value;
  if (llvm::StringRef(it->second).getAsDouble(value) || value < 0) {
    fail(flag + ": '" + it->second + "' is not a non-negative number");
    return std::nullopt;
  }
  return value;
}

int runCompare(const Args &args) {
  if (args.positional.size() != 2)
    return fail("compare: expected GOT REF");
  std::optional<double> rtol = numberOption(args, "--rtol", 1e-4);
  std::optional<double> atol = numberOption(args, "--atol", 1e-5);
  if (!rtol || !atol)
    return 1;
  llvm::Expected<Tensor> got = readTensorFile(args.positional[0]);
  if (!got)
    return fail(got.takeError());
  llvm::Expected<Tensor> ref = readTensorFile(args.positional[1]);
  if (!ref)
    return fail(ref.takeError());
  llvm::Expected<TensorDiff> diff = compareTensors(*got, *ref, *rtol, *atol);
  if (!diff)
    return fail(diff.takeError());
  llvm::outs() << llvm::format("max abs error %.6g, max rel error %.6g, ",
                               diff->maxAbsError, diff->maxRelError)
               << diff->mismatches << " of " << got->getNumElements()
               << " elements mismatch";
  if (diff->mismatches)
    llvm::outs() << llvm::format(" (first at %lld: got %.9g, expected %.9g)",
                                 (long long)diff->firstMismatch,
                                 got->getAsDouble(diff->firstMismatch),
                                 ref->getAsDouble(diff->firstMismatch));
  llvm::outs() << "\n";
  return diff->mismatches ? 1 : 0;
}

int runRandom(const Args &args) {
  if (args.positional.size() != 4)
    return fail("random: expected TYPE SHAPE SEED OUT");
  std::optional<ElementType> type = symbolizeElementType(args.positional[0]);
  if (!type)
    return fail("unknown element type '" + args.positional[0] + "' (expected " +
                listEnumNames(kElementTypeNames) + ")");
  llvm::SmallVector<int64_t, 4> shape;
  llvm::SmallVector<llvm::StringRef, 4> dims;
  llvm::StringRef(args.positional[1]).split(dims, ',');
  if (!args.positional[1].empty())
    for (llvm::StringRef dim : dims) {
      int64_t value;
      if (dim.trim().getAsInteger(10, value))
        return fail("bad shape '" + args.positional[1] + "'");
      shape.push_back(value);
    }
  uint64_t seed;
  if (llvm::StringRef(args.positional[2]).getAsInteger(10, seed))
    return fail("bad seed '" + args.positional[2] + "'");
  if (llvm::Expected<int64_t> count = getCheckedNumElements(*type, shape);
      !count)
    return fail(count.takeError());
  else if (*count > (int64_t(1) << 30))
    return fail("random: more than 2^30 elements");
  Tensor t = makeRandomTensor(*type, shape, seed);
  if (llvm::Error e = writeTensorFile(args.positional[3], t))
    return fail(std::move(e));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2) {
    llvm::errs() << kUsage;
    return 1;
  }
  llvm::StringRef command = argv[1];
  llvm::ArrayRef<const char *> rest(argv + 2, argv + argc);
  std::optional<Args> args;
  if (command == "info")
    args = parseArgs(rest, {}, {"--json"});
  else if (command == "convert")
    args = parseArgs(rest, {"--name"}, {});
  else if (command == "compare")
    args = parseArgs(rest, {"--rtol", "--atol"}, {});
  else if (command == "random")
    args = parseArgs(rest, {}, {});
  else if (command == "--help" || command == "-h") {
    llvm::outs() << kUsage;
    return 0;
  } else {
    return fail("unknown command '" + command +
                "' (expected info, convert, compare or random)");
  }
  if (!args)
    return 1;
  if (command == "info")
    return runInfo(*args);
  if (command == "convert")
    return runConvert(*args);
  if (command == "compare")
    return runCompare(*args);
  return runRandom(*args);
}
