//===- WeightTransforms.h - weight compression algorithms -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The weight-compression algorithms of issue #15, on plain float buffers:
//
//  - symmetric quantization: per output channel for weights, per tensor for
//    activations (scale = max|x| / qmax, qmax = 2^(bits-1) - 1, round half
//    away from zero, clamp to [-qmax, qmax]);
//  - weight sharing as in Deep Compression (Han, Mao and Dally, ICLR 2016,
//    Section 3): 1-D k-means with linear initialisation and Lloyd
//    iterations, so that a layer stores K centroids and a log2(K)-bit index
//    per weight;
//  - pruning: unstructured by magnitude, and the 2:4 structured sparsity of
//    NVIDIA's sparse tensor cores.
//
// Every result is deterministic: ties are broken by index, never by hash or
// allocation order. This library includes no MLIR header.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_COMPRESSION_WEIGHTTRANSFORMS_H
#define ROMAC_COMPRESSION_WEIGHTTRANSFORMS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace romac {

//===----------------------------------------------------------------------===//
// Symmetric quantization
//===----------------------------------------------------------------------===//

/// Smallest and largest bit widths the quantizers accept.
inline constexpr unsigned kMinQuantBits = 2, kMaxQuantBits = 8;

/// Largest quantized magnitude of a symmetric `bits`-bit code,
/// 2^(bits-1) - 1 (127 for 8 bits, 7 for 4 bits). `bits` must lie in
/// [kMinQuantBits, kMaxQuantBits].
int32_t getQuantMax(unsigned bits);

/// A tensor quantized symmetrically per output channel: element `i` of
/// channel `c` (the channel outermost) stands for `values[i] * scales[c]`.
struct QuantizedTensor {
  /// Bit width of the codes, in [kMinQuantBits, kMaxQuantBits].
  unsigned bits = 8;
  /// One code per weight, in [-qmax, qmax], in the weights' order.
  std::vector<int8_t> values;
  /// One scale per output channel.
  std::vector<float> scales;
  /// Number of output channels; `values.size()` is a multiple of it.
  int64_t channels = 0;
};

/// Quantizes `weights` (laid out channels x rest, the output channel
/// outermost) symmetrically per channel with `bits`-bit codes: the scale of a
/// channel is max|w| / qmax (1 for a channel of zeros, whose codes are all 0)
/// and a code is clamp(round-half-away-from-zero(w / scale), -qmax, qmax), so
/// the largest |w| of each channel maps to +-qmax. `channels` must be
/// positive and divide `weights.size()`; the weights must be finite.
QuantizedTensor quantizeSymmetricPerChannel(llvm::ArrayRef<float> weights,
                                            int64_t channels, unsigned bits);

/// The float values `q` stands for: `q.values[i] * q.scales[channel of i]`.
std::vector<float> dequantize(const QuantizedTensor &q);

/// Replaces `weights` by `dequantize(quantizeSymmetricPerChannel(...))`:
/// the values the quantized weights stand for, still in float.
void fakeQuantizePerChannel(llvm::MutableArrayRef<float> weights,
                            int64_t channels, unsigned bits);

/// The symmetric per-tensor scale of `bits`-bit codes for values of largest
/// magnitude `maxAbs`: maxAbs / qmax, or 1 when `maxAbs` is 0.
float getSymmetricScale(float maxAbs, unsigned bits);

/// Rounds every value in place to clamp(round-half-away-from-zero(v / scale),
/// -qmax, qmax) * scale. `scale` must be positive. Applying it twice with the
/// same scale changes nothing the second time.
void fakeQuantizePerTensor(llvm::MutableArrayRef<float> values, float scale,
                           unsigned bits);

//===----------------------------------------------------------------------===//
// Weight sharing
//===----------------------------------------------------------------------===//

/// Largest number of shared values a layer may have (indices are 16-bit).
inline constexpr unsigned kMaxSharedWeights = 65536;

/// Weights stored as a codebook of centroids and one index per weight.
struct SharedWeights {
  /// The shared values, ascending. Unused ones may remain when the weights
  /// have fewer distinct values than centroids.
  std::vector<float> centroids;
  /// For each weight, in order, the index of its centroid.
  std::vector<uint16_t> indices;
  /// Bits per stored index: log2(centroids.size()).
  unsigned indexBits = 0;

  /// Storage of the shared form in bits when each centroid takes
  /// `centroidBits`: centroids.size() * centroidBits + indices.size() *
  /// indexBits.
  uint64_t getStorageBits(unsigned centroidBits) const;

  /// The weights the shared form stands for: `centroids[indices[i]]`.
  std::vector<float> decode() const;
};

/// Clusters `weights` into `k` shared values with 1-D k-means (Deep
/// Compression, Section 3.1): linear initialisation (k centroids evenly
/// spaced from the smallest to the largest weight), then Lloyd iterations
/// until no assignment changes (at most 100). A weight goes to the nearest
/// centroid, ties to the lower index; an empty cluster keeps its centroid.
/// The centroids are returned ascending. `k` must be a power of two in
/// [2, kMaxSharedWeights], else the error says so; the weights must be
/// finite. With more than \p maxFit weights (and maxFit >= 2) the centroids
/// are fitted on an evenly strided sample of about maxFit of them (the first
/// weight and every ceil(n / maxFit)-th after it, plus the smallest and the
/// largest), then every weight takes its nearest centroid: a layer of
/// millions of weights then takes seconds, not minutes, and its centroids
/// are the sample's k-means, not exactly the means of all their weights.
llvm::Expected<SharedWeights>
shareWeights(llvm::ArrayRef<float> weights, unsigned k,
             size_t maxFit = static_cast<size_t>(-1));

//===----------------------------------------------------------------------===//
// Pruning
//===----------------------------------------------------------------------===//

/// Succeeds when `ratio`, the share of weights to prune, lies in the open
/// interval (0, 1); otherwise the error reads "prune: the ratio must be in
/// (0, 1), got R".
llvm::Error checkPruneRatio(double ratio);

/// Number of weights out of `n` that pruneByMagnitude() zeroes for `ratio`:
/// floor(ratio * n), the product first rounded to the nearest integer when
/// it lies within a relative 1e-12 of it, so that the rounding of `ratio`
/// does not lose a weight (0.29 of 100 is 29, although 0.29 * 100 evaluates
/// to 28.999999999999996).
uint64_t getPruneCount(double ratio, uint64_t n);

/// Zeroes the getPruneCount(ratio, n) weights of smallest magnitude (ties:
/// the lower index is pruned first) and returns the keep mask (true: kept).
/// `ratio` must pass checkPruneRatio(); the weights must be finite.
std::vector<bool> pruneByMagnitude(llvm::MutableArrayRef<float> weights,
                                   double ratio);

/// Applies 2:4 structured sparsity. `weights` is viewed as rows of
/// `innerSize` contiguous elements, the innermost (reduction) axis: C*R*S
/// for a KCRS convolution weight, K for a matmul weight stored N x K. Each
/// row is cut into groups of 4 consecutive elements from its start; in each
/// group the 2 of largest magnitude are kept (ties: the lower index is kept)
/// and the rest zeroed. A row's tail group of fewer than 4 elements keeps
/// ceil(len / 2). `innerSize` must be positive and divide `weights.size()`;
/// the weights must be finite. Returns the keep mask (true: kept).
std::vector<bool> prune2of4(llvm::MutableArrayRef<float> weights,
                            int64_t innerSize);

} // namespace romac

#endif // ROMAC_COMPRESSION_WEIGHTTRANSFORMS_H
