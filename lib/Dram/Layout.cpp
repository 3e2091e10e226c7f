//===- Layout.cpp - where the elements of a tensor live in DRAM -----------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Layout.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>

using namespace romac;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// TensorLayout
//===----------------------------------------------------------------------===//

/// Checks the shape, the element size and the dim order, and computes the
/// size in bytes.
static llvm::Error checkShape(ArrayRef<int64_t> extent, ElementSize element,
                              uint64_t base, ArrayRef<unsigned> dimOrder,
                              SmallVector<unsigned, 4> &order,
                              uint64_t &sizeBytes) {
  if (element.bytes <= 0)
    return makeStringError("layout: bytes per element must be positive, got " +
                           llvm::Twine(element.bytes));
  // A compressed tensor's size is counted in sixteenths of a bit first.
  uint64_t size =
      element.bits16 ? element.bits16 : static_cast<uint64_t>(element.bytes);
  for (int64_t e : extent) {
    if (e <= 0)
      return makeStringError("layout: extents must be positive, got " +
                             llvm::Twine(e));
    bool overflow = false;
    size = llvm::SaturatingMultiply(size, static_cast<uint64_t>(e), &overflow);
    if (overflow)
      return makeStringError("layout: the tensor size overflows 64 bits");
  }
  if (element.bits16)
    size = llvm::divideCeil(size, 128);
  bool overflow = false;
  (void)llvm::SaturatingAdd(base, size, &overflow);
  if (overflow)
    return makeStringError("layout: base + size overflows 64 bits");
  order.clear();
  if (dimOrder.empty()) {
    order.resize(extent.size());
    std::iota(order.begin(), order.end(), 0u);
  } else {
    SmallVector<bool, 4> seen(extent.size(), false);
    if (dimOrder.size() != extent.size())
      return makeStringError(
          "layout: the dim order names " + llvm::Twine(dimOrder.size()) +
          " dims, the tensor has " + llvm::Twine(extent.size()));
    for (unsigned d : dimOrder) {
      if (d >= extent.size() || seen[d])
        return makeStringError(
            "layout: the dim order is not a permutation of the "
            "tensor dims");
      seen[d] = true;
    }
    order.assign(dimOrder.begin(), dimOrder.end());
  }
  sizeBytes = size;
  return llvm::Error::success();
}

llvm::Expected<TensorLayout>
TensorLayout::getRowMajor(ArrayRef<int64_t> extent, ElementSize elementSize,
                          uint64_t base, ArrayRef<unsigned> dimOrder) {
  TensorLayout layout;
  if (llvm::Error err = checkShape(extent, elementSize, base, dimOrder,
                                   layout.order, layout.sizeBytes))
    return std::move(err);
  layout.kind = LayoutKind::RowMajor;
  layout.base = base;
  layout.bytesPerElement = elementSize.bytes;
  layout.bits16 = elementSize.bits16;
  layout.extent.assign(extent.begin(), extent.end());
  layout.block.assign(extent.begin(), extent.end());
  return layout;
}

llvm::Expected<TensorLayout>
TensorLayout::getBlocked(ArrayRef<int64_t> extent, ElementSize elementSize,
                         uint64_t base, ArrayRef<int64_t> blockSizes,
                         ArrayRef<unsigned> dimOrder) {
  TensorLayout layout;
  if (llvm::Error err = checkShape(extent, elementSize, base, dimOrder,
                                   layout.order, layout.sizeBytes))
    return std::move(err);
  if (blockSizes.size() != extent.size())
    return makeStringError("layout: " + llvm::Twine(blockSizes.size()) +
                           " block sizes for a tensor of rank " +
                           llvm::Twine(extent.size()));
  for (auto [b, e] : llvm::zip_equal(blockSizes, extent))
    if (b < 1 || b > e)
      return makeStringError("layout: block size " + llvm::Twine(b) +
                             " is not in [1, " + llvm::Twine(e) + "]");
  layout.kind = LayoutKind::Blocked;
  layout.base = base;
  layout.bytesPerElement = elementSize.bytes;
  layout.bits16 = elementSize.bits16;
  layout.extent.assign(extent.begin(), extent.end());
  layout.block.assign(blockSizes.begin(), blockSizes.end());
  return layout;
}

