//===- ScheduleJSONStreamingReader.cpp - streaming layers ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// readStreamingLayers(): the `streaming_layers` of a schedule file
// (docs/schedule-format.md). What follows from the traffic (the ops' and
// the SRAM energy, compute cycles, the total) must agree with it, so an
// edited number is an error, not a silently wrong table.
//
//===----------------------------------------------------------------------===//

#include "ScheduleJSONRead.h"

#include "romac/Schedule/ScheduleJSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace romac;
using namespace romac::detail;
namespace json = llvm::json;
using llvm::StringRef;
using llvm::Twine;

namespace {

bool mismatch(json::Path path, double stated, double derived, StringRef from) {
  return fail(path, "is " + formatScheduleReal(stated) + " but " + from +
                        " give " + formatScheduleReal(derived));
}

/// The `dram` object of a streaming layer.
bool readStreamingDram(const json::Value &v, json::Path path,
                       StreamingLayerSchedule &l) {
  json::ObjectMapper m(v, path);
  StreamingTraffic &t = l.traffic;
  CostBreakdown &c = l.cost;
  if (!m || !m.map("model", c.dramModel) ||
      !mapNonNegative(m, path, "input_read_bytes", t.dramInputBytes) ||
      !mapNonNegative(m, path, "weight_read_bytes", t.dramWeightBytes) ||
      !mapNonNegative(m, path, "write_bytes", t.dramWriteBytes) ||
      !mapNonNegative(m, path, "cycles", c.dramCycles))
    return false;
  const json::Object &o = *v.getAsObject();
  if (!mapOptional(o, path, "activates", l.activates) ||
      !readRowBufferEstimate(o, path, c.dram))
    return false;
  c.dram.cycles = c.dramCycles;
  c.dramReadBytes = t.dramInputBytes + t.dramWeightBytes;
  c.dramWriteBytes = t.dramWriteBytes;
  return true;
}

/// The energies and cycles of a streaming layer, checked against what its
/// traffic gives on the schedule's target.
bool readStreamingCosts(const json::Object &o, json::ObjectMapper &layer,
                        json::Path path, const Schedule &s,
                        StreamingLayerSchedule &l) {
  CostBreakdown &c = l.cost;
  const json::Value *e = getMember(o, path, "energy_pj");
  if (!e)
    return false;
  json::Path ep = path.field("energy_pj");
  json::ObjectMapper m(*e, ep);
  if (!m || !mapNonNegative(m, ep, "ops", c.macEnergyPJ) ||
      !mapNonNegative(m, ep, "sram", c.sramEnergyPJ) ||
      !mapNonNegative(m, ep, "dram", c.dramEnergyPJ) ||
      !mapNonNegative(m, ep, "total", c.totalEnergyPJ) ||
      !mapNonNegative(layer, path, "compute_cycles", c.computeCycles) ||
      !mapNonNegative(layer, path, "cycles", c.cycles))
    return false;
  c.dram.energyPJ = c.dramEnergyPJ;
  // What the traffic determines.
  CostBreakdown derived = costStreamingLayer(l.traffic, s.target, nullptr);
  if (!nearlyEqual(c.macEnergyPJ, derived.macEnergyPJ))
    return mismatch(ep.field("ops"), c.macEnergyPJ, derived.macEnergyPJ,
                    "its ops and the target's MAC energy");
  if (!nearlyEqual(c.sramEnergyPJ, derived.sramEnergyPJ))
    return mismatch(ep.field("sram"), c.sramEnergyPJ, derived.sramEnergyPJ,
                    "its SRAM and DRAM bytes and the target's buffers");
  double sum = c.macEnergyPJ + c.sramEnergyPJ + c.dramEnergyPJ;
  if (!nearlyEqual(c.totalEnergyPJ, sum))
    return mismatch(ep.field("total"), c.totalEnergyPJ, sum,
                    "ops + sram + dram");
  if (c.computeCycles != derived.computeCycles)
    return mismatch(path.field("compute_cycles"),
                    static_cast<double>(c.computeCycles),
                    static_cast<double>(derived.computeCycles),
                    "its ops and buffer accesses");
  double expected =
      std::max(static_cast<double>(c.computeCycles), c.dramCycles);
  if (!nearlyEqual(c.cycles, expected))
    return mismatch(path.field("cycles"), c.cycles, expected,
                    "the larger of compute and DRAM cycles");
  return true;
}

bool readStreamingLayer(const json::Value &v, json::Path path,
                        const Schedule &s, StreamingLayerSchedule &l) {
  json::ObjectMapper m(v, path);
  std::string op, fusion;
  int64_t position = 0;
  StreamingTraffic &t = l.traffic;
  if (!m || !m.map("name", l.name) || !m.map("op", op) ||
      !m.map("mlir_op", l.mlirOp) ||
      !mapNonNegative(m, path, "position", position) ||
      !m.map("fusion", fusion) ||
      !mapNonNegative(m, path, "elements", t.elements) ||
      !mapNonNegative(m, path, "ops", t.ops))
    return false;
  if (l.name.empty())
    return fail(path.field("name"), "must not be empty");
  std::optional<OpKind> kind = symbolizeOpKind(op);
  if (!kind || (*kind != OpKind::Elementwise && *kind != OpKind::Reduction &&
                *kind != OpKind::Other))
    return fail(path.field("op"),
                "expected \"elementwise\", \"reduction\" or \"other\"");
  l.op = *kind;
  if (position > static_cast<int64_t>(s.layers.size()))
    return fail(path.field("position"), "is " + Twine(position) +
                                            " but the schedule has " +
                                            Twine(s.layers.size()) + " layers");
  l.position = static_cast<unsigned>(position);
  std::optional<StreamingFusion> f = symbolizeStreamingFusion(fusion);
  if (!f)
    return fail(path.field("fusion"),
                "expected \"none\", \"epilogue\" or \"prologue\"");
  l.fusion = *f;
  const json::Object &o = *v.getAsObject();
  if (l.fusion != StreamingFusion::None && !m.map("fused_into", l.fusedInto))
    return false;
  if (l.fusion == StreamingFusion::None && o.get("fused_into"))
    return fail(path.field("fused_into"), "given but the layer is not fused");
  const json::Value *dram = getMember(o, path, "dram");
  const json::Value *sram = getMember(o, path, "sram");
  if (!dram || !readStreamingDram(*dram, path.field("dram"), l) || !sram)
    return false;
  json::Path sp = path.field("sram");
  json::ObjectMapper sm(*sram, sp);
  if (!sm || !mapNonNegative(sm, sp, "input_read_bytes", t.sramInputBytes) ||
      !mapNonNegative(sm, sp, "weight_read_bytes", t.sramWeightBytes) ||
      !mapNonNegative(sm, sp, "output_write_bytes", t.sramOutputBytes))
    return false;
  return readStreamingCosts(o, m, path, s, l);
}

/// `obj[key]`, an object, into the named non-negative integers.
bool readIntegers(
    const json::Object &obj, json::Path path, StringRef key,
    std::initializer_list<std::pair<llvm::StringLiteral, int64_t *>> fields) {
  const json::Value *v = getMember(obj, path, key);
  if (!v)
    return false;
  json::Path p = path.field(key);
  json::ObjectMapper m(*v, p);
  if (!m)
    return false;
  for (auto [name, out] : fields)
    if (!mapNonNegative(m, p, name, *out))
      return false;
  return true;
}

/// One fused attention, checked against the layers it covers.
bool readAttentionGroup(const json::Value &v, json::Path path,
                        const Schedule &s, AttentionGroup &g) {
  const json::Object *o = v.getAsObject();
  if (!o)
    return fail(path, "expected an object");
  json::ObjectMapper m(v, path);
  int64_t scores = 0, output = 0;
  AttentionShape &a = g.shape;
  if (!mapNonNegative(m, path, "scores", scores) ||
      !mapNonNegative(m, path, "output", output) ||
      !m.map("streaming", g.streaming) ||
      !readIntegers(*o, path, "shape",
                    {{"batch", &a.batch},
                     {"queries", &a.queries},
                     {"keys", &a.keys},
                     {"head_dim", &a.headDim},
                     {"value_dim", &a.valueDim}}) ||
      !readIntegers(*o, path, "bytes_per_element",
                    {{"query", &a.queryBytes},
                     {"key", &a.keyBytes},
                     {"value", &a.valueBytes},
                     {"score", &a.scoreBytes},
                     {"output", &a.outputBytes}}) ||
      !readIntegers(
          *o, path, "tiles",
          {{"queries", &g.tiles.queryRows}, {"keys", &g.tiles.keyCols}}) ||
      !readIntegers(*o, path, "dram",
                    {{"read_bytes", &g.dramReadBytes},
                     {"write_bytes", &g.dramWriteBytes}}) ||
      !readIntegers(*o, path, "unfused_dram", {{"bytes", &g.unfusedDramBytes}}))
    return false;
  for (auto [key, energy, cycles] :
       {std::tuple{StringRef("dram"), &g.dramEnergyPJ, &g.dramCycles},
        std::tuple{StringRef("unfused_dram"), &g.unfusedDramEnergyPJ,
                   &g.unfusedDramCycles}}) {
    json::ObjectMapper dm(*o->get(key), path.field(key));
    if (!mapNonNegative(dm, path.field(key), "energy_pj", *energy) ||
        !mapNonNegative(dm, path.field(key), "cycles", *cycles))
      return false;
  }
  if (scores >= output || output >= static_cast<int64_t>(s.layers.size()))
    return fail(path.field("output"), "is " + Twine(output) +
                                          ": the products are layers scores < "
                                          "output < " +
                                          Twine(s.layers.size()));
  g.scores = static_cast<unsigned>(scores);
  g.output = static_cast<unsigned>(output);
  if (g.streaming.empty() || !llvm::is_sorted(g.streaming) ||
      g.streaming.back() >= s.streaming.size())
    return fail(path.field("streaming"),
                "expected the ascending positions of streaming layers (the "
                "schedule has " +
                    Twine(s.streaming.size()) + ")");
  for (int64_t x :
       {a.batch, a.queries, a.keys, a.headDim, a.valueDim, a.queryBytes,
        a.keyBytes, a.valueBytes, a.scoreBytes, a.outputBytes})
    if (x <= 0)
      return fail(path.field("shape"), "sizes and bytes must be positive");
  // The tiles fit and the bytes are theirs; the unfused figures are the
  // layers'.
  if (g.tiles.queryRows < 1 || g.tiles.queryRows > a.queries ||
      g.tiles.keyCols < 1 || g.tiles.keyCols > a.keys)
    return fail(path.field("tiles"), "out of the attention's bounds");
  llvm::SmallVector<int64_t, 3> bytes =
      getAttentionBufferBytes(a, g.tiles, s.target);
  for (auto [i, mem] : llvm::enumerate(s.target.memories))
    if (bytes[i] > mem.capacityBytes)
      return fail(path.field("tiles"),
                  "need " + Twine(bytes[i]) + " bytes of '" + mem.name +
                      "', which holds " + Twine(mem.capacityBytes));
  StreamingTraffic t = getFusedAttentionTraffic(a, g.tiles);
  if (t.dramInputBytes + t.dramWeightBytes != g.dramReadBytes ||
      t.dramWriteBytes != g.dramWriteBytes)
    return fail(path.field("dram"),
                "read_bytes and write_bytes are not the tiles' (" +
                    Twine(t.dramInputBytes + t.dramWeightBytes) + ", " +
                    Twine(t.dramWriteBytes) + ")");
  int64_t unfusedBytes = 0;
  double unfusedEnergy = 0;
  auto add = [&](const CostBreakdown &c) {
    unfusedBytes += c.getDramBytes();
    unfusedEnergy += c.dramEnergyPJ;
  };
  add(s.layers[g.scores].cost);
  add(s.layers[g.output].cost);
  for (unsigned j : g.streaming)
    add(s.streaming[j].cost);
  if (unfusedBytes != g.unfusedDramBytes ||
      !nearlyEqual(unfusedEnergy, g.unfusedDramEnergyPJ))
    return fail(path.field("unfused_dram"),
                "is not the DRAM of the layers it covers (" +
                    Twine(unfusedBytes) + " bytes, " +
                    formatScheduleReal(unfusedEnergy) + " pJ)");
  return true;
}

} // namespace

