// RUN: romac-opt %s --romac-lower-to-kernels --split-input-file | FileCheck %s

// f32 matmul, batch_matmul and conv_2d_nchw_fchw on buffers become calls of
// the runtime kernels; each kernel is declared once, with the C interface
// and fully dynamic strided memrefs, and the operands are cast to it.
// CHECK-LABEL: module
// CHECK-DAG: func.func private @romac_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @romac_batch_matmul_f32(
// CHECK-DAG: func.func private @romac_conv2d_nchw_fchw_f32({{.*}}, i64, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @layers
// CHECK: %[[A:.*]] = memref.cast %arg0 : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[B:.*]] = memref.cast %arg1
// CHECK: %[[C:.*]] = memref.cast %arg2
// CHECK: %[[NOTCONSTB:.*]] = arith.constant 0 : i64
// CHECK-NEXT: call @romac_matmul_f32(%[[A]], %[[B]], %[[C]], %[[NOTCONSTB]])
// CHECK: call @romac_matmul_f32(
// CHECK: call @romac_batch_matmul_f32(
// CHECK: %[[SH:.*]] = arith.constant 2 : i64
// CHECK: %[[SW:.*]] = arith.constant 1 : i64
// CHECK: %[[DH:.*]] = arith.constant 1 : i64
// CHECK: %[[DW:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[NOTCONST:.*]] = arith.constant 0 : i64
// CHECK-NEXT: call @romac_conv2d_nchw_fchw_f32({{.*}}, %[[SH]], %[[SW]], %[[DH]], %[[DW]], %[[NOTCONST]])
// A filter that is a (view of a) constant global is marked constant.
// CHECK: %[[W:.*]] = memref.get_global @filter
// CHECK: %[[WTILE:.*]] = memref.subview %[[W]]
// CHECK: %[[WCAST:.*]] = memref.cast %[[WTILE]]
// CHECK: arith.constant 3 : i64
// CHECK-NEXT: %[[CONST:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @romac_conv2d_nchw_fchw_f32(%{{.*}}, %[[WCAST]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[CONST]])
// So is a matmul's B that is a constant global (its packed copy is kept).
// CHECK: memref.get_global @weight
// CHECK: %[[CONSTB:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @romac_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[CONSTB]])
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.conv
func.func @layers(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>,
                  %ba: memref<2x4x8xf32>, %bb: memref<2x8x16xf32>, %bc: memref<2x4x16xf32>,
                  %x: memref<1x3x9x9xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  %tile = memref.subview %c[0, 0] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1]>>
  %half = memref.subview %b[0, 8] [8, 8] [1, 1] : memref<8x16xf32> to memref<8x8xf32, strided<[16, 1], offset: 8>>
  linalg.matmul ins(%a, %half : memref<4x8xf32>, memref<8x8xf32, strided<[16, 1], offset: 8>>) outs(%tile : memref<4x8xf32, strided<[16, 1]>>)
  linalg.batch_matmul ins(%ba, %bb : memref<2x4x8xf32>, memref<2x8x16xf32>) outs(%bc : memref<2x4x16xf32>)
  linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 3]> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x9xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x3xf32>)
  %g = memref.get_global @filter : memref<8x3x3x3xf32>
  %gt = memref.subview %g[0, 0, 0, 0] [4, 3, 3, 3] [1, 1, 1, 1] : memref<8x3x3x3xf32> to memref<4x3x3x3xf32, strided<[27, 9, 3, 1]>>
  %yt = memref.subview %y[0, 0, 0, 0] [1, 4, 4, 3] [1, 1, 1, 1] : memref<1x8x4x3xf32> to memref<1x4x4x3xf32, strided<[96, 12, 3, 1]>>
  linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 3]> : tensor<2xi64>}
    ins(%x, %gt : memref<1x3x9x9xf32>, memref<4x3x3x3xf32, strided<[27, 9, 3, 1]>>) outs(%yt : memref<1x4x4x3xf32, strided<[96, 12, 3, 1]>>)
  %wb = memref.get_global @weight : memref<8x16xf32>
  linalg.matmul ins(%a, %wb : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}
memref.global "private" constant @filter : memref<8x3x3x3xf32> = dense<1.0>
memref.global "private" constant @weight : memref<8x16xf32> = dense<0.5>

// -----

// A depthwise convolution becomes the depthwise kernel: a 4-d input and
// output, a 3-d filter, then strides and dilations.
// CHECK-LABEL: module
// CHECK-DAG: func.func private @romac_depthwise_conv2d_nchw_chw_f32(memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[W:.*]] = memref.cast %arg1 : memref<3x3x3xf32> to memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK: %[[SH:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[SW:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DH:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DW:.*]] = arith.constant 2 : i64
// CHECK-NEXT: call @romac_depthwise_conv2d_nchw_chw_f32(%{{.*}}, %[[W]], %{{.*}}, %[[SH]], %[[SW]], %[[DH]], %[[DW]])
// CHECK-NOT: linalg.depthwise
func.func @depthwise(%x: memref<1x3x9x9xf32>, %w: memref<3x3x3xf32>, %y: memref<1x3x4x5xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x9xf32>, memref<3x3x3xf32>) outs(%y : memref<1x3x4x5xf32>)
  return
}

