//===- romac-import-fuzzer.cpp - libFuzzer target for the importer -*- C++ -*-//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// libFuzzer entry points for the ONNX importer. ROMAC_FUZZ_JSON selects the
// protobuf-JSON entry (every input is parsed as JSON); otherwise the bytes go
// through format detection (binary protobuf, protobuf text, ONNX text).
// Built by `make fuzz` with clang-22 and -fsanitize=fuzzer,address.
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
#ifdef ROMAC_FUZZ_JSON
  // Force the JSON entry point: JSON detection keys on a leading '{'.
  bytes.insert(0, "{");
#endif
  mlir::DialectRegistry registry;
  romac::registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  int errors = 0;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    errors += d.getSeverity() == mlir::DiagnosticSeverity::Error;
    return mlir::success();
  });
  romac::OnnxImportOptions options;
  options.dims["batch_size"] = 1;
  options.dims["N"] = 1;
  auto module = romac::importOnnxBuffer(bytes, "fuzz.onnx", "", ctx, options);
  // Invariants: a failure reports exactly one error; a success verifies.
  if (!module && errors != 1)
    std::abort();
  if (module && (errors != 0 || mlir::failed(mlir::verify(*module))))
    std::abort();
  return 0;
}
