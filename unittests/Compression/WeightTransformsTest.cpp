//===- WeightTransformsTest.cpp - weight compression algorithms -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Quantization, weight sharing and pruning. Expected results are derived
// here independently (in double, by separate sorts and scans) from the
// definitions; the one hard-coded result is the published example of Deep
// Compression's Figure 3 (Han, Mao and Dally, ICLR 2016). Random data comes
// from fixed-seed std::mt19937 generators.
//
//===----------------------------------------------------------------------===//

#include "romac/Compression/WeightTransforms.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

using namespace romac;

namespace {

/// `n` weights drawn from N(0, 1), scaled per block of `block` elements by
/// a factor that differs between blocks.
std::vector<float> randomWeights(size_t n, unsigned seed, size_t block = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> weights(n);
  for (size_t i = 0; i < n; ++i) {
    float factor = block ? 0.01f * float(1 + (i / block) % 7) : 1.0f;
    weights[i] = factor * normal(rng);
  }
  return weights;
}

/// The message of an error, consuming it.
std::string messageOf(llvm::Error error) {
  return llvm::toString(std::move(error));
}

//===----------------------------------------------------------------------===//
// Symmetric quantization
//===----------------------------------------------------------------------===//

TEST(QuantizeTest, QuantMaxFollowsTheBitWidth) {
  for (unsigned bits = kMinQuantBits; bits <= kMaxQuantBits; ++bits)
    EXPECT_EQ(getQuantMax(bits), int32_t(std::pow(2.0, bits - 1)) - 1);
}

/// Checks the per-channel definition on `channels` x `rest` weights.
void checkPerChannel(const std::vector<float> &weights, int64_t channels,
                     unsigned bits) {
  SCOPED_TRACE("bits " + std::to_string(bits));
  QuantizedTensor q = quantizeSymmetricPerChannel(weights, channels, bits);
  int32_t qmax = getQuantMax(bits);
  size_t rest = weights.size() / size_t(channels);
  ASSERT_EQ(q.bits, bits);
  ASSERT_EQ(q.channels, channels);
  ASSERT_EQ(q.values.size(), weights.size());
  ASSERT_EQ(q.scales.size(), size_t(channels));
  std::vector<float> decoded = dequantize(q);
  for (size_t c = 0; c < size_t(channels); ++c) {
    double maxAbs = 0.0;
    size_t argMax = c * rest;
    for (size_t i = c * rest; i < (c + 1) * rest; ++i)
      if (std::fabs(double(weights[i])) > maxAbs) {
        maxAbs = std::fabs(double(weights[i]));
        argMax = i;
      }
    double scale = q.scales[c];
    if (maxAbs == 0.0) {
      EXPECT_EQ(scale, 1.0);
    } else {
      EXPECT_NEAR(scale, maxAbs / qmax, 1e-6 * maxAbs / qmax);
      // The largest magnitude maps exactly to +-qmax.
      EXPECT_EQ(q.values[argMax], weights[argMax] > 0 ? qmax : -qmax);
    }
    for (size_t i = c * rest; i < (c + 1) * rest; ++i) {
      EXPECT_GE(q.values[i], -qmax);
      EXPECT_LE(q.values[i], qmax);
      double error = std::fabs(double(weights[i]) - q.values[i] * scale);
      EXPECT_LE(error, scale / 2 + 1e-6 * scale) << "element " << i;
      EXPECT_EQ(decoded[i], float(q.values[i]) * q.scales[c]);
    }
  }
}

TEST(QuantizeTest, PerChannelMeetsTheDefinition) {
  constexpr int64_t kChannels = 6, kRest = 37;
  std::vector<float> weights = randomWeights(kChannels * kRest, 1, kRest);
  // Channel 2 is all zeros.
  std::fill(weights.begin() + 2 * kRest, weights.begin() + 3 * kRest, 0.0f);
  for (unsigned bits : {2u, 4u, 8u})
    checkPerChannel(weights, kChannels, bits);
}

TEST(QuantizeTest, ZeroChannelHasScaleOneAndZeroCodes) {
  std::vector<float> weights = {0, 0, 0, 0, 1.0f, -2.0f, 0.5f, 0};
  QuantizedTensor q = quantizeSymmetricPerChannel(weights, 2, 4);
  EXPECT_EQ(q.scales[0], 1.0f);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(q.values[i], 0);
  EXPECT_EQ(q.values[5], -7);
}

TEST(QuantizeTest, RoundsHalfAwayFromZero) {
  // Scale 1 at 8 bits: the codes are the rounded values themselves.
  std::vector<float> values = {0.5f, -0.5f, 2.5f, -2.5f, 1.49f, -1.51f, 127};
  QuantizedTensor q = quantizeSymmetricPerChannel(values, 1, 8);
  ASSERT_EQ(q.scales[0], 1.0f);
  std::vector<int8_t> expected = {1, -1, 3, -3, 1, -2, 127};
  EXPECT_EQ(q.values, expected);
}

TEST(QuantizeTest, FakeQuantizePerChannelIsQuantizeThenDequantize) {
  std::vector<float> weights = randomWeights(4 * 25, 2, 25);
  std::vector<float> expected =
      dequantize(quantizeSymmetricPerChannel(weights, 4, 4));
  fakeQuantizePerChannel(weights, 4, 4);
  EXPECT_EQ(weights, expected);
}

TEST(QuantizeTest, PerTensorScale) {
  EXPECT_EQ(getSymmetricScale(0.0f, 8), 1.0f);
  EXPECT_FLOAT_EQ(getSymmetricScale(2.54f, 8), 2.54f / 127);
  EXPECT_FLOAT_EQ(getSymmetricScale(7.0f, 4), 1.0f);
}

TEST(QuantizeTest, PerTensorFakeQuantizeIsIdempotent) {
  for (unsigned bits : {4u, 8u}) {
    SCOPED_TRACE("bits " + std::to_string(bits));
    std::vector<float> values = randomWeights(500, 3);
    float maxAbs = 0.0f;
    for (float v : values)
      maxAbs = std::max(maxAbs, std::fabs(v));
    // A scale for 80 % of the range, so that the largest values clamp.
    float scale = getSymmetricScale(0.8f * maxAbs, bits);
    int32_t qmax = getQuantMax(bits);
    std::vector<float> once = values;
    fakeQuantizePerTensor(once, scale, bits);
    for (size_t i = 0; i < values.size(); ++i) {
      double code = double(once[i]) / scale;
      // On the grid up to the float rounding of code * scale.
      EXPECT_NEAR(code, std::round(code), 1e-5) << "off the grid at " << i;
      EXPECT_LE(std::fabs(code), qmax + 1e-9);
      double clamped = std::clamp(double(values[i]), -double(qmax) * scale,
                                  double(qmax) * scale);
      EXPECT_LE(std::fabs(clamped - once[i]), scale / 2 + 1e-6 * scale);
    }
    std::vector<float> twice = once;
    fakeQuantizePerTensor(twice, scale, bits);
    EXPECT_EQ(twice, once);
  }
}

//===----------------------------------------------------------------------===//
// Weight sharing
//===----------------------------------------------------------------------===//

/// Deep Compression, Figure 3: a 4x4 fp32 weight matrix clustered into 4
/// shared values; the figure prints the centroids (-1.00, 0.00, 1.50, 2.00)
/// and the cluster index of each weight.
TEST(ShareWeightsTest, DeepCompressionFigure3) {
  std::vector<float> weights = {2.09f,  -0.98f, 1.48f,  0.09f, 0.05f, -0.14f,
                                -1.08f, 2.12f,  -0.91f, 1.92f, 0.0f,  -1.03f,
                                1.87f,  0.0f,   1.53f,  1.49f};
  llvm::Expected<SharedWeights> shared = shareWeights(weights, 4);
  ASSERT_TRUE(bool(shared)) << messageOf(shared.takeError());
  std::vector<float> centroids = {-1.00f, 0.00f, 1.50f, 2.00f};
  ASSERT_EQ(shared->centroids.size(), 4u);
  for (size_t j = 0; j < 4; ++j)
    EXPECT_NEAR(shared->centroids[j], centroids[j], 1e-6) << "centroid " << j;
  std::vector<uint16_t> indices = {3, 0, 2, 1, 1, 1, 0, 3,
                                   0, 3, 1, 0, 3, 1, 2, 2};
  EXPECT_EQ(shared->indices, indices);
  EXPECT_EQ(shared->indexBits, 2u);
  // 512 bits dense (16 x 32) against 160 shared (4 x 32 + 16 x 2).
  EXPECT_EQ(weights.size() * 32, 512u);
  EXPECT_EQ(shared->getStorageBits(32), 160u);
}

TEST(ShareWeightsTest, RejectsKThatIsNotAPowerOfTwo) {
  for (unsigned k : {0u, 1u, 3u, 6u, 100u}) {
    llvm::Expected<SharedWeights> shared = shareWeights({1.0f, 2.0f}, k);
    ASSERT_FALSE(bool(shared));
    EXPECT_EQ(messageOf(shared.takeError()),
              "weight sharing: K must be a power of two greater than 1, got " +
                  std::to_string(k));
  }
  llvm::Expected<SharedWeights> tooMany = shareWeights({1.0f}, 131072);
  ASSERT_FALSE(bool(tooMany));
  EXPECT_NE(messageOf(tooMany.takeError())
                .find("weight sharing: K must be a power of two greater than "
                      "1, got 131072"),
            std::string::npos);
  EXPECT_TRUE(bool(shareWeights({1.0f}, 65536)));
}

/// Sum of squared distances to the nearest of `centroids`, in double.
double nearestObjective(const std::vector<float> &weights,
                        const std::vector<double> &centroids) {
  double sum = 0.0;
  for (float w : weights) {
    double best = std::numeric_limits<double>::infinity();
    for (double c : centroids)
      best = std::min(best, (w - c) * (w - c));
    sum += best;
  }
  return sum;
}

/// Checks that `shared` is a fixed point of Lloyd's algorithm for `weights`
/// and no worse than the linear initialisation.
void checkKMeansFixedPoint(const std::vector<float> &weights, unsigned k,
                           const SharedWeights &shared) {
  ASSERT_EQ(shared.centroids.size(), k);
  ASSERT_EQ(shared.indices.size(), weights.size());
  EXPECT_EQ(1u << shared.indexBits, k);
  EXPECT_TRUE(std::is_sorted(shared.centroids.begin(), shared.centroids.end()));
  // Each weight sits at a nearest centroid, the first one on ties.
  for (size_t i = 0; i < weights.size(); ++i) {
    ASSERT_LT(shared.indices[i], k);
    size_t nearest = 0;
    for (size_t j = 1; j < k; ++j)
      if (std::fabs(double(weights[i]) - shared.centroids[j]) <
          std::fabs(double(weights[i]) - shared.centroids[nearest]))
        nearest = j;
    EXPECT_EQ(shared.indices[i], nearest) << "weight " << i;
  }
  // Each non-empty cluster's centroid is the mean of its members.
  std::vector<double> sums(k, 0.0);
  std::vector<size_t> counts(k, 0);
  double objective = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    double c = shared.centroids[shared.indices[i]];
    sums[shared.indices[i]] += weights[i];
    ++counts[shared.indices[i]];
    objective += (weights[i] - c) * (weights[i] - c);
  }
  for (size_t j = 0; j < k; ++j) {
    if (counts[j] == 0)
      continue;
    double mean = sums[j] / double(counts[j]);
    EXPECT_NEAR(shared.centroids[j], mean,
                1e-6 * std::max(1.0, std::fabs(mean)))
        << "centroid " << j;
  }
  // Linear initialisation: k values evenly spaced from min to max.
  auto [lo, hi] = std::minmax_element(weights.begin(), weights.end());
  std::vector<double> init(k);
  for (size_t j = 0; j < k; ++j)
    init[j] = *lo + (double(*hi) - *lo) * double(j) / double(k - 1);
  EXPECT_LE(objective, nearestObjective(weights, init));
  // decode() reads the codebook.
  std::vector<float> decoded = shared.decode();
  for (size_t i = 0; i < weights.size(); ++i)
    EXPECT_EQ(decoded[i], shared.centroids[shared.indices[i]]);
}

