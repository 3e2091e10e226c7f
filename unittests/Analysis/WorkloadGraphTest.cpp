//===- WorkloadGraphTest.cpp - tensors by id and their edges --------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// WorkloadGraph: producer -> consumer edges from tensor ids (not names),
// element-wise aliases of streaming layers, the latest writer of a tensor,
// and the graph of a hand-built network (fromTensorNames()).
//
//===----------------------------------------------------------------------===//

#include "romac/Analysis/WorkloadGraph.h"

#include "gtest/gtest.h"

using namespace romac;

namespace {

/// `out[M,N] += in[M,K] * w[K,N]` named `name`.
Workload matmul(const char *name) {
  return llvm::cantFail(Workload::matmul(4, 4, 4, 1, name));
}

/// An element-wise `out = f(in)` over [4, 4].
Workload relu(const char *name) {
  Workload w;
  w.name = name;
  w.op = OpKind::Elementwise;
  w.dims = {{"d0", 4, LoopKind::Parallel}, {"d1", 4, LoopKind::Parallel}};
  for (auto [opName, role] : {std::pair{"input", OperandRole::Read},
                              std::pair{"output", OperandRole::ReadWrite}}) {
    Operand &op = w.operands.emplace_back();
    op.name = opName;
    op.tensor = opName;
    op.role = role;
    op.projection = {IndexExpr{{AffineTerm{0, 1}}, 0},
                     IndexExpr{{AffineTerm{1, 1}}, 0}};
    op.extent = {4, 4};
  }
  llvm::cantFail(w.verify());
  return w;
}

TEST(WorkloadGraphTest, EdgesFollowIdsNotNames) {
  // Two tensors with the same display name are different tensors.
  WorkloadGraphBuilder b;
  TensorId x = b.addTensor("x"), w0 = b.addTensor("w"), y = b.addTensor("y");
  TensorId w1 = b.addTensor("w"), other = b.addTensor("y"),
           z = b.addTensor("z");
  b.addLayer(matmul("a"), {x, w0, y});
  b.addLayer(matmul("b"), {other, w1, z});
  b.addLayer(matmul("c"), {y, w1, b.addTensor("out")});
  WorkloadGraph g = b.build();
  EXPECT_FALSE(g.getProducer(1, 0).isValid());
  EXPECT_EQ(g.getProducer(2, 0), (OperandRef{0, 2}));
  // Read-write operands have no producer.
  EXPECT_FALSE(g.getProducer(0, 2).isValid());
  ASSERT_EQ(g.getEdges().size(), 1u);
  EXPECT_EQ(g.getEdges()[0].producer, (OperandRef{0, 2}));
  EXPECT_EQ(g.getEdges()[0].consumer, (OperandRef{2, 0}));
  EXPECT_EQ(g.getEdges()[0].tensor, y);
  EXPECT_EQ(g.findTensor("y"), y);
  EXPECT_EQ(g.getTensor(g.getTensorOf(1, 0)).name, "y");
}

TEST(WorkloadGraphTest, StreamingLayersDefineAliases) {
  // a -> y -> relu -> r -> relu -> s -> b: b's producer is a.
  WorkloadGraphBuilder b;
  TensorId x = b.addTensor("x"), w = b.addTensor("w"), y = b.addTensor("y");
  TensorId r = b.addTensor("r"), s = b.addTensor("s"), z = b.addTensor("z");
  b.addLayer(matmul("a"), {x, w, y});
  b.addStreamingLayer(relu("relu1"), {y, r});
  b.addStreamingLayer(relu("relu2"), {r, s});
  b.addLayer(matmul("b"), {s, w, z});
  // A layer without dims is no streaming layer.
  Workload opaque;
  opaque.name = "concat";
  b.addStreamingLayer(opaque, {});
  WorkloadGraph g = b.build();
  EXPECT_EQ(g.getStreamingLayers().size(), 2u);
  EXPECT_EQ(g.getTensor(r).aliasOf, y);
  EXPECT_EQ(g.getTensor(s).aliasOf, r);
  EXPECT_EQ(g.resolveAlias(s), y);
  EXPECT_EQ(g.getProducer(1, 0), (OperandRef{0, 2}));
  EXPECT_EQ(g.getEdges().size(), 1u);
}

TEST(WorkloadGraphTest, LatestWriterWins) {
  // Hand-built networks may write a name twice: the later writer produces.
  Workload a = matmul("a"), b = matmul("b"), c = matmul("c");
  a.operands[2].tensor = "t";
  b.operands[2].tensor = "t";
  c.operands[0].tensor = "t";
  WorkloadGraph g = WorkloadGraph::fromTensorNames({a, b, c});
  EXPECT_EQ(g.getProducer(2, 0), (OperandRef{1, 2}));
  // The same names appear once in the tensor table.
  EXPECT_EQ(g.getTensorOf(0, 0), g.getTensorOf(1, 0));
}

TEST(WorkloadGraphTest, NamedFacts) {
  Workload a = matmul("a"), b = matmul("b");
  a.operands[2].tensor = "h";
  b.operands[0].tensor = "relu_h";
  WorkloadGraph::NamedTensorFacts facts;
  facts.aliases = {{"relu_h", "h"}};
  facts.readOutside = {"h"};
  facts.resident = {"B"};
  WorkloadGraph g = WorkloadGraph::fromTensorNames({a, b}, {}, facts);
  EXPECT_EQ(g.getProducer(1, 0), (OperandRef{0, 2}));
  EXPECT_TRUE(g.getTensor(*g.findTensor("h")).readOutside);
  EXPECT_TRUE(g.getTensor(*g.findTensor("B")).resident);
  EXPECT_FALSE(g.getTensor(*g.findTensor("A")).resident);
  EXPECT_EQ(g.getTensor(*g.findTensor("h")).bytes, 16);
  // Without the alias the layers are independent.
  EXPECT_FALSE(
      WorkloadGraph::fromTensorNames({a, b}).getProducer(1, 0).isValid());
}

TEST(WorkloadGraphTest, AliasCyclesStop) {
  WorkloadGraph::NamedTensorFacts facts;
  facts.aliases = {{"p", "q"}, {"q", "p"}};
  Workload a = matmul("a");
  a.operands[0].tensor = "p";
  WorkloadGraph g = WorkloadGraph::fromTensorNames({a}, {}, facts);
  TensorId p = *g.findTensor("p");
  TensorId root = g.resolveAlias(p);
  EXPECT_TRUE(root == p || root == *g.findTensor("q"));
}

} // namespace
