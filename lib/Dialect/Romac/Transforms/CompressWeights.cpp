//===- CompressWeights.cpp - compressed weights for execution ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// compressModuleWeights() and the `romac-compress-weights` pass. A
// contraction's weight operand is traced back through linalg.transpose and
// reshapes to its arith.constant; the constant's elements are gathered into
// the weight's channel-major order (output channels x reduction, as the
// contraction indexes it), transformed by the algorithms of
// romac/Compression/WeightTransforms.h, and scattered into a new constant.
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/Transforms/CompressWeights.h"
#include "romac/Compression/WeightTransforms.h"
#include "romac/CostModel/Cost.h"
#include "romac/Dialect/Romac/Analysis/ConstantMatchers.h"
#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Support/Error.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/DenseSet.h"

#include <cfloat>
#include <cmath>
#include <numeric>

namespace romac {
#define GEN_PASS_DEF_ROMACCOMPRESSWEIGHTSPASS
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"
} // namespace romac

using namespace mlir;
using namespace romac;

namespace {

/// The most weights a layer's k-means is fitted on (shareWeights()).
constexpr size_t kMaxFitWeights = size_t(1) << 16;

/// A weight seen from its contraction: the constant, the view ops between
/// them (from the constant towards the contraction) and the operand that
/// reads the constant.
struct WeightChain {
  arith::ConstantOp constant;
  SmallVector<Operation *, 2> views;
  OpOperand *use = nullptr;
};

/// Traces \p operand's value back to a constant through transposes and
/// reshapes; std::nullopt when anything else produces it.
std::optional<WeightChain> traceWeight(OpOperand &operand) {
  WeightChain chain;
  OpOperand *use = &operand;
  while (true) {
    Operation *def = use->get().getDefiningOp();
    if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def)) {
      chain.constant = cst;
      chain.use = use;
      std::reverse(chain.views.begin(), chain.views.end());
      return chain;
    }
    if (!isa_and_nonnull<linalg::TransposeOp, tensor::ExpandShapeOp,
                         tensor::CollapseShapeOp>(def))
      return std::nullopt;
    chain.views.push_back(def);
    use = &def->getOpOperand(0);
  }
}

/// Row-major strides of \p shape.
SmallVector<int64_t> getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

/// For every element of the weight as the contraction reads it (row-major
/// over its shape), the index of the constant element it is.
std::vector<int64_t> getSourceIndex(const WeightChain &chain) {
  arith::ConstantOp cst = chain.constant;
  auto type = cast<RankedTensorType>(cst.getType());
  SmallVector<int64_t> shape(type.getShape());
  std::vector<int64_t> source(type.getNumElements());
  std::iota(source.begin(), source.end(), 0);
  for (Operation *view : chain.views) {
    auto result = cast<RankedTensorType>(view->getResult(0).getType());
    auto transpose = dyn_cast<linalg::TransposeOp>(view);
    if (transpose) {
      // Output dim i is input dim perm[i].
      ArrayRef<int64_t> perm = transpose.getPermutation();
      SmallVector<int64_t> inStrides = getStrides(shape);
      SmallVector<int64_t> outShape(result.getShape());
      std::vector<int64_t> next(source.size());
      SmallVector<int64_t> idx(outShape.size(), 0);
      for (size_t j = 0; j < next.size(); ++j) {
        int64_t in = 0;
        for (size_t i = 0; i < idx.size(); ++i)
          in += idx[i] * inStrides[perm[i]];
        next[j] = source[in];
        for (size_t i = idx.size(); i-- > 0;)
          if (++idx[i] < outShape[i])
            break;
          else
            idx[i] = 0;
      }
      source = std::move(next);
    }
    // A reshape keeps the row-major order.
    shape.assign(result.getShape().begin(), result.getShape().end());
  }
  return source;
}

/// The constant's f32 values, or nothing for another type or no data.
std::optional<std::vector<float>> readFloats(arith::ConstantOp cst) {
  auto type = dyn_cast<RankedTensorType>(cst.getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() !=
                     static_cast<size_t>(type.getNumElements()) * 4)
      return std::nullopt;
    const char *data = blob->getData().data();
    std::vector<float> values(type.getNumElements());
    std::memcpy(values.data(), data, values.size() * sizeof(float));
    return values;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue())) {
    auto range = dense.getValues<float>();
    return std::vector<float>(range.begin(), range.end());
  }
  return std::nullopt;
}

