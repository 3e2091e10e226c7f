//===- TileBySchedule.cpp - the schedule's tiles become loops --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles every linalg op that carries a #romac.mapping with the mapping's
// DRAM-level tile sizes, in its loop order (outermost first), through the
// upstream TilingInterface (scf::tileUsingSCF). The mapping is indexed by the
// op's loops (tile sizes in iteration order, the order as loop indices), so it
// becomes the tiling options as it stands. A contraction with a fused
// epilogue (romac-fuse-into-contractions) whose reduction is tiled gets it
// where it belongs: overwrite on the first tile of the reduction, scale and
// clamp on the last.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace romac {
#define GEN_PASS_DEF_ROMACTILEBYSCHEDULEPASS
#include "romac/Codegen/Passes.h.inc"
} // namespace romac

using namespace mlir;

namespace {

/// The tiling a mapping asks for, in the op's iteration order: tile sizes
/// (0: the loop is not tiled) and the loop interchange (the mapping's order).
struct ScheduleTiling {
  SmallVector<int64_t> tileSizes;
  SmallVector<int64_t> interchange;
};

/// Reads `mapping` against the loops of `op`; an error names what does not
/// match (a schedule written for another model). The dialect verifier has
/// checked one tile per loop and that the order is a permutation.
FailureOr<ScheduleTiling> getScheduleTiling(linalg::LinalgOp op,
                                            romac::MappingAttr mapping) {
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  ArrayRef<int64_t> tiles = mapping.getTile().asArrayRef();
  if (tiles.size() != bounds.size()) {
    op->emitError() << "romac.mapping has " << tiles.size()
                    << " tile sizes, the op has " << bounds.size() << " loops";
    return failure();
  }
  ScheduleTiling tiling;
  for (auto [loop, size, bound] : llvm::enumerate(tiles, bounds)) {
    if (ShapedType::isDynamic(bound)) {
      op->emitError() << "romac-tile-by-schedule: loop " << loop
                      << " has no static bound";
      return failure();
    }
    if (size <= 0 || size > bound) {
      op->emitError() << "romac.mapping tiles loop " << loop << " by " << size
                      << ", outside [1, " << bound << "]";
      return failure();
    }
    tiling.tileSizes.push_back(size == bound ? 0 : size);
  }
  tiling.interchange.assign(mapping.getOrder().asArrayRef().begin(),
                            mapping.getOrder().asArrayRef().end());
  return tiling;
}

/// The epilogue attributes romac-fuse-into-contractions sets.
bool hasOverwrite(Operation *op) {
  return op->hasAttr(romac::RomacDialect::getOverwriteAttrName());
}
bool hasFinish(Operation *op) {
  return op->hasAttr(romac::RomacDialect::getScaleAttrName()) ||
         op->hasAttr(romac::RomacDialect::getClampAttrName());
}

/// A tile of a contraction with a fused epilogue whose reduction loops are
/// tiled: the output is overwritten only on the first tile of the
/// reduction (every output element's first visit) and scaled and clamped
/// only on the last (its sum complete). `tile` becomes an scf.if on
/// `first` (when it overwrites) of scf.ifs on `last` (when it scales or
/// clamps), each branch a copy of it with the epilogue that holds there.
void splitEpilogue(RewriterBase &rewriter, Operation *tile, Value first,
                   Value last) {
  bool overwrite = hasOverwrite(tile), finish = hasFinish(tile);
  Location loc = tile->getLoc();
  // A copy of the tile with or without each part of its epilogue.
  auto copy = [&](OpBuilder &b, bool keepOverwrite, bool keepFinish) {
    Operation *clone = b.clone(*tile);
    if (!keepOverwrite)
      clone->removeAttr(romac::RomacDialect::getOverwriteAttrName());
    if (!keepFinish) {
      clone->removeAttr(romac::RomacDialect::getScaleAttrName());
      clone->removeAttr(romac::RomacDialect::getClampAttrName());
    }
    return clone->getResults();
  };
  // The copies for one value of `first`: split on `last` when it matters.
  auto onLast = [&](OpBuilder &b, bool keepOverwrite) -> ValueRange {
    if (!finish)
      return copy(b, keepOverwrite, false);
    auto branch = scf::IfOp::create(
        b, loc, last,
        [&](OpBuilder &then, Location l) {
          scf::YieldOp::create(then, l, copy(then, keepOverwrite, true));
        },
        [&](OpBuilder &other, Location l) {
          scf::YieldOp::create(other, l, copy(other, keepOverwrite, false));
        });
    return branch.getResults();
  };
  rewriter.setInsertionPoint(tile);
  ValueRange results;
  if (overwrite) {
    auto branch = scf::IfOp::create(
        rewriter, loc, first,
        [&](OpBuilder &then, Location l) {
          scf::YieldOp::create(then, l, onLast(then, true));
        },
        [&](OpBuilder &other, Location l) {
          scf::YieldOp::create(other, l, onLast(other, false));
        });
    results = branch.getResults();
  } else {
    results = onLast(rewriter, false);
  }
  rewriter.replaceOp(tile, results);
}

/// After tiling an op of `iterators` and `bounds` with `tiling` into
/// `tiled`: whether the reduction loops' tiles are the first and the last
/// (i1 values at the tile), or none when no reduction loop is tiled.
std::optional<std::pair<Value, Value>>
getReductionEnds(RewriterBase &rewriter,
                 ArrayRef<utils::IteratorType> iterators,
                 ArrayRef<int64_t> bounds, const ScheduleTiling &tiling,
                 const scf::SCFTilingResult &tiled) {
  // The loops tileUsingSCF made: the tiled dims in the interchange order.
  SmallVector<int64_t> dims;
  for (int64_t dim : tiling.interchange)
    if (tiling.tileSizes[dim] != 0)
      dims.push_back(dim);
  if (dims.size() != tiled.loops.size() || tiled.tiledOps.size() != 1)
    return std::nullopt;
  Operation *tile = tiled.tiledOps.front();
  rewriter.setInsertionPoint(tile);
  Location loc = tile->getLoc();
  Value first, last;
  for (auto [dim, loopOp] : llvm::zip(dims, tiled.loops)) {
    if (iterators[dim] != utils::IteratorType::reduction)
      continue;
    auto loop = cast<scf::ForOp>(loopOp);
    Value iv = loop.getInductionVar();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value lastStart = arith::ConstantIndexOp::create(
        rewriter, loc,
        (bounds[dim] - 1) / tiling.tileSizes[dim] * tiling.tileSizes[dim]);
    Value isFirst = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::eq, iv, zero);
    Value isLast = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, iv, lastStart);
    first =
        first ? arith::AndIOp::create(rewriter, loc, first, isFirst) : isFirst;
    last = last ? arith::AndIOp::create(rewriter, loc, last, isLast) : isLast;
  }
  if (!first)
    return std::nullopt;
  return std::make_pair(first, last);
}

