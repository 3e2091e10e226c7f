//===- LinalgWorkload.cpp - Workloads from linalg ops ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Support/Error.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace romac;

std::string romac::locationName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine())).str();
  return op->getName().getStringRef().str();
}

namespace {
/// A tensor.pad whose every user is a linalg op reading it as an input is
/// folded into those ops' projections: it moves no data of its own.
bool isFoldedPad(Operation *op) {
  auto pad = dyn_cast<tensor::PadOp>(op);
  if (!pad)
    return false;
  return llvm::all_of(pad->getUses(), [](OpOperand &use) {
    auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
    return user && !user.isDpsInit(&use);
  });
}

/// Whether \p v is known when compiling: a constant, seen through reshapes
/// and pads, or what a linalg op computes from such values alone (a weight's
/// transpose or broadcast). Only these are weights a compressor can encode.
bool isCompileTimeConstant(Value v, unsigned depth = 0) {
  Operation *def = v.getDefiningOp();
  if (!def || depth > 8)
    return false;
  if (isa<arith::ConstantOp>(def))
    return true;
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::PadOp>(def))
    return isCompileTimeConstant(def->getOperand(0), depth + 1);
  auto linalgOp = dyn_cast<linalg::LinalgOp>(def);
  return linalgOp && linalgOp.getNumDpsInputs() > 0 &&
         llvm::all_of(linalgOp.getDpsInputs(), [&](Value in) {
           return isCompileTimeConstant(in, depth + 1);
         });
}

/// Ops that move no data: constants, inits, reshapes and folded pads.
bool isFree(Operation *op) {
  return isa<func::FuncOp, func::ReturnOp, arith::ConstantOp, tensor::EmptyOp,
             tensor::ExpandShapeOp, tensor::CollapseShapeOp, linalg::FillOp>(
             op) ||
         isFoldedPad(op);
}
} // namespace

NameTable::NameTable(func::FuncOp func) {
  llvm::StringMap<unsigned> seen;
  for (Operation &op : func.getBody().front()) {
    if (isFree(&op))
      continue;
    std::string base = locationName(&op);
    unsigned count = seen[base]++;
    names[&op] = count ? base + "/" + std::to_string(count) : base;
  }
}

std::string NameTable::layer(Operation *op) const {
  auto it = names.find(op);
  return it != names.end() ? it->second : locationName(op);
}

std::string NameTable::tensor(Value v) const {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "onnx.name"))
        return name.str();
    return "arg" + std::to_string(arg.getArgNumber());
  }
  Operation *def = v.getDefiningOp();
  // Look through free reshapes and pads to the data's own name.
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::PadOp>(def))
    return tensor(def->getOperand(0));
  if (auto cst = dyn_cast<arith::ConstantOp>(def))
    if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      return res.getRawHandle().getKey().str();
  std::string name = layer(def);
  // A constant or init has no entry of its own; its location is usually the
  // node of the layer that uses it, so name it apart from that layer's
  // result (".../Conv" and ".../Conv:arith.constant").
  if (!names.count(def))
    name += ":" + def->getName().getStringRef().str();
  if (def->getNumResults() > 1)
    name += "#" + std::to_string(cast<OpResult>(v).getResultNumber());
  return name;
}

namespace {

/// Reads `expr` as sum(coeff * dim) + constant.
LogicalResult toIndexExpr(AffineExpr expr, IndexExpr &out, int64_t scale = 1) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr)) {
    out.constant += scale * c.getValue();
    return success();
  }
  if (auto d = dyn_cast<AffineDimExpr>(expr)) {
    for (AffineTerm &t : out.terms)
      if (t.dim == d.getPosition()) {
        t.coeff += scale;
        return success();
      }
    out.terms.push_back({d.getPosition(), scale});
    return success();
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return failure();
  if (bin.getKind() == AffineExprKind::Add)
    return success(succeeded(toIndexExpr(bin.getLHS(), out, scale)) &&
                   succeeded(toIndexExpr(bin.getRHS(), out, scale)));
  if (bin.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return toIndexExpr(bin.getLHS(), out, scale * c.getValue());
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return toIndexExpr(bin.getRHS(), out, scale * c.getValue());
  }
  return failure();
}

