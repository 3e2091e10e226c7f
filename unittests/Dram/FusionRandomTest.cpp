//===- FusionRandomTest.cpp - row-band fusion vs rows ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The interval arithmetic of computeRowBandCounts() and the steps of
// forEachRowBandStep() must agree with a row-by-row simulation of the band
// schedule the file comment of romac/Dram/Fusion.h defines: explicit sets of
// resident rows per tensor, kernel taps enumerated one by one, rows dropped
// after the last step that needs them. Seeded random chains cover strides,
// kernels, paddings, band heights and both weight modes. getRowBandLayer()
// must describe the factories' convolutions, and the burst stream of a
// small fused group must cover its tensors and replay to what
// evaluateRowBandGroup() reports.
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/Dram/DramModel.h"
#include "romac/Dram/Fusion.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace romac;
using namespace romac::test;

namespace {

//===----------------------------------------------------------------------===//
// The row-by-row simulation
//===----------------------------------------------------------------------===//

std::string chainStr(llvm::ArrayRef<RowBandLayer> chain) {
  std::string s;
  for (size_t j = 0; j < chain.size(); ++j) {
    const RowBandLayer &l = chain[j];
    s += "  layer " + std::to_string(j) + ": rows " +
         std::to_string(l.inputRows) + " -> " + std::to_string(l.outputRows) +
         " stride " + std::to_string(l.stride) + " kernelRows " +
         std::to_string(l.kernelRows) + " pad " + std::to_string(l.pad) +
         " rowBytes " + std::to_string(l.inputRowBytes) + " -> " +
         std::to_string(l.outputRowBytes) + " weightBytes " +
         std::to_string(l.weightBytes) + " weightChunkBytes " +
         std::to_string(l.weightChunkBytes) + "\n";
  }
  return s;
}

std::string countsStr(const RowBandCounts &c) {
  return "bands " + std::to_string(c.bands) + " inputRowsRead " +
         std::to_string(c.inputRowsRead) + " inputReadBytes " +
         std::to_string(c.inputReadBytes) + " outputWriteBytes " +
         std::to_string(c.outputWriteBytes) + " weightReadBytes " +
         std::to_string(c.weightReadBytes) + " peakActivationBytes " +
         std::to_string(c.peakActivationBytes) + " weightBufferBytes " +
         std::to_string(c.weightBufferBytes) + " savedBytes " +
         std::to_string(c.savedBytes);
}

/// The input rows output row \p p of \p layer reads, tap by tap.
std::vector<int64_t> tapsOf(const RowBandLayer &layer, int64_t p) {
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < layer.kernelRows; ++r) {
    int64_t row = p * layer.stride - layer.pad + r;
    if (row >= 0 && row < layer.inputRows)
      rows.push_back(row);
  }
  return rows;
}

/// The input rows output rows [lo, hi) read.
std::set<int64_t> tapsOf(const RowBandLayer &layer, int64_t lo, int64_t hi) {
  std::set<int64_t> rows;
  for (int64_t p = lo; p < hi; ++p)
    for (int64_t row : tapsOf(layer, p))
      rows.insert(row);
  return rows;
}

struct SimStep {
  int64_t band = 0;
  unsigned position = 0;
  /// Empty: outLo == outHi == 0 and no needed rows.
  int64_t outLo = 0, outHi = 0;
  std::set<int64_t> needed;
  bool isEmpty() const { return outLo >= outHi; }
};

struct SimResult {
  RowBandCounts counts;
  std::vector<SimStep> steps;
  /// Non-empty when the schedule breaks the model (a needed row is not on
  /// chip, a row is produced twice, a step's rows are not one interval).
  std::string error;
};

