//===- Search.h - exact per-layer mapping search ----------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// For every layer, choose the DRAM -> SRAM tile sizes, the tile-loop order
// (the reuse scheme) and the spatial unrolling over the MAC array that
// minimise an objective under the target's buffer capacities. The search is
// exhaustive over a pruned space and exact: every pruning rule keeps at least
// one optimum (docs/search.md proves each), and a unit test compares it with
// a naive enumeration of the whole space. Identical workloads are searched
// once, both cores are used, and the result does not depend on the thread
// schedule (ties are broken by a total order on mappings).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SEARCH_SEARCH_H
#define ROMAC_SEARCH_SEARCH_H

#include "romac/CostModel/Cost.h"
#include "romac/CostModel/Mapping.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
class ThreadPoolInterface;
} // namespace llvm

namespace romac {

struct Target;

/// Which tile-loop orders the search may choose.
enum class ReusePolicy : uint8_t {
  /// The best order for each layer.
  Adaptive,
  /// ROMANet's fixed schemes: the operands of that class are fetched once
  /// per tile (every loop they do not depend on runs inside all loops they
  /// depend on), with the best tiles under that constraint.
  InputStationary,
  WeightStationary,
  OutputStationary
};

/// The spellings of ReusePolicy (the one definition; EnumTable.h).
inline constexpr EnumName<ReusePolicy> kReusePolicyNames[] = {
    {ReusePolicy::Adaptive, "adaptive", "the best loop order for each layer"},
    {ReusePolicy::InputStationary, "input-stationary",
     "every input tile fetched once"},
    {ReusePolicy::WeightStationary, "weight-stationary",
     "every weight tile fetched once"},
    {ReusePolicy::OutputStationary, "output-stationary",
     "every output tile written once"},
};

/// Returns "adaptive", "input-stationary", "weight-stationary" or
/// "output-stationary".
inline llvm::StringRef stringifyReusePolicy(ReusePolicy policy) {
  return stringifyEnum(kReusePolicyNames, policy);
}
/// Parses the spellings of stringifyReusePolicy().
inline std::optional<ReusePolicy> symbolizeReusePolicy(llvm::StringRef name) {
  return symbolizeEnum(kReusePolicyNames, name);
}
/// The operand class a fixed scheme keeps stationary; none for Adaptive.
std::optional<OperandClass> getStationaryClass(ReusePolicy policy);

/// Deliberately unsound pruning, for tests that check that the naive
/// comparison catches a wrong search. Never use it otherwise.
enum class SearchDebugMode : uint8_t {
  None,
  /// Only tile sizes that divide the bound.
  DivisorTilesOnly,
  /// Only the smallest tile of each tile count (no extra candidates for
  /// array utilisation or clipped windows).
  SmallestTilePerCount
};

/// Options of the search.
struct SearchOptions {
  Objective objective = Objective::Energy;
  ReusePolicy policy = ReusePolicy::Adaptive;
  CostOptions cost;
  /// The threads the search runs on (Support/Parallel.h): a pass gives
  /// its MLIRContext's pool, the driver the pool of `--threads`; null
  /// searches inline on the calling thread. The result does not depend on
  /// it.
  llvm::ThreadPoolInterface *threadPool = nullptr;
  /// Called once per distinct layer whose enumeration is done, with the
  /// number of distinct layers, from the thread that finished it (so it
  /// must be thread-safe); for progress reports. Optional.
  std::function<void(size_t numDistinct)> onLayerSearched;
  SearchDebugMode debugMode = SearchDebugMode::None;
};

/// How much work one layer's search did.
struct SearchStats {
  /// Tile vectors that fit the buffers and were evaluated.
  int64_t tileVectors = 0;
  /// Cost evaluations (tile vector x order x spatial mapping).
  int64_t evaluations = 0;
  /// Tile candidates per unit (dims that are searched jointly), multiplied:
  /// the size of the pruned tile space before capacity pruning.
  double candidateSpace = 0;
  /// Size of the whole tile space (product of the bounds).
  double fullSpace = 0;
  /// False when a safety limit replaced a joint enumeration by a heuristic
  /// subset (docs/search.md); the result may then be sub-optimal.
  bool exhaustive = true;
};

/// The mapping chosen for one layer and its cost.
struct LayerResult {
  Mapping mapping;
  SpatialMapping spatial;
  /// The reuse scheme: the policy's name for a fixed scheme; for adaptive
  /// the classes whose operands are fetched once per tile
  /// ("weight-stationary", "input+output-stationary"), or "mixed".
  std::string reuse;
  /// The cost of the mapping (CostModel::compute()).
  CostBreakdown cost;
  /// The value the search minimised.
  double objective = 0;
  SearchStats stats;
};

/// Searches one workload, which must pass Workload::verify(). Fails when no
/// tiling fits the buffers (naming the layer, the operands, the buffer and
/// the smallest footprint) or when the target is invalid.
llvm::Expected<LayerResult> searchLayer(const Workload &workload,
                                        const CostTarget &target,
                                        const SearchOptions &options = {});

/// Searches every workload; identical ones (Workload::getCanonicalKey())
/// are searched once. Results are in the order of `workloads`. The first
/// failing layer (in that order) is the error.
llvm::Expected<std::vector<LayerResult>>
searchLayers(llvm::ArrayRef<Workload> workloads, const CostTarget &target,
             const SearchOptions &options = {});

/// Convenience overloads that distill a loaded target.
llvm::Expected<LayerResult> searchLayer(const Workload &workload,
                                        const Target &target,
                                        const SearchOptions &options = {});
llvm::Expected<std::vector<LayerResult>>
searchLayers(llvm::ArrayRef<Workload> workloads, const Target &target,
             const SearchOptions &options = {});

/// The reuse label of `mapping` (see LayerResult::reuse for adaptive).
std::string describeReuse(const Workload &workload, const Mapping &mapping);
/// Whether `mapping` keeps the class of `policy` stationary (always true
/// for Adaptive).
bool satisfiesPolicy(const Workload &workload, const Mapping &mapping,
                     ReusePolicy policy);

/// Every spatial mapping the search considers for `workload`: no unrolling,
/// and every dim with a bound above 1 on rows, on columns, or on both axes
/// with another such dim.
std::vector<SpatialMapping> enumerateSpatialMappings(const Workload &workload);

//===----------------------------------------------------------------------===//
// Baselines: fixed reuse schemes against adaptive
//===----------------------------------------------------------------------===//

/// The policies of a baseline comparison, in table order.
inline constexpr std::array<ReusePolicy, 4> kBaselinePolicies = {
    ReusePolicy::InputStationary, ReusePolicy::WeightStationary,
    ReusePolicy::OutputStationary, ReusePolicy::Adaptive};

/// One layer of a baseline comparison, indexed like kBaselinePolicies.
struct BaselineRow {
  std::string layer;
  OpKind op = OpKind::Generic;
  int64_t macs = 0;
  std::array<int64_t, 4> dramBytes = {0, 0, 0, 0};
  std::array<double, 4> energyPJ = {0, 0, 0, 0};
  std::array<double, 4> cycles = {0, 0, 0, 0};
};

/// Searches every workload under each fixed scheme and adaptively (with
/// `options`' objective; ROMANet's comparison uses
/// Objective::DramAccesses) and returns the DRAM traffic, energy and cycles
/// of each.
llvm::Expected<std::vector<BaselineRow>>
compareReuseSchemes(llvm::ArrayRef<Workload> workloads,
                    const CostTarget &target, SearchOptions options = {});

/// Prints one line per layer (DRAM bytes of each scheme, adaptive's saving
/// against the best fixed scheme) and a totals line.
void printBaselineTable(llvm::raw_ostream &os,
                        llvm::ArrayRef<BaselineRow> rows);

} // namespace romac

#endif // ROMAC_SEARCH_SEARCH_H
