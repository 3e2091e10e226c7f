//===- RomacAttrsTest.cpp - romac attribute unit tests ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Search/Search.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"

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
  for (const char *name :
       {"edge-npu-lpddr4", "romanet-ddr3", "a", "x_1.yaml", "A-B_C.9",
        "targets/my-npu.yaml", "/abs/path.yaml"})
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
  auto bad = TargetAttr::getChecked(
      [&] { return emitError(UnknownLoc::get(&ctx)); }, &ctx, llvm::StringRef("no space"));
  EXPECT_FALSE(bad);
  EXPECT_NE(message.find("'no space'"), std::string::npos) << message;

  auto good = TargetAttr::getChecked(
      [&] { return emitError(UnknownLoc::get(&ctx)); }, &ctx, llvm::StringRef("simba-like"));
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
  for (ReusePolicy p : {ReusePolicy::InputStationary,
                        ReusePolicy::WeightStationary,
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

} // namespace
