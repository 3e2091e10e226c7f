//===- LayoutTest.cpp - tensor layouts and tile boxes -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Layouts: hand-computed addresses, bijection onto the tensor's byte range,
// and the runs of random boxes checked against element-by-element
// enumeration. Tile boxes: against projecting every iteration point, and
// their sizes against the access-count model's footprints.
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/CostModel/AccessCounts.h"
#include "romac/Dram/Layout.h"

#include "llvm/ADT/STLExtras.h"

#include "gtest/gtest.h"

#include <functional>
#include <map>
#include <set>
#include <tuple>

using namespace romac;
using namespace romac::test;

namespace {

TensorLayout rowMajor(llvm::ArrayRef<int64_t> extent, int64_t bpe,
                      uint64_t base, llvm::ArrayRef<unsigned> order = {}) {
  llvm::Expected<TensorLayout> l =
      TensorLayout::getRowMajor(extent, bpe, base, order);
  EXPECT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
  return std::move(*l);
}

TensorLayout blocked(llvm::ArrayRef<int64_t> extent, int64_t bpe, uint64_t base,
                     llvm::ArrayRef<int64_t> blocks,
                     llvm::ArrayRef<unsigned> order = {}) {
  llvm::Expected<TensorLayout> l =
      TensorLayout::getBlocked(extent, bpe, base, blocks, order);
  EXPECT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
  return std::move(*l);
}

std::vector<std::pair<uint64_t, uint64_t>>
runsOf(const TensorLayout &l, llvm::ArrayRef<int64_t> lo,
       llvm::ArrayRef<int64_t> size) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  l.forEachRun(lo, size, [&](uint64_t a, uint64_t n) {
    runs.push_back({a, n});
  });
  return runs;
}

TEST(LayoutTest, RowMajorAddresses) {
  // A 2x3x4 tensor of 2-byte elements at 0x100.
  TensorLayout l = rowMajor({2, 3, 4}, 2, 0x100);
  EXPECT_EQ(l.getSizeBytes(), 48u);
  EXPECT_EQ(l.getAddress({0, 0, 0}), 0x100u);
  EXPECT_EQ(l.getAddress({1, 2, 3}), 0x100u + 2 * (12 + 8 + 3));
  // Dim order [2, 0, 1]: dim 1 contiguous, then dim 0, then dim 2.
  TensorLayout t = rowMajor({2, 3, 4}, 1, 0, {2, 0, 1});
  EXPECT_EQ(t.getAddress({0, 1, 0}), 1u);
  EXPECT_EQ(t.getAddress({1, 0, 0}), 3u);
  EXPECT_EQ(t.getAddress({0, 0, 1}), 6u);
  EXPECT_EQ(t.str(), "row-major[2,0,1] @0x0");
}

TEST(LayoutTest, RowMajorRuns) {
  TensorLayout l = rowMajor({4, 6, 8}, 1, 1000);
  // A box that covers whole rows of the inner dims merges into one run.
  auto runs = runsOf(l, {1, 0, 0}, {2, 6, 8});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], std::make_pair(uint64_t(1000 + 48), uint64_t(96)));
  // A partial inner dim: one run per (dim0, dim1) pair.
  runs = runsOf(l, {0, 2, 3}, {2, 2, 4});
  std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {1000 + 16 + 3, 4},
      {1000 + 24 + 3, 4},
      {1000 + 48 + 16 + 3, 4},
      {1000 + 48 + 24 + 3, 4}};
  EXPECT_EQ(runs, expected);
  // Full inner dim, partial middle dim: one run per dim-0 index.
  runs = runsOf(l, {0, 1, 0}, {3, 2, 8});
  expected = {{1000 + 8, 16}, {1000 + 56, 16}, {1000 + 104, 16}};
  EXPECT_EQ(runs, expected);
  // Empty boxes have no runs.
  EXPECT_TRUE(runsOf(l, {0, 0, 0}, {1, 0, 8}).empty());
}

