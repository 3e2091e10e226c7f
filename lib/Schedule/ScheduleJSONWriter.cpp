//===- ScheduleJSONWriter.cpp - writing schedule files ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The JSON writer of docs/schedule-format.md. It emits keys in a fixed order
// with llvm::json::OStream and prints reals in their shortest round-trip
// form, so equal schedules give equal bytes and a read-then-written file is
// unchanged. Files are written atomically (a temporary file renamed over
// the target).
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cmath>

using namespace romac;
using llvm::StringRef;

std::string romac::formatScheduleReal(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

namespace {

/// Attribute writers on top of llvm::json::OStream.
class Writer {
public:
  explicit Writer(llvm::raw_ostream &os) : j(os, 2) {}

  void real(StringRef key, double v) {
    j.attributeBegin(key);
    j.rawValue(formatScheduleReal(v));
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
      if (t.packBytesPerCycle > 0)
        w.real("pack_bytes_per_cycle", t.packBytesPerCycle);
    });
    if (t.activationBuffersPooled)
      w.j.attribute("activation_buffers_pooled", true);
    if (!t.compression.empty())
      w.object("compression", [&] {
        w.string("flags", t.compression);
        w.string("weight_format", t.weightFormat);
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

/// One layer; `group` is the index of the fused group covering it, or -1.
void writeLayer(Writer &w, const Schedule &s, const LayerSchedule &l,
                int group) {
  const Workload &wl = l.workload;
  const CostBreakdown &c = l.cost;
  w.j.object([&] {
    w.string("name", wl.name);
    w.string("op", stringifyOpKind(wl.op));
    if (group >= 0)
      w.integer("fused_group", group);
    w.perDim("dims", wl, [&](unsigned d) { return wl.dims[d].bound; });
    if (wl.macFraction != 1)
      w.real("mac_fraction", wl.macFraction);
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
          if (op.constant)
            w.j.attribute("constant", true);
          w.integer("bytes_per_element", op.bytesPerElement);
          if (op.isCompressed()) {
            w.string("format", s.target.weightFormat);
            w.real("stored_bits_per_element", op.storageBits16 / 16.0);
          }
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
      w.integer("lower_bound_bytes", wl.getCompulsoryDramBytes());
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

/// One streaming layer.
void writeStreamingLayer(Writer &w, const StreamingLayerSchedule &l) {
  const CostBreakdown &c = l.cost;
  const StreamingTraffic &t = l.traffic;
  w.j.object([&] {
    w.string("name", l.name);
    w.string("op", stringifyOpKind(l.op));
    w.string("mlir_op", l.mlirOp);
    w.integer("position", l.position);
    w.string("fusion", stringifyStreamingFusion(l.fusion));
    if (l.fusion != StreamingFusion::None)
      w.string("fused_into", l.fusedInto);
    w.integer("elements", t.elements);
    w.integer("ops", t.ops);
    w.object("dram", [&] {
      w.string("model", c.dramModel);
      w.integer("input_read_bytes", t.dramInputBytes);
      w.integer("weight_read_bytes", t.dramWeightBytes);
      w.integer("write_bytes", t.dramWriteBytes);
      w.real("cycles", c.dramCycles);
      if (c.dram.bursts) {
        w.integer("bursts", *c.dram.bursts);
        w.integer("row_hits", *c.dram.rowHits);
        w.integer("row_misses", *c.dram.rowMisses);
        w.integer("row_conflicts", *c.dram.rowConflicts);
      }
      if (l.activates)
        w.integer("activates", *l.activates);
      if (!c.dram.energyBreakdownPJ.empty())
        w.object("energy_pj", [&] {
          for (const auto &[name, pj] : c.dram.energyBreakdownPJ)
            w.real(name, pj);
        });
    });
    w.object("sram", [&] {
      w.integer("input_read_bytes", t.sramInputBytes);
      w.integer("weight_read_bytes", t.sramWeightBytes);
      w.integer("output_write_bytes", t.sramOutputBytes);
    });
    w.object("energy_pj", [&] {
      w.real("ops", c.macEnergyPJ);
      w.real("sram", c.sramEnergyPJ);
      w.real("dram", c.dramEnergyPJ);
      w.real("total", c.totalEnergyPJ);
    });
    w.integer("compute_cycles", c.computeCycles);
    w.real("cycles", c.cycles);
  });
}

/// The `attention_fusion` array.
void writeAttention(Writer &w, const Schedule &s) {
  w.array("attention_fusion", [&] {
    for (const AttentionGroup &g : s.attention)
      w.j.object([&] {
        w.integer("scores", g.scores);
        w.integer("output", g.output);
        w.string("scores_layer",
                 g.scores < s.layers.size()
                     ? StringRef(s.layers[g.scores].workload.name)
                     : StringRef());
        w.string("output_layer",
                 g.output < s.layers.size()
                     ? StringRef(s.layers[g.output].workload.name)
                     : StringRef());
        w.array("streaming", [&] {
          for (unsigned j : g.streaming)
            w.j.value(j);
        });
        const AttentionShape &a = g.shape;
        w.object("shape", [&] {
          w.integer("batch", a.batch);
          w.integer("queries", a.queries);
          w.integer("keys", a.keys);
          w.integer("head_dim", a.headDim);
          w.integer("value_dim", a.valueDim);
        });
        w.object("bytes_per_element", [&] {
          w.integer("query", a.queryBytes);
          w.integer("key", a.keyBytes);
          w.integer("value", a.valueBytes);
          w.integer("score", a.scoreBytes);
          w.integer("output", a.outputBytes);
        });
        w.object("tiles", [&] {
          w.integer("queries", g.tiles.queryRows);
          w.integer("keys", g.tiles.keyCols);
        });
        w.object("dram", [&] {
          w.integer("read_bytes", g.dramReadBytes);
          w.integer("write_bytes", g.dramWriteBytes);
          w.real("energy_pj", g.dramEnergyPJ);
          w.real("cycles", g.dramCycles);
        });
        w.object("unfused_dram", [&] {
          w.integer("bytes", g.unfusedDramBytes);
          w.real("energy_pj", g.unfusedDramEnergyPJ);
          w.real("cycles", g.unfusedDramCycles);
        });
      });
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
          w.string("weights", stringifyGroupWeights(g.weightsResident));
          w.string("layout", stringifyGroupLayout(g.rowsOutermost));
          w.string("input_layout", g.producerInput
                                       ? StringRef("producer")
                                       : stringifyGroupLayout(g.rowsOutermost));
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
    std::vector<int> groupOf = s.getFusedGroupOfLayers();
    w.array("layers", [&] {
      for (auto [l, g] : llvm::zip_equal(s.layers, groupOf))
        writeLayer(w, s, l, g);
    });
    if (!s.streaming.empty())
      w.array("streaming_layers", [&] {
        for (const StreamingLayerSchedule &l : s.streaming)
          writeStreamingLayer(w, l);
      });
    ScheduleTotals t = s.getTotals();
    w.object("totals", [&] {
      w.integer("layers", static_cast<int64_t>(s.layers.size()));
      if (!s.streaming.empty()) {
        w.integer("streaming_layers", t.streamingLayers);
        w.integer("streaming_ops", t.streamingOps);
      }
      w.integer("macs", t.macs);
      w.object("dram", [&] {
        w.integer("read_bytes", t.dramReadBytes);
        w.integer("write_bytes", t.dramWriteBytes);
        w.integer("lower_bound_bytes", t.dramLowerBoundBytes);
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
    if (!s.attention.empty())
      writeAttention(w, s);
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
    return makeStringError(path +
                           ": error: cannot create a temporary file in '" +
                           dir + "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      std::string msg = os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return makeStringError(path + ": error: cannot write: " + msg);
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return makeStringError(
        path + ": error: cannot rename the temporary file: " + ec.message());
  }
  return llvm::Error::success();
}
