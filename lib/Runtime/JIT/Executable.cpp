//===- Executable.cpp - JIT compilation of a model -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Kernels.h"

#include "../CAPI/ModelABI.h"
#include "Lowering.h"

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/IR/RomacDialect.h"
#include "romac/Support/Error.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>
#include <cstring>
#include <mutex>

using namespace mlir;
using romac::Executable;
using romac::TensorSpec;
using namespace romac::detail;

std::string TensorSpec::str() const {
  std::string s = name + ": " + stringifyElementType(type).str() + "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

int64_t TensorSpec::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// The runtime element type of an MLIR element type; std::nullopt for types
/// the runtime has no buffers for.
std::optional<romac::ElementType> toElementType(Type t) {
  using romac::ElementType;
  if (t.isF32())
    return ElementType::F32;
  if (t.isF64())
    return ElementType::F64;
  if (t.isF16())
    return ElementType::F16;
  if (t.isBF16())
    return ElementType::BF16;
  if (t.isInteger(1))
    return ElementType::Bool;
  if (t.isSignlessInteger(8) || t.isSignedInteger(8))
    return ElementType::I8;
  if (t.isUnsignedInteger(8))
    return ElementType::U8;
  if (t.isInteger(16))
    return ElementType::I16;
  if (t.isInteger(32))
    return ElementType::I32;
  if (t.isInteger(64))
    return ElementType::I64;
  return std::nullopt;
}

/// Reads the spec of one argument or result of `main`.
llvm::Expected<TensorSpec> getSpec(Type type, DictionaryAttr attrs,
                                   const Twine &fallbackName) {
  TensorSpec spec;
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
  spec.name = name ? name.getValue().str() : fallbackName.str();
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return romac::makeStringError("'" + spec.name +
                                  "' is not a tensor of static shape");
  std::optional<romac::ElementType> element =
      toElementType(tensor.getElementType());
  if (!element)
    return romac::makeStringError("'" + spec.name +
                                  "' has an unsupported element type");
  spec.type = *element;
  spec.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return spec;
}

/// The ONNX node name the importer recorded in `loc`; for an op that
/// computes several nodes (romac.attention: a FusedLoc of its two
/// products' locations) their names joined by " + ".
std::string getLocationName(Location loc) {
  std::vector<std::string> names;
  auto first = [](Location part) {
    std::string name;
    part->walk([&](Location l) {
      if (auto named = llvm::dyn_cast<NameLoc>(l)) {
        name = named.getName().str();
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return name;
  };
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = first(part); !name.empty())
        names.push_back(name);
  if (names.empty())
    return first(loc);
  return llvm::join(names, " + ");
}

/// Collects the diagnostics of a pass pipeline into one error message.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          if (d.getSeverity() != DiagnosticSeverity::Error)
            return success();
          std::string text;
          llvm::raw_string_ostream os(text);
          if (std::string node = getLocationName(d.getLocation());
              !node.empty())
            os << "node '" << node << "': ";
          os << d.str();
          messages.push_back(std::move(text));
          return success();
        }) {}

  llvm::Error takeError(const Twine &what) {
    std::string text = what.str();
    for (const std::string &m : messages)
      text += "\n  " + m;
    return romac::makeStringError(text);
  }

private:
  ScopedDiagnosticHandler handler;
  std::vector<std::string> messages;
};

/// The kernels being timed by the current run (one run at a time per
/// thread), and when the kernel in flight started.
thread_local std::vector<romac::KernelProfile> *activeProfile = nullptr;
thread_local std::chrono::steady_clock::time_point kernelStart;

} // namespace

void romac::detail::romacProfileEnter(int64_t) {
  kernelStart = std::chrono::steady_clock::now();
}

void romac::detail::romacProfileExit(int64_t kernel) {
  if (!activeProfile || kernel < 0 ||
      kernel >= static_cast<int64_t>(activeProfile->size()))
    return;
  romac::KernelProfile &k = (*activeProfile)[kernel];
  k.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             kernelStart)
                   .count();
  ++k.calls;
}

