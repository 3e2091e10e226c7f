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

def Romac_TargetAttr : Romac_Attr<"Target", "target"> {
  let summary = "Names the accelerator and memory configuration compiled for";
  let description = [{
    `#romac.target<"NAME">` names a target description: a YAML file shipped
    in romac's `targets/` folder (`edge-npu-lpddr4`, `romanet-ddr3`, ...) or
    given by the user. It is attached to the module as `romac.target`; the
    tile search and the DRAM model read the named description.

    A target is named by the base name of its YAML file (letters, digits,
    `-`, `_`, `.`) or by a path to one (which may also contain `/`).

    Example:

    ```mlir
    module attributes {romac.target = #romac.target<"romanet-ddr3">} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"target name">:$name);
  let assemblyFormat = "`<` $name `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True if `name` is a well-formed target name.
    static bool isValidName(::llvm::StringRef name);
  }];
}

def Romac_MappingAttr : Romac_Attr<"Mapping", "mapping"> {
  let summary = "The tile mapping the search chose for one contraction";
  let description = [{
    Attached by `romac-tile-search` to every contraction as `romac.mapping`.
    It records the DRAM->SRAM level of the schedule: the reuse scheme, the
    tile size of every loop dim (the full bound when a dim is not tiled), the
    tile loop order, outermost first, and the spatial mapping (which dims are
    unrolled on the PE array's rows and columns; an empty list or a missing
    axis means that axis is unused), using the dim names of the layer's
    workload (`romac-test-print-workloads` prints them).

    Example:

    ```mlir
    %0 = linalg.conv_2d_nchw_fchw {romac.mapping = #romac.mapping<
           reuse = weight_stationary,
           tile = {C = 64 : i64, K = 32 : i64, N = 1 : i64, P = 16 : i64,
                   Q = 64 : i64, R = 3 : i64, S = 3 : i64},
           order = ["K", "C", "P", "Q", "N", "R", "S"],
           spatial = {cols = "C", rows = "K"}>} ...
    ```

    The verifier checks that tiles are positive, that `order` names each
    tiled dim exactly once and that the spatial dims are tiled dims.
  }];
  let parameters = (ins "::romac::ReuseSchemeAttr":$reuse,
                        "::mlir::DictionaryAttr":$tile,
                        "::mlir::ArrayAttr":$order,
                        "::mlir::DictionaryAttr":$spatial);
  let assemblyFormat = "`<` `reuse` `=` $reuse `,` `tile` `=` $tile `,` `order` `=` $order `,` `spatial` `=` $spatial `>`";
  let genVerifyDecl = 1;
}

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_TD
