//===- OpsQuantize.cpp - quantized ONNX ops --------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearMatMul,
// QLinearConv, MatMulInteger and ConvInteger on int8 / uint8 tensors, with
// scales and zero points per tensor or per axis. They lower to what the rest
// of the importer emits, so that search, codegen and runtime see nothing new:
// element-wise linalg.generic ops for (de)quantization, and the f32 matmul
// and convolution of OpsContraction.cpp for the contractions. A contraction
// runs in the integer domain: its operands minus their zero points, converted
// to f32 (exact), are multiplied and summed in f32, which is exact while
// every partial sum stays below 2^24 in magnitude; the scales are applied to
// the sums (they index non-contracted dims only), then the result is
// requantized (QLinear*) or converted to int32 (*Integer).
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace romac::onnximport;

namespace {

constexpr OnnxType kF32 = onnx::TensorProto::FLOAT;
constexpr OnnxType kI8 = onnx::TensorProto::INT8;
constexpr OnnxType kU8 = onnx::TensorProto::UINT8;
constexpr OnnxType kI32 = onnx::TensorProto::INT32;

/// A scale or zero point as it applies to its data tensor: rank 0 (per
/// tensor) or 1-D along dim `axis` of the data. A null `value` is an absent
/// (optional) zero point, that is 0.
struct QParam {
  Value value;
  OnnxType type = onnx::TensorProto::UNDEFINED;
  int64_t axis = -1;
};

/// An operand of a quantization generic and the output dims its dims index.
struct Mapped {
  Value value;
  SmallVector<int64_t> dims;
};

/// `p` as an operand whose one dim (if per axis) indexes output dim `outDim`.
Mapped mapParam(const QParam &p, int64_t outDim) {
  Mapped m{p.value, {}};
  if (p.axis >= 0)
    m.dims.push_back(outDim);
  return m;
}

bool isInt8Type(OnnxType t) { return t == kI8 || t == kU8; }

/// Fails unless input `idx`, called `name`, is a float32 scale.
LogicalResult checkScale(NodeContext &nc, unsigned idx, StringRef name) {
  if (!nc.hasInput(idx))
    return nc.fail(name + " is missing");
  OnnxType t = nc.inputOnnxType(idx);
  if (t != kF32)
    return nc.fail(name + " must be float, got " + typeName(t));
  return success();
}

/// Fails unless data input `idx`, called `name`, is int8 or uint8.
LogicalResult checkInt8Data(NodeContext &nc, unsigned idx, StringRef name) {
  OnnxType t = nc.inputOnnxType(idx);
  if (!isInt8Type(t))
    return nc.fail(name + " must be int8 or uint8, got " + typeName(t));
  return success();
}

/// Fails unless zero point `idx` (absent is fine) is int8 or uint8 and, when
/// `dataName` is given, of the type `dataType` of the data it belongs to.
LogicalResult checkZeroPoint(NodeContext &nc, unsigned idx, StringRef name,
                             OnnxType dataType, StringRef dataName) {
  if (!nc.hasInput(idx))
    return success();
  OnnxType t = nc.inputOnnxType(idx);
  if (!dataName.empty() && t != dataType)
    return nc.fail(name + " is " + typeName(t) + " but " + dataName + " is " +
                   typeName(dataType) + " (they must be the same type)");
  if (dataName.empty() && !isInt8Type(t))
    return nc.fail(name + " must be int8 or uint8, got " + typeName(t));
  return success();
}

/// Reads input `idx`, called `name`, a scale or zero point of data of shape
/// `data`: a scalar or a one-element 1-D tensor applies per tensor; with
/// `axis`, a 1-D tensor of data[*axis] elements applies along that dim.
/// Anything else fails naming the parameter. An absent input gives a null
/// value.
FailureOr<QParam> readParam(NodeContext &nc, unsigned idx, StringRef name,
                            ArrayRef<int64_t> data,
                            std::optional<int64_t> axis) {
  QParam p;
  if (!nc.hasInput(idx))
    return p;
  if (axis && *axis >= static_cast<int64_t>(data.size()))
    axis.reset();
  p.type = nc.inputOnnxType(idx);
  ArrayRef<int64_t> s = nc.inputShape(idx);
  bool perTensor = s.empty() || (s.size() == 1 && s[0] == 1);
  bool perAxis = axis && s.size() == 1 && s[0] == data[*axis];
  if (!perTensor && !perAxis) {
    std::string want = "a scalar (per tensor)";
    if (axis)
      want += " or a 1-D tensor of " + std::to_string(data[*axis]) +
              " elements (per axis, along axis " + std::to_string(*axis) +
              " of " + shapeString(data) + ")";
    return nc.fail(name + " has shape " + shapeString(s) + ", expected " +
                   want);
  }
  Value v = nc.input(idx);
  if (!v)
    return failure();
  if (perTensor)
    v = reshapeTensor(nc.b, nc.loc, v, {});
  else
    p.axis = *axis;
  p.value = v;
  return p;
}

/// The axis of QuantizeLinear / DequantizeLinear for data of rank `rank`:
/// none before opset 13; the `axis` attribute, checked, when given; else the
/// default 1 when the data has that dim.
/// One readParam() request: the input, its name, the data's shape and axis.
struct ParamSpec {
  unsigned idx;
  StringRef name;
  ArrayRef<int64_t> data;
  std::optional<int64_t> axis;
};

/// Reads the two parameters (a scale and a zero point, or two of either)
/// \p a and \p b; fails at the first that does.
FailureOr<std::pair<QParam, QParam>>
readParams(NodeContext &nc, const ParamSpec &a, const ParamSpec &b) {
  auto pa = readParam(nc, a.idx, a.name, a.data, a.axis);
  if (failed(pa))
    return failure();
  auto pb = readParam(nc, b.idx, b.name, b.data, b.axis);
  if (failed(pb))
    return failure();
  return std::make_pair(*pa, *pb);
}

FailureOr<std::optional<int64_t>> quantAxis(NodeContext &nc, int64_t rank) {
  if (nc.attrInt("block_size", 0) != 0)
    return nc.fail("blocked quantization (block_size) is not supported");
  if (nc.opset < 13)
    return std::optional<int64_t>();
  if (nc.hasAttr("axis")) {
    FailureOr<int64_t> a = nc.normalizeAxis(nc.attrInt("axis", 1), rank);
    if (failed(a))
      return failure();
    return std::optional<int64_t>(*a);
  }
  return rank > 1 ? std::optional<int64_t>(1) : std::optional<int64_t>();
}

/// float(x - zeroPoint) * scale over x's shape (the subtraction in int32,
/// exact); `scale` may be null, and so may the zero point's value.
Value dequantizeTensor(OpBuilder &b, Location loc, Value x, OnnxType xType,
                       const QParam *scale, const QParam &zp) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<Value> operands = {x};
  SmallVector<SmallVector<int64_t>> dims(1);
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    dims[0].push_back(d);
  bool hasZp = static_cast<bool>(zp.value);
  bool hasScale = scale && scale->value;
  for (const QParam *p : {hasZp ? &zp : nullptr, hasScale ? scale : nullptr}) {
    if (!p)
      continue;
    Mapped m = mapParam(*p, p->axis);
    operands.push_back(m.value);
    dims.push_back(m.dims);
  }
  return elementwiseMapped(
      b, loc, operands, dims, shape, b.getF32Type(),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        OnnxType from = xType;
        unsigned k = 1;
        if (hasZp) {
          Value xi = castScalar(nb, l, v, xType, kI32);
          Value zi = castScalar(nb, l, a[k++], zp.type, kI32);
          v = arith::SubIOp::create(nb, l, xi, zi);
          from = kI32;
        }
        Value f = castScalar(nb, l, v, from, kF32);
        if (hasScale)
          f = arith::MulFOp::create(nb, l, f, a[k]);
        return f;
      });
}

