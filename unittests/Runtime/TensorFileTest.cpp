//===- TensorFileTest.cpp - .npy and TensorProto files ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tensor file readers and writers: .npy versions, byte orders, Fortran
// order and every dtype; TensorProtos with raw_data and typed fields; one
// clear error for every malformed input (and no crash on truncations and
// random bytes); atomic writes; and every input/output .pb of a set of ONNX
// backend node tests (libonnx-testdata) of varied dtypes. The ground truth
// against NumPy and ONNX themselves is python/tests/test_tensor_files.py.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "romac/Support/OutputFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace romac;
namespace fs = llvm::sys::fs;

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

/// A .npy file of format \p major with \p header (padded, '\n' added) and
/// \p data.
std::string makeNpy(llvm::StringRef header, llvm::StringRef data,
                    unsigned major = 1) {
  std::string h = header.str();
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + h.size() + 1) % 64)
    h += ' ';
  h += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += char(major);
  bytes += char(0);
  for (size_t i = 0; i < prefix - 8; ++i)
    bytes += char((h.size() >> (8 * i)) & 0xff);
  return bytes + h + data.str();
}

template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

/// The error of parsing \p bytes as a .npy file named "x.npy".
std::string npyError(llvm::StringRef bytes) {
  llvm::Expected<Tensor> t = parseNpy(bytes, "x.npy");
  if (t)
    return "<no error>";
  return errorText(t.takeError());
}

std::string serialize(const onnx::TensorProto &t) {
  std::string s;
  EXPECT_TRUE(t.SerializeToString(&s));
  return s;
}

std::string pbError(llvm::StringRef bytes) {
  llvm::Expected<Tensor> t = parseTensorProto(bytes, "x.pb");
  if (t)
    return "<no error>";
  return errorText(t.takeError());
}

TEST(NpyTest, ReadsVersionsOrdersAndLayouts) {
  // Version 1.0, little endian.
  llvm::Expected<Tensor> t = parseNpy(
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              bytesOf<float>({0, 1, 2, 3, 4, 5})),
      "x.npy");
  ASSERT_TRUE(bool(t)) << errorText(t.takeError());
  EXPECT_EQ(t->getTypeString(), "float32[2, 3]");
  EXPECT_EQ(t->dataAs<float>()[5], 5.0f);

  // Version 2.0 and 3.0, key order and quotes free, Python 2 longs.
  for (unsigned major : {2u, 3u}) {
    t = parseNpy(makeNpy("{\"shape\": (3L,), \"fortran_order\": False, "
                         "\"descr\": \"<i8\"}",
                         bytesOf<int64_t>({-1, 0, 1}), major),
                 "x.npy");
    ASSERT_TRUE(bool(t)) << errorText(t.takeError());
    EXPECT_EQ(t->getTypeString(), "int64[3]");
    EXPECT_EQ(t->dataAs<int64_t>()[0], -1);
  }

  // Big endian.
  std::string be = bytesOf<uint32_t>({0x01000000, 0x02000000});
  t = parseNpy(
      makeNpy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", be),
      "x.npy");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->dataAs<int32_t>()[0], 1);
  EXPECT_EQ(t->dataAs<int32_t>()[1], 2);

  // Fortran order: a 2x3 matrix stored column by column.
  t = parseNpy(
      makeNpy("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }",
              bytesOf<int16_t>({0, 3, 1, 4, 2, 5})),
      "x.npy");
  ASSERT_TRUE(bool(t));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(t->dataAs<int16_t>()[i], i);

  // Fortran order, 3-d: element (i, j, k) at i + 2j + 6k.
  std::string f3;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i)
        f3 += char(i * 12 + j * 4 + k);
  t = parseNpy(
      makeNpy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 4)}",
              f3),
      "x.npy");
  ASSERT_TRUE(bool(t));
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(t->dataAs<uint8_t>()[i], i);

  // A scalar, an empty tensor, bools normalised to 0/1.
  t = parseNpy(makeNpy("{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (), }",
                       bytesOf<double>({2.5})),
               "x.npy");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getTypeString(), "float64[]");
  EXPECT_EQ(t->dataAs<double>()[0], 2.5);
  t = parseNpy(
      makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 5), }", ""),
      "x.npy");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getTypeString(), "float32[0, 5]");
  t = parseNpy(
      makeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
              std::string("\0\x01\x07", 3)),
      "x.npy");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->dataAs<uint8_t>()[2], 1);
}