bool romac::detail::readAttentionGroups(const json::Object &top,
                                        json::Path path, Schedule &s) {
  const json::Value *v = top.get("attention_fusion");
  if (!v)
    return true;
  const json::Array *groups = v->getAsArray();
  json::Path gp = path.field("attention_fusion");
  if (!groups)
    return fail(gp, "expected an array");
  if (!s.fusion)
    return fail(gp, "given without a fusion section");
  for (auto [i, e] : llvm::enumerate(*groups))
    if (!readAttentionGroup(e, gp.index(i), s, s.attention.emplace_back()))
      return false;
  return true;
}

bool romac::detail::readStreamingLayers(const json::Object &top,
                                        json::Path path, Schedule &s) {
  const json::Value *v = top.get("streaming_layers");
  if (!v)
    return true; // written before streaming layers were costed
  const json::Array *layers = v->getAsArray();
  json::Path lp = path.field("streaming_layers");
  if (!layers)
    return fail(lp, "expected an array");
  for (auto [i, e] : llvm::enumerate(*layers)) {
    StreamingLayerSchedule &l = s.streaming.emplace_back();
    if (!readStreamingLayer(e, lp.index(i), s, l))
      return false;
    if (i > 0 && l.position < s.streaming[i - 1].position)
      return fail(lp.index(i).field("position"),
                  "is " + Twine(l.position) +
                      ", before the previous "
                      "streaming layer's " +
                      Twine(s.streaming[i - 1].position) +
                      " (they are in program order)");
  }
  // A fused layer names a layer of the schedule.
  llvm::StringSet<> names;
  for (const LayerSchedule &l : s.layers)
    names.insert(l.workload.name);
  for (const StreamingLayerSchedule &l : s.streaming)
    names.insert(l.name);
  for (auto [i, l] : llvm::enumerate(s.streaming))
    if (l.fusion != StreamingFusion::None && !names.contains(l.fusedInto))
      return fail(lp.index(i).field("fused_into"),
                  "names no layer of the schedule: '" + l.fusedInto + "'");
  return true;
}
