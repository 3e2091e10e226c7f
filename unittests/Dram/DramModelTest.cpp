//===- DramModelTest.cpp - hand-computed DRAM model cases -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Small streams and layers whose hits, misses, conflicts, ACT/PRE counts,
// cycles and energies are worked out by hand on the DDR3-1600 target
// (romanet-ddr3: 64-byte bursts, 8 KiB rows, 8 banks). Every case is checked
// on both engines.
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Dram/DramModel.h"

#include "gtest/gtest.h"

#include <cmath>
#include <optional>
#include <random>

using namespace romac;
using namespace romac::test;

namespace {

DramModel ddr3(llvm::StringRef mappingName,
               PagePolicy policy = PagePolicy::Open) {
  DramParams params = getTargetParams("romanet-ddr3");
  params.policy = policy;
  llvm::Expected<AddressMapping> mapping =
      AddressMapping::get(params.geometry, mappingName);
  EXPECT_TRUE(static_cast<bool>(mapping))
      << llvm::toString(mapping.takeError());
  return DramModel(params, std::move(*mapping));
}

std::vector<DramRequest> reads(std::initializer_list<uint64_t> bursts) {
  std::vector<DramRequest> requests;
  for (uint64_t b : bursts)
    requests.push_back({b, 0, false});
  return requests;
}

std::vector<DramRequest> sequential(uint64_t first, uint64_t count,
                                    bool write = false, unsigned operand = 0) {
  std::vector<DramRequest> requests;
  for (uint64_t b = first; b < first + count; ++b)
    requests.push_back({b, operand, write});
  return requests;
}

void expectCounts(const DramStats &s, uint64_t hits, uint64_t misses,
                  uint64_t conflicts, uint64_t acts, uint64_t pres) {
  EXPECT_EQ(s.rowHits, hits) << s.str();
  EXPECT_EQ(s.rowMisses, misses) << s.str();
  EXPECT_EQ(s.rowConflicts, conflicts) << s.str();
  EXPECT_EQ(s.activates, acts) << s.str();
  EXPECT_EQ(s.precharges, pres) << s.str();
  EXPECT_EQ(s.bursts, hits + misses + conflicts) << s.str();
}

TEST(DramModelTest, TwoRowsOfOneBankOpenPage) {
  // "BaRoCo": a bank's rows are consecutive, so 16 KiB from 0 are rows 0 and
  // 1 of bank 0: one miss, 254 hits, one conflict; ACT 2, PRE 2 (the
  // conflict and the final precharge).
  DramModel model = ddr3("BaRoCo");
  DramStats s = model.replayBursts(sequential(0, 256));
  expectCounts(s, 254, 1, 1, 2, 2);
  EXPECT_EQ(s.reads, 256u);
  EXPECT_EQ(s.writes, 0u);
  ASSERT_EQ(s.operands.size(), 1u);
  EXPECT_EQ(s.operands[0].readBursts, 256u);
  EXPECT_EQ(s.operands[0].readBytes, 256u * 64);

  // Cycles: the bank is the bottleneck: 2 activations x (tRCD + tRP) + 254
  // further bursts x tCCD + 2 x tRTP = 44 + 1016 + 12 = 1072 (the bus needs
  // 4 + 255 x 4 = 1024), plus tRCD + CL = 22 of latency; no refresh yet.
  EXPECT_EQ(s.cycles, 1094u);
  // Energy from the DDR3-1600 currents (see DramParamsTest): 9841.5 pJ per
  // ACT/PRE pair, 6426 pJ per read burst, 513 pJ per cycle of active
  // standby, a 553176 pJ refresh every 6240 cycles.
  EXPECT_DOUBLE_EQ(s.energyPJ.actPre, 2 * 9841.5);
  EXPECT_DOUBLE_EQ(s.energyPJ.rdWr, 256 * 6426.0);
  EXPECT_NEAR(s.energyPJ.background, 1094 * 513.0, 1e-6);
  EXPECT_NEAR(s.energyPJ.refresh, 553176.0 * 1094 / 6240, 1e-6);
  EXPECT_NEAR(s.energyPJ.getTotal(),
              2 * 9841.5 + 256 * 6426.0 + 1094 * 513.0 + 553176.0 * 1094 / 6240,
              1e-6);
}

TEST(DramModelTest, TwoRowsOfOneBankClosedPage) {
  // Closed page: the row is precharged when the run of hits ends, so the
  // second row is a miss, not a conflict.
  DramModel model = ddr3("BaRoCo", PagePolicy::Closed);
  DramStats s = model.replayBursts(sequential(0, 256));
  expectCounts(s, 254, 2, 0, 2, 2);
  EXPECT_EQ(s.cycles, 1094u);
  // The rank is active while a row is open: per activation tRCD + accesses +
  // tRTP, 22 + 254 x 4 + 12 = 1050 cycles; precharged for the other 44.
  EXPECT_NEAR(s.energyPJ.background, 1050 * 513.0 + 44 * 432.0, 1e-6);
}

TEST(DramModelTest, RomanetSpreadsRowsOverBanks) {
  // romanet: the second 8 KiB go to bank 1: two misses, no conflict.
  DramStats s = ddr3("romanet").replayBursts(sequential(0, 256));
  expectCounts(s, 254, 2, 0, 2, 2);
  // Two banks work in parallel: the bus is the bottleneck (1024 cycles).
  EXPECT_EQ(s.cycles, 1024u + 22);
}

TEST(DramModelTest, PingPongBetweenRows) {
  // Rows 0 and 1 of bank 0, alternately.
  std::vector<DramRequest> stream = reads({0, 128, 1, 129});
  expectCounts(ddr3("BaRoCo").replayBursts(stream), 0, 1, 3, 4, 4);
  expectCounts(ddr3("BaRoCo", PagePolicy::Closed).replayBursts(stream), 0, 4, 0,
               4, 4);
  // The same bursts in two banks under romanet: rows stay open.
  expectCounts(ddr3("romanet").replayBursts(stream), 2, 2, 0, 2, 2);
  // Closed page with one request of look-ahead closes bank 0 when the next
  // request goes to bank 1.
  expectCounts(ddr3("romanet", PagePolicy::Closed).replayBursts(stream), 0, 4, 0,
               4, 4);
}

TEST(DramModelTest, WriteToReadTurnaround) {
  // A write then a read of the same row: CWL + BL/2 + tWTR = 8 + 4 + 6 = 18
  // cycles between the commands; the bank's tRC (39) bounds the activation.
  std::vector<DramRequest> stream = {{0, 0, true}, {1, 0, false}};
  DramStats s = ddr3("romanet").replayBursts(stream);
  expectCounts(s, 1, 1, 0, 1, 1);
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.cycles, 39u + 22);
  EXPECT_DOUBLE_EQ(s.energyPJ.rdWr, 6426.0 + 4698.0);
}

