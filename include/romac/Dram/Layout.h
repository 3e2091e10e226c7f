//===- Layout.h - where the elements of a tensor live in DRAM ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A tensor's DRAM placement: a base byte address and a data layout that maps
// every element to a byte offset. Two layouts:
//
//  - row-major over a dimension order (outermost first; the identity order
//    is the usual C order);
//  - tile-blocked: the tensor is cut into blocks (the tiles of a schedule),
//    blocks are stored one after another in row-major block order, each
//    block contiguous and row-major inside. Edge blocks are smaller and stored
//    compactly, so the tensor occupies exactly its size.
//
// Given a box of the tensor (a tile footprint, docs/access-counts.md) a
// layout lists the contiguous byte runs it covers, in increasing address
// order; the DRAM model cuts them into bursts.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_LAYOUT_H
#define ROMAC_DRAM_LAYOUT_H

#include "romac/Analysis/Workload.h"
#include "romac/CostModel/Mapping.h"
#include "romac/Support/EnumTable.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace romac {

/// The data layouts romac places tensors with.
enum class LayoutKind : uint8_t { RowMajor, Blocked };

/// The spellings of LayoutKind (the one definition; EnumTable.h).
inline constexpr EnumName<LayoutKind> kLayoutKindNames[] = {
    {LayoutKind::RowMajor, "row-major"},
    {LayoutKind::Blocked, "blocked"},
};

/// Returns "row-major" or "blocked".
inline llvm::StringRef stringifyLayoutKind(LayoutKind kind) {
  return stringifyEnum(kLayoutKindNames, kind);
}
/// Parses "row-major" / "blocked".
inline std::optional<LayoutKind> symbolizeLayoutKind(llvm::StringRef name) {
  return symbolizeEnum(kLayoutKindNames, name);
}

/// The memory size of one element of a tensor: whole bytes, or, for a
/// compressed tensor (Operand::storageBits16), an average number of bits in
/// sixteenths. A compressed tensor's elements are laid out as if each took
/// that many bits: a run of elements covers the bytes in which its first
/// bits lie (docs/compression.md).
struct ElementSize {
  /// Bytes of one value.
  int64_t bytes = 1;
  /// Sixteenths of a bit in memory; 0: `bytes` whole bytes.
  uint32_t bits16 = 0;

  /// Plain elements of \p bytes bytes (implicit: most tensors are plain).
  ElementSize(int64_t bytes) : bytes(bytes) {}
  ElementSize(int64_t bytes, uint32_t bits16) : bytes(bytes), bits16(bits16) {}
  /// The size of \p op's elements.
  static ElementSize of(const Operand &op) {
    return {op.bytesPerElement, op.storageBits16};
  }
  bool operator==(const ElementSize &other) const {
    return bytes == other.bytes && bits16 == other.bits16;
  }
  bool operator!=(const ElementSize &other) const { return !(*this == other); }
};

/// The DRAM placement of one tensor.
class TensorLayout {
public:
  /// A row-major layout of a tensor of shape \p extent. \p dimOrder lists the
  /// tensor dims outermost first (the last one is contiguous); empty means
  /// the identity order.
  static llvm::Expected<TensorLayout>
  getRowMajor(llvm::ArrayRef<int64_t> extent, ElementSize elementSize,
              uint64_t base, llvm::ArrayRef<unsigned> dimOrder = {});
  /// A tile-blocked layout with blocks of \p blockSizes elements per tensor
  /// dim (each in [1, extent]); \p dimOrder orders both the blocks and the
  /// elements inside a block.
  static llvm::Expected<TensorLayout>
  getBlocked(llvm::ArrayRef<int64_t> extent, ElementSize elementSize,
             uint64_t base, llvm::ArrayRef<int64_t> blockSizes,
             llvm::ArrayRef<unsigned> dimOrder = {});

  LayoutKind getKind() const { return kind; }
  uint64_t getBase() const { return base; }
  /// Bytes the tensor occupies: elements × bytes per element (a compressed
  /// tensor's bits rounded up to bytes).
  uint64_t getSizeBytes() const { return sizeBytes; }
  int64_t getBytesPerElement() const { return bytesPerElement; }
  ElementSize getElementSize() const { return {bytesPerElement, bits16}; }
  llvm::ArrayRef<int64_t> getExtent() const { return extent; }
  llvm::ArrayRef<unsigned> getDimOrder() const { return order; }
  /// Block sizes (the extents for a row-major layout).
  llvm::ArrayRef<int64_t> getBlockSizes() const { return block; }

  /// Byte address of the element at \p index (one index per tensor dim).
  uint64_t getAddress(llvm::ArrayRef<int64_t> index) const;

