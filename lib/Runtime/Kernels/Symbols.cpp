//===- Symbols.cpp - buffers, memrefCopy, runtime symbols ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What generated code calls besides the kernels (Kernels.cpp): the buffer
// allocation functions with their pool, the strided copy of memref.copy,
// and the table of every runtime symbol by link name (getSymbols).
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "romac/Runtime/Kernels.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

using namespace romac::kernels;

//===----------------------------------------------------------------------===//
// memrefCopy and the symbol table
//===----------------------------------------------------------------------===//

namespace {

/// An unranked memref: {rank, ranked descriptor*}; the ranked descriptor
/// is {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

/// Copies the strided view `src` to `dst`; a run of elements contiguous in
/// both is one memcpy.
void copyStrided(int64_t elementSize, int64_t rank, const int64_t *sizes,
                 const int64_t *srcStrides, const int64_t *dstStrides,
                 const char *src, char *dst) {
  if (rank == 0) {
    std::memcpy(dst, src, elementSize);
    return;
  }
  if (rank == 1) {
    if (srcStrides[0] == 1 && dstStrides[0] == 1) {
      std::memcpy(dst, src, sizes[0] * elementSize);
      return;
    }
    for (int64_t i = 0; i < sizes[0]; ++i)
      std::memcpy(dst + i * dstStrides[0] * elementSize,
                  src + i * srcStrides[0] * elementSize, elementSize);
    return;
  }
  for (int64_t i = 0; i < sizes[0]; ++i)
    copyStrided(elementSize, rank - 1, sizes + 1, srcStrides + 1,
                dstStrides + 1, src + i * srcStrides[0] * elementSize,
                dst + i * dstStrides[0] * elementSize);
}

/// The copies at least this large are split over the threads.
constexpr int64_t kParallelCopyBytes = 256 << 10;

/// copyStrided with its outermost dim of more than one element split over
/// the threads when it moves at least kParallelCopyBytes (a convolution's
/// input copied into its zero-padded buffer: one core would copy while the
/// other waits).
void copyStridedOnThreads(int64_t elementSize, int64_t rank,
                          const int64_t *sizes, const int64_t *srcStrides,
                          const int64_t *dstStrides, const char *src,
                          char *dst) {
  int64_t bytes = elementSize, dim = -1;
  for (int64_t d = 0; d < rank; ++d) {
    bytes *= sizes[d];
    if (dim < 0 && sizes[d] > 1)
      dim = d;
  }
  if (dim < 0 || bytes < kParallelCopyBytes ||
      romac::kernels::getNumThreads() == 1)
    return copyStrided(elementSize, rank, sizes, srcStrides, dstStrides, src,
                       dst);
  struct Job {
    int64_t elementSize, rank, dim;
    const int64_t *sizes, *srcStrides, *dstStrides;
    const char *src;
    char *dst;
  } job{elementSize, rank, dim, sizes, srcStrides, dstStrides, src, dst};
  romac::kernels::detail::parallelFor(
      sizes[dim],
      [](void *c, int64_t begin, int64_t end) {
        auto &j = *static_cast<Job *>(c);
        // Dims before `dim` have one element: the chunk is [begin, end) of
        // `dim` and all of the dims after it.
        int64_t es = j.elementSize, inner = j.dim + 1;
        for (int64_t i = begin; i < end; ++i)
          copyStrided(es, j.rank - inner, j.sizes + inner, j.srcStrides + inner,
                      j.dstStrides + inner,
                      j.src + i * j.srcStrides[j.dim] * es,
                      j.dst + i * j.dstStrides[j.dim] * es);
      },
      &job);
}

} // namespace

/// The runtime function `memrefCopy(elementSize, src, dst)` that the LLVM
/// lowering of memref.copy calls for non-contiguous copies.
extern "C" void romacMemrefCopy(int64_t elementSize, UnrankedDescriptor *src,
                                UnrankedDescriptor *dst) {
  struct Header {
    char *allocated;
    char *aligned;
    int64_t offset;
  };
  auto *s = static_cast<Header *>(src->descriptor);
  auto *d = static_cast<Header *>(dst->descriptor);
  int64_t rank = src->rank;
  auto *sSizes = reinterpret_cast<const int64_t *>(s + 1);
  auto *dSizes = reinterpret_cast<const int64_t *>(d + 1);
  copyStridedOnThreads(elementSize, rank, sSizes, sSizes + rank, dSizes + rank,
                       s->aligned + s->offset * elementSize,
                       d->aligned + d->offset * elementSize);
}