/// Loop names by role: convolution and contraction dims get the usual
/// letters (N K C P Q R S, B M N K); anything else d0, d1, ...
SmallVector<std::string> loopNames(linalg::LinalgOp op, OpKind &kind) {
  unsigned n = op.getNumLoops();
  SmallVector<std::string> names(n);
  // The last loops.size() letters name the loops (Q alone for 1-D, P Q for
  // 2-D); when there are more loops than letters, number the first letter.
  auto assign = [&](ArrayRef<unsigned> loops, ArrayRef<const char *> letters) {
    for (auto [k, l] : llvm::enumerate(loops))
      names[l] = loops.size() <= letters.size()
                     ? letters[letters.size() - loops.size() + k]
                     : std::string(letters.front()) + std::to_string(k);
  };
  bool isContraction =
      op.getNumReductionLoops() > 0 && op.getNumDpsInputs() >= 2;
  StringRef opName = op->getName().getStringRef();
  if (auto conv = linalg::inferConvolutionDims(op);
      succeeded(conv) && !isa<linalg::GenericOp>(op.getOperation())) {
    assign(conv->batch, {"N"});
    assign(conv->outputChannel, {"K"});
    assign(conv->inputChannel, {"C"});
    assign(conv->outputImage, {"O", "P", "Q"});
    assign(conv->filterLoop, {"T", "R", "S"});
    assign(conv->depth, {conv->inputChannel.empty() ? "C" : "G"});
    OpKind variant = opName.contains("depthwise") ? OpKind::DepthwiseConv2d
                     : !conv->depth.empty()       ? OpKind::GroupedConv2d
                                                  : OpKind::Conv2d;
    kind = getConvOpKind(variant, conv->outputImage.size())
               .value_or(OpKind::Generic);
  } else if (auto mm = isContraction ? linalg::inferContractionDims(op)
                                     : FailureOr<linalg::ContractionDimensions>(
                                           failure());
             succeeded(mm)) {
    assign(mm->batch, {"B"});
    assign(mm->m, {"M"});
    assign(mm->n, {"N"});
    assign(mm->k, {"K"});
    kind = mm->batch.empty() ? OpKind::Matmul : OpKind::BatchMatmul;
  }
  // Unnamed or duplicate-free fallback names.
  llvm::StringSet<> used;
  for (auto &name : names)
    if (!name.empty() && !used.insert(name).second)
      name.clear();
  for (unsigned i = 0; i < n; ++i)
    if (names[i].empty()) {
      std::string candidate = "d" + std::to_string(i);
      while (used.contains(candidate))
        candidate += "_";
      used.insert(candidate);
      names[i] = candidate;
    }
  return names;
}

/// True when the body never reads `operand` (a pooling window shape).
bool isShapeOnly(linalg::LinalgOp op, OpOperand &operand) {
  return !op.payloadUsesValueFromOperand(&operand) &&
         operand.get().getDefiningOp<tensor::EmptyOp>();
}

int64_t bytesOf(Type t) {
  auto shaped = cast<ShapedType>(t);
  return shaped.getNumElements() *
         std::max<int64_t>(1, shaped.getElementTypeBitWidth() / 8);
}

} // namespace

