// RUN: romac-opt %s -split-input-file --romac-tile-search -verify-diagnostics | FileCheck %s

// A conv whose operands all fit the ROMANet-like buffers (64 KiB each) is not
// tiled: every operand is fetched exactly once, which no tiling can beat. The
// tiles are in the op's loop order (N K P Q C R S).
// CHECK-LABEL: func.func @fits
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, romac.mapping = #romac.mapping<reuse = {{[a-z_]+}}, tile = array<i64: 1, 16, 14, 14, 8, 3, 3>
module attributes {romac.target = #romac.target<"romanet-ddr3">} {
  func.func @fits(%x: tensor<1x8x16x16xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<1x16x14x14xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x16x14x14xf32>
    %i = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x14x14xf32>) -> tensor<1x16x14x14xf32>
    %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%x, %w : tensor<1x8x16x16xf32>, tensor<16x8x3x3xf32>) outs(%i : tensor<1x16x14x14xf32>) -> tensor<1x16x14x14xf32>
    return %c : tensor<1x16x14x14xf32>
  }
}

// -----

// A weight of 4 MiB does not fit the 64 KiB weight buffer: the weight dims
// (K, C) are tiled and every other dim is kept whole or tiled to fit.
// CHECK-LABEL: func.func @tiled
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = {{[a-z_]+}}, tile = array<i64: {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}>, order = array<i64: {{[0-2]}}, {{[0-2]}}, {{[0-2]}}>, spatial_rows = {{[0-2]}}, spatial_cols = {{[0-2]}}>}
module attributes {romac.target = #romac.target<"romanet-ddr3">} {
  func.func @tiled(%a: tensor<64x2048xf32>, %b: tensor<2048x2048xf32>) -> tensor<64x2048xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x2048xf32>
    %i = linalg.fill ins(%zero : f32) outs(%e : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    %m = linalg.matmul ins(%a, %b : tensor<64x2048xf32>, tensor<2048x2048xf32>) outs(%i : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    return %m : tensor<64x2048xf32>
  }
}

// -----

// expected-error @+1 {{romac-tile-search: the module has no 'romac.target' attribute (run romac-attach-target first)}}
module {
  func.func @f() {
    return
  }
}

// -----

// expected-error-re @+1 {{romac-tile-search: {{.*}}no-such-target{{.*}}}}
module attributes {romac.target = #romac.target<"no-such-target">} {
  func.func @f() {
    return
  }
}
