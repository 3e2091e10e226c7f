//===- Tensor.h - the runtime's tensors and tensor files --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tensors `romac run` feeds to a compiled model and reads back from it,
// and the files they come from and go to (docs/tensor-files.md):
//
//  - Tensor: a dense row-major tensor that owns a 64-byte-aligned buffer;
//  - readTensorFile() / writeTensorFile(): NumPy `.npy` files and ONNX
//    TensorProto `.pb` files, chosen by the file's extension;
//  - compareTensors(): max abs / rel error and numpy.isclose mismatches of an
//    output against a reference;
//  - makeRandomTensor(): deterministic random inputs from a seed.
//
// Every reader validates its input (DESIGN.md §8): a malformed file is one
// llvm::Error naming the file and the problem, never a crash, and a header
// that claims more data than the file holds is refused before anything is
// allocated.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_RUNTIME_TENSOR_H
#define ROMAC_RUNTIME_TENSOR_H

#include "romac/Support/EnumTable.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace romac {

class OutputSet;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// The element types of runtime tensors. F16 and BF16 are stored as their
/// raw 16-bit patterns; Bool as one byte holding 0 or 1.
enum class ElementType {
  F32,
  F64,
  F16,
  BF16,
  I8,
  U8,
  I16,
  I32,
  I64,
  Bool,
  U16,
  U32,
  U64,
};

/// The spelling of every element type (NumPy's dtype names).
inline constexpr EnumName<ElementType> kElementTypeNames[] = {
    {ElementType::F32, "float32", "32-bit IEEE float"},
    {ElementType::F64, "float64", "64-bit IEEE float"},
    {ElementType::F16, "float16", "16-bit IEEE float"},
    {ElementType::BF16, "bfloat16", "16-bit brain float"},
    {ElementType::I8, "int8", "8-bit signed integer"},
    {ElementType::U8, "uint8", "8-bit unsigned integer"},
    {ElementType::I16, "int16", "16-bit signed integer"},
    {ElementType::I32, "int32", "32-bit signed integer"},
    {ElementType::I64, "int64", "64-bit signed integer"},
    {ElementType::Bool, "bool", "one byte, 0 or 1"},
    {ElementType::U16, "uint16", "16-bit unsigned integer"},
    {ElementType::U32, "uint32", "32-bit unsigned integer"},
    {ElementType::U64, "uint64", "64-bit unsigned integer"},
};

/// "float32", "int64", ... (kElementTypeNames).
llvm::StringRef stringifyElementType(ElementType type);
/// The element type spelled \p name; std::nullopt when none is.
std::optional<ElementType> symbolizeElementType(llvm::StringRef name);
/// The size of one element in bytes.
unsigned getElementSize(ElementType type);
/// Whether \p type is F32, F64, F16 or BF16.
bool isFloatElementType(ElementType type);

/// The ONNX TensorProto.DataType value of \p type (FLOAT = 1, ...).
int getOnnxDataType(ElementType type);
/// The element type of the ONNX TensorProto.DataType \p dataType;
/// std::nullopt for the ones romac does not hold (STRING, COMPLEX64, ...).
std::optional<ElementType> getElementTypeFromOnnx(int dataType);
/// The ONNX spelling of a TensorProto.DataType ("FLOAT", "STRING", ...;
/// "data type N" for a value ONNX does not define).
std::string getOnnxDataTypeName(int dataType);

/// The 16-bit IEEE half \p bits as a float (exact, subnormals, infinities
/// and NaNs included).
float halfToFloat(uint16_t bits);
/// \p value rounded to the nearest half (ties to even; overflow gives an
/// infinity, NaN stays a quiet NaN).
uint16_t floatToHalf(float value);
/// The bfloat16 \p bits as a float (exact).
float bfloat16ToFloat(uint16_t bits);
/// \p value rounded to the nearest bfloat16 (ties to even; NaN stays NaN).
uint16_t floatToBFloat16(float value);

/// The number of elements of \p shape, or an error when a dimension is
/// negative or the count (or its size in bytes for elements of \p type)
/// overflows int64_t.
llvm::Expected<int64_t> getCheckedNumElements(ElementType type,
                                              llvm::ArrayRef<int64_t> shape);

/// "float32[1, 3, 224, 224]"; a scalar is "float32[]".
std::string formatTensorType(ElementType type, llvm::ArrayRef<int64_t> shape);

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

/// A dense row-major tensor owning a 64-byte-aligned buffer (move-only).
///
/// A default-constructed Tensor is null: no buffer, no elements (isNull()).
/// Every other tensor has a buffer, also when it has no elements, so data()
/// is never null for it.
class Tensor {
public:
  /// The alignment of data().
  static constexpr size_t kAlignment = 64;

  Tensor() = default;
  /// A zero-filled tensor. \p shape must be valid (getCheckedNumElements());
  /// use create() for a shape that comes from input.
  Tensor(ElementType type, llvm::ArrayRef<int64_t> shape);
  /// Moving leaves \p other null.
  Tensor(Tensor &&other);
  Tensor &operator=(Tensor &&other);
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;

  /// A zero-filled tensor, or an error when \p shape has a negative
  /// dimension or overflows (the message spells the type and shape).
  static llvm::Expected<Tensor> create(ElementType type,
                                       llvm::ArrayRef<int64_t> shape);

  /// A copy of this tensor (its own buffer).
  Tensor clone() const;

  /// Whether this is a default-constructed tensor without a buffer.
  bool isNull() const { return !buffer; }

