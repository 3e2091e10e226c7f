//===- Version.cpp - romac's version text -----------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// LLVM/MLIR, ONNX and protobuf report the version romac was compiled against
// (their headers and CMake packages); Z3 reports the library loaded at run
// time (Z3_get_version).
//
//===----------------------------------------------------------------------===//

#include "Version.h"

#include "romac/Target/Target.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FormatVariadic.h"

#include "onnx/onnx_pb.h"

#include <z3.h>

#ifndef ROMAC_VERSION
#define ROMAC_VERSION "unknown"
#endif
#ifndef ROMAC_ONNX_VERSION
#define ROMAC_ONNX_VERSION "unknown"
#endif

std::string romac::getVersionText() {
  unsigned z3Major = 0, z3Minor = 0, z3Build = 0, z3Revision = 0;
  Z3_get_version(&z3Major, &z3Minor, &z3Build, &z3Revision);
  constexpr int protobufVersion = GOOGLE_PROTOBUF_VERSION;
  return llvm::formatv("romac {0} (LLVM/MLIR {1})\n"
                       "  LLVM/MLIR: {1}\n"
                       "  ONNX: {2} (IR version {3})\n"
                       "  protobuf: {4}.{5}.{6}\n"
                       "  Z3: {7}.{8}.{9}\n"
                       "  targets: {10}",
                       ROMAC_VERSION, LLVM_VERSION_STRING, ROMAC_ONNX_VERSION,
                       static_cast<int>(onnx::Version::IR_VERSION),
                       protobufVersion / 1000000, protobufVersion / 1000 % 1000,
                       protobufVersion % 1000, z3Major, z3Minor, z3Build,
                       getDefaultTargetsDir());
}
