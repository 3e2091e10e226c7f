//===- FusionNetworkTest.cpp - choosing fused groups over a network -------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// fuseLayersDram() on small networks: it never costs more than the unfused
// DRAM-aware result, its total is the sum of its parts, every group fits the
// buffers and repeats the row-buffer model's numbers, a group's intermediate
// tensors are read by nobody else (a second consumer, or a residual add,
// keeps a tensor in DRAM), element-wise aliases in between do not stop a
// chain, and mismatched inputs are errors.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Fusion.h"

#include "FusionTestNetwork.h"
#include "TestTargets.h"

#include "gtest/gtest.h"

#include <map>

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace romac;

namespace {

using test::loadTestTarget;
using test::mobileNetStem;
using test::TestTarget;

/// A residual add `out = a + b`: two full-size inputs.
Workload add(const char *a, const char *b, const char *out, int64_t c,
             int64_t hw) {
  Workload w = test::reluLayer(a, out, c, hw);
  w.name = std::string("add.") + out;
  Operand second = w.operands[0];
  second.name = "input1";
  second.tensor = b;
  w.operands.insert(w.operands.begin() + 1, second);
  llvm::cantFail(w.verify());
  return w;
}

struct Fused {
  WorkloadGraph graph;
  DramSearchResult unfused;
  FusionResult fused;
};

/// The graph of `ws` and `streaming` (tensors by name; the ReLUs alias
/// their inputs).
WorkloadGraph graphOf(llvm::ArrayRef<Workload> ws,
                      llvm::ArrayRef<Workload> streaming,
                      const WorkloadGraph::NamedTensorFacts &facts = {}) {
  return WorkloadGraph::fromTensorNames({ws.begin(), ws.end()},
                                        {streaming.begin(), streaming.end()},
                                        facts);
}

Fused fuse(const TestTarget &t, llvm::ArrayRef<Workload> ws,
           llvm::ArrayRef<Workload> streaming) {
  Fused f;
  f.graph = graphOf(ws, streaming);
  f.unfused =
      llvm::cantFail(searchLayersDramAware(f.graph, t.cost, t.dram, {}, {}));
  f.fused =
      llvm::cantFail(fuseLayersDram(f.graph, f.unfused, t.cost, t.dram));
  return f;
}

double unfusedEnergy(const DramSearchResult &r) {
  double e = 0;
  for (const DramLayerResult &l : r.layers)
    e += l.stats.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
  return e;
}

/// Checks the invariants every fused result must satisfy.
void checkInvariants(const TestTarget &t, llvm::ArrayRef<Workload> ws,
                     const Fused &f) {
  const FusionResult &r = f.fused;
  ASSERT_EQ(r.groupOf.size(), ws.size());
  ASSERT_EQ(r.layers.size(), ws.size());
  // Never worse than not fusing (the dynamic program can always choose
  // every layer alone).
  EXPECT_LE(r.energyPJ, unfusedEnergy(f.unfused) * (1 + 1e-12));
  double sum = 0;
  RowBandCapacity cap = RowBandCapacity::get(t.cost);
  DramModel model =
      llvm::cantFail(getDramModel(t.dram, f.unfused.addressMapping));
  for (auto [g, group] : llvm::enumerate(r.groups)) {
    ASSERT_LT(group.first, group.last);
    std::vector<RowBandLayer> chain;
    std::vector<const Workload *> layers;
    for (unsigned k = group.first; k <= group.last; ++k) {
      EXPECT_EQ(r.groupOf[k], static_cast<int>(g));
      chain.push_back(llvm::cantFail(getRowBandLayer(ws[k])));
      layers.push_back(&ws[k]);
    }
    EXPECT_EQ(computeRowBandCounts(chain, group.schedule), group.counts);
    EXPECT_TRUE(cap.fits(group.counts));
    // The group's statistics are the row-buffer model's for its schedule
    // and placement, which is one of the two row-major placements (its
    // input possibly in the producer's layout).
    ASSERT_TRUE(group.placement.has_value());
    EXPECT_EQ(evaluateRowBandGroup(layers, chain, group.schedule,
                                   *group.placement, model),
              group.stats)
        << "group " << g;
    RowBandPlacement own = llvm::cantFail(
        placeRowBandGroup(layers, chain, t.dram, group.rowsOutermost));
    EXPECT_TRUE(sameDataLayout(own.output, group.placement->output));
    EXPECT_EQ(!group.producerInput,
              sameDataLayout(own.input, group.placement->input));
    // Fusing moves fewer bytes than the unfused layers did.
    uint64_t fusedBytes = 0, unfusedBytes = 0;
    for (const DramOperandStats &o : group.stats.operands)
      fusedBytes += o.usefulReadBytes + o.usefulWriteBytes;
    for (unsigned k = group.first; k <= group.last; ++k)
      for (const DramOperandStats &o : f.unfused.layers[k].stats.operands)
        unfusedBytes += o.usefulReadBytes + o.usefulWriteBytes;
    EXPECT_LT(fusedBytes, unfusedBytes);
    sum += group.getEnergyPJ();
  }
  for (auto [i, l] : llvm::enumerate(r.layers))
    if (r.groupOf[i] < 0)
      sum += l.stats.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
  EXPECT_NEAR(r.energyPJ, sum, 1e-6 * sum);
}

TEST(FusionNetworkTest, StemFusesAndSavesEnergy) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  checkInvariants(t, ws, f);
  // The intermediates (the 56x56 activations) are far larger than the
  // weights: fusing the stem must pay off, through the ReLU alias.
  ASSERT_FALSE(f.fused.groups.empty());
  EXPECT_LT(f.fused.energyPJ, 0.8 * unfusedEnergy(f.unfused));
  EXPECT_GE(f.fused.groupOf[1], 0);
  EXPECT_EQ(f.fused.groupOf[0], f.fused.groupOf[1])
      << "the ReLU between c0 and dw1 is an alias and must not stop fusion";
}

