//===- RomacAttrsTest.cpp - #romac.target unit tests -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

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

} // namespace
