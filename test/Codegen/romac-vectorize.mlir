// RUN: romac-opt %s --romac-vectorize | FileCheck %s
// RUN: romac-opt %s --romac-vectorize=lanes=8 | FileCheck %s --check-prefix=AVX2
// RUN: romac-opt %s --romac-codegen-pipeline=tile=false | FileCheck %s --check-prefix=LLVM

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// A row sum (softmax's denominator): one 64-lane vector of a row per step,
// reduced as a vector.reduction into the row's sum.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.for %[[I:.*]] = %c0 to %c8 step %c1
// CHECK: scf.for %[[J:.*]] = %c0 to %c256 step %c64
// CHECK: %[[V:.*]] = vector.load %{{.*}} : memref<64xf32, {{.*}}>, vector<64xf32>
// CHECK: vector.reduction <add>, %[[V]], %{{.*}} : vector<64xf32> into f32
// CHECK-NOT: linalg.generic
// With 8 lanes (AVX2) the vector is 4 x 8 lanes.
// AVX2-LABEL: func.func @row_sum
// AVX2: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<32xf32> into f32
// Lowered: LLVM's reassociating vector reduction.
// LLVM: llvm.intr.vector.reduce.fadd{{.*}}reassoc
func.func @row_sum(%x: memref<8x256xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x256xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// Element-wise with a broadcast operand (x - rowmax, exp; a bias along the
// columns): the broadcast is read once per step and splatted. 48 columns:
// the largest multiple of 16 lanes up to 64 that divides 48 is 48.
// CHECK-LABEL: func.func @sub_exp
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c48
// CHECK: vector.broadcast %{{.*}} : vector<f32> to vector<48xf32>
// CHECK: arith.subf %{{.*}}, %{{.*}} : vector<48xf32>
// CHECK: math.exp %{{.*}} : vector<48xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<48xf32>
// CHECK: vector.store %{{.*}} : memref<48xf32, {{.*}}>, vector<48xf32>
func.func @sub_exp(%x: memref<8x48xf32>, %m: memref<8xf32>, %b: memref<48xf32>, %y: memref<8x48xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %b : memref<8x48xf32>, memref<8xf32>, memref<48xf32>) outs(%y : memref<8x48xf32>) {
  ^bb0(%in: f32, %mm: f32, %bb: f32, %out: f32):
    %0 = arith.subf %in, %mm : f32
    %1 = math.exp %0 : f32
    %2 = arith.addf %1, %bb : f32
    linalg.yield %2 : f32
  }
  return
}

// Left to LLVM's loop vectorizer: a transposed operand (not contiguous along the innermost
// loop). Its first loop becomes an scf.for marked for romac-parallelize-kernels, around
// the generic's rows.
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: vector.
// CHECK: scf.for %[[I:.*]] = %c0 to %c64 step %c1
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : memref<64x1xf32, {{.*}}>) outs(%{{.*}} : memref<1x64xf32, {{.*}}>)
// CHECK: } {romac.parallel}
func.func @transposed(%x: memref<64x64xf32>, %y: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<64x64xf32>) outs(%y : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// An innermost bound that no multiple of 16 divides: contiguous rows are one loop
// (4 x 77 = 308), its first 304 elements go in 16-lane vectors, the last 4 as one vector.
// CHECK-LABEL: func.func @odd
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<4x77xf32> into memref<308xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c304 step %c16
// CHECK: arith.negf %{{.*}} : vector<16xf32>
// CHECK: memref.subview %{{.*}}[304] [4] [1]
// CHECK: arith.negf %{{.*}} : vector<4xf32>
// CHECK-NOT: linalg.generic
func.func @odd(%x: memref<4x77xf32>, %y: memref<4x77xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x77xf32>) outs(%y : memref<4x77xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.negf %in : f32
    linalg.yield %0 : f32
  }
  return
}

