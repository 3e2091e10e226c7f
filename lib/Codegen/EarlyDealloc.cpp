//===- EarlyDealloc.cpp - free each buffer after its last use --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-early-dealloc: the ownership-based deallocation pipeline frees the
// buffers of a block at its end, so every intermediate activation of a
// network lives until @main returns (the SD2 UNet's attention scores alone
// are gigabytes). This pass moves each `memref.dealloc` of a buffer
// allocated in the same block to just after the last op of that block that
// uses the buffer or a value that may alias it, so memory follows liveness.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace romac {
#define GEN_PASS_DEF_ROMACEARLYDEALLOCPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// The last op of `block` that uses `buffer` or a possible alias of it
/// (directly or in a nested region); nullptr when a use lies outside
/// `block`. Every memref result of a user counts as an alias, view-like or
/// not (memref.transpose is not a ViewLikeOpInterface), so the free can
/// only come later than needed, never too early.
Operation *getLastUse(Value buffer, Block *block, Operation *dealloc) {
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == dealloc)
        continue;
      Operation *inBlock = block->findAncestorOpInBlock(*user);
      if (!inBlock)
        return nullptr;
      if (last->isBeforeInBlock(inBlock))
        last = inBlock;
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()))
          worklist.push_back(result);
    }
  }
  return last;
}

struct EarlyDeallocPass
    : public romac::impl::RomacEarlyDeallocPassBase<EarlyDeallocPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp dealloc : deallocs) {
      Value buffer = dealloc.getMemref();
      auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      Operation *last = getLastUse(buffer, block, dealloc);
      if (last && last->isBeforeInBlock(dealloc))
        dealloc->moveAfter(last);
    }
  }
};

} // namespace
