//===- TargetErrorTest.cpp - target YAML validation -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One test per class of bad target input. Each edits one line of a valid
// base target and checks the complete message: file, line, column, key path
// and problem.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Target.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace romac;

namespace {

/// A valid target; line N of the text is kBase[N - 1].
const char *const kBase[] = {
    /* 1*/ "name: test-target",
    /* 2*/ "compute:",
    /* 3*/ "  rows: 4",
    /* 4*/ "  cols: 4",
    /* 5*/ "  frequency_mhz: 500",
    /* 6*/ "  bytes_per_element: {input: 1, weight: 1, output: 2}",
    /* 7*/ "  mac_energy_pj: 0.2",
    /* 8*/ "memories:",
    /* 9*/ "  - name: iBuff",
    /*10*/ "    bytes: 1024",
    /*11*/ "    holds: input",
    /*12*/ "    read_energy_pj_per_byte: 1",
    /*13*/ "    write_energy_pj_per_byte: 1",
    /*14*/ "    bandwidth_bytes_per_cycle: 4",
    /*15*/ "  - name: shared",
    /*16*/ "    bytes: 2KiB",
    /*17*/ "    holds: [weight, output]",
    /*18*/ "    read_energy_pj_per_byte: 1.5",
    /*19*/ "    write_energy_pj_per_byte: 2",
    /*20*/ "    bandwidth_bytes_per_cycle: 8",
    /*21*/ "dram:",
    /*22*/ "  standard: DDR3",
    /*23*/ "  channels: 1",
    /*24*/ "  ranks: 2",
    /*25*/ "  chips_per_rank: 8",
    /*26*/ "  device_width: 8",
    /*27*/ "  bank_groups: 1",
    /*28*/ "  banks_per_group: 8",
    /*29*/ "  rows: 32768",
    /*30*/ "  columns: 1024",
    /*31*/ "  burst_length: 8",
    /*32*/ "  page_policy: closed",
    /*33*/ "  address_mapping: RoRaBaCoCh",
    /*34*/ "  flat_energy_pj_per_bit: 70",
    /*35*/ "  timing:",
    /*36*/ "    tCK: 1.25",
    /*37*/ "    CL: 11",
    /*38*/ "    CWL: 8",
    /*39*/ "    tRCD: 11",
    /*40*/ "    tRP: 11",
    /*41*/ "    tRAS: 28",
    /*42*/ "    tRC: 39",
    /*43*/ "    tCCD_S: 4",
    /*44*/ "    tCCD_L: 4",
    /*45*/ "    tRRD_S: 5",
    /*46*/ "    tRRD_L: 5",
    /*47*/ "    tFAW: 24",
    /*48*/ "    tWR: 12",
    /*49*/ "    tWTR_S: 6",
    /*50*/ "    tWTR_L: 6",
    /*51*/ "    tRTP: 6",
    /*52*/ "    tRFC: 208",
    /*53*/ "    tREFI: 6240",
    /*54*/ "  power:",
    /*55*/ "    VDD: 1.35",
    /*56*/ "    IDD0: 55",
    /*57*/ "    IDD2N: 32",
    /*58*/ "    IDD3N: 38",
    /*59*/ "    IDD4R: 157",
    /*60*/ "    IDD4W: 125",
    /*61*/ "    IDD5AB: 235",
    /*62*/ "dvfs:",
    /*63*/ "  - {frequency_mhz: 250, voltage: 0.7}",
    /*64*/ "  - {frequency_mhz: 500, voltage: 0.9}",
};
constexpr unsigned kNumBaseLines = std::size(kBase);

/// Lines [first, last] of the base target (1-based, inclusive), joined.
std::string baseLines(unsigned first = 1, unsigned last = kNumBaseLines) {
  std::string text;
  for (unsigned line = first; line <= last; ++line)
    text += std::string(kBase[line - 1]) + "\n";
  return text;
}

/// The base target with line \p line replaced by \p text (which may hold
/// several lines, or be empty to blank the line). \p old guards against the
/// base drifting away from the line numbers the tests assume.
std::string withLine(unsigned line, llvm::StringRef old, llvm::StringRef text) {
  EXPECT_EQ(llvm::StringRef(kBase[line - 1]), old) << "base line " << line;
  std::string result;
  for (unsigned i = 1; i <= kNumBaseLines; ++i)
    result += (i == line ? text.str() : std::string(kBase[i - 1])) + "\n";
  return result;
}

/// The message parseTarget gives for \p yaml, or "<no error>".
std::string errorOf(llvm::StringRef yaml) {
  llvm::Expected<Target> target = parseTarget(yaml, "t.yaml");
  if (target)
    return "<no error>";
  return llvm::toString(target.takeError());
}

TEST(TargetErrorTest, BaseIsValid) {
  llvm::Expected<Target> parsed = parseTarget(baseLines(), "t.yaml");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const Target &t = *parsed;
  EXPECT_EQ(t.name, "test-target");
  EXPECT_EQ(t.sourcePath, "t.yaml");
  EXPECT_EQ(t.compute.getBytesPerElement(OperandKind::Output), 2u);
  ASSERT_EQ(t.memories.size(), 2u);
  EXPECT_EQ(t.memories[0].bytes, 1024u);
  EXPECT_EQ(t.memories[1].bytes, 2048u); // 2KiB
  EXPECT_FALSE(t.memories[0].isShared());
  EXPECT_TRUE(t.memories[1].isShared());
  EXPECT_EQ(t.getMemoryFor(OperandKind::Input), &t.memories[0]);
  EXPECT_EQ(t.getMemoryFor(OperandKind::Output), &t.memories[1]);
  EXPECT_EQ(t.findMemory("nope"), nullptr);
  EXPECT_EQ(t.dram.pagePolicy, PagePolicy::Closed);
  EXPECT_EQ(t.dram.addressMapping, "RoRaBaCoCh");
  EXPECT_EQ(t.dram.ranks, 2u);
  EXPECT_EQ(t.dram.getAddressBits().rank, 1u);
  EXPECT_EQ(t.dram.getCapacityBytes(), uint64_t(4) << 30); // 2 ranks x 2 GiB
  ASSERT_EQ(t.dvfs.size(), 2u);
  EXPECT_DOUBLE_EQ(t.dvfs[1].voltage, 0.9);
}

TEST(TargetErrorTest, NameDefaultsToFileStem) {
  llvm::Expected<Target> parsed =
      parseTarget(withLine(1, "name: test-target", ""), "dir/my-npu.yaml");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->name, "my-npu");
}

