// RUN: romac-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{target name must not be empty}}
module attributes {romac.target = #romac.target<"">} {}

// -----

// expected-error @+1 {{target name 'a b' may only contain letters, digits}}
module attributes {romac.target = #romac.target<"a b">} {}

// -----

// expected-error @+1 {{target description: 'compute.rows' is not a YAML value (expected an integer, float, string, unit, array or dictionary)}}
module attributes {romac.target = #romac.target<"x", {compute = {rows = i32}}>} {}

// -----

// expected-error @+1 {{target description: 'memories[1]' is not a YAML value}}
module attributes {romac.target = #romac.target<"x", {memories = [{}, 3 : i32]}>} {}

// -----

// expected-error @+1 {{'romac.target' must be a #romac.target attribute}}
module attributes {romac.target = "edge-npu-lpddr4"} {}

// -----

module {
  // expected-error @+1 {{'romac.target' may only be attached to a builtin.module}}
  func.func @f() attributes {romac.target = #romac.target<"x">} {
    return
  }
}

// -----

// expected-error @+1 {{unknown romac attribute 'romac.nonsense'}}
module attributes {romac.nonsense = 1 : i32} {}

// -----

// expected-error @+2 {{expected string}}
// expected-error @+1 {{failed to parse Romac_TargetAttr parameter 'name'}}
module attributes {t = #romac.target<edge>} {}

// -----

// expected-error @+1 {{expected '<'}}
module attributes {t = #romac.target} {}

// -----

// expected-error @+1 {{'romac.dram' must be {address_mapping = string, layouts = [#romac.layout, ...], band_rows = i64 (optional)}}}
func.func @dram_without_layouts() attributes {romac.dram = {address_mapping = "romanet"}} {
  return
}

// -----

// expected-error @+1 {{'romac.dram' must be {address_mapping = string, layouts = [#romac.layout, ...], band_rows = i64 (optional)}}}
func.func @dram_layout_not_a_layout() attributes {romac.dram = {address_mapping = "romanet", layouts = [1]}} {
  return
}

// -----

// The strings of earlier romac versions are not layouts.
// expected-error @+1 {{'romac.dram' must be {address_mapping = string, layouts = [#romac.layout, ...], band_rows = i64 (optional)}}}
func.func @dram_layout_string() attributes {romac.dram = {address_mapping = "romanet", layouts = ["row-major[0,1] @0x0"]}} {
  return
}

// -----

// expected-error @+1 {{'romac.dram' must be {address_mapping = string, layouts = [#romac.layout, ...], band_rows = i64 (optional)}}}
func.func @dram_band_rows() attributes {romac.dram = {address_mapping = "romanet", band_rows = "4", layouts = []}} {
  return
}

// -----

// expected-error @+1 {{'romac.fused_group' must be a non-negative i64}}
func.func @negative_group() attributes {romac.fused_group = -1 : i64} {
  return
}

// -----

// expected-error @+1 {{'romac.fused_group' must be a non-negative i64}}
func.func @group_not_an_integer() attributes {romac.fused_group = "0"} {
  return
}

// -----

func.func @clamp_reversed(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.clamp' must be array<f32: lo, hi> with lo <= hi}}
  linalg.matmul {romac.clamp = array<f32: 6.0, 0.0>} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

// expected-error @+1 {{'romac.clamp' needs a linalg op with one float output}}
func.func @clamp_on_a_function() attributes {romac.clamp = array<f32: 0.0, 6.0>} {
  return
}

// -----

func.func @clamp_on_integers(%a: memref<4x4xi32>) {
  // expected-error @+1 {{'romac.clamp' needs a linalg op with one float output}}
  linalg.matmul {romac.clamp = array<f32: 0.0, 6.0>} ins(%a, %a : memref<4x4xi32>, memref<4x4xi32>) outs(%a : memref<4x4xi32>)
  return
}

// -----

func.func @scale_not_f32(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.scale' must be an f32}}
  linalg.matmul {romac.scale = 0.5 : f64} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

func.func @overwrite_not_unit(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.overwrite' must be a unit attribute}}
  linalg.matmul {romac.overwrite = 1 : i64} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

func.func @attention_shapes(%q: tensor<2x6x8xf32>, %k: tensor<2x9x7xf32>, %v: tensor<2x9x4xf32>, %o: tensor<2x6x4xf32>) -> tensor<2x6x4xf32> {
  // expected-error @+1 {{expects query [B, M, D], key [B, N, D], value [B, N, DV] and init [B, M, DV]; got [2, 6, 8], [2, 9, 7], [2, 9, 4], [2, 6, 4]}}
  %r = romac.attention ins(%q, %k, %v : tensor<2x6x8xf32>, tensor<2x9x7xf32>, tensor<2x9x4xf32>) outs(%o : tensor<2x6x4xf32>) {scale = 1.0 : f32} -> tensor<2x6x4xf32>
  return %r : tensor<2x6x4xf32>
}

// -----

func.func @attention_mixed(%q: tensor<2x6x8xf32>, %k: tensor<2x9x8xf32>, %v: tensor<2x9x4xf32>, %o: memref<2x6x4xf32>) {
  // expected-error @+1 {{operands must be all tensors or all memrefs}}
  romac.attention ins(%q, %k, %v : tensor<2x6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>) outs(%o : memref<2x6x4xf32>) {scale = 1.0 : f32}
  return
}

// -----

func.func @attention_rank(%q: tensor<6x8xf32>, %k: tensor<2x9x8xf32>, %v: tensor<2x9x4xf32>, %o: tensor<2x6x4xf32>) -> tensor<2x6x4xf32> {
  // expected-error @+1 {{query must be a static rank-3 f32 shape (the operands are all rank 3 or all rank 4)}}
  %r = romac.attention ins(%q, %k, %v : tensor<6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>) outs(%o : tensor<2x6x4xf32>) {scale = 1.0 : f32} -> tensor<2x6x4xf32>
  return %r : tensor<2x6x4xf32>
}

// -----

func.func @attention_heads_shapes(%q: tensor<2x6x3x8xf32>, %k: tensor<2x9x2x8xf32>, %v: tensor<2x9x3x4xf32>, %o: tensor<2x6x3x4xf32>) -> tensor<2x6x3x4xf32> {
  // expected-error @+1 {{expects query [B, M, H, D], key [B, N, H, D], value [B, N, H, DV] and init [B, M, H, DV]; got [2, 6, 3, 8], [2, 9, 2, 8], [2, 9, 3, 4], [2, 6, 3, 4]}}
  %r = romac.attention ins(%q, %k, %v : tensor<2x6x3x8xf32>, tensor<2x9x2x8xf32>, tensor<2x9x3x4xf32>) outs(%o : tensor<2x6x3x4xf32>) {scale = 1.0 : f32} -> tensor<2x6x3x4xf32>
  return %r : tensor<2x6x3x4xf32>
}

// -----

func.func @attention_no_result(%q: tensor<2x6x8xf32>, %k: tensor<2x9x8xf32>, %v: tensor<2x9x4xf32>, %o: tensor<2x6x4xf32>) {
  // expected-error @+1 {{on tensors has one result of init's type}}
  romac.attention ins(%q, %k, %v : tensor<2x6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>) outs(%o : tensor<2x6x4xf32>) {scale = 1.0 : f32}
  return
}

// -----

func.func @code_bits_out_of_range(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.weight_code_bits' must be an i64 in [2, 16] on a linalg op}}
  linalg.matmul {romac.weight_code_bits = 32 : i64} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

func.func @code_bits_not_i64(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.activation_code_bits' must be an i64 in [2, 16] on a linalg op}}
  linalg.matmul {romac.activation_code_bits = 8 : i32} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

func.func @input_pad_on_a_matmul(%a: memref<4x4xf32>) {
  // expected-error @+1 {{'romac.input_pad' must be array<i64: top, left>, both non-negative, of a linalg.depthwise_conv_2d_nchw_chw}}
  linalg.matmul {romac.input_pad = array<i64: 1, 1>} ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  return
}

// -----

func.func @input_pad_negative(%x: memref<?x?x?x?xf32>, %w: memref<2x3x3xf32>, %y: memref<1x2x4x4xf32>) {
  // expected-error @+1 {{'romac.input_pad' must be array<i64: top, left>, both non-negative, of a linalg.depthwise_conv_2d_nchw_chw}}
  linalg.depthwise_conv_2d_nchw_chw {romac.input_pad = array<i64: -1, 1>, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<?x?x?x?xf32>, memref<2x3x3xf32>) outs(%y : memref<1x2x4x4xf32>)
  return
}
