//===- OpsContraction.cpp - Conv, Gemm, MatMul, pooling --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Contractions become linalg named ops where they exist (conv_2d_nchw_fchw,
// depthwise_conv_2d_nchw_chw, conv_2d_ngchw_gfchw, conv_1d/3d, matmul,
// batch_matmul) and linalg.generic otherwise. Padding is an explicit
// tensor.pad producer so that the workload analysis can fold it into the
// sliding-window projection. Pooling is a linalg.generic with window
// reduction loops. buildConv and buildMatMul also serve the quantized
// contractions (OpsQuantize.cpp).
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace romac::onnximport;

namespace {

/// The sliding window of a conv or pool along each spatial dim.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd, out;
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad and computes output
/// sizes; `ceilMode` rounds the output size up (pooling).
FailureOr<Window> computeWindow(NodeContext &nc, ArrayRef<int64_t> spatial,
                                ArrayRef<int64_t> kernel, bool ceilMode) {
  size_t k = spatial.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = nc.attrInts("strides");
  w.dilations = nc.attrInts("dilations");
  SmallVector<int64_t> pads = nc.attrInts("pads");
  if (w.strides.empty())
    w.strides.assign(k, 1);
  if (w.dilations.empty())
    w.dilations.assign(k, 1);
  if (pads.empty())
    pads.assign(2 * k, 0);
  if (w.kernel.size() != k || w.strides.size() != k ||
      w.dilations.size() != k || pads.size() != 2 * k)
    return nc.fail("kernel_shape, strides, dilations or pads do not match " +
                   Twine(k) + " spatial dims");
  std::string autoPad = nc.attrString("auto_pad", "NOTSET");
  for (size_t d = 0; d < k; ++d) {
    if (w.strides[d] <= 0 || w.dilations[d] <= 0 || w.kernel[d] <= 0)
      return nc.fail("strides, dilations and kernel sizes must be positive");
    int64_t span = w.dilations[d] * (w.kernel[d] - 1) + 1;
    int64_t pb = pads[d], pe = pads[d + k];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (spatial[d] + w.strides[d] - 1) / w.strides[d];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.strides[d] + span - spatial[d]);
      pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (autoPad == "VALID") {
      pb = pe = 0;
    } else if (autoPad != "NOTSET") {
      return nc.fail("auto_pad '" + autoPad + "' is not supported");
    }
    if (pb < 0 || pe < 0)
      return nc.fail("negative pads are not supported");
    int64_t avail = spatial[d] + pb + pe - span;
    if (avail < 0)
      return nc.fail("the window (" + Twine(span) +
                     ") is larger than the padded input (" +
                     Twine(spatial[d] + pb + pe) + ")");
    int64_t out = ceilMode ? (avail + w.strides[d] - 1) / w.strides[d] + 1
                           : avail / w.strides[d] + 1;
    w.padBegin.push_back(pb);
    w.padEnd.push_back(pe);
    w.out.push_back(out);
  }
  return w;
}

DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> v) {
  return DenseIntElementsAttr::get(
      RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getI64Type()),
      v);
}