TEST(NpyTest, EveryDtype) {
  struct Case {
    const char *descr;
    ElementType type;
  } cases[] = {{"<f2", ElementType::F16},  {"<f4", ElementType::F32},
               {"<f8", ElementType::F64},  {"<V2", ElementType::BF16},
               {"|V2", ElementType::BF16}, {"|i1", ElementType::I8},
               {"<i2", ElementType::I16},  {"<i4", ElementType::I32},
               {"<i8", ElementType::I64},  {"|u1", ElementType::U8},
               {"<u2", ElementType::U16},  {"<u4", ElementType::U32},
               {"<u8", ElementType::U64},  {"|b1", ElementType::Bool}};
  for (const Case &c : cases) {
    std::string header = std::string("{'descr': '") + c.descr +
                         "', 'fortran_order': False, 'shape': (2,), }";
    std::string data(2 * getElementSize(c.type), '\x01');
    llvm::Expected<Tensor> t = parseNpy(makeNpy(header, data), "x.npy");
    ASSERT_TRUE(bool(t)) << c.descr << ": " << errorText(t.takeError());
    EXPECT_EQ(t->getElementType(), c.type) << c.descr;
  }
}

TEST(NpyTest, ClearErrors) {
  std::string good =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              bytesOf<float>({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(npyError(good.substr(0, good.size() - 4)),
            "x.npy: truncated: header says float32[2, 3] (24 bytes) but 20 "
            "bytes follow");
  EXPECT_EQ(npyError(good + "xxxx"),
            "x.npy: header says float32[2, 3] (24 bytes) but 28 bytes follow");
  EXPECT_EQ(npyError("PK\x03\x04 a zip file"),
            "x.npy: not a .npy file (bad magic)");
  EXPECT_EQ(npyError(""), "x.npy: not a .npy file (bad magic)");
  EXPECT_EQ(npyError("\x93NUMPY"), "x.npy: truncated: no format version");
  EXPECT_EQ(npyError(std::string("\x93NUMPY\x04\x00", 8) + "xxxx"),
            "x.npy: unsupported .npy format version 4.0");
  EXPECT_EQ(npyError(good.substr(0, 9)), "x.npy: truncated: no header length");
  EXPECT_EQ(npyError(good.substr(0, 40)),
            "x.npy: truncated: the header needs 118 bytes but 30 follow");
  auto header = [](llvm::StringRef text) {
    return npyError(makeNpy(text, ""));
  };
  EXPECT_EQ(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}"),
            "x.npy: unsupported dtype '<c8' (supported: float16/32/64, "
            "bfloat16 as '<V2', int8/16/32/64, uint8/16/32/64, bool)");
  EXPECT_EQ(header("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}"),
            "x.npy: unsupported dtype '|O' (supported: float16/32/64, "
            "bfloat16 as '<V2', int8/16/32/64, uint8/16/32/64, bool)");
  EXPECT_EQ(header("{'descr': [('a', '<f4')], 'fortran_order': False, "
                   "'shape': (1,)}"),
            "x.npy: bad header: structured dtypes are not supported");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False}"),
            "x.npy: bad header: no 'shape'");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"),
            "x.npy: bad header: 'fortran_order' is not True or False");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
            "x.npy: bad header: 'shape' holds something that is not a "
            "non-negative integer");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"),
            "x.npy: bad header: 'shape' is not a tuple");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                   "'extra': 1}"),
            "x.npy: bad header: unexpected key 'extra'");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"),
            "x.npy: bad header: unexpected text after the header's '}'");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, "
                   "'shape': (99999999999999999999,)}"),
            "x.npy: bad header: dimension 99999999999999999999 is too large");
  // An absurd shape is refused from the header, before any allocation.
  EXPECT_EQ(header("{'descr': '<f8', 'fortran_order': False, "
                   "'shape': (4611686018427387904, 4)}"),
            "x.npy: shape float64[4611686018427387904, 4] has too many "
            "elements");
  EXPECT_EQ(header("{'descr': '<f8', 'fortran_order': False, "
                   "'shape': (1000000000, 1000000000)}"),
            "x.npy: truncated: header says float64[1000000000, 1000000000] "
            "(8000000000000000000 bytes) but 0 bytes follow");
}

