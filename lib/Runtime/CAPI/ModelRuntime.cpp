//===- ModelRuntime.cpp - the C API of a compiled model ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Linked into every shared object romac writes (the artefact cache's and
// --emit-library's), next to the generated code and RomacKernels: implements
// include/romac-c/romac.h over the symbols ModelABI.h describes. Plain C++
// on libc, no LLVM: the library runs in any process.
//
//===----------------------------------------------------------------------===//

#include "ModelABI.h"

#include "romac-c/romac.h"
#include "romac/Runtime/Kernels.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define ROMAC_EXPORT extern "C" __attribute__((visibility("default")))
#define ROMAC_HIDDEN extern "C" __attribute__((visibility("hidden")))

// Defined by the generated object (ModelABI.h).
ROMAC_HIDDEN void romac_model_entry(void **args);
ROMAC_HIDDEN void *romac_weight_table[];
ROMAC_HIDDEN void *romac_runtime_symbols[];
ROMAC_HIDDEN const char romac_model_manifest[];

namespace {

/// One input or output.
struct TensorSlot {
  std::string name;
  romac_dtype dtype = ROMAC_DTYPE_FLOAT32;
  std::vector<int64_t> shape;
  size_t bytes = 0;
  void *buffer = nullptr;
};

/// The manifest, parsed.
struct Manifest {
  uint64_t id = 0;
  std::vector<uint64_t> weightBytes;
  std::vector<std::string> runtimeSymbols;
  std::vector<TensorSlot> inputs, outputs;
};

const char *const kDtypeNames[] = {
    "float32", "float64", "float16", "bfloat16", "int8",   "uint8", "int16",
    "int32",   "int64",   "bool",    "uint16",   "uint32", "uint64"};

/// Stores `message` for the caller; returns 0 (the failing status).
int fail(char **error, const std::string &message) {
  if (error) {
    *error = static_cast<char *>(std::malloc(message.size() + 1));
    if (*error)
      std::memcpy(*error, message.c_str(), message.size() + 1);
  }
  return 0;
}

std::string unescape(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

/// Reads a tensor record: "<dtype> <rank> <d0> ... <name>".
bool parseTensor(const char *text, TensorSlot &slot) {
  char dtype[32];
  int rank = 0, used = 0;
  if (std::sscanf(text, "%31s %d%n", dtype, &rank, &used) != 2 || rank < 0)
    return false;
  int d = 0;
  for (; d < romac::abi::kNumDtypes; ++d)
    if (std::strcmp(dtype, kDtypeNames[d]) == 0)
      break;
  if (d == romac::abi::kNumDtypes)
    return false;
  slot.dtype = static_cast<romac_dtype>(d);
  text += used;
  size_t elements = 1;
  for (int k = 0; k < rank; ++k) {
    long long extent = 0;
    if (std::sscanf(text, " %lld%n", &extent, &used) != 1 || extent < 0)
      return false;
    slot.shape.push_back(extent);
    elements *= static_cast<size_t>(extent);
    text += used;
  }
  if (*text != ' ')
    return false;
  slot.name = unescape(text + 1);
  slot.bytes = elements * romac::abi::kDtypeBytes[d];
  return true;
}

/// Parses romac_model_manifest.
bool parseManifest(Manifest &m, std::string &problem) {
  const char *text = romac_model_manifest;
  bool header = false, end = false;
  while (*text && !end) {
    const char *eol = std::strchr(text, '\n');
    std::string line(text, eol ? eol - text : std::strlen(text));
    text = eol ? eol + 1 : text + line.size();
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    bool ok = true;
    if (!header) {
      ok = header = line == romac::abi::kManifestHeader;
    } else if (key == "id") {
      ok = std::sscanf(rest.c_str(), "%llx",
                       reinterpret_cast<unsigned long long *>(&m.id)) == 1;
    } else if (key == "weight") {
      unsigned long long bytes = 0;
      ok = std::sscanf(rest.c_str(), "%llu", &bytes) == 1;
      m.weightBytes.push_back(bytes);
    } else if (key == "runtime") {
      m.runtimeSymbols.push_back(rest);
    } else if (key == "input" || key == "output") {
      TensorSlot slot;
      ok = parseTensor(rest.c_str(), slot);
      (key == "input" ? m.inputs : m.outputs).push_back(std::move(slot));
    } else if (key == "end") {
      end = true;
    }
    if (!ok) {
      problem = "the library's manifest is corrupt at '" + line + "'";
      return false;
    }
  }
  if (!end)
    problem = "the library's manifest is truncated";
  return end;
}

/// The manifest, parsed once.
const Manifest *getManifest(char **error) {
  static std::string problem;
  static Manifest *manifest = [] {
    auto *m = new Manifest();
    if (!parseManifest(*m, problem)) {
      delete m;
      return static_cast<Manifest *>(nullptr);
    }
    return m;
  }();
  if (!manifest)
    fail(error, problem);
  return manifest;
}

/// Fills romac_runtime_symbols by name from this library's kernels.
bool bindRuntimeSymbols(const Manifest &m, char **error) {
  int count = 0;
  const romac::kernels::Symbol *symbols = romac::kernels::getSymbols(&count);
  for (size_t i = 0; i < m.runtimeSymbols.size(); ++i) {
    void *address = nullptr;
    for (int s = 0; s < count && !address; ++s)
      if (m.runtimeSymbols[i] == symbols[s].name)
        address = symbols[s].address;
    if (!address)
      return fail(error, "the runtime has no function '" + m.runtimeSymbols[i] +
                             "' (a library of another romac version?)");
    romac_runtime_symbols[i] = address;
  }
  return true;
}

/// Sets the profiling hooks (romac_internal_set_profile_hooks).
void (*profileEnter)(int64_t) = nullptr;
void (*profileExit)(int64_t) = nullptr;

} // namespace

/// A loaded model.
struct romac_model {
  std::vector<TensorSlot> inputs, outputs;
  /// Its weights, copied into romac_weight_table before each run (models
  /// of one library may bind different weights files).
  std::vector<void *> weights;
  /// The weights file this model mapped (none when romac bound them).
  void *mapping = nullptr;
  size_t mappingBytes = 0;

