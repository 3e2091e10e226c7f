//===- RomacAttrsTest.cpp - romac attribute unit tests ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Search/Search.h"
#include "romac/Target/Host.h"
#include "romac/Target/Target.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace romac;

namespace {

class TargetAttrTest : public ::testing::Test {
protected:
  TargetAttrTest() { ctx.loadDialect<RomacDialect>(); }
  MLIRContext ctx;
};

TEST_F(TargetAttrTest, ValidNames) {
  for (const char *name : {"edge-npu-lpddr4", "romanet-ddr3", "a", "x_1.yaml",
                           "A-B_C.9", "targets/my-npu.yaml", "/abs/path.yaml"})
    EXPECT_TRUE(TargetAttr::isValidName(name)) << name;
}

TEST_F(TargetAttrTest, InvalidNames) {
  for (const char *name : {"", "a b", "t<", "\"q\"", "a\nb", "x:y"})
    EXPECT_FALSE(TargetAttr::isValidName(name)) << name;
}

TEST_F(TargetAttrTest, GetCheckedReportsTheProblem) {
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  auto bad =
      TargetAttr::getChecked([&] { return emitError(UnknownLoc::get(&ctx)); },
                             &ctx, llvm::StringRef("no space"));
  EXPECT_FALSE(bad);
  EXPECT_NE(message.find("'no space'"), std::string::npos) << message;

  auto good =
      TargetAttr::getChecked([&] { return emitError(UnknownLoc::get(&ctx)); },
                             &ctx, llvm::StringRef("simba-like"));
  ASSERT_TRUE(good);
  EXPECT_EQ(good.getName(), "simba-like");
}

TEST_F(TargetAttrTest, UniquedAndRoundTrips) {
  auto get = [&](llvm::StringRef name) { return TargetAttr::get(&ctx, name); };
  TargetAttr a = get("eyeriss-like");
  EXPECT_EQ(a, get("eyeriss-like"));
  EXPECT_NE(a, get("simba-like"));

  std::string printed;
  llvm::raw_string_ostream os(printed);
  static_cast<Attribute>(a).print(os);
  EXPECT_EQ(printed, "#romac.target<\"eyeriss-like\">");
  Attribute parsed = parseAttribute(printed, &ctx);
  EXPECT_EQ(parsed, a);
}

/// Every scheme the search can label a result with (describeReuse() and
/// the fixed policies) has an enum value, and the labels round-trip.
TEST_F(TargetAttrTest, ReuseSchemeLabels) {
  for (uint32_t v = 0; v <= getMaxEnumValForReuseScheme(); ++v) {
    std::optional<ReuseScheme> scheme = symbolizeReuseScheme(v);
    ASSERT_TRUE(scheme) << v;
    EXPECT_EQ(parseReuseSchemeLabel(getReuseSchemeLabel(*scheme)), scheme);
  }
  EXPECT_EQ(getReuseSchemeLabel(ReuseScheme::Mixed), "mixed");
  EXPECT_EQ(getReuseSchemeLabel(ReuseScheme::InputWeightStationary),
            "input+weight-stationary");
  EXPECT_EQ(getReuseSchemeLabel(ReuseScheme::InputWeightOutputStationary),
            "input+weight+output-stationary");
  for (ReusePolicy p :
       {ReusePolicy::InputStationary, ReusePolicy::WeightStationary,
        ReusePolicy::OutputStationary})
    EXPECT_TRUE(parseReuseSchemeLabel(stringifyReusePolicy(p)))
        << stringifyReusePolicy(p).str();
  EXPECT_EQ(parseReuseSchemeLabel("weight-stationary"),
            ReuseScheme::WeightStationary);
  EXPECT_FALSE(parseReuseSchemeLabel("adaptive"));
  EXPECT_FALSE(parseReuseSchemeLabel("weight+input-stationary"));
  EXPECT_FALSE(parseReuseSchemeLabel("weight_stationary"));

  Attribute parsed = parseAttribute("#romac<reuse weight_stationary>", &ctx);
  EXPECT_EQ(parsed, ReuseSchemeAttr::get(&ctx, ReuseScheme::WeightStationary));
}

/// The fields of a target that the search, the cost model and the DRAM
/// model read, as one comparable tuple per part.
void expectSameTarget(const Target &a, const Target &b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  const ComputeArray &ca = a.compute, &cb = b.compute;
  EXPECT_EQ(std::tie(ca.rows, ca.cols, ca.frequencyMHz, ca.macEnergyPJ),
            std::tie(cb.rows, cb.cols, cb.frequencyMHz, cb.macEnergyPJ));
  for (OperandKind k :
       {OperandKind::Input, OperandKind::Weight, OperandKind::Output})
    EXPECT_EQ(ca.getBytesPerElement(k), cb.getBytesPerElement(k));
  ASSERT_EQ(a.memories.size(), b.memories.size());
  for (auto [ma, mb] : llvm::zip(a.memories, b.memories))
    EXPECT_EQ(
        std::tie(ma.name, ma.bytes, ma.operandMask, ma.readEnergyPJPerByte,
                 ma.writeEnergyPJPerByte, ma.bandwidthBytesPerCycle),
        std::tie(mb.name, mb.bytes, mb.operandMask, mb.readEnergyPJPerByte,
                 mb.writeEnergyPJPerByte, mb.bandwidthBytesPerCycle));
  const DramConfig &da = a.dram, &db = b.dram;
  EXPECT_EQ(std::tie(da.standard, da.channels, da.ranks, da.chipsPerRank,
                     da.deviceWidth, da.bankGroups, da.banksPerGroup, da.rows,
                     da.columns, da.burstLength, da.pagePolicy,
                     da.addressMapping, da.flatEnergyPJPerBit),
            std::tie(db.standard, db.channels, db.ranks, db.chipsPerRank,
                     db.deviceWidth, db.bankGroups, db.banksPerGroup, db.rows,
                     db.columns, db.burstLength, db.pagePolicy,
                     db.addressMapping, db.flatEnergyPJPerBit));
  const DramTiming &ta = da.timing, &tb = db.timing;
  EXPECT_EQ(std::tie(ta.tCK, ta.CL, ta.CWL, ta.tRCD, ta.tRP, ta.tRAS, ta.tRC,
                     ta.tCCD_S, ta.tCCD_L, ta.tRRD_S, ta.tRRD_L, ta.tFAW,
                     ta.tWR, ta.tWTR_S, ta.tWTR_L, ta.tRTP, ta.tRFC, ta.tREFI),
            std::tie(tb.tCK, tb.CL, tb.CWL, tb.tRCD, tb.tRP, tb.tRAS, tb.tRC,
                     tb.tCCD_S, tb.tCCD_L, tb.tRRD_S, tb.tRRD_L, tb.tFAW,
                     tb.tWR, tb.tWTR_S, tb.tWTR_L, tb.tRTP, tb.tRFC, tb.tREFI));
  const DramPower &pa = da.power, &pb = db.power;
  EXPECT_EQ(std::tie(pa.VDD, pa.IDD0, pa.IDD2N, pa.IDD3N, pa.IDD4R, pa.IDD4W,
                     pa.IDD5AB),
            std::tie(pb.VDD, pb.IDD0, pb.IDD2N, pb.IDD3N, pb.IDD4R, pb.IDD4W,
                     pb.IDD5AB));
  ASSERT_EQ(a.dvfs.size(), b.dvfs.size());
  for (auto [pa2, pb2] : llvm::zip(a.dvfs, b.dvfs))
    EXPECT_EQ(std::tie(pa2.frequencyMHz, pa2.voltage, pa2.staticPowerMW),
              std::tie(pb2.frequencyMHz, pb2.voltage, pb2.staticPowerMW));
  EXPECT_EQ(std::tie(a.power.staticPowerMW, a.power.dfsSwitchUs),
            std::tie(b.power.staticPowerMW, b.power.dfsSwitchUs));
}

/// Every shipped target and the host's description survive the trip into
/// `#romac.target` and back: the YAML written from the attribute parses to
/// the same target, and converting it again gives the same attribute.
TEST_F(TargetAttrTest, DescriptionRoundTrip) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string &name : listTargets(ROMAC_SOURCE_TARGETS_DIR)) {
    llvm::Expected<TargetSource> source =
        readTargetSource(name, ROMAC_SOURCE_TARGETS_DIR);
    ASSERT_TRUE(static_cast<bool>(source))
        << llvm::toString(source.takeError());
    sources.emplace_back(name, source->yaml);
  }
  ASSERT_GE(sources.size(), 4u);
  sources.emplace_back("host", getHostTargetYaml(getHostCpu()));
  for (const auto &[name, yaml] : sources) {
    SCOPED_TRACE(name);
    llvm::Expected<TargetAttr> attr = TargetAttr::getFromYaml(&ctx, name, yaml);
    ASSERT_TRUE(static_cast<bool>(attr)) << llvm::toString(attr.takeError());
    ASSERT_TRUE(attr->getDescription());
    // Numbers are typed, not strings.
    EXPECT_TRUE(isa<IntegerAttr>(
        cast<DictionaryAttr>(attr->getDescription().get("compute"))
            .get("rows")));
    std::string back = attr->getDescriptionYaml();
    llvm::Expected<TargetAttr> again =
        TargetAttr::getFromYaml(&ctx, name, back);
    ASSERT_TRUE(static_cast<bool>(again)) << llvm::toString(again.takeError());
    EXPECT_EQ(*again, *attr);
    llvm::Expected<Target> original = parseTarget(yaml, name + ".yaml");
    llvm::Expected<Target> fromIR = parseTarget(back, name + ".yaml");
    ASSERT_TRUE(static_cast<bool>(original))
        << llvm::toString(original.takeError());
    ASSERT_TRUE(static_cast<bool>(fromIR))
        << llvm::toString(fromIR.takeError()) << "\n"
        << back;
    expectSameTarget(*original, *fromIR);
    // And the attribute prints and parses back to itself.
    std::string printed;
    llvm::raw_string_ostream os(printed);
    os << *attr;
    EXPECT_EQ(parseAttribute(printed, &ctx), *attr) << printed;
  }
}

