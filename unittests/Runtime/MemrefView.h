//===- MemrefView.h - memref descriptors over test buffers ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_RUNTIME_MEMREFVIEW_H
#define ROMAC_UNITTESTS_RUNTIME_MEMREFVIEW_H

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace romac::test {

/// A strided view of `data` of rank N, as the kernels' entry points take
/// it (Kernels.h: RomacMemref<N>F32).
template <typename Desc>
Desc makeView(std::vector<float> &data, int64_t offset,
              std::initializer_list<int64_t> sizes,
              std::initializer_list<int64_t> strides) {
  Desc d{};
  d.allocated = d.aligned = data.data();
  d.offset = offset;
  std::copy(sizes.begin(), sizes.end(), d.sizes);
  std::copy(strides.begin(), strides.end(), d.strides);
  return d;
}

} // namespace romac::test

#endif // ROMAC_UNITTESTS_RUNTIME_MEMREFVIEW_H