  ~romac_model() {
    for (TensorSlot &t : inputs)
      std::free(t.buffer);
    for (TensorSlot &t : outputs)
      std::free(t.buffer);
    if (mapping)
      munmap(mapping, mappingBytes);
  }
};

namespace {

/// A model with zeroed, 64-byte aligned buffers and bound weights.
romac_model *createBound(const Manifest &m, const void *const *weights,
                         int64_t count, char **error) {
  if (count != static_cast<int64_t>(m.weightBytes.size())) {
    fail(error, "the model has " + std::to_string(m.weightBytes.size()) +
                    " weights, " + std::to_string(count) + " were given");
    return nullptr;
  }
  if (!bindRuntimeSymbols(m, error))
    return nullptr;
  auto *model = new romac_model();
  model->inputs = m.inputs;
  model->outputs = m.outputs;
  for (std::vector<TensorSlot> *t : {&model->inputs, &model->outputs})
    for (TensorSlot &slot : *t) {
      size_t size = (slot.bytes + 63) / 64 * 64;
      slot.buffer = std::aligned_alloc(64, size ? size : 64);
      if (!slot.buffer) {
        delete model;
        fail(error, "out of memory for tensor '" + slot.name + "'");
        return nullptr;
      }
      std::memset(slot.buffer, 0, size);
    }
  for (int64_t i = 0; i < count; ++i)
    model->weights.push_back(const_cast<void *>(weights[i]));
  return model;
}

/// The weights file next to this library: its path with the extension
/// replaced by ".weights".
std::string defaultWeightsPath() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&romac_model_create), &info) ||
      !info.dli_fname)
    return "";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    path.resize(dot);
  return path + ".weights";
}