TEST(TargetErrorTest, ErrorCarriesItsPosition) {
  llvm::Expected<Target> parsed =
      parseTarget(withLine(29, "  rows: 32768", "  rows: 0"), "t.yaml");
  ASSERT_FALSE(bool(parsed));
  llvm::Error error = parsed.takeError();
  ASSERT_TRUE(error.isA<TargetError>());
  llvm::handleAllErrors(std::move(error), [](const TargetError &e) {
    EXPECT_EQ(e.getFile(), "t.yaml");
    EXPECT_EQ(e.getLine(), 29u);
    EXPECT_EQ(e.getColumn(), 9u);
    EXPECT_EQ(e.getMessage(), "dram.rows: must be positive, got 0");
  });
}

//===--- unknown and duplicate keys
//-----------------------------------------===//

TEST(TargetErrorTest, UnknownKeyListsAllowedKeys) {
  EXPECT_EQ(errorOf(withLine(28, "  banks_per_group: 8",
                             "  banks_per_group: 8\n  bank: 3")),
            "t.yaml:29:3: error: dram.bank: unknown key (allowed: standard, "
            "channels, ranks, chips_per_rank, device_width, bank_groups, "
            "banks_per_group, rows, columns, burst_length, page_policy, "
            "address_mapping, flat_energy_pj_per_bit, controller_queue, "
            "timing, power)");
  EXPECT_EQ(errorOf(withLine(12, "    read_energy_pj_per_byte: 1",
                             "    read_energy_pj: 1")),
            "t.yaml:12:5: error: memories[0].read_energy_pj: unknown key "
            "(allowed: name, bytes, holds, read_energy_pj_per_byte, "
            "write_energy_pj_per_byte, bandwidth_bytes_per_cycle)");
  EXPECT_EQ(errorOf(withLine(1, "name: test-target", "colour: red")),
            "t.yaml:1:1: error: colour: unknown key (allowed: name, "
            "description, compute, memories, dram, dvfs, power, "
            "activation_buffers_pooled, compression)");
  // A flag is true or false.
  EXPECT_EQ(errorOf(withLine(1, "name: test-target",
                             "name: test-target\nactivation_buffers_pooled: "
                             "yes")),
            "t.yaml:2:28: error: activation_buffers_pooled: expected true or "
            "false, got 'yes'");
  EXPECT_EQ(errorOf(withLine(6,
                             "  bytes_per_element: {input: 1, weight: 1, "
                             "output: 2}",
                             "  bytes_per_element: {input: 1, weight: 1, "
                             "psum: 2}")),
            "t.yaml:6:44: error: compute.bytes_per_element.psum: unknown key "
            "(allowed: input, weight, output)");
}