TEST(DramModelTest, RefreshStretchesLongStreams) {
  // 4 MiB from 0 under romanet: rows 0..63 of the 8 banks in turn. The first
  // row of every bank is a miss, every later one a conflict (the bank still
  // holds its previous row). The bus needs 4 + 65535 x 4 cycles; every
  // 6240 - 208 cycles lose 208 to refresh.
  DramStats s = ddr3("romanet").replayBursts(sequential(0, 65536));
  uint64_t raw = 4 + 65535 * 4 + 22;
  EXPECT_EQ(s.cycles, raw + raw / (6240 - 208) * 208);
  EXPECT_GT(s.cycles, raw);
  // A refresh precharges every bank. Each row is read in 128 consecutive
  // bursts, so at any time one bank holds a row its next burst hits: its 127
  // hits span 127 positions, 512 x 127 of the 65536 in all. The cycles /
  // 6240 refreshes (43.6) close that fraction of them: 43 hits become
  // misses, with an ACT and a PRE each (the bus stays the bottleneck).
  double refreshes = static_cast<double>(s.cycles) / 6240;
  uint64_t closes = std::llround(refreshes * 512 * 127 / 65536);
  EXPECT_EQ(closes, 43u);
  EXPECT_EQ(s.refreshCloses, closes);
  expectCounts(s, 65536 - 512 - closes, 8 + closes, 504, 512 + closes,
               512 + closes);
}

