//===- SharedObject.cpp - a model as a shared library -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The artefact of the cache and of `romac compile --emit-library`: the
// lowered module, its weights reached through romac-weight-table, compiled by
// LLVM's TargetMachine for this CPU into a position-independent object that
// also carries the entry, the runtime-symbol table and the manifest of
// lib/Runtime/CAPI/ModelABI.h; the system's C compiler driver links it with
// the model runtime into a shared object that needs no LLVM, MLIR or romac
// library. Executable::load() opens one in this process.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Executable.h"
#include "romac/Runtime/Kernels.h"

#include "../CAPI/ModelABI.h"
#include "Lowering.h"

#include "romac-c/romac.h"
#include "romac/Codegen/Passes.h"
#include "romac/Support/Error.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

using namespace mlir;
using romac::CompiledObject;
using romac::Executable;

namespace {

/// `name` with `\` and newlines escaped (one manifest line).
std::string escape(llvm::StringRef name) {
  std::string s;
  for (char c : name) {
    if (c == '\\')
      s += "\\\\";
    else if (c == '\n')
      s += "\\n";
    else
      s += c;
  }
  return s;
}

/// "input float32 4 1 3 224 224 data_0"
std::string tensorRecord(llvm::StringRef kind, const romac::TensorSpec &t) {
  std::string s = kind.str() + " " + romac::stringifyElementType(t.type).str() +
                  " " + std::to_string(t.shape.size());
  for (int64_t d : t.shape)
    s += " " + std::to_string(d);
  return s + " " + escape(t.name) + "\n";
}

/// An id for the weights file: the signature and, per weight, its size and
/// its first and last bytes (cheap on GBs of weights, and enough to tell
/// two models apart).
uint64_t computeId(llvm::StringRef signature,
                   llvm::ArrayRef<llvm::ArrayRef<char>> weights) {
  std::string text = signature.str();
  for (llvm::ArrayRef<char> w : weights) {
    text += std::to_string(w.size()) + ":";
    size_t n = std::min<size_t>(w.size(), 64);
    text.append(w.data(), n);
    text.append(w.data() + w.size() - n, n);
  }
  return llvm::xxh3_64bits(text);
}

/// Makes `main` the internal `romac_model_main` and adds the hidden packed
/// entry `romac_model_entry(void **args)` that calls it.
llvm::Error addEntry(llvm::Module &m) {
  llvm::Function *main = m.getFunction("main");
  if (!main || main->isDeclaration())
    return romac::makeStringError("the lowered module has no @main");
  if (!main->getReturnType()->isVoidTy())
    return romac::makeStringError("@main returns a value (expected outputs "
                                  "as caller-provided buffers)");
  main->setName("romac_model_main");
  main->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr},
                                       /*isVarArg=*/false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                       romac::abi::kEntrySymbol, m);
  entry->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::SmallVector<llvm::Value *> args;
  for (auto [i, arg] : llvm::enumerate(main->args())) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, entry->getArg(0), i);
    llvm::Value *field = b.CreateLoad(ptr, slot);
    args.push_back(b.CreateLoad(arg.getType(), field));
  }
  b.CreateCall(main, args);
  b.CreateRetVoid();
  return llvm::Error::success();
}

