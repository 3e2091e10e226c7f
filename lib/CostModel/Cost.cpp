//===- Cost.cpp - energy and latency of a mapped layer ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The cost formulas of docs/search.md. Energies and cycles are computed from
// integer counts (`CostInputs`) by one function, so the search (which
// computes the counts its own, fast way) and the reference path (closed-form
// access counts) produce bit-identical objective values for equal counts.
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Cost.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;

/// a * b for non-negative counts, INT64_MAX when that overflows.
static int64_t mulSaturated(int64_t a, int64_t b) {
  int64_t product;
  return llvm::MulOverflow(a, b, product) ? std::numeric_limits<int64_t>::max()
                                          : product;
}

//===----------------------------------------------------------------------===//
// Operand classes
//===----------------------------------------------------------------------===//

OperandClass romac::classifyOperand(const Workload &workload,
                                    unsigned operand) {
  const auto &op = workload.operands[operand];
  if (std::optional<OperandClass> cls = symbolizeOperandClass(op.name))
    return *cls;
  if (op.role == OperandRole::ReadWrite)
    return OperandClass::Output;
  unsigned readsBefore = 0;
  for (unsigned i = 0; i < operand; ++i)
    if (workload.operands[i].role == OperandRole::Read)
      ++readsBefore;
  return readsBefore == 1 ? OperandClass::Weight : OperandClass::Input;
}

//===----------------------------------------------------------------------===//
// CostTarget
//===----------------------------------------------------------------------===//

bool CostMemory::isShared() const {
  return llvm::popcount(static_cast<unsigned>(classMask)) > 1;
}

double CostTarget::getDramBytesPerCycle() const {
  return frequencyMHz > 0 ? dramPeakGBps * 1000.0 / frequencyMHz : 0;
}

