// RUN: romac-opt %s --split-input-file --romac-fuse-attention --canonicalize | FileCheck %s
// RUN: romac-opt %s --split-input-file --romac-fuse-attention=over-tiles=true --canonicalize | FileCheck %s --check-prefix=OVER

// Attention as the importer writes it after romac-fold-transposes: Q K^T
// (K read transposed), a scale, the softmax over the keys, the product
// with V. It becomes one romac.attention; nothing of the chain is left.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<2x5x8xf32>, %[[K:.*]]: tensor<2x7x8xf32>, %[[V:.*]]: tensor<2x7x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5x3xf32>
// CHECK: %[[O:.*]] = romac.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<2x5x8xf32>, tensor<2x7x8xf32>, tensor<2x7x3xf32>) outs(%[[E]] : tensor<2x5x3xf32>) {scale = 0.353553{{[0-9]*}} : f32} -> tensor<2x5x3xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: math.exp
// CHECK: return %[[O]]
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @attention(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %e1 = tensor.empty() : tensor<2x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<2x5x7xf32>, tensor<f32>) outs(%e1 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}


// -----

// The heads split from [B, S, H * D] projections (the importer's reshape to
// [B, S, H, D], transpose [0, 2, 1, 3], collapse to [B * H, S, D]) and the
// result merged back: romac.attention reads the [B, S, H, D] views as they
// are (rank 4) and writes the merged layout; no transpose is left.
// CHECK-LABEL: func.func @heads
// CHECK-SAME: (%[[Q:.*]]: tensor<1x5x16xf32>, %[[K:.*]]: tensor<1x7x16xf32>, %[[V:.*]]: tensor<1x7x6xf32>)
// CHECK-DAG: %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1], [2, 3]] output_shape [1, 5, 2, 8]
// CHECK-DAG: %[[K4:.*]] = tensor.expand_shape %[[K]] {{\[}}[0], [1], [2, 3]] output_shape [1, 7, 2, 8]
// CHECK-DAG: %[[V4:.*]] = tensor.expand_shape %[[V]] {{\[}}[0], [1], [2, 3]] output_shape [1, 7, 2, 3]
// CHECK: %[[O:.*]] = romac.attention ins(%[[Q4]], %[[K4]], %[[V4]] : tensor<1x5x2x8xf32>, tensor<1x7x2x8xf32>, tensor<1x7x2x3xf32>) outs(%{{.*}} : tensor<1x5x2x3xf32>) {scale = 0.353553{{[0-9]*}} : f32} -> tensor<1x5x2x3xf32>
// CHECK: %[[M:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1], [2, 3]]
// CHECK-NOT: linalg.transpose
// CHECK: return %[[M]]
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @heads(%qp: tensor<1x5x16xf32>, %kp: tensor<1x7x16xf32>, %vp: tensor<1x7x6xf32>) -> tensor<1x5x6xf32> {
  %q4 = tensor.expand_shape %qp [[0], [1], [2, 3]] output_shape [1, 5, 2, 8] : tensor<1x5x16xf32> into tensor<1x5x2x8xf32>
  %qt0 = tensor.empty() : tensor<1x2x5x8xf32>
  %qt = linalg.transpose ins(%q4 : tensor<1x5x2x8xf32>) outs(%qt0 : tensor<1x2x5x8xf32>) permutation = [0, 2, 1, 3]
  %q = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<1x2x5x8xf32> into tensor<2x5x8xf32>
  %k4 = tensor.expand_shape %kp [[0], [1], [2, 3]] output_shape [1, 7, 2, 8] : tensor<1x7x16xf32> into tensor<1x7x2x8xf32>
  %kt0 = tensor.empty() : tensor<1x2x7x8xf32>
  %kt = linalg.transpose ins(%k4 : tensor<1x7x2x8xf32>) outs(%kt0 : tensor<1x2x7x8xf32>) permutation = [0, 2, 1, 3]
  %k = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x2x7x8xf32> into tensor<2x7x8xf32>
  %v4 = tensor.expand_shape %vp [[0], [1], [2, 3]] output_shape [1, 7, 2, 3] : tensor<1x7x6xf32> into tensor<1x7x2x3xf32>
  %vt0 = tensor.empty() : tensor<1x2x7x3xf32>
  %vt = linalg.transpose ins(%v4 : tensor<1x7x2x3xf32>) outs(%vt0 : tensor<1x2x7x3xf32>) permutation = [0, 2, 1, 3]
  %v = tensor.collapse_shape %vt [[0, 1], [2], [3]] : tensor<1x2x7x3xf32> into tensor<2x7x3xf32>
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %e1 = tensor.empty() : tensor<2x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<2x5x7xf32>, tensor<f32>) outs(%e1 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, 2, 5, 3] : tensor<2x5x3xf32> into tensor<1x2x5x3xf32>
  %ot0 = tensor.empty() : tensor<1x5x2x3xf32>
  %ot = linalg.transpose ins(%oe : tensor<1x2x5x3xf32>) outs(%ot0 : tensor<1x5x2x3xf32>) permutation = [0, 2, 1, 3]
  %merged = tensor.collapse_shape %ot [[0], [1], [2, 3]] : tensor<1x5x2x3xf32> into tensor<1x5x6xf32>
  return %merged : tensor<1x5x6xf32>
}