/// Pads the spatial dims (from dim 2 on) of an NC... tensor.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> lo,
                 ArrayRef<int64_t> hi, TypedAttr value) {
  auto type = cast<RankedTensorType>(x.getType());
  if (llvm::all_of(lo, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(hi, [](int64_t v) { return v == 0; }))
    return x;
  (void)type;
  SmallVector<int64_t> low = {0, 0}, high = {0, 0};
  low.append(lo.begin(), lo.end());
  high.append(hi.begin(), hi.end());
  Value pad = arith::ConstantOp::create(b, loc, value);
  return padTensor(b, loc, x, low, high, pad);
}

/// A grouped convolution of any spatial rank as linalg.generic over
/// X [N, G, Cg, I...] and W [G, Mg, Cg, K...] into [N, G, Mg, O...].
Value genericConv(OpBuilder &b, Location loc, Value x, Value w,
                  const Window &win, Type elem) {
  MLIRContext *ctx = b.getContext();
  auto xs = cast<RankedTensorType>(x.getType()).getShape();
  auto ws = cast<RankedTensorType>(w.getType()).getShape();
  int64_t k = win.out.size();
  // Loops: n, g, mg, o_1..o_k, cg, r_1..r_k.
  int64_t nLoops = 3 + k + 1 + k;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> xe = {dim(0), dim(1), dim(3 + k)}, we, oe;
  we = {dim(1), dim(2), dim(3 + k)};
  oe = {dim(0), dim(1), dim(2)};
  for (int64_t d = 0; d < k; ++d) {
    xe.push_back(dim(3 + d) * win.strides[d] + dim(4 + k + d) * win.dilations[d]);
    we.push_back(dim(4 + k + d));
    oe.push_back(dim(3 + d));
  }
  SmallVector<int64_t> outShape = {xs[0], xs[1], ws[1]};
  outShape.append(win.out.begin(), win.out.end());
  Value init = filledTensor(b, loc, outShape, elem, scalarAttr(elem, 0.0));
  SmallVector<AffineMap> maps = {AffineMap::get(nLoops, 0, xe, ctx),
                                 AffineMap::get(nLoops, 0, we, ctx),
                                 AffineMap::get(nLoops, 0, oe, ctx)};
  SmallVector<utils::IteratorType> iters(nLoops, utils::IteratorType::parallel);
  for (int64_t i = 3 + k; i < nLoops; ++i)
    iters[i] = utils::IteratorType::reduction;
  bool isFloat = isa<FloatType>(elem);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x, w}, ValueRange{init},
      maps, iters, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value m = isFloat ? Value(arith::MulFOp::create(nb, l, a[0], a[1]))
                          : Value(arith::MulIOp::create(nb, l, a[0], a[1]));
        Value s = isFloat ? Value(arith::AddFOp::create(nb, l, a[2], m))
                          : Value(arith::AddIOp::create(nb, l, a[2], m));
        linalg::YieldOp::create(nb, l, s);
      });
  (void)xs;
  return op.getResult(0);
}

} // namespace

