//===- LowerToKernels.cpp - contractions as native kernel calls -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-lower-to-kernels: every f32 linalg.matmul, linalg.batch_matmul,
// linalg.conv_2d_nchw_fchw, linalg.depthwise_conv_2d_nchw_chw and
// linalg.pooling_nchw_max on buffers becomes a call of the runtime kernel
// that computes it
// (include/romac/Runtime/Kernels.h), and so does every romac.attention
// (romac-fuse-attention). The operands are cast to fully dynamic strided
// memrefs, so one declaration per kernel serves every tile shape.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "KernelOperands.h"
#include "MatmulMaps.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Dialect/Romac/IR/RomacOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cstring>
#include <limits>

namespace romac {
#define GEN_PASS_DEF_ROMACLOWERTOKERNELSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// Whether every operand of `op` is an f32 memref.
bool hasF32Buffers(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return false;
  return llvm::all_of(op->getOperands(), [](Value v) {
    auto type = dyn_cast<MemRefType>(v.getType());
    return type && type.getElementType().isF32();
  });
}

/// The epilogue romac-fuse-into-contractions gave an op: `romac.overwrite`,
/// `romac.scale`, `romac.clamp`.
struct Fused {
  bool overwrite = false;
  float scale = 1.0f;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

std::optional<Fused> getFused(Operation *op) {
  auto overwrite =
      op->getAttrOfType<UnitAttr>(romac::RomacDialect::getOverwriteAttrName());
  auto scale =
      op->getAttrOfType<FloatAttr>(romac::RomacDialect::getScaleAttrName());
  auto clamp = op->getAttrOfType<DenseF32ArrayAttr>(
      romac::RomacDialect::getClampAttrName());
  if (!overwrite && !scale && !clamp)
    return std::nullopt;
  Fused fused;
  fused.overwrite = bool(overwrite);
  if (scale)
    fused.scale = scale.getValue().convertToFloat();
  if (clamp) {
    fused.lo = clamp[0];
    fused.hi = clamp[1];
  }
  return fused;
}

/// The products of \p op: "i8" when its weight and its activations hold
/// codes of at most 8 bits (romac.weight_code_bits and
/// romac.activation_code_bits, a quantized run), else \p gemm.
StringRef getProducts(Operation *op, StringRef gemm) {
  auto bits = [&](StringRef name) {
    auto attr = op->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  int64_t weight = bits(romac::RomacDialect::getWeightCodeBitsAttrName());
  int64_t activation =
      bits(romac::RomacDialect::getActivationCodeBitsAttrName());
  if (weight > 0 && weight <= 8 && activation > 0 && activation <= 8)
    return "i8";
  return gemm;
}

/// The kernel `baseName[_fused]_precision` with memref operands of
/// \p ranks, then \p numScalars i64 and \p numFloats f32 operands, declared
/// once in \p module; with \p fused its `_fused` variant (after the
/// scalars: i64 overwrite, f32 scale, f32 lo, f32 hi). \p precision is the
/// products' ("f32", "bf16" for the GEMMs of `precision=bf16`, "i8" for
/// those of integer codes); every operand is f32 either way.
func::FuncOp getOrDeclareKernel(ModuleOp module, StringRef baseName,
                                ArrayRef<int64_t> ranks, unsigned numScalars,
                                unsigned numFloats, bool fused,
                                StringRef precision = "f32") {
  std::string name = (baseName + (fused ? "_fused_" : "_") + precision).str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> inputs;
  for (int64_t rank : ranks)
    inputs.push_back(romac::getAnyStridedType(ctx, rank));
  inputs.append(numScalars, IntegerType::get(ctx, 64));
  inputs.append(numFloats, Float32Type::get(ctx));
  if (fused) {
    inputs.push_back(IntegerType::get(ctx, 64));
    inputs.append(3, Float32Type::get(ctx));
  }
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name,
                                   FunctionType::get(ctx, inputs, {}));
  func.setPrivate();
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  return func;
}

/// Whether `value` is a view of a constant global (a weight): its buffer
/// holds the same values on every call.
bool isConstantBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto global = dyn_cast<memref::GetGlobalOp>(def)) {
      auto decl = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          def, global.getNameAttr());
      return decl && decl.getConstant();
    }
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    value = view.getViewSource();
  }
  return false;
}

