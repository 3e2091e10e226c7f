//===- ScheduleFusionTest.cpp - the fusion section of schedules -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Schedules with layer fusion (`romac compile --fuse`): makeScheduleFusion()
// repeats fuseLayersDram()'s numbers with DRAM cycles on the compute clock;
// the `fusion` section and every layer's `fused_group` round-trip byte for
// byte; corrupted values are rejected with one error naming the JSON path;
// the table prints one line per group and the network's DRAM energy and
// cycles with fusion, and is unchanged without fusion.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"

#include "../Dram/FusionTestNetwork.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include "JsonEdit.h"

#include <functional>

using namespace romac;

namespace {

using test::loadTestTarget;
using test::TestTarget;

/// A layer no group can hold (it shares no tensor with the others), then a
/// MobileNet-like stem: conv 3x3 / 2 -> (relu) -> depthwise 3x3 ->
/// pointwise -> depthwise 3x3 / 2 -> pointwise, on a 112x112 input.
std::vector<Workload> network() {
  std::vector<Workload> ws;
  Workload fc = llvm::cantFail(Workload::matmul(64, 64, 64, 1, "fc"));
  fc.operands[0].tensor = "a";
  fc.operands[1].tensor = "fc.w";
  fc.operands[2].tensor = "b";
  ws.push_back(fc);
  for (Workload &w : test::mobileNetStem())
    ws.push_back(std::move(w));
  return ws;
}

/// The ReLU `r0 = relu(y0)` over [1, 32, 56, 56]: a streaming layer.
Workload relu() { return test::reluLayer("y0", "r0", 32, 56); }

struct Fused {
  TestTarget target;
  DramSearchResult unfused;
  FusionResult result;
  /// The DRAM-aware schedule with `fusion` set.
  Schedule schedule;
};

/// Searched once for all tests.
const Fused &fused() {
  static const Fused f = [] {
    Fused f{loadTestTarget("romanet-ddr3"), {}, {}, {}};
    std::vector<Workload> ws = network();
    std::vector<Workload> streaming = {relu()};
    WorkloadGraph graph = WorkloadGraph::fromTensorNames(ws, streaming);
    SearchOptions so;
    DramSearchOptions dso;
    f.unfused = llvm::cantFail(
        searchLayersDramAware(graph, f.target.cost, f.target.dram, so, dso));
    f.schedule =
        makeSchedule("stem.onnx", f.target.cost, ws, f.unfused, so, dso);
    f.result = llvm::cantFail(
        fuseLayersDram(graph, f.unfused, f.target.cost, f.target.dram));
    f.schedule.fusion =
        makeScheduleFusion(f.result, f.target.dram, f.target.cost.frequencyMHz);
    return f;
  }();
  return f;
}

using test::editJSON;

llvm::json::Object &layer(llvm::json::Object &root, size_t i) {
  return test::jsonLayer(root, i);
}
llvm::json::Array &groups(llvm::json::Object &root) {
  return *root.getObject("fusion")->getArray("groups");
}
llvm::json::Object &group(llvm::json::Object &root, size_t i = 0) {
  return *groups(root)[i].getAsObject();
}

std::string parseError(const std::string &text) {
  llvm::Expected<Schedule> s = parseSchedule(text, "x.json");
  if (s)
    return "(no error)";
  return llvm::toString(s.takeError());
}

std::string table(const Schedule &s) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printScheduleTable(os, s);
  return text;
}

void expectSameGroup(const ScheduleGroup &a, const ScheduleGroup &b) {
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.last, b.last);
  EXPECT_EQ(a.bandRows, b.bandRows);
  EXPECT_EQ(a.bands, b.bands);
  EXPECT_EQ(a.weightsResident, b.weightsResident);
  EXPECT_EQ(a.rowsOutermost, b.rowsOutermost);
  EXPECT_EQ(a.producerInput, b.producerInput);
  EXPECT_EQ(a.inputReadBytes, b.inputReadBytes);
  EXPECT_EQ(a.weightReadBytes, b.weightReadBytes);
  EXPECT_EQ(a.outputWriteBytes, b.outputWriteBytes);
  EXPECT_EQ(a.savedBytes, b.savedBytes);
  EXPECT_EQ(a.peakActivationBytes, b.peakActivationBytes);
  EXPECT_EQ(a.weightBufferBytes, b.weightBufferBytes);
  EXPECT_EQ(a.bursts, b.bursts);
  EXPECT_EQ(a.rowHits, b.rowHits);
  EXPECT_EQ(a.rowMisses, b.rowMisses);
  EXPECT_EQ(a.rowConflicts, b.rowConflicts);
  EXPECT_EQ(a.activates, b.activates);
  EXPECT_EQ(a.dramEnergyPJ, b.dramEnergyPJ);
  EXPECT_EQ(a.relayoutEnergyPJ, b.relayoutEnergyPJ);
  EXPECT_EQ(a.dramCycles, b.dramCycles);
}