FailureOr<Value> romac::onnximport::buildConv(NodeContext &nc, Value x, Value w,
                                              Value bias) {
  ArrayRef<int64_t> xs = cast<RankedTensorType>(x.getType()).getShape();
  ArrayRef<int64_t> ws = cast<RankedTensorType>(w.getType()).getShape();
  if (xs.size() < 3 || ws.size() != xs.size())
    return nc.fail("input " + shapeString(xs) + " and weight " +
                   shapeString(ws) + " must have the same rank >= 3");
  int64_t k = xs.size() - 2, n = xs[0], c = xs[1], m = ws[0];
  int64_t group = nc.attrInt("group", 1);
  if (group <= 0 || c % group != 0 || m % group != 0 || ws[1] != c / group)
    return nc.fail("weight " + shapeString(ws) + " does not match input " +
                   shapeString(xs) + " with group " + Twine(group));
  SmallVector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (nc.hasAttr("kernel_shape") && nc.attrInts("kernel_shape") != kernel)
    return nc.fail("kernel_shape does not match the weight's shape");
  auto win = computeWindow(nc, xs.drop_front(2), kernel, /*ceilMode=*/false);
  if (failed(win))
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  TypedAttr zero = scalarAttr(elem, 0.0);
  SmallVector<int64_t> outShape = {n, m};
  outShape.append(win->out.begin(), win->out.end());
  auto outType = RankedTensorType::get(outShape, elem);
  auto strides = i64Vector(b, win->strides);
  auto dilations = i64Vector(b, win->dilations);
  bool grouped = group != 1 && !(k == 2 && group == c && m == c);
  // The pad is the direct producer of the conv's input (after the group
  // split, if any), so the workload analysis folds it into the projection.
  if (!grouped)
    x = padSpatial(b, loc, x, win->padBegin, win->padEnd, zero);
  Value y;
  if (group == 1 && k == 2) {
    Value init = filledTensor(b, loc, outShape, elem, zero);
    y = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{outType},
                                         ValueRange{x, w}, ValueRange{init},
                                         strides, dilations)
            .getResult(0);
  } else if (group == 1 && k == 1) {
    Value init = filledTensor(b, loc, outShape, elem, zero);
    y = linalg::Conv1DNcwFcwOp::create(b, loc, TypeRange{outType},
                                       ValueRange{x, w}, ValueRange{init},
                                       strides, dilations)
            .getResult(0);
  } else if (group == 1 && k == 3) {
    Value init = filledTensor(b, loc, outShape, elem, zero);
    y = linalg::Conv3DNcdhwFcdhwOp::create(b, loc, TypeRange{outType},
                                           ValueRange{x, w}, ValueRange{init},
                                           strides, dilations)
            .getResult(0);
  } else if (!grouped) {
    // Depthwise: W [C, 1, KH, KW] -> [C, KH, KW].
    Value w3 = reshapeTensor(b, loc, w, {c, ws[2], ws[3]});
    Value init = filledTensor(b, loc, outShape, elem, zero);
    y = linalg::DepthwiseConv2DNchwChwOp::create(
            b, loc, TypeRange{outType}, ValueRange{x, w3}, ValueRange{init},
            strides, dilations)
            .getResult(0);
  } else {
    // Grouped: split the channel dims into [G, C/G] and [G, M/G], then pad
    // the spatial dims (3 on).
    SmallVector<int64_t> xg = {n, group, c / group};
    xg.append(xs.begin() + 2, xs.end());
    SmallVector<int64_t> wg = {group, m / group, c / group};
    wg.append(kernel.begin(), kernel.end());
    Value x5 = reshapeTensor(b, loc, x, xg);
    SmallVector<int64_t> lo = {0}, hi = {0};
    lo.append(win->padBegin.begin(), win->padBegin.end());
    hi.append(win->padEnd.begin(), win->padEnd.end());
    x5 = padSpatial(b, loc, x5, lo, hi, zero);
    Value w5 = reshapeTensor(b, loc, w, wg);
    SmallVector<int64_t> og = {n, group, m / group};
    og.append(win->out.begin(), win->out.end());
    if (k == 2) {
      Value init = filledTensor(b, loc, og, elem, zero);
      y = linalg::Conv2DNgchwGfchwOp::create(
              b, loc, TypeRange{RankedTensorType::get(og, elem)},
              ValueRange{x5, w5}, ValueRange{init}, strides, dilations)
              .getResult(0);
    } else {
      y = genericConv(b, loc, x5, w5, *win, elem);
    }
    y = reshapeTensor(b, loc, y, outShape);
  }
  if (bias) {
    ArrayRef<int64_t> bs = cast<RankedTensorType>(bias.getType()).getShape();
    if (bs != ArrayRef<int64_t>{m})
      return nc.fail("bias " + shapeString(bs) + " does not match " + Twine(m) +
                     " output channels");
    SmallVector<SmallVector<int64_t>> dims = {{}, {1}};
    for (int64_t d = 0; d < k + 2; ++d)
      dims[0].push_back(d);
    y = elementwiseMapped(b, loc, {y, bias}, dims, outShape, elem,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::AddFOp::create(nb, l, a[0], a[1]);
                    });
  }
  return y;
}

namespace {

LogicalResult convertConv(NodeContext &nc) {
  if (!isFloatType(nc.inputOnnxType(0)))
    return nc.fail("only floating-point convolutions are supported");
  Value x = nc.input(0), w = nc.input(1), bias;
  if (!x || !w)
    return failure();
  if (nc.hasInput(2) && !(bias = nc.input(2)))
    return failure();
  FailureOr<Value> y = buildConv(nc, x, w, bias);
  if (failed(y))
    return failure();
  nc.setResult(0, *y, nc.inputOnnxType(0));
  return success();
}

/// C = A x B for 2-D operands.
Value matmul2d(OpBuilder &b, Location loc, Value a, Value bm, Type elem) {
  auto as = cast<RankedTensorType>(a.getType()).getShape();
  auto bs = cast<RankedTensorType>(bm.getType()).getShape();
  SmallVector<int64_t> shape = {as[0], bs[1]};
  Value init = filledTensor(b, loc, shape, elem, scalarAttr(elem, 0.0));
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{a, bm}, ValueRange{init})
      .getResult(0);
}

