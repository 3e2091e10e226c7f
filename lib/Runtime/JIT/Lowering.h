//===- Lowering.h - what the JIT and the shared objects share ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The first steps of both ways to compile a model (Executable.h): the codegen
// pipeline down to the LLVM dialect, with the weights and kernels it leaves,
// and the host's TargetMachine.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_RUNTIME_JIT_LOWERING_H
#define ROMAC_LIB_RUNTIME_JIT_LOWERING_H

#include "romac/Runtime/Executable.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Target/TargetMachine.h"

namespace romac {

/// A module lowered to the LLVM dialect by romac-codegen-pipeline.
struct LoweredModule {
  ModelSignature signature;
  /// Kernel K's layer name (romac_kernel_K).
  std::vector<std::string> kernelNames;
  /// Every weight symbol (romac_weight_N) and its bytes.
  llvm::StringMap<llvm::ArrayRef<char>> weights;
  /// Weights whose in-memory form differs from the buffer layout (i1
  /// constants are bit-packed in MLIR), unpacked here.
  std::vector<std::unique_ptr<char[]>> ownedWeights;
  int64_t weightBytes = 0;
};

/// Runs the codegen pipeline on `module` (in place) down to the LLVM
/// dialect; errors name the ops that could not be compiled.
llvm::Expected<LoweredModule> lowerModule(mlir::ModuleOp module,
                                          const ExecutableOptions &options);

/// A TargetMachine for this CPU (LLVM's host detection: CPU and features).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(unsigned optLevel, bool pic);

llvm::CodeGenOptLevel getCodeGenOptLevel(unsigned optLevel);

namespace detail {
void initializeLLVMOnce();
/// The profiling hooks: time kernel K into the active profile.
void romacProfileEnter(int64_t kernel);
void romacProfileExit(int64_t kernel);
/// The profile the hooks add to on this thread (null: none).
void setActiveProfile(std::vector<KernelProfile> *profile);
} // namespace detail

} // namespace romac

#endif // ROMAC_LIB_RUNTIME_JIT_LOWERING_H
