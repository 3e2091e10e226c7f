// The target's description travels in the IR: once romac-attach-target has
// resolved a name, later passes read the description in #romac.target, not a
// targets folder. Renamed, and with no targets folder at all, the module tiles
// exactly as before; with a buffer edited in the IR, the tiles follow the edit.
//
// RUN: romac-opt %s --romac-attach-target=target=romanet-ddr3 -o %t.mlir
// RUN: romac-opt %t.mlir --romac-tile-search | FileCheck %s
// RUN: sed 's/#romac.target<"romanet-ddr3"/#romac.target<"my-npu"/' %t.mlir \
// RUN:   | env ROMAC_TARGETS_DIR=%t.no-such-folder romac-opt --romac-tile-search \
// RUN:   | FileCheck %s --check-prefix=RENAMED
// RUN: sed 's/#romac.target<"romanet-ddr3"/#romac.target<"my-npu"/; s/bytes = "64KiB"/bytes = "8KiB"/g' %t.mlir \
// RUN:   | env ROMAC_TARGETS_DIR=%t.no-such-folder romac-opt --romac-tile-search \
// RUN:   | FileCheck %s --check-prefix=SMALL
//
// A name-only attribute is still resolved by name, so without the folder it
// is an error that names the target:
// RUN: sed 's/#romac.target<"romanet-ddr3", .*}>}/#romac.target<"romanet-ddr3">}/' %t.mlir \
// RUN:   | env ROMAC_TARGETS_DIR=%t.no-such-folder not romac-opt --romac-tile-search 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NAME-ONLY

// The 4 MiB weight (2048x2048 int8 at the target's 1 byte per element) is
// cut into 1024-column tiles for the 64 KiB wBuff, 128-column ones for 8 KiB.
// CHECK: module attributes {romac.target = #romac.target<"romanet-ddr3", {
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_output_stationary, tile = array<i64: 64, 1024, 64>
// RENAMED: module attributes {romac.target = #romac.target<"my-npu", {
// RENAMED: linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_output_stationary, tile = array<i64: 64, 1024, 64>
// SMALL: linalg.matmul {romac.mapping = #romac.mapping<reuse = weight_output_stationary, tile = array<i64: 64, 128, 64>
// NAME-ONLY: error: romac-tile-search: {{.*}}unknown target 'romanet-ddr3' (no targets in '{{.*}}no-such-folder'
module {
  func.func @tiled(%a: tensor<64x2048xf32>, %b: tensor<2048x2048xf32>) -> tensor<64x2048xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x2048xf32>
    %i = linalg.fill ins(%zero : f32) outs(%e : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    %m = linalg.matmul ins(%a, %b : tensor<64x2048xf32>, tensor<2048x2048xf32>) outs(%i : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    return %m : tensor<64x2048xf32>
  }
}
