//===- Cost.h - energy and latency of a mapped layer ------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The cost of one layer (a `Workload`) on a target under a `Mapping` (the
// DRAM -> SRAM tiles and tile-loop order) and a `SpatialMapping` (which two
// loop dims are unrolled over the rows and columns of the MAC array):
//
//  - MAC energy: MACs x energy per MAC;
//  - SRAM energy: bytes read and written in the buffer that holds each
//    operand x its per-byte energies. Writes are DRAM fills (and partial
//    sums written by the array), reads are operand reads by the array (and
//    write-backs read out for DRAM);
//  - DRAM energy and time from a pluggable `DramCostModel` (flat pJ/bit and
//    peak bandwidth until the row-buffer model replaces it);
//  - cycles: per tile step the larger of compute and DRAM transfer time, with
//    the next tile's transfers overlapping the current tile's compute.
//
// docs/search.md states every formula.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_COSTMODEL_COST_H
#define ROMAC_COSTMODEL_COST_H

#include "romac/Support/EnumTable.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace romac {

struct Workload;
struct Mapping;
struct AccessCounts;
class AccessCountModel;

//===----------------------------------------------------------------------===//
// Operand classes
//===----------------------------------------------------------------------===//

/// The three classes of operands that the target's buffers hold: the
/// target's operand kinds (input, weight, output).
using OperandClass = OperandKind;

/// Number of operand classes.
inline constexpr unsigned kNumOperandClasses = kNumOperands;

/// Returns "input", "weight" or "output".
inline llvm::StringRef stringifyOperandClass(OperandClass cls) {
  return stringifyOperandKind(cls);
}
/// Parses "input", "weight" or "output".
inline std::optional<OperandClass> symbolizeOperandClass(llvm::StringRef name) {
  return symbolizeOperandKind(name);
}

/// The class of operand `operand` of `workload`: an operand called "input",
/// "weight" or "output" has that class; otherwise a read-write operand is an
/// output, the first read operand an input, the second a weight and further
/// read operands inputs again.
OperandClass classifyOperand(const Workload &workload, unsigned operand);

//===----------------------------------------------------------------------===//
// CostTarget
//===----------------------------------------------------------------------===//

/// One on-chip buffer as the cost model sees it.
struct CostMemory {
  std::string name;
  /// Capacity in bytes.
  int64_t capacityBytes = 0;
  /// Bit `1 << unsigned(OperandClass)` for every class the buffer holds.
  uint8_t classMask = 0;
  double readPJPerByte = 0;
  double writePJPerByte = 0;
  double bandwidthBytesPerCycle = 0;

  bool holds(OperandClass cls) const {
    return classMask & (1u << static_cast<unsigned>(cls));
  }
  /// Whether the buffer holds more than one class.
  bool isShared() const;
};

/// The numbers of a `Target` the cost model and the search use, distilled
/// once: array shape, energies, buffers (and which class each holds), DRAM
/// flat energy and peak bandwidth. Tests build one by hand; tools get one
/// from a loaded target with CostTarget::get().
struct CostTarget {
  std::string name;
  std::string description;
  /// MAC array shape and clock.
  int64_t rows = 1;
  int64_t cols = 1;
  double frequencyMHz = 1000;
  double macEnergyPJ = 0;
  /// Bytes per cycle at which every operand tile is copied at each tile step
  /// (0: none; the target's `compute.pack_bytes_per_cycle`).
  double packBytesPerCycle = 0;
  /// Target::activationBuffersPooled.
  bool activationBuffersPooled = false;
  /// The compression compiled with, as flags (Compression::getFlags(); ""
  /// for none), and the constant weights' format (WeightFormat::str()).
  std::string compression;
  std::string weightFormat;
  /// On-chip buffers; every class is held by exactly one of them.
  llvm::SmallVector<CostMemory, 3> memories;
  /// Index into `memories` of the buffer holding each class.
  std::array<unsigned, kNumOperandClasses> memoryOf = {0, 0, 0};
  /// DRAM standard name ("DDR4", ...) for reports.
  std::string dramStandard;
  /// Flat DRAM energy in pJ per bit (the flat DRAM model).
  double dramFlatPJPerBit = 0;
  /// Peak DRAM bandwidth of all channels in GB/s.
  double dramPeakGBps = 0;

  /// Peak DRAM bytes per compute-clock cycle: GB/s x 1000 / MHz.
  double getDramBytesPerCycle() const;
  /// The buffer holding class `cls`.
  const CostMemory &getMemory(OperandClass cls) const {
    return memories[memoryOf[static_cast<unsigned>(cls)]];
  }
  /// Checks positive shape, clock and capacities, non-negative energies and
  /// that every class is held by exactly one buffer.
  llvm::Error verify() const;