LogicalResult convertGemm(NodeContext &nc) {
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(1);
  if (as.size() != 2 || bs.size() != 2)
    return nc.fail("A and B must be 2-D, got " + shapeString(as) + " and " +
                   shapeString(bs));
  bool ta = nc.attrInt("transA", 0), tb = nc.attrInt("transB", 0);
  double alpha = nc.attrFloat("alpha", 1.0f), beta = nc.attrFloat("beta", 1.0f);
  int64_t m = ta ? as[1] : as[0], ka = ta ? as[0] : as[1];
  int64_t kb = tb ? bs[1] : bs[0], n = tb ? bs[0] : bs[1];
  if (ka != kb)
    return nc.fail("inner dims differ: " + Twine(ka) + " and " + Twine(kb));
  Value a = nc.input(0), bm = nc.input(1);
  if (!a || !bm)
    return failure();
  Type elem = cast<RankedTensorType>(a.getType()).getElementType();
  OpBuilder &b = nc.b;
  if (ta)
    a = transposeTensor(b, nc.loc, a, {1, 0});
  if (tb)
    bm = transposeTensor(b, nc.loc, bm, {1, 0});
  Value y = matmul2d(b, nc.loc, a, bm, elem);
  SmallVector<int64_t> shape = {m, n};
  bool isFloat = isa<FloatType>(elem);
  auto mul = [&](OpBuilder &nb, Location l, Value x, Value y) -> Value {
    return isFloat ? Value(arith::MulFOp::create(nb, l, x, y))
                   : Value(arith::MulIOp::create(nb, l, x, y));
  };
  auto add = [&](OpBuilder &nb, Location l, Value x, Value y) -> Value {
    return isFloat ? Value(arith::AddFOp::create(nb, l, x, y))
                   : Value(arith::AddIOp::create(nb, l, x, y));
  };
  bool hasC = nc.hasInput(2) && beta != 0.0;
  if (alpha != 1.0 || hasC) {
    SmallVector<Value> operands = {y};
    if (hasC) {
      Value c = nc.input(2);
      if (!c)
        return failure();
      if (failed(broadcastShapes({nc.inputShape(2), ArrayRef<int64_t>(shape)})))
        return nc.fail("C " + shapeString(nc.inputShape(2)) +
                       " does not broadcast to " + shapeString(shape));
      operands.push_back(c);
    }
    y = elementwise(b, nc.loc, operands, shape, elem,
                    [&](OpBuilder &nb, Location l, ValueRange v) {
                      Value r = v[0];
                      if (alpha != 1.0)
                        r = mul(nb, l, r, scalarConstant(nb, l, elem, alpha));
                      if (v.size() > 1) {
                        Value c = v[1];
                        if (beta != 1.0)
                          c = mul(nb, l, c, scalarConstant(nb, l, elem, beta));
                        r = add(nb, l, r, c);
                      }
                      return r;
                    });
  }
  nc.setResult(0, y, nc.inputOnnxType(0));
  return success();
}

} // namespace

FailureOr<Value> romac::onnximport::buildMatMul(NodeContext &nc, Value a,
                                                Value bm) {
  ArrayRef<int64_t> aShape = cast<RankedTensorType>(a.getType()).getShape();
  ArrayRef<int64_t> bShape = cast<RankedTensorType>(bm.getType()).getShape();
  SmallVector<int64_t> as(aShape), bs(bShape);
  if (as.empty() || bs.empty())
    return nc.fail("operands must have rank >= 1");
  Type elem = cast<RankedTensorType>(a.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA) {
    as.insert(as.begin(), 1);
    a = reshapeTensor(b, loc, a, as);
  }
  if (vecB) {
    bs.push_back(1);
    bm = reshapeTensor(b, loc, bm, bs);
  }
  int64_t m = as[as.size() - 2], k = as.back(), kb = bs[bs.size() - 2],
          n = bs.back();
  if (k != kb)
    return nc.fail("inner dims differ: " + shapeString(aShape) + " x " +
                   shapeString(bShape));
  ArrayRef<int64_t> abatch = ArrayRef<int64_t>(as).drop_back(2);
  ArrayRef<int64_t> bbatch = ArrayRef<int64_t>(bs).drop_back(2);
  auto batch = broadcastShapes({abatch, bbatch});
  if (failed(batch))
    return nc.fail("batch dims do not broadcast");
  int64_t nb = 1;
  for (int64_t d : *batch)
    nb *= d;
  SmallVector<int64_t> outShape(*batch);
  outShape.push_back(m);
  outShape.push_back(n);
  Value y;
  if (bbatch.empty() || llvm::all_of(bbatch, [](int64_t d) { return d == 1; })) {
    // B is one matrix: fold A's batch into its rows (a Linear layer).
    int64_t rows = 1;
    for (int64_t d : abatch)
      rows *= d;
    Value a2 = reshapeTensor(b, loc, a, {rows * m, k});
    Value b2 = reshapeTensor(b, loc, bm, {k, n});
    y = reshapeTensor(b, loc, matmul2d(b, loc, a2, b2, elem), outShape);
  } else {
    // Broadcast both to the full batch, then one batch_matmul.
    auto expandTo = [&](Value v, ArrayRef<int64_t> vs, int64_t r, int64_t c) {
      SmallVector<int64_t> full(*batch);
      full.push_back(r);
      full.push_back(c);
      if (ArrayRef<int64_t>(vs) != ArrayRef<int64_t>(full))
        v = elementwise(b, loc, {v}, full, elem,
                        [](OpBuilder &, Location, ValueRange x) { return x[0]; });
      return reshapeTensor(b, loc, v, {nb, r, c});
    };
    Value a3 = expandTo(a, as, m, k), b3 = expandTo(bm, bs, k, n);
    SmallVector<int64_t> s3 = {nb, m, n};
    Value init = filledTensor(b, loc, s3, elem, scalarAttr(elem, 0.0));
    y = linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()},
                                      ValueRange{a3, b3}, ValueRange{init})
            .getResult(0);
    y = reshapeTensor(b, loc, y, outShape);
  }
  SmallVector<int64_t> finalShape(*batch);
  if (!vecA)
    finalShape.push_back(m);
  if (!vecB)
    finalShape.push_back(n);
  return reshapeTensor(b, loc, y, finalShape);
}

