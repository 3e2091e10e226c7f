// RUN: romac-opt %s --split-input-file --romac-implicit-pads | FileCheck %s
// RUN: romac-opt %s --split-input-file --romac-implicit-pads --romac-lower-to-kernels | FileCheck %s --check-prefix=KERNEL

// A zero-padded copy (the bufferized tensor.pad: a zero linalg.map, the
// source copied into the interior) that only a depthwise convolution reads:
// the convolution reads the source, cast to a dynamic shape, with the
// padding as romac.input_pad = [top, left]; the buffer, the fill and the
// copy are gone. An op between the copy and the convolution that writes
// another buffer (the output's bias) does not stop it.
// CHECK-LABEL: func.func @padded
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.map
// CHECK-NOT: memref.copy
// CHECK: linalg.fill
// CHECK: %[[X:.*]] = memref.cast %arg0 : memref<1x4x8x8xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, romac.input_pad = array<i64: 1, 2>, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %arg1 : memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<4x3x3xf32>) outs(%arg2 : memref<1x4x8x8xf32>)
// CHECK-NOT: memref.dealloc
// KERNEL-LABEL: func.func @padded
// KERNEL: %[[SH:.*]] = arith.constant 1 : i64
// KERNEL-NEXT: %[[SW:.*]] = arith.constant 1 : i64
// KERNEL-NEXT: %[[DH:.*]] = arith.constant 1 : i64
// KERNEL-NEXT: %[[DW:.*]] = arith.constant 1 : i64
// KERNEL-NEXT: %[[TOP:.*]] = arith.constant 1 : i64
// KERNEL-NEXT: %[[LEFT:.*]] = arith.constant 2 : i64
// KERNEL-NEXT: call @romac_depthwise_conv2d_nchw_chw_padded_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[SH]], %[[SW]], %[[DH]], %[[DW]], %[[TOP]], %[[LEFT]])
func.func @padded(%x: memref<1x4x8x8xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %bias = arith.constant 0.5 : f32
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x4x10x12xf32>
  linalg.map outs(%p : memref<1x4x10x12xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %i = memref.subview %p[0, 0, 1, 2] [1, 4, 8, 8] [1, 1, 1, 1] : memref<1x4x10x12xf32> to memref<1x4x8x8xf32, strided<[480, 120, 12, 1], offset: 14>>
  memref.copy %x, %i : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<[480, 120, 12, 1], offset: 14>>
  linalg.fill ins(%bias : f32) outs(%y : memref<1x4x8x8xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x4x10x12xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.dealloc %p : memref<1x4x10x12xf32>
  return
}

// -----

// linalg.fill of zeros, a stride of 2 and a source that is a view of a
// buffer of this function; the epilogue of romac-fuse-into-contractions
// stays and the kernel is the fused one.
// CHECK-LABEL: func.func @fill_stride2
// CHECK: %[[S:.*]] = memref.subview %[[A:.*]][0, 0, 0, 0] [1, 2, 9, 9]
// CHECK: %[[X:.*]] = memref.cast %[[S]]
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, romac.clamp = array<f32: 0.000000e+00, 6.000000e+00>, romac.input_pad = array<i64: 1, 1>, romac.overwrite, strides = dense<2> : tensor<2xi64>} ins(%[[X]],
// KERNEL-LABEL: func.func @fill_stride2
// KERNEL: call @romac_depthwise_conv2d_nchw_chw_padded_fused_f32(
func.func @fill_stride2(%x: memref<1x2x10x10xf32>, %w: memref<2x3x3xf32>, %y: memref<1x2x5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<1x2x10x10xf32>
  memref.copy %x, %a : memref<1x2x10x10xf32> to memref<1x2x10x10xf32>
  %s = memref.subview %a[0, 0, 0, 0] [1, 2, 9, 9] [1, 1, 1, 1] : memref<1x2x10x10xf32> to memref<1x2x9x9xf32, strided<[200, 100, 10, 1]>>
  %p = memref.alloc() : memref<1x2x11x11xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x2x11x11xf32>)
  %i = memref.subview %p[0, 0, 1, 1] [1, 2, 9, 9] [1, 1, 1, 1] : memref<1x2x11x11xf32> to memref<1x2x9x9xf32, strided<[242, 121, 11, 1], offset: 12>>
  memref.copy %s, %i : memref<1x2x9x9xf32, strided<[200, 100, 10, 1]>> to memref<1x2x9x9xf32, strided<[242, 121, 11, 1], offset: 12>>
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>, romac.overwrite, romac.clamp = array<f32: 0.0, 6.0>}
    ins(%p, %w : memref<1x2x11x11xf32>, memref<2x3x3xf32>) outs(%y : memref<1x2x5x5xf32>)
  memref.dealloc %p : memref<1x2x11x11xf32>
  memref.dealloc %a : memref<1x2x10x10xf32>
  return
}

// -----

// Left as they are: the source written between the copy and the
// convolution; the padded buffer read by another op; a pad of ones; a pad
// of the channels.
// CHECK-LABEL: func.func @source_written
// CHECK: memref.copy
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %arg1 : memref<1x4x10x10xf32>,
func.func @source_written(%x: memref<1x4x8x8xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<1x4x8x8xf32>
  memref.copy %x, %a : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  %p = memref.alloc() : memref<1x4x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x4x10x10xf32>)
  %i = memref.subview %p[0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 1, 1] : memref<1x4x10x10xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  memref.copy %a, %i : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  linalg.fill ins(%one : f32) outs(%a : memref<1x4x8x8xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x4x10x10xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.dealloc %p : memref<1x4x10x10xf32>
  memref.dealloc %a : memref<1x4x8x8xf32>
  return
}

// CHECK-LABEL: func.func @read_twice
// CHECK: memref.copy
// CHECK: memref.copy %[[P:.*]], %arg3
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]],
func.func @read_twice(%x: memref<1x4x8x8xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>, %z: memref<1x4x10x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x4x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x4x10x10xf32>)
  %i = memref.subview %p[0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 1, 1] : memref<1x4x10x10xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  memref.copy %x, %i : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  memref.copy %p, %z : memref<1x4x10x10xf32> to memref<1x4x10x10xf32>
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x4x10x10xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.dealloc %p : memref<1x4x10x10xf32>
  return
}

// CHECK-LABEL: func.func @pad_of_ones
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %arg1 : memref<1x4x10x10xf32>,
func.func @pad_of_ones(%x: memref<1x4x8x8xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  %one = arith.constant 1.0 : f32
  %p = memref.alloc() : memref<1x4x10x10xf32>
  linalg.fill ins(%one : f32) outs(%p : memref<1x4x10x10xf32>)
  %i = memref.subview %p[0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 1, 1] : memref<1x4x10x10xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  memref.copy %x, %i : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x4x10x10xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.dealloc %p : memref<1x4x10x10xf32>
  return
}

// CHECK-LABEL: func.func @channel_pad
// CHECK: memref.copy
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %arg1 : memref<1x4x10x10xf32>,
func.func @channel_pad(%x: memref<1x2x8x8xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x4x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x4x10x10xf32>)
  %i = memref.subview %p[0, 1, 1, 1] [1, 2, 8, 8] [1, 1, 1, 1] : memref<1x4x10x10xf32> to memref<1x2x8x8xf32, strided<[400, 100, 10, 1], offset: 111>>
  memref.copy %x, %i : memref<1x2x8x8xf32> to memref<1x2x8x8xf32, strided<[400, 100, 10, 1], offset: 111>>
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x4x10x10xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.dealloc %p : memref<1x4x10x10xf32>
  return
}
