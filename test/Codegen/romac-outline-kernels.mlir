// RUN: romac-opt %s --romac-outline-kernels | FileCheck %s
// RUN: romac-opt %s --romac-outline-kernels=profile=true | FileCheck %s --check-prefix=PROFILE

// Every layer becomes a kernel function: a linalg op on buffers, and a whole
// layer's call of a native kernel (untiled, so it has no loop nest); the
// kernel keeps the layer's location. With profile=true each call is timed.
// CHECK-LABEL: func.func private @romac_kernel_0(
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK: linalg.copy
// CHECK-LABEL: func.func private @romac_kernel_1(
// CHECK: call @romac_matmul_f32(
// CHECK-LABEL: func.func @main
// CHECK: call @romac_kernel_0(
// CHECK-NEXT: call @romac_kernel_1(
// CHECK-NEXT: return

// PROFILE-LABEL: func.func @main
// PROFILE: call @romac_profile_enter(
// PROFILE-NEXT: call @romac_kernel_0(
// PROFILE-NEXT: call @romac_profile_exit(
// PROFILE: call @romac_profile_enter(
// PROFILE-NEXT: call @romac_kernel_1(
// PROFILE-NEXT: call @romac_profile_exit(
func.func private @romac_matmul_f32(memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) attributes {llvm.emit_c_interface}

func.func @main(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  linalg.copy ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
  call @romac_matmul_f32(%a, %b, %c) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
  return
}