  /// Distills a loaded target.
  static CostTarget get(const Target &target);
};

/// Loads a target by name or path (romac::loadTarget) and distills it.
llvm::Expected<CostTarget> loadCostTarget(llvm::StringRef nameOrPath,
                                          llvm::StringRef targetsDir = "");

//===----------------------------------------------------------------------===//
// Spatial mapping and objectives
//===----------------------------------------------------------------------===//

/// Which loop dims are unrolled over the MAC array: `rowDim` over its rows,
/// `colDim` over its columns (indices into `Workload::dims`, unset when an
/// axis unrolls nothing). Inside a tile, a dim with tile extent `e` unrolled
/// over an axis of `A` MACs takes `ceil(e / A)` array steps.
struct SpatialMapping {
  std::optional<unsigned> rowDim;
  std::optional<unsigned> colDim;

  /// Checks that the dims exist and differ.
  llvm::Error verify(const Workload &workload) const;
  /// Prints "rows=K cols=C" ("-" for an unused axis).
  std::string str(const Workload &workload) const;
  bool operator==(const SpatialMapping &other) const {
    return rowDim == other.rowDim && colDim == other.colDim;
  }
};

/// What the search minimises.
enum class Objective : uint8_t {
  /// Total energy (pJ).
  Energy,
  /// Energy x cycles.
  EDP,
  /// Cycles.
  Latency,
  /// DRAM bytes read + written.
  DramAccesses
};

/// The spellings of Objective (the one definition; EnumTable.h).
inline constexpr EnumName<Objective> kObjectiveNames[] = {
    {Objective::Energy, "energy", "total energy (pJ)"},
    {Objective::EDP, "edp", "energy x cycles"},
    {Objective::Latency, "latency", "cycles"},
    {Objective::DramAccesses, "dram-accesses", "DRAM bytes read + written"},
};

/// Returns "energy", "edp", "latency" or "dram-accesses".
inline llvm::StringRef stringifyObjective(Objective objective) {
  return stringifyEnum(kObjectiveNames, objective);
}
/// Parses the spellings of stringifyObjective().
inline std::optional<Objective> symbolizeObjective(llvm::StringRef name) {
  return symbolizeEnum(kObjectiveNames, name);
}

//===----------------------------------------------------------------------===//
// DRAM cost hook
//===----------------------------------------------------------------------===//

/// DRAM traffic of one operand at the DRAM -> SRAM level.
struct DramOperandTraffic {
  int64_t readBytes = 0;
  int64_t writeBytes = 0;
  /// Tile transfers: fetches (read-backs for read-write operands) and
  /// write-backs.
  int64_t readTransfers = 0;
  int64_t writeTransfers = 0;
  /// The largest tile in bytes.
  int64_t tileBytes = 0;
};

/// DRAM traffic of a layer, one entry per workload operand.
struct DramTraffic {
  llvm::SmallVector<DramOperandTraffic, 4> operands;

  int64_t getReadBytes() const;
  int64_t getWriteBytes() const;
};

/// What a DRAM model reports. Statistics it does not model stay unset and
/// are not written to schedules.
struct DramEstimate {
  double energyPJ = 0;
  /// Time to move all the traffic, in compute-clock cycles.
  double cycles = 0;
  /// Named parts of `energyPJ` ("act_pre", "rd_wr", "background",
  /// "refresh"); empty for the flat model.
  llvm::SmallVector<std::pair<std::string, double>, 4> energyBreakdownPJ;
  std::optional<int64_t> bursts;
  std::optional<int64_t> rowHits;
  std::optional<int64_t> rowMisses;
  std::optional<int64_t> rowConflicts;
};

/// A DRAM energy/time model the cost model calls. The search calls
/// estimate() for every candidate, so it must be fast and, for the search
/// to stay exact, non-decreasing in every byte, transfer and tile-size
/// count of the traffic. evaluate() is called once for each chosen mapping
/// and may be detailed (replay the burst stream through a row-buffer model);
/// reports use its result.
class DramCostModel {
public:
  virtual ~DramCostModel();

  /// Name written to schedules ("flat", "row-buffer", ...).
  virtual llvm::StringRef getName() const = 0;

  /// Energy and time of `traffic` for the search.
  virtual DramEstimate estimate(const CostTarget &target,
                                const Workload &workload,
                                const DramTraffic &traffic) const = 0;

  /// Energy, time and statistics of the chosen mapping; estimate() unless
  /// overridden.
  virtual DramEstimate evaluate(const CostTarget &target,
                                const Workload &workload,
                                const Mapping &mapping,
                                const DramTraffic &traffic) const;

