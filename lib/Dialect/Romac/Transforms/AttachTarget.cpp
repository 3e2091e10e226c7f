//===- AttachTarget.cpp - set the module's #romac.target --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dialect/Romac/IR/RomacAttrs.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Target/Target.h"

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
    // Resolve the name now and carry the validated description in the IR.
    llvm::Expected<TargetAttr> attr = readTargetAttr();
    if (!attr) {
      module.emitError() << "romac-attach-target: "
                         << llvm::toString(attr.takeError());
      return signalPassFailure();
    }
    module->setAttr(RomacDialect::getTargetAttrName(), *attr);
  }

  llvm::Expected<TargetAttr> readTargetAttr() {
    llvm::Expected<TargetSource> source = readTargetSource(targetName);
    if (!source)
      return source.takeError();
    llvm::Expected<Target> target = parseTarget(source->yaml, source->origin);
    if (!target)
      return target.takeError();
    llvm::Expected<TargetAttr> attr =
        TargetAttr::getFromYaml(&getContext(), targetName, source->yaml);
    bool compressed = !quantize.empty() || weightSharing || !prune.empty();
    if (!attr || (attr->getDescription().get("name") && !compressed))
      return attr;
    // A file without `name` is named after itself; keep that name.
    MLIRContext *ctx = &getContext();
    NamedAttrList description(attr->getDescription());
    description.set("name", StringAttr::get(ctx, target->name));
    if (compressed) {
      NamedAttrList compression;
      if (!quantize.empty())
        compression.set("quantize", StringAttr::get(ctx, quantize));
      if (weightSharing)
        compression.set("weight_sharing",
                        IntegerAttr::get(IntegerType::get(ctx, 64),
                                         static_cast<int64_t>(weightSharing)));
      if (!prune.empty())
        compression.set("prune", StringAttr::get(ctx, prune));
      description.set("compression", compression.getDictionary(ctx));
    }
    auto result =
        TargetAttr::get(ctx, targetName, description.getDictionary(ctx));
    if (!compressed)
      return result;
    // Validate the compressed description the way later stages read it.
    llvm::Expected<Target> check =
        parseTarget(result.getDescriptionYaml(), "target '" + targetName + "'");
    if (!check)
      return check.takeError();
    return result;
  }
};
} // namespace