TEST(ScheduleFusionTest, MakeScheduleFusionConvertsCycles) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  FusionResult r;
  FusedGroup &g = r.groups.emplace_back();
  g.first = 1;
  g.last = 3;
  g.schedule.bandRows = 4;
  g.schedule.weightsResident = false;
  g.rowsOutermost = true;
  g.counts.bands = 7;
  g.counts.inputReadBytes = 11;
  g.counts.weightReadBytes = 12;
  g.counts.outputWriteBytes = 13;
  g.counts.savedBytes = 14;
  g.counts.peakActivationBytes = 15;
  g.counts.weightBufferBytes = 16;
  g.stats.bursts = 100;
  g.stats.rowHits = 90;
  g.stats.rowMisses = 6;
  g.stats.rowConflicts = 4;
  g.stats.activates = 10;
  g.stats.cycles = 1000;
  g.stats.energyPJ.actPre = 1;
  g.stats.energyPJ.rdWr = 2;
  g.stats.energyPJ.background = 3;
  g.stats.energyPJ.refresh = 4;
  for (double e : {5.0, 6.0}) {
    Relayout &rl = g.relayouts.emplace_back();
    rl.energyPJ = e;
    rl.cycles = 2 * e;
  }
  r.energyPJ = 123;
  r.dramCycles = 5000;

  double mhz = 700;
  ScheduleFusion f = makeScheduleFusion(r, t.dram, mhz);
  ASSERT_EQ(f.groups.size(), 1u);
  const ScheduleGroup &sg = f.groups[0];
  EXPECT_EQ(sg.first, 1u);
  EXPECT_EQ(sg.last, 3u);
  EXPECT_EQ(sg.bandRows, 4);
  EXPECT_EQ(sg.bands, 7);
  EXPECT_FALSE(sg.weightsResident);
  EXPECT_TRUE(sg.rowsOutermost);
  EXPECT_EQ(sg.inputReadBytes, 11);
  EXPECT_EQ(sg.weightReadBytes, 12);
  EXPECT_EQ(sg.outputWriteBytes, 13);
  EXPECT_EQ(sg.savedBytes, 14);
  EXPECT_EQ(sg.peakActivationBytes, 15);
  EXPECT_EQ(sg.weightBufferBytes, 16);
  EXPECT_EQ(sg.bursts, 100);
  EXPECT_EQ(sg.rowHits, 90);
  EXPECT_EQ(sg.rowMisses, 6);
  EXPECT_EQ(sg.rowConflicts, 4);
  EXPECT_EQ(sg.activates, 10);
  EXPECT_DOUBLE_EQ(sg.dramEnergyPJ, 1 + 2 + 3 + 4 + 5 + 6);
  EXPECT_DOUBLE_EQ(sg.relayoutEnergyPJ, 11);
  // tCK cycles to the compute clock; the re-layouts' are compute cycles.
  EXPECT_DOUBLE_EQ(sg.dramCycles, 1000 * t.dram.tCK * mhz / 1000 + 22);
  EXPECT_DOUBLE_EQ(f.dramEnergyPJ, 123);
  EXPECT_DOUBLE_EQ(f.dramCycles, 5000 * t.dram.tCK * mhz / 1000);
  EXPECT_NE(t.dram.tCK * mhz / 1000, 1.0) << "the conversion is untested";
}