/// Applies \p c to \p g, laid out channels x reduction (`red` elements per
/// channel, the reduction contiguous). When \p c quantizes, \p g holds the
/// integer codes afterwards and \p scales one scale per channel (the
/// codebook's one scale for every channel when weights are also shared):
/// weight = code * scale.
llvm::Error compressGathered(std::vector<float> &g, int64_t channels,
                             int64_t red, const Compression &c,
                             std::vector<float> &scales) {
  std::vector<bool> kept(g.size(), true);
  if (c.sparsity == Sparsity::TwoFour)
    kept = prune2of4(g, red);
  else if (c.sparsity == Sparsity::Unstructured)
    kept = pruneByMagnitude(g, c.pruneRatio);
  unsigned bits = c.quantize ? c.quantize->weightBits : 0;
  if (c.sharedWeights) {
    // k-means over the kept weights; the pruned stay zero.
    std::vector<float> values;
    for (size_t i = 0; i < g.size(); ++i)
      if (kept[i])
        values.push_back(g[i]);
    if (values.empty())
      return llvm::Error::success();
    llvm::Expected<SharedWeights> shared =
        shareWeights(values, c.sharedWeights, kMaxFitWeights);
    if (!shared)
      return shared.takeError();
    if (bits) {
      // The codebook holds `bits`-bit values, one scale per layer.
      float maxAbs = 0;
      for (float v : shared->centroids)
        maxAbs = std::max(maxAbs, std::fabs(v));
      float scale = getSymmetricScale(maxAbs, bits);
      fakeQuantizePerTensor(shared->centroids, scale, bits);
      // The centroids as codes (exact: they are codes times the scale).
      for (float &v : shared->centroids)
        v = std::round(v / scale);
      scales.assign(channels, scale);
    }
    std::vector<float> decoded = shared->decode();
    size_t k = 0;
    for (size_t i = 0; i < g.size(); ++i)
      if (kept[i])
        g[i] = decoded[k++];
    return llvm::Error::success();
  }
  if (bits) {
    QuantizedTensor q = quantizeSymmetricPerChannel(g, channels, bits);
    for (size_t i = 0; i < g.size(); ++i)
      g[i] = q.values[i];
    scales = std::move(q.scales);
  }
  return llvm::Error::success();
}

/// \p loc named after its ONNX node with \p suffix ("/a/Conv" becomes
/// "/a/Conv/Dequantize"), so that the ops quantization adds are layers of
/// their own in schedules and profiles, not namesakes of the contraction.
Location withSuffix(Location loc, StringRef suffix) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (name.empty())
    return loc;
  return NameLoc::get(StringAttr::get(loc->getContext(), name + "/" + suffix),
                      loc);
}

} // namespace

void romac::rescaleContraction(Operation *contraction, Value factor,
                               AffineMap factorMap) {
  auto op = cast<linalg::LinalgOp>(contraction);
  Value result = op->getResult(0);
  auto type = cast<RankedTensorType>(result.getType());
  OpBuilder b(op);
  Location loc = op.getLoc();
  // The sum starts from zeros; an initial value is added after the scale.
  OpOperand *initOperand = op.getDpsInitOperand(0);
  Value init = initOperand->get();
  bool addInit = !isZeroFill(init);
  if (addInit) {
    Value empty =
        tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    initOperand->set(
        linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
            .getResult(0));
  }
  b.setInsertionPointAfter(op);
  loc = withSuffix(loc, "Dequantize");
  int64_t rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<Value> inputs = {result, factor};
  SmallVector<AffineMap> maps = {identity, factorMap};
  if (addInit) {
    inputs.push_back(init);
    maps.push_back(identity);
  }
  maps.push_back(identity);
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{empty}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value y = arith::MulFOp::create(nb, l, a[0], a[1]);
        if (addInit)
          y = arith::AddFOp::create(nb, l, y, a[2]);
        linalg::YieldOp::create(nb, l, ValueRange{y});
      });
  result.replaceAllUsesExcept(generic.getResult(0), generic);
}

