// RUN: romac-opt %s --split-input-file --romac-fuse-into-contractions | FileCheck %s
// RUN: romac-opt %s --split-input-file --romac-fuse-into-contractions=epilogues=false | FileCheck %s --check-prefix=NOCLAMP

// Without epilogues (no native kernels to apply them) a ReLU and a scale
// stay generics of their own, their contractions are not folded, and
// outputs that start as zeros are filled.
// NOCLAMP-LABEL: func.func @conv_bias_relu6
// NOCLAMP-NOT: romac.clamp
// NOCLAMP: linalg.fill
// NOCLAMP-COUNT-2: arith.maximumf
// NOCLAMP-LABEL: func.func @clamp_not_folded
// NOCLAMP-LABEL: func.func @scaled_scores
// NOCLAMP-NOT: romac.
// NOCLAMP: linalg.fill
// NOCLAMP: arith.mulf

// A convolution's bias and a residual (one element-wise generic, as
// romac-fuse-elementwise leaves them) become the convolution's initial
// value: a generic of the bias and the residual, with the convolution's
// element read as 0; the zero fill and the consumer are gone.
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
// CHECK-LABEL: func.func @conv_bias_residual
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x6x6xf32>, %[[W:.*]]: tensor<4x2x3x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[R:.*]]: tensor<1x4x4x4xf32>)
// CHECK-NOT: linalg.fill
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: ins(%[[B]], %[[R]] : tensor<4xf32>, tensor<1x4x4x4xf32>)
// CHECK: ^bb0(%[[BI:.*]]: f32, %[[RI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[S1:.*]] = arith.addf %[[Z]], %[[BI]]
// CHECK: %[[S2:.*]] = arith.addf %[[S1]], %[[RI]]
// CHECK: linalg.yield %[[S2]]
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}}ins(%[[X]], %[[W]] : {{.*}}) outs(%[[T]] : tensor<1x4x4x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
func.func @conv_bias_residual(%x: tensor<1x2x6x6xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>, %r: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x6x6xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %e2 = tensor.empty() : tensor<1x4x4x4xf32>
  %y = linalg.generic {indexing_maps = [#nchw, #chan, #nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b, %r : tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<1x4x4x4xf32>) outs(%e2 : tensor<1x4x4x4xf32>) {
  ^bb0(%ci: f32, %bi: f32, %ri: f32, %out: f32):
    %s1 = arith.addf %ci, %bi : f32
    %s2 = arith.addf %s1, %ri : f32
    linalg.yield %s2 : f32
  } -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// A 3-D MatMul is a 2-D matmul between reshapes: the bias (on the left of
// the add, as ONNX's Add(bias, x) has it) is computed at the 3-D shape and
// collapsed into the matmul's init; the matmul's schedule stays on it.
#mk = affine_map<(b, m, n) -> (b, m, n)>
#n = affine_map<(b, m, n) -> (n)>
// CHECK-LABEL: func.func @matmul_reshape_bias
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<8xf32>)
// CHECK: %[[I:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
// CHECK: %[[M:.*]] = linalg.matmul {marker = 1 : i64} ins(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<16x8xf32>) outs(%[[I]] : tensor<8x8xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[E]]
func.func @matmul_reshape_bias(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m = linalg.matmul {marker = 1} ins(%x, %w : tensor<8x16xf32>, tensor<16x8xf32>) outs(%f : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m3 = tensor.expand_shape %m [[0, 1], [2]] output_shape [2, 4, 8] : tensor<8x8xf32> into tensor<2x4x8xf32>
  %e2 = tensor.empty() : tensor<2x4x8xf32>
  %y = linalg.generic {indexing_maps = [#n, #mk, #mk], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b, %m3 : tensor<8xf32>, tensor<2x4x8xf32>) outs(%e2 : tensor<2x4x8xf32>) {
  ^bb0(%bi: f32, %mi: f32, %out: f32):
    %s = arith.addf %bi, %mi : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// The residual is computed after the matmul: the matmul moves down to the
// consumer, after the residual, and accumulates onto it. x - r keeps its
// sign: the init is 0 - r.
#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @residual_after
// CHECK: %[[R:.*]] = math.exp
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: ins(%[[R]] : tensor<4x4xf32>)
// CHECK: arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: %[[M:.*]] = linalg.matmul ins({{.*}}) outs(%[[T]] : tensor<4x4xf32>)
// CHECK: return %[[M]]
func.func @residual_after(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %u: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = math.exp %u : tensor<4x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %r : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %ri: f32, %out: f32):
    %s = arith.subf %mi, %ri : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// Not folded: an activation of the result (the bias cannot be split off),
// a result with a second use, a transposed read, r - x (the result with a
// minus sign), x + x, a consumer that reads its output, and a matmul whose
// init is not zero.
#id = affine_map<(i, j) -> (i, j)>
#t = affine_map<(i, j) -> (j, i)>
// CHECK-LABEL: func.func @not_folded
// (Those whose output starts as zeros overwrite it instead: the last one's
// starts as %b.)
// CHECK-COUNT-6: linalg.matmul {romac.overwrite} ins(%{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x4xf32>) outs(%{{.*}} : tensor<4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x4xf32>) outs(%arg2 : tensor<4x4xf32>)
// CHECK-NOT: linalg.matmul
func.func @not_folded(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m1 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %bi: f32, %out: f32):
    %s = arith.addf %mi, %bi : f32
    %a = math.tanh %s : f32
    linalg.yield %a : f32
  } -> tensor<4x4xf32>
  %m2 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %bi: f32, %out: f32):
    %s = arith.addf %mi, %bi : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %m3 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y3 = linalg.generic {indexing_maps = [#t, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m3, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %bi: f32, %out: f32):
    %s = arith.addf %mi, %bi : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %m4 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y4 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m4, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %bi: f32, %out: f32):
    %s = arith.subf %bi, %mi : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %m5 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y5 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m5 : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %out: f32):
    %s = arith.addf %mi, %mi : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %m6 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y6 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m6 : tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %out: f32):
    %s = arith.addf %mi, %out : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %m7 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y7 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m7, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %bi: f32, %out: f32):
    %s = arith.addf %mi, %bi : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  return %y1, %m2, %y2, %y3, %y4, %y5, %y6, %y7 : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A clamping activation after the bias (ReLU6: max with 0, min with 6)
// becomes the convolution's romac.clamp; the init generic adds the bias
// only. A ReLU alone (no bias) gives clamp (0, +inf) and, as its output
// starts as zeros, romac.overwrite (no fill, no init generic).
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
// CHECK-LABEL: func.func @conv_bias_relu6
// CHECK-NOT: linalg.fill
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-NOT: arith.maximumf
// CHECK-NOT: arith.minimumf
// CHECK: linalg.yield
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = {{.*}}, romac.clamp = array<f32: 0.000000e+00, 6.000000e+00>, strides = {{.*}}} ins({{.*}}) outs(%[[T]] :
// CHECK: %[[R:.*]] = linalg.conv_2d_nchw_fchw {dilations = {{.*}}, romac.clamp = array<f32: 0.000000e+00, 0x7F800000>, romac.overwrite, strides = {{.*}}}
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]], %[[R]]
func.func @conv_bias_relu6(%x: tensor<1x2x6x6xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x6x6xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = linalg.generic {indexing_maps = [#nchw, #chan, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<1x4x4x4xf32>, tensor<4xf32>) outs(%e : tensor<1x4x4x4xf32>) {
  ^bb0(%ci: f32, %bi: f32, %out: f32):
    %s = arith.addf %ci, %bi : f32
    %lo = arith.constant 0.0 : f32
    %hi = arith.constant 6.0 : f32
    %m = arith.maximumf %s, %lo : f32
    %n = arith.minimumf %m, %hi : f32
    linalg.yield %n : f32
  } -> tensor<1x4x4x4xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x6x6xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c2 : tensor<1x4x4x4xf32>) outs(%e : tensor<1x4x4x4xf32>) {
  ^bb0(%ci: f32, %out: f32):
    %lo = arith.constant 0.0 : f32
    %m = arith.maximumf %lo, %ci : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x4xf32>
  return %y, %r : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}

// -----

// A ReLU after a matmul whose schedule tiles its reduction loop (K by 2 of
// 4) folds too (romac-tile-by-schedule gives the clamp to the last tile of
// K only); a non-constant bound does not.
#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @clamp_not_folded
// CHECK: linalg.matmul {romac.clamp = array<f32: 0.000000e+00, 0x7F800000>, romac.mapping = {{.*}}, romac.overwrite}
// CHECK-NOT: romac.clamp
// CHECK: arith.maximumf
// CHECK-NOT: arith.maximumf
func.func @clamp_not_folded(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4x4xf32>, %t: f32) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m = linalg.matmul {romac.mapping = #romac.mapping<reuse = output_stationary, tile = array<i64: 4, 4, 2>, order = array<i64: 0, 1, 2>>}
      ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %mi, %z : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %m2 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m2 : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%mi: f32, %out: f32):
    %r = arith.maximumf %mi, %t : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %y, %y2 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Attention's scores: a batch matmul times a constant (1/sqrt(64)) becomes
// romac.scale, and its output, which starts as zeros, romac.overwrite: no
// fill, no scale pass. A scale before an added term is not folded (the
// kernel scales the whole sum, the term included).
#id3 = affine_map<(b, i, j) -> (b, i, j)>
// CHECK-LABEL: func.func @scaled_scores
// CHECK-NOT: linalg.fill
// CHECK: %[[S:.*]] = linalg.batch_matmul {romac.overwrite, romac.scale = 1.250000e-01 : f32}
// CHECK: %[[U:.*]] = linalg.batch_matmul {romac.overwrite} ins
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %[[S]],
func.func @scaled_scores(%q: tensor<2x8x4xf32>, %k: tensor<2x4x8xf32>, %r: tensor<2x8x8xf32>) -> (tensor<2x8x8xf32>, tensor<2x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<2x8x4xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x8x8xf32>) outs(%e : tensor<2x8x8xf32>) {
  ^bb0(%si: f32, %out: f32):
    %c = arith.constant 0.125 : f32
    %m = arith.mulf %si, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x8x8xf32>
  %s2 = linalg.batch_matmul ins(%q, %k : tensor<2x8x4xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %y2 = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s2, %r : tensor<2x8x8xf32>, tensor<2x8x8xf32>) outs(%e : tensor<2x8x8xf32>) {
  ^bb0(%si: f32, %ri: f32, %out: f32):
    %c = arith.constant 0.125 : f32
    %m = arith.mulf %si, %c : f32
    %a = arith.addf %m, %ri : f32
    linalg.yield %a : f32
  } -> tensor<2x8x8xf32>
  return %y, %y2 : tensor<2x8x8xf32>, tensor<2x8x8xf32>
}
