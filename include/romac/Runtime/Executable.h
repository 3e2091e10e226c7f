//===- Executable.h - a model compiled for the host CPU ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An Executable is a module of linalg on tensors (imported from ONNX, with or
// without a schedule) lowered by romac-codegen-pipeline and compiled for the
// CPU romac runs on (LLVM's host detection picks the instruction set, so no
// instruction the host lacks is emitted). Its entry `main` takes one dense
// row-major buffer per input and per output. Two ways to get one:
//   - compile(): JIT-compiled in this process; the weights are bound by
//     symbol to the data the module already holds (the memory-mapped model
//     file), so they are not copied;
//   - compileObject() + linkSharedObject() + load(): a shared object (the
//     artefact of the cache and of `romac compile --emit-library`) that
//     reaches its weights through a table filled at load time and carries
//     the C API of include/romac-c/romac.h.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_RUNTIME_EXECUTABLE_H
#define ROMAC_RUNTIME_EXECUTABLE_H

#include "romac/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

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
  /// Bias and residual adds folded into the contractions' initial values
  /// (romac-fuse-into-contractions).
  bool fuse = true;
  /// Attention as one romac.attention when the kernels run
  /// (romac-fuse-attention); `attentionOverTiles` also where the schedule
  /// tiles its products (the host's own schedule: the kernel's blocks are
  /// finer than its last-level cache tiles).
  bool fuseAttention = true;
  bool attentionOverTiles = false;
  /// The vectorized element-wise and reduction kernels split over the
  /// threads (romac-parallelize-kernels).
  bool parallelKernels = true;
  /// The products of the kernels' matmuls and convolutions: bfloat16
  /// operands with fp32 sums (`romac run --precision bf16`), or fp32.
  bool bf16 = false;
  /// LLVM optimization level of the generated code (0-3).
  unsigned optLevel = 3;
  /// Time every kernel (layer): getProfile().
  bool profile = false;
};

/// The time one kernel (a layer, or a fused chain of element-wise layers)
/// took over the runs so far.
struct KernelProfile {
  /// The layer's name (its ONNX node name; the names of the nodes a fused
  /// kernel computes joined by " + ").
  std::string name;
  double seconds = 0;
  int64_t calls = 0;
};

/// A model compiled into a relocatable object for this CPU, with what its
/// shared object needs at load time.
struct CompiledObject {
  /// The ELF objects, one per compile thread, that link together: the
  /// generated code, the entry `romac_model_entry`, the weight and
  /// runtime-symbol tables and the manifest (lib/Runtime/CAPI/ModelABI.h).
  std::vector<llvm::SmallVector<char, 0>> objects;
  ModelSignature signature;
  /// The weights in table order: where their bytes are now (in the module's
  /// context, or in `ownedWeights`), valid while both live.
  std::vector<llvm::ArrayRef<char>> weights;
  std::vector<std::unique_ptr<char[]>> ownedWeights;
  /// The id a packed weights file of this object must carry.
  uint64_t id = 0;
};

/// Lowers `module` (in place) and compiles it into an object for a shared
/// library. The module's context must outlive the result (the weights).
llvm::Expected<CompiledObject>
compileObject(mlir::ModuleOp module, const ExecutableOptions &options = {});

/// Links `objects` with the model runtime (RomacModelRuntime and
/// RomacKernels) into the shared object `path` (written atomically) with the
/// system's C compiler driver: $ROMAC_CC, else `cc`, `gcc` or `clang` on
/// PATH. The archives are found in $ROMAC_RUNTIME_DIR, else in
/// BIN/../lib/romac next to the running executable, else in the build tree.
llvm::Error linkSharedObject(llvm::ArrayRef<llvm::SmallVector<char, 0>> objects,
                             llvm::StringRef path);

/// Writes the packed weights file of `compiled` (ModelABI.h) to `path`
/// (atomically): every weight, or only those whose index is in `subset`
/// (the others are recorded with size 0 and no data).
llvm::Error writeWeightsFile(const CompiledObject &compiled,
                             llvm::StringRef path,
                             const std::vector<bool> *subset = nullptr);
/// The same bytes, into a stream.
void writeWeights(const CompiledObject &compiled, llvm::raw_ostream &os,
                  const std::vector<bool> *subset = nullptr);

class Executable {
public:
  ~Executable();

  /// Lowers `module` (in place) and JIT-compiles it. The module's context
  /// must outlive the Executable: the weights stay where the module keeps
  /// them. Errors name the op that cannot be compiled.
  static llvm::Expected<std::unique_ptr<Executable>>
  compile(mlir::ModuleOp module, const ExecutableOptions &options = {});

  /// Loads a shared object of linkSharedObject() and binds weight i of its
  /// table to `weights[i]`; `keepAlive` holds whatever keeps them mapped
  /// (released with the Executable). The library stays loaded until the
  /// process exits (its kernels' worker threads may outlive a model).
  static llvm::Expected<std::unique_ptr<Executable>>
  load(llvm::StringRef path, llvm::ArrayRef<const void *> weights,
       std::vector<std::shared_ptr<void>> keepAlive = {});

  llvm::ArrayRef<TensorSpec> getInputs() const { return inputs; }
  llvm::ArrayRef<TensorSpec> getOutputs() const { return outputs; }

  /// Runs the model once. `in[i]` holds getInputs()[i] and `out[i]` receives
  /// getOutputs()[i] (dense row-major buffers of the spec's size).
  llvm::Error run(llvm::ArrayRef<const void *> in, llvm::ArrayRef<void *> out);

  /// Packs every weight into the kernels' layouts now (a run on inputs of
  /// ones in the kernels' packing pass, Kernels.h: no arithmetic in the
  /// contractions), so that the first run() costs what the later ones do.
  /// A library built before the packing pass existed packs on its first
  /// run() instead.
  llvm::Error packWeights();

  /// Bytes of weights bound by symbol (not copied into the code).
  int64_t getWeightBytes() const { return weightBytes; }

  /// Per kernel, in program order, the time of the runs so far (empty
  /// unless compiled with ExecutableOptions::profile).
  std::vector<KernelProfile> getProfile() const;
  /// Zeroes the profile's times and calls (after warm-up runs).
  void resetProfile();

private:
  Executable();
  llvm::Error runLibrary(llvm::ArrayRef<const void *> in,
                         llvm::ArrayRef<void *> out);
  /// False (and nothing set) for a library without the packing pass.
  bool setLibraryPackingPass(bool on);

  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*entry)(void **) = nullptr;
  /// A loaded shared object: its model and the runtime's entry points.
  struct Library;
  std::unique_ptr<Library> library;
  std::vector<std::shared_ptr<void>> keepAlive;
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