TEST(ScheduleFusionTest, SectionRepeatsTheFusionResult) {
  const Fused &f = fused();
  ASSERT_TRUE(f.schedule.fusion);
  const ScheduleFusion &sf = *f.schedule.fusion;
  const FusionResult &r = f.result;
  ASSERT_FALSE(r.groups.empty()) << "the stem must fuse";
  ASSERT_EQ(sf.groups.size(), r.groups.size());
  EXPECT_EQ(sf.dramEnergyPJ, r.energyPJ);
  EXPECT_DOUBLE_EQ(sf.dramCycles,
                   dramToComputeCycles(r.dramCycles, f.target.dram,
                                       f.target.cost.frequencyMHz));
  double groupEnergy = 0;
  for (auto [g, fg] : llvm::zip_equal(sf.groups, r.groups)) {
    EXPECT_EQ(g.first, fg.first);
    EXPECT_EQ(g.last, fg.last);
    EXPECT_EQ(g.bandRows, fg.schedule.bandRows);
    EXPECT_EQ(g.bands, fg.counts.bands);
    EXPECT_EQ(g.weightsResident, fg.schedule.weightsResident);
    EXPECT_EQ(g.rowsOutermost, fg.rowsOutermost);
    EXPECT_EQ(g.inputReadBytes, fg.counts.inputReadBytes);
    EXPECT_EQ(g.weightReadBytes, fg.counts.weightReadBytes);
    EXPECT_EQ(g.outputWriteBytes, fg.counts.outputWriteBytes);
    EXPECT_EQ(g.savedBytes, fg.counts.savedBytes);
    EXPECT_EQ(g.peakActivationBytes, fg.counts.peakActivationBytes);
    EXPECT_EQ(g.weightBufferBytes, fg.counts.weightBufferBytes);
    EXPECT_EQ(g.bursts, static_cast<int64_t>(fg.stats.bursts));
    EXPECT_EQ(g.rowHits, static_cast<int64_t>(fg.stats.rowHits));
    EXPECT_EQ(g.rowMisses, static_cast<int64_t>(fg.stats.rowMisses));
    EXPECT_EQ(g.rowConflicts, static_cast<int64_t>(fg.stats.rowConflicts));
    EXPECT_EQ(g.activates, static_cast<int64_t>(fg.stats.activates));
    EXPECT_EQ(g.dramEnergyPJ, fg.getEnergyPJ());
    double relayoutPJ = 0, relayoutCycles = 0;
    for (const Relayout &rl : fg.relayouts) {
      relayoutPJ += rl.energyPJ;
      relayoutCycles += rl.cycles;
    }
    EXPECT_EQ(g.relayoutEnergyPJ, relayoutPJ);
    EXPECT_DOUBLE_EQ(g.dramCycles,
                     dramToComputeCycles(static_cast<double>(fg.stats.cycles),
                                         f.target.dram,
                                         f.target.cost.frequencyMHz) +
                         relayoutCycles);
    EXPECT_GT(g.savedBytes, 0);
    groupEnergy += g.dramEnergyPJ;
  }
  EXPECT_LE(groupEnergy, sf.dramEnergyPJ);
  // Fusing pays off against the unfused schedule's DRAM energy.
  EXPECT_LT(sf.dramEnergyPJ, f.schedule.getTotals().dramEnergyPJ);
  // The first layer cannot be fused.
  EXPECT_EQ(r.groupOf[0], -1);
}

