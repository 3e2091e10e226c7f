//===- RomacOps.td - romac operation definitions -----------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The dialect has no operations yet: the program stays in upstream dialects
// and romac annotates it with the attributes of RomacAttrs.td.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD
#define ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD

include "romac/Dialect/Romac/IR/RomacDialect.td"
include "romac/Dialect/Romac/IR/RomacAttrs.td"

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD
