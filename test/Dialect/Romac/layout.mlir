// RUN: romac-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// One #romac.layout per operand of the contraction, in operand order.
// CHECK-LABEL: func.func @ok
// CHECK: romac.dram = {address_mapping = "romanet", band_rows = 4 : i64, layouts = [#romac.layout<row_major, order = array<i64: 1, 0>, base = 0x0>, #romac.layout<blocked, block = array<i64: 4, 16>, order = array<i64: 0, 1>, base = 0x1a000>, #romac.layout<on_chip>]}
func.func @ok(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul {romac.dram = {address_mapping = "romanet", band_rows = 4 : i64, layouts = [
         #romac.layout<row_major, order = array<i64: 1, 0>, base = 0>,
         #romac.layout<blocked, block = array<i64: 4, 16>, order = array<i64: 0, 1>, base = 0x1a000>,
         #romac.layout<on_chip>]}}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// expected-error @+1 {{an on_chip operand has no block, order or base}}
func.func @on_chip_with_base() attributes {l = #romac.layout<on_chip, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{a DRAM layout needs an order and a base}}
func.func @no_base() attributes {l = #romac.layout<row_major, order = array<i64: 0, 1>>} {
  return
}

// -----

// expected-error @+1 {{layout order must be a permutation of the 3 tensor dims}}
func.func @bad_order() attributes {l = #romac.layout<row_major, order = array<i64: 0, 0, 2>, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{a row_major layout has no block sizes}}
func.func @row_major_block() attributes {l = #romac.layout<row_major, block = array<i64: 1, 1>, order = array<i64: 0, 1>, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{a blocked layout needs one block size per tensor dim (2)}}
func.func @blocked_rank() attributes {l = #romac.layout<blocked, block = array<i64: 4>, order = array<i64: 0, 1>, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{block sizes must be positive}}
func.func @blocked_zero() attributes {l = #romac.layout<blocked, block = array<i64: 4, 0>, order = array<i64: 0, 1>, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{expected row_major, blocked or on_chip, got 'column_major'}}
func.func @bad_kind() attributes {l = #romac.layout<column_major, order = array<i64: 0>, base = 0x0>} {
  return
}

// -----

// expected-error @+1 {{expected 'block', 'order' or 'base' (in this order, each once), got 'block'}}
func.func @key_order() attributes {l = #romac.layout<blocked, order = array<i64: 0>, block = array<i64: 1>, base = 0x0>} {
  return
}

// -----

func.func @layout_count(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'romac.dram' has 1 layouts, the op has 3 operands}}
  %0 = linalg.matmul {romac.dram = {address_mapping = "romanet", layouts = [#romac.layout<on_chip>]}}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @layout_rank(%a: tensor<32x12xf32>, %b: tensor<12x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'romac.dram' layout 1 orders 3 dims, the operand has 2}}
  %0 = linalg.matmul {romac.dram = {address_mapping = "romanet", layouts = [
         #romac.layout<on_chip>, #romac.layout<row_major, order = array<i64: 0, 1, 2>, base = 0x0>, #romac.layout<on_chip>]}}
         ins(%a, %b : tensor<32x12xf32>, tensor<12x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}