/// Replaces `op` by a call of `kernel` on its operands (or on `operands`
/// when given; cast to the kernel's memref type; operand i as a transposed
/// view where `swapped[i]`) followed by the i64 `scalars`, the f32
/// `floats` and the epilogue romac-fuse-into-contractions gave it.
void replaceByCall(Operation *op, func::FuncOp kernel,
                   ArrayRef<int64_t> scalars, ArrayRef<float> floats = {},
                   ArrayRef<bool> swapped = {}, ValueRange operands = {}) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  SmallVector<Value> args;
  if (operands.empty())
    operands = op->getOperands();
  for (auto [i, operand] : llvm::enumerate(operands)) {
    Value view = operand;
    if (i < swapped.size() && swapped[i]) {
      // The operand is stored with its last two dims swapped
      // (romac-fold-transposes): pass the kernel a transposed view.
      int64_t rank = cast<MemRefType>(operand.getType()).getRank();
      SmallVector<unsigned> perm =
          llvm::to_vector(llvm::seq<unsigned>(0, rank));
      std::swap(perm[rank - 2], perm[rank - 1]);
      view = memref::TransposeOp::create(
          b, loc, operand,
          AffineMapAttr::get(
              AffineMap::getPermutationMap(perm, b.getContext())));
    }
    args.push_back(memref::CastOp::create(
        b, loc, kernel.getFunctionType().getInput(i), view));
  }
  for (int64_t s : scalars)
    args.push_back(arith::ConstantIntOp::create(b, loc, s, 64));
  for (float f : floats)
    args.push_back(arith::ConstantOp::create(b, loc, b.getF32FloatAttr(f)));
  if (std::optional<Fused> fused = getFused(op)) {
    args.push_back(arith::ConstantIntOp::create(b, loc, fused->overwrite, 64));
    for (float value : {fused->scale, fused->lo, fused->hi})
      args.push_back(
          arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value)));
  }
  func::CallOp::create(b, loc, kernel, args);
  op->erase();
}

/// For an op with an epilogue that no kernel took: a zero fill of its
/// output before it (overwrite), and the scale and clamp as a
/// linalg.generic on its output, in place, after it.
void applyInPlace(linalg::LinalgOp op, const Fused &fused) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value out = op.getDpsInitOperand(0)->get();
  auto type = cast<MemRefType>(out.getType());
  int64_t rank = type.getRank();
  Type element = type.getElementType(); // a float: the verifier checks it
  if (fused.overwrite)
    linalg::FillOp::create(b, loc,
                           ValueRange{arith::ConstantOp::create(
                               b, loc, b.getFloatAttr(element, 0.0))},
                           ValueRange{out});
  b.setInsertionPointAfter(op);
  constexpr float inf = std::numeric_limits<float>::infinity();
  if (fused.scale != 1.0f || fused.lo != -inf || fused.hi != inf)
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ValueRange{}, ValueRange{out},
        SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange args) {
          auto constant = [&](float value) {
            return arith::ConstantOp::create(nb, l,
                                             nb.getFloatAttr(element, value));
          };
          Value v = args[0];
          if (fused.scale != 1.0f)
            v = arith::MulFOp::create(nb, l, v, constant(fused.scale));
          if (fused.lo != -inf)
            v = arith::MaximumFOp::create(nb, l, v, constant(fused.lo));
          if (fused.hi != inf)
            v = arith::MinimumFOp::create(nb, l, v, constant(fused.hi));
          linalg::YieldOp::create(nb, l, v);
        });
  for (StringRef name : {romac::RomacDialect::getOverwriteAttrName(),
                         romac::RomacDialect::getScaleAttrName(),
                         romac::RomacDialect::getClampAttrName()})
    op->removeAttr(name);
}

/// Which inputs of a matmul-like op are read transposed: each input's map
/// is the default or the default with its last two results swapped, and
/// the output's is the default; std::nullopt for any other maps.
std::optional<SmallVector<bool>>
getSwappedInputs(linalg::LinalgOp op, ArrayRef<AffineMap> defaults) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3 || maps[2] != defaults[2])
    return std::nullopt;
  SmallVector<bool> swapped;
  for (unsigned i = 0; i < 2; ++i) {
    if (maps[i] == defaults[i])
      swapped.push_back(false);
    else if (maps[i] == romac::swapLastTwoResults(defaults[i]))
      swapped.push_back(true);
    else
      return std::nullopt;
  }
  return swapped;
}