  /// A model whose estimate is linear in the bytes (energy per byte read
  /// and written, cycles per byte) returns its rates, so the search
  /// evaluates it inline instead of calling estimate().
  struct LinearRates {
    double readPJPerByte = 0;
    double writePJPerByte = 0;
    double cyclesPerByte = 0;
  };
  virtual std::optional<LinearRates>
  getLinearRates(const CostTarget &target) const;
  /// Rates whose linear estimate of any traffic never exceeds estimate()
  /// or evaluate() of it: the search's bounds. getLinearRates() unless
  /// overridden; std::nullopt when there are none (the bounds then leave
  /// the DRAM out).
  virtual std::optional<LinearRates>
  getLowerBoundRates(const CostTarget &target) const;
};

/// The flat model: `flatPJPerBit` x 8 per byte read or written, and bytes /
/// peak bandwidth for time (Accelergy/Timeloop style).
class FlatDramModel : public DramCostModel {
public:
  llvm::StringRef getName() const override { return "flat"; }
  DramEstimate estimate(const CostTarget &target, const Workload &workload,
                        const DramTraffic &traffic) const override;
  std::optional<LinearRates>
  getLinearRates(const CostTarget &target) const override;
};

/// The process-wide flat model (the default).
const DramCostModel &getFlatDramModel();

//===----------------------------------------------------------------------===//
// Cost
//===----------------------------------------------------------------------===//

/// Options of the cost model (shared by the search).
struct CostOptions {
  /// "double-buffering": every operand reserves two tiles in its buffer.
  /// Traffic and the cycle formula are unchanged (transfers always overlap
  /// compute in the cycle formula); only the capacity check changes.
  bool doubleBuffering = false;
  /// The DRAM model; null means getFlatDramModel().
  const DramCostModel *dramModel = nullptr;

  const DramCostModel &getDramModel() const {
    return dramModel ? *dramModel : getFlatDramModel();
  }
  /// "none" or "double-buffering".
  std::string str() const;
};

/// Integer counts of one operand that determine its cost.
struct OperandCostInputs {
  int64_t dramReadBytes = 0;
  int64_t dramWriteBytes = 0;
  /// Tile visits (changes of the operand's tile index, plus the first).
  int64_t visits = 1;
  /// Distinct tiles of the operand.
  int64_t distinctTiles = 1;
  /// Element reads by the MAC array (updates, for a read-write operand).
  int64_t arrayAccesses = 0;
  /// The largest tile in bytes.
  int64_t tileBytes = 0;
  /// Bytes a CPU kernel packs for the operand per tile step: the product
  /// of the tile sizes of the loop dims that index it. That is the tile for
  /// a matmul, and for a convolution's input its im2col panel (every
  /// window position packed on its own), R x S times the tile.
  int64_t packBytes = 0;
};

/// Integer counts of a mapped layer from which CostModel::evaluate()
/// computes energies and cycles. The search computes them its own (fast)
/// way; CostModel::getInputs() computes them from AccessCounts.
struct CostInputs {
  int64_t macs = 0;
  /// Tile steps: product of the tile counts of all dims.
  int64_t steps = 1;
  /// Array steps summed over all tiles.
  int64_t computeCycles = 0;
  llvm::SmallVector<OperandCostInputs, 4> operands;
};

/// Cost of one operand.
struct OperandCost {
  int64_t dramReadBytes = 0;
  int64_t dramWriteBytes = 0;
  int64_t sramReadBytes = 0;
  int64_t sramWriteBytes = 0;
  int64_t arrayAccesses = 0;
  int64_t tileBytes = 0;
  int64_t visits = 0;
  double sramEnergyPJ = 0;
};

/// The cost of a mapped layer.
struct CostBreakdown {
  int64_t macs = 0;
  double macEnergyPJ = 0;
  double sramEnergyPJ = 0;
  double dramEnergyPJ = 0;
  double totalEnergyPJ = 0;
  /// Total cycles (docs/search.md): per tile step the larger of compute and
  /// DRAM time, the next tile's transfers overlapping the current compute.
  double cycles = 0;
  int64_t computeCycles = 0;
  /// DRAM busy time alone.
  double dramCycles = 0;
  int64_t steps = 1;
  /// MACs / (computeCycles x rows x cols).
  double utilization = 0;
  int64_t dramReadBytes = 0;
  int64_t dramWriteBytes = 0;
  /// One entry per workload operand.
  llvm::SmallVector<OperandCost, 4> operands;
  /// The DRAM model's report (statistics, energy parts).
  DramEstimate dram;
  std::string dramModel;

  int64_t getDramBytes() const { return dramReadBytes + dramWriteBytes; }
  /// The value of `objective`.
  double getObjective(Objective objective) const;
};

/// Energies and cycles alone (what the search compares).
struct CostSummary {
  double energyPJ = 0;
  double cycles = 0;
  int64_t dramBytes = 0;

