// RUN: romac-opt %s --romac-parallelize-kernels=min-bytes=4096 | FileCheck %s

// A kernel whose loop nest reaches (through a loop of one iteration) a loop
// marked romac.parallel: the kernel, renamed @romac_range_0, runs the
// iterations [begin, end) of that loop; @romac_chunk_0 reads its buffers
// from a struct and calls it; @romac_kernel_0, which the calls still name,
// now puts the struct on the stack and calls romac_parallel_for over the
// 64 iterations.
// CHECK-LABEL: func.func private @romac_parallel_for(i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr)
// CHECK-LABEL: func.func private @romac_kernel_0(
// CHECK-SAME: %[[A0:.*]]: memref<64x64xf32>, %[[B0:.*]]: memref<64x64xf32>) attributes {passthrough = ["noinline"]}
// CHECK: %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)> : (i64) -> !llvm.ptr
// CHECK: builtin.unrealized_conversion_cast %[[A0]] : memref<64x64xf32> to !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: llvm.store
// CHECK: builtin.unrealized_conversion_cast %[[B0]]
// CHECK: llvm.store
// CHECK: %[[FN:.*]] = constant @romac_chunk_0 : (!llvm.ptr, i64, i64) -> ()
// CHECK: %[[N:.*]] = arith.constant 64 : i64
// CHECK: call @romac_parallel_for(%[[N]], %[[FN]], %[[CTX]])
// CHECK-LABEL: func.func private @romac_chunk_0(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK: llvm.getelementptr %{{.*}}[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<{{.*}}>
// CHECK: %[[A:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<64x64xf32>
// CHECK: llvm.getelementptr %{{.*}}[0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<{{.*}}>
// CHECK: %[[B:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<64x64xf32>
// CHECK: %[[BEGIN:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[END:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: call @romac_range_0(%[[A]], %[[B]], %[[BEGIN]], %[[END]])
// CHECK-LABEL: func.func private @romac_range_0(
// CHECK-SAME: %{{.*}}: memref<64x64xf32>, %{{.*}}: memref<64x64xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: scf.for %{{.*}} = %c0 to %c1 step %c1
// CHECK: %[[LO:.*]] = arith.addi %c0, %{{.*}} : index
// CHECK: %[[HI:.*]] = arith.minsi %c64, %{{.*}} : index
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c1
// Not split: a kernel of less than min-bytes, and a loop not marked parallel
// (a reduction's).
// CHECK-LABEL: func.func private @romac_kernel_1(
// CHECK-NOT: romac_parallel_for
// CHECK-LABEL: func.func private @romac_kernel_2(
// CHECK-NOT: romac_parallel_for
// The calls are as they were.
// CHECK-LABEL: func.func @main
// CHECK-NEXT: call @romac_kernel_0
// CHECK-NEXT: call @romac_kernel_1
// CHECK-NEXT: call @romac_kernel_2
// (romac-vectorize.mlir checks the whole pipeline down to LLVM.)
module {
  func.func private @romac_kernel_0(%a: memref<64x64xf32>, %b: memref<64x64xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    scf.for %n = %c0 to %c1 step %c1 {
      scf.for %i = %c0 to %c64 step %c1 {
        %v = vector.load %a[%i, %c0] : memref<64x64xf32>, vector<64xf32>
        %w = arith.negf %v : vector<64xf32>
        vector.store %w, %b[%i, %c0] : memref<64x64xf32>, vector<64xf32>
      } {romac.parallel}
    } {romac.parallel}
    return
  }
  func.func private @romac_kernel_1(%a: memref<8x8xf32>, %b: memref<8x8xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    scf.for %i = %c0 to %c8 step %c1 {
      %v = vector.load %a[%i, %c0] : memref<8x8xf32>, vector<8xf32>
      vector.store %v, %b[%i, %c0] : memref<8x8xf32>, vector<8xf32>
    } {romac.parallel}
    return
  }
  func.func private @romac_kernel_2(%a: memref<64x64xf32>, %s: memref<64xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    scf.for %i = %c0 to %c64 step %c1 {
      %v = vector.load %a[%i, %c0] : memref<64x64xf32>, vector<64xf32>
      vector.store %v, %s[%c0] : memref<64xf32>, vector<64xf32>
    }
    return
  }
  func.func @main(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<8x8xf32>, %d: memref<8x8xf32>, %s: memref<64xf32>) {
    call @romac_kernel_0(%a, %b) : (memref<64x64xf32>, memref<64x64xf32>) -> ()
    call @romac_kernel_1(%c, %d) : (memref<8x8xf32>, memref<8x8xf32>) -> ()
    call @romac_kernel_2(%a, %s) : (memref<64x64xf32>, memref<64xf32>) -> ()
    return
  }
}