TEST(ScheduleFusionTest, JsonStatesGroupsAndLayers) {
  const Fused &f = fused();
  const ScheduleFusion &sf = *f.schedule.fusion;
  std::string text = scheduleToJSON(f.schedule);
  // `fusion` comes last, after `totals`.
  size_t totals = text.find("\n  \"totals\": {"),
         fusion = text.find("\n  \"fusion\": {");
  ASSERT_NE(totals, std::string::npos);
  ASSERT_NE(fusion, std::string::npos);
  EXPECT_LT(totals, fusion);
  // `fused_group` right after `op`.
  EXPECT_NE(text.find("\"op\": \"depthwise_conv2d\",\n      \"fused_group\": "),
            std::string::npos)
      << text;

  llvm::json::Value v = llvm::cantFail(llvm::json::parse(text));
  const llvm::json::Object &root = *v.getAsObject();
  const llvm::json::Object &fo = *root.getObject("fusion");
  EXPECT_EQ(*fo.getNumber("dram_energy_pj"), sf.dramEnergyPJ);
  EXPECT_EQ(*fo.getNumber("dram_cycles"), sf.dramCycles);
  const llvm::json::Array &gs = *fo.getArray("groups");
  ASSERT_EQ(gs.size(), sf.groups.size());
  for (auto [j, g] : llvm::zip_equal(gs, sf.groups)) {
    const llvm::json::Object &o = *j.getAsObject();
    EXPECT_EQ(*o.getInteger("first"), g.first);
    EXPECT_EQ(*o.getInteger("last"), g.last);
    EXPECT_EQ(*o.getString("first_layer"),
              f.schedule.layers[g.first].workload.name);
    EXPECT_EQ(*o.getString("last_layer"),
              f.schedule.layers[g.last].workload.name);
    EXPECT_EQ(*o.getInteger("band_rows"), g.bandRows);
    EXPECT_EQ(*o.getInteger("bands"), g.bands);
    EXPECT_EQ(*o.getString("weights"),
              g.weightsResident ? "resident" : "streamed");
    EXPECT_EQ(*o.getString("layout"),
              g.rowsOutermost ? "rows-outermost" : "row-major");
    const llvm::json::Object &b = *o.getObject("bytes");
    EXPECT_EQ(*b.getInteger("input_read"), g.inputReadBytes);
    EXPECT_EQ(*b.getInteger("weight_read"), g.weightReadBytes);
    EXPECT_EQ(*b.getInteger("output_write"), g.outputWriteBytes);
    EXPECT_EQ(*b.getInteger("saved"), g.savedBytes);
    const llvm::json::Object &c = *o.getObject("on_chip_bytes");
    EXPECT_EQ(*c.getInteger("activations"), g.peakActivationBytes);
    EXPECT_EQ(*c.getInteger("weights"), g.weightBufferBytes);
    const llvm::json::Object &d = *o.getObject("dram");
    EXPECT_EQ(*d.getNumber("energy_pj"), g.dramEnergyPJ);
    EXPECT_EQ(*d.getNumber("relayout_energy_pj"), g.relayoutEnergyPJ);
    EXPECT_EQ(*d.getNumber("cycles"), g.dramCycles);
    EXPECT_EQ(*d.getInteger("bursts"), g.bursts);
    EXPECT_EQ(*d.getInteger("row_hits"), g.rowHits);
    EXPECT_EQ(*d.getInteger("row_misses"), g.rowMisses);
    EXPECT_EQ(*d.getInteger("row_conflicts"), g.rowConflicts);
    EXPECT_EQ(*d.getInteger("activates"), g.activates);
  }
  // Every layer a group covers names it, no other layer has the key.
  const llvm::json::Array &ls = *root.getArray("layers");
  ASSERT_EQ(ls.size(), f.result.groupOf.size());
  for (auto [l, g] : llvm::zip_equal(ls, f.result.groupOf)) {
    std::optional<int64_t> stated = l.getAsObject()->getInteger("fused_group");
    if (g < 0)
      EXPECT_FALSE(stated);
    else
      EXPECT_EQ(stated, std::optional<int64_t>(g));
  }

  // Without fusion neither key is written.
  Schedule plain = f.schedule;
  plain.fusion.reset();
  std::string unfused = scheduleToJSON(plain);
  EXPECT_EQ(unfused.find("fusion"), std::string::npos);
  EXPECT_EQ(unfused.find("fused_group"), std::string::npos);
}

