//===- TestTargets.cpp - shipped targets for the DRAM tests -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/Target/Target.h"

#include "gtest/gtest.h"

using namespace romac;

static constexpr const char *kTargetsDir = ROMAC_SOURCE_TARGETS_DIR;

DramParams romac::test::getTargetParams(llvm::StringRef name) {
  llvm::Expected<Target> target = loadTarget(name, kTargetsDir);
  if (!target) {
    ADD_FAILURE() << llvm::toString(target.takeError());
    return DramParams();
  }
  llvm::Expected<DramParams> params = DramParams::get(target->dram);
  if (!params) {
    ADD_FAILURE() << llvm::toString(params.takeError());
    return DramParams();
  }
  return std::move(*params);
}

std::vector<std::string> romac::test::getShippedTargets() {
  return listTargets(kTargetsDir);
}
