//===- Importer.cpp - ONNX graph to func.func @main -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The importer proper: validates the ModelProto (initializer sizes, external
// data paths, cycles, domains), binds dynamic dims, runs ONNX shape
// inference, walks the graph in topological order and calls one converter per
// node. Small constants (shape arithmetic) are folded on the host; weights
// become dense_resource blobs over the memory-mapped files without copies.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"
#include "ModelLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <memory>
#include <queue>

using namespace mlir;
using namespace romac;
using namespace romac::onnximport;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

bool romac::onnximport::isFloatType(OnnxType t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE ||
         t == onnx::TensorProto::FLOAT16 || t == onnx::TensorProto::BFLOAT16;
}

bool romac::onnximport::isUnsignedType(OnnxType t) {
  return t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::UINT16 ||
         t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64 ||
         t == onnx::TensorProto::BOOL;
}

int64_t romac::onnximport::elementBytes(OnnxType t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

std::string romac::onnximport::typeName(OnnxType t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return llvm::StringRef(onnx::TensorProto::DataType_Name(
                               static_cast<onnx::TensorProto::DataType>(t)))
        .lower();
  return "type " + std::to_string(t);
}

Type romac::onnximport::toMlirType(MLIRContext *ctx, OnnxType t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64);
  default:
    return {};
  }
}

