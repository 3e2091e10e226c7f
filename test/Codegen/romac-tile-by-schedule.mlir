// RUN: romac-opt %s --romac-tile-by-schedule -split-input-file -verify-diagnostics | FileCheck %s

// A matmul tiled N (16), then M (8), then K (4), as the mapping's order says:
// one scf.for per tiled dim, outermost first, stepping by the tile.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C16]]
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]]
// CHECK:     scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C4]]
// CHECK:       linalg.matmul {romac.tiled_mapping = #romac.mapping<{{.*}}>} ins(%{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<4x16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK-NOT: romac.mapping =
func.func @matmul(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = {M = 8 : i64, N = 16 : i64, K = 4 : i64}, order = ["N", "M", "K"], spatial = {}>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// A dim whose tile is its whole bound gets no loop; a partial last tile is
// clipped (affine.min).
// CHECK-LABEL: func.func @partial
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: affine.min
// CHECK: linalg.matmul {{.*}}tensor<?x12xf32>, tensor<12x64xf32>
func.func @partial(%a: tensor<30x12xf32>, %b: tensor<12x64xf32>, %c: tensor<30x64xf32>) -> tensor<30x64xf32> {
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_stationary, tile = {M = 8 : i64, N = 64 : i64, K = 12 : i64}, order = ["M", "N", "K"], spatial = {}>}
         ins(%a, %b : tensor<30x12xf32>, tensor<12x64xf32>) outs(%c : tensor<30x64xf32>) -> tensor<30x64xf32>
  return %0 : tensor<30x64xf32>
}

// -----

// A convolution: the mapping names the workload's dims (N K P Q C R S).
// CHECK-LABEL: func.func @conv
// CHECK: scf.for {{.*}} -> (tensor<1x16x8x8xf32>)
// CHECK:   scf.for {{.*}} -> (tensor<1x16x8x8xf32>)
// CHECK:     linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%{{.*}} : tensor<1x8x8x8xf32>)
func.func @conv(%x: tensor<1x8x10x10xf32>, %w: tensor<16x8x3x3xf32>, %o: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, romac.mapping = #romac.mapping<reuse = input_stationary, tile = {N = 1 : i64, K = 8 : i64, P = 8 : i64, Q = 8 : i64, C = 4 : i64, R = 3 : i64, S = 3 : i64}, order = ["C", "K", "N", "P", "Q", "R", "S"], spatial = {}>}
         ins(%x, %w : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%o : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// A mapping for another op (a schedule of another model) is an error.
func.func @wrong(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @below {{romac.mapping has no tile for loop dim 'M'}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = {P = 8 : i64, N = 16 : i64, K = 4 : i64}, order = ["N", "K", "P"], spatial = {}>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @too_big(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @below {{romac.mapping tiles loop dim 'K' by 13, outside [1, 12]}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = {M = 8 : i64, N = 16 : i64, K = 13 : i64}, order = ["N", "M", "K"], spatial = {}>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}
