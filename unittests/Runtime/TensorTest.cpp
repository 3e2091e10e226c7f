//===- TensorTest.cpp - runtime tensors -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Tensor class (alignment, zero fill, moves, clone, overflow checks), the
// 16-bit float conversions against LLVM's APFloat (exhaustively for halves
// and bfloat16s), compareTensors() against numpy.isclose semantics and the
// determinism of makeRandomTensor().
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Tensor.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA256.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace romac;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

Tensor makeF32(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values) {
  Tensor t(ElementType::F32, shape);
  EXPECT_EQ(size_t(t.getNumElements()), values.size());
  std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor makeF64(llvm::ArrayRef<double> values) {
  Tensor t(ElementType::F64, {int64_t(values.size())});
  std::memcpy(t.data(), values.data(), values.size() * sizeof(double));
  return t;
}

TEST(ElementTypeTest, NamesSizesAndOnnxCodes) {
  EXPECT_EQ(stringifyElementType(ElementType::BF16), "bfloat16");
  EXPECT_EQ(symbolizeElementType("int64"), ElementType::I64);
  EXPECT_EQ(symbolizeElementType("float"), std::nullopt);
  for (const EnumName<ElementType> &entry : kElementTypeNames) {
    EXPECT_EQ(symbolizeElementType(entry.name), entry.value);
    EXPECT_EQ(getElementTypeFromOnnx(getOnnxDataType(entry.value)),
              entry.value);
  }
  EXPECT_EQ(getElementSize(ElementType::Bool), 1u);
  EXPECT_EQ(getElementSize(ElementType::BF16), 2u);
  EXPECT_EQ(getElementSize(ElementType::U32), 4u);
  EXPECT_EQ(getElementSize(ElementType::F64), 8u);
  EXPECT_EQ(getOnnxDataType(ElementType::F32), 1);
  EXPECT_EQ(getOnnxDataType(ElementType::BF16), 16);
  EXPECT_EQ(getElementTypeFromOnnx(8), std::nullopt); // STRING
  EXPECT_EQ(getOnnxDataTypeName(8), "STRING");
  EXPECT_EQ(getOnnxDataTypeName(99), "data type 99");
}

TEST(TensorTest, ZeroFilledAlignedAndTyped) {
  Tensor t(ElementType::F32, {1, 3, 224, 224});
  EXPECT_FALSE(t.isNull());
  EXPECT_EQ(t.getNumElements(), 3 * 224 * 224);
  EXPECT_EQ(t.getNumBytes(), size_t(4 * 3 * 224 * 224));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % Tensor::kAlignment, 0u);
  EXPECT_EQ(t.getTypeString(), "float32[1, 3, 224, 224]");
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    ASSERT_EQ(t.dataAs<float>()[i], 0.0f);

  Tensor scalar(ElementType::I64, {});
  EXPECT_EQ(scalar.getNumElements(), 1);
  EXPECT_EQ(scalar.getTypeString(), "int64[]");

  Tensor empty(ElementType::Bool, {0, 7});
  EXPECT_EQ(empty.getNumElements(), 0);
  EXPECT_EQ(empty.getNumBytes(), 0u);
  EXPECT_NE(empty.data(), nullptr);
  EXPECT_EQ(empty.getTypeString(), "bool[0, 7]");
}

TEST(TensorTest, NullMoveAndClone) {
  Tensor null;
  EXPECT_TRUE(null.isNull());
  EXPECT_EQ(null.getNumElements(), 0);
  EXPECT_EQ(null.data(), nullptr);
  EXPECT_TRUE(null.clone().isNull());

  Tensor a = makeF32({2}, {1.5f, -2.0f});
  const char *buffer = a.data();
  Tensor b = std::move(a);
  EXPECT_EQ(b.data(), buffer);
  EXPECT_TRUE(a.isNull()); // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.getNumBytes(), 0u);
  Tensor c = b.clone();
  EXPECT_NE(c.data(), b.data());
  EXPECT_EQ(c.dataAs<float>()[1], -2.0f);
  EXPECT_EQ(c.getTypeString(), "float32[2]");
  b = std::move(c);
  EXPECT_TRUE(c.isNull()); // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.dataAs<float>()[0], 1.5f);
}

