//===- HostEval.cpp - fold small constant sub-graphs -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exporters compute shapes and scales at run time (Shape -> Gather ->
// Concat -> Reshape; sqrt of a head dim for attention). When every input of
// a node is known at import time, the node is evaluated here, on the host,
// so that every shape in the emitted IR is static. Also the op registry.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <cmath>

using namespace mlir;
using namespace romac::onnximport;

namespace {

using Fn = std::function<double(llvm::ArrayRef<double>)>;

/// Element-wise evaluation with numpy broadcasting.
std::optional<HostTensor> broadcastEval(NodeContext &nc,
                                        ArrayRef<const HostTensor *> in,
                                        OnnxType outType, const Fn &fn) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (const HostTensor *t : in)
    shapes.push_back(t->shape);
  auto shape = broadcastShapes(shapes);
  if (failed(shape)) {
    (void)nc.fail("input shapes do not broadcast");
    return std::nullopt;
  }
  std::optional<int64_t> numel = checkedNumel(*shape);
  if (!numel || *numel > kMaxHostElements)
    return std::nullopt;
  HostTensor out = HostTensor::make(outType, *shape);
  int64_t rank = shape->size();
  SmallVector<int64_t> idx(rank, 0);
  SmallVector<double> args(in.size());
  for (int64_t k = 0, n = out.numel(); k < n; ++k) {
    for (size_t i = 0; i < in.size(); ++i) {
      const HostTensor &t = *in[i];
      int64_t flat = 0, off = rank - t.shape.size();
      for (size_t d = 0; d < t.shape.size(); ++d)
        flat = flat * t.shape[d] + (t.shape[d] == 1 ? 0 : idx[d + off]);
      args[i] = t.getF(flat);
    }
    double v = fn(args);
    if (!out.isFloat() && !std::isfinite(v))
      return std::nullopt; // e.g. integer division by zero: leave to IR
    out.set(k, v);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < (*shape)[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

/// Rounds results of integer ops like the integer op would.
double intDiv(double a, double b) { return b == 0 ? NAN : std::trunc(a / b); }

} // namespace

std::optional<SmallVector<HostTensor>>
romac::onnximport::evaluateOnHost(NodeContext &nc,
                                  ArrayRef<const HostTensor *> inputs) {
  StringRef op = nc.node.op_type();
  SmallVector<const HostTensor *> in;
  for (const HostTensor *t : inputs)
    if (t)
      in.push_back(t);
  if (in.empty())
    return std::nullopt;
  OnnxType t0 = in[0]->type;
  bool isF = isFloatType(t0);
  auto one = [](std::optional<HostTensor> t) -> std::optional<SmallVector<HostTensor>> {
    if (!t)
      return std::nullopt;
    return SmallVector<HostTensor>{std::move(*t)};
  };
  auto binary = [&](OnnxType type, Fn fn) {
    if (in.size() != 2)
      return std::optional<SmallVector<HostTensor>>();
    return one(broadcastEval(nc, in, type, fn));
  };
  using A = ArrayRef<double>;
  if (op == "Add")
    return binary(t0, [](A a) { return a[0] + a[1]; });
  if (op == "Sub")
    return binary(t0, [](A a) { return a[0] - a[1]; });
  if (op == "Mul")
    return binary(t0, [](A a) { return a[0] * a[1]; });
  if (op == "Div")
    return binary(t0, [isF](A a) { return isF ? a[0] / a[1] : intDiv(a[0], a[1]); });
  if (op == "Pow" && isF)
    return binary(t0, [](A a) { return std::pow(a[0], a[1]); });
  if (op == "Equal")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] == a[1]); });
  if (op == "Less")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] < a[1]); });
  if (op == "Greater")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] > a[1]); });
  if (op == "LessOrEqual")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] <= a[1]); });
  if (op == "GreaterOrEqual")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] >= a[1]); });
  if (op == "And")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] && a[1]); });
  if (op == "Or")
    return binary(onnx::TensorProto::BOOL, [](A a) { return double(a[0] || a[1]); });
  if ((op == "Max" || op == "Min") && !in.empty()) {
    bool mx = op == "Max";
    return one(broadcastEval(nc, in, t0, [mx](A a) {
      double r = a[0];
      for (double v : a.drop_front())
        r = mx ? std::max(r, v) : std::min(r, v);
      return r;
    }));
  }
  if (op == "Where" && in.size() == 3)
    return one(broadcastEval(nc, in, in[1]->type,
                             [](A a) { return a[0] != 0 ? a[1] : a[2]; }));
  auto unary = [&](Fn fn) { return one(broadcastEval(nc, {in[0]}, t0, fn)); };
  if (op == "Neg")
    return unary([](A a) { return -a[0]; });
  if (op == "Abs")
    return unary([](A a) { return std::fabs(a[0]); });
  if (op == "Not")
    return unary([](A a) { return double(a[0] == 0); });
  if (isF && op == "Sqrt")
    return unary([](A a) { return std::sqrt(a[0]); });
  if (isF && op == "Reciprocal")
    return unary([](A a) { return 1.0 / a[0]; });
  if (isF && op == "Floor")
    return unary([](A a) { return std::floor(a[0]); });
  if (isF && op == "Ceil")
    return unary([](A a) { return std::ceil(a[0]); });
  if (op == "Cast") {
    OnnxType to = nc.attrInt("to", 0);
    if (!toMlirType(nc.ctx(), to))
      return std::nullopt;
    bool toF = isFloatType(to);
    return one(broadcastEval(nc, {in[0]}, to, [toF](A a) {
      return toF ? a[0] : std::trunc(a[0]);
    }));
  }
  if (op == "ReduceProd" || (op == "ReduceSum" && nc.opset < 13 && in.size() == 1)) {
    if (!nc.attrInts("axes").empty() || nc.attrInt("keepdims", 1))
      return std::nullopt; // only the full reduction to a scalar
    HostTensor out = HostTensor::make(t0, {});
    double r = op == "ReduceProd" ? 1 : 0;
    for (int64_t k = 0; k < in[0]->numel(); ++k)
      r = op == "ReduceProd" ? r * in[0]->getF(k) : r + in[0]->getF(k);
    out.set(0, r);
    return SmallVector<HostTensor>{out};
  }
  return evaluateTensorOpOnHost(nc, inputs);
}

const llvm::StringMap<OpConverter> &romac::onnximport::opRegistry() {
  static const llvm::StringMap<OpConverter> registry = [] {
    std::vector<OpConverter> ops;
    appendElementwiseOps(ops);
    appendTensorOps(ops);
    appendResizeOps(ops);
    appendContractionOps(ops);
    appendNormReduceOps(ops);
    appendQuantizeOps(ops);
    llvm::StringMap<OpConverter> map;
    for (OpConverter &c : ops)
      map.try_emplace(c.opType, std::move(c));
    return map;
  }();
  return registry;
}

bool romac::isOnnxOpSupported(llvm::StringRef opType) {
  return onnximport::opRegistry().count(opType);
}

mlir::Type romac::onnxElementType(mlir::MLIRContext *context,
                                  int32_t onnxType) {
  return onnximport::toMlirType(context, onnxType);
}
