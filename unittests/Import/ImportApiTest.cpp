//===- ImportApiTest.cpp - importer API unit tests -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

TEST(OnnxImportOptions, ParsesFlags) {
  romac::OnnxImportOptions o;
  EXPECT_FALSE(bool(o.addDim("batch=4")));
  EXPECT_EQ(o.dims.lookup("batch"), 4);
  EXPECT_FALSE(bool(o.addShape("sample=2x9x64x64")));
  EXPECT_EQ(o.shapes.lookup("sample"),
            (llvm::SmallVector<int64_t>{2, 9, 64, 64}));
  EXPECT_FALSE(bool(o.addShape("t=scalar")));
  EXPECT_TRUE(o.shapes.lookup("t").empty());
  for (const char *bad : {"batch", "batch=", "=3", "batch=0", "batch=-1",
                          "batch=x"}) {
    llvm::Error e = o.addDim(bad);
    EXPECT_TRUE(bool(e)) << bad;
    llvm::consumeError(std::move(e));
  }
  for (const char *bad : {"s", "s=", "s=2xx3", "s=2x-1", "=2"}) {
    llvm::Error e = o.addShape(bad);
    EXPECT_TRUE(bool(e)) << bad;
    llvm::consumeError(std::move(e));
  }
}

/// Writes a model with one 64-float initializer stored as external data and
/// checks the imported weight is a dense_resource over the mapped file's
/// bytes (no copy): the blob's data pointer lies inside the file mapping.
TEST(OnnxImport, ExternalWeightsAreMappedNotCopied) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("romac-ext", dir));
  std::string bin = (dir + "/w.bin").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(bin, ec);
    ASSERT_FALSE(ec);
    std::vector<float> w(64 + 16);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = static_cast<float>(i);
    os.write(reinterpret_cast<const char *>(w.data()), w.size() * 4);
  }
  std::string model = R"pb(ir_version: 8
opset_import { domain: "" version: 17 }
graph {
  name: "g"
  node { name: "add" op_type: "Add" input: "X" input: "W" output: "Y" }
  initializer { name: "W" dims: 64 data_type: 1 data_location: EXTERNAL
                external_data { key: "location" value: "w.bin" }
                external_data { key: "offset" value: "64" }
                external_data { key: "length" value: "256" } }
  input { name: "X" type { tensor_type { elem_type: 1 shape { dim { dim_value: 64 } } } } }
  output { name: "Y" type { tensor_type { elem_type: 1 shape { dim { dim_value: 64 } } } } }
})pb";
  std::string path = (dir + "/model.pbtxt").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << model;
  }
  DialectRegistry registry;
  romac::registerRomacDialects(registry);
  MLIRContext ctx(registry);
  auto module = romac::importOnnxFile(path, ctx);
  ASSERT_TRUE(module);
  DenseResourceElementsAttr weight;
  module->walk([&](arith::ConstantOp c) {
    if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      weight = r;
  });
  ASSERT_TRUE(weight);
  AsmResourceBlob *blob = weight.getRawHandle().getBlob();
  ASSERT_TRUE(blob);
  ArrayRef<char> data = blob->getData();
  ASSERT_EQ(data.size(), 256u);
  // Element 0 of W is float 16 (offset 64 bytes = 16 floats into the file).
  float first;
  std::memcpy(&first, data.data(), 4);
  EXPECT_EQ(first, 16.0f);
  EXPECT_FALSE(blob->isMutable());
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
