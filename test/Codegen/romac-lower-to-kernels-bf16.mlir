// RUN: romac-opt %s --romac-lower-to-kernels=precision=bf16 | FileCheck %s
// RUN: not romac-opt %s --romac-lower-to-kernels=precision=fp16 2>&1 | FileCheck %s --check-prefix=BAD

// With precision=bf16 the matmul, batch_matmul and convolution call the
// `_bf16` kernels (plain and fused, the same operands), and so does
// attention; the depthwise convolution keeps its fp32 kernel.
// CHECK-DAG: func.func private @romac_matmul_bf16(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @romac_batch_matmul_bf16(
// CHECK-DAG: func.func private @romac_conv2d_nchw_fchw_fused_bf16({{.*}}, i64, i64, i64, i64, i64, i64, f32, f32, f32) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @romac_depthwise_conv2d_nchw_chw_f32(
// CHECK-DAG: func.func private @romac_attention_bf16(
// CHECK-DAG: func.func private @romac_attention_heads_bf16(memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, f32)
// CHECK-LABEL: func.func @layers
// CHECK: call @romac_matmul_bf16(
// CHECK: call @romac_batch_matmul_bf16(
// CHECK: call @romac_conv2d_nchw_fchw_fused_bf16(
// CHECK: call @romac_depthwise_conv2d_nchw_chw_f32(
// CHECK: call @romac_attention_bf16(
// CHECK: call @romac_attention_heads_bf16(
// BAD: romac-lower-to-kernels: unknown precision 'fp16' (expected fp32 or bf16)
func.func @layers(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>,
                  %ba: memref<2x4x8xf32>, %bb: memref<2x8x16xf32>, %bc: memref<2x4x16xf32>,
                  %x: memref<1x3x9x9xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x7x7xf32>,
                  %dw: memref<3x3x3xf32>, %dy: memref<1x3x7x7xf32>,
                  %q: memref<2x6x4xf32>, %k: memref<2x5x4xf32>, %v: memref<2x5x3xf32>, %o: memref<2x6x3xf32>,
                  %q4: memref<2x6x2x4xf32>, %k4: memref<2x5x2x4xf32>, %v4: memref<2x5x2x3xf32>, %o4: memref<2x6x2x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.batch_matmul ins(%ba, %bb : memref<2x4x8xf32>, memref<2x8x16xf32>) outs(%bc : memref<2x4x16xf32>)
  linalg.conv_2d_nchw_fchw {romac.overwrite, strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x9xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x7x7xf32>)
  linalg.depthwise_conv_2d_nchw_chw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %dw : memref<1x3x9x9xf32>, memref<3x3x3xf32>) outs(%dy : memref<1x3x7x7xf32>)
  romac.attention ins(%q, %k, %v : memref<2x6x4xf32>, memref<2x5x4xf32>, memref<2x5x3xf32>) outs(%o : memref<2x6x3xf32>) {scale = 0.5 : f32}
  romac.attention ins(%q4, %k4, %v4 : memref<2x6x2x4xf32>, memref<2x5x2x4xf32>, memref<2x5x2x3xf32>) outs(%o4 : memref<2x6x2x3xf32>) {scale = 0.5 : f32}
  return
}
