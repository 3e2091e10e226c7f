//===- TargetParser.cpp - read and validate target YAML ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads a target description with LLVM's node-level YAML parser, so that every
// value keeps its line and column, and validates it against the schema in
// docs/targets.md. The first problem found becomes a TargetError:
//
//   targets/x.yaml:12:5: error: dram.banks_per_group: must be a power of two,
//   got 6
//
// The YAML is first copied into a small owned tree (`YNode`), because
// llvm::yaml collections can only be walked once.
//
//===----------------------------------------------------------------------===//

#include "TargetParserImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <cmath>

using namespace llvm;
using namespace romac;

using namespace romac::target_parser;

//===----------------------------------------------------------------------===//
// YAML to YNode
//===----------------------------------------------------------------------===//

void TargetParser::setPosition(yaml::Node *node, YNode &out) {
  SMLoc loc = node->getSourceRange().Start;
  // An alias's range does not start at its '*'; its name points into the
  // buffer right after it.
  if (auto *alias = dyn_cast<yaml::AliasNode>(node))
    loc = SMLoc::getFromPointer(alias->getName().data() - 1);
  unsigned bufferId =
      loc.isValid() ? sourceMgr.FindBufferContainingLoc(loc) : 0;
  if (!bufferId)
    return;
  // A flow collection's range starts at its first entry; report its opening
  // bracket instead, which is where the user wrote the value.
  if (isa<yaml::MappingNode, yaml::SequenceNode>(node)) {
    const char *begin = sourceMgr.getMemoryBuffer(bufferId)->getBufferStart();
    const char *p = loc.getPointer();
    while (p > begin && (p[-1] == ' ' || p[-1] == '\t'))
      --p;
    if (p > begin && (p[-1] == '[' || p[-1] == '{'))
      loc = SMLoc::getFromPointer(p - 1);
  }
  auto [line, column] = sourceMgr.getLineAndColumn(loc, bufferId);
  out.line = line;
  out.column = column;
}

bool TargetParser::convert(yaml::Node *node, YNode &out) {
  setPosition(node, out);
  if (auto *scalar = dyn_cast<yaml::ScalarNode>(node)) {
    SmallString<32> storage;
    out.kind = YNode::Scalar;
    out.value = scalar->getValue(storage).str();
    return true;
  }
  if (auto *block = dyn_cast<yaml::BlockScalarNode>(node)) {
    out.kind = YNode::Scalar;
    out.value = block->getValue().str();
    return true;
  }
  if (isa<yaml::NullNode>(node)) {
    out.kind = YNode::Null;
    return true;
  }
  if (isa<yaml::AliasNode>(node))
    return fail(out.line, out.column,
                "YAML aliases ('*name') are not supported in target files");
  if (auto *sequence = dyn_cast<yaml::SequenceNode>(node)) {
    out.kind = YNode::Sequence;
    for (yaml::Node &item : *sequence) {
      out.children.emplace_back();
      if (!convert(&item, out.children.back()))
        return false;
    }
    return true;
  }
  if (auto *mapping = dyn_cast<yaml::MappingNode>(node)) {
    out.kind = YNode::Mapping;
    for (yaml::KeyValueNode &entry : *mapping) {
      yaml::Node *keyNode = entry.getKey();
      if (!keyNode)
        return fail(out.line, out.column, "invalid YAML mapping");
      YNode key;
      if (!convert(keyNode, key))
        return false;
      if (key.kind != YNode::Scalar)
        return fail(key.line, key.column,
                    "mapping keys must be plain scalars, got " +
                        key.describeKind());
      yaml::Node *valueNode = entry.getValue();
      if (!valueNode)
        return fail(key.line, key.column, "invalid YAML mapping value");
      YNode value;
      if (!convert(valueNode, value))
        return false;
      value.keyLine = key.line;
      value.keyColumn = key.column;
      if (value.kind == YNode::Null || value.line == 0) {
        value.line = key.line;
        value.column = key.column;
      }
      out.keys.push_back(std::move(key));
      out.children.push_back(std::move(value));
    }
    return true;
  }
  return fail(out.line, out.column, "unsupported YAML node");
}

