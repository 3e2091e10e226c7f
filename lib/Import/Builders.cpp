//===- Builders.cpp - IR building helpers of the ONNX importer -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Small builders shared by the op converters: broadcasting element-wise
// linalg.generic, reductions, reshapes, transposes, scalar casts and dense
// constants. All shapes are static.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace romac::onnximport;

std::string romac::onnximport::shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (auto [k, d] : llvm::enumerate(shape)) {
    if (k)
      s += "x";
    s += d < 0 ? "?" : std::to_string(d);
  }
  return s;
}

FailureOr<SmallVector<int64_t>>
romac::onnximport::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> out(rank, 1);
  for (ArrayRef<int64_t> s : shapes) {
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t &o = out[rank - s.size() + k];
      if (s[k] == o || s[k] == 1)
        continue;
      if (o != 1)
        return failure();
      o = s[k];
    }
  }
  return out;
}

Value romac::onnximport::emptyTensor(OpBuilder &b, Location loc,
                                     ArrayRef<int64_t> shape, Type elem) {
  return tensor::EmptyOp::create(b, loc, shape, elem);
}

TypedAttr romac::onnximport::scalarAttr(Type elem, double v) {
  if (auto ft = dyn_cast<FloatType>(elem)) {
    llvm::APFloat f(v);
    bool lost;
    f.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    return FloatAttr::get(elem, f);
  }
  auto it = cast<IntegerType>(elem);
  if (it.getWidth() == 1)
    return IntegerAttr::get(elem, v != 0.0 ? 1 : 0);
  return IntegerAttr::get(elem, static_cast<int64_t>(v));
}

TypedAttr romac::onnximport::lowestAttr(Type elem) {
  if (isa<FloatType>(elem))
    return scalarAttr(elem, -std::numeric_limits<double>::infinity());
  unsigned w = cast<IntegerType>(elem).getWidth();
  return IntegerAttr::get(elem, w == 1 ? llvm::APInt(1, 0)
                                       : llvm::APInt::getSignedMinValue(w));
}

TypedAttr romac::onnximport::highestAttr(Type elem) {
  if (isa<FloatType>(elem))
    return scalarAttr(elem, std::numeric_limits<double>::infinity());
  unsigned w = cast<IntegerType>(elem).getWidth();
  return IntegerAttr::get(elem, w == 1 ? llvm::APInt(1, 1)
                                       : llvm::APInt::getSignedMaxValue(w));
}

Value romac::onnximport::scalarConstant(OpBuilder &b, Location loc, Type elem,
                                        double v) {
  return arith::ConstantOp::create(b, loc, scalarAttr(elem, v));
}

Value romac::onnximport::filledTensor(OpBuilder &b, Location loc,
                                      ArrayRef<int64_t> shape, Type elem,
                                      TypedAttr value) {
  Value init = emptyTensor(b, loc, shape, elem);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

Value romac::onnximport::elementwise(OpBuilder &b, Location loc,
                                     ValueRange operands,
                                     ArrayRef<int64_t> outShape, Type outElem,
                                     const BodyFn &body) {
  // Numpy broadcasting: operand dims align with the trailing output dims.
  SmallVector<SmallVector<int64_t>> dims;
  int64_t rank = outShape.size();
  for (Value v : operands) {
    int64_t r = cast<RankedTensorType>(v.getType()).getRank();
    SmallVector<int64_t> d;
    for (int64_t k = 0; k < r; ++k)
      d.push_back(rank - r + k);
    dims.push_back(d);
  }
  return elementwiseMapped(b, loc, operands, dims, outShape, outElem, body);
}

Value romac::onnximport::elementwiseMapped(
    OpBuilder &b, Location loc, ValueRange operands,
    ArrayRef<SmallVector<int64_t>> operandDims, ArrayRef<int64_t> outShape,
    Type outElem, const BodyFn &body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outShape.size();
  SmallVector<AffineMap> maps;
  for (auto [v, dims] : llvm::zip(operands, operandDims)) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t d = dims[k];
      exprs.push_back(s[k] == 1 && outShape[d] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(d, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, loc, outShape, outElem);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value r = body(nb, l, args.drop_back());
        linalg::YieldOp::create(nb, l, r);
      });
  return op.getResult(0);
}