uint64_t readU64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Maps `path` and checks it against the manifest; the weights' addresses go
/// to `weights`.
bool mapWeights(const Manifest &m, const std::string &path, void *&mapping,
                size_t &mappingBytes, std::vector<const void *> &weights,
                char **error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(error, path + ": cannot open the weights file: " +
                           std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(error, path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  uint64_t count = m.weightBytes.size();
  if (size < 24 || (size - 24) / 16 < count) {
    close(fd);
    return fail(error, path + ": the weights file is truncated");
  }
  mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapping == MAP_FAILED) {
    mapping = nullptr;
    return fail(
        error, path + ": cannot map the weights file: " + std::strerror(errno));
  }
  mappingBytes = size;
  auto *bytes = static_cast<const unsigned char *>(mapping);
  if (std::memcmp(bytes, romac::abi::kWeightsMagic, 8) != 0)
    return fail(error, path + ": not a romac weights file");
  if (readU64(bytes + 8) != m.id || readU64(bytes + 16) != count)
    return fail(error, path + ": the weights file belongs to another model");
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t offset = readU64(bytes + 24 + 16 * i);
    uint64_t length = readU64(bytes + 32 + 16 * i);
    if (length != m.weightBytes[i] || offset > size || size - offset < length)
      return fail(error, path + ": weight " + std::to_string(i) +
                             " is truncated or has the wrong size");
    weights.push_back(bytes + offset);
  }
  return true;
}

/// Finds the slot called `name`, or reports the names there are.
TensorSlot *findSlot(std::vector<TensorSlot> &slots, const char *name,
                     const char *what, char **error) {
  for (TensorSlot &t : slots)
    if (name && t.name == name)
      return &t;
  std::string list;
  for (const TensorSlot &t : slots) {
    list +=
        (list.empty() ? "" : ", ") + t.name + ": " + kDtypeNames[t.dtype] + "[";
    for (size_t d = 0; d < t.shape.size(); ++d)
      list += (d ? ", " : "") + std::to_string(t.shape[d]);
    list += "]";
  }
  fail(error, std::string("the model has no ") + what + " '" +
                  (name ? name : "(null)") + "'; expected " + what +
                  "s: " + list);
  return nullptr;
}

int fillInfo(const std::vector<TensorSlot> &slots, int index,
             romac_tensor_info *info) {
  if (index < 0 || index >= static_cast<int>(slots.size()) || !info)
    return 0;
  const TensorSlot &t = slots[index];
  info->name = t.name.c_str();
  info->dtype = t.dtype;
  info->rank = static_cast<int>(t.shape.size());
  info->shape = t.shape.data();
  info->bytes = t.bytes;
  return 1;
}

/// Calls the entry with a memref descriptor per buffer (allocated and
/// aligned pointer, offset 0, sizes, row-major strides).
void callEntry(const romac_model &model, const void *const *in,
               void *const *out) {
  const std::vector<TensorSlot> &inputs = model.inputs;
  const std::vector<TensorSlot> &outputs = model.outputs;
  for (size_t i = 0; i < model.weights.size(); ++i)
    romac_weight_table[i] = model.weights[i];
  std::vector<int64_t> values;
  auto add = [&](const void *data, const TensorSlot &t) {
    int64_t p = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    values.push_back(p);
    values.push_back(p);
    values.push_back(0);
    values.insert(values.end(), t.shape.begin(), t.shape.end());
    size_t first = values.size();
    values.resize(first + t.shape.size());
    int64_t stride = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      values[first + d] = stride;
      stride *= t.shape[d];
    }
  };
  for (size_t i = 0; i < inputs.size(); ++i)
    add(in[i], inputs[i]);
  for (size_t i = 0; i < outputs.size(); ++i)
    add(out[i], outputs[i]);
  std::vector<void *> args;
  for (int64_t &v : values)
    args.push_back(&v);
  romac_model_entry(args.data());
}

/// callEntry() on the model's own input and output buffers.
void callEntryOnSlots(romac_model &model) {
  std::vector<const void *> in;
  std::vector<void *> out;
  for (TensorSlot &t : model.inputs)
    in.push_back(t.buffer);
  for (TensorSlot &t : model.outputs)
    out.push_back(t.buffer);
  callEntry(model, in.data(), out.data());
}