std::string romac::onnximport::nodeName(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + ":" + (node.output_size() ? node.output(0) : "");
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor HostTensor::make(OnnxType type, ArrayRef<int64_t> shape) {
  HostTensor t;
  t.type = type;
  t.shape.assign(shape.begin(), shape.end());
  if (t.isFloat())
    t.f.assign(t.numel(), 0.0);
  else
    t.i.assign(t.numel(), 0);
  return t;
}

void HostTensor::set(int64_t k, double v) {
  if (isFloat())
    f[k] = v;
  else if (type == onnx::TensorProto::BOOL)
    i[k] = v != 0.0;
  else
    i[k] = static_cast<int64_t>(v);
}

SmallVector<int64_t> HostTensor::toInts() const {
  SmallVector<int64_t> out;
  for (int64_t k = 0, e = numel(); k < e; ++k)
    out.push_back(getI(k));
  return out;
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

llvm::Error OnnxImportOptions::addDim(StringRef spec) {
  auto [name, value] = spec.split('=');
  int64_t v;
  if (name.empty() || value.empty() || value.getAsInteger(10, v) || v <= 0)
    return llvm::createStringError(
        "invalid dim binding '%s': expected NAME=N with N > 0",
        spec.str().c_str());
  dims[name] = v;
  return llvm::Error::success();
}

llvm::Error OnnxImportOptions::addShape(StringRef spec) {
  auto [name, dimsText] = spec.split('=');
  SmallVector<int64_t> shape;
  bool ok = !name.empty() && !dimsText.empty();
  if (ok && dimsText != "scalar") {
    SmallVector<StringRef> parts;
    dimsText.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t v;
      if (p.getAsInteger(10, v) || v < 0) {
        ok = false;
        break;
      }
      shape.push_back(v);
    }
  }
  if (!ok)
    return llvm::createStringError(
        "invalid shape '%s': expected NAME=D0xD1x... (or NAME=scalar)",
        spec.str().c_str());
  shapes[name] = shape;
  return llvm::Error::success();
}

llvm::Error OnnxImportOptions::addFrozenInput(StringRef spec) {
  auto [name, file] = spec.split('=');
  if (name.empty() || file.empty())
    return llvm::createStringError(
        "invalid frozen input '%s': expected NAME=FILE.pb",
        spec.str().c_str());
  frozenInputs[name] = file.str();
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

namespace romac::onnximport {

/// Everything the importer knows about one ONNX value.
struct ValueEntry {
  Value value;
  OnnxType type = onnx::TensorProto::UNDEFINED;
  std::optional<HostTensor> host;
  const onnx::TensorProto *initializer = nullptr;
};

class Importer {
public:
  Importer(MLIRContext &ctx, StringRef displayName, StringRef baseDir,
           const OnnxImportOptions &options)
      : ctx(ctx), builder(&ctx), displayName(displayName.str()),
        baseDir(baseDir.str()), options(options) {}

  OwningOpRef<ModuleOp> run(std::shared_ptr<onnx::ModelProto> model);

  /// Emits "<file>: <msg>" and returns failure. Only the first error counts.
  LogicalResult error(const Twine &msg) {
    if (!failedOnce)
      emitError(UnknownLoc::get(&ctx)) << displayName << ": " << msg;
    failedOnce = true;
    return failure();
  }

  /// The entry of a value a node defines.
  ValueEntry &define(StringRef name) { return values[name]; }
  ValueEntry *lookup(StringRef name) {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
  Value materializeEntry(StringRef name, ValueEntry &entry, Location loc);
  /// A small tensor proto as a HostTensor (nullopt when too large).
  std::optional<HostTensor> readHostTensor(const onnx::TensorProto &t);
  /// A tensor proto as a constant op (dense_resource for weights).
  Value weightConstant(const onnx::TensorProto &t, Location loc);
  const HostTensor *hostValue(ValueEntry &entry);

  MLIRContext &ctx;
  OpBuilder builder;
  std::string displayName;
  std::string baseDir;
  const OnnxImportOptions &options;
  bool failedOnce = false;

private:
  LogicalResult checkModel();
  LogicalResult freezeInputs();
  LogicalResult bindInputShapes();
  LogicalResult checkInitializers();
  LogicalResult sortNodes(SmallVectorImpl<const onnx::NodeProto *> &order);
  LogicalResult checkSupport(ArrayRef<const onnx::NodeProto *> order);
  LogicalResult convertNode(const onnx::NodeProto &node);
  LogicalResult checkResultTypes(const onnx::NodeProto &node);
  FailureOr<RankedTensorType> staticType(const onnx::TypeProto &type,
                                         StringRef what);
  FailureOr<ArrayRef<char>> initializerBytes(const onnx::TensorProto &t);

  std::shared_ptr<onnx::ModelProto> model;
  int64_t opset = 0;
  llvm::StringMap<ValueEntry> values;
  llvm::StringMap<const onnx::TypeProto *> inferredTypes;
  /// Memory-mapped external data files, by resolved path.
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> mappedFiles;
};

} // namespace romac::onnximport

LogicalResult Importer::checkModel() {
  if (!model->has_graph())
    return error("the model has no graph (not an ONNX model?)");
  for (const auto &imp : model->opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset == 0) {
    if (model->opset_import_size() == 0 && model->ir_version() < 3)
      opset = 1; // IR v1/v2 models predate opset_import.
    else
      return error("the model imports no version of the default ONNX "
                   "domain (opset_import)");
  }
  if (opset > 18)
    return error("opset " + Twine(opset) +
                 " is newer than this importer supports (7 to 18)");
  return success();
}

/// Turns the inputs named by --freeze into initializers holding the given
/// TensorProto files.
LogicalResult Importer::freezeInputs() {
  onnx::GraphProto *graph = model->mutable_graph();
  for (const auto &entry : options.frozenInputs) {
    StringRef name = entry.getKey();
    auto *inputs = graph->mutable_input();
    auto it = llvm::find_if(*inputs, [&](const onnx::ValueInfoProto &v) {
      return v.name() == name;
    });
    if (it == inputs->end())
      return error("--freeze names '" + name +
                   "', which is not an input of the model");
    auto buf = llvm::MemoryBuffer::getFile(entry.getValue(), /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf)
      return error("--freeze " + name + ": cannot read '" + entry.getValue() +
                   "': " + buf.getError().message());
    onnx::TensorProto tensor;
    if ((*buf)->getBufferSize() > (1u << 30) ||
        !tensor.ParseFromArray((*buf)->getBufferStart(),
                               static_cast<int>((*buf)->getBufferSize())))
      return error("--freeze " + name + ": '" + entry.getValue() +
                   "' is not a serialized TensorProto");
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
      return error("--freeze " + name + ": external data is not allowed");
    if (it->type().has_tensor_type() &&
        it->type().tensor_type().elem_type() != tensor.data_type())
      return error("--freeze " + name + ": the file holds " +
                   typeName(tensor.data_type()) + ", the input is " +
                   typeName(it->type().tensor_type().elem_type()));
    tensor.set_name(name.str());
    *graph->add_initializer() = std::move(tensor);
    inputs->erase(it);
  }
  return success();
}

/// Applies --dim / --shape to the graph inputs so that shape inference sees
/// static shapes, and rejects inputs that stay dynamic.
LogicalResult Importer::bindInputShapes() {
  onnx::GraphProto *graph = model->mutable_graph();
  llvm::StringSet<> initNames;
  for (const auto &init : graph->initializer())
    initNames.insert(init.name());
  llvm::StringSet<> usedShapes;
  for (onnx::ValueInfoProto &in : *graph->mutable_input()) {
    if (initNames.contains(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return error("input '" + in.name() +
                   "' is not a tensor (sequences and maps are not supported)");
    auto *tensorType = in.mutable_type()->mutable_tensor_type();
    auto shapeIt = options.shapes.find(in.name());
    if (shapeIt != options.shapes.end()) {
      usedShapes.insert(in.name());
      const auto &shape = shapeIt->second;
      if (tensorType->has_shape() &&
          tensorType->shape().dim_size() != static_cast<int>(shape.size()))
        return error("--shape " + in.name() + ": the input has rank " +
                     Twine(tensorType->shape().dim_size()) + ", the flag gives " +
                     Twine(shape.size()) + " dims");
      for (int k = 0, e = shape.size(); k < e; ++k) {
        if (tensorType->has_shape()) {
          const auto &dim = tensorType->shape().dim(k);
          if (dim.has_dim_value() && dim.dim_value() != shape[k])
            return error("--shape " + in.name() + ": dim " + Twine(k) +
                         " is fixed to " + Twine(dim.dim_value()) +
                         " in the model, the flag gives " + Twine(shape[k]));
        }
      }
      tensorType->mutable_shape()->clear_dim();
      for (int64_t d : shape)
        tensorType->mutable_shape()->add_dim()->set_dim_value(d);
      continue;
    }
    if (!tensorType->has_shape())
      return error("input '" + in.name() +
                   "' has no shape; give it with --shape " + in.name() +
                   "=D0xD1x...");
    for (int k = 0; k < tensorType->shape().dim_size(); ++k) {
      auto *dim = tensorType->mutable_shape()->mutable_dim(k);
      if (dim->has_dim_value()) {
        if (dim->dim_value() < 0)
          return error("input '" + in.name() + "' has negative dim " +
                       Twine(dim->dim_value()));
        continue;
      }
      std::string param = dim->dim_param();
      auto it = options.dims.find(param);
      if (param.empty() || it == options.dims.end())
        return error("input '" + in.name() + "': dim " + Twine(k) +
                     (param.empty() ? Twine(" has no size")
                                    : Twine(" ('") + param + "') is unbound") +
                     "; bind it with --dim " +
                     (param.empty() ? std::string("NAME") : param) +
                     "=N or --shape " + in.name() + "=D0xD1x...");
      dim->set_dim_value(it->second);
    }
  }
  for (const auto &entry : options.shapes)
    if (!usedShapes.contains(entry.getKey()))
      return error("--shape names '" + entry.getKey() +
                   "', which is not an input of the model");
  return success();
}

/// Checks every initializer: element type, dims, and that its data is there
/// and has the right size (inline or external).
LogicalResult Importer::checkInitializers() {
  for (const auto &init : model->graph().initializer()) {
    if (init.name().empty())
      return error("an initializer has no name");
    if (elementBytes(init.data_type()) == 0)
      return error("initializer '" + init.name() + "' has unsupported type " +
                   typeName(init.data_type()));
    int64_t numel = 1;
    for (int64_t d : init.dims()) {
      if (d < 0)
        return error("initializer '" + init.name() + "' has negative dim " +
                     Twine(d));
      if (llvm::MulOverflow(numel, d, numel) ||
          numel > (int64_t(1) << 48))
        return error("initializer '" + init.name() +
                     "' has too many elements (dims overflow)");
    }
    if (failed(initializerBytes(init)))
      return failure();
  }
  return success();
}

/// The bytes of an initializer (raw_data, external data, or null for the
/// typed repeated fields, which are read by readHostTensor/weightConstant).
FailureOr<ArrayRef<char>>
Importer::initializerBytes(const onnx::TensorProto &t) {
  int64_t numel = 1;
  for (int64_t d : t.dims())
    numel *= d;
  int64_t expected = numel * elementBytes(t.data_type());
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset" || kv.key() == "length") {
        int64_t v;
        if (StringRef(kv.value()).getAsInteger(10, v) || v < 0)
          return error("initializer '" + t.name() + "': invalid external " +
                       kv.key() + " '" + kv.value() + "'");
        (kv.key() == "offset" ? offset : length) = v;
      }
    }
    if (location.empty())
      return error("initializer '" + t.name() +
                   "' has external data without a location");
    StringRef loc(location);
    SmallVector<StringRef> parts;
    loc.split(parts, '/');
    if (llvm::sys::path::is_absolute(loc) || loc.contains('\\') ||
        llvm::is_contained(parts, ".."))
      return error("external data location '" + location +
                   "' of initializer '" + t.name() +
                   "' leaves the model's folder");
    if (baseDir.empty())
      return error("initializer '" + t.name() +
                   "' uses external data, which is not allowed here");
    SmallString<256> path(baseDir);
    llvm::sys::path::append(path, loc);
    // A link may not lead outside the folder either.
    SmallString<256> realBase, realPath;
    if (llvm::sys::fs::real_path(baseDir, realBase) ||
        llvm::sys::fs::real_path(path, realPath))
      return error("external data file '" + location + "' of initializer '" +
                   t.name() + "' not found next to the model");
    if (!StringRef(realPath).starts_with((realBase + "/").str()))
      return error("external data location '" + location +
                   "' of initializer '" + t.name() +
                   "' leaves the model's folder (through a link)");
    auto &mapped = mappedFiles[realPath];
    if (!mapped) {
      auto buf = llvm::MemoryBuffer::getFile(realPath, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false,
                                             /*IsVolatile=*/false);
      if (!buf)
        return error("cannot read external data file '" + location +
                     "': " + buf.getError().message());
      mapped = std::shared_ptr<llvm::MemoryBuffer>(std::move(*buf));
    }
    int64_t fileSize = mapped->getBufferSize();
    if (length < 0)
      length = fileSize - offset;
    if (length != expected)
      return error("initializer '" + t.name() + "' needs " + Twine(expected) +
                   " bytes but its external data length is " + Twine(length));
    if (offset > fileSize || fileSize - offset < length)
      return error("external data file '" + location + "' is too short for '" +
                   t.name() + "': needs bytes [" + Twine(offset) + ", " +
                   Twine(offset + length) + "), the file has " +
                   Twine(fileSize));
    return ArrayRef<char>(mapped->getBufferStart() + offset, length);
  }
  if (t.has_raw_data()) {
    if (static_cast<int64_t>(t.raw_data().size()) != expected)
      return error("initializer '" + t.name() + "' holds " +
                   Twine(t.raw_data().size()) + " bytes of raw data, its " +
                   Twine(numel) + " elements of " + typeName(t.data_type()) +
                   " need " + Twine(expected));
    return ArrayRef<char>(t.raw_data().data(), t.raw_data().size());
  }
  int64_t have = 0;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    have = t.float_data_size();
    break;
  case onnx::TensorProto::DOUBLE:
    have = t.double_data_size();
    break;
  case onnx::TensorProto::INT64:
    have = t.int64_data_size();
    break;
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::UINT32:
    have = t.uint64_data_size();
    break;
  default: // int32, int16, int8, uint16, uint8, bool, float16, bfloat16
    have = t.int32_data_size();
    break;
  }
  if (have != numel)
    return error("initializer '" + t.name() + "' holds " + Twine(have) +
                 " values, its shape " +
                 shapeString(SmallVector<int64_t>(t.dims().begin(),
                                                  t.dims().end())) +
                 " needs " + Twine(numel));
  return ArrayRef<char>();
}

static double halfToDouble(uint16_t h, bool bf16) {
  if (bf16) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h))
      .convertToFloat();
}