/// Finds the coarsest shape `mid` that both `src` and `dst` refine into:
/// src -> mid is a tensor.expand_shape (each src dim splits into a group of
/// mid dims) and mid -> dst a tensor.collapse_shape. Fails when a dim of one
/// side straddles a boundary of the other (e.g. [2,3] -> [3,2]).
static LogicalResult commonRefinement(ArrayRef<int64_t> src,
                                      ArrayRef<int64_t> dst,
                                      SmallVectorImpl<int64_t> &mid,
                                      SmallVectorImpl<ReassociationIndices> &toSrc,
                                      SmallVectorImpl<ReassociationIndices> &toDst) {
  auto hasZero = [](ArrayRef<int64_t> s) { return llvm::is_contained(s, 0); };
  if (src.empty() || dst.empty() || hasZero(src) || hasZero(dst))
    return failure();
  toSrc.assign(src.size(), {});
  toDst.assign(dst.size(), {});
  size_t i = 0, j = 0;
  int64_t remS = src[0], remD = dst[0];
  auto emit = [&](int64_t size) {
    toSrc[i].push_back(mid.size());
    toDst[j].push_back(mid.size());
    mid.push_back(size);
  };
  while (i < src.size() && j < dst.size()) {
    if (remS == 1 && remD == 1) {
      // Close both dims (a unit dim on either side gets its own mid dim).
      if (toSrc[i].empty() || toDst[j].empty())
        emit(1);
      ++i;
      ++j;
      remS = i < src.size() ? src[i] : 1;
      remD = j < dst.size() ? dst[j] : 1;
      continue;
    }
    if (remS == 1) { // a unit src dim inside a dst dim
      if (toSrc[i].empty())
        emit(1);
      if (++i < src.size())
        remS = src[i];
      continue;
    }
    if (remD == 1) {
      if (toDst[j].empty())
        emit(1);
      if (++j < dst.size())
        remD = dst[j];
      continue;
    }
    int64_t f = std::min(remS, remD);
    if (remS % f || remD % f)
      return failure();
    emit(f);
    remS /= f;
    remD /= f;
  }
  // Trailing unit dims on one side join the last group of the other.
  for (; i < src.size(); ++i) {
    if (src[i] != 1 || toDst.empty())
      return failure();
    if (toSrc[i].empty()) {
      toSrc[i].push_back(mid.size());
      toDst.back().push_back(mid.size());
      mid.push_back(1);
    }
  }
  for (; j < dst.size(); ++j) {
    if (dst[j] != 1 || toSrc.empty())
      return failure();
    if (toDst[j].empty()) {
      toDst[j].push_back(mid.size());
      toSrc.back().push_back(mid.size());
      mid.push_back(1);
    }
  }
  return success(llvm::all_of(toSrc, [](auto &g) { return !g.empty(); }) &&
                 llvm::all_of(toDst, [](auto &g) { return !g.empty(); }));
}

Value romac::onnximport::reshapeTensor(OpBuilder &b, Location loc, Value v,
                                       ArrayRef<int64_t> shape) {
  auto srcType = cast<RankedTensorType>(v.getType());
  if (srcType.getShape() == shape)
    return v;
  Type elem = srcType.getElementType();
  auto dstType = RankedTensorType::get(shape, elem);
  ArrayRef<int64_t> src = srcType.getShape();
  // Through the common refinement: expand, then collapse.
  SmallVector<int64_t> mid;
  SmallVector<ReassociationIndices> toSrc, toDst;
  if (succeeded(commonRefinement(src, shape, mid, toSrc, toDst))) {
    Value m = v;
    if (ArrayRef<int64_t>(mid) != src)
      m = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(mid, elem), v, toSrc);
    if (ArrayRef<int64_t>(mid) != shape)
      m = tensor::CollapseShapeOp::create(b, loc, dstType, m, toDst);
    return m;
  }
  // General case: through a 1-D tensor.
  int64_t n = srcType.getNumElements();
  auto flatType = RankedTensorType::get({n}, elem);
  Value flat = v;
  if (src.size() != 1) {
    SmallVector<ReassociationIndices> all(1);
    for (size_t k = 0; k < src.size(); ++k)
      all[0].push_back(k);
    if (src.empty())
      flat = tensor::ExpandShapeOp::create(b, loc, flatType, v,
                                           ArrayRef<ReassociationIndices>{});
    else
      flat = tensor::CollapseShapeOp::create(b, loc, flatType, v, all);
  }
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, dstType, flat,
                                           ArrayRef<ReassociationIndices>{});
  SmallVector<ReassociationIndices> all(1);
  for (size_t k = 0; k < shape.size(); ++k)
    all[0].push_back(k);
  return tensor::ExpandShapeOp::create(b, loc, dstType, flat, all);
}