/// After a run: 1, or 0 with the error of the first bad value (an index
/// out of range, a zero divisor) the run computed from its data
/// (romac-check-indices). None in the packing pass, whose values are not
/// the data's.
int checkDataError(char **error) {
  std::string bad = romac::kernels::takeDataError();
  if (bad.empty() || romac::kernels::isPackingPass())
    return 1;
  return fail(error, bad);
}

} // namespace

// The hooks generated code calls around every kernel with --profile.
ROMAC_HIDDEN void romac_profile_enter(int64_t kernel) {
  if (profileEnter)
    profileEnter(kernel);
}

ROMAC_HIDDEN void romac_profile_exit(int64_t kernel) {
  if (profileExit)
    profileExit(kernel);
}

//===----------------------------------------------------------------------===//
// The public API (romac-c/romac.h)
//===----------------------------------------------------------------------===//

ROMAC_EXPORT int romac_api_version(void) { return ROMAC_API_VERSION; }

ROMAC_EXPORT const char *romac_dtype_name(romac_dtype dtype) {
  int d = static_cast<int>(dtype);
  return d >= 0 && d < romac::abi::kNumDtypes ? kDtypeNames[d] : "?";
}

ROMAC_EXPORT romac_model *romac_model_create(const char *weights_path,
                                             char **error) {
  const Manifest *m = getManifest(error);
  if (!m)
    return nullptr;
  std::string path = weights_path ? weights_path : defaultWeightsPath();
  if (path.empty()) {
    fail(error, "cannot find the library's own path for its weights file; "
                "pass the path to romac_model_create");
    return nullptr;
  }
  void *mapping = nullptr;
  size_t mappingBytes = 0;
  std::vector<const void *> weights;
  if (!mapWeights(*m, path, mapping, mappingBytes, weights, error)) {
    if (mapping)
      munmap(mapping, mappingBytes);
    return nullptr;
  }
  romac_model *model = createBound(*m, weights.data(),
                                   static_cast<int64_t>(weights.size()), error);
  if (!model) {
    munmap(mapping, mappingBytes);
    return nullptr;
  }
  model->mapping = mapping;
  model->mappingBytes = mappingBytes;
  return model;
}

ROMAC_EXPORT void romac_model_destroy(romac_model *model) {
  delete model;
  // The kernels' packed copies of the weights are keyed by their addresses,
  // which the next model's weights may reuse.
  romac::kernels::clearPackedConstants();
  romac::kernels::releaseBufferPool();
}

ROMAC_EXPORT int romac_model_num_inputs(const romac_model *model) {
  return model ? static_cast<int>(model->inputs.size()) : 0;
}

ROMAC_EXPORT int romac_model_num_outputs(const romac_model *model) {
  return model ? static_cast<int>(model->outputs.size()) : 0;
}

ROMAC_EXPORT int romac_model_input_info(const romac_model *model, int index,
                                        romac_tensor_info *info) {
  return model ? fillInfo(model->inputs, index, info) : 0;
}

ROMAC_EXPORT int romac_model_output_info(const romac_model *model, int index,
                                         romac_tensor_info *info) {
  return model ? fillInfo(model->outputs, index, info) : 0;
}

ROMAC_EXPORT int romac_model_set_input(romac_model *model, const char *name,
                                       const void *data, size_t bytes,
                                       char **error) {
  if (!model)
    return fail(error, "romac_model_set_input: no model");
  TensorSlot *t = findSlot(model->inputs, name, "input", error);
  if (!t)
    return 0;
  if (bytes != t->bytes || (!data && bytes))
    return fail(error, "input '" + t->name + "' holds " +
                           std::to_string(t->bytes) + " bytes, " +
                           std::to_string(bytes) + " were given");
  if (bytes)
    std::memcpy(t->buffer, data, bytes);
  return 1;
}