TEST(LayoutTest, BlockedAddressesAndRuns) {
  // A 5x6 tensor in 2x4 blocks: block rows of heights 2, 2, 1; block
  // columns of widths 4, 2. Blocks in row-major order, compact.
  TensorLayout l = blocked({5, 6}, 1, 0, {2, 4});
  EXPECT_EQ(l.getSizeBytes(), 30u);
  // Block (0,0) holds rows 0-1, cols 0-3: 8 bytes; block (0,1) cols 4-5.
  EXPECT_EQ(l.getAddress({0, 0}), 0u);
  EXPECT_EQ(l.getAddress({1, 3}), 7u);
  EXPECT_EQ(l.getAddress({0, 4}), 8u);
  EXPECT_EQ(l.getAddress({1, 5}), 11u);
  EXPECT_EQ(l.getAddress({2, 0}), 12u);
  // The last block row has height 1: block (2,0) at 24, (2,1) at 28.
  EXPECT_EQ(l.getAddress({4, 3}), 27u);
  EXPECT_EQ(l.getAddress({4, 4}), 28u);
  EXPECT_EQ(l.str(), "blocked{2,4}[0,1] @0x0");
  // A tile that is exactly a block is one run.
  auto runs = runsOf(l, {2, 0}, {2, 4});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], std::make_pair(uint64_t(12), uint64_t(8)));
  // Two neighbouring whole blocks merge into one run.
  runs = runsOf(l, {0, 0}, {2, 6});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], std::make_pair(uint64_t(0), uint64_t(12)));
}

TEST(LayoutTest, LayoutErrors) {
  auto error = [](llvm::Expected<TensorLayout> l) {
    return l ? std::string() : llvm::toString(l.takeError());
  };
  EXPECT_EQ(error(TensorLayout::getRowMajor({2, 0}, 1, 0)),
            "layout: extents must be positive, got 0");
  EXPECT_EQ(error(TensorLayout::getRowMajor({2, 3}, 0, 0)),
            "layout: bytes per element must be positive, got 0");
  EXPECT_EQ(error(TensorLayout::getRowMajor({2, 3}, 1, 0, {0, 0})),
            "layout: the dim order is not a permutation of the tensor dims");
  EXPECT_EQ(error(TensorLayout::getRowMajor({2, 3}, 1, 0, {0})),
            "layout: the dim order names 1 dims, the tensor has 2");
  EXPECT_EQ(error(TensorLayout::getBlocked({2, 3}, 1, 0, {2, 4})),
            "layout: block size 4 is not in [1, 3]");
  EXPECT_EQ(error(TensorLayout::getBlocked({2, 3}, 1, 0, {2})),
            "layout: 1 block sizes for a tensor of rank 2");
  EXPECT_EQ(error(TensorLayout::getRowMajor({2, 3}, 1, ~uint64_t(0) - 2)),
            "layout: base + size overflows 64 bits");
  EXPECT_EQ(error(TensorLayout::getRowMajor(
                {int64_t(1) << 40, int64_t(1) << 40}, 1, 0)),
            "layout: the tensor size overflows 64 bits");
}

/// Random layouts: every element has its own byte range inside
/// [base, base + size), and the runs of random boxes are exactly the bytes
/// of the box's elements, ascending, disjoint and maximal.
/// A random tensor of rank 1-4 with extents up to \p maxExtent, block sizes
/// and a dim order.
std::tuple<std::vector<int64_t>, std::vector<int64_t>, std::vector<unsigned>>
randomShape(Rng &rng, int64_t maxExtent) {
  int rank = rng.range(1, 4);
  std::vector<int64_t> extent(rank), blocks(rank);
  std::vector<unsigned> order(rank);
  for (int d = 0; d < rank; ++d) {
    extent[d] = rng.range(1, maxExtent);
    blocks[d] = rng.range(1, extent[d]);
    order[d] = d;
  }
  for (int d = rank; d > 1; --d)
    std::swap(order[d - 1], order[rng.range(0, d - 1)]);
  return {extent, blocks, order};
}

/// A random non-empty box [lo, lo + size) inside \p extent.
std::pair<std::vector<int64_t>, std::vector<int64_t>>
randomBox(Rng &rng, const std::vector<int64_t> &extent) {
  std::vector<int64_t> lo(extent.size()), size(extent.size());
  for (size_t d = 0; d < extent.size(); ++d) {
    lo[d] = rng.range(0, extent[d] - 1);
    size[d] = rng.range(1, extent[d] - lo[d]);
  }
  return {lo, size};
}