TEST(DramModelTest, RefreshClosesAreTheAverageOverRefreshTimes) {
  // The model's refresh closes against a brute force: replay the stream
  // with a refresh (every bank precharged) before every P-th burst, P the
  // stream's bursts per tREFI, from every phase 0..P-1, count the extra
  // activations and average them. Streams: runs of random length from a
  // few random places, so banks hold rows across others' runs.
  DramModel model = ddr3("romanet");
  const AddressMapping &mapping = model.getMapping();
  std::mt19937_64 rng(7);
  int withCloses = 0;
  for (int iter = 0; iter < 20; ++iter) {
    std::vector<uint64_t> places;
    for (int i = 0; i < 6; ++i)
      places.push_back(rng() % (uint64_t(1) << 20));
    std::vector<DramRequest> stream;
    while (stream.size() < 30000) {
      uint64_t &place = places[rng() % places.size()];
      uint64_t run = 1 + rng() % 300;
      for (uint64_t i = 0; i < run; ++i)
        stream.push_back({place++, 0, false});
    }
    DramStats s = model.replayBursts(stream);
    uint64_t period = static_cast<uint64_t>(
        std::llround(static_cast<double>(stream.size()) * 6240 / s.cycles));
    ASSERT_GT(period, 0u);
    auto activations = [&](std::optional<uint64_t> phase) {
      std::vector<int64_t> openRow(8, -1);
      uint64_t acts = 0;
      for (size_t i = 0; i < stream.size(); ++i) {
        if (phase && i % period == *phase)
          std::fill(openRow.begin(), openRow.end(), -1);
        uint64_t b = mapping.getBankIndex(stream[i].burst);
        int64_t row = static_cast<int64_t>(mapping.getRow(stream[i].burst));
        acts += openRow[b] != row;
        openRow[b] = row;
      }
      return acts;
    };
    uint64_t without = activations(std::nullopt);
    double closes = 0;
    for (uint64_t phase = 0; phase < period; ++phase)
      closes += static_cast<double>(activations(phase) - without);
    closes /= static_cast<double>(period);
    EXPECT_EQ(s.activates, without + s.refreshCloses);
    EXPECT_NEAR(static_cast<double>(s.refreshCloses), closes, 1.0)
        << "stream " << iter << ": " << s.str();
    withCloses += s.refreshCloses > 0;
  }
  EXPECT_GE(withCloses, 15);
}

TEST(DramModelTest, InOrderIssueSerialisesLongChannelRuns) {
  // Two LPDDR4 channels (BL16: 8 cycles a burst on a channel's bus) under
  // "RoBaChCo": the 64 bursts of a row, then the other channel. 256 bursts
  // from 0 are 4 runs of 64 alternating channels; each channel reads rows
  // 0 of banks 0 and 1 (2 misses, 126 hits).
  DramParams params = getTargetParams("edge-npu-lpddr4");
  AddressMapping mapping =
      llvm::cantFail(AddressMapping::get(params.geometry, "RoBaChCo"));
  auto run = [&](uint64_t queue) {
    DramParams p = params;
    p.controllerQueue = queue;
    return DramModel(p, mapping).replayBursts(sequential(0, 256));
  };
  // A queue that holds a whole run: the channels overlap, each bus busy
  // 8 + 127 x 8 = 1024 cycles, plus tRCD + CL = 32 for the first access.
  DramStats overlapped = run(64);
  expectCounts(overlapped, 252, 4, 0, 4, 4);
  EXPECT_EQ(overlapped.serialBursts, 0u);
  EXPECT_EQ(overlapped.cycles, 1056u);
  // 32 requests: each run has 32 bursts past the queue, 128 in all, 64 per
  // channel at 1024 / 128 cycles each: 1024 cycles one after another, as
  // long as the overlapped buses.
  DramStats half = run(32);
  EXPECT_EQ(half.serialBursts, 128u);
  EXPECT_EQ(half.cycles, 1056u);
  // 16 requests: 48 past the queue per run, 192 x 8 = 1536 cycles.
  DramStats small = run(16);
  expectCounts(small, 252, 4, 0, 4, 4);
  EXPECT_EQ(small.serialBursts, 192u);
  EXPECT_EQ(small.cycles, 1536u + 32);
  // Background energy follows the cycles.
  EXPECT_GT(small.energyPJ.background, overlapped.energyPJ.background);
  // With one channel the in-order issue is the channel's own order.
  DramParams one = params;
  one.geometry.channels = 1;
  one.controllerQueue = 1;
  DramModel single(one,
                   llvm::cantFail(AddressMapping::get(one.geometry, "RoBaCo")));
  DramStats s = single.replayBursts(sequential(0, 256));
  EXPECT_EQ(s.serialBursts, 0u);
  EXPECT_EQ(s.cycles, 8u + 255 * 8 + 32);
}

