//===- TestPasses.td - romac's test-only passes ------------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Passes that exist only so that lit tests can check an analysis
// (`romac-test-print-*`), as upstream MLIR keeps them in test/lib. romac-opt
// registers them; the romac libraries and the `romac` driver do not link them.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_TD
#define ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_TD

include "mlir/Pass/PassBase.td"

def RomacTestPrintWorkloadsPass
    : Pass<"romac-test-print-workloads", "::mlir::func::FuncOp"> {
  let summary = "Print the Workload of every costed op (for lit tests)";
  let description = [{
    Runs the linalg-to-Workload adapter on every op of the function that
    costs DRAM traffic and prints, per layer, its kind (contraction or
    streaming), op kind, loop dims with bounds and iterator kinds, and per
    operand its role, bytes per element, projection and extent. The IR is
    not changed.

    Example output for a padded 3x3 convolution:

    ```
    layer "conv1" contraction conv2d
      dims N=1 K=4 P=4 Q=4 C=3 R=3 S=3 (reduction: C R S)
      input  read 4B [N, C, P*2+R*1-1, Q*2+S*1-1] extent [1, 3, 8, 8] tensor "X"
      weight read 4B [K, C, R, S] extent [4, 3, 3, 3] tensor "W"
      output readwrite 4B [N, K, P, Q] extent [1, 4, 4, 4] tensor "conv1"
    ```
  }];
}

#endif // ROMAC_TEST_LIB_TRANSFORMS_TESTPASSES_TD