TEST(LayoutTest, RandomLayoutsAgainstElementEnumeration) {
  Rng rng(2024);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<int64_t> extent, blocks;
    std::vector<unsigned> order;
    std::tie(extent, blocks, order) = randomShape(rng, 7);
    int rank = static_cast<int>(extent.size());
    int64_t bpe = rng.coin() ? 1 : rng.range(1, 4);
    uint64_t base = rng.range(0, 1000);
    TensorLayout l = rng.coin() ? blocked(extent, bpe, base, blocks, order)
                                : rowMajor(extent, bpe, base, order);
    // Enumerate every element.
    std::map<uint64_t, std::vector<int64_t>> byAddress;
    std::vector<int64_t> idx(rank, 0);
    int64_t elements = 1;
    for (int64_t e : extent)
      elements *= e;
    for (int64_t n = 0; n < elements; ++n) {
      int64_t r = n;
      for (int d = rank - 1; d >= 0; --d) {
        idx[d] = r % extent[d];
        r /= extent[d];
      }
      uint64_t a = l.getAddress(idx);
      ASSERT_GE(a, base);
      ASSERT_EQ((a - base) % bpe, 0u);
      ASSERT_TRUE(byAddress.emplace(a, idx).second) << l.str();
    }
    ASSERT_EQ(byAddress.rbegin()->first + bpe, base + l.getSizeBytes());
    ASSERT_EQ(byAddress.size(), static_cast<size_t>(elements));

    for (int box = 0; box < 5; ++box) {
      std::vector<int64_t> lo, size;
      std::tie(lo, size) = randomBox(rng, extent);
      std::set<uint64_t> expected;
      for (auto &[a, index] : byAddress) {
        bool inside = true;
        for (int d = 0; d < rank; ++d)
          inside &= index[d] >= lo[d] && index[d] < lo[d] + size[d];
        if (inside)
          for (int64_t b = 0; b < bpe; ++b)
            expected.insert(a + b);
      }
      std::set<uint64_t> got;
      uint64_t prevEnd = 0;
      bool first = true;
      for (auto [a, n] : runsOf(l, lo, size)) {
        ASSERT_GT(n, 0u);
        if (!first) {
          ASSERT_GT(a, prevEnd) << "runs must be ascending and maximal";
        }
        first = false;
        prevEnd = a + n;
        for (uint64_t b = a; b < a + n; ++b)
          got.insert(b);
      }
      ASSERT_EQ(got, expected) << l.str();
      EXPECT_EQ(l.countRuns(lo, size), runsOf(l, lo, size).size());
    }
  }
}

TEST(LayoutTest, CompressedLayoutsAgainstBitEnumeration) {
  // A compressed tensor (ElementSize::bits16) stores element p of the
  // storage order in sixteenth-bits [p * b, (p + 1) * b); a byte belongs to
  // the run holding its last bit. The storage order comes from the same
  // layout with one-byte elements (checked above against enumeration).
  Rng rng(4096);
  const uint32_t kBits16[] = {8, 16, 40, 64, 80, 106, 128, 200, 264};
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<int64_t> extent, blocks;
    std::vector<unsigned> order;
    std::tie(extent, blocks, order) = randomShape(rng, 9);
    int rank = static_cast<int>(extent.size());
    uint32_t b = kBits16[rng.range(0, std::size(kBits16) - 1)];
    uint64_t base = rng.range(0, 1000);
    bool isBlocked = rng.coin();
    auto make = [&](ElementSize size, uint64_t at) {
      llvm::Expected<TensorLayout> l =
          isBlocked ? TensorLayout::getBlocked(extent, size, at, blocks, order)
                    : TensorLayout::getRowMajor(extent, size, at, order);
      EXPECT_TRUE(static_cast<bool>(l)) << llvm::toString(l.takeError());
      return std::move(*l);
    };
    TensorLayout positions = make(1, 0);
    TensorLayout l = make(ElementSize(1, b), base);
    int64_t elements = 1;
    for (int64_t e : extent)
      elements *= e;
    ASSERT_EQ(l.getSizeBytes(), (uint64_t(elements) * b + 127) / 128);
    // Storage position -> index.
    std::vector<std::vector<int64_t>> indexAt(elements);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t n = 0; n < elements; ++n) {
      int64_t r = n;
      for (int d = rank - 1; d >= 0; --d) {
        idx[d] = r % extent[d];
        r /= extent[d];
      }
      indexAt[positions.getAddress(idx)] = idx;
    }
    for (int box = 0; box < 5; ++box) {
      std::vector<int64_t> lo, size;
      std::tie(lo, size) = randomBox(rng, extent);
      std::set<uint64_t> expected;
      for (uint64_t k = 0; k < l.getSizeBytes(); ++k) {
        uint64_t p = (128 * k + 127) / b;
        if (p >= static_cast<uint64_t>(elements))
          continue; // the padding bits after the last element
        bool inside = true;
        for (int d = 0; d < rank; ++d)
          inside &= indexAt[p][d] >= lo[d] && indexAt[p][d] < lo[d] + size[d];
        if (inside)
          expected.insert(base + k);
      }
      std::set<uint64_t> got;
      uint64_t prevEnd = 0;
      for (auto [a, n] : runsOf(l, lo, size)) {
        ASSERT_GT(n, 0u);
        ASSERT_GE(a, prevEnd) << "runs must be ascending";
        prevEnd = a + n;
        for (uint64_t x = a; x < a + n; ++x)
          got.insert(x);
      }
      ASSERT_EQ(got, expected) << l.str() << " bits16 " << b;
    }
  }
}