/// A 2-D max pooling as the importer writes it (ONNX MaxPool): a
/// linalg.generic over (n, c, oh, ow, kh, kw), the last two reductions,
/// reading in(n, c, oh * sh + kh * dh, ow * sw + kw * dw) and a window
/// operand (kh, kw) that only carries the window's shape, and maxing into
/// out(n, c, oh, ow) with arith.maximumf. Returns kh, kw, sh, sw, dh, dw.
std::optional<SmallVector<int64_t>> matchMaxPool(linalg::GenericOp op) {
  if (op.getNumLoops() != 6 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned loop = 0; loop < 6; ++loop)
    if ((iterators[loop] == utils::IteratorType::reduction) != (loop >= 4))
      return std::nullopt;
  auto window = dyn_cast<MemRefType>(op.getDpsInputs()[1].getType());
  if (!window || window.getRank() != 2 || !window.hasStaticShape())
    return std::nullopt;
  // The body: yield maximumf(out, in) (either order).
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  auto max = dyn_cast<arith::MaximumFOp>(body.front());
  if (!max || body.getTerminator()->getOperand(0) != max.getResult())
    return std::nullopt;
  Value in = body.getArgument(0), out = body.getArgument(2);
  if (!((max.getLhs() == out && max.getRhs() == in) ||
        (max.getLhs() == in && max.getRhs() == out)))
    return std::nullopt;
  // The maps, rebuilt from the strides and dilations they imply.
  MLIRContext *ctx = op.getContext();
  AffineMap inMap = op.getIndexingMapsArray()[0];
  if (inMap.getNumResults() != 4)
    return std::nullopt;
  auto coefficient = [&](AffineExpr expr, unsigned dim) -> int64_t {
    SmallVector<AffineExpr> dims;
    for (unsigned d = 0; d < 6; ++d)
      dims.push_back(getAffineConstantExpr(d == dim ? 1 : 0, ctx));
    auto value = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(expr.replaceDims(dims), 0, 0));
    return value ? value.getValue() : 0;
  };
  int64_t sh = coefficient(inMap.getResult(2), 2);
  int64_t dh = coefficient(inMap.getResult(2), 4);
  int64_t sw = coefficient(inMap.getResult(3), 3);
  int64_t dw = coefficient(inMap.getResult(3), 5);
  if (sh < 1 || dh < 1 || sw < 1 || dw < 1)
    return std::nullopt;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> expected = {
      AffineMap::get(6, 0,
                     {d(0), d(1), d(2) * sh + d(4) * dh, d(3) * sw + d(5) * dw},
                     ctx),
      AffineMap::get(6, 0, {d(4), d(5)}, ctx),
      AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return std::nullopt;
  return SmallVector<int64_t>{
      window.getDimSize(0), window.getDimSize(1), sh, sw, dh, dw};
}

/// The per-channel bias the output of the convolution `op` starts as: the
/// linalg.generic before it that writes bias[c] (or bias[c] + 0.0) to every
/// element of that very buffer, c being its dim 1, with only ops without
/// memory effects between the two. romac-fuse-into-contractions makes the
/// bias a convolution's start this way; the kernel can add it instead.
linalg::GenericOp matchBiasStart(linalg::LinalgOp op) {
  Value out = op.getDpsInitOperand(0)->get();
  Operation *prev = op->getPrevNode();
  while (prev && isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(prev);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getDpsInits()[0] != out ||
      !generic.hasPureBufferSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumLoops() != 4)
    return nullptr;
  auto biasType = dyn_cast<MemRefType>(generic.getDpsInputs()[0].getType());
  if (!biasType || biasType.getRank() != 1 ||
      !biasType.getElementType().isF32())
    return nullptr;
  MLIRContext *ctx = op->getContext();
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (maps[1] != AffineMap::getMultiDimIdentityMap(4, ctx) ||
      maps[0] != AffineMap::get(4, 0, getAffineDimExpr(1, ctx)))
    return nullptr;
  // The body: yield %in, or yield %in + 0.0 (either zero: x + 0.0 is x
  // but for the sign of a zero).
  Block &body = generic.getRegion().front();
  Value in = body.getArgument(0);
  Value yielded = body.getTerminator()->getOperand(0);
  if (yielded == in)
    return generic;
  auto add = yielded.getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != &body || body.getOperations().size() != 2)
    return nullptr;
  if ((add.getLhs() == in && matchPattern(add.getRhs(), m_AnyZeroFloat())) ||
      (add.getRhs() == in && matchPattern(add.getLhs(), m_AnyZeroFloat())))
    return generic;
  return nullptr;
}

