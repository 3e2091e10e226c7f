//===- OpsTensor.cpp - shape and data-movement ONNX ops --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Constants, shapes, reshapes, transposes, slicing, gathering, padding,
// resizing. Each op's parameters are computed once (the *Params functions) and
// used both to build IR and to fold the op on the host when its inputs are
// known (shape sub-graphs: Shape -> Gather -> Concat -> Reshape).
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <cmath>

using namespace mlir;
using namespace romac::onnximport;

namespace {

//===----------------------------------------------------------------------===//
// Parameter helpers (shared by IR and host paths)
//===----------------------------------------------------------------------===//

/// Integer list from input `idx` (must be known) or, for old opsets, from
/// attribute `attrName`. `present` tells whether either was given.
FailureOr<SmallVector<int64_t>> intsFromInputOrAttr(NodeContext &nc,
                                                    unsigned idx,
                                                    StringRef attrName,
                                                    bool &present) {
  if (nc.hasInput(idx)) {
    present = true;
    const HostTensor *h = nc.constInput(idx);
    if (!h)
      return nc.fail("input " + Twine(idx) + " ('" + nc.node.input(idx) +
                     "') must be a constant known at import time");
    return h->toInts();
  }
  present = nc.hasAttr(attrName);
  return nc.attrInts(attrName);
}

/// A list that moved from attribute `name` to input 1 at opset `inputSince`
/// (Squeeze's and Unsqueeze's axes, Split's sizes).
FailureOr<SmallVector<int64_t>> versionedInts(NodeContext &nc, StringRef name,
                                              int64_t inputSince,
                                              bool &present) {
  if (nc.opset >= inputSince)
    return intsFromInputOrAttr(nc, 1, name, present);
  present = nc.hasAttr(name);
  return nc.attrInts(name);
}

FailureOr<SmallVector<int64_t>> normalizeAxes(NodeContext &nc,
                                              ArrayRef<int64_t> axes,
                                              int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    FailureOr<int64_t> n = nc.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    if (llvm::is_contained(out, *n))
      return nc.fail("axis " + Twine(a) + " is repeated");
    out.push_back(*n);
  }
  return out;
}

FailureOr<SmallVector<int64_t>> reshapeTarget(NodeContext &nc,
                                              ArrayRef<int64_t> in,
                                              ArrayRef<int64_t> spec) {
  bool allowZero = nc.attrInt("allowzero", 0) != 0;
  int64_t inNumel = 1;
  for (int64_t d : in)
    inNumel *= d;
  SmallVector<int64_t> out;
  int64_t inferAt = -1, known = 1;
  for (auto [k, specDim] : llvm::enumerate(spec)) {
    int64_t d = specDim;
    if (d == -1) {
      if (inferAt >= 0)
        return nc.fail("shape has more than one -1");
      inferAt = k;
      out.push_back(1);
      continue;
    }
    if (d == 0 && !allowZero) {
      if (k >= in.size())
        return nc.fail("shape dim " + Twine(k) + " is 0 (copy) but the input has rank " + Twine(in.size()));
      d = in[k];
    }
    if (d < 0)
      return nc.fail("shape has invalid dim " + Twine(d));
    out.push_back(d);
    known *= d;
  }
  if (inferAt >= 0) {
    if (known == 0 || inNumel % known != 0)
      return nc.fail("cannot reshape " + shapeString(in) + " with -1 in shape");
    out[inferAt] = inNumel / known;
    known *= out[inferAt];
  }
  if (known != inNumel)
    return nc.fail("cannot reshape " + shapeString(in) + " (" + Twine(inNumel) +
                   " elements) to " + shapeString(out));
  return out;
}

struct SliceParams {
  SmallVector<int64_t> start, size, step;
};