/// Gives every runtime function the code calls (Kernels.h getSymbols()) an
/// internal body that calls through slot K of `romac_runtime_symbols`, which
/// the model runtime fills by name; returns the names in slot order.
std::vector<std::string> addRuntimeThunks(llvm::Module &m) {
  int count = 0;
  const romac::kernels::Symbol *symbols = romac::kernels::getSymbols(&count);
  llvm::StringSet<> runtime;
  for (const romac::kernels::Symbol &s : llvm::ArrayRef(symbols, count))
    runtime.insert(s.name);
  std::vector<llvm::Function *> called;
  for (llvm::Function &f : m)
    if (f.isDeclaration() && runtime.contains(f.getName()))
      called.push_back(&f);
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *tableType = llvm::ArrayType::get(ptr, called.size());
  auto *table = new llvm::GlobalVariable(
      m, tableType, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantAggregateZero::get(tableType),
      romac::abi::kRuntimeSymbolsSymbol);
  table->setVisibility(llvm::GlobalValue::HiddenVisibility);
  std::vector<std::string> names;
  for (auto [k, f] : llvm::enumerate(called)) {
    names.push_back(f->getName().str());
    f->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
    llvm::Value *slot = b.CreateConstInBoundsGEP2_64(tableType, table, 0, k);
    llvm::Value *callee = b.CreateLoad(ptr, slot);
    llvm::SmallVector<llvm::Value *> args;
    for (llvm::Argument &a : f->args())
      args.push_back(&a);
    llvm::CallInst *call = b.CreateCall(f->getFunctionType(), callee, args);
    call->setTailCall();
    if (f->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
  }
  return names;
}

/// Adds `romac_model_manifest`, the NUL-terminated `text`.
void addManifest(llvm::Module &m, llvm::StringRef text) {
  llvm::Constant *data =
      llvm::ConstantDataArray::getString(m.getContext(), text, true);
  auto *manifest = new llvm::GlobalVariable(
      m, data->getType(), /*isConstant=*/true,
      llvm::GlobalValue::ExternalLinkage, data, romac::abi::kManifestSymbol);
  manifest->setVisibility(llvm::GlobalValue::HiddenVisibility);
}

/// The LLVM module of `module` (in the LLVM dialect), for `tm`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translate(ModuleOp module, llvm::LLVMContext &ctx, llvm::TargetMachine &tm) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(module, ctx, "romac_model");
  if (!m)
    return romac::makeStringError("translating the module to LLVM IR failed");
  m->setDataLayout(tm.createDataLayout());
  m->setTargetTriple(tm.getTargetTriple());
  return m;
}

/// The compiler driver that links shared objects.
llvm::Expected<std::string> findCompilerDriver() {
  if (const char *env = std::getenv("ROMAC_CC"); env && *env) {
    if (auto found = llvm::sys::findProgramByName(env))
      return *found;
    return romac::makeStringError(llvm::Twine("ROMAC_CC='") + env +
                                  "' is not a program on PATH");
  }
  for (const char *name : {"cc", "gcc", "clang"})
    if (auto found = llvm::sys::findProgramByName(name))
      return *found;
  return romac::makeStringError(
      "no C compiler driver (cc, gcc or clang) on PATH to link the model's "
      "shared object; install gcc (Debian: build-essential) or set ROMAC_CC");
}

bool hasRuntimeArchives(llvm::StringRef dir) {
  return llvm::sys::fs::exists(dir + "/libRomacModelRuntime.a") &&
         llvm::sys::fs::exists(dir + "/libRomacKernels.a");
}

/// The folder that holds libRomacModelRuntime.a and libRomacKernels.a.
llvm::Expected<std::string> findRuntimeDir() {
  if (const char *env = std::getenv("ROMAC_RUNTIME_DIR"); env && *env) {
    if (hasRuntimeArchives(env))
      return std::string(env);
    return romac::makeStringError(
        llvm::Twine("ROMAC_RUNTIME_DIR='") + env +
        "' holds no libRomacModelRuntime.a and libRomacKernels.a");
  }
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(dir, "..", "lib", "romac");
  if (!exe.empty() && hasRuntimeArchives(dir))
    return std::string(dir);
#ifdef ROMAC_BUILD_RUNTIME_DIR
  if (hasRuntimeArchives(ROMAC_BUILD_RUNTIME_DIR))
    return std::string(ROMAC_BUILD_RUNTIME_DIR);
#endif
  return romac::makeStringError(
      "cannot find the model runtime (libRomacModelRuntime.a and "
      "libRomacKernels.a) in " +
      dir + "; set ROMAC_RUNTIME_DIR to the folder that holds them");
}

/// How many threads compile a model: one per core, at most 8 (the
/// partitions are not perfectly balanced, and each costs a module's worth of
/// fixed work).
unsigned getCompileJobs() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

/// The number of instructions of `f`.
size_t countInstructions(const llvm::Function &f) {
  size_t n = 0;
  for (const llvm::BasicBlock &b : f)
    n += b.size();
  return n;
}

