//===- TensorHostEval.cpp - folding data movement on the host ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// evaluateTensorOpOnHost(): the shape and data-movement ops (Reshape, Concat,
// Gather, Slice, Transpose, Expand, Split, Range, ...) evaluated on small
// constants known at import time, so that shape sub-graphs such as
// Shape -> Gather -> Concat -> Reshape fold to constants.
//
//===----------------------------------------------------------------------===//

#include "TensorParams.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace mlir;
using namespace romac::onnximport;

namespace {

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

/// Whether a result of `shape` is small enough to fold on the host (checked
/// before it is allocated); larger results are built as IR.
bool fitsOnHost(ArrayRef<int64_t> shape) {
  std::optional<int64_t> numel = checkedNumel(shape);
  return numel && *numel <= kMaxHostElements;
}

HostTensor withShape(const HostTensor &in, ArrayRef<int64_t> shape) {
  HostTensor out = in;
  out.shape.assign(shape.begin(), shape.end());
  return out;
}

/// What a host evaluation returns: the results, or nullopt when the op is not
/// folded (or failed, with the error reported through the node).
using HostResults = std::optional<SmallVector<HostTensor>>;

HostResults one(HostTensor t) { return SmallVector<HostTensor>{std::move(t)}; }

HostResults evaluateReshape(NodeContext &nc, ArrayRef<const HostTensor *> in) {
  const HostTensor &x = *in[0];
  SmallVector<int64_t> spec =
      nc.opset < 5 ? nc.attrInts("shape") : in[1]->toInts();
  auto shape = reshapeTarget(nc, x.shape, spec);
  if (failed(shape))
    return std::nullopt;
  return one(withShape(x, *shape));
}

HostResults evaluateFlatten(NodeContext &nc, const HostTensor &x) {
  auto axis = flattenAxis(nc, x.shape.size());
  if (failed(axis))
    return std::nullopt;
  return one(withShape(x, flattenShape(nc, x.shape, *axis)));
}

HostResults evaluateSqueeze(NodeContext &nc, const HostTensor &x,
                            bool unsqueeze) {
  auto shape =
      unsqueeze ? unsqueezeShape(nc, x.shape) : squeezeShape(nc, x.shape);
  if (failed(shape))
    return std::nullopt;
  return one(withShape(x, *shape));
}

HostResults evaluateConcat(NodeContext &nc, ArrayRef<const HostTensor *> in) {
  const HostTensor &x = *in[0];
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
  if (!fitsOnHost(shape))
    return std::nullopt;
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

HostResults evaluateGather(NodeContext &nc, ArrayRef<const HostTensor *> in) {
  const HostTensor &x = *in[0];
  int64_t rank = x.shape.size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis) || !in[1])
    return std::nullopt;
  const HostTensor &ind = *in[1];
  SmallVector<int64_t> shape(x.shape.begin(), x.shape.begin() + *axis);
  shape.append(ind.shape.begin(), ind.shape.end());
  shape.append(x.shape.begin() + *axis + 1, x.shape.end());
  if (!fitsOnHost(shape))
    return std::nullopt;
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

HostResults evaluateSlice(NodeContext &nc, const HostTensor &x) {
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

HostResults evaluateTranspose(NodeContext &nc, const HostTensor &x) {
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

HostResults evaluateExpand(NodeContext &nc, ArrayRef<const HostTensor *> in) {
  const HostTensor &x = *in[0];
  SmallVector<int64_t> target = in[1]->toInts();
  auto shape = broadcastShapes({ArrayRef<int64_t>(x.shape), target});
  if (failed(shape)) {
    (void)nc.fail("cannot expand " + shapeString(x.shape) + " to " +
                  shapeString(target));
    return std::nullopt;
  }
  if (!fitsOnHost(*shape))
    return std::nullopt;
  SmallVector<int64_t> xs = stridesOf(x.shape);
  int64_t off = shape->size() - x.shape.size();
  return one(remap(x, *shape, [&](ArrayRef<int64_t> idx) {
    int64_t flat = 0;
    for (size_t d = 0; d < x.shape.size(); ++d)
      flat += (x.shape[d] == 1 ? 0 : idx[d + off]) * xs[d];
    return flat;
  }));
}

HostResults evaluateSplit(NodeContext &nc, const HostTensor &x) {
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

HostResults evaluateRange(NodeContext &nc, ArrayRef<const HostTensor *> in) {
  const HostTensor &x = *in[0];
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

} // namespace

std::optional<SmallVector<HostTensor>>
romac::onnximport::evaluateTensorOpOnHost(NodeContext &nc,
                                          ArrayRef<const HostTensor *> in) {
  if (in.empty() || !in[0])
    return std::nullopt;
  StringRef op = nc.node.op_type();
  const HostTensor &x = *in[0];
  if (op == "Identity")
    return one(x);
  if (op == "Reshape")
    return evaluateReshape(nc, in);
  if (op == "Flatten")
    return evaluateFlatten(nc, x);
  if (op == "Unsqueeze" || op == "Squeeze")
    return evaluateSqueeze(nc, x, /*unsqueeze=*/op == "Unsqueeze");
  if (op == "Concat")
    return evaluateConcat(nc, in);
  if (op == "Gather")
    return evaluateGather(nc, in);
  if (op == "Slice")
    return evaluateSlice(nc, x);
  if (op == "Transpose")
    return evaluateTranspose(nc, x);
  if (op == "Expand")
    return evaluateExpand(nc, in);
  if (op == "Split")
    return evaluateSplit(nc, x);
  if (op == "Range")
    return evaluateRange(nc, in);
  return std::nullopt;
}