SimResult simulate(llvm::ArrayRef<RowBandLayer> chain,
                   const RowBandSchedule &schedule) {
  SimResult result;
  const size_t m = chain.size();
  const int64_t height = chain.back().outputRows;
  const int64_t bandRows = schedule.bandRows;

  // The steps: per band, the last layer's rows, then backwards each layer
  // continues its prefix up to the end of what the next layer needs.
  std::vector<int64_t> produced(m, 0);
  int64_t bands = 0;
  for (int64_t lo = 0; lo < height; lo += bandRows)
    ++bands;
  for (int64_t b = 0; b < bands; ++b) {
    std::vector<SimStep> band(m);
    for (size_t j = 0; j < m; ++j) {
      band[j].band = b;
      band[j].position = static_cast<unsigned>(j);
    }
    band[m - 1].outLo = b * bandRows;
    band[m - 1].outHi = std::min((b + 1) * bandRows, height);
    for (size_t j = m; j-- > 0;) {
      SimStep &step = band[j];
      if (!step.isEmpty())
        step.needed = tapsOf(chain[j], step.outLo, step.outHi);
      if (!step.needed.empty() &&
          static_cast<int64_t>(step.needed.size()) !=
              *step.needed.rbegin() - *step.needed.begin() + 1)
        result.error = "the rows of band " + std::to_string(b) + " layer " +
                       std::to_string(j) + " are not one interval";
      if (j == 0)
        continue;
      if (step.needed.empty())
        continue;
      int64_t end = *step.needed.rbegin() + 1;
      if (end > produced[j - 1]) {
        band[j - 1].outLo = produced[j - 1];
        band[j - 1].outHi = end;
        produced[j - 1] = end;
      }
    }
    produced[m - 1] = band[m - 1].outHi;
    for (SimStep &step : band)
      result.steps.push_back(std::move(step));
  }

  // The last step needing each row of each tensor (tensor t: layer t's
  // input).
  std::vector<std::map<int64_t, size_t>> lastNeed(m);
  for (size_t s = 0; s < result.steps.size(); ++s)
    for (int64_t row : result.steps[s].needed)
      lastNeed[result.steps[s].position][row] = s;

  // Run the steps.
  RowBandCounts &c = result.counts;
  c.bands = bands;
  std::vector<std::set<int64_t>> resident(m), everProduced(m);
  std::vector<bool> weightsLoaded(m, false);
  int64_t weightsOnChip = 0;
  for (size_t s = 0; s < result.steps.size(); ++s) {
    const SimStep &step = result.steps[s];
    unsigned j = step.position;
    const RowBandLayer &layer = chain[j];
    int64_t finalRows = 0;
    if (!step.isEmpty()) {
      for (int64_t row : step.needed) {
        if (resident[j].count(row))
          continue;
        if (j == 0) {
          resident[0].insert(row);
          ++c.inputRowsRead;
          c.inputReadBytes += layer.inputRowBytes;
        } else if (result.error.empty()) {
          result.error = "band " + std::to_string(step.band) + " layer " +
                         std::to_string(j) + " needs row " +
                         std::to_string(row) + " which is not on chip";
        }
      }
      for (int64_t p = step.outLo; p < step.outHi; ++p) {
        if (j + 1 < m) {
          if (!everProduced[j + 1].insert(p).second && result.error.empty())
            result.error = "layer " + std::to_string(j) + " produces row " +
                           std::to_string(p) + " twice";
          resident[j + 1].insert(p);
        } else {
          ++finalRows;
          c.outputWriteBytes += layer.outputRowBytes;
        }
      }
      if (schedule.weightsResident) {
        if (!weightsLoaded[j]) {
          weightsLoaded[j] = true;
          c.weightReadBytes += layer.weightBytes;
          weightsOnChip += layer.weightBytes;
        }
      } else {
        c.weightReadBytes += layer.weightBytes;
        // Streamed in output-channel chunks: one chunk on chip at a time.
        weightsOnChip = layer.weightChunkBytes > 0 ? layer.weightChunkBytes
                                                   : layer.weightBytes;
      }
    }
    int64_t activation = finalRows * chain.back().outputRowBytes;
    for (size_t t = 0; t < m; ++t)
      activation +=
          static_cast<int64_t>(resident[t].size()) * chain[t].inputRowBytes;
    c.peakActivationBytes = std::max(c.peakActivationBytes, activation);
    c.weightBufferBytes = std::max(c.weightBufferBytes, weightsOnChip);
    // Drop what no later step needs.
    for (size_t t = 0; t < m; ++t)
      for (auto it = resident[t].begin(); it != resident[t].end();) {
        auto need = lastNeed[t].find(*it);
        if (need == lastNeed[t].end() || need->second <= s)
          it = resident[t].erase(it);
        else
          ++it;
      }
    if (!schedule.weightsResident)
      weightsOnChip = 0;
  }
  for (size_t j = 0; j + 1 < m; ++j)
    c.savedBytes += 2 * chain[j].outputRows * chain[j].outputRowBytes;
  return result;
}

