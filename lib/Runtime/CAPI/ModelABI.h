//===- ModelABI.h - between romac's compiler and a model library -*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The contract between the code romac generates (lib/Runtime/JIT/
// SharedObject.cpp), the model runtime linked next to it into every shared
// object (ModelRuntime.cpp, which implements include/romac-c/romac.h), and
// romac itself, which loads the same shared objects from its artefact cache.
//
// The generated object defines, with hidden visibility:
//   - `void romac_model_entry(void **args)`: `@main` called with the packed
//     arguments (a pointer to each field of each memref descriptor, inputs
//     then outputs, as MLIR's ExecutionEngine packs them);
//   - `romac_weight_table`: one pointer per weight, filled before a run
//     (romac-weight-table);
//   - `romac_runtime_symbols`: one pointer per runtime function the code
//     calls (Kernels.h getSymbols()), filled by name at load time, so the
//     code holds no absolute address and no link name of the kernels;
//   - `romac_model_manifest`: the text below, NUL-terminated.
//
// The manifest, one record a line (names escaped: `\\` and `\n`):
//   romac-model 1
//   id <16 hex digits>          the weights file must carry the same id
//   weight <bytes>              per weight, in table order
//   runtime <symbol>            per runtime function, in table order
//   input <dtype> <rank> <d0> ... <name>
//   output <dtype> <rank> <d0> ... <name>
//   kernel <name>               per kernel (layer), for profiling
//   end
//
// A packed weights file (`out.weights`, or `weights.bin` in a cache entry):
//   0   "ROMACWT1"
//   8   u64 id                  (the manifest's id)
//   16  u64 count
//   24  count x {u64 offset, u64 bytes}
//   ... the data, every weight at an offset that is a multiple of 64.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_RUNTIME_CAPI_MODELABI_H
#define ROMAC_LIB_RUNTIME_CAPI_MODELABI_H

#include "romac-c/romac.h"

#include <cstddef>
#include <cstdint>

namespace romac::abi {

constexpr const char *kEntrySymbol = "romac_model_entry";
constexpr const char *kWeightTableSymbol = "romac_weight_table";
constexpr const char *kRuntimeSymbolsSymbol = "romac_runtime_symbols";
constexpr const char *kManifestSymbol = "romac_model_manifest";
constexpr const char *kManifestHeader = "romac-model 1";
constexpr char kWeightsMagic[8] = {'R', 'O', 'M', 'A', 'C', 'W', 'T', '1'};
constexpr uint64_t kWeightsAlignment = 64;

/// The bytes of one element of each romac_dtype.
constexpr size_t kDtypeBytes[] = {4, 8, 2, 2, 1, 1, 2, 4, 8, 1, 2, 4, 8};
constexpr int kNumDtypes = sizeof(kDtypeBytes) / sizeof(kDtypeBytes[0]);

/// Sets the `count` elements of type `dtype` (romac_dtype, numbered as
/// romac::ElementType) at `data` to one: the inputs of the packing pass
/// (Executable::packWeights, romac_model_pack_weights). Ones rather than
/// zeros: an integer divisor or modulus taken from an input must not be
/// zero (x86's IDIV traps), and an index of one is checked like any other.
inline void fillWithOnes(void *data, int dtype, uint64_t count) {
  auto fill = [&](auto one) {
    auto *p = static_cast<decltype(one) *>(data);
    for (uint64_t i = 0; i < count; ++i)
      p[i] = one;
  };
  switch (dtype) {
  case ROMAC_DTYPE_FLOAT32:
    return fill(1.0f);
  case ROMAC_DTYPE_FLOAT64:
    return fill(1.0);
  case ROMAC_DTYPE_FLOAT16:
    return fill(uint16_t(0x3C00));
  case ROMAC_DTYPE_BFLOAT16:
    return fill(uint16_t(0x3F80));
  default: // integers and bool: the element's size says which
    switch (kDtypeBytes[dtype]) {
    case 1:
      return fill(uint8_t(1));
    case 2:
      return fill(uint16_t(1));
    case 4:
      return fill(uint32_t(1));
    default:
      return fill(uint64_t(1));
    }
  }
}

} // namespace romac::abi

// The internal entry points romac itself calls (dlsym) besides the public
// API: not part of include/romac-c/romac.h.
extern "C" {
struct romac_model;
/// The manifest text.
typedef const char *(*RomacManifestFn)(void);
/// Creates a model whose weights the caller binds: `weights[i]` is weight i
/// of the manifest (`count` of them); the caller keeps them alive.
typedef romac_model *(*RomacCreateBoundFn)(const void *const *weights,
                                           int64_t count, char **error);
/// Runs on caller-provided buffers (no copy): `in[i]` / `out[i]` are dense
/// row-major buffers of input / output i.
typedef int (*RomacRunBuffersFn)(romac_model *model, const void *const *in,
                                 void *const *out, char **error);
/// The hooks romac_profile_enter / romac_profile_exit (kernel K) forward to;
/// null hooks do nothing.
typedef void (*RomacSetProfileHooksFn)(void (*enter)(int64_t),
                                       void (*exit)(int64_t));
/// Makes the library's kernels use the ISA called `name` (Kernels.h
/// getIsaName); 0 when the host lacks it.
typedef int (*RomacSetIsaFn)(const char *name);
}

#endif // ROMAC_LIB_RUNTIME_CAPI_MODELABI_H
