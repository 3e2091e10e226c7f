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
  // romac.attention on tensors (one result) and on buffers (none).
  // CHECK-LABEL: func.func @attention
  // CHECK: romac.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>) outs(%{{.*}} : tensor<2x6x4xf32>) {scale = 1.250000e-01 : f32} -> tensor<2x6x4xf32>
  // CHECK: romac.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<2x6x8xf32>, memref<2x9x8xf32>, memref<2x9x4xf32>) outs(%{{.*}} : memref<2x6x4xf32>) {scale = 1.250000e-01 : f32}
  // CHECK-NOT: ->
  func.func @attention(%q: tensor<2x6x8xf32>, %k: tensor<2x9x8xf32>, %v: tensor<2x9x4xf32>, %o: tensor<2x6x4xf32>, %qb: memref<2x6x8xf32>, %kb: memref<2x9x8xf32>, %vb: memref<2x9x4xf32>, %ob: memref<2x6x4xf32>) -> tensor<2x6x4xf32> {
    %r = romac.attention ins(%q, %k, %v : tensor<2x6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>) outs(%o : tensor<2x6x4xf32>) {scale = 0.125 : f32} -> tensor<2x6x4xf32>
    romac.attention ins(%qb, %kb, %vb : memref<2x6x8xf32>, memref<2x9x8xf32>, memref<2x9x4xf32>) outs(%ob : memref<2x6x4xf32>) {scale = 0.125 : f32}
    return %r : tensor<2x6x4xf32>
  }
  // Rank 4: the heads in the operands' layout.
  // CHECK-LABEL: func.func @attention_heads
  // CHECK: romac.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x6x3x8xf32>, tensor<2x9x3x8xf32>, tensor<2x9x3x4xf32>) outs(%{{.*}} : tensor<2x6x3x4xf32>) {scale = 1.250000e-01 : f32} -> tensor<2x6x3x4xf32>
  func.func @attention_heads(%q: tensor<2x6x3x8xf32>, %k: tensor<2x9x3x8xf32>, %v: tensor<2x9x3x4xf32>, %o: tensor<2x6x3x4xf32>) -> tensor<2x6x3x4xf32> {
    %r = romac.attention ins(%q, %k, %v : tensor<2x6x3x8xf32>, tensor<2x9x3x8xf32>, tensor<2x9x3x4xf32>) outs(%o : tensor<2x6x3x4xf32>) {scale = 0.125 : f32} -> tensor<2x6x3x4xf32>
    return %r : tensor<2x6x3x4xf32>
  }
}
