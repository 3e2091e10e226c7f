//===- OpsNormReduce.cpp - reductions, softmax, normalizations -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax, BatchNormalization,
// InstanceNormalization (the GroupNorm idiom of torch's exporter),
// LayerNormalization and LRN, built from reductions and element-wise
// generics.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace romac::onnximport;

namespace {

using Combine = std::function<Value(OpBuilder &, Location, Value, Value)>;

Value addF(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::AddFOp::create(b, l, x, y))
                                     : Value(arith::AddIOp::create(b, l, x, y));
}
Value mulF(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::MulFOp::create(b, l, x, y))
                                     : Value(arith::MulIOp::create(b, l, x, y));
}
Value maxF(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::MaximumFOp::create(b, l, x, y))
                                     : Value(arith::MaxSIOp::create(b, l, x, y));
}
Value minF(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::MinimumFOp::create(b, l, x, y))
                                     : Value(arith::MinSIOp::create(b, l, x, y));
}

/// Reduction axes from the `axes` attribute (old opsets) or input 1.
/// Empty result with `noop` set means: return the input unchanged.
FailureOr<SmallVector<int64_t>> reduceAxes(NodeContext &nc, bool &noop) {
  int64_t rank = nc.inputShape(0).size();
  StringRef op = nc.node.op_type();
  bool fromInput = (op == "ReduceSum" && nc.opset >= 13) || nc.opset >= 18;
  SmallVector<int64_t> axes;
  if (fromInput) {
    if (nc.hasInput(1)) {
      const HostTensor *h = nc.constInput(1);
      if (!h)
        return nc.fail("axes must be a constant known at import time");
      axes = h->toInts();
    }
  } else {
    axes = nc.attrInts("axes");
  }
  noop = false;
  if (axes.empty()) {
    if (fromInput && nc.attrInt("noop_with_empty_axes", 0)) {
      noop = true;
      return axes;
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
    return axes;
  }
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    auto n = nc.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    if (!llvm::is_contained(out, *n))
      out.push_back(*n);
  }
  return out;
}

LogicalResult convertReduce(NodeContext &nc) {
  StringRef op = nc.node.op_type();
  bool noop;
  auto axes = reduceAxes(nc, noop);
  if (failed(axes))
    return failure();
  Value x = nc.input(0);
  if (!x)
    return failure();
  if (noop) {
    nc.setResult(0, x, nc.inputOnnxType(0));
    return success();
  }
  bool keep = nc.attrInt("keepdims", 1) != 0;
  auto type = cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  int64_t count = 1;
  for (int64_t a : *axes)
    count *= type.getDimSize(a);
  bool isFloat = isa<FloatType>(elem);
  if ((op == "ReduceMean" || op == "ReduceL2" || op == "ReduceLogSum" ||
       op == "ReduceLogSumExp") && !isFloat)
    return nc.fail("needs a floating-point input");
  Value pre = x;
  if (op == "ReduceSumSquare" || op == "ReduceL2")
    pre = elementwise(b, loc, {x}, type.getShape(), elem,
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        return mulF(nb, l, a[0], a[0]);
                      });
  else if (op == "ReduceL1")
    pre = elementwise(b, loc, {x}, type.getShape(), elem,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return isFloat ? Value(math::AbsFOp::create(nb, l, a[0]))
                                       : Value(math::AbsIOp::create(nb, l, a[0]));
                      });
  Value maxV;
  if (op == "ReduceLogSumExp") {
    // log(sum(exp(x - max))) + max, stable.
    maxV = reduceTensor(b, loc, x, *axes, true, lowestAttr(elem), maxF);
    pre = elementwise(b, loc, {x, maxV}, type.getShape(), elem,
                      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return math::ExpOp::create(
                            nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                      });
  }
  TypedAttr init;
  Combine combine;
  if (op == "ReduceMax") {
    init = lowestAttr(elem);
    combine = maxF;
  } else if (op == "ReduceMin") {
    init = highestAttr(elem);
    combine = minF;
  } else if (op == "ReduceProd") {
    init = scalarAttr(elem, 1.0);
    combine = mulF;
  } else {
    init = scalarAttr(elem, 0.0);
    combine = addF;
  }
  Value r = reduceTensor(b, loc, pre, *axes, keep, init, combine);
  auto rs = cast<RankedTensorType>(r.getType()).getShape();
  if (op == "ReduceMean")
    r = elementwise(b, loc, {r}, rs, elem,
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::DivFOp::create(
                          nb, l, a[0], scalarConstant(nb, l, elem, double(count)));
                    });
  else if (op == "ReduceL2")
    r = elementwise(b, loc, {r}, rs, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return math::SqrtOp::create(nb, l, a[0]);
                    });
  else if (op == "ReduceLogSum")
    r = elementwise(b, loc, {r}, rs, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return math::LogOp::create(nb, l, a[0]);
                    });
  else if (op == "ReduceLogSumExp") {
    Value m = keep ? maxV : reshapeTensor(b, loc, maxV, rs);
    r = elementwise(b, loc, {r, m}, rs, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::AddFOp::create(
                          nb, l, math::LogOp::create(nb, l, a[0]), a[1]);
                    });
  }
  nc.setResult(0, r, nc.inputOnnxType(0));
  return success();
}