/// Every truncation of a valid file and random bytes after a valid magic
/// are one error each, never a crash.
TEST(NpyTest, FuzzedInputsFailCleanly) {
  std::string good =
      makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
              bytesOf<float>({0, 1, 2, 3, 4, 5}));
  for (size_t n = 0; n < good.size(); ++n) {
    llvm::Expected<Tensor> t = parseNpy(good.substr(0, n), "x.npy");
    ASSERT_FALSE(bool(t)) << n;
    std::string message = errorText(t.takeError());
    ASSERT_TRUE(llvm::StringRef(message).starts_with("x.npy: ")) << message;
  }
  uint64_t state = 99;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint8_t(state >> 56);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = good;
    // Flip a few bytes of the header or the data, or replace the rest.
    int flips = 1 + next() % 8;
    for (int k = 0; k < flips; ++k)
      bytes[8 + next() % (bytes.size() - 8)] = char(next());
    llvm::Expected<Tensor> t = parseNpy(bytes, "x.npy");
    if (!t)
      llvm::consumeError(t.takeError());
  }
}

TEST(TensorProtoTest, RawAndTypedFields) {
  onnx::TensorProto p;
  p.set_name("y");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.add_dims(2);
  for (float v : {1.0f, -2.0f, 3.5f, 0.25f})
    p.add_float_data(v);
  std::string name;
  llvm::Expected<Tensor> t = parseTensorProto(serialize(p), "x.pb", &name);
  ASSERT_TRUE(bool(t)) << errorText(t.takeError());
  EXPECT_EQ(name, "y");
  EXPECT_EQ(t->getTypeString(), "float32[2, 2]");
  EXPECT_EQ(t->dataAs<float>()[2], 3.5f);

  // The same as raw_data.
  p.clear_float_data();
  p.set_raw_data(bytesOf<float>({1.0f, -2.0f, 3.5f, 0.25f}));
  t = parseTensorProto(serialize(p), "x.pb");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->dataAs<float>()[1], -2.0f);

  // 16-bit floats and small integers live in int32_data; 32-bit unsigned in
  // uint64_data.
  onnx::TensorProto h;
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(2);
  h.add_int32_data(0x3c00);
  h.add_int32_data(0xc000);
  t = parseTensorProto(serialize(h), "x.pb");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getAsDouble(1), -2.0);
  onnx::TensorProto u;
  u.set_data_type(onnx::TensorProto::UINT32);
  u.add_uint64_data(4000000000u);
  t = parseTensorProto(serialize(u), "x.pb");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getTypeString(), "uint32[]");
  EXPECT_EQ(t->dataAs<uint32_t>()[0], 4000000000u);
  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(3);
  b.set_raw_data(std::string("\x00\x01\x02", 3));
  t = parseTensorProto(serialize(b), "x.pb");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->dataAs<uint8_t>()[2], 1);
  // An empty tensor needs no data at all.
  onnx::TensorProto e;
  e.set_data_type(onnx::TensorProto::INT64);
  e.add_dims(0);
  e.add_dims(4);
  t = parseTensorProto(serialize(e), "x.pb");
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getTypeString(), "int64[0, 4]");
}

