//===- TileBySchedule.cpp - the schedule's tiles become loops --*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles every linalg op that carries a #romac.mapping with the mapping's
// DRAM-level tile sizes, in its loop order (outermost first), through the
// upstream TilingInterface (scf::tileUsingSCF). The mapping names loop dims as
// the layer's Workload does (workloadFromLinalg), so the dim names are mapped
// back to the op's iteration dims through the same function.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
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
/// (0: the dim is not tiled) and the loop interchange (tiled dims in the
/// mapping's order, then the rest).
struct ScheduleTiling {
  SmallVector<int64_t> tileSizes;
  SmallVector<int64_t> interchange;
};

/// Reads `mapping` against the loop dims of `op`; an error names what does
/// not match (a schedule written for another model).
FailureOr<ScheduleTiling> getScheduleTiling(linalg::LinalgOp op,
                                            romac::MappingAttr mapping,
                                            const romac::NameTable &names) {
  llvm::Expected<romac::Workload> w = romac::workloadFromLinalg(op, names);
  if (!w) {
    op->emitError() << llvm::toString(w.takeError());
    return failure();
  }
  ScheduleTiling tiling;
  for (const romac::LoopDim &dim : w->dims) {
    auto tile = mapping.getTile().getAs<IntegerAttr>(dim.name);
    if (!tile) {
      op->emitError() << "romac.mapping has no tile for loop dim '" << dim.name
                      << "'";
      return failure();
    }
    int64_t size = tile.getInt();
    if (size <= 0 || size > dim.bound) {
      op->emitError() << "romac.mapping tiles loop dim '" << dim.name << "' by "
                      << size << ", outside [1, " << dim.bound << "]";
      return failure();
    }
    tiling.tileSizes.push_back(size == dim.bound ? 0 : size);
  }
  llvm::SmallDenseSet<int64_t> placed;
  for (Attribute a : mapping.getOrder()) {
    std::optional<unsigned> dim =
        w->findDim(llvm::cast<StringAttr>(a).getValue());
    if (!dim || !placed.insert(*dim).second) {
      op->emitError() << "romac.mapping order names "
                      << (dim ? "twice" : "an unknown") << " loop dim '"
                      << llvm::cast<StringAttr>(a).getValue() << "'";
      return failure();
    }
    tiling.interchange.push_back(*dim);
  }
  for (int64_t d = 0, e = w->dims.size(); d < e; ++d)
    if (!placed.contains(d))
      tiling.interchange.push_back(d);
  return tiling;
}

struct TileBySchedulePass
    : public romac::impl::RomacTileBySchedulePassBase<TileBySchedulePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    romac::NameTable names(func);
    SmallVector<std::pair<linalg::LinalgOp, romac::MappingAttr>> work;
    func.walk([&](linalg::LinalgOp op) {
      if (auto mapping = op->getAttrOfType<romac::MappingAttr>(
              romac::RomacDialect::getMappingAttrName()))
        work.push_back({op, mapping});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, mapping] : work) {
      FailureOr<ScheduleTiling> tiling = getScheduleTiling(op, mapping, names);
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
