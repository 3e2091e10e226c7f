//===- CompressionTest.cpp - compression specs and weight formats -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The `--quantize` / `--weight-sharing` / `--prune` specs, the bits a
// compressed weight takes (checked against the formats' definitions written
// out per case: values, indices, masks and codebooks counted bit by bit),
// the target's `compression` section and its errors.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Compression.h"
#include "romac/Target/Target.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace romac;

namespace {

std::string errorOf(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : "<no error>";
}
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  return value ? "<no error>" : llvm::toString(value.takeError());
}

TEST(CompressionTest, PrecisionSpecs) {
  for (auto [spec, w, a] : {std::tuple{"w8a8", 8u, 8u},
                            {"w8a16", 8u, 16u},
                            {"w4a16", 4u, 16u},
                            {"w4a8", 4u, 8u}}) {
    llvm::Expected<Precision> p = parsePrecision(spec);
    ASSERT_TRUE(static_cast<bool>(p)) << spec;
    EXPECT_EQ(p->weightBits, w);
    EXPECT_EQ(p->activationBits, a);
    EXPECT_EQ(p->str(), spec);
  }
  for (const char *bad : {"", "w8", "int8", "w2a8", "w8a4", "W8A8", "w16a16"})
    EXPECT_NE(errorOf(parsePrecision(bad))
                  .find("--quantize: invalid spec '" + std::string(bad) +
                        "' (expected one of w8a8, w8a16, w4a16, w4a8)"),
              std::string::npos)
        << bad;
}

TEST(CompressionTest, WeightSharingK) {
  for (unsigned k : {2u, 4u, 16u, 256u, 65536u}) {
    llvm::Expected<unsigned> parsed = parseWeightSharing(std::to_string(k));
    ASSERT_TRUE(static_cast<bool>(parsed));
    EXPECT_EQ(*parsed, k);
  }
  for (const char *bad : {"0", "1", "3", "12", "131072", "-4", "4.0", "x"})
    EXPECT_NE(errorOf(parseWeightSharing(bad))
                  .find("--weight-sharing: K must be a power of two greater "
                        "than 1"),
              std::string::npos)
        << bad;
}

TEST(CompressionTest, PruneSpecs) {
  Compression c;
  ASSERT_FALSE(parsePrune("2:4", c));
  EXPECT_EQ(c.sparsity, Sparsity::TwoFour);
  EXPECT_EQ(c.getDensity(), 0.5);
  ASSERT_FALSE(parsePrune("0.75", c));
  EXPECT_EQ(c.sparsity, Sparsity::Unstructured);
  EXPECT_EQ(c.pruneRatio, 0.75);
  EXPECT_EQ(c.getFlags(), "--prune 0.75");
  for (const char *bad : {"0", "1", "1.5", "-0.1", "nan", "2:8", "half", ""})
    EXPECT_NE(errorOf(parsePrune(bad, c))
                  .find("--prune: expected a ratio in (0, 1) or 2:4"),
              std::string::npos)
        << bad;
}

