//===- romanet_table.cpp - romac against ROMANet's DRAM results -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The comparison of docs/romanet-comparison.md. For every network (the
// committed light ONNX exports, imported with romac's importer; the
// contraction layers with the target's data types; ROMANet's CNNs on
// romanet-ddr3 and on romanet-ddr4-2x2, the same accelerator with a DDR4
// memory of 2 channels x 2 ranks, the SD2 graphs on edge-npu-lpddr4) it
// computes, through the
// row-buffer model, the DRAM energy and DRAM cycles of
//
//  - baseline (SmartShuttle-like): per layer the adaptive reuse scheme and
//    tiles that minimise DRAM accesses (the search's `dram-accesses`
//    objective; among tilings that move equally many bytes the fewest tile
//    transfers), row-major tensors, the conventional RoBaRaCoCh mapping;
//  - baseline-tuned: the same, but among the byte-minimal tilings the one
//    the row-major RoBaRaCoCh DRAM serves best (refineTilingForDram() with
//    the bytes capped): the strongest row-major baseline we can build;
//  - baseline-naive: byte-minimal tiles with the search's own tie-break
//    (it cannot see bursts; shows how much a careless tie-break costs);
//  - romanet / romanet-tuned: the baseline's (tuned baseline's) tiles with
//    ROMANet's mapping: the romanet address mapping and every tile's data
//    contiguous (tile-blocked layouts); layers independent as in the paper
//    (romanet+relayouts: the re-layouts it would owe between layers);
//  - romac-tiling-only: the DRAM-aware search with row-major tensors and
//    RoBaRaCoCh fixed (what tiling alone buys);
//  - romac-RoBaRaCoCh: the DRAM-aware search with RoBaRaCoCh fixed but the
//    layouts free (what layouts add to the tiling);
//  - romac: the DRAM-aware search with default options (DRAM energy;
//    mapping, per-operand layouts and tiles chosen; re-layouts charged);
//  - romac+fusion: romac's result with chains of convolutions fused
//    (fuseLayersDram(): intermediates stay on chip, docs/fusion.md);
//  - floor: the baseline's useful bytes at the streaming rate (every burst
//    full and a row hit at peak bandwidth, precharge standby): no layout or
//    mapping can go below it without moving fewer bytes.
//
// Prints one table per target and writes a CSV for python/romac/plot.py.
// With --runs N the DRAM-aware search is timed N times per network (median).
//
// Usage: romac-romanet-table [--models DIR] [--csv FILE] [--runs N]
//                            [--threads N] [--only NAME] [--no-sd2]
//                            [--layers] [--fusion-pool-kib N] [--help]
//
// Numeric values are checked (a bad one is one error and exit status 2); the
// CSV is written atomically (romac/Support/OutputFile.h).
//
// --fusion-pool-kib N limits the on-chip activation pool fused groups may
// use (default: the target's input buffers, and its output buffers when it
// pools them: `activation_buffers_pooled`).
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Cost.h"
#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Dram/DramCost.h"
#include "romac/Dram/Fusion.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Search/Search.h"
#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"
#include "romac/Support/Parallel.h"
#include "romac/Target/Target.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace romac;

