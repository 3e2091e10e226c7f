//===- RomacAttrs.td - romac attribute definitions ---------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_TD
#define ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_TD

include "romac/Dialect/Romac/IR/RomacDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Romac_ReuseScheme : I32EnumAttr<"ReuseScheme",
    "the operand classes a tiling fetches once per tile", [
  I32EnumAttrCase<"Mixed", 0, "mixed">,
  I32EnumAttrCase<"InputStationary", 1, "input_stationary">,
  I32EnumAttrCase<"WeightStationary", 2, "weight_stationary">,
  I32EnumAttrCase<"InputWeightStationary", 3, "input_weight_stationary">,
  I32EnumAttrCase<"OutputStationary", 4, "output_stationary">,
  I32EnumAttrCase<"InputOutputStationary", 5, "input_output_stationary">,
  I32EnumAttrCase<"WeightOutputStationary", 6, "weight_output_stationary">,
  I32EnumAttrCase<"InputWeightOutputStationary", 7,
                  "input_weight_output_stationary">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::romac";
}

class Romac_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Romac_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Romac_DramLayoutKind : I32EnumAttr<"DramLayoutKind",
    "how a contraction's operand is placed", [
  I32EnumAttrCase<"RowMajor", 0, "row_major">,
  I32EnumAttrCase<"Blocked", 1, "blocked">,
  I32EnumAttrCase<"OnChip", 2, "on_chip">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::romac";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Romac_ReuseSchemeAttr : EnumAttr<Romac_Dialect, Romac_ReuseScheme, "reuse"> {
  let summary = "The reuse scheme of a tiling";
  let description = [{
    Which operand classes (input, weight, output) a DRAM-level tiling
    fetches exactly once per tile: the classes whose tiles stay resident
    while the loops they do not depend on run. The value is a bit set
    (input 1, weight 2, output 4); `mixed` means that every class is
    revisited. The search's labels map onto it one to one:
    `"weight-stationary"` is `weight_stationary`, `"input+weight-stationary"`
    is `input_weight_stationary` (getReuseSchemeLabel(),
    parseReuseSchemeLabel()).

    Example:

    ```mlir
    func.func @f() attributes {reuse = #romac<reuse weight_stationary>}
    ```
  }];
}

/// A #romac<reuse ...> parameter, printed as the bare keyword (the enum
/// attribute's own printer starts with a space).
def Romac_ReuseSchemeParameter
    : AttrParameter<"::romac::ReuseSchemeAttr", "reuse scheme"> {
  let printer = "$_printer << ::romac::stringifyReuseScheme($_self.getValue())";
}