TEST(CompressionTest, StorageBitsFollowTheFormats) {
  // Per 16 dense weights, the bits each format stores, written out.
  struct Case {
    Compression compression;
    uint64_t nativeBytes;
    double bitsPer16Weights;
    const char *label;
  };
  Compression w4;
  w4.quantize = Precision{4, 8};
  Compression k16;
  k16.sharedWeights = 16;
  Compression k4_24;
  k4_24.sharedWeights = 4;
  k4_24.sparsity = Sparsity::TwoFour;
  k4_24.pruneRatio = 0.5;
  Compression p24 = k4_24;
  p24.sharedWeights = 0;
  Compression half;
  half.sparsity = Sparsity::Unstructured;
  half.pruneRatio = 0.5;
  Compression w4_24 = p24;
  w4_24.quantize = Precision{4, 16};
  const Case cases[] = {
      // 16 values of 8 bits.
      {{}, 1, 16 * 8, "int8"},
      {{}, 2, 16 * 16, "int16"},
      // 16 values of 4 bits.
      {w4, 1, 16 * 4, "int4"},
      // 16 indices of log2(16) = 4 bits (the codebook is per layer).
      {k16, 1, 16 * 4, "int8 k16"},
      // 8 kept indices of 2 bits + 8 positions of 2 bits.
      {k4_24, 1, 8 * 2 + 8 * 2, "int8 k4 2:4"},
      // 8 kept values of 8 bits + 8 positions of 2 bits.
      {p24, 1, 8 * 8 + 8 * 2, "int8 2:4"},
      // 8 kept values of 8 bits + a 16-bit mask.
      {half, 1, 8 * 8 + 16, "int8 50%"},
      // 8 kept values of 4 bits + 8 positions of 2 bits.
      {w4_24, 1, 8 * 4 + 8 * 2, "int4 2:4"},
  };
  for (const Case &c : cases) {
    WeightFormat f = WeightFormat::get(c.compression, c.nativeBytes);
    EXPECT_EQ(f.getBits16(), static_cast<uint32_t>(c.bitsPer16Weights))
        << c.label;
    EXPECT_EQ(f.str(), c.label);
    EXPECT_EQ(f.isPlain(), c.compression.empty()) << c.label;
  }
  // A codebook holds K values of the value width.
  EXPECT_EQ(WeightFormat::get(k16, 1).getCodebookBytes(), 16u);
  EXPECT_EQ(WeightFormat::get(k16, 2).getCodebookBytes(), 32u);
  Compression k4w4 = k4_24;
  k4w4.quantize = Precision{4, 8};
  EXPECT_EQ(WeightFormat::get(k4w4, 1).getCodebookBytes(), 2u);
  // A ratio that is no multiple of 1/16 bit rounds up: 0.3 pruned of 8-bit
  // values keeps 0.7 * 8 + 1 = 6.6 bits, 105.6 sixteenths -> 106.
  Compression p3;
  p3.sparsity = Sparsity::Unstructured;
  p3.pruneRatio = 0.3;
  EXPECT_EQ(WeightFormat::get(p3, 1).getBits16(), 106u);
}

std::string targetText(const std::string &computeExtra,
                       const std::string &top) {
  return "name: t\n"
         "compute:\n"
         "  rows: 4\n"
         "  cols: 4\n"
         "  frequency_mhz: 500\n"
         "  bytes_per_element: {input: 1, weight: 1, output: 1}\n"
         "  mac_energy_pj: 0.3\n" +
         computeExtra +
         "memories:\n"
         "  - {name: buf, bytes: 4096, holds: [input, weight, output], "
         "read_energy_pj_per_byte: 1, write_energy_pj_per_byte: 1, "
         "bandwidth_bytes_per_cycle: 8}\n"
         "dram:\n"
         "  standard: DDR3\n  channels: 1\n  ranks: 1\n  chips_per_rank: 8\n"
         "  device_width: 8\n  bank_groups: 1\n  banks_per_group: 8\n"
         "  rows: 32768\n  columns: 1024\n  burst_length: 8\n  page_policy: "
         "open\n"
         "  address_mapping: romanet\n  flat_energy_pj_per_bit: 70\n"
         "  timing: {tCK: 1.25, CL: 11, CWL: 8, tRCD: 11, tRP: 11, tRAS: 28, "
         "tRC: 39, tCCD_S: 4, tCCD_L: 4, tRRD_S: 5, tRRD_L: 5, tFAW: 24, "
         "tWR: 12, tWTR_S: 6, tWTR_L: 6, tRTP: 6, tRFC: 208, tREFI: 6240}\n"
         "  power: {VDD: 1.35, IDD0: 55, IDD2N: 32, IDD3N: 38, IDD4R: 157, "
         "IDD4W: 125, IDD5AB: 235}\n" +
         top;
}

const std::string kTable = "  mac_energy_pj_by_precision: {w8a8: 0.3, w4a8: "
                           "0.2, w8a16: 0.5}\n  skips_zero_operands: true\n";

