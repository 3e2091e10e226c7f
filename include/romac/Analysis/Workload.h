//===- Workload.h - loop-nest description of one layer ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A `Workload` describes one layer (a contraction or a streaming op) as a
// perfect loop nest: named loop dims with static bounds, and per operand an
// affine projection from the loop dims to the tensor dims. It is plain data
// (no MLIR types) so the cost model, the search and their tests can use it
// without IR. See DESIGN.md §4.3 and docs/access-counts.md.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ANALYSIS_WORKLOAD_H
#define ROMAC_ANALYSIS_WORKLOAD_H

#include "romac/Support/EnumTable.h"
#include "llvm/ADT/ArrayRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace romac {

/// Whether a loop dim indexes the output (parallel) or is summed over
/// (reduction).
enum class LoopKind { Parallel, Reduction };

inline constexpr EnumName<LoopKind> kLoopKindNames[] = {
    {LoopKind::Parallel, "parallel"},
    {LoopKind::Reduction, "reduction"},
};

/// Returns "parallel" or "reduction".
inline llvm::StringRef stringifyLoopKind(LoopKind kind) {
  return stringifyEnum(kLoopKindNames, kind);
}

/// What a layer computes. Contractions name the linalg op they come from
/// (convolutions with their number of spatial dims); streaming layers are
/// `Elementwise` or `Reduction` when they have a loop nest, `Other` when they
/// have none (tensor.concat, tensor.pad, ...: the layer's MLIR operation names
/// them). `Copy` is the DRAM model's layout-conversion pass over one tensor.
/// Spelled in the schedule JSON ("op"), the tables and the test passes.
enum class OpKind {
  Conv1d,
  Conv2d,
  Conv3d,
  DepthwiseConv1d,
  DepthwiseConv2d,
  DepthwiseConv3d,
  GroupedConv1d,
  GroupedConv2d,
  GroupedConv3d,
  Matmul,
  BatchMatmul,
  Generic,
  Elementwise,
  Reduction,
  Copy,
  Other,
};

inline constexpr EnumName<OpKind> kOpKindNames[] = {
    {OpKind::Conv1d, "conv1d"},
    {OpKind::Conv2d, "conv2d"},
    {OpKind::Conv3d, "conv3d"},
    {OpKind::DepthwiseConv1d, "depthwise_conv1d"},
    {OpKind::DepthwiseConv2d, "depthwise_conv2d"},
    {OpKind::DepthwiseConv3d, "depthwise_conv3d"},
    {OpKind::GroupedConv1d, "grouped_conv1d"},
    {OpKind::GroupedConv2d, "grouped_conv2d"},
    {OpKind::GroupedConv3d, "grouped_conv3d"},
    {OpKind::Matmul, "matmul"},
    {OpKind::BatchMatmul, "batch_matmul"},
    {OpKind::Generic, "generic"},
    {OpKind::Elementwise, "elementwise"},
    {OpKind::Reduction, "reduction"},
    {OpKind::Copy, "copy"},
    {OpKind::Other, "other"},
};

inline llvm::StringRef stringifyOpKind(OpKind kind) {
  return stringifyEnum(kOpKindNames, kind);
}
inline std::optional<OpKind> symbolizeOpKind(llvm::StringRef str) {
  return symbolizeEnum(kOpKindNames, str);
}

/// The kind of convolution of \p variant (Conv2d, DepthwiseConv2d or
/// GroupedConv2d) with \p spatialDims spatial dims (1 to 3); std::nullopt for
/// other counts.
std::optional<OpKind> getConvOpKind(OpKind variant, unsigned spatialDims);

/// One loop of the nest: `for name in [0, bound)`.
struct LoopDim {
  std::string name;
  int64_t bound = 1;
  LoopKind kind = LoopKind::Parallel;
};

/// One term `coeff * dims[dim]` of an affine index expression.
struct AffineTerm {
  /// Index into `Workload::dims`.
  unsigned dim = 0;
  int64_t coeff = 1;
};

/// The index of one tensor dim as an affine function of the loop dims:
/// `sum(terms[i].coeff * dims[terms[i].dim]) + constant`. A sliding window is
/// `P*stride + R*dilation - pad`. A valid expression has no zero coefficient
/// and names every loop dim at most once.
struct IndexExpr {
  llvm::SmallVector<AffineTerm, 2> terms;
  int64_t constant = 0;

