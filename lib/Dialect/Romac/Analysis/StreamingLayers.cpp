//===- StreamingLayers.cpp - the streaming layers of a module --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Finds what every streaming layer moves and which layer it is fused into
// (docs/streaming-layers.md), then costs it (costStreamingLayer()).
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/StreamingLayers.h"
#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace romac;

namespace {

/// The ops that read the data \p v holds, looking through reshapes and pads
/// (views of the same data).
void collectReaders(Value v, llvm::SetVector<Operation *> &readers) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::PadOp>(
            user) &&
        use.getOperandNumber() == 0) {
      for (Value r : user->getResults())
        collectReaders(r, readers);
      continue;
    }
    readers.insert(user);
  }
}

/// The only op reading the data of \p v, or null when none or several do.
Operation *getSingleReader(Value v) {
  llvm::SetVector<Operation *> readers;
  collectReaders(getTensorRoot(v), readers);
  return readers.size() == 1 ? readers.front() : nullptr;
}

int64_t elementsOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.hasStaticShape() ? t.getNumElements() : 0;
}

/// One function's layers, with how each streaming layer is fused.
class FunctionStreaming {
public:
  FunctionStreaming(func::FuncOp func, const Target &target)
      : layers(collectLayers(func)), target(target) {
    for (auto [i, l] : llvm::enumerate(layers))
      index[l.op] = static_cast<int>(i);
    attachedTo.assign(layers.size(), -1);
    fusion.assign(layers.size(), StreamingFusion::None);
    source.resize(layers.size());
    constant.assign(layers.size(), false);
    for (auto [i, l] : llvm::enumerate(layers)) {
      source[i] = findSource(l);
      constant[i] =
          l.kind == LayerKind::Streaming &&
          llvm::all_of(getReads(l), [&](Value v) { return isConstant(v); });
    }
    // Each layer's place in its kind's list of the schedule.
    unsigned contractions = 0, streams = 0;
    for (auto [i, l] : llvm::enumerate(layers))
      localIndex.push_back(l.kind == LayerKind::Contraction ? contractions++
                           : constant[i]                    ? -1
                                                            : streams++);
    numContractions = contractions;
    numStreaming = streams;
    for (size_t i = 0; i < layers.size(); ++i)
      tryEpilogue(i);
    for (size_t i = layers.size(); i-- > 0;)
      tryPrologue(i);
  }

  /// Appends the function's streaming layers, contraction positions
  /// counted from \p position.
  void append(std::vector<StreamingLayerSchedule> &out, unsigned &position,
              const CostTarget &costTarget, const DramModel *rowBuffer) const;

  /// Appends the attentions that can run fused (findAttentionGroups()),
  /// this function's layers starting at \p contractionBase and
  /// \p streamingBase in \p schedule.
  void appendAttention(std::vector<AttentionGroup> &out,
                       unsigned contractionBase, unsigned streamingBase,
                       const Schedule &schedule,
                       const DramModel *rowBuffer) const;

  unsigned numContractions = 0, numStreaming = 0;

private:
  /// The streaming layers between contraction \p a (Q Kᵀ) and the one
  /// contraction that reads what they make (· V), which is returned; -1
  /// when \p a is not the start of such an attention.
  int findAttention(size_t a, llvm::SetVector<size_t> &region) const;
  std::optional<AttentionShape> getAttentionShape(size_t a, size_t b) const;

  bool isElementwise(size_t i) const {
    return layers[i].kind == LayerKind::Streaming &&
           layers[i].workload.op == OpKind::Elementwise;
  }
  /// The data layer \p l reads (roots of its tensor operands; no inits).
  static llvm::SetVector<Value> getReads(const Layer &l);
  /// Whether \p v holds data known when compiling: a constant, or what a
  /// streaming layer computes from constants alone (a weight's transpose).
  bool isConstant(Value v) const {
    Value root = getTensorRoot(v);
    if (root.getDefiningOp<arith::ConstantOp>())
      return true;
    auto it =
        root.getDefiningOp() ? index.find(root.getDefiningOp()) : index.end();
    return it != index.end() && constant[it->second];
  }
  /// The element-wise source operand of layer \p l (getElementwiseSource()).
  std::optional<unsigned> findSource(const Layer &l) const;
  /// Fuses element-wise layer \p i into the producer of its source
  /// (epilogue; in program order, so the producer's own fusion is known) or
  /// into the one reader of its output (prologue; in reverse order), where
  /// docs/streaming-layers.md's rules allow.
  void tryEpilogue(size_t i);
  void tryPrologue(size_t i);
  /// The unfused layer that layer \p i is finally fused into.
  size_t getHost(size_t i) const;
  StreamingTraffic getTraffic(size_t i) const;
  uint64_t bytesOf(OperandKind kind) const {
    return target.compute.getBytesPerElement(kind);
  }