/// Reads a small tensor into a HostTensor (for folding shape arithmetic).
std::optional<HostTensor>
Importer::readHostTensor(const onnx::TensorProto &t) {
  int64_t numel = 1;
  for (int64_t d : t.dims())
    numel *= d;
  if (numel > kMaxHostElements || elementBytes(t.data_type()) == 0)
    return std::nullopt;
  FailureOr<ArrayRef<char>> bytes = initializerBytes(t);
  if (failed(bytes))
    return std::nullopt;
  HostTensor h = HostTensor::make(
      t.data_type(), SmallVector<int64_t>(t.dims().begin(), t.dims().end()));
  const char *raw = bytes->empty() ? nullptr : bytes->data();
  auto rawAt = [&](int64_t k, auto *dummy) {
    using T = std::remove_pointer_t<decltype(dummy)>;
    T v;
    std::memcpy(&v, raw + k * sizeof(T), sizeof(T));
    return v;
  };
  for (int64_t k = 0; k < numel; ++k) {
    double v = 0;
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      v = raw ? rawAt(k, (float *)nullptr) : t.float_data(k);
      break;
    case onnx::TensorProto::DOUBLE:
      v = raw ? rawAt(k, (double *)nullptr) : t.double_data(k);
      break;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      v = halfToDouble(raw ? rawAt(k, (uint16_t *)nullptr)
                           : uint16_t(t.int32_data(k)),
                       t.data_type() == onnx::TensorProto::BFLOAT16);
      break;
    case onnx::TensorProto::INT64:
      h.i[k] = raw ? rawAt(k, (int64_t *)nullptr) : t.int64_data(k);
      continue;
    case onnx::TensorProto::UINT64:
      h.i[k] = raw ? int64_t(rawAt(k, (uint64_t *)nullptr))
                   : int64_t(t.uint64_data(k));
      continue;
    case onnx::TensorProto::INT32:
      h.i[k] = raw ? rawAt(k, (int32_t *)nullptr) : t.int32_data(k);
      continue;
    case onnx::TensorProto::UINT32:
      h.i[k] = raw ? rawAt(k, (uint32_t *)nullptr) : t.uint64_data(k);
      continue;
    case onnx::TensorProto::INT16:
      h.i[k] = raw ? rawAt(k, (int16_t *)nullptr) : t.int32_data(k);
      continue;
    case onnx::TensorProto::UINT16:
      h.i[k] = raw ? rawAt(k, (uint16_t *)nullptr) : t.int32_data(k);
      continue;
    case onnx::TensorProto::INT8:
      h.i[k] = raw ? rawAt(k, (int8_t *)nullptr) : t.int32_data(k);
      continue;
    case onnx::TensorProto::UINT8:
      h.i[k] = raw ? rawAt(k, (uint8_t *)nullptr) : t.int32_data(k);
      continue;
    case onnx::TensorProto::BOOL:
      h.i[k] = (raw ? rawAt(k, (uint8_t *)nullptr) : t.int32_data(k)) != 0;
      continue;
    default:
      return std::nullopt;
    }
    h.f[k] = v;
  }
  return h;
}

