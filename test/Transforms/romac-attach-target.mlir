// RUN: romac-opt %s --romac-attach-target | FileCheck %s --check-prefix=DEFAULT
// RUN: romac-opt %s --romac-attach-target=target=romanet-ddr3 | FileCheck %s --check-prefix=NAMED
// RUN: not romac-opt %s --romac-attach-target=target=bad:name 2>&1 | FileCheck %s --check-prefix=BAD

// An existing target is replaced, other module attributes are kept.
// DEFAULT: module attributes {romac.target = #romac.target<"edge-npu-lpddr4">, test.keep = 1 : i32}
// NAMED: module attributes {romac.target = #romac.target<"romanet-ddr3">, test.keep = 1 : i32}
// BAD: error: romac-attach-target: invalid target name 'bad:name'
module attributes {romac.target = #romac.target<"old">, test.keep = 1 : i32} {
  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}
