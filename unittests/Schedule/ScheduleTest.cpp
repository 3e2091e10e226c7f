//===- ScheduleTest.cpp - schedule JSON and reports -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Round trips (write -> read -> write gives the same bytes), determinism,
// DRAM statistics only when a model reports them, one clear error per kind
// of bad input (naming the file and the JSON path), atomic writes, the
// verifier on loaded (and corrupted) schedules, and the text reports.
//
//===----------------------------------------------------------------------===//

#include "romac/Schedule/Schedule.h"
#include "romac/Schedule/ScheduleJSON.h"
#include "romac/Schedule/ScheduleReport.h"
#include "romac/Schedule/ScheduleVerify.h"
#include "romac/Support/Parallel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "JsonEdit.h"

using namespace romac;

namespace {

CostTarget npu() {
  return llvm::cantFail(
      loadCostTarget("edge-npu-lpddr4", ROMAC_SOURCE_TARGETS_DIR));
}

std::vector<Workload> layers() {
  Conv2dSpec s;
  s.name = "conv1";
  s.inputTensor = "image";
  s.c = 3;
  s.k = 64;
  s.h = s.w = 56;
  s.r = s.s = 3;
  s.padTop = s.padBottom = s.padLeft = s.padRight = 1;
  std::vector<Workload> out = {llvm::cantFail(Workload::conv2d(s))};
  s.name = "dw";
  s.c = 64;
  s.k = 64;
  s.strideH = s.strideW = 2;
  out.push_back(llvm::cantFail(Workload::depthwiseConv2d(s)));
  out.push_back(llvm::cantFail(Workload::matmul(784, 256, 576, 1, "fc")));
  out.push_back(
      llvm::cantFail(Workload::batchMatmul(4, 196, 196, 64, 1, "attn")));
  return out;
}

Schedule makeTestSchedule(unsigned threads = 1,
                          const DramCostModel *dram = nullptr) {
  CostTarget t = npu();
  std::vector<Workload> ws = layers();
  std::unique_ptr<llvm::ThreadPoolInterface> pool = makeThreadPool(threads);
  SearchOptions o;
  o.threadPool = pool.get();
  o.cost.dramModel = dram;
  std::vector<LayerResult> rs = llvm::cantFail(searchLayers(ws, t, o));
  return makeSchedule("tiny.onnx", t, ws, rs, o);
}

using test::editJSON;

llvm::json::Object &layer0(llvm::json::Object &root) {
  return *(*root.getArray("layers"))[0].getAsObject();
}
llvm::json::Object &dramLevel(llvm::json::Object &root) {
  return *(*layer0(root).getObject("mapping")->getArray("levels"))[0]
              .getAsObject();
}

std::string parseError(const std::string &text) {
  llvm::Expected<Schedule> s = parseSchedule(text, "x.json");
  if (s)
    return "(no error)";
  return llvm::toString(s.takeError());
}

TEST(ScheduleTest, RoundTripIsByteIdentical) {
  Schedule s = makeTestSchedule();
  std::string first = scheduleToJSON(s);
  Schedule back = llvm::cantFail(parseSchedule(first, "tiny.json"));
  EXPECT_EQ(scheduleToJSON(back), first);

  ASSERT_EQ(back.layers.size(), s.layers.size());
  for (size_t i = 0; i < s.layers.size(); ++i) {
    const LayerSchedule &a = s.layers[i], &b = back.layers[i];
    EXPECT_EQ(a.workload.getCanonicalKey(), b.workload.getCanonicalKey());
    EXPECT_EQ(a.workload.str(), b.workload.str());
    EXPECT_EQ(a.mapping.tileSizes, b.mapping.tileSizes);
    EXPECT_EQ(a.mapping.order, b.mapping.order);
    EXPECT_EQ(a.loops, b.loops);
    EXPECT_EQ(a.spatial, b.spatial);
    EXPECT_EQ(a.reuse, b.reuse);
    EXPECT_EQ(a.cost.totalEnergyPJ, b.cost.totalEnergyPJ);
    EXPECT_EQ(a.cost.cycles, b.cost.cycles);
    EXPECT_EQ(a.cost.getDramBytes(), b.cost.getDramBytes());
  }
  EXPECT_EQ(back.target.name, "edge-npu-lpddr4");
  EXPECT_EQ(back.target.memories.size(), 3u);
  EXPECT_EQ(back.getTotals().totalEnergyPJ, s.getTotals().totalEnergyPJ);
}

TEST(ScheduleTest, PackingRateRoundTrips) {
  // Written only when set (the shipped targets' schedules do not change).
  Schedule s = makeTestSchedule();
  EXPECT_EQ(scheduleToJSON(s).find("pack_bytes_per_cycle"), std::string::npos);
  s.target.packBytesPerCycle = 32;
  std::string text = scheduleToJSON(s);
  EXPECT_NE(text.find("\"pack_bytes_per_cycle\": 32"), std::string::npos);
  Schedule back = llvm::cantFail(parseSchedule(text, "tiny.json"));
  EXPECT_EQ(back.target.packBytesPerCycle, 32);
}

TEST(ScheduleTest, DeterministicOutput) {
  EXPECT_EQ(scheduleToJSON(makeTestSchedule(1)),
            scheduleToJSON(makeTestSchedule(2)));
  std::string text = scheduleToJSON(makeTestSchedule());
  // Fixed key order, DESIGN.md §7 names.
  EXPECT_EQ(text.rfind("{\n  \"format\": \"romac-schedule\",\n  \"version\": "
                       "1,\n  \"model\": \"tiny.onnx\",\n  \"target\": {\n",
                       0),
            0u);
  EXPECT_NE(text.find("\"dims\": {\n        \"N\": 1,\n        \"K\": 64,"),
            std::string::npos);
  EXPECT_NE(text.find("\"projection\": [\n            \"N\",\n            "
                      "\"C\",\n            \"P*1+R*1-1\",\n"),
            std::string::npos);
  EXPECT_NE(text.find("\"memory\": \"DRAM\""), std::string::npos);
  EXPECT_NE(text.find("\"memory\": \"PE-array\""), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  // The flat model knows no row-buffer statistics: none are written.
  EXPECT_EQ(text.find("row_hits"), std::string::npos);
  EXPECT_EQ(text.find("bursts"), std::string::npos);
}

/// A DRAM model with row statistics and an energy breakdown.
class RowDram : public DramCostModel {
public:
  llvm::StringRef getName() const override { return "row-buffer"; }
  DramEstimate estimate(const CostTarget &, const Workload &,
                        const DramTraffic &traffic) const override {
    DramEstimate e;
    e.energyPJ =
        static_cast<double>(traffic.getReadBytes() + traffic.getWriteBytes());
    e.cycles = e.energyPJ / 16;
    return e;
  }
  DramEstimate evaluate(const CostTarget &t, const Workload &w, const Mapping &,
                        const DramTraffic &traffic) const override {
    DramEstimate e = estimate(t, w, traffic);
    e.bursts = 10;
    e.rowHits = 7;
    e.rowMisses = 2;
    e.rowConflicts = 1;
    e.energyBreakdownPJ = {{"act_pre", e.energyPJ / 4},
                           {"rd_wr", e.energyPJ * 3 / 4}};
    return e;
  }
};

TEST(ScheduleTest, DramStatisticsWhenKnown) {
  RowDram dram;
  Schedule s = makeTestSchedule(1, &dram);
  std::string text = scheduleToJSON(s);
  EXPECT_NE(text.find("\"model\": \"row-buffer\""), std::string::npos);
  EXPECT_NE(text.find("\"row_hits\": 7"), std::string::npos);
  EXPECT_NE(text.find("\"act_pre\""), std::string::npos);
  Schedule back = llvm::cantFail(parseSchedule(text, "t.json"));
  EXPECT_EQ(back.layers[0].cost.dram.rowConflicts, 1);
  EXPECT_EQ(back.layers[0].cost.dram.energyBreakdownPJ.size(), 2u);
  EXPECT_EQ(scheduleToJSON(back), text);
}

TEST(ScheduleTest, BadInputErrors) {
  std::string good = scheduleToJSON(makeTestSchedule());
  EXPECT_EQ(parseError(good), "(no error)");
  EXPECT_EQ(
      parseError("{\"format\": ").rfind("x.json: error: invalid JSON: ", 0),
      0u);
  EXPECT_EQ(parseError("[1, 2]"), "x.json: error: expected a JSON object");
  EXPECT_EQ(parseError(editJSON(
                good, [](llvm::json::Object &r) { r["format"] = "onnx"; })),
            "x.json: error: format: expected \"romac-schedule\", got \"onnx\"");
  EXPECT_EQ(parseError(editJSON(
                good, [](llvm::json::Object &r) { r["version"] = 2; })),
            "x.json: error: version: unsupported version 2 (this romac reads "
            "version 1)");
  EXPECT_EQ(parseError(editJSON(
                good, [](llvm::json::Object &r) { r.erase("layers"); })),
            "x.json: error: layers: missing");
  EXPECT_EQ(
      parseError(editJSON(
          good, [](llvm::json::Object &r) { dramLevel(r).erase("order"); })),
      "x.json: error: layers[0].mapping.levels[0].order: missing");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*dramLevel(r).getObject("tile"))["K"] = "16";
                                })),
            "x.json: error: layers[0].mapping.levels[0].tile.K: expected an "
            "integer");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*dramLevel(r).getObject("tile"))["K"] = 65;
                                })),
            "x.json: error: layers[0].mapping.levels[0].tile.K: tile 65 is "
            "outside [1, 64]");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*dramLevel(r).getObject("tile"))["Z"] = 1;
                                })),
            "x.json: error: layers[0].mapping.levels[0].tile.Z: unknown loop "
            "dim");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*dramLevel(r).getArray("order"))[1] = "N";
                                })),
            "x.json: error: layers[0].mapping.levels[0].order[1]: loop dim 'N' "
            "listed twice");
  EXPECT_EQ(parseError(editJSON(
                good,
                [](llvm::json::Object &r) {
                  auto &op =
                      *(*layer0(r).getArray("operands"))[0].getAsObject();
                  (*op.getArray("projection"))[2] = "P*1+X*1-1";
                })),
            "x.json: error: layers[0].operands[0].projection[2]: invalid "
            "projection 'P*1+X*1-1': unknown loop dim 'X'");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*layer0(r).getObject("dims"))["K"] = 32;
                                })),
            "x.json: error: layers[0].dims.K: is 32 but loops say 64");
  EXPECT_EQ(
      parseError(editJSON(
          good, [](llvm::json::Object &r) { layer0(r)["op"] = "conv4d"; })),
      "x.json: error: layers[0].op: unknown op \"conv4d\"; expected " +
          listEnumNames(kOpKindNames));
  EXPECT_EQ(parseError(editJSON(
                good,
                [](llvm::json::Object &r) {
                  auto &op =
                      *(*layer0(r).getArray("operands"))[2].getAsObject();
                  op["role"] = "write";
                })),
            "x.json: error: layers[0].operands[2].role: expected \"read\" or "
            "\"readwrite\", got \"write\"");
  EXPECT_EQ(parseError(editJSON(
                good,
                [](llvm::json::Object &r) {
                  auto &op =
                      *(*layer0(r).getArray("operands"))[1].getAsObject();
                  op["buffer"] = "iBuff";
                })),
            "x.json: error: layers[0].operands[1].buffer: the target holds the "
            "weight in 'wBuff', not 'iBuff'");
  EXPECT_EQ(
      parseError(editJSON(good,
                          [](llvm::json::Object &r) {
                            layer0(r).getObject("energy_pj")->erase("total");
                          })),
      "x.json: error: layers[0].energy_pj.total: missing");
  EXPECT_EQ(parseError(editJSON(good,
                                [](llvm::json::Object &r) {
                                  (*r.getObject("search"))["objective"] =
                                      "speed";
                                })),
            "x.json: error: search.objective: unknown objective 'speed'");
  EXPECT_EQ(
      parseError(editJSON(good,
                          [](llvm::json::Object &r) {
                            (*(*r.getObject("target")->getArray("memories"))[0]
                                  .getAsObject())["bytes"] = 0;
                          })),
      "x.json: error: target.memories[0].bytes: must be positive");
}