/// saturate(round_half_even((float(x) + bias) * factors / yScale) +
/// yZeroPoint) as `outType` (int8 or uint8) over x's shape; `bias` (int32)
/// and the zero point may be null. NaN saturates to the type's lowest value.
Value quantizeTensor(OpBuilder &b, Location loc, Value x, OnnxType xType,
                     ArrayRef<Mapped> factors, const Mapped &bias,
                     const Mapped &yScale, const Mapped &yZp,
                     OnnxType outType) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<Value> operands = {x};
  SmallVector<SmallVector<int64_t>> dims(1);
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    dims[0].push_back(d);
  auto add = [&](const Mapped &m) {
    if (!m.value)
      return;
    operands.push_back(m.value);
    dims.push_back(m.dims);
  };
  add(bias);
  for (const Mapped &m : factors)
    add(m);
  add(yScale);
  add(yZp);
  bool hasBias = static_cast<bool>(bias.value);
  bool hasZp = static_cast<bool>(yZp.value);
  double lo = outType == kI8 ? -128 : 0, hi = outType == kI8 ? 127 : 255;
  Type outElem = toMlirType(b.getContext(), outType);
  return elementwiseMapped(
      b, loc, operands, dims, shape, outElem,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Type f32 = nb.getF32Type();
        Value v = castScalar(nb, l, a[0], xType, kF32);
        unsigned k = 1;
        if (hasBias)
          v = arith::AddFOp::create(nb, l, v,
                                    castScalar(nb, l, a[k++], kI32, kF32));
        for (size_t f = 0; f < factors.size(); ++f)
          v = arith::MulFOp::create(nb, l, v, a[k++]);
        v = arith::DivFOp::create(nb, l, v, a[k++]);
        v = math::RoundEvenOp::create(nb, l, v);
        if (hasZp)
          v = arith::AddFOp::create(nb, l, v,
                                    castScalar(nb, l, a[k++], outType, kF32));
        v = arith::MaxNumFOp::create(nb, l, v, scalarConstant(nb, l, f32, lo));
        v = arith::MinNumFOp::create(nb, l, v, scalarConstant(nb, l, f32, hi));
        return castScalar(nb, l, v, kF32, outType);
      });
}

