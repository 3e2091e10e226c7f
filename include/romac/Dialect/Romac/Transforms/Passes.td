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
  let summary = "Attach `#romac.target<NAME>` to the module";
  let description = [{
    Records which target description the module is compiled for by setting
    the `romac.target` module attribute. Later stages (tile search, DRAM
    layout) read it. An existing `romac.target` is replaced. A malformed name
    is an error that names the option.

    Example:

    ```mlir
    // romac-opt --romac-attach-target=target=edge-npu-lpddr4
    module {}
    // becomes
    module attributes {romac.target = #romac.target<"edge-npu-lpddr4">} {}
    ```
  }];
  let dependentDialects = ["::romac::RomacDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"edge-npu-lpddr4\"",
           "Name of the target description (a file in targets/ or a path)">,
  ];
}

#endif // ROMAC_DIALECT_ROMAC_TRANSFORMS_PASSES_TD