namespace {

/// For each dim of the weight read through \p weightUse that is a channel
/// (\p isChannel), the dim of \p op's result that the same loop indexes,
/// as a map from the result's dims; std::nullopt when a channel dim is not
/// one loop that the result is indexed by.
std::optional<AffineMap> getChannelMap(linalg::LinalgOp op,
                                       OpOperand *weightUse,
                                       ArrayRef<bool> isChannel) {
  AffineMap weightMap = op.getMatchingIndexingMap(weightUse);
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<AffineExpr> exprs;
  for (auto [d, channel] : llvm::enumerate(isChannel)) {
    if (!channel)
      continue;
    auto loop = dyn_cast<AffineDimExpr>(weightMap.getResult(d));
    std::optional<unsigned> pos =
        loop ? outMap.getResultPosition(loop) : std::nullopt;
    if (!pos)
      return std::nullopt;
    exprs.push_back(getAffineDimExpr(*pos, op.getContext()));
  }
  return AffineMap::get(outMap.getNumResults(), 0, exprs, op.getContext());
}

/// Compresses the weight of one contraction layer; false when it is not a
/// traceable f32 constant.
llvm::Expected<bool> compressLayer(const Layer &layer, const Compression &c,
                                   CompressedWeightsStats &stats) {
  const Workload &w = layer.workload;
  std::optional<unsigned> weight;
  for (unsigned o = 0; o < w.operands.size(); ++o)
    if (w.operands[o].constant && classifyOperand(w, o) == OperandClass::Weight)
      weight = o;
  if (!weight)
    return false;
  // The operand of the layer's op that reads the weight.
  OpOperand *operand = nullptr;
  for (OpOperand &use : layer.op->getOpOperands())
    if (getTensorRoot(use.get()) == getTensorRoot(layer.values[*weight]))
      operand = &use;
  std::optional<WeightChain> chain =
      operand ? traceWeight(*operand) : std::nullopt;
  std::optional<std::vector<float>> data =
      chain ? readFloats(chain->constant) : std::nullopt;
  if (!data)
    return false;
  // The weight's dims as the contraction reads it: channels are the dims
  // indexed by a parallel loop that also indexes the output.
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(operand->get().getType()).getShape();
  const Operand &op = w.operands[*weight];
  if (op.extent.size() != shape.size() || !llvm::equal(op.extent, shape))
    return false;
  const Operand &out = w.operands.back();
  SmallVector<bool> isChannel(shape.size(), false);
  for (auto [d, expr] : llvm::enumerate(op.projection))
    for (const AffineTerm &t : expr.terms)
      if (w.dims[t.dim].kind == LoopKind::Parallel && out.isIndexedBy(t.dim))
        isChannel[d] = true;
  int64_t channels = 1, red = 1;
  for (auto [d, e] : llvm::enumerate(shape))
    (isChannel[d] ? channels : red) *= e;
  std::vector<int64_t> source = getSourceIndex(*chain);
  // fn(j, p) for every element j of the view (row-major over `shape`),
  // p its (channel, reduction) position ch * red + r. The positions are
  // recomputed for the scatter rather than stored: 8 bytes per weight (820
  // MB for VGG-16's first fully connected layer).
  auto forEachPosition = [&](auto fn) {
    SmallVector<int64_t> idx(shape.size(), 0);
    for (size_t j = 0; j < source.size(); ++j) {
      int64_t ch = 0, r = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        (isChannel[d] ? ch : r) = (isChannel[d] ? ch : r) * shape[d] + idx[d];
      fn(j, ch * red + r);
      for (size_t d = shape.size(); d-- > 0;)
        if (++idx[d] < shape[d])
          break;
        else
          idx[d] = 0;
    }
  };
  std::vector<float> g(source.size());
  forEachPosition([&](size_t j, int64_t p) { g[p] = (*data)[source[j]]; });
  std::vector<float> scales;
  if (llvm::Error e = compressGathered(g, channels, red, c, scales))
    return std::move(e);
  // Quantized: the constant holds the codes and the result is multiplied by
  // the channels' scales, where the result has the channels' dims; else
  // (and for a layer without them) it holds the values the codes stand for.
  auto linalgOp = dyn_cast<linalg::LinalgOp>(layer.op);
  std::optional<AffineMap> channelMap;
  if (!scales.empty() && linalgOp && linalgOp->getNumResults() == 1 &&
      linalgOp.getNumDpsInits() == 1)
    channelMap = getChannelMap(linalgOp, operand, isChannel);
  if (!scales.empty() && !channelMap)
    for (size_t i = 0; i < g.size(); ++i)
      g[i] *= scales[i / red];
  // Scattered back in the constant's order, over the copy read from it.
  std::vector<float> &result = *data;
  forEachPosition([&](size_t j, int64_t p) { result[source[j]] = g[p]; });

  // A new constant for this use (another reader keeps the old values).
  arith::ConstantOp cst = chain->constant;
  OpBuilder builder(cst);
  auto type = cast<RankedTensorType>(cst.getType());
  std::string key = w.name + ".weight.compressed";
  if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
    key = res.getRawHandle().getKey().str() + ".compressed";
  auto attr = DenseResourceElementsAttr::get(
      type, key,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(result)));
  auto replacement = arith::ConstantOp::create(builder, cst.getLoc(), attr);
  chain->use->set(replacement);
  if (cst->use_empty())
    cst->erase();
  if (channelMap) {
    SmallVector<int64_t> scaleShape;
    for (auto [d, e] : llvm::enumerate(shape))
      if (isChannel[d])
        scaleShape.push_back(e);
    OpBuilder sb(layer.op);
    auto scaleType = RankedTensorType::get(scaleShape, sb.getF32Type());
    Value scaleTensor = arith::ConstantOp::create(
        sb, layer.op->getLoc(),
        DenseElementsAttr::get(scaleType, ArrayRef<float>(scales)));
    rescaleContraction(layer.op, scaleTensor, *channelMap);
    layer.op->setAttr(RomacDialect::getWeightCodeBitsAttrName(),
                      sb.getI64IntegerAttr(c.quantize->weightBits));
  }
  ++stats.tensors;
  stats.weights += static_cast<int64_t>(result.size());
  stats.zeros += llvm::count(result, 0.0f);
  return true;
}