TEST(TargetErrorTest, PowerSection) {
  // The optional compute-die power figures of `romac plan` (docs/plan.md).
  std::string yaml = withLine(64, "  - {frequency_mhz: 500, voltage: 0.9}",
                              "  - {frequency_mhz: 500, voltage: 0.9, "
                              "static_power_mw: 40}\n"
                              "power: {static_power_mw: 40, dfs_switch_us: 5}");
  llvm::Expected<Target> t = parseTarget(yaml, "t.yaml");
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_FALSE(t->dvfs[0].staticPowerMW.has_value());
  ASSERT_TRUE(t->dvfs[1].staticPowerMW.has_value());
  EXPECT_DOUBLE_EQ(*t->dvfs[1].staticPowerMW, 40);
  ASSERT_TRUE(t->power.staticPowerMW.has_value());
  EXPECT_DOUBLE_EQ(*t->power.staticPowerMW, 40);
  EXPECT_DOUBLE_EQ(t->power.dfsSwitchUs, 5);

  EXPECT_EQ(errorOf(withLine(64, "  - {frequency_mhz: 500, voltage: 0.9}",
                             "  - {frequency_mhz: 500, voltage: 0.9}\n"
                             "power: {static_power_mw: -3}")),
            "t.yaml:65:26: error: power.static_power_mw: must not be "
            "negative, got -3");
  EXPECT_EQ(errorOf(withLine(64, "  - {frequency_mhz: 500, voltage: 0.9}",
                             "  - {frequency_mhz: 500, voltage: 0.9}\n"
                             "power: {leakage: 3}")),
            "t.yaml:65:9: error: power.leakage: unknown key (allowed: "
            "static_power_mw, dfs_switch_us)");
  EXPECT_EQ(errorOf(withLine(64, "  - {frequency_mhz: 500, voltage: 0.9}",
                             "  - {frequency_mhz: 500, voltage: 0.9, "
                             "static_power_mw: lots}")),
            "t.yaml:64:57: error: dvfs[1].static_power_mw: expected a number, "
            "got 'lots'");
}

TEST(TargetErrorTest, DuplicateKey) {
  EXPECT_EQ(errorOf(withLine(24, "  ranks: 2", "  ranks: 2\n  ranks: 4")),
            "t.yaml:25:3: error: dram.ranks: duplicate key (first given at "
            "line 24)");
}

//===--- missing keys
//-------------------------------------------------------===//

