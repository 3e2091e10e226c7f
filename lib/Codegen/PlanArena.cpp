//===- PlanArena.cpp - intermediate buffers in one planned arena -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// romac-plan-arena: after romac-early-dealloc, every statically shaped
// buffer that a function allocates and frees in its body block lives from
// its first use to its last use there. This pass places all of them in one
// arena allocation, at offsets an offline planner chose so that two buffers
// live at the same time never share a byte: each buffer becomes a
// `memref.view` of the arena, and its dealloc goes.
//
// The planner is the greedy-by-size planner of TFLite's and ONNX Runtime's
// memory planners: the buffers, largest first, each go into the smallest
// gap between the buffers already placed that overlap it in time, or above
// the highest of them when no gap fits. Offsets are multiples of 64 bytes.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/STLExtras.h"

#include <optional>

namespace romac {
#define GEN_PASS_DEF_ROMACPLANARENAPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// Offsets and sizes in the arena are multiples of this many bytes (a cache
/// line, and the alignment of every buffer romacAlloc returns).
constexpr int64_t kArenaAlignment = 64;

int64_t alignUp(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

/// An intermediate buffer the arena holds: the ops of the body block that
/// use it (or a value that may alias it) are those at positions
/// [first, last].
struct ArenaBuffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
  int64_t offset = 0;
};

/// Bytes of a buffer of `type`, or nullopt when the arena cannot hold it: a
/// dynamic shape, a layout other than the identity, a memory space, an
/// element type without a fixed size in bytes.
std::optional<int64_t> getStaticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  // Sub-byte elements take a byte each, as LLVM stores them.
  int64_t elementBytes = (type.getElementTypeBitWidth() + 7) / 8;
  int64_t bytes = type.getNumElements() * elementBytes;
  if (bytes <= 0)
    return std::nullopt;
  return bytes;
}

/// True when `user` may free `value` (other than through the dealloc that
/// the caller accepts) or copy its address out of the memref world.
bool mayFreeOrLeak(Operation *user, Value value) {
  if (isa<memref::DeallocOp, memref::ReallocOp,
          memref::ExtractAlignedPointerAsIndexOp, UnrealizedConversionCastOp>(
          user))
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(user);
  return effects && effects.getEffectOnValue<MemoryEffects::Free>(value);
}

/// The live interval of the buffer `alloc` allocates, in positions of the
/// ops of `block`, and its only dealloc; nullopt when the buffer must keep
/// its own allocation: it is not freed exactly once in `block` by a dealloc
/// of the allocation itself, a value that may alias it is used outside
/// `block`, returned, freed or turned into an address.
///
/// Every memref result of a user counts as an alias (views, casts,
/// transposes, loops yielding it), as does every memref result of an op
/// that encloses a user (a value yielded out of a region) and every memref
/// argument of a region or a successor block of a user (a loop's iteration
/// argument, a branch's block argument). A use inside a region counts for
/// the op of `block` that encloses it, so a buffer a loop reads is live for
/// the whole loop.
std::optional<ArenaBuffer>
getArenaBuffer(memref::AllocOp alloc, Block &block,
               const DenseMap<Operation *, int64_t> &positions) {
  std::optional<int64_t> bytes = getStaticBytes(alloc.getType());
  if (!bytes || !alloc.getDynamicSizes().empty() ||
      !alloc.getSymbolOperands().empty() ||
      alloc.getAlignment().value_or(0) > kArenaAlignment)
    return std::nullopt;

  ArenaBuffer buffer;
  buffer.alloc = alloc;
  buffer.bytes = *bytes;
  buffer.first = std::numeric_limits<int64_t>::max();
  buffer.last = -1;
  SmallVector<Value> worklist = {alloc.getResult()};
  DenseSet<Value> seen = {alloc.getResult()};
  auto push = [&](Value value) {
    if (isa<BaseMemRefType>(value.getType()) && seen.insert(value).second)
      worklist.push_back(value);
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      auto dealloc = dyn_cast<memref::DeallocOp>(user);
      if (dealloc && value == alloc.getResult() &&
          dealloc->getBlock() == &block && !buffer.dealloc) {
        buffer.dealloc = dealloc;
        continue;
      }
      // A return from the function (not a yield out of a nested region,
      // which makes the enclosing op's results aliases).
      bool returned =
          user->hasTrait<OpTrait::ReturnLike>() && user->getBlock() == &block;
      if (returned || mayFreeOrLeak(user, value))
        return std::nullopt;
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      int64_t position = positions.lookup(top);
      buffer.first = std::min(buffer.first, position);
      buffer.last = std::max(buffer.last, position);
      for (Operation *op = user; op != top->getParentOp();
           op = op->getParentOp())
        for (Value result : op->getResults())
          push(result);
      for (Region &region : user->getRegions())
        for (Block &inner : region)
          for (BlockArgument argument : inner.getArguments())
            push(argument);
      for (Block *successor : user->getSuccessors())
        for (BlockArgument argument : successor->getArguments())
          push(argument);
    }
  }
  if (!buffer.dealloc)
    return std::nullopt;
  if (buffer.last < 0)
    buffer.first = buffer.last = positions.lookup(alloc);
  return buffer;
}

