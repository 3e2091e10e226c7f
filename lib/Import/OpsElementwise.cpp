//===- OpsElementwise.cpp - element-wise ONNX ops --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Unary, binary (multidirectional broadcasting), variadic and ternary
// element-wise ops, activations and casts: each becomes one linalg.generic
// whose body is built from arith/math ops.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace romac::onnximport;

namespace {

/// Scalar arithmetic that picks the float or integer form of an op.
struct Scalar {
  OpBuilder &b;
  Location loc;
  bool isUnsigned = false;

  bool isFloat(Value v) const { return isa<FloatType>(v.getType()); }
  Value cst(Value like, double v) { return scalarConstant(b, loc, like.getType(), v); }
  Value add(Value x, Value y) {
    return isFloat(x) ? Value(arith::AddFOp::create(b, loc, x, y))
                      : Value(arith::AddIOp::create(b, loc, x, y));
  }
  Value sub(Value x, Value y) {
    return isFloat(x) ? Value(arith::SubFOp::create(b, loc, x, y))
                      : Value(arith::SubIOp::create(b, loc, x, y));
  }
  Value mul(Value x, Value y) {
    return isFloat(x) ? Value(arith::MulFOp::create(b, loc, x, y))
                      : Value(arith::MulIOp::create(b, loc, x, y));
  }
  Value div(Value x, Value y) {
    if (isFloat(x))
      return arith::DivFOp::create(b, loc, x, y);
    return isUnsigned ? Value(arith::DivUIOp::create(b, loc, x, y))
                      : Value(arith::DivSIOp::create(b, loc, x, y));
  }
  Value max(Value x, Value y) {
    if (isFloat(x))
      return arith::MaximumFOp::create(b, loc, x, y);
    return isUnsigned ? Value(arith::MaxUIOp::create(b, loc, x, y))
                      : Value(arith::MaxSIOp::create(b, loc, x, y));
  }
  Value min(Value x, Value y) {
    if (isFloat(x))
      return arith::MinimumFOp::create(b, loc, x, y);
    return isUnsigned ? Value(arith::MinUIOp::create(b, loc, x, y))
                      : Value(arith::MinSIOp::create(b, loc, x, y));
  }
  Value cmp(arith::CmpFPredicate fp, arith::CmpIPredicate sp,
            arith::CmpIPredicate up, Value x, Value y) {
    if (isFloat(x))
      return arith::CmpFOp::create(b, loc, fp, x, y);
    return arith::CmpIOp::create(b, loc, isUnsigned ? up : sp, x, y);
  }
  Value lt(Value x, Value y) {
    return cmp(arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
               arith::CmpIPredicate::ult, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value neg(Value x) {
    return isFloat(x) ? Value(arith::NegFOp::create(b, loc, x))
                      : sub(cst(x, 0), x);
  }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }
  Value sigmoid(Value x) {
    Value one = cst(x, 1.0);
    return arith::DivFOp::create(b, loc, one, add(one, exp(neg(x))));
  }
};

/// Builds the broadcasting generic for a node whose inputs are all operands.
LogicalResult emitElementwise(NodeContext &nc, ArrayRef<unsigned> inputs,
                              OnnxType outType,
                              const std::function<Value(Scalar &, ValueRange)>
                                  &body) {
  SmallVector<Value> operands;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (unsigned i : inputs) {
    Value v = nc.input(i);
    if (!v)
      return failure();
    operands.push_back(v);
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  }
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (failed(shape)) {
    std::string list;
    for (ArrayRef<int64_t> s : shapes)
      list += (list.empty() ? "" : ", ") + shapeString(s);
    return nc.fail("input shapes " + list + " do not broadcast");
  }
  Type outElem = toMlirType(nc.ctx(), outType);
  if (!outElem)
    return nc.fail("unsupported element type " + typeName(outType));
  bool isUnsigned = isUnsignedType(nc.inputOnnxType(inputs.front()));
  Value result = elementwise(
      nc.b, nc.loc, operands, *shape, outElem,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Scalar s{b, l, isUnsigned};
        return body(s, args);
      });
  nc.setResult(0, result, outType);
  return success();
}

/// All inputs, same output type as input 0.
LogicalResult emitSameType(NodeContext &nc,
                           const std::function<Value(Scalar &, ValueRange)>
                               &body) {
  SmallVector<unsigned> inputs;
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i))
      inputs.push_back(i);
  if (inputs.empty())
    return nc.fail("needs at least one input");
  return emitElementwise(nc, inputs, nc.inputOnnxType(0), body);
}

