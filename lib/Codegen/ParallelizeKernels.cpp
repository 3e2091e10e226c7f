//===- ParallelizeKernels.cpp - element-wise kernels on the threads -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-parallelize-kernels: a kernel (romac-outline-kernels) whose loop
// nest starts with a loop that romac-vectorize marked parallel is run by the
// runtime's worker threads, each on a range of that loop's iterations
// (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace romac {
#define GEN_PASS_DEF_ROMACPARALLELIZEKERNELSPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// The runtime's `romac_parallel_for(count, fn, ctx)` (Kernels.h).
constexpr llvm::StringLiteral kParallelFor = "romac_parallel_for";

/// The bytes of a statically shaped memref, or -1.
int64_t getStaticBytes(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape() ||
      !memref.getElementType().isIntOrFloat())
    return -1;
  return memref.getNumElements() *
         std::max<int64_t>(1, memref.getElementTypeBitWidth() / 8);
}

/// The one op with regions among `block`'s ops when every other op is pure
/// (constants, views), else null.
Operation *getOnlyNest(Block &block) {
  Operation *nest = nullptr;
  for (Operation &op : block.without_terminator()) {
    if (op.getNumRegions() == 0 && isPure(&op))
      continue;
    if (nest || op.getNumRegions() == 0)
      return nullptr;
    nest = &op;
  }
  return nest;
}

/// The constant trip count of `loop`, or -1.
int64_t getTripCount(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0)
    return -1;
  return *ub <= *lb ? 0 : (*ub - *lb + *step - 1) / *step;
}

/// The loop of `kernel` to split over the threads: its only loop nest,
/// through loops of one iteration, down to the first loop of several,
/// which must be marked parallel and have no results.
scf::ForOp findParallelLoop(func::FuncOp kernel) {
  Operation *nest = getOnlyNest(kernel.getBody().front());
  while (auto loop = dyn_cast_or_null<scf::ForOp>(nest)) {
    int64_t trips = getTripCount(loop);
    if (trips < 0 || loop.getNumResults() != 0)
      return nullptr;
    if (trips >= 2)
      return loop->hasAttr(romac::RomacDialect::getParallelAttrName())
                 ? loop
                 : nullptr;
    nest = getOnlyNest(*loop.getBody());
  }
  return nullptr;
}

/// `func.func private @romac_parallel_for(i64, (!llvm.ptr, i64, i64) -> (),
/// !llvm.ptr)`, declared once.
func::FuncOp getParallelFor(ModuleOp module, FunctionType chunkType) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kParallelFor))
    return existing;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto type = FunctionType::get(
      ctx,
      {IntegerType::get(ctx, 64), chunkType, LLVM::LLVMPointerType::get(ctx)},
      {});
  auto decl = func::FuncOp::create(b, module.getLoc(), kParallelFor, type);
  decl.setPrivate();
  return decl;
}