TEST(TensorProtoTest, ClearErrors) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.add_dims(3);
  p.set_raw_data(std::string(20, '\0'));
  EXPECT_EQ(pbError(serialize(p)),
            "x.pb: holds 20 bytes of raw_data but float32[2, 3] needs 24");
  p.clear_raw_data();
  p.add_float_data(1);
  EXPECT_EQ(pbError(serialize(p)),
            "x.pb: holds 1 values but float32[2, 3] needs 6");
  p.add_int64_data(1);
  EXPECT_EQ(pbError(serialize(p)),
            "x.pb: holds values in a field that is not the one of float32");
  p.clear_int64_data();
  p.set_raw_data(std::string(24, '\0'));
  EXPECT_EQ(pbError(serialize(p)), "x.pb: has both raw_data and typed values");

  onnx::TensorProto s;
  s.set_data_type(onnx::TensorProto::STRING);
  s.add_string_data("hello");
  EXPECT_EQ(pbError(serialize(s)), "x.pb: unsupported data type STRING");
  s.set_data_type(onnx::TensorProto::COMPLEX64);
  EXPECT_EQ(pbError(serialize(s)), "x.pb: unsupported data type COMPLEX64");
  s.set_data_type(77);
  EXPECT_EQ(pbError(serialize(s)), "x.pb: unsupported data type data type 77");

  onnx::TensorProto x;
  x.set_name("w");
  x.set_data_type(onnx::TensorProto::FLOAT);
  x.add_dims(4);
  x.set_data_location(onnx::TensorProto::EXTERNAL);
  onnx::StringStringEntryProto *entry = x.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  EXPECT_EQ(pbError(serialize(x)),
            "x.pb: tensor 'w' keeps its data in the external file "
            "'weights.bin'; external data is not supported in tensor files");

  onnx::TensorProto n;
  n.set_data_type(onnx::TensorProto::INT8);
  n.add_dims(-2);
  EXPECT_EQ(pbError(serialize(n)), "x.pb: negative dimension in int8[-2]");
  n.clear_dims();
  n.add_dims(2);
  n.add_int32_data(5);
  n.add_int32_data(300);
  EXPECT_EQ(pbError(serialize(n)),
            "x.pb: int32_data value 300 at 1 is out of range for int8");

  onnx::TensorProto none;
  none.add_dims(1);
  EXPECT_EQ(pbError(serialize(none)), "x.pb: not a TensorProto (no data type)");
  EXPECT_EQ(pbError(""), "x.pb: not a TensorProto (no data type)");
  EXPECT_EQ(pbError("\xff\xff\xff\xff"),
            "x.pb: not a TensorProto (protobuf parse error)");
  // A string where dims' varints belong (wire type mismatch).
  EXPECT_EQ(pbError(std::string("\x10\x01\x08", 3)),
            "x.pb: not a TensorProto (protobuf parse error)");
  // An ONNX SequenceProto of one tensor (onnx-data.proto): name = 1,
  // elem_type = 2 (TENSOR = 1), tensor_values = 3.
  std::string element = serialize(p);
  ASSERT_LT(element.size(), 128u);
  std::string seq =
      std::string("\x0a\x01s\x10\x01\x1a", 6) + char(element.size()) + element;
  EXPECT_EQ(pbError(seq),
            "x.pb: not a TensorProto (a segmented tensor, or an ONNX "
            "SequenceProto or OptionalProto)");
  // A whole model is not a tensor either.
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.mutable_graph()->set_name("g");
  std::string modelError = pbError(model.SerializeAsString());
  EXPECT_TRUE(
      llvm::StringRef(modelError).starts_with("x.pb: not a TensorProto"))
      << modelError;
}