LogicalResult requireFloat(NodeContext &nc) {
  if (!isFloatType(nc.inputOnnxType(0)))
    return nc.fail("input type " + typeName(nc.inputOnnxType(0)) +
                   " is not supported (floating point only)");
  return success();
}

using UnaryFloatFn = std::function<Value(Scalar &, Value, NodeContext &)>;

OpConverter unaryFloat(const char *name, UnaryFloatFn fn) {
  return {name, [fn](NodeContext &nc) -> LogicalResult {
            if (failed(requireFloat(nc)))
              return failure();
            return emitElementwise(nc, {0}, nc.inputOnnxType(0),
                                   [&](Scalar &s, ValueRange a) {
                                     return fn(s, a[0], nc);
                                   });
          }};
}

template <typename MathOp>
OpConverter mathUnary(const char *name) {
  return unaryFloat(name, [](Scalar &s, Value x, NodeContext &) -> Value {
    return MathOp::create(s.b, s.loc, x);
  });
}

using BinaryFn = std::function<Value(Scalar &, Value, Value)>;

OpConverter binary(const char *name, BinaryFn fn) {
  return {name, [fn](NodeContext &nc) -> LogicalResult {
            return emitElementwise(nc, {0, 1}, nc.inputOnnxType(0),
                                   [&](Scalar &s, ValueRange a) {
                                     return fn(s, a[0], a[1]);
                                   });
          }};
}

OpConverter compare(const char *name, arith::CmpFPredicate fp,
                    arith::CmpIPredicate sp, arith::CmpIPredicate up) {
  return {name, [=](NodeContext &nc) -> LogicalResult {
            return emitElementwise(nc, {0, 1}, onnx::TensorProto::BOOL,
                                   [&](Scalar &s, ValueRange a) {
                                     return s.cmp(fp, sp, up, a[0], a[1]);
                                   });
          }};
}

OpConverter variadic(const char *name, BinaryFn fn, bool mean = false) {
  return {name, [fn, mean](NodeContext &nc) -> LogicalResult {
            return emitSameType(nc, [&](Scalar &s, ValueRange a) {
              Value acc = a[0];
              for (Value v : a.drop_front())
                acc = fn(s, acc, v);
              if (mean)
                acc = s.div(acc, s.cst(acc, double(a.size())));
              return acc;
            });
          }};
}

LogicalResult convertCast(NodeContext &nc, OnnxType to) {
  OnnxType from = nc.inputOnnxType(0);
  if (!toMlirType(nc.ctx(), to))
    return nc.fail("cannot cast to unsupported type " + typeName(to));
  return emitElementwise(nc, {0}, to, [&](Scalar &s, ValueRange a) {
    return castScalar(s.b, s.loc, a[0], from, to);
  });
}

LogicalResult convertClip(NodeContext &nc) {
  Type elem = nc.inputType(0).getElementType();
  double lo, hi;
  bool hasLo = true, hasHi = true;
  if (nc.opset < 11) {
    lo = nc.attrFloat("min", -std::numeric_limits<float>::max());
    hi = nc.attrFloat("max", std::numeric_limits<float>::max());
    hasLo = nc.hasAttr("min");
    hasHi = nc.hasAttr("max");
  } else {
    hasLo = nc.hasInput(1);
    hasHi = nc.hasInput(2);
    lo = hi = 0;
  }
  SmallVector<unsigned> inputs = {0};
  // Bounds given as tensors stay tensors (they may be computed).
  if (nc.opset >= 11) {
    if (hasLo)
      inputs.push_back(1);
    if (hasHi)
      inputs.push_back(2);
  }
  return emitElementwise(
      nc, inputs, nc.inputOnnxType(0), [&](Scalar &s, ValueRange a) {
        Value x = a[0];
        unsigned k = 1;
        if (hasLo)
          x = s.max(x, nc.opset >= 11 ? a[k++] : scalarConstant(s.b, s.loc, elem, lo));
        if (hasHi)
          x = s.min(x, nc.opset >= 11 ? a[k++] : scalarConstant(s.b, s.loc, elem, hi));
        return x;
      });
}

LogicalResult convertDropout(NodeContext &nc) {
  // Inference: identity; the optional mask is all true.
  Value x = nc.input(0);
  if (!x)
    return failure();
  nc.setResult(0, x, nc.inputOnnxType(0));
  if (nc.hasOutput(1)) {
    auto shape = nc.inputShape(0);
    nc.setResult(1,
                 filledTensor(nc.b, nc.loc, shape, nc.b.getI1Type(),
                              nc.b.getBoolAttr(true)),
                 onnx::TensorProto::BOOL);
  }
  return success();
}

