//===- ImportRobustnessTest.cpp - corrupt models never crash ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Feeds seeded truncations, bit flips and byte splices of real models to the
// importer. Each run must either produce a module that verifies or fail with
// exactly one error that names the input; it must never crash or hang.
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace mlir;

namespace {

std::string sourceDir() {
  const char *dir = std::getenv("ROMAC_SRC_DIR");
  return dir ? dir : ROMAC_SOURCE_DIR;
}

std::string readModel(const std::string &relative) {
  auto buf = llvm::MemoryBuffer::getFile(sourceDir() + "/" + relative);
  EXPECT_TRUE(bool(buf)) << relative;
  return buf ? (*buf)->getBuffer().str() : std::string();
}

struct Outcome {
  bool imported = false;
  bool verified = false;
  int errors = 0;
  std::string firstError;
};

Outcome importBytes(const std::string &bytes) {
  DialectRegistry registry;
  romac::registerRomacDialects(registry);
  MLIRContext ctx(registry);
  Outcome o;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error) {
      if (o.errors++ == 0)
        o.firstError = d.str();
    }
    return success();
  });
  romac::OnnxImportOptions options;
  options.dims["batch_size"] = 1;
  options.dims["sequence_length"] = 8;
  auto module = romac::importOnnxBuffer(bytes, "mutant.onnx", /*baseDir=*/"",
                                        ctx, options);
  o.imported = bool(module);
  o.verified = module && succeeded(verify(*module));
  return o;
}

void checkOutcome(const Outcome &o, const std::string &what) {
  if (o.imported) {
    EXPECT_TRUE(o.verified) << what;
    EXPECT_EQ(o.errors, 0) << what << ": " << o.firstError;
  } else {
    EXPECT_EQ(o.errors, 1) << what << ": " << o.firstError;
    EXPECT_EQ(o.firstError.rfind("mutant.onnx: ", 0), 0u)
        << what << ": " << o.firstError;
  }
}

class ImportRobustness : public ::testing::TestWithParam<const char *> {};

TEST_P(ImportRobustness, TruncationsBitFlipsAndSplices) {
  std::string original = readModel(GetParam());
  ASSERT_FALSE(original.empty());
  // The unmodified model imports.
  Outcome base = importBytes(original);
  ASSERT_TRUE(base.imported) << base.firstError;

  std::mt19937_64 rng(0x5eed + original.size());
  int failures = 0, successes = 0;
  for (int i = 0; i < 300; ++i) {
    std::string m = original;
    std::string what;
    switch (i % 3) {
    case 0: { // truncation
      size_t cut = rng() % m.size();
      m.resize(cut);
      what = "truncated at " + std::to_string(cut);
      break;
    }
    case 1: { // 1 to 8 bit flips
      int flips = 1 + rng() % 8;
      what = "bit flips at";
      for (int f = 0; f < flips; ++f) {
        size_t at = rng() % m.size();
        m[at] ^= static_cast<char>(1u << (rng() % 8));
        what += " " + std::to_string(at);
      }
      break;
    }
    default: { // splice a random chunk of the model elsewhere
      size_t from = rng() % m.size(), len = 1 + rng() % 64, to = rng() % m.size();
      m.insert(to, original.substr(from, len));
      what = "splice of " + std::to_string(len) + " bytes at " + std::to_string(to);
      break;
    }
    }
    Outcome o = importBytes(m);
    checkOutcome(o, std::string(GetParam()) + ": " + what);
    (o.imported ? successes : failures)++;
  }
  // Most mutants of a real model are rejected; a test that accepts every
  // mutant would not be checking anything.
  EXPECT_GT(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(
    RealModels, ImportRobustness,
    ::testing::Values("models/onnx-light/light_squeezenet.onnx",
                      "models/onnx-light/light_bvlc_alexnet.onnx",
                      "models/mobilenet-v2/light/model.onnx",
                      "models/sd2-inpainting/tiny/text_encoder/model.onnx"));

TEST(ImportRobustness, EmptyAndTinyInputs) {
  for (const std::string &bytes :
       {std::string(), std::string("\x08"), std::string("{"),
        std::string("<"), std::string("ir_version: 8"),
        std::string(1000, '\xff')}) {
    Outcome o = importBytes(bytes);
    EXPECT_FALSE(o.imported);
    checkOutcome(o, "input of " + std::to_string(bytes.size()) + " bytes");
  }
}

} // namespace