/// Evaluates with both engines and checks that they agree.
DramStats evaluateBoth(const DramModel &model, const Workload &w,
                       const Mapping &m, const LayerLayout &layout) {
  DramStats replay = model.evaluate(w, m, layout, DramEngine::Replay);
  DramStats fast = model.evaluate(w, m, layout, DramEngine::Fast);
  EXPECT_EQ(replay, fast) << "replay: " << replay.str()
                          << "\nfast:   " << fast.str();
  return replay;
}

TEST(DramModelTest, UntiledMatmul) {
  // 64x64x64 int8: each operand is 4 KiB = 64 bursts, placed in banks 0, 1
  // and 2 (8 KiB alignment). Untiled: read input, read weight, write output.
  llvm::Expected<Workload> w = Workload::matmul(64, 64, 64);
  ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
  Mapping m = Mapping::untiled(*w);
  LayerLayoutOptions options;
  options.alignment = 8192;
  llvm::Expected<LayerLayout> layout = makeLayerLayout(*w, m, options);
  ASSERT_TRUE(static_cast<bool>(layout)) << llvm::toString(layout.takeError());
  for (PagePolicy policy : {PagePolicy::Open, PagePolicy::Closed}) {
    DramStats s = evaluateBoth(ddr3("romanet", policy), *w, m, *layout);
    expectCounts(s, 189, 3, 0, 3, 3);
    EXPECT_EQ(s.reads, 128u);
    EXPECT_EQ(s.writes, 64u);
    ASSERT_EQ(s.operands.size(), 3u);
    EXPECT_EQ(s.operands[0].usefulReadBytes, 4096u);
    EXPECT_EQ(s.operands[1].readBytes, 4096u);
    EXPECT_EQ(s.operands[2].writeBytes, 4096u);
    EXPECT_EQ(s.operands[2].readBytes, 0u);
    EXPECT_EQ(s.operands[2].writeTransfers, 1u);
  }
}