TEST(TargetErrorTest, MissingRequiredKey) {
  EXPECT_EQ(errorOf(withLine(29, "  rows: 32768", "")),
            "t.yaml:21:1: error: dram.rows: missing required key");
  EXPECT_EQ(errorOf(withLine(42, "    tRC: 39", "")),
            "t.yaml:35:3: error: dram.timing.tRC: missing required key");
  EXPECT_EQ(errorOf(withLine(11, "    holds: input", "")),
            "t.yaml:9:5: error: memories[0].holds: missing required key");
  EXPECT_EQ(errorOf(baseLines(1, 20)),
            "t.yaml:1:1: error: dram: missing required key");
  EXPECT_EQ(errorOf(withLine(64, "  - {frequency_mhz: 500, voltage: 0.9}",
                             "  - {frequency_mhz: 500}")),
            "t.yaml:64:5: error: dvfs[1].voltage: missing required key");
}

//===--- wrong types
//--------------------------------------------------------===//

TEST(TargetErrorTest, NotANumber) {
  EXPECT_EQ(errorOf(withLine(29, "  rows: 32768", "  rows: many")),
            "t.yaml:29:9: error: dram.rows: expected an integer, got 'many'");
  EXPECT_EQ(errorOf(withLine(3, "  rows: 4", "  rows: 4.5")),
            "t.yaml:3:9: error: compute.rows: expected an integer, got '4.5'");
  EXPECT_EQ(errorOf(withLine(36, "    tCK: 1.25", "    tCK: fast")),
            "t.yaml:36:10: error: dram.timing.tCK: expected a number, got "
            "'fast'");
  EXPECT_EQ(errorOf(withLine(36, "    tCK: 1.25", "    tCK: nan")),
            "t.yaml:36:10: error: dram.timing.tCK: expected a number, got "
            "'nan'");
  EXPECT_EQ(
      errorOf(withLine(29, "  rows: 32768", "  rows: 99999999999999999999")),
      "t.yaml:29:9: error: dram.rows: value 99999999999999999999 does "
      "not fit in 64 bits");
  EXPECT_EQ(errorOf(withLine(10, "    bytes: 1024", "    bytes: 1KB")),
            "t.yaml:10:12: error: memories[0].bytes: expected a byte count "
            "such as 65536 or 64KiB, got '1KB'");
}

TEST(TargetErrorTest, Negative) {
  EXPECT_EQ(errorOf(withLine(24, "  ranks: 2", "  ranks: -2")),
            "t.yaml:24:10: error: dram.ranks: must be positive, got -2");
  EXPECT_EQ(errorOf(withLine(34, "  flat_energy_pj_per_bit: 70",
                             "  flat_energy_pj_per_bit: 70\n"
                             "  controller_queue: 0")),
            "t.yaml:35:21: error: dram.controller_queue: must be positive, "
            "got 0");
  EXPECT_EQ(errorOf(withLine(34, "  flat_energy_pj_per_bit: 70",
                             "  flat_energy_pj_per_bit: 70\n"
                             "  controller_queue: many")),
            "t.yaml:35:21: error: dram.controller_queue: expected an "
            "integer, got 'many'");
  EXPECT_EQ(
      errorOf(withLine(7, "  mac_energy_pj: 0.2", "  mac_energy_pj: -0.2")),
      "t.yaml:7:18: error: compute.mac_energy_pj: must not be "
      "negative, got -0.2");
  EXPECT_EQ(errorOf(withLine(7, "  mac_energy_pj: 0.2",
                             "  mac_energy_pj: 0.2\n"
                             "  pack_bytes_per_cycle: -4")),
            "t.yaml:8:25: error: compute.pack_bytes_per_cycle: must not be "
            "negative, got -4");
  EXPECT_EQ(
      errorOf(withLine(5, "  frequency_mhz: 500", "  frequency_mhz: -500")),
      "t.yaml:5:18: error: compute.frequency_mhz: must be positive, "
      "got -500");
}

TEST(TargetErrorTest, WrongNodeKind) {
  EXPECT_EQ(errorOf(withLine(5, "  frequency_mhz: 500",
                             "  frequency_mhz: {value: 500}")),
            "t.yaml:5:18: error: compute.frequency_mhz: expected a number, "
            "got a mapping");
  EXPECT_EQ(errorOf(withLine(36, "    tCK: 1.25", "    tCK:")),
            "t.yaml:36:5: error: dram.timing.tCK: expected a number, got an "
            "empty value");
  EXPECT_EQ(errorOf(withLine(22, "  standard: DDR3", "  standard: [DDR3]")),
            "t.yaml:22:13: error: dram.standard: expected a DRAM standard, "
            "got a sequence");
  EXPECT_EQ(errorOf("- a\n- b\n"),
            "t.yaml:1:1: error: expected a mapping of target keys (name, "
            "compute, memories, dram, ...) at the top level, got a sequence");
}