/// Compares the implementation with the simulation for one chain and
/// schedule.
void checkSchedule(llvm::ArrayRef<RowBandLayer> chain,
                   const RowBandSchedule &schedule) {
  SCOPED_TRACE(
      "bandRows " + std::to_string(schedule.bandRows) +
      (schedule.weightsResident ? " weights resident" : " weights streamed"));
  SimResult sim = simulate(chain, schedule);
  ASSERT_EQ(sim.error, "") << "the simulated schedule is inconsistent";

  RowBandCounts got = computeRowBandCounts(chain, schedule);
  const RowBandCounts &want = sim.counts;
  EXPECT_EQ(got.bands, want.bands);
  EXPECT_EQ(got.inputRowsRead, want.inputRowsRead);
  EXPECT_EQ(got.inputReadBytes, want.inputReadBytes);
  EXPECT_EQ(got.outputWriteBytes, want.outputWriteBytes);
  EXPECT_EQ(got.weightReadBytes, want.weightReadBytes);
  EXPECT_EQ(got.peakActivationBytes, want.peakActivationBytes);
  EXPECT_EQ(got.weightBufferBytes, want.weightBufferBytes);
  EXPECT_EQ(got.savedBytes, want.savedBytes);
  EXPECT_TRUE(got == want) << "got  " << countsStr(got) << "\nwant "
                           << countsStr(want);
  EXPECT_EQ(got.getDramBytes(),
            want.inputReadBytes + want.outputWriteBytes + want.weightReadBytes);

  std::vector<RowBandStep> steps;
  forEachRowBandStep(chain, schedule.bandRows,
                     [&](const RowBandStep &step) { steps.push_back(step); });
  ASSERT_EQ(steps.size(), sim.steps.size());
  for (size_t s = 0; s < steps.size(); ++s) {
    const RowBandStep &g = steps[s];
    const SimStep &w = sim.steps[s];
    std::string where = "step " + std::to_string(s) + " (band " +
                        std::to_string(w.band) + ", layer " +
                        std::to_string(w.position) + ")";
    EXPECT_EQ(g.band, w.band) << where;
    EXPECT_EQ(g.position, w.position) << where;
    if (w.isEmpty()) {
      EXPECT_TRUE(g.isEmpty())
          << where << ": got rows [" << g.outLo << ", " << g.outHi << ")";
      EXPECT_GE(g.inLo, g.inHi) << where;
      continue;
    }
    int64_t inLo = w.needed.empty() ? 0 : *w.needed.begin();
    int64_t inHi = w.needed.empty() ? 0 : *w.needed.rbegin() + 1;
    EXPECT_EQ(g.outLo, w.outLo) << where;
    EXPECT_EQ(g.outHi, w.outHi) << where;
    EXPECT_EQ(g.inLo, inLo) << where;
    EXPECT_EQ(g.inHi, inHi) << where;
  }
}

/// A random chain (layer j + 1 reads what layer j writes); empty when the
/// rows run out.
std::vector<RowBandLayer> randomChain(Rng &rng) {
  std::vector<RowBandLayer> chain;
  int64_t layers = rng.range(1, 5);
  int64_t rows = rng.range(1, 40);
  int64_t rowBytes = rng.range(1, 64);
  for (int64_t j = 0; j < layers; ++j) {
    RowBandLayer l;
    bool found = false;
    for (int attempt = 0; attempt < 20 && !found; ++attempt) {
      l.stride = rng.range(1, 3);
      l.kernelRows = rng.range(l.stride, l.stride + 3);
      l.pad = rng.range(0, l.kernelRows - 1);
      int64_t padBottom = rng.range(0, l.kernelRows - 1);
      int64_t span = rows + l.pad + padBottom - l.kernelRows;
      if (span < 0)
        continue;
      l.outputRows = span / l.stride + 1;
      found = true;
    }
    if (!found)
      return {};
    l.input = 0;
    l.output = 2;
    l.inputRowDim = l.outputRowDim = 2;
    l.inputRows = rows;
    l.inputRowBytes = rowBytes;
    l.outputRowBytes = rng.range(1, 64);
    l.weightBytes = rng.range(0, 500);
    l.weightChunkBytes = rng.coin() ? 0 : rng.range(0, l.weightBytes);
    rows = l.outputRows;
    rowBytes = l.outputRowBytes;
    chain.push_back(l);
  }
  return chain;
}