/// Every convolution (f32 or bf16 products) and depthwise convolution whose
/// output starts as its bias broadcast (matchBiasStart), mapped to the
/// bias: the broadcast is erased and the op overwrites its output, so the
/// `_bias_fused` kernel adds the bias as it stores (the output is not
/// written with the bias first and read back).
llvm::DenseMap<Operation *, Value> takeBiasStarts(ModuleOp module,
                                                  StringRef gemm) {
  llvm::DenseMap<Operation *, Value> biases;
  SmallVector<linalg::GenericOp> broadcasts;
  module.walk([&](linalg::LinalgOp op) {
    bool conv =
        isa<linalg::Conv2DNchwFchwOp>(*op) && getProducts(op, gemm) != "i8";
    if (!hasF32Buffers(op) ||
        !(conv || isa<linalg::DepthwiseConv2DNchwChwOp>(*op)))
      return;
    if (linalg::GenericOp broadcast = matchBiasStart(op)) {
      biases[op] = broadcast.getDpsInputs()[0];
      broadcasts.push_back(broadcast);
      op->setAttr(romac::RomacDialect::getOverwriteAttrName(),
                  UnitAttr::get(op->getContext()));
    }
  });
  for (linalg::GenericOp broadcast : broadcasts)
    broadcast.erase();
  return biases;
}