//===----------------------------------------------------------------------===//
// Buffers of the generated code
//===----------------------------------------------------------------------===//

namespace {

/// Every buffer carries this header in front of it; blocks are 64-byte
/// aligned, so buffers are too.
struct BufferHeader {
  size_t capacity; // bytes mapped for a pooled block, 0 for malloc
  char padding[56];
};
static_assert(sizeof(BufferHeader) == 64, "header keeps 64-byte alignment");

/// Blocks of at least this many bytes come from the pool.
constexpr size_t kPooledBytes = size_t(1) << 20;
/// Pooled blocks are multiples of a huge page.
constexpr size_t kHugePage = size_t(2) << 20;

/// Freed large blocks, by size, for the next allocation of that size: the
/// activations of one layer reuse the memory (and the mapped pages) of an
/// earlier layer's, and a second run allocates nothing new. A fresh mapping
/// page-faults on every 4 KiB page it touches, which costs seconds per
/// gigabyte on a virtual machine.
struct BufferPool {
  static BufferPool &get() {
    static BufferPool *pool = new BufferPool();
    return *pool;
  }
  std::mutex mutex;
  std::multimap<size_t, void *> free;
};

} // namespace

/// The allocation function the LLVM lowering of memref.alloc calls
/// (finalize-memref-to-llvm with use-generic-functions).
extern "C" void *romacAlloc(size_t bytes) {
  size_t total = bytes + sizeof(BufferHeader);
  void *block = nullptr;
  size_t capacity = 0;
  if (total >= kPooledBytes) {
    capacity = (total + kHugePage - 1) / kHugePage * kHugePage;
    BufferPool &pool = BufferPool::get();
    {
      std::lock_guard<std::mutex> lock(pool.mutex);
      auto it = pool.free.find(capacity);
      if (it != pool.free.end()) {
        block = it->second;
        pool.free.erase(it);
      }
    }
    if (!block) {
      block = mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block == MAP_FAILED)
        return nullptr;
      madvise(block, capacity, MADV_HUGEPAGE);
    }
  } else {
    block = std::aligned_alloc(64, (total + 63) / 64 * 64);
    if (!block)
      return nullptr;
  }
  static_cast<BufferHeader *>(block)->capacity = capacity;
  return static_cast<char *>(block) + sizeof(BufferHeader);
}

extern "C" void *romacAlignedAlloc(size_t alignment, size_t bytes) {
  // Every buffer is 64-byte aligned (its block is, and so is the header);
  // the code generator asks for no more.
  if (alignment > 64)
    return nullptr;
  return romacAlloc(bytes);
}

extern "C" void romacFree(void *pointer) {
  if (!pointer)
    return;
  void *block = static_cast<char *>(pointer) - sizeof(BufferHeader);
  size_t capacity = static_cast<BufferHeader *>(block)->capacity;
  if (capacity == 0) {
    std::free(block);
    return;
  }
  BufferPool &pool = BufferPool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.free.emplace(capacity, block);
}

void romac::kernels::releaseBufferPool() {
  BufferPool &pool = BufferPool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  for (auto &[capacity, block] : pool.free)
    munmap(block, capacity);
  pool.free.clear();
}

//===----------------------------------------------------------------------===//
// Indices computed from the data
//===----------------------------------------------------------------------===//

namespace {

/// The first bad value generated code computed from the data since the
/// last takeDataError() (an index out of range, a zero divisor); any
/// thread of a parallel element-wise kernel may record it.
struct DataError {
  static DataError &get() {
    static DataError error;
    return error;
  }
  /// Records `describe()` unless an error is recorded already.
  template <typename Describe> void record(Describe describe) {
    if (seen.load(std::memory_order_relaxed))
      return;
    std::lock_guard<std::mutex> lock(mutex);
    if (!seen) {
      message = describe();
      seen = true;
    }
  }
  std::atomic<bool> seen{false};
  std::mutex mutex;
  std::string message;
};

} // namespace