TEST(FusionRandomTest, CountsAndStepsMatchRowSimulation) {
  Rng rng(0xf05e);
  int cases = 0, multiLayer = 0, multiBand = 0, strided = 0;
  for (int iter = 0; iter < 600; ++iter) {
    std::vector<RowBandLayer> chain = randomChain(rng);
    if (chain.empty())
      continue;
    ++cases;
    multiLayer += chain.size() > 1;
    int64_t height = chain.back().outputRows;
    int64_t bandRows = rng.range(1, height + 2);
    multiBand += bandRows < height;
    strided += std::any_of(chain.begin(), chain.end(),
                           [](const RowBandLayer &l) { return l.stride > 1; });
    SCOPED_TRACE("case " + std::to_string(iter) + " (seed 0xf05e)\n" +
                 chainStr(chain));
    llvm::Error verified = verifyRowBandChain(chain);
    ASSERT_FALSE(static_cast<bool>(verified))
        << llvm::toString(std::move(verified));

    // getInputRows() against the taps.
    for (const RowBandLayer &l : chain) {
      int64_t lo = rng.range(0, l.outputRows - 1);
      int64_t hi = rng.range(lo + 1, l.outputRows);
      std::set<int64_t> taps = tapsOf(l, lo, hi);
      std::pair<int64_t, int64_t> want = {*taps.begin(), *taps.rbegin() + 1};
      EXPECT_EQ(l.getInputRows(lo, hi), want)
          << "rows [" << lo << ", " << hi << ")";
      EXPECT_EQ(l.getInputRows(hi, lo), (std::pair<int64_t, int64_t>(0, 0)));
      EXPECT_EQ(l.getInputRows(lo, lo), (std::pair<int64_t, int64_t>(0, 0)));
    }

    for (bool resident : {true, false}) {
      RowBandSchedule schedule;
      schedule.bandRows = bandRows;
      schedule.weightsResident = resident;
      checkSchedule(chain, schedule);
      if (HasFatalFailure() || HasFailure())
        return;
    }
    // One band for the whole output, and one row per band.
    for (int64_t rowsPerBand : {height, int64_t(1)}) {
      RowBandSchedule schedule;
      schedule.bandRows = rowsPerBand;
      schedule.weightsResident = rng.coin();
      checkSchedule(chain, schedule);
      if (HasFatalFailure() || HasFailure())
        return;
    }
  }
  std::printf("%d chains, %d with several layers, %d with several bands, "
              "%d strided\n",
              cases, multiLayer, multiBand, strided);
  EXPECT_GE(cases, 500);
  EXPECT_GE(multiLayer, cases / 2);
  EXPECT_GE(multiBand, cases / 3);
  EXPECT_GE(strided, cases / 2);
}

TEST(FusionRandomTest, HandWorkedChain) {
  // Two 3x3 stride-1 pad-1 layers over 6 rows, bands of 2 rows:
  // band 0: layer 1 rows [0,3) reading [0,4), layer 2 rows [0,2) reading
  // [0,3); band 1: layer 1 [3,5) reading [2,6), layer 2 [2,4) reading [1,5);
  // band 2: layer 1 [5,6) reading [4,6), layer 2 [4,6) reading [3,6).
  RowBandLayer l;
  l.stride = 1;
  l.kernelRows = 3;
  l.pad = 1;
  l.inputRows = l.outputRows = 6;
  l.inputRowBytes = l.outputRowBytes = 10;
  l.weightBytes = 100;
  std::vector<RowBandLayer> chain = {l, l};
  chain[1].weightBytes = 30;
  RowBandSchedule schedule;
  schedule.bandRows = 2;
  checkSchedule(chain, schedule);
  SimResult sim = simulate(chain, schedule);
  std::vector<std::vector<int64_t>> want = {{0, 3, 0, 4}, {0, 2, 0, 3},
                                            {3, 5, 2, 6}, {2, 4, 1, 5},
                                            {5, 6, 4, 6}, {4, 6, 3, 6}};
  ASSERT_EQ(sim.steps.size(), want.size());
  for (size_t s = 0; s < want.size(); ++s) {
    EXPECT_EQ(sim.steps[s].outLo, want[s][0]);
    EXPECT_EQ(sim.steps[s].outHi, want[s][1]);
    EXPECT_EQ(*sim.steps[s].needed.begin(), want[s][2]);
    EXPECT_EQ(*sim.steps[s].needed.rbegin() + 1, want[s][3]);
  }
  // The peak is at step (1, 0): input rows 2..5 (rows 0 and 1 were last
  // needed at (0, 0)) and intermediate rows 1..4 (row 0 was last needed at
  // (0, 1)): 8 rows of 10 bytes. Step (1, 1) holds as many: input rows
  // 4..5 (2..3 were last needed at (1, 0)), intermediate rows 1..4 and
  // output rows 2..3.
  EXPECT_EQ(sim.counts.peakActivationBytes, 80);
  EXPECT_EQ(sim.counts.inputRowsRead, 6);
  EXPECT_EQ(sim.counts.weightReadBytes, 130);
  EXPECT_EQ(sim.counts.weightBufferBytes, 130);
  EXPECT_EQ(sim.counts.savedBytes, 120);
  schedule.weightsResident = false;
  SimResult streamed = simulate(chain, schedule);
  EXPECT_EQ(streamed.counts.weightReadBytes, 390);
  EXPECT_EQ(streamed.counts.weightBufferBytes, 100);
  // In chunks of 25 and 30 bytes (4 filters of 25, one of 30): the largest
  // chunk is on chip at a time, the DRAM still reads every weight per step.
  chain[0].weightChunkBytes = 25;
  chain[1].weightChunkBytes = 30;
  SimResult chunked = simulate(chain, schedule);
  EXPECT_EQ(chunked.counts.weightReadBytes, 390);
  EXPECT_EQ(chunked.counts.weightBufferBytes, 30);
  checkSchedule(chain, schedule);
}

