//===- OpsResize.cpp - Resize, Upsample and depth/space ops -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Resampling ops: Resize and Upsample (nearest and linear, every coordinate
// transformation mode but tf_crop_and_resize) build per-dim source tables on
// the host and one linalg.generic that gathers or blends; DepthToSpace and
// SpaceToDepth are reshape-transpose-reshape.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace romac::onnximport;

namespace {

/// What Resize and Upsample compute, from their attributes and inputs.
struct ResizeSpec {
  std::string mode, coordinateMode, nearestMode;
  /// Per dim: the scale and the output size.
  SmallVector<double> scales;
  SmallVector<int64_t> outShape;
  /// Whether the op gave scales (not sizes): align_corners then divides by
  /// the unrounded output length `in * scale`, as ONNX's reference does.
  bool fromScales = false;

  bool isLinear() const { return mode != "nearest"; }
};

/// The source of every output index along one dim: the index to gather
/// (nearest), or the two neighbours and the weight of the second (linear).
struct DimTable {
  bool identity = true;
  std::vector<int64_t> i0, i1;
  std::vector<double> w;
};

/// Reads and checks Resize's (or Upsample's) mode attributes and its scales
/// or sizes for an input of shape `in`.
FailureOr<ResizeSpec> resizeSpec(NodeContext &nc, ArrayRef<int64_t> in) {
  bool upsample = nc.node.op_type() == "Upsample";
  int64_t rank = in.size();
  ResizeSpec spec;
  spec.mode = nc.attrString("mode", "nearest");
  spec.coordinateMode =
      nc.attrString("coordinate_transformation_mode",
                    upsample || nc.opset < 11 ? "asymmetric" : "half_pixel");
  // Upsample (opset 7-9) has no nearest_mode: it takes the floor of the
  // source coordinate (the ONNX reference), unlike Resize's default.
  spec.nearestMode =
      upsample ? "floor" : nc.attrString("nearest_mode", "round_prefer_floor");
  const std::string &mode = spec.mode;
  if (nc.opset >= 18 && nc.attrInt("antialias", 0))
    return nc.fail("antialias is not supported");
  if (nc.hasAttr("axes"))
    return nc.fail("the axes attribute is not supported");
  if (mode != "nearest" && mode != "linear" && mode != "bilinear")
    return nc.fail("mode '" + mode + "' is not supported (nearest, linear)");
  if (spec.coordinateMode == "tf_crop_and_resize")
    return nc.fail("coordinate_transformation_mode 'tf_crop_and_resize' is "
                   "not supported");
  SmallVector<double> &scales = spec.scales;
  SmallVector<int64_t> &outShape = spec.outShape;
  unsigned scalesIdx = upsample || nc.opset < 11 ? 1 : 2;
  if (upsample && nc.opset < 9) {
    for (float s : nc.attrFloats("scales"))
      scales.push_back(s);
  } else if (nc.hasInput(scalesIdx) &&
             nc.inputType(scalesIdx).getNumElements() > 0) {
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
  spec.fromScales = !scales.empty();
  if (!scales.empty()) {
    if (static_cast<int64_t>(scales.size()) != rank)
      return nc.fail("scales has " + Twine(scales.size()) +
                     " entries for rank " + Twine(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (scales[d] <= 0)
        return nc.fail("scales must be positive");
      outShape.push_back(static_cast<int64_t>(std::floor(in[d] * scales[d])));
    }
  } else {
    if (static_cast<int64_t>(outShape.size()) != rank)
      return nc.fail("sizes has " + Twine(outShape.size()) +
                     " entries for rank " + Twine(rank));
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(double(outShape[d]) / in[d]);
  }
  return spec;
}

/// The source coordinate of output index `o` along a dim of input size `in`,
/// output size `out` and scale `s`, under coordinate transformation `ctm`.
/// `resized` is the output length align_corners divides by: `out`, or the
/// unrounded `in * s` when the op gave scales.
FailureOr<double> sourceCoordinate(NodeContext &nc, StringRef ctm, int64_t o,
                                   int64_t in, int64_t out, double s,
                                   double resized) {
  if (ctm == "half_pixel")
    return (o + 0.5) / s - 0.5;
  if (ctm == "pytorch_half_pixel")
    return out > 1 ? (o + 0.5) / s - 0.5 : 0.0;
  if (ctm == "align_corners")
    return resized == 1 ? 0.0 : double(o) * (in - 1) / (resized - 1);
  if (ctm == "asymmetric")
    return o / s;
  if (ctm == "tf_half_pixel_for_nn")
    return (o + 0.5) / s;
  return nc.fail("coordinate_transformation_mode '" + ctm +
                 "' is not supported");
}

/// The source table of every dim of an input of shape `in`.
FailureOr<SmallVector<DimTable>>
resizeTables(NodeContext &nc, const ResizeSpec &spec, ArrayRef<int64_t> in) {
  int64_t rank = in.size();
  const std::string &nearestMode = spec.nearestMode;
  bool linear = spec.isLinear();
  SmallVector<DimTable> tables(rank);
  for (int64_t d = 0; d < rank; ++d) {
    DimTable &t = tables[d];
    int64_t outSize = spec.outShape[d];
    for (int64_t o = 0; o < outSize; ++o) {
      double resized =
          spec.fromScales ? in[d] * spec.scales[d] : double(outSize);
      FailureOr<double> coordinate = sourceCoordinate(
          nc, spec.coordinateMode, o, in[d], outSize, spec.scales[d], resized);
      if (failed(coordinate))
        return failure();
      double x = *coordinate;
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
    t.identity &= outSize == in[d];
  }
  return tables;
}

/// The body of the resize generic: gathers the source element (nearest) or
/// blends the 2^k corners of the k interpolated dims (linear). `i0T`, `i1T`
/// and `wT` hold the tables of the dims that are not the identity.
Value resizeBody(OpBuilder &b, Location l, Value x, Type elem, bool linear,
                 ArrayRef<DimTable> tables, ArrayRef<Value> i0T,
                 ArrayRef<Value> i1T, ArrayRef<Value> wT) {
  int64_t rank = tables.size();
  SmallVector<Value> lo(rank), hi(rank), w(rank);
  for (int64_t d = 0; d < rank; ++d) {
    Value o = linalg::IndexOp::create(b, l, d);
    if (tables[d].identity) {
      lo[d] = hi[d] = o;
      continue;
    }
    lo[d] =
        toIndex(b, l, tensor::ExtractOp::create(b, l, i0T[d], ValueRange{o}));
    if (linear) {
      hi[d] =
          toIndex(b, l, tensor::ExtractOp::create(b, l, i1T[d], ValueRange{o}));
      w[d] = tensor::ExtractOp::create(b, l, wT[d], ValueRange{o});
    }
  }
  if (!linear)
    return tensor::ExtractOp::create(b, l, x, lo).getResult();
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
  return acc;
}

/// Resize and Upsample: per output dim a table of source coordinates
/// computed on the host, then one generic that gathers (nearest) or blends
/// the two neighbours (linear).
LogicalResult convertResize(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  FailureOr<ResizeSpec> spec = resizeSpec(nc, in);
  if (failed(spec))
    return failure();
  bool linear = spec->isLinear();
  FailureOr<SmallVector<DimTable>> tables = resizeTables(nc, *spec, in);
  if (failed(tables))
    return failure();
  Value x = nc.input(0);
  if (!x)
    return failure();
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  if (linear && !isa<FloatType>(elem))
    return nc.fail("linear mode needs a floating-point input");
  auto tableConst = [&](const std::vector<int64_t> &v) {
    HostTensor h =
        HostTensor::make(onnx::TensorProto::INT64, {int64_t(v.size())});
    h.i.assign(v.begin(), v.end());
    return materialize(nc.b, nc.loc, h);
  };
  SmallVector<Value> i0T(rank), i1T(rank), wT(rank);
  for (int64_t d = 0; d < rank; ++d) {
    const DimTable &table = (*tables)[d];
    if (table.identity)
      continue;
    i0T[d] = tableConst(table.i0);
    if (linear) {
      i1T[d] = tableConst(table.i1);
      HostTensor h =
          HostTensor::make(nc.inputOnnxType(0), {int64_t(table.w.size())});
      h.f.assign(table.w.begin(), table.w.end());
      wT[d] = materialize(nc.b, nc.loc, h);
    }
  }
  Value init = emptyTensor(nc.b, nc.loc, spec->outShape, elem);
  MLIRContext *ctx = nc.ctx();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      maps, iters, [&](OpBuilder &b, Location l, ValueRange) {
        linalg::YieldOp::create(
            b, l, resizeBody(b, l, x, elem, linear, *tables, i0T, i1T, wT));
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

} // namespace

void romac::onnximport::appendResizeOps(std::vector<OpConverter> &ops) {
  ops.push_back({"Resize", convertResize, 10});
  ops.push_back({"Upsample", convertResize, 7, 9});
  ops.push_back({"DepthToSpace", convertDepthSpace});
  ops.push_back({"SpaceToDepth", convertDepthSpace});
}