bool TargetParser::readYaml(YNode &root, bool &empty) {
  empty = false;
  // Syntax errors reach the SourceMgr's handler; keep the first one.
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &diag, void *context) {
        auto *self = static_cast<TargetParser *>(context);
        self->fail(diag.getLineNo(), diag.getColumnNo() + 1,
                   "invalid YAML: " + diag.getMessage());
      },
      this);

  // Pass 1: scan the whole stream so that syntax errors anywhere are reported
  // before any value is interpreted.
  {
    yaml::Stream stream(text, sourceMgr, /*ShowColors=*/false);
    stream.skip();
    if (error)
      return false;
  }

  // Pass 2: copy the single document into the owned tree.
  yaml::Stream stream(text, sourceMgr, /*ShowColors=*/false);
  unsigned numDocuments = 0;
  for (yaml::Document &document : stream) {
    yaml::Node *node = document.getRoot();
    if (!node)
      return fail(1, 1, "invalid YAML: no document root");
    YNode converted;
    if (!convert(node, converted))
      return false;
    if (++numDocuments > 1)
      return fail(converted.line ? converted.line : 1,
                  converted.line ? converted.column : 1,
                  "a target file holds one YAML document, found a second one");
    root = std::move(converted);
  }
  empty = numDocuments == 0 || root.kind == YNode::Null;
  return !error;
}

//===----------------------------------------------------------------------===//
// Typed readers
//===----------------------------------------------------------------------===//

bool TargetParser::openMapping(const YNode &node, StringRef path,
                               ArrayRef<KeySpec> spec, Fields &out) {
  if (node.kind != YNode::Mapping)
    return fail(node, path.empty() ? StringRef("target") : path,
                "expected a mapping, got " + node.describeKind());
  out.node = &node;
  out.path = path.str();
  out.values.clear();
  for (size_t i = 0, e = node.keys.size(); i != e; ++i) {
    const YNode &key = node.keys[i];
    const YNode &value = node.children[i];
    std::string keyPath = out.pathOf(key.value);
    StringRef keyName = key.value;
    if (!llvm::any_of(
            spec, [keyName](const KeySpec &s) { return s.name == keyName; })) {
      SmallVector<StringRef> allowed;
      for (const KeySpec &s : spec)
        allowed.push_back(s.name);
      return fail(key, keyPath,
                  "unknown key (allowed: " + llvm::join(allowed, ", ") + ")");
    }
    auto [it, inserted] = out.values.try_emplace(key.value, &value);
    if (!inserted)
      return fail(key, keyPath,
                  "duplicate key (first given at line " +
                      Twine(it->second->keyLine) + ")");
  }
  for (const KeySpec &s : spec)
    if (s.required && !out.get(s.name))
      return failAtKey(node, out.pathOf(s.name), "missing required key");
  return true;
}

bool TargetParser::expectScalar(const YNode &node, StringRef path,
                                StringRef what) {
  if (node.kind == YNode::Scalar && !node.value.empty())
    return true;
  return fail(node, path, "expected " + what + ", got " + node.describeKind());
}

bool TargetParser::readUInt(const YNode &node, StringRef path, uint64_t &out,
                            bool allowZero) {
  if (!expectScalar(node, path, "an integer"))
    return false;
  StringRef value = StringRef(node.value).trim();
  double real;
  if (value.starts_with("-") && !value.getAsDouble(real, /*AllowInexact=*/true))
    return fail(node, path,
                Twine(allowZero ? "must not be negative" : "must be positive") +
                    ", got " + value);
  if (value.getAsInteger(10, out)) {
    if (!value.empty() && llvm::all_of(value, isDigit))
      return fail(node, path, "value " + value + " does not fit in 64 bits");
    return fail(node, path, "expected an integer, got '" + value + "'");
  }
  if (out == 0 && !allowZero)
    return fail(node, path, "must be positive, got 0");
  return true;
}

bool TargetParser::readPowerOfTwo(const YNode &node, StringRef path,
                                  uint64_t &out) {
  if (!readUInt(node, path, out))
    return false;
  if (!isPowerOf2_64(out))
    return fail(node, path, "must be a power of two, got " + Twine(out));
  return true;
}