uint64_t TensorLayout::getBlockOffset(ArrayRef<int64_t> blockIdx) const {
  // Blocks in row-major block order, edge blocks compact: the blocks before
  // block b are, for every position i of the order, the slabs with a smaller
  // index at i and equal indices outside i.
  uint64_t offset = 0;
  size_t rank = order.size();
  for (size_t i = 0; i < rank; ++i) {
    unsigned d = order[i];
    uint64_t slab = static_cast<uint64_t>(blockIdx[d] * block[d]);
    for (size_t k = 0; k < i; ++k) {
      unsigned dk = order[k];
      slab *= std::min(block[dk], extent[dk] - blockIdx[dk] * block[dk]);
    }
    for (size_t k = i + 1; k < rank; ++k)
      slab *= extent[order[k]];
    offset += slab;
  }
  return offset;
}

uint64_t TensorLayout::getAddress(ArrayRef<int64_t> index) const {
  assert(index.size() == extent.size() && "one index per tensor dim");
  size_t rank = order.size();
  SmallVector<int64_t, 4> blockIdx(rank), inBlock(rank), blockExtent(rank);
  for (size_t d = 0; d < rank; ++d) {
    assert(index[d] >= 0 && index[d] < extent[d] && "index out of range");
    blockIdx[d] = index[d] / block[d];
    inBlock[d] = index[d] % block[d];
    blockExtent[d] = std::min(block[d], extent[d] - blockIdx[d] * block[d]);
  }
  uint64_t offset = 0;
  for (unsigned d : order)
    offset = offset * blockExtent[d] + inBlock[d];
  if (kind == LayoutKind::Blocked)
    offset += getBlockOffset(blockIdx);
  return base + toBytes(offset);
}

uint64_t TensorLayout::toBytes(uint64_t elements) const {
  if (!bits16)
    return elements * bytesPerElement;
  return static_cast<uint64_t>(static_cast<unsigned __int128>(elements) *
                               bits16 / 128);
}

void TensorLayout::runsInBlock(
    ArrayRef<int64_t> blockIdx, ArrayRef<int64_t> lo, ArrayRef<int64_t> hi,
    llvm::function_ref<void(uint64_t, uint64_t, uint64_t, uint64_t)> fn) const {
  // `lo` / `hi` are inclusive element ranges relative to the block start.
  size_t rank = order.size();
  SmallVector<int64_t, 4> blockExtent(rank);
  SmallVector<uint64_t, 4> stride(rank);
  for (size_t d = 0; d < rank; ++d)
    blockExtent[d] = std::min(block[d], extent[d] - blockIdx[d] * block[d]);
  // Plain elements: strides and addresses in bytes. Compressed ones: in
  // elements, each run turned into bytes as it is reported (emit()).
  uint64_t unit = bits16 ? 1 : bytesPerElement;
  uint64_t s = unit;
  for (size_t i = rank; i-- > 0;) {
    stride[order[i]] = s;
    s *= blockExtent[order[i]];
  }
  uint64_t start = bits16 ? 0 : base;
  if (kind == LayoutKind::Blocked)
    start += getBlockOffset(blockIdx) * unit;
  for (size_t d = 0; d < rank; ++d)
    start += lo[d] * stride[d];
  auto emit = [&](uint64_t addr, uint64_t runBytes, uint64_t count,
                  uint64_t groupStride) {
    if (!bits16)
      return fn(addr, runBytes, count, groupStride);
    for (uint64_t i = 0; i < count; ++i, addr += groupStride) {
      uint64_t first = toBytes(addr), end = toBytes(addr + runBytes);
      if (end > first)
        fn(base + first, end - first, 1, end - first + 1);
    }
  };
  if (rank == 0) {
    emit(start, unit, 1, unit + 1);
    return;
  }
  // Merge inner dims the box covers fully into one run.
  size_t pos = rank - 1;
  uint64_t runElems = hi[order[pos]] - lo[order[pos]] + 1;
  while (pos > 0 && lo[order[pos]] == 0 &&
         hi[order[pos]] == blockExtent[order[pos]] - 1) {
    --pos;
    runElems *= hi[order[pos]] - lo[order[pos]] + 1;
  }
  uint64_t runBytes = runElems * unit;
  // The position just outside the run makes the groups (its dim is not
  // covered fully, so its stride exceeds the run); an odometer walks the
  // positions outside it, innermost last.
  uint64_t count = 1, groupStride = runBytes + 1;
  if (pos > 0) {
    --pos;
    unsigned d = order[pos];
    count = hi[d] - lo[d] + 1;
    groupStride = stride[d];
  }
  SmallVector<int64_t, 4> idx(pos, 0);
  uint64_t addr = start;
  while (true) {
    emit(addr, runBytes, count, groupStride);
    size_t i = pos;
    for (; i-- > 0;) {
      unsigned d = order[i];
      if (++idx[i] <= hi[d] - lo[d]) {
        addr += stride[d];
        break;
      }
      addr -= static_cast<uint64_t>(idx[i] - 1) * stride[d];
      idx[i] = 0;
    }
    if (i == static_cast<size_t>(-1))
      return;
  }
}

