//===- Passes.td - romac pass definitions ------------------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_TD
#define ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RomacAttachTargetPass : Pass<"romac-attach-target", "::mlir::ModuleOp"> {
  let summary = "Attach the target's description, `#romac.target<NAME, {...}>`, to the module";
  let description = [{
    Records the target the module is compiled for as the `romac.target`
    module attribute: the pass resolves the name (a file in `targets/`, a
    path, or `host` for the CPU the pass runs on), validates the description
    and stores it in the attribute, the YAML document as a dictionary. Later
    stages (tile search, DRAM layout) read that description, not the file.
    An existing `romac.target` is replaced. A malformed name, an unknown
    target or an invalid description is an error that names it.

    `quantize`, `weight-sharing` and `prune` add a `compression` section to
    the description (docs/compression.md): the target as compiled for
    quantized, shared or pruned weights.

    Example:

    ```mlir
    // romac-opt --romac-attach-target=target=edge-npu-lpddr4
    module {}
    // becomes
    module attributes {romac.target = #romac.target<"edge-npu-lpddr4", {
        compute = {..., rows = 32 : i64}, dram = {...}, memories = [...],
        name = "edge-npu-lpddr4"}>} {}
    ```
  }];
  let dependentDialects = ["::romac::RomacDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"edge-npu-lpddr4\"",
           "Name of the target description (a file in targets/ or a path)">,
    Option<"quantize", "quantize", "std::string", /*default=*/"\"\"",
           "Quantize to w8a8, w8a16, w4a16 or w4a8 (docs/compression.md)">,
    Option<"weightSharing", "weight-sharing", "unsigned", /*default=*/"0",
           "Share K weights per layer (a power of two >= 2; 0: none)">,
    Option<"prune", "prune", "std::string", /*default=*/"\"\"",
           "Prune a ratio in (0, 1) of the weights by magnitude, or 2:4">,
  ];
}