namespace {

LogicalResult convertMatMul(NodeContext &nc) {
  Value a = nc.input(0), bm = nc.input(1);
  if (!a || !bm)
    return failure();
  FailureOr<Value> y = buildMatMul(nc, a, bm);
  if (failed(y))
    return failure();
  nc.setResult(0, *y, nc.inputOnnxType(0));
  return success();
}

/// Max and average pooling of any spatial rank as linalg.generic.
LogicalResult convertPool(NodeContext &nc) {
  StringRef op = nc.node.op_type();
  bool isMax = op == "MaxPool" || op == "GlobalMaxPool";
  bool global = op.starts_with("Global");
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 3)
    return nc.fail("input must have rank >= 3");
  if (!isFloatType(nc.inputOnnxType(0)) && !isMax)
    return nc.fail("average pooling needs a floating-point input");
  if (nc.hasOutput(1))
    return nc.fail("the Indices output is not supported");
  int64_t k = xs.size() - 2;
  SmallVector<int64_t> kernel = global ? SmallVector<int64_t>(xs.drop_front(2))
                                       : nc.attrInts("kernel_shape");
  if (static_cast<int64_t>(kernel.size()) != k)
    return nc.fail("kernel_shape must have " + Twine(k) + " entries");
  bool ceilMode = nc.attrInt("ceil_mode", 0) != 0;
  FailureOr<Window> win;
  if (global) {
    Window w;
    w.kernel = kernel;
    w.strides.assign(k, 1);
    w.dilations.assign(k, 1);
    w.padBegin.assign(k, 0);
    w.padEnd.assign(k, 0);
    w.out.assign(k, 1);
    win = w;
  } else {
    win = computeWindow(nc, xs.drop_front(2), kernel, ceilMode);
    if (failed(win))
      return failure();
  }
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  // Pad so that every window fits, including ceil_mode's partial windows.
  SmallVector<int64_t> hi;
  for (int64_t d = 0; d < k; ++d) {
    int64_t need = (win->out[d] - 1) * win->strides[d] +
                   win->dilations[d] * (win->kernel[d] - 1) + 1;
    hi.push_back(std::max(win->padEnd[d],
                          need - xs[2 + d] - win->padBegin[d]));
  }
  TypedAttr padValue = isMax ? lowestAttr(elem) : scalarAttr(elem, 0.0);
  x = padSpatial(b, loc, x, win->padBegin, hi, padValue);
  MLIRContext *ctx = b.getContext();
  int64_t nLoops = 2 + 2 * k;
  SmallVector<AffineExpr> xe = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> we, oe = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
  for (int64_t d = 0; d < k; ++d) {
    xe.push_back(getAffineDimExpr(2 + d, ctx) * win->strides[d] +
                 getAffineDimExpr(2 + k + d, ctx) * win->dilations[d]);
    we.push_back(getAffineDimExpr(2 + k + d, ctx));
    oe.push_back(getAffineDimExpr(2 + d, ctx));
  }
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(win->out.begin(), win->out.end());
  Value init = filledTensor(b, loc, outShape, elem, padValue);
  // The window operand only carries the window's shape.
  Value window = emptyTensor(b, loc, win->kernel, elem);
  SmallVector<AffineMap> maps = {AffineMap::get(nLoops, 0, xe, ctx),
                                 AffineMap::get(nLoops, 0, we, ctx),
                                 AffineMap::get(nLoops, 0, oe, ctx)};
  SmallVector<utils::IteratorType> iters(nLoops, utils::IteratorType::parallel);
  for (int64_t i = 2 + k; i < nLoops; ++i)
    iters[i] = utils::IteratorType::reduction;
  bool isFloat = isa<FloatType>(elem);
  Value y = linalg::GenericOp::create(
                b, loc, TypeRange{init.getType()}, ValueRange{x, window},
                ValueRange{init}, maps, iters,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value r;
                  if (isMax)
                    r = isFloat ? Value(arith::MaximumFOp::create(nb, l, a[2], a[0]))
                                : Value(arith::MaxSIOp::create(nb, l, a[2], a[0]));
                  else
                    r = arith::AddFOp::create(nb, l, a[2], a[0]);
                  linalg::YieldOp::create(nb, l, r);
                })
                .getResult(0);
  if (!isMax) {
    // Divisor per output position: window elements inside the input (or
    // inside the explicitly padded input with count_include_pad).
    bool includePad = nc.attrInt("count_include_pad", 0) != 0;
    SmallVector<SmallVector<int64_t>> counts(k);
    bool uniform = true;
    int64_t full = 1;
    for (int64_t d = 0; d < k; ++d) {
      full *= win->kernel[d];
      int64_t lo = includePad ? -win->padBegin[d] : 0;
      int64_t hiB = includePad ? xs[2 + d] + win->padEnd[d] : xs[2 + d];
      for (int64_t o = 0; o < win->out[d]; ++o) {
        int64_t cnt = 0;
        for (int64_t r = 0; r < win->kernel[d]; ++r) {
          int64_t i = o * win->strides[d] + r * win->dilations[d] -
                      win->padBegin[d];
          cnt += i >= lo && i < hiB;
        }
        counts[d].push_back(cnt);
        uniform &= cnt == win->kernel[d];
      }
    }
    if (uniform) {
      y = elementwise(b, loc, {y}, outShape, elem,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::DivFOp::create(
                            nb, l, a[0], scalarConstant(nb, l, elem, double(full)));
                      });
    } else {
      SmallVector<int64_t> dshape = {1, 1};
      dshape.append(win->out.begin(), win->out.end());
      HostTensor div = HostTensor::make(nc.inputOnnxType(0), dshape);
      SmallVector<int64_t> idx(k, 0);
      for (int64_t e = 0; e < div.numel(); ++e) {
        double c = 1;
        for (int64_t d = 0; d < k; ++d)
          c *= counts[d][idx[d]];
        div.f[e] = c;
        for (int64_t d = k - 1; d >= 0; --d) {
          if (++idx[d] < win->out[d])
            break;
          idx[d] = 0;
        }
      }
      Value divisor = materialize(b, loc, div);
      y = elementwise(b, loc, {y, divisor}, outShape, elem,
                      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::DivFOp::create(nb, l, a[0], a[1]);
                      });
    }
  }
  nc.setResult(0, y, nc.inputOnnxType(0));
  return success();
}

} // namespace

void romac::onnximport::appendContractionOps(std::vector<OpConverter> &ops) {
  ops.push_back({"Conv", convertConv});
  ops.push_back({"Gemm", convertGemm});
  ops.push_back({"MatMul", convertMatMul});
  ops.push_back({"MaxPool", convertPool});
  ops.push_back({"AveragePool", convertPool});
  ops.push_back({"GlobalAveragePool", convertPool});
  ops.push_back({"GlobalMaxPool", convertPool});
}
