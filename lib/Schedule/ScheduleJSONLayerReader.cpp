//===- ScheduleJSONLayerReader.cpp - reading a schedule's layer -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// readLayer(): one layer of a schedule file (docs/schedule-format.md) — its
// workload, mapping, costs and DRAM placement — with json::ObjectMapper and
// the problems of ScheduleJSONRead.h. The mapping and costs are read against
// the layer's workload, a re-layout against the earlier layers.
//
//===----------------------------------------------------------------------===//

#include "ScheduleJSONRead.h"

#include "romac/Schedule/ScheduleJSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

using namespace romac;
using namespace romac::detail;
namespace json = llvm::json;
using llvm::StringLiteral;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// An object with one integer per dim of `w` (at `path`): every dim when
/// `allDims`, else 0 for an absent one.
bool readPerDim(const json::Value &v, json::Path path, const Workload &w,
                llvm::SmallVectorImpl<int64_t> &out, bool allDims = true) {
  const json::Object *obj = v.getAsObject();
  if (!obj)
    return fail(path, "expected an object");
  for (const auto &kv : *obj)
    if (!w.findDim(kv.first))
      return fail(path.field(kv.first), "unknown loop dim");
  out.clear();
  for (const LoopDim &d : w.dims) {
    int64_t &x = out.emplace_back(0);
    if (const json::Value *e = obj->get(d.name)) {
      if (!fromJSON(*e, x, path.field(d.name)))
        return false;
    } else if (allDims) {
      return fail(path.field(d.name), "missing");
    }
  }
  return true;
}

