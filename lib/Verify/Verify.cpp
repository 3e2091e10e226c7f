//===- Verify.cpp - Z3 proofs that a tiling is correct ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The only file of romac's model libraries built with exceptions: z3++.h
// throws z3::exception, which is caught here and turned into llvm::Error.
//
// Every query asserts the negation of a property over integer variables and
// expects UNSAT:
//
//  gap:      exists p in [0, B) such that for all t in [0, count), i in
//            [0, size): t * step + i != p
//  overlap:  exists t1 < t2, i1, i2 with both points inside [0, B) and
//            t1 * step + i1 == t2 * step + i2
//  outside:  exists t in [0, count) with t * step >= B (an empty tile)
//  capacity: exists tile indices t_d in [0, count_d) such that the sum over
//            the operands a buffer holds of bytes * prod_j len_j exceeds the
//            capacity, where len_j is the clipped bounding range of tensor
//            index j over the tile's box:
//              first_d = t_d * step_d, last_d = min(first_d + size_d, B_d) - 1
//              lo_j = const + sum_d (c > 0 ? c * first_d : c * last_d)
//              hi_j = const + sum_d (c > 0 ? c * last_d : c * first_d)
//              len_j = max(0, min(hi_j, E_j - 1) - max(lo_j, 0) + 1)
//
//===----------------------------------------------------------------------===//

#include "romac/Verify/Verify.h"
#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <z3++.h>

#include <string>

using namespace romac;
using llvm::ArrayRef;

namespace {

/// One verification run over a workload.
class Verifier {
public:
  Verifier(const Workload &workload, ArrayRef<TileLoop> loops,
           const CostTarget &target, const VerifyOptions &options,
           VerifyStats *stats)
      : workload(workload), loops(loops), target(target), options(options),
        stats(stats) {}

  llvm::Error run();

private:
  z3::expr val(int64_t v) { return ctx.int_val(v); }
  /// Checks `solver`; success when UNSAT, else the model (or an error for
  /// unknown).
  llvm::Expected<std::optional<z3::model>> check(z3::solver &solver,
                                                 const std::string &what);
  z3::solver makeSolver();
  int64_t evalInt(const z3::model &m, const z3::expr &e);

  llvm::Error checkCoverage(unsigned d);
  llvm::Error checkCapacity(unsigned memory);