void TensorLayout::forEachRun(
    ArrayRef<int64_t> lo, ArrayRef<int64_t> size,
    llvm::function_ref<void(uint64_t, uint64_t)> fn) const {
  // Coalesce runs that touch (neighbouring blocks).
  uint64_t pendingAddr = 0, pendingBytes = 0;
  forEachRunGroup(
      lo, size,
      [&](uint64_t addr, uint64_t bytes, uint64_t count, uint64_t stride) {
        for (uint64_t i = 0; i < count; ++i, addr += stride) {
          if (pendingBytes != 0 && pendingAddr + pendingBytes == addr) {
            pendingBytes += bytes;
            continue;
          }
          if (pendingBytes != 0)
            fn(pendingAddr, pendingBytes);
          pendingAddr = addr;
          pendingBytes = bytes;
        }
      });
  if (pendingBytes != 0)
    fn(pendingAddr, pendingBytes);
}

void TensorLayout::forEachRunGroup(
    ArrayRef<int64_t> lo, ArrayRef<int64_t> size,
    llvm::function_ref<void(uint64_t, uint64_t, uint64_t, uint64_t)> fn) const {
  size_t rank = order.size();
  assert(lo.size() == rank && size.size() == rank && "one range per dim");
  for (size_t d = 0; d < rank; ++d) {
    if (size[d] <= 0)
      return;
    assert(lo[d] >= 0 && lo[d] + size[d] <= extent[d] && "box out of range");
  }
  SmallVector<int64_t, 4> first(rank), last(rank), bidx(rank), blo(rank),
      bhi(rank);
  for (size_t d = 0; d < rank; ++d) {
    first[d] = lo[d] / block[d];
    last[d] = (lo[d] + size[d] - 1) / block[d];
    bidx[d] = first[d];
  }
  while (true) {
    for (size_t d = 0; d < rank; ++d) {
      int64_t start = bidx[d] * block[d];
      blo[d] = std::max(lo[d], start) - start;
      bhi[d] = std::min(lo[d] + size[d] - 1,
                        std::min(start + block[d], extent[d]) - 1) -
               start;
    }
    runsInBlock(bidx, blo, bhi, fn);
    // Next block in block order (the layout's dim order).
    size_t i = rank;
    for (; i-- > 0;) {
      unsigned d = order[i];
      if (++bidx[d] <= last[d])
        break;
      bidx[d] = first[d];
    }
    if (i == static_cast<size_t>(-1))
      break;
  }
}

uint64_t TensorLayout::countRuns(ArrayRef<int64_t> lo,
                                 ArrayRef<int64_t> size) const {
  uint64_t runs = 0;
  forEachRun(lo, size, [&](uint64_t, uint64_t) { ++runs; });
  return runs;
}

std::string TensorLayout::str() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << stringifyLayoutKind(kind);
  if (kind == LayoutKind::Blocked) {
    os << '{';
    llvm::interleave(block, os, ",");
    os << '}';
  }
  os << '[';
  llvm::interleave(order, os, ",");
  os << "] @0x" << llvm::utohexstr(base, /*LowerCase=*/true);
  return out;
}

//===----------------------------------------------------------------------===//
// LayerLayout
//===----------------------------------------------------------------------===//

