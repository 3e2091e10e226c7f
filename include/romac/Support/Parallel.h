//===- Parallel.h - romac's parallel-for -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The one parallel-for of the romac libraries. Searches do not make threads
// of their own: they run on the llvm::ThreadPoolInterface they are given (the
// MLIRContext's pool in a pass, so `--mlir-disable-threading` and `romac
// --threads` decide), or inline on the calling thread without one.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SUPPORT_PARALLEL_H
#define ROMAC_SUPPORT_PARALLEL_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/ThreadPool.h"

#include <cstddef>
#include <memory>

namespace romac {

/// Runs `fn(i)` for every i in [0, n) on the threads of \p pool, or inline in
/// order when \p pool is null or has one thread, and returns when all calls
/// are done. The calls wait on a task group of their own, so a task of
/// \p pool may call parallelFor() on the same pool.
void parallelFor(llvm::ThreadPoolInterface *pool, size_t n,
                 llvm::function_ref<void(size_t)> fn);

/// The number of threads of \p pool (1 without one).
unsigned getConcurrency(llvm::ThreadPoolInterface *pool);

/// A pool of \p threads threads for tools and tests that have no
/// MLIRContext: 0 means one per core; 1 gives null (the calling thread).
std::unique_ptr<llvm::ThreadPoolInterface> makeThreadPool(unsigned threads);

} // namespace romac

#endif // ROMAC_SUPPORT_PARALLEL_H
