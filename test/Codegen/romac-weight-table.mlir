// RUN: romac-opt %s --split-input-file --romac-weight-table --verify-diagnostics | FileCheck %s

// Every address of a weight declaration becomes a load of its slot in
// @romac_weight_table (slots in module order); the declarations go, other
// globals stay, and the table's `weights` lists the weights by slot.
// CHECK: llvm.mlir.global external hidden @romac_weight_table() {addr_space = 0 : i32, alignment = 8 : i64, weights = ["romac_weight_1", "romac_weight_0"]} : !llvm.array<2 x ptr> {
// CHECK-NEXT: %[[Z:.*]] = llvm.mlir.zero : !llvm.array<2 x ptr>
// CHECK-NEXT: llvm.return %[[Z]]
// CHECK-NOT: @romac_weight_0()
// CHECK-NOT: @romac_weight_1()
// CHECK: llvm.mlir.global private constant @other
// CHECK-LABEL: llvm.func @kernel
// CHECK: %[[T0:.*]] = llvm.mlir.addressof @romac_weight_table : !llvm.ptr
// CHECK: %[[S0:.*]] = llvm.getelementptr inbounds %[[T0]][0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x ptr>
// CHECK: %[[W0:.*]] = llvm.load %[[S0]] {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[T1:.*]] = llvm.mlir.addressof @romac_weight_table : !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr inbounds %[[T1]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x ptr>
// CHECK: %[[W1:.*]] = llvm.load %[[S1]] {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[O:.*]] = llvm.mlir.addressof @other : !llvm.ptr
// CHECK: llvm.call @use(%[[W0]], %[[W1]], %[[O]])
llvm.mlir.global external constant @romac_weight_1() {addr_space = 0 : i32} : !llvm.array<4 x f32>
llvm.mlir.global external constant @romac_weight_0() {addr_space = 0 : i32} : !llvm.array<8 x f32>
llvm.mlir.global private constant @other(dense<1.0> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
llvm.func @use(!llvm.ptr, !llvm.ptr, !llvm.ptr)
llvm.func @kernel() {
  %0 = llvm.mlir.addressof @romac_weight_0 : !llvm.ptr
  %1 = llvm.mlir.addressof @romac_weight_1 : !llvm.ptr
  %2 = llvm.mlir.addressof @other : !llvm.ptr
  llvm.call @use(%0, %1, %2) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
  llvm.return
}

// -----

// A module without weights gets an empty table.
// CHECK: llvm.mlir.global external hidden @romac_weight_table() {{.*}}weights = []} : !llvm.array<0 x ptr>
llvm.func @f() {
  llvm.return
}

// -----

// expected-error @below {{@romac_weight_table exists already}}
module {
  llvm.mlir.global external @romac_weight_table() {addr_space = 0 : i32} : !llvm.array<1 x ptr>
}
