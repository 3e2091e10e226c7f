//===- search_bench.cpp - speed of the mapping search -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Google Benchmark timings of the exact search: the headline layer (K=256,
// C=512, 64x64, 3x3) on one thread for every objective, the synthetic SD2
// UNet list (346 layers, 65 distinct) on one and two threads, and the Z3
// verification of the headline layer's mapping. Every benchmark runs five
// repetitions and reports mean, median and spread; counters give the work
// the search did. Run: build/bin/romac-search-bench
// [--benchmark_filter=REGEX] [ROMAC_BENCH_TARGET=name].
//
//===----------------------------------------------------------------------===//

#include "Workloads.h"

#include "romac/Search/Search.h"
#include "romac/Verify/Verify.h"
#include "romac/Support/Parallel.h"

#include "llvm/Support/raw_ostream.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

using namespace romac;
using namespace romac::bench;

namespace {

const CostTarget &getTarget() {
  static const CostTarget target = [] {
    const char *name = std::getenv("ROMAC_BENCH_TARGET");
    llvm::Expected<CostTarget> t =
        loadCostTarget(name && *name ? name : "edge-npu-lpddr4");
    if (!t) {
      llvm::errs() << llvm::toString(t.takeError()) << "\n";
      std::exit(1);
    }
    return *t;
  }();
  return target;
}

void searchHeadline(benchmark::State &state, Objective objective) {
  Workload w = makeHeadlineConv();
  SearchOptions options;
  options.objective = objective;
  LayerResult last;
  for (auto _ : state) {
    llvm::Expected<LayerResult> r = searchLayer(w, getTarget(), options);
    if (!r) {
      state.SkipWithError(llvm::toString(r.takeError()).c_str());
      return;
    }
    last = std::move(*r);
    benchmark::DoNotOptimize(last.objective);
  }
  state.counters["tile_vectors"] = static_cast<double>(last.stats.tileVectors);
  state.counters["evaluations"] = static_cast<double>(last.stats.evaluations);
  state.counters["pruned_space"] = last.stats.candidateSpace;
  state.counters["full_space"] = last.stats.fullSpace;
  state.counters["objective"] = last.objective;
}

void searchSd2(benchmark::State &state, Objective objective) {
  static const std::vector<Workload> layers = makeSd2UnetWorkloads();
  // range(0) threads: 1 searches on the calling thread.
  std::unique_ptr<llvm::ThreadPoolInterface> pool =
      makeThreadPool(static_cast<unsigned>(state.range(0)));
  SearchOptions options;
  options.threadPool = pool.get();
  options.objective = objective;
  double total = 0;
  for (auto _ : state) {
    llvm::Expected<std::vector<LayerResult>> r =
        searchLayers(layers, getTarget(), options);
    if (!r) {
      state.SkipWithError(llvm::toString(r.takeError()).c_str());
      return;
    }
    total = 0;
    for (const LayerResult &l : *r)
      total += l.objective;
    benchmark::DoNotOptimize(total);
  }
  state.counters["layers"] = static_cast<double>(layers.size());
  state.counters["objective_sum"] = total;
}

void verifyHeadline(benchmark::State &state) {
  Workload w = makeHeadlineConv();
  SearchOptions options;
  LayerResult r = llvm::cantFail(searchLayer(w, getTarget(), options));
  for (auto _ : state) {
    llvm::Error err = verifyMapping(w, r.mapping, getTarget());
    if (err) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
  }
}

#define ROMAC_REPEAT                                                           \
  Repetitions(5)                                                               \
      ->ReportAggregatesOnly(true)                                             \
      ->Unit(benchmark::kMillisecond)                                          \
      ->UseRealTime()

BENCHMARK_CAPTURE(searchHeadline, energy, Objective::Energy)->ROMAC_REPEAT;
BENCHMARK_CAPTURE(searchHeadline, dram_accesses, Objective::DramAccesses)
    ->ROMAC_REPEAT;
BENCHMARK_CAPTURE(searchHeadline, latency, Objective::Latency)->ROMAC_REPEAT;
BENCHMARK_CAPTURE(searchHeadline, edp, Objective::EDP)->ROMAC_REPEAT;
BENCHMARK_CAPTURE(searchSd2, energy, Objective::Energy)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->ROMAC_REPEAT;
BENCHMARK_CAPTURE(searchSd2, latency, Objective::Latency)
    ->Arg(2)
    ->ArgName("threads")
    ->Iterations(1)
    ->ROMAC_REPEAT;
BENCHMARK(verifyHeadline)->ROMAC_REPEAT;

} // namespace

BENCHMARK_MAIN();
