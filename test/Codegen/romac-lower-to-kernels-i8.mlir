// RUN: romac-opt %s --romac-lower-to-kernels | FileCheck %s
// RUN: romac-opt %s --romac-lower-to-kernels=precision=bf16 | FileCheck %s --check-prefix=BF16

// A matmul or convolution whose weight and activations are integer codes of
// at most 8 bits (a quantized run) calls the `_i8` kernels, in either
// precision; with 16-bit activation codes (w8a16), or one of the two marks
// missing, it keeps the precision's kernel.
// CHECK-DAG: func.func private @romac_matmul_i8(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @romac_conv2d_nchw_fchw_fused_i8({{.*}}, i64, i64, i64, i64, i64, i64, f32, f32, f32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @layers
// CHECK: call @romac_matmul_i8(
// CHECK: call @romac_conv2d_nchw_fchw_fused_i8(
// CHECK: call @romac_matmul_f32(
// CHECK: call @romac_matmul_f32(
// BF16-LABEL: func.func @layers
// BF16: call @romac_matmul_i8(
// BF16: call @romac_conv2d_nchw_fchw_fused_i8(
// BF16: call @romac_matmul_bf16(
// BF16: call @romac_matmul_bf16(
func.func @layers(%a: memref<8x8xf32>, %b: memref<8x16xf32>, %c: memref<8x16xf32>,
                  %x: memref<1x3x9x9xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x7x7xf32>) {
  linalg.matmul {romac.weight_code_bits = 4 : i64, romac.activation_code_bits = 8 : i64}
    ins(%a, %b : memref<8x8xf32>, memref<8x16xf32>) outs(%c : memref<8x16xf32>)
  linalg.conv_2d_nchw_fchw {romac.overwrite, romac.weight_code_bits = 8 : i64, romac.activation_code_bits = 8 : i64,
                            strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x9xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x7x7xf32>)
  linalg.matmul {romac.weight_code_bits = 8 : i64, romac.activation_code_bits = 16 : i64}
    ins(%a, %b : memref<8x8xf32>, memref<8x16xf32>) outs(%c : memref<8x16xf32>)
  linalg.matmul {romac.weight_code_bits = 8 : i64}
    ins(%a, %b : memref<8x8xf32>, memref<8x16xf32>) outs(%c : memref<8x16xf32>)
  return
}

