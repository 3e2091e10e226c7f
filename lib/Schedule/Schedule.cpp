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
#include <tuple>

using namespace romac;
using llvm::ArrayRef;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

double LayerDramInfo::getRelayoutEnergyPJ() const {
  double sum = 0;
  for (const Relayout &r : relayouts)
    sum += r.energyPJ;
  return sum;
}

ScheduleTotals Schedule::getTotals() const {
  ScheduleTotals t;
  bool allStats = !layers.empty(), allInfo = !layers.empty(),
       allParts = !layers.empty();
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
    t.dramCycles += l.cost.dramCycles;
    const DramEstimate &d = l.cost.dram;
    allStats &= d.bursts && d.rowHits && d.rowMisses && d.rowConflicts;
    allInfo &= l.dram.has_value();
    // The same kinds in the same order in every layer.
    if (allParts && !d.energyBreakdownPJ.empty() &&
        (t.dramEnergyBreakdownPJ.empty() ||
         t.dramEnergyBreakdownPJ.size() == d.energyBreakdownPJ.size())) {
      if (t.dramEnergyBreakdownPJ.empty())
        for (const auto &[name, pj] : d.energyBreakdownPJ)
          t.dramEnergyBreakdownPJ.push_back({name, 0});
      for (auto [sum, part] :
           llvm::zip_equal(t.dramEnergyBreakdownPJ, d.energyBreakdownPJ)) {
        if (sum.first != part.first) {
          allParts = false;
          break;
        }
        sum.second += part.second;
      }
    } else {
      allParts = false;
    }
    if (l.dram) {
      t.relayouts += static_cast<int64_t>(l.dram->relayouts.size());
      t.relayoutEnergyPJ += l.dram->getRelayoutEnergyPJ();
    }
  }
  if (!allParts)
    t.dramEnergyBreakdownPJ.clear();
  if (allStats) {
    t.bursts = t.rowHits = t.rowMisses = t.rowConflicts = 0;
    for (const LayerSchedule &l : layers) {
      *t.bursts += *l.cost.dram.bursts;
      *t.rowHits += *l.cost.dram.rowHits;
      *t.rowMisses += *l.cost.dram.rowMisses;
      *t.rowConflicts += *l.cost.dram.rowConflicts;
    }
  }
  if (allInfo) {
    t.activates = 0;
    for (const LayerSchedule &l : layers)
      *t.activates += l.dram->activates;
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

Schedule romac::makeSchedule(StringRef model, const CostTarget &target,
                             ArrayRef<Workload> workloads,
                             const DramSearchResult &result,
                             const SearchOptions &options,
                             const DramSearchOptions &dramOptions) {
  assert(workloads.size() == result.layers.size() && "one result per workload");
  std::vector<LayerResult> plain;
  for (const DramLayerResult &r : result.layers)
    plain.push_back(r.layer);
  Schedule s = makeSchedule(model, target, workloads, plain, options);
  s.search.dramObjective = stringifyDramObjective(dramOptions.objective).str();
  for (auto [l, r] : llvm::zip_equal(s.layers, result.layers)) {
    LayerDramInfo &info = l.dram.emplace();
    info.addressMapping = r.addressMapping;
    info.layout = r.layout;
    info.activates = static_cast<int64_t>(r.stats.activates);
    info.relayouts = r.relayouts;
    l.cost.dramEnergyPJ += r.getRelayoutEnergyPJ();
    l.cost.totalEnergyPJ += r.getRelayoutEnergyPJ();
    l.cost.cycles += r.getRelayoutCycles();
  }
  return s;
}

ScheduleFusion romac::makeScheduleFusion(const FusionResult &result,
                                         const DramParams &dram,
                                         double computeMHz) {
  ScheduleFusion f;
  for (const FusedGroup &fg : result.groups) {
    ScheduleGroup &g = f.groups.emplace_back();
    g.first = fg.first;
    g.last = fg.last;
    g.bandRows = fg.schedule.bandRows;
    g.bands = fg.counts.bands;
    g.weightsResident = fg.schedule.weightsResident;
    g.rowsOutermost = fg.rowsOutermost;
    g.producerInput = fg.producerInput;
    g.inputReadBytes = fg.counts.inputReadBytes;
    g.weightReadBytes = fg.counts.weightReadBytes;
    g.outputWriteBytes = fg.counts.outputWriteBytes;
    g.savedBytes = fg.counts.savedBytes;
    g.peakActivationBytes = fg.counts.peakActivationBytes;
    g.weightBufferBytes = fg.counts.weightBufferBytes;
    g.bursts = static_cast<int64_t>(fg.stats.bursts);
    g.rowHits = static_cast<int64_t>(fg.stats.rowHits);
    g.rowMisses = static_cast<int64_t>(fg.stats.rowMisses);
    g.rowConflicts = static_cast<int64_t>(fg.stats.rowConflicts);
    g.activates = static_cast<int64_t>(fg.stats.activates);
    g.dramEnergyPJ = fg.getEnergyPJ();
    // Re-layout cycles are compute cycles already; the group's own are tCK.
    g.dramCycles = dramToComputeCycles(static_cast<double>(fg.stats.cycles),
                                       dram, computeMHz);
    for (const Relayout &r : fg.relayouts) {
      g.relayoutEnergyPJ += r.energyPJ;
      g.dramCycles += r.cycles;
    }
  }
  f.dramEnergyPJ = result.energyPJ;
  f.dramCycles = dramToComputeCycles(result.dramCycles, dram, computeMHz);
  return f;
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

/// {operand: {"kind", "base", "block", "order"}} of a layer's layout;
/// `block` only for blocked layouts, `order` only when not the identity.
void writeLayout(Writer &w, const Workload &wl, const LayerLayout &layout) {
  w.object("layout", [&] {
    for (auto [o, op] : llvm::enumerate(wl.operands)) {
      if (o >= layout.operands.size())
        break;
      const TensorLayout &t = layout.operands[o];
      w.object(op.name, [&] {
        w.string("kind", stringifyLayoutKind(t.getKind()));
        w.integer("base", static_cast<int64_t>(t.getBase()));
        if (t.getKind() == LayoutKind::Blocked)
          w.array("block", [&] {
            for (int64_t b : t.getBlockSizes())
              w.j.value(b);
          });
        bool identity = true;
        for (auto [i, d] : llvm::enumerate(t.getDimOrder()))
          identity &= d == i;
        if (!identity)
          w.array("order", [&] {
            for (unsigned d : t.getDimOrder())
              w.j.value(static_cast<int64_t>(d));
          });
      });
    }
  });
}

/// The spellings of ScheduleGroup::weightsResident and rowsOutermost.
StringRef weightsString(bool resident) {
  return resident ? "resident" : "streamed";
}
StringRef groupLayoutString(bool rowsOutermost) {
  return rowsOutermost ? "rows-outermost" : "row-major";
}

/// Per layer of `s`, the index of the fused group covering it, or -1.
std::vector<int> getFusedGroupOf(const Schedule &s) {
  std::vector<int> groupOf(s.layers.size(), -1);
  if (s.fusion)
    for (auto [g, group] : llvm::enumerate(s.fusion->groups))
      for (size_t i = group.first; i <= group.last && i < groupOf.size(); ++i)
        groupOf[i] = static_cast<int>(g);
  return groupOf;
}

/// One layer; `group` is the index of the fused group covering it, or -1.
void writeLayer(Writer &w, const Schedule &s, const LayerSchedule &l,
                int group) {
  const Workload &wl = l.workload;
  const CostBreakdown &c = l.cost;
  w.j.object([&] {
    w.string("name", wl.name);
    w.string("op", wl.op);
    if (group >= 0)
      w.integer("fused_group", group);
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
      if (l.dram) {
        w.string("address_mapping", l.dram->addressMapping);
        writeLayout(w, wl, l.dram->layout);
      }
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
      if (l.dram)
        w.integer("activates", l.dram->activates);
      if (!c.dram.energyBreakdownPJ.empty())
        w.object("energy_pj", [&] {
          for (const auto &[name, pj] : c.dram.energyBreakdownPJ)
            w.real(name, pj);
        });
      if (l.dram && !l.dram->relayouts.empty())
        w.array("relayouts", [&] {
          for (const Relayout &r : l.dram->relayouts)
            w.j.object([&] {
              w.string("operand", r.operand < wl.operands.size()
                                      ? StringRef(wl.operands[r.operand].name)
                                      : StringRef());
              w.string("tensor", r.tensor);
              w.string("producer", r.producer);
              w.integer("bytes", r.bytes);
              w.real("energy_pj", r.energyPJ);
              w.real("cycles", r.cycles);
            });
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

/// The `fusion` section.
void writeFusion(Writer &w, const Schedule &s, const ScheduleFusion &f) {
  auto layerName = [&](unsigned i) {
    return i < s.layers.size() ? StringRef(s.layers[i].workload.name)
                               : StringRef();
  };
  w.object("fusion", [&] {
    w.real("dram_energy_pj", f.dramEnergyPJ);
    w.real("dram_cycles", f.dramCycles);
    w.array("groups", [&] {
      for (const ScheduleGroup &g : f.groups)
        w.j.object([&] {
          w.integer("first", g.first);
          w.integer("last", g.last);
          w.string("first_layer", layerName(g.first));
          w.string("last_layer", layerName(g.last));
          w.integer("band_rows", g.bandRows);
          w.integer("bands", g.bands);
          w.string("weights", weightsString(g.weightsResident));
          w.string("layout", groupLayoutString(g.rowsOutermost));
          w.string("input_layout", g.producerInput
                                       ? StringRef("producer")
                                       : groupLayoutString(g.rowsOutermost));
          w.object("bytes", [&] {
            w.integer("input_read", g.inputReadBytes);
            w.integer("weight_read", g.weightReadBytes);
            w.integer("output_write", g.outputWriteBytes);
            w.integer("saved", g.savedBytes);
          });
          w.object("on_chip_bytes", [&] {
            w.integer("activations", g.peakActivationBytes);
            w.integer("weights", g.weightBufferBytes);
          });
          w.object("dram", [&] {
            w.real("energy_pj", g.dramEnergyPJ);
            w.real("relayout_energy_pj", g.relayoutEnergyPJ);
            w.real("cycles", g.dramCycles);
            w.integer("bursts", g.bursts);
            w.integer("row_hits", g.rowHits);
            w.integer("row_misses", g.rowMisses);
            w.integer("row_conflicts", g.rowConflicts);
            w.integer("activates", g.activates);
          });
        });
    });
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
      if (!s.search.dramObjective.empty())
        w.string("dram_objective", s.search.dramObjective);
    });
    std::vector<int> groupOf = getFusedGroupOf(s);
    w.array("layers", [&] {
      for (auto [l, g] : llvm::zip_equal(s.layers, groupOf))
        writeLayer(w, s, l, g);
    });
    ScheduleTotals t = s.getTotals();
    w.object("totals", [&] {
      w.integer("layers", static_cast<int64_t>(s.layers.size()));
      w.integer("macs", t.macs);
      w.object("dram", [&] {
        w.integer("read_bytes", t.dramReadBytes);
        w.integer("write_bytes", t.dramWriteBytes);
        // The row-buffer sums only when every layer has them.
        if (t.bursts) {
          w.real("cycles", t.dramCycles);
          w.integer("bursts", *t.bursts);
          w.integer("row_hits", *t.rowHits);
          w.integer("row_misses", *t.rowMisses);
          w.integer("row_conflicts", *t.rowConflicts);
        }
        if (t.activates)
          w.integer("activates", *t.activates);
        if (!t.dramEnergyBreakdownPJ.empty())
          w.object("energy_pj", [&] {
            for (const auto &[name, pj] : t.dramEnergyBreakdownPJ)
              w.real(name, pj);
          });
        if (t.relayouts > 0) {
          w.integer("relayouts", t.relayouts);
          w.real("relayout_energy_pj", t.relayoutEnergyPJ);
        }
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
    if (s.fusion)
      writeFusion(w, s, *s.fusion);
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

/// The DRAM energy kinds of the row-buffer model, in schedule order.
constexpr StringRef kDramEnergyKinds[] = {"act_pre", "rd_wr", "background",
                                          "refresh"};

/// Whether `a` and `b` agree to a relative 1e-9 (plus an absolute 1e-6 pJ).
bool nearlyEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-6 + 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

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

  /// Moves a successfully read value into `out`.
  template <typename T, typename U>
  static llvm::Error read(llvm::Expected<T> value, U &out) {
    if (!value)
      return value.takeError();
    out = std::move(*value);
    return llvm::Error::success();
  }

  /// A string member that must be `yes` or `no`; `out` is whether it is
  /// `yes`.
  llvm::Error readChoice(const llvm::json::Object &obj, const std::string &path,
                         StringRef key, StringRef yes, StringRef no,
                         bool &out) const {
    auto v = getString(obj, path, key);
    if (!v)
      return v.takeError();
    if (*v != yes && *v != no)
      return fail(child(path, key), "expected \"" + yes + "\" or \"" + no +
                                        "\", got \"" + *v + "\"");
    out = *v == yes;
    return llvm::Error::success();
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
  /// The DRAM placement (address mapping, layouts, activates, re-layouts)
  /// of `l`, the last layer of `s`.
  llvm::Error readDramInfo(const llvm::json::Object &obj,
                           const std::string &path, const Schedule &s,
                           LayerSchedule &l) const;
  llvm::Expected<TensorLayout> readTensorLayout(const llvm::json::Object &obj,
                                                const std::string &path,
                                                const Operand &op) const;
  /// Checks the DRAM sums of `totals` against the layers.
  llvm::Error checkDramTotals(const llvm::json::Object &totals,
                              const Schedule &s) const;
  /// The `fusion` section (when present) of `top` into `s`, whose layers
  /// are read; `stated` is every layer's `fused_group`, checked against the
  /// groups.
  llvm::Error readFusion(const llvm::json::Object &top, Schedule &s,
                         ArrayRef<std::optional<int64_t>> stated) const;
  llvm::Error readGroup(const llvm::json::Object &obj, const std::string &path,
                        const Schedule &s, ScheduleGroup &g) const;
  /// A finite non-negative number / a non-negative integer at `key`.
  llvm::Error readNonNegative(const llvm::json::Object &obj,
                              const std::string &path, StringRef key,
                              double &out) const;
  llvm::Error readNonNegative(const llvm::json::Object &obj,
                              const std::string &path, StringRef key,
                              int64_t &out) const;

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
  if (llvm::Error err =
          read(getString(obj, path, "description", false), t.description))
    return err;
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
      if (llvm::Error err = read(getString(*m, p, "name"), mem.name))
        return err;
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
        if (llvm::Error err = read(getReal(*m, p, key, false), *field))
          return err;
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
    if (llvm::Error err =
            read(getReal(**dram, p, "flat_energy_pj_per_bit", false),
                 t.dramFlatPJPerBit))
      return err;
    if (llvm::Error err =
            read(getReal(**dram, p, "peak_gbps", false), t.dramPeakGBps))
      return err;
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
  if (llvm::Error err = read(getString(obj, path, "op"), w.op))
    return err;

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
    if (llvm::Error err = read(getString(*o, p, "name"), operand.name))
      return err;
    if (llvm::Error err = read(getString(*o, p, "tensor"), operand.tensor))
      return err;
    auto role = getString(*o, p, "role");
    if (!role)
      return role.takeError();
    std::optional<OperandRole> r = symbolizeOperandRole(*role);
    if (!r)
      return fail(child(p, "role"),
                  "expected \"read\" or \"readwrite\", got \"" + *role + "\"");
    operand.role = *r;
    if (llvm::Error err =
            read(getInt(*o, p, "bytes_per_element"), operand.bytesPerElement))
      return err;
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
  if (llvm::Error err = read(getString(**mapping, mp, "reuse"), l.reuse))
    return err;
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
      if (llvm::Error err = read(getReal(*level, p, "utilization", false),
                                 l.cost.utilization))
        return err;
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
  if (llvm::Error err = read(getString(**dram, dp, "model"), c.dramModel))
    return err;
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
  // Row-buffer counts come together and add up.
  const DramEstimate &d = c.dram;
  bool any = d.bursts || d.rowHits || d.rowMisses || d.rowConflicts;
  bool all = d.bursts && d.rowHits && d.rowMisses && d.rowConflicts;
  if (any && !all)
    return fail(dp, "bursts, row_hits, row_misses and row_conflicts go "
                    "together");
  if (all) {
    for (auto [key, v] : {std::pair{"bursts", *d.bursts},
                          {"row_hits", *d.rowHits},
                          {"row_misses", *d.rowMisses},
                          {"row_conflicts", *d.rowConflicts}})
      if (v < 0)
        return fail(child(dp, key), "must not be negative");
    if (*d.rowHits + *d.rowMisses + *d.rowConflicts != *d.bursts)
      return fail(child(dp, "bursts"),
                  "is " + llvm::Twine(*d.bursts) +
                      " but row hits + misses + conflicts are " +
                      llvm::Twine(*d.rowHits + *d.rowMisses + *d.rowConflicts));
  }
  auto parts = getObject(**dram, dp, "energy_pj", false);
  if (!parts)
    return parts.takeError();
  if (*parts) {
    // Keys in file order are not kept by the parser: the known kinds in
    // their fixed order.
    std::string pp = child(dp, "energy_pj");
    for (const auto &kv : **parts)
      if (!llvm::is_contained(kDramEnergyKinds, StringRef(kv.first)))
        return fail(child(pp, kv.first),
                    "unknown DRAM energy kind (expected act_pre, rd_wr, "
                    "background or refresh)");
    for (StringRef k : kDramEnergyKinds) {
      if (!(*parts)->get(k))
        continue;
      auto v = getReal(**parts, pp, k);
      if (!v)
        return v.takeError();
      if (!(*v >= 0) || !std::isfinite(*v))
        return fail(child(pp, k), "must be a finite non-negative number");
      c.dram.energyBreakdownPJ.push_back({k.str(), *v});
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
    if (llvm::Error err = read(getReal(**energy, ep, key), *field))
      return err;
  }
  c.dram.energyPJ = c.dramEnergyPJ;
  if (llvm::Error err =
          read(getInt(obj, path, "compute_cycles"), c.computeCycles))
    return err;
  if (llvm::Error err = read(getReal(obj, path, "cycles"), c.cycles))
    return err;
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
  if (llvm::Error err = readCosts(obj, path, l))
    return err;
  return readDramInfo(obj, path, s, l);
}

llvm::Expected<TensorLayout>
Reader::readTensorLayout(const llvm::json::Object &obj, const std::string &path,
                         const Operand &op) const {
  for (const auto &kv : obj)
    if (!llvm::is_contained({StringRef("kind"), StringRef("base"),
                             StringRef("block"), StringRef("order")},
                            StringRef(kv.first)))
      return fail(child(path, kv.first), "unknown key");
  auto kindName = getString(obj, path, "kind");
  if (!kindName)
    return kindName.takeError();
  std::optional<LayoutKind> kind = symbolizeLayoutKind(*kindName);
  if (!kind)
    return fail(child(path, "kind"),
                "expected \"row-major\" or \"blocked\", got \"" + *kindName +
                    "\"");
  auto base = getInt(obj, path, "base");
  if (!base)
    return base.takeError();
  if (*base < 0)
    return fail(child(path, "base"), "must not be negative");
  llvm::SmallVector<unsigned, 4> order;
  auto orderArray = getArray(obj, path, "order", false);
  if (!orderArray)
    return orderArray.takeError();
  if (*orderArray)
    for (auto [j, v] : llvm::enumerate(**orderArray)) {
      auto d = asInt(v, index(child(path, "order"), j));
      if (!d)
        return d.takeError();
      if (*d < 0 || *d >= static_cast<int64_t>(op.extent.size()))
        return fail(index(child(path, "order"), j), "not a dim of the tensor");
      order.push_back(static_cast<unsigned>(*d));
    }
  auto blockArray = getArray(obj, path, "block", *kind == LayoutKind::Blocked);
  if (!blockArray)
    return blockArray.takeError();
  if (*kind == LayoutKind::RowMajor && *blockArray)
    return fail(child(path, "block"), "only blocked layouts have blocks");
  llvm::Expected<TensorLayout> layout = [&]() -> llvm::Expected<TensorLayout> {
    if (*kind == LayoutKind::RowMajor)
      return TensorLayout::getRowMajor(op.extent, op.bytesPerElement,
                                       static_cast<uint64_t>(*base), order);
    llvm::SmallVector<int64_t, 4> blocks;
    for (auto [j, v] : llvm::enumerate(**blockArray)) {
      auto b = asInt(v, index(child(path, "block"), j));
      if (!b)
        return b.takeError();
      blocks.push_back(*b);
    }
    return TensorLayout::getBlocked(op.extent, op.bytesPerElement,
                                    static_cast<uint64_t>(*base), blocks,
                                    order);
  }();
  if (!layout)
    return fail(path, llvm::toString(layout.takeError()));
  return layout;
}

llvm::Error Reader::readDramInfo(const llvm::json::Object &obj,
                                 const std::string &path, const Schedule &s,
                                 LayerSchedule &l) const {
  const Workload &w = l.workload;
  std::string dp = child(path, "dram");
  const llvm::json::Object &dram = *obj.getObject("dram");
  // The layer's DRAM energy is the row-buffer model's (by kind) plus the
  // re-layouts.
  auto checkEnergy = [&](double relayoutPJ) -> llvm::Error {
    if (l.cost.dram.energyBreakdownPJ.empty())
      return llvm::Error::success();
    double parts = 0;
    for (const auto &[name, pj] : l.cost.dram.energyBreakdownPJ)
      parts += pj;
    double expected = parts + relayoutPJ;
    if (!nearlyEqual(expected, l.cost.dramEnergyPJ))
      return fail(child(path, "energy_pj.dram"),
                  "is " + formatReal(l.cost.dramEnergyPJ) +
                      " but dram.energy_pj" +
                      (relayoutPJ > 0 ? " and the re-layouts add" : " adds") +
                      " up to " + formatReal(expected));
    l.cost.dram.energyPJ = parts;
    return llvm::Error::success();
  };
  bool hasMapping = dram.get("address_mapping"), hasLayout = dram.get("layout"),
       hasActs = dram.get("activates"), hasRelayouts = dram.get("relayouts");
  if (!hasMapping && !hasLayout && !hasActs && !hasRelayouts)
    return checkEnergy(0);
  for (auto [key, present] : {std::pair{"address_mapping", hasMapping},
                              {"layout", hasLayout},
                              {"activates", hasActs}})
    if (!present)
      return fail(child(dp, key), "missing (a DRAM placement states "
                                  "address_mapping, layout and activates)");
  if (!l.cost.dram.bursts)
    return fail(dp, "a DRAM placement needs the row-buffer counts (bursts, "
                    "row_hits, row_misses, row_conflicts)");
  LayerDramInfo &info = l.dram.emplace();
  auto mapping = getString(dram, dp, "address_mapping");
  if (!mapping)
    return mapping.takeError();
  if (mapping->empty())
    return fail(child(dp, "address_mapping"), "must not be empty");
  info.addressMapping = *mapping;

  auto layout = getObject(dram, dp, "layout");
  if (!layout)
    return layout.takeError();
  std::string lp = child(dp, "layout");
  for (const auto &kv : **layout)
    if (!w.findOperand(kv.first))
      return fail(child(lp, kv.first), "unknown operand");
  for (const Operand &op : w.operands) {
    auto o = getObject(**layout, lp, op.name);
    if (!o)
      return o.takeError();
    llvm::Expected<TensorLayout> t =
        readTensorLayout(**o, child(lp, op.name), op);
    if (!t)
      return t.takeError();
    info.layout.operands.push_back(std::move(*t));
  }
  if (llvm::Error err = info.layout.verify(w))
    return fail(lp, llvm::toString(std::move(err)));

  auto acts = getInt(dram, dp, "activates");
  if (!acts)
    return acts.takeError();
  if (*acts != *l.cost.dram.rowMisses + *l.cost.dram.rowConflicts)
    return fail(
        child(dp, "activates"),
        "is " + llvm::Twine(*acts) + " but row misses + conflicts are " +
            llvm::Twine(*l.cost.dram.rowMisses + *l.cost.dram.rowConflicts));
  info.activates = *acts;

  auto relayouts = getArray(dram, dp, "relayouts", false);
  if (!relayouts)
    return relayouts.takeError();
  if (*relayouts)
    for (auto [i, v] : llvm::enumerate(**relayouts)) {
      std::string rp = index(child(dp, "relayouts"), i);
      const llvm::json::Object *r = v.getAsObject();
      if (!r)
        return fail(rp, "expected an object");
      Relayout &rl = info.relayouts.emplace_back();
      auto operand = getString(*r, rp, "operand");
      if (!operand)
        return operand.takeError();
      std::optional<unsigned> o = w.findOperand(*operand);
      if (!o)
        return fail(child(rp, "operand"), "unknown operand '" + *operand + "'");
      rl.operand = *o;
      if (llvm::Error err = read(getString(*r, rp, "tensor"), rl.tensor))
        return err;
      auto producer = getString(*r, rp, "producer");
      if (!producer)
        return producer.takeError();
      rl.producer = *producer;
      // The producer is an earlier layer (the latest of that name).
      bool found = false;
      for (size_t k = s.layers.size() - 1; k-- > 0;)
        if (s.layers[k].workload.name == *producer) {
          rl.producerIndex = static_cast<unsigned>(k);
          found = true;
          break;
        }
      if (!found)
        return fail(child(rp, "producer"),
                    "no earlier layer is called '" + *producer + "'");
      auto bytes = getInt(*r, rp, "bytes");
      if (!bytes)
        return bytes.takeError();
      if (*bytes < 0)
        return fail(child(rp, "bytes"), "must not be negative");
      rl.bytes = *bytes;
      for (auto [key, field] :
           {std::pair{"energy_pj", &rl.energyPJ}, {"cycles", &rl.cycles}}) {
        auto x = getReal(*r, rp, key);
        if (!x)
          return x.takeError();
        if (!(*x >= 0) || !std::isfinite(*x))
          return fail(child(rp, key), "must be a finite non-negative number");
        *field = *x;
      }
    }

  return checkEnergy(info.getRelayoutEnergyPJ());
}

llvm::Error Reader::checkDramTotals(const llvm::json::Object &totals,
                                    const Schedule &s) const {
  auto dram = getObject(totals, "totals", "dram", false);
  if (!dram)
    return dram.takeError();
  if (!*dram)
    return llvm::Error::success();
  std::string dp = "totals.dram";
  ScheduleTotals t = s.getTotals();
  auto checkInt = [&](StringRef key,
                      std::optional<int64_t> expected) -> llvm::Error {
    const llvm::json::Value *v = (*dram)->get(key);
    if (!v && !expected)
      return llvm::Error::success();
    if (!v)
      return fail(child(dp, key), "missing (every layer states it)");
    if (!expected)
      return fail(child(dp, key), "not every layer states it");
    auto x = asInt(*v, child(dp, key));
    if (!x)
      return x.takeError();
    if (*x != *expected)
      return fail(child(dp, key), "is " + llvm::Twine(*x) +
                                      " but the layers add up to " +
                                      llvm::Twine(*expected));
    return llvm::Error::success();
  };
  for (auto [key, value] : {std::pair{"bursts", t.bursts},
                            {"row_hits", t.rowHits},
                            {"row_misses", t.rowMisses},
                            {"row_conflicts", t.rowConflicts},
                            {"activates", t.activates}})
    if (llvm::Error err = checkInt(key, value))
      return err;
  if (llvm::Error err = checkInt(
          "relayouts", t.relayouts ? std::optional(t.relayouts) : std::nullopt))
    return err;
  auto parts = getObject(**dram, dp, "energy_pj", false);
  if (!parts)
    return parts.takeError();
  if (bool(*parts) != !t.dramEnergyBreakdownPJ.empty())
    return fail(child(dp, "energy_pj"),
                *parts ? "not every layer states its DRAM energy by kind"
                       : "missing (every layer states it)");
  if (*parts) {
    std::string pp = child(dp, "energy_pj");
    if ((*parts)->size() != t.dramEnergyBreakdownPJ.size())
      return fail(pp, "names other kinds than the layers");
    for (const auto &[name, sum] : t.dramEnergyBreakdownPJ) {
      auto x = getReal(**parts, pp, name);
      if (!x)
        return x.takeError();
      if (!nearlyEqual(*x, sum))
        return fail(child(pp, name), "is " + formatReal(*x) +
                                         " but the layers add up to " +
                                         formatReal(sum));
    }
  }
  return llvm::Error::success();
}

llvm::Error Reader::readNonNegative(const llvm::json::Object &obj,
                                    const std::string &path, StringRef key,
                                    double &out) const {
  auto x = getReal(obj, path, key);
  if (!x)
    return x.takeError();
  if (!(*x >= 0) || !std::isfinite(*x))
    return fail(child(path, key), "must be a finite non-negative number");
  out = *x;
  return llvm::Error::success();
}

llvm::Error Reader::readNonNegative(const llvm::json::Object &obj,
                                    const std::string &path, StringRef key,
                                    int64_t &out) const {
  auto x = getInt(obj, path, key);
  if (!x)
    return x.takeError();
  if (*x < 0)
    return fail(child(path, key), "must not be negative");
  out = *x;
  return llvm::Error::success();
}

llvm::Error Reader::readGroup(const llvm::json::Object &obj,
                              const std::string &path, const Schedule &s,
                              ScheduleGroup &g) const {
  int64_t n = static_cast<int64_t>(s.layers.size());
  auto first = getInt(obj, path, "first");
  if (!first)
    return first.takeError();
  if (*first < 0 || *first >= n)
    return fail(child(path, "first"), "is " + llvm::Twine(*first) +
                                          ", not a layer (the schedule has " +
                                          llvm::Twine(n) + ")");
  auto last = getInt(obj, path, "last");
  if (!last)
    return last.takeError();
  if (*last <= *first || *last >= n)
    return fail(child(path, "last"), "is " + llvm::Twine(*last) +
                                         ", expected a layer after first (" +
                                         llvm::Twine(*first) + ") and below " +
                                         llvm::Twine(n));
  g.first = static_cast<unsigned>(*first);
  g.last = static_cast<unsigned>(*last);
  for (auto [key, i] :
       {std::pair{"first_layer", g.first}, std::pair{"last_layer", g.last}}) {
    auto name = getString(obj, path, key);
    if (!name)
      return name.takeError();
    const std::string &actual = s.layers[i].workload.name;
    if (*name != actual)
      return fail(child(path, key), "is '" + *name + "' but layers[" +
                                        llvm::Twine(i) + "] is '" + actual +
                                        "'");
  }
  for (auto [key, field] :
       {std::pair{"band_rows", &g.bandRows}, std::pair{"bands", &g.bands}}) {
    auto x = getInt(obj, path, key);
    if (!x)
      return x.takeError();
    if (*x < 1)
      return fail(child(path, key), "must be at least 1");
    *field = *x;
  }
  if (llvm::Error err = readChoice(obj, path, "weights", weightsString(true),
                                   weightsString(false), g.weightsResident))
    return err;
  if (llvm::Error err = readChoice(obj, path, "layout", groupLayoutString(true),
                                   groupLayoutString(false), g.rowsOutermost))
    return err;
  StringRef layout = groupLayoutString(g.rowsOutermost);
  auto inputLayout = getString(obj, path, "input_layout", /*required=*/false);
  if (!inputLayout)
    return inputLayout.takeError();
  if (!inputLayout->empty() && *inputLayout != "producer" &&
      *inputLayout != layout)
    return fail(child(path, "input_layout"),
                "expected \"producer\" or the group's layout \"" + layout +
                    "\", got \"" + *inputLayout + "\"");
  g.producerInput = *inputLayout == "producer";

  auto bytes = getObject(obj, path, "bytes");
  if (!bytes)
    return bytes.takeError();
  std::string bp = child(path, "bytes");
  for (auto [key, field] : {std::pair{"input_read", &g.inputReadBytes},
                            {"weight_read", &g.weightReadBytes},
                            {"output_write", &g.outputWriteBytes},
                            {"saved", &g.savedBytes}})
    if (llvm::Error err = readNonNegative(**bytes, bp, key, *field))
      return err;
  auto onChip = getObject(obj, path, "on_chip_bytes");
  if (!onChip)
    return onChip.takeError();
  std::string op = child(path, "on_chip_bytes");
  for (auto [key, field] : {std::pair{"activations", &g.peakActivationBytes},
                            {"weights", &g.weightBufferBytes}})
    if (llvm::Error err = readNonNegative(**onChip, op, key, *field))
      return err;

  auto dram = getObject(obj, path, "dram");
  if (!dram)
    return dram.takeError();
  std::string dp = child(path, "dram");
  for (auto [key, field] : {std::pair{"energy_pj", &g.dramEnergyPJ},
                            {"relayout_energy_pj", &g.relayoutEnergyPJ},
                            {"cycles", &g.dramCycles}})
    if (llvm::Error err = readNonNegative(**dram, dp, key, *field))
      return err;
  for (auto [key, field] : {std::pair{"bursts", &g.bursts},
                            {"row_hits", &g.rowHits},
                            {"row_misses", &g.rowMisses},
                            {"row_conflicts", &g.rowConflicts},
                            {"activates", &g.activates}})
    if (llvm::Error err = readNonNegative(**dram, dp, key, *field))
      return err;
  if (g.rowHits + g.rowMisses + g.rowConflicts != g.bursts)
    return fail(child(dp, "bursts"),
                "is " + llvm::Twine(g.bursts) +
                    " but row hits + misses + conflicts are " +
                    llvm::Twine(g.rowHits + g.rowMisses + g.rowConflicts));
  if (g.activates != g.rowMisses + g.rowConflicts)
    return fail(child(dp, "activates"),
                "is " + llvm::Twine(g.activates) +
                    " but row misses + conflicts are " +
                    llvm::Twine(g.rowMisses + g.rowConflicts));
  // The re-layouts are part of the group's DRAM energy.
  if (g.relayoutEnergyPJ > g.dramEnergyPJ &&
      !nearlyEqual(g.relayoutEnergyPJ, g.dramEnergyPJ))
    return fail(child(dp, "relayout_energy_pj"),
                "is " + formatReal(g.relayoutEnergyPJ) +
                    ", more than the group's DRAM energy " +
                    formatReal(g.dramEnergyPJ) + " it is part of");
  return llvm::Error::success();
}

llvm::Error Reader::readFusion(const llvm::json::Object &top, Schedule &s,
                               ArrayRef<std::optional<int64_t>> stated) const {
  auto fusion = getObject(top, "", "fusion", false);
  if (!fusion)
    return fusion.takeError();
  if (!*fusion) {
    for (auto [i, g] : llvm::enumerate(stated))
      if (g)
        return fail(child(index("layers", i), "fused_group"),
                    "the schedule has no fusion section");
    return llvm::Error::success();
  }
  std::string fp = "fusion";
  ScheduleFusion &f = s.fusion.emplace();
  if (llvm::Error err =
          readNonNegative(**fusion, fp, "dram_energy_pj", f.dramEnergyPJ))
    return err;
  if (llvm::Error err =
          readNonNegative(**fusion, fp, "dram_cycles", f.dramCycles))
    return err;
  auto groups = getArray(**fusion, fp, "groups");
  if (!groups)
    return groups.takeError();
  std::string gp = child(fp, "groups");
  double groupEnergy = 0;
  for (auto [i, v] : llvm::enumerate(**groups)) {
    std::string p = index(gp, i);
    const llvm::json::Object *o = v.getAsObject();
    if (!o)
      return fail(p, "expected an object");
    ScheduleGroup &g = f.groups.emplace_back();
    if (llvm::Error err = readGroup(*o, p, s, g))
      return err;
    if (i > 0 && g.first <= f.groups[i - 1].last)
      return fail(child(p, "first"),
                  "is " + llvm::Twine(g.first) + " but " + index(gp, i - 1) +
                      " ends at layer " + llvm::Twine(f.groups[i - 1].last) +
                      " (groups are disjoint and in layer order)");
    groupEnergy += g.dramEnergyPJ;
  }
  // The network's DRAM energy is the groups' plus the unfused layers'.
  if (groupEnergy > f.dramEnergyPJ && !nearlyEqual(groupEnergy, f.dramEnergyPJ))
    return fail(child(fp, "dram_energy_pj"),
                "is " + formatReal(f.dramEnergyPJ) +
                    ", less than the groups' DRAM energy " +
                    formatReal(groupEnergy));
  // Every layer a group covers says so, and no other layer does.
  std::vector<int> groupOf = getFusedGroupOf(s);
  for (auto [i, g] : llvm::enumerate(stated)) {
    std::string p = child(index("layers", i), "fused_group");
    int expected = groupOf[i];
    if (!g && expected >= 0)
      return fail(p, "missing (" + index(gp, expected) + " covers layer " +
                         llvm::Twine(i) + ")");
    if (g && expected < 0)
      return fail(p, "is " + llvm::Twine(*g) +
                         " but no fused group covers layer " + llvm::Twine(i));
    if (g && *g != expected)
      return fail(p, "is " + llvm::Twine(*g) + " but " + index(gp, expected) +
                         " covers layer " + llvm::Twine(i));
  }
  return llvm::Error::success();
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
  if (llvm::Error err = read(getString(*top, "", "model"), s.model))
    return err;
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
    auto dramObjective = getString(**search, "search", "dram_objective", false);
    if (!dramObjective)
      return dramObjective.takeError();
    if (!dramObjective->empty() && !symbolizeDramObjective(*dramObjective))
      return fail("search.dram_objective",
                  "unknown DRAM objective '" + *dramObjective + "'");
    s.search.dramObjective = *dramObjective;
  }
  auto layers = getArray(*top, "", "layers");
  if (!layers)
    return layers.takeError();
  // Per layer its `fused_group`, checked against `fusion` below.
  std::vector<std::optional<int64_t>> fusedGroups;
  for (auto [i, v] : llvm::enumerate(**layers)) {
    std::string p = index("layers", i);
    const llvm::json::Object *l = v.getAsObject();
    if (!l)
      return fail(p, "expected an object");
    LayerSchedule &layer = s.layers.emplace_back();
    if (llvm::Error err = readLayer(*l, p, s, layer))
      return std::move(err);
    auto group = getOptionalInt(*l, p, "fused_group");
    if (!group)
      return group.takeError();
    if (*group && **group < 0)
      return fail(child(p, "fused_group"), "must not be negative");
    fusedGroups.push_back(*group);
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
  if (llvm::Error err = checkDramTotals(**totals, s))
    return std::move(err);
  if (llvm::Error err = readFusion(*top, s, fusedGroups))
    return std::move(err);
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
// DRAM traces
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<LayerTraceFiles>>
romac::writeScheduleTraces(const Schedule &schedule, const DramParams &dram,
                           StringRef dir, const TraceOptions &options) {
  if (llvm::none_of(schedule.layers,
                    [](const LayerSchedule &l) { return l.dram.has_value(); }))
    return makeError("schedule of '" + schedule.model +
                     "': no layer has a DRAM placement (traces need the "
                     "DRAM-aware search)");
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(
        dir + ": error: cannot create the trace directory: " + ec.message());
  std::vector<LayerTraceFiles> files;
  size_t width = std::to_string(schedule.layers.size()).size();
  width = std::max<size_t>(width, 3);
  if (!options.layer.empty() &&
      llvm::none_of(schedule.layers, [&](const LayerSchedule &l) {
        return l.workload.name == options.layer;
      }))
    return makeError("schedule of '" + schedule.model +
                     "': no layer named '" + options.layer + "' to trace");
  for (auto [i, l] : llvm::enumerate(schedule.layers)) {
    if (!l.dram || (!options.layer.empty() && l.workload.name != options.layer))
      continue;
    llvm::Expected<DramModel> model =
        getDramModel(dram, l.dram->addressMapping);
    if (!model)
      return makeError("layer '" + l.workload.name +
                       "': " + llvm::toString(model.takeError()));
    std::string name = std::to_string(i);
    name.insert(0, width - std::min(width, name.size()), '0');
    name += "-";
    for (char ch : l.workload.name)
      name +=
          llvm::isAlnum(ch) || ch == '.' || ch == '_' || ch == '-' ? ch : '_';
    llvm::SmallString<256> prefix(dir);
    llvm::sys::path::append(prefix, name);
    llvm::Expected<LayerTraceFiles> written = writeLayerTraces(
        *model, l.workload, l.mapping, l.dram->layout, prefix, options);
    if (!written)
      return makeError("layer '" + l.workload.name +
                       "': " + llvm::toString(written.takeError()));
    files.push_back(std::move(*written));
  }
  return files;
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

/// Whether some layer has row-buffer statistics.
bool hasRowStats(const Schedule &s) {
  return llvm::any_of(s.layers, [](const LayerSchedule &l) {
    return l.cost.dram.bursts.has_value();
  });
}

/// "97.5" (percent), or "-" when unknown.
std::string hitRate(std::optional<int64_t> hits,
                    std::optional<int64_t> bursts) {
  if (!hits || !bursts)
    return "-";
  if (*bursts == 0)
    return "0.0";
  return llvm::formatv("{0:f1}", 100.0 * static_cast<double>(*hits) /
                                     static_cast<double>(*bursts))
      .str();
}

/// Row activations of a layer, or "-" when unknown.
std::string activations(const LayerSchedule &l) {
  if (l.dram)
    return std::to_string(l.dram->activates);
  if (l.cost.dram.rowMisses && l.cost.dram.rowConflicts)
    return std::to_string(*l.cost.dram.rowMisses + *l.cost.dram.rowConflicts);
  return "-";
}

size_t nameWidth(const Schedule &s) {
  // Wide enough for "total (N layers)" and "total (matched)".
  size_t width = 7 + std::to_string(s.layers.size()).size() + 8;
  for (const LayerSchedule &l : s.layers)
    width = std::max(width, l.workload.name.size());
  return std::min<size_t>(width, 36);
}

/// The fused groups, one line each, and the network's DRAM energy and
/// cycles with them against the unfused layers (`t`).
void printFusion(llvm::raw_ostream &os, const Schedule &s,
                 const ScheduleFusion &f, const ScheduleTotals &t) {
  auto name = [&](unsigned i) {
    return i < s.layers.size() ? s.layers[i].workload.name
                               : "#" + std::to_string(i);
  };
  for (auto [g, group] : llvm::enumerate(f.groups))
    os << llvm::formatv(
        "fused group {0}: layers {1}..{2} ({3} layers), band {4} rows x {5} "
        "bands, weights {6}, {7}, DRAM {8} uJ, saves {9} of intermediates, "
        "peak on-chip {10} activations + {11} weights\n",
        g, name(group.first), name(group.last),
        group.last >= group.first ? group.last - group.first + 1 : 0,
        group.bandRows, group.bands, weightsString(group.weightsResident),
        groupLayoutString(group.rowsOutermost).str() +
            (group.producerInput ? " (input in its producer's layout)" : ""),
        formatEnergy(group.dramEnergyPJ), formatBytes(group.savedBytes),
        formatBytes(group.peakActivationBytes),
        formatBytes(group.weightBufferBytes));
  // The unfused DRAM time: the layers' and their re-layouts' (as the fused
  // figure counts them).
  double unfusedCycles = t.dramCycles;
  for (const LayerSchedule &l : s.layers)
    if (l.dram)
      for (const Relayout &r : l.dram->relayouts)
        unfusedCycles += r.cycles;
  os << llvm::formatv(
      "fusion ({0} group{1}): DRAM {2} uJ, {3} DRAM cycles; unfused {4} uJ, "
      "{5} DRAM cycles; fused / unfused {6} (energy), {7} (cycles)\n",
      f.groups.size(), f.groups.size() == 1 ? "" : "s",
      formatEnergy(f.dramEnergyPJ), formatCycles(f.dramCycles),
      formatEnergy(t.dramEnergyPJ), formatCycles(unfusedCycles),
      formatRatio(f.dramEnergyPJ, t.dramEnergyPJ),
      formatRatio(f.dramCycles, unfusedCycles));
}

} // namespace

void romac::printScheduleTable(llvm::raw_ostream &os, const Schedule &s) {
  size_t nw = nameWidth(s);
  bool rowStats = hasRowStats(s);
  // The row-buffer columns (row-hit rate, activations, DRAM energy) of a
  // row, or nothing without row-buffer statistics.
  std::string extra;
  auto row = [&](StringRef name, StringRef op, StringRef dims, StringRef tiles,
                 StringRef order, StringRef reuse, StringRef spatial,
                 StringRef in, StringRef wt, StringRef out, StringRef energy,
                 StringRef cycles, StringRef util) {
    os << llvm::formatv("{0} {1,-14} {2,-26} {3,-22} {4,-12} {5,-5} {6,-7} "
                        "{7,10} {8,10} {9,10} {10,11} {11,12} {12,5}",
                        padRight(fit(name, nw), nw), fit(op, 14), fit(dims, 26),
                        fit(tiles, 22), fit(order, 12), reuse, spatial, in, wt,
                        out, energy, cycles, util);
    os << extra << "\n";
  };
  auto dramColumns = [&](StringRef hit, StringRef acts, StringRef dram) {
    extra = rowStats
                ? llvm::formatv(" {0,6} {1,10} {2,11}", hit, acts, dram).str()
                : std::string();
  };
  dramColumns("hit%", "ACTs", "DRAM uJ");
  os << "model '" << s.model << "' on target '" << s.target.name
     << "' (objective " << s.search.objective << ", policy " << s.search.policy
     << ", refinements " << s.search.refinements << ")\n";
  row("layer", "op", "dims", "tiles (DRAM->SRAM)", "order", "reuse",
      "rows|cols", "DRAM in", "DRAM wt", "DRAM out", "energy uJ", "cycles",
      "util");
  for (const LayerSchedule &l : s.layers) {
    auto bytes = dramByClass(l);
    dramColumns(hitRate(l.cost.dram.rowHits, l.cost.dram.bursts),
                activations(l), formatEnergy(l.cost.dramEnergyPJ));
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
  dramColumns(hitRate(t.rowHits, t.bursts),
              t.activates ? std::to_string(*t.activates)
              : t.rowMisses && t.rowConflicts
                  ? std::to_string(*t.rowMisses + *t.rowConflicts)
                  : std::string("-"),
              formatEnergy(t.dramEnergyPJ));
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
  if (rowStats) {
    os << llvm::formatv("DRAM (row-buffer model{0}): ",
                        s.layers.front().dram
                            ? ", mapping " +
                                  s.layers.front().dram->addressMapping
                            : std::string());
    if (t.bursts)
      os << llvm::formatv("{0} bursts, {1} row hits, {2} misses, {3} "
                          "conflicts",
                          *t.bursts, *t.rowHits, *t.rowMisses, *t.rowConflicts);
    for (const auto &[name, pj] : t.dramEnergyBreakdownPJ)
      os << "; " << name << " " << formatEnergy(pj) << " uJ";
    if (t.relayouts)
      os << llvm::formatv("; {0} re-layouts {1} uJ", t.relayouts,
                          formatEnergy(t.relayoutEnergyPJ));
    os << "\n";
  }
  if (s.fusion)
    printFusion(os, s, *s.fusion, t);
  os << "reuse: IS/WS/OS input/weight/output stationary, I+W etc. several "
        "classes fetched once per tile; rows|cols: dims unrolled on the "
        "MAC array";
  if (rowStats)
    os << "; hit%: row-buffer hits / bursts, ACTs: row activations";
  os << "\n";
}

void romac::printScheduleComparison(llvm::raw_ostream &os, const Schedule &base,
                                    const Schedule &other) {
  size_t nw = std::max(nameWidth(base), nameWidth(other));
  bool rowStats = hasRowStats(base) && hasRowStats(other);
  std::string extra;
  auto row = [&](StringRef name, StringRef e1, StringRef e2, StringRef er,
                 StringRef d1, StringRef d2, StringRef dr, StringRef c1,
                 StringRef c2, StringRef cr) {
    os << llvm::formatv("{0} {1,11} {2,11} {3,7} {4,10} {5,10} {6,7} {7,12} "
                        "{8,12} {9,7}",
                        padRight(fit(name, nw), nw), e1, e2, er, d1, d2, dr, c1,
                        c2, cr);
    os << extra << "\n";
  };
  // DRAM energy of each with the ratio, row-hit rates.
  auto dramColumns = [&](StringRef q1, StringRef q2, StringRef qr, StringRef h1,
                         StringRef h2) {
    extra = rowStats ? llvm::formatv(" {0,11} {1,11} {2,7} {3,6} {4,6}", q1, q2,
                                     qr, h1, h2)
                           .str()
                     : std::string();
  };
  dramColumns("DRAM uJ", "other", "ratio", "hit%", "other");
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
  double e1 = 0, e2 = 0, c1 = 0, c2 = 0, q1 = 0, q2 = 0;
  int64_t d1 = 0, d2 = 0, h1 = 0, h2 = 0, b1 = 0, b2 = 0;
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
    dramColumns(formatEnergy(l.cost.dramEnergyPJ),
                formatEnergy(r.cost.dramEnergyPJ),
                formatRatio(r.cost.dramEnergyPJ, l.cost.dramEnergyPJ),
                hitRate(l.cost.dram.rowHits, l.cost.dram.bursts),
                hitRate(r.cost.dram.rowHits, r.cost.dram.bursts));
    q1 += l.cost.dramEnergyPJ;
    q2 += r.cost.dramEnergyPJ;
    for (auto [layer, hits, bursts] :
         {std::tuple{&l, &h1, &b1}, std::tuple{&r, &h2, &b2}}) {
      if (layer->cost.dram.rowHits && layer->cost.dram.bursts) {
        *hits += *layer->cost.dram.rowHits;
        *bursts += *layer->cost.dram.bursts;
      }
    }
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
  dramColumns(formatEnergy(q1), formatEnergy(q2), formatRatio(q2, q1),
              hitRate(h1, b1), hitRate(h2, b2));
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