TEST(CompressionTest, TargetSectionAppliesTheCompression) {
  llvm::Expected<Target> t = parseTarget(
      targetText(kTable, "compression: {quantize: w8a16, weight_sharing: 16, "
                         "prune: 2:4}\n"),
      "t.yaml");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->compute.macEnergyPJ, 0.5);
  EXPECT_TRUE(t->compute.skipsZeroOperands);
  EXPECT_EQ(t->compute.getBytesPerElement(OperandKind::Input), 2u);
  EXPECT_EQ(t->compute.getBytesPerElement(OperandKind::Output), 2u);
  EXPECT_EQ(t->compute.getBytesPerElement(OperandKind::Weight), 1u);
  EXPECT_EQ(t->weightFormat.str(), "int8 k16 2:4");
  EXPECT_EQ(t->compression.getFlags(),
            "--quantize w8a16 --weight-sharing 16 --prune 2:4");

  // The same through applyCompression() on the uncompressed target.
  llvm::Expected<Target> plain = parseTarget(targetText(kTable, ""), "t.yaml");
  ASSERT_TRUE(static_cast<bool>(plain));
  EXPECT_TRUE(plain->weightFormat.isPlain());
  EXPECT_EQ(plain->weightFormat.valueBits, 8u);
  Compression c;
  c.quantize = Precision{4, 8};
  ASSERT_EQ(errorOf(applyCompression(*plain, c)), "<no error>");
  EXPECT_EQ(plain->compute.macEnergyPJ, 0.2);
  EXPECT_EQ(plain->weightFormat.str(), "int4");
  // Compressing twice is refused.
  EXPECT_NE(errorOf(applyCompression(*plain, c))
                .find("already compiled for "
                      "--quantize w4a8"),
            std::string::npos);
}

TEST(CompressionTest, TargetSectionErrors) {
  struct Case {
    std::string extra, top, message;
  };
  const Case cases[] = {
      {kTable, "compression: {quantize: w4a16}\n",
       "compression.quantize: target 't' has no MAC energy for w4a16 (add "
       "compute.mac_energy_pj_by_precision.w4a16)"},
      {"", "compression: {quantize: w8a8}\n", "has no MAC energy for w8a8"},
      {kTable, "compression: {quantize: int8}\n",
       "compression.quantize: --quantize: invalid spec 'int8'"},
      {kTable, "compression: {weight_sharing: 6}\n",
       "compression.weight_sharing: --weight-sharing: K must be a power of "
       "two greater than 1"},
      {kTable, "compression: {prune: 1.5}\n",
       "compression.prune: --prune: expected a ratio in (0, 1) or 2:4"},
      {kTable, "compression: {sparsity: 2}\n",
       "compression.sparsity: unknown key (allowed: quantize, weight_sharing, "
       "prune)"},
      {"  mac_energy_pj_by_precision: {int8: 0.3}\n", "",
       "compute.mac_energy_pj_by_precision.int8: expected a precision such "
       "as w8a8 or w4a16, got 'int8'"},
      {"  mac_energy_pj_by_precision: [0.3]\n", "",
       "compute.mac_energy_pj_by_precision: expected a mapping"},
      {"  skips_zero_operands: maybe\n", "",
       "compute.skips_zero_operands: expected true or false"},
  };
  for (const Case &c : cases) {
    std::string message =
        errorOf(parseTarget(targetText(c.extra, c.top), "t.yaml"));
    EXPECT_NE(message.find(c.message), std::string::npos)
        << "got: " << message << "\nexpected: " << c.message;
    EXPECT_EQ(message.rfind("t.yaml:", 0), 0u) << message;
  }
}

TEST(CompressionTest, ShippedTargetsHaveEveryPrecision) {
  for (const char *name :
       {"edge-npu-lpddr4", "eyeriss-like", "simba-like", "romanet-ddr3"}) {
    llvm::Expected<Target> t = loadTarget(name, ROMAC_SOURCE_TARGETS_DIR);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    for (const char *spec : {"w8a8", "w8a16", "w4a16", "w4a8"}) {
      Target copy = *t;
      Compression c;
      c.quantize = *parsePrecision(spec);
      EXPECT_EQ(errorOf(applyCompression(copy, c)), "<no error>")
          << name << " " << spec;
      // w8a8 is the targets' own int8 MAC.
      if (std::string(spec) == "w8a8")
        EXPECT_EQ(copy.compute.macEnergyPJ, t->compute.macEnergyPJ) << name;
    }
  }
}

} // namespace
