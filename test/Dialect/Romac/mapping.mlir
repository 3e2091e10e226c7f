// RUN: romac-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// A mapping is indexed by the op's loops: linalg.matmul's are M N K.
// CHECK-LABEL: func.func @ok
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_stationary, tile = array<i64: 8, 16, 4>, order = array<i64: 1, 2, 0>, spatial_rows = 1>}
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 64, 12>, order = array<i64: 0, 1, 2>, spatial_rows = 2, spatial_cols = 0>}
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = input_weight_stationary, tile = array<i64: 32, 64, 12>, order = array<i64: 2, 1, 0>, spatial_cols = 1>}
func.func @ok(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>) {
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_stationary, tile = array<i64: 8, 16, 4>, order = array<i64: 1, 2, 0>, spatial_rows = 1>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  %1 = linalg.matmul {romac.mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 64, 12>, order = array<i64: 0, 1, 2>, spatial_rows = 2, spatial_cols = 0>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  %2 = linalg.matmul {romac.mapping = #romac.mapping<reuse = input_weight_stationary, tile = array<i64: 32, 64, 12>, order = array<i64: 2, 1, 0>, spatial_cols = 1>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0, %1, %2 : tensor<32x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>
}

// -----

// The attribute on its own (not attached to an op) needs no op.
// CHECK-LABEL: func.func @standalone
// CHECK-SAME: m = #romac.mapping<reuse = output_stationary, tile = array<i64: 2, 3>, order = array<i64: 1, 0>>
// CHECK-SAME: reuse = #romac<reuse input_weight_output_stationary>
// CHECK-SAME: s = #romac.mapping<reuse = mixed, tile = array<i64: 2, 3>, order = array<i64: 0, 1>, spatial_rows = 1, spatial_cols = 0>
func.func @standalone() attributes {m = #romac.mapping<reuse = output_stationary, tile = array<i64: 2, 3>, order = array<i64: 1, 0>>, reuse = #romac<reuse input_weight_output_stationary>, s = #romac.mapping<reuse = mixed, tile = array<i64: 2, 3>, order = array<i64: 0, 1>, spatial_cols = 0, spatial_rows = 1>} {
  return
}

// -----

// expected-error @+1 {{tile size of loop 1 is 0, not positive}}
func.func @zero() attributes {m = #romac.mapping<reuse = input_stationary, tile = array<i64: 4, 0>, order = array<i64: 0, 1>>} {
  return
}

// -----

// expected-error @+1 {{order names loop 3, outside [0, 2)}}
func.func @unknown() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 3, 0>>} {
  return
}

// -----

// expected-error @+1 {{order names loop 0 twice}}
func.func @twice() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 0, 0>>} {
  return
}

// -----

// expected-error @+1 {{order lists 1 loops, the mapping tiles 2}}
func.func @missing() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 0>>} {
  return
}

// -----

// expected-error @+1 {{'romac.mapping' must be a #romac.mapping attribute}}
func.func @wrong() attributes {romac.mapping = 3 : i64} {
  return
}

// -----

// expected-error @+1 {{spatial_rows names loop 2, outside [0, 2)}}
func.func @spatial() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 0, 1>, spatial_rows = 2>} {
  return
}

// -----

// expected-error @+1 {{loop 1 is unrolled over both rows and columns}}
func.func @both_axes() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 0, 1>, spatial_rows = 1, spatial_cols = 1>} {
  return
}

// -----

// expected-error @+1 {{expected 'spatial_rows' or 'spatial_cols', got 'spatial_depth'}}
func.func @axis() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4>, order = array<i64: 0>, spatial_depth = 0>} {
  return
}

// -----

// expected-error @+1 {{expected array<i64: ...>, got [4, 2]}}
func.func @untyped_tiles() attributes {m = #romac.mapping<reuse = mixed, tile = [4, 2], order = array<i64: 0, 1>>} {
  return
}

// -----

// expected-error @+1 {{'spatial_rows' is given twice}}
func.func @axis_twice() attributes {m = #romac.mapping<reuse = mixed, tile = array<i64: 4, 2>, order = array<i64: 0, 1>, spatial_rows = 0, spatial_rows = 1>} {
  return
}

// -----

// expected-error @+3 {{expected ::romac::ReuseScheme to be one of: mixed, input_stationary}}
// expected-error @+2 {{failed to parse Romac_ReuseSchemeAttr parameter 'value'}}
// expected-error @+1 {{failed to parse Romac_MappingAttr parameter 'reuse'}}
func.func @bad_reuse() attributes {m = #romac.mapping<reuse = adaptive, tile = array<i64: 4>, order = array<i64: 0>>} {
  return
}

// -----

// Attached to an op, the mapping must fit the op's loops.

// expected-error @+1 {{'romac.mapping' must be attached to a linalg op}}
func.func @not_linalg() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = array<i64: 4>, order = array<i64: 0>>} {
  return
}

// -----

func.func @loop_count(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'romac.mapping' has 2 tile sizes, the op has 3 loops}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 16>, order = array<i64: 1, 0>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @over_bound(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'romac.mapping' tiles loop 2 by 13, more than its bound 12}}
  %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 16, 13>, order = array<i64: 1, 0, 2>>}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// A tiled op keeps its mapping as romac.tiled_mapping: its loops are the
// tile's, so only the loop count is checked.
// CHECK-LABEL: func.func @tiled
// CHECK: romac.tiled_mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 16, 4>
func.func @tiled(%a: tensor<4x2xf32>, %b: tensor<2x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.matmul {romac.tiled_mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8, 16, 4>, order = array<i64: 1, 0, 2>>}
         ins(%a, %b : tensor<4x2xf32>, tensor<2x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @tiled_loop_count(%a: tensor<4x2xf32>, %b: tensor<2x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'romac.tiled_mapping' has 1 tile sizes, the op has 3 loops}}
  %0 = linalg.matmul {romac.tiled_mapping = #romac.mapping<reuse = mixed, tile = array<i64: 8>, order = array<i64: 0>>}
         ins(%a, %b : tensor<4x2xf32>, tensor<2x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
