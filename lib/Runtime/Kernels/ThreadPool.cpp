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
// other threads take turns rather than race; a chunk's own parallelFor
// runs on its thread).
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "romac/Runtime/Kernels.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
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

/// Busy-wait rounds before a thread sleeps on a condition variable: about
/// a tenth of a millisecond. A schedule's tiles are many short kernel calls
/// (a text-encoder projection in tiles of 164 columns: 25 calls of ~60 us,
/// two parallelFors each), and waking a sleeping thread costs tens of
/// microseconds on a VM: with sleeping workers two threads ran the text
/// encoder's host schedule slower than one.
constexpr int kSpinRounds = 4000;

/// The most chunks of one job (the ticket's low 16 bits).
constexpr int64_t kMaxChunks = 0xffff;

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
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
    // A chunk that asks for threads again (a copy inside a parallel loop)
    // runs its loop itself: the workers are taken, and callMutex is held.
    if (insideChunk) {
      fn(ctx, 0, count);
      return;
    }
    int64_t chunks = std::min<int64_t>({threads, count, kMaxChunks});
    if (chunks <= 1) {
      fn(ctx, 0, count);
      return;
    }
    std::lock_guard<std::mutex> serial(callMutex);
    startWorkers(static_cast<int>(chunks) - 1);
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = {fn, ctx, count, chunks};
      pending.store(chunks - 1, std::memory_order_relaxed);
      // Publishes the job to the spinning workers (they acquire it). The
      // ticket carries the chunk count, so a worker that has no chunk skips
      // the job without reading `job`, which the next call may be writing.
      uint64_t next = (ticket.load(std::memory_order_relaxed) >> 16) + 1;
      ticket.store(next << 16 | static_cast<uint64_t>(chunks),
                   std::memory_order_release);
    }
    wake.notify_all();
    runChunk(0);
    for (int i = 0; i < kSpinRounds; ++i) {
      if (pending.load(std::memory_order_acquire) == 0)
        return;
      pause();
    }
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock,
              [&] { return pending.load(std::memory_order_acquire) == 0; });
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
    insideChunk = true;
    if (begin < end)
      job.fn(job.ctx, begin, end);
    insideChunk = false;
  }

  /// Whether this thread is running a chunk of a job.
  static thread_local bool insideChunk;

  void startWorkers(int needed) {
    while (static_cast<int>(workers.size()) < needed) {
      int64_t index = static_cast<int64_t>(workers.size()) + 1;
      workers.emplace_back([this, index] { work(index); });
      workers.back().detach();
    }
  }

  /// Waits (spinning, then sleeping) for a ticket other than `seen`.
  uint64_t waitForJob(uint64_t seen) {
    for (int i = 0; i < kSpinRounds; ++i) {
      uint64_t now = ticket.load(std::memory_order_acquire);
      if (now != seen)
        return now;
      pause();
    }
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock,
              [&] { return ticket.load(std::memory_order_acquire) != seen; });
    return ticket.load(std::memory_order_acquire);
  }

  void work(int64_t index) {
    uint64_t seen = 0;
    for (;;) {
      seen = waitForJob(seen);
      if (index >= static_cast<int64_t>(seen & 0xffff))
        continue;
      runChunk(index);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // The caller may be asleep: wake it under the mutex, so the
        // notification cannot fall between its check and its wait.
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_one();
      }
    }
  }

  std::mutex callMutex, mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  Job job;
  std::atomic<int64_t> pending{0};
  /// (job number << 16) | chunks of the current job.
  std::atomic<uint64_t> ticket{0};
};

thread_local bool Pool::insideChunk = false;

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

extern "C" void romac_parallel_for(int64_t count,
                                   void (*fn)(void *, int64_t, int64_t),
                                   void *ctx) {
  Pool::get().run(count, fn, ctx);
}