/// Expects groups (the rest of the network still fuses) and none that keeps
/// layer `producer`'s output on chip.
void expectInDram(const FusionResult &r, unsigned producer, const char *why) {
  ASSERT_FALSE(r.groups.empty()) << "the rest of the stem still fuses";
  for (const FusedGroup &g : r.groups)
    EXPECT_FALSE(g.first <= producer && producer < g.last) << why;
}

TEST(FusionNetworkTest, SecondConsumerKeepsTheTensorInDram) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  // pw1's output y2 is also read by another pointwise conv.
  ws.push_back(llvm::cantFail(
      Workload::conv2d(test::convSpec("side", "y2", "y5", 64, 16, 56, 1))));
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  checkInvariants(t, ws, f);
  expectInDram(f.fused, 2, "y2 has two readers: no group may keep it");
}

TEST(FusionNetworkTest, ResidualAddKeepsTheTensorInDram) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  // y1 (dw1's output) is also added to something: a non-element-wise
  // reader.
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56),
                                     add("y1", "x", "s1", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  checkInvariants(t, ws, f);
  expectInDram(f.fused, 1, "y1 is read by an add: no group may keep it");
}

TEST(FusionNetworkTest, TinyBuffersFuseNothing) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  // One row of the stem's first intermediate (32 x 56 bytes) does not fit
  // any more: no group can run.
  for (CostMemory &m : t.cost.memories)
    if (!m.holds(OperandClass::Weight))
      m.capacityBytes = 1024;
  std::vector<Workload> ws = mobileNetStem();
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  WorkloadGraph graph = graphOf(ws, streaming);
  DramSearchResult unfused = llvm::cantFail(searchLayersDramAware(
      ws, loadTestTarget("romanet-ddr3").cost, t.dram, {}, {}));
  FusionResult r =
      llvm::cantFail(fuseLayersDram(graph, unfused, t.cost, t.dram));
  EXPECT_TRUE(r.groups.empty());
  EXPECT_NEAR(r.energyPJ, unfusedEnergy(unfused), 1e-9 * r.energyPJ);
}

