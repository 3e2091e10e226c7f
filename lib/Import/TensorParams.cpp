//===- TensorParams.cpp - parameters of data-movement ops -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The parameters of the shape and data-movement ops (reshape targets, slice
// windows, squeeze and unsqueeze axes, transpose permutations, split sizes),
// computed once from a node's attributes and constant inputs and used both to
// build IR (OpsTensor.cpp) and to fold on the host (TensorHostEval.cpp).
//
//===----------------------------------------------------------------------===//

#include "TensorParams.h"

#include <algorithm>

using namespace mlir;
using namespace romac::onnximport;

FailureOr<SmallVector<int64_t>>
romac::onnximport::intsFromInputOrAttr(NodeContext &nc, unsigned idx,
                                       StringRef attrName, bool &present) {
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

FailureOr<SmallVector<int64_t>>
romac::onnximport::versionedInts(NodeContext &nc, StringRef name,
                                 int64_t inputSince, bool &present) {
  if (nc.opset >= inputSince)
    return intsFromInputOrAttr(nc, 1, name, present);
  present = nc.hasAttr(name);
  return nc.attrInts(name);
}

FailureOr<SmallVector<int64_t>>
romac::onnximport::normalizeAxes(NodeContext &nc, ArrayRef<int64_t> axes,
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

FailureOr<SmallVector<int64_t>>
romac::onnximport::reshapeTarget(NodeContext &nc, ArrayRef<int64_t> in,
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
        return nc.fail("shape dim " + Twine(k) +
                       " is 0 (copy) but the input has rank " +
                       Twine(in.size()));
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

FailureOr<SliceParams> romac::onnximport::sliceParams(NodeContext &nc,
                                                      ArrayRef<int64_t> shape) {
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
    int64_t n =
        step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
    p.size[a] = std::max<int64_t>(0, n);
    p.start[a] = p.size[a] == 0 ? 0 : s;
    p.step[a] = step;
  }
  return p;
}

FailureOr<SmallVector<int64_t>>
romac::onnximport::unsqueezeShape(NodeContext &nc, ArrayRef<int64_t> in) {
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

FailureOr<SmallVector<int64_t>>
romac::onnximport::squeezeShape(NodeContext &nc, ArrayRef<int64_t> in) {
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

FailureOr<int64_t> romac::onnximport::flattenAxis(NodeContext &nc,
                                                  int64_t rank) {
  int64_t axis = nc.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return nc.fail("axis " + Twine(axis) + " is out of range for rank " +
                   Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t> romac::onnximport::flattenShape(NodeContext &nc,
                                                     ArrayRef<int64_t> in,
                                                     int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (auto [k, d] : llvm::enumerate(in))
    (static_cast<int64_t>(k) < axis ? outer : inner) *= d;
  (void)nc;
  return {outer, inner};
}

FailureOr<SmallVector<int64_t>>
romac::onnximport::transposePerm(NodeContext &nc, int64_t rank) {
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

FailureOr<SmallVector<int64_t>> romac::onnximport::splitSizes(NodeContext &nc,
                                                              int64_t dim) {
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
      return nc.fail("split sizes do not add up to the axis size " +
                     Twine(dim));
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
