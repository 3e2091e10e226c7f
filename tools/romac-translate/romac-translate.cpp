//===- romac-translate.cpp - romac's mlir-translate -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Translations into and out of MLIR: `--import-onnx` (ONNX → linalg on
// tensors) and, later, exports. Built on mlirTranslateMain.
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"

int main(int argc, char **argv) {
  romac::registerOnnxImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "romac translation driver\n"));
}
