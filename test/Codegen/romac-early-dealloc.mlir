// RUN: romac-opt %s --romac-early-dealloc | FileCheck %s

// A buffer is freed right after the last op that uses it or a view of it
// (here a subview used inside a loop); a buffer that comes from elsewhere
// keeps its dealloc where it is.
// CHECK-LABEL: func.func @main
// CHECK: %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK: memref.copy %arg0, %[[A]]
// CHECK: %[[V:.*]] = memref.subview %[[A]]
// CHECK: scf.for
// CHECK: memref.load %[[V]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: memref.copy %arg0, %[[B]]
// CHECK-NEXT: memref.copy %[[B]], %arg1
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: memref.copy %arg0, %arg1
// CHECK-NEXT: memref.dealloc %arg2
// CHECK-NEXT: return
func.func @main(%in: memref<8xf32>, %out: memref<8xf32>, %other: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %v[%i] : memref<4xf32, strided<[1]>>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  memref.copy %in, %b : memref<8xf32> to memref<8xf32>
  memref.copy %b, %out : memref<8xf32> to memref<8xf32>
  memref.copy %in, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %other : memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}

// A value that may alias the buffer without being a view-like op
// (memref.transpose) keeps the buffer alive until its own last use.
// CHECK-LABEL: func.func @transposed
// CHECK: %[[A:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: %[[T:.*]] = memref.transpose %[[A]]
// CHECK-NEXT: memref.copy %arg0, %arg1
// CHECK-NEXT: memref.copy %[[T]], %arg2
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: return
func.func @transposed(%in: memref<8xf32>, %out: memref<8xf32>, %t: memref<8x4xf32, strided<[1, 8]>>) {
  %a = memref.alloc() : memref<4x8xf32>
  %at = memref.transpose %a (d0, d1) -> (d1, d0) : memref<4x8xf32> to memref<8x4xf32, strided<[1, 8]>>
  memref.copy %in, %out : memref<8xf32> to memref<8xf32>
  memref.copy %at, %t : memref<8x4xf32, strided<[1, 8]>> to memref<8x4xf32, strided<[1, 8]>>
  memref.dealloc %a : memref<4x8xf32>
  return
}
