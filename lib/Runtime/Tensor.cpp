//===- Tensor.cpp - the runtime's tensors ---------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Element types, the Tensor class, 16-bit float conversions, comparison
// against a reference and deterministic random contents.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "romac/Support/Error.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemAlloc.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace romac;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

llvm::StringRef romac::stringifyElementType(ElementType type) {
  return stringifyEnum(kElementTypeNames, type);
}

std::optional<ElementType> romac::symbolizeElementType(llvm::StringRef name) {
  return symbolizeEnum(kElementTypeNames, name);
}

unsigned romac::getElementSize(ElementType type) {
  switch (type) {
  case ElementType::I8:
  case ElementType::U8:
  case ElementType::Bool:
    return 1;
  case ElementType::F16:
  case ElementType::BF16:
  case ElementType::I16:
  case ElementType::U16:
    return 2;
  case ElementType::F32:
  case ElementType::I32:
  case ElementType::U32:
    return 4;
  case ElementType::F64:
  case ElementType::I64:
  case ElementType::U64:
    return 8;
  }
  llvm_unreachable("unknown element type");
}

bool romac::isFloatElementType(ElementType type) {
  return type == ElementType::F32 || type == ElementType::F64 ||
         type == ElementType::F16 || type == ElementType::BF16;
}

namespace {
/// ONNX's TensorProto.DataType values (onnx.proto), so that this header
/// needs no protobuf.
struct OnnxDataType {
  int value;
  const char *name;
  std::optional<ElementType> type;
};
constexpr OnnxDataType kOnnxDataTypes[] = {
    {0, "UNDEFINED", std::nullopt},       {1, "FLOAT", ElementType::F32},
    {2, "UINT8", ElementType::U8},        {3, "INT8", ElementType::I8},
    {4, "UINT16", ElementType::U16},      {5, "INT16", ElementType::I16},
    {6, "INT32", ElementType::I32},       {7, "INT64", ElementType::I64},
    {8, "STRING", std::nullopt},          {9, "BOOL", ElementType::Bool},
    {10, "FLOAT16", ElementType::F16},    {11, "DOUBLE", ElementType::F64},
    {12, "UINT32", ElementType::U32},     {13, "UINT64", ElementType::U64},
    {14, "COMPLEX64", std::nullopt},      {15, "COMPLEX128", std::nullopt},
    {16, "BFLOAT16", ElementType::BF16},  {17, "FLOAT8E4M3FN", std::nullopt},
    {18, "FLOAT8E4M3FNUZ", std::nullopt}, {19, "FLOAT8E5M2", std::nullopt},
    {20, "FLOAT8E5M2FNUZ", std::nullopt}, {21, "UINT4", std::nullopt},
    {22, "INT4", std::nullopt},           {23, "FLOAT4E2M1", std::nullopt},
};
} // namespace

int romac::getOnnxDataType(ElementType type) {
  for (const OnnxDataType &entry : kOnnxDataTypes)
    if (entry.type == type)
      return entry.value;
  llvm_unreachable("element type without an ONNX data type");
}

std::optional<ElementType> romac::getElementTypeFromOnnx(int dataType) {
  for (const OnnxDataType &entry : kOnnxDataTypes)
    if (entry.value == dataType)
      return entry.type;
  return std::nullopt;
}

std::string romac::getOnnxDataTypeName(int dataType) {
  for (const OnnxDataType &entry : kOnnxDataTypes)
    if (entry.value == dataType)
      return entry.name;
  return "data type " + std::to_string(dataType);
}

//===----------------------------------------------------------------------===//
// 16-bit floats
//===----------------------------------------------------------------------===//

static float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

static uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

float romac::halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in a float.
    float magnitude = std::ldexp(float(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) // infinity or NaN (payload kept)
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

/// \p value >> \p shift rounded to nearest, ties to even.
static uint32_t shiftRoundEven(uint32_t value, unsigned shift) {
  if (shift == 0)
    return value;
  if (shift > 31)
    return 0;
  uint32_t result = value >> shift;
  uint32_t rest = value & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (result & 1)))
    ++result;
  return result;
}