bool TargetParser::readByteCount(const YNode &node, StringRef path,
                                 uint64_t &out) {
  if (!expectScalar(node, path, "a byte count"))
    return false;
  StringRef value = StringRef(node.value).trim();
  StringRef digits = value.take_while(isDigit);
  StringRef suffix = value.drop_front(digits.size()).ltrim();
  uint64_t scale = StringSwitch<uint64_t>(suffix)
                       .Case("", 1)
                       .Case("KiB", uint64_t(1) << 10)
                       .Case("MiB", uint64_t(1) << 20)
                       .Case("GiB", uint64_t(1) << 30)
                       .Default(0);
  if (value.starts_with("-"))
    return fail(node, path, "must be positive, got " + value);
  if (digits.empty() || scale == 0)
    return fail(node, path,
                "expected a byte count such as 65536 or 64KiB, got '" + value +
                    "'");
  uint64_t count;
  if (digits.getAsInteger(10, count))
    return fail(node, path, "value " + value + " does not fit in 64 bits");
  bool overflow = false;
  out = SaturatingMultiply(count, scale, &overflow);
  if (overflow)
    return fail(node, path, "value " + value + " does not fit in 64 bits");
  if (out == 0)
    return fail(node, path, "must be positive, got " + value);
  return true;
}

bool TargetParser::readDouble(const YNode &node, StringRef path, double &out,
                              bool allowZero) {
  if (!expectScalar(node, path, "a number"))
    return false;
  StringRef value = StringRef(node.value).trim();
  // getAsDouble accepts "inf" and "nan"; only finite decimal numbers are
  // meaningful here.
  if (value.getAsDouble(out, /*AllowInexact=*/true) || !std::isfinite(out) ||
      value.contains_insensitive("inf") || value.contains_insensitive("nan"))
    return fail(node, path, "expected a number, got '" + value + "'");
  if (out < 0)
    return fail(node, path,
                Twine(allowZero ? "must not be negative" : "must be positive") +
                    ", got " + value);
  if (out == 0 && !allowZero)
    return fail(node, path, "must be positive, got " + value);
  return true;
}

bool TargetParser::readString(const YNode &node, StringRef path,
                              std::string &out) {
  if (!expectScalar(node, path, "a string"))
    return false;
  out = node.value;
  return true;
}

bool TargetParser::readBool(const YNode &node, StringRef path, bool &out) {
  if (!expectScalar(node, path, "true or false"))
    return false;
  if (node.value != "true" && node.value != "false")
    return fail(node, path, "expected true or false, got '" + node.value + "'");
  out = node.value == "true";
  return true;
}

//===----------------------------------------------------------------------===//
// Sections
//===----------------------------------------------------------------------===//