namespace {

struct Network {
  const char *name;
  const char *path; ///< relative to the models directory
  const char *target;
  bool sd2;
  /// The target's YAML when it is not a shipped target called `target`.
  const char *targetPath = nullptr;
};

/// ROMANet's accelerator with a DDR4 memory of 2 channels x 2 ranks, where
/// the address mapping matters (bench/targets/romanet-ddr4-2x2.yaml).
constexpr const char *kDdr4Path =
    ROMAC_SOURCE_DIR "/bench/targets/romanet-ddr4-2x2.yaml";

const Network kNetworks[] = {
    {"AlexNet", "alexnet/light/model.onnx", "romanet-ddr3", false},
    {"VGG-16", "vgg16/light/model.onnx", "romanet-ddr3", false},
    {"MobileNet-v1", "mobilenet-v1/light/model.onnx", "romanet-ddr3", false},
    {"MobileNet-v2", "mobilenet-v2/light/model.onnx", "romanet-ddr3", false},
    {"SD2 UNet", "sd2-inpainting/light/unet/model.onnx", "edge-npu-lpddr4",
     true},
    {"SD2 VAE decoder", "sd2-inpainting/light/vae_decoder/model.onnx",
     "edge-npu-lpddr4", true},
    {"SD2 text encoder", "sd2-inpainting/light/text_encoder/model.onnx",
     "edge-npu-lpddr4", true},
    {"AlexNet", "alexnet/light/model.onnx", "romanet-ddr4-2x2", false,
     kDdr4Path},
    {"VGG-16", "vgg16/light/model.onnx", "romanet-ddr4-2x2", false, kDdr4Path},
    {"MobileNet-v1", "mobilenet-v1/light/model.onnx", "romanet-ddr4-2x2", false,
     kDdr4Path},
    {"MobileNet-v2", "mobilenet-v2/light/model.onnx", "romanet-ddr4-2x2", false,
     kDdr4Path},
};

/// ROMANet's published DRAM access energy savings against its baseline.
double publishedSaving(llvm::StringRef network) {
  if (network == "AlexNet")
    return 12;
  if (network == "VGG-16")
    return 36;
  if (network.starts_with("MobileNet"))
    return 46;
  return -1;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Sums of one configuration over a network.
struct Totals {
  std::string config;
  std::string mapping;
  std::string layouts;
  double energyPJ = 0;   ///< DRAM energy, re-layouts included
  double accessPJ = 0;   ///< ACT/PRE + RD/WR
  double dramCycles = 0; ///< tCK, re-layouts included
  uint64_t bursts = 0, activates = 0, hits = 0;
  uint64_t usefulBytes = 0;
  double relayoutPJ = 0; ///< included in energyPJ
  unsigned relayouts = 0;
  double searchSeconds = 0;
};

Totals sum(llvm::StringRef config, const DramSearchResult &r,
           const DramParams &params, double computeMHz) {
  Totals t;
  t.config = config.str();
  t.mapping = r.addressMapping;
  unsigned blocked = 0, all = 0;
  for (const DramLayerResult &l : r.layers) {
    const DramStats &s = l.stats;
    t.energyPJ += s.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
    t.accessPJ += s.energyPJ.actPre + s.energyPJ.rdWr;
    t.relayoutPJ += l.getRelayoutEnergyPJ();
    t.relayouts += l.relayouts.size();
    // Re-layout cycles are in the compute clock; back to tCK.
    t.dramCycles += static_cast<double>(s.cycles) +
                    l.getRelayoutCycles() * 1000.0 / (params.tCK * computeMHz);
    t.bursts += s.bursts;
    t.activates += s.activates;
    t.hits += s.rowHits;
    for (const DramOperandStats &o : s.operands)
      t.usefulBytes += o.usefulReadBytes + o.usefulWriteBytes;
    for (LayoutKind k : l.getLayoutKinds()) {
      ++all;
      blocked += k == LayoutKind::Blocked;
    }
  }
  t.layouts = llvm::formatv("{0}/{1} blocked", blocked, all).str();
  return t;
}

/// Sums of the fused schedule: groups and unfused layers.
Totals sumFused(llvm::StringRef config, const FusionResult &f,
                const std::string &mapping, const DramParams &params,
                double computeMHz) {
  Totals t;
  t.config = config.str();
  t.mapping = mapping;
  auto add = [&](const DramStats &s, llvm::ArrayRef<Relayout> relayouts) {
    t.accessPJ += s.energyPJ.actPre + s.energyPJ.rdWr;
    t.bursts += s.bursts;
    t.activates += s.activates;
    t.hits += s.rowHits;
    for (const DramOperandStats &o : s.operands)
      t.usefulBytes += o.usefulReadBytes + o.usefulWriteBytes;
    for (const Relayout &r : relayouts) {
      t.relayoutPJ += r.energyPJ;
      ++t.relayouts;
    }
  };
  unsigned fusedLayers = 0;
  for (const FusedGroup &g : f.groups) {
    add(g.stats, g.relayouts);
    fusedLayers += g.last - g.first + 1;
  }
  for (auto [i, l] : llvm::enumerate(f.layers))
    if (f.groupOf[i] < 0)
      add(l.stats, l.relayouts);
  t.energyPJ = f.energyPJ;
  t.dramCycles = f.dramCycles;
  t.layouts = llvm::formatv("{0} groups; {1}/{2} fused", f.groups.size(),
                            fusedLayers, f.layers.size())
                  .str();
  (void)params;
  (void)computeMHz;
  return t;
}

/// The streaming floor of `r`'s useful bytes: every useful byte in a full
/// burst, every burst a row hit at the peak data rate (the search's
/// Streaming estimate), in pJ and tCK.
Totals floorOf(const DramSearchResult &r, const CostTarget &target,
               const DramParams &params) {
  RowBufferDramModel model(llvm::cantFail(getDramModel(params, "romanet")));
  DramCostModel::LinearRates rates = model.getStreamingRates(target);
  Totals t;
  t.config = "floor";
  t.mapping = "-";
  t.layouts = "-";
  double bytes = 0;
  for (const DramLayerResult &l : r.layers)
    for (const DramOperandStats &o : l.stats.operands) {
      t.energyPJ +=
          static_cast<double>(o.usefulReadBytes) * rates.readPJPerByte +
          static_cast<double>(o.usefulWriteBytes) * rates.writePJPerByte;
      bytes += static_cast<double>(o.usefulReadBytes + o.usefulWriteBytes);
      t.usefulBytes += o.usefulReadBytes + o.usefulWriteBytes;
    }
  t.dramCycles = bytes /
                 static_cast<double>(params.geometry.getBytesPerBurst()) *
                 static_cast<double>(params.getBurstCycles()) /
                 static_cast<double>(params.geometry.channels);
  return t;
}

/// The configurations of a row, in order.
enum Config {
  kBaseline = 0,
  kTuned,
  kNaive,
  kTunedAlt,
  kRomanet,
  kRomanetTuned,
  kRomanetRelayouts,
  kTilingOnly,
  kLayouts,
  kRomac,
  kFused,
  kFloor,
  kNumConfigs
};
const char *const kConfigNames[kNumConfigs] = {
    "baseline",          "baseline-tuned",
    "baseline-naive",    "baseline-tuned-ChRaBaRoCo",
    "romanet",           "romanet-tuned",
    "romanet+relayouts", "romac-tiling-only",
    "romac-RoBaRaCoCh",  "romac",
    "romac+fusion",      "floor"};

double pct(double base, double x) {
  return base > 0 ? 100.0 * (base - x) / base : 0.0;
}

/// The command line.
struct TableArgs {
  std::string modelsDir = ROMAC_SOURCE_DIR "/models";
  std::string csvPath;
  std::string only;
  unsigned runs = 1, threads = 0;
  FusionOptions fusionOptions;
  bool sd2 = true, perLayer = false;
};

const char kUsage[] =
    "usage: romac-romanet-table [--models DIR] [--csv FILE] [--runs N] "
    "[--threads N] [--only NAME] [--no-sd2] [--layers] [--fusion-pool-kib N]\n";

const char kHelp[] =
    "\nromac's DRAM energy and cycles against ROMANet's mapping and a "
    "row-major\nbaseline on the committed light models "
    "(docs/romanet-comparison.md).\n\n"
    "  --models DIR          the models folder (default: the source tree's "
    "models/)\n"
    "  --csv FILE            also write every configuration as CSV "
    "(python/romac/plot.py)\n"
    "  --runs N              time the DRAM-aware search N times per network, "
    "report\n"
    "                        the median (N >= 1, default 1)\n"
    "  --threads N           search threads (default 0: one per core)\n"
    "  --only NAME           only the networks whose name contains NAME\n"
    "  --no-sd2              skip the SD2 models\n"
    "  --layers              print every layer and fused group\n"
    "  --fusion-pool-kib N   the on-chip activation pool of fused groups in "
    "KiB\n"
    "                        (N >= 1; default: the target's input buffers, "
    "with\n"
    "                        its output buffers when it pools them)\n"
    "  -h, --help            print this help\n";

/// Parses the value \p text of \p flag as an integer in [\p min, \p max].
/// Prints one error and returns false when it is not one.
bool parseInteger(llvm::StringRef flag, llvm::StringRef text, uint64_t min,
                  uint64_t max, uint64_t &value) {
  if (!text.getAsInteger(10, value) && value >= min && value <= max)
    return true;
  llvm::errs() << "romac-romanet-table: error: " << flag
               << ": expected an integer from " << min << " to " << max
               << ", got '" << text << "'\n";
  return false;
}

/// Parses the command line into \p args. Returns the exit status when the
/// program should stop now (--help: 0; a bad argument: 2).
std::optional<int> parseArgs(int argc, char **argv, TableArgs &args) {
  constexpr uint64_t kMaxUnsigned = std::numeric_limits<unsigned>::max();
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      llvm::outs() << kUsage << kHelp;
      return 0;
    }
    if (arg == "--no-sd2") {
      args.sd2 = false;
      continue;
    }
    if (arg == "--layers") {
      args.perLayer = true;
      continue;
    }
    if (arg != "--models" && arg != "--csv" && arg != "--runs" &&
        arg != "--threads" && arg != "--only" && arg != "--fusion-pool-kib") {
      llvm::errs() << "romac-romanet-table: error: unknown argument '" << arg
                   << "'\n"
                   << kUsage;
      return 2;
    }
    if (i + 1 >= argc) {
      llvm::errs() << "romac-romanet-table: error: " << arg
                   << " needs a value\n";
      return 2;
    }
    llvm::StringRef value = argv[++i];
    uint64_t n = 0;
    if (arg == "--models")
      args.modelsDir = value.str();
    else if (arg == "--csv")
      args.csvPath = value.str();
    else if (arg == "--only")
      args.only = value.str();
    else if (arg == "--runs") {
      if (!parseInteger(arg, value, 1, kMaxUnsigned, n))
        return 2;
      args.runs = static_cast<unsigned>(n);
    } else if (arg == "--threads") {
      if (!parseInteger(arg, value, 0, kMaxUnsigned, n))
        return 2;
      args.threads = static_cast<unsigned>(n);
    } else {
      // KiB: at most 2^40 KiB (1 PiB), so that the bytes fit in int64_t.
      if (!parseInteger(arg, value, 1, uint64_t(1) << 40, n))
        return 2;
      args.fusionOptions.activationBytesLimit = static_cast<int64_t>(n) * 1024;
    }
  }
  return std::nullopt;
}