LogicalResult convertMod(NodeContext &nc) {
  bool fmod = nc.attrInt("fmod", 0) != 0;
  return emitElementwise(
      nc, {0, 1}, nc.inputOnnxType(0), [&](Scalar &s, ValueRange a) -> Value {
        Value x = a[0], y = a[1];
        if (s.isFloat(x)) {
          Value r = arith::RemFOp::create(s.b, s.loc, x, y);
          if (fmod)
            return r;
          // Python modulo: the result takes the sign of the divisor.
          Value zero = s.cst(x, 0);
          Value nonzero = s.cmp(arith::CmpFPredicate::ONE, {}, {}, r, zero);
          Value signsDiffer =
              arith::XOrIOp::create(s.b, s.loc, s.lt(r, zero), s.lt(y, zero));
          Value fix = arith::AndIOp::create(s.b, s.loc, nonzero, signsDiffer);
          return s.select(fix, s.add(r, y), r);
        }
        if (s.isUnsigned)
          return arith::RemUIOp::create(s.b, s.loc, x, y);
        Value r = arith::RemSIOp::create(s.b, s.loc, x, y);
        if (fmod)
          return r;
        Value zero = s.cst(x, 0);
        Value nonzero = arith::CmpIOp::create(s.b, s.loc,
                                              arith::CmpIPredicate::ne, r, zero);
        Value signsDiffer = arith::XOrIOp::create(s.b, s.loc, s.lt(r, zero),
                                                  s.lt(y, zero));
        Value fix = arith::AndIOp::create(s.b, s.loc, nonzero, signsDiffer);
        return s.select(fix, s.add(r, y), r);
      });
}

LogicalResult convertPow(NodeContext &nc) {
  OnnxType baseType = nc.inputOnnxType(0), expType = nc.inputOnnxType(1);
  return emitElementwise(
      nc, {0, 1}, baseType, [&](Scalar &s, ValueRange a) -> Value {
        Value x = a[0], y = a[1];
        if (s.isFloat(x)) {
          if (!s.isFloat(y))
            y = castScalar(s.b, s.loc, y, expType, baseType);
          else if (y.getType() != x.getType())
            y = castScalar(s.b, s.loc, y, expType, baseType);
          return math::PowFOp::create(s.b, s.loc, x, y);
        }
        // Integer base: compute in f64 and convert back.
        Value fx = castScalar(s.b, s.loc, x, baseType, onnx::TensorProto::DOUBLE);
        Value fy = castScalar(s.b, s.loc, y, expType, onnx::TensorProto::DOUBLE);
        Value p = math::PowFOp::create(s.b, s.loc, fx, fy);
        return castScalar(s.b, s.loc, p, onnx::TensorProto::DOUBLE, baseType);
      });
}

/// Arithmetic, comparison and logic ops on two (or more) broadcast inputs.
void appendBinaryOps(std::vector<OpConverter> &ops) {
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  ops.push_back(binary("Add", [](Scalar &s, Value x, Value y) { return s.add(x, y); }));
  ops.push_back(binary("Sub", [](Scalar &s, Value x, Value y) { return s.sub(x, y); }));
  ops.push_back(binary("Mul", [](Scalar &s, Value x, Value y) { return s.mul(x, y); }));
  ops.push_back(binary("Div", [](Scalar &s, Value x, Value y) { return s.div(x, y); }));
  ops.push_back(binary("PRelu", [](Scalar &s, Value x, Value slope) {
    return s.select(s.lt(x, s.cst(x, 0)), s.mul(x, slope), x);
  }));
  ops.push_back({"Pow", convertPow});
  ops.push_back({"Mod", convertMod});
  ops.push_back(variadic("Sum", [](Scalar &s, Value x, Value y) { return s.add(x, y); }));
  ops.push_back(variadic("Mean", [](Scalar &s, Value x, Value y) { return s.add(x, y); }, true));
  ops.push_back(variadic("Max", [](Scalar &s, Value x, Value y) { return s.max(x, y); }));
  ops.push_back(variadic("Min", [](Scalar &s, Value x, Value y) { return s.min(x, y); }));
  ops.push_back(compare("Equal", P::OEQ, I::eq, I::eq));
  ops.push_back(compare("Less", P::OLT, I::slt, I::ult));
  ops.push_back(compare("LessOrEqual", P::OLE, I::sle, I::ule));
  ops.push_back(compare("Greater", P::OGT, I::sgt, I::ugt));
  ops.push_back(compare("GreaterOrEqual", P::OGE, I::sge, I::uge));
  ops.push_back(binary("And", [](Scalar &s, Value x, Value y) -> Value {
    return arith::AndIOp::create(s.b, s.loc, x, y);
  }));
  ops.push_back(binary("Or", [](Scalar &s, Value x, Value y) -> Value {
    return arith::OrIOp::create(s.b, s.loc, x, y);
  }));
  ops.push_back(binary("Xor", [](Scalar &s, Value x, Value y) -> Value {
    return arith::XOrIOp::create(s.b, s.loc, x, y);
  }));
}