TEST(TensorProtoTest, FuzzedInputsFailCleanly) {
  onnx::TensorProto p;
  p.set_name("input");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.add_dims(3);
  p.set_raw_data(bytesOf<float>({0, 1, 2, 3, 4, 5}));
  std::string good = serialize(p);
  for (size_t n = 0; n < good.size(); ++n) {
    llvm::Expected<Tensor> t = parseTensorProto(good.substr(0, n), "x.pb");
    ASSERT_FALSE(bool(t)) << n;
    std::string message = errorText(t.takeError());
    ASSERT_TRUE(llvm::StringRef(message).starts_with("x.pb: ")) << message;
  }
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint8_t(state >> 56);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = good;
    int flips = 1 + next() % 6;
    for (int k = 0; k < flips; ++k)
      bytes[next() % bytes.size()] = char(next());
    llvm::Expected<Tensor> t = parseTensorProto(bytes, "x.pb");
    if (!t)
      llvm::consumeError(t.takeError());
  }
  for (int round = 0; round < 500; ++round) {
    std::string bytes(next() % 64, '\0');
    for (char &c : bytes)
      c = char(next());
    llvm::Expected<Tensor> t = parseTensorProto(bytes, "x.pb");
    if (!t)
      llvm::consumeError(t.takeError());
  }
}

/// A fresh directory, removed with everything in it at the end.
class TensorFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(fs::createUniqueDirectory("romac-tensor-test", dir));
  }
  void TearDown() override { fs::remove_directories(dir); }

  std::string at(llvm::StringRef name) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }

  llvm::SmallString<128> dir;
};

TEST_F(TensorFileTest, RoundTripsEveryTypeThroughBothFormats) {
  for (const EnumName<ElementType> &entry : kElementTypeNames) {
    const std::vector<std::vector<int64_t>> shapes = {
        {}, {5}, {2, 0, 3}, {2, 3, 4}};
    for (const std::vector<int64_t> &shape : shapes) {
      Tensor t = makeRandomTensor(entry.value, shape, 3);
      for (const char *ext : {".npy", ".pb"}) {
        std::string path = at(std::string("t") + ext);
        ASSERT_FALSE(bool(writeTensorFile(path, t, "tensor_name")));
        std::string name = "unchanged";
        llvm::Expected<Tensor> back = readTensorFile(path, &name);
        ASSERT_TRUE(bool(back)) << errorText(back.takeError());
        EXPECT_EQ(name, llvm::StringRef(ext) == ".npy" ? "" : "tensor_name");
        ASSERT_EQ(back->getTypeString(), t.getTypeString()) << ext;
        ASSERT_EQ(std::memcmp(back->data(), t.data(), t.getNumBytes()), 0)
            << entry.name.str() << ext;
      }
    }
  }
}

TEST_F(TensorFileTest, WrittenNpyHeaderIsNumpys) {
  Tensor t(ElementType::F32, {2, 3});
  ASSERT_FALSE(bool(writeTensorFile(at("a.npy"), t)));
  auto buffer = llvm::MemoryBuffer::getFile(at("a.npy"));
  ASSERT_TRUE(bool(buffer));
  llvm::StringRef bytes = (*buffer)->getBuffer();
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 10),
            llvm::StringRef("\x93NUMPY\x01\x00\x76\x00", 10));
  EXPECT_EQ(bytes.substr(10, 63).rtrim(' '),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(bytes[127], '\n');
  Tensor v(ElementType::I8, {7});
  Tensor s(ElementType::Bool, {});
  std::string text;
  llvm::raw_string_ostream os(text);
  writeNpy(os, v);
  EXPECT_TRUE(llvm::StringRef(text).contains("'descr': '|i1'"));
  EXPECT_TRUE(llvm::StringRef(text).contains("'shape': (7,)"));
  text.clear();
  writeNpy(os, s);
  EXPECT_TRUE(llvm::StringRef(text).contains("'descr': '|b1'"));
  EXPECT_TRUE(llvm::StringRef(text).contains("'shape': ()"));
  // A header over 64 KiB switches to format 2.0.
  std::vector<int64_t> manyDims(30000, 1);
  text.clear();
  writeNpy(os, Tensor(ElementType::U8, manyDims));
  EXPECT_EQ(text[6], '\x02');
  llvm::Expected<Tensor> back = parseNpy(text, "big.npy");
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_EQ(back->getRank(), 30000);
}