  /// Returns the coefficient of loop dim `dim` (0 when it does not occur).
  int64_t getCoeff(unsigned dim) const;
};

/// How an operand is accessed. `Read` operands are only fetched from DRAM;
/// `ReadWrite` operands (outputs, accumulators) are written back and, when a
/// tile is visited again, read back first.
enum class OperandRole { Read, ReadWrite };

inline constexpr EnumName<OperandRole> kOperandRoleNames[] = {
    {OperandRole::Read, "read"},
    {OperandRole::ReadWrite, "readwrite"},
};

/// Returns "read" or "readwrite".
inline llvm::StringRef stringifyOperandRole(OperandRole role) {
  return stringifyEnum(kOperandRoleNames, role);
}
/// Parses "read" / "readwrite".
inline std::optional<OperandRole> symbolizeOperandRole(llvm::StringRef str) {
  return symbolizeEnum(kOperandRoleNames, str);
}

/// A set of an operand's tensor dims whose indices move together: tensor
/// dims are joined when their index expressions share a loop dim. Different
/// components are independent, so a tile's footprint is the product over
/// them. A tensor dim with a fixed index is a component of its own with no
/// loop dims.
struct DimComponent {
  /// The tensor dims, ascending.
  llvm::SmallVector<unsigned, 2> tensorDims;
  /// The loop dims their indices use, ascending.
  llvm::SmallVector<unsigned, 2> loopDims;
};

/// One tensor accessed by the loop nest.
struct Operand {
  /// Role name in the layer: "input", "weight", "output", "lhs", ...
  std::string name;
  /// The ONNX value name of the tensor.
  std::string tensor;
  OperandRole role = OperandRole::Read;
  /// Bytes of one element's value (the data type).
  int64_t bytesPerElement = 1;
  /// One index expression per tensor dim.
  llvm::SmallVector<IndexExpr, 4> projection;
  /// The static tensor shape; `projection.size() == extent.size()`.
  llvm::SmallVector<int64_t, 4> extent;
  /// Whether the tensor is known when compiling (a weight): only such
  /// operands are compressed (romac/Target/Compression.h).
  bool constant = false;
  /// Bits one element takes in memory, in sixteenths of a bit, when the
  /// tensor is stored compressed (its weight format's average, the codebook
  /// included); 0: plain values of bytesPerElement bytes.
  uint32_t storageBits16 = 0;

  /// Whether loop dim `dim` occurs (with a non-zero coefficient) in the
  /// projection, i.e. whether changing it changes the operand's tile.
  bool isIndexedBy(unsigned dim) const;
  /// The independent components of the projection (DimComponent), in the
  /// order of their first tensor dim; `numDims` is the workload's loop dim
  /// count.
  llvm::SmallVector<DimComponent, 4> getDimComponents(unsigned numDims) const;
  /// Number of tensor elements (product of the extents). Requires a verified
  /// workload (which guarantees that it does not overflow).
  int64_t getNumElements() const;
  /// Bytes \p elements take in memory (buffers and DRAM): elements x
  /// bytesPerElement, or elements x storageBits16 / 128 rounded up.
  int64_t getStorageBytes(int64_t elements) const;
  /// Average bytes per element in memory.
  double getStorageBytesPerElement() const {
    return storageBits16 ? storageBits16 / 128.0
                         : static_cast<double>(bytesPerElement);
  }
  /// Whether elements are stored compressed (storageBits16 set).
  bool isCompressed() const { return storageBits16 != 0; }
};

/// Sizes of a 2-D convolution in ONNX terms (NCHW input, KCRS weight). The
/// output size P x Q is derived from the input size, kernel, stride,
/// dilation and padding.
struct Conv2dSpec {
  int64_t n = 1, c = 1, h = 1, w = 1;
  int64_t k = 1, r = 1, s = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t groups = 1;
  int64_t inputBytes = 1, weightBytes = 1, outputBytes = 1;
  std::string name = "conv";
  std::string inputTensor = "X", weightTensor = "W", outputTensor = "Y";
};

/// A layer as a perfect loop nest over `dims` that accesses `operands`.
struct Workload {
  /// The ONNX node name.
  std::string name;
  /// What the layer computes.
  OpKind op = OpKind::Generic;
  llvm::SmallVector<LoopDim, 8> dims;
  llvm::SmallVector<Operand, 3> operands;
  /// The fraction of the MACs the array performs: the weights' density when
  /// the array skips zero weights (Target's skips_zero_operands), else 1.
  double macFraction = 1;

