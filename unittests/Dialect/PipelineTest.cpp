//===- PipelineTest.cpp - romac-compile-pipeline unit tests ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

TEST(CompilePipeline, AttachesTheRequestedTargetAndCanonicalizes) {
  MLIRContext ctx;
  ctx.loadDialect<romac::RomacDialect, func::FuncDialect, arith::ArithDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    func.func @main() -> i32 {
      %a = arith.constant 20 : i32
      %b = arith.constant 22 : i32
      %c = arith.addi %a, %b : i32
      return %c : i32
    })mlir",
                                                             &ctx);
  ASSERT_TRUE(module);

  PassManager pm(&ctx);
  romac::CompilePipelineOptions options;
  options.target = "romanet-ddr3";
  romac::buildCompilePipeline(pm, options);
  ASSERT_TRUE(succeeded(pm.run(*module)));

  auto target = (*module)->getAttrOfType<romac::TargetAttr>(
      romac::RomacDialect::getTargetAttrName());
  ASSERT_TRUE(target);
  EXPECT_EQ(target.getName(), "romanet-ddr3");

  // Canonicalization folded the add into one constant 42.
  auto func = module->lookupSymbol<func::FuncOp>("main");
  ASSERT_TRUE(func);
  int numOps = 0;
  func.walk([&](Operation *) { ++numOps; });
  EXPECT_EQ(numOps, 3); // func, constant, return
  auto constant = *func.getOps<arith::ConstantOp>().begin();
  EXPECT_EQ(cast<IntegerAttr>(constant.getValue()).getInt(), 42);
}

TEST(CompilePipeline, RejectsAnInvalidTargetName) {
  MLIRContext ctx;
  ctx.loadDialect<romac::RomacDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  ctx.getDiagEngine().registerHandler([](Diagnostic &) { return success(); });
  PassManager pm(&ctx);
  romac::CompilePipelineOptions options;
  options.target = "../etc/passwd";
  romac::buildCompilePipeline(pm, options);
  EXPECT_TRUE(failed(pm.run(*module)));
}

} // namespace