// -----

// No scale: 1.
// CHECK-LABEL: func.func @unscaled
// CHECK: romac.attention {{.*}} {scale = 1.000000e+00 : f32}
// CHECK-NOT: linalg.batch_matmul
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @unscaled(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%s : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}


// -----

// An additive mask between the scores and the softmax: not matched.
// CHECK-LABEL: func.func @masked
// CHECK-NOT: romac.attention
// CHECK-COUNT-2: linalg.batch_matmul
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @masked(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x3xf32>, %mask: tensor<2x5x7xf32>) -> tensor<2x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %e1 = tensor.empty() : tensor<2x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<2x5x7xf32>, tensor<2x5x7xf32>) outs(%e1 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}


// -----

// The probabilities have another use: not matched.
// CHECK-LABEL: func.func @probabilities_returned
// CHECK-NOT: romac.attention
// CHECK-COUNT-2: linalg.batch_matmul
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @probabilities_returned(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x3xf32>) -> (tensor<2x5x3xf32>, tensor<2x5x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %e1 = tensor.empty() : tensor<2x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<2x5x7xf32>, tensor<f32>) outs(%e1 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %o, %p : tensor<2x5x3xf32>, tensor<2x5x7xf32>
}


// -----

// The schedule tiles the scores' batch loop: executed as scheduled, unless
// over-tiles lets the kernel's blocks replace the tiles.
// CHECK-LABEL: func.func @tiled_scores
// CHECK-NOT: romac.attention
// CHECK-COUNT-2: linalg.batch_matmul
// OVER-LABEL: func.func @tiled_scores
// OVER: romac.attention
// OVER-NOT: linalg.batch_matmul
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @tiled_scores(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x5x7xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf32>, tensor<2x7x8xf32>) outs(%f0 : tensor<2x5x7xf32>) {romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 1, 5, 7, 8>, order = array<i64: 0, 1, 2, 3>>} -> tensor<2x5x7xf32>
  %e1 = tensor.empty() : tensor<2x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<2x5x7xf32>, tensor<f32>) outs(%e1 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf32>) outs(%f2 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e3 = tensor.empty() : tensor<2x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e3 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e4 = tensor.empty() : tensor<2x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf32>) outs(%f4 : tensor<2x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf32> into tensor<2x5x1xf32>
  %e5 = tensor.empty() : tensor<2x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf32>, tensor<2x5x1xf32>) outs(%e5 : tensor<2x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x5x7xf32>
  %e6 = tensor.empty() : tensor<2x5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%f6 : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}