FailureOr<SliceParams> sliceParams(NodeContext &nc, ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (nc.opset < 10) {
    starts = nc.attrInts("starts");
    ends = nc.attrInts("ends");
    axes = nc.attrInts("axes");
  } else {
    bool present;
    auto s = intsFromInputOrAttr(nc, 1, "", present);
    auto e = intsFromInputOrAttr(nc, 2, "", present);
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (nc.hasInput(3)) {
      auto a = intsFromInputOrAttr(nc, 3, "", present);
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (nc.hasInput(4)) {
      auto st = intsFromInputOrAttr(nc, 4, "", present);
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (int64_t k = 0; k < static_cast<int64_t>(starts.size()); ++k)
      axes.push_back(k);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return nc.fail("starts, ends, axes and steps differ in length");
  FailureOr<SmallVector<int64_t>> nAxes = normalizeAxes(nc, axes, rank);
  if (failed(nAxes))
    return failure();
  SliceParams p;
  p.start.assign(rank, 0);
  p.size.assign(shape.begin(), shape.end());
  p.step.assign(rank, 1);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t a = (*nAxes)[k], dim = shape[a], step = steps[k];
    if (step == 0)
      return nc.fail("slice step is 0");
    int64_t s = starts[k], e = ends[k];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    int64_t n = step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
    p.size[a] = std::max<int64_t>(0, n);
    p.start[a] = p.size[a] == 0 ? 0 : s;
    p.step[a] = step;
  }
  return p;
}

/// Output shape of Unsqueeze, or failure.
FailureOr<SmallVector<int64_t>> unsqueezeShape(NodeContext &nc,
                                               ArrayRef<int64_t> in) {
  bool present;
  auto axes = versionedInts(nc, "axes", 13, present);
  if (failed(axes))
    return failure();
  int64_t outRank = in.size() + axes->size();
  auto nAxes = normalizeAxes(nc, *axes, outRank);
  if (failed(nAxes))
    return failure();
  SmallVector<int64_t> out;
  auto it = in.begin();
  for (int64_t d = 0; d < outRank; ++d)
    out.push_back(llvm::is_contained(*nAxes, d) ? 1 : *it++);
  return out;
}

FailureOr<SmallVector<int64_t>> squeezeShape(NodeContext &nc,
                                             ArrayRef<int64_t> in) {
  bool present;
  auto axes = versionedInts(nc, "axes", 13, present);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> nAxes;
  if (!present || axes->empty()) {
    for (auto [k, d] : llvm::enumerate(in))
      if (d == 1)
        nAxes.push_back(k);
  } else {
    auto n = normalizeAxes(nc, *axes, in.size());
    if (failed(n))
      return failure();
    nAxes = *n;
    for (int64_t a : nAxes)
      if (in[a] != 1)
        return nc.fail("cannot squeeze axis " + Twine(a) + " of size " +
                       Twine(in[a]));
  }
  SmallVector<int64_t> out;
  for (auto [k, d] : llvm::enumerate(in))
    if (!llvm::is_contained(nAxes, int64_t(k)))
      out.push_back(d);
  return out;
}

/// Flatten's axis lies in [-rank, rank]; negative counts from the end.
FailureOr<int64_t> flattenAxis(NodeContext &nc, int64_t rank) {
  int64_t axis = nc.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return nc.fail("axis " + Twine(axis) + " is out of range for rank " +
                   Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t> flattenShape(NodeContext &nc, ArrayRef<int64_t> in,
                                  int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (auto [k, d] : llvm::enumerate(in))
    (static_cast<int64_t>(k) < axis ? outer : inner) *= d;
  (void)nc;
  return {outer, inner};
}

FailureOr<SmallVector<int64_t>> transposePerm(NodeContext &nc, int64_t rank) {
  SmallVector<int64_t> perm = nc.attrInts("perm");
  if (perm.empty())
    for (int64_t k = rank - 1; k >= 0; --k)
      perm.push_back(k);
  if (static_cast<int64_t>(perm.size()) != rank)
    return nc.fail("perm has " + Twine(perm.size()) + " entries for rank " +
                   Twine(rank));
  SmallVector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return nc.fail("perm is not a permutation");
    seen[p] = true;
  }
  return perm;
}

/// Sizes of Split's outputs along `axis`.
FailureOr<SmallVector<int64_t>> splitSizes(NodeContext &nc, int64_t dim) {
  bool present;
  auto split = versionedInts(nc, "split", 13, present);
  if (failed(split))
    return failure();
  unsigned n = nc.numOutputs();
  SmallVector<int64_t> sizes;
  if (present && !split->empty()) {
    sizes = *split;
    int64_t sum = 0;
    for (int64_t s : sizes)
      sum += s;
    if (sizes.size() != n || sum != dim)
      return nc.fail("split sizes do not add up to the axis size " + Twine(dim));
    return sizes;
  }
  if (nc.opset >= 18 && nc.hasAttr("num_outputs"))
    n = nc.attrInt("num_outputs", n);
  int64_t chunk = (dim + n - 1) / n;
  if (nc.opset < 18 && dim % n != 0)
    return nc.fail("axis size " + Twine(dim) + " does not split evenly into " +
                   Twine(n) + " outputs");
  for (unsigned k = 0; k < n; ++k)
    sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - chunk * k)));
  return sizes;
}

