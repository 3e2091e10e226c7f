//===- TestPrintWorkloads.cpp - print layer workloads ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TestPasses.h"

#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"

#include "llvm/Support/raw_ostream.h"

namespace romac::test {
#define GEN_PASS_DEF_ROMACTESTPRINTWORKLOADSPASS
#include "TestPasses.h.inc"
} // namespace romac::test

using namespace mlir;
using namespace romac;

namespace {
struct TestPrintWorkloadsPass
    : public romac::test::impl::RomacTestPrintWorkloadsPassBase<
          TestPrintWorkloadsPass> {
  void runOnOperation() override {
    llvm::raw_ostream &os = llvm::outs();
    for (const Layer &layer : collectLayers(getOperation())) {
      const Workload &w = layer.workload;
      os << "layer \"" << w.name << "\" "
         << (layer.kind == LayerKind::Contraction ? "contraction" : "streaming")
         << " "
         << (w.op == OpKind::Other ? layer.op->getName().getStringRef()
                                   : stringifyOpKind(w.op))
         << "\n";
      if (w.dims.empty()) {
        os << "  bytes read " << layer.streamReadBytes << " written "
           << layer.streamWriteBytes << "\n";
        continue;
      }
      os << "  dims";
      SmallVector<StringRef> reductions;
      for (const LoopDim &d : w.dims) {
        os << " " << d.name << "=" << d.bound;
        if (d.kind == LoopKind::Reduction)
          reductions.push_back(d.name);
      }
      if (!reductions.empty()) {
        os << " (reduction:";
        for (StringRef r : reductions)
          os << " " << r;
        os << ")";
      }
      os << "\n";
      for (auto [k, o] : llvm::enumerate(w.operands)) {
        os << "  " << o.name << " " << stringifyOperandRole(o.role) << " "
           << o.bytesPerElement << "B [";
        for (unsigned d = 0; d < o.projection.size(); ++d)
          os << (d ? ", " : "") << w.projectionString(k, d);
        os << "] extent [";
        for (auto [d, e] : llvm::enumerate(o.extent))
          os << (d ? ", " : "") << e;
        os << "] tensor \"" << o.tensor << "\"\n";
      }
    }
  }
};
} // namespace
