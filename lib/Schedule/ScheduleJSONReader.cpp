//===- ScheduleJSONReader.cpp - reading schedule files ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The validating reader of docs/schedule-format.md, on llvm::json. Each part
// of the format has a fromJSON() that reads it with json::ObjectMapper; the
// parts that need what was read before them (a fused group needs the layer
// count, a layer the target and the earlier layers) have a read*() function
// of the same shape that also takes that context. Every problem is reported
// on its json::Path; the first one ends the read and becomes the one-line
// error `FILE: error: JSON.PATH: PROBLEM`. This file reads the schedule
// around its layers; ScheduleJSONLayerReader.cpp reads a layer.
//
//===----------------------------------------------------------------------===//

#include "ScheduleJSONRead.h"

#include "romac/Dram/Fusion.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

using namespace romac;
using namespace romac::detail;
namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::StringLiteral;
using llvm::StringRef;
using llvm::Twine;

//===----------------------------------------------------------------------===//
// Problems and their paths
//===----------------------------------------------------------------------===//

namespace {

/// json::Path::report() keeps a string literal. A problem worded at run time
/// is reported as kWordedProblem and its text kept in wordedProblem (one
/// read at a time per thread) until parseSchedule() renders the error.
constexpr StringLiteral kWordedProblem = "(worded problem)";
thread_local std::string wordedProblem;

/// The error `FILE: error: PATH: PROBLEM` of a failed read. Root::getError()
/// says "PROBLEM at (root).PATH" ("PROBLEM" for the root itself), and
/// llvm::json's own problems in its words ("expected string", "missing
/// value"), which become the schedule reader's.
llvm::Error renderError(const json::Path::Root &root, StringRef fileName) {
  std::string text = llvm::toString(root.getError());
  StringRef problem = text, path;
  constexpr StringLiteral kAt = " at (root)";
  if (size_t at = problem.find(kAt); at != StringRef::npos) {
    path = problem.substr(at + kAt.size());
    path.consume_front(".");
    problem = problem.take_front(at);
  }
  std::string words = problem == kWordedProblem
                          ? std::move(wordedProblem)
                          : llvm::StringSwitch<std::string>(problem)
                                .Case("expected object", "expected an object")
                                .Case("expected array", "expected an array")
                                .Case("expected string", "expected a string")
                                .Case("expected integer", "expected an integer")
                                .Case("expected number", "expected a number")
                                .Case("expected boolean", "expected a boolean")
                                .Case("missing value", "missing")
                                .Default(problem.str());
  wordedProblem.clear();
  if (path.empty())
    return makeStringError(fileName + ": error: " + words);
  return makeStringError(fileName + ": error: " + path + ": " + words);
}

/// A required string member that must be `yes` or `no`; `out` is whether
/// it is `yes`.
bool mapChoice(json::ObjectMapper &m, json::Path path, StringLiteral key,
               StringRef yes, StringRef no, bool &out) {
  std::string v;
  if (!m.map(key, v))
    return false;
  if (v != yes && v != no)
    return fail(path.field(key), "expected \"" + yes + "\" or \"" + no +
                                     "\", got \"" + v + "\"");
  out = v == yes;
  return true;
}

} // namespace

bool detail::fail(json::Path path, const Twine &problem) {
  wordedProblem = problem.str();
  path.report(kWordedProblem);
  return false;
}

const json::Value *detail::getMember(const json::Object &obj, json::Path path,
                                     StringRef key) {
  const json::Value *v = obj.get(key);
  if (!v)
    fail(path.field(key), "missing");
  return v;
}

const json::Object *detail::getObject(const json::Object &obj, json::Path path,
                                      StringRef key) {
  const json::Value *v = getMember(obj, path, key);
  if (!v)
    return nullptr;
  const json::Object *o = v->getAsObject();
  if (!o)
    fail(path.field(key), "expected an object");
  return o;
}
const json::Array *detail::getArray(const json::Object &obj, json::Path path,
                                    StringRef key) {
  const json::Value *v = getMember(obj, path, key);
  if (!v)
    return nullptr;
  const json::Array *a = v->getAsArray();
  if (!a)
    fail(path.field(key), "expected an array");
  return a;
}

bool detail::mapOptional(const json::Object &obj, json::Path path,
                         StringLiteral key, std::optional<int64_t> &out) {
  out.reset();
  const json::Value *v = obj.get(key);
  return !v || fromJSON(*v, out.emplace(), path.field(key));
}