/// The member `key` of `parent`: an object with one non-negative integer
/// per operand of `w`.
bool readPerOperand(const json::Object &parent, json::Path parentPath,
                    StringLiteral key, const Workload &w,
                    llvm::SmallVectorImpl<int64_t> &out) {
  const json::Object *obj = getObject(parent, parentPath, key);
  if (!obj)
    return false;
  json::Path path = parentPath.field(key);
  for (const auto &kv : *obj)
    if (!w.findOperand(kv.first))
      return fail(path.field(kv.first), "unknown operand");
  out.clear();
  for (const Operand &op : w.operands) {
    const json::Value *v = getMember(*obj, path, op.name);
    int64_t &x = out.emplace_back(0);
    if (!v || !fromJSON(*v, x, path.field(op.name)))
      return false;
    if (x < 0)
      return fail(path.field(op.name), "must not be negative");
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Workload
//===----------------------------------------------------------------------===//

// The fromJSON() overloads live in namespace romac (internal linkage), where
// argument-dependent lookup from json::ObjectMapper finds them.
namespace romac {

static bool fromJSON(const json::Value &v, LoopDim &d, json::Path path) {
  json::ObjectMapper m(v, path);
  if (!m || !m.map("name", d.name))
    return false;
  if (d.name.empty())
    return fail(path.field("name"), "empty or duplicate loop dim name ''");
  if (!m.map("bound", d.bound))
    return false;
  if (d.bound <= 0)
    return fail(path.field("bound"), "must be positive");
  std::string kind;
  if (!m.map("kind", kind))
    return false;
  if (kind == "parallel")
    d.kind = LoopKind::Parallel;
  else if (kind == "reduction")
    d.kind = LoopKind::Reduction;
  else
    return fail(path.field("kind"),
                "expected \"parallel\" or \"reduction\", got \"" + kind + "\"");
  return true;
}

/// An operand of `w`, whose loop dims are read (its projection names them).
static bool readOperand(const json::Value &v, json::Path path,
                        const Workload &w, Operand &op) {
  json::ObjectMapper m(v, path);
  std::string role;
  if (!m || !m.map("name", op.name) || !m.map("tensor", op.tensor) ||
      !m.map("role", role))
    return false;
  std::optional<OperandRole> r = symbolizeOperandRole(role);
  if (!r)
    return fail(path.field("role"),
                "expected \"read\" or \"readwrite\", got \"" + role + "\"");
  op.role = *r;
  std::vector<std::string> projection;
  if (!m.map("bytes_per_element", op.bytesPerElement) ||
      !m.mapOptional("constant", op.constant) ||
      !m.map("projection", projection))
    return false;
  // A compressed operand: its average bits in memory, a multiple of 1/16.
  std::optional<double> bits;
  if (!m.mapOptional("stored_bits_per_element", bits))
    return false;
  if (bits) {
    double x16 = *bits * 16;
    if (!(x16 >= 1 && x16 <= 1024 && x16 == std::round(x16)))
      return fail(path.field("stored_bits_per_element"),
                  "expected a positive multiple of 1/16 bit up to 64, got " +
                      llvm::formatv("{0}", *bits).str());
    op.storageBits16 = static_cast<uint32_t>(x16);
  }
  for (auto [j, text] : llvm::enumerate(projection)) {
    llvm::Expected<IndexExpr> expr = w.parseProjection(text);
    if (!expr)
      return fail(path.field("projection").index(j),
                  llvm::toString(expr.takeError()));
    op.projection.push_back(std::move(*expr));
  }
  std::vector<int64_t> extent;
  if (!m.map("extent", extent))
    return false;
  op.extent.assign(extent.begin(), extent.end());
  return true;
}

static bool fromJSON(const json::Value &v, Workload &w, json::Path path) {
  json::ObjectMapper m(v, path);
  std::string op;
  if (!m || !m.map("name", w.name) || !m.map("op", op))
    return false;
  std::optional<OpKind> kind = symbolizeOpKind(op);
  if (!kind)
    return fail(path.field("op"), "unknown op \"" + op + "\"; expected " +
                                      listEnumNames(kOpKindNames));
  w.op = *kind;
  std::optional<double> macFraction;
  if (!m.mapOptional("mac_fraction", macFraction))
    return false;
  if (macFraction) {
    if (!(*macFraction > 0 && *macFraction <= 1))
      return fail(path.field("mac_fraction"),
                  "expected a fraction in (0, 1], got " +
                      llvm::formatv("{0}", *macFraction).str());
    w.macFraction = *macFraction;
  }
  const json::Object &obj = *v.getAsObject();
  const json::Array *loops = getArray(obj, path, "loops");
  if (!loops)
    return false;
  json::Path loopsPath = path.field("loops");
  llvm::StringSet<> names;
  for (auto [i, e] : llvm::enumerate(*loops)) {
    LoopDim &d = w.dims.emplace_back();
    if (!fromJSON(e, d, loopsPath.index(i)))
      return false;
    if (!names.insert(d.name).second)
      return fail(loopsPath.index(i).field("name"),
                  "empty or duplicate loop dim name '" + d.name + "'");
  }
  // `dims` must agree with `loops`.
  const json::Value *dims = getMember(obj, path, "dims");
  json::Path dimsPath = path.field("dims");
  llvm::SmallVector<int64_t, 8> bounds;
  if (!dims || !readPerDim(*dims, dimsPath, w, bounds))
    return false;
  for (auto [d, b] : llvm::enumerate(bounds))
    if (b != w.dims[d].bound)
      return fail(dimsPath.field(w.dims[d].name), "is " + Twine(b) +
                                                      " but loops say " +
                                                      Twine(w.dims[d].bound));
  const json::Array *operands = getArray(obj, path, "operands");
  if (!operands)
    return false;
  for (auto [i, e] : llvm::enumerate(*operands))
    if (!readOperand(e, path.field("operands").index(i), w,
                     w.operands.emplace_back()))
      return false;
  if (llvm::Error err = w.verify())
    return fail(path, llvm::toString(std::move(err)));
  return true;
}

} // namespace romac

//===----------------------------------------------------------------------===//
// Mapping
//===----------------------------------------------------------------------===//

namespace {

/// Every dim's tile loop of layer `l` (its DRAM level at `path`) covers
/// [0, bound) exactly once: no gap, no overlap, no empty tile. (`romac
/// inspect --verify` proves the same with Z3, point by point.)
bool checkTileLoops(json::Path path, const LayerSchedule &l) {
  const Workload &w = l.workload;
  // A Path keeps a pointer to its parent: both stay named here.
  json::Path counts = path.field("tile_count");
  for (auto [d, t] : llvm::enumerate(l.loops)) {
    int64_t bound = w.dims[d].bound;
    json::Path at = counts.field(w.dims[d].name);
    if (t.step < 1 || t.count < 1)
      return fail(at, "tile count and step must be at least 1");
    if (t.step > t.size)
      return fail(at, "tiles of " + Twine(t.size) + " every " + Twine(t.step) +
                          " leave gaps");
    if (t.count > 1 && t.step < t.size)
      return fail(at, "tiles of " + Twine(t.size) + " every " + Twine(t.step) +
                          " overlap");
    int64_t covered = (t.count - 1) * t.step + t.size;
    if (covered < bound)
      return fail(at, Twine(t.count) + " tiles of " + Twine(t.size) +
                          " cover " + Twine(covered) + " of " + Twine(bound) +
                          ": a gap");
    if ((t.count - 1) * t.step >= bound)
      return fail(at, Twine(t.count) + " tiles of " + Twine(t.size) + " for " +
                          Twine(bound) + ": the last one is empty");
  }
  return true;
}

/// The DRAM level (`levels[i]` at `path`) of layer `l`, whose workload is
/// read.
bool readDramLevel(const json::Object &level, json::Path path,
                   LayerSchedule &l) {
  const Workload &w = l.workload;
  const json::Value *tile = getMember(level, path, "tile");
  json::Path tilePath = path.field("tile");
  llvm::SmallVector<int64_t, 8> tiles;
  if (!tile || !readPerDim(*tile, tilePath, w, tiles))
    return false;
  for (auto [d, t] : llvm::enumerate(tiles))
    if (t < 1 || t > w.dims[d].bound)
      return fail(tilePath.field(w.dims[d].name),
                  "tile " + Twine(t) + " is outside [1, " +
                      Twine(w.dims[d].bound) + "]");
  l.mapping.tileSizes.assign(tiles.begin(), tiles.end());
  l.loops = getTileLoops(w, l.mapping);
  // Optional explicit tile counts and steps (checked by the verifier).
  for (auto [key, isCount] : {std::pair{StringRef("tile_count"), true},
                              std::pair{StringRef("step"), false}}) {
    const json::Value *o = level.get(key);
    if (!o)
      continue;
    llvm::SmallVector<int64_t, 8> values;
    if (!readPerDim(*o, path.field(key), w, values, /*allDims=*/false))
      return false;
    for (auto [d, x] : llvm::enumerate(values))
      if (o->getAsObject()->get(w.dims[d].name))
        (isCount ? l.loops[d].count : l.loops[d].step) = x;
  }
  const json::Array *order = getArray(level, path, "order");
  if (!order)
    return false;
  json::Path orderPath = path.field("order");
  llvm::SmallVector<bool, 8> seen(w.dims.size(), false);
  l.mapping.order.clear();
  for (auto [k, e] : llvm::enumerate(*order)) {
    std::optional<StringRef> name = e.getAsString();
    if (!name)
      return fail(orderPath.index(k), "expected a loop dim name");
    std::optional<unsigned> d = w.findDim(*name);
    if (!d)
      return fail(orderPath.index(k), "unknown loop dim '" + *name + "'");
    if (seen[*d])
      return fail(orderPath.index(k), "loop dim '" + *name + "' listed twice");
    seen[*d] = true;
    l.mapping.order.push_back(*d);
  }
  if (l.mapping.order.size() != w.dims.size())
    return fail(orderPath, "lists " + Twine(l.mapping.order.size()) +
                               " loops, expected all " + Twine(w.dims.size()));
  llvm::SmallVector<int64_t, 4> footprints;
  if (level.get("footprint_bytes") &&
      !readPerOperand(level, path, "footprint_bytes", w, footprints))
    return false;
  l.cost.operands.resize(w.operands.size());
  for (auto [o, f] : llvm::enumerate(footprints))
    l.cost.operands[o].tileBytes = f;
  return checkTileLoops(path, l);
}

/// The PE-array level (`levels[i]` at `path`) of layer `l`.
bool readArrayLevel(const json::Value &level, json::Path path,
                    LayerSchedule &l) {
  const Workload &w = l.workload;
  const json::Value *unroll = getMember(*level.getAsObject(), path, "unroll");
  if (!unroll)
    return false;
  json::Path unrollPath = path.field("unroll");
  json::ObjectMapper um(*unroll, unrollPath);
  if (!um)
    return false;
  for (const auto &kv : *unroll->getAsObject())
    if (kv.first != "rows" && kv.first != "cols")
      return fail(unrollPath.field(kv.first), "expected \"rows\" or \"cols\"");
  auto mapDim = [&](StringLiteral key, std::optional<unsigned> &out) {
    std::string name;
    if (!um.mapOptional(key, name))
      return false;
    if (name.empty())
      return true;
    out = w.findDim(name);
    if (!out)
      return fail(unrollPath.field(key), "unknown loop dim '" + name + "'");
    return true;
  };
  if (!mapDim("rows", l.spatial.rowDim) || !mapDim("cols", l.spatial.colDim))
    return false;
  if (llvm::Error err = l.spatial.verify(w))
    return fail(unrollPath, llvm::toString(std::move(err)));
  l.cost.utilization = 0;
  json::ObjectMapper m(level, path);
  return m.mapOptional("utilization", l.cost.utilization);
}

/// The `mapping` of layer `l` (at `path`), whose workload is read.
bool readMapping(const json::Object &layer, json::Path layerPath,
                 LayerSchedule &l) {
  const json::Value *mapping = getMember(layer, layerPath, "mapping");
  if (!mapping)
    return false;
  json::Path path = layerPath.field("mapping");
  json::ObjectMapper m(*mapping, path);
  if (!m || !m.map("reuse", l.reuse))
    return false;
  const json::Array *levels = getArray(*mapping->getAsObject(), path, "levels");
  if (!levels)
    return false;
  json::Path levelsPath = path.field("levels");
  if (levels->empty())
    return fail(levelsPath, "expected the DRAM level");
  bool sawDram = false;
  for (auto [i, level] : llvm::enumerate(*levels)) {
    json::Path p = levelsPath.index(i);
    json::ObjectMapper lm(level, p);
    std::string memory;
    if (!lm || !lm.map("memory", memory))
      return false;
    if (memory == "DRAM") {
      if (sawDram)
        return fail(p.field("memory"), "a second DRAM level");
      sawDram = true;
      if (!readDramLevel(*level.getAsObject(), p, l))
        return false;
    } else if (memory == "PE-array") {
      if (!readArrayLevel(level, p, l))
        return false;
    } else {
      return fail(p.field("memory"),
                  "expected \"DRAM\" or \"PE-array\", got \"" + memory + "\"");
    }
  }
  if (!sawDram)
    return fail(levelsPath, "no DRAM level");
  return true;
}

//===----------------------------------------------------------------------===//
// Costs
//===----------------------------------------------------------------------===//

} // namespace

bool detail::readRowBufferEstimate(const json::Object &dram, json::Path path,
                                   DramEstimate &d) {
  if (!mapOptional(dram, path, "bursts", d.bursts) ||
      !mapOptional(dram, path, "row_hits", d.rowHits) ||
      !mapOptional(dram, path, "row_misses", d.rowMisses) ||
      !mapOptional(dram, path, "row_conflicts", d.rowConflicts))
    return false;
  // Row-buffer counts come together and add up.
  bool any = d.bursts || d.rowHits || d.rowMisses || d.rowConflicts;
  bool all = d.bursts && d.rowHits && d.rowMisses && d.rowConflicts;
  if (any && !all)
    return fail(path, "bursts, row_hits, row_misses and row_conflicts go "
                      "together");
  if (all) {
    for (auto [key, x] : {std::pair{StringRef("bursts"), *d.bursts},
                          {StringRef("row_hits"), *d.rowHits},
                          {StringRef("row_misses"), *d.rowMisses},
                          {StringRef("row_conflicts"), *d.rowConflicts}})
      if (x < 0)
        return fail(path.field(key), "must not be negative");
    if (*d.rowHits + *d.rowMisses + *d.rowConflicts != *d.bursts)
      return fail(path.field("bursts"),
                  "is " + Twine(*d.bursts) +
                      " but row hits + misses + conflicts are " +
                      Twine(*d.rowHits + *d.rowMisses + *d.rowConflicts));
  }
  const json::Value *parts = dram.get("energy_pj");
  if (!parts)
    return true;
  // The parser does not keep keys in file order: the known kinds in their
  // fixed order.
  json::Path partsPath = path.field("energy_pj");
  const json::Object *obj = parts->getAsObject();
  if (!obj)
    return fail(partsPath, "expected an object");
  for (const auto &kv : *obj)
    if (!llvm::is_contained(kDramEnergyKinds, StringRef(kv.first)))
      return fail(partsPath.field(kv.first),
                  "unknown DRAM energy kind (expected act_pre, rd_wr, "
                  "background or refresh)");
  for (StringRef kind : kDramEnergyKinds) {
    const json::Value *e = obj->get(kind);
    if (!e)
      continue;
    double pj;
    if (!fromJSON(*e, pj, partsPath.field(kind)))
      return false;
    if (!(pj >= 0) || !std::isfinite(pj))
      return fail(partsPath.field(kind),
                  "must be a finite non-negative number");
    d.energyBreakdownPJ.push_back({kind.str(), pj});
  }
  return true;
}

namespace {

/// The layer's `dram` section (at `layerPath`) without the DRAM placement:
/// model, bytes per operand, cycles, row-buffer counts, energy by kind.
bool readDramCosts(const json::Object &layer, json::Path layerPath,
                   LayerSchedule &l) {
  const Workload &w = l.workload;
  CostBreakdown &c = l.cost;
  const json::Value *v = getMember(layer, layerPath, "dram");
  if (!v)
    return false;
  json::Path path = layerPath.field("dram");
  json::ObjectMapper m(*v, path);
  if (!m || !m.map("model", c.dramModel))
    return false;
  const json::Object &dram = *v->getAsObject();
  llvm::SmallVector<int64_t, 4> values;
  if (!readPerOperand(dram, path, "read_bytes", w, values))
    return false;
  for (auto [o, x] : llvm::enumerate(values)) {
    c.operands[o].dramReadBytes = x;
    c.dramReadBytes += x;
  }
  if (!readPerOperand(dram, path, "write_bytes", w, values))
    return false;
  for (auto [o, x] : llvm::enumerate(values)) {
    c.operands[o].dramWriteBytes = x;
    c.dramWriteBytes += x;
  }
  // Derived from the workload: an edited value is an error.
  if (const json::Value *lb = dram.get("lower_bound_bytes")) {
    int64_t bound;
    if (!fromJSON(*lb, bound, path.field("lower_bound_bytes")))
      return false;
    if (bound != w.getCompulsoryDramBytes())
      return fail(path.field("lower_bound_bytes"),
                  "is " + Twine(bound) +
                      " but the layer's compulsory traffic is " +
                      Twine(w.getCompulsoryDramBytes()));
  }
  if (!m.map("cycles", c.dramCycles) ||
      !readRowBufferEstimate(dram, path, c.dram))
    return false;
  c.dram.cycles = c.dramCycles;
  return true;
}

/// The costs of layer `l` (at `path`): its `dram` and `sram` traffic,
/// energy and cycles.
bool readCosts(const json::Value &layer, json::Path path, LayerSchedule &l) {
  const Workload &w = l.workload;
  CostBreakdown &c = l.cost;
  c.operands.resize(w.operands.size());
  c.macs = w.getIterationCount();
  const json::Object &obj = *layer.getAsObject();
  if (!readDramCosts(obj, path, l))
    return false;
  const json::Object *sram = getObject(obj, path, "sram");
  if (!sram)
    return false;
  json::Path sramPath = path.field("sram");
  llvm::SmallVector<int64_t, 4> values;
  if (!readPerOperand(*sram, sramPath, "read_bytes", w, values))
    return false;
  for (auto [o, x] : llvm::enumerate(values))
    c.operands[o].sramReadBytes = x;
  if (!readPerOperand(*sram, sramPath, "write_bytes", w, values))
    return false;
  for (auto [o, x] : llvm::enumerate(values))
    c.operands[o].sramWriteBytes = x;
  const json::Value *energy = getMember(obj, path, "energy_pj");
  if (!energy)
    return false;
  json::ObjectMapper em(*energy, path.field("energy_pj"));
  if (!em || !em.map("mac", c.macEnergyPJ) || !em.map("sram", c.sramEnergyPJ) ||
      !em.map("dram", c.dramEnergyPJ) || !em.map("total", c.totalEnergyPJ))
    return false;
  c.dram.energyPJ = c.dramEnergyPJ;
  json::ObjectMapper m(layer, path);
  return m.map("compute_cycles", c.computeCycles) && m.map("cycles", c.cycles);
}

//===----------------------------------------------------------------------===//
// DRAM placement
//===----------------------------------------------------------------------===//

/// The layout of operand `op` (at `path`), appended to `layout`.
bool readTensorLayout(const json::Value &v, json::Path path, const Operand &op,
                      LayerLayout &layout) {
  json::ObjectMapper m(v, path);
  if (!m)
    return false;
  const json::Object &obj = *v.getAsObject();
  for (const auto &kv : obj)
    if (!llvm::is_contained({StringRef("kind"), StringRef("base"),
                             StringRef("block"), StringRef("order")},
                            StringRef(kv.first)))
      return fail(path.field(kv.first), "unknown key");
  std::string kindName;
  if (!m.map("kind", kindName))
    return false;
  std::optional<LayoutKind> kind = symbolizeLayoutKind(kindName);
  if (!kind)
    return fail(path.field("kind"),
                "expected \"row-major\" or \"blocked\", got \"" + kindName +
                    "\"");
  int64_t base;
  if (!mapNonNegative(m, path, "base", base))
    return false;
  std::vector<int64_t> dimOrder;
  if (!m.mapOptional("order", dimOrder))
    return false;
  llvm::SmallVector<unsigned, 4> order;
  for (auto [j, d] : llvm::enumerate(dimOrder)) {
    if (d < 0 || d >= static_cast<int64_t>(op.extent.size()))
      return fail(path.field("order").index(j), "not a dim of the tensor");
    order.push_back(static_cast<unsigned>(d));
  }
  const json::Value *block = obj.get("block");
  if (!block && *kind == LayoutKind::Blocked)
    return fail(path.field("block"), "missing");
  if (block && !block->getAsArray())
    return fail(path.field("block"), "expected an array");
  if (block && *kind == LayoutKind::RowMajor)
    return fail(path.field("block"), "only blocked layouts have blocks");
  std::vector<int64_t> blocks;
  if (block && !fromJSON(*block, blocks, path.field("block")))
    return false;
  llvm::Expected<TensorLayout> t =
      *kind == LayoutKind::RowMajor
          ? TensorLayout::getRowMajor(op.extent, ElementSize::of(op),
                                      static_cast<uint64_t>(base), order)
          : TensorLayout::getBlocked(op.extent, ElementSize::of(op),
                                     static_cast<uint64_t>(base), blocks,
                                     order);
  if (!t)
    return fail(path, llvm::toString(t.takeError()));
  layout.operands.push_back(std::move(*t));
  return true;
}

/// A layer's `layout` (at `path`): one tensor layout per operand of `w`.
bool readLayerLayout(const json::Value &v, json::Path path, const Workload &w,
                     LayerLayout &layout) {
  const json::Object *obj = v.getAsObject();
  if (!obj)
    return fail(path, "expected an object");
  for (const auto &kv : *obj)
    if (!w.findOperand(kv.first))
      return fail(path.field(kv.first), "unknown operand");
  for (const Operand &op : w.operands) {
    const json::Value *t = getMember(*obj, path, op.name);
    if (!t || !readTensorLayout(*t, path.field(op.name), op, layout))
      return false;
  }
  if (llvm::Error err = layout.verify(w))
    return fail(path, llvm::toString(std::move(err)));
  return true;
}

/// A re-layout (at `path`) of the last layer of `s`, whose workload is `w`.
bool readRelayout(const json::Value &v, json::Path path, const Schedule &s,
                  const Workload &w, Relayout &r) {
  json::ObjectMapper m(v, path);
  std::string operand;
  if (!m || !m.map("operand", operand))
    return false;
  std::optional<unsigned> o = w.findOperand(operand);
  if (!o)
    return fail(path.field("operand"), "unknown operand '" + operand + "'");
  r.operand = *o;
  if (!m.map("tensor", r.tensor) || !m.map("producer", r.producer))
    return false;
  // The producer is an earlier layer (the latest of that name).
  bool found = false;
  for (size_t k = s.layers.size() - 1; k-- > 0;)
    if (s.layers[k].workload.name == r.producer) {
      r.producerIndex = static_cast<unsigned>(k);
      found = true;
      break;
    }
  if (!found)
    return fail(path.field("producer"),
                "no earlier layer is called '" + r.producer + "'");
  return mapNonNegative(m, path, "bytes", r.bytes) &&
         mapNonNegative(m, path, "energy_pj", r.energyPJ) &&
         mapNonNegative(m, path, "cycles", r.cycles);
}

/// The DRAM placement (address mapping, layouts, activates, re-layouts) of
/// `l`, the last layer of `s` (at `path`), whose costs are read; and the
/// check of its DRAM energy against the row-buffer model's and the
/// re-layouts'.
bool readDramInfo(const json::Object &layer, json::Path path, const Schedule &s,
                  LayerSchedule &l) {
  const Workload &w = l.workload;
  json::Path dramPath = path.field("dram");
  const json::Value &dramValue = *layer.get("dram");
  const json::Object &dram = *dramValue.getAsObject();
  // The layer's DRAM energy is the row-buffer model's (by kind) plus the
  // re-layouts.
  auto checkEnergy = [&](double relayoutPJ) {
    if (l.cost.dram.energyBreakdownPJ.empty())
      return true;
    double parts = 0;
    for (const auto &[name, pj] : l.cost.dram.energyBreakdownPJ)
      parts += pj;
    double expected = parts + relayoutPJ;
    if (!nearlyEqual(expected, l.cost.dramEnergyPJ))
      return fail(path.field("energy_pj").field("dram"),
                  "is " + formatScheduleReal(l.cost.dramEnergyPJ) +
                      " but dram.energy_pj" +
                      (relayoutPJ > 0 ? " and the re-layouts add" : " adds") +
                      " up to " + formatScheduleReal(expected));
    l.cost.dram.energyPJ = parts;
    return true;
  };
  bool hasMapping = dram.get("address_mapping"), hasLayout = dram.get("layout"),
       hasActs = dram.get("activates"), hasRelayouts = dram.get("relayouts");
  if (!hasMapping && !hasLayout && !hasActs && !hasRelayouts)
    return checkEnergy(0);
  for (auto [key, present] :
       {std::pair{StringRef("address_mapping"), hasMapping},
        {StringRef("layout"), hasLayout},
        {StringRef("activates"), hasActs}})
    if (!present)
      return fail(dramPath.field(key), "missing (a DRAM placement states "
                                       "address_mapping, layout and "
                                       "activates)");
  if (!l.cost.dram.bursts)
    return fail(dramPath, "a DRAM placement needs the row-buffer counts "
                          "(bursts, row_hits, row_misses, row_conflicts)");
  LayerDramInfo &info = l.dram.emplace();
  json::ObjectMapper m(dramValue, dramPath);
  if (!m.map("address_mapping", info.addressMapping))
    return false;
  if (info.addressMapping.empty())
    return fail(dramPath.field("address_mapping"), "must not be empty");
  if (!readLayerLayout(*dram.get("layout"), dramPath.field("layout"), w,
                       info.layout) ||
      !m.map("activates", info.activates))
    return false;
  int64_t acts = *l.cost.dram.rowMisses + *l.cost.dram.rowConflicts;
  if (info.activates != acts)
    return fail(dramPath.field("activates"),
                "is " + Twine(info.activates) +
                    " but row misses + conflicts are " + Twine(acts));
  if (const json::Value *relayouts = dram.get("relayouts")) {
    json::Path relayoutsPath = dramPath.field("relayouts");
    const json::Array *a = relayouts->getAsArray();
    if (!a)
      return fail(relayoutsPath, "expected an array");
    for (auto [i, r] : llvm::enumerate(*a))
      if (!readRelayout(r, relayoutsPath.index(i), s, w,
                        info.relayouts.emplace_back()))
        return false;
  }
  return checkEnergy(info.getRelayoutEnergyPJ());
}

} // namespace

bool detail::readLayer(const json::Value &v, json::Path path, const Schedule &s,
                       LayerSchedule &l, std::optional<int64_t> &fusedGroup) {
  if (!fromJSON(v, l.workload, path))
    return false;
  // Buffers named per operand must be the target's.
  const json::Object &obj = *v.getAsObject();
  json::Path operandsPath = path.field("operands");
  for (auto [i, e] : llvm::enumerate(*obj.getArray("operands"))) {
    json::Path p = operandsPath.index(i);
    const json::Value *b = e.getAsObject()->get("buffer");
    std::string buffer;
    if (b && !fromJSON(*b, buffer, p.field("buffer")))
      return false;
    if (buffer.empty() || s.target.memories.empty())
      continue;
    OperandClass cls = classifyOperand(l.workload, i);
    const CostMemory &mem = s.target.getMemory(cls);
    if (mem.name != buffer)
      return fail(p.field("buffer"), "the target holds the " +
                                         stringifyOperandClass(cls) + " in '" +
                                         mem.name + "', not '" + buffer + "'");
  }
  if (!readMapping(obj, path, l))
    return false;
  // The tiles must fit the target's buffers, as the search made them
  // (the cost model's footprints; twice with double buffering).
  if (!s.target.memories.empty()) {
    CostOptions co;
    co.doubleBuffering = s.search.refinements == "double-buffering";
    CostModel model(s.target, l.workload, co);
    if (llvm::Error e = model.checkCapacity(l.mapping.tileSizes))
      return fail(path.field("mapping"), llvm::toString(std::move(e)));
  }
  if (!readCosts(v, path, l) || !readDramInfo(obj, path, s, l) ||
      !mapOptional(obj, path, "fused_group", fusedGroup))
    return false;
  if (fusedGroup && *fusedGroup < 0)
    return fail(path.field("fused_group"), "must not be negative");
  return true;
}
