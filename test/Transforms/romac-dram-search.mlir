// The DRAM-aware search as a pass: every contraction gets its DRAM-aware
// tiling (romac.mapping) and placement (romac.dram); with fuse=true the two
// chained convolutions of @chain run as one group (romac.fused_group), while
// in @returned the intermediate is also a result and must reach DRAM.

// RUN: romac-opt %s -split-input-file --romac-dram-search=fuse=true | FileCheck %s --check-prefix=FUSE
// RUN: romac-opt %s -split-input-file --romac-compile-pipeline="target=romanet-ddr3 search=dram fuse=true" | FileCheck %s --check-prefix=FUSE
// RUN: romac-opt %s -split-input-file --romac-dram-search | FileCheck %s --check-prefix=PLAIN
// Searching again without fusion drops the old groups.
// RUN: romac-opt %s -split-input-file --romac-dram-search=fuse=true | romac-opt -split-input-file --romac-dram-search | FileCheck %s --check-prefix=PLAIN
// RUN: romac-opt %s -split-input-file --romac-dram-search=mapping=RoBaRaCoCh | FileCheck %s --check-prefix=FIXED
// RUN: not romac-opt %s -split-input-file --romac-dram-search=mapping=nope 2>&1 | FileCheck %s --check-prefix=BAD
// The searches run on the context's thread pool; without threads the IR is
// the same.
// RUN: romac-opt %s -split-input-file --romac-dram-search=fuse=true > %t.threads.mlir
// RUN: romac-opt %s -split-input-file --romac-dram-search=fuse=true --mlir-disable-threading | diff %t.threads.mlir -
// RUN: romac-opt %s -split-input-file --romac-compile-pipeline=target=romanet-ddr3 > %t.flat.mlir
// RUN: romac-opt %s -split-input-file --romac-compile-pipeline=target=romanet-ddr3 --mlir-disable-threading | diff %t.flat.mlir -

// A fused layer's romac.dram names the group's DRAM tensors (typed
// #romac.layout per operand) and its band; the intermediate between the two
// convolutions stays on chip.
// FUSE-LABEL: func.func @chain
// FUSE: linalg.conv_2d_nchw_fchw {{.*}}romac.dram = {address_mapping = "{{[A-Za-z-]+}}", band_rows = {{[0-9]+}} : i64, layouts = [#romac.layout<{{row_major|blocked}}{{[^#]*}}, base = 0x{{[0-9a-f]+}}>, #romac.layout<{{row_major|blocked}}{{[^#]*}}, base = 0x{{[0-9a-f]+}}>, #romac.layout<on_chip>]}, romac.fused_group = 0 : i64, romac.mapping = #romac.mapping<
// FUSE: linalg.conv_2d_nchw_fchw {{.*}}romac.dram = {address_mapping = "{{[A-Za-z-]+}}", band_rows = {{[0-9]+}} : i64, layouts = [#romac.layout<on_chip>, #romac.layout<{{row_major|blocked}}{{[^#]*}}, base = 0x{{[0-9a-f]+}}>, #romac.layout<{{row_major|blocked}}{{[^#]*}}, base = 0x{{[0-9a-f]+}}>]}, romac.fused_group = 0 : i64, romac.mapping = #romac.mapping<
// PLAIN-LABEL: func.func @chain
// PLAIN-NOT: romac.fused_group
// PLAIN: romac.dram = {address_mapping
// PLAIN-NOT: romac.fused_group
// PLAIN: romac.dram = {address_mapping
// PLAIN-NOT: romac.fused_group
// FIXED-LABEL: func.func @chain
// FIXED: romac.dram = {address_mapping = "RoBaRaCoCh"
// BAD: error: romac-dram-search: unknown or invalid DRAM address mapping 'nope'
// RUN: not romac-opt %s -split-input-file --romac-dram-search=objective=speed 2>&1 | FileCheck %s --check-prefix=BADOBJ
// Objective, policy and search are enum options: a bad value fails when the
// pipeline is parsed, before any pass runs.
// BADOBJ: for the --objective option: Cannot find option named 'speed'!
// RUN: not romac-opt %s -split-input-file --romac-tile-search=policy=lazy 2>&1 | FileCheck %s --check-prefix=BADPOL
// BADPOL: for the --policy option: Cannot find option named 'lazy'!
// RUN: not romac-opt %s -split-input-file --romac-compile-pipeline=search=fast 2>&1 | FileCheck %s --check-prefix=BADSEARCH
// BADSEARCH: for the --search option: Cannot find option named 'fast'!
// BADSEARCH-NOT: romac.mapping
module attributes {romac.target = #romac.target<"romanet-ddr3">} {
func.func @chain(%x: tensor<1x32x56x56xf32> {onnx.name = "image"}, %w1: tensor<32x32x3x3xf32> {onnx.name = "w1"},
                 %w2: tensor<32x32x3x3xf32> {onnx.name = "w2"}) -> tensor<1x32x56x56xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv1")
  %e = tensor.empty() : tensor<1x32x56x56xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w1 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv1")
  %p2 = tensor.pad %c low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv2")
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p2, %w2 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv2")
  return %c2 : tensor<1x32x56x56xf32>
}
}

// -----

// FUSE-LABEL: func.func @returned
// FUSE-NOT: romac.fused_group
// FUSE: return
module attributes {romac.target = #romac.target<"romanet-ddr3">} {
func.func @returned(%x: tensor<1x32x56x56xf32> {onnx.name = "image"}, %w1: tensor<32x32x3x3xf32> {onnx.name = "w1"},
                    %w2: tensor<32x32x3x3xf32> {onnx.name = "w2"}) -> (tensor<1x32x56x56xf32>, tensor<1x32x56x56xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv1")
  %e = tensor.empty() : tensor<1x32x56x56xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w1 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv1")
  %p2 = tensor.pad %c low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv2")
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p2, %w2 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv2")
  return %c, %c2 : tensor<1x32x56x56xf32>, tensor<1x32x56x56xf32>
}
}
