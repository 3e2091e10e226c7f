// RUN: romac-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK: #romac.mapping<reuse = "weight-stationary", tile = {C = 64 : i64, K = 32 : i64}, order = ["K", "C"]>
func.func @ok() attributes {romac.mapping = #romac.mapping<reuse = "weight-stationary", tile = {K = 32 : i64, C = 64 : i64}, order = ["K", "C"]>} {
  return
}

// -----

// expected-error @+1 {{tile size of 'K' must be a positive integer}}
func.func @zero() attributes {romac.mapping = #romac.mapping<reuse = "input-stationary", tile = {K = 0 : i64}, order = ["K"]>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'Q', which has no tile size}}
func.func @unknown() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64}, order = ["Q"]>} {
  return
}

// -----

// expected-error @+1 {{order names dim 'K' twice}}
func.func @twice() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64, C = 2 : i64}, order = ["K", "K"]>} {
  return
}

// -----

// expected-error @+1 {{order must name every tiled dim (2 dims, 1 in order)}}
func.func @missing() attributes {romac.mapping = #romac.mapping<reuse = "adaptive", tile = {K = 4 : i64, C = 2 : i64}, order = ["K"]>} {
  return
}

// -----

// expected-error @+1 {{'romac.mapping' must be a #romac.mapping attribute}}
func.func @wrong() attributes {romac.mapping = 3 : i64} {
  return
}