TEST(ScheduleFusionTest, RoundTripIsByteIdentical) {
  const Fused &f = fused();
  Schedule empty = f.schedule;
  empty.fusion->groups.clear();
  // The other spelling of the layout flags. (The weights mode changes the
  // on-chip bytes, which loading recomputes: flipping it alone is refused.)
  Schedule flipped = f.schedule;
  for (ScheduleGroup &g : flipped.fusion->groups) {
    g.rowsOutermost = !g.rowsOutermost;
    g.producerInput = !g.producerInput;
  }
  ASSERT_FALSE(f.schedule.fusion->groups.empty());
  {
    Schedule weights = f.schedule;
    ScheduleGroup &g = weights.fusion->groups.front();
    g.weightsResident = !g.weightsResident;
    llvm::Expected<Schedule> bad =
        parseSchedule(scheduleToJSON(weights), "stem.json");
    ASSERT_FALSE(static_cast<bool>(bad));
    std::string msg = llvm::toString(bad.takeError());
    EXPECT_NE(msg.find("fusion.groups[0].on_chip_bytes."), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("but the band schedule holds"), std::string::npos)
        << msg;
  }
  for (const Schedule &s : {f.schedule, empty, flipped}) {
    std::string text = scheduleToJSON(s);
    llvm::Expected<Schedule> parsed = parseSchedule(text, "stem.json");
    ASSERT_TRUE(static_cast<bool>(parsed))
        << llvm::toString(parsed.takeError());
    EXPECT_EQ(scheduleToJSON(*parsed), text);
    ASSERT_TRUE(parsed->fusion);
    EXPECT_EQ(parsed->fusion->dramEnergyPJ, s.fusion->dramEnergyPJ);
    EXPECT_EQ(parsed->fusion->dramCycles, s.fusion->dramCycles);
    ASSERT_EQ(parsed->fusion->groups.size(), s.fusion->groups.size());
    for (auto [a, b] :
         llvm::zip_equal(s.fusion->groups, parsed->fusion->groups))
      expectSameGroup(a, b);
  }
  // A schedule without fusion reads back without it.
  Schedule plain = f.schedule;
  plain.fusion.reset();
  Schedule back = llvm::cantFail(parseSchedule(scheduleToJSON(plain), "p"));
  EXPECT_FALSE(back.fusion);
}

