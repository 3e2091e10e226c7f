//===- AddressMappingZ3.cpp - Z3 proof that a mapping is a bijection ------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Uses Z3's C API (no exceptions). The burst address is a bit-vector `x`;
// decode(x) extracts every field from its bits, encode(c) scatters the field
// bits back. Z3 shows that `encode(decode(x)) != x` and
// `decode(encode(c)) != c` are both unsatisfiable, i.e. the two maps are
// inverse bijections between addresses and coordinates. The byte-offset and
// beat bits below the fields map to themselves and need no proof.
//
//===----------------------------------------------------------------------===//

#include "romac/Verify/AddressMappingZ3.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

#include <z3.h>

using namespace romac;

namespace {
/// Owns a Z3 context and solver.
class Z3Session {
public:
  Z3Session() {
    Z3_config cfg = Z3_mk_config();
    ctx = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    solver = Z3_mk_solver(ctx);
    Z3_solver_inc_ref(ctx, solver);
  }
  ~Z3Session() {
    Z3_solver_dec_ref(ctx, solver);
    Z3_del_context(ctx);
  }
  Z3_context ctx;
  Z3_solver solver;

  Z3_ast bitvector(const char *name, unsigned bits) {
    Z3_sort sort = Z3_mk_bv_sort(ctx, bits);
    return Z3_mk_const(ctx, Z3_mk_string_symbol(ctx, name), sort);
  }
  Z3_ast bit(Z3_ast value, unsigned i) {
    return Z3_mk_extract(ctx, i, i, value);
  }
  /// Concatenates 1-bit vectors given least significant first.
  Z3_ast concatLsbFirst(llvm::ArrayRef<Z3_ast> bits) {
    Z3_ast result = bits.front();
    for (Z3_ast b : bits.drop_front())
      result = Z3_mk_concat(ctx, b, result);
    return result;
  }
  /// Whether \p formula is unsatisfiable (checked on a fresh scope).
  bool isUnsat(Z3_ast formula) {
    Z3_solver_push(ctx, solver);
    Z3_solver_assert(ctx, solver, formula);
    Z3_lbool result = Z3_solver_check(ctx, solver);
    Z3_solver_pop(ctx, solver, 1);
    return result == Z3_L_FALSE;
  }
};
} // namespace

llvm::Error romac::proveAddressMappingBijective(const AddressMapping &mapping) {
  llvm::ArrayRef<DramField> bitFields = mapping.getBitFields();
  unsigned numBits = bitFields.size();
  if (numBits == 0)
    return llvm::Error::success();
  Z3Session z3;
  Z3_context ctx = z3.ctx;

  // Per field, the burst-address bits it takes, least significant first.
  llvm::SmallVector<llvm::SmallVector<unsigned, 20>, kNumDramFields> fieldBits(
      kNumDramFields);
  for (auto [bit, field] : llvm::enumerate(bitFields))
    fieldBits[static_cast<unsigned>(field)].push_back(bit);

  // decode(x): every field as the concatenation of its bits of x.
  Z3_ast x = z3.bitvector("x", numBits);
  llvm::SmallVector<Z3_ast, kNumDramFields> decoded(kNumDramFields, nullptr);
  for (unsigned f = 0; f < kNumDramFields; ++f) {
    if (fieldBits[f].empty())
      continue;
    llvm::SmallVector<Z3_ast, 20> bits;
    for (unsigned b : fieldBits[f])
      bits.push_back(z3.bit(x, b));
    decoded[f] = z3.concatLsbFirst(bits);
  }
  // encode(c): bit b of the address is the matching bit of its field.
  auto encode = [&](llvm::ArrayRef<Z3_ast> coord) {
    llvm::SmallVector<Z3_ast, 64> bits;
    llvm::SmallVector<unsigned, kNumDramFields> next(kNumDramFields, 0);
    for (DramField field : bitFields) {
      unsigned f = static_cast<unsigned>(field);
      bits.push_back(z3.bit(coord[f], next[f]++));
    }
    return z3.concatLsbFirst(bits);
  };

  // encode(decode(x)) == x for every x: decode is injective.
  Z3_ast roundTrip = encode(decoded);
  if (!z3.isUnsat(Z3_mk_not(ctx, Z3_mk_eq(ctx, roundTrip, x))))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "address mapping '" + mapping.getName() +
            "' is not injective: some address does not encode back to itself");

  // decode(encode(c)) == c for every coordinate c: decode is surjective.
  llvm::SmallVector<Z3_ast, kNumDramFields> coord(kNumDramFields, nullptr);
  for (unsigned f = 0; f < kNumDramFields; ++f) {
    if (fieldBits[f].empty())
      continue;
    std::string name = ("c" + llvm::Twine(f)).str();
    coord[f] = z3.bitvector(name.c_str(), fieldBits[f].size());
  }
  Z3_ast address = encode(coord);
  llvm::SmallVector<Z3_ast, kNumDramFields> mismatches;
  for (unsigned f = 0; f < kNumDramFields; ++f) {
    if (fieldBits[f].empty())
      continue;
    llvm::SmallVector<Z3_ast, 20> bits;
    for (unsigned b : fieldBits[f])
      bits.push_back(z3.bit(address, b));
    mismatches.push_back(
        Z3_mk_not(ctx, Z3_mk_eq(ctx, z3.concatLsbFirst(bits), coord[f])));
  }
  Z3_ast anyMismatch = Z3_mk_or(ctx, mismatches.size(), mismatches.data());
  if (!z3.isUnsat(anyMismatch))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "address mapping '" + mapping.getName() +
            "' is not surjective: some coordinate has no address");
  return llvm::Error::success();
}