/// Sanitizes an ONNX name into a resource blob key.
static std::string blobKey(StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || llvm::isDigit(key[0]))
    key.insert(0, "w_");
  return key;
}

/// A weight as `arith.constant dense_resource<...>` over the original bytes
/// (the model's raw_data or the mapped external file), without a copy.
Value Importer::weightConstant(const onnx::TensorProto &t, Location loc) {
  Type elem = toMlirType(&ctx, t.data_type());
  auto type = RankedTensorType::get(
      SmallVector<int64_t>(t.dims().begin(), t.dims().end()), elem);
  FailureOr<ArrayRef<char>> bytes = initializerBytes(t);
  if (failed(bytes))
    return {};
  bool isBool = t.data_type() == onnx::TensorProto::BOOL;
  if (bytes->empty() || isBool || type.getNumElements() <= 16) {
    // Typed repeated fields, bools and tiny tensors: a plain dense constant.
    std::optional<HostTensor> h = readHostTensor(t);
    if (!h) {
      (void)error("initializer '" + t.name() +
                  "' stores more than " + Twine(kMaxHostElements) +
                  " elements in typed fields; use raw_data");
      return {};
    }
    return materialize(builder, loc, *h);
  }
  // Align as far as the data allows (the blob's pointer is used as is).
  uintptr_t addr = reinterpret_cast<uintptr_t>(bytes->data());
  size_t align = std::min<size_t>(64, addr ? (addr & -addr) : 64);
  // The deleter keeps the model (raw_data) and the mapped files alive for as
  // long as the context holds the blob.
  std::shared_ptr<onnx::ModelProto> keepModel = model;
  std::vector<std::shared_ptr<llvm::MemoryBuffer>> keepFiles;
  for (auto &entry : mappedFiles)
    keepFiles.push_back(entry.second);
  AsmResourceBlob blob(
      *bytes, align,
      [keepModel, keepFiles](void *, size_t, size_t) mutable {
        keepModel.reset();
        keepFiles.clear();
      },
      /*dataIsMutable=*/false);
  auto attr =
      DenseResourceElementsAttr::get(type, blobKey(t.name()), std::move(blob));
  return arith::ConstantOp::create(builder, loc, attr);
}

