//===- AddressMappingTest.cpp - address mappings, DRAM params --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Address mappings: hand-decoded addresses of the named policies, exhaustive
// bijection checks on small geometries, Z3 proofs on the shipped targets,
// and every error a bad geometry or mapping name gives. DramParams: the
// DRAMPower energies checked against hand computation from the DDR3-1600
// datasheet numbers.
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/Dram/AddressMapping.h"
#include "romac/Verify/AddressMappingZ3.h"
#include "romac/Dram/DramParams.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include "gtest/gtest.h"

#include <set>

using namespace romac;
using namespace romac::test;

namespace {

constexpr const char *kTargetsDir = ROMAC_SOURCE_TARGETS_DIR;

DramConfig loadDram(llvm::StringRef name) {
  llvm::Expected<Target> target = loadTarget(name, kTargetsDir);
  if (!target) {
    ADD_FAILURE() << llvm::toString(target.takeError());
    return DramConfig();
  }
  return target->dram;
}

AddressMapping getMapping(const DramGeometry &g, llvm::StringRef name) {
  llvm::Expected<AddressMapping> m = AddressMapping::get(g, name);
  if (!m) {
    ADD_FAILURE() << llvm::toString(m.takeError());
    return *AddressMapping::get(DramGeometry(), "RoBaCo");
  }
  return std::move(*m);
}

std::string errorOf(llvm::Expected<AddressMapping> m) {
  if (m)
    return "";
  return llvm::toString(m.takeError());
}

/// A small geometry: 2 channels, 2 ranks, 2 bank groups of 2 banks, 8 rows,
/// 16 columns, BL4, 2-byte bus: 2^12 bytes.
DramGeometry smallGeometry() {
  DramGeometry g;
  g.channels = 2;
  g.ranks = 2;
  g.bankGroups = 2;
  g.banksPerGroup = 2;
  g.rows = 8;
  g.columns = 16;
  g.burstLength = 4;
  g.busBytes = 2;
  return g;
}

TEST(AddressMappingTest, PolicyFieldOrders) {
  EXPECT_EQ(AddressMapping::getPolicyFieldOrder("romanet"), "RoBaBgRaChCo");
  EXPECT_EQ(AddressMapping::getPolicyFieldOrder("drmap"), "RoChRaBgBaCo");
  EXPECT_EQ(AddressMapping::getPolicyFieldOrder("row-interleaved"),
            "RoChRaBaBgCo");
  EXPECT_EQ(AddressMapping::getPolicyFieldOrder("RoBaRaCoCh"), "");
  EXPECT_EQ(AddressMapping::getPolicyNames().size(), 3u);
}

TEST(AddressMappingTest, RomanetOnDdr3) {
  // DDR3-1600 x8, 8 chips: 64-bit bus, BL8 -> 64-byte bursts, 1024 columns
  // -> 128 bursts (8 KiB) per row, 8 banks, 65536 rows.
  llvm::Expected<AddressMapping> m =
      AddressMapping::get(loadDram("romanet-ddr3"));
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->getName(), "romanet");
  EXPECT_EQ(m->getBurstOffsetBits(), 6u);
  EXPECT_EQ(m->getNumBurstBits(), 7u + 3u + 16u);
  EXPECT_EQ(m->getFieldOrder(), "RoBaCo");
  EXPECT_EQ(m->getDramsim3Mapping(), "chrabgrobaco");

  DramCoord c = m->decode(8192 * 3 + 64 * 5 + 8 * 2 + 1);
  EXPECT_EQ(c.bank, 3u);
  EXPECT_EQ(c.row, 0u);
  EXPECT_EQ(c.column, 5u * 8 + 2);
  EXPECT_EQ(c.byte, 1u);
  // A row of every bank (64 KiB) before the next row.
  c = m->decode(65536 * 7 + 8192 * 2);
  EXPECT_EQ(c.row, 7u);
  EXPECT_EQ(c.bank, 2u);
  EXPECT_EQ(c.column, 0u);
  EXPECT_EQ(m->getBankIndex((65536 * 7 + 8192 * 2) >> 6), 2u);
  EXPECT_EQ(m->getRow((65536 * 7 + 8192 * 2) >> 6), 7u);
}