TEST(FusionNetworkTest, GroupTracesRepeatTheGroups) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  ASSERT_FALSE(f.fused.groups.empty());
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("fusion-traces", dir));
  DramModel model =
      llvm::cantFail(getDramModel(t.dram, f.unfused.addressMapping));
  std::vector<LayerTraceFiles> files = llvm::cantFail(
      writeFusedGroupTraces(f.fused, ws, model, dir));
  ASSERT_EQ(files.size(), f.fused.groups.size());
  for (auto [file, group] : llvm::zip_equal(files, f.fused.groups)) {
    // The traced bursts are the ones the group was costed with.
    EXPECT_TRUE(file.result.stats.countsEqual(group.stats))
        << file.result.stats.str() << " vs " << group.stats.str();
    EXPECT_EQ(file.result.stats.energyPJ.getTotal(),
              group.stats.energyPJ.getTotal());
    auto trace = llvm::MemoryBuffer::getFile(file.dramsim3Trace);
    ASSERT_TRUE(static_cast<bool>(trace));
    EXPECT_EQ(static_cast<uint64_t>((*trace)->getBuffer().count('\n')),
              group.stats.bursts);
    EXPECT_NE(file.summary.find("group-0"), std::string::npos);
  }
  llvm::sys::fs::remove_directories(dir);
}

TEST(FusionNetworkTest, CapacityFromTheTargetsBuffers) {
  // Separate buffers: the activation rows fit the input buffer, the weights
  // the weight buffer; the output buffer joins the input buffer only when
  // the target says they are pooled.
  CostTarget separate = loadTestTarget("romanet-ddr3").cost;
  EXPECT_FALSE(separate.activationBuffersPooled);
  EXPECT_EQ(RowBandCapacity::get(separate).activationBytes, 64 * 1024);
  separate.activationBuffersPooled = true;
  RowBandCapacity ddr3 = RowBandCapacity::get(separate);
  EXPECT_EQ(ddr3.activationBytes, 128 * 1024);
  EXPECT_EQ(ddr3.weightBytes, 64 * 1024);
  EXPECT_EQ(ddr3.sharedBytes, 0);
  // One shared global buffer.
  RowBandCapacity eyeriss =
      RowBandCapacity::get(loadTestTarget("eyeriss-like").cost);
  EXPECT_EQ(eyeriss.activationBytes, 0);
  EXPECT_EQ(eyeriss.weightBytes, 0);
  EXPECT_EQ(eyeriss.sharedBytes, 108 * 1024);
  RowBandCounts c;
  c.peakActivationBytes = 100 * 1024;
  c.weightBufferBytes = 8 * 1024;
  EXPECT_TRUE(eyeriss.fits(c));
  EXPECT_TRUE(ddr3.fits(c));
  c.weightBufferBytes = 9 * 1024; // 109 KiB in all: too much when shared
  EXPECT_FALSE(eyeriss.fits(c));
  EXPECT_TRUE(ddr3.fits(c));
  c.weightBufferBytes = 64 * 1024 + 1;
  EXPECT_FALSE(ddr3.fits(c));
  c.weightBufferBytes = 0;
  c.peakActivationBytes = 128 * 1024 + 1;
  EXPECT_FALSE(ddr3.fits(c));
}

TEST(FusionNetworkTest, SmallerPoolFusesLess) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  FusionOptions small;
  small.activationBytesLimit = 16 * 1024;
  FusionResult r = llvm::cantFail(
      fuseLayersDram(f.graph, f.unfused, t.cost, t.dram, small));
  for (const FusedGroup &g : r.groups)
    EXPECT_LE(g.counts.peakActivationBytes, 16 * 1024);
  // Less room can only cost more (or the same).
  EXPECT_GE(r.energyPJ, f.fused.energyPJ * (1 - 1e-12));
}

TEST(FusionNetworkTest, KeptTensorsStayInDram) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  std::vector<Workload> streaming = {test::reluLayer("y0", "r0", 32, 56)};
  Fused f = fuse(t, ws, streaming);
  // Without the constraint the stem fuses across dw1 -> pw1 ...
  ASSERT_TRUE(llvm::any_of(f.fused.groups, [](const FusedGroup &g) {
    return g.first <= 1 && 1 < g.last;
  }));
  // ... with y1 read elsewhere (a graph output, a concat) it must not.
  WorkloadGraph::NamedTensorFacts keep;
  keep.readOutside = {"y1"};
  FusionResult r = llvm::cantFail(fuseLayersDram(
      graphOf(ws, streaming, keep), f.unfused, t.cost, t.dram));
  expectInDram(r, 1, "y1 is read outside the workloads");
}

