//===- TestTargets.h - shipped targets for the DRAM tests -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Loads the shipped targets for tests that also use romac/Analysis/Workload.h
// (which cannot share a translation unit with romac/Target/Target.h: both
// declare romac::Operand), and a small deterministic random generator.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_DRAM_TESTTARGETS_H
#define ROMAC_UNITTESTS_DRAM_TESTTARGETS_H

#include "../Common/RandomWorkloads.h"

#include "romac/Dram/AddressMapping.h"
#include "romac/Dram/DramParams.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace romac::test {

/// The DRAM parameters of shipped target \p name (fails the test when it
/// does not load).
DramParams getTargetParams(llvm::StringRef name);

/// Names of the shipped targets.
std::vector<std::string> getShippedTargets();


} // namespace romac::test

#endif // ROMAC_UNITTESTS_DRAM_TESTTARGETS_H
