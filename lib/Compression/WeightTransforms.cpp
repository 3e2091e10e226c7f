//===- WeightTransforms.cpp - weight compression algorithms -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Symmetric quantization, Deep Compression's weight sharing (1-D k-means)
// and magnitude and 2:4 pruning. Quantization codes are computed in double
// from float scales; k-means sums in double and finds the nearest centroid
// by binary search over the centroids sorted by (value, index), which is
// what keeps ties on the lower index. Sorts use total orders with the index
// as the last key, so results never depend on the sort algorithm.
//
//===----------------------------------------------------------------------===//

#include "romac/Compression/WeightTransforms.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

using namespace llvm;
using namespace romac;

//===----------------------------------------------------------------------===//
// Symmetric quantization
//===----------------------------------------------------------------------===//

int32_t romac::getQuantMax(unsigned bits) {
  assert(bits >= kMinQuantBits && bits <= kMaxQuantBits &&
         "quantization bit width out of range");
  return (int32_t(1) << (bits - 1)) - 1;
}

namespace {

/// The code of `value` at `scale`: round half away from zero, then clamp.
int32_t quantizeValue(float value, float scale, int32_t qmax) {
  double code = std::round(double(value) / double(scale));
  code = std::clamp(code, double(-qmax), double(qmax));
  return int32_t(code);
}

/// maxAbs / qmax, 1 for zero, never 0 (a subnormal maxAbs could underflow).
float scaleFor(float maxAbs, int32_t qmax) {
  if (maxAbs == 0.0f)
    return 1.0f;
  float scale = maxAbs / float(qmax);
  return scale > 0.0f ? scale : std::numeric_limits<float>::denorm_min();
}

} // namespace

QuantizedTensor romac::quantizeSymmetricPerChannel(ArrayRef<float> weights,
                                                   int64_t channels,
                                                   unsigned bits) {
  assert(channels > 0 && weights.size() % uint64_t(channels) == 0 &&
         "the channels must divide the weights");
  int32_t qmax = getQuantMax(bits);
  size_t perChannel = weights.size() / size_t(channels);

  QuantizedTensor result;
  result.bits = bits;
  result.channels = channels;
  result.values.resize(weights.size());
  result.scales.resize(size_t(channels));
  for (size_t c = 0; c < size_t(channels); ++c) {
    ArrayRef<float> row = weights.slice(c * perChannel, perChannel);
    float maxAbs = 0.0f;
    for (float w : row)
      maxAbs = std::max(maxAbs, std::fabs(w));
    float scale = scaleFor(maxAbs, qmax);
    result.scales[c] = scale;
    for (size_t i = 0; i < perChannel; ++i)
      result.values[c * perChannel + i] =
          int8_t(quantizeValue(row[i], scale, qmax));
  }
  return result;
}

std::vector<float> romac::dequantize(const QuantizedTensor &q) {
  assert(q.channels > 0 && q.values.size() % uint64_t(q.channels) == 0 &&
         q.scales.size() == uint64_t(q.channels) && "malformed tensor");
  size_t perChannel = q.values.size() / size_t(q.channels);
  std::vector<float> result(q.values.size());
  for (size_t i = 0; i < q.values.size(); ++i)
    result[i] = float(q.values[i]) * q.scales[i / perChannel];
  return result;
}

void romac::fakeQuantizePerChannel(MutableArrayRef<float> weights,
                                   int64_t channels, unsigned bits) {
  std::vector<float> values =
      dequantize(quantizeSymmetricPerChannel(weights, channels, bits));
  std::copy(values.begin(), values.end(), weights.begin());
}

float romac::getSymmetricScale(float maxAbs, unsigned bits) {
  return scaleFor(std::fabs(maxAbs), getQuantMax(bits));
}

void romac::fakeQuantizePerTensor(MutableArrayRef<float> values, float scale,
                                  unsigned bits) {
  assert(scale > 0.0f && "the scale must be positive");
  int32_t qmax = getQuantMax(bits);
  for (float &v : values)
    v = float(quantizeValue(v, scale, qmax)) * scale;
}

//===----------------------------------------------------------------------===//
// Weight sharing
//===----------------------------------------------------------------------===//

uint64_t SharedWeights::getStorageBits(unsigned centroidBits) const {
  return uint64_t(centroids.size()) * centroidBits +
         uint64_t(indices.size()) * indexBits;
}

