//===- AddressMappingZ3.h - Z3 proof of an address mapping -------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Z3 proof that a DRAM address mapping is a bijection. Part of the
// verification library (RomacVerify), the only one that links Z3; the DRAM
// model itself (RomacDram) does not.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_VERIFY_ADDRESSMAPPINGZ3_H
#define ROMAC_VERIFY_ADDRESSMAPPINGZ3_H

#include "romac/Dram/AddressMapping.h"

#include "llvm/Support/Error.h"

namespace romac {

/// Proves with Z3, over bit-vectors, that decode() and encode() of
/// \p mapping are inverse bijections between the whole address space and the
/// coordinate space (no two addresses share a coordinate, every coordinate
/// has an address). Returns an error naming a counterexample otherwise.
llvm::Error proveAddressMappingBijective(const AddressMapping &mapping);

} // namespace romac

#endif // ROMAC_VERIFY_ADDRESSMAPPINGZ3_H