bool detail::mapNonNegative(json::ObjectMapper &m, json::Path path,
                            StringLiteral key, int64_t &out) {
  if (!m.map(key, out))
    return false;
  if (out < 0)
    return fail(path.field(key), "must not be negative");
  return true;
}
bool detail::mapNonNegative(json::ObjectMapper &m, json::Path path,
                            StringLiteral key, double &out) {
  if (!m.map(key, out))
    return false;
  if (!(out >= 0) || !std::isfinite(out))
    return fail(path.field(key), "must be a finite non-negative number");
  return true;
}

bool detail::nearlyEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-6 + 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

//===----------------------------------------------------------------------===//
// Target and search
//===----------------------------------------------------------------------===//

// The fromJSON() overloads live in namespace romac (internal linkage), where
// argument-dependent lookup from json::ObjectMapper finds them.
namespace romac {

static bool fromJSON(const json::Value &v, CostMemory &mem, json::Path path) {
  json::ObjectMapper m(v, path);
  if (!m || !m.map("name", mem.name) || !m.map("bytes", mem.capacityBytes))
    return false;
  if (mem.capacityBytes <= 0)
    return fail(path.field("bytes"), "must be positive");
  const json::Array *holds = getArray(*v.getAsObject(), path, "holds");
  if (!holds)
    return false;
  for (auto [k, h] : llvm::enumerate(*holds)) {
    std::optional<StringRef> s = h.getAsString();
    std::optional<OperandClass> cls =
        s ? symbolizeOperandClass(*s) : std::nullopt;
    if (!cls)
      return fail(path.field("holds").index(k),
                  "expected \"input\", \"weight\" or \"output\"");
    mem.classMask |= 1u << static_cast<unsigned>(*cls);
  }
  // Absent energies and bandwidth are 0.
  mem.readPJPerByte = mem.writePJPerByte = mem.bandwidthBytesPerCycle = 0;
  return m.mapOptional("read_energy_pj_per_byte", mem.readPJPerByte) &&
         m.mapOptional("write_energy_pj_per_byte", mem.writePJPerByte) &&
         m.mapOptional("bandwidth_bytes_per_cycle", mem.bandwidthBytesPerCycle);
}

static bool fromJSON(const json::Value &v, CostTarget &t, json::Path path) {
  json::ObjectMapper m(v, path);
  t.description.clear();
  t.activationBuffersPooled = false;
  if (!m || !m.map("name", t.name) ||
      !m.mapOptional("description", t.description) ||
      !m.mapOptional("activation_buffers_pooled", t.activationBuffersPooled))
    return false;
  t.compression.clear();
  t.weightFormat.clear();
  if (const json::Value *c = v.getAsObject()->get("compression")) {
    json::ObjectMapper cm(*c, path.field("compression"));
    if (!cm || !cm.map("flags", t.compression) ||
        !cm.map("weight_format", t.weightFormat))
      return false;
  }
  // The rest is optional: a schedule may name its target only.
  const json::Object &obj = *v.getAsObject();
  if (const json::Value *array = obj.get("array")) {
    json::ObjectMapper am(*array, path.field("array"));
    if (!am || !am.map("rows", t.rows) || !am.map("cols", t.cols) ||
        !am.map("frequency_mhz", t.frequencyMHz) ||
        !am.map("mac_energy_pj", t.macEnergyPJ) ||
        !am.mapOptional("pack_bytes_per_cycle", t.packBytesPerCycle))
      return false;
  }
  std::vector<CostMemory> memories;
  if (!m.mapOptional("memories", memories))
    return false;
  for (auto [i, mem] : llvm::enumerate(memories)) {
    for (unsigned c = 0; c < kNumOperandClasses; ++c)
      if (mem.holds(static_cast<OperandClass>(c)))
        t.memoryOf[c] = static_cast<unsigned>(i);
    t.memories.push_back(std::move(mem));
  }
  if (const json::Value *dram = obj.get("dram")) {
    // Absent members are empty or 0.
    t.dramStandard.clear();
    t.dramFlatPJPerBit = t.dramPeakGBps = 0;
    json::ObjectMapper dm(*dram, path.field("dram"));
    if (!dm || !dm.mapOptional("standard", t.dramStandard) ||
        !dm.mapOptional("flat_energy_pj_per_bit", t.dramFlatPJPerBit) ||
        !dm.mapOptional("peak_gbps", t.dramPeakGBps))
      return false;
  }
  if (!t.memories.empty())
    if (llvm::Error err = t.verify())
      return fail(path, llvm::toString(std::move(err)));
  return true;
}

static bool fromJSON(const json::Value &v, ScheduleSearchInfo &info,
                     json::Path path) {
  json::ObjectMapper m(v, path);
  if (!m || !m.map("objective", info.objective) ||
      !m.map("policy", info.policy) || !m.map("refinements", info.refinements))
    return false;
  if (!symbolizeObjective(info.objective))
    return fail(path.field("objective"),
                "unknown objective '" + info.objective + "'");
  if (!symbolizeReusePolicy(info.policy))
    return fail(path.field("policy"), "unknown policy '" + info.policy + "'");
  if (info.refinements != "none" && info.refinements != "double-buffering")
    return fail(path.field("refinements"),
                "expected \"none\" or \"double-buffering\"");
  info.dramObjective.clear();
  if (!m.mapOptional("dram_objective", info.dramObjective))
    return false;
  if (!info.dramObjective.empty() &&
      !symbolizeDramObjective(info.dramObjective))
    return fail(path.field("dram_objective"),
                "unknown DRAM objective '" + info.dramObjective + "'");
  return true;
}

} // namespace romac

