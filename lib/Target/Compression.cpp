//===- Compression.cpp - compression specs and weight formats ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Compression.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace llvm;
using namespace romac;

namespace {
/// The `--quantize` specs romac supports.
constexpr Precision kPrecisions[] = {{8, 8}, {8, 16}, {4, 16}, {4, 8}};
} // namespace

std::string Precision::str() const {
  return "w" + std::to_string(weightBits) + "a" +
         std::to_string(activationBits);
}

Expected<Precision> romac::parsePrecision(StringRef spec) {
  for (const Precision &p : kPrecisions)
    if (spec == p.str())
      return p;
  std::string valid;
  for (const Precision &p : kPrecisions)
    valid += (valid.empty() ? "" : ", ") + p.str();
  return createStringError("--quantize: invalid spec '" + spec.str() +
                           "' (expected one of " + valid + ")");
}

Expected<unsigned> romac::parseWeightSharing(StringRef text) {
  unsigned k = 0;
  if (text.getAsInteger(10, k) || k < 2 || k > 65536 || !isPowerOf2_32(k))
    return createStringError(
        "--weight-sharing: K must be a power of two greater than 1 (at most "
        "65536), got '" +
        text.str() + "'");
  return k;
}

Error romac::parsePrune(StringRef text, Compression &compression) {
  if (text == "2:4") {
    compression.sparsity = Sparsity::TwoFour;
    compression.pruneRatio = 0.5;
    return Error::success();
  }
  double ratio = 0;
  if (text.getAsDouble(ratio) || !(ratio > 0 && ratio < 1))
    return createStringError("--prune: expected a ratio in (0, 1) or 2:4, got "
                             "'" +
                             text.str() + "'");
  compression.sparsity = Sparsity::Unstructured;
  compression.pruneRatio = ratio;
  return Error::success();
}

std::string Compression::getFlags() const {
  std::string flags;
  auto add = [&](const std::string &flag) {
    flags += (flags.empty() ? "" : " ") + flag;
  };
  if (quantize)
    add("--quantize " + quantize->str());
  if (sharedWeights)
    add("--weight-sharing " + std::to_string(sharedWeights));
  if (sparsity == Sparsity::TwoFour)
    add("--prune 2:4");
  else if (sparsity == Sparsity::Unstructured)
    add("--prune " +
        llvm::formatv("{0}", llvm::format("%g", pruneRatio)).str());
  return flags;
}

WeightFormat WeightFormat::get(const Compression &compression,
                               uint64_t nativeBytes) {
  WeightFormat format;
  format.valueBits = compression.quantize
                         ? compression.quantize->weightBits
                         : static_cast<unsigned>(8 * nativeBytes);
  format.sharedWeights = compression.sharedWeights;
  format.sparsity = compression.sparsity;
  format.density = compression.getDensity();
  return format;
}

unsigned WeightFormat::getCodeBits() const {
  return sharedWeights ? Log2_32(sharedWeights) : valueBits;
}

uint32_t WeightFormat::getBits16() const {
  double code = getCodeBits();
  double bits = code;
  if (sparsity == Sparsity::Unstructured)
    bits = density * code + 1;
  else if (sparsity == Sparsity::TwoFour)
    bits = (2 * code + 2 * 2) / 4;
  // Sixteenths, rounded up; the epsilon keeps an exact product (0.5 * 8 *
  // 16 = 64) from rounding up by a representation error.
  return static_cast<uint32_t>(std::ceil(bits * 16 - 1e-9));
}

uint64_t WeightFormat::getCodebookBytes() const {
  return sharedWeights ? divideCeil(uint64_t(sharedWeights) * valueBits, 8) : 0;
}

Error romac::applyCompression(Target &target, const Compression &compression) {
  if (!target.compression.empty())
    return createStringError("target '" + target.name +
                             "' is already compiled for " +
                             target.compression.getFlags());
  ComputeArray &compute = target.compute;
  uint64_t nativeWeightBytes = compute.getBytesPerElement(OperandKind::Weight);
  if (const std::optional<Precision> &p = compression.quantize) {
    auto entry = find_if(compute.macEnergyByPrecision,
                         [&](auto &e) { return e.first == p->str(); });
    if (entry == compute.macEnergyByPrecision.end())
      return createStringError(
          "target '" + target.name + "' has no MAC energy for " + p->str() +
          " (add compute.mac_energy_pj_by_precision." + p->str() + ")");
    compute.macEnergyPJ = entry->second;
    uint64_t activationBytes = p->activationBits / 8;
    compute.bytesPerElement[unsigned(OperandKind::Input)] = activationBytes;
    compute.bytesPerElement[unsigned(OperandKind::Output)] = activationBytes;
    compute.bytesPerElement[unsigned(OperandKind::Weight)] =
        divideCeil(p->weightBits, 8);
  }
  target.compression = compression;
  target.weightFormat = WeightFormat::get(compression, nativeWeightBytes);
  return Error::success();
}

std::string WeightFormat::str() const {
  std::string s = "int" + std::to_string(valueBits);
  if (sharedWeights)
    s += " k" + std::to_string(sharedWeights);
  if (sparsity == Sparsity::TwoFour)
    s += " 2:4";
  else if (sparsity == Sparsity::Unstructured)
    s += " " + std::to_string(static_cast<int>(std::lround(density * 100))) +
         "%";
  return s;
}
