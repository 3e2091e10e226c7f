//===- TensorIO.cpp - tensor files: dispatch and ONNX TensorProto ---------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reading and writing tensor files by extension, and the ONNX TensorProto
// format (.pb, as in the ONNX backend tests' input_N.pb / output_N.pb).
// A TensorProto holds its elements in raw_data (little endian) or in the
// typed repeated field of its data type; both are read, raw_data is written.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SwapByteOrder.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <climits>
#include <cstring>

using namespace romac;

namespace {

/// An error "FILE: MESSAGE".
llvm::Error fileError(llvm::StringRef fileName, const llvm::Twine &message) {
  return makeStringError(fileName + ": " + message);
}

/// The highest field number of TensorProto in the ONNX versions romac knows
/// (metadata_props = 16 in newer ones); unknown fields above it are newer
/// additions and ignored, unknown fields at or below it mean the bytes are
/// some other message.
constexpr int kLastKnownTensorProtoField = 16;

/// The number of values in the typed field that holds \p type's elements.
int64_t typedFieldSize(const onnx::TensorProto &t, ElementType type) {
  switch (type) {
  case ElementType::F32:
    return t.float_data_size();
  case ElementType::F64:
    return t.double_data_size();
  case ElementType::I64:
    return t.int64_data_size();
  case ElementType::U32:
  case ElementType::U64:
    return t.uint64_data_size();
  default: // int32_data: the 8/16/32-bit integers, bool, float16, bfloat16
    return t.int32_data_size();
  }
}

/// The total number of values in all typed fields.
int64_t allTypedFieldsSize(const onnx::TensorProto &t) {
  return int64_t(t.float_data_size()) + t.double_data_size() +
         t.int64_data_size() + t.uint64_data_size() + t.int32_data_size() +
         t.string_data_size();
}

template <typename T> void storeAt(char *data, int64_t index, T value) {
  std::memcpy(data + index * sizeof(T), &value, sizeof(T));
}

/// Stores the int32_data values of \p t as elements of type T that must lie
/// in [lo, hi]; an error names the first one outside.
template <typename T>
llvm::Error storeInt32Data(const onnx::TensorProto &t, Tensor &out, int64_t lo,
                           int64_t hi) {
  for (int64_t i = 0, n = out.getNumElements(); i < n; ++i) {
    int64_t v = t.int32_data(i);
    if (v < lo || v > hi)
      return makeStringError("int32_data value " + llvm::Twine(v) + " at " +
                             llvm::Twine(i) + " is out of range for " +
                             stringifyElementType(out.getElementType()));
    storeAt(out.data(), i, T(v));
  }
  return llvm::Error::success();
}

/// Copies the typed field of \p t into \p out (whose size it matches).
llvm::Error copyTypedData(const onnx::TensorProto &t, Tensor &out) {
  char *p = out.data();
  int64_t n = out.getNumElements();
  switch (out.getElementType()) {
  case ElementType::F32:
    std::copy_n(t.float_data().begin(), n, out.dataAs<float>());
    return llvm::Error::success();
  case ElementType::F64:
    std::copy_n(t.double_data().begin(), n, out.dataAs<double>());
    return llvm::Error::success();
  case ElementType::I64:
    std::copy_n(t.int64_data().begin(), n, out.dataAs<int64_t>());
    return llvm::Error::success();
  case ElementType::U64:
    std::copy_n(t.uint64_data().begin(), n, out.dataAs<uint64_t>());
    return llvm::Error::success();
  case ElementType::U32:
    for (int64_t i = 0; i < n; ++i) {
      uint64_t v = t.uint64_data(i);
      if (v > UINT32_MAX)
        return makeStringError("uint64_data value " + llvm::Twine(v) + " at " +
                               llvm::Twine(i) + " is out of range for uint32");
      storeAt(p, i, uint32_t(v));
    }
    return llvm::Error::success();
  case ElementType::I32:
    std::copy_n(t.int32_data().begin(), n, out.dataAs<int32_t>());
    return llvm::Error::success();
  case ElementType::I16:
    return storeInt32Data<int16_t>(t, out, INT16_MIN, INT16_MAX);
  case ElementType::U16:
  case ElementType::F16: // the 16-bit pattern, as ONNX specifies
  case ElementType::BF16:
    return storeInt32Data<uint16_t>(t, out, 0, UINT16_MAX);
  case ElementType::I8:
    return storeInt32Data<int8_t>(t, out, INT8_MIN, INT8_MAX);
  case ElementType::U8:
    return storeInt32Data<uint8_t>(t, out, 0, UINT8_MAX);
  case ElementType::Bool:
    return storeInt32Data<uint8_t>(t, out, 0, 1);
  }
  llvm_unreachable("unknown element type");
}

} // namespace