const HostTensor *Importer::hostValue(ValueEntry &entry) {
  if (entry.host)
    return &*entry.host;
  if (entry.initializer) {
    entry.host = readHostTensor(*entry.initializer);
    if (entry.host)
      return &*entry.host;
  }
  return nullptr;
}

Value Importer::materializeEntry(StringRef name, ValueEntry &entry,
                                 Location loc) {
  if (entry.value)
    return entry.value;
  if (entry.initializer) {
    // Small initializers that were read for folding still become weights
    // unless they are tiny; weightConstant decides.
    entry.value = weightConstant(*entry.initializer, NameLoc::get(
        StringAttr::get(&ctx, name)));
  } else if (entry.host) {
    entry.value = materialize(builder, loc, *entry.host);
  }
  return entry.value;
}

FailureOr<RankedTensorType> Importer::staticType(const onnx::TypeProto &type,
                                                 StringRef what) {
  if (!type.has_tensor_type())
    return error(what + " is not a tensor");
  const auto &tt = type.tensor_type();
  Type elem = toMlirType(&ctx, tt.elem_type());
  if (!elem)
    return error(what + " has unsupported element type " +
                 typeName(tt.elem_type()));
  if (!tt.has_shape())
    return error(what + " has no static shape");
  SmallVector<int64_t> shape;
  for (const auto &d : tt.shape().dim()) {
    if (!d.has_dim_value())
      return error(what + " has a dynamic dim" +
                   (d.dim_param().empty() ? "" : " '" + d.dim_param() + "'"));
    if (d.dim_value() < 0)
      return error(what + " has negative dim " + Twine(d.dim_value()));
    shape.push_back(d.dim_value());
  }
  return RankedTensorType::get(shape, elem);
}