struct ParallelizeKernelsPass
    : public romac::impl::RomacParallelizeKernelsPassBase<
          ParallelizeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    auto chunkType = FunctionType::get(ctx, {ptr, i64, i64}, {});

    for (auto kernel : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (kernel.isExternal() || !kernel.getName().starts_with("romac_kernel_"))
        continue;
      // Every argument a statically shaped buffer, enough of them to pay
      // for waking the threads.
      int64_t bytes = 0;
      bool buffers = true;
      for (Type type : kernel.getArgumentTypes()) {
        int64_t b = getStaticBytes(type);
        buffers &= b >= 0;
        bytes += b;
      }
      if (!buffers || bytes < minBytes)
        continue;
      scf::ForOp loop = findParallelLoop(kernel);
      if (!loop)
        continue;
      int64_t trips = getTripCount(loop);
      StringRef suffix = kernel.getName().drop_front(strlen("romac_kernel_"));
      std::string kernelName = kernel.getName().str();
      std::string rangeName = ("romac_range_" + suffix).str();
      std::string chunkName = ("romac_chunk_" + suffix).str();
      if (module.lookupSymbol(rangeName) || module.lookupSymbol(chunkName))
        continue;

      // The descriptors of the arguments, in one struct the threads read.
      SmallVector<Type> descriptors;
      for (Type type : kernel.getArgumentTypes())
        descriptors.push_back(converter.convertType(type));
      auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, descriptors);

      // The kernel takes the range [begin, end) of the loop's iterations.
      Location loc = kernel.getLoc();
      Block &entry = kernel.getBody().front();
      Type index = IndexType::get(ctx);
      unsigned numArgs = kernel.getNumArguments();
      if (failed(kernel.insertArguments({numArgs, numArgs}, {index, index}, {},
                                        {loc, loc})))
        return signalPassFailure();
      Value begin = entry.getArgument(numArgs);
      Value end = entry.getArgument(numArgs + 1);
      OpBuilder b(loop);
      Value lb = loop.getLowerBound(), step = loop.getStep();
      Value first = arith::AddIOp::create(
          b, loc, lb, arith::MulIOp::create(b, loc, begin, step));
      Value last = arith::MinSIOp::create(
          b, loc, loop.getUpperBound(),
          arith::AddIOp::create(b, loc, lb,
                                arith::MulIOp::create(b, loc, end, step)));
      loop.getLowerBoundMutable().assign(first);
      loop.getUpperBoundMutable().assign(last);

      // The kernel, on a range, becomes @romac_range_K; @romac_kernel_K
      // (what the calls name) is now the dispatcher below.
      kernel.setSymName(rangeName);

      // @romac_chunk_K(ctx, begin, end): the buffers from the struct, then
      // the kernel on [begin, end).
      b.setInsertionPoint(kernel);
      auto chunk = func::FuncOp::create(b, loc, chunkName, chunkType);
      chunk.setPrivate();
      Block *body = chunk.addEntryBlock();
      b.setInsertionPointToStart(body);
      SmallVector<Value> args;
      for (unsigned i = 0; i < numArgs; ++i) {
        Value field = LLVM::GEPOp::create(
            b, loc, ptr, ctxType, body->getArgument(0),
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        Value descriptor = LLVM::LoadOp::create(b, loc, descriptors[i], field);
        args.push_back(UnrealizedConversionCastOp::create(
                           b, loc, kernel.getArgumentTypes()[i], descriptor)
                           .getResult(0));
      }
      for (unsigned i : {1u, 2u})
        args.push_back(
            arith::IndexCastOp::create(b, loc, index, body->getArgument(i)));
      func::CallOp::create(b, loc, kernel, args);
      func::ReturnOp::create(b, loc);

      // @romac_kernel_K(buffers): the struct on the stack, the descriptors
      // stored into it, then the threads. Its calls stay as they were.
      func::FuncOp parallelFor = getParallelFor(module, chunkType);
      b.setInsertionPoint(chunk);
      auto dispatch = func::FuncOp::create(
          b, loc, kernelName,
          FunctionType::get(ctx, kernel.getArgumentTypes().take_front(numArgs),
                            {}));
      dispatch.setPrivate();
      dispatch->setAttr("passthrough",
                        b.getArrayAttr({b.getStringAttr("noinline")}));
      Block *entryBlock = dispatch.addEntryBlock();
      b.setInsertionPointToStart(entryBlock);
      Value one = arith::ConstantIntOp::create(b, loc, 1, 64);
      Value context = LLVM::AllocaOp::create(b, loc, ptr, ctxType, one);
      for (auto [i, buffer] : llvm::enumerate(entryBlock->getArguments())) {
        Value descriptor =
            UnrealizedConversionCastOp::create(b, loc, descriptors[i], buffer)
                .getResult(0);
        Value field = LLVM::GEPOp::create(
            b, loc, ptr, ctxType, context,
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        LLVM::StoreOp::create(b, loc, descriptor, field);
      }
      Value fn = func::ConstantOp::create(b, loc, chunkType,
                                          SymbolRefAttr::get(chunk));
      Value count = arith::ConstantIntOp::create(b, loc, trips, 64);
      func::CallOp::create(b, loc, parallelFor, ValueRange{count, fn, context});
      func::ReturnOp::create(b, loc);
    }
  }
};

} // namespace