/// Selection, casts, and unary ops that keep their input's type.
void appendUnaryOps(std::vector<OpConverter> &ops) {
  ops.push_back({"Not", [](NodeContext &nc) {
                   return emitElementwise(
                       nc, {0}, onnx::TensorProto::BOOL,
                       [](Scalar &s, ValueRange a) -> Value {
                         return arith::XOrIOp::create(s.b, s.loc, a[0],
                                                      s.cst(a[0], 1));
                       });
                 }});
  ops.push_back({"Where", [](NodeContext &nc) {
                   return emitElementwise(nc, {0, 1, 2}, nc.inputOnnxType(1),
                                          [](Scalar &s, ValueRange a) {
                                            return s.select(a[0], a[1], a[2]);
                                          });
                 }});
  ops.push_back({"Cast", [](NodeContext &nc) {
                   return convertCast(nc, nc.attrInt("to", 0));
                 }});
  ops.push_back({"CastLike", [](NodeContext &nc) {
                   return convertCast(nc, nc.inputOnnxType(1));
                 }, 15});
  ops.push_back({"Clip", convertClip});
  ops.push_back({"Dropout", convertDropout});
  ops.push_back({"Identity", [](NodeContext &nc) -> LogicalResult {
                   Value x = nc.input(0);
                   if (!x)
                     return failure();
                   nc.setResult(0, x, nc.inputOnnxType(0));
                   return success();
                 }});
  ops.push_back({"Relu", [](NodeContext &nc) {
                   return emitSameType(nc, [](Scalar &s, ValueRange a) {
                     return s.max(a[0], s.cst(a[0], 0));
                   });
                 }});
  ops.push_back({"Neg", [](NodeContext &nc) {
                   return emitSameType(nc, [](Scalar &s, ValueRange a) {
                     return s.neg(a[0]);
                   });
                 }});
  ops.push_back({"Abs", [](NodeContext &nc) {
                   return emitSameType(nc, [](Scalar &s, ValueRange a) -> Value {
                     if (s.isFloat(a[0]))
                       return math::AbsFOp::create(s.b, s.loc, a[0]);
                     if (s.isUnsigned)
                       return a[0];
                     return math::AbsIOp::create(s.b, s.loc, a[0]);
                   });
                 }});
  ops.push_back({"Sign", [](NodeContext &nc) {
                   return emitSameType(nc, [](Scalar &s, ValueRange a) {
                     Value x = a[0], zero = s.cst(x, 0);
                     Value pos = s.select(s.lt(zero, x), s.cst(x, 1), zero);
                     return s.select(s.lt(x, zero), s.cst(x, -1), pos);
                   });
                 }});
  ops.push_back(mathUnary<math::ExpOp>("Exp"));
  ops.push_back(mathUnary<math::LogOp>("Log"));
  ops.push_back(mathUnary<math::SqrtOp>("Sqrt"));
  ops.push_back(mathUnary<math::TanhOp>("Tanh"));
  ops.push_back(mathUnary<math::ErfOp>("Erf"));
  ops.push_back(mathUnary<math::SinOp>("Sin"));
  ops.push_back(mathUnary<math::CosOp>("Cos"));
  ops.push_back(mathUnary<math::TanOp>("Tan"));
  ops.push_back(mathUnary<math::AsinOp>("Asin"));
  ops.push_back(mathUnary<math::AcosOp>("Acos"));
  ops.push_back(mathUnary<math::AtanOp>("Atan"));
  ops.push_back(mathUnary<math::SinhOp>("Sinh"));
  ops.push_back(mathUnary<math::CoshOp>("Cosh"));
  ops.push_back(mathUnary<math::AsinhOp>("Asinh"));
  ops.push_back(mathUnary<math::AcoshOp>("Acosh"));
  ops.push_back(mathUnary<math::AtanhOp>("Atanh"));
  ops.push_back(mathUnary<math::FloorOp>("Floor"));
  ops.push_back(mathUnary<math::CeilOp>("Ceil"));
  ops.push_back(mathUnary<math::RoundEvenOp>("Round"));
}