extern "C" int64_t romac_check_index(int64_t index, int64_t size,
                                     int64_t wraps) {
  if (index >= 0 && index < size)
    return index;
  if (wraps && index < 0 && index >= -size)
    return index + size;
  DataError::get().record([&] {
    return "an index computed from the data is " + std::to_string(index) +
           ", outside the " + std::to_string(size) +
           " entries of the axis it reads (a Gather's indices must lie in [-" +
           std::to_string(size) + ", " + std::to_string(size) + "))";
  });
  return 0;
}

extern "C" int64_t romac_check_divisor(int64_t divisor) {
  if (divisor != 0)
    return divisor;
  DataError::get().record([] {
    return std::string("an integer divisor computed from the data is 0 (an "
                       "integer Div or Mod by zero)");
  });
  return 1;
}

std::string romac::kernels::takeDataError() {
  DataError &error = DataError::get();
  if (!error.seen)
    return {};
  std::lock_guard<std::mutex> lock(error.mutex);
  error.seen = false;
  return std::move(error.message);
}

const Symbol *romac::kernels::getSymbols(int *count) {
  static const Symbol symbols[] = {
      {"memrefCopy", reinterpret_cast<void *>(&romacMemrefCopy)},
      {"_mlir_memref_to_llvm_alloc", reinterpret_cast<void *>(&romacAlloc)},
      {"_mlir_memref_to_llvm_aligned_alloc",
       reinterpret_cast<void *>(&romacAlignedAlloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void *>(&romacFree)},
      {"romac_parallel_for", reinterpret_cast<void *>(&romac_parallel_for)},
      {"romac_check_index", reinterpret_cast<void *>(&romac_check_index)},
      {"romac_check_divisor", reinterpret_cast<void *>(&romac_check_divisor)},
      {"_mlir_ciface_romac_matmul_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_f32)},
      {"_mlir_ciface_romac_batch_matmul_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_batch_matmul_f32)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_conv2d_nchw_fchw_f32)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32)},
      {"_mlir_ciface_romac_maxpool2d_nchw_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_maxpool2d_nchw_f32)},
      {"_mlir_ciface_romac_matmul_fused_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_fused_f32)},
      {"_mlir_ciface_romac_batch_matmul_fused_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_batch_matmul_fused_f32)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_conv2d_nchw_fchw_fused_f32)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_f32)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_bf16",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_conv2d_nchw_fchw_bias_fused_bf16)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32)},
      {"_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32)},
      {"_mlir_ciface_romac_attention_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_attention_f32)},
      {"_mlir_ciface_romac_attention_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_attention_bf16)},
      {"_mlir_ciface_romac_attention_heads_f32",
       reinterpret_cast<void *>(&_mlir_ciface_romac_attention_heads_f32)},
      {"_mlir_ciface_romac_attention_heads_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_attention_heads_bf16)},
      {"_mlir_ciface_romac_matmul_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_bf16)},
      {"_mlir_ciface_romac_batch_matmul_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_batch_matmul_bf16)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_conv2d_nchw_fchw_bf16)},
      {"_mlir_ciface_romac_matmul_fused_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_fused_bf16)},
      {"_mlir_ciface_romac_batch_matmul_fused_bf16",
       reinterpret_cast<void *>(&_mlir_ciface_romac_batch_matmul_fused_bf16)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16",
       reinterpret_cast<void *>(
           &_mlir_ciface_romac_conv2d_nchw_fchw_fused_bf16)},
      {"_mlir_ciface_romac_matmul_i8",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_i8)},
      {"_mlir_ciface_romac_matmul_fused_i8",
       reinterpret_cast<void *>(&_mlir_ciface_romac_matmul_fused_i8)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_i8",
       reinterpret_cast<void *>(&_mlir_ciface_romac_conv2d_nchw_fchw_i8)},
      {"_mlir_ciface_romac_conv2d_nchw_fchw_fused_i8",
       reinterpret_cast<void *>(&_mlir_ciface_romac_conv2d_nchw_fchw_fused_i8)},
  };
  *count = sizeof(symbols) / sizeof(symbols[0]);
  return symbols;
}
