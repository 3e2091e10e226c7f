//===- Verify.h - Z3 proofs that a tiling is correct ------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Proves with the Z3 SMT solver, for one layer and its DRAM -> SRAM tile
// loops, that
//
//  - the tiles of every loop dim cover each iteration exactly once (no gap,
//    no overlap, no tile outside the dim), and
//  - at every tile position the footprints of the operands a buffer holds
//    fit in it, with the footprints written in terms of the projections
//    (bounding ranges of the affine indices over the tile's box, clipped to
//    the tensor) rather than computed in C++.
//
// Each property is asserted negated; UNSAT is the proof, a model is a
// counterexample that the error message spells out. docs/search.md gives
// the encodings. This library (RomacVerify, with the address-mapping proof
// of AddressMappingZ3.h) is the only one that links Z3.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_VERIFY_VERIFY_H
#define ROMAC_VERIFY_VERIFY_H

#include "romac/CostModel/Cost.h"
#include "romac/CostModel/Mapping.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace romac {

/// Options of the verifier.
struct VerifyOptions {
  /// Every operand reserves two tiles (as CostOptions::doubleBuffering).
  bool doubleBuffering = false;
  /// Solver time limit per query in milliseconds; running out is an error.
  unsigned timeoutMs = 30000;
};

/// What the verifier proved.
struct VerifyStats {
  /// Solver queries answered UNSAT.
  unsigned proofs = 0;
};

/// Proves that `loops` (one per dim of `workload`) cover the iteration
/// space exactly once and that every tile fits the buffers of `target`.
/// Fails with a message naming the layer, the dim or operand and buffer, and
/// the counterexample Z3 found.
llvm::Error verifyTiling(const Workload &workload,
                         llvm::ArrayRef<TileLoop> loops,
                         const CostTarget &target,
                         const VerifyOptions &options = {},
                         VerifyStats *stats = nullptr);

/// verifyTiling() on the loops of `mapping`.
llvm::Error verifyMapping(const Workload &workload, const Mapping &mapping,
                          const CostTarget &target,
                          const VerifyOptions &options = {},
                          VerifyStats *stats = nullptr);

} // namespace romac

#endif // ROMAC_VERIFY_VERIFY_H
