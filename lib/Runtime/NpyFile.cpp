//===- NpyFile.cpp - NumPy .npy files -------------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads and writes NumPy's .npy format
// (numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//   "\x93NUMPY" major minor HEADER_LEN (uint16 LE in 1.0, uint32 LE in 2.0
//   and 3.0) HEADER DATA
//
// where HEADER is a Python dict literal such as
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" padded with
// spaces and ended by '\n'. The header is parsed by a small tokenizer, never
// evaluated; the data must be exactly the size the header announces, which
// is checked before anything is allocated.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SwapByteOrder.h"

#include <algorithm>
#include <cstring>

using namespace romac;

namespace {

constexpr llvm::StringLiteral kMagic("\x93NUMPY");

/// An error "FILE: MESSAGE".
llvm::Error fileError(llvm::StringRef fileName, const llvm::Twine &message) {
  return makeStringError(fileName + ": " + message);
}

/// What a .npy header says.
struct NpyHeader {
  ElementType type = ElementType::F32;
  bool bigEndian = false;
  bool fortranOrder = false;
  llvm::SmallVector<int64_t, 4> shape;
};

/// The element type and byte order of a dtype descriptor such as '<f4'.
llvm::Error parseDescr(llvm::StringRef descr, NpyHeader &header) {
  llvm::StringRef rest = descr;
  char order = '=';
  if (!rest.empty() && llvm::StringRef("<>|=").contains(rest.front())) {
    order = rest.front();
    rest = rest.drop_front();
  }
  static const struct {
    llvm::StringLiteral code;
    ElementType type;
  } kCodes[] = {
      {"f2", ElementType::F16},  {"f4", ElementType::F32},
      {"f8", ElementType::F64},  {"i1", ElementType::I8},
      {"i2", ElementType::I16},  {"i4", ElementType::I32},
      {"i8", ElementType::I64},  {"u1", ElementType::U8},
      {"u2", ElementType::U16},  {"u4", ElementType::U32},
      {"u8", ElementType::U64},  {"b1", ElementType::Bool},
      {"V2", ElementType::BF16}, // ml_dtypes' bfloat16 as NumPy saves it
  };
  for (const auto &entry : kCodes) {
    if (rest != entry.code)
      continue;
    header.type = entry.type;
    header.bigEndian =
        order == '>' || (order == '=' && llvm::sys::IsBigEndianHost);
    return llvm::Error::success();
  }
  return makeStringError("unsupported dtype '" + descr +
                         "' (supported: float16/32/64, bfloat16 as '<V2', "
                         "int8/16/32/64, uint8/16/32/64, bool)");
}

/// A tokenizer for the Python literal of a .npy header: just enough for
/// dicts of strings, booleans and tuples of integers.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : text(text) {}

  llvm::Expected<NpyHeader> parse() {
    NpyHeader header;
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return error("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (llvm::Error e = parseString(key))
        return std::move(e);
      skipSpace();
      if (!consume(':'))
        return error("expected ':' after '" + key + "'");
      skipSpace();
      if (key == "descr") {
        std::string descr;
        if (pos < text.size() && (text[pos] == '[' || text[pos] == '('))
          return error("structured dtypes are not supported");
        if (llvm::Error e = parseString(descr))
          return std::move(e);
        if (llvm::Error e = parseDescr(descr, header))
          return std::move(e);
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (consumeWord("True"))
          header.fortranOrder = true;
        else if (consumeWord("False"))
          header.fortranOrder = false;
        else
          return error("'fortran_order' is not True or False");
        haveOrder = true;
      } else if (key == "shape") {
        if (llvm::Error e = parseShape(header.shape))
          return std::move(e);
        haveShape = true;
      } else {
        return error("unexpected key '" + key + "'");
      }
      skipSpace();
      if (consume('}'))
        break;
      if (!consume(','))
        return error("expected ',' or '}'");
    }
    skipSpace();
    if (pos != text.size())
      return error("unexpected text after the header's '}'");
    if (!haveDescr)
      return error("no 'descr'");
    if (!haveOrder)
      return error("no 'fortran_order'");
    if (!haveShape)
      return error("no 'shape'");
    return header;
  }

private:
  llvm::Error error(const llvm::Twine &message) {
    return makeStringError("bad header: " + message);
  }

