//===- TargetTest.cpp - target model and shipped targets --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every shipped target loads, and its derived values match numbers computed
// here independently from the datasheet values in
// ../shared/reference/dram-and-energy.md.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Target.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdlib>

using namespace romac;

namespace {

constexpr const char *kTargetsDir = ROMAC_SOURCE_TARGETS_DIR;
constexpr uint64_t kKiB = 1024, kGiB = 1024 * 1024 * 1024;

/// Loads a shipped target; fails the test with the loader's message otherwise.
Target loadShipped(llvm::StringRef name) {
  llvm::Expected<Target> target = loadTarget(name, kTargetsDir);
  if (!target) {
    ADD_FAILURE() << llvm::toString(target.takeError());
    return Target();
  }
  return std::move(*target);
}

TEST(TargetTest, ListsShippedTargets) {
  std::vector<std::string> expected = {"edge-npu-lpddr4", "eyeriss-like",
                                       "romanet-ddr3", "simba-like"};
  EXPECT_EQ(listTargets(kTargetsDir), expected);
}

TEST(TargetTest, ShippedTargetsAreNamedAfterTheirFile) {
  for (const std::string &name : listTargets(kTargetsDir)) {
    Target target = loadShipped(name);
    EXPECT_EQ(target.name, name);
    EXPECT_FALSE(target.description.empty()) << name;
    llvm::SmallString<128> path(kTargetsDir);
    llvm::sys::path::append(path, name + ".yaml");
    EXPECT_EQ(target.sourcePath, std::string(path));
    // tRC is given explicitly and equals tRAS + tRP in every shipped target.
    EXPECT_EQ(target.dram.timing.tRC,
              target.dram.timing.tRAS + target.dram.timing.tRP)
        << name;
    for (OperandKind operand : kAllOperands)
      EXPECT_NE(target.getMemoryFor(operand), nullptr) << name;
  }
}

TEST(TargetTest, RomanetDdr3) {
  Target t = loadShipped("romanet-ddr3");
  EXPECT_EQ(t.compute.getNumMacs(), 64u);
  EXPECT_EQ(t.memories.size(), 3u);
  for (auto [name, operand] :
       {std::pair<const char *, OperandKind>{"iBuff", OperandKind::Input},
        {"wBuff", OperandKind::Weight},
        {"oBuff", OperandKind::Output}}) {
    const OnChipMemory *memory = t.findMemory(name);
    ASSERT_NE(memory, nullptr) << name;
    EXPECT_EQ(memory->bytes, 64 * kKiB);
    EXPECT_FALSE(memory->isShared());
    EXPECT_EQ(t.getMemoryFor(operand), memory);
    EXPECT_DOUBLE_EQ(memory->readEnergyPJPerByte, 18.2 / 8);
    EXPECT_DOUBLE_EQ(memory->writeEnergyPJPerByte, 14.1 / 8);
  }
  EXPECT_DOUBLE_EQ(t.compute.macEnergyPJ, 0.21);

  // DDR3-1600 4Gb x8, 8 chips per rank (64-bit bus), BL8.
  const DramConfig &d = t.dram;
  EXPECT_EQ(d.standard, DramStandard::DDR3);
  EXPECT_EQ(d.pagePolicy, PagePolicy::Open);
  EXPECT_EQ(d.addressMapping, "romanet");
  EXPECT_EQ(d.getBusWidthBits(), 64u);
  EXPECT_EQ(d.getBytesPerBurst(), 64u);      // 64 bits x 8 beats / 8
  EXPECT_EQ(d.getRowBytes(), 8 * kKiB);      // 1 KiB per x8 chip x 8
  EXPECT_EQ(d.getBurstsPerRow(), 128u);      // 1024 columns / BL8
  EXPECT_EQ(d.getDeviceBits(), 4 * kGiB);    // a 4 Gb device
  EXPECT_EQ(d.getCapacityBytes(), 4 * kGiB); // 8 chips x 4 Gb
  EXPECT_EQ(d.getBanksPerRank(), 8u);
  EXPECT_EQ(d.getTotalBanks(), 8u);
  DramAddressBits bits = d.getAddressBits();
  EXPECT_EQ(bits.byteOffset, 3u); // 8-byte bus
  EXPECT_EQ(bits.column, 10u);
  EXPECT_EQ(bits.burst, 3u);
  EXPECT_EQ(bits.bank, 3u);
  EXPECT_EQ(bits.bankGroup, 0u);
  EXPECT_EQ(bits.rank, 0u);
  EXPECT_EQ(bits.channel, 0u);
  EXPECT_EQ(bits.row, 16u);
  EXPECT_EQ(bits.getTotal(), 32u);                   // 4 GiB
  EXPECT_NEAR(d.getPeakBandwidthGBps(), 12.8, 1e-9); // DDR3-1600, 64-bit

  EXPECT_DOUBLE_EQ(d.timing.tCK, 1.25);
  EXPECT_EQ(d.timing.CL, 11u);
  EXPECT_EQ(d.timing.tRCD, 11u);
  EXPECT_EQ(d.timing.tRFC, 208u);
  EXPECT_EQ(d.timing.tREFI, 6240u);
  EXPECT_DOUBLE_EQ(d.power.VDD, 1.35);
  EXPECT_DOUBLE_EQ(d.power.IDD0, 55);
  EXPECT_DOUBLE_EQ(d.power.IDD5AB, 235);
  EXPECT_DOUBLE_EQ(d.flatEnergyPJPerBit, 70);
  EXPECT_EQ(d.controllerQueue, 32u); // the default
  EXPECT_TRUE(t.dvfs.empty());
}

TEST(TargetTest, EdgeNpuLpddr4) {
  Target t = loadShipped("edge-npu-lpddr4");
  EXPECT_EQ(t.compute.rows, 32u);
  EXPECT_EQ(t.compute.cols, 32u);
  EXPECT_EQ(t.compute.getNumMacs(), 1024u);
  EXPECT_DOUBLE_EQ(t.compute.frequencyMHz, 800);
  EXPECT_DOUBLE_EQ(t.compute.getCyclePeriodNs(), 1.25);
  for (OperandKind operand : kAllOperands)
    EXPECT_EQ(t.compute.getBytesPerElement(operand), 1u);
  EXPECT_EQ(t.getMemoryFor(OperandKind::Input)->name, "iBuff");
  EXPECT_EQ(t.getMemoryFor(OperandKind::Weight)->name, "wBuff");
  EXPECT_EQ(t.getMemoryFor(OperandKind::Output)->name, "oBuff");
  EXPECT_EQ(t.findMemory("oBuff")->bytes, 64 * kKiB);

  // LPDDR4-2400 8Gb x16, 2 devices per 32-bit channel, 2 channels, BL16.
  const DramConfig &d = t.dram;
  EXPECT_EQ(d.standard, DramStandard::LPDDR4);
  EXPECT_EQ(d.getBusWidthBits(), 32u);
  EXPECT_EQ(d.getBytesPerBurst(), 64u);      // 32 bits x 16 beats / 8
  EXPECT_EQ(d.getRowBytes(), 4 * kKiB);      // 2 KiB per x16 device x 2
  EXPECT_EQ(d.getBurstsPerRow(), 64u);       // 1024 / 16
  EXPECT_EQ(d.getDeviceBits(), 8 * kGiB);    // an 8 Gb device
  EXPECT_EQ(d.getCapacityBytes(), 4 * kGiB); // 4 devices x 8 Gb
  EXPECT_EQ(d.getBanksPerRank(), 8u);
  EXPECT_EQ(d.getTotalBanks(), 16u);
  DramAddressBits bits = d.getAddressBits();
  EXPECT_EQ(bits.byteOffset, 2u);
  EXPECT_EQ(bits.column, 10u);
  EXPECT_EQ(bits.burst, 4u);
  EXPECT_EQ(bits.bank, 2u);
  EXPECT_EQ(bits.bankGroup, 1u);
  EXPECT_EQ(bits.rank, 0u);
  EXPECT_EQ(bits.channel, 1u);
  EXPECT_EQ(bits.row, 16u);
  EXPECT_EQ(bits.getTotal(), 32u);
  // 2 channels x 4 bytes x 2 transfers per 0.83 ns.
  EXPECT_NEAR(d.getPeakBandwidthGBps(), 2 * 4 * 2 / 0.83, 1e-9);
  EXPECT_DOUBLE_EQ(d.flatEnergyPJPerBit, 8);
  EXPECT_EQ(d.controllerQueue, 32u);
  EXPECT_EQ(d.timing.tRC, 47u);
  EXPECT_DOUBLE_EQ(d.power.IDD4R, 243);

  ASSERT_EQ(t.dvfs.size(), 4u);
  EXPECT_DOUBLE_EQ(t.dvfs.back().frequencyMHz, t.compute.frequencyMHz);
  for (size_t i = 1; i < t.dvfs.size(); ++i) {
    EXPECT_LT(t.dvfs[i - 1].frequencyMHz, t.dvfs[i].frequencyMHz);
    EXPECT_LT(t.dvfs[i - 1].voltage, t.dvfs[i].voltage);
  }
}

TEST(TargetTest, EyerissLike) {
  Target t = loadShipped("eyeriss-like");
  EXPECT_EQ(t.compute.getNumMacs(), 168u); // 12 x 14 PEs
  ASSERT_EQ(t.memories.size(), 1u);
  const OnChipMemory &glb = t.memories.front();
  EXPECT_EQ(glb.bytes, 108 * kKiB);
  EXPECT_TRUE(glb.isShared());
  EXPECT_EQ(glb.getNumOperands(), 3u);
  for (OperandKind operand : kAllOperands)
    EXPECT_EQ(t.getMemoryFor(operand), &glb);
  EXPECT_DOUBLE_EQ(glb.readEnergyPJPerByte, 18.2 / 8); // per 64 bits
  EXPECT_DOUBLE_EQ(glb.writeEnergyPJPerByte, 14.1 / 8);
  EXPECT_DOUBLE_EQ(t.compute.macEnergyPJ, 0.21);
  EXPECT_DOUBLE_EQ(t.dram.flatEnergyPJPerBit, 512.0 / 64); // 512 pJ / 64 b
  EXPECT_EQ(t.dram.standard, DramStandard::LPDDR4);
  EXPECT_EQ(t.dram.addressMapping, "RoBaRaCoCh");
  EXPECT_EQ(t.dram.getBytesPerBurst(), 64u);
  EXPECT_EQ(t.dram.getCapacityBytes(), 2 * kGiB);
  EXPECT_EQ(t.dram.getAddressBits().getTotal(), 31u);
}

TEST(TargetTest, SimbaLike) {
  Target t = loadShipped("simba-like");
  EXPECT_EQ(t.compute.getNumMacs(), 256u);
  ASSERT_EQ(t.memories.size(), 1u);
  EXPECT_EQ(t.memories[0].bytes, 64 * kKiB);
  EXPECT_TRUE(t.memories[0].isShared());
  EXPECT_DOUBLE_EQ(t.memories[0].readEnergyPJPerByte, 51.9 / 32); // 256 b
  EXPECT_DOUBLE_EQ(t.memories[0].writeEnergyPJPerByte, 66.3 / 32);
  EXPECT_DOUBLE_EQ(t.compute.macEnergyPJ, 0.315);

  // DDR4-3200 8Gb x8, 8 chips per rank, 4 bank groups x 4 banks, BL8.
  const DramConfig &d = t.dram;
  EXPECT_EQ(d.standard, DramStandard::DDR4);
  EXPECT_EQ(d.getBytesPerBurst(), 64u);
  EXPECT_EQ(d.getRowBytes(), 8 * kKiB);
  EXPECT_EQ(d.getDeviceBits(), 8 * kGiB);
  EXPECT_EQ(d.getCapacityBytes(), 8 * kGiB);
  EXPECT_EQ(d.getTotalBanks(), 16u);
  DramAddressBits bits = d.getAddressBits();
  EXPECT_EQ(bits.bankGroup, 2u);
  EXPECT_EQ(bits.bank, 2u);
  EXPECT_EQ(bits.getTotal(), 33u);
  EXPECT_EQ(d.timing.tCCD_L, 8u);
  EXPECT_EQ(d.timing.tRC, 74u);
  EXPECT_NEAR(d.getPeakBandwidthGBps(), 8 * 2 / 0.63, 1e-9);
}

TEST(TargetTest, AddressBitsSumToCapacity) {
  for (const std::string &name : listTargets(kTargetsDir)) {
    Target t = loadShipped(name);
    EXPECT_EQ(uint64_t(1) << t.dram.getAddressBits().getTotal(),
              t.dram.getCapacityBytes())
        << name;
    EXPECT_EQ(t.dram.getRowBytes() / t.dram.getBytesPerBurst(),
              t.dram.getBurstsPerRow())
        << name;
  }
}

TEST(TargetTest, DerivedValuesSaturate) {
  DramConfig d;
  d.channels = d.ranks = uint64_t(1) << 32;
  d.chipsPerRank = 8;
  d.deviceWidth = 8;
  d.bankGroups = d.banksPerGroup = 4;
  d.rows = d.columns = 1024;
  d.burstLength = 8;
  EXPECT_EQ(d.getCapacityBytes(), UINT64_MAX);
  EXPECT_EQ(d.getTotalBanks(), UINT64_MAX);
  EXPECT_EQ(d.getBytesPerBurst(), 64u);

  ComputeArray c;
  c.rows = c.cols = uint64_t(1) << 33;
  EXPECT_EQ(c.getNumMacs(), UINT64_MAX);
}

TEST(TargetTest, LoadByPathAndByName) {
  llvm::SmallString<128> path(kTargetsDir);
  llvm::sys::path::append(path, "simba-like.yaml");
  EXPECT_TRUE(isTargetPath(path));
  EXPECT_TRUE(isTargetPath("simba-like.yaml"));
  EXPECT_TRUE(isTargetPath("./simba-like"));
  EXPECT_FALSE(isTargetPath("simba-like"));
  EXPECT_FALSE(isTargetPath("v1.2-target"));

  llvm::Expected<Target> byPath = loadTarget(path, "/nonexistent");
  ASSERT_TRUE(bool(byPath)) << llvm::toString(byPath.takeError());
  EXPECT_EQ(byPath->name, "simba-like");
  EXPECT_EQ(byPath->sourcePath, std::string(path));
}

TEST(TargetTest, DefaultTargetsDirHonoursEnvironment) {
  const char *saved = std::getenv("ROMAC_TARGETS_DIR");
  std::string savedValue = saved ? saved : "";

  ::setenv("ROMAC_TARGETS_DIR", "/some/where", 1);
  EXPECT_EQ(getDefaultTargetsDir(), "/some/where");
  ::setenv("ROMAC_TARGETS_DIR", kTargetsDir, 1);
  llvm::Expected<Target> target = loadTarget("eyeriss-like");
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->name, "eyeriss-like");