//===----------------------------------------------------------------------===//
// Host evaluation of data movement
//===----------------------------------------------------------------------===//

/// Strides of a row-major shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t k = static_cast<int64_t>(shape.size()) - 2; k >= 0; --k)
    s[k] = s[k + 1] * shape[k + 1];
  return s;
}

/// Builds a tensor of `shape` whose element at multi-index `idx` is the
/// element `src(idx)` (a flat index) of `in`.
HostTensor remap(const HostTensor &in, ArrayRef<int64_t> shape,
                 const std::function<int64_t(ArrayRef<int64_t>)> &src) {
  HostTensor out = HostTensor::make(in.type, shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t k = 0, n = out.numel(); k < n; ++k) {
    int64_t from = src(idx);
    if (out.isFloat())
      out.f[k] = in.f[from];
    else
      out.i[k] = in.i[from];
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

HostTensor withShape(const HostTensor &in, ArrayRef<int64_t> shape) {
  HostTensor out = in;
  out.shape.assign(shape.begin(), shape.end());
  return out;
}

} // namespace

std::optional<SmallVector<HostTensor>>
romac::onnximport::evaluateTensorOpOnHost(NodeContext &nc,
                                          ArrayRef<const HostTensor *> in) {
  StringRef op = nc.node.op_type();
  auto one = [](HostTensor t) { return SmallVector<HostTensor>{std::move(t)}; };
  if (in.empty() || !in[0])
    return std::nullopt;
  const HostTensor &x = *in[0];
  if (op == "Identity")
    return one(x);
  if (op == "Reshape") {
    SmallVector<int64_t> spec = nc.opset < 5 ? nc.attrInts("shape")
                                             : in[1]->toInts();
    auto shape = reshapeTarget(nc, x.shape, spec);
    if (failed(shape))
      return std::nullopt;
    return one(withShape(x, *shape));
  }
  if (op == "Flatten") {
    auto axis = flattenAxis(nc, x.shape.size());
    if (failed(axis))
      return std::nullopt;
    return one(withShape(x, flattenShape(nc, x.shape, *axis)));
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto shape = op == "Unsqueeze" ? unsqueezeShape(nc, x.shape)
                                   : squeezeShape(nc, x.shape);
    if (failed(shape))
      return std::nullopt;
    return one(withShape(x, *shape));
  }
  if (op == "Concat") {
    int64_t rank = x.shape.size();
    auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
    if (failed(axis))
      return std::nullopt;
    SmallVector<int64_t> shape(x.shape);
    shape[*axis] = 0;
    for (const HostTensor *t : in) {
      if (!t || static_cast<int64_t>(t->shape.size()) != rank)
        return std::nullopt;
      shape[*axis] += t->shape[*axis];
    }
    HostTensor out = HostTensor::make(x.type, shape);
    int64_t outer = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= shape[d];
    int64_t pos = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const HostTensor *t : in) {
        int64_t chunk = t->numel() / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < chunk; ++k)
          out.set(pos++, t->getF(o * chunk + k));
      }
    if (!x.isFloat()) // keep exact integers
      for (int64_t o = 0, p = 0; o < outer; ++o)
        for (const HostTensor *t : in) {
          int64_t chunk = t->numel() / std::max<int64_t>(outer, 1);
          for (int64_t k = 0; k < chunk; ++k)
            out.i[p++] = t->getI(o * chunk + k);
        }
    return one(out);
  }
  if (op == "Gather") {
    int64_t rank = x.shape.size();
    auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
    if (failed(axis) || !in[1])
      return std::nullopt;
    const HostTensor &ind = *in[1];
    SmallVector<int64_t> shape(x.shape.begin(), x.shape.begin() + *axis);
    shape.append(ind.shape.begin(), ind.shape.end());
    shape.append(x.shape.begin() + *axis + 1, x.shape.end());
    SmallVector<int64_t> xs = stridesOf(x.shape), is = stridesOf(ind.shape);
    int64_t ir = ind.shape.size(), dim = x.shape[*axis];
    for (int64_t k = 0; k < ind.numel(); ++k) {
      int64_t v = ind.getI(k);
      if (v < -dim || v >= dim) {
        (void)nc.fail("index " + Twine(v) + " is out of range for axis size " +
                      Twine(dim));
        return std::nullopt;
      }
    }
    return one(remap(x, shape, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (int64_t d = 0; d < *axis; ++d)
        flat += idx[d] * xs[d];
      int64_t ik = 0;
      for (int64_t d = 0; d < ir; ++d)
        ik += idx[*axis + d] * is[d];
      int64_t v = ind.getI(ik);
      flat += (v < 0 ? v + dim : v) * xs[*axis];
      for (int64_t d = *axis + 1; d < rank; ++d)
        flat += idx[d - 1 + ir] * xs[d];
      return flat;
    }));
  }
  if (op == "Slice") {
    auto p = sliceParams(nc, x.shape);
    if (failed(p))
      return std::nullopt;
    SmallVector<int64_t> xs = stridesOf(x.shape);
    return one(remap(x, p->size, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        flat += (p->start[d] + idx[d] * p->step[d]) * xs[d];
      return flat;
    }));
  }
  if (op == "Transpose") {
    auto perm = transposePerm(nc, x.shape.size());
    if (failed(perm))
      return std::nullopt;
    SmallVector<int64_t> shape, xs = stridesOf(x.shape);
    for (int64_t p : *perm)
      shape.push_back(x.shape[p]);
    return one(remap(x, shape, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        flat += idx[d] * xs[(*perm)[d]];
      return flat;
    }));
  }
  if (op == "Expand") {
    SmallVector<int64_t> target = in[1]->toInts();
    auto shape = broadcastShapes({ArrayRef<int64_t>(x.shape), target});
    if (failed(shape)) {
      (void)nc.fail("cannot expand " + shapeString(x.shape) + " to " +
                    shapeString(target));
      return std::nullopt;
    }
    SmallVector<int64_t> xs = stridesOf(x.shape);
    int64_t off = shape->size() - x.shape.size();
    return one(remap(x, *shape, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (size_t d = 0; d < x.shape.size(); ++d)
        flat += (x.shape[d] == 1 ? 0 : idx[d + off]) * xs[d];
      return flat;
    }));
  }
  if (op == "Split") {
    int64_t rank = x.shape.size();
    auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
    if (failed(axis))
      return std::nullopt;
    auto sizes = splitSizes(nc, x.shape[*axis]);
    if (failed(sizes))
      return std::nullopt;
    SmallVector<HostTensor> outs;
    SmallVector<int64_t> xs = stridesOf(x.shape);
    int64_t offset = 0;
    for (int64_t s : *sizes) {
      SmallVector<int64_t> shape(x.shape);
      shape[*axis] = s;
      outs.push_back(remap(x, shape, [&](ArrayRef<int64_t> idx) {
        int64_t flat = 0;
        for (int64_t d = 0; d < rank; ++d)
          flat += (idx[d] + (d == *axis ? offset : 0)) * xs[d];
        return flat;
      }));
      offset += s;
    }
    return outs;
  }
  if (op == "Range") {
    if (!in[1] || !in[2])
      return std::nullopt;
    double start = x.getF(0), limit = in[1]->getF(0), delta = in[2]->getF(0);
    if (delta == 0) {
      (void)nc.fail("delta is 0");
      return std::nullopt;
    }
    int64_t n = std::max<int64_t>(0, std::ceil((limit - start) / delta));
    if (n > kMaxHostElements)
      return std::nullopt;
    HostTensor out = HostTensor::make(x.type, {n});
    for (int64_t k = 0; k < n; ++k)
      out.set(k, start + k * delta);
    return one(out);
  }
  return std::nullopt;
}

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

