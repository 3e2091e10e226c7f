// RUN: romac-opt %s --romac-check-indices | FileCheck %s

// The importer's Gather: the index read from the data (%in) and wrapped
// when negative is checked as the data holds it, in [-5, 5) (wraps = 1);
// the column from linalg.index is not checked. One declaration of each
// check (the divisors' below).
// CHECK-DAG: func.func private @romac_check_index(i64, i64, i64) -> i64
// CHECK-DAG: func.func private @romac_check_divisor(i64) -> i64
// CHECK-NOT: func.func private @romac_check_
// CHECK-LABEL: func.func @gather
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[X:.*]] = arith.index_cast %[[IN]] : i64 to index
// CHECK: %[[COL:.*]] = linalg.index 2 : index
// CHECK-DAG: %[[SIZE:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[RAW:.*]] = arith.index_cast %[[X]] : index to i64
// CHECK-DAG: %[[WRAPS:.*]] = arith.constant 1 : i64
// CHECK: %[[OK:.*]] = func.call @romac_check_index(%[[RAW]], %[[SIZE]], %[[WRAPS]]) : (i64, i64, i64) -> i64
// CHECK: %[[ROW:.*]] = arith.index_cast %[[OK]] : i64 to index
// CHECK: tensor.extract %arg0[%[[ROW]], %[[COL]]] : tensor<5x3xf32>
#map = affine_map<(d0, d1, d2) -> (d0, d1)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @gather(%arg0: tensor<5x3xf32>, %arg1: tensor<2x2xi64>) -> tensor<2x2x3xf32> {
  %0 = tensor.empty() : tensor<2x2x3xf32>
  %1 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<2x2xi64>) outs(%0 : tensor<2x2x3xf32>) {
  ^bb0(%in: i64, %out: f32):
    %2 = arith.index_cast %in : i64 to index
    %c0 = arith.constant 0 : index
    %c5 = arith.constant 5 : index
    %3 = arith.cmpi slt, %2, %c0 : index
    %4 = arith.addi %2, %c5 : index
    %5 = arith.select %3, %4, %2 : index
    %6 = linalg.index 2 : index
    %extracted = tensor.extract %arg0[%5, %6] : tensor<5x3xf32>
    linalg.yield %extracted : f32
  } -> tensor<2x2x3xf32>
  return %1 : tensor<2x2x3xf32>
}

// An index from the data used as it is (no wrap): checked in [0, 7)
// (wraps = 0), the index computed from it (x * 2) included.
// CHECK-LABEL: func.func @plain
// CHECK: %[[I:.*]] = arith.muli
// CHECK-DAG: %[[SIZE7:.*]] = arith.constant 7 : i64
// CHECK-DAG: %[[RAW7:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-DAG: %[[NOWRAP:.*]] = arith.constant 0 : i64
// CHECK: func.call @romac_check_index(%[[RAW7]], %[[SIZE7]], %[[NOWRAP]])
func.func @plain(%t: tensor<7xf32>, %idx: tensor<4xi32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%idx : tensor<4xi32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: i32, %out: f32):
    %x = arith.index_cast %in : i32 to index
    %c2 = arith.constant 2 : index
    %i = arith.muli %x, %c2 : index
    %v = tensor.extract %t[%i] : tensor<7xf32>
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// Indices from linalg.index arithmetic (a reflect pad) and from a constant
// table (Resize's nearest indices) are in range by construction: no check.
// CHECK-LABEL: func.func @in_range
// CHECK-NOT: romac_check_index
// CHECK: return
func.func @in_range(%t: tensor<6xf32>) -> (tensor<8xf32>, tensor<6xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %pad = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %c1 = arith.constant 1 : index
    %j = arith.subi %i, %c1 : index
    %a = index.maxs %j, %c1
    %v = tensor.extract %t[%a] : tensor<6xf32>
    linalg.yield %v : f32
  } -> tensor<8xf32>
  %table = arith.constant dense<[0, 0, 1, 1, 2, 2]> : tensor<6xi64>
  %e2 = tensor.empty() : tensor<6xf32>
  %up = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%table : tensor<6xi64>) outs(%e2 : tensor<6xf32>) {
  ^bb0(%in: i64, %out: f32):
    %k = arith.index_cast %in : i64 to index
    %v = tensor.extract %t[%k] : tensor<6xf32>
    linalg.yield %v : f32
  } -> tensor<6xf32>
  return %pad, %up : tensor<8xf32>, tensor<6xf32>
}

// An integer division and remainder by a divisor from the data: the
// divisor goes through romac_check_divisor (an i32 sign-extended and
// truncated back; unsigned zero-extended); a constant divisor does not.
// CHECK-LABEL: func.func @divide
// CHECK: ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK: %[[W:.*]] = arith.extsi %[[B]] : i32 to i64
// CHECK: %[[C:.*]] = func.call @romac_check_divisor(%[[W]]) : (i64) -> i64
// CHECK: %[[N:.*]] = arith.trunci %[[C]] : i64 to i32
// CHECK: arith.divsi %[[A]], %[[N]] : i32
// CHECK: %[[U:.*]] = arith.extui %[[B]] : i32 to i64
// CHECK: func.call @romac_check_divisor(%[[U]])
// CHECK: arith.remui
// CHECK-NOT: romac_check_divisor
// CHECK: arith.divsi %{{.*}}, %c3_i32 : i32
// CHECK: linalg.yield
func.func @divide(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<4xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a, %b : tensor<4xi32>, tensor<4xi32>) outs(%e : tensor<4xi32>) {
  ^bb0(%x: i32, %y: i32, %out: i32):
    %q = arith.divsi %x, %y : i32
    %m = arith.remui %q, %y : i32
    %c3 = arith.constant 3 : i32
    %t = arith.divsi %m, %c3 : i32
    linalg.yield %t : i32
  } -> tensor<4xi32>
  return %r : tensor<4xi32>
}
