//===- TestPasses.h - romac's test-only passes -------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_H
#define ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace romac::test {

#define GEN_PASS_DECL
#include "TestPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "TestPasses.h.inc"

} // namespace romac::test

#endif // ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_H