TEST(ShareWeightsTest, RandomWeightsReachALloydFixedPoint) {
  unsigned seed = 10;
  for (unsigned k : {2u, 4u, 8u, 16u, 32u, 256u}) {
    SCOPED_TRACE("k " + std::to_string(k));
    std::vector<float> weights = randomWeights(2000, seed++);
    llvm::Expected<SharedWeights> shared = shareWeights(weights, k);
    ASSERT_TRUE(bool(shared)) << messageOf(shared.takeError());
    checkKMeansFixedPoint(weights, k, *shared);
    EXPECT_EQ(shared->getStorageBits(32),
              uint64_t(k) * 32 + weights.size() * shared->indexBits);
  }
}

TEST(ShareWeightsTest, FewerDistinctValuesThanK) {
  std::vector<float> weights = {1.0f, 2.0f, 2.0f, 1.0f, 1.0f};
  llvm::Expected<SharedWeights> shared = shareWeights(weights, 8);
  ASSERT_TRUE(bool(shared)) << messageOf(shared.takeError());
  EXPECT_EQ(shared->centroids.size(), 8u);
  EXPECT_EQ(shared->indexBits, 3u);
  EXPECT_EQ(shared->decode(), weights);

  std::vector<float> constant(6, -0.25f);
  llvm::Expected<SharedWeights> flat = shareWeights(constant, 4);
  ASSERT_TRUE(bool(flat)) << messageOf(flat.takeError());
  EXPECT_EQ(flat->centroids.size(), 4u);
  EXPECT_EQ(flat->decode(), constant);

  llvm::Expected<SharedWeights> empty = shareWeights({}, 4);
  ASSERT_TRUE(bool(empty)) << messageOf(empty.takeError());
  EXPECT_EQ(empty->centroids.size(), 4u);
  EXPECT_TRUE(empty->indices.empty());
  EXPECT_EQ(empty->getStorageBits(16), 64u);
}