LogicalResult convertArgMinMax(NodeContext &nc) {
  bool isMax = nc.node.op_type() == "ArgMax";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  bool keep = nc.attrInt("keepdims", 1) != 0;
  bool last = nc.attrInt("select_last_index", 0) != 0;
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  MLIRContext *ctx = nc.ctx();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> oe;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == *axis) {
      iters.push_back(utils::IteratorType::reduction);
      continue;
    }
    iters.push_back(utils::IteratorType::parallel);
    outShape.push_back(xs[d]);
    oe.push_back(getAffineDimExpr(d, ctx));
  }
  Value bestV = filledTensor(b, loc, outShape, elem,
                             isMax ? lowestAttr(elem) : highestAttr(elem));
  Value bestI = filledTensor(b, loc, outShape, b.getI64Type(),
                             b.getI64IntegerAttr(0));
  AffineMap outMap = AffineMap::get(rank, 0, oe, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 outMap, outMap};
  bool isFloat = isa<FloatType>(elem);
  int64_t axisV = *axis;
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{bestV.getType(), bestI.getType()}, ValueRange{x},
      ValueRange{bestV, bestI}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value v = a[0], cur = a[1], curI = a[2];
        Value better;
        if (isFloat)
          better = arith::CmpFOp::create(
              nb, l,
              isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                    : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT),
              v, cur);
        else
          better = arith::CmpIOp::create(
              nb, l,
              isMax ? (last ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sgt)
                    : (last ? arith::CmpIPredicate::sle : arith::CmpIPredicate::slt),
              v, cur);
        Value idx = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, axisV));
        // The first element always wins (the init is only a sentinel).
        Value first = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, idx,
            arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0)));
        better = arith::OrIOp::create(nb, l, better, first);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, v, cur),
                       arith::SelectOp::create(nb, l, better, idx, curI)});
      });
  Value r = op.getResult(1);
  if (keep) {
    SmallVector<int64_t> kept(xs);
    kept[*axis] = 1;
    r = reshapeTensor(b, loc, r, kept);
  }
  nc.setResult(0, r, onnx::TensorProto::INT64);
  return success();
}

LogicalResult convertSoftmax(NodeContext &nc) {
  bool isLog = nc.node.op_type() == "LogSoftmax";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  if (!isFloatType(nc.inputOnnxType(0)))
    return nc.fail("needs a floating-point input");
  auto axis = nc.normalizeAxis(nc.attrInt("axis", nc.opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  // Before opset 13 the input is coerced to 2-D at `axis`.
  SmallVector<int64_t> shape(xs), axes;
  if (nc.opset < 13) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= xs[d];
    shape = {outer, inner};
    x = reshapeTensor(b, loc, x, shape);
    axes = {1};
  } else {
    axes = {*axis};
  }
  Value m = reduceTensor(b, loc, x, axes, true, lowestAttr(elem), maxF);
  Value e = elementwise(b, loc, {x, m}, shape, elem,
                        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return math::ExpOp::create(
                              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                        });
  Value s = reduceTensor(b, loc, e, axes, true, scalarAttr(elem, 0.0), addF);
  Value y;
  if (isLog)
    y = elementwise(b, loc, {x, m, s}, shape, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                      return arith::SubFOp::create(nb, l, d,
                                                   math::LogOp::create(nb, l, a[2]));
                    });
  else
    y = elementwise(b, loc, {e, s}, shape, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::DivFOp::create(nb, l, a[0], a[1]);
                    });
  nc.setResult(0, reshapeTensor(b, loc, y, xs), nc.inputOnnxType(0));
  return success();
}

/// Operand dims for an element-wise op over an N, C, spatial... tensor of
/// `rank` (first operand) and `numChannel` per-channel vectors [C].
SmallVector<SmallVector<int64_t>> channelDims(int64_t rank,
                                              unsigned numChannel) {
  SmallVector<SmallVector<int64_t>> dims(1);
  for (int64_t d = 0; d < rank; ++d)
    dims[0].push_back(d);
  for (unsigned i = 0; i < numChannel; ++i)
    dims.push_back({1});
  return dims;
}