TEST(FusionNetworkTest, NeverWorseWithManyReadersOfAGroupOutput) {
  // a (1x1, 128 -> 4) feeds b (3x3, 4 -> 256), and b's output is read by
  // c and four more 1x1 convolutions: fusing a and b changes the layout
  // five unfused readers see. The result must still not cost more than not
  // fusing (the dynamic program alone charged only the adjacent reader).
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws;
  ws.push_back(llvm::cantFail(
      Workload::conv2d(test::convSpec("a", "x", "ya", 128, 4, 28, 1))));
  ws.push_back(llvm::cantFail(
      Workload::conv2d(test::convSpec("b", "ya", "yb", 4, 256, 28, 3))));
  for (const char *name : {"c", "d0", "d1", "d2", "d3"})
    ws.push_back(llvm::cantFail(Workload::conv2d(test::convSpec(
        name, "yb", (std::string("y") + name).c_str(), 256, 32, 28, 1))));
  Fused f = fuse(t, ws, {});
  checkInvariants(t, ws, f);
  EXPECT_LE(f.fused.energyPJ, unfusedEnergy(f.unfused) * (1 + 1e-12));
}

TEST(FusionNetworkTest, RowsMustBeTheSameTensorDim) {
  // convA: 1x1 over 48x48. convB: a 48x1 kernel, so its output has one row
  // and its "rows" are columns; each of them needs all 48 rows of convA's
  // output. Equal row counts and row bytes must not make them a chain.
  TestTarget t = loadTestTarget("romanet-ddr3");
  Conv2dSpec a = test::convSpec("convA", "x", "ya", 32, 32, 48, 1);
  Conv2dSpec b = test::convSpec("convB", "ya", "yb", 32, 32, 48, 1);
  b.r = 48;
  b.padTop = b.padBottom = b.padLeft = b.padRight = 0;
  std::vector<Workload> ws = {llvm::cantFail(Workload::conv2d(a)),
                              llvm::cantFail(Workload::conv2d(b))};
  RowBandLayer ra = llvm::cantFail(getRowBandLayer(ws[0]));
  RowBandLayer rb = llvm::cantFail(getRowBandLayer(ws[1]));
  EXPECT_EQ(ra.outputRowDim, 2u);
  EXPECT_EQ(rb.inputRowDim, 3u);
  ASSERT_EQ(rb.inputRows, ra.outputRows);
  ASSERT_EQ(rb.inputRowBytes, ra.outputRowBytes);
  RowBandLayer chain[] = {ra, rb};
  llvm::Error err = verifyRowBandChain(chain);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("tensor dim"),
            std::string::npos);
  Fused f = fuse(t, ws, {});
  EXPECT_TRUE(f.fused.groups.empty());
}