TEST_F(TensorFileTest, FileErrors) {
  EXPECT_EQ(errorText(readTensorFile(at("x.txt")).takeError()),
            at("x.txt") + ": not a tensor file: expected a .npy or .pb (ONNX "
                          "TensorProto) file");
  std::string missing =
      errorText(readTensorFile(at("missing.npy")).takeError());
  EXPECT_EQ(missing, at("missing.npy") + ": cannot read: No such file or "
                                         "directory");
  ASSERT_FALSE(fs::create_directory(at("dir.pb")));
  std::string directory = errorText(readTensorFile(at("dir.pb")).takeError());
  EXPECT_TRUE(
      llvm::StringRef(directory).starts_with(at("dir.pb") + ": cannot read: "))
      << directory;
  Tensor t(ElementType::F32, {2});
  EXPECT_EQ(errorText(writeTensorFile(at("out.bin"), t)),
            at("out.bin") + ": not a tensor file: expected a .npy or .pb (ONNX "
                            "TensorProto) file");
  EXPECT_FALSE(fs::exists(at("out.bin")));
}

TEST_F(TensorFileTest, WritesAreAtomicAndNeverReplaceAnInput) {
  Tensor t = makeRandomTensor(ElementType::F32, {4}, 1);
  ASSERT_FALSE(bool(writeTensorFile(at("in.npy"), t)));
  // An output that is the command's input is refused, the input unchanged.
  {
    OutputSet outputs;
    outputs.addInput(at("in.npy"));
    Tensor zeros(ElementType::F32, {4});
    llvm::Error e = addTensorFile(outputs, at("in.npy"), zeros);
    EXPECT_TRUE(bool(e));
    llvm::consumeError(std::move(e));
  }
  llvm::Expected<Tensor> back = readTensorFile(at("in.npy"));
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(compareTensors(*back, t, 0, 0)->mismatches, 0);
  // Staged outputs appear only on commit; a discarded set leaves nothing.
  {
    OutputSet outputs;
    ASSERT_FALSE(bool(addTensorFile(outputs, at("a.pb"), t, "a")));
    ASSERT_FALSE(bool(addTensorFile(outputs, at("b.npy"), t)));
    EXPECT_FALSE(fs::exists(at("a.pb")));
    EXPECT_FALSE(fs::exists(at("b.npy")));
  }
  EXPECT_FALSE(fs::exists(at("a.pb")));
  EXPECT_FALSE(fs::exists(at("b.npy")));
  {
    OutputSet outputs;
    ASSERT_FALSE(bool(addTensorFile(outputs, at("a.pb"), t, "a")));
    ASSERT_FALSE(bool(addTensorFile(outputs, at("b.npy"), t)));
    ASSERT_FALSE(bool(outputs.commit()));
  }
  EXPECT_TRUE(bool(readTensorFile(at("a.pb"))));
  EXPECT_TRUE(bool(readTensorFile(at("b.npy"))));
  // A write into a missing directory is one error and leaves nothing.
  std::string message = errorText(writeTensorFile(at("no/such/dir/c.npy"), t));
  EXPECT_NE(message.find("c.npy"), std::string::npos) << message;
}

