//===- OpsTensor.cpp - shape and data-movement ONNX ops --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Constants, shapes, reshapes, transposes, slicing, gathering, padding. Each
// op's parameters are computed once (TensorParams.cpp) and used both to build
// IR here and to fold the op on the host when its inputs are known
// (TensorHostEval.cpp). Resize and the depth/space shuffles are in
// OpsResize.cpp.
//
//===----------------------------------------------------------------------===//

#include "TensorParams.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <cmath>

using namespace mlir;
using namespace romac::onnximport;

namespace {

//===----------------------------------------------------------------------===//
// IR converters
//===----------------------------------------------------------------------===//

LogicalResult setReshaped(NodeContext &nc, ArrayRef<int64_t> shape) {
  Value x = nc.input(0);
  if (!x)
    return failure();
  nc.setResult(0, reshapeTensor(nc.b, nc.loc, x, shape), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertShape(NodeContext &nc) {
  ArrayRef<int64_t> shape = nc.inputShape(0);
  int64_t rank = shape.size();
  int64_t start = nc.attrInt("start", 0), end = nc.attrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  HostTensor t = HostTensor::make(onnx::TensorProto::INT64, {end - start});
  for (int64_t k = start; k < end; ++k)
    t.i[k - start] = shape[k];
  nc.setConstResult(0, t);
  return success();
}

LogicalResult convertSize(NodeContext &nc) {
  HostTensor t = HostTensor::make(onnx::TensorProto::INT64, {});
  t.i[0] = nc.inputType(0).getNumElements();
  nc.setConstResult(0, t);
  return success();
}

LogicalResult convertConstant(NodeContext &nc) {
  const onnx::AttributeProto *a = nullptr;
  for (const auto &attr : nc.node.attribute())
    a = &attr;
  if (!a || nc.node.attribute_size() != 1)
    return nc.fail("needs exactly one value attribute");
  StringRef name = a->name();
  if (name == "value") {
    if (auto h = nc.readTensor(a->t())) {
      nc.setConstResult(0, *h);
      return success();
    }
    Value v = nc.tensorConstant(a->t());
    if (!v)
      return failure();
    nc.setResult(0, v, a->t().data_type());
    return success();
  }
  HostTensor t;
  if (name == "value_float" || name == "value_floats") {
    bool scalar = name == "value_float";
    t = HostTensor::make(onnx::TensorProto::FLOAT,
                         scalar ? SmallVector<int64_t>{}
                                : SmallVector<int64_t>{a->floats_size()});
    for (int64_t k = 0; k < t.numel(); ++k)
      t.f[k] = scalar ? a->f() : a->floats(k);
  } else if (name == "value_int" || name == "value_ints") {
    bool scalar = name == "value_int";
    t = HostTensor::make(onnx::TensorProto::INT64,
                         scalar ? SmallVector<int64_t>{}
                                : SmallVector<int64_t>{a->ints_size()});
    for (int64_t k = 0; k < t.numel(); ++k)
      t.i[k] = scalar ? a->i() : a->ints(k);
  } else {
    return nc.fail("constant attribute '" + name + "' is not supported");
  }
  nc.setConstResult(0, t);
  return success();
}

LogicalResult convertConstantOfShape(NodeContext &nc) {
  const HostTensor *shapeT = nc.constInput(0);
  if (!shapeT)
    return nc.fail("the shape input must be a constant known at import time");
  SmallVector<int64_t> shape = shapeT->toInts();
  for (int64_t d : shape)
    if (d < 0)
      return nc.fail("negative dim " + Twine(d) + " in shape");
  HostTensor value = HostTensor::make(onnx::TensorProto::FLOAT, {});
  if (const auto *a = nc.attr("value")) {
    auto h = nc.readTensor(a->t());
    if (!h || h->numel() != 1)
      return nc.fail("value must hold one element");
    value = *h;
  }
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (llvm::MulOverflow(numel, d, numel))
      return nc.fail("shape " + shapeString(shape) + " overflows");
  }
  if (numel <= 1024) {
    HostTensor t = HostTensor::make(value.type, shape);
    for (int64_t k = 0; k < numel; ++k)
      t.set(k, value.getF(0));
    if (!t.isFloat())
      for (int64_t k = 0; k < numel; ++k)
        t.i[k] = value.getI(0);
    nc.setConstResult(0, t);
    return success();
  }
  Type elem = toMlirType(nc.ctx(), value.type);
  if (!elem)
    return nc.fail("unsupported value type " + typeName(value.type));
  // A splat: cheap to hold in the IR whatever the size.
  auto type = RankedTensorType::get(shape, elem);
  TypedAttr scalar = value.isFloat() ? scalarAttr(elem, value.f[0])
                                     : scalarAttr(elem, double(value.i[0]));
  Value v = arith::ConstantOp::create(nc.b, nc.loc,
                                      SplatElementsAttr::get(type, scalar));
  nc.setResult(0, v, value.type);
  return success();
}

LogicalResult convertReshape(NodeContext &nc) {
  SmallVector<int64_t> spec;
  if (nc.opset < 5) {
    spec = nc.attrInts("shape");
  } else {
    const HostTensor *h = nc.constInput(1);
    if (!h)
      return nc.fail("the shape input '" + nc.node.input(1) +
                     "' must be a constant known at import time");
    spec = h->toInts();
  }
  auto shape = reshapeTarget(nc, nc.inputShape(0), spec);
  if (failed(shape))
    return failure();
  return setReshaped(nc, *shape);
}

LogicalResult convertFlatten(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  auto axis = flattenAxis(nc, in.size());
  if (failed(axis))
    return failure();
  return setReshaped(nc, flattenShape(nc, in, *axis));
}

LogicalResult convertSqueeze(NodeContext &nc) {
  auto shape = squeezeShape(nc, nc.inputShape(0));
  return failed(shape) ? failure() : setReshaped(nc, *shape);
}

LogicalResult convertUnsqueeze(NodeContext &nc) {
  auto shape = unsqueezeShape(nc, nc.inputShape(0));
  return failed(shape) ? failure() : setReshaped(nc, *shape);
}

LogicalResult convertTranspose(NodeContext &nc) {
  Value x = nc.input(0);
  if (!x)
    return failure();
  auto perm = transposePerm(nc, nc.inputShape(0).size());
  if (failed(perm))
    return failure();
  nc.setResult(0, transposeTensor(nc.b, nc.loc, x, *perm), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertConcat(NodeContext &nc) {
  int64_t rank = nc.inputShape(0).size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<Value> parts;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i))
      continue;
    ArrayRef<int64_t> s = nc.inputShape(i);
    if (static_cast<int64_t>(s.size()) != rank)
      return nc.fail("inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && s[d] != nc.inputShape(0)[d])
        return nc.fail("input " + Twine(i) + " has shape " + shapeString(s) +
                       ", incompatible with " + shapeString(nc.inputShape(0)));
    if (s[*axis] == 0)
      continue;
    Value v = nc.input(i);
    if (!v)
      return failure();
    parts.push_back(v);
  }
  if (parts.empty())
    return nc.fail("all inputs are empty");
  Value result = parts.size() == 1
                     ? parts[0]
                     : Value(tensor::ConcatOp::create(nc.b, nc.loc, *axis, parts));
  nc.setResult(0, result, nc.inputOnnxType(0));
  return success();
}

/// tensor.extract_slice with static offsets/sizes/strides (positive steps).
Value extractSlice(OpBuilder &b, Location loc, Value x,
                   ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                   ArrayRef<int64_t> strides) {
  auto type = cast<RankedTensorType>(x.getType());
  if (llvm::all_of(offsets, [](int64_t o) { return o == 0; }) &&
      llvm::all_of(strides, [](int64_t s) { return s == 1; }) &&
      type.getShape() == sizes)
    return x;
  SmallVector<OpFoldResult> o, s, st;
  for (size_t k = 0; k < offsets.size(); ++k) {
    o.push_back(b.getIndexAttr(offsets[k]));
    s.push_back(b.getIndexAttr(sizes[k]));
    st.push_back(b.getIndexAttr(strides[k]));
  }
  auto resultType = RankedTensorType::get(sizes, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, x, o, s, st);
}

LogicalResult convertSlice(NodeContext &nc) {
  Value x = nc.input(0);
  if (!x)
    return failure();
  auto p = sliceParams(nc, nc.inputShape(0));
  if (failed(p))
    return failure();
  if (llvm::all_of(p->step, [](int64_t s) { return s > 0; })) {
    nc.setResult(0, extractSlice(nc.b, nc.loc, x, p->start, p->size, p->step),
                 nc.inputOnnxType(0));
    return success();
  }
  // Negative steps: out[i] = x[start + i * step] through an affine map.
  MLIRContext *ctx = nc.ctx();
  int64_t rank = p->size.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx) * p->step[d] + p->start[d]);
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Value init = emptyTensor(nc.b, nc.loc, p->size, elem);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
      maps, iters, [](OpBuilder &b, Location l, ValueRange a) {
        linalg::YieldOp::create(b, l, a[0]);
      });
  nc.setResult(0, op.getResult(0), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertSplit(NodeContext &nc) {
  Value x = nc.input(0);
  if (!x)
    return failure();
  ArrayRef<int64_t> shape = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), shape.size());
  if (failed(axis))
    return failure();
  auto sizes = splitSizes(nc, shape[*axis]);
  if (failed(sizes))
    return failure();
  int64_t offset = 0;
  for (auto [k, s] : llvm::enumerate(*sizes)) {
    SmallVector<int64_t> offsets(shape.size(), 0), sz(shape), strides(shape.size(), 1);
    offsets[*axis] = offset;
    sz[*axis] = s;
    nc.setResult(k, extractSlice(nc.b, nc.loc, x, offsets, sz, strides),
                 nc.inputOnnxType(0));
    offset += s;
  }
  return success();
}

