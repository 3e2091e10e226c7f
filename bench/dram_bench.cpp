//===- dram_bench.cpp - speed of the DRAM model engines ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Measures the DRAM model on the layers of the Stable Diffusion 2 inpainting
// UNet (512x512 images, 64x64 latents, batch 1, int8; shapes from
// shared/reference/sd2-inpainting.md): every convolution, linear layer and
// attention matmul, each tiled by a simple greedy rule that fits the
// target's buffers (a stand-in for the tile search). Prints
//
//  1. per-layer throughput of the replay and the fast engine on a few large
//     layers (bursts per second, median of the runs);
//  2. the whole UNet: total traffic, the time of one evaluation of every
//     layer with each engine (median of the runs), and whether the two
//     engines agree on every layer;
//  3. the distribution of the fast engine's time per layer (what one call
//     from the search costs).
//
// Usage: dram_bench [--target NAME] [--mapping NAME] [--runs N]
//                   [--layout row-major|blocked] [--no-replay]
//
//===----------------------------------------------------------------------===//

#include "romac/CostModel/AccessCounts.h"
#include "romac/Dram/DramModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

using namespace romac;

namespace {

struct Layer {
  Workload workload;
  Mapping mapping;
  LayerLayout layout;
};

/// Buffer capacities of the target (edge-npu-lpddr4 by default).
struct Buffers {
  int64_t input = 128 * 1024, weight = 128 * 1024, output = 64 * 1024;
};

/// Halves the tile of the largest tiled dim of an operand until every
/// operand's footprint fits its buffer; loops ordered as the workload's dims
/// with the reduction dims innermost except the kernel window.
Mapping greedyTiling(const Workload &w, const Buffers &buffers) {
  Mapping m = Mapping::untiled(w);
  AccessCountModel model(w);
  int64_t capacity[3] = {buffers.input, buffers.weight, buffers.output};
  for (int iter = 0; iter < 200; ++iter) {
    bool fits = true;
    for (unsigned o = 0; o < w.operands.size() && o < 3; ++o) {
      int64_t bytes = model.getFootprintElements(m.tileSizes, o) *
                      w.operands[o].bytesPerElement;
      if (bytes <= capacity[o])
        continue;
      fits = false;
      // Shrink the dim of this operand with the largest tile (not R / S).
      int best = -1;
      for (unsigned d = 0; d < w.dims.size(); ++d) {
        if (!w.operands[o].isIndexedBy(d) || m.tileSizes[d] == 1 ||
            w.dims[d].name == "R" || w.dims[d].name == "S")
          continue;
        if (best < 0 || m.tileSizes[d] > m.tileSizes[best])
          best = d;
      }
      if (best < 0)
        for (unsigned d = 0; d < w.dims.size(); ++d)
          if (w.operands[o].isIndexedBy(d) && m.tileSizes[d] > 1 &&
              (best < 0 || m.tileSizes[d] > m.tileSizes[best]))
            best = d;
      if (best < 0)
        break;
      m.tileSizes[best] = (m.tileSizes[best] + 1) / 2;
      break;
    }
    if (fits)
      break;
  }
  return m;
}

/// The SD2 inpainting UNet's contractions at 64x64 latents.
std::vector<Workload> sd2UNet() {
  std::vector<Workload> layers;
  auto conv = [&](const std::string &name, int64_t cin, int64_t cout,
                  int64_t hw, int64_t kernel, int64_t stride = 1) {
    Conv2dSpec s;
    s.name = name;
    s.c = cin;
    s.k = cout;
    s.h = s.w = hw;
    s.r = s.s = kernel;
    s.strideH = s.strideW = stride;
    s.padTop = s.padBottom = s.padLeft = s.padRight = kernel / 2;
    llvm::Expected<Workload> w = Workload::conv2d(s);
    if (!w) {
      llvm::errs() << llvm::toString(w.takeError()) << "\n";
      std::exit(1);
    }
    layers.push_back(std::move(*w));
  };
  auto linear = [&](const std::string &name, int64_t m, int64_t n, int64_t k) {
    llvm::Expected<Workload> w = Workload::matmul(m, n, k, 1, name);
    if (!w) {
      llvm::errs() << llvm::toString(w.takeError()) << "\n";
      std::exit(1);
    }
    layers.push_back(std::move(*w));
  };
  auto bmm = [&](const std::string &name, int64_t b, int64_t m, int64_t n,
                 int64_t k) {
    llvm::Expected<Workload> w = Workload::batchMatmul(b, m, n, k, 1, name);
    if (!w) {
      llvm::errs() << llvm::toString(w.takeError()) << "\n";
      std::exit(1);
    }
    layers.push_back(std::move(*w));
  };
  auto resnet = [&](const std::string &name, int64_t cin, int64_t cout,
                    int64_t hw) {
    conv(name + ".conv1", cin, cout, hw, 3);
    linear(name + ".time_emb_proj", 1, cout, 1280);
    conv(name + ".conv2", cout, cout, hw, 3);
    if (cin != cout)
      conv(name + ".conv_shortcut", cin, cout, hw, 1);
  };
  auto transformer = [&](const std::string &name, int64_t c, int64_t hw) {
    int64_t tokens = hw * hw, heads = c / 64;
    linear(name + ".proj_in", tokens, c, c);
    for (const char *qkv : {".attn1.to_q", ".attn1.to_k", ".attn1.to_v"})
      linear(name + qkv, tokens, c, c);
    bmm(name + ".attn1.scores", heads, tokens, tokens, 64);
    bmm(name + ".attn1.values", heads, tokens, 64, tokens);
    linear(name + ".attn1.to_out", tokens, c, c);
    linear(name + ".attn2.to_q", tokens, c, c);
    linear(name + ".attn2.to_k", 77, c, 1024);
    linear(name + ".attn2.to_v", 77, c, 1024);
    bmm(name + ".attn2.scores", heads, tokens, 77, 64);
    bmm(name + ".attn2.values", heads, tokens, 64, 77);
    linear(name + ".attn2.to_out", tokens, c, c);
    linear(name + ".ff.proj", tokens, 8 * c, c);
    linear(name + ".ff.out", tokens, c, 4 * c);
    linear(name + ".proj_out", tokens, c, c);
  };
  linear("time_embedding.linear_1", 1, 1280, 320);
  linear("time_embedding.linear_2", 1, 1280, 1280);
  conv("conv_in", 9, 320, 64, 3);
  int64_t channels[4] = {320, 640, 1280, 1280};
  int64_t cin = 320, hw = 64;
  for (int b = 0; b < 4; ++b) {
    std::string block = "down_blocks." + std::to_string(b);
    for (int r = 0; r < 2; ++r) {
      std::string i = std::to_string(r);
      resnet(block + ".resnets." + i, cin, channels[b], hw);
      cin = channels[b];
      if (b < 3)
        transformer(block + ".attentions." + i, channels[b], hw);
    }
    if (b < 3) {
      conv(block + ".downsamplers.0.conv", channels[b], channels[b], hw, 3, 2);
      hw /= 2;
    }
  }
  resnet("mid_block.resnets.0", 1280, 1280, hw);
  transformer("mid_block.attentions.0", 1280, hw);
  resnet("mid_block.resnets.1", 1280, 1280, hw);
  int64_t upIn[4][3] = {{2560, 2560, 2560},
                        {2560, 2560, 1920},
                        {1920, 1280, 960},
                        {960, 640, 640}};
  int64_t upOut[4] = {1280, 1280, 640, 320};
  for (int b = 0; b < 4; ++b) {
    std::string block = "up_blocks." + std::to_string(b);
    for (int r = 0; r < 3; ++r) {
      std::string i = std::to_string(r);
      resnet(block + ".resnets." + i, upIn[b][r], upOut[b], hw);
      if (b > 0)
        transformer(block + ".attentions." + i, upOut[b], hw);
    }
    if (b < 3) {
      hw *= 2;
      conv(block + ".upsamplers.0.conv", upOut[b], upOut[b], hw, 3);
    }
  }
  conv("conv_out", 320, 4, 64, 3);
  return layers;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

/// Throughput of both engines on the six layers with the most bursts; false
/// when the engines disagree. Fills `fastStats` (every layer, fast engine).
bool benchLargestLayers(const DramModel &model,
                        const std::vector<Layer> &layers,
                        std::vector<DramStats> &fastStats, int runs,
                        bool replay) {
  // 1. Per-layer throughput on the largest layers.
  std::vector<size_t> order(layers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  fastStats.assign(layers.size(), DramStats());
  for (size_t i = 0; i < layers.size(); ++i)
    fastStats[i] = model.evaluate(layers[i].workload, layers[i].mapping,
                                  layers[i].layout, DramEngine::Fast);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return fastStats[a].bursts > fastStats[b].bursts;
  });
  llvm::outs() << llvm::format("%-36s %12s %9s %12s %12s %10s\n", "layer",
                               "bursts", "hit rate", "replay b/s", "fast b/s",
                               "speedup");
  for (size_t n = 0; n < 6 && n < order.size(); ++n) {
    const Layer &l = layers[order[n]];
    std::vector<double> tReplay, tFast;
    for (int r = 0; r < runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      DramStats f =
          model.evaluate(l.workload, l.mapping, l.layout, DramEngine::Fast);
      auto t1 = std::chrono::steady_clock::now();
      tFast.push_back(seconds(t0, t1));
      if (replay && r < std::max(1, runs)) {
        DramStats s =
            model.evaluate(l.workload, l.mapping, l.layout, DramEngine::Replay);
        auto t2 = std::chrono::steady_clock::now();
        tReplay.push_back(seconds(t1, t2));
        if (!(s == f)) {
          llvm::errs() << "MISMATCH on " << l.workload.name << "\n";
          return false;
        }
      }
    }
    double bursts = static_cast<double>(fastStats[order[n]].bursts);
    double replayRate = replay ? bursts / median(tReplay) : 0;
    double fastRate = bursts / median(tFast);
    llvm::outs() << llvm::format(
        "%-36s %12.0f %8.1f%% %12.3g %12.3g %9.0fx\n", l.workload.name.c_str(),
        bursts, 100 * fastStats[order[n]].getHitRate(), replayRate, fastRate,
        replay ? fastRate / replayRate : 0.0);
  }

  return true;
}

/// Both engines on the whole UNet, then the fast engine's time per layer;
/// false when the engines disagree on a layer.
bool benchWholeNetwork(const DramModel &model, const std::vector<Layer> &layers,
                       std::vector<DramStats> &fastStats, int runs,
                       bool replay) {
  // 2. The whole UNet.
  double totalBytes = 0, totalBursts = 0, energy = 0, cycles = 0;
  for (const DramStats &s : fastStats) {
    totalBursts += static_cast<double>(s.bursts);
    totalBytes += static_cast<double>(s.bursts) *
                  model.getMapping().getGeometry().getBytesPerBurst();
    energy += s.energyPJ.getTotal();
    cycles += static_cast<double>(s.cycles);
  }
  std::vector<double> tWholeFast, tWholeReplay, perLayer(layers.size(), 0);
  bool allEqual = true;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < layers.size(); ++i) {
      auto a = std::chrono::steady_clock::now();
      fastStats[i] = model.evaluate(layers[i].workload, layers[i].mapping,
                                    layers[i].layout, DramEngine::Fast);
      auto b = std::chrono::steady_clock::now();
      if (r == 0 || seconds(a, b) < perLayer[i])
        perLayer[i] = seconds(a, b);
    }
    auto t1 = std::chrono::steady_clock::now();
    tWholeFast.push_back(seconds(t0, t1));
    if (replay) {
      for (size_t i = 0; i < layers.size(); ++i) {
        DramStats s = model.evaluate(layers[i].workload, layers[i].mapping,
                                     layers[i].layout, DramEngine::Replay);
        allEqual &= s == fastStats[i];
      }
      tWholeReplay.push_back(seconds(t1, std::chrono::steady_clock::now()));
    }
  }
  llvm::outs() << "\nwhole UNet: " << layers.size() << " layers, "
               << llvm::format("%.2f", totalBytes / 1e9) << " GB of DRAM "
               << "traffic (" << llvm::format("%.3g", totalBursts)
               << " bursts), " << llvm::format("%.3g", energy / 1e9) << " mJ, "
               << llvm::format("%.3g", cycles) << " DRAM cycles\n";
  llvm::outs() << llvm::format("  fast engine:   %8.3f s  (%.3g bursts/s)\n",
                               median(tWholeFast),
                               totalBursts / median(tWholeFast));
  if (replay)
    llvm::outs() << llvm::format("  replay engine: %8.3f s  (%.3g bursts/s)\n",
                                 median(tWholeReplay),
                                 totalBursts / median(tWholeReplay))
                 << "  engines agree on every layer: "
                 << (allEqual ? "yes" : "NO") << "\n";

  // 3. Fast engine time per layer.
  std::vector<double> sorted = perLayer;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double q) {
    return sorted[std::min(sorted.size() - 1,
                           static_cast<size_t>(q * sorted.size()))];
  };
  size_t slowest =
      std::max_element(perLayer.begin(), perLayer.end()) - perLayer.begin();
  llvm::outs() << llvm::format(
      "\nfast engine per layer (best of runs): median %.1f us, p90 %.1f us, "
      "max %.1f us (%s)\n",
      pct(0.5) * 1e6, pct(0.9) * 1e6, sorted.back() * 1e6,
      layers[slowest].workload.name.c_str());
  return allEqual;
}

} // namespace

