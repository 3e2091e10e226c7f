//===- RomacOps.h - romac operations ----------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACOPS_H
#define ROMAC_DIALECT_ROMAC_IR_ROMACOPS_H

#include "romac/Dialect/Romac/IR/RomacDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "romac/Dialect/Romac/IR/RomacOps.h.inc"

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACOPS_H