uint16_t romac::floatToHalf(float value) {
  uint32_t bits = floatToBits(value);
  uint16_t sign = (bits >> 16) & 0x8000;
  uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) // NaN: quiet, top of the payload kept
    return sign | 0x7e00 | ((magnitude >> 13) & 0x3ff);
  if (magnitude >= 0x477ff000) // >= 65520 rounds to infinity
    return sign | 0x7c00;
  uint32_t exponent = magnitude >> 23;
  if (exponent < 113) {
    // Below the smallest normal half (2^-14): a subnormal or zero, counted
    // in units of 2^-24. The float is m * 2^(e - 150), m with its hidden bit.
    if (exponent == 0) // float zero or subnormal: far below 2^-25
      return sign;
    uint32_t m = (magnitude & 0x7fffff) | 0x800000;
    return sign | shiftRoundEven(m, 126 - exponent);
  }
  // Normal: rebias the exponent, round the mantissa to 10 bits; a carry into
  // the exponent is what rounding up to the next binade means.
  uint32_t half = ((exponent - 112) << 10) | ((magnitude & 0x7fffff) >> 13);
  uint32_t rest = magnitude & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half;
  return sign | half;
}

float romac::bfloat16ToFloat(uint16_t bits) {
  return bitsToFloat(uint32_t(bits) << 16);
}

uint16_t romac::floatToBFloat16(float value) {
  uint32_t bits = floatToBits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) // NaN: quiet
    return (bits >> 16) | 0x40;
  uint32_t rounded = bits + 0x7fff + ((bits >> 16) & 1);
  return rounded >> 16;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

