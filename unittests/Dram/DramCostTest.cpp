//===- DramCostTest.cpp - row-buffer cost and DRAM-aware search -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DramCostModel adapter reports exactly DramModel::evaluate()'s numbers
// (and its streaming estimate never exceeds them); the DRAM-aware search is
// never worse on its objective than the flat search's mapping evaluated by
// the row-buffer model; it is deterministic (same bytes twice, 1 or 2
// threads); re-layouts are charged exactly where a consumer reads a tensor
// in another layout than its producer wrote it; bad mapping names give one
// clear error.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/DramCost.h"
#include "romac/CostModel/AccessCounts.h"
#include "romac/Target/Target.h"
#include "romac/Support/Parallel.h"

#include "gtest/gtest.h"

#include <map>
#include <set>

#include "FusionTestNetwork.h"

using namespace romac;

namespace {

using test::loadTestTarget;
using test::TestTarget;

Conv2dSpec conv(const char *name, const char *in, const char *out, int64_t c,
                int64_t k, int64_t hw, int64_t rs = 3) {
  return test::convSpec(name, in, out, c, k, hw, rs);
}

/// A small network in program order: conv -> (relu alias) -> conv ->
/// depthwise -> pointwise, plus a matmul chain. With `hw` 56 the feature
/// maps outgrow the buffers and get tiled.
std::vector<Workload> network(int64_t hw = 28) {
  std::vector<Workload> ws;
  ws.push_back(
      llvm::cantFail(Workload::conv2d(conv("c1", "x", "y1", 8, 32, hw))));
  ws.push_back(
      llvm::cantFail(Workload::conv2d(conv("c2", "r1", "y2", 32, 48, hw))));
  Conv2dSpec dw = conv("dw", "y2", "y3", 48, 48, hw);
  ws.push_back(llvm::cantFail(Workload::depthwiseConv2d(dw)));
  ws.push_back(
      llvm::cantFail(Workload::conv2d(conv("pw", "y3", "y4", 48, 64, hw, 1))));
  Workload m1 = llvm::cantFail(Workload::matmul(196, 128, 256, 1, "fc1"));
  m1.operands[2].tensor = "h";
  ws.push_back(m1);
  Workload m2 = llvm::cantFail(Workload::matmul(196, 64, 128, 1, "fc2"));
  m2.operands[0].tensor = "h";
  ws.push_back(m2);
  return ws;
}

std::map<std::string, std::string> aliases() { return {{"r1", "y1"}}; }

/// The graph of a hand-built network: tensors by name, with \p aliases
/// (alias -> source) and \p resident tensors.
WorkloadGraph graphOf(llvm::ArrayRef<Workload> ws,
                      std::map<std::string, std::string> aliases = {},
                      std::set<std::string> resident = {}) {
  WorkloadGraph::NamedTensorFacts facts;
  facts.aliases = std::move(aliases);
  facts.resident = std::move(resident);
  return WorkloadGraph::fromTensorNames({ws.begin(), ws.end()}, {}, facts);
}

/// A workload's operand footprint in one line (for failure messages).
std::string describe(const DramSearchResult &r, llvm::ArrayRef<Workload> ws) {
  std::string out = "mapping " + r.addressMapping + "\n";
  for (auto [i, l] : llvm::enumerate(r.layers))
    out += ws[i].name + ": " + l.layer.mapping.str(ws[i]) + " " +
           l.layout.str(ws[i]) + " " + l.stats.str() + "\n";
  return out;
}

//===----------------------------------------------------------------------===//
// The adapter
//===----------------------------------------------------------------------===//

TEST(DramCostTest, AdapterEqualsDramModel) {
  for (const char *targetName : {"romanet-ddr3", "edge-npu-lpddr4"}) {
    TestTarget t = loadTestTarget(targetName);
    SearchOptions so;
    std::vector<Workload> ws = network();
    std::vector<LayerResult> flat =
        llvm::cantFail(searchLayers(ws, t.cost, so));
    for (const char *mappingName : {"romanet", "ChRaBaRoCo"})
      for (LayoutKind kind : {LayoutKind::RowMajor, LayoutKind::Blocked}) {
        DramModel model = llvm::cantFail(getDramModel(t.dram, mappingName));
        DramPlacement placement;
        placement.defaultKind = kind;
        RowBufferDramModel adapter(model, placement);
        for (auto [w, r] : llvm::zip_equal(ws, flat)) {
          // The layouts are makeLayerLayout()'s with rows as alignment.
          LayerLayoutOptions lo;
          lo.kind = kind;
          lo.alignment = model.getParams().geometry.columns *
                         model.getParams().deviceWidth *
                         model.getParams().chipsPerRank / 8;
          LayerLayout expectedLayout =
              llvm::cantFail(makeLayerLayout(w, r.mapping, lo));
          LayerLayout layout = llvm::cantFail(adapter.getLayout(w, r.mapping));
          EXPECT_EQ(layout.str(w), expectedLayout.str(w));

          DramStats direct = model.evaluate(w, r.mapping, expectedLayout);
          EXPECT_EQ(direct, llvm::cantFail(adapter.getStats(w, r.mapping)));
          CostOptions co;
          co.dramModel = &adapter;
          CostBreakdown cost =
              llvm::cantFail(computeCost(t.cost, w, r.mapping, r.spatial, co));
          const DramEstimate &d = cost.dram;
          EXPECT_EQ(cost.dramModel, "row-buffer");
          EXPECT_EQ(cost.dramEnergyPJ, direct.energyPJ.getTotal());
          EXPECT_EQ(d.energyPJ, direct.energyPJ.getTotal());
          ASSERT_EQ(d.energyBreakdownPJ.size(), 4u);
          EXPECT_EQ(d.energyBreakdownPJ[0],
                    (std::pair<std::string, double>("act_pre",
                                                    direct.energyPJ.actPre)));
          EXPECT_EQ(d.energyBreakdownPJ[1].second, direct.energyPJ.rdWr);
          EXPECT_EQ(d.energyBreakdownPJ[2].second, direct.energyPJ.background);
          EXPECT_EQ(d.energyBreakdownPJ[3].second, direct.energyPJ.refresh);
          EXPECT_EQ(d.bursts, static_cast<int64_t>(direct.bursts));
          EXPECT_EQ(d.rowHits, static_cast<int64_t>(direct.rowHits));
          EXPECT_EQ(d.rowMisses, static_cast<int64_t>(direct.rowMisses));
          EXPECT_EQ(d.rowConflicts, static_cast<int64_t>(direct.rowConflicts));
          // tCK cycles in the compute clock.
          double expectCycles = static_cast<double>(direct.cycles) *
                                t.dram.tCK * t.cost.frequencyMHz / 1000.0;
          EXPECT_DOUBLE_EQ(d.cycles, expectCycles);
          EXPECT_DOUBLE_EQ(cost.dramCycles, expectCycles);
          // The replay engine through the adapter gives the same numbers.
          RowBufferDramModel replay(model, placement, DramEngine::Replay);
          EXPECT_EQ(direct, llvm::cantFail(replay.getStats(w, r.mapping)));
        }
      }
  }
}

TEST(DramCostTest, StreamingEstimateIsALowerBound) {
  for (const char *targetName : {"romanet-ddr3", "edge-npu-lpddr4"}) {
    TestTarget t = loadTestTarget(targetName);
    std::vector<Workload> ws = network();
    SearchOptions so;
    for (Objective objective : {Objective::Energy, Objective::DramAccesses}) {
      so.objective = objective;
      std::vector<LayerResult> rs =
          llvm::cantFail(searchLayers(ws, t.cost, so));
      for (const char *mappingName : {"romanet", "RoCoRaBaCh"}) {
        DramModel model = llvm::cantFail(getDramModel(t.dram, mappingName));
        for (LayoutKind kind : {LayoutKind::RowMajor, LayoutKind::Blocked}) {
          DramPlacement placement;
          placement.defaultKind = kind;
          RowBufferDramModel adapter(model, placement);
          ASSERT_TRUE(adapter.getLinearRates(t.cost).has_value());
          for (auto [w, r] : llvm::zip_equal(ws, rs)) {
            CostModel cm(t.cost, w);
            CostInputs in = cm.getInputs(
                r.mapping, computeAccessCounts(w, r.mapping), r.spatial);
            DramTraffic traffic = cm.getDramTraffic(in);
            DramEstimate lower = adapter.estimate(t.cost, w, traffic);
            DramEstimate full = adapter.evaluate(t.cost, w, r.mapping, traffic);
            EXPECT_LE(lower.energyPJ, full.energyPJ) << w.name;
            EXPECT_LE(lower.cycles, full.cycles) << w.name;
          }
        }
      }
    }
  }
}

TEST(DramCostTest, ModelLargerThanTheDramIsAnError) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  t.dram.geometry.rows = 16; // 8 banks x 16 rows x 8 KiB = 1 MiB
  ASSERT_EQ(uint64_t(1) << t.dram.geometry.getTotalBits(), 1u << 20);
  // One layer whose operands alone exceed 1 MiB: 1 MiB of weights.
  std::vector<Workload> big = {
      llvm::cantFail(Workload::matmul(1, 1024, 1024, 1, "fc"))};
  auto expectTooBig = [](llvm::Error err) {
    ASSERT_TRUE(static_cast<bool>(err));
    std::string msg = llvm::toString(std::move(err));
    EXPECT_NE(msg.find("layer 'fc' needs"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1048576-byte DRAM"), std::string::npos) << msg;
  };
  expectTooBig(checkModelFitsDram(big, t.dram));
  expectTooBig(searchLayersDramAware(big, t.cost, t.dram).takeError());
  // Layers that fit one at a time but whose weights do not fit together.
  std::vector<Workload> many;
  for (int i = 0; i < 6; ++i) {
    Workload w = llvm::cantFail(Workload::matmul(
        1, 512, 512, 1, ("fc" + std::to_string(i)).c_str()));
    w.operands[1].tensor = "w" + std::to_string(i);
    many.push_back(w);
  }
  std::set<std::string> weights;
  for (const Workload &w : many)
    weights.insert(w.operands[1].tensor);
  // Each layer alone fits; nothing is said to stay in DRAM.
  EXPECT_FALSE(static_cast<bool>(checkModelFitsDram(many, t.dram)));
  llvm::Error err = checkModelFitsDram(graphOf(many, {}, weights), t.dram);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("weights and inputs take"),
            std::string::npos);
  // The search checks the same on the graph.
  llvm::Error viaSearch =
      searchLayersDramAware(graphOf(many, {}, weights), t.cost, t.dram)
          .takeError();
  ASSERT_TRUE(static_cast<bool>(viaSearch));
  EXPECT_NE(llvm::toString(std::move(viaSearch)).find("weights and inputs"),
            std::string::npos);
  // The same layers sharing one weight tensor fit.
  for (Workload &w : many)
    w.operands[1].tensor = "shared";
  EXPECT_FALSE(static_cast<bool>(
      checkModelFitsDram(graphOf(many, {}, {"shared"}), t.dram)));
}

TEST(DramCostTest, MappingCandidatesAndNames) {
  // One channel and rank: romanet, drmap, row-interleaved and RoBaRaCoCh
  // assign the address bits alike and are tried once.
  TestTarget ddr3 = loadTestTarget("romanet-ddr3");
  EXPECT_EQ(getDramMappingCandidates(ddr3.dram),
            (std::vector<std::string>{"romanet", "ChRaBaRoCo", "RoCoRaBaCh"}));
  TestTarget npu = loadTestTarget("edge-npu-lpddr4");
  std::vector<std::string> names = getDramMappingCandidates(npu.dram);
  EXPECT_EQ(names.front(), "romanet");
  EXPECT_GE(names.size(), 5u);
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = i + 1; j < names.size(); ++j) {
      DramModel a = llvm::cantFail(getDramModel(npu.dram, names[i]));
      DramModel b = llvm::cantFail(getDramModel(npu.dram, names[j]));
      EXPECT_NE(a.getMapping().getBitFields(), b.getMapping().getBitFields())
          << names[i] << " " << names[j];
    }

