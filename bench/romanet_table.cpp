//===- romanet_table.cpp - romac against ROMANet's DRAM results -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The comparison of docs/romanet-comparison.md. For every network (the
// committed light ONNX exports, imported with romac's importer; the
// contraction layers with the target's data types) it computes the DRAM
// energy and DRAM cycles, through the row-buffer model, of
//
//  - baseline: per layer the adaptive reuse scheme and tiles that minimise
//    DRAM accesses (the search's `dram-accesses` objective, SmartShuttle-
//    like), row-major tensors, a conventional address mapping (RoBaRaCoCh,
//    Ramulator's default; a second conventional baseline, ChRaBaRoCo, is
//    reported too);
//  - romanet: the same tiles, ROMANet's mapping (romanet address mapping,
//    each tile's data contiguous: tile-blocked layouts), layers independent
//    as in the paper (no re-layout charged; what it would add is printed);
//  - romac: the DRAM-aware search (searchLayersDramAware, default options:
//    DRAM energy, mapping and per-operand layouts chosen, re-layouts
//    charged).
//
// Prints one table per target and writes a CSV for python/romac/plot.py.
// With --runs N it times the DRAM-aware search N times per network and
// reports the median.
//
// Usage: romac-romanet-table [--models DIR] [--csv FILE] [--runs N]
//                            [--threads N] [--only NAME] [--no-sd2]
//                            [--layers]
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/Cost.h"
#include "romac/Dialect/Romac/Analysis/LinalgWorkload.h"
#include "romac/Dram/DramCost.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"
#include "romac/Search/Search.h"
#include "romac/Target/Target.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

using namespace romac;

namespace {

struct Network {
  const char *name;
  const char *path; ///< relative to the models directory
  const char *target;
  bool sd2;
};

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
  double energyPJ = 0;       ///< DRAM energy, re-layouts included
  double accessPJ = 0;       ///< ACT/PRE + RD/WR
  double dramCycles = 0;     ///< tCK, re-layouts included
  uint64_t bursts = 0, activates = 0, hits = 0;
  uint64_t usefulBytes = 0;
  double relayoutPJ = 0;     ///< included in energyPJ
  unsigned relayouts = 0;
  /// What charging re-layouts would add (reported for romanet).
  double uncharged = 0;
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

/// The re-layout energy a result would pay if producers and consumers had to
/// agree (no adoption): what ROMANet's per-layer view leaves out.
double unchargedRelayouts(llvm::ArrayRef<Workload> workloads,
                          const DramSearchResult &r, const CostTarget &target,
                          const DramParams &params) {
  DramModel model = llvm::cantFail(getDramModel(params, r.addressMapping));
  llvm::StringMap<std::pair<unsigned, unsigned>> writer;
  double pj = 0;
  for (auto [i, w] : llvm::enumerate(workloads)) {
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      if (op.role != OperandRole::Read)
        continue;
      auto it = writer.find(op.tensor);
      if (it == writer.end())
        continue;
      const TensorLayout &written =
          r.layers[it->second.first].layout.operands[it->second.second];
      if (!sameDataLayout(written, r.layers[i].layout.operands[o]))
        pj += computeRelayoutCharge(
                  static_cast<int64_t>(written.getSizeBytes()),
                  RelayoutCharge::RowBuffer, model, target)
                  .energyPJ;
    }
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (op.role == OperandRole::ReadWrite)
        writer[op.tensor] = {static_cast<unsigned>(i),
                             static_cast<unsigned>(o)};
  }
  return pj;
}

double pct(double base, double x) {
  return base > 0 ? 100.0 * (base - x) / base : 0.0;
}

} // namespace