TEST(TensorTest, CreateChecksShapes) {
  EXPECT_EQ(errorText(Tensor::create(ElementType::F32, {2, -1}).takeError()),
            "negative dimension in float32[2, -1]");
  EXPECT_EQ(
      errorText(
          Tensor::create(ElementType::F32, {int64_t(1) << 62, 4}).takeError()),
      "shape float32[4611686018427387904, 4] has too many elements");
  EXPECT_EQ(
      errorText(
          Tensor::create(ElementType::F64, {int64_t(1) << 61, 2}).takeError()),
      "shape float64[2305843009213693952, 2] has too many bytes");
  // An empty dimension makes any shape valid: no elements, no overflow.
  llvm::Expected<int64_t> none = getCheckedNumElements(
      ElementType::F32, {int64_t(1) << 62, int64_t(1) << 62, 0});
  ASSERT_TRUE(bool(none));
  EXPECT_EQ(*none, 0);
  llvm::Expected<Tensor> ok = Tensor::create(ElementType::U16, {3, 5});
  ASSERT_TRUE(bool(ok));
  EXPECT_EQ(ok->getNumBytes(), 30u);
}

TEST(HalfTest, EveryHalfConvertsExactly) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    llvm::APFloat reference(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
    float got = halfToFloat(uint16_t(bits));
    if (reference.isNaN()) {
      ASSERT_TRUE(std::isnan(got)) << bits;
      // A NaN stays a NaN of the same sign on the way back.
      uint16_t back = floatToHalf(got);
      ASSERT_EQ(back & 0x7c00, 0x7c00) << bits;
      ASSERT_NE(back & 0x3ff, 0) << bits;
      ASSERT_EQ(back & 0x8000, bits & 0x8000) << bits;
      continue;
    }
    ASSERT_EQ(got, reference.convertToFloat()) << bits;
    ASSERT_EQ(std::signbit(got), reference.isNegative()) << bits;
    ASSERT_EQ(floatToHalf(got), bits) << bits;
  }
}

TEST(HalfTest, EveryBFloat16ConvertsExactly) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    llvm::APFloat reference(llvm::APFloat::BFloat(), llvm::APInt(16, bits));
    float got = bfloat16ToFloat(uint16_t(bits));
    if (reference.isNaN()) {
      ASSERT_TRUE(std::isnan(got)) << bits;
      ASSERT_TRUE(std::isnan(bfloat16ToFloat(floatToBFloat16(got)))) << bits;
      continue;
    }
    ASSERT_EQ(got, reference.convertToFloat()) << bits;
    ASSERT_EQ(floatToBFloat16(got), bits) << bits;
  }
}

/// floatToHalf / floatToBFloat16 round like APFloat (nearest, ties to even)
/// on floats spread over every exponent, and on the exact ties.
TEST(HalfTest, RoundingMatchesAPFloat) {
  auto check = [](float value) {
    bool losesInfo;
    llvm::APFloat half(value), bf(value);
    half.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                 &losesInfo);
    bf.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
    ASSERT_EQ(floatToHalf(value), half.bitcastToAPInt().getZExtValue())
        << value;
    ASSERT_EQ(floatToBFloat16(value), bf.bitcastToAPInt().getZExtValue())
        << value;
  };
  uint64_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t bits = uint32_t(state >> 32);
    float value;
    std::memcpy(&value, &bits, 4);
    if (std::isnan(value))
      continue;
    check(value);
  }
  // Halfway between neighbouring halves and bfloat16s, around the
  // subnormal boundary and the overflow threshold.
  for (float v :
       {65504.0f, 65519.99f, 65520.0f, 65536.0f, 6.1035156e-05f, 6.0975552e-05f,
        2.9802322e-08f, 2.9802326e-08f, 5.9604645e-08f, 1.0009765625f,
        1.0029296875f, 1.00390625f, 1.01171875f, 3.3895314e38f, 1e-45f, -0.0f})
    check(v);
}