/// Deals the definitions of `m` out to at most `jobs` partitions, each a
/// module that links with the others: every external function and variable
/// is defined in exactly one partition (functions, largest first, in the
/// partition with the fewest instructions so far; variables in the first),
/// and declared where the others use it. Local functions and local
/// constants are copied into every partition that uses them, so each
/// partition can still inline and fold them; other local variables (state
/// that must exist once) become hidden external ones first. Returns the
/// partitions as bitcode, so that each can be read into a context of its
/// own (an LLVMContext is used by one thread at a time).
std::vector<llvm::SmallVector<char, 0>> partitionModule(llvm::Module &m,
                                                        unsigned jobs) {
  for (llvm::GlobalVariable &g : m.globals())
    if (g.hasLocalLinkage() && !g.isConstant()) {
      if (!g.hasName())
        g.setName("romac_state");
      g.setLinkage(llvm::GlobalValue::ExternalLinkage);
      g.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
  // The weight of an external function: its own instructions and those of
  // the local functions it calls directly (which are copied in with it;
  // `romac_model_main` is the entry's).
  std::vector<std::pair<size_t, llvm::Function *>> functions;
  for (llvm::Function &f : m) {
    if (f.isDeclaration() || f.hasLocalLinkage())
      continue;
    size_t weight = countInstructions(f);
    llvm::SmallPtrSet<const llvm::Function *, 4> callees;
    for (const llvm::BasicBlock &b : f)
      for (const llvm::Instruction &i : b)
        if (auto *call = llvm::dyn_cast<llvm::CallBase>(&i))
          if (const llvm::Function *callee = call->getCalledFunction();
              callee && callee->hasLocalLinkage() &&
              callees.insert(callee).second)
            weight += countInstructions(*callee);
    functions.push_back({weight, &f});
  }
  // Largest first; ties in module order, so the split does not depend on
  // the sort's stability.
  llvm::stable_sort(functions, [](const auto &a, const auto &b) {
    return a.first > b.first;
  });
  jobs = std::max<unsigned>(
      1, std::min<size_t>(jobs, std::max<size_t>(functions.size(), 1)));
  std::vector<size_t> load(jobs, 0);
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> owner;
  for (auto [weight, f] : functions) {
    unsigned least = std::min_element(load.begin(), load.end()) - load.begin();
    load[least] += weight;
    owner[f] = least;
  }

  std::vector<llvm::SmallVector<char, 0>> partitions(jobs);
  for (unsigned p = 0; p < jobs; ++p) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> part =
        llvm::CloneModule(m, map, [&](const llvm::GlobalValue *g) {
          if (g->hasLocalLinkage())
            return true;
          auto it = owner.find(g);
          return it == owner.end() ? p == 0 : it->second == p;
        });
    // The local copies this partition does not use (before LLVM spends
    // time optimizing them).
    for (bool changed = true; changed;) {
      changed = false;
      for (llvm::Function &f : llvm::make_early_inc_range(*part))
        if (f.hasLocalLinkage() && f.use_empty()) {
          f.eraseFromParent();
          changed = true;
        }
    }
    for (llvm::GlobalVariable &g : llvm::make_early_inc_range(part->globals()))
      if (g.hasLocalLinkage() && g.use_empty())
        g.eraseFromParent();
    llvm::raw_svector_ostream os(partitions[p]);
    llvm::WriteBitcodeToFile(*part, os);
  }
  return partitions;
}

/// Optimizes and compiles `m` for this CPU into `jobs` objects (fewer if
/// it has fewer functions), each on a thread of its own: the model's
/// kernels are independent functions, so LLVM's work splits well.
llvm::Expected<std::vector<llvm::SmallVector<char, 0>>>
emitObjects(llvm::Module &m, unsigned optLevel, unsigned jobs) {
  std::vector<llvm::SmallVector<char, 0>> bitcode = partitionModule(m, jobs);
  std::vector<llvm::SmallVector<char, 0>> objects(bitcode.size());
  std::vector<std::string> errors(bitcode.size());
  auto compile = [&](size_t p) -> llvm::Error {
    llvm::LLVMContext ctx;
    llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(bitcode[p].data(), bitcode[p].size()), "partition"),
        ctx);
    if (!part)
      return part.takeError();
    auto tm = romac::createHostTargetMachine(optLevel, /*pic=*/true);
    if (!tm)
      return tm.takeError();
    auto optimize = makeOptimizingTransformer(optLevel, 0, tm->get());
    if (llvm::Error e = optimize(part->get()))
      return e;
    llvm::raw_svector_ostream os(objects[p]);
    llvm::legacy::PassManager codegen;
    if ((*tm)->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
      return romac::makeStringError(
          "LLVM cannot emit an object file for this CPU");
    codegen.run(**part);
    return llvm::Error::success();
  };
  std::vector<std::thread> threads;
  for (size_t p = 1; p < bitcode.size(); ++p)
    threads.emplace_back([&, p] {
      if (llvm::Error e = compile(p))
        errors[p] = llvm::toString(std::move(e));
    });
  if (llvm::Error e = compile(0))
    errors[0] = llvm::toString(std::move(e));
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty())
      return romac::makeStringError(e);
  return objects;
}