llvm::Error LayerLayout::verify(const Workload &workload) const {
  if (operands.size() != workload.operands.size())
    return makeStringError("layer layout of '" + workload.name + "' has " +
                           llvm::Twine(operands.size()) +
                           " tensors, the workload " +
                           llvm::Twine(workload.operands.size()) + " operands");
  for (auto [i, layout] : llvm::enumerate(operands)) {
    const Operand &op = workload.operands[i];
    if (ArrayRef<int64_t>(op.extent) != layout.getExtent() ||
        ElementSize::of(op) != layout.getElementSize())
      return makeStringError("layout of operand '" + op.name + "' of '" +
                             workload.name +
                             "' does not match its shape or "
                             "element size");
  }
  for (size_t i = 0; i < operands.size(); ++i)
    for (size_t j = i + 1; j < operands.size(); ++j) {
      if (workload.operands[i].tensor == workload.operands[j].tensor)
        continue;
      const TensorLayout &a = operands[i], &b = operands[j];
      if (a.getBase() < b.getBase() + b.getSizeBytes() &&
          b.getBase() < a.getBase() + a.getSizeBytes())
        return makeStringError("the DRAM ranges of operands '" +
                               workload.operands[i].name + "' and '" +
                               workload.operands[j].name + "' of '" +
                               workload.name + "' overlap");
    }
  return llvm::Error::success();
}

std::string LayerLayout::str(const Workload &workload) const {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (auto [i, layout] : llvm::enumerate(operands))
    os << (i < workload.operands.size() ? workload.operands[i].name : "?")
       << ": " << layout.str() << "\n";
  return out;
}

SmallVector<int64_t, 4> romac::getTileBlockSizes(const Workload &workload,
                                                 const Mapping &mapping,
                                                 unsigned operand) {
  const Operand &op = workload.operands[operand];
  SmallVector<int64_t, 4> blocks;
  for (auto [expr, extent] : llvm::zip_equal(op.projection, op.extent)) {
    int64_t step = 0;
    for (const AffineTerm &term : expr.terms)
      if (mapping.getNumTiles(workload, term.dim) > 1)
        step += std::abs(term.coeff) * mapping.tileSizes[term.dim];
    blocks.push_back(step == 0 ? extent : std::clamp<int64_t>(step, 1, extent));
  }
  return blocks;
}

llvm::Expected<LayerLayout>
romac::makeLayerLayout(const Workload &workload, const Mapping &mapping,
                       const LayerLayoutOptions &options) {
  LayerLayout result;
  uint64_t next = options.base;
  uint64_t align = std::max<uint64_t>(options.alignment, 1);
  for (auto [i, op] : llvm::enumerate(workload.operands)) {
    // An operand that names an earlier operand's tensor shares its layout.
    auto same = llvm::find_if(
        llvm::make_range(workload.operands.begin(),
                         workload.operands.begin() + i),
        [&](const Operand &other) { return other.tensor == op.tensor; });
    if (same != workload.operands.begin() + i && same->extent == op.extent &&
        ElementSize::of(*same) == ElementSize::of(op)) {
      result.operands.push_back(
          result.operands[same - workload.operands.begin()]);
      continue;
    }
    uint64_t addr = llvm::alignTo(next, align);
    llvm::Expected<TensorLayout> layout =
        options.kind == LayoutKind::RowMajor
            ? TensorLayout::getRowMajor(op.extent, ElementSize::of(op), addr)
            : TensorLayout::getBlocked(op.extent, ElementSize::of(op), addr,
                                       getTileBlockSizes(workload, mapping, i));
    if (!layout)
      return layout.takeError();
    next = addr + layout->getSizeBytes();
    result.operands.push_back(std::move(*layout));
  }
  return result;
}

int64_t romac::getTileBox(const Workload &workload, ArrayRef<int64_t> tileSizes,
                          unsigned operand, ArrayRef<int64_t> tileIndex,
                          MutableArrayRef<int64_t> lo,
                          MutableArrayRef<int64_t> size) {
  const Operand &op = workload.operands[operand];
  int64_t elements = 1;
  for (auto [j, expr] : llvm::enumerate(op.projection)) {
    int64_t low = expr.constant, high = expr.constant;
    for (const AffineTerm &term : expr.terms) {
      int64_t first = tileIndex[term.dim] * tileSizes[term.dim];
      int64_t last =
          std::min(first + tileSizes[term.dim], workload.dims[term.dim].bound) -
          1;
      int64_t a = term.coeff * first, b = term.coeff * last;
      low += std::min(a, b);
      high += std::max(a, b);
    }
    low = std::max<int64_t>(low, 0);
    high = std::min(high, op.extent[j] - 1);
    lo[j] = low;
    size[j] = high < low ? 0 : high - low + 1;
    elements *= size[j];
  }
  return elements;
}