/// Activation functions on floats, and the NaN / infinity tests.
void appendActivationOps(std::vector<OpConverter> &ops) {
  ops.push_back(unaryFloat("Reciprocal", [](Scalar &s, Value x, NodeContext &) {
    return s.div(s.cst(x, 1), x);
  }));
  ops.push_back(unaryFloat("Sigmoid", [](Scalar &s, Value x, NodeContext &) {
    return s.sigmoid(x);
  }));
  ops.push_back(unaryFloat("Softplus", [](Scalar &s, Value x, NodeContext &) {
    return s.log(s.add(s.exp(x), s.cst(x, 1)));
  }));
  ops.push_back(unaryFloat("Softsign", [](Scalar &s, Value x, NodeContext &) {
    Value ax = math::AbsFOp::create(s.b, s.loc, x);
    return s.div(x, s.add(s.cst(x, 1), ax));
  }));
  ops.push_back(unaryFloat("LeakyRelu", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 0.01f));
    return s.select(s.lt(x, s.cst(x, 0)), s.mul(alpha, x), x);
  }));
  ops.push_back(unaryFloat("ThresholdedRelu", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 1.0f));
    return s.select(s.lt(alpha, x), x, s.cst(x, 0));
  }));
  ops.push_back(unaryFloat("Elu", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 1.0f));
    Value neg = s.mul(alpha, s.sub(s.exp(x), s.cst(x, 1)));
    return s.select(s.lt(x, s.cst(x, 0)), neg, x);
  }));
  ops.push_back(unaryFloat("Celu", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 1.0f));
    Value neg = s.mul(alpha, s.sub(s.exp(s.div(x, alpha)), s.cst(x, 1)));
    return s.add(s.max(x, s.cst(x, 0)), s.min(s.cst(x, 0), neg));
  }));
  ops.push_back(unaryFloat("Selu", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 1.67326319217681884765625f));
    Value gamma = s.cst(x, nc.attrFloat("gamma", 1.05070102214813232421875f));
    Value neg = s.sub(s.mul(alpha, s.exp(x)), alpha);
    return s.mul(gamma, s.select(s.lt(s.cst(x, 0), x), x, neg));
  }));
  ops.push_back(unaryFloat("HardSigmoid", [](Scalar &s, Value x, NodeContext &nc) {
    Value alpha = s.cst(x, nc.attrFloat("alpha", 0.2f));
    Value beta = s.cst(x, nc.attrFloat("beta", 0.5f));
    Value y = s.add(s.mul(alpha, x), beta);
    return s.max(s.cst(x, 0), s.min(s.cst(x, 1), y));
  }));
  ops.push_back(unaryFloat("HardSwish", [](Scalar &s, Value x, NodeContext &) {
    Value y = s.add(s.mul(s.cst(x, 1.0 / 6.0), x), s.cst(x, 0.5));
    return s.mul(x, s.max(s.cst(x, 0), s.min(s.cst(x, 1), y)));
  }));
  ops.push_back({"IsNaN", [](NodeContext &nc) {
                   return emitElementwise(
                       nc, {0}, onnx::TensorProto::BOOL,
                       [](Scalar &s, ValueRange a) -> Value {
                         return arith::CmpFOp::create(
                             s.b, s.loc, arith::CmpFPredicate::UNO, a[0], a[0]);
                       });
                 }});
  ops.push_back({"IsInf", [](NodeContext &nc) {
                   bool pos = nc.attrInt("detect_positive", 1);
                   bool neg = nc.attrInt("detect_negative", 1);
                   return emitElementwise(
                       nc, {0}, onnx::TensorProto::BOOL,
                       [&](Scalar &s, ValueRange a) -> Value {
                         Value x = a[0];
                         Value inf = s.cst(x, std::numeric_limits<double>::infinity());
                         Value isPos = arith::CmpFOp::create(
                             s.b, s.loc, arith::CmpFPredicate::OEQ, x, inf);
                         Value isNeg = arith::CmpFOp::create(
                             s.b, s.loc, arith::CmpFPredicate::OEQ, x, s.neg(inf));
                         Value f = s.cst(isPos, 0);
                         return arith::OrIOp::create(s.b, s.loc, pos ? isPos : f,
                                                     neg ? isNeg : f);
                       });
                 }});
}

} // namespace

void romac::onnximport::appendElementwiseOps(std::vector<OpConverter> &ops) {
  appendBinaryOps(ops);
  appendUnaryOps(ops);
  appendActivationOps(ops);
}