/// Writes `bytes` to `path`.
llvm::Error writeFile(llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << bytes;
    os.close();
    ec = os.error();
  }
  if (ec)
    return llvm::createFileError(path, ec);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<CompiledObject>
romac::compileObject(ModuleOp module, const ExecutableOptions &options) {
  llvm::Expected<LoweredModule> lowered = lowerModule(module, options);
  if (!lowered)
    return lowered.takeError();
  PassManager pm(module.getContext());
  pm.addPass(createRomacWeightTablePass());
  if (failed(pm.run(module)))
    return makeStringError("romac-weight-table failed");

  CompiledObject result;
  result.signature = std::move(lowered->signature);
  result.ownedWeights = std::move(lowered->ownedWeights);
  auto tableGlobal =
      module.lookupSymbol<LLVM::GlobalOp>(abi::kWeightTableSymbol);
  auto table = tableGlobal ? tableGlobal->getAttrOfType<ArrayAttr>("weights")
                           : ArrayAttr();
  if (!table)
    return makeStringError("romac-weight-table left no table");
  for (auto name : table.getAsRange<StringAttr>()) {
    auto it = lowered->weights.find(name.getValue());
    if (it == lowered->weights.end())
      return makeStringError("weight '" + name.getValue() + "' has no data");
    result.weights.push_back(it->getValue());
  }

  std::string signature;
  for (const TensorSpec &t : result.signature.inputs)
    signature += tensorRecord("input", t);
  for (const TensorSpec &t : result.signature.outputs)
    signature += tensorRecord("output", t);
  result.id = computeId(signature, result.weights);

  auto tm = createHostTargetMachine(options.optLevel, /*pic=*/true);
  if (!tm)
    return tm.takeError();
  llvm::LLVMContext ctx;
  auto m = translate(module, ctx, **tm);
  if (!m)
    return m.takeError();
  if (llvm::Error e = addEntry(**m))
    return std::move(e);
  std::vector<std::string> runtime = addRuntimeThunks(**m);
  // Only the C API leaves the library: the generated symbols are hidden.
  for (llvm::GlobalValue &g : (*m)->global_values())
    if (!g.isDeclaration() && !g.hasLocalLinkage())
      g.setVisibility(llvm::GlobalValue::HiddenVisibility);

  std::string manifest = std::string(abi::kManifestHeader) + "\n" +
                         llvm::formatv("id {0:x16}\n", result.id).str();
  for (llvm::ArrayRef<char> w : result.weights)
    manifest += "weight " + std::to_string(w.size()) + "\n";
  for (const std::string &name : runtime)
    manifest += "runtime " + name + "\n";
  manifest += signature;
  for (const std::string &name : lowered->kernelNames)
    manifest += "kernel " + escape(name) + "\n";
  if (options.profile)
    manifest += "profile\n";
  manifest += "end\n";
  addManifest(**m, manifest);

  llvm::Expected<std::vector<llvm::SmallVector<char, 0>>> objects =
      emitObjects(**m, options.optLevel, getCompileJobs());
  if (!objects)
    return objects.takeError();
  result.objects = std::move(*objects);
  return result;
}

