//===- Passes.td - romac code generation passes ------------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_CODEGEN_PASSES_TD
#define ROMAC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def RomacTileBySchedulePass
    : Pass<"romac-tile-by-schedule", "::mlir::func::FuncOp"> {
  let summary = "Tile every contraction with the DRAM-level tiles of its "
                "#romac.mapping, in the schedule's loop order";
  let description = [{
    Makes the schedule the program: every linalg op that carries a
    `romac.mapping` (set by `romac-tile-search` or `romac-dram-search`) is
    tiled with `scf.for` loops whose steps are the mapping's DRAM-level tile
    sizes (one per loop of the op, in iteration order) (the tile fetched into the target's SRAM) and whose nesting is the
    mapping's loop order, outermost first. Dims whose tile covers the whole
    bound get no loop. Reduction dims are tiled too (the partial sums stay in
    the output tile, as the schedule counts them). The tiled op keeps the
    mapping, renamed `romac.tiled_mapping`, so a second run is a no-op.

    A tile with a fused epilogue (romac-fuse-into-contractions:
    `romac.overwrite`, `romac.scale`, `romac.clamp`) whose reduction loops
    are tiled becomes an `scf.if` on whether its reduction tiles are the
    first ones (every output element's first visit: only there may it
    overwrite), of `scf.if`s on whether they are the last ones (its sums
    complete: only there may it scale and clamp); each branch is a copy of
    the tile with the part of its epilogue that holds there.

    The loop nest is exactly the one the cost model counted, so the schedule
    is proven by the outputs of the program that runs it.

    Example:

    ```mlir
    // Loops M N K: tile M by 8, N by 16, K by 4; N outermost, then M, K.
    %0 = linalg.matmul {romac.mapping = #romac.mapping<reuse = ...,
           tile = array<i64: 8, 16, 4>, order = array<i64: 1, 0, 2>>}
    // becomes scf.for N step 16 { scf.for M step 8 { scf.for K step 4 {
    //   linalg.matmul on 8x4 and 4x16 slices } } }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def RomacVectorizePass
    : Pass<"romac-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Vectorize the element-wise and reduction linalg.generic ops "
                "left on buffers";
  let description = [{
    After bufferization and romac-lower-to-kernels, what is left of a
    network besides the kernel calls is linalg.generic ops on buffers:
    element-wise chains (bias, activations, residual adds, the element-wise
    steps of norms and softmax, fused by romac-fuse-elementwise),
    broadcasts, and reductions (a norm's mean and variance, softmax's max
    and sum), and fills (`linalg.fill`, and the `linalg.map` of a padded
    buffer's zeros, generalized first). Each one whose every operand is a
    buffer or a scalar of 8 bits or more (a vector of i1 is packed in bits,
    a buffer of i1 in bytes) read through a projected permutation is first
    collapsed: its innermost parallel loops become one loop where every
    operand walks them all as its last, contiguous dims or none of them (a
    [C, 7, 7] output with a per-channel bias is [C, 49]). Then, when every
    operand either walks the innermost loop along its own contiguous last
    dim or does not depend on that loop (a broadcast operand, or the output
    of a reduction over it), it is tiled with `scf.for` loops to tiles of
    one vector along the innermost loop and 1 along every other loop, and
    each tile is vectorized with upstream's linalg vectorizer
    (`vector.transfer_read`, arithmetic on vectors, `vector.multi_reduction`
    for a reduction, `vector.transfer_write`). The vector is the largest
    multiple of `lanes` up to 4 x `lanes` that divides the loop's bound less
    its remainder modulo `lanes`; the remainder (2 or more elements) is one
    shorter vector, the two parts in one `scf.execute_region` (one kernel
    when outlined). A bound below 4, dynamic shapes, transposed or strided
    operands, a remainder of one element and a split body that reads its
    indices (`linalg.index`) stay loops. (Transposes and broadcasts are
    generalized first as well.)

    Every loop this makes for a parallel dim is marked `romac.parallel`
    (its iterations write disjoint outputs: romac-parallelize-kernels may
    split it over the threads). A generic that stays loops and reads
    through projected permutations (a transpose; a gather through
    `linalg.index`, ONNX's Resize) gets its first loop of several
    iterations, when that loop is parallel, as a marked `scf.for` of one
    iteration per step around the rest of the generic.

    This is what LLVM alone cannot do: a floating-point reduction loop is
    not reassociated, so softmax's row sums and a norm's statistics stayed
    scalar; here each vector is reduced as a tree (the row sum of the UNet's
    attention, 10 x 4096 x 4096 elements, was one scalar `vaddss` chain).

    Example (`lanes` = 16):

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"], ...}
        ins(%x : memref<8x256xf32>) outs(%sum : memref<8xf32>) {...addf...}
    // becomes
    scf.for %i = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c256 step %c64 {
        %v = vector.transfer_read %x[%i, %j] ... : vector<1x64xf32>
        %a = vector.transfer_read %sum[%i] ... : vector<1xf32>
        %r = vector.multi_reduction <add>, %v, %a [1] : vector<1x64xf32> to vector<1xf32>
        vector.transfer_write %r, %sum[%i] ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "fp32 lanes of the host's vector registers (16 for AVX-512, 8 "
           "for AVX2)">,
  ];
}

def RomacExternalizeWeightsPass
    : Pass<"romac-externalize-weights", "::mlir::ModuleOp"> {
  let summary = "Turn large constant memref.globals into external "
                "declarations whose data the runtime supplies";
  let description = [{
    After bufferization every weight is a `memref.global constant` with its
    value as initializer. Lowered as is, the weights would be copied into the
    generated code. This pass moves the initializer of every global of at
    least `min-bytes` bytes that is not a splat into the discardable
    attribute `romac.weight` and leaves an external declaration: the runtime
    reads `romac.weight` (for an imported model, the memory-mapped ONNX file)
    and binds the symbol to that data, so no weight is copied per run.

    Example:

    ```mlir
    memref.global "private" constant @w : memref<64x64xf32> = dense_resource<w>
    // becomes
    memref.global "private" constant @w : memref<64x64xf32>
        {romac.weight = dense_resource<w> : tensor<64x64xf32>}
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"256",
           "Globals smaller than this keep their initializer">,
  ];
}

def RomacOutlineKernelsPass
    : Pass<"romac-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline every layer of the bufferized @main into a kernel "
                "function of its own";
  let description = [{
    After bufferization, every top-level op of a function that has regions
    and no results (a linalg op on buffers, or the scf.for nest that
    romac-tile-by-schedule made of one), and every call of a native kernel
    (`romac_*`, a whole untiled layer from romac-lower-to-kernels), moves
    into a new function
    `@romac_kernel_N` that takes the buffers and scalars it uses as
    arguments (constants are cloned in) and is called in its place. The
    kernels are marked `noinline`.

    One function per layer keeps LLVM's optimizer fast (its cost grows
    faster than linearly with the size of a function, and a whole network
    in one function takes minutes). Layers that compute the same thing
    share one kernel: a kernel whose printed form (its type, attributes and
    body, without its name and locations) matches an earlier one's is
    dropped and its layer calls the earlier kernel. A network repeats its
    blocks, so this compiles far less code: the SD2 UNet's 2,054 layers need
    316 distinct kernels (279 in the tiny UNet, whose compile this alone
    took from 40 s to 12 s). A kernel
    keeps the location (ONNX node name) of the first layer that uses it;
    with `profile`, each layer is timed under its own index, whose hook
    call carries the layer's location.

    Example:

    ```mlir
    func.func @main(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
      linalg.copy ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
      return
    }
    // becomes
    func.func private @romac_kernel_0(%a: memref<4x4xf32>, %b: memref<4x4xf32>)
        attributes {passthrough = ["noinline"]} {
      linalg.copy ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
      return
    }
    func.func @main(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
      call @romac_kernel_0(%a, %b) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"profile", "profile", "bool", /*default=*/"false",
           "Call romac_profile_enter(i64 K) / romac_profile_exit(i64 K) "
           "around the call of kernel K (the runtime times the layers)">,
  ];
}

def RomacParallelizeKernelsPass
    : Pass<"romac-parallelize-kernels", "::mlir::ModuleOp"> {
  let summary = "Run the kernels of element-wise and reduction ops on the "
                "runtime's worker threads";
  let description = [{
    After romac-outline-kernels, a kernel (`@romac_kernel_K`) whose
    arguments are statically shaped buffers of at least `min-bytes` in all,
    and whose body is one loop nest (besides pure ops: constants, views)
    that reaches, through loops of one iteration, a loop of several
    iterations that romac-vectorize marked `romac.parallel` (a loop of one
    of the op's parallel dims: its iterations write disjoint outputs), is
    split over the threads:

    - the kernel becomes `@romac_range_K`, with two more arguments, `begin`
      and `end` (index): its loop runs iterations [begin, end) only;
    - `@romac_chunk_K(ctx: !llvm.ptr, begin: i64, end: i64)` reads the
      buffers (their memref descriptors) from the struct at `ctx` and calls
      `@romac_range_K` on [begin, end);
    - `@romac_kernel_K`, which the calls still name (so `@main`, its
      profile hooks and its buffers' live ranges are as they were), puts
      the struct on the stack, stores the descriptors into it and calls the
      runtime's `romac_parallel_for(count, @romac_chunk_K, ctx)`
      (Kernels.h), which gives each thread a contiguous range of the
      `count` iterations (the calling thread takes the first).

    The contractions already run on the threads inside their kernels; this
    is for what romac-vectorize made of the rest (norms, activations,
    residual adds, softmax's steps, fills), which ran on one core.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"262144",
           "The least bytes of buffers a kernel reads and writes for its "
           "loop to be split over the threads">,
  ];
}

def RomacLowerToKernelsPass
    : Pass<"romac-lower-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Replace f32 matmul, batch_matmul, conv_2d_nchw_fchw, "
                "depthwise_conv_2d_nchw_chw and pooling_nchw_max on buffers "
                "by calls of romac's native kernels";
  let description = [{
    After bufferization, every `linalg.matmul`, `linalg.batch_matmul`,
    `linalg.conv_2d_nchw_fchw` and `linalg.depthwise_conv_2d_nchw_chw` on
    f32 memrefs (any strided layout: the tiles
    romac-tile-by-schedule made are subviews) with the default indexing
    maps and arithmetic becomes a call of the runtime kernel that computes
    the same thing (include/romac/Runtime/Kernels.h): `@romac_matmul_f32`,
    `@romac_batch_matmul_f32`, `@romac_conv2d_nchw_fchw_f32` with the
    strides and dilations as i64 operands and a last i64 that is 1 when the
    filter is a view of a constant `memref.global` (a weight, whose packed
    copy the kernel may keep between calls), or
    `@romac_depthwise_conv2d_nchw_chw_f32` with the strides and dilations.
    A `linalg.pooling_nchw_max` on f32 memrefs with a static 2-D window
    (generalized first), or the `linalg.generic` the importer writes for
    ONNX's MaxPool (loops n, c,
    oh, ow, kh, kw; the input read at (n, c, oh * sh + kh * dh, ow * sw +
    kw * dw); `arith.maximumf` of the output and the input), becomes `@romac_maxpool2d_nchw_f32(in, out, kh, kw, strides,
    dilations)` (the window operand only carries its shape; the kernel
    maxes into the output, NaN kept, as `arith.maximumf` does). The callees are declared
    `llvm.emit_c_interface`, so they receive pointers to memref
    descriptors. Each kernel accumulates into its output, as the linalg op
    does.

    The loops around the op (the schedule's DRAM-level tiles) stay; the
    kernel owns everything inside one tile: cache blocking, the register
    tile, the vector ISA the host has (chosen at run time) and the threads.
    A matmul or batch_matmul whose indexing maps read an input with its
    last two dims swapped (romac-fold-transposes) gets that input as a
    `memref.transpose` view. Ops of other element types, or with any other
    maps, are left for the loop lowering.

    Every `romac.attention` on buffers (romac-fuse-attention) becomes a
    call of `@romac_attention_f32(q, k, v, out, scale)`, which overwrites
    `out`; it has no loop lowering, so romac-fuse-attention runs only with
    this pass.

    With `precision=bf16` the matmuls, batch_matmuls, convolutions and
    attentions call the `_bf16` kernels instead (`@romac_matmul_bf16`, ...,
    `@romac_conv2d_nchw_fchw_fused_bf16`, `@romac_attention_bf16`): the
    same f32 operands and results, but the kernels round their operands to
    bfloat16 and sum the products in fp32 (AVX512-BF16's VDPBF16PS where
    the CPU has it). The depthwise convolution and the max pooling stay
    fp32.

    A matmul or convolution whose weight and activations hold integer codes
    of at most 8 bits (`romac.weight_code_bits` and
    `romac.activation_code_bits`, set by romac::compressModuleWeights and
    quantizeModuleActivations for `--quantize w8a8|w4a8`) calls the `_i8`
    kernels (`@romac_matmul_i8`, `@romac_conv2d_nchw_fchw_fused_i8`, ...),
    whatever the precision: exact int32 sums of byte products on
    AVX512-VNNI, the fp32 kernels elsewhere.

    Example:

    ```mlir
    linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                  outs(%c : memref<4x16xf32>)
    // becomes
    call @romac_matmul_f32(%a, %b, %c)
        : (memref<4x8xf32>, memref<8x16xf32>, memref<4x16xf32>) -> ()
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "The products of matmuls and convolutions: fp32, or bf16 "
           "(bfloat16 operands, fp32 sums: the `_bf16` kernels)">,
  ];
}

def RomacApproximateMathPass
    : Pass<"romac-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Replace f32 exp, expm1, log, log1p, log2, erf and tanh by "
                "upstream polynomial approximations";
  let description = [{
    Softmax, SiLU, GELU and the norms spend their time in a few
    transcendental functions. Lowered as they are, each element is one libm
    call and the loop stays scalar. Upstream MLIR's polynomial
    approximations (`populateMathPolynomialApproximationPatterns`) are
    plain f32 arithmetic, accurate to a few ulp, which LLVM vectorizes for
    the host's ISA. Other math ops, and other element types, are left to
    the libm lowering.

    Example:

    ```mlir
    %y = math.exp %x : f32
    // becomes arith ops (a range reduction, a polynomial, an exponent
    // shift) and no math.exp
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def RomacWeightTablePass
    : Pass<"romac-weight-table", "::mlir::ModuleOp"> {
  let summary = "Reach every weight through one table of pointers the "
                "runtime fills (for shared objects)";
  let description = [{
    Runs on the LLVM dialect, after `romac-codegen-pipeline`, when a model
    is compiled into a shared object (the artefact cache and `romac compile
    --emit-library`; the JIT binds the weight symbols directly). Every
    `llvm.mlir.addressof` of an external weight declaration
    `@romac_weight_N` (romac-externalize-weights) becomes a load of slot K
    of `@romac_weight_table`, a hidden, zero-initialized array of pointers,
    and the declarations go. The table's attribute `weights` lists the
    weights in slot order, so the runtime knows what to store in
    each slot before a run. The object then holds no reference to a weight
    symbol and no absolute address: one shared object runs with its weights
    wherever they are mapped (a packed weights file, or the ONNX file).

    Example:

    ```mlir
    llvm.mlir.global external constant @romac_weight_0() : !llvm.array<4 x f32>
    %w = llvm.mlir.addressof @romac_weight_0 : !llvm.ptr
    // becomes
    llvm.mlir.global external hidden @romac_weight_table()
        {weights = ["romac_weight_0"]} : !llvm.array<1 x ptr> { ... zero ... }
    %t = llvm.mlir.addressof @romac_weight_table : !llvm.ptr
    %s = llvm.getelementptr inbounds %t[0, 0] : (!llvm.ptr) -> !llvm.ptr,
         !llvm.array<1 x ptr>
    %w = llvm.load %s {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def RomacFuseElementwisePass
    : Pass<"romac-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuse chains of element-wise linalg.generic ops; never into "
                "a contraction";
  let description = [{
    Upstream's producer/consumer fusion of element-wise linalg ops
    (bias, activations, residual adds, the element-wise parts of norms and
    softmax fuse into one loop nest), applied only where both the producer
    and the consumer are linalg.generic ops that are neither contractions
    nor convolutions and the producer has no other use. Upstream's
    `linalg-fuse-elementwise-ops` would also fuse an element-wise producer
    into a matmul or convolution: the named op becomes a generic that
    recomputes the producer for every multiply-add, and no native kernel
    recognises it (romac-lower-to-kernels).

    Example:

    ```mlir
    %a = linalg.generic {add} ins(%x, %bias) ...
    %b = linalg.generic {max(., 0)} ins(%a) ...
    %c = linalg.matmul ins(%b, %w) ...
    // becomes one generic computing max(x + bias, 0), then the matmul
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def RomacFuseIntoContractionsPass
    : Pass<"romac-fuse-into-contractions", "::mlir::func::FuncOp"> {
  let summary = "Fold element-wise consumers that add to a contraction's "
                "result (bias, residual) into its initial value";
  let description = [{
    A matmul or convolution accumulates into its output (C += A x B). When
    its output starts as zeros (`linalg.fill` of 0.0) and its only consumer
    is an element-wise `linalg.generic` that adds terms to it (a bias, a
    residual, both: after romac-fuse-elementwise these are one generic),
    the terms are computed first and become the contraction's initial
    value. The native kernels then add their products onto them inside each
    tile, and the consumer's own pass over the whole output (read, add,
    write) is gone.

    Folded only where it is exact up to the order of the additions:
    - the contraction is a named matmul or convolution (contraction or
      convolution interface) on tensors whose init is a zero fill;
    - its result (or a `tensor.expand_shape` of it, as a 3-D MatMul's 2-D
      matmul has) has that one use;
    - the consumer is all-parallel, does not read its output's old value,
      reads the result once with the same permutation map as its output,
      and the result's element reaches the yield through `arith.addf` (or
      the left side of `arith.subf`) ops whose results have no other use.

    The rest of the consumer (its other inputs, the result's element read
    as 0) becomes a generic that computes the init; if one of its inputs is
    defined after the contraction, the contraction moves down to it.

    With `epilogues` (the default; the pipeline sets it only when
    romac-lower-to-kernels runs), the sum may then be multiplied by a
    constant (`romac.scale`: attention's 1/sqrt(d)) and go through
    `arith.maximumf` with a constant lo and / or `arith.minimumf` with a
    constant hi (ReLU, ReLU6, Clip: `romac.clamp = array<f32: lo, hi>`,
    -inf or +inf for an open side); the kernels apply both as they store
    each finished sum. Then every contraction whose output still starts as
    zeros takes the fill's tensor instead and `romac.overwrite`: the kernel
    writes the sum instead of adding it to the output's old values, so the
    zero fill's pass and the kernel's read of the output are gone (the
    UNet's attention scores: 671 MB each). Only for a matmul, batch_matmul,
    conv_2d_nchw_fchw or depthwise_conv_2d_nchw_chw on f32. Where its
    `romac.mapping` tiles a reduction loop, romac-tile-by-schedule gives the
    overwrite to the reduction's first tile only and the scale and clamp to
    its last (partial sums are neither scaled nor clamped, and no tile
    overwrites the sums of the tiles before it).
    Consumers that do anything else to the result (another activation, a
    scale) stay as they are.

    Example:

    ```mlir
    %f = linalg.fill ins(%zero) outs(%e)
    %c = linalg.conv_2d_nchw_fchw ins(%x, %w) outs(%f)
    %y = linalg.generic ins(%c, %bias, %res) { %c_i + %b_c + %r_i }
    // becomes
    %t = linalg.generic ins(%bias, %res) { 0.0 + %b_c + %r_i }
    %y = linalg.conv_2d_nchw_fchw ins(%x, %w) outs(%t)
    ```
  }];
  let options = [
    Option<"epilogues", "epilogues", "bool", /*default=*/"true",
           "Fold a constant scale and a clamping activation (ReLU, ReLU6, "
           "Clip) into romac.scale and romac.clamp, and a zero start into "
           "romac.overwrite, for the kernels">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def RomacImplicitPadsPass
    : Pass<"romac-implicit-pads", "::mlir::func::FuncOp"> {
  let summary = "A depthwise convolution reads the source of its zero-padded "
                "input copy; the kernel pads implicitly";
  let description = [{
    On buffers, a `tensor.pad` with zeros is an allocation filled with
    zeros (`linalg.fill` or `linalg.map`) and a `memref.copy` of the source
    into a subview of its interior. When such a buffer is read by one
    `linalg.depthwise_conv_2d_nchw_chw` and nothing else, in one block, the
    pad covers only rows and columns (offsets [0, 0, top, left], all of the
    batch and channels, unit strides), and nothing may write the source
    between the copy and the convolution, the convolution reads the source
    (cast to a fully dynamic strided memref: its static shapes no longer
    relate input and output) and gets `romac.input_pad = array<i64: top,
    left>`; the fill, the copy and the buffer are erased.
    romac-lower-to-kernels calls `@romac_depthwise_conv2d_nchw_chw_padded`
    for it, whose kernel treats rows and columns outside the input as zeros.
    The attribute changes what the op computes, so this pass runs only in
    the pipeline that lowers to the kernels, just before the deallocations
    are moved (the source now lives until the convolution).

    Example:

    ```mlir
    %p = memref.alloc() : memref<1x8x10x10xf32>
    linalg.fill ins(%zero : f32) outs(%p : memref<1x8x10x10xf32>)
    %i = memref.subview %p[0, 0, 1, 1] [1, 8, 8, 8] [1, 1, 1, 1]
    memref.copy %x, %i
    linalg.depthwise_conv_2d_nchw_chw ins(%p, %w) outs(%y)
    // becomes
    %c = memref.cast %x : ... to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
    linalg.depthwise_conv_2d_nchw_chw {romac.input_pad = array<i64: 1, 1>}
        ins(%c, %w) outs(%y)
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def RomacEarlyDeallocPass
    : Pass<"romac-early-dealloc", "::mlir::func::FuncOp"> {
  let summary = "Move each buffer's dealloc to just after its last use";
  let description = [{
    The ownership-based deallocation pipeline frees a block's buffers at
    the block's end, so all intermediate activations of a network stay
    allocated until `@main` returns. For every `memref.dealloc` of a
    `memref.alloc` of the same block, this pass finds the last op of the
    block that uses the buffer or a value that may alias it (every memref
    result of a user: subview, cast, collapse/expand_shape, transpose,
    transitively; uses inside nested regions count for their ancestor in
    the block) and moves the dealloc right after it. Deallocs of buffers
    from elsewhere, or whose aliases are used outside the block, stay.

    Example:

    ```mlir
    %a = memref.alloc() : memref<4xf32>
    "use"(%a) : (memref<4xf32>) -> ()
    "other"() : () -> ()
    memref.dealloc %a : memref<4xf32>
    // becomes
    %a = memref.alloc() : memref<4xf32>
    "use"(%a) : (memref<4xf32>) -> ()
    memref.dealloc %a : memref<4xf32>
    "other"() : () -> ()
    ```
  }];
}

def RomacPlanArenaPass
    : Pass<"romac-plan-arena", "::mlir::func::FuncOp"> {
  let summary = "Place a function's intermediate buffers in one arena at "
                "offsets planned from their live intervals";
  let description = [{
    Runs after `romac-early-dealloc`. A buffer that a function's body block
    allocates with a static shape and an identity layout (`memref.alloc`,
    alignment at most 64) and frees there with one `memref.dealloc` of the
    allocation itself lives from the first to the last op of the block that
    uses it or a value that may alias it (every memref result of a user or
    of an op enclosing a user, every memref argument of a region of a user,
    transitively; a use inside a loop counts for the whole loop). All such
    buffers become `memref.view`s of one arena, `memref.alloc` of i8 with
    alignment 64 at the start of the block, freed before its terminator;
    their deallocs go. Buffers with dynamic shapes, buffers an alias of
    which is returned, freed, used outside the block or turned into an
    address keep their own allocation.

    The offsets come from the greedy-by-size planner of TFLite and ONNX
    Runtime: largest buffer first, each at the start of the smallest gap
    between the already placed buffers that overlap it in time, else above
    them; offsets and sizes are multiples of 64 bytes. The function gets
    `romac.arena_bytes` (the arena's size) and `romac.arena_lower_bound`
    (the most bytes live at one time: no arena can be smaller), and with
    `remarks` a remark saying the same.

    Example:

    ```mlir
    %a = memref.alloc() : memref<16xf32>
    "use"(%a) : (memref<16xf32>) -> ()
    memref.dealloc %a : memref<16xf32>
    %b = memref.alloc() : memref<16xf32>
    "use"(%b) : (memref<16xf32>) -> ()
    memref.dealloc %b : memref<16xf32>
    // becomes (the two live at different times, so they share bytes)
    %arena = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
    %a = memref.view %arena[%c0][] : memref<64xi8> to memref<16xf32>
    "use"(%a) : (memref<16xf32>) -> ()
    %b = memref.view %arena[%c0][] : memref<64xi8> to memref<16xf32>
    "use"(%b) : (memref<16xf32>) -> ()
    memref.dealloc %arena : memref<64xi8>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark with the arena's size, the number of buffers and "
           "the lower bound">,
  ];
}

def RomacCheckIndicesPass
    : Pass<"romac-check-indices", "::mlir::ModuleOp"> {
  let summary = "Check every index a tensor.extract reads at and every "
                "integer divisor that are computed from the data";
  let description = [{
    A `tensor.extract` whose index depends on the data (a Gather's
    indices, read from an input of the linalg.generic that is not a
    constant) would read outside its tensor when the data holds an index
    out of range: undefined behaviour, in practice a crash or garbage. Each
    such index goes through `romac_check_index(index, size)` (Kernels.h),
    which returns it when it lies in [0, size) and otherwise returns 0 (a
    safe index) and records it, so the run ends with an error naming the
    index and the axis size. An index that is ONNX's wrap of a negative
    one, `select(x < 0, x + size, x)` (the importer's Gather), is checked
    as x in [-size, size) and wrapped by the call (`wraps` = 1), so the
    error names the index the data holds. Indices built only from `linalg.index`,
    constants and constant inputs (Resize's index tables, a constant
    Gather's) are left alone: they are in range by construction.

    Likewise an integer division or remainder (`arith.divsi`, `divui`,
    `remsi`, `remui`, `ceildivsi`, `floordivsi`) whose divisor depends on
    the data: its divisor goes through `romac_check_divisor(d)`, which
    returns d when it is not zero and otherwise 1, recording the error (a
    zero divisor traps on x86 and ends the process).

    Example:

    ```mlir
    %i = arith.index_cast %id : i64 to index
    %v = tensor.extract %table[%i, %j] : tensor<49408x1024xf32>
    // becomes
    %c = arith.constant 49408 : i64
    %k = arith.index_cast %i : index to i64
    %w = arith.constant 0 : i64
    %ok = func.call @romac_check_index(%k, %c, %w) : (i64, i64, i64) -> i64
    %i2 = arith.index_cast %ok : i64 to index
    %v = tensor.extract %table[%i2, %j] : tensor<49408x1024xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def RomacFoldTransposesPass
    : Pass<"romac-fold-transposes", "::mlir::ModuleOp"> {
  let summary = "Fold a transpose of a matmul's operand into its indexing "
                "map";
  let description = [{
    A `linalg.transpose` that swaps the last two dims of an operand of a
    `linalg.matmul` or `linalg.batch_matmul` (ONNX Gemm with transB = 1,
    attention's K^T) and has no other use is removed: the op reads the
    transpose's input through an indexing map with the two dims swapped,
    and keeps its other attributes (the schedule's mapping; the loop dims do
    not change). Without it, the transposed copy (for a fully connected
    layer, all of its weights) is made on every run.

    Example:

    ```mlir
    %t = linalg.transpose ins(%w : tensor<16x8xf32>) outs(%e : tensor<8x16xf32>)
           permutation = [1, 0]
    %y = linalg.matmul ins(%a, %t : tensor<4x8xf32>, tensor<8x16xf32>) ...
    // becomes
    %y = linalg.matmul indexing_maps = [(m, n, k) -> (m, k),
                                        (m, n, k) -> (n, k),
                                        (m, n, k) -> (m, n)]
           ins(%a, %w : tensor<4x8xf32>, tensor<16x8xf32>) ...
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def RomacFuseAttentionPass
    : Pass<"romac-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Replace Q K^T, scale, softmax and the product with V by "
                "one romac.attention";
  let description = [{
    Attention as ONNX graphs write it (MatMul of Q and K^T, Mul by a
    constant, Softmax over the keys, MatMul by V) stores the scores, a
    [B, M, N] tensor (the SD2 UNet's first self-attention: 10 x 4096 x 4096
    floats, 671 MB), which the scale, each step of the softmax and the
    second product read again (the scale, the exp and the quotient also
    write a new one). `romac.attention`
    computes the same values block by block with an online softmax in the
    runtime's kernel, so the scores never leave the cache.

    Matched, on tensors after romac-fold-transposes:
    - `linalg.batch_matmul` of Q [B, M, D] and K [B, N, D] read transposed
      (the map romac-fold-transposes writes), its init a zero fill;
    - optionally an element-wise `linalg.generic` multiplying it by a
      constant (splat tensor or scalar), the scale; without one it is 1;
    - the softmax over the last dim as the importer writes it: a max
      reduction (init -inf or the lowest float; `arith.maximumf` or
      `maxnumf`) and an `expand_shape` to [B, M, 1], `exp(x - max)`, a sum
      reduction (init 0) and its `expand_shape`, the quotient;
    - `linalg.batch_matmul` of the quotient and V [B, N, DV] with default
      maps, its init a zero fill;
    - at batch 1, where the importer writes each product as a 2-D
      `linalg.matmul` of `collapse_shape` views (K^T a `linalg.transpose`
      of K [1, N, D], or K read transposed) and expands its result back to
      3-D, the same chain over those views;
    - every intermediate used only inside the chain, and both products
      left untiled by their `#romac.mapping` (with `over-tiles`, any
      mapping that fits the op: the kernel's blocks replace the schedule's
      tiles; the host target's last-level cache tiles are coarser).

    An additive mask (CLIP's causal mask), a scale on Q and K instead of the
    scores, or any other use of the scores leaves the chain as it is.

    Example:

    ```mlir
    %s = linalg.batch_matmul indexing_maps = [..., K^T, ...]
           ins(%q, %k) outs(%zero_bmn)
    %x = linalg.generic ins(%s, %c) { %s_i * %c }
    %p = <softmax of %x over dim 2>
    %o = linalg.batch_matmul ins(%p, %v) outs(%zero_bmdv)
    // becomes
    %e = tensor.empty() : tensor<BxMxDVxf32>
    %o = romac.attention ins(%q, %k, %v : ...) outs(%e : ...)
           {scale = c : f32} -> tensor<BxMxDVxf32>
    ```
  }];
  let options = [
    Option<"overTiles", "over-tiles", "bool", /*default=*/"false",
           "Fuse chains whose products the schedule tiles too (the "
           "kernel's blocks replace the tiles)">,
  ];
  let dependentDialects = ["::romac::RomacDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ROMAC_CODEGEN_PASSES_TD