/// The maximum of \p x (of |x| with \p abs) over its dims before \p
/// keptFrom: a tensor of x's dims [keptFrom, rank), 0-d for keptFrom =
/// rank.
Value buildMaxOverLeadingDims(OpBuilder &b, Location loc, Value x,
                              int64_t keptFrom, bool abs) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(
      b, loc, type.getShape().drop_front(keptFrom), f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  SmallVector<AffineExpr> kept;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    iters.push_back(d < keptFrom ? utils::IteratorType::reduction
                                 : utils::IteratorType::parallel);
    if (d >= keptFrom)
      kept.push_back(getAffineDimExpr(d, ctx));
  }
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, kept, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
             maps, iters,
             [abs](OpBuilder &nb, Location l, ValueRange a) {
               Value v = abs ? math::AbsFOp::create(nb, l, a[0]) : a[0];
               Value max = arith::MaximumFOp::create(nb, l, a[1], v);
               linalg::YieldOp::create(nb, l, ValueRange{max});
             })
      .getResult(0);
}

/// The max |x| of \p x as a 0-d tensor, in two reductions when x is
/// large: over its leading dims into a tensor of its trailing dims (at
/// most 4096 elements, the innermost dim at least; romac-vectorize makes
/// that a max of vectors row by row), then over that tensor. (One
/// reduction into a scalar became a horizontal max and a store per 16
/// values: 0.6 ms for MobileNet-v2's 1.2 M-value activations.) A max is
/// exact in any order, NaN included.
Value buildAbsMax(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t keptFrom = type.getRank(), kept = 1;
  while (keptFrom > 0 && !type.isDynamicDim(keptFrom - 1) &&
         (keptFrom == type.getRank() ||
          kept * type.getDimSize(keptFrom - 1) <= 4096))
    kept *= type.getDimSize(--keptFrom);
  if (keptFrom == 0 || keptFrom == type.getRank())
    return buildMaxOverLeadingDims(b, loc, x, type.getRank(), /*abs=*/true);
  Value partial = buildMaxOverLeadingDims(b, loc, x, keptFrom, /*abs=*/true);
  return buildMaxOverLeadingDims(
      b, loc, partial, cast<RankedTensorType>(partial.getType()).getRank(),
      /*abs=*/false);
}

/// The scale of symmetric `bits`-bit codes of a tensor of largest
/// magnitude \p amax: max(amax, FLT_MIN) / qmax.
Value buildScale(OpBuilder &b, Location l, Value amax, unsigned bits) {
  double qmax = static_cast<double>((int64_t(1) << (bits - 1)) - 1);
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v));
  };
  Value m = arith::MaximumFOp::create(b, l, amax, cst(FLT_MIN));
  return arith::DivFOp::create(b, l, m, cst(qmax));
}