  std::vector<Layer> layers;
  const Target &target;
  llvm::DenseMap<Operation *, int> index;
  /// The layer each fused streaming layer is applied to (-1: unfused).
  std::vector<int> attachedTo;
  std::vector<StreamingFusion> fusion;
  std::vector<std::optional<unsigned>> source;
  /// Streaming layers that read constants only: the compiler computes them
  /// once (folding), so they are not layers that run.
  std::vector<bool> constant;
  /// Per layer its index among the schedule's contractions or streaming
  /// layers of this function (-1 for a constant one).
  std::vector<int> localIndex;
};

llvm::SetVector<Value> FunctionStreaming::getReads(const Layer &l) {
  llvm::SetVector<Value> reads;
  if (!l.workload.dims.empty()) {
    for (auto [o, op] : llvm::enumerate(l.workload.operands))
      if (op.role == OperandRole::Read)
        reads.insert(getTensorRoot(l.values[o]));
    return reads;
  }
  for (Value in : l.op->getOperands())
    if (isa<RankedTensorType>(in.getType()) &&
        !in.getDefiningOp<tensor::EmptyOp>() &&
        !in.getDefiningOp<linalg::FillOp>())
      reads.insert(getTensorRoot(in));
  return reads;
}

std::optional<unsigned> FunctionStreaming::findSource(const Layer &l) const {
  if (l.kind != LayerKind::Streaming || l.workload.op != OpKind::Elementwise)
    return std::nullopt;
  // Operands holding the same data get the same id.
  llvm::DenseMap<Value, TensorId> ids;
  llvm::SmallVector<TensorId, 3> operandIds;
  for (Value v : l.values)
    operandIds.push_back(
        ids.try_emplace(getTensorRoot(v), static_cast<TensorId>(ids.size()))
            .first->second);
  return getElementwiseSource(l.workload, operandIds);
}

void FunctionStreaming::tryEpilogue(size_t i) {
  if (!isElementwise(i) || !source[i])
    return;
  // The source's producer writes it only for this layer.
  Value src = getTensorRoot(layers[i].values[*source[i]]);
  Operation *def = src.getDefiningOp();
  auto it = def ? index.find(def) : index.end();
  if (it == index.end() || constant[it->second] ||
      getSingleReader(src) != layers[i].op)
    return;
  attachedTo[i] = it->second;
  fusion[i] = StreamingFusion::Epilogue;
}

void FunctionStreaming::tryPrologue(size_t i) {
  if (!isElementwise(i) || !source[i] || fusion[i] != StreamingFusion::None ||
      layers[i].op->getNumResults() != 1)
    return;
  // Its output is read by one layer with a loop nest, which does not apply
  // itself to this layer's output.
  Operation *reader = getSingleReader(layers[i].op->getResult(0));
  auto it = reader ? index.find(reader) : index.end();
  if (it == index.end() || layers[it->second].workload.dims.empty() ||
      attachedTo[it->second] == static_cast<int>(i))
    return;
  attachedTo[i] = it->second;
  fusion[i] = StreamingFusion::Prologue;
}

size_t FunctionStreaming::getHost(size_t i) const {
  // Epilogues point backwards and prologues forwards, and no layer points
  // at a layer pointing back at it, so the chain ends; the bound is a guard.
  for (size_t steps = 0; attachedTo[i] >= 0 && steps < layers.size(); ++steps)
    i = static_cast<size_t>(attachedTo[i]);
  return i;
}

StreamingTraffic FunctionStreaming::getTraffic(size_t i) const {
  const Layer &l = layers[i];
  StreamingTraffic t;
  int64_t outBytes = static_cast<int64_t>(bytesOf(OperandKind::Output));
  // A read of \p elements elements of \p v into the input buffer, or the
  // weight buffer for a constant.
  auto addRead = [&](Value v, int64_t elements, bool dram, bool sram) {
    bool weight = isConstant(v);
    int64_t bytes =
        elements * static_cast<int64_t>(bytesOf(weight ? OperandKind::Weight
                                                       : OperandKind::Input));
    if (dram)
      (weight ? t.dramWeightBytes : t.dramInputBytes) += bytes;
    if (sram)
      (weight ? t.sramWeightBytes : t.sramInputBytes) += bytes;
  };
  if (l.workload.dims.empty()) {
    // No loop nest: every distinct tensor read once, the results written
    // once, each element through the buffers once.
    for (Value in : getReads(l))
      addRead(in, elementsOf(in.getType()), true, true);
    for (Value out : l.op->getResults()) {
      t.elements += elementsOf(out.getType());
      t.dramWriteBytes += elementsOf(out.getType()) * outBytes;
    }
    t.sramOutputBytes = t.dramWriteBytes;
    return t;
  }
  const Workload &w = l.workload;
  t.elements = 1;
  for (const LoopDim &d : w.dims)
    t.elements *= d.bound;
  int64_t bodyOps = 0;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(l.op))
    bodyOps =
        static_cast<int64_t>(linalgOp.getBlock()->getOperations().size()) -
        1; // the yield
  t.ops = t.elements * bodyOps;
  StreamingFusion f = fusion[i];
  llvm::DenseSet<Value> counted;
  if (f != StreamingFusion::None) // the source stays on chip
    counted.insert(getTensorRoot(l.values[*source[i]]));
  for (auto [o, op] : llvm::enumerate(w.operands)) {
    int64_t elements = op.getNumElements();
    if (op.role == OperandRole::ReadWrite) {
      t.sramOutputBytes += elements * outBytes;
      if (f == StreamingFusion::None)
        t.dramWriteBytes += elements * outBytes;
      continue;
    }
    // Every point reads the operand from its buffer; DRAM gives each
    // distinct tensor once.
    addRead(l.values[o], t.elements, false, true);
    if (counted.insert(getTensorRoot(l.values[o])).second)
      addRead(l.values[o], elements, true, false);
  }
  return t;
}

