//===- WorkloadGraph.cpp - layers and the tensors between them -----------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Analysis/WorkloadGraph.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cassert>

using namespace romac;
using llvm::ArrayRef;

//===----------------------------------------------------------------------===//
// WorkloadGraph
//===----------------------------------------------------------------------===//

TensorId WorkloadGraph::resolveAlias(TensorId id) const {
  // A chain longer than the tensor table has a cycle: stop there.
  for (size_t steps = 0; steps <= tensors.size(); ++steps) {
    const std::optional<TensorId> &source = tensors[id].aliasOf;
    if (!source)
      break;
    id = *source;
  }
  return id;
}

std::optional<TensorId> WorkloadGraph::findTensor(llvm::StringRef name) const {
  for (auto [id, t] : llvm::enumerate(tensors))
    if (t.name == name)
      return static_cast<TensorId>(id);
  return std::nullopt;
}

void WorkloadGraph::connect() {
  producers.assign(layers.size(), {});
  edges.clear();
  // The latest read-write operand that wrote each tensor (by alias root).
  llvm::DenseMap<TensorId, OperandRef> writer;
  for (auto [i, w] : llvm::enumerate(layers)) {
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      OperandRef p;
      TensorId t = layerTensors[i][o];
      if (op.role == OperandRole::Read) {
        auto it = writer.find(resolveAlias(t));
        if (it != writer.end()) {
          p = it->second;
          edges.push_back({p, {static_cast<int>(i), static_cast<int>(o)}, t});
        }
      }
      producers[i].push_back(p);
    }
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (op.role == OperandRole::ReadWrite)
        writer[resolveAlias(layerTensors[i][o])] = {static_cast<int>(i),
                                                    static_cast<int>(o)};
  }
}

WorkloadGraph WorkloadGraph::fromTensorNames(std::vector<Workload> layers,
                                             std::vector<Workload> streaming,
                                             const NamedTensorFacts &facts) {
  WorkloadGraphBuilder builder;
  llvm::StringMap<TensorId> ids;
  auto idOf = [&](llvm::StringRef name, int64_t bytes) {
    auto [it, inserted] = ids.try_emplace(name, 0);
    if (inserted)
      it->second = builder.addTensor(name.str(), bytes);
    return it->second;
  };
  auto tensorsOf = [&](const Workload &w) {
    llvm::SmallVector<TensorId, 3> out;
    for (const Operand &op : w.operands)
      out.push_back(idOf(op.tensor, op.getStorageBytes(op.getNumElements())));
    return out;
  };
  for (Workload &w : layers) {
    llvm::SmallVector<TensorId, 3> t = tensorsOf(w);
    builder.addLayer(std::move(w), t);
  }
  for (Workload &w : streaming) {
    if (w.dims.empty())
      continue;
    llvm::SmallVector<TensorId, 3> t = tensorsOf(w);
    builder.addStreamingLayer(std::move(w), t);
  }
  for (const auto &[alias, source] : facts.aliases)
    builder.getTensor(idOf(alias, 0)).aliasOf = idOf(source, 0);
  for (const std::string &name : facts.readOutside)
    builder.getTensor(idOf(name, 0)).readOutside = true;
  for (const std::string &name : facts.resident)
    builder.getTensor(idOf(name, 0)).resident = true;
  return builder.build();
}

//===----------------------------------------------------------------------===//
// WorkloadGraphBuilder
//===----------------------------------------------------------------------===//

TensorId WorkloadGraphBuilder::addTensor(std::string name, int64_t bytes) {
  GraphTensor &t = graph.tensors.emplace_back();
  t.name = std::move(name);
  t.bytes = bytes;
  return static_cast<TensorId>(graph.tensors.size() - 1);
}

void WorkloadGraphBuilder::addLayer(Workload workload,
                                    ArrayRef<TensorId> tensors) {
  assert(tensors.size() == workload.operands.size() &&
         "one tensor per operand");
  graph.layers.push_back(std::move(workload));
  graph.layerTensors.emplace_back(tensors.begin(), tensors.end());
}

std::optional<unsigned> romac::getElementwiseSource(const Workload &w,
                                                    ArrayRef<TensorId> ids) {
  const Operand *out = nullptr;
  unsigned outputs = 0, outIndex = 0;
  for (auto [o, op] : llvm::enumerate(w.operands))
    if (op.role == OperandRole::ReadWrite) {
      out = &op;
      outIndex = o;
      ++outputs;
    }
  if (outputs != 1 || w.dims.empty())
    return std::nullopt;
  for (auto [o, op] : llvm::enumerate(w.operands)) {
    if (op.role != OperandRole::Read || op.extent != out->extent ||
        ids[o] == ids[outIndex] ||
        op.projection.size() != out->projection.size())
      continue;
    bool same = true;
    for (size_t j = 0; same && j < op.projection.size(); ++j)
      same = w.projectionString(op.projection[j]) ==
             w.projectionString(out->projection[j]);
    if (same)
      return static_cast<unsigned>(o);
  }
  return std::nullopt;
}

void WorkloadGraphBuilder::addStreamingLayer(Workload workload,
                                             ArrayRef<TensorId> tensors) {
  assert(tensors.size() == workload.operands.size() &&
         "one tensor per operand");
  if (workload.dims.empty())
    return;
  if (std::optional<unsigned> source = getElementwiseSource(workload, tensors))
    for (auto [o, op] : llvm::enumerate(workload.operands))
      if (op.role == OperandRole::ReadWrite)
        graph.tensors[tensors[o]].aliasOf = tensors[*source];
  graph.streaming.push_back(std::move(workload));
  graph.streamingTensors.emplace_back(tensors.begin(), tensors.end());
}

WorkloadGraph WorkloadGraphBuilder::build() {
  graph.connect();
  WorkloadGraph result = std::move(graph);
  graph = WorkloadGraph();
  return result;
}
