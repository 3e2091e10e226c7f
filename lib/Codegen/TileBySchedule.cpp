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
// becomes the tiling options as it stands.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, tileable, options);
      if (failed(tiled)) {
        op->emitError("romac-tile-by-schedule: tiling failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