TEST(LayoutTest, TileBoxMatchesPointProjection) {
  // A strided, dilated, padded convolution: boxes are the bounding ranges of
  // the projected iteration points, clipped to the tensor.
  Conv2dSpec spec;
  spec.n = 1;
  spec.c = 3;
  spec.h = 9;
  spec.w = 7;
  spec.k = 4;
  spec.r = 3;
  spec.s = 2;
  spec.strideH = 2;
  spec.dilationW = 2;
  spec.padTop = 1;
  spec.padBottom = 2;
  spec.padLeft = 1;
  llvm::Expected<Workload> w = Workload::conv2d(spec);
  ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
  std::vector<int64_t> tiles = {1, 3, 2, 2, 2, 2, 1};
  ASSERT_EQ(tiles.size(), w->dims.size());
  std::vector<int64_t> numTiles;
  for (size_t d = 0; d < tiles.size(); ++d)
    numTiles.push_back((w->dims[d].bound + tiles[d] - 1) / tiles[d]);
  Rng rng(5);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<int64_t> tileIdx(tiles.size());
    for (size_t d = 0; d < tiles.size(); ++d)
      tileIdx[d] = rng.range(0, numTiles[d] - 1);
    for (unsigned o = 0; o < w->operands.size(); ++o) {
      const Operand &op = w->operands[o];
      size_t rank = op.extent.size();
      std::vector<int64_t> lo(rank), size(rank);
      int64_t elements = getTileBox(*w, tiles, o, tileIdx, lo, size);
      // Brute force: project every point of the tile.
      std::vector<int64_t> mn(rank, INT64_MAX), mx(rank, INT64_MIN);
      std::vector<int64_t> point(tiles.size());
      std::function<void(size_t)> walk = [&](size_t d) {
        if (d == tiles.size()) {
          for (size_t j = 0; j < rank; ++j) {
            int64_t v = op.projection[j].constant;
            for (const AffineTerm &t : op.projection[j].terms)
              v += t.coeff * point[t.dim];
            mn[j] = std::min(mn[j], v);
            mx[j] = std::max(mx[j], v);
          }
          return;
        }
        int64_t first = tileIdx[d] * tiles[d];
        for (int64_t i = first;
             i < std::min(first + tiles[d], w->dims[d].bound); ++i) {
          point[d] = i;
          walk(d + 1);
        }
      };
      walk(0);
      int64_t expect = 1;
      for (size_t j = 0; j < rank; ++j) {
        int64_t a = std::max<int64_t>(mn[j], 0);
        int64_t b = std::min(mx[j], op.extent[j] - 1);
        int64_t len = b < a ? 0 : b - a + 1;
        EXPECT_EQ(size[j], len);
        if (len > 0) {
          EXPECT_EQ(lo[j], a);
        }
        expect *= len;
      }
      EXPECT_EQ(elements, expect);
      EXPECT_LE(elements, footprintElements(*w, tiles, o));
    }
  }
}