int main(int argc, char **argv) {
  std::string modelsDir = ROMAC_SOURCE_DIR "/models";
  std::string csvPath;
  std::string only;
  unsigned runs = 1, threads = 0;
  bool sd2 = true, perLayer = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        llvm::errs() << "romac-romanet-table: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--models")
      modelsDir = value();
    else if (arg == "--csv")
      csvPath = value();
    else if (arg == "--runs")
      runs = std::max(1, std::atoi(value().c_str()));
    else if (arg == "--threads")
      threads = std::atoi(value().c_str());
    else if (arg == "--only")
      only = value();
    else if (arg == "--no-sd2")
      sd2 = false;
    else if (arg == "--layers")
      perLayer = true;
    else {
      llvm::errs() << "usage: romac-romanet-table [--models DIR] [--csv FILE] "
                      "[--runs N] [--threads N] [--only NAME] [--no-sd2] "
                      "[--layers]\n";
      return 2;
    }
  }

  mlir::DialectRegistry registry;
  registerRomacDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  std::vector<std::pair<std::string, std::vector<Totals>>> rows;
  std::vector<std::string> targets;
  for (const Network &net : kNetworks) {
    if (!only.empty() && !llvm::StringRef(net.name).contains(only))
      continue;
    if (net.sd2 && !sd2)
      continue;
    llvm::Expected<Target> target = loadTarget(net.target);
    if (!target) {
      llvm::errs() << llvm::toString(target.takeError()) << "\n";
      return 1;
    }
    CostTarget costTarget = CostTarget::get(*target);
    DramParams params = llvm::cantFail(DramParams::get(target->dram));

    OnnxImportOptions importOptions;
    if (net.sd2)
      for (const char *d :
           {"batch_size=1", "height=64", "width=64", "height_latent=64",
            "width_latent=64", "sequence_length=77"})
        llvm::cantFail(importOptions.addDim(d));
    llvm::SmallString<256> path(modelsDir);
    llvm::sys::path::append(path, net.path);
    auto t0 = std::chrono::steady_clock::now();
    mlir::OwningOpRef<mlir::ModuleOp> module =
        importOnnxFile(path, ctx, importOptions);
    if (!module) {
      llvm::errs() << "romac-romanet-table: cannot import " << path << "\n";
      return 1;
    }
    std::vector<Workload> workloads;
    for (auto func : module->getOps<mlir::func::FuncOp>())
      for (Layer &layer : collectLayers(func)) {
        if (layer.kind != LayerKind::Contraction || layer.workload.dims.empty())
          continue;
        Workload w = std::move(layer.workload);
        for (unsigned o = 0; o < w.operands.size(); ++o)
          w.operands[o].bytesPerElement =
              static_cast<int64_t>(target->compute.getBytesPerElement(
                  static_cast<OperandKind>(classifyOperand(w, o))));
        workloads.push_back(std::move(w));
      }
    auto t1 = std::chrono::steady_clock::now();

    SearchOptions baseOptions;
    baseOptions.objective = Objective::DramAccesses;
    baseOptions.threads = threads;
    llvm::Expected<std::vector<LayerResult>> base =
        searchLayers(workloads, costTarget, baseOptions);
    if (!base) {
      llvm::errs() << net.name << ": " << llvm::toString(base.takeError())
                   << "\n";
      return 1;
    }
    auto evalFixed = [&](llvm::StringRef mapping, LayoutKind layout) {
      return llvm::cantFail(evaluateLayersDram(workloads, *base, costTarget,
                                               params, mapping, layout,
                                               baseOptions));
    };
    std::vector<Totals> configs;
    double mhz = costTarget.frequencyMHz;
    configs.push_back(sum("baseline", evalFixed("RoBaRaCoCh",
                                                LayoutKind::RowMajor),
                          params, mhz));
    configs.push_back(sum("baseline-ChRaBaRoCo",
                          evalFixed("ChRaBaRoCo", LayoutKind::RowMajor), params,
                          mhz));
    configs.push_back(sum("romanet-row-major",
                          evalFixed("romanet", LayoutKind::RowMajor), params,
                          mhz));
    DramSearchResult romanet = evalFixed("romanet", LayoutKind::Blocked);
    configs.push_back(sum("romanet", romanet, params, mhz));
    configs.back().uncharged =
        unchargedRelayouts(workloads, romanet, costTarget, params);

    SearchOptions romacOptions;
    romacOptions.threads = threads;
    std::vector<double> times;
    llvm::Expected<DramSearchResult> romac = DramSearchResult();
    for (unsigned r = 0; r < runs; ++r) {
      auto s0 = std::chrono::steady_clock::now();
      romac = searchLayersDramAware(workloads, costTarget, params, romacOptions);
      auto s1 = std::chrono::steady_clock::now();
      if (!romac) {
        llvm::errs() << net.name << ": " << llvm::toString(romac.takeError())
                     << "\n";
        return 1;
      }
      times.push_back(seconds(s0, s1));
    }
    configs.push_back(sum("romac", *romac, params, mhz));
    configs.back().searchSeconds = median(times);

    llvm::errs() << llvm::formatv(
        "{0}: {1} contractions, import {2:f2} s, DRAM-aware search {3:f2} s "
        "(median of {4}), mapping {5}, {6} re-layouts, {7} adopted; per "
        "mapping:",
        net.name, workloads.size(), seconds(t0, t1), median(times), runs,
        romac->addressMapping, romac->relayouts, romac->adopted);
    for (auto &[m, obj] : romac->mappingObjectives)
      llvm::errs() << llvm::formatv(" {0}={1:f1}uJ", m, obj * 1e-6);
    llvm::errs() << "\n";

    if (perLayer) {
      DramSearchResult b = evalFixed("RoBaRaCoCh", LayoutKind::RowMajor);
      for (auto [i, w] : llvm::enumerate(workloads)) {
        const DramLayerResult &x = b.layers[i], &y = romac->layers[i],
                              &z = romanet.layers[i];
        llvm::outs() << llvm::formatv(
            "  {0,-40} base {1,10:f2} uJ act {2,8} | romanet {3,10:f2} | "
            "romac {4,10:f2} uJ act {5,8} relayout {6,8:f2} {7} {8}\n",
            w.name, x.stats.energyPJ.getTotal() * 1e-6, x.stats.activates,
            z.stats.energyPJ.getTotal() * 1e-6,
            y.stats.energyPJ.getTotal() * 1e-6, y.stats.activates,
            y.getRelayoutEnergyPJ() * 1e-6, y.layer.reuse,
            y.layer.mapping.str(w));
      }
    }
    if (!llvm::is_contained(targets, std::string(net.target)))
      targets.push_back(net.target);
    rows.push_back({net.name, std::move(configs)});
  }

  // The table.
  auto &os = llvm::outs();
  for (const std::string &targetName : targets) {
    os << "\nDRAM energy (uJ) and DRAM cycles (tCK) on " << targetName
       << "; saving = less DRAM energy than the baseline, throughput = "
          "baseline cycles / cycles - 1\n";
    os << llvm::formatv("{0,-18} {1,12} {2,12} {3,12} {4,8} {5,8} {6,12} "
                        "{7,8} {8,8} {9,10}\n",
                        "network", "baseline uJ", "romanet uJ", "romac uJ",
                        "romanet", "romac", "base cyc", "romanet", "romac",
                        "ROMANet");
    os << llvm::formatv("{0,-18} {1,12} {2,12} {3,12} {4,8} {5,8} {6,12} "
                        "{7,8} {8,8} {9,10}\n",
                        "", "", "", "", "saving", "saving", "", "thrpt",
                        "thrpt", "published");
    for (const auto &[name, c] : rows) {
      bool match = false;
      for (const Network &n : kNetworks)
        if (name == n.name && targetName == n.target)
          match = true;
      if (!match)
        continue;
      const Totals &b = c[0], &rn = c[3], &rc = c[4];
      double published = publishedSaving(name);
      os << llvm::formatv(
          "{0,-18} {1,12:f1} {2,12:f1} {3,12:f1} {4,7:f1}% {5,7:f1}% {6,12:f0} "
          "{7,7:f1}% {8,7:f1}% {9,10}\n",
          name, b.energyPJ * 1e-6, rn.energyPJ * 1e-6, rc.energyPJ * 1e-6,
          pct(b.energyPJ, rn.energyPJ), pct(b.energyPJ, rc.energyPJ),
          b.dramCycles, 100.0 * (b.dramCycles / rn.dramCycles - 1),
          100.0 * (b.dramCycles / rc.dramCycles - 1),
          published >= 0 ? llvm::formatv("{0:f0}%", published).str()
                         : std::string("-"));
    }
  }
  os << "\nAll configurations (energy uJ, access energy uJ = ACT/PRE + "
        "RD/WR, cycles tCK, bursts, ACTs, row-hit rate, useful MB, "
        "re-layouts):\n";
  for (const auto &[name, c] : rows)
    for (const Totals &t : c)
      os << llvm::formatv(
          "{0,-18} {1,-20} {2,-11} {3,-16} {4,12:f1} {5,12:f1} {6,12:f0} "
          "{7,11} {8,9} {9,6:f1}% {10,9:f2} {11,4} {12,8:f1}\n",
          name, t.config, t.mapping, t.layouts, t.energyPJ * 1e-6,
          t.accessPJ * 1e-6, t.dramCycles, t.bursts, t.activates,
          t.bursts ? 100.0 * static_cast<double>(t.hits) /
                         static_cast<double>(t.bursts)
                   : 0.0,
          static_cast<double>(t.usefulBytes) * 1e-6, t.relayouts,
          t.relayoutPJ * 1e-6);
  for (const auto &[name, c] : rows)
    if (c[3].uncharged > 0)
      os << llvm::formatv("{0}: romanet's tile-blocked layouts would pay "
                          "{1:f1} uJ of re-layouts between layers "
                          "(+{2:f1}%) if producers and consumers had to "
                          "agree\n",
                          name, c[3].uncharged * 1e-6,
                          100.0 * c[3].uncharged / c[3].energyPJ);

  if (!csvPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream csv(csvPath, ec);
    if (ec) {
      llvm::errs() << "romac-romanet-table: cannot write " << csvPath << ": "
                   << ec.message() << "\n";
      return 1;
    }
    csv << "network,target,config,mapping,layouts,dram_energy_uj,"
           "access_energy_uj,dram_cycles,bursts,activates,row_hit_rate,"
           "useful_bytes,relayouts,relayout_energy_uj,saving_pct,"
           "throughput_pct,published_saving_pct,search_s\n";
    for (const auto &[name, c] : rows) {
      std::string targetName;
      for (const Network &n : kNetworks)
        if (name == n.name)
          targetName = n.target;
      for (const Totals &t : c)
        csv << llvm::formatv(
            "{0},{1},{2},{3},{4},{5},{6},{7},{8},{9},{10},{11},{12},{13},"
            "{14},{15},{16},{17}\n",
            name, targetName, t.config, t.mapping, t.layouts,
            t.energyPJ * 1e-6, t.accessPJ * 1e-6, t.dramCycles, t.bursts,
            t.activates,
            t.bursts ? static_cast<double>(t.hits) /
                           static_cast<double>(t.bursts)
                     : 0.0,
            t.usefulBytes, t.relayouts, t.relayoutPJ * 1e-6,
            pct(c[0].energyPJ, t.energyPJ),
            100.0 * (c[0].dramCycles / t.dramCycles - 1),
            publishedSaving(name), t.searchSeconds);
    }
  }
  return 0;
}
