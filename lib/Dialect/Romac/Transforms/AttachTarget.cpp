//===- AttachTarget.cpp - set the module's #romac.target --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"

namespace romac {
#define GEN_PASS_DEF_ROMACATTACHTARGETPASS
#include "romac/Dialect/Romac/Transforms/Passes.h.inc"
} // namespace romac

using namespace mlir;
using namespace romac;

namespace {
struct AttachTargetPass
    : public romac::impl::RomacAttachTargetPassBase<AttachTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!TargetAttr::isValidName(targetName)) {
      module.emitError() << "romac-attach-target: invalid target name '"
                         << targetName
                         << "' (letters, digits, '-', '_', '.' and '/' only)";
      return signalPassFailure();
    }
    module->setAttr(RomacDialect::getTargetAttrName(),
                    TargetAttr::get(&getContext(), targetName));
  }
};
} // namespace