TEST(TargetErrorTest, ScalarWhereMappingExpected) {
  // Blank the timing block and make `timing` a scalar.
  std::string yaml = baseLines(1, 34) + "  timing: fast\n" + baseLines(54, 64);
  EXPECT_EQ(errorOf(yaml), "t.yaml:35:11: error: dram.timing: expected a "
                           "mapping, got a scalar");
  std::string memories =
      baseLines(1, 7) + "memories: {name: x}\n" + baseLines(21, 64);
  EXPECT_EQ(errorOf(memories), "t.yaml:8:11: error: memories: expected a "
                               "sequence of memories, got a mapping");
}

//===--- impossible values
//--------------------------------------------------===//

struct BadValue {
  unsigned line;
  const char *old;
  const char *replacement;
  const char *message;
};

class TargetBadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(TargetBadValueTest, Rejected) {
  const BadValue &bad = GetParam();
  EXPECT_EQ(errorOf(withLine(bad.line, bad.old, bad.replacement)), bad.message);
}

// Every count that selects address bits must be a positive power of two.
INSTANTIATE_TEST_SUITE_P(
    PowersOfTwo, TargetBadValueTest,
    ::testing::Values(
        BadValue{28, "  banks_per_group: 8", "  banks_per_group: 0",
                 "t.yaml:28:20: error: dram.banks_per_group: must be "
                 "positive, got 0"},
        BadValue{28, "  banks_per_group: 8", "  banks_per_group: 6",
                 "t.yaml:28:20: error: dram.banks_per_group: must be a power "
                 "of two, got 6"},
        BadValue{27, "  bank_groups: 1", "  bank_groups: 3",
                 "t.yaml:27:16: error: dram.bank_groups: must be a power of "
                 "two, got 3"},
        BadValue{29, "  rows: 32768", "  rows: 0",
                 "t.yaml:29:9: error: dram.rows: must be positive, got 0"},
        BadValue{29, "  rows: 32768", "  rows: 30000",
                 "t.yaml:29:9: error: dram.rows: must be a power of two, got "
                 "30000"},
        BadValue{30, "  columns: 1024", "  columns: 1000",
                 "t.yaml:30:12: error: dram.columns: must be a power of two, "
                 "got 1000"},
        BadValue{23, "  channels: 1", "  channels: 3",
                 "t.yaml:23:13: error: dram.channels: must be a power of two, "
                 "got 3"},
        BadValue{24, "  ranks: 2", "  ranks: 3",
                 "t.yaml:24:10: error: dram.ranks: must be a power of two, "
                 "got 3"},
        BadValue{25, "  chips_per_rank: 8", "  chips_per_rank: 6",
                 "t.yaml:25:19: error: dram.chips_per_rank: must be a power "
                 "of two, got 6"},
        BadValue{26, "  device_width: 8", "  device_width: 12",
                 "t.yaml:26:17: error: dram.device_width: must be a power of "
                 "two, got 12"},
        BadValue{31, "  burst_length: 8", "  burst_length: 6",
                 "t.yaml:31:17: error: dram.burst_length: must be a power of "
                 "two, got 6"}));