/// Index value of a scalar integer (for tensor.extract).
Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
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

/// Resize and Upsample: per output dim a table of source coordinates
/// computed on the host, then one generic that gathers (nearest) or blends
/// the two neighbours (linear).
LogicalResult convertResize(NodeContext &nc) {
  bool upsample = nc.node.op_type() == "Upsample";
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  std::string mode = nc.attrString("mode", "nearest");
  std::string ctm = nc.attrString("coordinate_transformation_mode",
                                  upsample || nc.opset < 11 ? "asymmetric" : "half_pixel");
  std::string nearestMode = nc.attrString("nearest_mode", "round_prefer_floor");
  if (nc.opset >= 18 && nc.attrInt("antialias", 0))
    return nc.fail("antialias is not supported");
  if (nc.hasAttr("axes"))
    return nc.fail("the axes attribute is not supported");
  if (mode != "nearest" && mode != "linear" && mode != "bilinear")
    return nc.fail("mode '" + mode + "' is not supported (nearest, linear)");
  if (ctm == "tf_crop_and_resize")
    return nc.fail("coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  SmallVector<double> scales;
  SmallVector<int64_t> outShape;
  unsigned scalesIdx = upsample || nc.opset < 11 ? 1 : 2;
  if (upsample && nc.opset < 9) {
    for (float s : nc.attrFloats("scales"))
      scales.push_back(s);
  } else if (nc.hasInput(scalesIdx) && nc.inputType(scalesIdx).getNumElements() > 0) {
    const HostTensor *h = nc.constInput(scalesIdx);
    if (!h)
      return nc.fail("scales must be a constant known at import time");
    for (int64_t k = 0; k < h->numel(); ++k)
      scales.push_back(h->getF(k));
  } else if (!upsample && nc.opset >= 11 && nc.hasInput(3)) {
    const HostTensor *h = nc.constInput(3);
    if (!h)
      return nc.fail("sizes must be a constant known at import time");
    outShape = h->toInts();
  } else {
    return nc.fail("needs scales or sizes");
  }
  if (!scales.empty()) {
    if (static_cast<int64_t>(scales.size()) != rank)
      return nc.fail("scales has " + Twine(scales.size()) + " entries for rank " + Twine(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (scales[d] <= 0)
        return nc.fail("scales must be positive");
      outShape.push_back(static_cast<int64_t>(std::floor(in[d] * scales[d])));
    }
  } else {
    if (static_cast<int64_t>(outShape.size()) != rank)
      return nc.fail("sizes has " + Twine(outShape.size()) + " entries for rank " + Twine(rank));
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(double(outShape[d]) / in[d]);
  }
  bool linear = mode != "nearest";
  // Tables: source index (nearest) or (i0, i1, weight) (linear) per dim.
  struct DimTable {
    bool identity = true;
    std::vector<int64_t> i0, i1;
    std::vector<double> w;
  };
  SmallVector<DimTable> tables(rank);
  for (int64_t d = 0; d < rank; ++d) {
    DimTable &t = tables[d];
    for (int64_t o = 0; o < outShape[d]; ++o) {
      double x;
      double s = scales[d];
      if (ctm == "half_pixel")
        x = (o + 0.5) / s - 0.5;
      else if (ctm == "pytorch_half_pixel")
        x = outShape[d] > 1 ? (o + 0.5) / s - 0.5 : 0.0;
      else if (ctm == "align_corners")
        x = outShape[d] == 1 ? 0.0 : double(o) * (in[d] - 1) / (outShape[d] - 1);
      else if (ctm == "asymmetric")
        x = o / s;
      else if (ctm == "tf_half_pixel_for_nn")
        x = (o + 0.5) / s;
      else
        return nc.fail("coordinate_transformation_mode '" + ctm + "' is not supported");
      int64_t a, bIdx;
      double w = 0;
      if (!linear) {
        double r;
        if (nearestMode == "round_prefer_floor")
          r = (x - std::floor(x) == 0.5) ? std::floor(x) : std::round(x);
        else if (nearestMode == "round_prefer_ceil")
          r = std::round(x);
        else if (nearestMode == "floor")
          r = std::floor(x);
        else if (nearestMode == "ceil")
          r = std::ceil(x);
        else
          return nc.fail("nearest_mode '" + nearestMode + "' is not supported");
        a = bIdx = std::clamp<int64_t>(static_cast<int64_t>(r), 0, in[d] - 1);
      } else {
        x = std::clamp(x, 0.0, double(in[d] - 1));
        a = static_cast<int64_t>(std::floor(x));
        bIdx = std::min<int64_t>(a + 1, in[d] - 1);
        w = x - a;
      }
      t.i0.push_back(a);
      t.i1.push_back(bIdx);
      t.w.push_back(w);
      t.identity &= a == o && (w == 0 || bIdx == a);
    }
    t.identity &= outShape[d] == in[d];
  }
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  if (linear && !isa<FloatType>(elem))
    return nc.fail("linear mode needs a floating-point input");
  auto tableConst = [&](const std::vector<int64_t> &v) {
    HostTensor h = HostTensor::make(onnx::TensorProto::INT64, {int64_t(v.size())});
    h.i.assign(v.begin(), v.end());
    return materialize(nc.b, nc.loc, h);
  };
  SmallVector<Value> i0T(rank), i1T(rank), wT(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (tables[d].identity)
      continue;
    i0T[d] = tableConst(tables[d].i0);
    if (linear) {
      i1T[d] = tableConst(tables[d].i1);
      HostTensor h = HostTensor::make(nc.inputOnnxType(0), {int64_t(tables[d].w.size())});
      h.f.assign(tables[d].w.begin(), tables[d].w.end());
      wT[d] = materialize(nc.b, nc.loc, h);
    }
  }
  Value init = emptyTensor(nc.b, nc.loc, outShape, elem);
  MLIRContext *ctx = nc.ctx();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      maps, iters, [&](OpBuilder &b, Location l, ValueRange) {
        SmallVector<Value> lo(rank), hi(rank), w(rank);
        for (int64_t d = 0; d < rank; ++d) {
          Value o = linalg::IndexOp::create(b, l, d);
          if (tables[d].identity) {
            lo[d] = hi[d] = o;
            continue;
          }
          lo[d] = toIndex(b, l, tensor::ExtractOp::create(b, l, i0T[d], ValueRange{o}));
          if (linear) {
            hi[d] = toIndex(b, l, tensor::ExtractOp::create(b, l, i1T[d], ValueRange{o}));
            w[d] = tensor::ExtractOp::create(b, l, wT[d], ValueRange{o});
          }
        }
        if (!linear) {
          linalg::YieldOp::create(b, l, tensor::ExtractOp::create(b, l, x, lo).getResult());
          return;
        }
        // Blend the 2^k corners of the interpolated dims.
        SmallVector<int64_t> interp;
        for (int64_t d = 0; d < rank; ++d)
          if (w[d])
            interp.push_back(d);
        Value acc = scalarConstant(b, l, elem, 0.0);
        for (int64_t corner = 0; corner < (int64_t(1) << interp.size()); ++corner) {
          SmallVector<Value> coords(lo);
          Value weight = scalarConstant(b, l, elem, 1.0);
          for (auto [bit, d] : llvm::enumerate(interp)) {
            bool high = (corner >> bit) & 1;
            coords[d] = high ? hi[d] : lo[d];
            Value wd = high ? w[d]
                            : Value(arith::SubFOp::create(
                                  b, l, scalarConstant(b, l, elem, 1.0), w[d]));
            weight = arith::MulFOp::create(b, l, weight, wd);
          }
          Value v = tensor::ExtractOp::create(b, l, x, coords);
          acc = arith::AddFOp::create(b, l, acc,
                                      arith::MulFOp::create(b, l, weight, v));
        }
        linalg::YieldOp::create(b, l, acc);
      });
  nc.setResult(0, op.getResult(0), nc.inputOnnxType(0));
  return success();
}

LogicalResult convertDepthSpace(NodeContext &nc) {
  bool toSpace = nc.node.op_type() == "DepthToSpace";
  ArrayRef<int64_t> in = nc.inputShape(0);
  if (in.size() != 4)
    return nc.fail("input must be 4-D");
  int64_t bs = nc.attrInt("blocksize", 0);
  if (bs <= 0)
    return nc.fail("blocksize must be positive");
  int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  Value x = nc.input(0);
  if (!x)
    return failure();
  Value y;
  if (toSpace) {
    if (c % (bs * bs))
      return nc.fail("channels are not a multiple of blocksize^2");
    bool crd = nc.attrString("mode", "DCR") == "CRD";
    int64_t oc = c / (bs * bs);
    if (crd) {
      y = reshapeTensor(nc.b, nc.loc, x, {n, oc, bs, bs, h, w});
      y = transposeTensor(nc.b, nc.loc, y, {0, 1, 4, 2, 5, 3});
    } else {
      y = reshapeTensor(nc.b, nc.loc, x, {n, bs, bs, oc, h, w});
      y = transposeTensor(nc.b, nc.loc, y, {0, 3, 4, 1, 5, 2});
    }
    y = reshapeTensor(nc.b, nc.loc, y, {n, oc, h * bs, w * bs});
  } else {
    if (h % bs || w % bs)
      return nc.fail("spatial dims are not multiples of blocksize");
    y = reshapeTensor(nc.b, nc.loc, x, {n, c, h / bs, bs, w / bs, bs});
    y = transposeTensor(nc.b, nc.loc, y, {0, 3, 5, 1, 2, 4});
    y = reshapeTensor(nc.b, nc.loc, y, {n, c * bs * bs, h / bs, w / bs});
  }
  nc.setResult(0, y, nc.inputOnnxType(0));
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
  ops.push_back({"Resize", convertResize, 10});
  ops.push_back({"Upsample", convertResize, 7, 9});
  ops.push_back({"DepthToSpace", convertDepthSpace});
  ops.push_back({"SpaceToDepth", convertDepthSpace});
  ops.push_back({"Range", convertRange, 11});
}