// A reduction over 77 columns (the text encoder's tokens): 64 lanes, then the last 13.
// CHECK-LABEL: func.func @row_sum77
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<64xf32> into f32
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<13xf32> into f32
// CHECK-NOT: linalg.generic
func.func @row_sum77(%x: memref<8x77xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x77xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// A per-channel bias over 7 x 7 planes (MobileNet's last blocks): the plane is one loop of
// 49, 48 lanes and a last element left as a loop; the bias is read once per channel and
// splatted.
// CHECK-LABEL: func.func @bias_7x7
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<24x7x7xf32> into memref<24x49xf32>
// CHECK: vector.broadcast %{{.*}} : vector<f32> to vector<48xf32>
// CHECK: %[[LAST:.*]] = memref.subview %{{.*}}[0, 48] [24, 1] [1, 1]
// CHECK: linalg.generic {{.*}} outs(%[[LAST]]
#c3 = affine_map<(d0, d1, d2) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @bias_7x7(%b: memref<24xf32>, %y: memref<24x7x7xf32>) {
  linalg.generic {indexing_maps = [#c3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b : memref<24xf32>) outs(%y : memref<24x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// Rows of a view that are not contiguous stay rows: 7 lanes per row.
// CHECK-LABEL: func.func @view_rows
// CHECK-NOT: memref.collapse_shape
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: vector.load %{{.*}} : memref<7xf32, {{.*}}>, vector<7xf32>
func.func @view_rows(%x: memref<32x64xf32>, %y: memref<4x7xf32>) {
  %v = memref.subview %x[0, 0] [4, 7] [1, 1] : memref<32x64xf32> to memref<4x7xf32, strided<[64, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v : memref<4x7xf32, strided<[64, 1]>>) outs(%y : memref<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// Fills (linalg.fill, and linalg.map as tensor.pad's bufferization writes a padded
// buffer's zeros) are vectorized like generics: one loop over the whole buffer.
// CHECK-LABEL: func.func @fills
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : memref<1x144x58x58xf32> into memref<484416xf32>
// CHECK: vector.store %{{.*}} : memref<64xf32, {{.*}}>, vector<64xf32>
// CHECK: vector.store %{{.*}} : memref<64xf32, {{.*}}>, vector<64xf32>
// CHECK-NOT: linalg.
func.func @fills(%y: memref<1x144x58x58xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%y : memref<1x144x58x58xf32>)
  linalg.map outs(%y : memref<1x144x58x58xf32>) (%init: f32) {
    linalg.yield %z : f32
  }
  return
}

// GroupNorm's scale and shift ([C, 1, 1], read at constant 0 in their unit
// dims) are viewed as [C]: the op vectorizes, its loops of parallel dims
// are marked for romac-parallelize-kernels, and in the whole pipeline its
// kernel (2 MiB of buffers) runs on the threads: the chunk's address goes to
// the runtime's romac_parallel_for.
// CHECK-LABEL: func.func @scale_shift
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<64x1x1xf32> into memref<64xf32>
// CHECK: scf.for
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<64xf32>
// CHECK: } {romac.parallel}
// CHECK-NOT: linalg.generic
// LLVM: llvm.func @romac_chunk_{{[0-9]+}}(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM: llvm.mlir.addressof @romac_chunk_
// LLVM: llvm.call @romac_parallel_for
#cs4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c4 = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @scale_shift(%x: memref<1x64x64x64xf32>, %g: memref<64x1x1xf32>, %b: memref<64x1x1xf32>, %y: memref<1x64x64x64xf32>) {
  linalg.generic {indexing_maps = [#cs4, #c4, #c4, #cs4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %g, %b : memref<1x64x64x64xf32>, memref<64x1x1xf32>, memref<64x1x1xf32>) outs(%y : memref<1x64x64x64xf32>) {
  ^bb0(%in: f32, %gg: f32, %bb: f32, %out: f32):
    %0 = arith.mulf %in, %gg : f32
    %1 = arith.addf %0, %bb : f32
    linalg.yield %1 : f32
  }
  return
}

// A max over rows into a vector of partial maxima (the first half of a
// quantized activation's max |x|, romac-compress-weights): each step is a
// max of two vectors, not a reduction taken apart lane by lane.
// CHECK-LABEL: func.func @column_max
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c1024 step %c64
// CHECK: %[[A:.*]] = math.absf %{{.*}} : vector<64xf32>
// CHECK: arith.maximumf %{{.*}}, %[[A]] : vector<64xf32>
// CHECK-NOT: vector.extract
// CHECK: return
func.func @column_max(%x: memref<96x1024xf32>, %m: memref<1024xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<96x1024xf32>) outs(%m : memref<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.absf %in : f32
    %1 = arith.maximumf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A vector of no lanes is refused.
// RUN: not romac-opt %s --romac-vectorize=lanes=0 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: romac-vectorize: lanes must be at least 1