INSTANTIATE_TEST_SUITE_P(
    Geometry, TargetBadValueTest,
    ::testing::Values(
        BadValue{31, "  burst_length: 8", "  burst_length: 1",
                 "t.yaml:31:17: error: dram.burst_length: must be at least 2, "
                 "got 1"},
        BadValue{31, "  burst_length: 8", "  burst_length: 2048",
                 "t.yaml:31:17: error: dram.burst_length: must not exceed "
                 "columns = 1024, got 2048"},
        BadValue{29, "  rows: 32768", "  rows: 140737488355328",
                 "t.yaml:21:1: error: dram: capacity of 2^64 bytes does not "
                 "fit in 64 bits"},
        BadValue{22, "  standard: DDR3", "  standard: DDR5",
                 "t.yaml:22:13: error: dram.standard: unknown DRAM standard "
                 "'DDR5' (expected DDR3, DDR4, LPDDR4 or HBM2)"},
        BadValue{32, "  page_policy: closed", "  page_policy: lazy",
                 "t.yaml:32:16: error: dram.page_policy: unknown page policy "
                 "'lazy' (expected open or closed)"},
        BadValue{33, "  address_mapping: RoRaBaCoCh",
                 "  address_mapping: RoBaXxCo",
                 "t.yaml:33:20: error: dram.address_mapping: unknown address "
                 "mapping 'RoBaXxCo' (expected romanet, drmap, "
                 "row-interleaved, or a field order such as RoBaRaCoCh made "
                 "of Ch, Ra, Bg, Ba, Ro, Co)"},
        BadValue{33, "  address_mapping: RoRaBaCoCh",
                 "  address_mapping: RoBaCoCh",
                 "t.yaml:33:20: error: dram.address_mapping: address mapping "
                 "'RoBaCoCh' has no Ra field but there are 2 ranks"},
        BadValue{33, "  address_mapping: RoRaBaCoCh",
                 "  address_mapping: RoRaBaCoRo",
                 "t.yaml:33:20: error: dram.address_mapping: field Ro appears "
                 "twice in address mapping 'RoRaBaCoRo'"},
        BadValue{6, "  bytes_per_element: {input: 1, weight: 1, output: 2}",
                 "  bytes_per_element: {input: 3, weight: 1, output: 2}",
                 "t.yaml:6:30: error: compute.bytes_per_element.input: must "
                 "be 1, 2, 4 or 8, got 3"},
        BadValue{1, "name: test-target", "name: \"bad name\"",
                 "t.yaml:1:7: error: name: invalid target name 'bad name' "
                 "(letters, digits, '-', '_' and '.' only)"}));

// tRC >= tRAS + tRP and the other timing relations.
INSTANTIATE_TEST_SUITE_P(
    Timing, TargetBadValueTest,
    ::testing::Values(
        BadValue{42, "    tRC: 39", "    tRC: 30",
                 "t.yaml:42:10: error: dram.timing.tRC: must be at least tRAS "
                 "+ tRP = 39, got 30"},
        BadValue{44, "    tCCD_L: 4", "    tCCD_L: 2",
                 "t.yaml:44:13: error: dram.timing.tCCD_L: must be at least "
                 "tCCD_S = 4, got 2"},
        BadValue{53, "    tREFI: 6240", "    tREFI: 100",
                 "t.yaml:53:12: error: dram.timing.tREFI: must be greater "
                 "than tRFC = 208, got 100"},
        BadValue{36, "    tCK: 1.25", "    tCK: 0",
                 "t.yaml:36:10: error: dram.timing.tCK: must be positive, got "
                 "0"},
        BadValue{40, "    tRP: 11", "    tRP: 0",
                 "t.yaml:40:10: error: dram.timing.tRP: must be positive, got "
                 "0"}));

// Currents must give non-negative DRAMPower energies.
INSTANTIATE_TEST_SUITE_P(
    Power, TargetBadValueTest,
    ::testing::Values(
        BadValue{59, "    IDD4R: 157", "    IDD4R: 30",
                 "t.yaml:59:12: error: dram.power.IDD4R: must be greater than "
                 "IDD3N = 38, got 30"},
        BadValue{58, "    IDD3N: 38", "    IDD3N: 30",
                 "t.yaml:58:12: error: dram.power.IDD3N: must be at least "
                 "IDD2N = 32, got 30"},
        BadValue{55, "    VDD: 1.35", "    VDD: 0",
                 "t.yaml:55:10: error: dram.power.VDD: must be positive, got "
                 "0"},
        BadValue{56, "    IDD0: 55", "    IDD0: 38",
                 "t.yaml:56:11: error: dram.power.IDD0: must be greater than "
                 "IDD3N = 38, got 38"}));

