//===- ThreadPool.cpp - the kernels' worker threads -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// parallelFor(): a fixed set of worker threads, started on first use, that
// each take one contiguous chunk of a kernel's outermost loop; the calling
// thread runs the first chunk. Generated code is single-threaded, so only
// one parallelFor runs at a time (a mutex makes concurrent callers from
// other threads take turns rather than race).
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "romac/Runtime/Kernels.h"

#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

using namespace romac::kernels;

namespace {

int getDefaultThreads() {
  if (const char *env = std::getenv("ROMAC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1)
      return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

class Pool {
public:
  static Pool &get() {
    static Pool *pool = new Pool(); // never destroyed: workers may outlive
                                    // static destruction order
    return *pool;
  }

  int threads = getDefaultThreads();

  void run(int64_t count, void (*fn)(void *, int64_t, int64_t), void *ctx) {
    std::lock_guard<std::mutex> serial(callMutex);
    int64_t chunks = std::min<int64_t>(threads, count);
    if (chunks <= 1) {
      fn(ctx, 0, count);
      return;
    }
    startWorkers(static_cast<int>(chunks) - 1);
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = {fn, ctx, count, chunks};
      pending = chunks - 1;
      ++generation;
    }
    wake.notify_all();
    runChunk(0);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return pending == 0; });
  }

private:
  struct Job {
    void (*fn)(void *, int64_t, int64_t) = nullptr;
    void *ctx = nullptr;
    int64_t count = 0, chunks = 0;
  };

  void runChunk(int64_t chunk) {
    int64_t begin = job.count * chunk / job.chunks;
    int64_t end = job.count * (chunk + 1) / job.chunks;
    if (begin < end)
      job.fn(job.ctx, begin, end);
  }

  void startWorkers(int needed) {
    while (static_cast<int>(workers.size()) < needed) {
      int64_t index = static_cast<int64_t>(workers.size()) + 1;
      workers.emplace_back([this, index] { work(index); });
      workers.back().detach();
    }
  }

  void work(int64_t index) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (index >= job.chunks)
          continue;
      }
      runChunk(index);
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0)
        done.notify_one();
    }
  }

  std::mutex callMutex, mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  Job job;
  int64_t pending = 0;
  uint64_t generation = 0;
};

} // namespace

int romac::kernels::getNumThreads() { return Pool::get().threads; }

void romac::kernels::setNumThreads(int threads) {
  Pool::get().threads = std::max(1, threads);
}

void romac::kernels::detail::parallelFor(int64_t count,
                                         void (*fn)(void *, int64_t, int64_t),
                                         void *ctx) {
  Pool::get().run(count, fn, ctx);
}