struct LowerToKernelsPass
    : public romac::impl::RomacLowerToKernelsPassBase<LowerToKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (precision != "fp32" && precision != "bf16") {
      module.emitError() << "romac-lower-to-kernels: unknown precision '"
                         << precision << "' (expected fp32 or bf16)";
      return signalPassFailure();
    }
    // The products of matmuls, convolutions and attention; the depthwise
    // convolution stays fp32.
    StringRef gemm = precision == "bf16" ? "bf16" : "f32";
    // A named max pooling is the importer's generic: one matcher for both.
    SmallVector<linalg::PoolingNchwMaxOp> pools;
    module.walk([&](linalg::PoolingNchwMaxOp op) {
      if (hasF32Buffers(op))
        pools.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::PoolingNchwMaxOp pool : pools) {
      rewriter.setInsertionPoint(pool);
      (void)linalg::generalizeNamedOp(rewriter, pool);
    }
    llvm::DenseMap<Operation *, Value> biases = takeBiasStarts(module, gemm);
    SmallVector<linalg::LinalgOp> ops;
    module.walk([&](linalg::LinalgOp op) {
      if (hasF32Buffers(op))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      if (isa<linalg::MatmulOp>(*op)) {
        auto swapped = getSwappedInputs(
            op, linalg::MatmulOp::getDefaultIndexingMaps(&getContext()));
        if (!swapped)
          continue;
        // B's packed copy is kept between calls when it is a weight.
        replaceByCall(op,
                      getOrDeclareKernel(module, "romac_matmul", {2, 2, 2}, 1,
                                         0, getFused(op).has_value(),
                                         getProducts(op, gemm)),
                      {isConstantBuffer(op->getOperand(1))}, {}, *swapped);
      } else if (isa<linalg::BatchMatmulOp>(*op)) {
        auto swapped = getSwappedInputs(
            op, linalg::BatchMatmulOp::getDefaultIndexingMaps(&getContext()));
        if (!swapped)
          continue;
        replaceByCall(op,
                      getOrDeclareKernel(module, "romac_batch_matmul",
                                         {3, 3, 3}, 1, 0,
                                         getFused(op).has_value(), gemm),
                      {isConstantBuffer(op->getOperand(1))}, {}, *swapped);
      } else if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(*op)) {
        auto strides = llvm::to_vector(conv.getStrides().getValues<int64_t>());
        auto dilations =
            llvm::to_vector(conv.getDilations().getValues<int64_t>());
        // The filter's packed copy is kept between calls when it is a
        // weight.
        int64_t constantFilter = isConstantBuffer(conv.getInputs()[1]);
        SmallVector<int64_t> scalars = {strides[0], strides[1], dilations[0],
                                        dilations[1], constantFilter};
        if (Value bias = biases.lookup(op)) {
          replaceByCall(op,
                        getOrDeclareKernel(
                            module, "romac_conv2d_nchw_fchw_bias", {4, 4, 4, 1},
                            5, 0, true, getProducts(op, gemm)),
                        scalars, {}, {},
                        ValueRange{conv.getInputs()[0], conv.getInputs()[1],
                                   conv.getOutputs()[0], bias});
          continue;
        }
        replaceByCall(op,
                      getOrDeclareKernel(
                          module, "romac_conv2d_nchw_fchw", {4, 4, 4}, 5, 0,
                          getFused(op).has_value(), getProducts(op, gemm)),
                      scalars);
      } else if (auto conv = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(*op)) {
        auto strides = llvm::to_vector(conv.getStrides().getValues<int64_t>());
        auto dilations =
            llvm::to_vector(conv.getDilations().getValues<int64_t>());
        SmallVector<int64_t> scalars = {strides[0], strides[1], dilations[0],
                                        dilations[1]};
        // An implicitly padded input (romac-implicit-pads): the kernel
        // that pads.
        auto pad = op->getAttrOfType<DenseI64ArrayAttr>(
            romac::RomacDialect::getInputPadAttrName());
        if (pad)
          scalars.append(pad.asArrayRef().begin(), pad.asArrayRef().end());
        std::string name = pad ? "romac_depthwise_conv2d_nchw_chw_padded"
                               : "romac_depthwise_conv2d_nchw_chw";
        if (Value bias = biases.lookup(op)) {
          replaceByCall(op,
                        getOrDeclareKernel(module, name + "_bias", {4, 3, 4, 1},
                                           scalars.size(), 0, true),
                        scalars, {}, {},
                        ValueRange{conv.getInputs()[0], conv.getInputs()[1],
                                   conv.getOutputs()[0], bias});
          continue;
        }
        replaceByCall(op,
                      getOrDeclareKernel(module, name, {4, 3, 4},
                                         scalars.size(), 0,
                                         getFused(op).has_value()),
                      scalars);
      } else if (auto generic = dyn_cast<linalg::GenericOp>(*op)) {
        if (std::optional<SmallVector<int64_t>> pool = matchMaxPool(generic))
          replaceByCall(
              op,
              getOrDeclareKernel(module, "romac_maxpool2d_nchw", {4, 4}, 6, 0,
                                 false),
              *pool, {}, {},
              ValueRange{generic.getDpsInputs()[0], generic.getDpsInits()[0]});
      }
    }
    // Attention: romac_attention[_heads]_{f32,bf16}(q, k, v, o, scale).
    SmallVector<romac::AttentionOp> attentions;
    module.walk([&](romac::AttentionOp op) {
      if (op->getNumResults() == 0)
        attentions.push_back(op);
    });
    for (romac::AttentionOp op : attentions) {
      // Rank 4: the heads in the operands' layout (romac_attention_heads).
      bool heads = cast<MemRefType>(op.getInit().getType()).getRank() == 4;
      int64_t rank = heads ? 4 : 3;
      replaceByCall(op,
                    getOrDeclareKernel(
                        module,
                        heads ? "romac_attention_heads" : "romac_attention",
                        {rank, rank, rank, rank}, 0, 1, false, gemm),
                    {}, {op.getScale().convertToFloat()});
    }
    // An implicitly padded input means nothing to the loop lowering.
    WalkResult padded = module.walk([](Operation *op) {
      if (!op->hasAttr(romac::RomacDialect::getInputPadAttrName()))
        return WalkResult::advance();
      op->emitError() << "romac-lower-to-kernels: an op with "
                      << romac::RomacDialect::getInputPadAttrName()
                      << " that no kernel computes";
      return WalkResult::interrupt();
    });
    if (padded.wasInterrupted())
      return signalPassFailure();
    // What no kernel took gets its epilogue as loops of their own.
    module.walk([](linalg::LinalgOp op) {
      if (std::optional<Fused> fused = getFused(op);
          fused && op.hasPureBufferSemantics())
        applyInPlace(op, *fused);
    });
  }
};

} // namespace
