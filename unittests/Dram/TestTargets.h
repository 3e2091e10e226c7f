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

/// A small deterministic generator (splitmix64).
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  /// Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool coin() { return next() & 1; }
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

private:
  uint64_t state;
};

} // namespace romac::test

#endif // ROMAC_UNITTESTS_DRAM_TESTTARGETS_H
