//===- NaiveSearch.h - whole-space enumeration for tests --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The ground truth for the search: every tile vector (each tile 1..bound),
// every permutation of the loops, every spatial mapping, each costed with
// the reference path (closed-form access counts -> CostModel). No pruning.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_SEARCH_NAIVESEARCH_H
#define ROMAC_UNITTESTS_SEARCH_NAIVESEARCH_H

#include "romac/Search/Search.h"

#include <array>
#include <cstdint>

namespace romac::test {

/// The objectives and policies the naive enumeration optimises at once.
inline constexpr std::array<Objective, 4> kObjectives = {
    Objective::Energy, Objective::EDP, Objective::Latency,
    Objective::DramAccesses};
inline constexpr std::array<ReusePolicy, 4> kPolicies = {
    ReusePolicy::Adaptive, ReusePolicy::InputStationary,
    ReusePolicy::WeightStationary, ReusePolicy::OutputStationary};

/// The best of one (objective, policy).
struct NaiveBest {
  bool valid = false;
  double objective = 0;
  /// Its energy: for dram-accesses the least among the fewest bytes (the
  /// search's tie-break).
  double energy = 0;
  Mapping mapping;
  SpatialMapping spatial;
};

/// Results indexed [objective][policy] like kObjectives and kPolicies.
struct NaiveResult {
  std::array<std::array<NaiveBest, 4>, 4> best;
  /// (tile vector, order, spatial mapping) combinations costed.
  int64_t evaluations = 0;
};

/// Enumerates the whole space of `workload` on `target`. Loops with bound 1
/// stay outermost (their position cannot matter: they have one tile); every
/// permutation of the others is tried.
NaiveResult naiveSearch(const Workload &workload, const CostTarget &target,
                        const CostOptions &options = {});

/// Number of (tile vector, order) pairs naiveSearch() visits.
double naiveSpaceSize(const Workload &workload);

} // namespace romac::test

#endif // ROMAC_UNITTESTS_SEARCH_NAIVESEARCH_H