TEST(ShareWeightsTest, IsDeterministic) {
  std::vector<float> weights = randomWeights(3000, 20);
  llvm::Expected<SharedWeights> a = shareWeights(weights, 16);
  llvm::Expected<SharedWeights> b = shareWeights(weights, 16);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->centroids, b->centroids);
  EXPECT_EQ(a->indices, b->indices);
}

TEST(ShareWeightsTest, LargeLayersFitOnASample) {
  // 200000 weights fitted on about 4096: the centroids are the k-means of
  // the strided sample (checked by running the unsampled k-means on that
  // sample), every weight of the layer takes its nearest centroid.
  std::vector<float> weights = randomWeights(200000, 21);
  const size_t maxFit = 4096;
  llvm::Expected<SharedWeights> got = shareWeights(weights, 8, maxFit);
  ASSERT_TRUE(static_cast<bool>(got));
  size_t stride = (weights.size() + maxFit - 1) / maxFit;
  std::vector<float> sample;
  for (size_t i = 0; i < weights.size(); i += stride)
    sample.push_back(weights[i]);
  sample.push_back(*std::min_element(weights.begin(), weights.end()));
  sample.push_back(*std::max_element(weights.begin(), weights.end()));
  llvm::Expected<SharedWeights> fit = shareWeights(sample, 8);
  ASSERT_TRUE(static_cast<bool>(fit));
  EXPECT_EQ(got->centroids, fit->centroids);
  ASSERT_EQ(got->indices.size(), weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    double own =
        std::fabs(double(weights[i]) - double(got->centroids[got->indices[i]]));
    for (float c : got->centroids)
      ASSERT_LE(own, std::fabs(double(weights[i]) - double(c)) + 1e-7) << i;
  }
  // Below the limit nothing is sampled.
  llvm::Expected<SharedWeights> small = shareWeights(sample, 8, maxFit * 2);
  ASSERT_TRUE(static_cast<bool>(small));
  EXPECT_EQ(small->centroids, fit->centroids);
  EXPECT_EQ(small->indices, fit->indices);
}

