// RUN: romac-opt %s --romac-compile-pipeline | FileCheck %s
// RUN: romac-opt %s --romac-compile-pipeline=target=simba-like | FileCheck %s --check-prefix=SIMBA
// RUN: romac-opt %s --pass-pipeline='builtin.module(romac-compile-pipeline{target=eyeriss-like})' | FileCheck %s --check-prefix=EYERISS

// The pipeline attaches the target and normalizes: the constant-foldable
// add disappears, the dead op too.
// CHECK: module attributes {romac.target = #romac.target<"edge-npu-lpddr4", {{.*}}>}
// SIMBA: module attributes {romac.target = #romac.target<"simba-like", {{.*}}>}
// EYERISS: module attributes {romac.target = #romac.target<"eyeriss-like", {{.*}}>}
// CHECK-LABEL: func.func @main
// CHECK-NEXT: %[[C:.*]] = arith.constant 5 : i32
// CHECK-NEXT: return %[[C]] : i32
func.func @main() -> i32 {
  %a = arith.constant 2 : i32
  %b = arith.constant 3 : i32
  %c = arith.addi %a, %b : i32
  %unused = arith.muli %a, %b : i32
  return %c : i32
}