LogicalResult convertGather(NodeContext &nc) {
  Value data = nc.input(0), indices = nc.input(1);
  if (!data || !indices)
    return failure();
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1);
  int64_t rank = ds.size(), ir = is.size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (const HostTensor *h = nc.constInput(1)) {
    for (int64_t k = 0; k < h->numel(); ++k)
      if (h->getI(k) < -ds[*axis] || h->getI(k) >= ds[*axis])
        return nc.fail("index " + Twine(h->getI(k)) +
                       " is out of range for axis size " + Twine(ds[*axis]));
    // A single constant index: a slice.
    if (h->numel() == 1) {
      int64_t v = h->getI(0);
      if (v < 0)
        v += ds[*axis];
      SmallVector<int64_t> offsets(rank, 0), sizes(ds), strides(rank, 1);
      offsets[*axis] = v;
      sizes[*axis] = 1;
      Value slice = extractSlice(nc.b, nc.loc, data, offsets, sizes, strides);
      SmallVector<int64_t> shape(ds.begin(), ds.begin() + *axis);
      shape.append(is.begin(), is.end());
      shape.append(ds.begin() + *axis + 1, ds.end());
      nc.setResult(0, reshapeTensor(nc.b, nc.loc, slice, shape),
                   nc.inputOnnxType(0));
      return success();
    }
  }
  // General gather: out[..., i..., ...] = data[..., idx[i...], ...].
  MLIRContext *ctx = nc.ctx();
  SmallVector<int64_t> shape(ds.begin(), ds.begin() + *axis);
  shape.append(is.begin(), is.end());
  shape.append(ds.begin() + *axis + 1, ds.end());
  int64_t outRank = shape.size();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = 0; d < ir; ++d)
    idxExprs.push_back(getAffineDimExpr(*axis + d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(outRank, 0, idxExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(outRank, ctx)};
  Type elem = cast<RankedTensorType>(data.getType()).getElementType();
  Value init = emptyTensor(nc.b, nc.loc, shape, elem);
  SmallVector<utils::IteratorType> iters(outRank, utils::IteratorType::parallel);
  int64_t axisSize = ds[*axis];
  int64_t axisV = *axis;
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{indices},
      ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value idx = toIndex(b, l, a[0]);
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        Value size = arith::ConstantIndexOp::create(b, l, axisSize);
        Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx, zero);
        idx = arith::SelectOp::create(b, l, neg,
                                      arith::AddIOp::create(b, l, idx, size), idx);
        SmallVector<Value> coords;
        for (int64_t d = 0; d < axisV; ++d)
          coords.push_back(linalg::IndexOp::create(b, l, d));
        coords.push_back(idx);
        for (int64_t d = axisV + 1; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(b, l, d - 1 + ir));
        Value v = tensor::ExtractOp::create(b, l, data, coords);
        linalg::YieldOp::create(b, l, v);
      });
  nc.setResult(0, op.getResult(0), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertExpand(NodeContext &nc) {
  const HostTensor *h = nc.constInput(1);
  if (!h)
    return nc.fail("the shape input must be a constant known at import time");
  SmallVector<int64_t> target = h->toInts();
  auto shape = broadcastShapes({nc.inputShape(0), ArrayRef<int64_t>(target)});
  if (failed(shape))
    return nc.fail("cannot expand " + shapeString(nc.inputShape(0)) + " to " +
                   shapeString(target));
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  nc.setResult(0,
               elementwise(nc.b, nc.loc, {x}, *shape, elem,
                           [](OpBuilder &, Location, ValueRange a) { return a[0]; }),
               nc.inputOnnxType(0));
  return success();
}

LogicalResult convertTile(NodeContext &nc) {
  const HostTensor *h = nc.constInput(1);
  if (!h)
    return nc.fail("repeats must be a constant known at import time");
  ArrayRef<int64_t> in = nc.inputShape(0);
  SmallVector<int64_t> reps = h->toInts();
  if (reps.size() != in.size())
    return nc.fail("repeats has " + Twine(reps.size()) + " entries for rank " +
                   Twine(in.size()));
  MLIRContext *ctx = nc.ctx();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  for (size_t d = 0; d < in.size(); ++d) {
    if (reps[d] < 0)
      return nc.fail("negative repeat");
    shape.push_back(in[d] * reps[d]);
    exprs.push_back(reps[d] == 1 ? getAffineDimExpr(d, ctx)
                                 : getAffineDimExpr(d, ctx) % in[d]);
  }
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  int64_t rank = in.size();
  Value init = emptyTensor(nc.b, nc.loc, shape, elem);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
      maps, iters, [](OpBuilder &b, Location l, ValueRange a) {
        linalg::YieldOp::create(b, l, a[0]);
      });
  nc.setResult(0, op.getResult(0), nc.inputOnnxType(0));
  return success();
}

