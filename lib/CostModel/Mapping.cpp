//===- Mapping.cpp - tiling of a workload at one memory level ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Mapping.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace romac;

Mapping Mapping::untiled(const Workload &workload) {
  Mapping m;
  for (auto [i, dim] : llvm::enumerate(workload.dims)) {
    m.tileSizes.push_back(dim.bound);
    m.order.push_back(i);
  }
  return m;
}

llvm::Expected<Mapping>
Mapping::get(const Workload &workload,
             llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> tiles,
             llvm::ArrayRef<llvm::StringRef> order) {
  Mapping m = untiled(workload);
  m.order.clear();
  for (auto [name, size] : tiles) {
    std::optional<unsigned> dim = workload.findDim(name);
    if (!dim)
      return makeStringError("mapping of '" + workload.name +
                             "': tile for unknown loop dim '" + name + "'");
    m.tileSizes[*dim] = size;
  }
  for (llvm::StringRef name : order) {
    std::optional<unsigned> dim = workload.findDim(name);
    if (!dim)
      return makeStringError("mapping of '" + workload.name +
                             "': order names unknown loop dim '" + name + "'");
    m.order.push_back(*dim);
  }
  if (llvm::Error err = m.verify(workload))
    return std::move(err);
  return m;
}

llvm::Error Mapping::verify(const Workload &workload) const {
  std::string where = "mapping of '" + workload.name + "'";
  size_t n = workload.dims.size();
  if (tileSizes.size() != n)
    return makeStringError(where + ": " + llvm::Twine(tileSizes.size()) +
                           " tile sizes for " + llvm::Twine(n) + " loop dims");
  for (auto [size, dim] : llvm::zip_equal(tileSizes, workload.dims))
    if (size < 1 || size > dim.bound)
      return makeStringError(where + ": tile " + llvm::Twine(size) +
                             " of dim '" + dim.name + "' is outside [1, " +
                             llvm::Twine(dim.bound) + "]");
  if (order.size() != n)
    return makeStringError(where + ": order lists " +
                           llvm::Twine(order.size()) + " loops, expected all " +
                           llvm::Twine(n) + " loop dims");
  llvm::SmallVector<bool, 8> seen(n, false);
  for (unsigned d : order) {
    if (d >= n)
      return makeStringError(where + ": order names loop dim #" +
                             llvm::Twine(d) + " but there are only " +
                             llvm::Twine(n));
    if (seen[d])
      return makeStringError(where + ": order lists dim '" +
                             workload.dims[d].name + "' twice");
    seen[d] = true;
  }
  return llvm::Error::success();
}

int64_t Mapping::getNumTiles(const Workload &workload, unsigned dim) const {
  return (workload.dims[dim].bound + tileSizes[dim] - 1) / tileSizes[dim];
}

std::string Mapping::str(const Workload &workload) const {
  std::string out;
  llvm::raw_string_ostream os(out);
  auto name = [&](unsigned d) -> std::string {
    return d < workload.dims.size() ? workload.dims[d].name
                                    : "#" + std::to_string(d);
  };
  os << "tile{";
  for (auto [d, size] : llvm::enumerate(tileSizes))
    os << (d ? "," : "") << name(d) << "=" << size;
  os << "} order[";
  llvm::interleave(
      order, os, [&](unsigned d) { os << name(d); }, ",");
  os << "]";
  return out;
}

llvm::SmallVector<TileLoop, 8> romac::getTileLoops(const Workload &workload,
                                                   const Mapping &mapping) {
  llvm::SmallVector<TileLoop, 8> loops;
  for (auto [d, dim] : llvm::enumerate(workload.dims)) {
    int64_t size = d < mapping.tileSizes.size() ? mapping.tileSizes[d] : 1;
    int64_t count = size > 0 ? (dim.bound + size - 1) / size : 0;
    loops.push_back({size, size, count});
  }
  return loops;
}