TEST(AddressMappingTest, ChannelsAndBankGroupsOnLpddr4) {
  // edge-npu-lpddr4: 2 channels of 2 x16 chips (4-byte bus), BL16 -> 64-byte
  // bursts, 1024 columns -> 64 bursts (4 KiB) per row, 2 bank groups x 4.
  DramConfig dram = loadDram("edge-npu-lpddr4");
  llvm::Expected<DramGeometry> g = DramGeometry::get(dram);
  ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  EXPECT_EQ(g->getBytesPerBurst(), 64u);
  EXPECT_EQ(g->getBurstsPerRow(), 64u);

  // romanet: a row's columns, then the other channel, then bank groups.
  AddressMapping romanet = getMapping(*g, "romanet");
  EXPECT_EQ(romanet.getFieldOrder(), "RoBaBgChCo");
  EXPECT_EQ(romanet.decode(4096).channel, 1u);
  EXPECT_EQ(romanet.decode(8192).bankGroup, 1u);
  EXPECT_EQ(romanet.decode(16384).bank, 1u);
  // drmap: a row's columns, then the banks of a group, then bank groups.
  AddressMapping drmap = getMapping(*g, "drmap");
  EXPECT_EQ(drmap.getFieldOrder(), "RoChBgBaCo");
  EXPECT_EQ(drmap.decode(4096).bank, 1u);
  EXPECT_EQ(drmap.decode(4096 * 4).bankGroup, 1u);
  EXPECT_EQ(drmap.decode(4096 * 8).channel, 1u);
  EXPECT_EQ(drmap.decode(4096 * 16).row, 1u);
  // row-interleaved: bank groups, banks, then channels.
  AddressMapping rowInterleaved = getMapping(*g, "row-interleaved");
  EXPECT_EQ(rowInterleaved.decode(4096).bankGroup, 1u);
  EXPECT_EQ(rowInterleaved.decode(8192).bank, 1u);
  EXPECT_EQ(rowInterleaved.decode(4096 * 8).channel, 1u);
  // Ramulator's default: channels every burst.
  AddressMapping ramulator = getMapping(*g, "RoBaRaCoCh");
  EXPECT_EQ(ramulator.decode(64).channel, 1u);
  EXPECT_EQ(ramulator.decode(128).column, 16u);
  // A missing Bg sits just above Ba.
  EXPECT_EQ(ramulator.getFieldOrder(), "RoBgBaCoCh");
  EXPECT_EQ(ramulator.getDramsim3Mapping(), "rarobgbacoch");
}

TEST(AddressMappingTest, ExhaustiveBijectionOnSmallGeometry) {
  DramGeometry g = smallGeometry();
  ASSERT_EQ(g.getTotalBits(), 12u);
  std::vector<std::string> names = {"romanet",         "drmap",
                                    "row-interleaved", "RoBaRaCoCh",
                                    "ChRaBgBaRoCo",    "CoRoBaBgRaCh"};
  // Plus random field orders.
  Rng rng(7);
  std::vector<std::string> fields = {"Ch", "Ra", "Bg", "Ba", "Ro", "Co"};
  for (int i = 0; i < 10; ++i) {
    for (size_t j = fields.size(); j > 1; --j)
      std::swap(fields[j - 1], fields[rng.range(0, j - 1)]);
    names.push_back(llvm::join(fields, ""));
  }
  for (const std::string &name : names) {
    AddressMapping m = getMapping(g, name);
    std::set<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                        uint64_t, uint64_t>>
        seen;
    for (uint64_t a = 0; a < (uint64_t(1) << 12); ++a) {
      DramCoord c = m.decode(a);
      ASSERT_LT(c.channel, g.channels);
      ASSERT_LT(c.rank, g.ranks);
      ASSERT_LT(c.bankGroup, g.bankGroups);
      ASSERT_LT(c.bank, g.banksPerGroup);
      ASSERT_LT(c.row, g.rows);
      ASSERT_LT(c.column, g.columns);
      ASSERT_LT(c.byte, g.busBytes);
      ASSERT_EQ(m.encode(c), a) << name << " " << c.str();
      seen.insert(
          {c.channel, c.rank, c.bankGroup, c.bank, c.row, c.column, c.byte});
      // The burst-level accessors agree with decode().
      uint64_t burst = a >> m.getBurstOffsetBits();
      ASSERT_EQ(m.getRow(burst), c.row);
      ASSERT_EQ(m.getBankIndex(burst),
                ((c.channel * g.ranks + c.rank) * g.bankGroups + c.bankGroup) *
                        g.banksPerGroup +
                    c.bank);
    }
    EXPECT_EQ(seen.size(), size_t(1) << 12) << name;
    EXPECT_TRUE(!llvm::errorToBool(proveAddressMappingBijective(m))) << name;
  }
}

