//===- TargetDescription.cpp - a target's YAML in #romac.target -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The description half of `#romac.target<"NAME", {...}>`: a target's YAML
// document as an MLIR dictionary, and back. The conversion is generic (it
// knows YAML, not the target schema): the target library still parses and
// validates what comes back, so a description read from the IR passes exactly
// the checks of a target file.
//
//   YAML                        attribute
//   mapping                     DictionaryAttr (keys sorted, as MLIR keeps
//   them) sequence                    ArrayAttr plain 42, -7 IntegerAttr (i64)
//   plain 0.83, 1e-3            FloatAttr (f64)
//   plain true / false          BoolAttr
//   any other scalar, quoted    StringAttr
//   empty value                 UnitAttr
//
// Back to YAML, the document is written in flow style (JSON is YAML), floats
// with the fewest digits that read back to the same double.
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace romac;

namespace {

/// Whether \p text is an integer written the plain decimal way ("0", "-12",
/// not "012" or "0x1f"), so that writing the value back gives the same text.
bool isPlainInteger(llvm::StringRef text) {
  llvm::StringRef digits = text;
  digits.consume_front("-");
  if (digits.empty() || !llvm::all_of(digits, llvm::isDigit))
    return false;
  return digits == "0" || digits.front() != '0';
}

/// Whether \p text is a decimal float with a fraction or an exponent ("0.83",
/// "1e-3", "-2.5E4") whose integer part has no leading zero.
bool isPlainFloat(llvm::StringRef text) {
  llvm::StringRef body = text;
  body.consume_front("-");
  size_t end = body.find_first_of(".eE");
  if (end == llvm::StringRef::npos)
    return false;
  llvm::StringRef integerPart = body.take_front(end);
  if (integerPart.size() > 1 && integerPart.front() == '0')
    return false;
  double value;
  return llvm::any_of(body, llvm::isDigit) && !text.getAsDouble(value) &&
         std::isfinite(value);
}

/// The attribute of a plain (unquoted) scalar.
Attribute scalarAttr(MLIRContext *ctx, llvm::StringRef text) {
  Builder b(ctx);
  int64_t integer;
  if (isPlainInteger(text) && !text.getAsInteger(10, integer))
    return b.getI64IntegerAttr(integer);
  double real;
  if (isPlainFloat(text) && !text.getAsDouble(real))
    return b.getF64FloatAttr(real);
  if (text == "true" || text == "false")
    return b.getBoolAttr(text == "true");
  return b.getStringAttr(text);
}

/// Converts one YAML node; the first problem goes to \p error.
class YamlToAttr {
public:
  explicit YamlToAttr(MLIRContext *ctx) : ctx(ctx) {}

  Attribute convert(llvm::yaml::Node *node) {
    if (auto *scalar = llvm::dyn_cast<llvm::yaml::ScalarNode>(node)) {
      llvm::SmallString<32> storage;
      llvm::StringRef value = scalar->getValue(storage);
      bool quoted = scalar->getRawValue().starts_with("\"") ||
                    scalar->getRawValue().starts_with("'");
      return quoted ? StringAttr::get(ctx, value) : scalarAttr(ctx, value);
    }
    if (auto *block = llvm::dyn_cast<llvm::yaml::BlockScalarNode>(node))
      return StringAttr::get(ctx, block->getValue());
    if (llvm::isa<llvm::yaml::NullNode>(node))
      return UnitAttr::get(ctx);
    if (auto *sequence = llvm::dyn_cast<llvm::yaml::SequenceNode>(node)) {
      SmallVector<Attribute> items;
      for (llvm::yaml::Node &item : *sequence) {
        Attribute attr = convert(&item);
        if (!attr)
          return {};
        items.push_back(attr);
      }
      return ArrayAttr::get(ctx, items);
    }
    if (auto *mapping = llvm::dyn_cast<llvm::yaml::MappingNode>(node))
      return convertMapping(mapping);
    return fail("YAML aliases and tags are not supported");
  }

  std::string error;

private:
  Attribute fail(const llvm::Twine &message) {
    if (error.empty())
      error = message.str();
    return {};
  }

  Attribute convertMapping(llvm::yaml::MappingNode *mapping) {
    NamedAttrList entries;
    for (llvm::yaml::KeyValueNode &entry : *mapping) {
      auto *key =
          llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(entry.getKey());
      if (!key || !entry.getValue())
        return fail("mapping keys must be plain scalars");
      llvm::SmallString<32> storage;
      llvm::StringRef name = key->getValue(storage);
      if (entries.get(name))
        return fail("duplicate key '" + name + "'");
      Attribute value = convert(entry.getValue());
      if (!value)
        return {};
      entries.append(name, value);
    }
    return entries.getDictionary(ctx);
  }

  MLIRContext *ctx;
};

/// Writes \p text as a double-quoted YAML string.
void writeQuoted(llvm::raw_ostream &os, llvm::StringRef text) {
  os << '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c < 0x20 || c == 0x7f)
      os << llvm::format("\\x%02x", c);
    else
      os << c;
  }
  os << '"';
}