  void skipSpace() {
    while (pos < text.size() && llvm::StringRef(" \t\r\n").contains(text[pos]))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(llvm::StringRef word) {
    if (!text.substr(pos).starts_with(word))
      return false;
    pos += word.size();
    return true;
  }

  /// A '...' or "..." string without escapes (none of the header's strings
  /// has one).
  llvm::Error parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return error("expected a string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == llvm::StringRef::npos)
      return error("unterminated string");
    llvm::StringRef body = text.slice(pos, end);
    if (body.contains('\\'))
      return error("escapes in strings are not supported");
    out = body.str();
    pos = end + 1;
    return llvm::Error::success();
  }

  /// A tuple of non-negative integers: "()", "(5,)", "(2, 3)"; Python 2's
  /// "2L" suffix is accepted.
  llvm::Error parseShape(llvm::SmallVectorImpl<int64_t> &shape) {
    if (!consume('('))
      return error("'shape' is not a tuple");
    while (true) {
      skipSpace();
      if (consume(')'))
        return llvm::Error::success();
      size_t start = pos;
      while (pos < text.size() && llvm::isDigit(text[pos]))
        ++pos;
      llvm::StringRef digits = text.slice(start, pos);
      int64_t dim;
      if (digits.empty())
        return error("'shape' holds something that is not a non-negative "
                     "integer");
      if (digits.getAsInteger(10, dim))
        return error("dimension " + digits + " is too large");
      shape.push_back(dim);
      consume('L');
      skipSpace();
      if (consume(')'))
        return llvm::Error::success();
      if (!consume(','))
        return error("expected ',' or ')' in 'shape'");
    }
  }

  llvm::StringRef text;
  size_t pos = 0;
};

/// Reverses the bytes of each of the \p count elements of \p size at \p p.
void swapElements(char *p, int64_t count, unsigned size) {
  if (size == 1)
    return;
  for (int64_t i = 0; i < count; ++i)
    std::reverse(p + i * size, p + (i + 1) * size);
}

/// Copies the column-major elements \p src of \p t's shape into \p t's
/// row-major buffer.
void copyFromFortranOrder(const char *src, Tensor &t) {
  llvm::ArrayRef<int64_t> shape = t.getShape();
  unsigned size = getElementSize(t.getElementType());
  int64_t rank = shape.size();
  // Column-major strides (in elements) of each dimension.
  llvm::SmallVector<int64_t, 4> strides(rank, 1);
  for (int64_t d = 1; d < rank; ++d)
    strides[d] = strides[d - 1] * shape[d - 1];
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  int64_t offset = 0; // column-major offset of `index`
  char *dst = t.data();
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i) {
    std::memcpy(dst + i * size, src + offset * size, size);
    // Advance `index` in row-major order.
    for (int64_t d = rank - 1; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < shape[d])
        break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/// The descriptor of \p type in the file's (little-endian) byte order.
llvm::StringRef getDescr(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return "<f2";
  case ElementType::F32:
    return "<f4";
  case ElementType::F64:
    return "<f8";
  case ElementType::BF16:
    return "<V2";
  case ElementType::I8:
    return "|i1";
  case ElementType::I16:
    return "<i2";
  case ElementType::I32:
    return "<i4";
  case ElementType::I64:
    return "<i8";
  case ElementType::U8:
    return "|u1";
  case ElementType::U16:
    return "<u2";
  case ElementType::U32:
    return "<u4";
  case ElementType::U64:
    return "<u8";
  case ElementType::Bool:
    return "|b1";
  }
  llvm_unreachable("unknown element type");
}

} // namespace

llvm::Expected<Tensor> romac::parseNpy(llvm::StringRef bytes,
                                       llvm::StringRef fileName) {
  if (!bytes.starts_with(kMagic))
    return fileError(fileName, "not a .npy file (bad magic)");
  if (bytes.size() < 8)
    return fileError(fileName, "truncated: no format version");
  unsigned major = uint8_t(bytes[6]), minor = uint8_t(bytes[7]);
  if (major < 1 || major > 3)
    return fileError(fileName, "unsupported .npy format version " +
                                   llvm::Twine(major) + "." +
                                   llvm::Twine(minor));
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthBytes;
  if (bytes.size() < headerStart)
    return fileError(fileName, "truncated: no header length");
  uint64_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= uint64_t(uint8_t(bytes[8 + i])) << (8 * i);
  if (bytes.size() - headerStart < headerLength)
    return fileError(fileName, "truncated: the header needs " +
                                   llvm::Twine(headerLength) + " bytes but " +
                                   llvm::Twine(bytes.size() - headerStart) +
                                   " follow");
  llvm::StringRef headerText = bytes.substr(headerStart, headerLength);
  llvm::Expected<NpyHeader> header = HeaderParser(headerText).parse();
  if (!header)
    return fileError(fileName, llvm::toString(header.takeError()));

  llvm::Expected<int64_t> count =
      getCheckedNumElements(header->type, header->shape);
  if (!count)
    return fileError(fileName, llvm::toString(count.takeError()));
  unsigned size = getElementSize(header->type);
  uint64_t needed = uint64_t(*count) * size;
  llvm::StringRef data = bytes.substr(headerStart + headerLength);
  if (data.size() != needed)
    return fileError(fileName,
                     llvm::Twine(data.size() < needed ? "truncated: " : "") +
                         "header says " +
                         formatTensorType(header->type, header->shape) + " (" +
                         llvm::Twine(needed) + " bytes) but " +
                         llvm::Twine(data.size()) + " bytes follow");

  Tensor t(header->type, header->shape);
  if (header->fortranOrder && header->shape.size() > 1)
    copyFromFortranOrder(data.data(), t);
  else
    std::memcpy(t.data(), data.data(), needed);
  if (header->bigEndian != llvm::sys::IsBigEndianHost)
    swapElements(t.data(), *count, size);
  if (t.getElementType() == ElementType::Bool)
    for (int64_t i = 0; i < *count; ++i)
      t.data()[i] = t.data()[i] != 0;
  return t;
}

void romac::writeNpy(llvm::raw_ostream &os, const Tensor &t) {
  std::string header = "{'descr': '" + getDescr(t.getElementType()).str() +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t dim : t.getShape())
    header += std::to_string(dim) + (t.getRank() == 1 ? "," : ", ");
  if (t.getRank() > 1)
    header.resize(header.size() - 2);
  header += "), }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes, as
  // NumPy does; the header ends with '\n'.
  bool version2 = header.size() + 1 + 10 > 65535;
  size_t prefix = version2 ? 12 : 10;
  size_t total = llvm::alignTo(prefix + header.size() + 1, 64);
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  os << kMagic << char(version2 ? 2 : 1) << char(0);
  uint64_t length = header.size();
  for (size_t i = 0; i < prefix - 8; ++i)
    os << char((length >> (8 * i)) & 0xff);
  os << header;
  if (!llvm::sys::IsBigEndianHost || getElementSize(t.getElementType()) == 1) {
    os.write(t.data(), t.getNumBytes());
    return;
  }
  Tensor swapped = t.clone();
  swapElements(swapped.data(), swapped.getNumElements(),
               getElementSize(t.getElementType()));
  os.write(swapped.data(), swapped.getNumBytes());
}