  // Unset (or empty): the source tree's targets/ directory compiled in.
  ::setenv("ROMAC_TARGETS_DIR", "", 1);
  std::string fallback = getDefaultTargetsDir();
  ::unsetenv("ROMAC_TARGETS_DIR");
  EXPECT_EQ(getDefaultTargetsDir(), fallback);
  EXPECT_TRUE(llvm::sys::fs::equivalent(fallback, kTargetsDir));

  if (saved)
    ::setenv("ROMAC_TARGETS_DIR", savedValue.c_str(), 1);
}

TEST(TargetTest, EnumNames) {
  EXPECT_EQ(stringifyOperandKind(OperandKind::Weight), "weight");
  EXPECT_EQ(symbolizeOperandKind("output"), OperandKind::Output);
  EXPECT_EQ(symbolizeOperandKind("psum"), std::nullopt);
  EXPECT_EQ(stringifyDramStandard(DramStandard::HBM2), "HBM2");
  EXPECT_EQ(symbolizeDramStandard("lpddr4"), DramStandard::LPDDR4);
  EXPECT_EQ(symbolizeDramStandard("DDR5"), std::nullopt);
  EXPECT_EQ(stringifyPagePolicy(PagePolicy::Closed), "closed");
  EXPECT_EQ(symbolizePagePolicy("open"), PagePolicy::Open);
  EXPECT_EQ(symbolizePagePolicy("Open"), std::nullopt);
}

} // namespace
