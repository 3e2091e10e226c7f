//===- RomacOps.td - romac operation definitions -----------*- tablegen -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The program stays in upstream dialects, annotated with the attributes of
// RomacAttrs.td, except where no upstream op says what romac computes as
// one step: scaled dot-product attention with its softmax (romac.attention,
// romac-fuse-attention), which the runtime computes block by block without
// storing the scores.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD
#define ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD

include "romac/Dialect/Romac/IR/RomacDialect.td"
include "romac/Dialect/Romac/IR/RomacAttrs.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Romac_AttentionOp : Romac_Op<"attention", [
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<BufferizableOpInterface,
        ["bufferizesToMemoryRead", "bufferizesToMemoryWrite",
         "getAliasingValues", "bufferize"]>]> {
  let summary = "scaled dot-product attention, softmax over the keys";
  let description = [{
    For every batch element b, query row i and value column c:

      out[b, i, c] = sum_j softmax_j(scale * sum_k query[b, i, k] * key[b, j, k])
                     * value[b, j, c]

    with query `[B, M, D]`, key `[B, N, D]`, value `[B, N, DV]` and the
    destination `[B, M, DV]`, all f32, all tensors (with one result, the
    destination's type) or all memrefs (no result).

    Rank 4 keeps the heads in the operands' layout: query `[B, M, H, D]`,
    key `[B, N, H, D]`, value `[B, N, H, DV]`, destination `[B, M, H, DV]`,
    and every (b, h) is one attention over its rows:

      out[b, i, h, c] = sum_j softmax_j(scale * sum_k query[b, i, h, k]
                        * key[b, j, h, k]) * value[b, j, h, c]

    which is the layout of a projection's output `[B, S, H * D]` before the
    importer's reshape and transpose split it into heads: the split and the
    merge of the result need no copies. The destination's
    values are not read: it is overwritten. The softmax is the ONNX
    operator's (max subtracted, exp, divided by the sum); how it is computed
    is the lowering's: the runtime's kernel takes it online, block of keys by
    block of keys, so the `[M, N]` scores are never stored whole.

    ```mlir
    %o = romac.attention ins(%q, %k, %v : tensor<2x4096x64xf32>,
             tensor<2x4096x64xf32>, tensor<2x4096x64xf32>)
           outs(%init : tensor<2x4096x64xf32>) {scale = 0.125 : f32}
           -> tensor<2x4096x64xf32>
    ```
  }];
  let arguments = (ins AnyShaped:$query, AnyShaped:$key, AnyShaped:$value,
                       AnyShaped:$init, F32Attr:$scale);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
    type($value) `)` `outs` `(` $init `:` type($init) `)` attr-dict
    (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
  }];
}

#endif // ROMAC_DIALECT_ROMAC_IR_ROMACOPS_TD