// Memories: capacity, operands, names.
INSTANTIATE_TEST_SUITE_P(
    Memories, TargetBadValueTest,
    ::testing::Values(
        BadValue{10, "    bytes: 1024", "    bytes: 0",
                 "t.yaml:10:12: error: memories[0].bytes: must be positive, "
                 "got 0"},
        BadValue{16, "    bytes: 2KiB", "    bytes: 0KiB",
                 "t.yaml:16:12: error: memories[1].bytes: must be positive, "
                 "got 0KiB"},
        BadValue{11, "    holds: input", "    holds: bias",
                 "t.yaml:11:12: error: memories[0].holds: unknown operand "
                 "'bias' (expected input, weight or output)"},
        BadValue{17, "    holds: [weight, output]", "    holds: [weight, psum]",
                 "t.yaml:17:21: error: memories[1].holds[1]: unknown operand "
                 "'psum' (expected input, weight or output)"},
        BadValue{17, "    holds: [weight, output]",
                 "    holds: [weight, weight]",
                 "t.yaml:17:21: error: memories[1].holds[1]: operand 'weight' "
                 "is listed twice"},
        BadValue{17, "    holds: [weight, output]", "    holds: []",
                 "t.yaml:17:12: error: memories[1].holds: must name at least "
                 "one operand (input, weight, output)"},
        BadValue{17, "    holds: [weight, output]", "    holds: [weight]",
                 "t.yaml:8:1: error: memories: no memory holds operand "
                 "'output'"},
        BadValue{17, "    holds: [weight, output]",
                 "    holds: [weight, output, input]",
                 "t.yaml:17:12: error: memories[1].holds: operand 'input' is "
                 "already held by memory 'iBuff' (each operand lives in "
                 "exactly one memory)"},
        BadValue{15, "  - name: shared", "  - name: iBuff",
                 "t.yaml:15:11: error: memories[1].name: duplicate memory "
                 "name 'iBuff' (first defined at line 9)"},
        BadValue{20, "    bandwidth_bytes_per_cycle: 8",
                 "    bandwidth_bytes_per_cycle: 0",
                 "t.yaml:20:32: error: memories[1].bandwidth_bytes_per_cycle: "
                 "must be positive, got 0"}));

// DVFS points.
INSTANTIATE_TEST_SUITE_P(
    Dvfs, TargetBadValueTest,
    ::testing::Values(
        BadValue{64, "  - {frequency_mhz: 500, voltage: 0.9}",
                 "  - {frequency_mhz: 500, voltage: 0}",
                 "t.yaml:64:35: error: dvfs[1].voltage: must be positive, got "
                 "0"},
        BadValue{64, "  - {frequency_mhz: 500, voltage: 0.9}",
                 "  - {frequency_mhz: 500, voltage: -0.5}",
                 "t.yaml:64:35: error: dvfs[1].voltage: must be positive, got "
                 "-0.5"},
        BadValue{64, "  - {frequency_mhz: 500, voltage: 0.9}",
                 "  - {frequency_mhz: 250.0, voltage: 0.9}",
                 "t.yaml:64:21: error: dvfs[1].frequency_mhz: duplicate "
                 "frequency 250.0 MHz (also in dvfs[0])"}));

TEST(TargetErrorTest, BusNotWholeBytes) {
  std::string yaml = withLine(25, "  chips_per_rank: 8", "  chips_per_rank: 1");
  size_t pos = yaml.find("  device_width: 8");
  ASSERT_NE(pos, std::string::npos);
  yaml.replace(pos, strlen("  device_width: 8"), "  device_width: 4");
  EXPECT_EQ(errorOf(yaml), "t.yaml:26:17: error: dram.device_width: the bus "
                           "(chips_per_rank * device_width = 4 bits) is not "
                           "a whole number of bytes");
}

