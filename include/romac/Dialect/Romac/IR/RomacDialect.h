//===- RomacDialect.h - romac dialect ---------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_H
#define ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_H

#include "mlir/IR/Dialect.h"

#include "romac/Dialect/Romac/IR/RomacOpsDialect.h.inc"

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_H
