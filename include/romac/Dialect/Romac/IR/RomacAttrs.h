//===- RomacAttrs.h - romac attributes --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H
#define ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#define GET_ATTRDEF_CLASSES
#include "romac/Dialect/Romac/IR/RomacAttrs.h.inc"

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_H