TEST(CompareTest, IsCloseSemantics) {
  Tensor got = makeF64({1.0, 2.0 + 1e-4, 0.0, kNaN, kInf, -kInf, 1.0, kNaN});
  Tensor ref = makeF64({1.0, 2.0, 1e-6, kNaN, kInf, kInf, kNaN, 3.0});
  llvm::Expected<TensorDiff> diff = compareTensors(got, ref, 1e-4, 1e-5);
  ASSERT_TRUE(bool(diff));
  // Elements 5 (inf vs -inf), 6 and 7 (one NaN) mismatch; 1 is inside
  // atol + rtol * 2; 2 is inside atol.
  EXPECT_EQ(diff->mismatches, 3);
  EXPECT_EQ(diff->firstMismatch, 5);
  EXPECT_EQ(diff->maxAbsError, kInf);
  EXPECT_EQ(diff->maxRelError, kInf);

  Tensor a = makeF64({1.0, 2.0, 0.0, -4.0});
  Tensor b = makeF64({1.0, 2.5, 0.0, -4.0});
  diff = compareTensors(a, b);
  ASSERT_TRUE(bool(diff));
  EXPECT_EQ(diff->mismatches, 1);
  EXPECT_EQ(diff->firstMismatch, 1);
  EXPECT_DOUBLE_EQ(diff->maxAbsError, 0.5);
  EXPECT_DOUBLE_EQ(diff->maxRelError, 0.2);

  // The tolerance is asymmetric, like numpy.isclose: relative to expected.
  Tensor x = makeF64({1.0}), y = makeF64({1.0 + 1.5e-4});
  EXPECT_EQ(compareTensors(x, y, 1.5e-4, 0)->mismatches, 0);
  EXPECT_EQ(compareTensors(y, x, 1.5e-4, 0)->mismatches, 1);

  // A zero expected value adds nothing to the relative error.
  Tensor z = makeF64({0.0}), w = makeF64({1e-7});
  diff = compareTensors(w, z);
  EXPECT_EQ(diff->mismatches, 0);
  EXPECT_EQ(diff->maxRelError, 0.0);
  EXPECT_DOUBLE_EQ(diff->maxAbsError, 1e-7);

  // Identical tensors.
  diff = compareTensors(a, a, 0, 0);
  EXPECT_EQ(diff->mismatches, 0);
  EXPECT_EQ(diff->firstMismatch, -1);
  EXPECT_EQ(diff->maxAbsError, 0.0);

  EXPECT_DOUBLE_EQ(diff->cosine, 1.0);
}

