// RUN: romac-opt %s --romac-attach-target=target=host --romac-tile-search | FileCheck %s

// The pass options that take a target accept `host`: the tile search then
// tiles against the detected CPU's cache (fp32 FMA lanes as the array).
// The detected CPU's description is in the IR: later passes (and other
// machines) read these caches, not their own.
// CHECK: module attributes {romac.target = #romac.target<"host", {{{.*}}memories = [{bandwidth_bytes_per_cycle = {{.*}}, bytes = {{.*}}, holds = ["input", "weight", "output"]{{.*}}name = "host"}>}
// CHECK: linalg.matmul {romac.mapping = #romac.mapping<reuse = {{[a-z_]+}}, tile = array<i64: {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}>
module {
  func.func @matmul(%a: tensor<64x2048xf32>, %b: tensor<2048x2048xf32>) -> tensor<64x2048xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x2048xf32>
    %i = linalg.fill ins(%zero : f32) outs(%e : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    %m = linalg.matmul ins(%a, %b : tensor<64x2048xf32>, tensor<2048x2048xf32>) outs(%i : tensor<64x2048xf32>) -> tensor<64x2048xf32>
    return %m : tensor<64x2048xf32>
  }
}
