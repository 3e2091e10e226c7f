//===- TraceTest.cpp - DRAMsim3 / Ramulator 2 trace files -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TestTargets.h"

#include "romac/Dram/Trace.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace romac;
using namespace romac::test;

namespace {

struct Layer {
  Workload workload;
  Mapping mapping;
  LayerLayout layout;
};

/// A small tiled convolution placed row-major at 0x1000.
Layer smallLayer() {
  Conv2dSpec s;
  s.c = 4;
  s.k = 8;
  s.h = s.w = 10;
  s.r = s.s = 3;
  s.padTop = s.padBottom = s.padLeft = s.padRight = 1;
  s.name = "conv1";
  Layer layer{*Workload::conv2d(s), Mapping(), LayerLayout()};
  layer.mapping = *Mapping::get(layer.workload, {{"K", 4}, {"P", 5}},
                                {"K", "C", "P", "Q", "N", "R", "S"});
  LayerLayoutOptions options;
  options.base = 0x1000;
  layer.layout = *makeLayerLayout(layer.workload, layer.mapping, options);
  return layer;
}

DramModel model(llvm::StringRef target, llvm::StringRef mapping) {
  DramParams params = getTargetParams(target);
  return DramModel(params, *AddressMapping::get(params.geometry, mapping));
}

TEST(TraceTest, TracesListEveryBurstInOrder) {
  Layer layer = smallLayer();
  DramModel m = model("edge-npu-lpddr4", "romanet");
  std::string dramsim3, ramulator;
  llvm::raw_string_ostream ds(dramsim3), rs(ramulator);
  TraceSummary summary =
      writeTraces(m, layer.workload, layer.mapping, layer.layout, &ds, &rs);
  EXPECT_FALSE(summary.truncated);
  // The summary is the model's prediction for the layer.
  DramStats expected = m.evaluate(layer.workload, layer.mapping, layer.layout);
  EXPECT_EQ(summary.stats, expected) << summary.stats.str() << "\n"
                                     << expected.str();

  // The replayed request stream, for comparison.
  std::vector<DramRequest> requests;
  forEachBurst(layer.workload, layer.mapping, layer.layout,
               m.getMapping().getBurstOffsetBits(),
               [&](const DramRequest &r) { requests.push_back(r); });
  ASSERT_EQ(requests.size(), expected.bursts);

  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(dramsim3).split(lines, '\n', -1, /*KeepEmpty=*/false);
  ASSERT_EQ(lines.size(), requests.size());
  llvm::SmallVector<llvm::StringRef> ramLines;
  llvm::StringRef(ramulator).split(ramLines, '\n', -1, false);
  ASSERT_EQ(ramLines.size(), requests.size());
  llvm::Expected<AddressMapping> ramMapping =
      AddressMapping::get(m.getMapping().getGeometry(), "ChRaBgBaRoCo");
  ASSERT_TRUE(static_cast<bool>(ramMapping));
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::SmallVector<llvm::StringRef, 3> fields;
    lines[i].split(fields, ' ');
    ASSERT_EQ(fields.size(), 3u) << lines[i].str();
    ASSERT_TRUE(fields[0].starts_with("0x")) << lines[i].str();
    uint64_t address = 0, cycle = 0;
    ASSERT_FALSE(fields[0].drop_front(2).getAsInteger(16, address));
    EXPECT_EQ(address, requests[i].burst << 6);
    EXPECT_EQ(fields[1], requests[i].isWrite ? "WRITE" : "READ");
    ASSERT_FALSE(fields[2].getAsInteger(10, cycle));
    // Peak rate: BL16 bursts take 8 cycles on each of 2 channels.
    EXPECT_EQ(cycle, i * 8 / 2);

    llvm::SmallVector<llvm::StringRef, 2> ram;
    ramLines[i].split(ram, ' ');
    ASSERT_EQ(ram.size(), 2u) << ramLines[i].str();
    EXPECT_EQ(ram[0], requests[i].isWrite ? "ST" : "LD");
    uint64_t ramAddress = 0;
    ASSERT_TRUE(ram[1].starts_with("0x"));
    ASSERT_FALSE(ram[1].drop_front(2).getAsInteger(16, ramAddress));
    // Ramulator 2's ChRaBaRoCo mapper sees the coordinate romac's mapping
    // gives.
    EXPECT_EQ(ramMapping->decode(ramAddress), m.getMapping().decode(address));
  }
  EXPECT_TRUE(llvm::StringRef(dramsim3).starts_with("0x"));
}

