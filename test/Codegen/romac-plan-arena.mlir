// RUN: romac-opt %s --split-input-file --romac-plan-arena | FileCheck %s
// RUN: romac-opt %s --split-input-file --romac-plan-arena=remarks=true 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// REMARK: remark: arena of 128 bytes for 3 buffers; 80 bytes live at most at one time
// REMARK: remark: arena of 192 bytes for 3 buffers; 160 bytes live at most at one time
// REMARK: remark: arena of 128 bytes for 2 buffers; 128 bytes live at most at one time
// REMARK: remark: arena of 64 bytes for 1 buffer; 64 bytes live at most at one time
// REMARK-NOT: remark

// Three buffers in a chain: the first and the third live at different
// times and share offset 0; every offset is a multiple of 64 bytes (40-byte
// buffers take 64).
// CHECK-LABEL: func.func @chain
// CHECK-SAME: romac.arena_bytes = 128 : i64, romac.arena_lower_bound = 80 : i64
// CHECK-NEXT: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK-NEXT: %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[O0]]][] : memref<128xi8> to memref<10xf32>
// CHECK-NEXT: memref.copy %arg0, %[[A]]
// CHECK-NEXT: %[[O64:.*]] = arith.constant 64 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[O64]]][] : memref<128xi8> to memref<10xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: %[[O0B:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[C:.*]] = memref.view %[[ARENA]][%[[O0B]]][] : memref<128xi8> to memref<10xf32>
// CHECK-NEXT: memref.copy %[[B]], %[[C]]
// CHECK-NEXT: memref.copy %[[C]], %arg1
// CHECK-NEXT: memref.dealloc %[[ARENA]] : memref<128xi8>
// CHECK-NEXT: return
func.func @chain(%in: memref<10xf32>, %out: memref<10xf32>) {
  %a = memref.alloc() : memref<10xf32>
  memref.copy %in, %a : memref<10xf32> to memref<10xf32>
  %b = memref.alloc() : memref<10xf32>
  memref.copy %a, %b : memref<10xf32> to memref<10xf32>
  memref.dealloc %a : memref<10xf32>
  %c = memref.alloc() : memref<10xf32>
  memref.copy %b, %c : memref<10xf32> to memref<10xf32>
  memref.dealloc %b : memref<10xf32>
  memref.copy %c, %out : memref<10xf32> to memref<10xf32>
  memref.dealloc %c : memref<10xf32>
  return
}

// -----

// A buffer read through a subview inside a loop lives for the whole loop;
// one read through a transpose lives until the transpose's last use.
// CHECK-LABEL: func.func @aliases
// CHECK-SAME: romac.arena_bytes = 192 : i64, romac.arena_lower_bound = 160 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<192xi8>
// CHECK: %[[O128:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[O128]]][] : memref<192xi8> to memref<8xf32>
// CHECK: %[[V:.*]] = memref.subview %[[A]]
// CHECK-NEXT: %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[O0]]][] : memref<192xi8> to memref<4x8xf32>
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.load %[[V]]
// CHECK-NEXT: memref.store %{{.*}}, %[[B]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[T:.*]] = memref.transpose %[[B]]
// CHECK-NEXT: %[[O128B:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[C:.*]] = memref.view %[[ARENA]][%[[O128B]]][] : memref<192xi8> to memref<8xf32>
// CHECK-NEXT: memref.copy %arg0, %[[C]]
// CHECK-NEXT: memref.copy %[[C]], %arg1
// CHECK-NEXT: memref.copy %[[T]], %arg2
// CHECK-NEXT: memref.dealloc %[[ARENA]]
// CHECK-NEXT: return
func.func @aliases(%in: memref<8xf32>, %out: memref<8xf32>, %t: memref<8x4xf32, strided<[1, 8]>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<8xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %b = memref.alloc() : memref<4x8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %v[%i] : memref<4xf32, strided<[1]>>
    memref.store %x, %b[%c0, %i] : memref<4x8xf32>
  }
  memref.dealloc %a : memref<8xf32>
  %bt = memref.transpose %b (d0, d1) -> (d1, d0) : memref<4x8xf32> to memref<8x4xf32, strided<[1, 8]>>
  %c = memref.alloc() : memref<8xf32>
  memref.copy %in, %c : memref<8xf32> to memref<8xf32>
  memref.copy %c, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %c : memref<8xf32>
  memref.copy %bt, %t : memref<8x4xf32, strided<[1, 8]>> to memref<8x4xf32, strided<[1, 8]>>
  memref.dealloc %b : memref<4x8xf32>
  return
}

