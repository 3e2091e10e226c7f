// RUN: romac-opt %s --romac-externalize-weights=min-bytes=64 | FileCheck %s

// A large non-splat constant becomes an external declaration with its value
// in romac.weight, renamed so that it cannot bind to a library symbol; its
// uses follow the new name; its alignment is dropped (the data stays where the
// model keeps it). Splats and small constants keep their values.
// CHECK-DAG: memref.global constant @romac_weight_0 : memref<4x8xf32> {romac.weight = dense<{{.*}}> : tensor<4x8xf32>}{{$}}
// CHECK-DAG: memref.global "private" constant @splat : memref<64xf32> = dense<1.000000e+00>
// CHECK-DAG: memref.global "private" constant @small : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
// CHECK: memref.get_global @romac_weight_0 : memref<4x8xf32>
memref.global "private" constant @exp : memref<4x8xf32> = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]> {alignment = 64 : i64}
memref.global "private" constant @splat : memref<64xf32> = dense<1.0>
memref.global "private" constant @small : memref<2xf32> = dense<[1.0, 2.0]>
func.func @main() -> memref<4x8xf32> {
  %0 = memref.get_global @exp : memref<4x8xf32>
  %1 = memref.get_global @splat : memref<64xf32>
  %2 = memref.get_global @small : memref<2xf32>
  return %0 : memref<4x8xf32>
}
