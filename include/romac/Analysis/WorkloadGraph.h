//===- WorkloadGraph.h - layers and the tensors between them ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A `WorkloadGraph` is a network as the DRAM-aware search and layer fusion
// see it (DESIGN.md §5): its searched layers (the contractions, as
// Workloads, in program order), its streaming layers, and its tensors named
// by integer ids. Every operand of every layer names the TensorId it reads
// or writes; a tensor knows whether it stays in DRAM for the whole run
// (a graph input or a constant), whether something without a workload reads
// it (an opaque op, the graph's result) and the tensor it is an element-wise
// alias of (a fused activation: computed from its source in the source's
// layout). The producer -> consumer edges between the searched layers follow
// the aliases. Tensor names are for display and JSON only: two tensors are
// the same tensor when their ids are equal.
//
// The IR adapter (Dialect/Romac/Analysis/LinalgWorkload.h) builds the graph
// from SSA def-use; hand-built networks (tests, benchmarks) use
// WorkloadGraph::fromTensorNames(), which names a tensor by its
// Operand::tensor string.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ANALYSIS_WORKLOADGRAPH_H
#define ROMAC_ANALYSIS_WORKLOADGRAPH_H

#include "romac/Analysis/Workload.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace romac {

/// A tensor of a WorkloadGraph: an index into WorkloadGraph::getTensors().
using TensorId = unsigned;

/// One operand of one layer (indices into the graph's searched layers and
/// their Workload::operands); layer -1 when there is none.
struct OperandRef {
  int layer = -1;
  int operand = -1;

  bool isValid() const { return layer >= 0; }
  bool operator==(const OperandRef &other) const {
    return layer == other.layer && operand == other.operand;
  }
  bool operator!=(const OperandRef &other) const { return !(*this == other); }
};

/// What a WorkloadGraph knows about one tensor.
struct GraphTensor {
  /// The name schedules show (an ONNX value name, a layer's name, a weight's
  /// blob key): for display and JSON only.
  std::string name;
  /// Bytes of the tensor as the first operand that names it sees it.
  int64_t bytes = 0;
  /// Stays in DRAM for the whole run: a graph input or a constant (weights).
  bool resident = false;
  /// Read by something without a workload: an op no Workload describes (a
  /// concat, a gather) or the graph's result. Layer fusion keeps such a
  /// tensor in DRAM.
  bool readOutside = false;
  /// The tensor this one is computed from element-wise, in its layout (a
  /// fused bias, ReLU or clip; a residual add's first full-size input): a
  /// reader of this tensor reads what the source's producer wrote.
  std::optional<TensorId> aliasOf;
};

/// A producer -> consumer edge between searched layers: operand `consumer`
/// reads `tensor`, which operand `producer` wrote (`tensor` itself or the
/// source it is an element-wise alias of).
struct TensorEdge {
  OperandRef producer, consumer;
  TensorId tensor = 0;
};

/// The operand whose tensor the single read-write operand of \p w (a
/// streaming layer whose operands hold the tensors \p ids) is an element-wise
/// alias of: the first read operand of another tensor with the output's
/// extent and projection (ReLU's input, a residual add's first input);
/// std::nullopt for none (a contraction never has one).
std::optional<unsigned> getElementwiseSource(const Workload &w,
                                             llvm::ArrayRef<TensorId> ids);

class WorkloadGraphBuilder;

/// Searched layers, streaming layers and the tensors between them (see the
/// file comment). Built with WorkloadGraphBuilder or fromTensorNames().
class WorkloadGraph {
public:
  WorkloadGraph() = default;

  /// The searched layers (contractions), in program order.
  llvm::ArrayRef<Workload> getLayers() const { return layers; }
  /// The streaming layers that have a workload, in program order.
  llvm::ArrayRef<Workload> getStreamingLayers() const { return streaming; }
  llvm::ArrayRef<GraphTensor> getTensors() const { return tensors; }
  const GraphTensor &getTensor(TensorId id) const { return tensors[id]; }

