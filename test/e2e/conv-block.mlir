// A conv + bias + ReLU block as the ONNX importer emits it (linalg on tensors):
// the compile pipeline attaches the target and tiles the convolution.
//
// RUN: romac-opt %s --romac-compile-pipeline=target=romanet-ddr3 | FileCheck %s
// CHECK: module attributes {romac.target = #romac.target<"romanet-ddr3", {{.*}}>}
// CHECK-LABEL: func.func @main
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: romac.mapping = #romac.mapping<
// CHECK-SAME: strides = dense<1> : tensor<2xi64>
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: return

#map = affine_map<(n, c, h, w) -> (n, c, h, w)>
#bias = affine_map<(n, c, h, w) -> (c)>
module {
  func.func @main(%input: tensor<1x3x32x32xf32> {onnx.name = "input"},
                  %weight: tensor<16x3x3x3xf32>, %b: tensor<16xf32>)
      -> (tensor<1x16x30x30xf32> {onnx.name = "output"}) {
    %zero = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<1x16x30x30xf32>
    %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x16x30x30xf32>) -> tensor<1x16x30x30xf32>
    %conv = linalg.conv_2d_nchw_fchw
        {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%input, %weight : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>)
        outs(%init : tensor<1x16x30x30xf32>) -> tensor<1x16x30x30xf32> loc("conv1")
    %relu = linalg.generic {indexing_maps = [#map, #bias, #map],
                            iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%conv, %b : tensor<1x16x30x30xf32>, tensor<16xf32>)
        outs(%empty : tensor<1x16x30x30xf32>) {
    ^bb0(%x: f32, %bias_v: f32, %out: f32):
      %sum = arith.addf %x, %bias_v : f32
      %max = arith.maximumf %sum, %zero : f32
      linalg.yield %max : f32
    } -> tensor<1x16x30x30xf32> loc("relu1")
    return %relu : tensor<1x16x30x30xf32>
  }
}