/// Pads `x` with the constant `value` (pads may be negative: cropping).
Value padConstant(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
                  ArrayRef<int64_t> high, Value value) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  // Crop negative pads first.
  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()), strides(rank, 1);
  SmallVector<int64_t> lo(low), hi(high);
  bool crop = false;
  for (int64_t d = 0; d < rank; ++d) {
    if (lo[d] < 0) {
      offsets[d] = -lo[d];
      sizes[d] += lo[d];
      lo[d] = 0;
      crop = true;
    }
    if (hi[d] < 0) {
      sizes[d] += hi[d];
      hi[d] = 0;
      crop = true;
    }
  }
  if (crop)
    x = extractSlice(b, loc, x, offsets, sizes, strides);
  if (llvm::all_of(lo, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(hi, [](int64_t v) { return v == 0; }))
    return x;
  return padTensor(b, loc, x, lo, hi, value);
}

LogicalResult convertPad(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  SmallVector<int64_t> pads;
  double constant = 0;
  std::string mode = nc.attrString("mode", "constant");
  if (nc.opset < 11) {
    pads = nc.attrInts(nc.opset < 2 ? "paddings" : "pads");
    constant = nc.attrFloat("value", 0.0f);
  } else {
    const HostTensor *h = nc.constInput(1);
    if (!h)
      return nc.fail("pads must be a constant known at import time");
    pads = h->toInts();
    if (nc.hasInput(2)) {
      if (const HostTensor *c = nc.constInput(2))
        constant = c->getF(0);
      else
        return nc.fail("constant_value must be known at import time");
    }
  }
  SmallVector<int64_t> axes;
  if (nc.hasInput(3)) {
    const HostTensor *a = nc.constInput(3);
    if (!a)
      return nc.fail("axes must be a constant known at import time");
    auto n = normalizeAxes(nc, a->toInts(), rank);
    if (failed(n))
      return failure();
    axes = *n;
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    return nc.fail("pads has " + Twine(pads.size()) + " entries, expected " +
                   Twine(2 * axes.size()));
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    low[axes[k]] = pads[k];
    high[axes[k]] = pads[k + axes.size()];
  }
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  if (mode == "constant") {
    Value c = scalarConstant(nc.b, nc.loc, elem, constant);
    nc.setResult(0, padConstant(nc.b, nc.loc, x, low, high, c),
                 nc.inputOnnxType(0));
    return success();
  }
  if (mode != "reflect" && mode != "edge")
    return nc.fail("pad mode '" + mode + "' is not supported");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (low[d] < 0 || high[d] < 0)
      return nc.fail("negative pads need mode 'constant'");
    if (mode == "reflect" && (low[d] >= in[d] || high[d] >= in[d]))
      return nc.fail("reflect pads must be smaller than the dim");
    shape.push_back(in[d] + low[d] + high[d]);
  }
  Value init = emptyTensor(nc.b, nc.loc, shape, elem);
  MLIRContext *ctx = nc.ctx();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  bool reflect = mode == "reflect";
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      maps, iters, [&](OpBuilder &b, Location l, ValueRange) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(b, l, d);
          Value lo = arith::ConstantIndexOp::create(b, l, low[d]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value last = arith::ConstantIndexOp::create(b, l, in[d] - 1);
          Value j = arith::SubIOp::create(b, l, i, lo);
          Value below = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, j, zero);
          Value above = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, j, last);
          Value fixedLow = reflect ? Value(arith::SubIOp::create(b, l, zero, j)) : zero;
          Value twiceLast = arith::ConstantIndexOp::create(b, l, 2 * (in[d] - 1));
          Value fixedHigh = reflect ? Value(arith::SubIOp::create(b, l, twiceLast, j)) : last;
          j = arith::SelectOp::create(b, l, below, fixedLow, j);
          j = arith::SelectOp::create(b, l, above, fixedHigh, j);
          coords.push_back(j);
        }
        linalg::YieldOp::create(b, l, tensor::ExtractOp::create(b, l, x, coords).getResult());
      });
  nc.setResult(0, op.getResult(0), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertTrilu(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  if (in.size() < 2)
    return nc.fail("input must have rank >= 2");
  int64_t k = 0;
  if (nc.hasInput(1)) {
    const HostTensor *h = nc.constInput(1);
    if (!h)
      return nc.fail("k must be a constant known at import time");
    k = h->getI(0);
  }
  bool upper = nc.attrInt("upper", 1) != 0;
  Value x = nc.input(0);
  if (!x)
    return failure();
  int64_t rank = in.size();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Value result = elementwise(
      nc.b, nc.loc, {x}, in, elem, [&](OpBuilder &b, Location l, ValueRange a) {
        Value i = linalg::IndexOp::create(b, l, rank - 2);
        Value j = linalg::IndexOp::create(b, l, rank - 1);
        Value diff = arith::SubIOp::create(b, l, j, i);
        Value kv = arith::ConstantIndexOp::create(b, l, k);
        Value keep = arith::CmpIOp::create(
            b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, kv);
        return arith::SelectOp::create(b, l, keep, a[0],
                                       scalarConstant(b, l, elem, 0.0))
            .getResult();
      });
  nc.setResult(0, result, nc.inputOnnxType(0));
  return success();
}

LogicalResult convertRange(NodeContext &nc) {
  return nc.fail("start, limit and delta must be constants known at import "
                 "time (dynamic shapes are not supported)");
}

} // namespace

void romac::onnximport::appendTensorOps(std::vector<OpConverter> &ops) {
  ops.push_back({"Shape", convertShape});
  ops.push_back({"Size", convertSize});
  ops.push_back({"Constant", convertConstant});
  ops.push_back({"ConstantOfShape", convertConstantOfShape, 9});
  ops.push_back({"Reshape", convertReshape});
  ops.push_back({"Flatten", convertFlatten});
  ops.push_back({"Squeeze", convertSqueeze});
  ops.push_back({"Unsqueeze", convertUnsqueeze});
  ops.push_back({"Transpose", convertTranspose});
  ops.push_back({"Concat", convertConcat});
  ops.push_back({"Slice", convertSlice});
  ops.push_back({"Split", convertSplit});
  ops.push_back({"Gather", convertGather});
  ops.push_back({"Expand", convertExpand, 8});
  ops.push_back({"Tile", convertTile, 6});
  ops.push_back({"Pad", convertPad});
  ops.push_back({"Trilu", convertTrilu, 14});
  ops.push_back({"Range", convertRange, 11});
}