//===----------------------------------------------------------------------===//
// Row-band layers of workloads
//===----------------------------------------------------------------------===//

/// The row-band layer a convolution must be.
RowBandLayer expectedLayer(const Conv2dSpec &s) {
  RowBandLayer l;
  l.input = 0;
  l.output = 2;
  l.inputRowDim = l.outputRowDim = 2;
  l.inputRows = s.h;
  l.outputRows = (s.h + s.padTop + s.padBottom - s.r) / s.strideH + 1;
  int64_t q = (s.w + s.padLeft + s.padRight - s.s) / s.strideW + 1;
  l.stride = s.strideH;
  l.kernelRows = s.r;
  l.pad = s.padTop;
  l.inputRowBytes = s.n * s.c * s.w * s.inputBytes;
  l.outputRowBytes = s.n * s.k * q * s.outputBytes;
  l.weightBytes = s.k * (s.c / s.groups) * s.r * s.s * s.weightBytes;
  // One filter: the weights of one of the k output channels (K of a plain
  // conv, C x multiplier of a depthwise one, G x K-per-group of a grouped
  // one).
  l.weightChunkBytes = l.weightBytes / s.k;
  return l;
}

void expectLayer(const RowBandLayer &got, const RowBandLayer &want) {
  EXPECT_EQ(got.input, want.input);
  EXPECT_EQ(got.output, want.output);
  EXPECT_EQ(got.inputRowDim, want.inputRowDim);
  EXPECT_EQ(got.outputRowDim, want.outputRowDim);
  EXPECT_EQ(got.inputRows, want.inputRows);
  EXPECT_EQ(got.outputRows, want.outputRows);
  EXPECT_EQ(got.stride, want.stride);
  EXPECT_EQ(got.kernelRows, want.kernelRows);
  EXPECT_EQ(got.pad, want.pad);
  EXPECT_EQ(got.inputRowBytes, want.inputRowBytes);
  EXPECT_EQ(got.outputRowBytes, want.outputRowBytes);
  EXPECT_EQ(got.weightBytes, want.weightBytes);
  EXPECT_EQ(got.weightChunkBytes, want.weightChunkBytes);
}

Conv2dSpec makeSpec(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k,
                    int64_t r, int64_t stride, int64_t pad) {
  Conv2dSpec s;
  s.n = n;
  s.c = c;
  s.h = h;
  s.w = w;
  s.k = k;
  s.r = s.s = r;
  s.strideH = s.strideW = stride;
  s.padTop = s.padBottom = s.padLeft = s.padRight = pad;
  return s;
}

