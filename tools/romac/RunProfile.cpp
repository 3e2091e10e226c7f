//===- RunProfile.cpp - `romac run --profile`'s tables ---------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The kernels' times of a profiled run, summed per op kind and per layer,
// next to what the schedule predicts (the share of the contractions'
// cycles) and the GFLOP/s each contraction ran at.
//
//===----------------------------------------------------------------------===//

#include "RunProfile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace romac;
using namespace romac::driver;

namespace {

/// The op of one layer's ONNX node name: its last part without a "_N"
/// suffix ("/a/b/MatMul_1" is "MatMul").
llvm::StringRef getLayerOp(llvm::StringRef name) {
  llvm::StringRef op = name.contains('/') ? name.rsplit('/').second : name;
  auto [base, suffix] = op.rsplit('_');
  if (!suffix.empty() && llvm::all_of(suffix, llvm::isDigit))
    op = base;
  return op;
}

/// The op kind of a kernel for --profile's summary: its layer's op, or for
/// a kernel of several layers ("A + B": a fused attention or element-wise
/// chain) their distinct ops joined by "+" ("MatMul+MatMul" is an
/// attention).
std::string getOpKind(llvm::StringRef name) {
  llvm::SmallVector<llvm::StringRef> layers;
  name.split(layers, " + ");
  // Node names are paths ("/a/b/Op"); other parts name the constants a
  // fused chain reads (a norm's weight) and are left out.
  if (llvm::any_of(layers, [](llvm::StringRef l) { return l.contains('/'); }))
    llvm::erase_if(layers, [](llvm::StringRef l) { return !l.contains('/'); });
  llvm::SmallVector<std::string> ops;
  for (llvm::StringRef layer : layers) {
    std::string op = getLayerOp(layer).str();
    if (!llvm::is_contained(ops, op) || op == "MatMul")
      ops.push_back(op);
  }
  std::string kind = llvm::join(ops, "+");
  if (kind == "MatMul+MatMul")
    return "attention (MatMul+MatMul)";
  return kind.empty() ? "(unnamed)" : kind;
}

/// A layer's time over the runs: the kernels of its name summed (a tiled
/// layer's pieces, its padding copy), and what the schedule predicts for it.
struct LayerTime {
  std::string name;
  double seconds = 0;
  int kernels = 0;
  /// The schedule's cycles and MACs, summed over the layers of a fused
  /// kernel ("A + B"); none for a layer the schedule does not know.
  std::optional<LayerPrediction> predicted;
  /// Whether every layer of the name is a contraction the schedule knows
  /// (an attention's two products): then the kernel does their MACs. An
  /// element-wise chain named after the contraction it starts (a residual
  /// "Div + .../Conv" that the convolution then adds onto) does not.
  bool allPredicted = false;
};

/// The kernels grouped by name, slowest first.
std::vector<LayerTime>
getLayerTimes(llvm::ArrayRef<KernelProfile> kernels,
              const llvm::StringMap<LayerPrediction> &predicted) {
  std::map<std::string, LayerTime> byName;
  for (const KernelProfile &k : kernels) {
    LayerTime &t = byName[k.name];
    t.name = k.name;
    t.seconds += k.seconds;
    ++t.kernels;
  }
  std::vector<LayerTime> layers;
  for (auto &[name, t] : byName) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(name).split(parts, " + ");
    t.allPredicted = true;
    for (llvm::StringRef part : parts) {
      auto it = predicted.find(part);
      if (it == predicted.end()) {
        t.allPredicted = false;
        continue;
      }
      if (!t.predicted)
        t.predicted.emplace();
      t.predicted->cycles += it->second.cycles;
      t.predicted->macs += it->second.macs;
    }
    layers.push_back(std::move(t));
  }
  llvm::stable_sort(layers, [](const LayerTime &a, const LayerTime &b) {
    return a.seconds > b.seconds;
  });
  return layers;
}

/// "GFLOP/s" of `macs` multiply-adds per run done in `seconds` over
/// `runs` runs, or "-".
std::string formatGflops(std::optional<int64_t> macs, double seconds,
                         unsigned runs) {
  if (!macs || *macs == 0 || seconds <= 0)
    return "-";
  return llvm::formatv("{0:f0}", 2.0 * double(*macs) * runs / seconds / 1e9);
}