/// The results of one network.
struct Row {
  const Network *net;
  std::vector<Totals> configs;
  double importSeconds = 0;
  size_t layers = 0;
};

/// A network imported: its workload graph (the contractions with the
/// target's data types, tensors by id with producer -> consumer edges from
/// SSA def-use; element-wise streaming layers are aliases for the layout
/// agreement) and the contractions in order.
struct ImportedNetwork {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  WorkloadGraph graph;
  std::vector<Workload> workloads;
  FusionOptions fusion;
  double seconds = 0;
};

llvm::Expected<ImportedNetwork> importNetwork(const Network &net,
                                              const Target &target,
                                              const TableArgs &args,
                                              mlir::MLIRContext &ctx) {
  OnnxImportOptions importOptions;
  if (net.sd2)
    for (const char *d :
         {"batch_size=1", "height=64", "width=64", "height_latent=64",
          "width_latent=64", "sequence_length=77"})
      llvm::cantFail(importOptions.addDim(d));
  llvm::SmallString<256> path(args.modelsDir);
  llvm::sys::path::append(path, net.path);
  auto t0 = std::chrono::steady_clock::now();
  ImportedNetwork result;
  result.module = importOnnxFile(path, ctx, importOptions);
  if (!result.module)
    return makeStringError("romac-romanet-table: cannot import " + path);
  result.graph = buildWorkloadGraph(*result.module, [&](Workload &w) {
    for (unsigned o = 0; o < w.operands.size(); ++o)
      w.operands[o].bytesPerElement =
          static_cast<int64_t>(target.compute.getBytesPerElement(
              static_cast<OperandKind>(classifyOperand(w, o))));
  });
  result.workloads.assign(result.graph.getLayers().begin(),
                          result.graph.getLayers().end());
  result.fusion = args.fusionOptions;
  result.seconds = seconds(t0, std::chrono::steady_clock::now());
  return result;
}

