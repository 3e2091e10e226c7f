// RUN: romac-opt %s --romac-test-print-workloads -split-input-file -o /dev/null | FileCheck %s

// A padded, strided conv: the pad folds into the input projection (constant
// -1, extent of the unpadded tensor) and is not a layer of its own; the bias
// add is a streaming layer named after the same node.
// CHECK-LABEL: layer "conv1" contraction conv2d
// CHECK-NEXT:   dims N=1 K=16 P=16 Q=16 C=3 R=3 S=3 (reduction: C R S)
// CHECK-NEXT:   input read 4B [N, C, P*2+R*1-1, Q*2+S*1-1] extent [1, 3, 32, 32] tensor "image"
// CHECK-NEXT:   weight read 4B [K, C, R, S] extent [16, 3, 3, 3] tensor "w1"
// CHECK-NEXT:   output readwrite 4B [N, K, P, Q] extent [1, 16, 16, 16] tensor "conv1"
// CHECK-NEXT: layer "conv1/1" streaming elementwise
// CHECK-NEXT:   dims d0=1 d1=16 d2=16 d3=16
// CHECK-NEXT:   input read 4B [d0, d1, d2, d3] extent [1, 16, 16, 16] tensor "conv1"
// CHECK-NEXT:   input1 read 4B [d1] extent [16] tensor "b1"
// CHECK-NEXT:   output readwrite 4B [d0, d1, d2, d3] extent [1, 16, 16, 16] tensor "conv1/1"
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
func.func @conv(%x: tensor<1x3x32x32xf32> {onnx.name = "image"}, %w: tensor<16x3x3x3xf32> {onnx.name = "w1"},
                %b: tensor<16xf32> {onnx.name = "b1"}) -> tensor<1x16x16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x3x32x32xf32> to tensor<1x3x34x34xf32> loc("conv1")
  %e = tensor.empty() : tensor<1x16x16x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%p, %w : tensor<1x3x34x34xf32>, tensor<16x3x3x3xf32>) outs(%init : tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32> loc("conv1")
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<1x16x16x16xf32>, tensor<16xf32>) outs(%e : tensor<1x16x16x16xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x16x16x16xf32> loc("conv1")
  return %y : tensor<1x16x16x16xf32>
}

// -----

// A weight that is an inline constant (not a dense_resource blob) carries the
// node's location like the conv itself; its tensor is named apart from the
// conv's result so that the two are never taken for one tensor.
// CHECK-LABEL: layer "conv2" contraction conv2d
// CHECK:   weight read 4B [K, C, R, S] extent [4, 3, 1, 1] tensor "conv2:arith.constant"
// CHECK-NEXT:   output readwrite 4B [N, K, P, Q] extent [1, 4, 8, 8] tensor "conv2"
func.func @inline_weight(%x: tensor<1x3x8x8xf32> {onnx.name = "image"}) -> tensor<1x4x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<4x3x1x1xf32> loc("conv2")
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) outs(%init : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  return %c : tensor<1x4x8x8xf32>
}

// -----

// Matmul (a Linear layer folded to 2-D) and attention's batch matmul.
// CHECK-LABEL: layer "q_proj" contraction matmul
// CHECK-NEXT:   dims M=154 N=1024 K=1024 (reduction: K)
// CHECK-NEXT:   input read 4B [M, K] extent [154, 1024] tensor "hidden"
// CHECK-NEXT:   weight read 4B [K, N] extent [1024, 1024] tensor "wq"
// CHECK-NEXT:   output readwrite 4B [M, N] extent [154, 1024] tensor "q_proj"
// CHECK-LABEL: layer "scores" contraction batch_matmul
// CHECK-NEXT:   dims B=32 M=77 N=77 K=64 (reduction: K)
// CHECK-NEXT:   input read 4B [B, M, K] extent [32, 77, 64] tensor "q"
// CHECK-NEXT:   weight read 4B [B, K, N] extent [32, 64, 77] tensor "kT"
func.func @matmuls(%h: tensor<154x1024xf32> {onnx.name = "hidden"}, %wq: tensor<1024x1024xf32> {onnx.name = "wq"},
                   %q: tensor<32x77x64xf32> {onnx.name = "q"}, %k: tensor<32x64x77xf32> {onnx.name = "kT"})
    -> (tensor<154x1024xf32>, tensor<32x77x77xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<154x1024xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<154x1024xf32>) -> tensor<154x1024xf32>
  %m = linalg.matmul ins(%h, %wq : tensor<154x1024xf32>, tensor<1024x1024xf32>) outs(%i0 : tensor<154x1024xf32>) -> tensor<154x1024xf32> loc("q_proj")
  %e1 = tensor.empty() : tensor<32x77x77xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<32x77x77xf32>) -> tensor<32x77x77xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<32x77x64xf32>, tensor<32x64x77xf32>) outs(%i1 : tensor<32x77x77xf32>) -> tensor<32x77x77xf32> loc("scores")
  return %m, %s : tensor<154x1024xf32>, tensor<32x77x77xf32>
}

// -----

// Depthwise and grouped convs; a reduction (GroupNorm's mean) and a concat
// are streaming layers.
// CHECK-LABEL: layer "dw" contraction depthwise_conv2d
// CHECK-NEXT:   dims N=1 P=6 Q=6 C=8 R=3 S=3 (reduction: R S)
// CHECK-LABEL: layer "grouped" contraction grouped_conv2d
// CHECK-NEXT:   dims N=1 G=2 K=4 P=6 Q=6 C=4 R=3 S=3 (reduction: C R S)
// CHECK-LABEL: layer "mean" streaming reduction
// CHECK-NEXT:   dims d0=1 d1=8 d2=64 (reduction: d2)
// CHECK-LABEL: layer "cat" streaming tensor.concat
// CHECK-NEXT:   bytes read 512 written 512
#in = affine_map<(a, b, c) -> (a, b, c)>
#out = affine_map<(a, b, c) -> (a, b)>
func.func @others(%x: tensor<1x8x8x8xf32>, %w: tensor<8x3x3xf32>, %x5: tensor<1x2x4x8x8xf32>,
                  %w5: tensor<2x4x4x3x3xf32>, %g: tensor<1x8x64xf32>, %a: tensor<1x8x8xf32>)
    -> (tensor<1x8x6x6xf32>, tensor<1x2x4x6x6xf32>, tensor<1x8xf32>, tensor<2x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x8xf32>, tensor<8x3x3xf32>) outs(%i0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("dw")
  %e1 = tensor.empty() : tensor<1x2x4x6x6xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  %gc = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x5, %w5 : tensor<1x2x4x8x8xf32>, tensor<2x4x4x3x3xf32>) outs(%i1 : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32> loc("grouped")
  %e2 = tensor.empty() : tensor<1x8xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x8xf32>) -> tensor<1x8xf32>
  %m = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%g : tensor<1x8x64xf32>) outs(%i2 : tensor<1x8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32> loc("mean")
  %c = tensor.concat dim(0) %a, %a : (tensor<1x8x8xf32>, tensor<1x8x8xf32>) -> tensor<2x8x8xf32> loc("cat")
  return %d, %gc, %m, %c : tensor<1x8x6x6xf32>, tensor<1x2x4x6x6xf32>, tensor<1x8xf32>, tensor<2x8x8xf32>
}
