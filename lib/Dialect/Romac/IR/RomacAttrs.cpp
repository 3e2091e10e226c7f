//===- RomacAttrs.cpp - romac attributes ------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace romac;

#include "romac/Dialect/Romac/IR/RomacEnums.cpp.inc"

static ParseResult parseI64Array(AsmParser &parser, DenseI64ArrayAttr &array);
static void printI64Array(AsmPrinter &printer, DenseI64ArrayAttr array);
static ParseResult parseOrderAndSpatial(AsmParser &parser,
                                        DenseI64ArrayAttr &order,
                                        std::optional<int64_t> &rows,
                                        std::optional<int64_t> &cols);
static void printOrderAndSpatial(AsmPrinter &printer, DenseI64ArrayAttr order,
                                 std::optional<int64_t> rows,
                                 std::optional<int64_t> cols);

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
                   llvm::StringRef name, DictionaryAttr description) {
  if (name.empty())
    return emitError() << "target name must not be empty";
  if (!isValidName(name))
    return emitError() << "target name '" << name
                       << "' may only contain letters, digits, '-', '_', '.' "
                          "and '/'";
  if (description)
    if (std::string path = findNonYamlValue(description); !path.empty())
      return emitError() << "target description: '" << path
                         << "' is not a YAML value (expected an integer, "
                            "float, string, unit, array or dictionary)";
  return success();
}

LogicalResult
MappingAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                    ReuseSchemeAttr reuse, DenseI64ArrayAttr tile,
                    DenseI64ArrayAttr order, std::optional<int64_t> spatialRows,
                    std::optional<int64_t> spatialCols) {
  if (!reuse)
    return emitError() << "mapping needs a reuse scheme";
  if (!tile || !order)
    return emitError() << "mapping needs tile sizes and a loop order";
  int64_t n = tile.size();
  for (auto [loop, size] : llvm::enumerate(tile.asArrayRef()))
    if (size <= 0)
      return emitError() << "tile size of loop " << loop << " is " << size
                         << ", not positive";
  if (order.size() != n)
    return emitError() << "order lists " << order.size()
                       << " loops, the mapping tiles " << n;
  llvm::SmallVector<bool, 8> seen(n, false);
  for (int64_t loop : order.asArrayRef()) {
    if (loop < 0 || loop >= n)
      return emitError() << "order names loop " << loop << ", outside [0, " << n
                         << ")";
    if (seen[loop])
      return emitError() << "order names loop " << loop << " twice";
    seen[loop] = true;
  }
  for (auto [axis, loop] : {std::pair<StringRef, std::optional<int64_t>>{
                                "spatial_rows", spatialRows},
                            {"spatial_cols", spatialCols}})
    if (loop && (*loop < 0 || *loop >= n))
      return emitError() << axis << " names loop " << *loop << ", outside [0, "
                         << n << ")";
  if (spatialRows && spatialCols && *spatialRows == *spatialCols)
    return emitError() << "loop " << *spatialRows
                       << " is unrolled over both rows and columns";
  return success();
}

LogicalResult MappingAttr::verifyForOp(Operation *op, StringRef name,
                                       bool checkBounds) const {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return op->emitError() << "'" << name
                           << "' must be attached to a linalg op";
  int64_t numLoops = linalgOp.getNumLoops();
  if (static_cast<int64_t>(getTile().size()) != numLoops)
    return op->emitError() << "'" << name << "' has " << getTile().size()
                           << " tile sizes, the op has " << numLoops
                           << " loops";
  if (!checkBounds)
    return success();
  for (auto [loop, pair] : llvm::enumerate(
           llvm::zip(getTile().asArrayRef(), linalgOp.getStaticLoopRanges()))) {
    auto [size, bound] = pair;
    if (!ShapedType::isDynamic(bound) && size > bound)
      return op->emitError() << "'" << name << "' tiles loop " << loop << " by "
                             << size << ", more than its bound " << bound;
  }
  return success();
}

/// Parses `array<i64: ...>`.
static ParseResult parseI64Array(AsmParser &parser, DenseI64ArrayAttr &array) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  if (parser.parseAttribute(attr))
    return failure();
  array = dyn_cast<DenseI64ArrayAttr>(attr);
  if (!array)
    return parser.emitError(loc, "expected array<i64: ...>, got ") << attr;
  return success();
}

/// Prints `array<i64: ...>`.
static void printI64Array(AsmPrinter &printer, DenseI64ArrayAttr array) {
  printer.printAttribute(array);
}