TEST(FusionRandomTest, RowBandLayerOfConvolutions) {
  std::vector<Conv2dSpec> specs;
  specs.push_back(makeSpec(1, 8, 16, 16, 16, 3, 1, 1));
  specs.push_back(makeSpec(2, 3, 15, 7, 5, 3, 2, 1));
  specs.push_back(makeSpec(1, 16, 14, 14, 32, 1, 1, 0));
  specs.push_back(makeSpec(1, 4, 9, 11, 6, 3, 1, 0));
  specs.push_back(makeSpec(1, 4, 10, 10, 6, 3, 2, 0));
  {
    // Asymmetric padding, different byte widths, stride 2 in H only.
    Conv2dSpec s = makeSpec(1, 6, 13, 9, 10, 3, 1, 0);
    s.strideH = 2;
    s.padTop = 1;
    s.padBottom = 0;
    s.padLeft = 2;
    s.inputBytes = 2;
    s.weightBytes = 3;
    s.outputBytes = 4;
    specs.push_back(s);
  }
  {
    // A 5x3 kernel with pad 2.
    Conv2dSpec s = makeSpec(1, 2, 12, 8, 3, 3, 1, 1);
    s.r = 5;
    s.padTop = s.padBottom = 2;
    specs.push_back(s);
  }
  for (const Conv2dSpec &s : specs) {
    SCOPED_TRACE("conv n " + std::to_string(s.n) + " c " + std::to_string(s.c) +
                 " h " + std::to_string(s.h) + " w " + std::to_string(s.w) +
                 " k " + std::to_string(s.k) + " r " + std::to_string(s.r) +
                 " stride " + std::to_string(s.strideH) + " pad " +
                 std::to_string(s.padTop));
    llvm::Expected<Workload> w = Workload::conv2d(s);
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    ASSERT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
    expectLayer(*l, expectedLayer(s));
  }

  // Depthwise, with channel multipliers 1 and 2.
  for (int64_t mult : {1, 2}) {
    for (int64_t stride : {1, 2}) {
      Conv2dSpec s = makeSpec(1, 8, 12, 10, 8 * mult, 3, stride, 1);
      s.outputBytes = 2;
      SCOPED_TRACE("depthwise mult " + std::to_string(mult) + " stride " +
                   std::to_string(stride));
      llvm::Expected<Workload> w = Workload::depthwiseConv2d(s);
      ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
      llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
      ASSERT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
      s.groups = s.c;
      expectLayer(*l, expectedLayer(s));
    }
  }

  // Grouped: p indexes only the input and the output as well.
  {
    Conv2dSpec s = makeSpec(1, 8, 10, 10, 12, 3, 1, 1);
    s.groups = 4;
    llvm::Expected<Workload> w = Workload::conv2d(s);
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    ASSERT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
    expectLayer(*l, expectedLayer(s));
  }
}

TEST(FusionRandomTest, RowBandLayerRejects) {
  {
    Conv2dSpec s = makeSpec(1, 4, 12, 12, 4, 3, 1, 2);
    s.dilationH = s.dilationW = 2;
    llvm::Expected<Workload> w = Workload::conv2d(s);
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    EXPECT_FALSE(static_cast<bool>(l)) << "dilation 2 accepted";
    if (!l)
      llvm::consumeError(l.takeError());
  }
  {
    // 1x1 stride 2: kernelRows 1 < stride 2.
    llvm::Expected<Workload> w =
        Workload::conv2d(makeSpec(1, 4, 12, 12, 4, 1, 2, 0));
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    EXPECT_FALSE(static_cast<bool>(l)) << "kernelRows < stride accepted";
    if (!l)
      llvm::consumeError(l.takeError());
  }
  {
    llvm::Expected<Workload> w = Workload::matmul(1, 64, 64);
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    EXPECT_FALSE(static_cast<bool>(l)) << "matmul accepted";
    if (!l)
      llvm::consumeError(l.takeError());
  }
  {
    // A cropped input (a positive constant, i.e. a negative pad): rows
    // before the first window would be produced but never needed.
    llvm::Expected<Workload> w =
        Workload::conv2d(makeSpec(1, 4, 12, 12, 4, 3, 1, 0));
    ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
    unsigned in = *w->findOperand("input");
    w->operands[in].projection[2].constant = 1;
    w->dims[*w->findDim("P")].bound = 9;
    w->operands[*w->findOperand("output")].extent[2] = 9;
    ASSERT_FALSE(static_cast<bool>(w->verify()));
    llvm::Expected<RowBandLayer> l = getRowBandLayer(*w);
    ASSERT_FALSE(static_cast<bool>(l)) << "negative pad accepted";
    EXPECT_NE(llvm::toString(l.takeError()).find("cropped"),
              std::string::npos);
  }
}