/// What a network's configurations are evaluated on.
struct NetworkContext {
  const Network &net;
  const ImportedNetwork &imported;
  const CostTarget &costTarget;
  const DramParams &params;
  /// The searches' threads (null: the calling thread).
  llvm::ThreadPoolInterface *threadPool;
  /// The configurations' totals, filled in Config order.
  std::vector<Totals> &configs;

  void put(Config c, const DramSearchResult &r) const {
    configs[c] = sum(kConfigNames[c], r, params, costTarget.frequencyMHz);
  }
};

/// The results the later configurations and the per-layer lines reuse.
struct BaselineResults {
  DramSearchResult baseline, tunedBaseline, romanet;
};

/// The baselines (byte-minimal tiles, three tie-breaks) and ROMANet's
/// mapping over their tiles: the configurations up to romanet+relayouts.
llvm::Expected<BaselineResults> evaluateBaselines(const NetworkContext &nc) {
  const std::vector<Workload> &workloads = nc.imported.workloads;
  SearchOptions baseOptions;
  baseOptions.objective = Objective::DramAccesses;
  baseOptions.threadPool = nc.threadPool;
  auto named = [&](llvm::Error e) {
    return makeStringError(llvm::Twine(nc.net.name) + ": " +
                           llvm::toString(std::move(e)));
  };
  // Byte-minimal with the search's own tie-break (no transfer estimate).
  llvm::Expected<std::vector<LayerResult>> naive =
      searchLayers(workloads, nc.costTarget, baseOptions);
  if (!naive)
    return named(naive.takeError());
  llvm::Expected<RowMajorBaselineTilings> tilings =
      searchRowMajorBaselineTilings(workloads, nc.costTarget, nc.params,
                                    baseOptions);
  if (!tilings)
    return named(tilings.takeError());
  const std::vector<LayerResult> &base = tilings->byteMinimal;
  const std::vector<LayerResult> &tuned = tilings->tuned;
  auto evalFixed = [&](llvm::ArrayRef<LayerResult> tiles,
                       llvm::StringRef mapping, LayoutKind layout) {
    return llvm::cantFail(evaluateLayersDram(workloads, tiles, nc.costTarget,
                                             nc.params, mapping, layout,
                                             baseOptions));
  };

  BaselineResults results;
  results.baseline = evalFixed(base, "RoBaRaCoCh", LayoutKind::RowMajor);
  nc.put(kBaseline, results.baseline);
  results.tunedBaseline = evalFixed(tuned, "RoBaRaCoCh", LayoutKind::RowMajor);
  nc.put(kTuned, results.tunedBaseline);
  nc.put(kNaive, evalFixed(*naive, "RoBaRaCoCh", LayoutKind::RowMajor));
  nc.put(kTunedAlt, evalFixed(tuned, "ChRaBaRoCo", LayoutKind::RowMajor));
  results.romanet = evalFixed(base, "romanet", LayoutKind::Blocked);
  nc.put(kRomanet, results.romanet);
  nc.put(kRomanetTuned, evalFixed(tuned, "romanet", LayoutKind::Blocked));
  llvm::cantFail(chargeRelayouts(nc.imported.graph, results.romanet,
                                 nc.costTarget, nc.params,
                                 RelayoutCharge::RowBuffer));
  nc.put(kRomanetRelayouts, results.romanet);
  return results;
}