LogicalResult convertBatchNorm(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  if (rank < 2)
    return nc.fail("input must have rank >= 2");
  if (nc.attrInt("training_mode", 0) || nc.hasOutput(1))
    return nc.fail("training mode is not supported");
  for (unsigned i = 1; i <= 4; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{xs[1]})
      return nc.fail("parameter " + Twine(i) + " has shape " +
                     shapeString(nc.inputShape(i)) + ", expected [" +
                     Twine(xs[1]) + "]");
  double eps = nc.attrFloat("epsilon", 1e-5f);
  Value x = nc.input(0);
  SmallVector<Value> ops = {x};
  for (unsigned i = 1; i <= 4; ++i)
    ops.push_back(nc.input(i));
  if (llvm::any_of(ops, [](Value v) { return !v; }))
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Value y = elementwiseMapped(
      nc.b, nc.loc, ops, channelDims(rank, 4), xs, elem,
      [&](OpBuilder &b, Location l, ValueRange a) {
        // (x - mean) / sqrt(var + eps) * scale + bias
        Value d = arith::SubFOp::create(b, l, a[0], a[3]);
        Value v = arith::AddFOp::create(b, l, a[4], scalarConstant(b, l, elem, eps));
        Value n = arith::DivFOp::create(b, l, d, math::SqrtOp::create(b, l, v));
        return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, n, a[1]), a[2])
            .getResult();
      });
  nc.setResult(0, y, nc.inputOnnxType(0));
  return success();
}

/// Normalizes over `axes`: returns (x - mean) * rsqrt(var + eps), and the
/// mean and inverse std with kept dims.
struct Normalized {
  Value y, mean, invStd;
};

Normalized normalize(OpBuilder &b, Location loc, Value x,
                     ArrayRef<int64_t> axes, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t count = 1;
  for (int64_t a : axes)
    count *= shape[a];
  Value inv = scalarConstant(b, loc, elem, 1.0 / double(count));
  Value sum = reduceTensor(b, loc, x, axes, true, scalarAttr(elem, 0.0), addF);
  auto ks = cast<RankedTensorType>(sum.getType()).getShape();
  Value mean = elementwise(b, loc, {sum}, ks, elem,
                           [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                             return arith::MulFOp::create(nb, l, a[0], inv);
                           });
  Value sq = elementwise(b, loc, {x, mean}, shape, elem,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                           return arith::MulFOp::create(nb, l, d, d);
                         });
  Value var = reduceTensor(b, loc, sq, axes, true, scalarAttr(elem, 0.0), addF);
  Value invStd = elementwise(
      b, loc, {var}, ks, elem, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, a[0], inv),
            scalarConstant(nb, l, elem, eps));
        return math::RsqrtOp::create(nb, l, v);
      });
  Value y = elementwise(b, loc, {x, mean, invStd}, shape, elem,
                        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::MulFOp::create(
                              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]), a[2]);
                        });
  return {y, mean, invStd};
}

LogicalResult convertInstanceNorm(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  if (rank < 3)
    return nc.fail("input must have rank >= 3");
  if (!isFloatType(nc.inputOnnxType(0)))
    return nc.fail("needs a floating-point input");
  for (unsigned i = 1; i <= 2; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{xs[1]})
      return nc.fail("scale and B must have shape [" + Twine(xs[1]) + "]");
  Value x = nc.input(0);
  Value scale = nc.input(1), bias = nc.input(2);
  if (!x || !scale || !bias)
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  Normalized n = normalize(nc.b, nc.loc, x, axes, nc.attrFloat("epsilon", 1e-5f));
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Value y = elementwiseMapped(nc.b, nc.loc, {n.y, scale, bias},
                              channelDims(rank, 2), xs, elem,
                              [](OpBuilder &b, Location l, ValueRange a) -> Value {
                          return arith::AddFOp::create(
                              b, l, arith::MulFOp::create(b, l, a[0], a[1]), a[2]);
                        });
  nc.setResult(0, y, nc.inputOnnxType(0));
  return success();
}