llvm::Expected<Tensor> romac::parseTensorProto(llvm::StringRef bytes,
                                               llvm::StringRef fileName,
                                               std::string *name) {
  if (bytes.size() > size_t(INT_MAX))
    return fileError(fileName, "too large for a TensorProto (over 2 GiB)");
  onnx::TensorProto t;
  if (!t.ParseFromArray(bytes.data(), int(bytes.size())))
    return fileError(fileName, "not a TensorProto (protobuf parse error)");
  const google::protobuf::UnknownFieldSet &unknown = t.unknown_fields();
  for (int i = 0; i < unknown.field_count(); ++i)
    if (unknown.field(i).number() <= kLastKnownTensorProtoField)
      return fileError(fileName, "not a TensorProto (field " +
                                     llvm::Twine(unknown.field(i).number()) +
                                     " has the wrong kind of value)");
  // A SequenceProto's or OptionalProto's values (field 3) parse as a
  // TensorProto's segment; real segmented tensors are not used either.
  if (t.has_segment())
    return fileError(fileName, "not a TensorProto (a segmented tensor, or "
                               "an ONNX SequenceProto or OptionalProto)");
  if (!t.has_data_type() || t.data_type() == onnx::TensorProto::UNDEFINED)
    return fileError(fileName, "not a TensorProto (no data type)");
  std::optional<ElementType> type = getElementTypeFromOnnx(t.data_type());
  if (!type)
    return fileError(fileName, "unsupported data type " +
                                   getOnnxDataTypeName(t.data_type()));
  llvm::SmallVector<int64_t, 4> shape(t.dims().begin(), t.dims().end());
  llvm::Expected<int64_t> count = getCheckedNumElements(*type, shape);
  if (!count)
    return fileError(fileName, llvm::toString(count.takeError()));
  std::string typeString = formatTensorType(*type, shape);
  if (t.data_location() == onnx::TensorProto::EXTERNAL ||
      t.external_data_size() > 0) {
    std::string location;
    for (const onnx::StringStringEntryProto &entry : t.external_data())
      if (entry.key() == "location")
        location = entry.value();
    return fileError(fileName, "tensor '" + t.name() +
                                   "' keeps its data in the external file '" +
                                   location +
                                   "'; external data is not supported in "
                                   "tensor files");
  }
  if (t.has_raw_data() && allTypedFieldsSize(t) > 0)
    return fileError(fileName, "has both raw_data and typed values");

  unsigned size = getElementSize(*type);
  uint64_t needed = uint64_t(*count) * size;
  Tensor out;
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (raw.size() != needed)
      return fileError(fileName, "holds " + llvm::Twine(raw.size()) +
                                     " bytes of raw_data but " + typeString +
                                     " needs " + llvm::Twine(needed));
    out = Tensor(*type, shape);
    std::memcpy(out.data(), raw.data(), needed);
    if (llvm::sys::IsBigEndianHost && size > 1)
      for (int64_t i = 0; i < *count; ++i)
        std::reverse(out.data() + i * size, out.data() + (i + 1) * size);
    if (*type == ElementType::Bool)
      for (int64_t i = 0; i < *count; ++i)
        out.data()[i] = out.data()[i] != 0;
  } else {
    int64_t have = typedFieldSize(t, *type);
    if (allTypedFieldsSize(t) != have)
      return fileError(fileName, "holds values in a field that is not the "
                                 "one of " +
                                     stringifyElementType(*type));
    if (have != *count)
      return fileError(fileName, "holds " + llvm::Twine(have) + " values but " +
                                     typeString + " needs " +
                                     llvm::Twine(*count));
    out = Tensor(*type, shape);
    if (llvm::Error e = copyTypedData(t, out))
      return fileError(fileName, llvm::toString(std::move(e)));
  }
  if (name)
    *name = t.name();
  return out;
}