//===----------------------------------------------------------------------===//
// Magnitude pruning
//===----------------------------------------------------------------------===//

TEST(PruneTest, CheckPruneRatio) {
  EXPECT_FALSE(bool(checkPruneRatio(0.5)));
  EXPECT_FALSE(bool(checkPruneRatio(1e-6)));
  EXPECT_EQ(messageOf(checkPruneRatio(0.0)),
            "prune: the ratio must be in (0, 1), got 0");
  EXPECT_EQ(messageOf(checkPruneRatio(1.0)),
            "prune: the ratio must be in (0, 1), got 1");
  EXPECT_EQ(messageOf(checkPruneRatio(1.5)),
            "prune: the ratio must be in (0, 1), got 1.5");
  EXPECT_EQ(messageOf(checkPruneRatio(-0.25)),
            "prune: the ratio must be in (0, 1), got -0.25");
  EXPECT_EQ(messageOf(checkPruneRatio(std::nan(""))).rfind("prune: ", 0), 0u);
}

TEST(PruneTest, MagnitudePruningKeepsTheLargest) {
  // Ratios num/den; the expected count is floor(num * n / den) in integers.
  struct Case {
    uint64_t num, den, n;
  };
  unsigned seed = 30;
  for (Case c : {Case{1, 10, 1000}, Case{1, 4, 999}, Case{1, 2, 7},
                 Case{9, 10, 1000}, Case{29, 100, 100}, Case{7, 10, 10},
                 Case{57, 100, 100}, Case{1, 3, 1}}) {
    double ratio = double(c.num) / double(c.den);
    SCOPED_TRACE("ratio " + std::to_string(ratio) + " of " +
                 std::to_string(c.n));
    std::vector<float> weights = randomWeights(c.n, seed++);
    std::vector<float> pruned = weights;
    std::vector<bool> keep = pruneByMagnitude(pruned, ratio);
    ASSERT_EQ(keep.size(), c.n);
    uint64_t expected = c.num * c.n / c.den;
    EXPECT_EQ(getPruneCount(ratio, c.n), expected);
    EXPECT_EQ(uint64_t(std::count(keep.begin(), keep.end(), false)), expected);
    // The kept magnitudes are the n - expected largest ones.
    std::vector<float> magnitudes, kept;
    for (size_t i = 0; i < c.n; ++i) {
      magnitudes.push_back(std::fabs(weights[i]));
      if (keep[i])
        kept.push_back(std::fabs(weights[i]));
      EXPECT_EQ(pruned[i], keep[i] ? weights[i] : 0.0f) << "element " << i;
    }
    std::sort(magnitudes.begin(), magnitudes.end(), std::greater<float>());
    std::sort(kept.begin(), kept.end(), std::greater<float>());
    magnitudes.resize(c.n - expected);
    EXPECT_EQ(kept, magnitudes);
  }
}

