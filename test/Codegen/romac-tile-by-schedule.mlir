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
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 8, 16, 4>, order = array<i64: 1, 0, 2>>}
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
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_stationary, tile = array<i64: 8, 64, 12>, order = array<i64: 0, 1, 2>>}
         ins(%a, %b : tensor<30x12xf32>, tensor<12x64xf32>) outs(%c : tensor<30x64xf32>) -> tensor<30x64xf32>
  return %0 : tensor<30x64xf32>
}

// -----

// A convolution: the mapping follows the op's loops (N K P Q C R S), tiling
// K by 8 and C by 4, C outermost.
// CHECK-LABEL: func.func @conv
// CHECK: scf.for {{.*}} -> (tensor<1x16x8x8xf32>)
// CHECK:   scf.for {{.*}} -> (tensor<1x16x8x8xf32>)
// CHECK:     linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%{{.*}} : tensor<1x8x8x8xf32>)
func.func @conv(%x: tensor<1x8x10x10xf32>, %w: tensor<16x8x3x3xf32>, %o: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, romac.mapping = #romac.mapping<reuse = input_stationary, tile = array<i64: 1, 8, 8, 8, 4, 3, 3>, order = array<i64: 4, 1, 0, 2, 3, 5, 6>>}
         ins(%x, %w : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%o : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// A fused epilogue under a tiled reduction (K by 4, from 0 to 12: tiles at 0, 4, 8):
// only the first tile of K overwrites the output, only the last scales and clamps.
// CHECK-LABEL: func.func @epilogue
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[K]], %[[C0]] : index
// CHECK: %[[LAST:.*]] = arith.cmpi eq, %[[K]], %[[C8]] : index
// CHECK: scf.if %[[FIRST]] -> (tensor<32x64xf32>)
// CHECK:   scf.if %[[LAST]] -> (tensor<32x64xf32>)
// CHECK:     linalg.matmul {romac.clamp = array<f32: 0.000000e+00, 6.000000e+00>, romac.overwrite, romac.scale = 5.000000e-01 : f32, romac.tiled_mapping
// CHECK:   } else {
// CHECK:     linalg.matmul {romac.overwrite, romac.tiled_mapping
// CHECK: } else {
// CHECK:   scf.if %[[LAST]] -> (tensor<32x64xf32>)
// CHECK:     linalg.matmul {romac.clamp = array<f32: 0.000000e+00, 6.000000e+00>, romac.scale = 5.000000e-01 : f32, romac.tiled_mapping
// CHECK:   } else {
// CHECK:     linalg.matmul {romac.tiled_mapping
func.func @epilogue(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul {romac.overwrite, romac.scale = 0.5 : f32, romac.clamp = array<f32: 0.0, 6.0>, romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 32, 64, 4>, order = array<i64: 0, 1, 2>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// Only a clamp (the output starts as a bias): one scf.if on the last tile of C (C by 3
// from 0 to 8: the last tile starts at 6 and is clipped); the tiled parallel loop (K by 8)
// plays no part.
// CHECK-LABEL: func.func @clamp_only
// CHECK: scf.for
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[LAST:.*]] = arith.cmpi eq, %[[C]], %[[C6]] : index
// CHECK-NOT: romac.overwrite
// CHECK: scf.if %[[LAST]] -> (tensor<1x8x8x8xf32>)
// CHECK:   linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, romac.clamp
// CHECK: } else {
// CHECK:   linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, romac.tiled_mapping
func.func @clamp_only(%x: tensor<1x8x10x10xf32>, %w: tensor<16x8x3x3xf32>, %o: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, romac.clamp = array<f32: 0.0, 0x7F800000>, romac.mapping = #romac.mapping<reuse = input_stationary, tile = array<i64: 1, 8, 8, 8, 3, 3, 3>, order = array<i64: 1, 4, 0, 2, 3, 5, 6>>}
         ins(%x, %w : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%o : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// Untiled reductions keep their epilogue as it is.
// CHECK-LABEL: func.func @whole_reduction
// CHECK-NOT: scf.if
// CHECK: linalg.matmul {romac.overwrite, romac.tiled_mapping
func.func @whole_reduction(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul {romac.overwrite, romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 8, 64, 12>, order = array<i64: 0, 1, 2>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// A mapping for another op (a schedule of another model) is an error.
func.func @wrong(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @below {{'romac.mapping' has 7 tile sizes, the op has 3 loops}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 1, 8, 8, 8, 4, 3, 3>, order = array<i64: 4, 1, 0, 2, 3, 5, 6>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @too_big(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @below {{'romac.mapping' tiles loop 2 by 13, more than its bound 12}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 8, 16, 13>, order = array<i64: 1, 0, 2>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}