TEST(DramModelTest, ReductionOutsideTheOutputReadsPartialSumsBack) {
  // output[64,64] += input[64,128] * weight[128,64] with K tiled by 64
  // outside M tiled by 32 (order K, M, N): each output half is written,
  // read back under the second K tile and written again. The input rows are
  // 128 bytes, so an input tile is 32 single-burst runs in bank 0, row 0;
  // the weight's K tiles are 4 KiB each in bank 1; the output is 4 KiB in
  // bank 2. Every bank holds one row: 3 misses and all else hits.
  // Bursts: input 4 x 32, weight 2 x 64, output 4 x 32 written and 2 x 32
  // read back.
  llvm::Expected<Workload> w = Workload::matmul(64, 64, 128);
  ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
  llvm::Expected<Mapping> m =
      Mapping::get(*w, {{"K", 64}, {"M", 32}}, {"K", "M", "N"});
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  LayerLayoutOptions options;
  options.alignment = 8192;
  llvm::Expected<LayerLayout> layout = makeLayerLayout(*w, *m, options);
  ASSERT_TRUE(static_cast<bool>(layout)) << llvm::toString(layout.takeError());
  DramStats s = evaluateBoth(ddr3("romanet"), *w, *m, *layout);
  // The stream's positions: input 0-31, weight 32-95, output 96-127, input
  // 128-159, output 160-191, input 192-223, weight 224-287, output 288-351,
  // input 352-383, output 384-447. A bank that only hits holds a row its
  // next burst hits from its first burst to its last: 383, 255 and 351 of
  // the 448 positions. 1876 cycles hold 1876 / 6240 = 0.30 refreshes, which
  // close 0.30 x (383 + 255 + 351) / 448 = 0.66 rows a hit needed, rounded
  // to 1 (the cumulative rounding gives it to the last bank, the output's).
  EXPECT_EQ(s.cycles, 1876u);
  EXPECT_EQ(s.refreshCloses, 1u);
  expectCounts(s, 444, 4, 0, 4, 4);
  EXPECT_EQ(s.reads, 320u);
  EXPECT_EQ(s.writes, 128u);
  EXPECT_EQ(s.operands[2].readTransfers, 2u);
  EXPECT_EQ(s.operands[2].writeTransfers, 4u);

  // The traffic agrees with the access counts.
  AccessCounts counts = computeAccessCounts(*w, *m);
  for (unsigned o = 0; o < 3; ++o) {
    EXPECT_EQ(s.operands[o].usefulReadBytes,
              static_cast<uint64_t>(counts.operands[o].readBytes));
    EXPECT_EQ(s.operands[o].usefulWriteBytes,
              static_cast<uint64_t>(counts.operands[o].writeBytes));
    EXPECT_EQ(s.operands[o].readTransfers,
              static_cast<uint64_t>(counts.operands[o].fetches));
    EXPECT_EQ(s.operands[o].writeTransfers,
              static_cast<uint64_t>(counts.operands[o].writebacks));
  }

  // Under "BaRoCo" all three tensors sit in bank 0 (input row 0, weight
  // row 1, output row 2). The transfers, write-backs first in each step:
  //   (k0,m0): input r0 (miss), weight r1
  //   (k0,m1): write out r2, input r0
  //   (k1,m0): write out r2, input r0, weight r1, read back out r2
  //   (k1,m1): write out r2 (a hit: r2 is open), input r0, read back out r2
  //   end:     write out r2 (a hit)
  // so 9 conflicts, one miss, 10 ACT/PRE.
  DramStats bank0 = evaluateBoth(ddr3("BaRoCo"), *w, *m, *layout);
  expectCounts(bank0, 448 - 10, 1, 9, 10, 10);
}

TEST(DramModelTest, EvaluateCheckedRejectsBadInput) {
  llvm::Expected<Workload> w = Workload::matmul(8, 8, 8);
  ASSERT_TRUE(static_cast<bool>(w));
  Mapping m = Mapping::untiled(*w);
  LayerLayoutOptions options;
  // The 4 GiB DDR3 rank ends 100 bytes after the base: the input (64 bytes)
  // fits, the weight does not.
  options.base = (uint64_t(4) << 30) - 100;
  llvm::Expected<LayerLayout> layout = makeLayerLayout(*w, m, options);
  ASSERT_TRUE(static_cast<bool>(layout));
  DramModel model = ddr3("romanet");
  llvm::Expected<DramStats> s = model.evaluateChecked(*w, m, *layout);
  ASSERT_FALSE(static_cast<bool>(s));
  EXPECT_EQ(llvm::toString(s.takeError()),
            "operand 'weight' of 'matmul' ends at byte 4294967324, past the "
            "DRAM capacity of 4294967296 bytes");
  Mapping bad = m;
  bad.tileSizes[0] = 0;
  layout = makeLayerLayout(*w, m, LayerLayoutOptions());
  ASSERT_TRUE(static_cast<bool>(layout));
  s = model.evaluateChecked(*w, bad, *layout);
  EXPECT_FALSE(static_cast<bool>(s));
  llvm::consumeError(s.takeError());
  s = model.evaluateChecked(*w, m, *layout);
  ASSERT_TRUE(static_cast<bool>(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->bursts, 3u);
}

} // namespace