/// Orders the nodes so that every value is defined before use; reports
/// cycles and undefined values by name.
LogicalResult
Importer::sortNodes(SmallVectorImpl<const onnx::NodeProto *> &order) {
  const auto &graph = model->graph();
  llvm::StringMap<int> producer;
  for (int n = 0; n < graph.node_size(); ++n)
    for (const std::string &out : graph.node(n).output()) {
      if (out.empty())
        continue;
      if (values.count(out) || !producer.try_emplace(out, n).second)
        return error("value '" + out + "' is defined more than once");
    }
  std::vector<int> pending(graph.node_size(), 0);
  std::vector<SmallVector<int>> users(graph.node_size());
  for (int n = 0; n < graph.node_size(); ++n) {
    const auto &node = graph.node(n);
    for (const std::string &in : node.input()) {
      if (in.empty() || values.count(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return error("node '" + nodeName(node) + "' (" + node.op_type() +
                     ") uses value '" + in + "', which nothing defines");
      ++pending[n];
      users[it->second].push_back(n);
    }
    if (node.op_type() == "If" || node.op_type() == "Loop" ||
        node.op_type() == "Scan")
      return error("node '" + nodeName(node) + "': control flow (" +
                   node.op_type() + ") is not supported");
  }
  // Kahn's algorithm, always taking the ready node that comes first in the
  // file, so the IR follows the model's order.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int n = 0; n < graph.node_size(); ++n)
    if (pending[n] == 0)
      ready.push(n);
  while (!ready.empty()) {
    int n = ready.top();
    ready.pop();
    order.push_back(&graph.node(n));
    for (int u : users[n])
      if (--pending[u] == 0)
        ready.push(u);
  }
  if (static_cast<int>(order.size()) != graph.node_size()) {
    for (int n = 0; n < graph.node_size(); ++n)
      if (pending[n] > 0)
        return error("the graph has a cycle through node '" +
                     nodeName(graph.node(n)) + "' (" + graph.node(n).op_type() +
                     ")");
  }
  return success();
}

/// Cross-checks the converter's result types against ONNX shape inference.
LogicalResult Importer::checkResultTypes(const onnx::NodeProto &node) {
  for (const std::string &out : node.output()) {
    if (out.empty())
      continue;
    ValueEntry *entry = lookup(out);
    if (!entry)
      return error("internal error: node '" + nodeName(node) + "' (" +
                   node.op_type() + ") did not define '" + out + "'");
    auto it = inferredTypes.find(out);
    if (it == inferredTypes.end() || !it->second->has_tensor_type() ||
        !it->second->tensor_type().has_shape())
      continue;
    SmallVector<int64_t> ours;
    if (entry->value)
      ours.assign(cast<RankedTensorType>(entry->value.getType())
                      .getShape()
                      .begin(),
                  cast<RankedTensorType>(entry->value.getType())
                      .getShape()
                      .end());
    else if (entry->host)
      ours = entry->host->shape;
    const auto &shape = it->second->tensor_type().shape();
    bool mismatch = shape.dim_size() != static_cast<int>(ours.size());
    for (int k = 0; !mismatch && k < shape.dim_size(); ++k)
      mismatch = shape.dim(k).has_dim_value() &&
                 shape.dim(k).dim_value() != ours[k];
    if (mismatch) {
      SmallVector<int64_t> theirs;
      for (const auto &d : shape.dim())
        theirs.push_back(d.has_dim_value() ? d.dim_value() : -1);
      return error("node '" + nodeName(node) + "' (" + node.op_type() +
                   "): result '" + out + "' has shape " + shapeString(ours) +
                   " but ONNX shape inference gives " + shapeString(theirs));
    }
  }
  return success();
}

/// Rejects nodes in unknown domains and ops (or opset versions) that have no
/// converter, naming the first such node.
LogicalResult
Importer::checkSupport(ArrayRef<const onnx::NodeProto *> order) {
  const auto &registry = opRegistry();
  for (const onnx::NodeProto *node : order) {
    if (!node->domain().empty() && node->domain() != "ai.onnx")
      return error("node '" + nodeName(*node) + "' (" + node->op_type() +
                   ") is in unknown domain '" + node->domain() + "'");
    auto it = registry.find(node->op_type());
    if (it == registry.end() || opset < it->second.minOpset ||
        opset > it->second.maxOpset)
      return error("unsupported op '" + node->op_type() + "' (node '" +
                   nodeName(*node) + "', opset " + Twine(opset) + ")");
  }
  return success();
}

LogicalResult Importer::convertNode(const onnx::NodeProto &node) {
  auto it = opRegistry().find(node.op_type());
  Location loc = NameLoc::get(StringAttr::get(&ctx, nodeName(node)));
  NodeContext nc(*this, node, loc, opset);

  // Fold on the host when every input is known at import time.
  SmallVector<const HostTensor *> hostInputs;
  bool allKnown = true;
  for (unsigned i = 0; i < nc.numInputs() && allKnown; ++i) {
    if (!nc.hasInput(i)) {
      hostInputs.push_back(nullptr);
      continue;
    }
    const HostTensor *h = nc.constInput(i);
    allKnown = h != nullptr;
    hostInputs.push_back(h);
  }
  if (allKnown) {
    if (auto results = evaluateOnHost(nc, hostInputs)) {
      for (unsigned k = 0; k < results->size() && k < nc.numOutputs(); ++k)
        if (nc.hasOutput(k))
          nc.setConstResult(k, std::move((*results)[k]));
      return failedOnce ? failure() : success();
    }
    if (failedOnce)
      return failure();
  }
  if (failed(it->second.convert(nc)))
    return failure();
  return failedOnce ? failure() : success();
}

OwningOpRef<ModuleOp> Importer::run(std::shared_ptr<onnx::ModelProto> m) {
  model = std::move(m);
  if (failed(checkModel()) || failed(freezeInputs()) ||
      failed(bindInputShapes()) || failed(checkInitializers()))
    return {};
  const auto &graph = model->graph();

  // Initializers first; graph inputs with the same name (IR < 4) are
  // constants, not arguments.
  for (const auto &init : graph.initializer()) {
    ValueEntry &e = values[init.name()];
    e.initializer = &init;
    e.type = init.data_type();
  }
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const auto &in : graph.input())
    if (!values.count(in.name()))
      args.push_back(&in);
  for (const auto *a : args)
    values[a->name()]; // defined before any node

  // Structure and op support before ONNX's shape inference, whose messages
  // for such models are less clear.
  SmallVector<const onnx::NodeProto *> order;
  if (failed(sortNodes(order)) || failed(checkSupport(order)))
    return {};
  {
    std::string err;
    int nodeIndex = 0;
    if (!verifyNodes(*model, opset, nodeIndex, err)) {
      const onnx::NodeProto &node = graph.node(nodeIndex);
      (void)error("node '" + nodeName(node) + "' (" + node.op_type() +
                  "): " + err);
      return {};
    }
    if (!inferShapes(*model, err)) {
      (void)error(err);
      return {};
    }
  }
  for (const auto &vi : graph.value_info())
    inferredTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    inferredTypes[vi.name()] = &vi.type();

  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes;
  for (const auto *a : args) {
    FailureOr<RankedTensorType> t =
        staticType(a->type(), "input '" + a->name() + "'");
    if (failed(t))
      return {};
    argTypes.push_back(*t);
  }

  auto func = func::FuncOp::create(builder, UnknownLoc::get(&ctx),
                                   options.funcName,
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [k, a] : llvm::enumerate(args)) {
    ValueEntry &e = values[a->name()];
    e.value = body->getArgument(k);
    e.type = a->type().tensor_type().elem_type();
    func.setArgAttr(k, "onnx.name", builder.getStringAttr(a->name()));
  }
  builder.setInsertionPointToEnd(body);

  for (const onnx::NodeProto *node : order)
    if (failed(convertNode(*node)) || failed(checkResultTypes(*node)))
      return {};

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    ValueEntry *e = lookup(out.name());
    if (!e) {
      (void)error("graph output '" + out.name() + "' is never defined");
      return {};
    }
    Value v = materializeEntry(out.name(), *e,
                               NameLoc::get(builder.getStringAttr(out.name())));
    if (!v)
      return {};
    results.push_back(v);
  }
  func::ReturnOp::create(builder, UnknownLoc::get(&ctx), results);
  func.setFunctionType(builder.getFunctionType(
      argTypes, ValueRange(results).getTypes()));
  for (auto [k, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(k, "onnx.name", builder.getStringAttr(out.name()));

  if (failed(verify(*module))) {
    (void)error("internal error: the imported IR does not verify");
    return {};
  }
  return module;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(Importer &importer, const onnx::NodeProto &node,
                         Location loc, int64_t opset)
    : importer(importer), node(node), b(importer.builder), loc(loc),
      opset(opset) {}

bool NodeContext::hasInput(unsigned i) const {
  return i < static_cast<unsigned>(node.input_size()) &&
         !node.input(i).empty();
}

Value NodeContext::input(unsigned i) {
  if (!hasInput(i)) {
    (void)fail("input " + Twine(i) + " is missing");
    return {};
  }
  ValueEntry *e = importer.lookup(node.input(i));
  if (!e)
    return {};
  Value v = importer.materializeEntry(node.input(i), *e, loc);
  if (!v)
    (void)fail("input '" + node.input(i) + "' has no value");
  return v;
}

RankedTensorType NodeContext::inputType(unsigned i) {
  if (!hasInput(i))
    return {};
  ValueEntry *e = importer.lookup(node.input(i));
  if (!e)
    return {};
  if (e->value)
    return cast<RankedTensorType>(e->value.getType());
  Type elem = toMlirType(ctx(), e->type);
  if (e->initializer)
    return RankedTensorType::get(
        SmallVector<int64_t>(e->initializer->dims().begin(),
                             e->initializer->dims().end()),
        elem);
  if (e->host)
    return RankedTensorType::get(e->host->shape, elem);
  return {};
}

ArrayRef<int64_t> NodeContext::inputShape(unsigned i) {
  RankedTensorType t = inputType(i);
  return t ? t.getShape() : ArrayRef<int64_t>();
}

OnnxType NodeContext::inputOnnxType(unsigned i) {
  ValueEntry *e = hasInput(i) ? importer.lookup(node.input(i)) : nullptr;
  return e ? e->type : onnx::TensorProto::UNDEFINED;
}

const HostTensor *NodeContext::constInput(unsigned i) {
  ValueEntry *e = hasInput(i) ? importer.lookup(node.input(i)) : nullptr;
  return e ? importer.hostValue(*e) : nullptr;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const { return attr(name); }

int64_t NodeContext::attrInt(StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::attrFloat(StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(StringRef name, StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef name) const {
  const auto *a = attr(name);
  return a ? SmallVector<int64_t>(a->ints().begin(), a->ints().end())
           : SmallVector<int64_t>();
}

SmallVector<float> NodeContext::attrFloats(StringRef name) const {
  const auto *a = attr(name);
  return a ? SmallVector<float>(a->floats().begin(), a->floats().end())
           : SmallVector<float>();
}

bool NodeContext::hasOutput(unsigned i) const {
  return i < static_cast<unsigned>(node.output_size()) &&
         !node.output(i).empty();
}

void NodeContext::setResult(unsigned i, Value v, OnnxType type) {
  if (!hasOutput(i))
    return;
  ValueEntry &e = importer.define(node.output(i));
  e.value = v;
  e.type = type;
}

void NodeContext::setConstResult(unsigned i, HostTensor t) {
  if (!hasOutput(i))
    return;
  ValueEntry &e = importer.define(node.output(i));
  e.type = t.type;
  e.host = std::move(t);
}

std::optional<HostTensor> NodeContext::readTensor(const onnx::TensorProto &t) {
  return importer.readHostTensor(t);
}

Value NodeContext::tensorConstant(const onnx::TensorProto &t) {
  return importer.weightConstant(t, loc);
}

LogicalResult NodeContext::fail(const Twine &msg) {
  return importer.error("node '" + nodeName(node) + "' (" + node.op_type() +
                        "): " + msg);
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return fail("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> romac::importOnnxBuffer(StringRef bytes,
                                              StringRef displayName,
                                              StringRef baseDir,
                                              MLIRContext &context,
                                              const OnnxImportOptions &options) {
  context.loadDialect<func::FuncDialect, linalg::LinalgDialect,
                      tensor::TensorDialect, arith::ArithDialect,
                      math::MathDialect>();
  auto model = std::make_shared<onnx::ModelProto>();
  std::string err;
  if (!onnximport::parseModel(bytes, *model, err)) {
    emitError(UnknownLoc::get(&context)) << displayName << ": " << err;
    return {};
  }
  Importer importer(context, displayName, baseDir, options);
  return importer.run(std::move(model));
}

OwningOpRef<ModuleOp> romac::importOnnxFile(StringRef path,
                                            MLIRContext &context,
                                            const OnnxImportOptions &options) {
  if (llvm::sys::fs::is_directory(path)) {
    emitError(UnknownLoc::get(&context))
        << path << ": is a folder, not an ONNX model file";
    return {};
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(&context))
        << path << ": cannot open: " << buffer.getError().message();
    return {};
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxBuffer((*buffer)->getBuffer(), path, dir, context, options);
}

void romac::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, arith::ArithDialect,
                  math::MathDialect>();
}
