//===- Executable.h - a model compiled for the host CPU ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An Executable is a module of linalg on tensors (imported from ONNX, with or
// without a schedule) lowered by romac-codegen-pipeline and JIT-compiled for
// the CPU romac runs on (LLVM's host detection picks the instruction set, so
// no instruction the host lacks is emitted). Its entry `main` takes one
// dense row-major buffer per input and per output; the weights are bound by
// symbol to the data the module already holds (the memory-mapped model file),
// so they are not copied.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_RUNTIME_EXECUTABLE_H
#define ROMAC_RUNTIME_EXECUTABLE_H

#include "romac/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace romac {

/// One input or output of a compiled model.
struct TensorSpec {
  /// The ONNX name (`onnx.name` of the argument or result).
  std::string name;
  ElementType type = ElementType::F32;
  llvm::SmallVector<int64_t, 4> shape;

  /// "name: float32[1, 3, 224, 224]"
  std::string str() const;
  int64_t getNumElements() const;
};

/// The inputs and outputs of a model's `@main`, in order.
struct ModelSignature {
  std::vector<TensorSpec> inputs, outputs;
};

/// Reads the signature of `@main` of \p module (tensors of static shape and
/// an element type the runtime holds); an error names what is not.
llvm::Expected<ModelSignature> getModelSignature(mlir::ModuleOp module);

struct ExecutableOptions {
  /// Tile contractions by their #romac.mapping (romac-tile-by-schedule).
  bool tile = true;
  /// Matmuls and convolutions through the native kernels (Kernels.h).
  bool kernels = true;
  /// LLVM optimization level of the generated code (0-3).
  unsigned optLevel = 3;
  /// Time every kernel (layer): getProfile().
  bool profile = false;
};

/// The time one kernel (a layer, or a fused chain of element-wise layers)
/// took over the runs so far.
struct KernelProfile {
  /// The layer's name (its ONNX node name).
  std::string name;
  double seconds = 0;
  int64_t calls = 0;
};

class Executable {
public:
  ~Executable();

  /// Lowers `module` (in place) and JIT-compiles it. The module's context
  /// must outlive the Executable: the weights stay where the module keeps
  /// them. Errors name the op that cannot be compiled.
  static llvm::Expected<std::unique_ptr<Executable>>
  compile(mlir::ModuleOp module, const ExecutableOptions &options = {});

  llvm::ArrayRef<TensorSpec> getInputs() const { return inputs; }
  llvm::ArrayRef<TensorSpec> getOutputs() const { return outputs; }

  /// Runs the model once. `in[i]` holds getInputs()[i] and `out[i]` receives
  /// getOutputs()[i] (dense row-major buffers of the spec's size).
  llvm::Error run(llvm::ArrayRef<const void *> in, llvm::ArrayRef<void *> out);

  /// Bytes of weights bound by symbol (not copied into the code).
  int64_t getWeightBytes() const { return weightBytes; }

  /// Per kernel, in program order, the time of the runs so far (empty
  /// unless compiled with ExecutableOptions::profile).
  std::vector<KernelProfile> getProfile() const;

private:
  Executable() = default;

  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*entry)(void **) = nullptr;
  std::vector<TensorSpec> inputs, outputs;
  /// Weights whose in-memory form differs from the buffer layout (i1
  /// constants are bit-packed in MLIR), unpacked once at compile time.
  std::vector<std::unique_ptr<char[]>> ownedWeights;
  int64_t weightBytes = 0;
  /// Profiling: the kernels' names and counters, indexed by kernel number.
  std::vector<KernelProfile> kernels;
  bool profile = false;
};

} // namespace romac

#endif // ROMAC_RUNTIME_EXECUTABLE_H
