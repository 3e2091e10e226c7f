// RUN: romac-opt %s | FileCheck %s
// RUN: romac-opt %s | romac-opt | FileCheck %s
// RUN: romac-opt %s --mlir-print-op-generic | romac-opt | FileCheck %s

// CHECK: module attributes {romac.target = #romac.target<"edge-npu-lpddr4">}
module attributes {romac.target = #romac.target<"edge-npu-lpddr4">} {
  // CHECK-LABEL: func.func @attr_as_value
  // CHECK-SAME: attributes {t = #romac.target<"romanet-ddr3">}
  func.func @attr_as_value() attributes {t = #romac.target<"romanet-ddr3">} {
    return
  }
  // CHECK-LABEL: func.func @with_description
  // CHECK-SAME: t = #romac.target<"my-npu", {compute = {frequency_mhz = 8.000000e+02 : f64, rows = 32 : i64}, memories = [{bytes = "64KiB", holds = ["input", "weight"], shared = true}], name = "my-npu", note}>
  func.func @with_description() attributes {t = #romac.target<"my-npu", {name = "my-npu", compute = {rows = 32, frequency_mhz = 800.0 : f64}, memories = [{bytes = "64KiB", holds = ["input", "weight"], shared = true}], note}>} {
    return
  }
  // CHECK-LABEL: func.func @dotted_names
  // CHECK-SAME: t = #romac.target<"my_npu.v2-lp">
  func.func @dotted_names() attributes {t = #romac.target<"my_npu.v2-lp">} {
    return
  }
}