void FunctionStreaming::append(std::vector<StreamingLayerSchedule> &out,
                               unsigned &position, const CostTarget &costTarget,
                               const DramModel *rowBuffer) const {
  for (auto [i, l] : llvm::enumerate(layers)) {
    if (l.kind == LayerKind::Contraction) {
      ++position;
      continue;
    }
    if (constant[i])
      continue;
    StreamingLayerSchedule &s = out.emplace_back();
    s.name = l.workload.name;
    s.op = l.workload.op;
    s.mlirOp = l.op->getName().getStringRef().str();
    s.position = position;
    s.fusion = fusion[i];
    if (s.fusion != StreamingFusion::None)
      s.fusedInto = layers[getHost(i)].workload.name;
    s.traffic = getTraffic(i);
    s.cost = costStreamingLayer(s.traffic, costTarget, rowBuffer, &s.activates);
  }
}

int FunctionStreaming::findAttention(size_t a,
                                     llvm::SetVector<size_t> &region) const {
  OpKind kind = layers[a].workload.op;
  if (kind != OpKind::BatchMatmul && kind != OpKind::Matmul)
    return -1;
  // Everything that reads the scores, transitively through streaming
  // layers, up to the one contraction that reads the result.
  llvm::DenseSet<Value> inside;
  llvm::SmallVector<Value> work = {layers[a].op->getResult(0)};
  inside.insert(getTensorRoot(work.front()));
  int b = -1;
  while (!work.empty()) {
    llvm::SetVector<Operation *> readers;
    collectReaders(getTensorRoot(work.pop_back_val()), readers);
    for (Operation *r : readers) {
      auto it = index.find(r);
      if (it == index.end())
        return -1; // a result of the function, an op without a layer
      size_t j = static_cast<size_t>(it->second);
      if (layers[j].kind == LayerKind::Contraction) {
        if (j == a || (b >= 0 && static_cast<size_t>(b) != j))
          return -1;
        b = static_cast<int>(j);
        continue;
      }
      if (!region.insert(j))
        continue;
      if (region.size() > 16)
        return -1; // not an attention's softmax
      for (Value v : layers[j].op->getResults()) {
        inside.insert(getTensorRoot(v));
        work.push_back(v);
      }
    }
  }
  // A softmax has reductions (its max and sum over the keys); an MLP's
  // bias and activation between two products do not.
  if (b < 0 || llvm::none_of(region, [&](size_t j) {
        return layers[j].workload.op == OpKind::Reduction;
      }))
    return -1;
  // The region reads nothing else but constants, and · V reads its result
  // as its first operand only.
  for (size_t j : region)
    for (Value v : getReads(layers[j]))
      if (!inside.contains(v) && !isConstant(v))
        return -1;
  const Layer &pv = layers[b];
  for (auto [o, op] : llvm::enumerate(pv.workload.operands))
    if (op.role == OperandRole::Read &&
        inside.contains(getTensorRoot(pv.values[o])) != (o == 0))
      return -1;
  return b;
}