  // An unknown name lists the valid ones; the search reports it.
  llvm::Expected<DramModel> bad = getDramModel(ddr3.dram, "RoRoCo");
  ASSERT_FALSE(bad);
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("unknown or invalid DRAM address mapping 'RoRoCo'"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("valid: romanet, drmap, row-interleaved, RoBaRaCoCh, "
                     "ChRaBaRoCo, RoCoRaBaCh"),
            std::string::npos)
      << msg;
  DramSearchOptions dso;
  dso.addressMapping = "bogus";
  llvm::Expected<DramSearchResult> r =
      searchLayersDramAware(network(), ddr3.cost, ddr3.dram, {}, dso);
  ASSERT_FALSE(r);
  EXPECT_NE(llvm::toString(r.takeError()).find("'bogus'"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// The search
//===----------------------------------------------------------------------===//

/// The network objective of `r` as DRAM energy, re-layouts included.
double dramEnergy(const DramSearchResult &r) {
  double sum = 0;
  for (const DramLayerResult &l : r.layers)
    sum += l.stats.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
  return sum;
}

TEST(DramCostTest, NeverWorseThanTheFlatSearch) {
  for (const char *targetName : {"romanet-ddr3", "edge-npu-lpddr4"}) {
    TestTarget t = loadTestTarget(targetName);
    std::vector<Workload> ws = network(56);
    std::unique_ptr<llvm::ThreadPoolInterface> pool = makeThreadPool(2);
    SearchOptions so;
    so.threadPool = pool.get();
    std::vector<LayerResult> flat =
        llvm::cantFail(searchLayers(ws, t.cost, so));
    std::vector<std::string> mappings = getDramMappingCandidates(t.dram);
    for (const std::string &mapping :
         llvm::ArrayRef<std::string>(mappings).take_front(2)) {
      // Per layer, without the agreement between layers: at most the flat
      // mapping under either layout.
      DramSearchOptions dso;
      dso.addressMapping = mapping;
      dso.layoutAgreement = false;
      DramSearchResult free =
          llvm::cantFail(searchLayersDramAware(ws, t.cost, t.dram, so, dso));
      for (LayoutKind kind : {LayoutKind::RowMajor, LayoutKind::Blocked}) {
        DramSearchResult fixed = llvm::cantFail(
            evaluateLayersDram(ws, flat, t.cost, t.dram, mapping, kind, so));
        for (size_t i = 0; i < ws.size(); ++i) {
          EXPECT_TRUE(free.layers[i].relayouts.empty());
          EXPECT_LE(free.layers[i].objective, fixed.layers[i].objective)
              << targetName << " " << mapping << " " << ws[i].name;
        }
        // Nor worse than any other candidate tiling: the DRAM-access optima
        // per reuse policy (with the streaming estimate, as the search
        // makes them).
        RowBufferDramModel streaming(
            llvm::cantFail(getDramModel(t.dram, mapping)));
        for (ReusePolicy policy : kBaselinePolicies) {
          SearchOptions other = so;
          other.objective = Objective::DramAccesses;
          other.policy = policy;
          other.cost.dramModel = &streaming;
          for (size_t i = 0; i < ws.size(); ++i) {
            llvm::Expected<LayerResult> r = searchLayer(ws[i], t.cost, other);
            if (!r) {
              llvm::consumeError(r.takeError());
              continue;
            }
            DramSearchResult one = llvm::cantFail(evaluateLayersDram(
                ws[i], *r, t.cost, t.dram, mapping, kind, so));
            EXPECT_LE(free.layers[i].objective, one.layers[0].objective)
                << targetName << " " << mapping << " " << ws[i].name << " "
                << stringifyReusePolicy(policy).str();
          }
        }
      }
      // The network with the agreement (re-layouts charged): at most the
      // flat mapping with row-major tensors, which always agree.
      dso.layoutAgreement = true;
      DramSearchResult agreed = llvm::cantFail(
          searchLayersDramAware(graphOf(ws, aliases()), t.cost, t.dram, so, dso));
      DramSearchResult rowMajor = llvm::cantFail(evaluateLayersDram(
          ws, flat, t.cost, t.dram, mapping, LayoutKind::RowMajor, so));
      EXPECT_LE(dramEnergy(agreed), dramEnergy(rowMajor))
          << targetName << " " << mapping << "\n"
          << describe(agreed, ws);
      EXPECT_EQ(agreed.mappingObjectives.size(), 1u);
      EXPECT_NEAR(agreed.mappingObjectives[0].second, dramEnergy(agreed),
                  1e-9 * dramEnergy(agreed));
    }
    // Mapping chosen: at most every candidate mapping's result.
    ws = network();
    DramSearchResult best = llvm::cantFail(
        searchLayersDramAware(graphOf(ws, aliases()), t.cost, t.dram, so, {}));
    for (auto [name, objective] : best.mappingObjectives)
      EXPECT_LE(dramEnergy(best), objective * (1 + 1e-12)) << name;
    EXPECT_EQ(best.mappingObjectives.size(),
              getDramMappingCandidates(t.dram).size());
  }
}

TEST(DramCostTest, ExpensiveRelayoutsKeepActivationsRowMajor) {
  // conv writes y [1, 64, 56, 56]; fc reads it as [64, 3136] (a reshape), so
  // it cannot adopt a blocked layout of the conv. With re-layouts priced
  // out, the search keeps y row-major and is never worse than the flat
  // search with row-major tensors.
  TestTarget t = loadTestTarget("romanet-ddr3");
  CostTarget pricey = t.cost;
  pricey.dramFlatPJPerBit = 1e6;
  std::vector<Workload> ws;
  ws.push_back(
      llvm::cantFail(Workload::conv2d(conv("c", "x", "y", 32, 64, 56))));
  Workload fc = llvm::cantFail(Workload::matmul(64, 128, 3136, 1, "fc"));
  fc.operands[0].tensor = "y";
  ws.push_back(fc);
  SearchOptions so;
  std::vector<LayerResult> flat = llvm::cantFail(searchLayers(ws, pricey, so));
  DramSearchOptions dso;
  dso.relayoutCharge = RelayoutCharge::Flat;
  dso.addressMapping = "romanet";
  DramSearchResult r =
      llvm::cantFail(searchLayersDramAware(ws, pricey, t.dram, so, dso));
  EXPECT_EQ(r.relayouts, 0u) << describe(r, ws);
  const TensorLayout &y = r.layers[0].layout.operands[2];
  EXPECT_TRUE(sameDataLayout(
      y, llvm::cantFail(TensorLayout::getRowMajor(y.getExtent(), 1, 0))));
  DramSearchResult rowMajor = llvm::cantFail(evaluateLayersDram(
      ws, flat, pricey, t.dram, "romanet", LayoutKind::RowMajor, so));
  EXPECT_LE(dramEnergy(r), dramEnergy(rowMajor));
  // Left alone, the conv would write y blocked (the point of the test).
  dso.layoutAgreement = false;
  DramSearchResult alone =
      llvm::cantFail(searchLayersDramAware(ws, pricey, t.dram, so, dso));
  EXPECT_EQ(alone.layers[0].getLayoutKinds()[2], LayoutKind::Blocked)
      << describe(alone, ws);
}

TEST(DramCostTest, Deterministic) {
  TestTarget t = loadTestTarget("edge-npu-lpddr4");
  std::vector<Workload> ws = network();
  WorkloadGraph graph = graphOf(ws, aliases());
  auto run = [&](unsigned threads) {
    std::unique_ptr<llvm::ThreadPoolInterface> pool = makeThreadPool(threads);
    SearchOptions so;
    so.threadPool = pool.get();
    DramSearchResult r =
        llvm::cantFail(searchLayersDramAware(graph, t.cost, t.dram, so, {}));
    std::string out = describe(r, ws);
    for (auto [i, l] : llvm::enumerate(r.layers)) {
      out += l.layer.reuse + " " + l.layer.spatial.str(ws[i]) + " " +
             std::to_string(l.objective) + " " +
             std::to_string(l.layer.cost.totalEnergyPJ);
      for (const Relayout &rl : l.relayouts)
        out += " relayout " + rl.tensor + " " + std::to_string(rl.energyPJ);
      out += "\n";
    }
    for (auto [name, objective] : r.mappingObjectives)
      out += name + "=" + std::to_string(objective) + "\n";
    return out;
  };
  std::string one = run(1);
  EXPECT_EQ(one, run(1));
  EXPECT_EQ(one, run(2));
}

TEST(DramCostTest, FixedLayoutAndMapping) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = network(56);
  for (LayoutKind kind : {LayoutKind::RowMajor, LayoutKind::Blocked}) {
    DramSearchOptions dso;
    dso.layout = kind;
    dso.addressMapping = "ChRaBaRoCo";
    dso.layoutAgreement = false;
    DramSearchResult r =
        llvm::cantFail(searchLayersDramAware(ws, t.cost, t.dram, {}, dso));
    EXPECT_EQ(r.addressMapping, "ChRaBaRoCo");
    for (auto [i, l] : llvm::enumerate(r.layers)) {
      EXPECT_EQ(l.addressMapping, "ChRaBaRoCo");
      // Row-major: every operand. Blocked: every operand whose tile blocks
      // store it differently from row-major.
      for (auto [o, k] : llvm::enumerate(l.getLayoutKinds())) {
        const Operand &op = ws[i].operands[o];
        TensorLayout blocked = llvm::cantFail(TensorLayout::getBlocked(
            op.extent, op.bytesPerElement, 0,
            getTileBlockSizes(ws[i], l.layer.mapping, o)));
        TensorLayout rowMajor = llvm::cantFail(
            TensorLayout::getRowMajor(op.extent, op.bytesPerElement, 0));
        LayoutKind want =
            kind == LayoutKind::Blocked && !sameDataLayout(blocked, rowMajor)
                ? LayoutKind::Blocked
                : LayoutKind::RowMajor;
        EXPECT_EQ(k, want) << ws[i].name << " operand " << o;
      }
      // The stats are the model's for the reported layout.
      DramModel model = llvm::cantFail(getDramModel(t.dram, "ChRaBaRoCo"));
      EXPECT_EQ(l.stats, model.evaluate(ws[i], l.layer.mapping, l.layout));
      EXPECT_EQ(l.layer.cost.dramEnergyPJ, l.stats.energyPJ.getTotal());
    }
    // With one layout and one mapping the choice is the best candidate
    // tiling: the flat optimum and the DRAM-access optima per policy.
    RowBufferDramModel streaming(
        llvm::cantFail(getDramModel(t.dram, "ChRaBaRoCo")));
    unsigned distinct = 0;
    for (ReusePolicy policy : kBaselinePolicies)
      for (Objective objective : {Objective::Energy, Objective::DramAccesses}) {
        SearchOptions so;
        so.policy = policy;
        so.objective = objective;
        if (objective == Objective::DramAccesses)
          so.cost.dramModel = &streaming;
        else if (policy != ReusePolicy::Adaptive)
          continue;
        for (size_t i = 0; i < ws.size(); ++i) {
          llvm::Expected<LayerResult> c = searchLayer(ws[i], t.cost, so);
          if (!c) {
            llvm::consumeError(c.takeError());
            continue;
          }
          DramSearchResult one = llvm::cantFail(evaluateLayersDram(
              ws[i], *c, t.cost, t.dram, "ChRaBaRoCo", kind));
          EXPECT_LE(r.layers[i].objective, one.layers[0].objective)
              << ws[i].name << " " << stringifyReusePolicy(policy).str();
          distinct += one.layers[0].objective != r.layers[i].objective;
        }
      }
    EXPECT_GT(distinct, 0u);
  }
}

//===----------------------------------------------------------------------===//
// Re-layouts
//===----------------------------------------------------------------------===//

/// fc1 writes h, fc2 reads it: both tiled so that blocked layouts of h
/// differ between them.
std::vector<Workload> chain(int64_t scale = 1) {
  std::vector<Workload> ws;
  Workload m1 =
      llvm::cantFail(Workload::matmul(256 * scale, 256 * scale, 64, 1, "fc1"));
  m1.operands[0].tensor = "x";
  m1.operands[1].tensor = "w1";
  m1.operands[2].tensor = "h";
  Workload m2 =
      llvm::cantFail(Workload::matmul(256 * scale, 64, 256 * scale, 1, "fc2"));
  m2.operands[0].tensor = "h";
  m2.operands[1].tensor = "w2";
  m2.operands[2].tensor = "y";
  ws.push_back(m1);
  ws.push_back(m2);
  return ws;
}

LayerResult tiled(const Workload &w,
                  llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> tiles) {
  LayerResult r;
  r.mapping = llvm::cantFail(Mapping::get(w, tiles, {"M", "N", "K"}));
  return r;
}

TEST(DramCostTest, RelayoutExactlyWhenLayoutsDiffer) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = chain();
  DramModel model = llvm::cantFail(getDramModel(t.dram, "romanet"));
  Relayout expected = computeRelayoutCharge(
      256 * 256, RelayoutCharge::RowBuffer, model, t.cost);
  EXPECT_GT(expected.energyPJ, 0);
  EXPECT_GT(expected.cycles, 0);
  // A copy moves the tensor twice: at least the streaming energy of that.
  RowBufferDramModel streaming(model);
  auto rates = streaming.getStreamingRates(t.cost);
  EXPECT_GE(expected.energyPJ,
            256.0 * 256 * (rates.readPJPerByte + rates.writePJPerByte));
  Relayout flat =
      computeRelayoutCharge(256 * 256, RelayoutCharge::Flat, model, t.cost);
  EXPECT_DOUBLE_EQ(flat.energyPJ,
                   2.0 * 256 * 256 * 8 * t.cost.dramFlatPJPerBit);

  struct Case {
    const char *what;
    std::vector<std::pair<llvm::StringRef, int64_t>> t1, t2;
    LayoutKind kind;
    bool relayout;
  };
  // h is [M=256, N=256] for fc1 and [M=256, K=256] for fc2; its blocks are
  // the tile steps of the dims that are tiled.
  const Case cases[] = {
      {"row-major everywhere",
       {{"M", 64}},
       {{"K", 32}},
       LayoutKind::RowMajor,
       false},
      {"same blocks",
       {{"M", 64}, {"N", 32}},
       {{"M", 64}, {"K", 32}},
       LayoutKind::Blocked,
       false},
      {"other blocks",
       {{"M", 64}, {"N", 32}},
       {{"M", 32}, {"K", 64}},
       LayoutKind::Blocked,
       true},
      {"blocked rows are row-major",
       {{"M", 64}},
       {{"M", 16}},
       LayoutKind::Blocked,
       false},
      {"blocked against row-major",
       {{"M", 64}, {"N", 32}},
       {{"M", 64}},
       LayoutKind::Blocked,
       true},
  };
  for (const Case &c : cases) {
    std::vector<LayerResult> rs = {tiled(ws[0], c.t1), tiled(ws[1], c.t2)};
    DramSearchResult r = llvm::cantFail(
        evaluateLayersDram(ws, rs, t.cost, t.dram, "romanet", c.kind));
    EXPECT_TRUE(r.layers[1].relayouts.empty());
    unsigned n =
        llvm::cantFail(chargeRelayouts(graphOf(ws), r, t.cost, t.dram));
    EXPECT_EQ(n, c.relayout ? 1u : 0u) << c.what;
    EXPECT_EQ(sameDataLayout(r.layers[0].layout.operands[2],
                             r.layers[1].layout.operands[0]),
              !c.relayout)
        << c.what;
    EXPECT_TRUE(r.layers[0].relayouts.empty()) << c.what;
    ASSERT_EQ(r.layers[1].relayouts.size(), c.relayout ? 1u : 0u) << c.what;
    double base = r.layers[1].stats.energyPJ.getTotal();
    if (c.relayout) {
      const Relayout &rl = r.layers[1].relayouts[0];
      EXPECT_EQ(rl.operand, 0u);
      EXPECT_EQ(rl.tensor, "h");
      EXPECT_EQ(rl.producer, "fc1");
      EXPECT_EQ(rl.producerIndex, 0u);
      EXPECT_EQ(rl.bytes, 256 * 256);
      EXPECT_DOUBLE_EQ(rl.energyPJ, expected.energyPJ);
      EXPECT_DOUBLE_EQ(r.layers[1].objective, base + expected.energyPJ);
    } else {
      EXPECT_DOUBLE_EQ(r.layers[1].objective, base);
    }
  }

  // Through an alias (a fused element-wise op between the layers).
  ws[1].operands[0].tensor = "relu_h";
  std::vector<LayerResult> rs = {tiled(ws[0], {{"M", 64}, {"N", 32}}),
                                 tiled(ws[1], {{"M", 32}, {"K", 64}})};
  DramSearchResult r = llvm::cantFail(evaluateLayersDram(
      ws, rs, t.cost, t.dram, "romanet", LayoutKind::Blocked));
  EXPECT_EQ(llvm::cantFail(chargeRelayouts(graphOf(ws), r, t.cost, t.dram)),
            0u);
  EXPECT_EQ(llvm::cantFail(chargeRelayouts(graphOf(ws, {{"relu_h", "h"}}), r,
                                           t.cost, t.dram)),
            1u);
}

TEST(DramCostTest, TensorAliasesOfElementwiseLayers) {
  // relu(y) [1, 8, 4, 4] -> r; add(r, z) -> s; a transposing copy and a
  // matmul define none.
  auto elementwise = [](const char *name, std::vector<const char *> ins,
                        const char *out, bool transpose = false) {
    Workload w;
    w.name = name;
    w.op = OpKind::Elementwise;
    for (const char *d : {"N", "C", "H", "W"})
      w.dims.push_back({d,
                        d[0] == 'C'   ? 8
                        : d[0] == 'N' ? 1
                                      : 4,
                        LoopKind::Parallel});
    auto operand = [&](const char *tensor, OperandRole role, bool swap) {
      Operand op;
      op.name = tensor;
      op.tensor = tensor;
      op.role = role;
      for (unsigned d : {0u, 1u, 2u, 3u}) {
        unsigned src = swap && d >= 2 ? 5 - d : d;
        op.projection.push_back(IndexExpr{{AffineTerm{src, 1}}, 0});
        op.extent.push_back(w.dims[src].bound);
      }
      return op;
    };
    for (const char *in : ins)
      w.operands.push_back(operand(in, OperandRole::Read, transpose));
    w.operands.push_back(operand(out, OperandRole::ReadWrite, false));
    EXPECT_FALSE(llvm::errorToBool(w.verify()));
    return w;
  };
  std::vector<Workload> layers = {
      elementwise("relu", {"y"}, "r"), elementwise("add", {"r", "z"}, "s"),
      elementwise("t", {"s"}, "u", /*transpose=*/true),
      llvm::cantFail(Workload::matmul(4, 4, 4))};
  // As the streaming layers of a graph, every tensor's alias source.
  Workload a = llvm::cantFail(Workload::matmul(4, 4, 4, 1, "a"));
  a.operands[2].tensor = "y";
  Workload b = llvm::cantFail(Workload::matmul(4, 4, 4, 1, "b"));
  b.operands[0].tensor = "s";
  WorkloadGraph graph = WorkloadGraph::fromTensorNames({a, b}, layers);
  std::map<std::string, std::string> aliases;
  for (const GraphTensor &tensor : graph.getTensors())
    if (tensor.aliasOf)
      aliases[tensor.name] = graph.getTensor(*tensor.aliasOf).name;
  EXPECT_EQ(aliases,
            (std::map<std::string, std::string>{{"r", "y"}, {"s", "r"}}));
  // Chains resolve to the first producer.
  EXPECT_EQ(graph.getProducer(1, 0), (OperandRef{0, 2}));
  ASSERT_EQ(graph.getEdges().size(), 1u);
  EXPECT_EQ(graph.getEdges()[0].consumer, (OperandRef{1, 0}));
  EXPECT_FALSE(graphOf({a, b}).getProducer(1, 0).isValid());
}

TEST(DramCostTest, SearchChargesExactlyTheDisagreements) {
  for (const char *targetName : {"romanet-ddr3", "edge-npu-lpddr4"}) {
    TestTarget t = loadTestTarget(targetName);
    std::vector<Workload> ws = network(56);
    std::vector<Workload> more = chain(4);
    more[0].name = "fc3";
    more[0].operands[0].tensor = "x3";
    more[0].operands[2].tensor = "h3";
    more[1].name = "fc4";
    more[1].operands[0].tensor = "h3";
    ws.insert(ws.end(), more.begin(), more.end());
    DramSearchOptions dso;
    WorkloadGraph graph = graphOf(ws, aliases());
    unsigned relayouts = 0, adopted = 0;
    // A flat charge of almost nothing: disagreements are kept and charged.
    CostTarget cheap = t.cost;
    cheap.dramFlatPJPerBit = 1e-9;
    for (auto [charge, target] : {std::pair{RelayoutCharge::RowBuffer, &t.cost},
                                  std::pair{RelayoutCharge::Flat, &t.cost},
                                  std::pair{RelayoutCharge::Flat, &cheap}}) {
      dso.relayoutCharge = charge;
      DramSearchResult r =
          llvm::cantFail(searchLayersDramAware(graph, *target, t.dram, {}, dso));
      DramModel model = llvm::cantFail(getDramModel(t.dram, r.addressMapping));
      unsigned total = 0;
      for (auto [i, w] : llvm::enumerate(ws)) {
        for (unsigned o = 0; o < w.operands.size(); ++o) {
          auto [p, po] = graph.getProducer(i, o);
          bool differs =
              p >= 0 && !sameDataLayout(r.layers[p].layout.operands[po],
                                        r.layers[i].layout.operands[o]);
          unsigned charged =
              llvm::count_if(r.layers[i].relayouts, [&](const Relayout &rl) {
                return rl.operand == o;
              });
          EXPECT_EQ(charged, differs ? 1u : 0u)
              << targetName << " " << w.name << " operand " << o << "\n"
              << describe(r, ws);
          if (charged) {
            const Relayout &rl =
                *llvm::find_if(r.layers[i].relayouts, [&](const Relayout &x) {
                  return x.operand == o;
                });
            Relayout want =
                computeRelayoutCharge(rl.bytes, charge, model, *target);
            EXPECT_EQ(rl.energyPJ, want.energyPJ);
            EXPECT_EQ(rl.producerIndex, static_cast<unsigned>(p));
          }
        }
        total += r.layers[i].relayouts.size();
        // The layer's objective includes its re-layouts.
        EXPECT_DOUBLE_EQ(r.layers[i].objective,
                         r.layers[i].stats.energyPJ.getTotal() +
                             r.layers[i].getRelayoutEnergyPJ());
      }
      EXPECT_EQ(total, r.relayouts);
      relayouts += r.relayouts;
      adopted += r.adopted;
      // c2 reads y1 through the alias r1: it has a producer.
      EXPECT_EQ(graph.getProducer(1, 0).layer, 0);
      EXPECT_EQ(graph.getProducer(5, 0).layer, 4);
      EXPECT_EQ(graph.getProducer(7, 0).layer, 6);
      EXPECT_EQ(graph.getProducer(6, 0).layer, -1);
    }
    // Both outcomes occur: consumers that adopt their producer's layout and
    // disagreements that are charged.
    EXPECT_GT(relayouts, 0u) << targetName;
    EXPECT_GT(adopted, 0u) << targetName;
  }
}

} // namespace