Value romac::onnximport::padTensor(OpBuilder &b, Location loc, Value x,
                                   ArrayRef<int64_t> low,
                                   ArrayRef<int64_t> high, Value padValue) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> lo, hi;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    shape.push_back(type.getDimSize(d) + low[d] + high[d]);
    lo.push_back(b.getIndexAttr(low[d]));
    hi.push_back(b.getIndexAttr(high[d]));
  }
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, lo, hi,
      padValue);
}

Value romac::onnximport::transposeTensor(OpBuilder &b, Location loc, Value v,
                                         ArrayRef<int64_t> perm) {
  bool identity = true;
  for (auto [k, p] : llvm::enumerate(perm))
    identity &= static_cast<int64_t>(k) == p;
  if (identity)
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = emptyTensor(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value romac::onnximport::castScalar(OpBuilder &b, Location loc, Value v,
                                    OnnxType from, OnnxType to) {
  Type dst = toMlirType(b.getContext(), to);
  Type src = v.getType();
  bool srcFloat = isa<FloatType>(src), dstFloat = isa<FloatType>(dst);
  if (srcFloat && dstFloat) {
    unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
    if (src == dst)
      return v;
    if (sw < dw)
      return arith::ExtFOp::create(b, loc, dst, v);
    if (sw > dw)
      return arith::TruncFOp::create(b, loc, dst, v);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, dst, wide);
  }
  if (!srcFloat && dstFloat) {
    if (isUnsignedType(from))
      return arith::UIToFPOp::create(b, loc, dst, v);
    return arith::SIToFPOp::create(b, loc, dst, v);
  }
  if (srcFloat && !dstFloat) {
    if (to == onnx::TensorProto::BOOL) {
      Value zero = scalarConstant(b, loc, src, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    if (isUnsignedType(to))
      return arith::FPToUIOp::create(b, loc, dst, v);
    return arith::FPToSIOp::create(b, loc, dst, v);
  }
  // Integer to integer.
  unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
  if (to == onnx::TensorProto::BOOL && sw != 1) {
    Value zero = scalarConstant(b, loc, src, 0.0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  if (sw == dw)
    return v;
  if (sw < dw)
    return isUnsignedType(from) ? Value(arith::ExtUIOp::create(b, loc, dst, v))
                                : Value(arith::ExtSIOp::create(b, loc, dst, v));
  return arith::TruncIOp::create(b, loc, dst, v);
}

Value romac::onnximport::toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value romac::onnximport::materialize(OpBuilder &b, Location loc,
                                     const HostTensor &t) {
  Type elem = toMlirType(b.getContext(), t.type);
  auto type = RankedTensorType::get(t.shape, elem);
  DenseElementsAttr attr;
  if (auto ft = dyn_cast<FloatType>(elem)) {
    SmallVector<llvm::APFloat> vals;
    for (double v : t.f) {
      llvm::APFloat f(v);
      bool lost;
      f.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
      vals.push_back(f);
    }
    attr = DenseElementsAttr::get(type, vals);
  } else if (elem.isInteger(1)) {
    SmallVector<bool> vals;
    for (int64_t v : t.i)
      vals.push_back(v != 0);
    attr = DenseElementsAttr::get(type, vals);
  } else {
    unsigned w = elem.getIntOrFloatBitWidth();
    SmallVector<llvm::APInt> vals;
    for (int64_t v : t.i)
      vals.push_back(llvm::APInt(w, static_cast<uint64_t>(v),
                                 /*isSigned=*/true, /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, vals);
  }
  return arith::ConstantOp::create(b, loc, attr);
}

Value romac::onnximport::reduceTensor(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    bool keepDims, TypedAttr init,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &combine) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : axes)
    reduced[a] = true;
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      iters.push_back(utils::IteratorType::reduction);
      keptShape.push_back(1);
      continue;
    }
    iters.push_back(utils::IteratorType::parallel);
    outShape.push_back(type.getDimSize(d));
    keptShape.push_back(type.getDimSize(d));
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  Value acc = filledTensor(b, loc, outShape, type.getElementType(), init);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{input}, ValueRange{acc},
      maps, iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
      });
  Value result = op.getResult(0);
  return keepDims ? reshapeTensor(b, loc, result, keptShape) : result;
}