  /// Checks the invariants every consumer relies on: dim names unique and
  /// non-empty, bounds > 0, per operand a projection of the same arity as the
  /// extent, extents > 0, terms naming existing dims with non-zero
  /// coefficients and no dim twice, bytes per element > 0, read-write
  /// operands not indexed by reduction dims, and every product the cost model
  /// forms from these numbers (iteration count, tensor bytes, projected index
  /// ranges) fits in int64_t.
  llvm::Error verify() const;

  /// Returns the index of the dim called `name`.
  std::optional<unsigned> findDim(llvm::StringRef name) const;
  /// Returns the index of the operand called `name`.
  std::optional<unsigned> findOperand(llvm::StringRef name) const;

  /// Number of points of the iteration space (product of bounds; the MAC
  /// count of a contraction). Requires a verified workload.
  int64_t getIterationCount() const;

  /// Number of distinct elements of operand \p operand that the loop nest
  /// touches: per independent component of its projection
  /// (Operand::getDimComponents()) the index tuples inside the tensor that
  /// some point of the component's loop dims reaches (padding is not
  /// touched, windows with a stride larger than the kernel leave gaps), the
  /// product over components. Nothing when a component has more than
  /// 2^24 loop points (then no count is made).
  std::optional<int64_t> getTouchedElements(unsigned operand) const;
  /// A lower bound on the DRAM traffic of any schedule of the layer, in
  /// bytes, whatever the buffer sizes: every touched element of a read
  /// operand fetched once and every touched element of an output written
  /// once (its compulsory traffic); operands that name the same tensor count
  /// the larger of their touched sets once. An operand whose count is
  /// unknown adds nothing, so the bound stays a bound. docs/dram-model.md,
  /// "Lower bound".
  int64_t getCompulsoryDramBytes() const;

  /// Prints tensor dim `tensorDim` of operand `operand` as in the schedule
  /// JSON: "N", "P*1+R*1-1", "G*4+C*1", "0".
  std::string projectionString(unsigned operand, unsigned tensorDim) const;
  /// Prints `expr` with the names of this workload's dims.
  std::string projectionString(const IndexExpr &expr) const;
  /// Parses the format printed by projectionString() against this workload's
  /// dim names: terms `Name`, `Name*int` or `int`, joined by `+` / `-`.
  llvm::Expected<IndexExpr> parseProjection(llvm::StringRef str) const;

  /// A key that is equal for two workloads iff the cost model sees the same
  /// problem: dim bounds and kinds (in order), and per operand (in order) the
  /// role, bytes per element, projection and extent. Layer, op, dim, operand
  /// and tensor names are ignored, so identical layers are searched once.
  std::string getCanonicalKey() const;
  /// A stable 64-bit hash (xxh3) of getCanonicalKey().
  uint64_t getCanonicalHash() const;

  /// A multi-line human readable dump (for debugging and test failures).
  std::string str() const;

  //===--------------------------------------------------------------------===//
  // Factories (tests, benchmarks). They verify the result.
  //===--------------------------------------------------------------------===//

  /// A 2-D convolution. With `groups == 1` the dims are N K C P Q R S
  /// (op "conv2d"); with `groups == c` (depthwise) N C [M] P Q R S where M is
  /// the channel multiplier k / c, present only when > 1 (op
  /// "depthwise_conv2d"); otherwise N G K C P Q R S with K and C per group
  /// (op "grouped_conv2d"). Operands: "input", "weight", "output".
  static llvm::Expected<Workload> conv2d(const Conv2dSpec &spec);
  /// A depthwise convolution: conv2d() with `groups = spec.c`.
  static llvm::Expected<Workload> depthwiseConv2d(Conv2dSpec spec);
  /// `output[M,N] += input[M,K] * weight[K,N]`, dims M N K.
  static llvm::Expected<Workload> matmul(int64_t m, int64_t n, int64_t k,
                                         int64_t bytes = 1,
                                         llvm::StringRef name = "matmul");
  /// `output[B,M,N] += lhs[B,M,K] * rhs[B,K,N]`, dims B M N K.
  static llvm::Expected<Workload> batchMatmul(int64_t b, int64_t m, int64_t n,
                                              int64_t k, int64_t bytes = 1,
                                              llvm::StringRef name = "bmm");
};

} // namespace romac

#endif // ROMAC_ANALYSIS_WORKLOAD_H
