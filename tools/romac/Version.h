//===- Version.h - romac's version text -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `romac --version` and `romac version` print: romac's version, the
// versions of the libraries it was built with (LLVM/MLIR, ONNX, protobuf,
// Z3) and the folder its shipped targets are read from.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_VERSION_H
#define ROMAC_TOOLS_ROMAC_VERSION_H

#include <string>

namespace romac {

/// The version text, one item per line (no newline after the last). The
/// first line is `romac X.Y.Z (LLVM/MLIR A.B.C)`.
std::string getVersionText();

} // namespace romac

#endif // ROMAC_TOOLS_ROMAC_VERSION_H
