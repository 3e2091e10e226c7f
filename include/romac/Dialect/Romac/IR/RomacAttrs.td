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

class Romac_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Romac_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Romac_TargetAttr : Romac_Attr<"Target", "target"> {
  let summary = "Names the accelerator and memory configuration compiled for";
  let description = [{
    `#romac.target<"NAME">` names a target description: a YAML file shipped
    in romac's `targets/` folder (`edge-npu-lpddr4`, `romanet-ddr3`, ...) or
    given by the user. It is attached to the module as `romac.target`; the
    tile search and the DRAM model read the named description.

    A target name is a non-empty run of letters, digits, `-`, `_` and `.`
    (the base name of its YAML file).

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

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACATTRS_TD