LogicalResult convertLayerNorm(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  if (!isFloatType(nc.inputOnnxType(0)))
    return nc.fail("needs a floating-point input");
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  Value x = nc.input(0);
  if (!x)
    return failure();
  Normalized n = normalize(nc.b, nc.loc, x, axes, nc.attrFloat("epsilon", 1e-5f));
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  SmallVector<Value> ops = {n.y};
  for (unsigned i = 1; i <= 2; ++i) {
    if (!nc.hasInput(i))
      continue;
    if (failed(broadcastShapes({nc.inputShape(i), xs})))
      return nc.fail("input " + Twine(i) + " " + shapeString(nc.inputShape(i)) +
                     " does not broadcast to " + shapeString(xs));
    ops.push_back(nc.input(i));
  }
  bool hasBias = ops.size() == 3;
  Value y = elementwise(nc.b, nc.loc, ops, xs, elem,
                        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                          Value r = arith::MulFOp::create(b, l, a[0], a[1]);
                          return hasBias ? Value(arith::AddFOp::create(b, l, r, a[2]))
                                         : r;
                        });
  nc.setResult(0, y, nc.inputOnnxType(0));
  if (nc.hasOutput(1))
    nc.setResult(1, n.mean, nc.inputOnnxType(0));
  if (nc.hasOutput(2))
    nc.setResult(2, n.invStd, nc.inputOnnxType(0));
  return success();
}

LogicalResult convertLRN(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  if (rank < 3)
    return nc.fail("input must have rank >= 3");
  int64_t size = nc.attrInt("size", 0);
  if (size <= 0)
    return nc.fail("size must be positive");
  double alpha = nc.attrFloat("alpha", 1e-4f), beta = nc.attrFloat("beta", 0.75f),
         bias = nc.attrFloat("bias", 1.0f);
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Value sq = elementwise(b, loc, {x}, xs, elem,
                         [](OpBuilder &nb, Location l, ValueRange a) {
                           return mulF(nb, l, a[0], a[0]);
                         });
  // Zero-pad the channels, then a window sum over them.
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  SmallVector<int64_t> low(rank, 0), high(rank, 0), padded(xs);
  low[1] = lo;
  high[1] = hi;
  padded[1] += lo + hi;
  Value zero = scalarConstant(b, loc, elem, 0.0);
  Value sqp = padTensor(b, loc, sq, low, high, zero);
  MLIRContext *ctx = nc.ctx();
  int64_t nLoops = rank + 1;
  SmallVector<AffineExpr> in, win = {getAffineDimExpr(rank, ctx)}, out;
  for (int64_t d = 0; d < rank; ++d) {
    in.push_back(d == 1 ? getAffineDimExpr(1, ctx) + getAffineDimExpr(rank, ctx)
                        : getAffineDimExpr(d, ctx));
    out.push_back(getAffineDimExpr(d, ctx));
  }
  Value window = emptyTensor(b, loc, {size}, elem);
  Value init = filledTensor(b, loc, xs, elem, scalarAttr(elem, 0.0));
  SmallVector<utils::IteratorType> iters(nLoops, utils::IteratorType::parallel);
  iters[rank] = utils::IteratorType::reduction;
  Value sum = linalg::GenericOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{sqp, window},
                  ValueRange{init},
                  ArrayRef<AffineMap>{AffineMap::get(nLoops, 0, in, ctx),
                                      AffineMap::get(nLoops, 0, win, ctx),
                                      AffineMap::get(nLoops, 0, out, ctx)},
                  iters,
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    linalg::YieldOp::create(nb, l, addF(nb, l, a[2], a[0]));
                  })
                  .getResult(0);
  Value y = elementwise(
      b, loc, {x, sum}, xs, elem, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value s = arith::AddFOp::create(
            nb, l, scalarConstant(nb, l, elem, bias),
            arith::MulFOp::create(nb, l, scalarConstant(nb, l, elem, alpha / size), a[1]));
        Value p = math::PowFOp::create(nb, l, s, scalarConstant(nb, l, elem, beta));
        return arith::DivFOp::create(nb, l, a[0], p);
      });
  nc.setResult(0, y, nc.inputOnnxType(0));
  return success();
}

} // namespace

void romac::onnximport::appendNormReduceOps(std::vector<OpConverter> &ops) {
  for (const char *name :
       {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp"})
    ops.push_back({name, convertReduce});
  ops.push_back({"ArgMax", convertArgMinMax});
  ops.push_back({"ArgMin", convertArgMinMax});
  ops.push_back({"Softmax", convertSoftmax});
  ops.push_back({"LogSoftmax", convertSoftmax});
  ops.push_back({"BatchNormalization", convertBatchNorm});
  ops.push_back({"InstanceNormalization", convertInstanceNorm});
  ops.push_back({"LayerNormalization", convertLayerNorm, 17});
  ops.push_back({"LRN", convertLRN});
}