// -----

// Batch 1 as the importer writes it: the products are 2-D matmuls of
// collapse_shape views, K^T a linalg.transpose of K, the result expanded
// back to 3-D. The attention takes the 3-D sources of the views and its
// result replaces the matmul's through a 2-D view, which the canonicalizer
// folds with the expand_shape after it.
// CHECK-LABEL: func.func @batch_one
// CHECK-SAME: (%[[Q:.*]]: tensor<1x5x8xf32>, %[[K:.*]]: tensor<1x7x8xf32>, %[[V:.*]]: tensor<1x7x3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[O:.*]] = romac.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<1x5x8xf32>, tensor<1x7x8xf32>, tensor<1x7x3xf32>) outs(%{{.*}} : tensor<1x5x3xf32>)
// CHECK-NOT: linalg.matmul
// CHECK-NOT: tensor.collapse_shape
// CHECK: return %[[O]]
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @batch_one(%q: tensor<1x5x8xf32>, %k: tensor<1x7x8xf32>, %v: tensor<1x7x3xf32>) -> tensor<1x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %e0b = tensor.empty() : tensor<5x7xf32>
  %et = tensor.empty() : tensor<1x8x7xf32>
  %kt = linalg.transpose ins(%k : tensor<1x7x8xf32>) outs(%et : tensor<1x8x7xf32>) permutation = [0, 2, 1]
  %q2 = tensor.collapse_shape %q [[0, 1], [2]] : tensor<1x5x8xf32> into tensor<5x8xf32>
  %kt2 = tensor.collapse_shape %kt [[0, 1], [2]] : tensor<1x8x7xf32> into tensor<8x7xf32>
  %f0b = linalg.fill ins(%zero : f32) outs(%e0b : tensor<5x7xf32>) -> tensor<5x7xf32>
  %s2 = linalg.matmul ins(%q2, %kt2 : tensor<5x8xf32>, tensor<8x7xf32>) outs(%f0b : tensor<5x7xf32>) -> tensor<5x7xf32>
  %s = tensor.expand_shape %s2 [[0, 1], [2]] output_shape [1, 5, 7] : tensor<5x7xf32> into tensor<1x5x7xf32>
  %e1 = tensor.empty() : tensor<1x5x7xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<1x5x7xf32>, tensor<f32>) outs(%e1 : tensor<1x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x5x7xf32>
  %e2 = tensor.empty() : tensor<1x5xf32>
  %f2 = linalg.fill ins(%lowest : f32) outs(%e2 : tensor<1x5xf32>) -> tensor<1x5xf32>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x5x7xf32>) outs(%f2 : tensor<1x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<1x5xf32>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [1, 5, 1] : tensor<1x5xf32> into tensor<1x5x1xf32>
  %e3 = tensor.empty() : tensor<1x5x7xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<1x5x7xf32>, tensor<1x5x1xf32>) outs(%e3 : tensor<1x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<1x5x7xf32>
  %e4 = tensor.empty() : tensor<1x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x5xf32>) -> tensor<1x5xf32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<1x5x7xf32>) outs(%f4 : tensor<1x5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<1x5xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [1, 5, 1] : tensor<1x5xf32> into tensor<1x5x1xf32>
  %e5 = tensor.empty() : tensor<1x5x7xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<1x5x7xf32>, tensor<1x5x1xf32>) outs(%e5 : tensor<1x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x5x7xf32>
  %p2 = tensor.collapse_shape %p [[0, 1], [2]] : tensor<1x5x7xf32> into tensor<5x7xf32>
  %v2 = tensor.collapse_shape %v [[0, 1], [2]] : tensor<1x7x3xf32> into tensor<7x3xf32>
  %e6 = tensor.empty() : tensor<5x3xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %o2 = linalg.matmul ins(%p2, %v2 : tensor<5x7xf32>, tensor<7x3xf32>) outs(%f6 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %o = tensor.expand_shape %o2 [[0, 1], [2]] output_shape [1, 5, 3] : tensor<5x3xf32> into tensor<1x5x3xf32>
  return %o : tensor<1x5x3xf32>
}



// -----

// f16: romac.attention and its kernel are f32 only; not matched.
// CHECK-LABEL: func.func @half
// CHECK-NOT: romac.attention
// CHECK-COUNT-2: linalg.batch_matmul
// OVER-LABEL: func.func @half
// OVER-NOT: romac.attention
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2) -> ()>
func.func @half(%q: tensor<2x5x8xf16>, %k: tensor<2x7x8xf16>, %v: tensor<2x7x3xf16>) -> tensor<2x5x3xf16> {
  %zero = arith.constant 0.0 : f16
  %lowest = arith.constant -65504.0 : f16
  %c = arith.constant dense<0.353553385> : tensor<f16>
  %e0 = tensor.empty() : tensor<2x5x7xf16>
  %f0 = linalg.fill ins(%zero : f16) outs(%e0 : tensor<2x5x7xf16>) -> tensor<2x5x7xf16>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%q, %k : tensor<2x5x8xf16>, tensor<2x7x8xf16>) outs(%f0 : tensor<2x5x7xf16>) -> tensor<2x5x7xf16>
  %e1 = tensor.empty() : tensor<2x5x7xf16>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<2x5x7xf16>, tensor<f16>) outs(%e1 : tensor<2x5x7xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %r = arith.mulf %a, %b : f16
    linalg.yield %r : f16
  } -> tensor<2x5x7xf16>
  %e2 = tensor.empty() : tensor<2x5xf16>
  %f2 = linalg.fill ins(%lowest : f16) outs(%e2 : tensor<2x5xf16>) -> tensor<2x5xf16>
  %m = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x5x7xf16>) outs(%f2 : tensor<2x5xf16>) {
  ^bb0(%a: f16, %acc: f16):
    %r = arith.maximumf %acc, %a : f16
    linalg.yield %r : f16
  } -> tensor<2x5xf16>
  %m3 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf16> into tensor<2x5x1xf16>
  %e3 = tensor.empty() : tensor<2x5x7xf16>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m3 : tensor<2x5x7xf16>, tensor<2x5x1xf16>) outs(%e3 : tensor<2x5x7xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %d = arith.subf %a, %b : f16
    %r = math.exp %d : f16
    linalg.yield %r : f16
  } -> tensor<2x5x7xf16>
  %e4 = tensor.empty() : tensor<2x5xf16>
  %f4 = linalg.fill ins(%zero : f16) outs(%e4 : tensor<2x5xf16>) -> tensor<2x5xf16>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x5x7xf16>) outs(%f4 : tensor<2x5xf16>) {
  ^bb0(%a: f16, %acc: f16):
    %r = arith.addf %acc, %a : f16
    linalg.yield %r : f16
  } -> tensor<2x5xf16>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 5, 1] : tensor<2x5xf16> into tensor<2x5x1xf16>
  %e5 = tensor.empty() : tensor<2x5x7xf16>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum3 : tensor<2x5x7xf16>, tensor<2x5x1xf16>) outs(%e5 : tensor<2x5x7xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %r = arith.divf %a, %b : f16
    linalg.yield %r : f16
  } -> tensor<2x5x7xf16>
  %e6 = tensor.empty() : tensor<2x5x3xf16>
  %f6 = linalg.fill ins(%zero : f16) outs(%e6 : tensor<2x5x3xf16>) -> tensor<2x5x3xf16>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x5x7xf16>, tensor<2x7x3xf16>) outs(%f6 : tensor<2x5x3xf16>) -> tensor<2x5x3xf16>
  return %o : tensor<2x5x3xf16>
}


