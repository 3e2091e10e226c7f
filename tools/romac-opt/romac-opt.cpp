//===- romac-opt.cpp - romac's mlir-opt --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MlirOptMain with the upstream dialects romac uses, the upstream generic and
// linalg passes, every romac pass and pipeline, and the test-only passes
// of test/lib (romac-test-print-*).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/InitRomac.h"

#include "TestPasses.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  mlir::registerLinalgPasses();
  romac::registerAllRomacPasses();
  romac::registerAllCodegenPasses();
  romac::test::registerRomacTestPasses();

  mlir::DialectRegistry registry;
  romac::registerRomacDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "romac optimizer driver\n", registry));
}