/// Converts every element of f32 `v` (integral values) to int32.
Value toInt32(OpBuilder &b, Location loc, Value v) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
  return elementwise(b, loc, {v}, shape, b.getI32Type(),
                     [](OpBuilder &nb, Location l, ValueRange a) {
                       return castScalar(nb, l, a[0], kF32, kI32);
                     });
}

/// The scale (input 1) and zero point (input 2) of a QuantizeLinear or
/// DequantizeLinear whose data has shape \p xs, checked: the scale a float,
/// the zero point of type \p zpType (matching \p dataName's, if named), both
/// per tensor or along the node's axis.
FailureOr<std::pair<QParam, QParam>>
readQdqParams(NodeContext &nc, ArrayRef<int64_t> xs, StringRef scaleName,
              StringRef zpName, OnnxType zpType, StringRef dataName) {
  auto axis = quantAxis(nc, xs.size());
  if (failed(axis) || failed(checkScale(nc, 1, scaleName)) ||
      failed(checkZeroPoint(nc, 2, zpName, zpType, dataName)))
    return failure();
  return readParams(nc, {1, scaleName, xs, *axis}, {2, zpName, xs, *axis});
}

LogicalResult convertQuantizeLinear(NodeContext &nc) {
  OnnxType xType = nc.inputOnnxType(0);
  if (!isFloatType(xType) && xType != kI32)
    return nc.fail("x must be a float type or int32, got " + typeName(xType));
  auto params =
      readQdqParams(nc, nc.inputShape(0), "y_scale", "y_zero_point", kU8, "");
  if (failed(params))
    return failure();
  OnnxType outType = nc.hasInput(2) ? nc.inputOnnxType(2) : kU8;
  auto &[scale, zp] = *params;
  Value x = nc.input(0);
  if (!x)
    return failure();
  Value y = quantizeTensor(nc.b, nc.loc, x, xType, {}, Mapped(),
                           mapParam(scale, scale.axis), mapParam(zp, zp.axis),
                           outType);
  nc.setResult(0, y, outType);
  return success();
}

LogicalResult convertDequantizeLinear(NodeContext &nc) {
  OnnxType xType = nc.inputOnnxType(0);
  if (!isInt8Type(xType) && xType != kI32)
    return nc.fail("x must be int8, uint8 or int32, got " + typeName(xType));
  auto params = readQdqParams(nc, nc.inputShape(0), "x_scale", "x_zero_point",
                              xType, "x");
  if (failed(params))
    return failure();
  auto &[scale, zp] = *params;
  Value x = nc.input(0);
  if (!x)
    return failure();
  nc.setResult(0, dequantizeTensor(nc.b, nc.loc, x, xType, &scale, zp), kF32);
  return success();
}