TEST(ScheduleTest, AtomicFileWrite) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("romac-schedule", dir));
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, "out.schedule.json");
  Schedule s = makeTestSchedule();
  ASSERT_FALSE(static_cast<bool>(writeScheduleFile(path, s)));
  Schedule back = llvm::cantFail(readScheduleFile(path));
  EXPECT_EQ(scheduleToJSON(back), scheduleToJSON(s));
  // Only the file itself is left.
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 1);

  // A directory that does not exist: an error and no file.
  llvm::SmallString<128> bad(dir);
  llvm::sys::path::append(bad, "missing", "out.json");
  std::string msg = llvm::toString(writeScheduleFile(bad, s));
  EXPECT_EQ(
      msg.rfind((bad + ": error: cannot create a temporary file").str(), 0), 0u)
      << msg;
  EXPECT_FALSE(llvm::sys::fs::exists(bad));

  llvm::SmallString<128> none(dir);
  llvm::sys::path::append(none, "none.json");
  EXPECT_EQ(llvm::toString(readScheduleFile(none).takeError()),
            (none + ": error: cannot read schedule file: No such file or "
                    "directory")
                .str());
  llvm::sys::fs::remove_directories(dir);
}

TEST(ScheduleTest, VerifyLoadedSchedules) {
  std::string good = scheduleToJSON(makeTestSchedule());
  Schedule s = llvm::cantFail(parseSchedule(good, "x.json"));
  llvm::Error ok = verifySchedule(s);
  EXPECT_FALSE(static_cast<bool>(ok)) << llvm::toString(std::move(ok));

  // Loading refuses a hand-edited tile count that leaves iterations out, a
  // step that makes neighbours overlap and a tile larger than its buffer.
  auto parseError = [&](auto edit) {
    llvm::Expected<Schedule> r = parseSchedule(editJSON(good, edit), "x.json");
    return r ? std::string("<loaded>") : llvm::toString(r.takeError());
  };
  auto fcLevel = [](llvm::json::Object &r) -> llvm::json::Object & {
    return *(*(*r.getArray("layers"))[2]
                  .getAsObject()
                  ->getObject("mapping")
                  ->getArray("levels"))[0]
                .getAsObject();
  };
  EXPECT_EQ(parseError([](llvm::json::Object &r) {
              llvm::json::Object &level = dramLevel(r);
              (*level.getObject("tile"))["P"] = 28;
              (*level.getObject("tile_count"))["P"] = 1;
            }),
            "x.json: error: layers[0].mapping.levels[0].tile_count.P: 1 tiles "
            "of 28 cover 28 of 56: a gap");
  EXPECT_EQ(
      parseError([&](llvm::json::Object &r) {
        auto &level = fcLevel(r);
        level["tile"] = llvm::json::Object{{"M", 16}, {"N", 256}, {"K", 576}};
        level["tile_count"] = llvm::json::Object{{"M", 98}, {"N", 1}, {"K", 1}};
        level["step"] = llvm::json::Object{{"M", 8}};
      }),
      "x.json: error: layers[2].mapping.levels[0].tile_count.M: tiles "
      "of 16 every 8 overlap");
  EXPECT_EQ(
      parseError([&](llvm::json::Object &r) {
        auto &level = fcLevel(r);
        level["tile"] = llvm::json::Object{{"M", 784}, {"N", 256}, {"K", 576}};
        level.erase("tile_count");
      }),
      "x.json: error: layers[2].mapping: layer 'fc': the tiles of "
      "'input' need 451584 bytes but buffer 'iBuff' holds 131072");

  // Z3 proves the same of a tiling edited in memory (romac inspect
  // --verify, romac compile --verify).
  Schedule gap = s;
  TileLoop &p = gap.layers[0].loops[*gap.layers[0].workload.findDim("P")];
  p.size = 28;
  p.step = 28;
  p.count = 1;
  std::string msg = llvm::toString(verifySchedule(gap));
  EXPECT_EQ(msg.rfind("layer 'conv1': tile loop of dim 'P' leaves a gap", 0),
            0u)
      << msg;
  Schedule overlap = s;
  TileLoop &m =
      overlap.layers[2].loops[*overlap.layers[2].workload.findDim("M")];
  m.size = 16;
  m.step = 8;
  m.count = 98;
  msg = llvm::toString(verifySchedule(overlap));
  EXPECT_EQ(msg.rfind("layer 'fc': tile loop of dim 'M' overlaps", 0), 0u)
      << msg;
  Schedule big = s;
  for (auto [d, t] : llvm::enumerate(big.layers[2].loops)) {
    t.size = t.step = big.layers[2].workload.dims[d].bound;
    t.count = 1;
  }
  msg = llvm::toString(verifySchedule(big));
  EXPECT_EQ(msg, "layer 'fc': tiles do not fit buffer 'iBuff' (131072 bytes): "
                 "at tile (M=0, N=0, K=0) operand 'input' needs 451584 bytes");
}