  ElementType getElementType() const { return type; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const { return numElements; }
  size_t getNumBytes() const { return numElements * getElementSize(type); }

  /// The elements, aligned to kAlignment.
  char *data() { return buffer.get(); }
  const char *data() const { return buffer.get(); }
  template <typename T> T *dataAs() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return reinterpret_cast<const T *>(data());
  }
  /// The bytes of the elements.
  llvm::ArrayRef<char> getBytes() const { return {data(), getNumBytes()}; }

  /// Element \p index (row-major) converted to double: halves and bfloat16s
  /// exactly, 64-bit integers rounded to the nearest double.
  double getAsDouble(int64_t index) const;

  /// "float32[1, 3, 224, 224]"
  std::string getTypeString() const;

private:
  /// Frees a buffer of `size` bytes from llvm::allocate_buffer().
  struct AlignedDeleter {
    AlignedDeleter() : size(0) {}
    explicit AlignedDeleter(size_t size) : size(size) {}
    void operator()(char *p) const;
    size_t size;
  };

  ElementType type = ElementType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  int64_t numElements = 0;
  std::unique_ptr<char[], AlignedDeleter> buffer;
};

//===----------------------------------------------------------------------===//
// Tensor files
//===----------------------------------------------------------------------===//

/// Reads a .npy (format 1.0/2.0/3.0, little/big endian, C or Fortran order,
/// the dtypes above) or an ONNX TensorProto .pb (raw_data or the typed
/// repeated fields; external data refused with a clear error). Dispatch on
/// the extension; anything else is an error naming the file.
/// `name` (optional out) receives the TensorProto's name ("" for .npy).
llvm::Expected<Tensor> readTensorFile(llvm::StringRef path,
                                      std::string *name = nullptr);
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
llvm::Expected<Tensor> readTensorProto(llvm::StringRef path,
                                       std::string *name = nullptr);

/// The readers on bytes in memory; \p fileName only names the input in
/// error messages.
llvm::Expected<Tensor> parseNpy(llvm::StringRef bytes,
                                llvm::StringRef fileName);
llvm::Expected<Tensor> parseTensorProto(llvm::StringRef bytes,
                                        llvm::StringRef fileName,
                                        std::string *name = nullptr);

/// The formats of tensor files.
enum class TensorFileFormat { Npy, TensorProto };
/// The format of \p path by its extension (".npy", ".pb"), or an error
/// naming the file.
llvm::Expected<TensorFileFormat> getTensorFileFormat(llvm::StringRef path);

/// Writes \p t as a .npy file, format 1.0 (2.0 when the header needs it),
/// little endian, C order. BF16 is written as NumPy's 2-byte void '<V2',
/// which is what NumPy writes for ml_dtypes' bfloat16.
void writeNpy(llvm::raw_ostream &os, const Tensor &t);
/// Writes \p t as a TensorProto named \p name with its elements in raw_data.
/// Fails when the message would exceed protobuf's 2 GiB limit.
llvm::Error writeTensorProto(llvm::raw_ostream &os, const Tensor &t,
                             llvm::StringRef name = "");

/// Writes by extension (.npy or .pb); atomically through romac's OutputSet
/// (include/romac/Support/OutputFile.h): never a half-written file. Use
/// addTensorFile() to write several files as one transaction and to refuse
/// overwriting the command's inputs.
llvm::Error writeTensorFile(llvm::StringRef path, const Tensor &t,
                            llvm::StringRef name = "");
/// Stages \p t as the output \p path of \p outputs (by extension); it becomes
/// visible when \p outputs is committed. \p t must live until then.
llvm::Error addTensorFile(OutputSet &outputs, llvm::StringRef path,
                          const Tensor &t, llvm::StringRef name = "");

//===----------------------------------------------------------------------===//
// Comparison and random contents
//===----------------------------------------------------------------------===//

/// How far an output is from its reference (compareTensors()).
struct TensorDiff {
  /// max |got - expected| (infinity where exactly one of them is NaN or
  /// they are infinities of different sign or only one is infinite).
  double maxAbsError = 0;
  /// max |got - expected| / |expected| over the elements whose expected
  /// value is non-zero (infinity where the absolute error is).
  double maxRelError = 0;
  /// Elements outside |got - expected| <= atol + rtol * |expected|.
  int64_t mismatches = 0;
  /// The row-major index of the first of them, -1 when none.
  int64_t firstMismatch = -1;
  /// The largest |expected| (finite elements), the scale of the errors.
  double maxAbsExpected = 0;
  /// Cosine similarity got . expected / (|got| |expected|) over the
  /// elements, 1 when both are all zeros, 0 when only one is; NaN when an
  /// element is NaN or infinite.
  double cosine = 1;
};

/// Max abs / max rel error of `got` against `expected`, and the number of
/// elements outside |got - expected| <= atol + rtol * |expected|
/// (numpy.isclose semantics, NaN == NaN only if both NaN). Both are
/// converted to double. Type or shape mismatch is an llvm::Error ("shape
/// float32[1, 10] does not match float32[1, 1000]").
llvm::Expected<TensorDiff> compareTensors(const Tensor &got,
                                          const Tensor &expected,
                                          double rtol = 1e-4,
                                          double atol = 1e-5);

/// Deterministic random contents from `seed` (floats uniform in [-1, 1) on a
/// grid the type holds exactly, signed integers in [-8, 8), unsigned ones in
/// [0, 16), bools 0/1): the same seed gives the same bytes on every machine
/// (splitmix64, no implementation-defined distribution).
Tensor makeRandomTensor(ElementType type, llvm::ArrayRef<int64_t> shape,
                        uint64_t seed);

} // namespace romac

#endif // ROMAC_RUNTIME_TENSOR_H