/// y_scale = (max(x, 0) - min(x, 0)) / 255, y_zero_point =
/// saturate(round(-min(x, 0) / y_scale)), y = QuantizeLinear(x) as uint8.
LogicalResult convertDynamicQuantizeLinear(NodeContext &nc) {
  if (nc.inputOnnxType(0) != kF32)
    return nc.fail("x must be float, got " + typeName(nc.inputOnnxType(0)));
  Value x = nc.input(0);
  if (!x)
    return failure();
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Type f32 = b.getF32Type();
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < static_cast<int64_t>(nc.inputShape(0).size()); ++d)
    all.push_back(d);
  auto reduce = [&](TypedAttr init, bool isMin) {
    return reduceTensor(
        b, loc, x, all, false, init,
        [isMin](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
          if (isMin)
            return arith::MinimumFOp::create(nb, l, acc, v);
          return arith::MaximumFOp::create(nb, l, acc, v);
        });
  };
  Value lo = reduce(highestAttr(f32), true);
  Value hi = reduce(lowestAttr(f32), false);
  auto clampZero = [](OpBuilder &nb, Location l, Value lo, Value hi,
                      Value &outLo, Value &outHi) {
    Value zero = scalarConstant(nb, l, nb.getF32Type(), 0.0);
    outLo = arith::MinimumFOp::create(nb, l, lo, zero);
    outHi = arith::MaximumFOp::create(nb, l, hi, zero);
  };
  Value scale = elementwise(
      b, loc, {lo, hi}, {}, f32,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value mn, mx;
        clampZero(nb, l, a[0], a[1], mn, mx);
        Value range = arith::SubFOp::create(nb, l, mx, mn);
        return arith::DivFOp::create(
            nb, l, range, scalarConstant(nb, l, nb.getF32Type(), 255.0));
      });
  // zero point = saturate(round(0 - min / scale)): QuantizeLinear of -min.
  Value negLo =
      elementwise(b, loc, {lo, hi}, {}, f32,
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    Value mn, mx;
                    clampZero(nb, l, a[0], a[1], mn, mx);
                    return arith::NegFOp::create(nb, l, mn);
                  });
  Mapped perTensor{scale, {}};
  Value zp = quantizeTensor(b, loc, negLo, kF32, {}, Mapped(), perTensor,
                            Mapped(), kU8);
  Value y = quantizeTensor(b, loc, x, kF32, {}, Mapped(), perTensor,
                           Mapped{zp, {}}, kU8);
  nc.setResult(0, y, kU8);
  nc.setResult(1, scale, kF32);
  nc.setResult(2, zp, kU8);
  return success();
}

/// Input `idx` minus its zero point, as f32, for an integer contraction.
FailureOr<Value> zeroPointRemoved(NodeContext &nc, unsigned idx,
                                  const QParam &zp) {
  Value v = nc.input(idx);
  if (!v)
    return failure();
  return dequantizeTensor(nc.b, nc.loc, v, nc.inputOnnxType(idx), nullptr, zp);
}

/// The matmul axes of a zero point or scale: A's rows, B's columns (none for
/// a 1-D operand).
std::optional<int64_t> rowAxis(ArrayRef<int64_t> s) {
  return s.size() >= 2 ? std::optional<int64_t>(s.size() - 2) : std::nullopt;
}
std::optional<int64_t> colAxis(ArrayRef<int64_t> s) {
  return s.size() >= 2 ? std::optional<int64_t>(s.size() - 1) : std::nullopt;
}

