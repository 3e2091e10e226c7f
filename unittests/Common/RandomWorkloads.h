//===- RandomWorkloads.h - seeded random cases for the tests ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The deterministic generator and the random affine loop nests that the
// ground-truth tests (access counts, exhaustive search, DRAM model) draw
// their cases from.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_COMMON_RANDOMWORKLOADS_H
#define ROMAC_UNITTESTS_COMMON_RANDOMWORKLOADS_H

#include "romac/Analysis/Workload.h"

#include <cstdint>
#include <string>
#include <utility>

namespace romac::test {

/// A small deterministic generator (splitmix64).
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  /// Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool coin() { return next() & 1; }
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

private:
  uint64_t state;
};

/// The ranges of randomAffine().
struct AffineLimits {
  int64_t maxDims = 4, maxOperands = 3, maxBytes = 3, maxCoeff = 2,
          maxConstant = 3;
};

/// A random loop nest with random affine projections: 1..maxDims dims
/// (bounds 1..6, parallel or reduction), 1..maxOperands operands of rank
/// 1..3 (the last one may be read-write over parallel dims), each tensor dim
/// a sum of some loop dims with coefficients ±1..maxCoeff (several loop dims
/// per tensor dim, loop dims shared between tensor dims) plus a constant in
/// ±maxConstant, extents 1..8. Not necessarily valid: callers verify.
inline Workload randomAffine(Rng &rng, const AffineLimits &limits = {}) {
  Workload w;
  w.name = "random";
  w.op = OpKind::Generic;
  int64_t numDims = rng.range(1, limits.maxDims);
  for (int64_t d = 0; d < numDims; ++d)
    w.dims.push_back({"d" + std::to_string(d), rng.range(1, 6),
                      rng.coin() ? LoopKind::Parallel : LoopKind::Reduction});
  int64_t numOps = rng.range(1, limits.maxOperands);
  for (int64_t o = 0; o < numOps; ++o) {
    Operand op;
    op.name = "op" + std::to_string(o);
    op.tensor = "t" + std::to_string(o);
    op.role = o == numOps - 1 && rng.coin() ? OperandRole::ReadWrite
                                            : OperandRole::Read;
    op.bytesPerElement = rng.range(1, limits.maxBytes);
    int64_t rank = rng.range(1, 3);
    for (int64_t j = 0; j < rank; ++j) {
      IndexExpr expr;
      for (int64_t d = 0; d < numDims; ++d) {
        if (rng.range(0, 2) != 0)
          continue;
        if (op.role == OperandRole::ReadWrite &&
            w.dims[d].kind == LoopKind::Reduction)
          continue;
        int64_t coeff = rng.range(1, limits.maxCoeff) * (rng.coin() ? 1 : -1);
        expr.terms.push_back({static_cast<unsigned>(d), coeff});
      }
      expr.constant = rng.range(-limits.maxConstant, limits.maxConstant);
      op.projection.push_back(expr);
      op.extent.push_back(rng.range(1, 8));
    }
    w.operands.push_back(std::move(op));
  }
  return w;
}

} // namespace romac::test

#endif // ROMAC_UNITTESTS_COMMON_RANDOMWORKLOADS_H
