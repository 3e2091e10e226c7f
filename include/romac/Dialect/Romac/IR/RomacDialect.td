//===- RomacDialect.td - romac dialect definition ----------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_TD
#define ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_TD

include "mlir/IR/OpBase.td"

def Romac_Dialect : Dialect {
  let name = "romac";
  let cppNamespace = "::romac";
  let summary = "Memory-aware compilation of neural networks for edge accelerators";
  let description = [{
    The `romac` dialect carries the decisions of the romac compiler on top of
    upstream `linalg`/`tensor` IR: which accelerator a module is compiled for
    (`#romac.target`), and, as the compiler grows, the tile mapping of every
    contraction and the DRAM placement of every tensor.

    The dialect holds no computation of its own: the imported program stays in
    upstream dialects and romac attaches attributes to it.

    Example:

    ```mlir
    module attributes {romac.target = #romac.target<"edge-npu-lpddr4">} {
      func.func @main(%arg0: tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xf32> {
        return %arg0 : tensor<1x3x224x224xf32>
      }
    }
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes of RomacAttrs.td (defined in RomacAttrs.cpp,
    /// where their storage classes are complete).
    void registerAttributes();

    /// Name of the op attribute that holds a contraction's tile mapping.
    static constexpr ::llvm::StringLiteral getMappingAttrName() {
      return ::llvm::StringLiteral("romac.mapping");
    }
    /// Name of the module attribute that names the compilation target.
    static constexpr ::llvm::StringLiteral getTargetAttrName() {
      return ::llvm::StringLiteral("romac.target");
    }
    /// Name of the op attribute with a contraction's DRAM placement: a
    /// dictionary {address_mapping = string, layouts = [#romac.layout per
    /// operand], band_rows = i64 (fused layers)}.
    static constexpr ::llvm::StringLiteral getDramAttrName() {
      return ::llvm::StringLiteral("romac.dram");
    }
    /// Name of the op attribute with the index (i64) of the fused group a
    /// contraction runs in.
    static constexpr ::llvm::StringLiteral getFusedGroupAttrName() {
      return ::llvm::StringLiteral("romac.fused_group");
    }
    /// Name of the op attribute a contraction tiled by
    /// romac-tile-by-schedule keeps its #romac.mapping under.
    static constexpr ::llvm::StringLiteral getTiledMappingAttrName() {
      return ::llvm::StringLiteral("romac.tiled_mapping");
    }
    /// Name of the attribute of an external memref.global that holds the
    /// weight data the runtime binds its symbol to
    /// (romac-externalize-weights).
    static constexpr ::llvm::StringLiteral getWeightAttrName() {
      return ::llvm::StringLiteral("romac.weight");
    }
    /// Names of the function attributes (i64) romac-plan-arena sets: the
    /// bytes of the arena that holds the function's intermediate buffers,
    /// and the most bytes of them live at one time.
    static constexpr ::llvm::StringLiteral getArenaBytesAttrName() {
      return ::llvm::StringLiteral("romac.arena_bytes");
    }
    static constexpr ::llvm::StringLiteral getArenaLowerBoundAttrName() {
      return ::llvm::StringLiteral("romac.arena_lower_bound");
    }
    /// Name of the op attribute (array<f32: lo, hi>) of a matmul or
    /// convolution whose result is clamped to [lo, hi] once its sum is
    /// complete (romac-fuse-into-contractions: ReLU, ReLU6, Clip; -inf or
    /// +inf for an open side).
    static constexpr ::llvm::StringLiteral getClampAttrName() {
      return ::llvm::StringLiteral("romac.clamp");
    }
    /// Name of the op attribute (f32) of a matmul or convolution whose
    /// finished sum is multiplied by it before any clamp (attention's
    /// 1/sqrt(d)).
    static constexpr ::llvm::StringLiteral getScaleAttrName() {
      return ::llvm::StringLiteral("romac.scale");
    }
    /// Name of the op attribute (unit) of a matmul or convolution that
    /// ignores its output's old values: out = the sum, not out + the sum
    /// (its output started as zeros; the zero fill is gone).
    static constexpr ::llvm::StringLiteral getOverwriteAttrName() {
      return ::llvm::StringLiteral("romac.overwrite");
    }
    /// Name of the op attribute (array<i64: top, left>) of a depthwise
    /// convolution on buffers whose input is implicitly zero-padded
    /// (romac-implicit-pads): its window starts `top` rows above and `left`
    /// columns left of the input, which it reads unpadded; only
    /// romac-lower-to-kernels knows it, so the pass runs only before it.
    static constexpr ::llvm::StringLiteral getInputPadAttrName() {
      return ::llvm::StringLiteral("romac.input_pad");
    }
    /// Names of the op attributes (i64) of a contraction whose weight and
    /// whose activations hold integer codes of that many bits
    /// (romac::compressModuleWeights, quantizeModuleActivations): with
    /// both at most 8, romac-lower-to-kernels calls the `_i8` kernels.
    static constexpr ::llvm::StringLiteral getWeightCodeBitsAttrName() {
      return ::llvm::StringLiteral("romac.weight_code_bits");
    }
    static constexpr ::llvm::StringLiteral getActivationCodeBitsAttrName() {
      return ::llvm::StringLiteral("romac.activation_code_bits");
    }
    /// Name of the unit attribute of an scf.for whose iterations are
    /// independent (romac-vectorize marks the loops of an op's parallel
    /// dims), which romac-parallelize-kernels may split over the threads.
    static constexpr ::llvm::StringLiteral getParallelAttrName() {
      return ::llvm::StringLiteral("romac.parallel");
    }
  }];
}

class Romac_Op<string mnemonic, list<Trait> traits = []>
    : Op<Romac_Dialect, mnemonic, traits>;

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACDIALECT_TD