TEST(AddressMappingTest, CustomBitAssignment) {
  DramGeometry g = smallGeometry();
  // Fields scattered over the bits; the counts match the geometry: Ch 1,
  // Ra 1, Bg 1, Ba 1, Ro 3, Co 2.
  using F = DramField;
  std::vector<F> bits = {F::Column, F::Channel,   F::Row,  F::Column, F::Bank,
                         F::Row,    F::BankGroup, F::Rank, F::Row};
  llvm::Expected<AddressMapping> m =
      AddressMapping::getFromBits(g, bits, "scrambled");
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->getFieldOrder(), "");
  EXPECT_EQ(m->getDramsim3Mapping(), "");
  for (uint64_t a = 0; a < (uint64_t(1) << 12); ++a)
    ASSERT_EQ(m->encode(m->decode(a)), a);
  // Burst bit 2 is the low row bit, bit 5 the middle one.
  EXPECT_EQ(m->getRow(uint64_t(1) << 2), 1u);
  EXPECT_EQ(m->getRow(uint64_t(1) << 5), 2u);
  EXPECT_EQ(m->getRow(uint64_t(1) << 8), 4u);
  EXPECT_FALSE(llvm::errorToBool(proveAddressMappingBijective(*m)));

  // Bits that do not add up.
  bits.pop_back();
  llvm::Expected<AddressMapping> bad = AddressMapping::getFromBits(g, bits);
  EXPECT_EQ(errorOf(std::move(bad)),
            "address mapping 'custom': address bits do not add up: 2 Ro bits "
            "given, the geometry needs 3");
}

TEST(AddressMappingTest, ShippedTargetsProveBijective) {
  for (const std::string &target : getShippedTargets()) {
    DramConfig dram = loadDram(target);
    for (llvm::StringRef name :
         {"romanet", "drmap", "row-interleaved", "RoBaRaCoCh", "ChRaBaRoCo"}) {
      llvm::Expected<AddressMapping> m = AddressMapping::get(dram, name);
      ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
      EXPECT_FALSE(llvm::errorToBool(proveAddressMappingBijective(*m)))
          << target << " " << name.str();
      // Spot-check the round trip on the top and bottom of the space.
      uint64_t top = (uint64_t(1) << m->getGeometry().getTotalBits()) - 1;
      for (uint64_t a : {uint64_t(0), uint64_t(12345), top, top - 4097})
        EXPECT_EQ(m->encode(m->decode(a)), a);
    }
  }
}

TEST(AddressMappingTest, MappingNameErrors) {
  DramGeometry g = smallGeometry();
  EXPECT_EQ(errorOf(AddressMapping::get(g, "zigzag")),
            "unknown address mapping 'zigzag' (expected romanet, drmap, "
            "row-interleaved, or a field order such as RoBaRaCoCh made of "
            "Ch, Ra, Bg, Ba, Ro, Co)");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "RoBaRaCoChX")).substr(0, 30),
            "unknown address mapping 'RoBaR");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "RoBaRaCoChBa")),
            "field Ba appears twice in address mapping 'RoBaRaCoChBa'");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "BaRaCoCh")),
            "address mapping 'BaRaCoCh' has no Ro field");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "RoBaRaCo")),
            "address mapping 'RoBaRaCo' has no Ch field but there are 2 "
            "channels");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "RoBaChCo")),
            "address mapping 'RoBaChCo' has no Ra field but there are 2 "
            "ranks");
  EXPECT_EQ(errorOf(AddressMapping::get(g, "")).substr(0, 26),
            "unknown address mapping ''");
}

