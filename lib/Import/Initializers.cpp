//===- Initializers.cpp - initializers and weights --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The initializers of a model: their checks (type, dims, data size), their
// bytes (raw_data, typed fields, or external data memory-mapped from the
// model's folder), small ones read into HostTensors for folding, and weights as
// dense_resource blobs over the original bytes without a copy.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace romac;
using namespace romac::onnximport;

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
