//===- TargetParserImpl.h - the target YAML parser's parts ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The parser of target descriptions (TargetParser.cpp) and its sections in
// other files (CompressionParser.cpp). Private to the RomacTarget library.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_TARGET_TARGETPARSERIMPL_H
#define ROMAC_LIB_TARGET_TARGETPARSERIMPL_H

#include "romac/Target/Target.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <optional>
#include <string>
#include <vector>

namespace romac {
namespace target_parser {

using llvm::ArrayRef;
using llvm::Expected;
using llvm::SourceMgr;
using llvm::StringMap;
using llvm::StringRef;
using llvm::Twine;
namespace yaml = llvm::yaml;

//===----------------------------------------------------------------------===//
// Owned YAML tree
//===----------------------------------------------------------------------===//

/// A YAML node with its position; mapping keys are plain scalars.
struct YNode {
  enum Kind { Null, Scalar, Mapping, Sequence };
  Kind kind = Null;
  /// Scalar text (unquoted, escapes resolved).
  std::string value;
  /// 1-based position of the node; for an empty value, of its key.
  unsigned line = 0, column = 0;
  /// Position of the key this node is the value of (0 when none).
  unsigned keyLine = 0, keyColumn = 0;
  /// Mapping keys (scalars) and values, or sequence items (in `children`).
  std::vector<YNode> keys;
  std::vector<YNode> children;

  StringRef describeKind() const {
    switch (kind) {
    case Null:
      return "an empty value";
    case Scalar:
      return "a scalar";
    case Mapping:
      return "a mapping";
    case Sequence:
      return "a sequence";
    }
    return "a node";
  }
};

/// Allowed and required keys of one mapping.
struct KeySpec {
  StringRef name;
  bool required;
};

/// A mapping whose keys were checked against a KeySpec list.
struct Fields {
  const YNode *node = nullptr;
  std::string path;
  StringMap<const YNode *> values;

  const YNode *get(StringRef key) const { return values.lookup(key); }
  std::string pathOf(StringRef key) const {
    return path.empty() ? key.str() : path + "." + key.str();
  }
};

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

class TargetParser {
public:
  TargetParser(StringRef text, StringRef fileName)
      : text(text), fileName(fileName) {}

  Expected<Target> parse();

private:
  //===--- errors ---------------------------------------------------------===//

  /// Records the first error; always returns false.
  bool fail(unsigned line, unsigned column, const Twine &message) {
    if (!error)
      error.emplace(line, column, message.str());
    return false;
  }
  bool fail(const YNode &node, StringRef path, const Twine &problem) {
    return fail(node.line, node.column, path + ": " + problem);
  }
  /// Position to report a problem about \p node as a whole (its key when it
  /// has one: that is where a user looks for a mapping).
  bool failAtKey(const YNode &node, StringRef path, const Twine &problem) {
    if (node.keyLine)
      return fail(node.keyLine, node.keyColumn, path + ": " + problem);
    return fail(node, path, problem);
  }

  //===--- YAML to YNode --------------------------------------------------===//

  bool readYaml(YNode &root, bool &empty);
  bool convert(yaml::Node *node, YNode &out);
  void setPosition(yaml::Node *node, YNode &out);

  //===--- typed readers --------------------------------------------------===//

  bool openMapping(const YNode &node, StringRef path, ArrayRef<KeySpec> spec,
                   Fields &out);
  bool expectScalar(const YNode &node, StringRef path, StringRef what);
  bool readUInt(const YNode &node, StringRef path, uint64_t &out,
                bool allowZero = false);
  bool readPowerOfTwo(const YNode &node, StringRef path, uint64_t &out);
  bool readByteCount(const YNode &node, StringRef path, uint64_t &out);
  bool readDouble(const YNode &node, StringRef path, double &out,
                  bool allowZero);
  bool readString(const YNode &node, StringRef path, std::string &out);
  bool readBool(const YNode &node, StringRef path, bool &out);

  //===--- sections -------------------------------------------------------===//

  bool parseTop(const YNode &root, Target &target);
  bool parseCompute(const YNode &node, ComputeArray &compute);
  bool parseMemories(const YNode &node, std::vector<OnChipMemory> &memories);
  bool parseMemory(const YNode &node, StringRef path, OnChipMemory &memory,
                   const YNode *&nameNode, const YNode *&holdsNode);
  bool parseDram(const YNode &node, DramConfig &dram);
  bool parseTiming(const YNode &node, StringRef path, DramTiming &timing);
  bool parsePower(const YNode &node, StringRef path, DramPower &power);
  bool checkAddressMapping(const YNode &node, StringRef path,
                           const DramConfig &dram);
  bool parseDvfs(const YNode &node, std::vector<DvfsPoint> &dvfs);
  bool parseComputePower(const YNode &node, PowerConfig &power);
  /// compute.mac_energy_pj_by_precision (CompressionParser.cpp).
  bool parseMacEnergies(const YNode &node, StringRef path,
                        ComputeArray &compute);
  /// The top-level `compression` section, applied to \p target's data
  /// types, MAC energy and weight format (CompressionParser.cpp).
  bool parseCompression(const YNode &node, Target &target);
  /// Reads the optional non-negative number `key` of \p fields into
  /// \p out (left unset when the key is absent).
  bool readOptionalDouble(const Fields &fields, StringRef key,
                          std::optional<double> &out);

  struct Problem {
    Problem(unsigned line, unsigned column, std::string message)
        : line(line), column(column), message(std::move(message)) {}
    unsigned line, column;
    std::string message;
  };

  StringRef text;
  StringRef fileName;
  SourceMgr sourceMgr;
  std::optional<Problem> error;
};

} // namespace target_parser
} // namespace romac

#endif // ROMAC_LIB_TARGET_TARGETPARSERIMPL_H