// -----

// A buffer a loop carries (iteration argument, yielded, used after the
// loop) lives from the loop to the last use of the loop's result; a buffer
// allocated inside the loop keeps its own allocation.
// CHECK-LABEL: func.func @loop
// CHECK-SAME: romac.arena_bytes = 128 : i64, romac.arena_lower_bound = 128 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT: %[[R:.*]] = scf.for {{.*}} iter_args(%[[IT:.*]] = %[[A]])
// CHECK-NEXT: %[[INNER:.*]] = memref.alloc() : memref<16xf32>
// CHECK: memref.dealloc %[[INNER]]
// CHECK-NEXT: scf.yield %[[IT]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[O64:.*]] = arith.constant 64 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[O64]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT: memref.copy %[[R]], %[[B]]
// CHECK-NEXT: memref.copy %[[B]], %arg1
// CHECK-NEXT: memref.dealloc %[[ARENA]]
// CHECK-NEXT: return
func.func @loop(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<16xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%it = %a) -> (memref<16xf32>) {
    %inner = memref.alloc() : memref<16xf32>
    memref.copy %in, %inner : memref<16xf32> to memref<16xf32>
    memref.copy %inner, %it : memref<16xf32> to memref<16xf32>
    memref.dealloc %inner : memref<16xf32>
    scf.yield %it : memref<16xf32>
  }
  %b = memref.alloc() : memref<16xf32>
  memref.copy %r, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  return
}

// -----

// Buffers the arena cannot hold keep their own allocation: a dynamic
// shape, a returned buffer, one freed in a nested block, one freed through
// an alias, one with a layout; with none left, there is no arena.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: romac.arena
// CHECK-NOT: memref.view
// CHECK: memref.alloc(%arg0) : memref<?xf32>
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: %[[R:.*]] = memref.alloc() : memref<16xf32>
// CHECK: %[[F:.*]] = memref.alloc() : memref<16xf32>
// CHECK: scf.if
// CHECK-NEXT: memref.dealloc %[[F]]
// CHECK: %[[C:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT: %[[CC:.*]] = memref.cast %[[C]]
// CHECK-NEXT: memref.dealloc %[[CC]]
// CHECK-NEXT: %[[L:.*]] = memref.alloc() : memref<4x4xf32, strided<[8, 1]>>
// CHECK-NEXT: memref.dealloc %[[L]]
// CHECK-NEXT: return %[[R]]
func.func @kept(%n: index, %cond: i1, %in: memref<16xf32>) -> memref<16xf32> {
  %d = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  %r = memref.alloc() : memref<16xf32>
  memref.copy %in, %r : memref<16xf32> to memref<16xf32>
  %f = memref.alloc() : memref<16xf32>
  memref.copy %in, %f : memref<16xf32> to memref<16xf32>
  scf.if %cond {
    memref.dealloc %f : memref<16xf32>
  }
  %c = memref.alloc() : memref<16xf32>
  %cc = memref.cast %c : memref<16xf32> to memref<?xf32>
  memref.dealloc %cc : memref<?xf32>
  %l = memref.alloc() : memref<4x4xf32, strided<[8, 1]>>
  memref.dealloc %l : memref<4x4xf32, strided<[8, 1]>>
  return %r : memref<16xf32>
}

// -----

// A buffer passed to another block (and freed there) keeps its own
// allocation; one used only in the entry block goes into the arena.
// CHECK-LABEL: func.func @branch
// CHECK-SAME: romac.arena_bytes = 64 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
// CHECK: %[[A:.*]] = memref.alloc() : memref<16xf32>
// CHECK: memref.view %[[ARENA]]
// CHECK: cf.br ^bb1(%[[A]] : memref<16xf32>)
func.func @branch(%in: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<16xf32>
  memref.copy %in, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %in, %b : memref<16xf32> to memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  cf.br ^bb1(%a : memref<16xf32>)
^bb1(%x: memref<16xf32>):
  memref.copy %x, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %x : memref<16xf32>
  return
}