  /// Calls \p fn(address, bytes) for every maximal contiguous byte run of the
  /// box `[lo[j], lo[j] + size[j])` (which must lie inside the tensor), in
  /// increasing address order. Nothing when some size is 0.
  void forEachRun(llvm::ArrayRef<int64_t> lo, llvm::ArrayRef<int64_t> size,
                  llvm::function_ref<void(uint64_t, uint64_t)> fn) const;
  /// forEachRun() in groups, for hot loops: \p fn(address, bytes, count,
  /// stride) stands for the `count` runs of `bytes` at `address + i *
  /// stride` (stride > bytes). Groups come in increasing address order; the
  /// last run of a group may touch the next group's first (forEachRun()
  /// merges them).
  void forEachRunGroup(
      llvm::ArrayRef<int64_t> lo, llvm::ArrayRef<int64_t> size,
      llvm::function_ref<void(uint64_t, uint64_t, uint64_t, uint64_t)> fn)
      const;
  /// Number of runs forEachRun() reports for the box.
  uint64_t countRuns(llvm::ArrayRef<int64_t> lo,
                     llvm::ArrayRef<int64_t> size) const;

  /// "row-major[0,1,2,3] @0x1000" or "blocked{1,16,8,8}[0,1,2,3] @0x1000".
  std::string str() const;

private:
  TensorLayout() = default;
  void
  runsInBlock(llvm::ArrayRef<int64_t> blockIdx, llvm::ArrayRef<int64_t> lo,
              llvm::ArrayRef<int64_t> hi,
              llvm::function_ref<void(uint64_t, uint64_t, uint64_t, uint64_t)>
                  fn) const;
  uint64_t getBlockOffset(llvm::ArrayRef<int64_t> blockIdx) const;
  /// The byte offset of element offset \p elements (exact for plain
  /// elements; the byte of its first bit for compressed ones).
  uint64_t toBytes(uint64_t elements) const;

  LayoutKind kind = LayoutKind::RowMajor;
  uint64_t base = 0;
  uint64_t sizeBytes = 0;
  int64_t bytesPerElement = 1;
  /// ElementSize::bits16.
  uint32_t bits16 = 0;
  llvm::SmallVector<int64_t, 4> extent;
  llvm::SmallVector<int64_t, 4> block;
  /// Tensor dims, outermost first.
  llvm::SmallVector<unsigned, 4> order;
};

/// The placement of every operand of a layer, in `Workload::operands` order.
struct LayerLayout {
  llvm::SmallVector<TensorLayout, 3> operands;

  /// Checks one layout per operand with the operand's extent and bytes per
  /// element, and that no two layouts overlap unless they are the same
  /// tensor (same ONNX name).
  llvm::Error verify(const Workload &workload) const;
  std::string str(const Workload &workload) const;
};

/// How to place the operands of a layer (makeLayerLayout()).
struct LayerLayoutOptions {
  LayoutKind kind = LayoutKind::RowMajor;
  /// Address of the first operand.
  uint64_t base = 0;
  /// Every operand starts at a multiple of this (0 or 1: packed). A row size
  /// keeps tensors from sharing DRAM rows.
  uint64_t alignment = 0;
};

/// Places the operands of \p workload one after another (in operand order)
/// with the layout \p options.kind; blocked layouts use
/// getTileBlockSizes() of \p mapping.
llvm::Expected<LayerLayout> makeLayerLayout(const Workload &workload,
                                            const Mapping &mapping,
                                            const LayerLayoutOptions &options);

/// Block sizes that make the tiles of \p mapping contiguous for operand
/// \p operand: per tensor dim the distance between the starts of two
/// neighbouring tiles (`Σ |coeff| × tile` over the index's terms whose dim has
/// more than one tile; the whole extent when there is none), clipped to
/// `[1, extent]`. Tiles whose footprints overlap (convolution halos) span
/// neighbouring blocks partially.
llvm::SmallVector<int64_t, 4> getTileBlockSizes(const Workload &workload,
                                                const Mapping &mapping,
                                                unsigned operand);

/// The footprint box of operand \p operand for the tile with per-loop-dim
/// tile indices \p tileIndex under \p tileSizes: per tensor dim the
/// contiguous range of the projected index over the tile's iteration box,
/// clipped to `[0, extent)` (the definition of docs/access-counts.md). Writes
/// the start to \p lo and the length (0 when empty) to \p size; returns the
/// number of elements.
int64_t getTileBox(const Workload &workload, llvm::ArrayRef<int64_t> tileSizes,
                   unsigned operand, llvm::ArrayRef<int64_t> tileIndex,
                   llvm::MutableArrayRef<int64_t> lo,
                   llvm::MutableArrayRef<int64_t> size);

} // namespace romac

#endif // ROMAC_DRAM_LAYOUT_H