/// romac's DRAM-aware search: with the mapping and layouts fixed
/// (romac-tiling-only) and free (romac, timed `runs` times: the median goes
/// to `searchSeconds`). Returns the free search's result.
llvm::Expected<DramSearchResult> evaluateRomac(const NetworkContext &nc,
                                               unsigned runs,
                                               std::vector<double> &times) {
  const WorkloadGraph &graph = nc.imported.graph;
  SearchOptions romacOptions;
  romacOptions.threadPool = nc.threadPool;
  DramSearchOptions tilingOnly;
  tilingOnly.addressMapping = "RoBaRaCoCh";
  tilingOnly.layout = LayoutKind::RowMajor;
  nc.put(kTilingOnly,
         llvm::cantFail(searchLayersDramAware(graph, nc.costTarget, nc.params,
                                              romacOptions, tilingOnly)));
  DramSearchOptions layouts;
  layouts.addressMapping = "RoBaRaCoCh";
  nc.put(kLayouts,
         llvm::cantFail(searchLayersDramAware(graph, nc.costTarget, nc.params,
                                              romacOptions, layouts)));

  DramSearchOptions full;
  llvm::Expected<DramSearchResult> romac = DramSearchResult();
  for (unsigned r = 0; r < runs; ++r) {
    auto s0 = std::chrono::steady_clock::now();
    romac = searchLayersDramAware(graph, nc.costTarget, nc.params, romacOptions,
                                  full);
    auto s1 = std::chrono::steady_clock::now();
    if (!romac)
      return makeStringError(llvm::Twine(nc.net.name) + ": " +
                             llvm::toString(romac.takeError()));
    times.push_back(seconds(s0, s1));
  }
  nc.put(kRomac, *romac);
  nc.configs[kRomac].searchSeconds = median(times);
  return romac;
}

/// romac's result with chains of convolutions fused (romac+fusion); says
/// what it found on stderr and, with --layers, prints the groups.
llvm::Error evaluateFusion(const NetworkContext &nc,
                           const DramSearchResult &romac, bool perLayer) {
  const std::vector<Workload> &workloads = nc.imported.workloads;
  auto f0 = std::chrono::steady_clock::now();
  llvm::Expected<FusionResult> fused = fuseLayersDram(
      nc.imported.graph, romac, nc.costTarget, nc.params, nc.imported.fusion);
  auto f1 = std::chrono::steady_clock::now();
  if (!fused)
    return makeStringError(llvm::Twine(nc.net.name) + ": " +
                           llvm::toString(fused.takeError()));
  nc.configs[kFused] =
      sumFused(kConfigNames[kFused], *fused, romac.addressMapping, nc.params,
               nc.costTarget.frequencyMHz);
  nc.configs[kFused].searchSeconds = seconds(f0, f1);
  llvm::errs() << llvm::formatv(
      "{0}: fusion {1:f2} s ({2} DRAM evaluations), {3} groups, "
      "DRAM energy {4:f1} uJ (unfused {5:f1} uJ)\n",
      nc.net.name, seconds(f0, f1), fused->evaluations, fused->groups.size(),
      fused->energyPJ * 1e-6, nc.configs[kRomac].energyPJ * 1e-6);
  if (perLayer)
    for (const FusedGroup &g : fused->groups)
      llvm::outs() << llvm::formatv(
          "  group {0}..{1} ({2} layers): band {3} rows, weights {4}, "
          "{5}, {6:f2} uJ, saved {7} bytes, relayouts {8}\n",
          workloads[g.first].name, workloads[g.last].name, g.last - g.first + 1,
          g.schedule.bandRows,
          g.schedule.weightsResident ? "resident" : "streamed",
          g.rowsOutermost ? "rows outermost" : "identity order",
          g.getEnergyPJ() * 1e-6, g.counts.savedBytes, g.relayouts.size());
  return llvm::Error::success();
}

