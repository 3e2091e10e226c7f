// RUN: romac-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK: #romac.mapping<reuse = weight_stationary, tile = {C = 64 : i64, K = 32 : i64}, order = ["K", "C"], spatial = {rows = "K"}>
func.func @ok() attributes {romac.mapping = #romac.mapping<reuse = weight_stationary, tile = {K = 32 : i64, C = 64 : i64}, order = ["K", "C"], spatial = {rows = "K"}>} {
  return
}

// -----

// expected-error @+1 {{tile size of 'K' must be a positive integer}}
func.func @zero() attributes {romac.mapping = #romac.mapping<reuse = input_stationary, tile = {K = 0 : i64}, order = ["K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'Q', which has no tile size}}
func.func @unknown() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = {K = 4 : i64}, order = ["Q"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'K' twice}}
func.func @twice() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = {K = 4 : i64, C = 2 : i64}, order = ["K", "K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order must name every tiled dim (2 dims, 1 in order)}}
func.func @missing() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = {K = 4 : i64, C = 2 : i64}, order = ["K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{'romac.mapping' must be a #romac.mapping attribute}}
func.func @wrong() attributes {romac.mapping = 3 : i64} {
  return
}

// -----

// expected-error @+1 {{spatial rows must name a tiled dim}}
func.func @spatial() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = {K = 4 : i64}, order = ["K"], spatial = {rows = "Z"}>} {
  return
}

// -----

// expected-error @+1 {{spatial axes are 'rows' and 'cols', not 'depth'}}
func.func @axis() attributes {romac.mapping = #romac.mapping<reuse = mixed, tile = {K = 4 : i64}, order = ["K"], spatial = {depth = "K"}>} {
  return
}

// -----

// CHECK: reuse = #romac<reuse input_weight_output_stationary>
func.func @reuse() attributes {reuse = #romac<reuse input_weight_output_stationary>} {
  return
}

// -----

// expected-error @+3 {{expected ::romac::ReuseScheme to be one of: mixed, input_stationary}}
// expected-error @+2 {{failed to parse Romac_ReuseSchemeAttr parameter 'value'}}
// expected-error @+1 {{failed to parse Romac_MappingAttr parameter 'reuse'}}
func.func @bad_reuse() attributes {romac.mapping = #romac.mapping<reuse = adaptive, tile = {K = 4 : i64}, order = ["K"], spatial = {}>} {
  return
}