def Romac_TargetAttr : Romac_Attr<"Target", "target"> {
  let summary = "The accelerator and memory configuration compiled for";
  let description = [{
    `#romac.target<"NAME", {...}>` is the target description the module is
    compiled for, carried in the IR: NAME, and the description itself as a
    dictionary that mirrors the target's YAML (docs/targets.md) key for key,
    with numbers as integers or floats and text as strings. It is attached to
    the module as `romac.target` by `romac-attach-target`, which resolves
    NAME (a YAML file in romac's `targets/` folder, a path to one, or `host`,
    the CPU the pass runs on) and validates it. The tile search, the DRAM
    search and the schedule read the description from the attribute, so a
    module compiles the same wherever it is processed: a module compiled for
    `host` keeps the caches of the machine that attached it.

    The description may be left out (`#romac.target<"NAME">`, convenient in
    hand-written tests); NAME is then resolved when a pass reads it.

    A target is named by the base name of its YAML file (letters, digits,
    `-`, `_`, `.`) or by a path to one (which may also contain `/`).

    Example:

    ```mlir
    module attributes {romac.target = #romac.target<"romanet-ddr3", {
        compute = {cols = 4 : i64, frequency_mhz = 200 : i64, ...},
        dram = {channels = 1 : i64, ...}, memories = [...],
        name = "romanet-ddr3"}>} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"target name">:$name,
                        OptionalParameter<"::mlir::DictionaryAttr">:$description);
  let assemblyFormat = "`<` $name (`,` $description^)? `>`";
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::llvm::StringRef":$name), [{
      return $_get($_ctxt, name, ::mlir::DictionaryAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// True if `name` is a well-formed target name.
    static bool isValidName(::llvm::StringRef name);

    /// The attribute for target `name` whose description is the YAML
    /// document `yaml` (mappings become dictionaries, sequences arrays,
    /// integer and float scalars IntegerAttr / FloatAttr, other scalars
    /// strings). Fails on YAML that does not parse.
    static ::llvm::Expected<TargetAttr>
    getFromYaml(::mlir::MLIRContext *ctx, ::llvm::StringRef name,
                ::llvm::StringRef yaml);

    /// The description as a YAML document that parses to the same values
    /// (floats are written with enough digits to read back exactly); empty
    /// when the attribute has no description.
    std::string getDescriptionYaml() const;
  }];
}

def Romac_MappingAttr : Romac_Attr<"Mapping", "mapping"> {
  let summary = "The tile mapping the search chose for one contraction";
  let description = [{
    Attached by `romac-tile-search` and `romac-dram-search` to every
    contraction as `romac.mapping`: the DRAM->SRAM level of the schedule, as
    IREE's `lowering_config` records a tiling, indexed by the linalg op's
    loops (loop `i` is position `i`, the order of the op's iteration space and
    of the layer's workload dims that `romac-test-print-workloads` prints):

    - `reuse`: the reuse scheme (`#romac<reuse ...>`);
    - `tile`: the tile size of every loop, in iteration order (the full bound
      when a loop is not tiled);
    - `order`: the tile loops, outermost first, as loop indices (a
      permutation of all loops);
    - `spatial_rows`, `spatial_cols` (optional): the loop unrolled on the PE
      array's rows and on its columns; absent when that axis is unused.

    Example (a `linalg.conv_2d_nchw_fchw`, loops N K P Q C R S):

    ```mlir
    %0 = linalg.conv_2d_nchw_fchw {romac.mapping = #romac.mapping<
           reuse = weight_stationary,
           tile = array<i64: 1, 32, 16, 64, 64, 3, 3>,
           order = array<i64: 1, 4, 2, 3, 0, 5, 6>,
           spatial_rows = 1, spatial_cols = 4>} ...
    ```

    The attribute's verifier checks that tiles are positive, that `order` is
    a permutation of the loops and that the spatial loops are distinct loops.
    Attached to an op (`romac.mapping`, `romac.tiled_mapping`), the dialect
    checks that the op is a linalg op with one tile per loop and, for
    `romac.mapping`, that no tile exceeds its loop's static bound.
  }];
  let parameters = (ins Romac_ReuseSchemeParameter:$reuse,
                        "::mlir::DenseI64ArrayAttr":$tile,
                        "::mlir::DenseI64ArrayAttr":$order,
                        OptionalParameter<"std::optional<int64_t>">:$spatialRows,
                        OptionalParameter<"std::optional<int64_t>">:$spatialCols);
  let assemblyFormat = [{
    `<` `reuse` `=` $reuse `,` `tile` `=` custom<I64Array>($tile) `,`
    `order` `=` custom<OrderAndSpatial>($order, $spatialRows, $spatialCols)
    `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Checks the mapping against the linalg op \p op it is attached to: one
    /// tile per loop and, with \p checkBounds, no tile over the loop's
    /// static bound. The error names the attribute \p name.
    ::mlir::LogicalResult verifyForOp(::mlir::Operation *op,
                                      ::llvm::StringRef name,
                                      bool checkBounds) const;
  }];
}

def Romac_LayoutAttr : Romac_Attr<"Layout", "layout"> {
  let summary = "The DRAM placement of one operand of a contraction";
  let description = [{
    One entry of the `layouts` of `romac.dram` (set by `romac-dram-search`),
    per operand of the contraction in the workload's operand order (the
    op's inputs, then its init): the tensor's DRAM layout as the DRAM model
    costed it (`TensorLayout`, docs/dram-model.md), or `on_chip` for the
    intermediate of a fused group that never reaches DRAM.

    - `row_major`: `order` lists the tensor dims outermost first (the last
      is contiguous);
    - `blocked`: tile-blocked, `block` elements per tensor dim, `order`
      ordering both the blocks and the elements inside a block;
    - `base`: the byte address of the first element.

    Example:

    ```mlir
    romac.dram = {address_mapping = "romanet", band_rows = 28 : i64,
                  layouts = [#romac.layout<row_major, order = array<i64: 2, 0, 1, 3>, base = 0x0>,
                             #romac.layout<blocked, block = array<i64: 16, 8, 3, 3>, order = array<i64: 0, 1, 2, 3>, base = 0x1a000>,
                             #romac.layout<on_chip>]}
    ```

    The verifier checks that an on-chip operand has no order, block or base,
    that a DRAM layout has an order that is a permutation of the tensor dims
    and a base, and that a blocked layout (only) has one positive block size
    per dim.
  }];
  let parameters = (ins
      EnumParameter<Romac_DramLayoutKind>:$kind,
      OptionalParameter<"::mlir::DenseI64ArrayAttr">:$block,
      OptionalParameter<"::mlir::DenseI64ArrayAttr">:$order,
      OptionalParameter<"std::optional<uint64_t>">:$base);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_TD