TEST(AddressMappingTest, GeometryErrors) {
  DramConfig dram = loadDram("romanet-ddr3");
  auto errorWith = [&](auto modify) {
    DramConfig copy = dram;
    modify(copy);
    return errorOf(AddressMapping::get(copy, "romanet"));
  };
  EXPECT_EQ(errorWith([](DramConfig &d) {}), "");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.banksPerGroup = 6; }),
            "DRAM geometry: banks_per_group must be a power of two (it "
            "selects address bits), got 6");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.rows = 0; }),
            "DRAM geometry: rows must be a power of two (it selects address "
            "bits), got 0");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.channels = 3; }),
            "DRAM geometry: channels must be a power of two (it selects "
            "address bits), got 3");
  EXPECT_EQ(errorWith([](DramConfig &d) {
              d.chipsPerRank = 1;
              d.deviceWidth = 4;
            }),
            "DRAM geometry: the bus (chips_per_rank × device_width = 4 bits) "
            "is not a whole number of bytes");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.chipsPerRank = 3; }),
            "DRAM geometry: bus bytes (chips_per_rank × device_width / 8) "
            "must be a power of two (it selects address bits), got 3");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.burstLength = 2048; }),
            "DRAM geometry: burst_length 2048 exceeds the 1024 columns of a "
            "row");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.rows = uint64_t(1) << 56; }),
            "DRAM geometry: the address space needs 72 bits; at most 63 are "
            "supported");
  EXPECT_EQ(errorWith([](DramConfig &d) { d.addressMapping = "RoBa"; }), "");
  DramConfig copy = dram;
  copy.addressMapping = "RoBa";
  EXPECT_EQ(errorOf(AddressMapping::get(copy)),
            "address mapping 'RoBa' has no Co field");
}

TEST(DramParamsTest, Ddr3EnergiesByHand) {
  // DDR3-1600 4Gb x8, 8 chips per rank (shared/reference/dram-and-energy.md):
  // VDD 1.35 V, tCK 1.25 ns, tRAS 28, tRP 11 (tRC 39), IDD0 55, IDD2N 32,
  // IDD3N 38, IDD4R 157, IDD4W 125, IDD5AB 235 mA, tRFC 208, BL8.
  DramParams p = getTargetParams("romanet-ddr3");
  EXPECT_EQ(p.standard, "DDR3");
  EXPECT_EQ(p.policy, PagePolicy::Open);
  EXPECT_EQ(p.addressMapping, "romanet");
  EXPECT_EQ(p.tRC, 39u);
  EXPECT_EQ(p.getBurstCycles(), 4u);
  // ACT+PRE: 1.35 * (55*39 - (38*28 + 32*11)) * 1.25 = 1.35 * 729 * 1.25
  // = 1230.1875 pJ per chip, 9841.5 pJ per rank.
  EXPECT_NEAR(p.getActPreEnergyPJ(), 9841.5, 1e-9);
  // RD burst: 1.35 * (157 - 38) * 4 * 1.25 = 803.25 pJ per chip, x8.
  EXPECT_NEAR(p.getReadBurstEnergyPJ(), 6426.0, 1e-9);
  // WR burst: 1.35 * (125 - 38) * 4 * 1.25 = 587.25 pJ per chip, x8.
  EXPECT_NEAR(p.getWriteBurstEnergyPJ(), 4698.0, 1e-9);
  // REF: 1.35 * (235 - 38) * 208 * 1.25 = 69147 pJ per chip, x8.
  EXPECT_NEAR(p.getRefreshEnergyPJ(), 553176.0, 1e-6);
  // Standby per cycle: 1.35 * 38 * 1.25 * 8 and 1.35 * 32 * 1.25 * 8.
  EXPECT_NEAR(p.getActiveStandbyEnergyPJPerCycle(), 513.0, 1e-9);
  EXPECT_NEAR(p.getPrechargeStandbyEnergyPJPerCycle(), 432.0, 1e-9);
}

TEST(DramParamsTest, Lpddr4BurstIsSixteenBeats) {
  DramParams p = getTargetParams("edge-npu-lpddr4");
  EXPECT_EQ(p.getBurstCycles(), 8u);
  // 1.2 * (243 - 47) * 8 * 0.83 * 2 chips.
  EXPECT_NEAR(p.getReadBurstEnergyPJ(), 1.2 * 196 * 8 * 0.83 * 2, 1e-9);
}

} // namespace