/// Scalars keep their kind and value; text that only looks like a number
/// (quoted, leading zeros, units) stays text.
TEST_F(TargetAttrTest, DescriptionScalars) {
  llvm::Expected<TargetAttr> attr = TargetAttr::getFromYaml(
      &ctx, "t",
      "a: 42\nb: -7\nc: 0.83\nd: 1e-3\ne: true\nf: 128KiB\ng: \"12\"\n"
      "h: 012\ni: [1, x]\nj: \"q\\\"uote\\nline\"\n");
  ASSERT_TRUE(static_cast<bool>(attr)) << llvm::toString(attr.takeError());
  DictionaryAttr d = attr->getDescription();
  EXPECT_EQ(cast<IntegerAttr>(d.get("a")).getInt(), 42);
  EXPECT_EQ(cast<IntegerAttr>(d.get("b")).getInt(), -7);
  EXPECT_EQ(cast<FloatAttr>(d.get("c")).getValueAsDouble(), 0.83);
  EXPECT_EQ(cast<FloatAttr>(d.get("d")).getValueAsDouble(), 1e-3);
  EXPECT_TRUE(cast<BoolAttr>(d.get("e")).getValue());
  EXPECT_EQ(cast<StringAttr>(d.get("f")).getValue(), "128KiB");
  EXPECT_EQ(cast<StringAttr>(d.get("g")).getValue(), "12");
  EXPECT_EQ(cast<StringAttr>(d.get("h")).getValue(), "012");
  EXPECT_EQ(cast<ArrayAttr>(d.get("i")).size(), 2u);
  EXPECT_EQ(cast<StringAttr>(d.get("j")).getValue(), "q\"uote\nline");
  std::string yaml = attr->getDescriptionYaml();
  EXPECT_NE(yaml.find("\"c\": 0.83,"), std::string::npos) << yaml;
  llvm::Expected<TargetAttr> again = TargetAttr::getFromYaml(&ctx, "t", yaml);
  ASSERT_TRUE(static_cast<bool>(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(*again, *attr);

  for (const char *bad : {"a: [1, 2", "- 1\n- 2\n", "a: 1\na: 2\n"}) {
    llvm::Expected<TargetAttr> e = TargetAttr::getFromYaml(&ctx, "t", bad);
    if (e) {
      ADD_FAILURE() << "accepted: " << bad;
      continue;
    }
    EXPECT_NE(llvm::toString(e.takeError()).find("target 't'"),
              std::string::npos)
        << bad;
  }
}

} // namespace