/// The two integer operands `a` and `b` of a contraction (named names[0],
/// names[1]) minus their zero points (inputs `azp`, `bzp`, named names[2],
/// names[3], per tensor or along `aAxis` / `bAxis`), in f32; types checked.
FailureOr<std::pair<Value, Value>>
operandsWithoutZeroPoints(NodeContext &nc, unsigned a, unsigned b, unsigned azp,
                          unsigned bzp, ArrayRef<StringRef> names,
                          std::optional<int64_t> aAxis,
                          std::optional<int64_t> bAxis) {
  if (failed(checkInt8Data(nc, a, names[0])) ||
      failed(checkInt8Data(nc, b, names[1])) ||
      failed(
          checkZeroPoint(nc, azp, names[2], nc.inputOnnxType(a), names[0])) ||
      failed(checkZeroPoint(nc, bzp, names[3], nc.inputOnnxType(b), names[1])))
    return failure();
  auto zps = readParams(nc, {azp, names[2], nc.inputShape(a), aAxis},
                        {bzp, names[3], nc.inputShape(b), bAxis});
  if (failed(zps))
    return failure();
  auto fa = zeroPointRemoved(nc, a, zps->first);
  if (failed(fa))
    return failure();
  auto fb = zeroPointRemoved(nc, b, zps->second);
  if (failed(fb))
    return failure();
  return std::make_pair(*fa, *fb);
}

/// MatMulInteger (A, B, a_zero_point, b_zero_point) and the integer part of
/// QLinearMatMul: inputs `a` and `b` minus zero points `azp`, `bzp`
/// (a per row, b per column), multiplied in f32.
FailureOr<Value> integerMatMul(NodeContext &nc, unsigned a, unsigned b,
                               unsigned azp, unsigned bzp,
                               ArrayRef<StringRef> names) {
  auto f = operandsWithoutZeroPoints(nc, a, b, azp, bzp, names,
                                     rowAxis(nc.inputShape(a)),
                                     colAxis(nc.inputShape(b)));
  if (failed(f))
    return failure();
  return buildMatMul(nc, f->first, f->second);
}

LogicalResult convertMatMulInteger(NodeContext &nc) {
  auto acc =
      integerMatMul(nc, 0, 1, 2, 3, {"A", "B", "a_zero_point", "b_zero_point"});
  if (failed(acc))
    return failure();
  nc.setResult(0, toInt32(nc.b, nc.loc, *acc), kI32);
  return success();
}

/// The output type of a QLinear* op: its y_zero_point's (input `idx`).
FailureOr<OnnxType> requantType(NodeContext &nc, unsigned idx) {
  if (failed(checkScale(nc, idx - 1, "y_scale")) ||
      failed(checkZeroPoint(nc, idx, "y_zero_point", kU8, "")))
    return failure();
  return nc.hasInput(idx) ? nc.inputOnnxType(idx) : kU8;
}

/// The parameters of a QLinear op: its operands' scales (inputs 1 and 4)
/// and its output's scale and zero point (inputs 6 and 7, per tensor).
struct QLinearParams {
  QParam sa, sb, sy, zy;
};

/// Checks a QLinear op's scales and output zero point (before its integer
/// product is built).
FailureOr<OnnxType> checkQLinear(NodeContext &nc, StringRef aScale,
                                 StringRef bScale) {
  auto outType = requantType(nc, 7);
  if (failed(outType) || failed(checkScale(nc, 1, aScale)) ||
      failed(checkScale(nc, 4, bScale)))
    return failure();
  return *outType;
}

/// Reads the parameters checkQLinear() checked; \p acc is the product.
FailureOr<QLinearParams> readQLinear(NodeContext &nc, const ParamSpec &a,
                                     const ParamSpec &b, Value acc) {
  auto in = readParams(nc, a, b);
  if (failed(in))
    return failure();
  ArrayRef<int64_t> ys = cast<RankedTensorType>(acc.getType()).getShape();
  auto out = readParams(nc, {6, "y_scale", ys, std::nullopt},
                        {7, "y_zero_point", ys, std::nullopt});
  if (failed(out))
    return failure();
  return QLinearParams{in->first, in->second, out->first, out->second};
}