// -----

// A max pooling becomes the max-pooling kernel: input and output (the window
// operand only gives its shape), then kh, kw, strides and dilations.
// CHECK-LABEL: module
// CHECK-DAG: func.func private @romac_maxpool2d_nchw_f32(memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @maxpool
// CHECK: %[[IN:.*]] = memref.cast %arg0 : memref<1x4x13x13xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: %[[OUT:.*]] = memref.cast %arg2 : memref<1x4x6x4xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: %[[KH:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[KW:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[SH:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[SW:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[DH:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DW:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @romac_maxpool2d_nchw_f32(%[[IN]], %[[OUT]], %[[KH]], %[[KW]], %[[SH]], %[[SW]], %[[DH]], %[[DW]])
// CHECK-NOT: linalg.pooling
func.func @maxpool(%x: memref<1x4x13x13xf32>, %w: memref<3x2xf32>, %y: memref<1x4x6x4xf32>) {
  linalg.pooling_nchw_max {strides = dense<[2, 3]> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x13x13xf32>, memref<3x2xf32>) outs(%y : memref<1x4x6x4xf32>)
  return
}

// -----

// The importer's MaxPool (a linalg.generic with the pooling's maps and a
// maximumf body) becomes the same kernel (here a dilation of 2 along the
// columns); an average pooling (addf) and a max pooling whose input map is
// not the importer's (its rows and columns swapped) stay generics.
#in = affine_map<(n, c, h, w, kh, kw) -> (n, c, h * 2 + kh, w * 2 + kw * 2)>
#in_t = affine_map<(n, c, h, w, kh, kw) -> (n, c, w * 2 + kw, h * 2 + kh)>
#win = affine_map<(n, c, h, w, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, h, w, kh, kw) -> (n, c, h, w)>
// CHECK-LABEL: func.func @maxpool_generic
// CHECK: %[[KH:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[KW:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[SH:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[SW:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[DH:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DW:.*]] = arith.constant 2 : i64
// CHECK-NEXT: call @romac_maxpool2d_nchw_f32(%{{.*}}, %{{.*}}, %[[KH]], %[[KW]], %[[SH]], %[[SW]], %[[DH]], %[[DW]])
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK-NOT: call
func.func @maxpool_generic(%x: memref<1x4x13x13xf32>, %w: memref<3x3xf32>, %y: memref<1x4x6x5xf32>) {
  linalg.generic {indexing_maps = [#in, #win, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<1x4x13x13xf32>, memref<3x3xf32>) outs(%y : memref<1x4x6x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.maximumf %o, %a : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#in, #win, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<1x4x13x13xf32>, memref<3x3xf32>) outs(%y : memref<1x4x6x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.addf %o, %a : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#in_t, #win, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<1x4x13x13xf32>, memref<3x3xf32>) outs(%y : memref<1x4x6x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.maximumf %o, %a : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Other element types and tensors stay linalg ops for the loop lowering.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: call
// CHECK: linalg.matmul ins({{.*}} : memref<4x8xf16>
// CHECK: linalg.matmul ins({{.*}} : tensor<4x8xf32>
func.func @kept(%a: memref<4x8xf16>, %b: memref<8x16xf16>, %c: memref<4x16xf16>,
                %at: memref<8x4xf32>, %b32: memref<8x16xf32>, %c32: memref<4x16xf32>,
                %ta: tensor<4x8xf32>, %tb: tensor<8x16xf32>, %tc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  linalg.matmul ins(%a, %b : memref<4x8xf16>, memref<8x16xf16>) outs(%c : memref<4x16xf16>)
  %r = linalg.matmul ins(%ta, %tb : tensor<4x8xf32>, tensor<8x16xf32>) outs(%tc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A matmul whose A is read transposed (romac-fold-transposes) gets the
// stored buffer as a transposed strided view.
// CHECK-LABEL: func.func @transposed_a
// CHECK: %[[T:.*]] = memref.transpose %arg0 (d0, d1) -> (d1, d0) : memref<8x4xf32> to memref<4x8xf32, strided<[1, 4]>>
// CHECK: %[[A:.*]] = memref.cast %[[T]]
// CHECK: call @romac_matmul_f32(%[[A]],
func.func @transposed_a(%at: memref<8x4xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%at, %b : memref<8x4xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// An op with an epilogue (romac-fuse-into-contractions' romac.overwrite,
// romac.scale, romac.clamp) calls the kernel's `_fused` variant with four
// more scalars: i64 overwrite, f32 scale, lo, hi (1, -inf and +inf where
// absent). One that no kernel takes (f16) gets a zero fill before it
// (overwrite) and the scale and clamp as an in-place generic after it.
// CHECK-LABEL: module
// CHECK-DAG: func.func private @romac_conv2d_nchw_fchw_fused_f32({{.*}}, i64, i64, i64, i64, i64, i64, f32, f32, f32) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @romac_batch_matmul_fused_f32({{.*}}, i64, f32, f32, f32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @fused
// CHECK: %[[NOTCONST:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[NO:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[LO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[HI:.*]] = arith.constant 6.000000e+00 : f32
// CHECK-NEXT: call @romac_conv2d_nchw_fchw_fused_f32({{.*}}, %[[NOTCONST]], %[[NO]], %[[ONE]], %[[LO]], %[[HI]])
// CHECK: %[[YES:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[S:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-NEXT: call @romac_batch_matmul_fused_f32({{.*}}, %[[YES]], %[[S]], %[[NINF]], %[[INF]])
// CHECK: linalg.fill ins(%{{.*}} : f16) outs(%[[H:.*]] : memref<4x16xf16>)
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x8xf16>, memref<8x16xf16>) outs(%[[H]] : memref<4x16xf16>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[H]] : memref<4x16xf16>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f16
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f16
// CHECK-NOT: arith.minimumf
// CHECK-NOT: romac.
func.func @fused(%x: memref<1x3x9x9xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x7x7xf32>,
                 %a: memref<2x4x8xf32>, %b: memref<2x8x16xf32>, %c: memref<2x4x16xf32>,
                 %ha: memref<4x8xf16>, %hb: memref<8x16xf16>, %hc: memref<4x16xf16>) {
  linalg.conv_2d_nchw_fchw {romac.clamp = array<f32: 0.0, 6.0>, strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x9xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x7x7xf32>)
  linalg.batch_matmul {romac.overwrite, romac.scale = 0.125 : f32} ins(%a, %b : memref<2x4x8xf32>, memref<2x8x16xf32>) outs(%c : memref<2x4x16xf32>)
  linalg.matmul {romac.overwrite, romac.scale = 0.5 : f32, romac.clamp = array<f32: 0.0, 0x7F800000>} ins(%ha, %hb : memref<4x8xf16>, memref<8x16xf16>) outs(%hc : memref<4x16xf16>)
  return
}

// -----

// romac.attention on buffers: a call of romac_attention_f32 with its scale.
// CHECK-LABEL: module
// CHECK: func.func private @romac_attention_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, f32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @attention
// CHECK: %[[Q:.*]] = memref.cast %arg0
// CHECK: %[[K:.*]] = memref.cast %arg1
// CHECK: %[[V:.*]] = memref.cast %arg2
// CHECK: %[[O:.*]] = memref.cast %arg3
// CHECK: %[[S:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: call @romac_attention_f32(%[[Q]], %[[K]], %[[V]], %[[O]], %[[S]])
// CHECK-NOT: romac.attention
func.func @attention(%q: memref<2x6x8xf32>, %k: memref<2x9x8xf32>, %v: memref<2x9x4xf32>, %o: memref<2x6x4xf32>) {
  romac.attention ins(%q, %k, %v : memref<2x6x8xf32>, memref<2x9x8xf32>, memref<2x9x4xf32>) outs(%o : memref<2x6x4xf32>) {scale = 0.125 : f32}
  return
}

// -----

// A convolution whose output starts as its bias broadcast (the generic
// romac-fuse-into-contractions leaves before it): the broadcast is gone and
// the `_bias_fused` kernel adds the bias and overwrites the output (1),
// with the convolution's own epilogue (scale 1, clamp to [0, 6]). So for
// a depthwise convolution. A broadcast with a memory write between it and
// the convolution, or one that adds something else, stays.
// CHECK-LABEL: func.func @bias_start
// CHECK-NOT: linalg.generic
// CHECK: %[[B:.*]] = memref.cast %arg2 : memref<8xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK: %[[CONSTANT:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[SCALE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[LO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[HI:.*]] = arith.constant 6.000000e+00 : f32
// CHECK-NEXT: call @romac_conv2d_nchw_fchw_bias_fused_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[B]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[CONSTANT]], %[[ONE]], %[[SCALE]], %[[LO]], %[[HI]])
// CHECK: call @romac_depthwise_conv2d_nchw_chw_bias_fused_f32(
func.func @bias_start(%x: memref<1x3x6x6xf32>, %w: memref<8x3x3x3xf32>, %b: memref<8xf32>, %y: memref<1x8x4x4xf32>, %dw: memref<8x3x3xf32>, %z: memref<1x8x2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %zero : f32
    linalg.yield %s : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, romac.clamp = array<f32: 0.0, 6.0>}
    ins(%x, %w : memref<1x3x6x6xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%z : memref<1x8x2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%y, %dw : memref<1x8x4x4xf32>, memref<8x3x3xf32>) outs(%z : memref<1x8x2x2xf32>)
  return
}

// CHECK-LABEL: func.func @bias_start_kept
// CHECK: linalg.generic
// CHECK: linalg.fill
// CHECK: call @romac_conv2d_nchw_fchw_f32(
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: call @romac_conv2d_nchw_fchw_f32(
func.func @bias_start_kept(%x: memref<1x3x6x6xf32>, %w: memref<8x3x3x3xf32>, %b: memref<8xf32>, %y: memref<1x8x4x4xf32>, %t: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%t : memref<4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x6x6xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %out : f32
    linalg.yield %s : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x6x6xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  return
}
