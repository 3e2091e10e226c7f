//===- Parallel.cpp - romac's parallel-for --------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Support/Parallel.h"

#include "llvm/Support/ThreadPool.h"

using namespace romac;

void romac::parallelFor(llvm::ThreadPoolInterface *pool, size_t n,
                        llvm::function_ref<void(size_t)> fn) {
  if (!pool || n <= 1 || pool->getMaxConcurrency() <= 1) {
    for (size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  llvm::ThreadPoolTaskGroup group(*pool);
  for (size_t i = 0; i < n; ++i)
    group.async([fn, i] { fn(i); });
  group.wait();
}

std::unique_ptr<llvm::ThreadPoolInterface>
romac::makeThreadPool(unsigned threads) {
  if (threads == 1)
    return nullptr;
  return std::make_unique<llvm::DefaultThreadPool>(
      llvm::hardware_concurrency(threads));
}

unsigned romac::getConcurrency(llvm::ThreadPoolInterface *pool) {
  return pool ? pool->getMaxConcurrency() : 1;
}