std::string romac::formatTensorType(ElementType type,
                                    llvm::ArrayRef<int64_t> shape) {
  std::string text = stringifyElementType(type).str() + "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

llvm::Expected<int64_t>
romac::getCheckedNumElements(ElementType type, llvm::ArrayRef<int64_t> shape) {
  for (int64_t dim : shape)
    if (dim < 0)
      return makeStringError("negative dimension in " +
                             formatTensorType(type, shape));
  for (int64_t dim : shape)
    if (dim == 0)
      return 0;
  int64_t count = 1;
  for (int64_t dim : shape)
    if (llvm::MulOverflow(count, dim, count))
      return makeStringError("shape " + formatTensorType(type, shape) +
                             " has too many elements");
  int64_t bytes;
  if (llvm::MulOverflow(count, int64_t(getElementSize(type)), bytes))
    return makeStringError("shape " + formatTensorType(type, shape) +
                           " has too many bytes");
  return count;
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

void Tensor::AlignedDeleter::operator()(char *p) const {
  llvm::deallocate_buffer(p, size, kAlignment);
}

Tensor::Tensor(ElementType type, llvm::ArrayRef<int64_t> shape)
    : type(type), shape(shape.begin(), shape.end()) {
  llvm::Expected<int64_t> count = getCheckedNumElements(type, shape);
  if (!count)
    llvm::report_fatal_error(llvm::Twine("romac::Tensor: ") +
                             llvm::toString(count.takeError()));
  numElements = *count;
  // At least one alignment unit, so that data() is never null.
  size_t size = std::max<size_t>(getNumBytes(), kAlignment);
  char *p = static_cast<char *>(llvm::allocate_buffer(size, kAlignment));
  std::memset(p, 0, size);
  buffer = std::unique_ptr<char[], AlignedDeleter>(p, AlignedDeleter{size});
}

Tensor::Tensor(Tensor &&other)
    : type(other.type), shape(std::move(other.shape)),
      numElements(other.numElements), buffer(std::move(other.buffer)) {
  other.shape.clear();
  other.numElements = 0;
}

Tensor &Tensor::operator=(Tensor &&other) {
  if (this == &other)
    return *this;
  type = other.type;
  shape = std::move(other.shape);
  numElements = other.numElements;
  buffer = std::move(other.buffer);
  other.shape.clear();
  other.numElements = 0;
  return *this;
}

llvm::Expected<Tensor> Tensor::create(ElementType type,
                                      llvm::ArrayRef<int64_t> shape) {
  if (llvm::Expected<int64_t> count = getCheckedNumElements(type, shape);
      !count)
    return count.takeError();
  return Tensor(type, shape);
}

Tensor Tensor::clone() const {
  if (isNull())
    return Tensor();
  Tensor copy(type, shape);
  std::memcpy(copy.data(), data(), getNumBytes());
  return copy;
}

std::string Tensor::getTypeString() const {
  return formatTensorType(type, shape);
}

namespace {
template <typename T> T loadAt(const char *data, int64_t index) {
  T value;
  std::memcpy(&value, data + index * sizeof(T), sizeof(T));
  return value;
}

/// Converts elements [begin, begin + count) of \p t to double into \p out.
void toDoubles(const Tensor &t, int64_t begin, int64_t count, double *out) {
  const char *p = t.data();
  auto convert = [&](auto tag, auto fn) {
    using T = decltype(tag);
    for (int64_t i = 0; i < count; ++i)
      out[i] = fn(loadAt<T>(p, begin + i));
  };
  auto same = [](auto v) { return double(v); };
  switch (t.getElementType()) {
  case ElementType::F32:
    return convert(float(), same);
  case ElementType::F64:
    return convert(double(), same);
  case ElementType::F16:
    return convert(uint16_t(),
                   [](uint16_t v) { return double(halfToFloat(v)); });
  case ElementType::BF16:
    return convert(uint16_t(),
                   [](uint16_t v) { return double(bfloat16ToFloat(v)); });
  case ElementType::I8:
    return convert(int8_t(), same);
  case ElementType::U8:
    return convert(uint8_t(), same);
  case ElementType::I16:
    return convert(int16_t(), same);
  case ElementType::U16:
    return convert(uint16_t(), same);
  case ElementType::I32:
    return convert(int32_t(), same);
  case ElementType::U32:
    return convert(uint32_t(), same);
  case ElementType::I64:
    return convert(int64_t(), same);
  case ElementType::U64:
    return convert(uint64_t(), same);
  case ElementType::Bool:
    return convert(uint8_t(), [](uint8_t v) { return v ? 1.0 : 0.0; });
  }
  llvm_unreachable("unknown element type");
}
} // namespace

double Tensor::getAsDouble(int64_t index) const {
  assert(index >= 0 && index < numElements && "element index out of range");
  double value;
  toDoubles(*this, index, 1, &value);
  return value;
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

llvm::Expected<TensorDiff> romac::compareTensors(const Tensor &got,
                                                 const Tensor &expected,
                                                 double rtol, double atol) {
  if (got.getElementType() != expected.getElementType())
    return makeStringError("type " + got.getTypeString() + " does not match " +
                           expected.getTypeString());
  if (got.getShape() != expected.getShape())
    return makeStringError("shape " + got.getTypeString() + " does not match " +
                           expected.getTypeString());
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr int64_t kChunk = 1024;
  double a[kChunk], b[kChunk];
  TensorDiff diff;
  double dot = 0, gotSquares = 0, expectedSquares = 0;
  bool finite = true;
  int64_t n = got.getNumElements();
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    int64_t count = std::min(kChunk, n - begin);
    toDoubles(got, begin, count, a);
    toDoubles(expected, begin, count, b);
    for (int64_t i = 0; i < count; ++i) {
      double g = a[i], e = b[i];
      double abs;
      bool close;
      if (std::isnan(g) || std::isnan(e)) {
        close = std::isnan(g) && std::isnan(e);
        abs = close ? 0 : inf;
      } else if (std::isinf(g) || std::isinf(e)) {
        close = g == e;
        abs = close ? 0 : inf;
      } else {
        abs = std::fabs(g - e);
        close = abs <= atol + rtol * std::fabs(e);
      }
      diff.maxAbsError = std::max(diff.maxAbsError, abs);
      if (std::isfinite(g) && std::isfinite(e)) {
        diff.maxAbsExpected = std::max(diff.maxAbsExpected, std::fabs(e));
        dot += g * e;
        gotSquares += g * g;
        expectedSquares += e * e;
      } else {
        finite = false;
      }
      if (abs == inf)
        diff.maxRelError = inf;
      else if (e != 0)
        diff.maxRelError = std::max(diff.maxRelError, abs / std::fabs(e));
      if (!close) {
        if (diff.mismatches++ == 0)
          diff.firstMismatch = begin + i;
      }
    }
  }
  if (!finite)
    diff.cosine = std::numeric_limits<double>::quiet_NaN();
  else if (gotSquares == 0 || expectedSquares == 0)
    diff.cosine = gotSquares == expectedSquares ? 1.0 : 0.0;
  else
    diff.cosine = dot / std::sqrt(gotSquares * expectedSquares);
  return diff;
}

//===----------------------------------------------------------------------===//
// Random contents
//===----------------------------------------------------------------------===//

namespace {
/// Sebastiano Vigna's splitmix64: a tiny generator whose output is fixed by
/// its definition, so the same seed gives the same tensors everywhere.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

private:
  uint64_t state;
};

template <typename T> void storeAt(char *data, int64_t index, T value) {
  std::memcpy(data + index * sizeof(T), &value, sizeof(T));
}

/// (k - 2^(bits-1)) / 2^(bits-1) for the top \p bits bits k of \p r:
/// uniform in [-1, 1) on a grid of 2^bits values.
double gridValue(uint64_t r, unsigned bits) {
  double k = double(r >> (64 - bits));
  double half = std::ldexp(1.0, bits - 1);
  return (k - half) / half;
}
} // namespace

Tensor romac::makeRandomTensor(ElementType type, llvm::ArrayRef<int64_t> shape,
                               uint64_t seed) {
  Tensor t(type, shape);
  SplitMix64 rng(seed);
  char *p = t.data();
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i) {
    uint64_t r = rng.next();
    int64_t small = int64_t(r >> 60) - 8; // [-8, 8)
    uint64_t smallUnsigned = r >> 60;     // [0, 16)
    switch (type) {
    case ElementType::F32: // 24-bit grid: exact in a float
      storeAt(p, i, float(gridValue(r, 24)));
      break;
    case ElementType::F64:
      storeAt(p, i, gridValue(r, 53));
      break;
    case ElementType::F16: // 11-bit grid: exact in a half
      storeAt(p, i, floatToHalf(float(gridValue(r, 11))));
      break;
    case ElementType::BF16: // 8-bit grid: exact in a bfloat16
      storeAt(p, i, floatToBFloat16(float(gridValue(r, 8))));
      break;
    case ElementType::I8:
      storeAt(p, i, int8_t(small));
      break;
    case ElementType::I16:
      storeAt(p, i, int16_t(small));
      break;
    case ElementType::I32:
      storeAt(p, i, int32_t(small));
      break;
    case ElementType::I64:
      storeAt(p, i, int64_t(small));
      break;
    case ElementType::U8:
      storeAt(p, i, uint8_t(smallUnsigned));
      break;
    case ElementType::U16:
      storeAt(p, i, uint16_t(smallUnsigned));
      break;
    case ElementType::U32:
      storeAt(p, i, uint32_t(smallUnsigned));
      break;
    case ElementType::U64:
      storeAt(p, i, uint64_t(smallUnsigned));
      break;
    case ElementType::Bool:
      storeAt(p, i, uint8_t(r >> 63));
      break;
    }
  }
  return t;
}