/// The shortest "%.Ng" spelling of \p value that reads back to it exactly
/// (0.83 stays "0.83"; 17 digits always suffice).
std::string formatShortest(double value) {
  std::string text;
  for (int digits = 1; digits <= 17; ++digits) {
    text = llvm::formatv("{0}", llvm::format("%.*g", digits, value)).str();
    double back;
    if (!llvm::StringRef(text).getAsDouble(back) && back == value)
      break;
  }
  return text;
}

void writeYaml(llvm::raw_ostream &os, Attribute attr) {
  if (auto dict = llvm::dyn_cast<DictionaryAttr>(attr)) {
    os << '{';
    llvm::interleaveComma(dict, os, [&](NamedAttribute entry) {
      writeQuoted(os, entry.getName().getValue());
      os << ": ";
      writeYaml(os, entry.getValue());
    });
    os << '}';
  } else if (auto array = llvm::dyn_cast<ArrayAttr>(attr)) {
    os << '[';
    llvm::interleaveComma(array, os,
                          [&](Attribute item) { writeYaml(os, item); });
    os << ']';
  } else if (auto boolean = llvm::dyn_cast<BoolAttr>(attr)) {
    os << (boolean.getValue() ? "true" : "false");
  } else if (auto integer = llvm::dyn_cast<IntegerAttr>(attr)) {
    os << integer.getValue().getSExtValue();
  } else if (auto real = llvm::dyn_cast<FloatAttr>(attr)) {
    std::string text = formatShortest(real.getValueAsDouble());
    // Keep it a float to the eye: "2" -> "2.0".
    if (llvm::all_of(text, [](char c) { return llvm::isDigit(c) || c == '-'; }))
      text += ".0";
    os << text;
  } else if (auto string = llvm::dyn_cast<StringAttr>(attr)) {
    writeQuoted(os, string.getValue());
  } else {
    // UnitAttr: an empty value (verify() admits nothing else).
    os << "~";
  }
}

} // namespace

/// `head` followed by the path `rest` below it ("." is `head` itself).
static std::string joinPath(std::string head, llvm::StringRef rest) {
  if (rest == ".")
    return head;
  return head + (rest.starts_with("[") ? "" : ".") + rest.str();
}

std::string romac::findNonYamlValue(Attribute attr) {
  if (auto dict = llvm::dyn_cast<DictionaryAttr>(attr)) {
    for (NamedAttribute entry : dict)
      if (std::string path = findNonYamlValue(entry.getValue()); !path.empty())
        return joinPath(entry.getName().str(), path);
    return "";
  }
  if (auto array = llvm::dyn_cast<ArrayAttr>(attr)) {
    for (auto [i, item] : llvm::enumerate(array))
      if (std::string path = findNonYamlValue(item); !path.empty())
        return joinPath("[" + std::to_string(i) + "]", path);
    return "";
  }
  auto isScalar = [](Attribute a) {
    if (auto integer = llvm::dyn_cast<IntegerAttr>(a))
      return integer.getType().isSignlessInteger(64) ||
             integer.getType().isSignlessInteger(1);
    if (auto real = llvm::dyn_cast<FloatAttr>(a))
      return real.getType().isF64();
    return llvm::isa<StringAttr, UnitAttr>(a);
  };
  return isScalar(attr) ? "" : ".";
}

llvm::Expected<TargetAttr> TargetAttr::getFromYaml(MLIRContext *ctx,
                                                   llvm::StringRef name,
                                                   llvm::StringRef yaml) {
  if (!isValidName(name))
    return llvm::createStringError("invalid target name '" + name + "'");
  llvm::SourceMgr sourceMgr;
  std::string syntaxError;
  sourceMgr.setDiagHandler(
      [](const llvm::SMDiagnostic &diag, void *context) {
        auto *message = static_cast<std::string *>(context);
        if (message->empty())
          *message = llvm::formatv("line {0}: {1}", diag.getLineNo(),
                                   diag.getMessage());
      },
      &syntaxError);
  llvm::yaml::Stream stream(yaml, sourceMgr, /*ShowColors=*/false);
  YamlToAttr converter(ctx);
  DictionaryAttr description;
  for (llvm::yaml::Document &document : stream) {
    llvm::yaml::Node *root = document.getRoot();
    Attribute attr = root ? converter.convert(root) : Attribute();
    if (!syntaxError.empty() || !converter.error.empty())
      break;
    description = llvm::dyn_cast_or_null<DictionaryAttr>(attr);
    if (!description) {
      converter.error = "the document is not a mapping";
      break;
    }
  }
  if (!syntaxError.empty())
    return llvm::createStringError("target '" + name +
                                   "': invalid YAML: " + syntaxError);
  if (!converter.error.empty())
    return llvm::createStringError("target '" + name + "': " + converter.error);
  if (!description)
    return llvm::createStringError("target '" + name + "': empty description");
  return TargetAttr::get(ctx, name, description);
}

std::string TargetAttr::getDescriptionYaml() const {
  if (!getDescription())
    return "";
  std::string yaml;
  llvm::raw_string_ostream os(yaml);
  writeYaml(os, getDescription());
  os << '\n';
  return yaml;
}