/// The search's statistics of one network on stderr.
void printSearchSummary(const NetworkContext &nc, const DramSearchResult &romac,
                        llvm::ArrayRef<double> times) {
  llvm::errs() << llvm::formatv(
      "{0}: {1} contractions ({2} distinct), import {3:f2} s, DRAM-aware "
      "search {4:f2} s (median of {5}: candidates {6:f2} s, evaluations "
      "{7:f2} s, plans {8:f2} s, refinement {14:f2} s; {9} candidate "
      "tilings, {10} DRAM evaluations), mapping {11}, {12} re-layouts, {13} "
      "adopted; network objective per mapping:",
      nc.net.name, nc.imported.workloads.size(), romac.distinctWorkloads,
      nc.imported.seconds, median(times), times.size(), romac.candidateSeconds,
      romac.evaluateSeconds, romac.planSeconds, romac.candidateTilings,
      romac.evaluations, romac.addressMapping, romac.relayouts, romac.adopted,
      romac.refineSeconds);
  for (auto &[m, obj] : romac.mappingObjectives)
    llvm::errs() << llvm::formatv(" {0}={1:f1}uJ", m, obj * 1e-6);
  llvm::errs() << "\n";
}

/// --layers: every layer's DRAM energy under the baselines, ROMANet and
/// romac.
void printLayers(const NetworkContext &nc, const BaselineResults &b,
                 const DramSearchResult &romac) {
  for (auto [i, w] : llvm::enumerate(nc.imported.workloads)) {
    const DramLayerResult &x = b.baseline.layers[i],
                          &t = b.tunedBaseline.layers[i], &y = romac.layers[i],
                          &z = b.romanet.layers[i];
    llvm::outs() << llvm::formatv(
        "  {0,-40} base {1,10:f2} tuned {2,10:f2} romanet {3,10:f2} "
        "romac {4,10:f2} uJ (act {5} -> {6}, relayout {7:f2}) {8} {9}\n",
        w.name, x.stats.energyPJ.getTotal() * 1e-6,
        t.stats.energyPJ.getTotal() * 1e-6, z.stats.energyPJ.getTotal() * 1e-6,
        y.stats.energyPJ.getTotal() * 1e-6, x.stats.activates,
        y.stats.activates, y.getRelayoutEnergyPJ() * 1e-6, y.layer.reuse,
        y.layer.mapping.str(w));
  }
}

/// Imports one network and evaluates every configuration on it.
llvm::Expected<Row> evaluateNetwork(const Network &net, const TableArgs &args,
                                    mlir::MLIRContext &ctx) {
  llvm::Expected<Target> target =
      loadTarget(net.targetPath ? net.targetPath : net.target);
  if (!target)
    return target.takeError();
  CostTarget costTarget = CostTarget::get(*target);
  DramParams params = llvm::cantFail(DramParams::get(target->dram));
  llvm::Expected<ImportedNetwork> imported =
      importNetwork(net, *target, args, ctx);
  if (!imported)
    return imported.takeError();

  Row row{&net, std::vector<Totals>(kNumConfigs), imported->seconds,
          imported->workloads.size()};
  // --threads: 0 (default) one thread per core, 1 the calling thread.
  std::unique_ptr<llvm::ThreadPoolInterface> pool =
      makeThreadPool(args.threads);
  NetworkContext nc{net,    *imported,  costTarget,
                    params, pool.get(), row.configs};
  llvm::Expected<BaselineResults> baselines = evaluateBaselines(nc);
  if (!baselines)
    return baselines.takeError();
  std::vector<double> times;
  llvm::Expected<DramSearchResult> romac = evaluateRomac(nc, args.runs, times);
  if (!romac)
    return romac.takeError();
  if (llvm::Error e = evaluateFusion(nc, *romac, args.perLayer))
    return std::move(e);
  row.configs[kFloor] = floorOf(baselines->tunedBaseline, costTarget, params);
  printSearchSummary(nc, *romac, times);
  if (args.perLayer)
    printLayers(nc, *baselines, *romac);
  return row;
}

