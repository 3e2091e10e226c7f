//===- ImporterImpl.h - internals of the ONNX importer ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shared by the importer's translation units: the Importer (graph walk, value
// table, weights), NodeContext (what an op converter sees), HostTensor (small
// constants folded at import time) and the IR building helpers.
//
// An op converter is a function `LogicalResult(NodeContext &)` registered by
// ONNX op type in an Ops*.cpp file. It reads inputs and attributes through
// the context, builds upstream ops at the node's location and sets results.
// Shapes are always static: a converter computes its result shapes, and the
// importer cross-checks them against ONNX shape inference.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_LIB_IMPORT_IMPORTERIMPL_H
#define ROMAC_LIB_IMPORT_IMPORTERIMPL_H

#include "romac/Import/ONNX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <optional>
#include <vector>

namespace romac::onnximport {

/// ONNX element type (onnx::TensorProto_DataType).
using OnnxType = int32_t;

/// True for the ONNX floating-point element types.
bool isFloatType(OnnxType t);
/// True for unsigned integer ONNX element types (and bool).
bool isUnsignedType(OnnxType t);
/// Size in bytes of one element, 0 for types the importer does not handle.
int64_t elementBytes(OnnxType t);
/// Human-readable name ("float32", "int64", ...).
std::string typeName(OnnxType t);
/// MLIR element type for an ONNX element type (signless integers), or null.
mlir::Type toMlirType(mlir::MLIRContext *ctx, OnnxType t);

/// A node's name for messages and locations: its ONNX name, or
/// "OpType:first-output" for the many exporters that leave names empty.
std::string nodeName(const onnx::NodeProto &node);

/// A constant known at import time: shapes, axes, the attention scale.
/// Floats are held as double, integers and bools as int64.
struct HostTensor {
  OnnxType type = onnx::TensorProto::FLOAT;
  llvm::SmallVector<int64_t> shape;
  std::vector<double> f;
  std::vector<int64_t> i;

  bool isFloat() const { return isFloatType(type); }
  int64_t numel() const;
  /// Element `k` as double / int64 whatever the storage.
  double getF(int64_t k) const { return isFloat() ? f[k] : double(i[k]); }
  int64_t getI(int64_t k) const { return isFloat() ? int64_t(f[k]) : i[k]; }
  /// Makes a tensor of `type` and `shape` filled by `fn(k)` (as double).
  static HostTensor make(OnnxType type, llvm::ArrayRef<int64_t> shape);
  void set(int64_t k, double v);
  /// All elements as int64 (for shapes and axes).
  llvm::SmallVector<int64_t> toInts() const;
};

/// The number of elements of `shape`, or nullopt when a dim is negative or
/// the product overflows int64.
std::optional<int64_t> checkedNumel(llvm::ArrayRef<int64_t> shape);

/// Largest constant (in elements) the importer keeps on the host for folding.
constexpr int64_t kMaxHostElements = 1 << 16;

class Importer;

/// What an op converter sees of one node.
class NodeContext {
public:
  NodeContext(Importer &importer, const onnx::NodeProto &node,
              mlir::Location loc, int64_t opset);

  Importer &importer;
  const onnx::NodeProto &node;
  mlir::OpBuilder &b;
  mlir::Location loc;
  /// Opset version of the default domain.
  int64_t opset;

  mlir::MLIRContext *ctx() const { return b.getContext(); }

  // Inputs. Optional inputs may be absent (empty name or past the end).
  unsigned numInputs() const { return node.input_size(); }
  bool hasInput(unsigned i) const;
  /// The input as an SSA value (constants are materialized on demand).
  mlir::Value input(unsigned i);
  mlir::RankedTensorType inputType(unsigned i);
  llvm::ArrayRef<int64_t> inputShape(unsigned i);
  OnnxType inputOnnxType(unsigned i);
  /// The input's value when known at import time, else null.
  const HostTensor *constInput(unsigned i);

