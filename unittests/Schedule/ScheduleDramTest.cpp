//===- ScheduleDramTest.cpp - DRAM fields of schedules ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Schedules of the DRAM-aware search: the `dram` object of every layer
// (address mapping, layout per operand, row-buffer counts, energy by kind,
// re-layouts) and its sums in `totals` round-trip byte for byte; corrupted
// values are rejected with one error naming the JSON path; the reports show
// the row-buffer columns; the traces of a schedule replay to the numbers it
// states.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Schedule/ScheduleTraces.h"
#include "romac/Target/Target.h"
#include "romac/Support/Parallel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include "JsonEdit.h"

using namespace romac;

namespace {

struct TestTarget {
  CostTarget cost;
  DramParams dram;
};

TestTarget npu() {
  Target t =
      llvm::cantFail(loadTarget("edge-npu-lpddr4", ROMAC_SOURCE_TARGETS_DIR));
  return {CostTarget::get(t), llvm::cantFail(DramParams::get(t.dram))};
}

/// conv1 -> relu (alias) -> conv2 -> fc1 -> fc2 on 56x56 maps (tiled).
std::vector<Workload> network() {
  std::vector<Workload> ws;
  Conv2dSpec s;
  s.name = "conv1";
  s.inputTensor = "image";
  s.weightTensor = "w1";
  s.outputTensor = "y1";
  s.c = 16;
  s.k = 64;
  s.h = s.w = 56;
  s.r = s.s = 3;
  s.padTop = s.padBottom = s.padLeft = s.padRight = 1;
  ws.push_back(llvm::cantFail(Workload::conv2d(s)));
  s.name = "conv2";
  s.inputTensor = "relu1";
  s.weightTensor = "w2";
  s.outputTensor = "y2";
  s.c = 64;
  ws.push_back(llvm::cantFail(Workload::conv2d(s)));
  Workload fc1 = llvm::cantFail(Workload::matmul(1024, 512, 256, 1, "fc1"));
  fc1.operands[2].tensor = "h";
  ws.push_back(fc1);
  Workload fc2 = llvm::cantFail(Workload::matmul(1024, 128, 512, 1, "fc2"));
  fc2.operands[0].tensor = "h";
  ws.push_back(fc2);
  return ws;
}

/// A schedule of the DRAM-aware search.
Schedule searched(unsigned threads = 1) {
  TestTarget t = npu();
  std::vector<Workload> ws = network();
  std::unique_ptr<llvm::ThreadPoolInterface> pool = makeThreadPool(threads);
  SearchOptions so;
  so.threadPool = pool.get();
  DramSearchOptions dso;
  WorkloadGraph::NamedTensorFacts facts;
  facts.aliases = {{"relu1", "y1"}};
  WorkloadGraph graph = WorkloadGraph::fromTensorNames(ws, {}, facts);
  DramSearchResult r =
      llvm::cantFail(searchLayersDramAware(graph, t.cost, t.dram, so, dso));
  return makeSchedule("net.onnx", t.cost, ws, r, so, dso);
}

/// fc1 and fc2 tiled so that their blocked layouts of h differ: fc2 pays a
/// re-layout.
Schedule withRelayout() {
  TestTarget t = npu();
  std::vector<Workload> ws = network();
  ws.erase(ws.begin(), ws.begin() + 2);
  std::vector<LayerResult> rs(2);
  rs[0].mapping = llvm::cantFail(
      Mapping::get(ws[0], {{"M", 64}, {"N", 32}}, {"M", "N", "K"}));
  rs[1].mapping = llvm::cantFail(
      Mapping::get(ws[1], {{"M", 32}, {"K", 64}}, {"M", "N", "K"}));
  DramSearchResult r = llvm::cantFail(
      evaluateLayersDram(ws, rs, t.cost, t.dram, "drmap", LayoutKind::Blocked));
  EXPECT_EQ(llvm::cantFail(chargeRelayouts(WorkloadGraph::fromTensorNames(ws),
                                           r, t.cost, t.dram)),
            1u);
  return makeSchedule("chain.onnx", t.cost, ws, r, SearchOptions(),
                      DramSearchOptions());
}

using test::editJSON;

llvm::json::Object &layer(llvm::json::Object &root, size_t i) {
  return test::jsonLayer(root, i);
}
llvm::json::Object &dram(llvm::json::Object &root, size_t i = 0) {
  return *layer(root, i).getObject("dram");
}

std::string parseError(const std::string &text) {
  llvm::Expected<Schedule> s = parseSchedule(text, "x.json");
  if (s)
    return "(no error)";
  return llvm::toString(s.takeError());
}

TEST(ScheduleDramTest, RoundTrip) {
  for (const Schedule &s : {searched(), withRelayout()}) {
    std::string text = scheduleToJSON(s);
    llvm::Expected<Schedule> parsed = parseSchedule(text, "net.json");
    ASSERT_TRUE(static_cast<bool>(parsed))
        << llvm::toString(parsed.takeError());
    Schedule back = std::move(*parsed);
    EXPECT_EQ(scheduleToJSON(back), text);
    EXPECT_EQ(back.search.dramObjective, "dram-energy");
    ASSERT_EQ(back.layers.size(), s.layers.size());
    for (auto [a, b] : llvm::zip_equal(s.layers, back.layers)) {
      ASSERT_TRUE(a.dram && b.dram);
      EXPECT_EQ(a.dram->addressMapping, b.dram->addressMapping);
      EXPECT_EQ(a.dram->layout.str(a.workload), b.dram->layout.str(b.workload));
      EXPECT_EQ(a.dram->activates, b.dram->activates);
      ASSERT_EQ(a.dram->relayouts.size(), b.dram->relayouts.size());
      for (auto [x, y] :
           llvm::zip_equal(a.dram->relayouts, b.dram->relayouts)) {
        EXPECT_EQ(x.operand, y.operand);
        EXPECT_EQ(x.tensor, y.tensor);
        EXPECT_EQ(x.producer, y.producer);
        EXPECT_EQ(x.producerIndex, y.producerIndex);
        EXPECT_EQ(x.bytes, y.bytes);
        EXPECT_EQ(x.energyPJ, y.energyPJ);
        EXPECT_EQ(x.cycles, y.cycles);
      }
      EXPECT_EQ(a.cost.dram.bursts, b.cost.dram.bursts);
      EXPECT_EQ(a.cost.dram.rowConflicts, b.cost.dram.rowConflicts);
      EXPECT_EQ(a.cost.dram.energyBreakdownPJ, b.cost.dram.energyBreakdownPJ);
      EXPECT_EQ(a.cost.dram.energyPJ, b.cost.dram.energyPJ);
      EXPECT_EQ(a.cost.dramEnergyPJ, b.cost.dramEnergyPJ);
    }
    ScheduleTotals ta = s.getTotals(), tb = back.getTotals();
    EXPECT_EQ(ta.bursts, tb.bursts);
    EXPECT_EQ(ta.activates, tb.activates);
    EXPECT_EQ(ta.relayouts, tb.relayouts);
    EXPECT_EQ(ta.dramEnergyBreakdownPJ, tb.dramEnergyBreakdownPJ);
  }
  // The same bytes on one or two threads.
  EXPECT_EQ(scheduleToJSON(searched(1)), scheduleToJSON(searched(2)));
}

TEST(ScheduleDramTest, FieldsAndTotals) {
  Schedule s = withRelayout();
  const LayerSchedule &fc2 = s.layers[1];
  ASSERT_EQ(fc2.dram->relayouts.size(), 1u);
  // The re-layout is part of the layer's DRAM and total energy and cycles,
  // not of the row-buffer numbers of its own traffic.
  double parts = 0;
  for (const auto &[name, pj] : fc2.cost.dram.energyBreakdownPJ)
    parts += pj;
  EXPECT_DOUBLE_EQ(fc2.cost.dramEnergyPJ,
                   parts + fc2.dram->relayouts[0].energyPJ);

  std::string text = scheduleToJSON(s);
  for (const char *needle :
       {"\"dram_objective\": \"dram-energy\"", "\"address_mapping\": \"drmap\"",
        "\"layout\": {", "\"kind\": \"blocked\"", "\"block\": [",
        "\"activates\": ", "\"relayouts\": [", "\"producer\": \"fc1\"",
        "\"tensor\": \"h\"", "\"act_pre\": ", "\"rd_wr\": ", "\"background\": ",
        "\"refresh\": ", "\"relayout_energy_pj\": "})
    EXPECT_NE(text.find(needle), std::string::npos) << needle;

  llvm::json::Value v = llvm::cantFail(llvm::json::parse(text));
  const llvm::json::Object &root = *v.getAsObject();
  const llvm::json::Object &totals =
      *root.getObject("totals")->getObject("dram");
  int64_t bursts = 0, hits = 0, acts = 0;
  double actPre = 0;
  for (const llvm::json::Value &l : *root.getArray("layers")) {
    const llvm::json::Object &d = *l.getAsObject()->getObject("dram");
    bursts += *d.getInteger("bursts");
    hits += *d.getInteger("row_hits");
    acts += *d.getInteger("activates");
    actPre += *d.getObject("energy_pj")->getNumber("act_pre");
    EXPECT_EQ(*d.getInteger("activates"),
              *d.getInteger("row_misses") + *d.getInteger("row_conflicts"));
  }
  EXPECT_EQ(*totals.getInteger("bursts"), bursts);
  EXPECT_EQ(*totals.getInteger("row_hits"), hits);
  EXPECT_EQ(*totals.getInteger("activates"), acts);
  EXPECT_EQ(*totals.getInteger("relayouts"), 1);
  EXPECT_DOUBLE_EQ(*totals.getObject("energy_pj")->getNumber("act_pre"),
                   actPre);

  // A flat schedule states none of it.
  TestTarget t = npu();
  std::vector<Workload> ws = network();
  std::vector<LayerResult> rs = llvm::cantFail(searchLayers(ws, t.cost));
  std::string flat = scheduleToJSON(makeSchedule("f", t.cost, ws, rs, {}));
  for (const char *needle : {"address_mapping", "layout", "activates",
                             "relayout", "dram_objective", "bursts"})
    EXPECT_EQ(flat.find(needle), std::string::npos) << needle;
}

TEST(ScheduleDramTest, CorruptedDramFieldsAreRejected) {
  std::string good = scheduleToJSON(withRelayout());
  ASSERT_EQ(parseError(good), "(no error)");
  struct Case {
    const char *error;
    std::function<void(llvm::json::Object &)> edit;
  };
  auto bump = [](llvm::json::Object &o, llvm::StringRef key, int64_t by) {
    o[key] = *o.getInteger(key) + by;
  };
  const Case cases[] = {
      {"x.json: error: layers[0].dram.bursts: is ",
       [&](llvm::json::Object &r) { bump(dram(r), "row_hits", 1); }},
      {"layers[0].dram: bursts, row_hits, row_misses and row_conflicts go "
       "together",
       [](llvm::json::Object &r) { dram(r).erase("row_misses"); }},
      {"layers[0].dram.row_hits: must not be negative",
       [](llvm::json::Object &r) { dram(r)["row_hits"] = -1; }},
      {"layers[0].dram.activates: is ",
       [&](llvm::json::Object &r) { bump(dram(r), "activates", 1); }},
      {"layers[0].energy_pj.dram: is ",
       [](llvm::json::Object &r) {
         llvm::json::Object &e = *dram(r).getObject("energy_pj");
         e["act_pre"] = *e.getNumber("act_pre") * 2;
       }},
      {"layers[0].dram.energy_pj.bogus: unknown DRAM energy kind",
       [](llvm::json::Object &r) {
         (*dram(r).getObject("energy_pj"))["bogus"] = 1;
       }},
      {"layers[1].energy_pj.dram: is ",
       [](llvm::json::Object &r) {
         llvm::json::Object &rl =
             *(*dram(r, 1).getArray("relayouts"))[0].getAsObject();
         rl["energy_pj"] = *rl.getNumber("energy_pj") + 1000;
       }},
      {"layers[1].dram.relayouts[0].producer: no earlier layer is called "
       "'nope'",
       [](llvm::json::Object &r) {
         (*(*dram(r, 1).getArray("relayouts"))[0].getAsObject())["producer"] =
             "nope";
       }},
      {"layers[1].dram.relayouts[0].operand: unknown operand 'x'",
       [](llvm::json::Object &r) {
         (*(*dram(r, 1).getArray("relayouts"))[0].getAsObject())["operand"] =
             "x";
       }},
      {"layers[0].dram.layout.input.kind: expected \"row-major\" or "
       "\"blocked\", got \"zigzag\"",
       [](llvm::json::Object &r) {
         (*dram(r).getObject("layout")->getObject("input"))["kind"] = "zigzag";
       }},
      {"layers[0].dram.layout.output: layout: block size 0 is not in [1, ",
       [](llvm::json::Object &r) {
         llvm::json::Object &o =
             *dram(r).getObject("layout")->getObject("output");
         (*o.getArray("block"))[0] = 0;
       }},
      {"layers[0].dram.layout.output.block: missing",
       [](llvm::json::Object &r) {
         dram(r).getObject("layout")->getObject("output")->erase("block");
       }},
      {"layers[0].dram.layout.output: missing",
       [](llvm::json::Object &r) {
         dram(r).getObject("layout")->erase("output");
       }},
      {"layers[0].dram.layout.foo: unknown operand",
       [](llvm::json::Object &r) {
         (*dram(r).getObject("layout"))["foo"] = llvm::json::Object();
       }},
      {"layers[0].dram.layout: the DRAM ranges of operands 'input' and "
       "'weight' of 'fc1' overlap",
       [](llvm::json::Object &r) {
         llvm::json::Object &l = *dram(r).getObject("layout");
         (*l.getObject("weight"))["base"] =
             *l.getObject("input")->getInteger("base");
       }},
      {"layers[0].dram.address_mapping: missing",
       [](llvm::json::Object &r) { dram(r).erase("address_mapping"); }},
      {"totals.dram.bursts: is ",
       [&](llvm::json::Object &r) {
         bump(*r.getObject("totals")->getObject("dram"), "bursts", 1);
       }},
      {"totals.dram.energy_pj.rd_wr: is ",
       [](llvm::json::Object &r) {
         llvm::json::Object &e =
             *r.getObject("totals")->getObject("dram")->getObject("energy_pj");
         e["rd_wr"] = *e.getNumber("rd_wr") * 1.5;
       }},
      {"totals.dram.activates: missing (every layer states it)",
       [](llvm::json::Object &r) {
         r.getObject("totals")->getObject("dram")->erase("activates");
       }},
      {"search.dram_objective: unknown DRAM objective 'speed'",
       [](llvm::json::Object &r) {
         (*r.getObject("search"))["dram_objective"] = "speed";
       }},
      // Present means stated: null is not an absent count.
      {"x.json: error: layers[0].dram.bursts: expected an integer",
       [](llvm::json::Object &r) { dram(r)["bursts"] = nullptr; }},
      {"x.json: error: layers[0].dram.layout.output.block[0]: expected an "
       "integer",
       [](llvm::json::Object &r) {
         llvm::json::Object &o =
             *dram(r).getObject("layout")->getObject("output");
         (*o.getArray("block"))[0] = "x";
       }},
  };
  for (const Case &c : cases) {
    std::string msg = parseError(editJSON(good, c.edit));
    EXPECT_NE(msg.find(c.error), std::string::npos)
        << "expected: " << c.error << "\n     got: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    // One problem, said once.
    EXPECT_EQ(msg.find("error:", msg.find("error:") + 1), std::string::npos)
        << msg;
  }
}

TEST(ScheduleDramTest, ReportsShowRowBufferColumns) {
  Schedule s = withRelayout();
  std::string table;
  llvm::raw_string_ostream os(table);
  printScheduleTable(os, s);
  for (const char *needle : {"hit%", "ACTs", "DRAM mJ", "1 re-layouts",
                             "DRAM (row-buffer model, mapping drmap)"})
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;
  // The totals line states the activations of both layers.
  int64_t acts = s.layers[0].dram->activates + s.layers[1].dram->activates;
  EXPECT_NE(table.find(" " + std::to_string(acts) + " "), std::string::npos)
      << table;

  Schedule other = searched();
  other.layers.erase(other.layers.begin(), other.layers.begin() + 2);
  std::string cmp;
  llvm::raw_string_ostream cs(cmp);
  printScheduleComparison(cs, s, other);
  EXPECT_NE(cmp.find("DRAM mJ"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("hit%"), std::string::npos) << cmp;

  // Without row-buffer statistics the columns are not printed.
  TestTarget t = npu();
  std::vector<Workload> ws = network();
  std::vector<LayerResult> rs = llvm::cantFail(searchLayers(ws, t.cost));
  std::string flat;
  llvm::raw_string_ostream fs(flat);
  printScheduleTable(fs, makeSchedule("f", t.cost, ws, rs, {}));
  EXPECT_EQ(flat.find("hit%"), std::string::npos) << flat;
}

TEST(ScheduleDramTest, TracesReplayToTheScheduleNumbers) {
  llvm::Expected<Schedule> parsed =
      parseSchedule(scheduleToJSON(withRelayout()), "chain.json");
  ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
  Schedule s = std::move(*parsed);
  TestTarget t = npu();
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("romac-traces", dir));
  llvm::SmallString<128> sub(dir);
  llvm::sys::path::append(sub, "t");
  std::vector<LayerTraceFiles> files =
      llvm::cantFail(writeScheduleTraces(s, t.dram, sub));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(llvm::sys::path::filename(files[0].dramsim3Trace),
            "000-fc1.dramsim3.trace");
  for (auto [f, l] : llvm::zip_equal(files, s.layers)) {
    for (const std::string &path :
         {f.dramsim3Trace, f.dramsim3Ini, f.ramulator2Trace, f.summary})
      EXPECT_TRUE(llvm::sys::fs::exists(path)) << path;
    const DramStats &st = f.result.stats;
    EXPECT_EQ(static_cast<int64_t>(st.bursts), *l.cost.dram.bursts);
    EXPECT_EQ(static_cast<int64_t>(st.rowHits), *l.cost.dram.rowHits);
    EXPECT_EQ(static_cast<int64_t>(st.rowConflicts), *l.cost.dram.rowConflicts);
    EXPECT_EQ(static_cast<int64_t>(st.activates), l.dram->activates);
    EXPECT_EQ(st.energyPJ.getTotal(), l.cost.dram.energyPJ);
  }
  llvm::sys::fs::remove_directories(dir);

  // A flat schedule has no placement to trace.
  std::vector<Workload> ws = network();
  std::vector<LayerResult> rs = llvm::cantFail(searchLayers(ws, t.cost));
  llvm::Expected<std::vector<LayerTraceFiles>> none = writeScheduleTraces(
      makeSchedule("flat.onnx", t.cost, ws, rs, {}), t.dram, dir);
  ASSERT_FALSE(none);
  EXPECT_EQ(llvm::toString(none.takeError()),
            "schedule of 'flat.onnx': no layer has a DRAM placement (traces "
            "need the DRAM-aware search)");
}

} // namespace