/// Every input_N.pb / output_N.pb of these ONNX backend node tests reads,
/// and its type matches what the test's name promises.
TEST(OnnxTestDataTest, ReadsNodeTestsOfVariedDtypes) {
  const char *root = "/usr/share/libonnx-testdata/data/node";
  if (!fs::is_directory(root))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  struct Case {
    const char *test;
    const char *types; // the types of input_0.., output_0.. joined by ' '
  } cases[] = {
      {"test_conv_with_autopad_same", "float32 float32 float32"},
      {"test_add_bcast", "float32 float32 float32"},
      {"test_abs", "float32 float32"},
      {"test_cast_FLOAT_to_FLOAT16", "float32 float16"},
      {"test_cast_FLOAT16_to_DOUBLE", "float16 float64"},
      {"test_cast_DOUBLE_to_FLOAT", "float64 float32"},
      {"test_castlike_BFLOAT16_to_FLOAT_expanded", "uint16 float32 float32"},
      {"test_argmax_default_axis_example", "float32 int64"},
      {"test_equal", "int32 int32 bool"},
      {"test_equal_bcast", "int32 int32 bool"},
      {"test_and2d", "bool bool bool"},
      {"test_not_2d", "bool bool"},
      {"test_min_int16", "int16 int16 int16"},
      {"test_min_uint64", "uint64 uint64 uint64"},
      {"test_mod_uint32", "uint32 uint32 uint32"},
      {"test_min_uint16", "uint16 uint16 uint16"},
      {"test_clip_default_int8_max", "int8 int8 int8"},
      {"test_dequantizelinear", "uint8 float32 uint8 float32"},
      {"test_quantizelinear", "float32 float32 uint8 uint8"},
      {"test_reshape_reordered_all_dims", "float32 int64 float32"},
      {"test_gather_0", "float32 int64 float32"},
      {"test_shape", "float32 int64"},
      {"test_size", "float32 int64"},
      {"test_reduce_log_sum_exp_keepdims_random", "float64 float64"},
      {"test_matmul_2d", "float32 float32 float32"},
      {"test_constant", "float32"},
      {"test_eyelike_populate_off_main_diagonal", "int32 float32"},
      {"test_pow_types_float32_int64", "float32 int64 float32"},
      {"test_top_k", "float32 int64 float32 int64"},
      {"test_mod_mixed_sign_int8", "int8 int8 int8"},
  };
  int files = 0;
  for (const Case &c : cases) {
    llvm::SmallString<256> folder(root);
    llvm::sys::path::append(folder, c.test, "test_data_set_0");
    llvm::SmallVector<llvm::StringRef> types;
    llvm::StringRef(c.types).split(types, ' ');
    llvm::SmallVector<std::string> paths;
    for (const char *kind : {"input", "output"})
      for (int i = 0;; ++i) {
        llvm::SmallString<256> path(folder);
        llvm::sys::path::append(path, std::string(kind) + "_" +
                                          std::to_string(i) + ".pb");
        if (!fs::exists(path))
          break;
        paths.push_back(std::string(path));
      }
    ASSERT_EQ(paths.size(), types.size()) << c.test;
    for (size_t i = 0; i < paths.size(); ++i) {
      std::string name;
      llvm::Expected<Tensor> t = readTensorFile(paths[i], &name);
      ASSERT_TRUE(bool(t)) << errorText(t.takeError());
      EXPECT_EQ(stringifyElementType(t->getElementType()), types[i])
          << paths[i];
      EXPECT_FALSE(name.empty()) << paths[i];
      ++files;
    }
  }
  EXPECT_GE(files, 80);
}

/// The reference outputs of the light CNNs (../shared/models/onnx-light next
/// to the source tree, or $ROMAC_SHARED_DIR/models/onnx-light).
TEST(OnnxTestDataTest, ReadsLightCnnOutputs) {
  llvm::SmallString<256> folder(ROMAC_SOURCE_DIR);
  llvm::sys::path::append(folder, "..", "shared");
  if (const char *shared = std::getenv("ROMAC_SHARED_DIR"))
    folder = shared;
  llvm::sys::path::append(folder, "models", "onnx-light");
  std::error_code ec;
  int files = 0;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with("_output_0.pb"))
      continue;
    llvm::Expected<Tensor> t = readTensorFile(it->path());
    ASSERT_TRUE(bool(t)) << errorText(t.takeError());
    EXPECT_EQ(t->getElementType(), ElementType::F32) << it->path();
    EXPECT_EQ(t->getShape().front(), 1) << it->path();
    ++files;
  }
  if (!files)
    GTEST_SKIP() << folder.str().str() << " holds no *_output_0.pb";
}

} // namespace
