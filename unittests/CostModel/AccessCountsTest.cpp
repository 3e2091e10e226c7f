//===- AccessCountsTest.cpp - hand-derived access counts --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Access counts checked against values derived by hand: the ROMANet
// reuse-scheme table, edge tiles, clipping at padded borders, single-tile
// loops, the named refinements and an SD2-sized layer. Where a plausible
// wrong model gives another number, the test says so.
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/AccessCounts.h"

#include <gtest/gtest.h>

using namespace romac;

namespace {

/// Counts of operand `name` (which must exist).
const OperandAccessCounts &get(const Workload &w, const AccessCounts &c,
                               llvm::StringRef name) {
  const OperandAccessCounts *result = c.lookup(w, name);
  EXPECT_NE(result, nullptr) << name.str();
  static OperandAccessCounts empty;
  return result ? *result : empty;
}

AccessCounts counts(const Workload &w,
                    llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> tiles,
                    llvm::ArrayRef<llvm::StringRef> order,
                    AccessCountOptions options = {}) {
  Mapping m = llvm::cantFail(Mapping::get(w, tiles, order));
  return llvm::cantFail(computeAccessCountsChecked(w, m, options));
}

//===----------------------------------------------------------------------===//
// ROMANet's table (dram-and-energy.md): output M x N x J, input H x W x I,
// kernel P x Q, stride S, tiles Mt Nt Jt It that divide the bounds and no
// padding, so Ht = (Mt - 1) * S + P.
//===----------------------------------------------------------------------===//

class RomanetTable : public ::testing::TestWithParam<int64_t> {};

TEST_P(RomanetTable, ReuseSchemes) {
  const int64_t stride = GetParam();
  const int64_t M = 8, N = 8, J = 16, I = 8, P = 3, Q = 3;
  const int64_t Mt = 4, Nt = 4, Jt = 8, It = 4;
  const int64_t TM = M / Mt, TN = N / Nt, TJ = J / Jt, TI = I / It;
  const int64_t Ht = (Mt - 1) * stride + P, Wt = (Nt - 1) * stride + Q;

  Conv2dSpec s;
  s.c = I;
  s.k = J;
  s.h = (M - 1) * stride + P;
  s.w = (N - 1) * stride + Q;
  s.r = P;
  s.s = Q;
  s.strideH = s.strideW = stride;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  ASSERT_EQ(w.dims[3].bound, M);
  std::pair<llvm::StringRef, int64_t> tiles[] = {
      {"P", Mt}, {"Q", Nt}, {"K", Jt}, {"C", It}};

  // Output stationary: the reduction over input channels is innermost.
  AccessCounts os = counts(w, tiles, {"K", "P", "Q", "C", "N", "R", "S"});
  EXPECT_EQ(get(w, os, "input").readElements, TJ * TM * TN * Ht * Wt * I);
  EXPECT_EQ(get(w, os, "weight").readElements, TM * TN * P * Q * I * J);
  EXPECT_EQ(get(w, os, "output").writeElements, M * N * J);
  EXPECT_EQ(get(w, os, "output").readElements, 0);

  // Weight stationary: a weight tile stays while the window slides.
  AccessCounts ws = counts(w, tiles, {"K", "C", "P", "Q", "N", "R", "S"});
  EXPECT_EQ(get(w, ws, "input").readElements, TJ * TM * TN * Ht * Wt * I);
  EXPECT_EQ(get(w, ws, "weight").readElements, P * Q * I * J);
  EXPECT_EQ(get(w, ws, "output").readElements +
                get(w, ws, "output").writeElements,
            M * N * J * (2 * TI - 1));

  // Input stationary: an input tile stays while the output channels change.
  AccessCounts is = counts(w, tiles, {"C", "P", "Q", "K", "N", "R", "S"});
  EXPECT_EQ(get(w, is, "input").readElements, TM * TN * Ht * Wt * I);
  EXPECT_EQ(get(w, is, "weight").readElements, TM * TN * P * Q * I * J);
  EXPECT_EQ(get(w, is, "output").readElements +
                get(w, is, "output").writeElements,
            M * N * J * (2 * TI - 1));

  // The same numbers, written out, so a change to the formulas above cannot
  // hide a change of the model.
  if (stride == 1) {
    EXPECT_EQ(get(w, os, "input").readElements, 2304);
    EXPECT_EQ(get(w, os, "weight").readElements, 4608);
    EXPECT_EQ(get(w, ws, "weight").readElements, 1152);
    EXPECT_EQ(get(w, ws, "output").writeElements, 2048);
    EXPECT_EQ(get(w, ws, "output").readElements, 1024);
    EXPECT_EQ(get(w, is, "input").readElements, 1152);
    EXPECT_EQ(get(w, os, "input").visits, 16);
    EXPECT_EQ(get(w, ws, "weight").visits, 4);
    // Output tiles (8 distinct) are visited TI = 2 times each.
    EXPECT_EQ(get(w, ws, "output").visits, 16);
    EXPECT_EQ(get(w, ws, "output").distinctTiles, 8);
    EXPECT_EQ(get(w, ws, "output").fetches, 8);
    EXPECT_EQ(get(w, ws, "output").writebacks, 16);
    EXPECT_EQ(get(w, os, "output").visits, 8);
    EXPECT_EQ(get(w, os, "output").fetches, 0);
    EXPECT_EQ(get(w, os, "input").tileElements, 4 * 6 * 6);
  } else {
    EXPECT_EQ(get(w, os, "input").readElements, 5184);
  }
}

INSTANTIATE_TEST_SUITE_P(Stride, RomanetTable, ::testing::Values(1, 2));

//===----------------------------------------------------------------------===//
// Edge tiles and single-tile loops
//===----------------------------------------------------------------------===//

TEST(AccessCountsTest, EdgeTilesAndSingleTileLoops) {
  // M = 5 in tiles 2, 2, 1; N = 3 in one tile; K = 7 in tiles 3, 3, 1.
  Workload w = llvm::cantFail(Workload::matmul(5, 3, 7, 2));
  std::pair<llvm::StringRef, int64_t> tiles[] = {{"M", 2}, {"K", 3}};

  AccessCounts mkn = counts(w, tiles, {"M", "K", "N"});
  EXPECT_EQ(get(w, mkn, "input").visits, 9);
  EXPECT_EQ(get(w, mkn, "input").readElements, 35); // each element once
  EXPECT_EQ(get(w, mkn, "input").tileElements, 6);
  EXPECT_EQ(get(w, mkn, "weight").visits, 9);
  EXPECT_EQ(get(w, mkn, "weight").distinctTiles, 3);
  EXPECT_EQ(get(w, mkn, "weight").readElements, 3 * 21);
  // The output tile stays while K runs inside M: output stationary.
  EXPECT_EQ(get(w, mkn, "output").visits, 3);
  EXPECT_EQ(get(w, mkn, "output").writeElements, 15);
  EXPECT_EQ(get(w, mkn, "output").readElements, 0);
  EXPECT_EQ(get(w, mkn, "output").fetches, 0);
  EXPECT_EQ(get(w, mkn, "output").writeBytes, 30);

  AccessCounts kmn = counts(w, tiles, {"K", "M", "N"});
  // The weight depends on N too, but N has a single tile: a weight tile is
  // fetched once per K tile (a model that counts every loop up to N would
  // say 9 visits and 63 elements).
  EXPECT_EQ(get(w, kmn, "weight").visits, 3);
  EXPECT_EQ(get(w, kmn, "weight").readElements, 21);
  EXPECT_EQ(get(w, kmn, "output").visits, 9);
  EXPECT_EQ(get(w, kmn, "output").distinctTiles, 3);
  EXPECT_EQ(get(w, kmn, "output").writebacks, 9);
  EXPECT_EQ(get(w, kmn, "output").fetches, 6);
  EXPECT_EQ(get(w, kmn, "output").writeElements, 45);
  EXPECT_EQ(get(w, kmn, "output").readElements, 30);
  EXPECT_EQ(kmn.readElements, 35 + 21 + 30);
  EXPECT_EQ(kmn.readBytes, 2 * (35 + 21 + 30));
  EXPECT_EQ(kmn.writeBytes, 90);
  EXPECT_EQ(kmn.getTotalBytes(), 2 * (35 + 21 + 30) + 90);
  EXPECT_EQ(kmn.bufferBytes, 2 * (6 + 9 + 6));
}

TEST(AccessCountsTest, OperandWithAllLoopsUntiledIsFetchedOnce) {
  Workload w = llvm::cantFail(Workload::matmul(6, 6, 6));
  // The weight [K, N] is whole; M is tiled and outermost.
  AccessCounts c = counts(w, {{"M", 2}}, {"M", "N", "K"});
  EXPECT_EQ(get(w, c, "weight").visits, 1);
  EXPECT_EQ(get(w, c, "weight").readElements, 36);
  EXPECT_EQ(get(w, c, "input").visits, 3);
}

TEST(AccessCountsTest, UntiledReadsEveryTensorOnce) {
  Conv2dSpec s;
  s.c = 3;
  s.k = 5;
  s.h = s.w = 9;
  s.r = s.s = 3;
  s.padTop = s.padLeft = s.padBottom = s.padRight = 1;
  s.outputBytes = 4;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  AccessCounts c = computeAccessCounts(w, Mapping::untiled(w));
  EXPECT_EQ(get(w, c, "input").readElements, 3 * 9 * 9);
  EXPECT_EQ(get(w, c, "weight").readElements, 5 * 3 * 9);
  EXPECT_EQ(get(w, c, "output").writeElements, 5 * 9 * 9);
  EXPECT_EQ(get(w, c, "output").writeBytes, 4 * 5 * 9 * 9);
  EXPECT_EQ(get(w, c, "output").readElements, 0);
  EXPECT_FALSE(c.overflow);
}

//===----------------------------------------------------------------------===//
// Clipping at padded borders
//===----------------------------------------------------------------------===//

TEST(AccessCountsTest, PaddingIsNotRead) {
  // One input row of 6 with a 3-tap kernel and padding 1 on both sides;
  // P = 6 in tiles of 2. Rows read: [-1,2] -> [0,2], [1,4], [3,6] -> [3,5].
  Conv2dSpec s;
  s.h = 6;
  s.r = 3;
  s.padTop = s.padBottom = 1;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  ASSERT_EQ(w.dims[3].bound, 6);
  AccessCounts c = counts(w, {{"P", 2}}, {"N", "K", "C", "P", "Q", "R", "S"});
  EXPECT_EQ(get(w, c, "input").visits, 3);
  EXPECT_EQ(get(w, c, "input").readElements, 3 + 4 + 3);
  // The unclipped ROMANet footprint would read 3 * ((2 - 1) + 3) = 12.
  EXPECT_NE(get(w, c, "input").readElements, 12);
  EXPECT_EQ(get(w, c, "input").tileElements, 4);
  EXPECT_EQ(footprintElements(w, {1, 1, 1, 2, 1, 3, 1}, 0), 4);
  EXPECT_EQ(get(w, c, "weight").readElements, 3);
  EXPECT_EQ(get(w, c, "output").writeElements, 6);
}

TEST(AccessCountsTest, FootprintIsLargestClippedTile) {
  Conv2dSpec s;
  s.c = 4;
  s.h = s.w = 10;
  s.r = s.s = 3;
  s.strideH = s.strideW = 2;
  s.padTop = s.padLeft = 1;
  s.inputBytes = 2;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  ASSERT_EQ(w.dims[3].bound, 5); // (10 + 1 - 3) / 2 + 1
  // Tiles P = Q = 2, C = 3: rows [-1,3] -> 4, [3,7] -> 5, [7,9] -> 3;
  // channel tiles 3 and 1.
  std::vector<int64_t> tiles = {1, 1, 3, 2, 2, 3, 3};
  EXPECT_EQ(footprintElements(w, tiles, 0), 3 * 5 * 5);
  EXPECT_EQ(footprintBytes(w, tiles, 0), 2 * 3 * 5 * 5);
  EXPECT_EQ(footprintElements(w, tiles, 1), 3 * 9);
  EXPECT_EQ(footprintElements(w, tiles, 2), 4);
}

//===----------------------------------------------------------------------===//
// Named refinements
//===----------------------------------------------------------------------===//

TEST(AccessCountsTest, HaloReuseAndDoubleBuffering) {
  // Ten input rows, a 3-tap kernel, no padding: P = 8 in tiles of 2 reads
  // rows [0,3], [2,5], [4,7], [6,9]; neighbours share two rows.
  Conv2dSpec s;
  s.h = 10;
  s.r = 3;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  llvm::StringRef order[] = {"N", "K", "C", "P", "Q", "R", "S"};
  AccessCounts plain = counts(w, {{"P", 2}}, order);
  EXPECT_EQ(get(w, plain, "input").readElements, 16);
  EXPECT_EQ(plain.options.str(), "none");

  AccessCountOptions options;
  options.haloReuse = true;
  AccessCounts halo = counts(w, {{"P", 2}}, order, options);
  EXPECT_EQ(get(w, halo, "input").readElements, 10);
  EXPECT_EQ(get(w, halo, "input").fetches, 4);
  EXPECT_EQ(get(w, halo, "input").bufferBytes, 4);
  EXPECT_EQ(halo.options.str(), "halo-reuse");

  options.doubleBuffering = true;
  AccessCounts both = counts(w, {{"P", 2}}, order, options);
  EXPECT_EQ(get(w, both, "input").bufferBytes, 8);
  EXPECT_EQ(get(w, both, "input").tileBytes, 4);
  EXPECT_EQ(both.options.str(), "halo-reuse,double-buffering");

  // R tiled by one and inside P: the rows of consecutive tiles overlap
  // within a window ([0,3] [1,4] [2,5]) and across the wrap ([2,5] -> [4,7]).
  AccessCounts pr =
      counts(w, {{"P", 4}, {"R", 1}}, {"P", "R", "N", "K", "C", "Q", "S"});
  EXPECT_EQ(get(w, pr, "input").readElements, 24);
  options.doubleBuffering = false;
  AccessCounts prHalo = counts(w, {{"P", 4}, {"R", 1}},
                               {"P", "R", "N", "K", "C", "Q", "S"}, options);
  EXPECT_EQ(get(w, prHalo, "input").readElements, 24 - (3 + 3 + 2 + 3 + 3));
}

//===----------------------------------------------------------------------===//
// Large layers
//===----------------------------------------------------------------------===//

TEST(AccessCountsTest, SD2SizedLayer) {
  Conv2dSpec s;
  s.c = 2560;
  s.k = 1280;
  s.h = s.w = 64;
  s.r = s.s = 3;
  s.padTop = s.padLeft = s.padBottom = s.padRight = 1;
  s.inputBytes = s.weightBytes = s.outputBytes = 2;
  Workload w = llvm::cantFail(Workload::conv2d(s));
  AccessCounts c = counts(w, {{"K", 64}, {"C", 64}, {"P", 16}, {"Q", 16}},
                          {"K", "C", "P", "Q", "N", "R", "S"});
  // Input rows per P tile: 17, 18, 18, 17 (clipped at both borders) = 70.
  EXPECT_EQ(get(w, c, "input").visits, 20 * 40 * 4 * 4);
  EXPECT_EQ(get(w, c, "input").readElements, 20LL * 2560 * 70 * 70);
  EXPECT_EQ(get(w, c, "input").readBytes, 501760000);
  EXPECT_EQ(get(w, c, "input").tileElements, 64 * 18 * 18);
  EXPECT_EQ(get(w, c, "weight").visits, 800);
  EXPECT_EQ(get(w, c, "weight").readElements, 1280LL * 2560 * 9);
  EXPECT_EQ(get(w, c, "output").visits, 12800);
  EXPECT_EQ(get(w, c, "output").distinctTiles, 320);
  EXPECT_EQ(get(w, c, "output").writeElements, 40LL * 1280 * 64 * 64);
  EXPECT_EQ(get(w, c, "output").readElements, 39LL * 1280 * 64 * 64);
  EXPECT_EQ(footprintBytes(w, {1, 64, 64, 16, 16, 3, 3}, 0), 2 * 64 * 18 * 18);
  EXPECT_FALSE(c.overflow);
}

TEST(AccessCountsTest, OverflowIsReported) {
  const int64_t n = int64_t(1) << 20;
  Workload w = llvm::cantFail(Workload::matmul(n, n, n, 16));
  Mapping m = llvm::cantFail(
      Mapping::get(w, {{"M", 1}, {"N", 1}, {"K", 1}}, {"M", "N", "K"}));
  AccessCounts c = computeAccessCounts(w, m);
  EXPECT_TRUE(c.overflow);
  EXPECT_EQ(get(w, c, "input").readElements, int64_t(1) << 60);
  EXPECT_EQ(get(w, c, "input").readBytes, INT64_MAX);
  llvm::Expected<AccessCounts> checked = computeAccessCountsChecked(w, m);
  ASSERT_FALSE(bool(checked));
  EXPECT_EQ(llvm::toString(checked.takeError()),
            "access counts of 'matmul' under tile{M=1,N=1,K=1} order[M,N,K] "
            "overflow int64");
}

TEST(AccessCountsTest, CheckedRejectsBadInput) {
  Workload w = llvm::cantFail(Workload::matmul(4, 4, 4));
  Mapping m = Mapping::untiled(w);
  m.tileSizes[0] = 9;
  llvm::Expected<AccessCounts> c = computeAccessCountsChecked(w, m);
  ASSERT_FALSE(bool(c));
  EXPECT_EQ(llvm::toString(c.takeError()),
            "mapping of 'matmul': tile 9 of dim 'M' is outside [1, 4]");
  w.dims[0].bound = 0;
  c = computeAccessCountsChecked(w, Mapping::untiled(w));
  ASSERT_FALSE(bool(c));
  EXPECT_NE(llvm::toString(c.takeError()).find("has bound 0"),
            std::string::npos);
}

TEST(AccessCountsTest, StrIsATable) {
  Workload w = llvm::cantFail(Workload::matmul(4, 4, 4));
  AccessCounts c = computeAccessCounts(w, Mapping::untiled(w));
  std::string s = c.str(w);
  EXPECT_NE(s.find("operand"), std::string::npos) << s;
  EXPECT_NE(s.find("output"), std::string::npos) << s;
  EXPECT_NE(s.find("refinements: none"), std::string::npos) << s;
  EXPECT_EQ(c.lookup(w, "nope"), nullptr);
}

} // namespace
