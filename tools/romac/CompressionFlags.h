//===- CompressionFlags.h - --quantize, --weight-sharing, --prune -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The compression flags of the subcommands that compile (docs/compression.md).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_COMPRESSIONFLAGS_H
#define ROMAC_TOOLS_ROMAC_COMPRESSIONFLAGS_H

#include "romac/Target/Compression.h"

#include "llvm/Support/Error.h"

#include <CLI/CLI.hpp>

#include <string>

namespace romac::driver {

/// The flags as given ("" when absent).
struct CompressionArgs {
  std::string quantize, weightSharing, prune;
};

/// Declares --quantize, --weight-sharing and --prune on \p cmd.
inline void addCompressionFlags(CLI::App *cmd, CompressionArgs &args) {
  cmd->add_option("--quantize", args.quantize,
                  "Quantize weights (symmetric, per output channel) and "
                  "activations (per tensor): w8a8, w8a16, w4a16 or w4a8; "
                  "the target needs a MAC energy for it "
                  "(compute.mac_energy_pj_by_precision)");
  cmd->add_option("--weight-sharing", args.weightSharing,
                  "Share K weights per layer (k-means; log2 K index bits "
                  "per weight plus a codebook); K a power of two >= 2");
  cmd->add_option("--prune", args.prune,
                  "Prune weights: a ratio in (0, 1) by magnitude "
                  "(unstructured, bitmask), or 2:4 (structured)");
}

/// The compression the flags ask for (empty when none is given), or the
/// error of the first invalid one.
inline llvm::Expected<Compression>
parseCompressionFlags(const CompressionArgs &args) {
  Compression c;
  if (!args.quantize.empty()) {
    llvm::Expected<Precision> p = parsePrecision(args.quantize);
    if (!p)
      return p.takeError();
    c.quantize = *p;
  }
  if (!args.weightSharing.empty()) {
    llvm::Expected<unsigned> k = parseWeightSharing(args.weightSharing);
    if (!k)
      return k.takeError();
    c.sharedWeights = *k;
  }
  if (!args.prune.empty())
    if (llvm::Error e = parsePrune(args.prune, c))
      return std::move(e);
  return c;
}

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_COMPRESSIONFLAGS_H