void romac::detail::setActiveProfile(std::vector<KernelProfile> *profile) {
  activeProfile = profile;
}

void romac::detail::initializeLLVMOnce() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

llvm::Expected<romac::ModelSignature>
romac::getModelSignature(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return makeStringError("the module has no function @main to run");
  ModelSignature signature;
  FunctionType type = main.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    llvm::Expected<TensorSpec> spec =
        getSpec(type.getInput(i), main.getArgAttrDict(i), "input_" + Twine(i));
    if (!spec)
      return spec.takeError();
    signature.inputs.push_back(std::move(*spec));
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    llvm::Expected<TensorSpec> spec = getSpec(
        type.getResult(i), main.getResultAttrDict(i), "output_" + Twine(i));
    if (!spec)
      return spec.takeError();
    signature.outputs.push_back(std::move(*spec));
  }
  return signature;
}

namespace {

/// An error naming the first op the lowering to LLVM left behind (an op code
/// generation does not support, e.g. `linalg.softmax` or `complex.*`) and the
/// ONNX node it came from, instead of the LLVM translation's failure on it or
/// on a cast next to it. Conversion casts are skipped: they only surround
/// such an op.
llvm::Error checkFullyLowered(ModuleOp module) {
  Operation *left = nullptr;
  module.walk([&](Operation *op) {
    if (op == module.getOperation() || isa<UnrealizedConversionCastOp>(op) ||
        isa<LLVM::LLVMDialect>(op->getDialect()))
      return WalkResult::advance();
    left = op;
    return WalkResult::interrupt();
  });
  if (!left)
    return llvm::Error::success();
  std::string node = getLocationName(left->getLoc());
  std::string where = node.empty() ? std::string("no ONNX node recorded")
                                   : "node '" + node + "'";
  return romac::makeStringError("code generation does not support op '" +
                                left->getName().getStringRef() + "' (" + where +
                                "): it is not lowered to LLVM");
}

} // namespace

llvm::Expected<romac::LoweredModule>
romac::lowerModule(ModuleOp module, const ExecutableOptions &options) {
  llvm::Expected<ModelSignature> signature = getModelSignature(module);
  if (!signature)
    return signature.takeError();
  LoweredModule lowered;
  lowered.signature = std::move(*signature);

  MLIRContext *ctx = module.getContext();
  DiagnosticCollector diagnostics(ctx);
  CodegenPipelineOptions pipeline;
  pipeline.tile = options.tile;
  pipeline.kernels = options.kernels;
  pipeline.fuseIntoContractions = options.fuse;
  pipeline.fuseAttention = options.fuseAttention;
  pipeline.attentionOverTiles = options.attentionOverTiles;
  pipeline.parallelizeKernels = options.parallelKernels;
  pipeline.precision = options.bf16 ? "bf16" : "fp32";
  pipeline.profile = options.profile;
  PassManager bufferize(ctx);
  buildCodegenBufferizePipeline(bufferize, pipeline);
  if (failed(bufferize.run(module)))
    return diagnostics.takeError("code generation failed");

  // The layers, for the profile: `romac_profile_enter(K)` before the call
  // of layer K's kernel carries the layer's location (layers that share a
  // kernel function are still timed apart).
  module.walk([&](func::CallOp call) {
    IntegerAttr index;
    if (call.getCallee() != "romac_profile_enter" ||
        call.getNumOperands() != 1 ||
        !matchPattern(call.getOperand(0), m_Constant(&index)))
      return;
    uint64_t k = index.getValue().getZExtValue();
    if (lowered.kernelNames.size() <= k)
      lowered.kernelNames.resize(k + 1);
    lowered.kernelNames[k] = getLocationName(call.getLoc());
  });

  // The weights: symbol -> the data the module holds.
  for (auto global : module.getOps<memref::GlobalOp>()) {
    auto value =
        global->getAttrOfType<ElementsAttr>(RomacDialect::getWeightAttrName());
    if (!value)
      continue;
    const char *data = nullptr;
    int64_t bytes = romac::getWeightBytes(value);
    if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value)) {
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      if (!blob)
        return makeStringError("weight '" + global.getSymName() +
                               "' has no data (an elided resource?)");
      data = blob->getData().data();
    } else if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value)) {
      if (dense.getElementType().isInteger(1)) {
        // i1 is bit-packed in MLIR and one byte per element in memory.
        auto unpacked = std::make_unique<char[]>(dense.getNumElements());
        for (auto [i, b] : llvm::enumerate(dense.getValues<bool>()))
          unpacked[i] = b;
        data = unpacked.get();
        lowered.ownedWeights.push_back(std::move(unpacked));
      } else {
        data = dense.getRawData().data();
      }
    } else {
      return makeStringError("weight '" + global.getSymName() +
                             "' has an unsupported attribute kind");
    }
    lowered.weights[global.getSymName()] = llvm::ArrayRef<char>(data, bytes);
    lowered.weightBytes += bytes;
  }

  PassManager lower(ctx);
  buildCodegenLLVMPipeline(lower, pipeline);
  if (failed(lower.run(module)))
    return diagnostics.takeError("lowering to LLVM failed");
  if (llvm::Error e = checkFullyLowered(module))
    return std::move(e);
  return lowered;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