std::optional<AttentionShape>
FunctionStreaming::getAttentionShape(size_t a, size_t b) const {
  // The target's data types, as the search sees the products.
  Workload qk = layers[a].workload, pv = layers[b].workload;
  applyTargetPrecision(qk, target);
  applyTargetPrecision(pv, target);
  auto bound = [](const Workload &w, llvm::StringRef name,
                  int64_t absent) -> std::optional<int64_t> {
    for (const LoopDim &d : w.dims)
      if (d.name == name)
        return d.bound;
    return absent > 0 ? std::optional<int64_t>(absent) : std::nullopt;
  };
  std::optional<int64_t> batch = bound(qk, "B", 1), m = bound(qk, "M", 0),
                         n = bound(qk, "N", 0), k = bound(qk, "K", 0),
                         batch2 = bound(pv, "B", 1), m2 = bound(pv, "M", 0),
                         dv = bound(pv, "N", 0), k2 = bound(pv, "K", 0);
  if (!m || !n || !k || !dv || !m2 || !k2 || *batch != *batch2 || *m != *m2 ||
      *n != *k2 || qk.operands.size() != 3 || pv.operands.size() != 3)
    return std::nullopt;
  AttentionShape s;
  s.batch = *batch;
  s.queries = *m;
  s.keys = *n;
  s.headDim = *k;
  s.valueDim = *dv;
  s.queryBytes = qk.operands[0].bytesPerElement;
  s.keyBytes = qk.operands[1].bytesPerElement;
  s.scoreBytes = qk.operands[2].bytesPerElement;
  s.valueBytes = pv.operands[1].bytesPerElement;
  s.outputBytes = pv.operands[2].bytesPerElement;
  return s;
}

void FunctionStreaming::appendAttention(std::vector<AttentionGroup> &out,
                                        unsigned contractionBase,
                                        unsigned streamingBase,
                                        const Schedule &schedule,
                                        const DramModel *rowBuffer) const {
  for (size_t a = 0; a < layers.size(); ++a) {
    if (layers[a].kind != LayerKind::Contraction)
      continue;
    llvm::SetVector<size_t> region;
    int b = findAttention(a, region);
    std::optional<AttentionShape> shape =
        b >= 0 ? getAttentionShape(a, b) : std::nullopt;
    if (!shape)
      continue;
    AttentionGroup g;
    g.scores = contractionBase + localIndex[a];
    g.output = contractionBase + localIndex[b];
    if (g.output >= schedule.layers.size())
      continue;
    for (size_t j : region)
      g.streaming.push_back(streamingBase + localIndex[j]);
    llvm::sort(g.streaming);
    if (g.streaming.back() >= schedule.streaming.size())
      continue;
    g.shape = *shape;
    g.tiles = chooseAttentionTiles(g.shape, schedule.target);
    if (g.tiles.queryRows == 0)
      continue;
    StreamingTraffic t = getFusedAttentionTraffic(g.shape, g.tiles);
    CostBreakdown c = costStreamingLayer(t, schedule.target, rowBuffer);
    g.dramReadBytes = c.dramReadBytes;
    g.dramWriteBytes = c.dramWriteBytes;
    g.dramEnergyPJ = c.dramEnergyPJ;
    g.dramCycles = c.dramCycles;
    auto addUnfused = [&](const CostBreakdown &u) {
      g.unfusedDramBytes += u.getDramBytes();
      g.unfusedDramEnergyPJ += u.dramEnergyPJ;
      g.unfusedDramCycles += u.dramCycles;
    };
    addUnfused(schedule.layers[g.scores].cost);
    addUnfused(schedule.layers[g.output].cost);
    for (unsigned j : g.streaming)
      addUnfused(schedule.streaming[j].cost);
    // Fused only where it saves DRAM energy (tiny buffers re-read the keys
    // and values too often).
    if (g.dramEnergyPJ < g.unfusedDramEnergyPJ)
      out.push_back(std::move(g));
  }
}

} // namespace

struct StreamingAnalysis::Impl {
  CostTarget costTarget;
  std::vector<FunctionStreaming> functions;
};

StreamingAnalysis::StreamingAnalysis(ModuleOp module, const Target &target)
    : impl(std::make_unique<Impl>()) {
  impl->costTarget = CostTarget::get(target);
  for (auto func : module.getOps<func::FuncOp>())
    impl->functions.emplace_back(func, target);
}

StreamingAnalysis::~StreamingAnalysis() = default;

std::vector<StreamingLayerSchedule>
StreamingAnalysis::costLayers(const DramModel *rowBuffer) const {
  std::vector<StreamingLayerSchedule> out;
  unsigned position = 0;
  for (const FunctionStreaming &f : impl->functions)
    f.append(out, position, impl->costTarget, rowBuffer);
  return out;
}

std::vector<AttentionGroup>
StreamingAnalysis::findAttentionGroups(const Schedule &schedule,
                                       const DramModel *rowBuffer) const {
  std::vector<AttentionGroup> out;
  unsigned contractions = 0, streams = 0;
  for (const FunctionStreaming &f : impl->functions) {
    f.appendAttention(out, contractions, streams, schedule, rowBuffer);
    contractions += f.numContractions;
    streams += f.numStreaming;
  }
  return out;
}

std::vector<StreamingLayerSchedule>
romac::collectStreamingLayers(ModuleOp module, const Target &target,
                              const DramModel *rowBuffer) {
  return StreamingAnalysis(module, target).costLayers(rowBuffer);
}