/// The comparison tables: one per target and baseline.
void printTables(llvm::raw_ostream &os, llvm::ArrayRef<Row> rows) {
  std::vector<std::string> targets;
  for (const Row &r : rows)
    if (!llvm::is_contained(targets, std::string(r.net->target)))
      targets.push_back(r.net->target);
  for (const std::string &targetName : targets)
    for (auto [baseIndex, romanetIndex, title] :
         {std::tuple{kBaseline, kRomanet,
                     "baseline: byte-minimal tiles (fewest transfers among "
                     "equals), row-major, RoBaRaCoCh"},
          std::tuple{kTuned, kRomanetTuned,
                     "baseline-tuned: byte-minimal tiles tuned for the "
                     "row-major RoBaRaCoCh DRAM"}}) {
      os << "\n"
         << targetName << ", " << title
         << "\nDRAM energy uJ | saving vs baseline | DRAM cycles (tCK) | "
            "throughput vs baseline (baseline cycles / cycles - 1)\n";
      os << llvm::formatv("{0,-17} {1,11} {2,11} {3,11} {4,11} {5,8} {6,8} "
                          "{7,8} {8,9} {9,12} {10,8} {11,8} {12,8} {13,6}\n",
                          "network", "baseline", "romanet", "romac", "+fusion",
                          "romanet", "romac", "+fusion", "ROMANet",
                          "base cycles", "romanet", "romac", "+fusion",
                          "floor");
      for (const Row &r : rows) {
        if (targetName != r.net->target)
          continue;
        const Totals &b = r.configs[baseIndex], &rn = r.configs[romanetIndex],
                     &rc = r.configs[kRomac], &fu = r.configs[kFused],
                     &fl = r.configs[kFloor];
        double published = publishedSaving(r.net->name);
        os << llvm::formatv(
            "{0,-17} {1,11:f1} {2,11:f1} {3,11:f1} {4,11:f1} {5,7:f1}% "
            "{6,7:f1}% {7,7:f1}% {8,9} {9,12:f0} {10,7:f1}% {11,7:f1}% "
            "{12,7:f1}% {13,5:f1}%\n",
            r.net->name, b.energyPJ * 1e-6, rn.energyPJ * 1e-6,
            rc.energyPJ * 1e-6, fu.energyPJ * 1e-6,
            pct(b.energyPJ, rn.energyPJ), pct(b.energyPJ, rc.energyPJ),
            pct(b.energyPJ, fu.energyPJ),
            published >= 0 ? llvm::formatv("{0:f0}%", published).str()
                           : std::string("-"),
            b.dramCycles, 100.0 * (b.dramCycles / rn.dramCycles - 1),
            100.0 * (b.dramCycles / rc.dramCycles - 1),
            100.0 * (b.dramCycles / fu.dramCycles - 1),
            pct(b.energyPJ, fl.energyPJ));
      }
    }
  os << "\n(+fusion: romac with layer fusion; floor: the saving a perfect "
        "layout and mapping would reach with the tuned baseline's bytes, "
        "without fusion; ROMANet: its published DRAM access energy saving)\n";
}

/// Where romac's saving against the tuned baseline comes from, per
/// network: each step adds one freedom to the previous configuration.
void printSplit(llvm::raw_ostream &os, llvm::ArrayRef<Row> rows) {
  os << "\nThe saving against the tuned baseline, split by cause (share of "
        "the tuned baseline's DRAM energy):\n"
     << llvm::formatv("{0,-17} {1,-16} {2,11} {3,8} {4,8} {5,8} {6,8} {7,8} "
                      "{8,14}\n",
                      "network", "target", "tuned uJ", "tiling", "layout",
                      "mapping", "fusion", "total", "tiling vs base");
  for (const Row &r : rows) {
    const Totals &tuned = r.configs[kTuned];
    double base = tuned.energyPJ;
    auto step = [&](Config from, Config to) {
      return base > 0
                 ? 100.0 * (r.configs[from].energyPJ - r.configs[to].energyPJ) /
                       base
                 : 0.0;
    };
    os << llvm::formatv(
        "{0,-17} {1,-16} {2,11:f1} {3,7:f1}% {4,7:f1}% {5,7:f1}% {6,7:f1}% "
        "{7,7:f1}% {8,13:f1}%\n",
        r.net->name, r.net->target, base * 1e-6, step(kTuned, kTilingOnly),
        step(kTilingOnly, kLayouts), step(kLayouts, kRomac),
        step(kRomac, kFused), step(kTuned, kFused),
        pct(r.configs[kBaseline].energyPJ, r.configs[kTilingOnly].energyPJ));
  }
  os << "(tiling: tuned baseline -> romac-tiling-only; layout: -> "
        "romac-RoBaRaCoCh; mapping: -> romac; fusion: -> romac+fusion; tiling "
        "vs base: the tiling step against the SmartShuttle-like baseline)\n";
}

