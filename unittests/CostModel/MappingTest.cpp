//===- MappingTest.cpp - Mapping unit tests ---------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Mapping.h"

#include <gtest/gtest.h>

using namespace romac;

namespace {

std::string errorOf(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}

TEST(MappingTest, UntiledAndNamed) {
  Workload w = llvm::cantFail(Workload::matmul(10, 6, 7, 1, "fc1"));
  Mapping untiled = Mapping::untiled(w);
  EXPECT_EQ(untiled.str(w), "tile{M=10,N=6,K=7} order[M,N,K]");
  EXPECT_EQ(errorOf(untiled.verify(w)), "");

  Mapping m =
      llvm::cantFail(Mapping::get(w, {{"M", 4}, {"K", 7}}, {"K", "M", "N"}));
  EXPECT_EQ(m.str(w), "tile{M=4,N=6,K=7} order[K,M,N]");
  EXPECT_EQ(m.getNumTiles(w, 0), 3); // 4 + 4 + 2
  EXPECT_EQ(m.getNumTiles(w, 1), 1);
  EXPECT_EQ(m.getNumTiles(w, 2), 1);
}

TEST(MappingTest, Errors) {
  Workload w = llvm::cantFail(Workload::matmul(10, 6, 7, 1, "fc1"));
  auto getError = [&](llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> t,
                      llvm::ArrayRef<llvm::StringRef> o) {
    llvm::Expected<Mapping> m = Mapping::get(w, t, o);
    return m ? std::string() : llvm::toString(m.takeError());
  };
  EXPECT_EQ(getError({{"X", 2}}, {"M", "N", "K"}),
            "mapping of 'fc1': tile for unknown loop dim 'X'");
  EXPECT_EQ(getError({}, {"M", "Y", "K"}),
            "mapping of 'fc1': order names unknown loop dim 'Y'");
  EXPECT_EQ(getError({{"M", 0}}, {"M", "N", "K"}),
            "mapping of 'fc1': tile 0 of dim 'M' is outside [1, 10]");
  EXPECT_EQ(getError({{"N", 7}}, {"M", "N", "K"}),
            "mapping of 'fc1': tile 7 of dim 'N' is outside [1, 6]");
  EXPECT_EQ(getError({}, {"M", "N"}),
            "mapping of 'fc1': order lists 2 loops, expected all 3 loop dims");
  EXPECT_EQ(getError({}, {"M", "N", "M"}),
            "mapping of 'fc1': order lists dim 'M' twice");

  Mapping m = Mapping::untiled(w);
  m.tileSizes.pop_back();
  EXPECT_EQ(errorOf(m.verify(w)),
            "mapping of 'fc1': 2 tile sizes for 3 loop dims");
  m = Mapping::untiled(w);
  m.order[2] = 5;
  EXPECT_EQ(errorOf(m.verify(w)),
            "mapping of 'fc1': order names loop dim #5 but there are only 3");
}

} // namespace