int main(int argc, char **argv) {
  std::string target = "edge-npu-lpddr4", mappingName = "romanet";
  int runs = 5;
  bool replay = true;
  LayoutKind layoutKind = LayoutKind::RowMajor;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto value = [&]() -> llvm::StringRef {
      if (i + 1 >= argc) {
        llvm::errs() << "dram_bench: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--target")
      target = value().str();
    else if (arg == "--mapping")
      mappingName = value().str();
    else if (arg == "--runs")
      runs = std::max(1, std::atoi(value().str().c_str()));
    else if (arg == "--no-replay")
      replay = false;
    else if (arg == "--layout") {
      std::optional<LayoutKind> kind = symbolizeLayoutKind(value());
      if (!kind) {
        llvm::errs() << "dram_bench: unknown layout\n";
        return 2;
      }
      layoutKind = *kind;
    } else {
      llvm::errs() << "usage: dram_bench [--target NAME] [--mapping NAME] "
                      "[--runs N] [--layout row-major|blocked] "
                      "[--no-replay]\n";
      return 2;
    }
  }
  llvm::Expected<DramParams> params = loadDramParams(target);
  if (!params) {
    llvm::errs() << "dram_bench: " << llvm::toString(params.takeError())
                 << "\n";
    return 1;
  }
  llvm::Expected<DramModel> model = DramModel::get(*params, mappingName);
  if (!model) {
    llvm::errs() << "dram_bench: " << llvm::toString(model.takeError()) << "\n";
    return 1;
  }

  Buffers buffers;
  std::vector<Layer> layers;
  for (Workload &w : sd2UNet()) {
    Mapping m = greedyTiling(w, buffers);
    LayerLayoutOptions options;
    options.kind = layoutKind;
    options.alignment = 4096;
    llvm::Expected<LayerLayout> layout = makeLayerLayout(w, m, options);
    if (!layout) {
      llvm::errs() << llvm::toString(layout.takeError()) << "\n";
      return 1;
    }
    layers.push_back({std::move(w), std::move(m), std::move(*layout)});
  }

  llvm::outs() << "DRAM model bench: SD2 inpainting UNet (64x64 latents, "
                  "int8), target "
               << target << ", mapping " << model->getMapping().str()
               << ", page policy "
               << stringifyPagePolicy(model->getParams().policy) << ", "
               << stringifyLayoutKind(layoutKind) << " layouts, " << runs
               << " runs (medians)\n\n";

  std::vector<DramStats> fastStats;
  if (!benchLargestLayers(*model, layers, fastStats, runs, replay))
    return 1;
  return benchWholeNetwork(*model, layers, fastStats, runs, replay) ? 0 : 1;
}
