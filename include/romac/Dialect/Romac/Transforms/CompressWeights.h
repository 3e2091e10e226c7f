//===- CompressWeights.h - compressed weights for execution -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What a compressed network computes, in the module's own float type
// (docs/compression.md, "Running compressed"). Every contraction's constant
// weight is replaced by its compressed form: pruned weights are zero, shared
// ones their k-means centroid; quantized ones are stored as their symmetric
// integer codes, and the contraction's result is multiplied by the scales
// (per output channel; the codebook's one scale when weights are also
// shared). quantizeModuleActivations() turns the activations `--quantize
// wXaY` rounds to Y bits into codes the same way, so that a quantized
// contraction is a sum of products of integer codes, which the runtime
// computes in int8 where it can (romac_*_i8, marked by the attributes
// romac.weight_code_bits and romac.activation_code_bits). `romac run
// --quantize/--weight-sharing/--prune` and the `romac-compress-weights`
// pass use it, so that the output error of a lever is measured on the real
// network.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_TRANSFORMS_COMPRESSWEIGHTS_H
#define ROMAC_DIALECT_ROMAC_TRANSFORMS_COMPRESSWEIGHTS_H

#include "romac/Target/Compression.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace romac {

/// What compressModuleWeights() did.
struct CompressedWeightsStats {
  /// Contractions whose weight was compressed, and its elements in all.
  int64_t tensors = 0;
  int64_t weights = 0;
  /// Of those, weights that are zero afterwards (pruned, or zero before).
  int64_t zeros = 0;
  /// Contractions with a constant weight that is not a plain f32 constant
  /// seen through transposes and reshapes (left as they are).
  int64_t skipped = 0;
};

/// Replaces, in every function of \p module, each contraction's constant f32
/// weight by what \p compression stores (docs/compression.md): pruning by
/// magnitude over the layer (or 2:4 along the reduction, in the weight's
/// channel-major order), then k-means sharing of the kept weights (its K
/// centroids quantized per tensor when \p compression also quantizes), else
/// symmetric per-output-channel quantization. A quantized weight holds its
/// codes, and its contraction's result is multiplied by their scales
/// (rescaleContraction(); a weight whose output channels are not dims of
/// the result holds code * scale instead). A constant read by several ops
/// is copied for the contraction. Activations are not changed (see
/// quantizeModuleActivations()).
llvm::Expected<CompressedWeightsStats>
compressModuleWeights(mlir::ModuleOp module, const Compression &compression);

/// Rounds the activations every contraction with a constant weight reads to
/// symmetric \p bits-bit codes, one scale per tensor from its own max |x|
/// at run time (dynamic quantization: what calibrating on this input would
/// give), computed in f32: each such input (before its padding) goes through
/// a max-|x| reduction s = max(max |x|, FLT_MIN) / q and becomes
/// clamp(roundeven(x / s), -q, q), q = 2^(bits-1) - 1; the contraction's
/// result is multiplied by s. Products of two activations (attention) are
/// left as they are. With \p calibrated (static quantization: `romac run
/// --calibrate`), the i-th activation quantized takes calibrated[i] as its
/// max |x| instead, a constant: one per activation, in the order
/// addActivationProbes() measures them, else the error says how many
/// differ. Returns the number of activations quantized.
llvm::Expected<int64_t>
quantizeModuleActivations(mlir::ModuleOp module, unsigned bits,
                          llvm::ArrayRef<float> calibrated = {});

/// Appends to @main's results the max |x| (a tensor<f32>) of every
/// activation quantizeModuleActivations() would quantize, in its order, so
/// that runs of the module on calibration inputs measure them. Returns
/// their number; an error when another function would quantize one (only
/// @main runs) or there is no @main.
llvm::Expected<int64_t> addActivationProbes(mlir::ModuleOp module);

/// Multiplies the result of \p contraction (a linalg op with one result)
/// by \p factor, indexed from the result's dims by \p factorMap, in a
/// linalg.generic that every former user of the result reads instead. A
/// contraction whose initial value is not zeros starts from zeros, and
/// that value is added after the multiplication.
void rescaleContraction(mlir::Operation *contraction, mlir::Value factor,
                        mlir::AffineMap factorMap);

} // namespace romac

#endif // ROMAC_DIALECT_ROMAC_TRANSFORMS_COMPRESSWEIGHTS_H
