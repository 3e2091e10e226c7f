//===- CompressionParser.cpp - a target's compression keys ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The target keys of issue #15 (docs/targets.md, docs/compression.md):
//
//   compute:
//     mac_energy_pj_by_precision: {w8a8: 0.315, w4a8: 0.21, ...}
//     skips_zero_operands: false
//   compression:
//     quantize: w4a8
//     weight_sharing: 16
//     prune: 0.5        # or 2:4
//
// A `compression` section is applied to the target it is part of: the
// operands' bytes per element become the quantized types', the MAC energy
// the table's entry for the precision, and constant weights take the
// WeightFormat.
//
//===----------------------------------------------------------------------===//

#include "TargetParserImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace llvm;
using namespace romac;
using namespace romac::target_parser;

bool TargetParser::parseMacEnergies(const YNode &node, StringRef path,
                                    ComputeArray &compute) {
  if (node.kind != YNode::Mapping)
    return failAtKey(node, path,
                     "expected a mapping of precisions (w8a8, w4a8, ...) to "
                     "MAC energies in pJ, got " +
                         node.describeKind());
  for (auto [key, value] : llvm::zip_equal(node.keys, node.children)) {
    std::string keyPath = (path + "." + key.value).str();
    // Any wNaM (a table may list pairs no --quantize spec names yet).
    unsigned w = 0, a = 0;
    StringRef rest = key.value;
    if (!rest.consume_front("w") || rest.consumeInteger(10, w) ||
        !rest.consume_front("a") || rest.getAsInteger(10, a) || w == 0 ||
        a == 0)
      return fail(key, keyPath,
                  "expected a precision such as w8a8 or w4a16, got '" +
                      key.value + "'");
    double pj = 0;
    if (!readDouble(value, keyPath, pj, /*allowZero=*/true))
      return false;
    compute.macEnergyByPrecision.emplace_back(key.value, pj);
  }
  return true;
}

bool TargetParser::parseCompression(const YNode &node, Target &target) {
  static const KeySpec spec[] = {
      {"quantize", false}, {"weight_sharing", false}, {"prune", false}};
  Fields fields;
  if (!openMapping(node, "compression", spec, fields))
    return false;
  Compression c;
  // Each value's own parser gives the message; this one adds the position.
  auto check = [&](const YNode &value, StringRef key, Error err) {
    if (!err)
      return true;
    std::string message = toString(std::move(err));
    return fail(value, fields.pathOf(key), message);
  };
  if (const YNode *q = fields.get("quantize")) {
    if (!expectScalar(*q, fields.pathOf("quantize"), "a spec such as w4a8"))
      return false;
    Expected<Precision> precision = parsePrecision(q->value);
    if (!precision)
      return check(*q, "quantize", precision.takeError());
    c.quantize = *precision;
  }
  if (const YNode *k = fields.get("weight_sharing")) {
    if (!expectScalar(*k, fields.pathOf("weight_sharing"), "K"))
      return false;
    Expected<unsigned> shared = parseWeightSharing(k->value);
    if (!shared)
      return check(*k, "weight_sharing", shared.takeError());
    c.sharedWeights = *shared;
  }
  if (const YNode *p = fields.get("prune")) {
    if (!expectScalar(*p, fields.pathOf("prune"), "a ratio or 2:4"))
      return false;
    if (!check(*p, "prune", parsePrune(p->value, c)))
      return false;
  }
  // The precision's MAC energy (the only error applyCompression() can give
  // a parsed section) is reported at the quantize key.
  if (const YNode *q = fields.get("quantize"))
    return check(*q, "quantize", applyCompression(target, c));
  llvm::cantFail(applyCompression(target, c));
  return true;
}