/// Reads \p path whole (memory-mapped when large).
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readFileBytes(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

llvm::Expected<Tensor> romac::readNpy(llvm::StringRef path) {
  auto buffer = readFileBytes(path);
  if (!buffer)
    return buffer.takeError();
  return parseNpy((*buffer)->getBuffer(), path);
}

llvm::Expected<Tensor> romac::readTensorProto(llvm::StringRef path,
                                              std::string *name) {
  auto buffer = readFileBytes(path);
  if (!buffer)
    return buffer.takeError();
  return parseTensorProto((*buffer)->getBuffer(), path, name);
}

llvm::Expected<TensorFileFormat>
romac::getTensorFileFormat(llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext.equals_insensitive(".npy"))
    return TensorFileFormat::Npy;
  if (ext.equals_insensitive(".pb"))
    return TensorFileFormat::TensorProto;
  return fileError(path, "not a tensor file: expected a .npy or .pb "
                         "(ONNX TensorProto) file");
}

llvm::Expected<Tensor> romac::readTensorFile(llvm::StringRef path,
                                             std::string *name) {
  llvm::Expected<TensorFileFormat> format = getTensorFileFormat(path);
  if (!format)
    return format.takeError();
  if (*format == TensorFileFormat::Npy) {
    if (name)
      name->clear();
    return readNpy(path);
  }
  return readTensorProto(path, name);
}

llvm::Error romac::writeTensorProto(llvm::raw_ostream &os, const Tensor &t,
                                    llvm::StringRef name) {
  onnx::TensorProto proto;
  for (int64_t dim : t.getShape())
    proto.add_dims(dim);
  proto.set_data_type(getOnnxDataType(t.getElementType()));
  proto.set_name(name.str());
  std::string *raw = proto.mutable_raw_data();
  raw->assign(t.data(), t.getNumBytes());
  unsigned size = getElementSize(t.getElementType());
  if (llvm::sys::IsBigEndianHost && size > 1)
    for (size_t i = 0; i < raw->size(); i += size)
      std::reverse(raw->begin() + i, raw->begin() + i + size);
  if (proto.ByteSizeLong() > size_t(INT_MAX))
    return makeStringError(t.getTypeString() +
                           " is too large for a TensorProto (over 2 GiB); "
                           "write a .npy file instead");
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    return makeStringError("cannot serialize " + t.getTypeString() +
                           " as a TensorProto");
  os << bytes;
  return llvm::Error::success();
}

llvm::Error romac::addTensorFile(OutputSet &outputs, llvm::StringRef path,
                                 const Tensor &t, llvm::StringRef name) {
  llvm::Expected<TensorFileFormat> format = getTensorFileFormat(path);
  if (!format)
    return format.takeError();
  if (*format == TensorFileFormat::Npy)
    return outputs.addFile(path,
                           [&t](llvm::raw_ostream &os) { writeNpy(os, t); });
  // Serialize first, so that a tensor that does not fit is an error before
  // anything is staged.
  auto bytes = std::make_shared<std::string>();
  llvm::raw_string_ostream stream(*bytes);
  if (llvm::Error e = writeTensorProto(stream, t, name))
    return fileError(path, llvm::toString(std::move(e)));
  return outputs.addFile(path,
                         [bytes](llvm::raw_ostream &os) { os << *bytes; });
}

llvm::Error romac::writeTensorFile(llvm::StringRef path, const Tensor &t,
                                   llvm::StringRef name) {
  OutputSet outputs;
  if (llvm::Error e = addTensorFile(outputs, path, t, name))
    return e;
  return outputs.commit();
}