TEST(FusionRandomTest, VerifyRowBandChain) {
  llvm::Expected<Workload> a =
      Workload::conv2d(makeSpec(1, 8, 16, 16, 16, 3, 1, 1));
  llvm::Expected<Workload> b =
      Workload::conv2d(makeSpec(1, 16, 16, 16, 8, 3, 2, 1));
  llvm::Expected<Workload> c =
      Workload::conv2d(makeSpec(1, 16, 15, 16, 8, 3, 1, 1));
  llvm::Expected<Workload> d =
      Workload::conv2d(makeSpec(1, 12, 16, 16, 8, 3, 1, 1));
  ASSERT_TRUE(a && b && c && d);
  llvm::Expected<RowBandLayer> la = getRowBandLayer(*a),
                               lb = getRowBandLayer(*b),
                               lc = getRowBandLayer(*c),
                               ld = getRowBandLayer(*d);
  ASSERT_TRUE(la && lb && lc && ld);

  llvm::Error ok = verifyRowBandChain({*la, *lb});
  EXPECT_FALSE(static_cast<bool>(ok)) << llvm::toString(std::move(ok));
  llvm::Error one = verifyRowBandChain({*lb});
  EXPECT_FALSE(static_cast<bool>(one)) << llvm::toString(std::move(one));

  // Rows differ (16 -> 15).
  llvm::Error rows = verifyRowBandChain({*la, *lc});
  EXPECT_TRUE(static_cast<bool>(rows));
  llvm::consumeError(std::move(rows));
  // Row bytes differ (16 channels -> 12).
  llvm::Error bytes = verifyRowBandChain({*la, *ld});
  EXPECT_TRUE(static_cast<bool>(bytes));
  llvm::consumeError(std::move(bytes));
  // Reversed: b's 8 rows do not feed a.
  llvm::Error reversed = verifyRowBandChain({*lb, *la});
  EXPECT_TRUE(static_cast<bool>(reversed));
  llvm::consumeError(std::move(reversed));
  // Empty.
  llvm::Error empty = verifyRowBandChain({});
  EXPECT_TRUE(static_cast<bool>(empty));
  llvm::consumeError(std::move(empty));

  // Hand-made layers: only the row bytes differ.
  RowBandLayer x = *la, y = *lb;
  y.inputRowBytes += 1;
  llvm::Error hand = verifyRowBandChain({x, y});
  EXPECT_TRUE(static_cast<bool>(hand));
  llvm::consumeError(std::move(hand));
}

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