  const Workload &workload;
  ArrayRef<TileLoop> loops;
  const CostTarget &target;
  const VerifyOptions &options;
  VerifyStats *stats;
  z3::context ctx;
  std::string where() const { return "layer '" + workload.name + "'"; }
};

z3::solver Verifier::makeSolver() {
  z3::solver solver(ctx);
  z3::params params(ctx);
  params.set("timeout", options.timeoutMs);
  solver.set(params);
  return solver;
}

llvm::Expected<std::optional<z3::model>>
Verifier::check(z3::solver &solver, const std::string &what) {
  switch (solver.check()) {
  case z3::unsat:
    if (stats)
      ++stats->proofs;
    return std::optional<z3::model>();
  case z3::sat:
    return std::optional<z3::model>(solver.get_model());
  case z3::unknown:
    break;
  }
  return makeStringError(where() + ": Z3 could not decide " + what + " (" +
                         solver.reason_unknown() + ")");
}

int64_t Verifier::evalInt(const z3::model &m, const z3::expr &e) {
  int64_t v = 0;
  z3::expr r = m.eval(e, /*model_completion=*/true);
  if (!r.is_numeral_i64(v))
    return -1;
  return v;
}

llvm::Error Verifier::checkCoverage(unsigned d) {
  const LoopDim &dim = workload.dims[d];
  const TileLoop &loop = loops[d];
  std::string dimWhere = where() + ": tile loop of dim '" + dim.name + "'";
  if (loop.size < 1 || loop.step < 1 || loop.count < 1)
    return makeStringError(dimWhere + " has size " + llvm::Twine(loop.size) +
                           ", step " + llvm::Twine(loop.step) + ", count " +
                           llvm::Twine(loop.count) + "; all must be positive");
  z3::expr bound = val(dim.bound), size = val(loop.size), step = val(loop.step),
           count = val(loop.count);
  z3::expr t = ctx.int_const("t"), i = ctx.int_const("i");
  auto inTile = [&](const z3::expr &tt, const z3::expr &ii) {
    return tt >= 0 && tt < count && ii >= 0 && ii < size;
  };

  // No iteration outside every tile.
  {
    z3::solver solver = makeSolver();
    z3::expr p = ctx.int_const("p");
    solver.add(p >= 0 && p < bound);
    solver.add(z3::forall(t, i, z3::implies(inTile(t, i), t * step + i != p)));
    llvm::Expected<std::optional<z3::model>> m =
        check(solver, "the coverage of dim '" + dim.name + "'");
    if (!m)
      return m.takeError();
    if (*m)
      return makeStringError(dimWhere + " leaves a gap: iteration " + dim.name +
                             "=" + llvm::Twine(evalInt(**m, p)) +
                             " is in no tile (size " + llvm::Twine(loop.size) +
                             ", step " + llvm::Twine(loop.step) + ", " +
                             llvm::Twine(loop.count) + " tiles, bound " +
                             llvm::Twine(dim.bound) + ")");
  }
  // No iteration in two tiles.
  {
    z3::solver solver = makeSolver();
    z3::expr t1 = ctx.int_const("t1"), i1 = ctx.int_const("i1");
    z3::expr t2 = ctx.int_const("t2"), i2 = ctx.int_const("i2");
    z3::expr p1 = t1 * step + i1, p2 = t2 * step + i2;
    solver.add(inTile(t1, i1) && inTile(t2, i2) && t1 < t2 && p1 < bound &&
               p1 == p2);
    llvm::Expected<std::optional<z3::model>> m =
        check(solver, "the overlap of dim '" + dim.name + "'");
    if (!m)
      return m.takeError();
    if (*m)
      return makeStringError(
          dimWhere + " overlaps: tiles " + llvm::Twine(evalInt(**m, t1)) +
          " and " + llvm::Twine(evalInt(**m, t2)) + " both cover iteration " +
          dim.name + "=" + llvm::Twine(evalInt(**m, p1)) + " (size " +
          llvm::Twine(loop.size) + ", step " + llvm::Twine(loop.step) + ")");
  }
  // No tile that starts past the bound.
  {
    z3::solver solver = makeSolver();
    solver.add(t >= 0 && t < count && t * step >= bound);
    llvm::Expected<std::optional<z3::model>> m =
        check(solver, "the tile count of dim '" + dim.name + "'");
    if (!m)
      return m.takeError();
    if (*m) {
      int64_t bad = evalInt(**m, t);
      return makeStringError(
          dimWhere + " has tiles outside the dim: tile " + llvm::Twine(bad) +
          " starts at " + llvm::Twine(bad * loop.step) + ", past the bound " +
          llvm::Twine(dim.bound) + " (" + llvm::Twine(loop.count) + " tiles)");
    }
  }
  return llvm::Error::success();
}

llvm::Error Verifier::checkCapacity(unsigned memory) {
  const CostMemory &mem = target.memories[memory];
  llvm::SmallVector<unsigned, 4> held;
  for (unsigned o = 0; o < workload.operands.size(); ++o)
    if (target.memoryOf[static_cast<unsigned>(classifyOperand(workload, o))] ==
        memory)
      held.push_back(o);
  if (held.empty())
    return llvm::Error::success();

  size_t numDims = workload.dims.size();
  std::vector<z3::expr> tileIdx, first, last;
  z3::solver solver = makeSolver();
  for (unsigned d = 0; d < numDims; ++d) {
    const TileLoop &loop = loops[d];
    z3::expr t = ctx.int_const(("t_" + workload.dims[d].name).c_str());
    solver.add(t >= 0 && t < val(loop.count));
    z3::expr f = t * val(loop.step);
    z3::expr end = f + val(loop.size);
    z3::expr bound = val(workload.dims[d].bound);
    tileIdx.push_back(t);
    first.push_back(f);
    last.push_back(z3::ite(end < bound, end, bound) - 1);
  }
  int64_t mult = options.doubleBuffering ? 2 : 1;
  z3::expr total = val(0);
  std::vector<z3::expr> footprints;
  for (unsigned o : held) {
    const auto &op = workload.operands[o];
    z3::expr fp = val(1);
    for (auto [j, expr] : llvm::enumerate(op.projection)) {
      z3::expr lo = val(expr.constant), hi = val(expr.constant);
      for (const AffineTerm &term : expr.terms) {
        z3::expr c = val(term.coeff);
        lo = lo + c * (term.coeff > 0 ? first[term.dim] : last[term.dim]);
        hi = hi + c * (term.coeff > 0 ? last[term.dim] : first[term.dim]);
      }
      z3::expr clo = z3::ite(lo > 0, lo, val(0));
      z3::expr chi =
          z3::ite(hi < val(op.extent[j] - 1), hi, val(op.extent[j] - 1));
      fp = fp * z3::ite(chi >= clo, chi - clo + 1, val(0));
    }
    footprints.push_back(fp);
    // A compressed operand's bytes: its bits rounded up to bytes.
    total = total + (op.storageBits16
                         ? (fp * val(op.storageBits16) + val(127)) / val(128)
                         : val(op.bytesPerElement) * fp) *
                        val(mult);
  }
  solver.add(total > val(mem.capacityBytes));
  llvm::Expected<std::optional<z3::model>> m =
      check(solver, "the capacity of buffer '" + mem.name + "'");
  if (!m)
    return m.takeError();
  if (!*m)
    return llvm::Error::success();

  // Spell out the counterexample: the tile and each operand's bytes.
  std::string msg;
  llvm::raw_string_ostream os(msg);
  os << where() << ": tiles do not fit buffer '" << mem.name << "' ("
     << mem.capacityBytes << " bytes): at tile (";
  for (unsigned d = 0; d < numDims; ++d)
    os << (d ? ", " : "") << workload.dims[d].name << "="
       << evalInt(**m, tileIdx[d]);
  os << ")";
  int64_t sum = 0;
  for (auto [k, o] : llvm::enumerate(held)) {
    int64_t bytes =
        workload.operands[o].getStorageBytes(evalInt(**m, footprints[k])) *
        mult;
    sum += bytes;
    os << (k ? ", " : " ") << "operand '" << workload.operands[o].name
       << "' needs " << bytes;
  }
  os << " bytes"
     << (held.size() > 1 ? " (" + std::to_string(sum) + " in all)"
                         : std::string())
     << (options.doubleBuffering ? ", double-buffered" : "");
  return makeStringError(msg);
}

llvm::Error Verifier::run() {
  if (llvm::Error err = workload.verify())
    return err;
  if (llvm::Error err = target.verify())
    return err;
  if (loops.size() != workload.dims.size())
    return makeStringError(where() + ": " + llvm::Twine(loops.size()) +
                           " tile loops for " +
                           llvm::Twine(workload.dims.size()) + " loop dims");
  for (unsigned d = 0; d < workload.dims.size(); ++d)
    if (llvm::Error err = checkCoverage(d))
      return err;
  for (unsigned m = 0; m < target.memories.size(); ++m)
    if (llvm::Error err = checkCapacity(m))
      return err;
  return llvm::Error::success();
}

} // namespace

llvm::Error romac::verifyTiling(const Workload &workload,
                                ArrayRef<TileLoop> loops,
                                const CostTarget &target,
                                const VerifyOptions &options,
                                VerifyStats *stats) {
  try {
    Verifier verifier(workload, loops, target, options, stats);
    return verifier.run();
  } catch (const z3::exception &e) {
    return makeStringError("layer '" + workload.name +
                           "': Z3 failed: " + e.msg());
  }
}

llvm::Error romac::verifyMapping(const Workload &workload,
                                 const Mapping &mapping,
                                 const CostTarget &target,
                                 const VerifyOptions &options,
                                 VerifyStats *stats) {
  if (llvm::Error err = mapping.verify(workload))
    return err;
  return verifyTiling(workload, getTileLoops(workload, mapping), target,
                      options, stats);
}