romac::createHostTargetMachine(unsigned optLevel, bool pic) {
  initializeLLVMOnce();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(getCodeGenOptLevel(optLevel));
  if (pic)
    builder->setRelocationModel(llvm::Reloc::PIC_);
  return builder->createTargetMachine();
}

llvm::CodeGenOptLevel romac::getCodeGenOptLevel(unsigned optLevel) {
  return optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                       : llvm::CodeGenOptLevel::Default;
}

llvm::Expected<std::unique_ptr<Executable>>
Executable::compile(ModuleOp module, const ExecutableOptions &options) {
  llvm::Expected<LoweredModule> lowered = lowerModule(module, options);
  if (!lowered)
    return lowered.takeError();
  std::unique_ptr<Executable> exe(new Executable());
  exe->inputs = std::move(lowered->signature.inputs);
  exe->outputs = std::move(lowered->signature.outputs);
  exe->ownedWeights = std::move(lowered->ownedWeights);
  exe->weightBytes = lowered->weightBytes;
  exe->profile = options.profile;
  if (options.profile)
    for (const std::string &name : lowered->kernelNames)
      exe->kernels.push_back(KernelProfile{name, 0, 0});

  MLIRContext *ctx = module.getContext();
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);
  auto tm = createHostTargetMachine(options.optLevel, /*pic=*/false);
  if (!tm)
    return tm.takeError();
  auto transformer = makeOptimizingTransformer(options.optLevel, 0, tm->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = getCodeGenOptLevel(options.optLevel);
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(*tm));
  if (!engine)
    return engine.takeError();
  exe->engine = std::move(*engine);
  const llvm::StringMap<llvm::ArrayRef<char>> &weights = lowered->weights;
  exe->engine->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    int count = 0;
    const kernels::Symbol *symbols = kernels::getSymbols(&count);
    for (const kernels::Symbol &symbol : llvm::ArrayRef(symbols, count))
      map[interner(symbol.name)] = {
          llvm::orc::ExecutorAddr::fromPtr(symbol.address),
          llvm::JITSymbolFlags::Exported};
    map[interner("romac_profile_enter")] = {
        llvm::orc::ExecutorAddr::fromPtr(&romacProfileEnter),
        llvm::JITSymbolFlags::Exported};
    map[interner("romac_profile_exit")] = {
        llvm::orc::ExecutorAddr::fromPtr(&romacProfileExit),
        llvm::JITSymbolFlags::Exported};
    for (const auto &entry : weights)
      map[interner(entry.getKey())] = {
          llvm::orc::ExecutorAddr::fromPtr(entry.getValue().data()),
          llvm::JITSymbolFlags::Exported};
    return map;
  });
  auto entry = exe->engine->lookupPacked("main");
  if (!entry)
    return entry.takeError();
  exe->entry = *entry;
  return exe;
}