/// The scale of symmetric `bits`-bit codes of a tensor of largest
/// magnitude \p amax (a 0-d tensor), as a 0-d tensor (buildScale): computed
/// once, not once per value of the passes that use it.
Value buildScaleTensor(OpBuilder &b, Location loc, Value amax, unsigned bits) {
  auto scalar = cast<RankedTensorType>(amax.getType());
  AffineMap none = AffineMap::get(0, 0, {}, b.getContext());
  return linalg::GenericOp::create(
             b, loc, TypeRange{scalar}, ValueRange{amax},
             ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{},
                                                scalar.getElementType())},
             ArrayRef<AffineMap>{none, none}, ArrayRef<utils::IteratorType>{},
             [bits](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(nb, l, buildScale(nb, l, a[0], bits));
             })
      .getResult(0);
}

/// \p x as symmetric `bits`-bit codes with the scale \p scale (a 0-d
/// tensor, buildScaleTensor): clamp(roundeven(x / scale), -qmax, qmax).
Value buildCodes(OpBuilder &b, Location loc, Value x, Value scale,
                 unsigned bits) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, {}, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  double qmax = static_cast<double>((int64_t(1) << (bits - 1)) - 1);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{x, scale}, ValueRange{init},
             maps, iters,
             [qmax](OpBuilder &nb, Location l, ValueRange a) {
               auto cst = [&](double v) {
                 return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
               };
               Value q = arith::DivFOp::create(nb, l, a[0], a[1]);
               q = math::RoundEvenOp::create(nb, l, q);
               q = arith::MinimumFOp::create(nb, l, q, cst(qmax));
               q = arith::MaximumFOp::create(nb, l, q, cst(-qmax));
               linalg::YieldOp::create(nb, l, ValueRange{q});
             })
      .getResult(0);
}

struct CompressWeightsPass
    : public romac::impl::RomacCompressWeightsPassBase<CompressWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    Compression c;
    auto fail = [&](llvm::Error e) {
      getOperation().emitError()
          << "romac-compress-weights: " << llvm::toString(std::move(e));
      signalPassFailure();
    };
    if (!quantize.empty()) {
      llvm::Expected<Precision> p = parsePrecision(quantize);
      if (!p)
        return fail(p.takeError());
      c.quantize = *p;
    }
    if (weightSharing) {
      llvm::Expected<unsigned> k =
          parseWeightSharing(std::to_string(weightSharing));
      if (!k)
        return fail(k.takeError());
      c.sharedWeights = *k;
    }
    if (!prune.empty())
      if (llvm::Error e = parsePrune(prune, c))
        return fail(std::move(e));
    if (llvm::Expected<CompressedWeightsStats> s =
            compressModuleWeights(getOperation(), c);
        !s)
      return fail(s.takeError());
    if (c.quantize)
      if (llvm::Expected<int64_t> n = quantizeModuleActivations(
              getOperation(), c.quantize->activationBits);
          !n)
        return fail(n.takeError());
  }
};

} // namespace

namespace {

/// A contraction with a constant weight and the activations it reads, as
/// quantizeModuleActivations() rounds them: per f32 input that is not a
/// constant, the operand that holds its data (the padding's source for a
/// padded input); `allF32` is false when an input is neither.
struct ActivationReader {
  linalg::LinalgOp op;
  SmallVector<OpOperand *> uses;
  bool allF32 = true;
};

/// The contractions of \p func whose activations are quantized, in order.
SmallVector<ActivationReader> collectActivationReaders(func::FuncOp func) {
  SmallVector<ActivationReader> readers;
  for (const Layer &layer : collectLayers(func)) {
    const Workload &w = layer.workload;
    if (layer.kind != LayerKind::Contraction ||
        !llvm::any_of(w.operands, [](const Operand &o) { return o.constant; }))
      continue;
    auto op = cast<linalg::LinalgOp>(layer.op);
    if (op->getNumResults() != 1 || op.getNumDpsInits() != 1)
      continue;
    ActivationReader reader{op, {}, true};
    for (OpOperand *input : op.getDpsInputOperands()) {
      // Through a padding, to the data it pads (its zeros stay zero).
      OpOperand *use = input;
      if (auto pad = input->get().getDefiningOp<tensor::PadOp>())
        use = &pad.getSourceMutable();
      Value x = use->get();
      // Constants (weights) are the weights' business.
      if (getTensorRoot(x).getDefiningOp<arith::ConstantOp>() ||
          llvm::any_of(llvm::enumerate(layer.values), [&](auto ov) {
            return w.operands[ov.index()].constant &&
                   getTensorRoot(ov.value()) == getTensorRoot(x);
          }))
        continue;
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type || !type.getElementType().isF32()) {
        reader.allF32 = false;
        continue;
      }
      reader.uses.push_back(use);
    }
    readers.push_back(std::move(reader));
  }
  return readers;
}

} // namespace