TEST(LayoutTest, LayerLayoutPlacesOperands) {
  llvm::Expected<Workload> w = Workload::matmul(10, 12, 6, 2);
  ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
  llvm::Expected<Mapping> m =
      Mapping::get(*w, {{"M", 4}, {"N", 5}}, {"M", "N", "K"});
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  LayerLayoutOptions options;
  options.base = 100;
  options.alignment = 64;
  llvm::Expected<LayerLayout> layout = makeLayerLayout(*w, *m, options);
  ASSERT_TRUE(static_cast<bool>(layout)) << llvm::toString(layout.takeError());
  ASSERT_EQ(layout->operands.size(), 3u);
  // input 10x6x2 = 120 bytes at 128, weight 6x12x2 = 144 at 256, output
  // 10x12x2 = 240 at 448.
  EXPECT_EQ(layout->operands[0].getBase(), 128u);
  EXPECT_EQ(layout->operands[1].getBase(), 256u);
  EXPECT_EQ(layout->operands[2].getBase(), 448u);
  EXPECT_FALSE(llvm::errorToBool(layout->verify(*w)));

  // Blocked: tiles of M=4 (3 tiles) and N=5 (3 tiles); K is not tiled.
  options.kind = LayoutKind::Blocked;
  layout = makeLayerLayout(*w, *m, options);
  ASSERT_TRUE(static_cast<bool>(layout)) << llvm::toString(layout.takeError());
  EXPECT_EQ(llvm::ArrayRef<int64_t>(layout->operands[0].getBlockSizes()),
            llvm::ArrayRef<int64_t>({4, 6}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>(layout->operands[1].getBlockSizes()),
            llvm::ArrayRef<int64_t>({6, 5}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>(layout->operands[2].getBlockSizes()),
            llvm::ArrayRef<int64_t>({4, 5}));
  // Every output tile is one run: the blocked layout makes tiles contiguous.
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      int64_t lo[2], size[2];
      getTileBox(*w, m->tileSizes, 2, {i, j, 0}, lo, size);
      EXPECT_EQ(layout->operands[2].countRuns(lo, size), 1u);
    }

  // Overlapping tensors are an error.
  LayerLayout bad = *layout;
  bad.operands[1] = bad.operands[0];
  EXPECT_EQ(llvm::toString(bad.verify(*w)),
            "layout of operand 'weight' of 'matmul' does not match its shape "
            "or element size");
  llvm::Expected<TensorLayout> overlapping =
      TensorLayout::getRowMajor({6, 12}, 2, 130);
  ASSERT_TRUE(static_cast<bool>(overlapping));
  bad.operands[1] = *overlapping;
  EXPECT_EQ(llvm::toString(bad.verify(*w)),
            "the DRAM ranges of operands 'input' and 'weight' of 'matmul' "
            "overlap");
}

TEST(LayoutTest, ConvBlockSizes) {
  Conv2dSpec spec;
  spec.c = 8;
  spec.h = 18;
  spec.w = 18;
  spec.k = 16;
  spec.r = 3;
  spec.s = 3;
  spec.padTop = spec.padBottom = spec.padLeft = spec.padRight = 1;
  llvm::Expected<Workload> w = Workload::conv2d(spec);
  ASSERT_TRUE(static_cast<bool>(w)) << llvm::toString(w.takeError());
  llvm::Expected<Mapping> m = Mapping::get(*w, {{"K", 8}, {"C", 4}, {"P", 6}},
                                           {"K", "C", "P", "Q", "N", "R", "S"});
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  // Input N C H W: H advances by P's tile (stride 1), W is not tiled.
  EXPECT_EQ(llvm::ArrayRef<int64_t>(getTileBlockSizes(*w, *m, 0)),
            llvm::ArrayRef<int64_t>({1, 4, 6, 18}));
  // Weight K C R S.
  EXPECT_EQ(llvm::ArrayRef<int64_t>(getTileBlockSizes(*w, *m, 1)),
            llvm::ArrayRef<int64_t>({8, 4, 3, 3}));
  // Output N K P Q.
  EXPECT_EQ(llvm::ArrayRef<int64_t>(getTileBlockSizes(*w, *m, 2)),
            llvm::ArrayRef<int64_t>({1, 8, 6, 18}));
}

} // namespace