llvm::Error
romac::linkSharedObject(llvm::ArrayRef<llvm::SmallVector<char, 0>> objects,
                        llvm::StringRef path) {
  llvm::Expected<std::string> driver = findCompilerDriver();
  if (!driver)
    return driver.takeError();
  llvm::Expected<std::string> runtimeDir = findRuntimeDir();
  if (!runtimeDir)
    return runtimeDir.takeError();

  llvm::SmallString<128> work;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("romac-link", work))
    return makeStringError("cannot create a temporary folder to link in: " +
                           ec.message());
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(work); });
  std::vector<std::string> objectPaths;
  for (auto [i, object] : llvm::enumerate(objects)) {
    objectPaths.push_back((work + "/model" + llvm::Twine(i) + ".o").str());
    if (llvm::Error e =
            writeFile(objectPaths.back(), {object.data(), object.size()}))
      return e;
  }
  std::string mapPath = (work + "/exports.map").str();
  std::string logPath = (work + "/link.log").str();
  if (llvm::Error e = writeFile(mapPath, "{ global: romac_*; local: *; };\n"))
    return e;

  // Linked next to `path`, then renamed over it: no half-written library.
  llvm::SmallString<256> staged;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + "-%%%%%%.tmp", staged))
    return llvm::createFileError(path, ec);
  std::string stagedPath = staged.str().str();
  llvm::scope_exit removeStaged([&] { llvm::sys::fs::remove(stagedPath); });
  std::vector<std::string> args = {*driver, "-shared", "-o", stagedPath};
  args.insert(args.end(), objectPaths.begin(), objectPaths.end());
  args.insert(args.end(),
              {// Nothing in the objects calls the C API: take all of it.
               "-Wl,--whole-archive", *runtimeDir + "/libRomacModelRuntime.a",
               "-Wl,--no-whole-archive", *runtimeDir + "/libRomacKernels.a",
               "-Wl,--version-script=" + mapPath, "-Wl,-z,defs",
               "-Wl,-z,noexecstack", "-lstdc++", "-lm", "-lpthread", "-ldl"});
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(logPath), llvm::StringRef(logPath)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, redirects,
                                     /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                                     &message);
  if (rc != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().take_front(2000).str();
    return makeStringError("linking the model's shared object with " + *driver +
                           " failed" + (message.empty() ? "" : ": " + message) +
                           (log.empty() ? "" : "\n" + log));
  }
  if (std::error_code ec = llvm::sys::fs::rename(stagedPath, path))
    return llvm::createFileError(path, ec);
  return llvm::Error::success();
}

void romac::writeWeights(const CompiledObject &compiled, llvm::raw_ostream &os,
                         const std::vector<bool> *subset) {
  uint64_t count = compiled.weights.size();
  auto align = [](uint64_t n) {
    return (n + abi::kWeightsAlignment - 1) / abi::kWeightsAlignment *
           abi::kWeightsAlignment;
  };
  std::vector<uint64_t> header = {compiled.id, count};
  uint64_t offset = align(24 + 16 * count);
  for (auto [i, w] : llvm::enumerate(compiled.weights)) {
    bool stored = !subset || (*subset)[i];
    header.push_back(stored ? offset : 0);
    header.push_back(stored ? w.size() : 0);
    if (stored)
      offset = align(offset + w.size());
  }
  os.write(abi::kWeightsMagic, 8);
  os.write(reinterpret_cast<const char *>(header.data()), 8 * header.size());
  uint64_t at = 8 + 8 * header.size();
  for (auto [i, w] : llvm::enumerate(compiled.weights)) {
    if (subset && !(*subset)[i])
      continue;
    os.write_zeros(align(at) - at);
    at = align(at);
    os.write(w.data(), w.size());
    at += w.size();
  }
}

llvm::Error romac::writeWeightsFile(const CompiledObject &compiled,
                                    llvm::StringRef path,
                                    const std::vector<bool> *subset) {
  llvm::SmallString<256> staged;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + "-%%%%%%.tmp", staged))
    return llvm::createFileError(path, ec);
  llvm::scope_exit removeStaged([&] { llvm::sys::fs::remove(staged); });
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(staged, ec);
    if (ec)
      return llvm::createFileError(path, ec);
    writeWeights(compiled, os, subset);
    os.close();
    if (os.has_error()) {
      ec = os.error();
      os.clear_error();
      return llvm::createFileError(path, ec);
    }
  }
  if (std::error_code e = llvm::sys::fs::rename(staged, path))
    return llvm::createFileError(path, e);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Loading a library into this process
//===----------------------------------------------------------------------===//

/// A loaded model library: its model and entry points.
struct Executable::Library {
  romac_model *model = nullptr;
  RomacRunBuffersFn runBuffers = nullptr;
  void (*destroy)(romac_model *) = nullptr;
  void (*freeError)(char *) = nullptr;
  /// romac_internal_set_packing_pass; null in a library older than it.
  void (*setPackingPass)(int) = nullptr;

  ~Library() {
    if (model)
      destroy(model);
  }
};

Executable::Executable() = default;
Executable::~Executable() {
  // The kernels' packed copies of this model's weights (JIT) are keyed by
  // their addresses, which another model may reuse; a library clears its own
  // copy of the kernels when its model is destroyed.
  kernels::clearPackedConstants();
  kernels::releaseBufferPool();
}