LogicalResult convertQLinearMatMul(NodeContext &nc) {
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(3);
  auto outType = checkQLinear(nc, "a_scale", "b_scale");
  if (failed(outType))
    return failure();
  auto acc =
      integerMatMul(nc, 0, 3, 2, 5, {"a", "b", "a_zero_point", "b_zero_point"});
  if (failed(acc))
    return failure();
  auto q = readQLinear(nc, {1, "a_scale", as, rowAxis(as)},
                       {4, "b_scale", bs, colAxis(bs)}, *acc);
  if (failed(q))
    return failure();
  ArrayRef<int64_t> ys = cast<RankedTensorType>(acc->getType()).getShape();
  // A's rows are the output's second-to-last dim (its last when B is 1-D),
  // B's columns its last.
  int64_t rank = ys.size();
  int64_t rowDim = bs.size() == 1 ? rank - 1 : rank - 2;
  SmallVector<Mapped> factors = {mapParam(q->sa, rowDim),
                                 mapParam(q->sb, rank - 1)};
  Value y = quantizeTensor(nc.b, nc.loc, *acc, kF32, factors, Mapped(),
                           mapParam(q->sy, -1), mapParam(q->zy, -1), *outType);
  nc.setResult(0, y, *outType);
  return success();
}

/// ConvInteger (x, w, x_zero_point, w_zero_point) and the integer part of
/// QLinearConv: x minus its zero point (per tensor), w minus its zero point
/// (per tensor or per output channel), convolved in f32.
FailureOr<Value> integerConv(NodeContext &nc, unsigned x, unsigned w,
                             unsigned xzp, unsigned wzp) {
  auto f = operandsWithoutZeroPoints(nc, x, w, xzp, wzp,
                                     {"x", "w", "x_zero_point", "w_zero_point"},
                                     std::nullopt, 0);
  if (failed(f))
    return failure();
  return buildConv(nc, f->first, f->second, Value());
}

LogicalResult convertConvInteger(NodeContext &nc) {
  auto acc = integerConv(nc, 0, 1, 2, 3);
  if (failed(acc))
    return failure();
  nc.setResult(0, toInt32(nc.b, nc.loc, *acc), kI32);
  return success();
}

LogicalResult convertQLinearConv(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0), ws = nc.inputShape(3);
  auto outType = checkQLinear(nc, "x_scale", "w_scale");
  if (failed(outType))
    return failure();
  if (nc.hasInput(8)) {
    OnnxType bt = nc.inputOnnxType(8);
    ArrayRef<int64_t> bs = nc.inputShape(8);
    if (bt != kI32)
      return nc.fail("B must be int32, got " + typeName(bt));
    if (ws.empty() || bs != ArrayRef<int64_t>{ws[0]})
      return nc.fail("B has shape " + shapeString(bs) + ", expected " +
                     (ws.empty() ? std::string("?") : std::to_string(ws[0])) +
                     " (one per output channel)");
  }
  auto acc = integerConv(nc, 0, 3, 2, 5);
  if (failed(acc))
    return failure();
  auto q = readQLinear(nc, {1, "x_scale", xs, std::nullopt},
                       {4, "w_scale", ws, 0}, *acc);
  if (failed(q))
    return failure();
  // The bias (scale x_scale * w_scale, zero point 0) adds to the sums; the
  // weight's channel axis is the output's dim 1.
  Mapped bias;
  if (nc.hasInput(8)) {
    bias.value = nc.input(8);
    if (!bias.value)
      return failure();
    bias.dims = {1};
  }
  SmallVector<Mapped> factors = {mapParam(q->sa, -1), mapParam(q->sb, 1)};
  Value y = quantizeTensor(nc.b, nc.loc, *acc, kF32, factors, bias,
                           mapParam(q->sy, -1), mapParam(q->zy, -1), *outType);
  nc.setResult(0, y, *outType);
  return success();
}

} // namespace

void romac::onnximport::appendQuantizeOps(std::vector<OpConverter> &ops) {
  ops.push_back({"QuantizeLinear", convertQuantizeLinear, 10});
  ops.push_back({"DequantizeLinear", convertDequantizeLinear, 10});
  ops.push_back({"DynamicQuantizeLinear", convertDynamicQuantizeLinear, 11});
  ops.push_back({"QLinearMatMul", convertQLinearMatMul, 10});
  ops.push_back({"QLinearConv", convertQLinearConv, 10});
  ops.push_back({"MatMulInteger", convertMatMulInteger, 10});
  ops.push_back({"ConvInteger", convertConvInteger, 10});
}
