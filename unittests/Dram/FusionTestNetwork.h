//===- FusionTestNetwork.h - small networks for the fusion tests -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A shipped target's cost view and DRAM parameters, convolution specs, a
// MobileNet-like stem and element-wise streaming layers, shared by the DRAM
// and schedule tests of layer fusion.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_DRAM_FUSIONTESTNETWORK_H
#define ROMAC_UNITTESTS_DRAM_FUSIONTESTNETWORK_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Cost.h"
#include "romac/Dram/DramParams.h"
#include "romac/Target/Target.h"

#include <string>
#include <tuple>
#include <vector>

namespace romac::test {

struct TestTarget {
  CostTarget cost;
  DramParams dram;
};

/// The shipped target \p name (targets/NAME.yaml) as the cost model and the
/// DRAM model see it.
inline TestTarget loadTestTarget(llvm::StringRef name) {
  Target t = llvm::cantFail(loadTarget(name, ROMAC_SOURCE_TARGETS_DIR));
  return {CostTarget::get(t), llvm::cantFail(DramParams::get(t.dram))};
}

/// A square `rs` x `rs` convolution with "same" padding over a `hw` x `hw`
/// input; the weight tensor is NAME.w.
inline Conv2dSpec convSpec(const char *name, const char *in, const char *out,
                           int64_t c, int64_t k, int64_t hw, int64_t rs,
                           int64_t stride = 1) {
  Conv2dSpec s;
  s.name = name;
  s.inputTensor = in;
  s.weightTensor = std::string(name) + ".w";
  s.outputTensor = out;
  s.c = c;
  s.k = k;
  s.h = s.w = hw;
  s.r = s.s = rs;
  s.strideH = s.strideW = stride;
  s.padTop = s.padBottom = s.padLeft = s.padRight = rs / 2;
  return s;
}

/// A MobileNet-like stem: conv 3x3 / 2 (y0) -> relu (r0, reluLayer("y0",
/// "r0", 32, 56)) -> depthwise 3x3 (y1) -> pointwise (y2) -> depthwise 3x3 / 2
/// (y3) -> pointwise (y4), on a 112x112 input x.
inline std::vector<Workload> mobileNetStem() {
  std::vector<Workload> ws;
  ws.push_back(llvm::cantFail(
      Workload::conv2d(convSpec("c0", "x", "y0", 3, 32, 112, 3, 2))));
  ws.push_back(llvm::cantFail(
      Workload::depthwiseConv2d(convSpec("dw1", "r0", "y1", 32, 32, 56, 3))));
  ws.push_back(llvm::cantFail(
      Workload::conv2d(convSpec("pw1", "y1", "y2", 32, 64, 56, 1))));
  ws.push_back(llvm::cantFail(Workload::depthwiseConv2d(
      convSpec("dw2", "y2", "y3", 64, 64, 56, 3, 2))));
  ws.push_back(llvm::cantFail(
      Workload::conv2d(convSpec("pw2", "y3", "y4", 64, 128, 28, 1))));
  return ws;
}

/// A streaming element-wise layer `out = f(in)` over a [1, c, hw, hw]
/// tensor (a ReLU).
inline Workload reluLayer(const char *in, const char *out, int64_t c,
                          int64_t hw) {
  Workload w;
  w.name = std::string("relu.") + out;
  w.op = OpKind::Elementwise;
  for (const char *d : {"d0", "d1", "d2", "d3"})
    w.dims.push_back({d, 1, LoopKind::Parallel});
  w.dims[1].bound = c;
  w.dims[2].bound = w.dims[3].bound = hw;
  for (auto [name, tensor, role] :
       {std::tuple{"input", in, OperandRole::Read},
        std::tuple{"output", out, OperandRole::ReadWrite}}) {
    Operand &op = w.operands.emplace_back();
    op.name = name;
    op.tensor = tensor;
    op.role = role;
    for (unsigned d = 0; d < 4; ++d) {
      op.projection.push_back(IndexExpr{{AffineTerm{d, 1}}, 0});
      op.extent.push_back(w.dims[d].bound);
    }
  }
  llvm::cantFail(w.verify());
  return w;
}

} // namespace romac::test

#endif // ROMAC_UNITTESTS_DRAM_FUSIONTESTNETWORK_H