/// Every configuration of every network, one line each.
void printAllConfigs(llvm::raw_ostream &os, llvm::ArrayRef<Row> rows) {
  os << "\nAll configurations (DRAM energy uJ, ACT/PRE + RD/WR uJ, cycles "
        "tCK, bursts, ACTs, row-hit rate, useful MB, re-layouts, their uJ):\n";
  for (const Row &r : rows)
    for (const Totals &t : r.configs)
      os << llvm::formatv(
          "{0,-17} {1,-25} {2,-11} {3,-16} {4,11:f1} {5,11:f1} {6,11:f0} "
          "{7,10} {8,9} {9,6:f1}% {10,8:f2} {11,3} {12,8:f1}\n",
          r.net->name, t.config, t.mapping, t.layouts, t.energyPJ * 1e-6,
          t.accessPJ * 1e-6, t.dramCycles, t.bursts, t.activates,
          t.bursts ? 100.0 * static_cast<double>(t.hits) /
                         static_cast<double>(t.bursts)
                   : 0.0,
          static_cast<double>(t.usefulBytes) * 1e-6, t.relayouts,
          t.relayoutPJ * 1e-6);
}

/// The CSV of every configuration (python/romac/plot.py reads it).
void writeCsv(llvm::raw_ostream &csv, llvm::ArrayRef<Row> rows) {
  csv << "network,target,config,mapping,layouts,dram_energy_uj,"
         "access_energy_uj,dram_cycles,bursts,activates,row_hit_rate,"
         "useful_bytes,relayouts,relayout_energy_uj,saving_pct,"
         "throughput_pct,saving_vs_tuned_pct,throughput_vs_tuned_pct,"
         "published_saving_pct,search_s\n";
  for (const Row &r : rows)
    for (const Totals &t : r.configs) {
      const Totals &b = r.configs[kBaseline], &tb = r.configs[kTuned];
      csv << llvm::formatv(
          "{0},{1},{2},{3},{4},{5},{6},{7},{8},{9},{10},{11},{12},{13},"
          "{14},{15},{16},{17},{18},{19}\n",
          r.net->name, r.net->target, t.config, t.mapping, t.layouts,
          t.energyPJ * 1e-6, t.accessPJ * 1e-6, t.dramCycles, t.bursts,
          t.activates,
          t.bursts ? static_cast<double>(t.hits) / static_cast<double>(t.bursts)
                   : 0.0,
          t.usefulBytes, t.relayouts, t.relayoutPJ * 1e-6,
          pct(b.energyPJ, t.energyPJ),
          100.0 * (b.dramCycles / t.dramCycles - 1),
          pct(tb.energyPJ, t.energyPJ),
          100.0 * (tb.dramCycles / t.dramCycles - 1),
          publishedSaving(r.net->name), t.searchSeconds);
    }
}

} // namespace

int main(int argc, char **argv) {
  TableArgs args;
  if (std::optional<int> status = parseArgs(argc, argv, args))
    return *status;
  // The CSV is written atomically at the end; a path that cannot be written
  // fails before the work.
  OutputSet outputs;
  if (!args.csvPath.empty())
    if (llvm::Error e = outputs.checkFile(args.csvPath)) {
      llvm::errs() << "romac-romanet-table: error: "
                   << llvm::toString(std::move(e)) << "\n";
      return 2;
    }

  mlir::DialectRegistry registry;
  registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  std::vector<Row> rows;
  for (const Network &net : kNetworks) {
    if (!args.only.empty() && !llvm::StringRef(net.name).contains(args.only))
      continue;
    if (net.sd2 && !args.sd2)
      continue;
    llvm::Expected<Row> row = evaluateNetwork(net, args, ctx);
    if (!row) {
      llvm::errs() << llvm::toString(row.takeError()) << "\n";
      return 1;
    }
    rows.push_back(std::move(*row));
  }

  printTables(llvm::outs(), rows);
  printSplit(llvm::outs(), rows);
  printAllConfigs(llvm::outs(), rows);
  if (!args.csvPath.empty()) {
    llvm::Error e = outputs.addFile(
        args.csvPath, [&](llvm::raw_ostream &os) { writeCsv(os, rows); });
    if (!e)
      e = outputs.commit();
    if (e) {
      llvm::errs() << "romac-romanet-table: error: "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
  }
  llvm::outs().flush();
  if (llvm::outs().has_error()) {
    llvm::errs() << "romac-romanet-table: error: cannot write to standard "
                    "output: "
                 << llvm::outs().error().message() << "\n";
    llvm::outs().clear_error();
    return 1;
  }
  return 0;
}