llvm::Expected<Workload>
romac::workloadFromLinalg(linalg::LinalgOp op, const NameTable &names,
                          SmallVectorImpl<Value> *values) {
  std::string layerName = names.layer(op);
  auto fail = [&](const Twine &why) {
    return makeLayerError(layerName, layerName + ": " + why);
  };
  SmallVector<Value, 3> operandValues;
  if (op.hasDynamicShape())
    return fail("dynamic shapes are not supported");
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  Workload w;
  w.name = names.layer(op);
  w.op = OpKind::Generic;
  SmallVector<std::string> loops = loopNames(op, w.op);
  auto iters = op.getIteratorTypesArray();
  for (unsigned i = 0; i < bounds.size(); ++i) {
    if (ShapedType::isDynamic(bounds[i]))
      return fail("loop " + Twine(i) + " has no static bound");
    w.dims.push_back({loops[i], bounds[i],
                      iters[i] == utils::IteratorType::reduction
                          ? LoopKind::Reduction
                          : LoopKind::Parallel});
  }
  bool hasReduction = op.getNumReductionLoops() > 0;
  unsigned realInputs = 0;
  auto maps = op.getIndexingMapsArray();
  for (OpOperand &operand : op->getOpOperands()) {
    bool isInit = op.isDpsInit(&operand);
    if (!isInit && isShapeOnly(op, operand))
      continue;
    Value v = operand.get();
    AffineMap map = maps[operand.getOperandNumber()];
    Operand o;
    // An init is named after the result it becomes.
    Value tensorValue = isInit ? Value(op.getTiedOpResult(&operand)) : v;
    o.tensor = names.tensor(tensorValue);
    operandValues.push_back(tensorValue);
    // An init is written back tile by tile and, when a reduction loop sits
    // outside its tile, read back: readwrite in the access-count contract.
    o.role = isInit ? OperandRole::ReadWrite : OperandRole::Read;
    o.constant = !isInit && isCompileTimeConstant(v);
    // Fold a tensor.pad producer: index - low pad into the unpadded tensor.
    SmallVector<int64_t> lowPad;
    if (auto pad = v.getDefiningOp<tensor::PadOp>(); pad && !isInit) {
      if (!pad.hasZeroLowPad() || !pad.hasZeroHighPad()) {
        for (OpFoldResult lo : pad.getMixedLowPad()) {
          auto attr = dyn_cast<Attribute>(lo);
          if (!attr)
            return fail("tensor.pad with dynamic padding");
          lowPad.push_back(cast<IntegerAttr>(attr).getInt());
        }
      }
      v = pad.getSource();
    }
    auto type = cast<RankedTensorType>(v.getType());
    o.bytesPerElement = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    o.extent.assign(type.getShape().begin(), type.getShape().end());
    for (auto [k, expr] : llvm::enumerate(map.getResults())) {
      IndexExpr e;
      if (failed(toIndexExpr(expr, e)))
        return fail("indexing map result is not an affine sum");
      llvm::erase_if(e.terms, [](const AffineTerm &t) { return t.coeff == 0; });
      if (!lowPad.empty())
        e.constant -= lowPad[k];
      o.projection.push_back(e);
    }
    if (isInit)
      o.name = "output";
    else if (op.getNumDpsInputs() >= 2 && realInputs == 1 && hasReduction)
      o.name = "weight";
    else
      o.name = realInputs == 0 ? "input" : "input" + std::to_string(realInputs);
    if (!isInit)
      ++realInputs;
    w.operands.push_back(std::move(o));
  }
  if (llvm::Error e = w.verify())
    return fail(llvm::toString(std::move(e)));
  if (values)
    values->append(operandValues.begin(), operandValues.end());
  return w;
}