TEST(FusionNetworkTest, RandomNetworksKeepTheInvariants) {
  // Random chains of 3x3, depthwise and 1x1 convolutions (strides 1 and 2)
  // with ReLU aliases, branches (a layer reading an older tensor) and
  // tensors read outside the workloads. Whatever fuses: never more energy
  // than unfused, every group fits and repeats the row-buffer model, and no
  // group keeps on chip a tensor that anything else reads.
  TestTarget t = loadTestTarget("romanet-ddr3");
  test::Rng rng(0xf05e2);
  unsigned networks = 0, withGroups = 0, withBranches = 0;
  for (int n = 0; n < 24; ++n) {
    struct Tensor {
      std::string name;
      int64_t c, hw;
    };
    std::vector<Tensor> tensors = {
        {"x", rng.range(0, 1) ? 3 : 8, rng.range(12, 40)}};
    std::vector<Workload> ws, streaming;
    WorkloadGraph::NamedTensorFacts facts;
    /// The ReLUs' aliases (alias -> source).
    std::map<std::string, std::string> aliases;
    int layers = static_cast<int>(rng.range(3, 7));
    bool branched = false;
    for (int k = 0; k < layers; ++k) {
      size_t from = tensors.size() - 1;
      if (tensors.size() > 2 && rng.range(0, 4) == 0) {
        from = static_cast<size_t>(rng.range(0, tensors.size() - 2));
        branched = true;
      }
      Tensor in = tensors[from];
      std::string name = "l" + std::to_string(k);
      std::string out = "y" + std::to_string(k);
      int64_t stride = in.hw >= 8 && rng.range(0, 3) == 0 ? 2 : 1;
      int kind = static_cast<int>(rng.range(0, 2));
      Conv2dSpec spec;
      if (kind == 0)
        spec = test::convSpec(name.c_str(), in.name.c_str(), out.c_str(), in.c,
                              8 * rng.range(1, 6), in.hw, 3, stride);
      else if (kind == 1)
        spec = test::convSpec(name.c_str(), in.name.c_str(), out.c_str(), in.c,
                              in.c, in.hw, 3, stride);
      else
        spec = test::convSpec(name.c_str(), in.name.c_str(), out.c_str(), in.c,
                              8 * rng.range(1, 8), in.hw, 1);
      Workload w = llvm::cantFail(kind == 1 ? Workload::depthwiseConv2d(spec)
                                            : Workload::conv2d(spec));
      const Operand &o = w.operands[*w.findOperand("output")];
      Tensor produced{out, o.extent[1], o.extent[2]};
      ws.push_back(std::move(w));
      if (rng.range(0, 2) == 0) {
        std::string r = "r" + std::to_string(k);
        streaming.push_back(test::reluLayer(out.c_str(), r.c_str(),
                                            produced.c, produced.hw));
        aliases[r] = out;
        produced.name = r;
      }
      tensors.push_back(produced);
      if (rng.range(0, 5) == 0)
        facts.readOutside.insert(out);
    }
    SCOPED_TRACE("network " + std::to_string(n));
    WorkloadGraph graph = graphOf(ws, streaming, facts);
    SearchOptions so;
    DramSearchResult unfused =
        llvm::cantFail(searchLayersDramAware(graph, t.cost, t.dram, so, {}));
    FusionResult r =
        llvm::cantFail(fuseLayersDram(graph, unfused, t.cost, t.dram));
    ++networks;
    withGroups += !r.groups.empty();
    withBranches += branched;
    EXPECT_LE(r.energyPJ, unfusedEnergy(unfused) * (1 + 1e-12));
    // Readers of every tensor (aliases resolved), plus outside readers.
    auto root = [&](std::string name) {
      for (auto it = aliases.find(name); it != aliases.end();
           it = aliases.find(name))
        name = it->second;
      return name;
    };
    std::map<std::string, int> readers;
    for (const Workload &w : ws)
      for (const Operand &op : w.operands)
        if (op.role == OperandRole::Read)
          ++readers[root(op.tensor)];
    for (const std::string &name : facts.readOutside)
      ++readers[root(name)];
    RowBandCapacity cap = RowBandCapacity::get(t.cost);
    DramModel model = llvm::cantFail(getDramModel(t.dram, unfused.addressMapping));
    for (const FusedGroup &g : r.groups) {
      std::vector<RowBandLayer> chain;
      std::vector<const Workload *> layers;
      for (unsigned k = g.first; k <= g.last; ++k) {
        chain.push_back(llvm::cantFail(getRowBandLayer(ws[k])));
        layers.push_back(&ws[k]);
        if (k < g.last) {
          const std::string &mid =
              ws[k].operands[*ws[k].findOperand("output")].tensor;
          EXPECT_EQ(readers[root(mid)], 1) << mid << " read elsewhere";
          RowBandLayer next = llvm::cantFail(getRowBandLayer(ws[k + 1]));
          EXPECT_EQ(root(ws[k + 1].operands[next.input].tensor), root(mid));
        }
      }
      EXPECT_TRUE(cap.fits(g.counts));
      EXPECT_EQ(computeRowBandCounts(chain, g.schedule), g.counts);
      ASSERT_TRUE(g.placement.has_value());
      EXPECT_EQ(evaluateRowBandGroup(layers, chain, g.schedule, *g.placement,
                                     model),
                g.stats);
    }
  }
  // The generator exercises what it is meant to.
  EXPECT_EQ(networks, 24u);
  EXPECT_GE(withGroups, 8u);
  EXPECT_GE(withBranches, 4u);
}

TEST(FusionNetworkTest, MismatchedInputsAreErrors) {
  TestTarget t = loadTestTarget("romanet-ddr3");
  std::vector<Workload> ws = mobileNetStem();
  DramSearchResult empty;
  llvm::Expected<FusionResult> r =
      fuseLayersDram(graphOf(ws, {}), empty, t.cost, t.dram);
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("5 workloads"),
            std::string::npos);
}

} // namespace