//===----------------------------------------------------------------------===//
// Totals and fusion
//===----------------------------------------------------------------------===//

namespace {

/// Checks the sums of `totals` (at `path`: macs, energies, cycles) against
/// `t`, the layers' sums; reals to a relative 1e-9.
bool checkTotals(const json::Object &totals, json::Path path,
                 const ScheduleTotals &t) {
  auto check = [&](json::Path at, const json::Value *x, double expected,
                   bool integer) {
    if (!x)
      return fail(at, "missing");
    double v;
    if (integer) {
      int64_t n;
      if (!fromJSON(*x, n, at))
        return false;
      v = static_cast<double>(n);
    } else if (!fromJSON(*x, v, at)) {
      return false;
    }
    if (std::abs(v - expected) > 1e-9 * std::abs(expected) + 1e-6)
      return fail(at, "is " + llvm::formatv("{0}", v).str() +
                          " but the layers add up to " +
                          llvm::formatv("{0}", expected).str());
    return true;
  };
  const json::Object *energy = totals.getObject("energy_pj");
  json::Path e = path.field("energy_pj");
  return check(path.field("macs"), totals.get("macs"),
               static_cast<double>(t.macs), true) &&
         check(e.field("mac"), energy->get("mac"), t.macEnergyPJ, false) &&
         check(e.field("sram"), energy->get("sram"), t.sramEnergyPJ, false) &&
         check(e.field("dram"), energy->get("dram"), t.dramEnergyPJ, false) &&
         check(e.field("total"), energy->get("total"), t.totalEnergyPJ,
               false) &&
         check(path.field("compute_cycles"), totals.get("compute_cycles"),
               static_cast<double>(t.computeCycles), true) &&
         check(path.field("cycles"), totals.get("cycles"), t.cycles, false);
}

/// Checks the DRAM sums of `totals` (at `path`) against `t`, the layers'
/// sums.
bool checkDramTotals(const json::Object &totals, json::Path path,
                     const ScheduleTotals &t) {
  const json::Value *v = totals.get("dram");
  if (!v)
    return true;
  json::Path dramPath = path.field("dram");
  const json::Object *dram = v->getAsObject();
  if (!dram)
    return fail(dramPath, "expected an object");
  auto checkInt = [&](StringRef key, std::optional<int64_t> expected) {
    const json::Value *x = dram->get(key);
    if (!x && !expected)
      return true;
    if (!x)
      return fail(dramPath.field(key), "missing (every layer states it)");
    if (!expected)
      return fail(dramPath.field(key), "not every layer states it");
    int64_t n;
    if (!fromJSON(*x, n, dramPath.field(key)))
      return false;
    if (n != *expected)
      return fail(dramPath.field(key), "is " + Twine(n) +
                                           " but the layers add up to " +
                                           Twine(*expected));
    return true;
  };
  // Optional (schedules before it lack it); when present it must add up.
  if (dram->get("lower_bound_bytes") &&
      !checkInt("lower_bound_bytes", t.dramLowerBoundBytes))
    return false;
  for (auto [key, value] : {std::pair{StringRef("bursts"), t.bursts},
                            {StringRef("row_hits"), t.rowHits},
                            {StringRef("row_misses"), t.rowMisses},
                            {StringRef("row_conflicts"), t.rowConflicts},
                            {StringRef("activates"), t.activates}})
    if (!checkInt(key, value))
      return false;
  if (!checkInt("relayouts",
                t.relayouts ? std::optional(t.relayouts) : std::nullopt))
    return false;
  json::Path partsPath = dramPath.field("energy_pj");
  const json::Value *parts = dram->get("energy_pj");
  const json::Object *obj = parts ? parts->getAsObject() : nullptr;
  if (parts && !obj)
    return fail(partsPath, "expected an object");
  if (bool(obj) != !t.dramEnergyBreakdownPJ.empty())
    return fail(partsPath,
                obj ? "not every layer states its DRAM energy by kind"
                    : "missing (every layer states it)");
  if (!obj)
    return true;
  if (obj->size() != t.dramEnergyBreakdownPJ.size())
    return fail(partsPath, "names other kinds than the layers");
  for (const auto &[name, sum] : t.dramEnergyBreakdownPJ) {
    // The layers' kinds are known ones: the path keeps the static spelling.
    StringRef kind = *llvm::find(kDramEnergyKinds, name);
    const json::Value *e = getMember(*obj, partsPath, kind);
    double pj;
    if (!e || !fromJSON(*e, pj, partsPath.field(kind)))
      return false;
    if (!nearlyEqual(pj, sum))
      return fail(partsPath.field(kind), "is " + formatScheduleReal(pj) +
                                             " but the layers add up to " +
                                             formatScheduleReal(sum));
  }
  return true;
}

/// The first layer, last layer, band schedule and layout of fused group `g`
/// (at `path`) of `s`, whose layers are read.
bool readGroupSchedule(json::ObjectMapper &m, json::Path path,
                       const Schedule &s, ScheduleGroup &g) {
  int64_t n = static_cast<int64_t>(s.layers.size()), first, last;
  if (!m.map("first", first))
    return false;
  if (first < 0 || first >= n)
    return fail(path.field("first"), "is " + Twine(first) +
                                         ", not a layer (the schedule has " +
                                         Twine(n) + ")");
  if (!m.map("last", last))
    return false;
  if (last <= first || last >= n)
    return fail(path.field("last"),
                "is " + Twine(last) + ", expected a layer after first (" +
                    Twine(first) + ") and below " + Twine(n));
  g.first = static_cast<unsigned>(first);
  g.last = static_cast<unsigned>(last);
  auto checkName = [&](StringLiteral key, unsigned i) {
    std::string name;
    if (!m.map(key, name))
      return false;
    const std::string &actual = s.layers[i].workload.name;
    if (name != actual)
      return fail(path.field(key), "is '" + name + "' but layers[" + Twine(i) +
                                       "] is '" + actual + "'");
    return true;
  };
  auto atLeastOne = [&](StringLiteral key, int64_t &out) {
    if (!m.map(key, out))
      return false;
    return out >= 1 || fail(path.field(key), "must be at least 1");
  };
  if (!checkName("first_layer", g.first) || !checkName("last_layer", g.last) ||
      !atLeastOne("band_rows", g.bandRows) || !atLeastOne("bands", g.bands) ||
      !mapChoice(m, path, "weights", stringifyGroupWeights(true),
                 stringifyGroupWeights(false), g.weightsResident) ||
      !mapChoice(m, path, "layout", stringifyGroupLayout(true),
                 stringifyGroupLayout(false), g.rowsOutermost))
    return false;
  StringRef layout = stringifyGroupLayout(g.rowsOutermost);
  std::string inputLayout;
  if (!m.mapOptional("input_layout", inputLayout))
    return false;
  if (!inputLayout.empty() && inputLayout != "producer" &&
      inputLayout != layout)
    return fail(path.field("input_layout"),
                "expected \"producer\" or the group's layout \"" + layout +
                    "\", got \"" + inputLayout + "\"");
  g.producerInput = inputLayout == "producer";
  return true;
}

/// Fused group `g` (at `path`, read) must run as its band schedule says:
/// its layers chain as row bands; band after band every layer produces its
/// next rows, so that each output row of each layer is produced once; a
/// layer's input rows (its halo included) were produced by the layer before
/// it by then; the on-chip bytes the schedule holds are the ones stated and
/// fit the target's buffers.
bool checkGroupRuns(json::Path path, const Schedule &s,
                    const ScheduleGroup &g) {
  llvm::SmallVector<RowBandLayer, 8> chain;
  for (unsigned i = g.first; i <= g.last; ++i) {
    llvm::Expected<RowBandLayer> l = getRowBandLayer(s.layers[i].workload);
    if (!l)
      return fail(
          path,
          "layer " + Twine(i) + " ('" + s.layers[i].workload.name +
              "') cannot run in row bands: " + llvm::toString(l.takeError()));
    chain.push_back(*l);
  }
  if (llvm::Error e = verifyRowBandChain(chain))
    return fail(path,
                "its layers do not chain: " + llvm::toString(std::move(e)));
  int64_t rows = chain.back().outputRows;
  int64_t bands = (rows + g.bandRows - 1) / g.bandRows;
  if (g.bands != bands)
    return fail(path.field("bands"),
                "is " + Twine(g.bands) + " but " + Twine(rows) +
                    " output rows in bands of " + Twine(g.bandRows) + " are " +
                    Twine(bands));
  // Produced rows per layer so far; a step must continue where the layer
  // stopped and read only rows its producer has made.
  llvm::SmallVector<int64_t, 8> produced(chain.size(), 0);
  std::string problem;
  forEachRowBandStep(chain, g.bandRows, [&](const RowBandStep &step) {
    if (!problem.empty() || step.isEmpty())
      return;
    unsigned k = step.position;
    if (step.outLo != produced[k])
      problem = "layer " + std::to_string(g.first + k) +
                " produces rows from " + std::to_string(step.outLo) +
                " in band " + std::to_string(step.band) + " but had made " +
                std::to_string(produced[k]);
    else if (k > 0 && step.inHi > produced[k - 1])
      problem = "layer " + std::to_string(g.first + k) + " needs rows up to " +
                std::to_string(step.inHi) + " in band " +
                std::to_string(step.band) + " but its producer made " +
                std::to_string(produced[k - 1]);
    produced[k] = step.outHi;
  });
  for (auto [k, l] : llvm::enumerate(chain))
    if (problem.empty() && produced[k] != l.outputRows)
      problem = "layer " + std::to_string(g.first + k) + " produced " +
                std::to_string(produced[k]) + " of its " +
                std::to_string(l.outputRows) + " rows";
  if (!problem.empty())
    return fail(path, "the band schedule does not run: " + problem);
  RowBandCounts counts = computeRowBandCounts(
      chain, RowBandSchedule{g.bandRows, g.weightsResident});
  json::Path onChip = path.field("on_chip_bytes");
  if (counts.peakActivationBytes != g.peakActivationBytes)
    return fail(onChip.field("activations"),
                "is " + Twine(g.peakActivationBytes) +
                    " but the band schedule holds " +
                    Twine(counts.peakActivationBytes));
  if (counts.weightBufferBytes != g.weightBufferBytes)
    return fail(onChip.field("weights"), "is " + Twine(g.weightBufferBytes) +
                                             " but the band schedule holds " +
                                             Twine(counts.weightBufferBytes));
  if (!s.target.memories.empty() &&
      !RowBandCapacity::get(s.target).fits(counts))
    return fail(onChip, Twine(counts.peakActivationBytes) + " activation and " +
                            Twine(counts.weightBufferBytes) +
                            " weight bytes do not fit the target's buffers");
  return true;
}

/// Fused group `g` (at `path`) of `s`, whose layers are read.
bool readGroup(const json::Value &v, json::Path path, const Schedule &s,
               ScheduleGroup &g) {
  json::ObjectMapper m(v, path);
  if (!m || !readGroupSchedule(m, path, s, g))
    return false;
  const json::Object &obj = *v.getAsObject();
  const json::Value *bytes = getMember(obj, path, "bytes");
  if (!bytes)
    return false;
  json::Path bytesPath = path.field("bytes");
  json::ObjectMapper bm(*bytes, bytesPath);
  if (!bm || !mapNonNegative(bm, bytesPath, "input_read", g.inputReadBytes) ||
      !mapNonNegative(bm, bytesPath, "weight_read", g.weightReadBytes) ||
      !mapNonNegative(bm, bytesPath, "output_write", g.outputWriteBytes) ||
      !mapNonNegative(bm, bytesPath, "saved", g.savedBytes))
    return false;
  const json::Value *onChip = getMember(obj, path, "on_chip_bytes");
  if (!onChip)
    return false;
  json::Path onChipPath = path.field("on_chip_bytes");
  json::ObjectMapper om(*onChip, onChipPath);
  if (!om ||
      !mapNonNegative(om, onChipPath, "activations", g.peakActivationBytes) ||
      !mapNonNegative(om, onChipPath, "weights", g.weightBufferBytes))
    return false;
  const json::Value *dram = getMember(obj, path, "dram");
  if (!dram)
    return false;
  json::Path dramPath = path.field("dram");
  json::ObjectMapper dm(*dram, dramPath);
  if (!dm || !mapNonNegative(dm, dramPath, "energy_pj", g.dramEnergyPJ) ||
      !mapNonNegative(dm, dramPath, "relayout_energy_pj", g.relayoutEnergyPJ) ||
      !mapNonNegative(dm, dramPath, "cycles", g.dramCycles) ||
      !mapNonNegative(dm, dramPath, "bursts", g.bursts) ||
      !mapNonNegative(dm, dramPath, "row_hits", g.rowHits) ||
      !mapNonNegative(dm, dramPath, "row_misses", g.rowMisses) ||
      !mapNonNegative(dm, dramPath, "row_conflicts", g.rowConflicts) ||
      !mapNonNegative(dm, dramPath, "activates", g.activates))
    return false;
  if (g.rowHits + g.rowMisses + g.rowConflicts != g.bursts)
    return fail(dramPath.field("bursts"),
                "is " + Twine(g.bursts) +
                    " but row hits + misses + conflicts are " +
                    Twine(g.rowHits + g.rowMisses + g.rowConflicts));
  if (g.activates != g.rowMisses + g.rowConflicts)
    return fail(dramPath.field("activates"),
                "is " + Twine(g.activates) +
                    " but row misses + conflicts are " +
                    Twine(g.rowMisses + g.rowConflicts));
  // The re-layouts are part of the group's DRAM energy.
  if (g.relayoutEnergyPJ > g.dramEnergyPJ &&
      !nearlyEqual(g.relayoutEnergyPJ, g.dramEnergyPJ))
    return fail(dramPath.field("relayout_energy_pj"),
                "is " + formatScheduleReal(g.relayoutEnergyPJ) +
                    ", more than the group's DRAM energy " +
                    formatScheduleReal(g.dramEnergyPJ) + " it is part of");
  return true;
}

/// The `fusion` section (when present) of `top` (at `path`) into `s`, whose
/// layers are read; `stated` is every layer's `fused_group`, checked against
/// the groups.
bool readFusion(const json::Object &top, json::Path path, Schedule &s,
                ArrayRef<std::optional<int64_t>> stated) {
  const json::Value *v = top.get("fusion");
  json::Path layersPath = path.field("layers");
  if (!v) {
    for (auto [i, g] : llvm::enumerate(stated))
      if (g)
        return fail(layersPath.index(i).field("fused_group"),
                    "the schedule has no fusion section");
    return true;
  }
  json::Path fusionPath = path.field("fusion");
  json::ObjectMapper m(*v, fusionPath);
  if (!m)
    return false;
  ScheduleFusion &f = s.fusion.emplace();
  if (!mapNonNegative(m, fusionPath, "dram_energy_pj", f.dramEnergyPJ) ||
      !mapNonNegative(m, fusionPath, "dram_cycles", f.dramCycles))
    return false;
  const json::Array *groups = getArray(*v->getAsObject(), fusionPath, "groups");
  if (!groups)
    return false;
  json::Path groupsPath = fusionPath.field("groups");
  auto groupName = [](size_t i) {
    return ("fusion.groups[" + Twine(i) + "]").str();
  };
  double groupEnergy = 0;
  for (auto [i, e] : llvm::enumerate(*groups)) {
    ScheduleGroup &g = f.groups.emplace_back();
    if (!readGroup(e, groupsPath.index(i), s, g) ||
        !checkGroupRuns(groupsPath.index(i), s, g))
      return false;
    if (i > 0 && g.first <= f.groups[i - 1].last)
      return fail(groupsPath.index(i).field("first"),
                  "is " + Twine(g.first) + " but " + groupName(i - 1) +
                      " ends at layer " + Twine(f.groups[i - 1].last) +
                      " (groups are disjoint and in layer order)");
    groupEnergy += g.dramEnergyPJ;
  }
  // The network's DRAM energy is the groups' plus the unfused layers'.
  if (groupEnergy > f.dramEnergyPJ && !nearlyEqual(groupEnergy, f.dramEnergyPJ))
    return fail(fusionPath.field("dram_energy_pj"),
                "is " + formatScheduleReal(f.dramEnergyPJ) +
                    ", less than the groups' DRAM energy " +
                    formatScheduleReal(groupEnergy));
  // Every layer a group covers says so, and no other layer does.
  std::vector<int> groupOf = s.getFusedGroupOfLayers();
  for (auto [i, g] : llvm::enumerate(stated)) {
    json::Path layerPath = layersPath.index(i);
    json::Path p = layerPath.field("fused_group");
    int expected = groupOf[i];
    if (!g && expected >= 0)
      return fail(p, "missing (" + groupName(expected) + " covers layer " +
                         Twine(i) + ")");
    if (g && expected < 0)
      return fail(p, "is " + Twine(*g) + " but no fused group covers layer " +
                         Twine(i));
    if (g && *g != expected)
      return fail(p, "is " + Twine(*g) + " but " + groupName(expected) +
                         " covers layer " + Twine(i));
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Schedule
//===----------------------------------------------------------------------===//

namespace romac {

static bool fromJSON(const json::Value &v, Schedule &s, json::Path path) {
  const json::Object *top = v.getAsObject();
  if (!top)
    return fail(path, "expected a JSON object");
  json::ObjectMapper m(v, path);
  std::string format;
  if (!m.map("format", format))
    return false;
  if (format != kScheduleFormat)
    return fail(path.field("format"),
                "expected \"" + kScheduleFormat + "\", got \"" + format + "\"");
  int64_t version;
  if (!m.map("version", version))
    return false;
  if (version != kScheduleVersion)
    return fail(path.field("version"), "unsupported version " + Twine(version) +
                                           " (this romac reads version " +
                                           Twine(kScheduleVersion) + ")");
  if (!m.map("model", s.model) || !m.map("target", s.target) ||
      !m.mapOptional("search", s.search))
    return false;
  const json::Array *layers = getArray(*top, path, "layers");
  if (!layers)
    return false;
  // Per layer its `fused_group`, checked against `fusion` below.
  std::vector<std::optional<int64_t>> fusedGroups;
  for (auto [i, e] : llvm::enumerate(*layers)) {
    LayerSchedule &l = s.layers.emplace_back();
    if (!readLayer(e, path.field("layers").index(i), s, l,
                   fusedGroups.emplace_back()))
      return false;
    if (s.target.rows > 0 && l.cost.computeCycles > 0 &&
        l.cost.utilization == 0)
      l.cost.utilization = static_cast<double>(l.cost.macs) /
                           (static_cast<double>(l.cost.computeCycles) *
                            static_cast<double>(s.target.rows * s.target.cols));
  }
  if (!readStreamingLayers(*top, path, s))
    return false;
  // Totals are derived: they must be the sums of the layers.
  const json::Object *totals = getObject(*top, path, "totals");
  if (!totals)
    return false;
  json::Path totalsPath = path.field("totals");
  ScheduleTotals t = s.getTotals();
  return getObject(*totals, totalsPath, "energy_pj") &&
         checkTotals(*totals, totalsPath, t) &&
         checkDramTotals(*totals, totalsPath, t) &&
         readFusion(*top, path, s, fusedGroups) &&
         readAttentionGroups(*top, path, s);
}

} // namespace romac

llvm::Expected<Schedule> romac::parseSchedule(StringRef text,
                                              StringRef fileName) {
  llvm::Expected<json::Value> value = json::parse(text);
  if (!value)
    return makeStringError(fileName + ": error: invalid JSON: " +
                           llvm::toString(value.takeError()));
  // The schedule and the parsed value hold the keys of an error's path:
  // both live until it is rendered.
  Schedule s;
  json::Path::Root root;
  if (!fromJSON(*value, s, root))
    return renderError(root, fileName);
  return s;
}

llvm::Expected<Schedule> romac::readScheduleFile(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeStringError(path + ": error: cannot read schedule file: " +
                           buffer.getError().message());
  return parseSchedule((*buffer)->getBuffer(), path);
}