  // Attributes.
  bool hasAttr(llvm::StringRef name) const;
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  float attrFloat(llvm::StringRef name, float dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  llvm::SmallVector<int64_t> attrInts(llvm::StringRef name) const;
  llvm::SmallVector<float> attrFloats(llvm::StringRef name) const;

  // Results.
  unsigned numOutputs() const { return node.output_size(); }
  bool hasOutput(unsigned i) const;
  void setResult(unsigned i, mlir::Value v, OnnxType type);
  /// Records a result known at import time; it is materialized only if a
  /// later node needs it as a tensor.
  void setConstResult(unsigned i, HostTensor t);

  /// A tensor held in an attribute (Constant's `value`) as a HostTensor when
  /// small, else nullopt.
  std::optional<HostTensor> readTensor(const onnx::TensorProto &t);
  /// A tensor held in an attribute as a constant op (weights stay blobs).
  mlir::Value tensorConstant(const onnx::TensorProto &t);

  /// Emits "node 'NAME' (OpType): MSG" and returns failure.
  mlir::LogicalResult fail(const llvm::Twine &msg);

  /// Normalizes a possibly negative axis for `rank`; fails when out of range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
};

using ConvertFn = std::function<mlir::LogicalResult(NodeContext &)>;

/// Registry entry of an op converter.
struct OpConverter {
  const char *opType;
  ConvertFn convert;
  /// Lowest and highest default-domain opset the converter implements.
  int64_t minOpset = 1;
  int64_t maxOpset = 18;
};

/// Each Ops*.cpp file contributes its converters through one of these.
void appendElementwiseOps(std::vector<OpConverter> &ops);
void appendTensorOps(std::vector<OpConverter> &ops);
void appendResizeOps(std::vector<OpConverter> &ops);
void appendContractionOps(std::vector<OpConverter> &ops);
void appendNormReduceOps(std::vector<OpConverter> &ops);
void appendQuantizeOps(std::vector<OpConverter> &ops);

/// ONNX Conv of `x` [N, C, D...] and `w` [M, C/group, K...] with the node's
/// kernel_shape, strides, dilations, pads, auto_pad and group, plus `bias`
/// [M] when given (OpsContraction.cpp; QLinearConv and ConvInteger reuse it
/// on f32 operands). Shape errors are reported through `nc`.
mlir::FailureOr<mlir::Value> buildConv(NodeContext &nc, mlir::Value x,
                                       mlir::Value w, mlir::Value bias);
/// ONNX MatMul of `a` and `b` (numpy batching and broadcasting, 1-D
/// operands); shape errors are reported through `nc`.
mlir::FailureOr<mlir::Value> buildMatMul(NodeContext &nc, mlir::Value a,
                                         mlir::Value b);

/// The registry, built once.
const llvm::StringMap<OpConverter> &opRegistry();

/// Host evaluation of an op whose inputs are all known: returns nullopt when
/// the op has no host implementation (it is then converted to IR). On a
/// semantic error it reports through `node.fail` and returns nullopt.
std::optional<llvm::SmallVector<HostTensor>>
evaluateOnHost(NodeContext &node, llvm::ArrayRef<const HostTensor *> inputs);
/// The data-movement part of evaluateOnHost (TensorHostEval.cpp).
std::optional<llvm::SmallVector<HostTensor>>
evaluateTensorOpOnHost(NodeContext &node,
                       llvm::ArrayRef<const HostTensor *> inputs);

//===----------------------------------------------------------------------===//
// IR building helpers (Builders.cpp)
//===----------------------------------------------------------------------===//

/// Numpy-style broadcast of shapes; failure when incompatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

/// `tensor.empty` of the given shape and element type.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elem);
/// A tensor filled with `value` (linalg.fill over tensor.empty).
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, mlir::Type elem,
                         mlir::TypedAttr value);
/// A scalar arith.constant of `elem` holding `v`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type elem, double v);
/// The attribute of a scalar `v` of type `elem`.
mlir::TypedAttr scalarAttr(mlir::Type elem, double v);
/// Lowest / highest finite value (or -inf/+inf for floats) of `elem`.
mlir::TypedAttr lowestAttr(mlir::Type elem);
mlir::TypedAttr highestAttr(mlir::Type elem);

using BodyFn = std::function<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                         mlir::ValueRange)>;

/// An element-wise linalg.generic over `outShape` with numpy broadcasting of
/// every operand. `body` receives one scalar per operand.
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::ValueRange operands,
                        llvm::ArrayRef<int64_t> outShape, mlir::Type outElem,
                        const BodyFn &body);

/// Like elementwise(), but operand `i`'s dim `k` indexes output dim
/// `operandDims[i][k]` (e.g. a per-channel bias [C] maps to dim 1 of NCHW).
mlir::Value elementwiseMapped(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::ValueRange operands,
                              llvm::ArrayRef<llvm::SmallVector<int64_t>> operandDims,
                              llvm::ArrayRef<int64_t> outShape,
                              mlir::Type outElem, const BodyFn &body);

/// Reshapes a static tensor (collapse to 1-D then expand).
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value v, llvm::ArrayRef<int64_t> shape);
/// tensor.pad with static low/high pads and a scalar padding value.
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      mlir::Value padValue);
/// linalg.transpose by `perm` (identity permutations return `v`).
mlir::Value transposeTensor(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value v, llvm::ArrayRef<int64_t> perm);
/// Converts scalar `v` from ONNX type `from` to `to` (ONNX Cast semantics).
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       OnnxType from, OnnxType to);
/// The `index` value of scalar integer `v` (for tensor.extract).
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
/// A dense constant tensor from a HostTensor.
mlir::Value materialize(mlir::OpBuilder &b, mlir::Location loc,
                        const HostTensor &t);

/// Reduces `input` over `axes` with `combine(acc, x)` starting from `init`;
/// the result drops the reduced dims (keepDims re-inserts size-1 dims).
mlir::Value reduceTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value input, llvm::ArrayRef<int64_t> axes,
                         bool keepDims, mlir::TypedAttr init,
                         const std::function<mlir::Value(
                             mlir::OpBuilder &, mlir::Location, mlir::Value,
                             mlir::Value)> &combine);

/// Shape as "2x3x4" for messages.
std::string shapeString(llvm::ArrayRef<int64_t> shape);

} // namespace romac::onnximport

#endif // ROMAC_LIB_IMPORT_IMPORTERIMPL_H