llvm::Expected<int64_t>
romac::quantizeModuleActivations(ModuleOp module, unsigned bits,
                                 ArrayRef<float> calibrated) {
  int64_t count = 0;
  MLIRContext *ctx = module.getContext();
  for (auto func : module.getOps<func::FuncOp>()) {
    // One copy of codes per activation, however many layers read it, and
    // its scale.
    llvm::DenseMap<Value, std::pair<Value, Value>> quantized;
    for (ActivationReader &reader : collectActivationReaders(func)) {
      linalg::LinalgOp op = reader.op;
      SmallVector<Value> scales;
      for (OpOperand *use : reader.uses) {
        Value x = use->get();
        auto &[codes, scale] = quantized[x];
        if (!codes) {
          OpBuilder b(use->getOwner());
          Location loc = use->getOwner()->getLoc();
          Value amax;
          if (calibrated.empty()) {
            amax = buildAbsMax(b, withSuffix(loc, "ActivationMax"), x);
          } else {
            if (count >= static_cast<int64_t>(calibrated.size()))
              return makeStringError(
                  "calibration: more activations to quantize than the " +
                  Twine(calibrated.size()) + " calibrated");
            auto scalar = RankedTensorType::get({}, b.getF32Type());
            amax = arith::ConstantOp::create(
                b, loc, DenseElementsAttr::get(scalar, calibrated[count]));
          }
          scale = buildScaleTensor(b, withSuffix(loc, "ActivationScale"), amax,
                                   bits);
          codes = buildCodes(b, withSuffix(loc, "QuantizeActivation"), x, scale,
                             bits);
          ++count;
        }
        use->set(codes);
        scales.push_back(scale);
      }
      // The sum of products of codes times each code's scale.
      AffineMap scalar = AffineMap::get(
          cast<ShapedType>(op->getResult(0).getType()).getRank(), 0, {}, ctx);
      for (Value scale : scales)
        rescaleContraction(op, scale, scalar);
      if (!scales.empty() && reader.allF32)
        op->setAttr(RomacDialect::getActivationCodeBitsAttrName(),
                    IntegerAttr::get(IntegerType::get(ctx, 64), bits));
    }
  }
  if (!calibrated.empty() && count != static_cast<int64_t>(calibrated.size()))
    return makeStringError("calibration: " + Twine(count) +
                           " activations to quantize but " +
                           Twine(calibrated.size()) + " calibrated");
  return count;
}

llvm::Expected<int64_t> romac::addActivationProbes(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return makeStringError("the module has no function @main to run");
  int64_t count = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    SmallVector<Value> probes;
    llvm::DenseSet<Value> seen;
    for (ActivationReader &reader : collectActivationReaders(func))
      for (OpOperand *use : reader.uses) {
        Value x = use->get();
        if (!seen.insert(x).second)
          continue;
        OpBuilder b(use->getOwner());
        probes.push_back(buildAbsMax(b, use->getOwner()->getLoc(), x));
      }
    count += static_cast<int64_t>(probes.size());
    if (probes.empty())
      continue;
    if (func != main)
      return makeStringError("calibration: @" + func.getName() +
                             " quantizes activations, but only @main runs");
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    ret.getOperandsMutable().append(probes);
    SmallVector<Type> results(func.getFunctionType().getResults());
    for (Value p : probes)
      results.push_back(p.getType());
    func.setType(FunctionType::get(
        module.getContext(), func.getFunctionType().getInputs(), results));
  }
  return count;
}

llvm::Expected<CompressedWeightsStats>
romac::compressModuleWeights(ModuleOp module, const Compression &compression) {
  CompressedWeightsStats stats;
  if (compression.empty())
    return stats;
  for (auto func : module.getOps<func::FuncOp>())
    for (const Layer &layer : collectLayers(func)) {
      if (layer.kind != LayerKind::Contraction)
        continue;
      llvm::Expected<bool> done = compressLayer(layer, compression, stats);
      if (!done)
        return done.takeError();
      bool constantWeight = llvm::any_of(
          layer.workload.operands, [](const Operand &o) { return o.constant; });
      if (!*done && constantWeight)
        ++stats.skipped;
    }
  return stats;
}