TEST(ScheduleFusionTest, CorruptedFusionFieldsAreRejected) {
  const Fused &f = fused();
  std::string good = scheduleToJSON(f.schedule);
  ASSERT_EQ(parseError(good), "(no error)");
  const ScheduleGroup &g0 = f.schedule.fusion->groups[0];
  std::string first = std::to_string(g0.first),
              inner = std::to_string(g0.first + 1);
  size_t n = f.schedule.layers.size();
  struct Case {
    std::string error;
    std::function<void(llvm::json::Object &)> edit;
  };
  auto bump = [](llvm::json::Object &o, llvm::StringRef key, int64_t by) {
    o[key] = *o.getInteger(key) + by;
  };
  const Case cases[] = {
      {"x.json: error: fusion.groups[0].last: is " + first +
           ", expected a layer after first (" + first + ")",
       [&](llvm::json::Object &r) { group(r)["last"] = g0.first; }},
      {"fusion.groups[0].last: is " + std::to_string(n) + ", expected",
       [&](llvm::json::Object &r) {
         group(r)["last"] = static_cast<int64_t>(n);
       }},
      {"fusion.groups[0].first: is -1, not a layer (the schedule has " +
           std::to_string(n) + ")",
       [](llvm::json::Object &r) { group(r)["first"] = -1; }},
      {"fusion.groups[1].first: is " + first +
           " but fusion.groups[0] ends at layer " + std::to_string(g0.last),
       [](llvm::json::Object &r) {
         // A copy of the group after it: the two overlap.
         llvm::json::Value copy = groups(r)[0];
         groups(r).push_back(std::move(copy));
       }},
      {"fusion.groups[0].first_layer: is 'nope' but layers[" + first +
           "] is '" + f.schedule.layers[g0.first].workload.name + "'",
       [](llvm::json::Object &r) { group(r)["first_layer"] = "nope"; }},
      {"fusion.groups[0].last_layer: is 'fc' but layers[",
       [](llvm::json::Object &r) { group(r)["last_layer"] = "fc"; }},
      {"layers[" + inner +
           "].fused_group: is 7 but fusion.groups[0] covers layer " + inner,
       [&](llvm::json::Object &r) {
         layer(r, g0.first + 1)["fused_group"] = 7;
       }},
      {"layers[" + first +
           "].fused_group: missing (fusion.groups[0] covers layer " + first +
           ")",
       [&](llvm::json::Object &r) { layer(r, g0.first).erase("fused_group"); }},
      {"layers[0].fused_group: is 0 but no fused group covers layer 0",
       [](llvm::json::Object &r) { layer(r, 0)["fused_group"] = 0; }},
      {"layers[" + first + "].fused_group: must not be negative",
       [&](llvm::json::Object &r) { layer(r, g0.first)["fused_group"] = -1; }},
      {"layers[" + first + "].fused_group: expected an integer",
       [&](llvm::json::Object &r) { layer(r, g0.first)["fused_group"] = "0"; }},
      {"layers[" + first + "].fused_group: the schedule has no fusion section",
       [](llvm::json::Object &r) { r.erase("fusion"); }},
      {"fusion.groups[0].weights: expected \"resident\" or \"streamed\", got "
       "\"maybe\"",
       [](llvm::json::Object &r) { group(r)["weights"] = "maybe"; }},
      {"fusion.groups[0].layout: expected \"rows-outermost\" or "
       "\"row-major\", got \"blocked\"",
       [](llvm::json::Object &r) { group(r)["layout"] = "blocked"; }},
      {"fusion.groups[0].input_layout: expected \"producer\" or the group's "
       "layout",
       [](llvm::json::Object &r) {
         const llvm::json::Value *l = group(r).get("layout");
         group(r)["input_layout"] =
             *l->getAsString() == "row-major" ? "rows-outermost" : "row-major";
       }},
      {"fusion.groups[0].dram.bursts: is ",
       [&](llvm::json::Object &r) {
         bump(*group(r).getObject("dram"), "row_hits", 1);
       }},
      {"fusion.groups[0].dram.activates: is ",
       [&](llvm::json::Object &r) {
         bump(*group(r).getObject("dram"), "activates", 1);
       }},
      {"fusion.groups[0].dram.row_misses: must not be negative",
       [](llvm::json::Object &r) {
         (*group(r).getObject("dram"))["row_misses"] = -1;
       }},
      {"fusion.groups[0].dram.cycles: missing",
       [](llvm::json::Object &r) {
         group(r).getObject("dram")->erase("cycles");
       }},
      {"fusion.groups[0].dram.energy_pj: must be a finite non-negative number",
       [](llvm::json::Object &r) {
         (*group(r).getObject("dram"))["energy_pj"] = -3.5;
       }},
      {"fusion.groups[0].dram.relayout_energy_pj: is ",
       [](llvm::json::Object &r) {
         llvm::json::Object &d = *group(r).getObject("dram");
         d["relayout_energy_pj"] = *d.getNumber("energy_pj") * 2 + 1;
       }},
      {"fusion.groups[0].band_rows: must be at least 1",
       [](llvm::json::Object &r) { group(r)["band_rows"] = 0; }},
      {"fusion.groups[0].bands: must be at least 1",
       [](llvm::json::Object &r) { group(r)["bands"] = 0; }},
      {"fusion.groups[0].bytes.saved: must not be negative",
       [](llvm::json::Object &r) {
         (*group(r).getObject("bytes"))["saved"] = -1;
       }},
      {"fusion.groups[0].on_chip_bytes.weights: expected an integer",
       [](llvm::json::Object &r) {
         (*group(r).getObject("on_chip_bytes"))["weights"] = 1.5;
       }},
      {"fusion.groups[0].bytes: missing",
       [](llvm::json::Object &r) { group(r).erase("bytes"); }},
      {"fusion.groups[0]: expected an object",
       [](llvm::json::Object &r) { groups(r)[0] = 3; }},
      {"fusion.groups: expected an array",
       [](llvm::json::Object &r) { (*r.getObject("fusion"))["groups"] = 1; }},
      {"fusion.dram_energy_pj: expected a number",
       [](llvm::json::Object &r) {
         (*r.getObject("fusion"))["dram_energy_pj"] = "lots";
       }},
      {"fusion.dram_energy_pj: is 0, less than the groups' DRAM energy",
       [](llvm::json::Object &r) {
         (*r.getObject("fusion"))["dram_energy_pj"] = 0;
       }},
      {"fusion.dram_cycles: missing",
       [](llvm::json::Object &r) {
         r.getObject("fusion")->erase("dram_cycles");
       }},
      {"fusion: expected an object",
       [](llvm::json::Object &r) { r["fusion"] = llvm::json::Array(); }},
  };
  for (const Case &c : cases) {
    std::string msg = parseError(editJSON(good, c.edit));
    EXPECT_NE(msg.find(c.error), std::string::npos)
        << "expected: " << c.error << "\n     got: " << msg;
    EXPECT_EQ(msg.rfind("x.json: error: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(ScheduleFusionTest, TableShowsTheGroups) {
  const Fused &f = fused();
  const Schedule &s = f.schedule;
  const ScheduleGroup &g0 = s.fusion->groups[0];
  std::string text = table(s);
  std::string line =
      "fused group 0: layers " + s.layers[g0.first].workload.name + ".." +
      s.layers[g0.last].workload.name + " (" +
      std::to_string(g0.last - g0.first + 1) + " layers), band " +
      std::to_string(g0.bandRows) + " rows x " + std::to_string(g0.bands) +
      " bands, weights " + (g0.weightsResident ? "resident" : "streamed") +
      ", " + (g0.rowsOutermost ? "rows-outermost" : "row-major") + ", DRAM " +
      llvm::formatv("{0:f4}", g0.dramEnergyPJ * 1e-9).str() + " mJ, saves ";
  EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_NE(text.find(" of intermediates, peak on-chip "), std::string::npos)
      << text;
  ScheduleTotals t = s.getTotals();
  std::string network =
      "fusion (" + std::to_string(s.fusion->groups.size()) +
      (s.fusion->groups.size() == 1 ? " group" : " groups") + "): DRAM " +
      llvm::formatv("{0:f4}", s.fusion->dramEnergyPJ * 1e-9).str() + " mJ, " +
      std::to_string(std::llround(s.fusion->dramCycles)) +
      " DRAM cycles; unfused " +
      llvm::formatv("{0:f4}", t.dramEnergyPJ * 1e-9).str() + " mJ, ";
  EXPECT_NE(text.find(network), std::string::npos) << network << "\n" << text;
  std::string ratio =
      "fused / unfused " +
      llvm::formatv("{0:f3}", s.fusion->dramEnergyPJ / t.dramEnergyPJ).str() +
      " (energy), ";
  EXPECT_NE(text.find(ratio), std::string::npos) << ratio << "\n" << text;

  // Without fusion the table is exactly the fused one minus those lines.
  Schedule plain = s;
  plain.fusion.reset();
  std::string plainText = table(plain);
  EXPECT_EQ(plainText.find("fus"), std::string::npos) << plainText;
  std::string stripped;
  llvm::SmallVector<llvm::StringRef, 32> lines;
  llvm::StringRef(text).split(lines, '\n');
  for (llvm::StringRef l : lines)
    if (!l.starts_with("fused group ") && !l.starts_with("fusion ("))
      stripped += l.str() + "\n";
  stripped.pop_back();
  EXPECT_EQ(stripped, plainText);
  EXPECT_NE(stripped.size(), text.size());

  // The comparison of the unfused schedule with the fused one states the
  // network's DRAM energy with fusion on each side and their ratio (the
  // layers' own lines are the same on both sides).
  std::string cmp;
  llvm::raw_string_ostream cs(cmp);
  printScheduleComparison(cs, plain, s);
  std::string fusedLine = "network DRAM with fusion (all layers): base " +
                          llvm::formatv("{0:f4}", t.dramEnergyPJ * 1e-9).str() +
                          " mJ, ";
  EXPECT_NE(cmp.find(fusedLine), std::string::npos) << fusedLine << cmp;
  std::string otherSide =
      "(no fusion); other " +
      llvm::formatv("{0:f4}", s.fusion->dramEnergyPJ * 1e-9).str() + " mJ, " +
      std::to_string(std::llround(s.fusion->dramCycles)) + " DRAM cycles (" +
      std::to_string(s.fusion->groups.size()) + " fused group" +
      (s.fusion->groups.size() == 1 ? "" : "s") + "); ratio " +
      llvm::formatv("{0:f3}", s.fusion->dramEnergyPJ / t.dramEnergyPJ).str() +
      " (energy)";
  EXPECT_NE(cmp.find(otherSide), std::string::npos) << otherSide << cmp;
  // Two schedules without fusion have no such line.
  std::string none;
  llvm::raw_string_ostream ns(none);
  printScheduleComparison(ns, plain, plain);
  EXPECT_EQ(none.find("with fusion"), std::string::npos) << none;
}

} // namespace