TEST(TraceTest, TruncatedTraceSummaryDescribesWhatWasWritten) {
  Layer layer = smallLayer();
  DramModel m = model("romanet-ddr3", "BaRoCo");
  std::string text;
  llvm::raw_string_ostream os(text);
  TraceOptions options;
  options.maxBursts = 10;
  TraceSummary summary = writeTraces(m, layer.workload, layer.mapping,
                                     layer.layout, &os, nullptr, options);
  EXPECT_TRUE(summary.truncated);
  EXPECT_EQ(summary.stats.bursts, 10u);
  EXPECT_EQ(llvm::StringRef(text).count('\n'), 10u);
  // The same ten bursts replayed directly.
  std::vector<DramRequest> requests;
  forEachBurst(layer.workload, layer.mapping, layer.layout, 6,
               [&](const DramRequest &r) {
                 if (requests.size() < 10)
                   requests.push_back(r);
               });
  DramStats direct = m.replayBursts(requests);
  EXPECT_EQ(summary.stats.rowHits, direct.rowHits);
  EXPECT_EQ(summary.stats.rowMisses, direct.rowMisses);
  EXPECT_EQ(summary.stats.rowConflicts, direct.rowConflicts);
  EXPECT_EQ(summary.stats.cycles, direct.cycles);
}

TEST(TraceTest, Dramsim3Ini) {
  std::string text;
  llvm::raw_string_ostream os(text);
  DramModel m = model("romanet-ddr3", "romanet");
  ASSERT_FALSE(llvm::errorToBool(writeDramsim3Ini(os, m)));
  for (llvm::StringRef line : {"[dram_structure]\n",
                               "protocol = DDR3\n",
                               "bankgroups = 1\n",
                               "banks_per_group = 8\n",
                               "rows = 65536\n",
                               "columns = 1024\n",
                               "device_width = 8\n",
                               "BL = 8\n",
                               "[timing]\n",
                               "tCK = 1.25\n",
                               "CL = 11\n",
                               "CWL = 8\n",
                               "tRCD = 11\n",
                               "tRP = 11\n",
                               "tRAS = 28\n",
                               "tRFC = 208\n",
                               "tREFI = 6240\n",
                               "tRRD_S = 5\n",
                               "tFAW = 24\n",
                               "tWR = 12\n",
                               "tWTR_S = 6\n",
                               "tRTP = 6\n",
                               "tCCD_S = 4\n",
                               "[power]\n",
                               "VDD = 1.35\n",
                               "IDD0 = 55\n",
                               "IDD2N = 32\n",
                               "IDD3N = 38\n",
                               "IDD4W = 125\n",
                               "IDD4R = 157\n",
                               "IDD5AB = 235\n",
                               "[system]\n",
                               "channel_size = 4096\n",
                               "channels = 1\n",
                               "bus_width = 64\n",
                               "address_mapping = chrabgrobaco\n",
                               "trans_queue_size = 32\n",
                               "row_buf_policy = OPEN_PAGE\n"})
    EXPECT_TRUE(llvm::StringRef(text).contains(line)) << line.str() << text;

  // A closed-page LPDDR4 with two channels and 12-request queues.
  DramParams params = getTargetParams("edge-npu-lpddr4");
  params.policy = PagePolicy::Closed;
  params.controllerQueue = 12;
  DramModel lp(params, *AddressMapping::get(params.geometry, "drmap"));
  text.clear();
  ASSERT_FALSE(llvm::errorToBool(writeDramsim3Ini(os, lp)));
  for (llvm::StringRef line :
       {"protocol = LPDDR4\n", "bankgroups = 2\n", "banks_per_group = 4\n",
        "channels = 2\n", "bus_width = 32\n", "channel_size = 2048\n",
        "address_mapping = rarochbgbaco\n", "row_buf_policy = CLOSE_PAGE\n",
        "trans_queue_size = 12\n"})
    EXPECT_TRUE(llvm::StringRef(text).contains(line)) << line.str() << text;

  // A scrambled mapping has no DRAMsim3 spelling.
  std::vector<DramField> bits(m.getMapping().getBitFields().begin(),
                              m.getMapping().getBitFields().end());
  std::swap(bits[0], bits[8]); // a column bit and a bank bit
  DramModel scrambled(
      m.getParams(),
      *AddressMapping::getFromBits(m.getParams().geometry, bits, "scrambled"));
  EXPECT_EQ(llvm::toString(writeDramsim3Ini(os, scrambled)),
            "address mapping 'scrambled' has non-contiguous fields; DRAMsim3 "
            "cannot express it");
}

