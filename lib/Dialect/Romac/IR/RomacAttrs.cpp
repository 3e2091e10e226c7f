//===- RomacAttrs.cpp - romac attributes ------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace romac;

#include "romac/Dialect/Romac/IR/RomacEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "romac/Dialect/Romac/IR/RomacAttrs.cpp.inc"

void RomacDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "romac/Dialect/Romac/IR/RomacAttrs.cpp.inc"
      >();
}

std::string romac::getReuseSchemeLabel(ReuseScheme scheme) {
  // Bit k of the value is operand class k, in the search's class order.
  static constexpr llvm::StringLiteral kClasses[] = {"input", "weight",
                                                    "output"};
  auto bits = static_cast<uint32_t>(scheme);
  std::string label;
  for (auto [k, name] : llvm::enumerate(kClasses))
    if (bits & (1u << k))
      label += (label.empty() ? "" : "+") + name.str();
  return label.empty() ? "mixed" : label + "-stationary";
}

std::optional<ReuseScheme> romac::parseReuseSchemeLabel(llvm::StringRef label) {
  for (uint32_t v = 0; v <= getMaxEnumValForReuseScheme(); ++v) {
    std::optional<ReuseScheme> scheme = symbolizeReuseScheme(v);
    if (scheme && getReuseSchemeLabel(*scheme) == label)
      return scheme;
  }
  return std::nullopt;
}

bool TargetAttr::isValidName(llvm::StringRef name) {
  if (name.empty())
    return false;
  return llvm::all_of(name, [](char c) {
    return llvm::isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

LogicalResult
TargetAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                   llvm::StringRef name) {
  if (name.empty())
    return emitError() << "target name must not be empty";
  if (!isValidName(name))
    return emitError() << "target name '" << name
                       << "' may only contain letters, digits, '-', '_', '.' "
                          "and '/'";
  return success();
}

LogicalResult
MappingAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                    ReuseSchemeAttr reuse, DictionaryAttr tile,
                    ArrayAttr order, DictionaryAttr spatial) {
  if (!reuse)
    return emitError() << "mapping needs a reuse scheme";
  for (NamedAttribute entry : tile) {
    auto size = dyn_cast<IntegerAttr>(entry.getValue());
    if (!size || size.getInt() <= 0)
      return emitError() << "tile size of '" << entry.getName().getValue()
                         << "' must be a positive integer";
  }
  llvm::StringSet<> seen;
  for (Attribute a : order) {
    auto name = dyn_cast<StringAttr>(a);
    if (!name)
      return emitError() << "order must list dim names as strings";
    if (!tile.contains(name.getValue()))
      return emitError() << "order names dim '" << name.getValue()
                         << "', which has no tile size";
    if (!seen.insert(name.getValue()).second)
      return emitError() << "order names dim '" << name.getValue()
                         << "' twice";
  }
  if (seen.size() != tile.size())
    return emitError() << "order must name every tiled dim (" << tile.size()
                       << " dims, " << seen.size() << " in order)";
  for (NamedAttribute axis : spatial) {
    if (axis.getName() != "rows" && axis.getName() != "cols")
      return emitError() << "spatial axes are 'rows' and 'cols', not '"
                         << axis.getName().getValue() << "'";
    auto dim = dyn_cast<StringAttr>(axis.getValue());
    if (!dim || !tile.contains(dim.getValue()))
      return emitError() << "spatial " << axis.getName().getValue()
                         << " must name a tiled dim";
  }
  return success();
}