TEST(PruneTest, MagnitudeTiesPruneTheLowerIndexFirst) {
  // floor(0.6 * 5) = 3: the 0.5, then the first two of the four 1s.
  std::vector<float> weights = {1.0f, -1.0f, 1.0f, 0.5f, -1.0f};
  std::vector<bool> keep = pruneByMagnitude(weights, 0.6);
  EXPECT_EQ(keep, (std::vector<bool>{false, false, true, false, true}));
  EXPECT_EQ(weights, (std::vector<float>{0, 0, 1.0f, 0, -1.0f}));
}

TEST(PruneTest, MagnitudePruningIsDeterministic) {
  std::vector<float> a = randomWeights(4096, 40), b = a;
  EXPECT_EQ(pruneByMagnitude(a, 0.37), pruneByMagnitude(b, 0.37));
  EXPECT_EQ(a, b);
}

//===----------------------------------------------------------------------===//
// 2:4 pruning
//===----------------------------------------------------------------------===//

/// Checks 2:4 pruning of rows of `inner` elements group by group.
void check2of4(const std::vector<float> &weights, size_t inner) {
  SCOPED_TRACE("inner size " + std::to_string(inner));
  std::vector<float> pruned = weights;
  std::vector<bool> keep = prune2of4(pruned, int64_t(inner));
  ASSERT_EQ(keep.size(), weights.size());
  size_t rows = weights.size() / inner, total = 0;
  for (size_t row = 0; row < rows; ++row) {
    for (size_t start = 0; start < inner; start += 4) {
      size_t begin = row * inner + start;
      size_t len = std::min<size_t>(4, inner - start);
      size_t want = len == 4 ? 2 : (len + 1) / 2;
      std::vector<float> group, kept;
      for (size_t i = begin; i < begin + len; ++i) {
        group.push_back(std::fabs(weights[i]));
        if (keep[i])
          kept.push_back(std::fabs(weights[i]));
        EXPECT_EQ(pruned[i], keep[i] ? weights[i] : 0.0f) << "element " << i;
      }
      ASSERT_EQ(kept.size(), want) << "group at " << begin;
      std::sort(group.begin(), group.end(), std::greater<float>());
      std::sort(kept.begin(), kept.end(), std::greater<float>());
      group.resize(want);
      EXPECT_EQ(kept, group) << "group at " << begin;
      total += want;
    }
  }
  EXPECT_EQ(size_t(std::count(keep.begin(), keep.end(), true)), total);
}

TEST(Prune2of4Test, KeepsTheTwoLargestOfEveryFour) {
  unsigned seed = 50;
  for (size_t inner : {4u, 16u, 36u})
    check2of4(randomWeights(inner * 9, seed++), inner);
}

TEST(Prune2of4Test, TailGroupsKeepHalfRoundedUp) {
  unsigned seed = 60;
  for (size_t inner : {1u, 2u, 3u, 5u, 6u, 7u, 10u, 27u})
    check2of4(randomWeights(inner * 5, seed++), inner);
}

TEST(Prune2of4Test, TiesKeepTheLowerIndex) {
  std::vector<float> weights = {1, 1, 1, 1, -3, 3, 2, 3, 0, 0, 0, 0, 5, 5, 5};
  std::vector<bool> keep = prune2of4(weights, 15);
  std::vector<bool> expected = {true,  true,  false, false, true,
                                true,  false, false, true,  true,
                                false, false, true,  true,  false};
  EXPECT_EQ(keep, expected);
  EXPECT_EQ(weights,
            (std::vector<float>{1, 1, 0, 0, -3, 3, 0, 0, 0, 0, 0, 0, 5, 5, 0}));
}

TEST(Prune2of4Test, IsDeterministic) {
  std::vector<float> a = randomWeights(64 * 48, 70), b = a;
  EXPECT_EQ(prune2of4(a, 48), prune2of4(b, 48));
  EXPECT_EQ(a, b);
}

} // namespace
