// RUN: romac-opt %s --romac-approximate-math | FileCheck %s

// exp, erf and tanh on f32 (scalars and the elements of a loop body) become
// arithmetic with fused multiply-adds; sqrt (an LLVM intrinsic already) and
// f64 are left alone.
// CHECK-LABEL: func.func @f32
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: math.sqrt
func.func @f32(%x: f32) -> (f32, f32, f32, f32) {
  %a = math.exp %x : f32
  %b = math.erf %x : f32
  %c = math.tanh %x : f32
  %d = math.sqrt %x : f32
  return %a, %b, %c, %d : f32, f32, f32, f32
}

// CHECK-LABEL: func.func @f64
// CHECK: math.exp %{{.*}} : f64
func.func @f64(%x: f64) -> f64 {
  %a = math.exp %x : f64
  return %a : f64
}