TEST(CompareTest, CosineSimilarityAndScale) {
  // a . b = 1 + 5 + 16 = 22, |a| = sqrt(21), |b| = sqrt(23.25).
  Tensor a = makeF64({1.0, 2.0, 0.0, -4.0});
  Tensor b = makeF64({1.0, 2.5, 0.0, -4.0});
  llvm::Expected<TensorDiff> diff = compareTensors(a, b);
  ASSERT_TRUE(bool(diff));
  EXPECT_NEAR(diff->cosine, 22.0 / std::sqrt(21.0 * 23.25), 1e-15);
  EXPECT_DOUBLE_EQ(diff->maxAbsExpected, 4.0);
  // Opposite directions, a zero against a non-zero, zeros, a NaN.
  Tensor minusA = makeF64({-1.0, -2.0, 0.0, 4.0});
  EXPECT_NEAR(compareTensors(a, minusA)->cosine, -1.0, 1e-15);
  Tensor zeros = makeF64({0.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(compareTensors(zeros, a)->cosine, 0.0);
  EXPECT_EQ(compareTensors(zeros, zeros)->cosine, 1.0);
  Tensor withNaN = makeF64({1.0, kNaN, 0.0, -4.0});
  EXPECT_TRUE(std::isnan(compareTensors(withNaN, a)->cosine));
}

TEST(CompareTest, TypesAndShapesMustMatch) {
  Tensor a(ElementType::F32, {1, 10}), b(ElementType::F32, {1, 1000});
  EXPECT_EQ(errorText(compareTensors(a, b).takeError()),
            "shape float32[1, 10] does not match float32[1, 1000]");
  Tensor c(ElementType::I64, {1, 10});
  EXPECT_EQ(errorText(compareTensors(c, a).takeError()),
            "type int64[1, 10] does not match float32[1, 10]");
}

TEST(CompareTest, EveryTypeConvertsToDouble) {
  Tensor h(ElementType::F16, {3}), bf(ElementType::BF16, {3});
  h.dataAs<uint16_t>()[0] = 0x3c00;  // 1
  h.dataAs<uint16_t>()[1] = 0xc000;  // -2
  h.dataAs<uint16_t>()[2] = 0x0001;  // 2^-24
  bf.dataAs<uint16_t>()[0] = 0x3f80; // 1
  bf.dataAs<uint16_t>()[1] = 0xc000; // -2
  bf.dataAs<uint16_t>()[2] = 0x7f80; // inf
  EXPECT_EQ(h.getAsDouble(1), -2.0);
  EXPECT_EQ(h.getAsDouble(2), std::ldexp(1.0, -24));
  EXPECT_EQ(bf.getAsDouble(2), kInf);
  Tensor u(ElementType::U64, {1}), i(ElementType::I8, {1});
  u.dataAs<uint64_t>()[0] = ~uint64_t(0);
  i.dataAs<int8_t>()[0] = -128;
  EXPECT_EQ(u.getAsDouble(0), 18446744073709551615.0);
  EXPECT_EQ(i.getAsDouble(0), -128.0);
  Tensor h2 = h.clone();
  h2.dataAs<uint16_t>()[2] = 0x0002;
  llvm::Expected<TensorDiff> diff = compareTensors(h2, h, 0, 0);
  EXPECT_EQ(diff->mismatches, 1);
  EXPECT_EQ(diff->maxAbsError, std::ldexp(1.0, -24));
}

std::string sha256(const Tensor &t) {
  llvm::SHA256 hash;
  hash.update(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(t.data()), t.getNumBytes()));
  return llvm::toHex(hash.final(), /*LowerCase=*/true);
}

TEST(RandomTest, DeterministicAndInRange) {
  for (const EnumName<ElementType> &entry : kElementTypeNames) {
    Tensor a = makeRandomTensor(entry.value, {4, 1000}, 7);
    Tensor b = makeRandomTensor(entry.value, {4, 1000}, 7);
    Tensor c = makeRandomTensor(entry.value, {4, 1000}, 8);
    ASSERT_EQ(sha256(a), sha256(b)) << entry.name.str();
    ASSERT_NE(sha256(a), sha256(c)) << entry.name.str();
    double lo = 0, hi = 0;
    bool sawNonInteger = false;
    for (int64_t i = 0; i < a.getNumElements(); ++i) {
      double v = a.getAsDouble(i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sawNonInteger |= v != std::floor(v);
    }
    if (isFloatElementType(entry.value)) {
      EXPECT_GE(lo, -1.0) << entry.name.str();
      EXPECT_LT(hi, 1.0) << entry.name.str();
      EXPECT_LT(lo, -0.9) << entry.name.str();
      EXPECT_GT(hi, 0.9) << entry.name.str();
      EXPECT_TRUE(sawNonInteger) << entry.name.str();
    } else if (entry.value == ElementType::Bool) {
      EXPECT_EQ(lo, 0.0);
      EXPECT_EQ(hi, 1.0);
    } else if (llvm::StringRef(entry.name).starts_with("u")) {
      EXPECT_EQ(lo, 0.0) << entry.name.str();
      EXPECT_EQ(hi, 15.0) << entry.name.str();
    } else {
      EXPECT_EQ(lo, -8.0) << entry.name.str();
      EXPECT_EQ(hi, 7.0) << entry.name.str();
    }
  }
}

/// The generator is part of the interface: these bytes must never change
/// (python/tests/test_tensor_files.py recomputes them with its own
/// splitmix64).
TEST(RandomTest, GoldenValues) {
  Tensor f = makeRandomTensor(ElementType::F32, {3}, 0);
  // splitmix64(0) = 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f
  EXPECT_EQ(f.dataAs<float>()[0], float((0xe220a8 - 0x800000) / 8388608.0));
  EXPECT_EQ(f.dataAs<float>()[1], float((0x6e789e - 0x800000) / 8388608.0));
  EXPECT_EQ(f.dataAs<float>()[2], float((0x06c45d - 0x800000) / 8388608.0));
  Tensor i = makeRandomTensor(ElementType::I64, {3}, 0);
  EXPECT_EQ(i.dataAs<int64_t>()[0], 0xe - 8);
  EXPECT_EQ(i.dataAs<int64_t>()[1], 0x6 - 8);
  EXPECT_EQ(i.dataAs<int64_t>()[2], 0x0 - 8);
}

} // namespace