std::vector<Layer> romac::collectLayers(func::FuncOp func) {
  std::vector<Layer> layers;
  NameTable names(func);
  func.walk([&](Operation *op) {
    if (isFree(op))
      return;
    // Only top-level ops of the function body are layers.
    if (op->getParentOp() != func.getOperation())
      return;
    Layer layer;
    layer.op = op;
    for (Value in : op->getOperands())
      if (auto t = dyn_cast<RankedTensorType>(in.getType());
          t && !in.getDefiningOp<tensor::EmptyOp>() &&
          !in.getDefiningOp<linalg::FillOp>())
        layer.streamReadBytes += bytesOf(t);
    for (Value out : op->getResults())
      if (isa<RankedTensorType>(out.getType()))
        layer.streamWriteBytes += bytesOf(out.getType());
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      llvm::Expected<Workload> w =
          workloadFromLinalg(linalgOp, names, &layer.values);
      if (w) {
        layer.workload = std::move(*w);
        unsigned reads =
            llvm::count_if(layer.workload.operands, [](const Operand &o) {
              return o.role == OperandRole::Read;
            });
        if (linalgOp.getNumReductionLoops() > 0 && reads >= 2)
          layer.kind = LayerKind::Contraction;
      } else {
        llvm::consumeError(w.takeError());
      }
    }
    if (layer.kind == LayerKind::Streaming && layer.workload.dims.empty())
      layer.workload.op = OpKind::Other;
    layer.workload.name = names.layer(op);
    if (layer.kind == LayerKind::Streaming && !layer.workload.dims.empty()) {
      bool reduction = llvm::any_of(layer.workload.dims, [](const LoopDim &d) {
        return d.kind == LoopKind::Reduction;
      });
      layer.workload.op = reduction ? OpKind::Reduction : OpKind::Elementwise;
    }
    layers.push_back(std::move(layer));
  });
  return layers;
}

Value romac::getTensorRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::PadOp>(
            def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

namespace {
/// Gives every tensor of a module an id (one per getTensorRoot() value).
class GraphTensors {
public:
  explicit GraphTensors(WorkloadGraphBuilder &builder) : builder(builder) {}

  /// The id of the tensor \p v holds, named by \p names.
  TensorId getId(Value v, const NameTable &names) {
    v = getTensorRoot(v);
    auto [it, inserted] = ids.try_emplace(v, 0);
    if (inserted) {
      int64_t bytes = 0;
      if (auto t = dyn_cast<RankedTensorType>(v.getType());
          t && t.hasStaticShape())
        bytes = bytesOf(t);
      it->second = builder.addTensor(names.tensor(v), bytes);
    }
    return it->second;
  }
  GraphTensor &get(Value v, const NameTable &names) {
    return builder.getTensor(getId(v, names));
  }

private:
  WorkloadGraphBuilder &builder;
  llvm::DenseMap<Value, TensorId> ids;
};

/// Adds the layers of \p func to \p builder and marks its resident tensors
/// and those read outside the workloads.
void addFunction(func::FuncOp func, WorkloadGraphBuilder &builder,
                 GraphTensors &tensors,
                 llvm::function_ref<void(Workload &)> prepare) {
  NameTable names(func);
  llvm::DenseSet<Operation *> withWorkload;
  for (Layer &layer : collectLayers(func)) {
    if (layer.workload.dims.empty())
      continue;
    withWorkload.insert(layer.op);
    SmallVector<TensorId, 3> ids;
    for (Value v : layer.values)
      ids.push_back(tensors.getId(v, names));
    if (layer.kind == LayerKind::Contraction) {
      if (prepare)
        prepare(layer.workload);
      builder.addLayer(std::move(layer.workload), ids);
    } else {
      builder.addStreamingLayer(std::move(layer.workload), ids);
    }
  }
  // Graph inputs and weights stay in DRAM for the whole run.
  for (BlockArgument arg : func.getArguments())
    tensors.get(arg, names).resident = true;
  for (auto cst : func.getBody().front().getOps<arith::ConstantOp>())
    if (isa<RankedTensorType>(cst.getType()))
      tensors.get(cst, names).resident = true;
  // The results and what ops without a workload read.
  for (Operation &op : func.getBody().front()) {
    bool opaque = isa<func::ReturnOp>(op) ||
                  (!isFree(&op) && !withWorkload.contains(&op));
    if (!opaque)
      continue;
    for (Value v : op.getOperands())
      if (isa<RankedTensorType>(v.getType()))
        tensors.get(v, names).readOutside = true;
  }
}
} // namespace

WorkloadGraph
romac::buildWorkloadGraph(ModuleOp module,
                          llvm::function_ref<void(Workload &)> prepare) {
  WorkloadGraphBuilder builder;
  GraphTensors tensors(builder);
  for (auto func : module.getOps<func::FuncOp>())
    addFunction(func, builder, tensors, prepare);
  return builder.build();
}