std::vector<float> SharedWeights::decode() const {
  std::vector<float> result(indices.size());
  for (size_t i = 0; i < indices.size(); ++i)
    result[i] = centroids[indices[i]];
  return result;
}

namespace {

/// Finds the nearest of a set of centroids, ties to the lower index.
class NearestCentroid {
public:
  explicit NearestCentroid(ArrayRef<float> centroids) {
    order.resize(centroids.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
      return centroids[a] != centroids[b] ? centroids[a] < centroids[b] : a < b;
    });
    values.resize(order.size());
    runStart.resize(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      values[i] = centroids[order[i]];
      runStart[i] = i > 0 && values[i] == values[i - 1] ? runStart[i - 1] : i;
    }
  }

  /// The index of the centroid nearest `w`. The nearest value is the
  /// largest below `w` or the smallest at or above it; among centroids of
  /// one value the first in `order` has the lowest index.
  unsigned find(float w) const {
    size_t hi =
        std::lower_bound(values.begin(), values.end(), w) - values.begin();
    if (hi == 0)
      return order[0];
    unsigned below = order[runStart[hi - 1]];
    if (hi == values.size())
      return below;
    unsigned above = order[hi];
    double dBelow = double(w) - double(values[hi - 1]);
    double dAbove = double(values[hi]) - double(w);
    if (dBelow != dAbove)
      return dBelow < dAbove ? below : above;
    return std::min(below, above);
  }

private:
  /// Centroid indices sorted by (value, index).
  std::vector<unsigned> order;
  /// The centroid values in `order`.
  std::vector<float> values;
  /// For each position in `order`, the first position of its value's run.
  std::vector<size_t> runStart;
};

/// Assigns every weight its nearest centroid; returns whether any changed.
bool assignNearest(ArrayRef<float> weights, ArrayRef<float> centroids,
                   std::vector<uint16_t> &indices) {
  NearestCentroid nearest(centroids);
  bool changed = false;
  for (size_t i = 0; i < weights.size(); ++i) {
    auto index = uint16_t(nearest.find(weights[i]));
    changed |= index != indices[i];
    indices[i] = index;
  }
  return changed;
}

/// Moves every non-empty cluster's centroid to the mean of its members.
void updateCentroids(ArrayRef<float> weights, ArrayRef<uint16_t> indices,
                     std::vector<float> &centroids) {
  std::vector<double> sums(centroids.size(), 0.0);
  std::vector<uint64_t> counts(centroids.size(), 0);
  for (size_t i = 0; i < weights.size(); ++i) {
    sums[indices[i]] += double(weights[i]);
    ++counts[indices[i]];
  }
  for (size_t j = 0; j < centroids.size(); ++j)
    if (counts[j] > 0)
      centroids[j] = float(sums[j] / double(counts[j]));
}

/// Deep Compression's linear initialisation: `k` centroids evenly spaced
/// from the smallest to the largest weight (all 0 without weights).
std::vector<float> linearInit(ArrayRef<float> weights, unsigned k) {
  std::vector<float> centroids(k, 0.0f);
  if (weights.empty())
    return centroids;
  auto [minIt, maxIt] = std::minmax_element(weights.begin(), weights.end());
  double lo = *minIt, hi = *maxIt;
  for (unsigned j = 0; j < k; ++j)
    centroids[j] = float(lo + (hi - lo) * double(j) / double(k - 1));
  centroids.back() = *maxIt;
  return centroids;
}

/// Sorts the centroids ascending (ties by index) and renumbers the indices.
void sortCentroids(SharedWeights &shared) {
  const std::vector<float> &old = shared.centroids;
  std::vector<unsigned> order(old.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
    return old[a] != old[b] ? old[a] < old[b] : a < b;
  });
  std::vector<float> sorted(old.size());
  std::vector<uint16_t> newIndex(old.size());
  for (size_t i = 0; i < order.size(); ++i) {
    sorted[i] = old[order[i]];
    newIndex[order[i]] = uint16_t(i);
  }
  shared.centroids = std::move(sorted);
  for (uint16_t &index : shared.indices)
    index = newIndex[index];
}

} // namespace