def RomacCompressWeightsPass : Pass<"romac-compress-weights", "::mlir::ModuleOp"> {
  let summary = "Replace every contraction's constant weight by what its compressed form stands for";
  let description = [{
    What a compressed network computes, in f32 (docs/compression.md,
    "Running compressed"): each contraction's constant weight, traced back
    through transposes and reshapes, is pruned (`prune`: a ratio by
    magnitude over the layer, or 2:4 along the reduction), shared
    (`weight-sharing`: k-means of the kept weights into K centroids) and
    quantized (`quantize`: symmetric per output channel to the spec's weight
    bits, or the shared codebook per tensor); with `quantize` the
    activations the weighted contractions read are rounded to the spec's
    activation bits, one scale per tensor from its own max |x| at run time.
    `romac run --quantize ...` runs it to measure a lever's output error.

    Example:

    ```mlir
    // romac-opt --romac-compress-weights="quantize=w4a8 prune=2:4"
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"quantize", "quantize", "std::string", /*default=*/"\"\"",
           "w8a8, w8a16, w4a16 or w4a8 (the weight bits are used)">,
    Option<"weightSharing", "weight-sharing", "unsigned", /*default=*/"0",
           "K shared weights per layer (0: none)">,
    Option<"prune", "prune", "std::string", /*default=*/"\"\"",
           "a ratio in (0, 1) by magnitude, or 2:4">,
  ];
}

def RomacTileSearchPass : Pass<"romac-tile-search", "::mlir::ModuleOp"> {
  let summary = "Search the tiling of every contraction against the target";
  let description = [{
    For every contraction of the module (see `romac-test-print-workloads`)
    searches, per layer, the loop order (reuse scheme), the DRAM->SRAM tile
    sizes within every on-chip buffer of the target named by the module's
    `romac.target`, and the spatial mapping onto the PE array, minimising
    `objective` under the reuse `policy`. Identical workloads are searched
    once; the search is exact over a pruned space (docs/search.md) and
    deterministic. It runs on the context's thread pool
    (`--mlir-disable-threading` searches on one thread; the result is the
    same). The result is attached to each op as `romac.mapping`, indexed by
    the op's loops (tiles in iteration order, the order as loop indices).
    Operands take the target's data types (bytes per element).

    A layer whose tiles cannot fit a buffer is an error naming the layer, the
    operand, the buffer and the smallest footprint.

    Example:

    ```mlir
    // romac-opt --romac-attach-target=target=romanet-ddr3 --romac-tile-search
    %2 = linalg.conv_2d_nchw_fchw {romac.mapping = #romac.mapping<
           reuse = weight_stationary,
           tile = array<i64: 1, 32, 16, 64, 64, 3, 3>,
           order = array<i64: 1, 4, 2, 3, 0, 5, 6>,
           spatial_rows = 1, spatial_cols = 4>, ...}
    ```
  }];
  let dependentDialects = ["::romac::RomacDialect"];
  let options = [
    Option<"objective", "objective", "::romac::Objective",
           /*default=*/"::romac::Objective::Energy",
           "What to minimise: energy, edp, latency or dram-accesses",
           "::romac::enumClValues(::romac::kObjectiveNames)">,
    Option<"policy", "policy", "::romac::ReusePolicy",
           /*default=*/"::romac::ReusePolicy::Adaptive",
           "Reuse policy: adaptive, input-stationary, weight-stationary or "
           "output-stationary",
           "::romac::enumClValues(::romac::kReusePolicyNames)">,
  ];
}

def RomacDramSearchPass : Pass<"romac-dram-search", "::mlir::ModuleOp"> {
  let summary = "DRAM-aware search: tiling, tensor layouts, address mapping "
                "and (optionally) layer fusion against the row-buffer model";
  let description = [{
    The DRAM-aware counterpart of `romac-tile-search` (docs/dram-model.md):
    for the contractions of the module, chooses per layer the tiling and loop
    order, per operand the DRAM layout, and for the network one address
    mapping, minimising DRAM energy as the row-buffer model of the module's
    `romac.target` computes it; producers and consumers agree on layouts or
    pay a re-layout. With `fuse`, chains of convolutions whose intermediates
    nothing else reads then run as row-band groups that keep them on chip
    (docs/fusion.md). `romac compile --dram` / `--fuse` run the same code.

    Every contraction gets `romac.mapping` (its DRAM-aware tiling) and
    `romac.dram = {address_mapping = "...", layouts = [#romac.layout<...>,
    ...]}` (one typed layout per operand). With `fuse`, every layer of a
    fused group gets `romac.fused_group = N : i64`, and its `romac.dram` the
    group's layouts (`#romac.layout<on_chip>` for the intermediates) and
    `band_rows`; groups of an earlier run are dropped.

    Example:

    ```mlir
    // romac-opt --romac-attach-target=target=romanet-ddr3 \
    //           --romac-dram-search=fuse=true
    %2 = linalg.conv_2d_nchw_fchw {romac.dram = {address_mapping = "romanet",
           band_rows = 28 : i64, layouts = [
             #romac.layout<row_major, order = array<i64: 2, 0, 1, 3>, base = 0x0>,
             #romac.layout<row_major, order = array<i64: 0, 1, 2, 3>, base = 0x1a000>,
             #romac.layout<on_chip>]},
           romac.fused_group = 0 : i64, romac.mapping = #romac.mapping<...>}
    ```
  }];
  let dependentDialects = ["::romac::RomacDialect"];
  let options = [
    Option<"objective", "objective", "::romac::Objective",
           /*default=*/"::romac::Objective::Energy",
           "Objective of the candidate tilings' search: energy, edp, latency "
           "or dram-accesses",
           "::romac::enumClValues(::romac::kObjectiveNames)">,
    Option<"policy", "policy", "::romac::ReusePolicy",
           /*default=*/"::romac::ReusePolicy::Adaptive",
           "Reuse policy: adaptive, input-stationary, weight-stationary or "
           "output-stationary",
           "::romac::enumClValues(::romac::kReusePolicyNames)">,
    Option<"mapping", "mapping", "std::string", /*default=*/"\"\"",
           "Fix the address mapping (romanet, drmap, row-interleaved or a "
           "field order such as RoBaRaCoCh); empty: chosen">,
    Option<"fuse", "fuse", "bool", /*default=*/"false",
           "Fuse chains of convolutions (row bands, intermediates on chip)">,
    Option<"dramObjective", "dram-objective", "::romac::DramObjective",
           /*default=*/"::romac::DramObjective::DramEnergy",
           "What the DRAM-aware search and fusion minimise: dram-energy, "
           "dram-edp, energy, edp, latency or dram-accesses",
           "::romac::enumClValues(::romac::kDramObjectiveNames)">,
  ];
}

#endif // ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_TD