  double getObjective(Objective objective) const;
};

/// The cost model of one workload on one target. The workload must pass
/// Workload::verify(); the target, workload and DRAM model must outlive the
/// model.
class CostModel {
public:
  CostModel(const CostTarget &target, const Workload &workload,
            CostOptions options = {});
  ~CostModel();
  CostModel(const CostModel &) = delete;
  CostModel &operator=(const CostModel &) = delete;

  const CostTarget &getTarget() const { return target; }
  const Workload &getWorkload() const { return workload; }
  const CostOptions &getOptions() const { return options; }
  /// Class and buffer (index into CostTarget::memories) of each operand.
  OperandClass getOperandClass(unsigned operand) const {
    return classes[operand];
  }
  unsigned getMemoryIndex(unsigned operand) const {
    return memoryIndex[operand];
  }

  /// Array steps of `tileSizes` under `spatial`, summed over all tiles.
  int64_t getComputeCycles(llvm::ArrayRef<int64_t> tileSizes,
                           const SpatialMapping &spatial) const;
  /// Element accesses of operand `operand` by the array (docs/search.md).
  int64_t getArrayAccesses(llvm::ArrayRef<int64_t> tileSizes,
                           const SpatialMapping &spatial,
                           unsigned operand) const;
  /// Energy of the array's operand accesses: sum over operands of
  /// accesses x bytes per element x per-byte SRAM energy (read, or read +
  /// write for a read-write operand). The search ranks spatial mappings by
  /// it; evaluate() adds it as one term.
  double getArrayEnergyPJ(llvm::ArrayRef<int64_t> arrayAccesses) const;
  /// The pJ of one array access per operand: getArrayEnergyPJ() is the sum
  /// of accesses times these, in operand order.
  llvm::ArrayRef<double> getArrayPJPerAccess() const {
    return arrayPJPerAccess;
  }

  /// Counts of `mapping` + `spatial` from the closed-form access counts.
  CostInputs getInputs(const Mapping &mapping, const AccessCounts &counts,
                       const SpatialMapping &spatial) const;

  /// Energies and cycles from the counts (the search's objective).
  CostSummary summarize(const CostInputs &inputs) const;
  /// The full breakdown; the same numbers as summarize(). With `mapping`
  /// the DRAM model's evaluate() supplies the DRAM statistics (its energy
  /// and time replace the estimate in the breakdown).
  CostBreakdown evaluate(const CostInputs &inputs,
                         const Mapping *mapping = nullptr) const;

  /// The cost of `mapping` + `spatial`; both must be valid.
  CostBreakdown compute(const Mapping &mapping,
                        const SpatialMapping &spatial) const;

  /// Bytes each buffer needs for the tiles of `tileSizes` (twice the tiles
  /// with double buffering), indexed like CostTarget::memories.
  llvm::SmallVector<int64_t, 3>
  getBufferBytes(llvm::ArrayRef<int64_t> tileSizes) const;
  /// An error naming the first buffer whose tiles do not fit.
  llvm::Error checkCapacity(llvm::ArrayRef<int64_t> tileSizes) const;

  /// Per-operand DRAM traffic as the DRAM model sees it.
  DramTraffic getDramTraffic(const CostInputs &inputs) const;

  /// Whether the DRAM model is linear in the bytes (getLinearRates()): DRAM
  /// time per byte is then the same for every mapping.
  bool hasLinearDram() const { return linear.has_value(); }

private:
  /// DRAM energy and time of `inputs`: the linear rates when the model has
  /// them, else its estimate() (or evaluate() when `mapping` is given).
  DramEstimate getDram(const CostInputs &inputs, const Mapping *mapping) const;
  /// Energies and cycles from the counts and the DRAM estimate.
  CostSummary combine(const CostInputs &inputs, double dramEnergyPJ,
                      double dramCycles, double &macEnergyPJ,
                      double &sramEnergyPJ) const;

  const CostTarget &target;
  const Workload &workload;
  CostOptions options;
  std::unique_ptr<AccessCountModel> countModel;
  llvm::SmallVector<OperandClass, 4> classes;
  llvm::SmallVector<unsigned, 4> memoryIndex;
  /// pJ per element access by the array, per operand.
  llvm::SmallVector<double, 4> arrayPJPerAccess;
  std::optional<DramCostModel::LinearRates> linear;
  double bytesPerCycle = 0;
};

/// Checks the workload, mapping, spatial mapping and target, then returns
/// the cost (an error when a count overflows).
llvm::Expected<CostBreakdown> computeCost(const CostTarget &target,
                                          const Workload &workload,
                                          const Mapping &mapping,
                                          const SpatialMapping &spatial,
                                          const CostOptions &options = {});

} // namespace romac

#endif // ROMAC_COSTMODEL_COST_H