llvm::Expected<std::unique_ptr<Executable>>
Executable::load(llvm::StringRef path, llvm::ArrayRef<const void *> weights,
                 std::vector<std::shared_ptr<void>> keepAlive) {
  // RTLD_NODELETE: the kernels' worker threads of the library never exit.
  void *handle =
      dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle)
    return makeStringError(path +
                           ": cannot load the model library: " + dlerror());
  // Nothing of a library is used after a failed load; it stays mapped.
  std::string missing;
  auto lookup = [&](const char *name) {
    void *address = dlsym(handle, name);
    if (!address && missing.empty())
      missing = name;
    return address;
  };
  auto manifest =
      reinterpret_cast<RomacManifestFn>(lookup("romac_internal_manifest"));
  auto create = reinterpret_cast<RomacCreateBoundFn>(
      lookup("romac_internal_create_bound"));
  auto setHooks = reinterpret_cast<RomacSetProfileHooksFn>(
      lookup("romac_internal_set_profile_hooks"));
  auto setIsa =
      reinterpret_cast<RomacSetIsaFn>(lookup("romac_internal_set_isa"));
  auto setWinograd =
      reinterpret_cast<void (*)(int)>(lookup("romac_internal_set_winograd"));
  auto setThreads =
      reinterpret_cast<void (*)(int)>(lookup("romac_set_num_threads"));
  auto info =
      reinterpret_cast<int (*)(const romac_model *, int, romac_tensor_info *)>(
          lookup("romac_model_input_info"));
  auto outputInfo =
      reinterpret_cast<int (*)(const romac_model *, int, romac_tensor_info *)>(
          lookup("romac_model_output_info"));
  auto library = std::make_unique<Library>();
  library->runBuffers =
      reinterpret_cast<RomacRunBuffersFn>(lookup("romac_internal_run_buffers"));
  library->destroy =
      reinterpret_cast<void (*)(romac_model *)>(lookup("romac_model_destroy"));
  library->freeError =
      reinterpret_cast<void (*)(char *)>(lookup("romac_free_error"));
  library->setPackingPass = reinterpret_cast<void (*)(int)>(
      dlsym(handle, "romac_internal_set_packing_pass"));
  if (!missing.empty())
    return makeStringError(path + ": not a romac model library (no symbol " +
                           missing + ")");

  // The library's own copy of the kernels follows this process's choices.
  setIsa(kernels::getIsaName(kernels::getIsa()));
  setWinograd(static_cast<int>(kernels::getWinogradMode()));
  setThreads(kernels::getNumThreads());
  setHooks(&detail::romacProfileEnter, &detail::romacProfileExit);
  char *error = nullptr;
  library->model = create(weights.data(), weights.size(), &error);
  if (!library->model) {
    std::string text = error ? error : "unknown error";
    library->freeError(error);
    return makeStringError(path + ": " + text);
  }

  std::unique_ptr<Executable> exe(new Executable());
  for (auto [specs, get] : {std::make_pair(&exe->inputs, info),
                            std::make_pair(&exe->outputs, outputInfo)}) {
    romac_tensor_info t;
    for (int i = 0; get(library->model, i, &t); ++i) {
      TensorSpec spec;
      spec.name = t.name;
      spec.type = static_cast<ElementType>(t.dtype);
      spec.shape.assign(t.shape, t.shape + t.rank);
      specs->push_back(std::move(spec));
    }
  }
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(manifest()).split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (line.consume_front("weight "))
      exe->weightBytes += std::stoll(line.str());
    else if (line.consume_front("kernel "))
      exe->kernels.push_back(KernelProfile{line.str(), 0, 0});
    else if (line == "profile")
      exe->profile = true;
  }
  if (!exe->profile)
    exe->kernels.clear();
  exe->library = std::move(library);
  exe->keepAlive = std::move(keepAlive);
  return exe;
}

bool Executable::setLibraryPackingPass(bool on) {
  if (!library->setPackingPass)
    return false;
  library->setPackingPass(on ? 1 : 0);
  return true;
}

llvm::Error Executable::runLibrary(llvm::ArrayRef<const void *> in,
                                   llvm::ArrayRef<void *> out) {
  char *error = nullptr;
  if (library->runBuffers(library->model, in.data(), out.data(), &error))
    return llvm::Error::success();
  std::string text = error ? error : "unknown error";
  library->freeError(error);
  return makeStringError(text);
}