/// Parses `array<i64: ...> (, spatial_rows = N)? (, spatial_cols = N)?`
/// (the spatial loops in either order).
static ParseResult parseOrderAndSpatial(AsmParser &parser,
                                        DenseI64ArrayAttr &order,
                                        std::optional<int64_t> &rows,
                                        std::optional<int64_t> &cols) {
  if (parseI64Array(parser, order))
    return failure();
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key))
      return failure();
    std::optional<int64_t> *slot = key == "spatial_rows"   ? &rows
                                   : key == "spatial_cols" ? &cols
                                                           : nullptr;
    if (!slot)
      return parser.emitError(loc, "expected 'spatial_rows' or "
                                   "'spatial_cols', got '")
             << key << "'";
    if (*slot)
      return parser.emitError(loc, "'") << key << "' is given twice";
    int64_t loop = 0;
    if (parser.parseEqual() || parser.parseInteger(loop))
      return failure();
    *slot = loop;
  }
  return success();
}

/// Prints the order and the spatial loops that are set, rows first.
static void printOrderAndSpatial(AsmPrinter &printer, DenseI64ArrayAttr order,
                                 std::optional<int64_t> rows,
                                 std::optional<int64_t> cols) {
  printI64Array(printer, order);
  if (rows)
    printer << ", spatial_rows = " << *rows;
  if (cols)
    printer << ", spatial_cols = " << *cols;
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

/// `<KIND (, block = array<i64: ...>)? (, order = array<i64: ...>)?
/// (, base = 0x...)?>`, the keys in this order.
Attribute LayoutAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  std::string keyword;
  if (parser.parseLess() || parser.parseKeywordOrString(&keyword))
    return {};
  std::optional<DramLayoutKind> kind = symbolizeDramLayoutKind(keyword);
  if (!kind) {
    parser.emitError(loc, "expected row_major, blocked or on_chip, got '")
        << keyword << "'";
    return {};
  }
  DenseI64ArrayAttr block, order;
  std::optional<uint64_t> base;
  StringRef last;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    bool inOrder = (key == "block" && last.empty()) ||
                   (key == "order" && (last.empty() || last == "block")) ||
                   (key == "base" && last != "base");
    if (!inOrder || (key != "block" && key != "order" && key != "base")) {
      parser.emitError(keyLoc, "expected 'block', 'order' or 'base' (in this "
                               "order, each once), got '")
          << key << "'";
      return {};
    }
    last = key;
    if (key == "base") {
      uint64_t value;
      if (parser.parseInteger(value))
        return {};
      base = value;
    } else if (parseI64Array(parser, key == "block" ? block : order)) {
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    *kind, block, order, base);
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << '<' << stringifyDramLayoutKind(getKind());
  if (getBlock()) {
    printer << ", block = ";
    printI64Array(printer, getBlock());
  }
  if (getOrder()) {
    printer << ", order = ";
    printI64Array(printer, getOrder());
  }
  if (getBase())
    printer << ", base = 0x" << llvm::utohexstr(*getBase(), /*LowerCase=*/true);
  printer << '>';
}

LogicalResult
LayoutAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                   DramLayoutKind kind, DenseI64ArrayAttr block,
                   DenseI64ArrayAttr order, std::optional<uint64_t> base) {
  if (kind == DramLayoutKind::OnChip) {
    if (block || order || base)
      return emitError() << "an on_chip operand has no block, order or base";
    return success();
  }
  if (!order || !base)
    return emitError() << "a DRAM layout needs an order and a base";
  int64_t rank = order.size();
  llvm::SmallVector<bool, 4> seen(rank, false);
  for (int64_t dim : order.asArrayRef()) {
    if (dim < 0 || dim >= rank || seen[dim])
      return emitError() << "layout order must be a permutation of the " << rank
                         << " tensor dims";
    seen[dim] = true;
  }
  if (kind == DramLayoutKind::RowMajor) {
    if (block)
      return emitError() << "a row_major layout has no block sizes";
    return success();
  }
  if (!block || static_cast<int64_t>(block.size()) != rank)
    return emitError() << "a blocked layout needs one block size per tensor "
                          "dim ("
                       << rank << ")";
  if (llvm::any_of(block.asArrayRef(), [](int64_t b) { return b <= 0; }))
    return emitError() << "block sizes must be positive";
  return success();
}