TEST(TraceTest, LayerTraceFilesAreWrittenAtomically) {
  Layer layer = smallLayer();
  DramModel m = model("romanet-ddr3", "romanet");
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("romac-trace", dir));
  llvm::SmallString<128> prefix(dir);
  llvm::sys::path::append(prefix, "conv1");
  llvm::Expected<LayerTraceFiles> files =
      writeLayerTraces(m, layer.workload, layer.mapping, layer.layout, prefix);
  ASSERT_TRUE(static_cast<bool>(files)) << llvm::toString(files.takeError());

  // Exactly the four files, no temporaries.
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  llvm::sort(names);
  std::vector<std::string> expected = {
      "conv1.dramsim3.ini", "conv1.dramsim3.trace", "conv1.ramulator2.trace",
      "conv1.summary.json"};
  EXPECT_EQ(names, expected);

  // The summary parses and matches the model.
  auto buffer = llvm::MemoryBuffer::getFile(files->summary);
  ASSERT_TRUE(static_cast<bool>(buffer));
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *obj = json->getAsObject();
  ASSERT_NE(obj, nullptr);
  DramStats stats = m.evaluate(layer.workload, layer.mapping, layer.layout);
  EXPECT_EQ(obj->getString("format"), "romac-dram-trace-summary");
  EXPECT_EQ(obj->getString("layer"), "conv1");
  EXPECT_EQ(obj->getString("address_mapping"), "romanet");
  EXPECT_EQ(obj->getString("field_order"), "RoBaCo");
  EXPECT_EQ(obj->getString("page_policy"), "open");
  EXPECT_EQ(obj->getInteger("bursts"), static_cast<int64_t>(stats.bursts));
  EXPECT_EQ(obj->getInteger("row_hits"), static_cast<int64_t>(stats.rowHits));
  EXPECT_EQ(obj->getInteger("row_misses"),
            static_cast<int64_t>(stats.rowMisses));
  EXPECT_EQ(obj->getInteger("row_conflicts"),
            static_cast<int64_t>(stats.rowConflicts));
  EXPECT_EQ(obj->getInteger("cycles"), static_cast<int64_t>(stats.cycles));
  EXPECT_EQ(obj->getInteger("refresh_closes"),
            static_cast<int64_t>(stats.refreshCloses));
  EXPECT_EQ(obj->getInteger("serial_bursts"),
            static_cast<int64_t>(stats.serialBursts));
  const llvm::json::Object *energy = obj->getObject("energy_pj");
  ASSERT_NE(energy, nullptr);
  EXPECT_NEAR(*energy->getNumber("total"), stats.energyPJ.getTotal(), 1e-3);
  const llvm::json::Object *readBytes = obj->getObject("read_bytes");
  ASSERT_NE(readBytes, nullptr);
  EXPECT_EQ(readBytes->getInteger("weight"),
            static_cast<int64_t>(stats.operands[1].readBytes));

  // The trace has one line per burst.
  auto trace = llvm::MemoryBuffer::getFile(files->dramsim3Trace);
  ASSERT_TRUE(static_cast<bool>(trace));
  EXPECT_EQ((*trace)->getBuffer().count('\n'), stats.bursts);

  // A prefix in a missing directory fails and leaves nothing behind.
  llvm::SmallString<128> missing(dir);
  llvm::sys::path::append(missing, "no-such-dir", "conv1");
  llvm::Expected<LayerTraceFiles> bad =
      writeLayerTraces(m, layer.workload, layer.mapping, layer.layout, missing);
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_TRUE(llvm::StringRef(llvm::toString(bad.takeError()))
                  .starts_with("cannot create a temporary file for"));

  // An inexpressible mapping fails before any file is renamed into place.
  std::vector<DramField> bits(m.getMapping().getBitFields().begin(),
                              m.getMapping().getBitFields().end());
  std::swap(bits[0], bits[8]);
  DramModel scrambled(
      m.getParams(),
      *AddressMapping::getFromBits(m.getParams().geometry, bits, "scrambled"));
  llvm::SmallString<128> other(dir);
  llvm::sys::path::append(other, "other");
  bad = writeLayerTraces(scrambled, layer.workload, layer.mapping, layer.layout,
                         other);
  ASSERT_FALSE(static_cast<bool>(bad));
  llvm::consumeError(bad.takeError());
  names.clear();
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  EXPECT_EQ(names.size(), 4u);

  llvm::sys::fs::remove_directories(dir);
}

} // namespace

TEST(TraceTest, SummaryCarriesRefreshClosesAndSerialBursts) {
  // Two LPDDR4 channels with 16-request queues under "RoBaChCo" (a row's 64
  // bursts, then the other channel), 64 Ki sequential bursts: runs of 64 put
  // 48 bursts each past the queue, and the stream spans enough refreshes to
  // close rows.
  DramParams params = getTargetParams("edge-npu-lpddr4");
  params.controllerQueue = 16;
  DramModel m(params,
              llvm::cantFail(AddressMapping::get(params.geometry, "RoBaChCo")));
  TraceSummary summary;
  summary.stats = m.replayBurstStream(
      [](llvm::function_ref<void(const DramRequest &)> sink) {
        for (uint64_t b = 0; b < 65536; ++b)
          sink({b, 0, false});
      });
  ASSERT_EQ(summary.stats.serialBursts, 1024u * 48);
  ASSERT_GT(summary.stats.refreshCloses, 0u);
  std::string text;
  llvm::raw_string_ostream os(text);
  writeTraceSummary(os, m, "stream", {"input"}, summary);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *obj = json->getAsObject();
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->getInteger("serial_bursts"), 1024 * 48);
  EXPECT_EQ(obj->getInteger("refresh_closes"),
            static_cast<int64_t>(summary.stats.refreshCloses));
  EXPECT_EQ(obj->getInteger("activates"),
            static_cast<int64_t>(summary.stats.activates));
}