TEST(FusionRandomTest, BurstStreamOfTwoConvolutions) {
  DramParams params = getTargetParams("romanet-ddr3");
  llvm::Expected<DramModel> model = DramModel::get(params);
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  const DramGeometry &g = params.geometry;
  const uint64_t burstBytes = g.getBytesPerBurst();
  const unsigned offsetBits = model->getMapping().getBurstOffsetBits();
  ASSERT_EQ(uint64_t(1) << offsetBits, burstBytes);

  // 8 -> 16 channels 3x3 stride 1 over 12x8, then 16 -> 16 channels 3x3
  // stride 2: every row and every weight tensor a whole number of bursts.
  Conv2dSpec s1 = makeSpec(1, 8, 12, 8, 16, 3, 1, 1);
  s1.name = "conv1";
  s1.outputTensor = "Y1";
  Conv2dSpec s2 = makeSpec(1, 16, 12, 8, 16, 3, 2, 1);
  s2.name = "conv2";
  s2.inputTensor = "Y1";
  s2.weightTensor = "W2";
  s2.outputTensor = "Y2";
  llvm::Expected<Workload> w1 = Workload::conv2d(s1);
  llvm::Expected<Workload> w2 = Workload::conv2d(s2);
  ASSERT_TRUE(w1 && w2);
  std::vector<const Workload *> layers = {&*w1, &*w2};
  // The layers as RowBandLayerOfConvolutions expects getRowBandLayer() to
  // describe them (built here so that this test checks the DRAM part alone).
  std::vector<RowBandLayer> chain = {expectedLayer(s1), expectedLayer(s2)};
  llvm::Error verified = verifyRowBandChain(chain);
  ASSERT_FALSE(static_cast<bool>(verified))
      << llvm::toString(std::move(verified));
  ASSERT_EQ(chain[0].inputRowBytes % burstBytes, 0u);
  ASSERT_EQ(chain[1].outputRowBytes % burstBytes, 0u);
  ASSERT_EQ(chain[0].weightBytes % burstBytes, 0u);
  ASSERT_EQ(chain[1].weightBytes % burstBytes, 0u);
  const int64_t height = chain.back().outputRows;
  const uint64_t inputBytes =
      w1->operands[0].getNumElements() * w1->operands[0].bytesPerElement;
  const uint64_t outputBytes =
      w2->operands[2].getNumElements() * w2->operands[2].bytesPerElement;

  int evaluated = 0;
  for (bool rowsOutermost : {true, false}) {
    llvm::Expected<RowBandPlacement> placement =
        placeRowBandGroup(layers, chain, params, rowsOutermost);
    ASSERT_TRUE(static_cast<bool>(placement))
        << llvm::toString(placement.takeError());
    ASSERT_EQ(placement->weights.size(), 2u);
    EXPECT_EQ(placement->input.getSizeBytes(), inputBytes);
    EXPECT_EQ(placement->output.getSizeBytes(), outputBytes);
    if (rowsOutermost) {
      EXPECT_EQ(placement->input.getDimOrder().front(), chain[0].inputRowDim);
      EXPECT_EQ(placement->output.getDimOrder().front(), chain[1].outputRowDim);
    }
    // Every tensor at a DRAM-row boundary (alignment 0), so burst-aligned.
    for (const TensorLayout *l :
         {&placement->input, &placement->output, &placement->weights[0],
          &placement->weights[1]})
      EXPECT_EQ(l->getBase() % burstBytes, 0u);

    for (int64_t bandRows = 1; bandRows <= height + 1; ++bandRows) {
      for (bool resident : {true, false}) {
        SCOPED_TRACE(
            std::string(rowsOutermost ? "rows outermost" : "identity order") +
            " bandRows " + std::to_string(bandRows) +
            (resident ? " weights resident" : " weights streamed"));
        RowBandSchedule schedule;
        schedule.bandRows = bandRows;
        schedule.weightsResident = resident;
        RowBandCounts counts = computeRowBandCounts(chain, schedule);
        std::vector<DramRequest> stream;
        forEachRowBandBurst(layers, chain, schedule, *placement, offsetBits,
                            [&](const DramRequest &r) { stream.push_back(r); });

        // Operands: 0 input reads, 1 weight reads, 2 output writes.
        std::vector<uint64_t> inputBursts;
        uint64_t weightBursts = 0, outputBursts = 0;
        std::set<uint64_t> outputSet;
        for (const DramRequest &r : stream) {
          ASSERT_LE(r.operand, 2u);
          EXPECT_EQ(r.isWrite, r.operand == 2);
          if (r.operand == 0)
            inputBursts.push_back(r.burst);
          else if (r.operand == 1)
            ++weightBursts;
          else {
            ++outputBursts;
            outputSet.insert(r.burst);
          }
        }
        // All input rows are needed (pad 1): the input is read once, burst
        // by burst.
        EXPECT_EQ(counts.inputReadBytes, static_cast<int64_t>(inputBytes));
        EXPECT_EQ(counts.outputWriteBytes, static_cast<int64_t>(outputBytes));
        if (rowsOutermost) {
          std::vector<uint64_t> want;
          uint64_t first = placement->input.getBase() >> offsetBits;
          for (uint64_t b = 0; b < inputBytes / burstBytes; ++b)
            want.push_back(first + b);
          EXPECT_EQ(inputBursts, want);
          EXPECT_EQ(inputBursts.size() * burstBytes, inputBytes);
          EXPECT_EQ(outputBursts * burstBytes, outputBytes);
          EXPECT_EQ(outputSet.size(), outputBursts);
        }
        // Whole weight tensors, aligned: exactly the bytes counted.
        EXPECT_EQ(static_cast<int64_t>(weightBursts * burstBytes),
                  counts.weightReadBytes);

        DramStats stats =
            evaluateRowBandGroup(layers, chain, schedule, *placement, *model);
        DramStats replay = model->replayBursts(stream);
        ASSERT_EQ(stats.operands.size(), 3u);
        EXPECT_EQ(stats.operands[0].usefulReadBytes,
                  static_cast<uint64_t>(counts.inputReadBytes));
        EXPECT_EQ(stats.operands[1].usefulReadBytes,
                  static_cast<uint64_t>(counts.weightReadBytes));
        EXPECT_EQ(stats.operands[2].usefulWriteBytes,
                  static_cast<uint64_t>(counts.outputWriteBytes));
        // replayBursts() knows bursts only: take the useful bytes and the
        // transfers from the group's statistics.
        replay.operands.resize(3);
        for (unsigned o = 0; o < 3; ++o) {
          replay.operands[o].usefulReadBytes =
              stats.operands[o].usefulReadBytes;
          replay.operands[o].usefulWriteBytes =
              stats.operands[o].usefulWriteBytes;
          replay.operands[o].readTransfers = stats.operands[o].readTransfers;
          replay.operands[o].writeTransfers = stats.operands[o].writeTransfers;
        }
        EXPECT_TRUE(stats.countsEqual(replay))
            << "group:  " << stats.str() << "\nreplay: " << replay.str();
        EXPECT_EQ(stats.cycles, replay.cycles);
        EXPECT_EQ(stats.bursts, stream.size());
        ++evaluated;
        if (HasFailure())
          return;
      }
    }
  }
  EXPECT_EQ(evaluated, 2 * 2 * (height + 1));
}

} // namespace
