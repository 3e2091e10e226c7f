// RUN: romac-opt %s --romac-outline-kernels | FileCheck %s
// RUN: romac-opt %s --romac-outline-kernels=profile=true | FileCheck %s --check-prefix=PROFILE

// Every layer becomes a kernel function: a linalg op on buffers, and a whole
// layer's call of a native kernel (untiled, so it has no loop nest); the
// kernel keeps the layer's location. With profile=true each call is timed.
// Layers that compute the same thing on buffers of the same types share one
// kernel: the third layer (a copy like the first, on other buffers) calls
// @romac_kernel_0; the fourth (a copy of another shape) gets its own.
// CHECK-LABEL: func.func private @romac_kernel_0(
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK: linalg.copy
// CHECK-LABEL: func.func private @romac_kernel_1(
// CHECK: call @romac_matmul_f32(
// CHECK-NOT: func.func private @romac_kernel_2(
// CHECK-LABEL: func.func private @romac_kernel_3(
// CHECK: linalg.copy ins({{.*}} : memref<2x8xf32>)
// CHECK-LABEL: func.func @main
// CHECK: call @romac_kernel_0(%arg0, %arg1)
// CHECK-NEXT: call @romac_kernel_1(
// CHECK-NEXT: call @romac_kernel_0(%arg2, %arg0)
// CHECK-NEXT: call @romac_kernel_3(
// CHECK-NEXT: return

// Each layer is still timed under its own index.
// PROFILE-LABEL: func.func @main
// PROFILE: %[[K0:.*]] = arith.constant 0 : i64
// PROFILE: call @romac_profile_enter(%[[K0]])
// PROFILE-NEXT: call @romac_kernel_0(
// PROFILE-NEXT: call @romac_profile_exit(%[[K0]])
// PROFILE: call @romac_profile_enter(
// PROFILE-NEXT: call @romac_kernel_1(
// PROFILE-NEXT: call @romac_profile_exit(
// PROFILE: %[[K2:.*]] = arith.constant 2 : i64
// PROFILE: call @romac_profile_enter(%[[K2]])
// PROFILE-NEXT: call @romac_kernel_0(
// PROFILE-NEXT: call @romac_profile_exit(%[[K2]])
func.func private @romac_matmul_f32(memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) attributes {llvm.emit_c_interface}

func.func @main(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>,
                %d: memref<2x8xf32>, %e: memref<2x8xf32>) {
  linalg.copy ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
  call @romac_matmul_f32(%a, %b, %c) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
  linalg.copy ins(%c : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  linalg.copy ins(%d : memref<2x8xf32>) outs(%e : memref<2x8xf32>)
  return
}

// Kernels that differ only in a constant stay apart even when the printer is
// told to elide large constants.
// RUN: romac-opt %s --split-input-file --romac-outline-kernels --mlir-elide-elementsattrs-if-larger=2 | FileCheck %s --check-prefix=CONST
// CONST-LABEL: func.func private @romac_kernel_0(
// CONST-LABEL: func.func private @romac_kernel_1(
// CONST-LABEL: func.func @consts
// CONST: call @romac_kernel_0(
// CONST-NEXT: call @romac_kernel_1(
// -----
func.func @consts(%a: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : vector<4xf32>
  %y = arith.constant dense<[5.0, 6.0, 7.0, 8.0]> : vector<4xf32>
  scf.execute_region {
    vector.store %x, %a[%c0] : memref<4xf32>, vector<4xf32>
    scf.yield
  }
  scf.execute_region {
    vector.store %y, %a[%c0] : memref<4xf32>, vector<4xf32>
    scf.yield
  }
  return
}
