//===- Compression.h - quantization, weight sharing, pruning ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The compression levers of issue #15 as a target property: the data types
// and the weight format a network is compiled with (`romac compile
// --quantize w4a8 --weight-sharing 16 --prune 2:4`, or a target YAML's
// `compression` section; docs/compression.md).
//
//  - Quantization sets the bit widths of the weights (symmetric per output
//    channel) and of the activations (per tensor).
//  - Weight sharing replaces every weight of a layer by one of K centroids
//    (k-means per layer): log2 K index bits per weight plus a codebook of K
//    values per layer.
//  - Pruning zeroes weights: unstructured by magnitude (a fraction r; stored
//    as the kept values plus a one-bit-per-weight mask) or structured 2:4 (in
//    every 4 consecutive weights along the reduction 2 are kept; stored as
//    the 2 values plus a 2-bit position each).
//
// Only weights known when compiling (constants) are compressed; activations
// change their type only. WeightFormat computes the bits a weight takes in
// memory, which the search, the DRAM model and fusion all use.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TARGET_COMPRESSION_H
#define ROMAC_TARGET_COMPRESSION_H

#include "romac/Support/EnumTable.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace romac {

/// The bit widths `--quantize wXaY` sets.
struct Precision {
  unsigned weightBits = 8;
  unsigned activationBits = 8;

  /// "w4a8".
  std::string str() const;
  bool operator==(const Precision &other) const {
    return weightBits == other.weightBits &&
           activationBits == other.activationBits;
  }
};

/// Parses one of the supported `--quantize` specs: w8a8, w8a16, w4a16 or
/// w4a8. The error names the spec and lists the valid ones.
llvm::Expected<Precision> parsePrecision(llvm::StringRef spec);

/// How pruned weights are zeroed and stored.
enum class Sparsity : uint8_t {
  /// No pruning.
  Dense,
  /// By magnitude, a fraction of every layer's weights; a bitmask marks the
  /// kept ones.
  Unstructured,
  /// 2 of every 4 consecutive weights along the reduction; 2 bits locate
  /// each kept weight in its group.
  TwoFour
};

/// The spellings of Sparsity in schedules (EnumTable.h).
inline constexpr EnumName<Sparsity> kSparsityNames[] = {
    {Sparsity::Dense, "dense"},
    {Sparsity::Unstructured, "unstructured"},
    {Sparsity::TwoFour, "2:4"},
};

/// The compression a network is compiled with. Empty by default.
struct Compression {
  /// The data types; std::nullopt keeps the target's own.
  std::optional<Precision> quantize;
  /// Number of shared weights per layer (a power of two >= 2); 0: none.
  unsigned sharedWeights = 0;
  Sparsity sparsity = Sparsity::Dense;
  /// The fraction of weights zeroed: in (0, 1) for Unstructured, 0.5 for
  /// TwoFour, 0 for Dense.
  double pruneRatio = 0;

  /// Whether no lever is set.
  bool empty() const {
    return !quantize && sharedWeights == 0 && sparsity == Sparsity::Dense;
  }
  /// The fraction of weights kept (1 - pruneRatio).
  double getDensity() const { return 1 - pruneRatio; }
  /// The command-line spelling, e.g. "--quantize w4a8 --weight-sharing 16
  /// --prune 2:4" ("" when empty).
  std::string getFlags() const;
};

/// Parses `--weight-sharing K`: K a power of two in [2, 65536].
llvm::Expected<unsigned> parseWeightSharing(llvm::StringRef text);
/// Parses `--prune R` (a ratio in (0, 1), unstructured) or `--prune 2:4`
/// into \p compression's sparsity and ratio.
llvm::Error parsePrune(llvm::StringRef text, Compression &compression);

/// The format of a constant weight in memory.
struct WeightFormat {
  /// Bits of one weight value (the quantized width, or the target's type),
  /// and of one centroid when weights are shared.
  unsigned valueBits = 8;
  /// Number of shared weights per layer; 0: none.
  unsigned sharedWeights = 0;
  Sparsity sparsity = Sparsity::Dense;
  /// The fraction of weights kept.
  double density = 1;

  /// The format of \p compression's weights on a target whose weights are
  /// \p nativeBytes bytes.
  static WeightFormat get(const Compression &compression, uint64_t nativeBytes);
  /// Bits per stored (non-zero) weight: log2 K index bits when shared, else
  /// the value bits.
  unsigned getCodeBits() const;
  /// Average bits one weight of the dense tensor takes, in sixteenths of a
  /// bit, rounded up: the code bits, times the density plus a one-bit mask
  /// (Unstructured), or half of them plus 2 index bits (TwoFour). Exact for
  /// every ratio that is a multiple of 1/16 of a code bit's weight.
  uint32_t getBits16() const;
  /// Bytes of a layer's codebook: K values of valueBits (0 when not shared).
  uint64_t getCodebookBytes() const;
  /// Whether weights are stored as plain whole-byte values.
  bool isPlain() const {
    return valueBits % 8 == 0 && sharedWeights == 0 &&
           sparsity == Sparsity::Dense;
  }
  /// "int4", "int8 k16", "int8 2:4", "int4 k16 50%"; `int` names any value
  /// width, quantized or native.
  std::string str() const;
};

} // namespace romac

#endif // ROMAC_TARGET_COMPRESSION_H