llvm::Error Executable::run(llvm::ArrayRef<const void *> in,
                            llvm::ArrayRef<void *> out) {
  if (in.size() != inputs.size() || out.size() != outputs.size())
    return makeStringError(
        llvm::formatv("expected {0} inputs and {1} outputs, got {2} and {3}",
                      inputs.size(), outputs.size(), in.size(), out.size()));
  if (library) {
    activeProfile = profile ? &kernels : nullptr;
    llvm::Error e = runLibrary(in, out);
    activeProfile = nullptr;
    return e;
  }
  // `main` takes each buffer as an expanded memref descriptor: allocated
  // pointer, aligned pointer, offset, sizes, strides (row-major); the
  // packed entry takes a pointer to each of those values.
  size_t fields = 0;
  for (const TensorSpec &spec : llvm::concat<const TensorSpec>(inputs, outputs))
    fields += 3 + 2 * spec.shape.size();
  llvm::SmallVector<int64_t> values;
  values.reserve(fields);
  auto addDescriptor = [&](const void *data, const TensorSpec &spec) {
    int64_t pointer = reinterpret_cast<intptr_t>(data);
    values.append({pointer, pointer, 0});
    values.append(spec.shape.begin(), spec.shape.end());
    int64_t stride = 1;
    size_t first = values.size();
    values.resize(first + spec.shape.size());
    for (size_t d = spec.shape.size(); d-- > 0;) {
      values[first + d] = stride;
      stride *= spec.shape[d];
    }
  };
  for (auto [p, spec] : llvm::zip(in, inputs))
    addDescriptor(p, spec);
  for (auto [p, spec] : llvm::zip(out, outputs))
    addDescriptor(p, spec);
  llvm::SmallVector<void *> args;
  for (int64_t &v : values)
    args.push_back(&v);
  activeProfile = profile ? &kernels : nullptr;
  entry(args.data());
  activeProfile = nullptr;
  // The packing pass's values are not the data's: no error of theirs.
  if (std::string bad = kernels::takeDataError();
      !bad.empty() && !kernels::isPackingPass())
    return makeStringError(bad);
  return llvm::Error::success();
}

llvm::Error Executable::packWeights() {
  // The JIT's kernels are this process's; a library has its own copy (and
  // one built before the packing pass packs on its first run instead).
  auto setPass = [&](bool on) {
    if (library)
      return setLibraryPackingPass(on);
    kernels::setPackingPass(on);
    return true;
  };
  if (!setPass(true))
    return llvm::Error::success();
  std::vector<Tensor> buffers;
  std::vector<const void *> in;
  std::vector<void *> out;
  for (const TensorSpec &spec : inputs) {
    buffers.emplace_back(spec.type, spec.shape);
    abi::fillWithOnes(buffers.back().data(), static_cast<int>(spec.type),
                      buffers.back().getNumElements());
    in.push_back(buffers.back().data());
  }
  for (const TensorSpec &spec : outputs) {
    buffers.emplace_back(spec.type, spec.shape);
    out.push_back(buffers.back().data());
  }
  llvm::Error e = run(in, out);
  setPass(false);
  resetProfile();
  return e;
}

void Executable::resetProfile() {
  for (KernelProfile &k : kernels) {
    k.seconds = 0;
    k.calls = 0;
  }
}

std::vector<romac::KernelProfile> Executable::getProfile() const {
  return kernels;
}