struct TileBySchedulePass
    : public romac::impl::RomacTileBySchedulePassBase<TileBySchedulePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, romac::MappingAttr>> work;
    func.walk([&](linalg::LinalgOp op) {
      if (auto mapping = op->getAttrOfType<romac::MappingAttr>(
              romac::RomacDialect::getMappingAttrName()))
        work.push_back({op, mapping});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, mapping] : work) {
      FailureOr<ScheduleTiling> tiling = getScheduleTiling(op, mapping);
      if (failed(tiling))
        return signalPassFailure();
      op->removeAttr(romac::RomacDialect::getMappingAttrName());
      op->setAttr(romac::RomacDialect::getTiledMappingAttrName(), mapping);
      if (llvm::all_of(tiling->tileSizes, [](int64_t s) { return s == 0; }))
        continue;
      scf::SCFTilingOptions options;
      options.setTileSizes(
          getAsIndexOpFoldResult(&getContext(), tiling->tileSizes));
      options.setInterchange(tiling->interchange);
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      rewriter.setInsertionPoint(op);
      auto tileable = dyn_cast<TilingInterface>(op.getOperation());
      if (!tileable) {
        op->emitError("romac-tile-by-schedule: the op has no tiling "
                      "interface (its external model is not registered)");
        return signalPassFailure();
      }
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, tileable, options);
      if (failed(tiled)) {
        op->emitError("romac-tile-by-schedule: tiling failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
      bool reductionTiled = false;
      for (auto [loop, iterator] : llvm::enumerate(iterators))
        reductionTiled |= iterator == utils::IteratorType::reduction &&
                          tiling->tileSizes[loop] != 0;
      if (!reductionTiled || llvm::none_of(tiled->tiledOps, [](Operation *t) {
            return hasOverwrite(t) || hasFinish(t);
          }))
        continue;
      // Each tile of the reduction must know its place in it; an epilogue
      // on every tile would overwrite or clamp partial sums.
      std::optional<std::pair<Value, Value>> ends =
          getReductionEnds(rewriter, iterators, bounds, *tiling, *tiled);
      if (!ends) {
        tiled->tiledOps.front()->emitError(
            "romac-tile-by-schedule: the fused epilogue of a tiled reduction "
            "cannot be placed (the tiling made no single tile in one loop "
            "per tiled dim)");
        return signalPassFailure();
      }
      splitEpilogue(rewriter, tiled->tiledOps.front(), ends->first,
                    ends->second);
    }
  }
};

} // namespace