/// --profile's summary: the time per op kind, slowest first, with the
/// contractions' GFLOP/s (2 x the MACs of their layers, direct-equivalent:
/// a Winograd convolution counts the multiply-adds of the direct one).
void printProfileByOp(llvm::ArrayRef<LayerTime> layers, unsigned runs,
                      double total) {
  struct OpTime {
    double seconds = 0;
    int kernels = 0;
    std::optional<int64_t> macs;
  };
  std::map<std::string, OpTime> byOp;
  for (const LayerTime &l : layers) {
    OpTime &op = byOp[getOpKind(l.name)];
    op.seconds += l.seconds;
    op.kernels += l.kernels;
    if (l.predicted && l.allPredicted)
      op.macs = op.macs.value_or(0) + l.predicted->macs;
  }
  std::vector<std::pair<std::string, OpTime>> sorted(byOp.begin(), byOp.end());
  llvm::stable_sort(sorted, [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  llvm::raw_ostream &os = llvm::outs();
  os << llvm::formatv("{0,-32} {1,8} {2,10} {3,7} {4,9}\n",
                      "op (kernels by name)", "kernels", "ms/run", "share",
                      "GFLOP/s");
  for (const auto &[op, entry] : sorted)
    os << llvm::formatv("{0,-32} {1,8} {2,10:f3} {3,6:f1}% {4,9}\n", op,
                        entry.kernels, 1e3 * entry.seconds / runs,
                        total > 0 ? 100 * entry.seconds / total : 0.0,
                        formatGflops(entry.macs, entry.seconds, runs));
}

} // namespace

/// --profile: the time per op kind, then per layer over the runs next to
/// the share of the contractions' cycles the schedule predicts and the
/// GFLOP/s it ran at, slowest first.
void romac::driver::printProfile(
    llvm::ArrayRef<KernelProfile> kernels, unsigned runs,
    const llvm::StringMap<LayerPrediction> &predicted) {
  std::vector<LayerTime> layers = getLayerTimes(kernels, predicted);
  double total = 0, contractions = 0, predictedTotal = 0;
  for (const LayerTime &l : layers) {
    total += l.seconds;
    if (l.predicted)
      contractions += l.seconds;
  }
  for (const auto &entry : predicted)
    predictedTotal += entry.getValue().cycles;
  auto percent = [](double part, double whole) {
    return whole > 0 ? 100 * part / whole : 0.0;
  };
  llvm::raw_ostream &os = llvm::outs();
  // Without a schedule (--no-tile) no layer is known as a contraction.
  os << llvm::formatv("profile: {0} kernels, {1:f2} ms per run", kernels.size(),
                      1e3 * total / runs);
  if (!predicted.empty())
    os << llvm::formatv("; contractions {0:f1} % of the time",
                        percent(contractions, total));
  os << "\n";
  printProfileByOp(layers, runs, total);
  os << llvm::formatv("{0,-56} {1,10} {2,7} {3,10} {4,10} {5,9}\n", "layer",
                      "ms/run", "share", "of contr.", "predicted", "GFLOP/s");
  constexpr size_t kShown = 40;
  for (auto [n, l] : llvm::enumerate(layers)) {
    if (n == kShown) {
      os << "... " << layers.size() - kShown << " more layers\n";
      break;
    }
    std::string contr = "-", pred = "-";
    std::optional<int64_t> macs;
    if (l.predicted) {
      contr = llvm::formatv("{0:f1}%", percent(l.seconds, contractions));
      pred = llvm::formatv("{0:f1}%",
                           percent(l.predicted->cycles, predictedTotal));
      if (l.allPredicted)
        macs = l.predicted->macs;
    }
    os << llvm::formatv("{0,-56} {1,10:f3} {2,6:f1}% {3,10} {4,10} {5,9}\n",
                        l.name.empty() ? std::string("(unnamed)") : l.name,
                        1e3 * l.seconds / runs, percent(l.seconds, total),
                        contr, pred, formatGflops(macs, l.seconds, runs));
  }
}