TEST(ScheduleTest, LoadingChecksTheTotals) {
  std::string good = scheduleToJSON(makeTestSchedule());
  for (auto [key, sub] :
       {std::pair{"energy_pj", "total"}, std::pair{"energy_pj", "sram"},
        std::pair{"cycles", ""}, std::pair{"macs", ""}}) {
    llvm::Expected<Schedule> r = parseSchedule(
        editJSON(good,
                 [&](llvm::json::Object &root) {
                   llvm::json::Object &t = *root.getObject("totals");
                   llvm::json::Value &v =
                       sub[0] ? *t.getObject(key)->get(sub) : *t.get(key);
                   v = *v.getAsNumber() * 2 + 1;
                 }),
        "x.json");
    ASSERT_FALSE(static_cast<bool>(r)) << key << " " << sub;
    std::string msg = llvm::toString(r.takeError());
    EXPECT_NE(msg.find("but the layers add up to"), std::string::npos) << msg;
  }
}

TEST(ScheduleTest, TableAndComparison) {
  Schedule s = makeTestSchedule();
  std::string table;
  llvm::raw_string_ostream os(table);
  printScheduleTable(os, s);
  EXPECT_EQ(table.rfind("model 'tiny.onnx' on target 'edge-npu-lpddr4' "
                        "(objective energy, policy adaptive, refinements "
                        "none)\nlayer ",
                        0),
            0u)
      << table;
  for (const char *needle : {"conv1", "dw", "fc", "attn", "total (4 layers)",
                             "energy mJ", "K64 C3 P56 Q56 R3 S3", "summary: "})
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;

  Schedule other = s;
  other.layers.pop_back();
  other.layers[0].cost.totalEnergyPJ *= 2;
  std::string cmp;
  llvm::raw_string_ostream cs(cmp);
  printScheduleComparison(cs, s, other);
  EXPECT_NE(cmp.find("2.000"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("only in base: attn"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("total (matched)"), std::string::npos) << cmp;
}

/// The lines of `text` that start with one of `names` (followed by a
/// space), as the index of the name, in order.
std::vector<size_t> layerLines(const std::string &text,
                               llvm::ArrayRef<std::string> names) {
  std::vector<size_t> out;
  llvm::SmallVector<llvm::StringRef, 32> lines;
  llvm::StringRef(text).split(lines, '\n');
  for (llvm::StringRef line : lines)
    for (auto [i, n] : llvm::enumerate(names))
      if (line.starts_with(n + " "))
        out.push_back(i);
  return out;
}

TEST(ScheduleTest, TableUnitsSortAndTop) {
  Schedule s = makeTestSchedule();
  ScheduleTotals t = s.getTotals();
  std::vector<std::string> names;
  for (const LayerSchedule &l : s.layers)
    names.push_back(l.workload.name);
  auto print = [&](ScheduleTableOptions options) {
    std::string text;
    llvm::raw_string_ostream os(text);
    printScheduleTable(os, s, options);
    return text;
  };
  // Energy in mJ with its share, latency in ms at the target's clock, per
  // layer and in the summary (computed here from the costs).
  std::string text = print({});
  for (const LayerSchedule &l : s.layers) {
    std::string cells =
        llvm::formatv("{0:f4} {1,6} {2,10}", l.cost.totalEnergyPJ * 1e-9,
                      llvm::formatv("{0:f1}%", 100 * l.cost.totalEnergyPJ /
                                                   t.totalEnergyPJ)
                          .str(),
                      llvm::formatv("{0:f3}", l.cost.cycles /
                                                  (s.target.frequencyMHz * 1e3))
                          .str())
            .str();
    EXPECT_NE(text.find(cells), std::string::npos) << cells << "\n" << text;
  }
  std::string summary =
      llvm::formatv(
          "summary: {0:f4} mJ, {1:f3} ms at {2:f0} MHz; compute {3:f4} "
          "mJ ({4:f1}%)",
          t.totalEnergyPJ * 1e-9, t.cycles / (s.target.frequencyMHz * 1e3),
          s.target.frequencyMHz, t.macEnergyPJ * 1e-9,
          100 * t.macEnergyPJ / t.totalEnergyPJ)
          .str();
  EXPECT_NE(text.find(summary), std::string::npos) << summary << "\n" << text;
  // The network's order by default; the top list by energy.
  std::vector<size_t> byEnergy(s.layers.size());
  for (size_t i = 0; i < byEnergy.size(); ++i)
    byEnergy[i] = i;
  std::stable_sort(byEnergy.begin(), byEnergy.end(), [&](size_t a, size_t b) {
    return s.layers[a].cost.totalEnergyPJ > s.layers[b].cost.totalEnergyPJ;
  });
  ASSERT_NE(byEnergy, std::vector<size_t>({0, 1, 2, 3})) << "a weak case";
  EXPECT_EQ(layerLines(text, names), std::vector<size_t>({0, 1, 2, 3}));
  EXPECT_NE(text.find("top 4 layers by energy (100.0% of it):\n   1. " +
                      names[byEnergy[0]]),
            std::string::npos)
      << text;
  // --sort energy, --top 2.
  ScheduleTableOptions sorted;
  sorted.sort = ScheduleSort::Energy;
  sorted.top = 2;
  text = print(sorted);
  EXPECT_EQ(layerLines(text, names), byEnergy) << text;
  EXPECT_NE(text.find("top 2 layers by energy"), std::string::npos) << text;
  EXPECT_NE(text.find("   2. " + names[byEnergy[1]]), std::string::npos);
  EXPECT_EQ(text.find("   3. "), std::string::npos) << text;
  // --top 0: no list.
  ScheduleTableOptions none;
  none.top = 0;
  EXPECT_EQ(print(none).find("top "), std::string::npos);
  EXPECT_EQ(parseScheduleSort("latency"), ScheduleSort::Latency);
  EXPECT_FALSE(parseScheduleSort("size"));

  // A long name keeps its start and its end.
  s.layers[0].workload.name = "/decoder/up_blocks.3/resnets.0/attentions.12/"
                              "transformer_blocks.0/conv_shortcut/Conv";
  text = print({});
  EXPECT_NE(text.find("\n/decoder/u...mer_blocks.0/conv_shortcut/Conv "),
            std::string::npos)
      << text;
}

} // namespace