ROMAC_EXPORT int romac_model_run(romac_model *model, char **error) {
  if (!model)
    return fail(error, "romac_model_run: no model");
  callEntryOnSlots(*model);
  return checkDataError(error);
}

ROMAC_EXPORT int romac_model_pack_weights(romac_model *model, char **error) {
  if (!model)
    return fail(error, "romac_model_pack_weights: no model");
  // Its own inputs of ones (ModelABI.h), the model's left as they are.
  std::vector<std::vector<char>> ones;
  std::vector<const void *> in;
  std::vector<void *> out;
  for (TensorSlot &t : model->inputs) {
    ones.emplace_back(t.bytes);
    romac::abi::fillWithOnes(ones.back().data(), t.dtype,
                             t.bytes / romac::abi::kDtypeBytes[t.dtype]);
    in.push_back(ones.back().data());
  }
  for (TensorSlot &t : model->outputs)
    out.push_back(t.buffer);
  romac::kernels::setPackingPass(true);
  callEntry(*model, in.data(), out.data());
  int ok = checkDataError(error);
  romac::kernels::setPackingPass(false);
  return ok;
}

ROMAC_EXPORT int romac_model_get_output(const romac_model *model,
                                        const char *name, void *data,
                                        size_t bytes, char **error) {
  if (!model)
    return fail(error, "romac_model_get_output: no model");
  TensorSlot *t = findSlot(const_cast<romac_model *>(model)->outputs, name,
                           "output", error);
  if (!t)
    return 0;
  if (bytes != t->bytes || (!data && bytes))
    return fail(error, "output '" + t->name + "' holds " +
                           std::to_string(t->bytes) + " bytes, a buffer of " +
                           std::to_string(bytes) + " was given");
  if (bytes)
    std::memcpy(data, t->buffer, bytes);
  return 1;
}

ROMAC_EXPORT void romac_set_num_threads(int threads) {
  romac::kernels::setNumThreads(threads);
}

ROMAC_EXPORT void romac_free_error(char *error) { std::free(error); }

//===----------------------------------------------------------------------===//
// romac's own entry points (ModelABI.h)
//===----------------------------------------------------------------------===//

ROMAC_EXPORT const char *romac_internal_manifest(void) {
  return romac_model_manifest;
}

ROMAC_EXPORT romac_model *
romac_internal_create_bound(const void *const *weights, int64_t count,
                            char **error) {
  const Manifest *m = getManifest(error);
  return m ? createBound(*m, weights, count, error) : nullptr;
}

ROMAC_EXPORT int romac_internal_run_buffers(romac_model *model,
                                            const void *const *in,
                                            void *const *out, char **error) {
  if (!model)
    return fail(error, "no model");
  callEntry(*model, in, out);
  return checkDataError(error);
}

ROMAC_EXPORT void romac_internal_set_profile_hooks(void (*enter)(int64_t),
                                                   void (*exit)(int64_t)) {
  profileEnter = enter;
  profileExit = exit;
}

/// `mode` is a romac::kernels::WinogradMode (0 off, 1 auto, 2 or 4 the
/// tile side); anything else is auto.
ROMAC_EXPORT void romac_internal_set_winograd(int mode) {
  using romac::kernels::WinogradMode;
  WinogradMode m = WinogradMode::Auto;
  if (mode == 0 || mode == 2 || mode == 4)
    m = static_cast<WinogradMode>(mode);
  romac::kernels::setWinogradMode(m);
}

/// Turns the library's kernels' packing pass on (non-zero) or off
/// (romac::kernels::setPackingPass).
ROMAC_EXPORT void romac_internal_set_packing_pass(int on) {
  romac::kernels::setPackingPass(on != 0);
}

ROMAC_EXPORT int romac_internal_set_isa(const char *name) {
  using romac::kernels::Isa;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Bf16})
    if (name && std::strcmp(name, romac::kernels::getIsaName(isa)) == 0)
      return romac::kernels::setIsa(isa) ? 1 : 0;
  return 0;
}