/// Places every buffer: largest first (then earliest, then in program
/// order), each at the start of the smallest gap between the buffers placed
/// so far that overlap it in time, or above all of them. Returns the arena's
/// size.
int64_t planOffsets(MutableArrayRef<ArenaBuffer> buffers) {
  SmallVector<ArenaBuffer *> order;
  for (ArenaBuffer &buffer : buffers)
    order.push_back(&buffer);
  llvm::stable_sort(order, [](const ArenaBuffer *a, const ArenaBuffer *b) {
    int64_t sizeA = alignUp(a->bytes), sizeB = alignUp(b->bytes);
    if (sizeA != sizeB)
      return sizeA > sizeB;
    return a->first < b->first;
  });
  int64_t arenaBytes = 0;
  SmallVector<ArenaBuffer *> placed;
  SmallVector<ArenaBuffer *> overlapping;
  for (ArenaBuffer *buffer : order) {
    overlapping.clear();
    for (ArenaBuffer *other : placed)
      if (other->first <= buffer->last && buffer->first <= other->last)
        overlapping.push_back(other);
    llvm::sort(overlapping, [](const ArenaBuffer *a, const ArenaBuffer *b) {
      return a->offset < b->offset;
    });
    int64_t size = alignUp(buffer->bytes);
    int64_t bestOffset = -1;
    int64_t bestGap = std::numeric_limits<int64_t>::max();
    int64_t top = 0; // the end of the highest buffer seen so far
    for (ArenaBuffer *other : overlapping) {
      int64_t gap = other->offset - top;
      if (gap >= size && gap < bestGap) {
        bestGap = gap;
        bestOffset = top;
      }
      top = std::max(top, other->offset + alignUp(other->bytes));
    }
    buffer->offset = bestOffset >= 0 ? bestOffset : top;
    arenaBytes = std::max(arenaBytes, buffer->offset + size);
    placed.push_back(buffer);
  }
  return arenaBytes;
}

/// The most bytes live at one time: no arena is smaller.
int64_t getLiveBytesBound(ArrayRef<ArenaBuffer> buffers) {
  // +bytes at `first`, -bytes after `last`; at one position, ends sort
  // before starts of the next.
  SmallVector<std::pair<int64_t, int64_t>> events;
  for (const ArenaBuffer &buffer : buffers) {
    events.push_back({2 * buffer.first + 1, buffer.bytes});
    events.push_back({2 * buffer.last + 2, -buffer.bytes});
  }
  llvm::sort(events);
  int64_t live = 0, bound = 0;
  for (auto [time, delta] : events) {
    live += delta;
    bound = std::max(bound, live);
  }
  return bound;
}

struct PlanArenaPass
    : public romac::impl::RomacPlanArenaPassBase<PlanArenaPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &block = func.getBody().front();
    DenseMap<Operation *, int64_t> positions;
    for (auto [position, op] : llvm::enumerate(block))
      positions[&op] = position;

    SmallVector<ArenaBuffer> buffers;
    for (auto alloc : block.getOps<memref::AllocOp>())
      if (std::optional<ArenaBuffer> buffer =
              getArenaBuffer(alloc, block, positions))
        buffers.push_back(*buffer);
    if (buffers.empty())
      return;

    int64_t arenaBytes = planOffsets(buffers);
    int64_t bound = getLiveBytesBound(buffers);
    rewrite(block, buffers, arenaBytes);

    MLIRContext *ctx = &getContext();
    auto i64 = IntegerType::get(ctx, 64);
    func->setAttr(romac::RomacDialect::getArenaBytesAttrName(),
                  IntegerAttr::get(i64, arenaBytes));
    func->setAttr(romac::RomacDialect::getArenaLowerBoundAttrName(),
                  IntegerAttr::get(i64, bound));
    if (remarks)
      emitRemark(func.getLoc())
          << "arena of " << arenaBytes << " bytes for " << buffers.size()
          << (buffers.size() == 1 ? " buffer; " : " buffers; ") << bound
          << " bytes live at most at one time";
  }

  /// One arena allocated at the start of `block` and freed before its
  /// terminator; every buffer a view of it at its planned offset.
  void rewrite(Block &block, MutableArrayRef<ArenaBuffer> buffers,
               int64_t arenaBytes) {
    OpBuilder builder(&getContext());
    builder.setInsertionPointToStart(&block);
    Location loc = getOperation().getLoc();
    auto arenaType = MemRefType::get({arenaBytes}, builder.getI8Type());
    Value arena = memref::AllocOp::create(builder, loc, arenaType,
                                          builder.getI64IntegerAttr(
                                              kArenaAlignment));
    builder.setInsertionPoint(block.getTerminator());
    memref::DeallocOp::create(builder, loc, arena);
    for (ArenaBuffer &buffer : buffers) {
      builder.setInsertionPoint(buffer.alloc);
      Location at = buffer.alloc.getLoc();
      Value offset =
          arith::ConstantIndexOp::create(builder, at, buffer.offset);
      Value view = memref::ViewOp::create(builder, at, buffer.alloc.getType(),
                                          arena, offset, ValueRange());
      buffer.dealloc.erase();
      buffer.alloc.getResult().replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
  }
};

} // namespace