Expected<SharedWeights> romac::shareWeights(ArrayRef<float> weights, unsigned k,
                                            size_t maxFit) {
  if (k < 2 || !isPowerOf2_32(k))
    return createStringError(
        inconvertibleErrorCode(),
        "weight sharing: K must be a power of two greater than 1, got %u", k);
  if (k > kMaxSharedWeights)
    return createStringError(
        inconvertibleErrorCode(),
        "weight sharing: K must be a power of two greater than 1, got %u "
        "(at most %u: the indices are 16-bit)",
        k, kMaxSharedWeights);

  constexpr unsigned kMaxIterations = 100;
  SharedWeights shared;
  shared.indexBits = Log2_32(k);
  // Too many weights: fit on an evenly strided sample, the first weight and
  // every `stride`-th after it (with the smallest and largest weights kept
  // for the linear initialisation), then assign every weight.
  std::vector<float> sample;
  ArrayRef<float> fit = weights;
  if (maxFit >= 2 && weights.size() > maxFit) {
    size_t stride = (weights.size() + maxFit - 1) / maxFit;
    for (size_t i = 0; i < weights.size(); i += stride)
      sample.push_back(weights[i]);
    auto [minIt, maxIt] = std::minmax_element(weights.begin(), weights.end());
    sample.push_back(*minIt);
    sample.push_back(*maxIt);
    fit = sample;
  }
  shared.centroids = linearInit(fit, k);
  std::vector<uint16_t> fitIndices(fit.size(), 0);
  assignNearest(fit, shared.centroids, fitIndices);
  for (unsigned iteration = 0; iteration < kMaxIterations; ++iteration) {
    updateCentroids(fit, fitIndices, shared.centroids);
    if (!assignNearest(fit, shared.centroids, fitIndices))
      break;
  }
  if (sample.empty()) {
    shared.indices = std::move(fitIndices);
  } else {
    shared.indices.assign(weights.size(), 0);
    assignNearest(weights, shared.centroids, shared.indices);
  }
  sortCentroids(shared);
  return shared;
}

//===----------------------------------------------------------------------===//
// Pruning
//===----------------------------------------------------------------------===//

Error romac::checkPruneRatio(double ratio) {
  if (ratio > 0.0 && ratio < 1.0)
    return Error::success();
  char text[32];
  std::snprintf(text, sizeof(text), "%g", ratio);
  return createStringError(inconvertibleErrorCode(),
                           "prune: the ratio must be in (0, 1), got %s", text);
}

uint64_t romac::getPruneCount(double ratio, uint64_t n) {
  double product = ratio * double(n);
  double nearest = std::round(product);
  if (std::fabs(product - nearest) <= 1e-12 * std::max(1.0, product))
    return uint64_t(nearest);
  return uint64_t(std::floor(product));
}

std::vector<bool> romac::pruneByMagnitude(MutableArrayRef<float> weights,
                                          double ratio) {
  assert(ratio > 0.0 && ratio < 1.0 && "check the ratio with checkPruneRatio");
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    float ma = std::fabs(weights[a]), mb = std::fabs(weights[b]);
    return ma != mb ? ma < mb : a < b;
  });
  std::vector<bool> keep(weights.size(), true);
  uint64_t count = getPruneCount(ratio, weights.size());
  for (uint64_t i = 0; i < count; ++i) {
    keep[order[i]] = false;
    weights[order[i]] = 0.0f;
  }
  return keep;
}

std::vector<bool> romac::prune2of4(MutableArrayRef<float> weights,
                                   int64_t innerSize) {
  assert(innerSize > 0 && weights.size() % uint64_t(innerSize) == 0 &&
         "the inner size must divide the weights");
  std::vector<bool> keep(weights.size(), false);
  size_t inner = size_t(innerSize);
  for (size_t row = 0; row < weights.size(); row += inner) {
    for (size_t start = row; start < row + inner; start += 4) {
      size_t len = std::min<size_t>(4, row + inner - start);
      // Group members by decreasing magnitude, ties by increasing index.
      size_t members[4];
      std::iota(members, members + len, start);
      std::sort(members, members + len, [&](size_t a, size_t b) {
        float ma = std::fabs(weights[a]), mb = std::fabs(weights[b]);
        return ma != mb ? ma > mb : a < b;
      });
      size_t kept = (len + 1) / 2;
      for (size_t i = 0; i < len; ++i) {
        keep[members[i]] = i < kept;
        if (i >= kept)
          weights[members[i]] = 0.0f;
      }
    }
  }
  return keep;
}