static bool isValidTargetName(StringRef name) {
  return !name.empty() && llvm::all_of(name, [](char c) {
    return isAlnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool TargetParser::parseTop(const YNode &root, Target &target) {
  static const KeySpec spec[] = {
      {"name", false},       {"description", false},
      {"compute", true},     {"memories", true},
      {"dram", true},        {"dvfs", false},
      {"power", false},      {"activation_buffers_pooled", false},
      {"compression", false}};
  Fields top;
  if (root.kind != YNode::Mapping)
    return fail(root.line, root.column,
                "expected a mapping of target keys (name, compute, memories, "
                "dram, ...) at the top level, got " +
                    root.describeKind());
  if (!openMapping(root, "", spec, top))
    return false;

  if (const YNode *name = top.get("name")) {
    if (!readString(*name, "name", target.name))
      return false;
    if (!isValidTargetName(target.name))
      return fail(*name, "name",
                  "invalid target name '" + target.name +
                      "' (letters, digits, '-', '_' and '.' only)");
  } else {
    target.name = sys::path::stem(fileName).str();
  }
  if (const YNode *description = top.get("description"))
    if (!readString(*description, "description", target.description))
      return false;

  if (!parseCompute(*top.get("compute"), target.compute) ||
      !parseMemories(*top.get("memories"), target.memories) ||
      !parseDram(*top.get("dram"), target.dram))
    return false;
  if (const YNode *pooled = top.get("activation_buffers_pooled"))
    if (!readBool(*pooled, "activation_buffers_pooled",
                  target.activationBuffersPooled))
      return false;
  if (const YNode *dvfs = top.get("dvfs"))
    if (!parseDvfs(*dvfs, target.dvfs))
      return false;
  if (const YNode *power = top.get("power"))
    if (!parseComputePower(*power, target.power))
      return false;
  target.weightFormat = WeightFormat::get(
      {}, target.compute.getBytesPerElement(OperandKind::Weight));
  if (const YNode *compression = top.get("compression"))
    return parseCompression(*compression, target);
  return true;
}

bool TargetParser::parseCompute(const YNode &node, ComputeArray &compute) {
  static const KeySpec spec[] = {{"rows", true},
                                 {"cols", true},
                                 {"frequency_mhz", true},
                                 {"bytes_per_element", true},
                                 {"mac_energy_pj", true},
                                 {"pack_bytes_per_cycle", false},
                                 {"mac_energy_pj_by_precision", false},
                                 {"skips_zero_operands", false}};
  Fields fields;
  if (!openMapping(node, "compute", spec, fields) ||
      !readUInt(*fields.get("rows"), fields.pathOf("rows"), compute.rows) ||
      !readUInt(*fields.get("cols"), fields.pathOf("cols"), compute.cols) ||
      !readDouble(*fields.get("frequency_mhz"), fields.pathOf("frequency_mhz"),
                  compute.frequencyMHz, /*allowZero=*/false))
    return false;
  if (SaturatingMultiply(compute.rows, compute.cols) == UINT64_MAX)
    return fail(*fields.get("cols"), fields.pathOf("cols"),
                "rows * cols does not fit in 64 bits");

  static const KeySpec typeSpec[] = {
      {"input", true}, {"weight", true}, {"output", true}};
  Fields types;
  if (!openMapping(*fields.get("bytes_per_element"),
                   fields.pathOf("bytes_per_element"), typeSpec, types))
    return false;
  for (OperandKind operand : kAllOperands) {
    StringRef key = stringifyOperandKind(operand);
    const YNode &value = *types.get(key);
    uint64_t &bytes = compute.bytesPerElement[static_cast<unsigned>(operand)];
    if (!readUInt(value, types.pathOf(key), bytes))
      return false;
    if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
      return fail(value, types.pathOf(key),
                  "must be 1, 2, 4 or 8, got " + Twine(bytes));
  }
  if (const YNode *table = fields.get("mac_energy_pj_by_precision"))
    if (!parseMacEnergies(*table, fields.pathOf("mac_energy_pj_by_precision"),
                          compute))
      return false;
  if (const YNode *skips = fields.get("skips_zero_operands"))
    if (!readBool(*skips, fields.pathOf("skips_zero_operands"),
                  compute.skipsZeroOperands))
      return false;
  if (const YNode *pack = fields.get("pack_bytes_per_cycle"))
    if (!readDouble(*pack, fields.pathOf("pack_bytes_per_cycle"),
                    compute.packBytesPerCycle, /*allowZero=*/true))
      return false;
  return readDouble(*fields.get("mac_energy_pj"),
                    fields.pathOf("mac_energy_pj"), compute.macEnergyPJ,
                    /*allowZero=*/true);
}

bool TargetParser::parseMemory(const YNode &node, StringRef path,
                               OnChipMemory &memory, const YNode *&nameNode,
                               const YNode *&holdsNode) {
  static const KeySpec spec[] = {{"name", true},
                                 {"bytes", true},
                                 {"holds", true},
                                 {"read_energy_pj_per_byte", true},
                                 {"write_energy_pj_per_byte", true},
                                 {"bandwidth_bytes_per_cycle", true}};
  Fields fields;
  if (!openMapping(node, path, spec, fields))
    return false;
  nameNode = fields.get("name");
  holdsNode = fields.get("holds");
  if (!readString(*nameNode, fields.pathOf("name"), memory.name) ||
      !readByteCount(*fields.get("bytes"), fields.pathOf("bytes"),
                     memory.bytes))
    return false;

  // `holds` is one operand or a list of them.
  std::string holdsPath = fields.pathOf("holds");
  SmallVector<const YNode *> items;
  if (holdsNode->kind == YNode::Sequence) {
    for (const YNode &item : holdsNode->children)
      items.push_back(&item);
    if (items.empty())
      return fail(*holdsNode, holdsPath,
                  "must name at least one operand (input, weight, output)");
  } else {
    items.push_back(holdsNode);
  }
  for (auto [index, item] : llvm::enumerate(items)) {
    std::string itemPath = holdsNode->kind == YNode::Sequence
                               ? holdsPath + "[" + std::to_string(index) + "]"
                               : holdsPath;
    if (!expectScalar(*item, itemPath, "an operand name"))
      return false;
    std::optional<OperandKind> operand = symbolizeOperandKind(item->value);
    if (!operand)
      return fail(*item, itemPath,
                  "unknown operand '" + item->value +
                      "' (expected input, weight or output)");
    uint8_t bit = 1u << static_cast<unsigned>(*operand);
    if (memory.operandMask & bit)
      return fail(*item, itemPath,
                  "operand '" + item->value + "' is listed twice");
    memory.operandMask |= bit;
  }

  return readDouble(*fields.get("read_energy_pj_per_byte"),
                    fields.pathOf("read_energy_pj_per_byte"),
                    memory.readEnergyPJPerByte, /*allowZero=*/true) &&
         readDouble(*fields.get("write_energy_pj_per_byte"),
                    fields.pathOf("write_energy_pj_per_byte"),
                    memory.writeEnergyPJPerByte, /*allowZero=*/true) &&
         readDouble(*fields.get("bandwidth_bytes_per_cycle"),
                    fields.pathOf("bandwidth_bytes_per_cycle"),
                    memory.bandwidthBytesPerCycle, /*allowZero=*/false);
}

bool TargetParser::parseMemories(const YNode &node,
                                 std::vector<OnChipMemory> &memories) {
  if (node.kind != YNode::Sequence)
    return fail(node, "memories",
                "expected a sequence of memories, got " + node.describeKind());
  if (node.children.empty())
    return failAtKey(node, "memories", "expected at least one memory");

  StringMap<const YNode *> names;
  std::array<const OnChipMemory *, kNumOperands> holder = {};
  for (auto [index, item] : llvm::enumerate(node.children)) {
    std::string path = "memories[" + std::to_string(index) + "]";
    OnChipMemory memory;
    const YNode *nameNode = nullptr, *holdsNode = nullptr;
    if (!parseMemory(item, path, memory, nameNode, holdsNode))
      return false;
    auto [it, inserted] = names.try_emplace(memory.name, nameNode);
    if (!inserted)
      return fail(*nameNode, path + ".name",
                  "duplicate memory name '" + memory.name +
                      "' (first defined at line " + Twine(it->second->line) +
                      ")");
    memories.push_back(std::move(memory));
  }
  // Every operand is held by exactly one memory. Indices are only taken once
  // the vector no longer grows.
  for (auto [index, memory] : llvm::enumerate(memories)) {
    for (OperandKind operand : kAllOperands) {
      if (!memory.holds(operand))
        continue;
      const OnChipMemory *&slot = holder[static_cast<unsigned>(operand)];
      if (slot) {
        std::string path = "memories[" + std::to_string(index) + "].holds";
        const YNode &item = node.children[index];
        const YNode *holds = nullptr;
        for (auto [key, value] : llvm::zip_equal(item.keys, item.children))
          if (key.value == "holds")
            holds = &value;
        return fail(holds ? *holds : item, path,
                    "operand '" + stringifyOperandKind(operand) +
                        "' is already held by memory '" + slot->name +
                        "' (each operand lives in exactly one memory)");
      }
      slot = &memory;
    }
  }
  for (OperandKind operand : kAllOperands)
    if (!holder[static_cast<unsigned>(operand)])
      return failAtKey(node, "memories",
                       "no memory holds operand '" +
                           stringifyOperandKind(operand) + "'");
  return true;
}

bool TargetParser::parseTiming(const YNode &node, StringRef path,
                               DramTiming &timing) {
  static const KeySpec spec[] = {
      {"tCK", true},    {"CL", true},     {"CWL", true},    {"tRCD", true},
      {"tRP", true},    {"tRAS", true},   {"tRC", true},    {"tCCD_S", true},
      {"tCCD_L", true}, {"tRRD_S", true}, {"tRRD_L", true}, {"tFAW", true},
      {"tWR", true},    {"tWTR_S", true}, {"tWTR_L", true}, {"tRTP", true},
      {"tRFC", true},   {"tREFI", true}};
  Fields fields;
  if (!openMapping(node, path, spec, fields) ||
      !readDouble(*fields.get("tCK"), fields.pathOf("tCK"), timing.tCK,
                  /*allowZero=*/false))
    return false;
  std::pair<StringRef, uint64_t *> cycles[] = {
      {"CL", &timing.CL},         {"CWL", &timing.CWL},
      {"tRCD", &timing.tRCD},     {"tRP", &timing.tRP},
      {"tRAS", &timing.tRAS},     {"tRC", &timing.tRC},
      {"tCCD_S", &timing.tCCD_S}, {"tCCD_L", &timing.tCCD_L},
      {"tRRD_S", &timing.tRRD_S}, {"tRRD_L", &timing.tRRD_L},
      {"tFAW", &timing.tFAW},     {"tWR", &timing.tWR},
      {"tWTR_S", &timing.tWTR_S}, {"tWTR_L", &timing.tWTR_L},
      {"tRTP", &timing.tRTP},     {"tRFC", &timing.tRFC},
      {"tREFI", &timing.tREFI}};
  for (auto [key, out] : cycles)
    if (!readUInt(*fields.get(key), fields.pathOf(key), *out))
      return false;

  // Values are below 2^64 each; compare sums without overflow.
  if (timing.tRC < timing.tRAS || timing.tRC - timing.tRAS < timing.tRP)
    return fail(*fields.get("tRC"), fields.pathOf("tRC"),
                "must be at least tRAS + tRP = " +
                    Twine(SaturatingAdd(timing.tRAS, timing.tRP)) + ", got " +
                    Twine(timing.tRC));
  std::tuple<StringRef, StringRef, uint64_t, uint64_t> atLeast[] = {
      {"tCCD_L", "tCCD_S", timing.tCCD_L, timing.tCCD_S},
      {"tRRD_L", "tRRD_S", timing.tRRD_L, timing.tRRD_S},
      {"tWTR_L", "tWTR_S", timing.tWTR_L, timing.tWTR_S}};
  for (auto [longKey, shortKey, longValue, shortValue] : atLeast)
    if (longValue < shortValue)
      return fail(*fields.get(longKey), fields.pathOf(longKey),
                  "must be at least " + shortKey + " = " + Twine(shortValue) +
                      ", got " + Twine(longValue));
  if (timing.tREFI <= timing.tRFC)
    return fail(*fields.get("tREFI"), fields.pathOf("tREFI"),
                "must be greater than tRFC = " + Twine(timing.tRFC) + ", got " +
                    Twine(timing.tREFI));
  return true;
}

bool TargetParser::parsePower(const YNode &node, StringRef path,
                              DramPower &power) {
  static const KeySpec spec[] = {
      {"VDD", true},   {"IDD0", true},  {"IDD2N", true}, {"IDD3N", true},
      {"IDD4R", true}, {"IDD4W", true}, {"IDD5AB", true}};
  Fields fields;
  if (!openMapping(node, path, spec, fields))
    return false;
  std::pair<StringRef, double *> values[] = {
      {"VDD", &power.VDD},      {"IDD0", &power.IDD0},
      {"IDD2N", &power.IDD2N},  {"IDD3N", &power.IDD3N},
      {"IDD4R", &power.IDD4R},  {"IDD4W", &power.IDD4W},
      {"IDD5AB", &power.IDD5AB}};
  for (auto [key, out] : values)
    if (!readDouble(*fields.get(key), fields.pathOf(key), *out,
                    /*allowZero=*/false))
      return false;

  // The DRAMPower energies (docs/targets.md) must not come out negative. With
  // IDD0 > IDD3N >= IDD2N the activate/precharge energy
  // IDD0*tRC - (IDD3N*tRAS + IDD2N*(tRC - tRAS)) is positive too.
  // Messages quote the values as written in the file.
  auto text = [&](StringRef key) {
    return StringRef(fields.get(key)->value).trim();
  };
  if (power.IDD3N < power.IDD2N)
    return fail(*fields.get("IDD3N"), fields.pathOf("IDD3N"),
                "must be at least IDD2N = " + text("IDD2N") + ", got " +
                    text("IDD3N"));
  for (auto [key, out] : values) {
    if (!llvm::is_contained({"IDD0", "IDD4R", "IDD4W", "IDD5AB"}, key))
      continue;
    if (*out <= power.IDD3N)
      return fail(*fields.get(key), fields.pathOf(key),
                  "must be greater than IDD3N = " + text("IDD3N") + ", got " +
                      text(key));
  }
  return true;
}

bool TargetParser::checkAddressMapping(const YNode &node, StringRef path,
                                       const DramConfig &dram) {
  StringRef mapping = dram.addressMapping;
  if (llvm::any_of(kNamedAddressMappings, [&](const NamedAddressMapping &m) {
        return m.name == mapping;
      }))
    return true;

  auto unknown = [&]() {
    return fail(node, path,
                "unknown address mapping '" + mapping +
                    "' (expected romanet, drmap, row-interleaved, or a field "
                    "order such as RoBaRaCoCh made of Ch, Ra, Bg, Ba, Ro, "
                    "Co)");
  };
  if (mapping.size() % 2 != 0 || mapping.empty())
    return unknown();
  StringRef fields[] = {"Ch", "Ra", "Bg", "Ba", "Ro", "Co"};
  StringMap<bool> seen;
  for (size_t i = 0; i < mapping.size(); i += 2) {
    StringRef field = mapping.substr(i, 2);
    if (!llvm::is_contained(fields, field))
      return unknown();
    if (!seen.try_emplace(field, true).second)
      return fail(node, path,
                  "field " + field + " appears twice in address mapping '" +
                      mapping + "'");
  }
  for (StringRef field : {"Ro", "Ba", "Co"})
    if (!seen.count(field))
      return fail(node, path,
                  "address mapping '" + mapping + "' has no " + field +
                      " field");
  std::tuple<StringRef, uint64_t, StringRef> counted[] = {
      {"Ch", dram.channels, "channels"}, {"Ra", dram.ranks, "ranks"}};
  for (auto [field, count, what] : counted)
    if (count > 1 && !seen.count(field))
      return fail(node, path,
                  "address mapping '" + mapping + "' has no " + field +
                      " field but there are " + Twine(count) + " " + what);
  return true;
}

bool TargetParser::parseDram(const YNode &node, DramConfig &dram) {
  static const KeySpec spec[] = {{"standard", true},
                                 {"channels", true},
                                 {"ranks", true},
                                 {"chips_per_rank", true},
                                 {"device_width", true},
                                 {"bank_groups", true},
                                 {"banks_per_group", true},
                                 {"rows", true},
                                 {"columns", true},
                                 {"burst_length", true},
                                 {"page_policy", true},
                                 {"address_mapping", true},
                                 {"flat_energy_pj_per_bit", true},
                                 {"controller_queue", false},
                                 {"timing", true},
                                 {"power", true}};
  Fields fields;
  if (!openMapping(node, "dram", spec, fields))
    return false;

  const YNode &standard = *fields.get("standard");
  if (!expectScalar(standard, fields.pathOf("standard"), "a DRAM standard"))
    return false;
  std::optional<DramStandard> parsedStandard =
      symbolizeDramStandard(standard.value);
  if (!parsedStandard)
    return fail(standard, fields.pathOf("standard"),
                "unknown DRAM standard '" + standard.value +
                    "' (expected DDR3, DDR4, LPDDR4 or HBM2)");
  dram.standard = *parsedStandard;

  std::pair<StringRef, uint64_t *> counts[] = {
      {"channels", &dram.channels},
      {"ranks", &dram.ranks},
      {"chips_per_rank", &dram.chipsPerRank},
      {"device_width", &dram.deviceWidth},
      {"bank_groups", &dram.bankGroups},
      {"banks_per_group", &dram.banksPerGroup},
      {"rows", &dram.rows},
      {"columns", &dram.columns},
      {"burst_length", &dram.burstLength}};
  for (auto [key, out] : counts)
    if (!readPowerOfTwo(*fields.get(key), fields.pathOf(key), *out))
      return false;

  // Every count is a power of two below 2^64, so these sums of logs cannot
  // overflow.
  if (Log2_64(dram.chipsPerRank) + Log2_64(dram.deviceWidth) < 3)
    return fail(*fields.get("device_width"), fields.pathOf("device_width"),
                "the bus (chips_per_rank * device_width = " +
                    Twine(dram.chipsPerRank * dram.deviceWidth) +
                    " bits) is not a whole number of bytes");
  if (dram.burstLength < 2)
    return fail(*fields.get("burst_length"), fields.pathOf("burst_length"),
                "must be at least 2, got " + Twine(dram.burstLength));
  if (dram.burstLength > dram.columns)
    return fail(*fields.get("burst_length"), fields.pathOf("burst_length"),
                "must not exceed columns = " + Twine(dram.columns) + ", got " +
                    Twine(dram.burstLength));
  unsigned capacityBits =
      Log2_64(dram.channels) + Log2_64(dram.ranks) + Log2_64(dram.bankGroups) +
      Log2_64(dram.banksPerGroup) + Log2_64(dram.rows) + Log2_64(dram.columns) +
      Log2_64(dram.chipsPerRank) + Log2_64(dram.deviceWidth) - 3;
  if (capacityBits >= 64)
    return failAtKey(node, "dram",
                     "capacity of 2^" + Twine(capacityBits) +
                         " bytes does not fit in 64 bits");
  if (Log2_64(dram.bankGroups) + Log2_64(dram.banksPerGroup) +
          Log2_64(dram.rows) + Log2_64(dram.columns) +
          Log2_64(dram.deviceWidth) >=
      64)
    return failAtKey(node, "dram", "device density does not fit in 64 bits");

  const YNode &policy = *fields.get("page_policy");
  if (!expectScalar(policy, fields.pathOf("page_policy"), "a page policy"))
    return false;
  std::optional<PagePolicy> parsedPolicy = symbolizePagePolicy(policy.value);
  if (!parsedPolicy)
    return fail(policy, fields.pathOf("page_policy"),
                "unknown page policy '" + policy.value +
                    "' (expected open or closed)");
  dram.pagePolicy = *parsedPolicy;

  const YNode &mapping = *fields.get("address_mapping");
  if (!readString(mapping, fields.pathOf("address_mapping"),
                  dram.addressMapping) ||
      !checkAddressMapping(mapping, fields.pathOf("address_mapping"), dram))
    return false;

  if (const YNode *queue = fields.get("controller_queue"))
    if (!readUInt(*queue, fields.pathOf("controller_queue"),
                  dram.controllerQueue))
      return false;

  return readDouble(*fields.get("flat_energy_pj_per_bit"),
                    fields.pathOf("flat_energy_pj_per_bit"),
                    dram.flatEnergyPJPerBit, /*allowZero=*/true) &&
         parseTiming(*fields.get("timing"), fields.pathOf("timing"),
                     dram.timing) &&
         parsePower(*fields.get("power"), fields.pathOf("power"), dram.power);
}

bool TargetParser::parseDvfs(const YNode &node, std::vector<DvfsPoint> &dvfs) {
  if (node.kind != YNode::Sequence)
    return fail(node, "dvfs",
                "expected a sequence of {frequency_mhz, voltage} points, got " +
                    node.describeKind());
  if (node.children.empty())
    return failAtKey(node, "dvfs",
                     "expected at least one operating point (or leave dvfs "
                     "out)");
  static const KeySpec spec[] = {
      {"frequency_mhz", true}, {"voltage", true}, {"static_power_mw", false}};
  for (auto [index, item] : llvm::enumerate(node.children)) {
    std::string path = "dvfs[" + std::to_string(index) + "]";
    Fields fields;
    DvfsPoint point;
    if (!openMapping(item, path, spec, fields) ||
        !readDouble(*fields.get("frequency_mhz"),
                    fields.pathOf("frequency_mhz"), point.frequencyMHz,
                    /*allowZero=*/false) ||
        !readDouble(*fields.get("voltage"), fields.pathOf("voltage"),
                    point.voltage, /*allowZero=*/false))
      return false;
    if (!readOptionalDouble(fields, "static_power_mw", point.staticPowerMW))
      return false;
    for (auto [previousIndex, previous] : llvm::enumerate(dvfs))
      if (previous.frequencyMHz == point.frequencyMHz)
        return fail(
            *fields.get("frequency_mhz"), fields.pathOf("frequency_mhz"),
            "duplicate frequency " + fields.get("frequency_mhz")->value +
                " MHz (also in dvfs[" + Twine(previousIndex) + "])");
    dvfs.push_back(point);
  }
  return true;
}

bool TargetParser::readOptionalDouble(const Fields &fields, StringRef key,
                                      std::optional<double> &out) {
  const YNode *node = fields.get(key);
  if (!node)
    return true;
  double value = 0;
  if (!readDouble(*node, fields.pathOf(key), value, /*allowZero=*/true))
    return false;
  out = value;
  return true;
}

bool TargetParser::parseComputePower(const YNode &node, PowerConfig &power) {
  static const KeySpec spec[] = {{"static_power_mw", false},
                                 {"dfs_switch_us", false}};
  Fields fields;
  if (!openMapping(node, "power", spec, fields))
    return false;
  if (!readOptionalDouble(fields, "static_power_mw", power.staticPowerMW))
    return false;
  if (const YNode *sw = fields.get("dfs_switch_us"))
    if (!readDouble(*sw, fields.pathOf("dfs_switch_us"), power.dfsSwitchUs,
                    /*allowZero=*/true))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

Expected<Target> TargetParser::parse() {
  Target target;
  target.sourcePath = fileName.str();
  YNode root;
  bool empty = false;
  if (readYaml(root, empty)) {
    if (empty)
      return make_error<TargetError>(
          fileName.str(), 0, 0,
          "empty target file (expected a mapping with compute, memories and "
          "dram)");
    parseTop(root, target);
  }
  if (error)
    return make_error<TargetError>(fileName.str(), error->line, error->column,
                                   error->message);
  return target;
}

Expected<Target> romac::parseTarget(StringRef yamlText, StringRef fileName) {
  TargetParser parser(yamlText, fileName);
  return parser.parse();
}