  /// The tensor operand \p operand of searched layer \p layer reads or
  /// writes.
  TensorId getTensorOf(unsigned layer, unsigned operand) const {
    return layerTensors[layer][operand];
  }
  /// The same for streaming layer \p layer.
  TensorId getStreamingTensorOf(unsigned layer, unsigned operand) const {
    return streamingTensors[layer][operand];
  }

  /// The tensor \p id is an alias of through chains of element-wise aliases
  /// (GraphTensor::aliasOf), or \p id itself; a cycle (only a hand-built
  /// graph can have one) stops after as many steps as there are tensors.
  TensorId resolveAlias(TensorId id) const;

  /// The producer of read operand \p operand of searched layer \p layer: the
  /// latest earlier read-write operand of a searched layer that wrote the
  /// operand's tensor (through aliases); invalid for none and for read-write
  /// operands.
  OperandRef getProducer(unsigned layer, unsigned operand) const {
    return producers[layer][operand];
  }
  /// Every producer -> consumer edge, in consumer order (layer, operand).
  llvm::ArrayRef<TensorEdge> getEdges() const { return edges; }

  /// The first tensor called \p name (tests, diagnostics).
  std::optional<TensorId> findTensor(llvm::StringRef name) const;

  /// Extra facts about the tensors of a hand-built network, by name.
  struct NamedTensorFacts {
    /// Element-wise aliases (alias -> source) in addition to those the
    /// streaming layers define.
    std::map<std::string, std::string> aliases;
    /// GraphTensor::readOutside.
    std::set<std::string> readOutside;
    /// GraphTensor::resident.
    std::set<std::string> resident;
  };

  /// The graph of a hand-built network (tests, benchmarks): one tensor per
  /// distinct Operand::tensor of \p layers and \p streaming (streaming
  /// layers without dims are dropped), aliases from the element-wise
  /// streaming layers (WorkloadGraphBuilder::addStreamingLayer()) and
  /// \p facts.
  static WorkloadGraph fromTensorNames(std::vector<Workload> layers,
                                       std::vector<Workload> streaming = {},
                                       const NamedTensorFacts &facts = {});

private:
  friend class WorkloadGraphBuilder;

  /// Computes `producers` and `edges` from the layers and the aliases.
  void connect();

  std::vector<GraphTensor> tensors;
  std::vector<Workload> layers, streaming;
  std::vector<llvm::SmallVector<TensorId, 3>> layerTensors, streamingTensors;
  std::vector<llvm::SmallVector<OperandRef, 3>> producers;
  std::vector<TensorEdge> edges;
};

/// Builds a WorkloadGraph: tensors first (or as they appear), then the
/// layers with one TensorId per operand; build() connects them.
class WorkloadGraphBuilder {
public:
  /// A new tensor called \p name of \p bytes bytes.
  TensorId addTensor(std::string name, int64_t bytes = 0);
  GraphTensor &getTensor(TensorId id) { return graph.tensors[id]; }
  size_t getNumTensors() const { return graph.tensors.size(); }

  /// Adds a searched layer; \p tensors holds one id per operand.
  void addLayer(Workload workload, llvm::ArrayRef<TensorId> tensors);
  /// Adds a streaming layer (ignored when it has no dims). When it is
  /// element-wise, its output becomes an alias of its source: the first
  /// read operand with the output's extent, indexed by the same projection
  /// and naming another tensor (ReLU, SiLU, a residual add). A contraction
  /// never qualifies (its inputs are indexed by reduction dims).
  void addStreamingLayer(Workload workload, llvm::ArrayRef<TensorId> tensors);

  /// The graph, with its producer -> consumer edges.
  WorkloadGraph build();

private:
  WorkloadGraph graph;
};

} // namespace romac

#endif // ROMAC_ANALYSIS_WORKLOADGRAPH_H
