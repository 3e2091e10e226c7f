// RUN: romac-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK: #romac.mapping<reuse = "weight-stationary", tile = {C = 64 : i64, K = 32 : i64}, order = ["K", "C"], spatial = {rows = "K"}>
func.func @ok() attributes {romac.mapping = #romac.mapping<reuse = "weight-stationary", tile = {K = 32 : i64, C = 64 : i64}, order = ["K", "C"], spatial = {rows = "K"}>} {
  return
}

// -----

// expected-error @+1 {{tile size of 'K' must be a positive integer}}
func.func @zero() attributes {romac.mapping = #romac.mapping<reuse = "input-stationary", tile = {K = 0 : i64}, order = ["K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'Q', which has no tile size}}
func.func @unknown() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64}, order = ["Q"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'K' twice}}
func.func @twice() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64, C = 2 : i64}, order = ["K", "K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{order must name every tiled dim (2 dims, 1 in order)}}
func.func @missing() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64, C = 2 : i64}, order = ["K"], spatial = {}>} {
  return
}

// -----

// expected-error @+1 {{'romac.mapping' must be a #romac.mapping attribute}}
func.func @wrong() attributes {romac.mapping = 3 : i64} {
  return
}

// -----

// expected-error @+1 {{spatial rows must name a tiled dim}}
func.func @spatial() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64}, order = ["K"], spatial = {rows = "Z"}>} {
  return
}

// -----

// expected-error @+1 {{spatial axes are 'rows' and 'cols', not 'depth'}}
func.func @axis() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64}, order = ["K"], spatial = {depth = "K"}>} {
  return
}