llvm::Error CostTarget::verify() const {
  std::string where = "target '" + name + "'";
  if (rows <= 0 || cols <= 0)
    return makeStringError(where +
                           ": the MAC array must have rows and columns");
  if (!(frequencyMHz > 0))
    return makeStringError(where + ": the clock frequency must be positive");
  if (!(macEnergyPJ >= 0) || !(dramFlatPJPerBit >= 0) || !(dramPeakGBps >= 0))
    return makeStringError(where +
                           ": energies and bandwidths must not be negative");
  if (memories.empty())
    return makeStringError(where + ": no on-chip buffer");
  for (const CostMemory &m : memories) {
    if (m.capacityBytes <= 0)
      return makeStringError(where + ": buffer '" + m.name +
                             "' has no capacity");
    if (!(m.readPJPerByte >= 0) || !(m.writePJPerByte >= 0))
      return makeStringError(where + ": buffer '" + m.name +
                             "' has a negative energy");
  }
  for (unsigned c = 0; c < kNumOperandClasses; ++c) {
    auto cls = static_cast<OperandClass>(c);
    unsigned holders = llvm::count_if(
        memories, [&](const CostMemory &m) { return m.holds(cls); });
    if (holders != 1)
      return makeStringError(where + ": " + llvm::Twine(holders) +
                             " buffers hold the " + stringifyOperandClass(cls) +
                             ", expected exactly one");
    if (memoryOf[c] >= memories.size() || !memories[memoryOf[c]].holds(cls))
      return makeStringError(where +
                             ": memoryOf does not name the buffer of the " +
                             stringifyOperandClass(cls));
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// SpatialMapping, objectives
//===----------------------------------------------------------------------===//

llvm::Error SpatialMapping::verify(const Workload &workload) const {
  for (const std::optional<unsigned> &d : {rowDim, colDim})
    if (d && *d >= workload.dims.size())
      return makeStringError("spatial mapping of '" + workload.name +
                             "' names loop dim #" + llvm::Twine(*d) +
                             " but there are only " +
                             llvm::Twine(workload.dims.size()));
  if (rowDim && colDim && *rowDim == *colDim)
    return makeStringError("spatial mapping of '" + workload.name +
                           "' unrolls dim '" + workload.dims[*rowDim].name +
                           "' over both rows and columns");
  return llvm::Error::success();
}

std::string SpatialMapping::str(const Workload &workload) const {
  auto name = [&](const std::optional<unsigned> &d) -> std::string {
    if (!d)
      return "-";
    return *d < workload.dims.size() ? workload.dims[*d].name
                                     : "#" + std::to_string(*d);
  };
  return "rows=" + name(rowDim) + " cols=" + name(colDim);
}

static double objectiveValue(Objective objective, double energy, double cycles,
                             int64_t dramBytes) {
  switch (objective) {
  case Objective::Energy:
    return energy;
  case Objective::EDP:
    return energy * cycles;
  case Objective::Latency:
    return cycles;
  case Objective::DramAccesses:
    return static_cast<double>(dramBytes);
  }
  llvm_unreachable("unknown objective");
}

double CostBreakdown::getObjective(Objective objective) const {
  return objectiveValue(objective, totalEnergyPJ, cycles, getDramBytes());
}

double CostSummary::getObjective(Objective objective) const {
  return objectiveValue(objective, energyPJ, cycles, dramBytes);
}

std::string CostOptions::str() const {
  return doubleBuffering ? "double-buffering" : "none";
}

//===----------------------------------------------------------------------===//
// DRAM models
//===----------------------------------------------------------------------===//

int64_t DramTraffic::getReadBytes() const {
  int64_t sum = 0;
  for (const DramOperandTraffic &t : operands)
    sum += t.readBytes;
  return sum;
}

int64_t DramTraffic::getWriteBytes() const {
  int64_t sum = 0;
  for (const DramOperandTraffic &t : operands)
    sum += t.writeBytes;
  return sum;
}

DramCostModel::~DramCostModel() = default;

DramEstimate DramCostModel::evaluate(const CostTarget &target,
                                     const Workload &workload, const Mapping &,
                                     const DramTraffic &traffic) const {
  return estimate(target, workload, traffic);
}

std::optional<DramCostModel::LinearRates>
DramCostModel::getLinearRates(const CostTarget &) const {
  return std::nullopt;
}

std::optional<DramCostModel::LinearRates>
DramCostModel::getLowerBoundRates(const CostTarget &target) const {
  return getLinearRates(target);
}

std::optional<DramCostModel::LinearRates>
FlatDramModel::getLinearRates(const CostTarget &target) const {
  LinearRates rates;
  rates.readPJPerByte = target.dramFlatPJPerBit * 8;
  rates.writePJPerByte = target.dramFlatPJPerBit * 8;
  double bytesPerCycle = target.getDramBytesPerCycle();
  rates.cyclesPerByte = bytesPerCycle > 0 ? 1.0 / bytesPerCycle : 0;
  return rates;
}

DramEstimate FlatDramModel::estimate(const CostTarget &target, const Workload &,
                                     const DramTraffic &traffic) const {
  // Exactly the arithmetic CostModel uses with the linear rates.
  LinearRates rates = *getLinearRates(target);
  int64_t reads = traffic.getReadBytes(), writes = traffic.getWriteBytes();
  DramEstimate est;
  est.energyPJ = static_cast<double>(reads) * rates.readPJPerByte +
                 static_cast<double>(writes) * rates.writePJPerByte;
  est.cycles = static_cast<double>(reads + writes) * rates.cyclesPerByte;
  return est;
}

const DramCostModel &romac::getFlatDramModel() {
  static const FlatDramModel model;
  return model;
}

//===----------------------------------------------------------------------===//
// CostModel
//===----------------------------------------------------------------------===//

/// Array steps to cover `extent` iterations over an axis of `axis` MACs.
static int64_t arraySteps(int64_t extent, int64_t axis) {
  return (extent + axis - 1) / axis;
}

/// Array steps of all tiles of a dim with bound `bound` and tile `tile`
/// unrolled over an axis of `axis` MACs.
static int64_t unrolledSteps(int64_t bound, int64_t tile, int64_t axis) {
  int64_t count = (bound + tile - 1) / tile;
  int64_t last = bound - (count - 1) * tile;
  return (count - 1) * arraySteps(tile, axis) + arraySteps(last, axis);
}

CostModel::CostModel(const CostTarget &target, const Workload &workload,
                     CostOptions options)
    : target(target), workload(workload), options(options),
      countModel(std::make_unique<AccessCountModel>(workload)) {
  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    OperandClass cls = classifyOperand(workload, o);
    classes.push_back(cls);
    unsigned mem = target.memoryOf[static_cast<unsigned>(cls)];
    memoryIndex.push_back(mem);
    const CostMemory &m = target.memories[mem];
    double perByte = op.role == OperandRole::ReadWrite
                         ? m.readPJPerByte + m.writePJPerByte
                         : m.readPJPerByte;
    arrayPJPerAccess.push_back(op.getStorageBytesPerElement() * perByte);
  }
  linear = options.getDramModel().getLinearRates(target);
  bytesPerCycle = target.getDramBytesPerCycle();
}

CostModel::~CostModel() = default;

int64_t CostModel::getComputeCycles(ArrayRef<int64_t> tileSizes,
                                    const SpatialMapping &spatial) const {
  int64_t cycles = 1;
  for (auto [d, dim] : llvm::enumerate(workload.dims)) {
    int64_t steps = dim.bound;
    if (spatial.rowDim == d)
      steps = unrolledSteps(dim.bound, tileSizes[d], target.rows);
    else if (spatial.colDim == d)
      steps = unrolledSteps(dim.bound, tileSizes[d], target.cols);
    cycles *= steps;
  }
  return cycles;
}

int64_t CostModel::getArrayAccesses(ArrayRef<int64_t> tileSizes,
                                    const SpatialMapping &spatial,
                                    unsigned operand) const {
  const auto &op = workload.operands[operand];
  int64_t accesses = 1;
  for (auto [d, dim] : llvm::enumerate(workload.dims)) {
    int64_t factor = dim.bound;
    // An operand that does not depend on an unrolled dim is read once per
    // array step and shared (broadcast / reduced) along that axis.
    if (!op.isIndexedBy(d)) {
      if (spatial.rowDim == d)
        factor = unrolledSteps(dim.bound, tileSizes[d], target.rows);
      else if (spatial.colDim == d)
        factor = unrolledSteps(dim.bound, tileSizes[d], target.cols);
    }
    accesses *= factor;
  }
  return accesses;
}

double CostModel::getArrayEnergyPJ(ArrayRef<int64_t> arrayAccesses) const {
  double energy = 0;
  for (auto [accesses, perAccess] :
       llvm::zip_equal(arrayAccesses, arrayPJPerAccess))
    energy += static_cast<double>(accesses) * perAccess;
  return energy;
}

CostInputs CostModel::getInputs(const Mapping &mapping,
                                const AccessCounts &counts,
                                const SpatialMapping &spatial) const {
  CostInputs in;
  in.macs = workload.getIterationCount();
  for (unsigned d = 0; d < workload.dims.size(); ++d)
    in.steps *= mapping.getNumTiles(workload, d);
  in.computeCycles = getComputeCycles(mapping.tileSizes, spatial);
  for (const OperandAccessCounts &c : counts.operands) {
    OperandCostInputs &o = in.operands.emplace_back();
    o.dramReadBytes = c.readBytes;
    o.dramWriteBytes = c.writeBytes;
    o.visits = c.visits;
    o.distinctTiles = c.distinctTiles;
    o.tileBytes = c.tileBytes;
    const Operand &operand = workload.operands[c.operand];
    o.packBytes = operand.bytesPerElement;
    for (unsigned d = 0; d < workload.dims.size(); ++d)
      if (operand.isIndexedBy(d))
        o.packBytes = mulSaturated(o.packBytes, mapping.tileSizes[d]);
    o.arrayAccesses = getArrayAccesses(mapping.tileSizes, spatial, c.operand);
  }
  return in;
}

DramTraffic CostModel::getDramTraffic(const CostInputs &inputs) const {
  DramTraffic traffic;
  for (auto [o, in] : llvm::enumerate(inputs.operands)) {
    DramOperandTraffic &t = traffic.operands.emplace_back();
    t.readBytes = in.dramReadBytes;
    t.writeBytes = in.dramWriteBytes;
    t.tileBytes = in.tileBytes;
    if (workload.operands[o].role == OperandRole::ReadWrite) {
      t.readTransfers = in.visits - in.distinctTiles;
      t.writeTransfers = in.visits;
    } else {
      t.readTransfers = in.visits;
    }
  }
  return traffic;
}

DramEstimate CostModel::getDram(const CostInputs &inputs,
                                const Mapping *mapping) const {
  if (linear && !mapping) {
    int64_t reads = 0, writes = 0;
    for (const OperandCostInputs &o : inputs.operands) {
      reads += o.dramReadBytes;
      writes += o.dramWriteBytes;
    }
    DramEstimate est;
    est.energyPJ = static_cast<double>(reads) * linear->readPJPerByte +
                   static_cast<double>(writes) * linear->writePJPerByte;
    est.cycles = static_cast<double>(reads + writes) * linear->cyclesPerByte;
    return est;
  }
  DramTraffic traffic = getDramTraffic(inputs);
  const DramCostModel &model = options.getDramModel();
  return mapping ? model.evaluate(target, workload, *mapping, traffic)
                 : model.estimate(target, workload, traffic);
}

CostSummary CostModel::combine(const CostInputs &in, double dramEnergyPJ,
                               double dramCycles, double &macEnergyPJ,
                               double &sramEnergyPJ) const {
  // Energy. The array term enters as one addend, so the total is monotone
  // in it (the search ranks spatial mappings by it).
  macEnergyPJ =
      static_cast<double>(in.macs) * target.macEnergyPJ * workload.macFraction;
  double fillEnergy = 0;
  SmallVector<int64_t, 4> accesses;
  int64_t dramBytes = 0;
  for (auto [o, op] : llvm::enumerate(in.operands)) {
    const CostMemory &m = target.memories[memoryIndex[o]];
    // DRAM reads are written into the buffer; write-backs are read out.
    fillEnergy += static_cast<double>(op.dramReadBytes) * m.writePJPerByte +
                  static_cast<double>(op.dramWriteBytes) * m.readPJPerByte;
    accesses.push_back(op.arrayAccesses);
    dramBytes += op.dramReadBytes + op.dramWriteBytes;
  }
  sramEnergyPJ = fillEnergy + getArrayEnergyPJ(accesses);
  // Packing is buffer traffic too: each step reads every operand's packed
  // tile from its buffer and writes the copy the compute units work on.
  if (target.packBytesPerCycle > 0)
    for (auto [o, op] : llvm::enumerate(in.operands)) {
      const CostMemory &m = target.memories[memoryIndex[o]];
      sramEnergyPJ += static_cast<double>(in.steps) *
                      static_cast<double>(op.packBytes) *
                      (m.readPJPerByte + m.writePJPerByte);
    }

  CostSummary summary;
  summary.energyPJ = macEnergyPJ + sramEnergyPJ + dramEnergyPJ;
  summary.dramBytes = dramBytes;

  // Cycles. Tile step i computes for cBar cycles while the transfers for
  // step i + 1 run (fetches of the operands whose tile changes, read-backs
  // and write-backs of the changing output tiles). Each operand's traffic is
  // spread evenly over its visits.
  double steps = static_cast<double>(in.steps);
  double cBar = static_cast<double>(in.computeCycles) / steps;
  // A target whose compute units work on their own copies of the tiles (a
  // CPU kernel call packs its input and weight tiles, a convolution's
  // input as im2col panels, and loads and stores its output tile) moves
  // every operand's packed tile once per step.
  if (target.packBytesPerCycle > 0) {
    double packed = 0;
    for (const OperandCostInputs &op : in.operands)
      packed += static_cast<double>(op.packBytes);
    cBar += packed / target.packBytesPerCycle;
  }
  double perByte =
      dramBytes > 0 ? dramCycles / static_cast<double>(dramBytes) : 0.0;
  double first = 0, lastWrite = 0;
  // (visits, time at each change) per operand that changes at all.
  SmallVector<std::pair<int64_t, double>, 4> changes;
  for (auto [o, op] : llvm::enumerate(in.operands)) {
    double visits = static_cast<double>(op.visits);
    double read = perByte * static_cast<double>(op.dramReadBytes);
    if (workload.operands[o].role == OperandRole::ReadWrite) {
      double write = perByte * static_cast<double>(op.dramWriteBytes) / visits;
      lastWrite += write;
      if (op.visits > 1)
        changes.push_back({op.visits, read / (visits - 1) + write});
    } else {
      double fetch = read / visits;
      first += fetch;
      if (op.visits > 1)
        changes.push_back({op.visits, fetch});
    }
  }
  llvm::sort(changes,
             [](const auto &a, const auto &b) { return a.first < b.first; });
  // Transitions where exactly the operands with visits >= v change: v - prev
  // of them, prev the previous distinct visit count.
  double transitions = 0;
  int64_t prev = 1;
  for (size_t i = 0; i < changes.size(); ++i) {
    int64_t v = changes[i].first;
    if (v == prev)
      continue;
    double transfer = 0;
    for (size_t j = i; j < changes.size(); ++j)
      transfer += changes[j].second;
    transitions += static_cast<double>(v - prev) * std::max(cBar, transfer);
    prev = v;
  }
  transitions += static_cast<double>(in.steps - prev) * cBar;
  summary.cycles = first + transitions + cBar + lastWrite;
  return summary;
}

CostSummary CostModel::summarize(const CostInputs &inputs) const {
  DramEstimate est = getDram(inputs, nullptr);
  double mac, sram;
  return combine(inputs, est.energyPJ, est.cycles, mac, sram);
}

CostBreakdown CostModel::evaluate(const CostInputs &inputs,
                                  const Mapping *mapping) const {
  CostBreakdown b;
  b.dram = getDram(inputs, mapping);
  b.dramModel = options.getDramModel().getName().str();
  CostSummary s = combine(inputs, b.dram.energyPJ, b.dram.cycles, b.macEnergyPJ,
                          b.sramEnergyPJ);
  b.macs = inputs.macs;
  b.dramEnergyPJ = b.dram.energyPJ;
  b.totalEnergyPJ = s.energyPJ;
  b.cycles = s.cycles;
  b.computeCycles = inputs.computeCycles;
  b.dramCycles = b.dram.cycles;
  b.steps = inputs.steps;
  b.utilization = static_cast<double>(inputs.macs) /
                  (static_cast<double>(inputs.computeCycles) *
                   static_cast<double>(target.rows * target.cols));
  for (auto [o, in] : llvm::enumerate(inputs.operands)) {
    const auto &op = workload.operands[o];
    const CostMemory &m = target.memories[memoryIndex[o]];
    OperandCost &c = b.operands.emplace_back();
    c.dramReadBytes = in.dramReadBytes;
    c.dramWriteBytes = in.dramWriteBytes;
    c.arrayAccesses = in.arrayAccesses;
    c.tileBytes = in.tileBytes;
    c.visits = in.visits;
    int64_t arrayBytes = op.getStorageBytes(in.arrayAccesses);
    if (op.role == OperandRole::ReadWrite) {
      c.sramReadBytes = arrayBytes + in.dramWriteBytes;
      c.sramWriteBytes = arrayBytes + in.dramReadBytes;
    } else {
      c.sramReadBytes = arrayBytes;
      c.sramWriteBytes = in.dramReadBytes;
    }
    c.sramEnergyPJ = static_cast<double>(c.sramReadBytes) * m.readPJPerByte +
                     static_cast<double>(c.sramWriteBytes) * m.writePJPerByte;
    b.dramReadBytes += in.dramReadBytes;
    b.dramWriteBytes += in.dramWriteBytes;
  }
  return b;
}

CostBreakdown CostModel::compute(const Mapping &mapping,
                                 const SpatialMapping &spatial) const {
  AccessCounts counts = countModel->compute(mapping);
  return evaluate(getInputs(mapping, counts, spatial), &mapping);
}

SmallVector<int64_t, 3>
CostModel::getBufferBytes(ArrayRef<int64_t> tileSizes) const {
  SmallVector<int64_t, 3> bytes(target.memories.size(), 0);
  for (auto [o, op] : llvm::enumerate(workload.operands)) {
    int64_t tile =
        op.getStorageBytes(countModel->getFootprintElements(tileSizes, o));
    bytes[memoryIndex[o]] += options.doubleBuffering ? 2 * tile : tile;
  }
  return bytes;
}

llvm::Error CostModel::checkCapacity(ArrayRef<int64_t> tileSizes) const {
  SmallVector<int64_t, 3> bytes = getBufferBytes(tileSizes);
  for (auto [m, mem] : llvm::enumerate(target.memories)) {
    if (bytes[m] <= mem.capacityBytes)
      continue;
    std::string names;
    for (auto [o, op] : llvm::enumerate(workload.operands))
      if (memoryIndex[o] == m)
        names += (names.empty() ? "'" : ", '") + op.name + "'";
    return makeStringError(
        "layer '" + workload.name + "': the tiles of " + names + " need " +
        llvm::Twine(bytes[m]) + " bytes" +
        (options.doubleBuffering ? " (double-buffered)" : "") +
        " but buffer '" + mem.name + "' holds " +
        llvm::Twine(mem.capacityBytes));
  }
  return llvm::Error::success();
}

llvm::Expected<CostBreakdown> romac::computeCost(const CostTarget &target,
                                                 const Workload &workload,
                                                 const Mapping &mapping,
                                                 const SpatialMapping &spatial,
                                                 const CostOptions &options) {
  if (llvm::Error err = target.verify())
    return std::move(err);
  if (llvm::Error err = workload.verify())
    return std::move(err);
  if (llvm::Error err = mapping.verify(workload))
    return std::move(err);
  if (llvm::Error err = spatial.verify(workload))
    return std::move(err);
  llvm::Expected<AccessCounts> counts =
      computeAccessCountsChecked(workload, mapping);
  if (!counts)
    return counts.takeError();
  CostModel model(target, workload, options);
  return model.evaluate(model.getInputs(mapping, *counts, spatial), &mapping);
}
