//===- RomacAttrs.h - romac attributes --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H
#define ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

#include "romac/Dialect/Romac/IR/RomacEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "romac/Dialect/Romac/IR/RomacAttrs.h.inc"

namespace romac {

/// The search's spelling of \p scheme (describeReuse() in Search.h and the
/// schedule JSON's `reuse`): "weight-stationary", "input+weight-stationary",
/// ..., or "mixed".
std::string getReuseSchemeLabel(ReuseScheme scheme);

/// The scheme a search label (getReuseSchemeLabel()) names; std::nullopt for
/// any other string.
std::optional<ReuseScheme> parseReuseSchemeLabel(llvm::StringRef label);

/// The path ("memories[1].bytes") of the first value in \p attr that a
/// target description cannot hold (TargetAttr: a dictionary, array, i64 or i1
/// integer, f64 float, string or unit); "." when \p attr itself is such a
/// value, "" when there is none.
std::string findNonYamlValue(mlir::Attribute attr);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H
