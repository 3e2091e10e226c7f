//===- Schedule.cpp - the schedule file and its reports ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The JSON writer and reader of docs/schedule-format.md. The writer emits
// keys in a fixed order with llvm::json::OStream and prints reals in their
// shortest round-trip form, so equal schedules give equal bytes and a
// read-then-written file is unchanged. The reader walks the parsed value
// with a path (`layers[3].mapping.levels[0].tile.K`) so every error names
// the file and the place.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cmath>

using namespace romac;
using llvm::ArrayRef;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

ScheduleTotals Schedule::getTotals() const {
  ScheduleTotals t;
  for (const LayerSchedule &l : layers) {
    t.macs += l.cost.macs;
    t.dramReadBytes += l.cost.dramReadBytes;
    t.dramWriteBytes += l.cost.dramWriteBytes;
    t.macEnergyPJ += l.cost.macEnergyPJ;
    t.sramEnergyPJ += l.cost.sramEnergyPJ;
    t.dramEnergyPJ += l.cost.dramEnergyPJ;
    t.totalEnergyPJ += l.cost.totalEnergyPJ;
    t.computeCycles += l.cost.computeCycles;
    t.cycles += l.cost.cycles;
  }
  return t;
}

Schedule romac::makeSchedule(StringRef model, const CostTarget &target,
                             ArrayRef<Workload> workloads,
                             ArrayRef<LayerResult> results,
                             const SearchOptions &options) {
  assert(workloads.size() == results.size() && "one result per workload");
  Schedule s;
  s.model = model.str();
  s.target = target;
  s.search.objective = stringifyObjective(options.objective).str();
  s.search.policy = stringifyReusePolicy(options.policy).str();
  s.search.refinements = options.cost.str();
  for (auto [w, r] : llvm::zip_equal(workloads, results)) {
    LayerSchedule &l = s.layers.emplace_back();
    l.workload = w;
    l.mapping = r.mapping;
    l.loops = getTileLoops(w, r.mapping);
    l.spatial = r.spatial;
    l.reuse = r.reuse;
    l.cost = r.cost;
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

/// The shortest decimal that reads back as `v` (std::to_chars).
std::string formatReal(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

/// Attribute writers on top of llvm::json::OStream.
class Writer {
public:
  explicit Writer(llvm::raw_ostream &os) : j(os, 2) {}

  void real(StringRef key, double v) {
    j.attributeBegin(key);
    j.rawValue(formatReal(v));
    j.attributeEnd();
  }
  void integer(StringRef key, int64_t v) { j.attribute(key, v); }
  void string(StringRef key, StringRef v) { j.attribute(key, v); }
  template <typename Fn> void object(StringRef key, Fn fn) {
    j.attributeObject(key, fn);
  }
  template <typename Fn> void array(StringRef key, Fn fn) {
    j.attributeArray(key, fn);
  }
  /// {operand name: value} in operand order.
  template <typename Fn>
  void perOperand(StringRef key, const Workload &w, Fn value) {
    object(key, [&] {
      for (unsigned o = 0; o < w.operands.size(); ++o)
        integer(w.operands[o].name, value(o));
    });
  }
  /// {dim name: value} in dim order.
  template <typename Fn>
  void perDim(StringRef key, const Workload &w, Fn value) {
    object(key, [&] {
      for (unsigned d = 0; d < w.dims.size(); ++d)
        integer(w.dims[d].name, value(d));
    });
  }

  llvm::json::OStream j;
};

void writeTarget(Writer &w, const CostTarget &t) {
  w.object("target", [&] {
    w.string("name", t.name);
    if (!t.description.empty())
      w.string("description", t.description);
    w.object("array", [&] {
      w.integer("rows", t.rows);
      w.integer("cols", t.cols);
      w.real("frequency_mhz", t.frequencyMHz);
      w.real("mac_energy_pj", t.macEnergyPJ);
    });
    w.array("memories", [&] {
      for (const CostMemory &m : t.memories)
        w.j.object([&] {
          w.string("name", m.name);
          w.integer("bytes", m.capacityBytes);
          w.array("holds", [&] {
            for (unsigned c = 0; c < kNumOperandClasses; ++c)
              if (m.holds(static_cast<OperandClass>(c)))
                w.j.value(stringifyOperandClass(static_cast<OperandClass>(c)));
          });
          w.real("read_energy_pj_per_byte", m.readPJPerByte);
          w.real("write_energy_pj_per_byte", m.writePJPerByte);
          w.real("bandwidth_bytes_per_cycle", m.bandwidthBytesPerCycle);
        });
    });
    w.object("dram", [&] {
      w.string("standard", t.dramStandard);
      w.real("flat_energy_pj_per_bit", t.dramFlatPJPerBit);
      w.real("peak_gbps", t.dramPeakGBps);
    });
  });
}

void writeLayer(Writer &w, const Schedule &s, const LayerSchedule &l) {
  const Workload &wl = l.workload;
  const CostBreakdown &c = l.cost;
  w.j.object([&] {
    w.string("name", wl.name);
    w.string("op", wl.op);
    w.perDim("dims", wl, [&](unsigned d) { return wl.dims[d].bound; });
    w.array("loops", [&] {
      for (const LoopDim &d : wl.dims)
        w.j.object([&] {
          w.string("name", d.name);
          w.integer("bound", d.bound);
          w.string("kind", stringifyLoopKind(d.kind));
        });
    });
    w.array("operands", [&] {
      for (auto [o, op] : llvm::enumerate(wl.operands))
        w.j.object([&] {
          w.string("name", op.name);
          w.string("tensor", op.tensor);
          w.string("role", stringifyOperandRole(op.role));
          w.integer("bytes_per_element", op.bytesPerElement);
          OperandClass cls = classifyOperand(wl, o);
          w.string("buffer", s.target.memoryOf[static_cast<unsigned>(cls)] <
                                     s.target.memories.size()
                                 ? StringRef(s.target.getMemory(cls).name)
                                 : StringRef());
          w.array("projection", [&] {
            for (unsigned j = 0; j < op.projection.size(); ++j)
              w.j.value(wl.projectionString(o, j));
          });
          w.array("extent", [&] {
            for (int64_t e : op.extent)
              w.j.value(e);
          });
        });
    });
    w.object("mapping", [&] {
      w.string("reuse", l.reuse);
      w.array("levels", [&] {
        w.j.object([&] {
          w.string("memory", "DRAM");
          w.perDim("tile", wl,
                   [&](unsigned d) { return l.mapping.tileSizes[d]; });
          w.perDim("tile_count", wl,
                   [&](unsigned d) { return l.loops[d].count; });
          if (llvm::any_of(l.loops,
                           [](const TileLoop &t) { return t.step != t.size; }))
            w.perDim("step", wl, [&](unsigned d) { return l.loops[d].step; });
          w.array("order", [&] {
            for (unsigned d : l.mapping.order)
              w.j.value(wl.dims[d].name);
          });
          w.perOperand("footprint_bytes", wl, [&](unsigned o) {
            return o < c.operands.size() ? c.operands[o].tileBytes : 0;
          });
        });
        w.j.object([&] {
          w.string("memory", "PE-array");
          w.object("unroll", [&] {
            if (l.spatial.rowDim)
              w.string("rows", wl.dims[*l.spatial.rowDim].name);
            if (l.spatial.colDim)
              w.string("cols", wl.dims[*l.spatial.colDim].name);
          });
          w.real("utilization", c.utilization);
        });
      });
    });
    auto opCost = [&](unsigned o) -> const OperandCost & {
      static const OperandCost none;
      return o < c.operands.size() ? c.operands[o] : none;
    };
    w.object("dram", [&] {
      w.string("model", c.dramModel);
      w.perOperand("read_bytes", wl,
                   [&](unsigned o) { return opCost(o).dramReadBytes; });
      w.perOperand("write_bytes", wl,
                   [&](unsigned o) { return opCost(o).dramWriteBytes; });
      w.real("cycles", c.dramCycles);
      // Only what the DRAM model reports.
      if (c.dram.bursts)
        w.integer("bursts", *c.dram.bursts);
      if (c.dram.rowHits)
        w.integer("row_hits", *c.dram.rowHits);
      if (c.dram.rowMisses)
        w.integer("row_misses", *c.dram.rowMisses);
      if (c.dram.rowConflicts)
        w.integer("row_conflicts", *c.dram.rowConflicts);
      if (!c.dram.energyBreakdownPJ.empty())
        w.object("energy_pj", [&] {
          for (const auto &[name, pj] : c.dram.energyBreakdownPJ)
            w.real(name, pj);
        });
    });
    w.object("sram", [&] {
      w.perOperand("read_bytes", wl,
                   [&](unsigned o) { return opCost(o).sramReadBytes; });
      w.perOperand("write_bytes", wl,
                   [&](unsigned o) { return opCost(o).sramWriteBytes; });
    });
    w.object("energy_pj", [&] {
      w.real("mac", c.macEnergyPJ);
      w.real("sram", c.sramEnergyPJ);
      w.real("dram", c.dramEnergyPJ);
      w.real("total", c.totalEnergyPJ);
    });
    w.integer("compute_cycles", c.computeCycles);
    w.real("cycles", c.cycles);
  });
}

} // namespace

void romac::writeScheduleJSON(llvm::raw_ostream &os, const Schedule &s) {
  Writer w(os);
  w.j.object([&] {
    w.string("format", kScheduleFormat);
    w.integer("version", kScheduleVersion);
    w.string("model", s.model);
    writeTarget(w, s.target);
    w.object("search", [&] {
      w.string("objective", s.search.objective);
      w.string("policy", s.search.policy);
      w.string("refinements", s.search.refinements);
    });
    w.array("layers", [&] {
      for (const LayerSchedule &l : s.layers)
        writeLayer(w, s, l);
    });
    ScheduleTotals t = s.getTotals();
    w.object("totals", [&] {
      w.integer("layers", static_cast<int64_t>(s.layers.size()));
      w.integer("macs", t.macs);
      w.object("dram", [&] {
        w.integer("read_bytes", t.dramReadBytes);
        w.integer("write_bytes", t.dramWriteBytes);
      });
      w.object("energy_pj", [&] {
        w.real("mac", t.macEnergyPJ);
        w.real("sram", t.sramEnergyPJ);
        w.real("dram", t.dramEnergyPJ);
        w.real("total", t.totalEnergyPJ);
      });
      w.integer("compute_cycles", t.computeCycles);
      w.real("cycles", t.cycles);
    });
  });
  os << "\n";
}

std::string romac::scheduleToJSON(const Schedule &schedule) {
  std::string text;
  llvm::raw_string_ostream os(text);
  writeScheduleJSON(os, schedule);
  return text;
}

llvm::Error romac::writeScheduleFile(StringRef path, const Schedule &schedule) {
  std::string text = scheduleToJSON(schedule);
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  llvm::SmallString<256> model(dir);
  llvm::sys::path::append(model,
                          llvm::sys::path::filename(path) + ".tmp-%%%%%%");
  int fd;
  llvm::SmallString<256> temp;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, temp))
    return makeError(path + ": error: cannot create a temporary file in '" +
                     dir + "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      std::string msg = os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return makeError(path + ": error: cannot write: " + msg);
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return makeError(
        path + ": error: cannot rename the temporary file: " + ec.message());
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {

/// Walks a parsed schedule, keeping the JSON path of the value being read.
class Reader {
public:
  explicit Reader(StringRef fileName) : fileName(fileName) {}

  llvm::Expected<Schedule> read(const llvm::json::Value &root);

private:
  /// The error `FILE: error: PATH: msg`.
  llvm::Error fail(const llvm::Twine &path, const llvm::Twine &msg) const {
    return makeError(fileName + ": error: " + path + ": " + msg);
  }

  static std::string child(const std::string &path, StringRef key) {
    return path.empty() ? key.str() : path + "." + key.str();
  }
  static std::string index(const std::string &path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  /// Typed accessors: the member `key` of `obj` (at `path`).
  llvm::Expected<const llvm::json::Value *>
  member(const llvm::json::Object &obj, const std::string &path, StringRef key,
         bool required = true) const {
    const llvm::json::Value *v = obj.get(key);
    if (!v && required)
      return fail(path.empty() ? key.str() : child(path, key), "missing");
    return v;
  }
  llvm::Expected<const llvm::json::Object *>
  getObject(const llvm::json::Object &obj, const std::string &path,
            StringRef key, bool required = true) const {
    auto v = member(obj, path, key, required);
    if (!v)
      return v.takeError();
    if (!*v)
      return nullptr;
    if (const llvm::json::Object *o = (*v)->getAsObject())
      return o;
    return fail(child(path, key), "expected an object");
  }
  llvm::Expected<const llvm::json::Array *>
  getArray(const llvm::json::Object &obj, const std::string &path,
           StringRef key, bool required = true) const {
    auto v = member(obj, path, key, required);
    if (!v)
      return v.takeError();
    if (!*v)
      return nullptr;
    if (const llvm::json::Array *a = (*v)->getAsArray())
      return a;
    return fail(child(path, key), "expected an array");
  }
  llvm::Expected<std::string> getString(const llvm::json::Object &obj,
                                        const std::string &path, StringRef key,
                                        bool required = true) const {
    auto v = member(obj, path, key, required);
    if (!v)
      return v.takeError();
    if (!*v)
      return std::string();
    if (std::optional<StringRef> s = (*v)->getAsString())
      return s->str();
    return fail(child(path, key), "expected a string");
  }
  llvm::Expected<int64_t> asInt(const llvm::json::Value &v,
                                const std::string &path) const {
    if (v.kind() == llvm::json::Value::Number)
      if (std::optional<int64_t> i = v.getAsInteger())
        return *i;
    return fail(path, "expected an integer");
  }
  llvm::Expected<int64_t> getInt(const llvm::json::Object &obj,
                                 const std::string &path, StringRef key) const {
    auto v = member(obj, path, key);
    if (!v)
      return v.takeError();
    return asInt(**v, child(path, key));
  }
  llvm::Expected<std::optional<int64_t>>
  getOptionalInt(const llvm::json::Object &obj, const std::string &path,
                 StringRef key) const {
    const llvm::json::Value *v = obj.get(key);
    if (!v)
      return std::optional<int64_t>();
    auto i = asInt(*v, child(path, key));
    if (!i)
      return i.takeError();
    return std::optional<int64_t>(*i);
  }
  llvm::Expected<double> asReal(const llvm::json::Value &v,
                                const std::string &path) const {
    if (v.kind() == llvm::json::Value::Number)
      if (std::optional<double> d = v.getAsNumber())
        return *d;
    return fail(path, "expected a number");
  }
  llvm::Expected<double> getReal(const llvm::json::Object &obj,
                                 const std::string &path, StringRef key,
                                 bool required = true,
                                 double fallback = 0) const {
    auto v = member(obj, path, key, required);
    if (!v)
      return v.takeError();
    if (!*v)
      return fallback;
    return asReal(**v, child(path, key));
  }
  /// An object with one integer per dim (every dim when `required`).
  llvm::Error readPerDim(const llvm::json::Object &obj, const std::string &path,
                         const Workload &w, llvm::SmallVectorImpl<int64_t> &out,
                         bool allDims = true) const;
  /// An object with one integer per operand.
  llvm::Error readPerOperand(const llvm::json::Object &obj,
                             const std::string &path, StringRef key,
                             const Workload &w,
                             llvm::SmallVectorImpl<int64_t> &out) const;

  llvm::Error readTarget(const llvm::json::Object &obj, CostTarget &t) const;
  llvm::Error readLayer(const llvm::json::Object &obj, const std::string &path,
                        const Schedule &s, LayerSchedule &l) const;
  llvm::Error readWorkload(const llvm::json::Object &obj,
                           const std::string &path, Workload &w) const;
  llvm::Error readMapping(const llvm::json::Object &obj,
                          const std::string &path, LayerSchedule &l) const;
  llvm::Error readCosts(const llvm::json::Object &obj, const std::string &path,
                        LayerSchedule &l) const;

  std::string fileName;
};

llvm::Error Reader::readPerDim(const llvm::json::Object &obj,
                               const std::string &path, const Workload &w,
                               llvm::SmallVectorImpl<int64_t> &out,
                               bool allDims) const {
  for (const auto &kv : obj)
    if (!w.findDim(kv.first))
      return fail(child(path, kv.first), "unknown loop dim");
  out.clear();
  for (const LoopDim &d : w.dims) {
    const llvm::json::Value *v = obj.get(d.name);
    if (!v) {
      if (allDims)
        return fail(child(path, d.name), "missing");
      out.push_back(0);
      continue;
    }
    auto i = asInt(*v, child(path, d.name));
    if (!i)
      return i.takeError();
    out.push_back(*i);
  }
  return llvm::Error::success();
}

llvm::Error Reader::readPerOperand(const llvm::json::Object &obj,
                                   const std::string &path, StringRef key,
                                   const Workload &w,
                                   llvm::SmallVectorImpl<int64_t> &out) const {
  auto o = getObject(obj, path, key);
  if (!o)
    return o.takeError();
  std::string p = child(path, key);
  for (const auto &kv : **o)
    if (!w.findOperand(kv.first))
      return fail(child(p, kv.first), "unknown operand");
  out.clear();
  for (const auto &op : w.operands) {
    const llvm::json::Value *v = (*o)->get(op.name);
    if (!v)
      return fail(child(p, op.name), "missing");
    auto i = asInt(*v, child(p, op.name));
    if (!i)
      return i.takeError();
    if (*i < 0)
      return fail(child(p, op.name), "must not be negative");
    out.push_back(*i);
  }
  return llvm::Error::success();
}

llvm::Error Reader::readTarget(const llvm::json::Object &obj,
                               CostTarget &t) const {
  std::string path = "target";
  auto name = getString(obj, path, "name");
  if (!name)
    return name.takeError();
  t.name = *name;
  auto desc = getString(obj, path, "description", false);
  if (!desc)
    return desc.takeError();
  t.description = *desc;
  // The rest is optional: a schedule may name its target only.
  auto array = getObject(obj, path, "array", false);
  if (!array)
    return array.takeError();
  if (*array) {
    std::string p = child(path, "array");
    auto rows = getInt(**array, p, "rows");
    if (!rows)
      return rows.takeError();
    auto cols = getInt(**array, p, "cols");
    if (!cols)
      return cols.takeError();
    auto freq = getReal(**array, p, "frequency_mhz");
    if (!freq)
      return freq.takeError();
    auto mac = getReal(**array, p, "mac_energy_pj");
    if (!mac)
      return mac.takeError();
    t.rows = *rows;
    t.cols = *cols;
    t.frequencyMHz = *freq;
    t.macEnergyPJ = *mac;
  }
  auto mems = getArray(obj, path, "memories", false);
  if (!mems)
    return mems.takeError();
  if (*mems) {
    for (auto [i, v] : llvm::enumerate(**mems)) {
      std::string p = index(child(path, "memories"), i);
      const llvm::json::Object *m = v.getAsObject();
      if (!m)
        return fail(p, "expected an object");
      CostMemory &mem = t.memories.emplace_back();
      auto mname = getString(*m, p, "name");
      if (!mname)
        return mname.takeError();
      mem.name = *mname;
      auto bytes = getInt(*m, p, "bytes");
      if (!bytes)
        return bytes.takeError();
      if (*bytes <= 0)
        return fail(child(p, "bytes"), "must be positive");
      mem.capacityBytes = *bytes;
      auto holds = getArray(*m, p, "holds");
      if (!holds)
        return holds.takeError();
      for (auto [k, h] : llvm::enumerate(**holds)) {
        std::optional<StringRef> s = h.getAsString();
        std::optional<OperandClass> cls =
            s ? symbolizeOperandClass(*s) : std::nullopt;
        if (!cls)
          return fail(index(child(p, "holds"), k),
                      "expected \"input\", \"weight\" or \"output\"");
        mem.classMask |= 1u << static_cast<unsigned>(*cls);
        t.memoryOf[static_cast<unsigned>(*cls)] = t.memories.size() - 1;
      }
      for (auto [key, field] :
           {std::pair{"read_energy_pj_per_byte", &mem.readPJPerByte},
            {"write_energy_pj_per_byte", &mem.writePJPerByte},
            {"bandwidth_bytes_per_cycle", &mem.bandwidthBytesPerCycle}}) {
        auto r = getReal(*m, p, key, false);
        if (!r)
          return r.takeError();
        *field = *r;
      }
    }
  }
  auto dram = getObject(obj, path, "dram", false);
  if (!dram)
    return dram.takeError();
  if (*dram) {
    std::string p = child(path, "dram");
    auto std = getString(**dram, p, "standard", false);
    if (!std)
      return std.takeError();
    t.dramStandard = *std;
    auto flat = getReal(**dram, p, "flat_energy_pj_per_bit", false);
    if (!flat)
      return flat.takeError();
    t.dramFlatPJPerBit = *flat;
    auto peak = getReal(**dram, p, "peak_gbps", false);
    if (!peak)
      return peak.takeError();
    t.dramPeakGBps = *peak;
  }
  if (!t.memories.empty())
    if (llvm::Error err = t.verify())
      return fail(path, llvm::toString(std::move(err)));
  return llvm::Error::success();
}

llvm::Error Reader::readWorkload(const llvm::json::Object &obj,
                                 const std::string &path, Workload &w) const {
  auto name = getString(obj, path, "name");
  if (!name)
    return name.takeError();
  w.name = *name;
  auto op = getString(obj, path, "op");
  if (!op)
    return op.takeError();
  w.op = *op;

  auto loops = getArray(obj, path, "loops");
  if (!loops)
    return loops.takeError();
  llvm::StringSet<> names;
  for (auto [i, v] : llvm::enumerate(**loops)) {
    std::string p = index(child(path, "loops"), i);
    const llvm::json::Object *l = v.getAsObject();
    if (!l)
      return fail(p, "expected an object");
    LoopDim &d = w.dims.emplace_back();
    auto dname = getString(*l, p, "name");
    if (!dname)
      return dname.takeError();
    if (dname->empty() || !names.insert(*dname).second)
      return fail(child(p, "name"),
                  "empty or duplicate loop dim name '" + *dname + "'");
    d.name = *dname;
    auto bound = getInt(*l, p, "bound");
    if (!bound)
      return bound.takeError();
    if (*bound <= 0)
      return fail(child(p, "bound"), "must be positive");
    d.bound = *bound;
    auto kind = getString(*l, p, "kind");
    if (!kind)
      return kind.takeError();
    if (*kind == "parallel")
      d.kind = LoopKind::Parallel;
    else if (*kind == "reduction")
      d.kind = LoopKind::Reduction;
    else
      return fail(child(p, "kind"),
                  "expected \"parallel\" or \"reduction\", got \"" + *kind +
                      "\"");
  }
  // `dims` must agree with `loops`.
  auto dims = getObject(obj, path, "dims");
  if (!dims)
    return dims.takeError();
  llvm::SmallVector<int64_t, 8> bounds;
  if (llvm::Error err = readPerDim(**dims, child(path, "dims"), w, bounds))
    return err;
  for (auto [d, b] : llvm::enumerate(bounds))
    if (b != w.dims[d].bound)
      return fail(child(child(path, "dims"), w.dims[d].name),
                  "is " + llvm::Twine(b) + " but loops say " +
                      llvm::Twine(w.dims[d].bound));

  auto ops = getArray(obj, path, "operands");
  if (!ops)
    return ops.takeError();
  for (auto [i, v] : llvm::enumerate(**ops)) {
    std::string p = index(child(path, "operands"), i);
    const llvm::json::Object *o = v.getAsObject();
    if (!o)
      return fail(p, "expected an object");
    auto &operand = w.operands.emplace_back();
    auto oname = getString(*o, p, "name");
    if (!oname)
      return oname.takeError();
    operand.name = *oname;
    auto tensor = getString(*o, p, "tensor");
    if (!tensor)
      return tensor.takeError();
    operand.tensor = *tensor;
    auto role = getString(*o, p, "role");
    if (!role)
      return role.takeError();
    std::optional<OperandRole> r = symbolizeOperandRole(*role);
    if (!r)
      return fail(child(p, "role"),
                  "expected \"read\" or \"readwrite\", got \"" + *role + "\"");
    operand.role = *r;
    auto bytes = getInt(*o, p, "bytes_per_element");
    if (!bytes)
      return bytes.takeError();
    operand.bytesPerElement = *bytes;
    auto proj = getArray(*o, p, "projection");
    if (!proj)
      return proj.takeError();
    for (auto [j, e] : llvm::enumerate(**proj)) {
      std::string pp = index(child(p, "projection"), j);
      std::optional<StringRef> s = e.getAsString();
      if (!s)
        return fail(pp, "expected a string");
      llvm::Expected<IndexExpr> expr = w.parseProjection(*s);
      if (!expr)
        return fail(pp, llvm::toString(expr.takeError()));
      operand.projection.push_back(std::move(*expr));
    }
    auto extent = getArray(*o, p, "extent");
    if (!extent)
      return extent.takeError();
    for (auto [j, e] : llvm::enumerate(**extent)) {
      auto x = asInt(e, index(child(p, "extent"), j));
      if (!x)
        return x.takeError();
      operand.extent.push_back(*x);
    }
  }
  if (llvm::Error err = w.verify())
    return fail(path, llvm::toString(std::move(err)));
  return llvm::Error::success();
}

llvm::Error Reader::readMapping(const llvm::json::Object &obj,
                                const std::string &path,
                                LayerSchedule &l) const {
  const Workload &w = l.workload;
  auto mapping = getObject(obj, path, "mapping");
  if (!mapping)
    return mapping.takeError();
  std::string mp = child(path, "mapping");
  auto reuse = getString(**mapping, mp, "reuse");
  if (!reuse)
    return reuse.takeError();
  l.reuse = *reuse;
  auto levels = getArray(**mapping, mp, "levels");
  if (!levels)
    return levels.takeError();
  std::string lp = child(mp, "levels");
  if ((*levels)->empty())
    return fail(lp, "expected the DRAM level");
  bool sawDram = false;
  for (auto [i, v] : llvm::enumerate(**levels)) {
    std::string p = index(lp, i);
    const llvm::json::Object *level = v.getAsObject();
    if (!level)
      return fail(p, "expected an object");
    auto memory = getString(*level, p, "memory");
    if (!memory)
      return memory.takeError();
    if (*memory == "DRAM") {
      if (sawDram)
        return fail(child(p, "memory"), "a second DRAM level");
      sawDram = true;
      auto tile = getObject(*level, p, "tile");
      if (!tile)
        return tile.takeError();
      llvm::SmallVector<int64_t, 8> tiles;
      if (llvm::Error err = readPerDim(**tile, child(p, "tile"), w, tiles))
        return err;
      for (auto [d, t] : llvm::enumerate(tiles))
        if (t < 1 || t > w.dims[d].bound)
          return fail(child(child(p, "tile"), w.dims[d].name),
                      "tile " + llvm::Twine(t) + " is outside [1, " +
                          llvm::Twine(w.dims[d].bound) + "]");
      l.mapping.tileSizes.assign(tiles.begin(), tiles.end());
      l.loops = getTileLoops(w, l.mapping);
      // Optional explicit tile counts and steps (checked by the verifier).
      for (auto [key, isCount] :
           {std::pair{"tile_count", true}, std::pair{"step", false}}) {
        auto o = getObject(*level, p, key, false);
        if (!o)
          return o.takeError();
        if (!*o)
          continue;
        llvm::SmallVector<int64_t, 8> values;
        if (llvm::Error err =
                readPerDim(**o, child(p, key), w, values, /*allDims=*/false))
          return err;
        for (auto [d, x] : llvm::enumerate(values))
          if ((*o)->get(w.dims[d].name))
            (isCount ? l.loops[d].count : l.loops[d].step) = x;
      }
      auto order = getArray(*level, p, "order");
      if (!order)
        return order.takeError();
      llvm::SmallVector<bool, 8> seen(w.dims.size(), false);
      l.mapping.order.clear();
      for (auto [k, o] : llvm::enumerate(**order)) {
        std::string op = index(child(p, "order"), k);
        std::optional<StringRef> s = o.getAsString();
        if (!s)
          return fail(op, "expected a loop dim name");
        std::optional<unsigned> d = w.findDim(*s);
        if (!d)
          return fail(op, "unknown loop dim '" + *s + "'");
        if (seen[*d])
          return fail(op, "loop dim '" + *s + "' listed twice");
        seen[*d] = true;
        l.mapping.order.push_back(*d);
      }
      if (l.mapping.order.size() != w.dims.size())
        return fail(child(p, "order"),
                    "lists " + llvm::Twine(l.mapping.order.size()) +
                        " loops, expected all " + llvm::Twine(w.dims.size()));
      llvm::SmallVector<int64_t, 4> footprints;
      if (level->get("footprint_bytes")) {
        if (llvm::Error err =
                readPerOperand(*level, p, "footprint_bytes", w, footprints))
          return err;
      }
      l.cost.operands.resize(w.operands.size());
      for (auto [o, f] : llvm::enumerate(footprints))
        l.cost.operands[o].tileBytes = f;
    } else if (*memory == "PE-array") {
      auto unroll = getObject(*level, p, "unroll");
      if (!unroll)
        return unroll.takeError();
      std::string up = child(p, "unroll");
      for (const auto &kv : **unroll)
        if (kv.first != "rows" && kv.first != "cols")
          return fail(child(up, kv.first), "expected \"rows\" or \"cols\"");
      for (auto [key, field] : {std::pair{"rows", &l.spatial.rowDim},
                                std::pair{"cols", &l.spatial.colDim}}) {
        auto dim = getString(**unroll, up, key, false);
        if (!dim)
          return dim.takeError();
        if (dim->empty())
          continue;
        std::optional<unsigned> d = w.findDim(*dim);
        if (!d)
          return fail(child(up, key), "unknown loop dim '" + *dim + "'");
        *field = *d;
      }
      if (llvm::Error err = l.spatial.verify(w))
        return fail(up, llvm::toString(std::move(err)));
      auto util = getReal(*level, p, "utilization", false);
      if (!util)
        return util.takeError();
      l.cost.utilization = *util;
    } else {
      return fail(child(p, "memory"), "expected \"DRAM\" or \"PE-array\", got "
                                      "\"" +
                                          *memory + "\"");
    }
  }
  if (!sawDram)
    return fail(lp, "no DRAM level");
  return llvm::Error::success();
}

llvm::Error Reader::readCosts(const llvm::json::Object &obj,
                              const std::string &path, LayerSchedule &l) const {
  const Workload &w = l.workload;
  CostBreakdown &c = l.cost;
  c.operands.resize(w.operands.size());
  c.macs = w.getIterationCount();

  auto dram = getObject(obj, path, "dram");
  if (!dram)
    return dram.takeError();
  std::string dp = child(path, "dram");
  auto model = getString(**dram, dp, "model");
  if (!model)
    return model.takeError();
  c.dramModel = *model;
  llvm::SmallVector<int64_t, 4> values;
  if (llvm::Error err = readPerOperand(**dram, dp, "read_bytes", w, values))
    return err;
  for (auto [o, v] : llvm::enumerate(values)) {
    c.operands[o].dramReadBytes = v;
    c.dramReadBytes += v;
  }
  if (llvm::Error err = readPerOperand(**dram, dp, "write_bytes", w, values))
    return err;
  for (auto [o, v] : llvm::enumerate(values)) {
    c.operands[o].dramWriteBytes = v;
    c.dramWriteBytes += v;
  }
  auto cycles = getReal(**dram, dp, "cycles");
  if (!cycles)
    return cycles.takeError();
  c.dramCycles = *cycles;
  c.dram.cycles = *cycles;
  for (auto [key, field] : {std::pair{"bursts", &c.dram.bursts},
                            {"row_hits", &c.dram.rowHits},
                            {"row_misses", &c.dram.rowMisses},
                            {"row_conflicts", &c.dram.rowConflicts}}) {
    auto v = getOptionalInt(**dram, dp, key);
    if (!v)
      return v.takeError();
    *field = *v;
  }
  auto parts = getObject(**dram, dp, "energy_pj", false);
  if (!parts)
    return parts.takeError();
  if (*parts) {
    // Keys in file order are not kept by the parser: sort by name.
    llvm::SmallVector<std::string, 4> keys;
    for (const auto &kv : **parts)
      keys.push_back(kv.first.str());
    llvm::sort(keys);
    for (const std::string &k : keys) {
      auto v = getReal(**parts, child(dp, "energy_pj"), k);
      if (!v)
        return v.takeError();
      c.dram.energyBreakdownPJ.push_back({k, *v});
    }
  }

  auto sram = getObject(obj, path, "sram");
  if (!sram)
    return sram.takeError();
  std::string sp = child(path, "sram");
  if (llvm::Error err = readPerOperand(**sram, sp, "read_bytes", w, values))
    return err;
  for (auto [o, v] : llvm::enumerate(values))
    c.operands[o].sramReadBytes = v;
  if (llvm::Error err = readPerOperand(**sram, sp, "write_bytes", w, values))
    return err;
  for (auto [o, v] : llvm::enumerate(values))
    c.operands[o].sramWriteBytes = v;

  auto energy = getObject(obj, path, "energy_pj");
  if (!energy)
    return energy.takeError();
  std::string ep = child(path, "energy_pj");
  for (auto [key, field] : {std::pair{"mac", &c.macEnergyPJ},
                            {"sram", &c.sramEnergyPJ},
                            {"dram", &c.dramEnergyPJ},
                            {"total", &c.totalEnergyPJ}}) {
    auto v = getReal(**energy, ep, key);
    if (!v)
      return v.takeError();
    *field = *v;
  }
  c.dram.energyPJ = c.dramEnergyPJ;
  auto compute = getInt(obj, path, "compute_cycles");
  if (!compute)
    return compute.takeError();
  c.computeCycles = *compute;
  auto total = getReal(obj, path, "cycles");
  if (!total)
    return total.takeError();
  c.cycles = *total;
  return llvm::Error::success();
}

llvm::Error Reader::readLayer(const llvm::json::Object &obj,
                              const std::string &path, const Schedule &s,
                              LayerSchedule &l) const {
  if (llvm::Error err = readWorkload(obj, path, l.workload))
    return err;
  // Buffers named per operand must be the target's.
  auto ops = getArray(obj, path, "operands");
  if (!ops)
    return ops.takeError();
  for (auto [i, v] : llvm::enumerate(**ops)) {
    std::string p = index(child(path, "operands"), i);
    auto buffer = getString(*v.getAsObject(), p, "buffer", false);
    if (!buffer)
      return buffer.takeError();
    if (buffer->empty() || s.target.memories.empty())
      continue;
    OperandClass cls = classifyOperand(l.workload, i);
    const CostMemory &mem = s.target.getMemory(cls);
    if (mem.name != *buffer)
      return fail(child(p, "buffer"),
                  "the target holds the " + stringifyOperandClass(cls) +
                      " in '" + mem.name + "', not '" + *buffer + "'");
  }
  if (llvm::Error err = readMapping(obj, path, l))
    return err;
  return readCosts(obj, path, l);
}

llvm::Expected<Schedule> Reader::read(const llvm::json::Value &root) {
  const llvm::json::Object *top = root.getAsObject();
  if (!top)
    return makeError(fileName + ": error: expected a JSON object");
  Schedule s;
  auto format = getString(*top, "", "format");
  if (!format)
    return format.takeError();
  if (*format != kScheduleFormat)
    return fail("format", "expected \"" + kScheduleFormat + "\", got \"" +
                              *format + "\"");
  auto version = getInt(*top, "", "version");
  if (!version)
    return version.takeError();
  if (*version != kScheduleVersion)
    return fail("version", "unsupported version " + llvm::Twine(*version) +
                               " (this romac reads version " +
                               llvm::Twine(kScheduleVersion) + ")");
  auto model = getString(*top, "", "model");
  if (!model)
    return model.takeError();
  s.model = *model;
  auto target = getObject(*top, "", "target");
  if (!target)
    return target.takeError();
  if (llvm::Error err = readTarget(**target, s.target))
    return std::move(err);
  auto search = getObject(*top, "", "search", false);
  if (!search)
    return search.takeError();
  if (*search) {
    for (auto [key, field] : {std::pair{"objective", &s.search.objective},
                              {"policy", &s.search.policy},
                              {"refinements", &s.search.refinements}}) {
      auto v = getString(**search, "search", key);
      if (!v)
        return v.takeError();
      *field = *v;
    }
    if (!symbolizeObjective(s.search.objective))
      return fail("search.objective",
                  "unknown objective '" + s.search.objective + "'");
    if (!symbolizeReusePolicy(s.search.policy))
      return fail("search.policy", "unknown policy '" + s.search.policy + "'");
    if (s.search.refinements != "none" &&
        s.search.refinements != "double-buffering")
      return fail("search.refinements",
                  "expected \"none\" or \"double-buffering\"");
  }
  auto layers = getArray(*top, "", "layers");
  if (!layers)
    return layers.takeError();
  for (auto [i, v] : llvm::enumerate(**layers)) {
    std::string p = index("layers", i);
    const llvm::json::Object *l = v.getAsObject();
    if (!l)
      return fail(p, "expected an object");
    LayerSchedule &layer = s.layers.emplace_back();
    if (llvm::Error err = readLayer(*l, p, s, layer))
      return std::move(err);
    if (s.target.rows > 0 && layer.cost.computeCycles > 0 &&
        layer.cost.utilization == 0)
      layer.cost.utilization =
          static_cast<double>(layer.cost.macs) /
          (static_cast<double>(layer.cost.computeCycles) *
           static_cast<double>(s.target.rows * s.target.cols));
  }
  // Totals are derived; only their presence and shape are checked.
  auto totals = getObject(*top, "", "totals");
  if (!totals)
    return totals.takeError();
  auto total = getObject(**totals, "totals", "energy_pj");
  if (!total)
    return total.takeError();
  auto macs = getInt(**totals, "totals", "macs");
  if (!macs)
    return macs.takeError();
  return s;
}

} // namespace

llvm::Expected<Schedule> romac::parseSchedule(StringRef text,
                                              StringRef fileName) {
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(text);
  if (!root)
    return makeError(fileName + ": error: invalid JSON: " +
                     llvm::toString(root.takeError()));
  return Reader(fileName).read(*root);
}

llvm::Expected<Schedule> romac::readScheduleFile(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError(path + ": error: cannot read schedule file: " +
                     buffer.getError().message());
  return parseSchedule((*buffer)->getBuffer(), path);
}

llvm::Error romac::verifySchedule(const Schedule &schedule,
                                  VerifyOptions options) {
  if (schedule.target.memories.empty())
    return makeError("schedule of '" + schedule.model + "': the target '" +
                     schedule.target.name +
                     "' has no buffers to verify against");
  if (schedule.search.refinements == "double-buffering")
    options.doubleBuffering = true;
  for (const LayerSchedule &l : schedule.layers)
    if (llvm::Error err =
            verifyTiling(l.workload, l.loops, schedule.target, options))
      return err;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

namespace {

/// 1536 -> "1.5 KiB".
std::string formatBytes(int64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0)
    return std::to_string(bytes) + " B";
  return llvm::formatv("{0:f1} {1}", v, units[u]).str();
}

/// pJ -> "12.345 uJ".
std::string formatEnergy(double pj) {
  return llvm::formatv("{0:f3}", pj * 1e-6).str();
}

std::string formatCycles(double cycles) {
  return std::to_string(static_cast<int64_t>(std::llround(cycles)));
}

std::string formatRatio(double other, double base) {
  if (base == 0)
    return other == 0 ? "1.000" : "inf";
  return llvm::formatv("{0:f3}", other / base).str();
}

/// `s` padded with spaces to `width`.
std::string padRight(std::string s, size_t width) {
  if (s.size() < width)
    s.append(width - s.size(), ' ');
  return s;
}

/// Keeps the end of long names: "...resnets.0.conv1".
std::string fit(StringRef s, size_t width) {
  if (s.size() <= width)
    return s.str();
  return "..." + s.take_back(width - 3).str();
}

std::string dimsString(const Workload &w) {
  std::string out;
  for (const LoopDim &d : w.dims)
    if (d.bound > 1)
      out += (out.empty() ? "" : " ") + d.name + std::to_string(d.bound);
  return out.empty() ? "-" : out;
}

std::string tilesString(const LayerSchedule &l) {
  std::string out;
  for (auto [d, dim] : llvm::enumerate(l.workload.dims))
    if (l.mapping.tileSizes[d] < dim.bound)
      out += (out.empty() ? "" : " ") + dim.name +
             std::to_string(l.mapping.tileSizes[d]);
  return out.empty() ? "untiled" : out;
}

std::string orderString(const LayerSchedule &l) {
  std::string out;
  for (unsigned d : l.mapping.order)
    if (l.loops[d].count > 1)
      out += (out.empty() ? "" : ",") + l.workload.dims[d].name;
  return out.empty() ? "-" : out;
}

/// "weight-stationary" -> "WS", "input+output-stationary" -> "I+O".
std::string reuseString(StringRef reuse) {
  if (!reuse.consume_back("-stationary"))
    return reuse.str();
  llvm::SmallVector<StringRef, 3> parts;
  reuse.split(parts, '+');
  if (parts.size() == 1)
    return std::string(1, static_cast<char>(std::toupper(parts[0][0]))) + "S";
  std::string out;
  for (StringRef p : parts)
    out += (out.empty() ? "" : "+") +
           std::string(1, static_cast<char>(std::toupper(p[0])));
  return out;
}

std::string spatialString(const LayerSchedule &l) {
  auto name = [&](const std::optional<unsigned> &d) -> std::string {
    return d ? l.workload.dims[*d].name : "-";
  };
  return name(l.spatial.rowDim) + "|" + name(l.spatial.colDim);
}

/// DRAM bytes (read + written) per operand class.
std::array<int64_t, kNumOperandClasses> dramByClass(const LayerSchedule &l) {
  std::array<int64_t, kNumOperandClasses> bytes = {0, 0, 0};
  for (auto [o, c] : llvm::enumerate(l.cost.operands))
    bytes[static_cast<unsigned>(classifyOperand(l.workload, o))] +=
        c.dramReadBytes + c.dramWriteBytes;
  return bytes;
}

size_t nameWidth(const Schedule &s) {
  // Wide enough for "total (N layers)" and "total (matched)".
  size_t width = 7 + std::to_string(s.layers.size()).size() + 8;
  for (const LayerSchedule &l : s.layers)
    width = std::max(width, l.workload.name.size());
  return std::min<size_t>(width, 36);
}

} // namespace

void romac::printScheduleTable(llvm::raw_ostream &os, const Schedule &s) {
  size_t nw = nameWidth(s);
  auto row = [&](StringRef name, StringRef op, StringRef dims, StringRef tiles,
                 StringRef order, StringRef reuse, StringRef spatial,
                 StringRef in, StringRef wt, StringRef out, StringRef energy,
                 StringRef cycles, StringRef util) {
    os << llvm::formatv("{0} {1,-14} {2,-26} {3,-22} {4,-12} {5,-5} {6,-7} "
                        "{7,10} {8,10} {9,10} {10,11} {11,12} {12,5}\n",
                        padRight(fit(name, nw), nw), fit(op, 14), fit(dims, 26),
                        fit(tiles, 22), fit(order, 12), reuse, spatial, in, wt,
                        out, energy, cycles, util);
  };
  os << "model '" << s.model << "' on target '" << s.target.name
     << "' (objective " << s.search.objective << ", policy " << s.search.policy
     << ", refinements " << s.search.refinements << ")\n";
  row("layer", "op", "dims", "tiles (DRAM->SRAM)", "order", "reuse",
      "rows|cols", "DRAM in", "DRAM wt", "DRAM out", "energy uJ", "cycles",
      "util");
  for (const LayerSchedule &l : s.layers) {
    auto bytes = dramByClass(l);
    row(l.workload.name, l.workload.op, dimsString(l.workload), tilesString(l),
        orderString(l), reuseString(l.reuse), spatialString(l),
        formatBytes(bytes[0]), formatBytes(bytes[1]), formatBytes(bytes[2]),
        formatEnergy(l.cost.totalEnergyPJ), formatCycles(l.cost.cycles),
        llvm::formatv("{0:f0}%", 100 * l.cost.utilization).str());
  }
  ScheduleTotals t = s.getTotals();
  std::array<int64_t, kNumOperandClasses> bytes = {0, 0, 0};
  for (const LayerSchedule &l : s.layers) {
    auto b = dramByClass(l);
    for (unsigned c = 0; c < kNumOperandClasses; ++c)
      bytes[c] += b[c];
  }
  double util = t.computeCycles > 0
                    ? static_cast<double>(t.macs) /
                          (static_cast<double>(t.computeCycles) *
                           static_cast<double>(s.target.rows * s.target.cols))
                    : 0;
  row("total (" + std::to_string(s.layers.size()) + " layers)", "", "", "", "",
      "", "", formatBytes(bytes[0]), formatBytes(bytes[1]),
      formatBytes(bytes[2]), formatEnergy(t.totalEnergyPJ),
      formatCycles(t.cycles), llvm::formatv("{0:f0}%", 100 * util).str());
  os << llvm::formatv("energy: MAC {0} uJ, SRAM {1} uJ, DRAM {2} uJ; DRAM "
                      "traffic {3} read, {4} written\n",
                      formatEnergy(t.macEnergyPJ), formatEnergy(t.sramEnergyPJ),
                      formatEnergy(t.dramEnergyPJ),
                      formatBytes(t.dramReadBytes),
                      formatBytes(t.dramWriteBytes));
  os << "reuse: IS/WS/OS input/weight/output stationary, I+W etc. several "
        "classes fetched once per tile; rows|cols: dims unrolled on the "
        "MAC array\n";
}

void romac::printScheduleComparison(llvm::raw_ostream &os, const Schedule &base,
                                    const Schedule &other) {
  size_t nw = std::max(nameWidth(base), nameWidth(other));
  auto row = [&](StringRef name, StringRef e1, StringRef e2, StringRef er,
                 StringRef d1, StringRef d2, StringRef dr, StringRef c1,
                 StringRef c2, StringRef cr) {
    os << llvm::formatv("{0} {1,11} {2,11} {3,7} {4,10} {5,10} {6,7} {7,12} "
                        "{8,12} {9,7}\n",
                        padRight(fit(name, nw), nw), e1, e2, er, d1, d2, dr, c1,
                        c2, cr);
  };
  os << "base:  '" << base.model << "' on '" << base.target.name << "' ("
     << base.search.objective << ", " << base.search.policy << ")\n";
  os << "other: '" << other.model << "' on '" << other.target.name << "' ("
     << other.search.objective << ", " << other.search.policy << ")\n";
  row("layer", "energy uJ", "other", "ratio", "DRAM", "other", "ratio",
      "cycles", "other", "ratio");
  // Match by name; a name used several times matches in order.
  llvm::StringMap<llvm::SmallVector<size_t, 1>> byName;
  for (auto [i, l] : llvm::enumerate(other.layers))
    byName[l.workload.name].push_back(i);
  std::vector<bool> used(other.layers.size(), false);
  double e1 = 0, e2 = 0, c1 = 0, c2 = 0;
  int64_t d1 = 0, d2 = 0;
  std::vector<std::string> onlyBase;
  for (auto [i, l] : llvm::enumerate(base.layers)) {
    auto it = byName.find(l.workload.name);
    std::optional<size_t> match;
    if (it != byName.end())
      for (size_t j : it->second)
        if (!used[j]) {
          match = j;
          break;
        }
    if (!match) {
      onlyBase.push_back(l.workload.name);
      continue;
    }
    used[*match] = true;
    const LayerSchedule &r = other.layers[*match];
    row(l.workload.name, formatEnergy(l.cost.totalEnergyPJ),
        formatEnergy(r.cost.totalEnergyPJ),
        formatRatio(r.cost.totalEnergyPJ, l.cost.totalEnergyPJ),
        formatBytes(l.cost.getDramBytes()), formatBytes(r.cost.getDramBytes()),
        formatRatio(static_cast<double>(r.cost.getDramBytes()),
                    static_cast<double>(l.cost.getDramBytes())),
        formatCycles(l.cost.cycles), formatCycles(r.cost.cycles),
        formatRatio(r.cost.cycles, l.cost.cycles));
    e1 += l.cost.totalEnergyPJ;
    e2 += r.cost.totalEnergyPJ;
    d1 += l.cost.getDramBytes();
    d2 += r.cost.getDramBytes();
    c1 += l.cost.cycles;
    c2 += r.cost.cycles;
  }
  row("total (matched)", formatEnergy(e1), formatEnergy(e2),
      formatRatio(e2, e1), formatBytes(d1), formatBytes(d2),
      formatRatio(static_cast<double>(d2), static_cast<double>(d1)),
      formatCycles(c1), formatCycles(c2), formatRatio(c2, c1));
  for (const std::string &n : onlyBase)
    os << "only in base: " << n << "\n";
  for (auto [j, l] : llvm::enumerate(other.layers))
    if (!used[j])
      os << "only in other: " << l.workload.name << "\n";
  os << "ratio: other / base (below 1: the other schedule is better)\n";
}