TEST(TargetErrorTest, EmptyDvfsTable) {
  EXPECT_EQ(errorOf(baseLines(1, 61) + "dvfs: []\n"),
            "t.yaml:62:1: error: dvfs: expected at least one operating point "
            "(or leave dvfs out)");
}

//===--- malformed input
//----------------------------------------------------===//

TEST(TargetErrorTest, MalformedYaml) {
  // An unclosed flow sequence: the scanner's message with its position.
  std::string unclosed =
      withLine(17, "    holds: [weight, output]", "    holds: [weight, output");
  EXPECT_EQ(errorOf(unclosed),
            "t.yaml:19:29: error: invalid YAML: Expected , between entries!");

  // A tab used for indentation.
  std::string tab = withLine(29, "  rows: 32768", "\trows: 32768");
  EXPECT_EQ(errorOf(tab), "t.yaml:29:1: error: invalid YAML: Found invalid "
                          "tab character in indentation");

  // A second document.
  EXPECT_EQ(errorOf(baseLines() + "---\nname: other\n"),
            "t.yaml:66:1: error: a target file holds one YAML document, "
            "found a second one");

  // Aliases are not expanded.
  EXPECT_EQ(errorOf(withLine(4, "  cols: 4", "  cols: *rows")),
            "t.yaml:4:9: error: YAML aliases ('*name') are not supported in "
            "target files");
}

TEST(TargetErrorTest, EmptyFile) {
  const char *expected = "t.yaml: error: empty target file (expected a "
                         "mapping with compute, memories and dram)";
  EXPECT_EQ(errorOf(""), expected);
  EXPECT_EQ(errorOf("# only a comment\n\n"), expected);
}

TEST(TargetErrorTest, FileNotFound) {
  llvm::Expected<Target> missing = loadTargetFile("/nonexistent/dir/x.yaml");
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "/nonexistent/dir/x.yaml: error: cannot read target file: No "
            "such file or directory");

  // A path (it has a separator) is never looked up in the targets dir.
  llvm::Expected<Target> path =
      loadTarget("./no-such-target", ROMAC_SOURCE_TARGETS_DIR);
  ASSERT_FALSE(bool(path));
  EXPECT_EQ(llvm::toString(path.takeError()),
            "./no-such-target: error: cannot read target file: No such file "
            "or directory");
}

TEST(TargetErrorTest, UnknownTargetNameListsAvailable) {
  llvm::Expected<Target> unknown =
      loadTarget("tpu-v9", ROMAC_SOURCE_TARGETS_DIR);
  ASSERT_FALSE(bool(unknown));
  EXPECT_EQ(llvm::toString(unknown.takeError()),
            "error: unknown target 'tpu-v9' (available: edge-npu-lpddr4, "
            "eyeriss-like, romanet-ddr3, simba-like, and host for this CPU, "
            "host-lN for its level-N cache)");

  llvm::Expected<Target> noDir = loadTarget("x", "/nonexistent/targets");
  ASSERT_FALSE(bool(noDir));
  EXPECT_EQ(llvm::toString(noDir.takeError()),
            "error: unknown target 'x' (no targets in '/nonexistent/targets'; "
            "host is this CPU)");

  llvm::Expected<Target> empty = loadTarget("", ROMAC_SOURCE_TARGETS_DIR);
  ASSERT_FALSE(bool(empty));
  EXPECT_EQ(llvm::toString(empty.takeError()), "error: empty target name");
}

TEST(TargetErrorTest, FileErrorsNameTheFile) {
  // A bad value in a file on disk is reported against that file's path.
  llvm::SmallString<128> path;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("romac-target", "yaml", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << withLine(28, "  banks_per_group: 8", "  banks_per_group: 6");
  }
  llvm::Expected<Target> loaded = loadTarget(path);
  llvm::sys::fs::remove(path);
  ASSERT_FALSE(bool(loaded));
  EXPECT_EQ(llvm::toString(loaded.takeError()),
            (path + ":28:20: error: dram.banks_per_group: must be a power of "
                    "two, got 6")
                .str());
}

} // namespace
