//===- Plan.cpp - `romac plan`
//---------------------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Energy, time and performance per watt of the whole zoom pipeline (or of
// one model) on a target, lever by lever (docs/plan.md):
//
//  1. each graph is imported with the zoom's shapes and searched six ways:
//     the SmartShuttle-like row-major baseline, romac's DRAM-aware search,
//     that with fusion (searchRowMajorBaselineTilings(), getSteps()), and
//     that with int4 weights, then 16 shared weights, then 2:4 pruning
//     (the target compiled for them, romac/Target/Compression.h);
//  2. the graphs' steps are weighted by their calls per video frame
//     (every frame painted, or one key frame per --interp-frames);
//  3. every lever row gets a frequency plan (romac/Plan/Power.h): the fixed
//     nominal clock (or the highest one a --power-cap-mw allows) up to the
//     layer-wise scaling row, romac's optimum from there;
//  4. the table goes to stdout, the JSON to -o; with a cap or a deadline
//     the three frequency plans of the issue are compared on the last row.
//
//===----------------------------------------------------------------------===//

#include "Plan.h"

#include "Driver.h"
#include "Zoom.h"
#include "ZoomInternal.h"

#include "romac/Dialect/Romac/Analysis/ScheduleBuilder.h"
#include "romac/Dialect/Romac/Analysis/StreamingLayers.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Dram/DramParams.h"
#include "romac/InitRomac.h"
#include "romac/Plan/Power.h"
#include "romac/Plan/Steps.h"
#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"
#include "romac/Support/Parallel.h"
#include "romac/Target/Target.h"
#include "romac/Zoom/Scheduler.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <map>

using namespace romac;
using namespace romac::driver;
using namespace romac::plan;

namespace {

//===----------------------------------------------------------------------===//
// The graphs
//===----------------------------------------------------------------------===//

/// The schedules the lever table compares: the baseline, romac's, fused,
/// and fused with the compression levers added one by one (int4 weights,
/// then 16 shared weights, then 2:4 pruning; docs/compression.md).
enum Config {
  kBaseline = 0,
  kRomac,
  kFused,
  kInt4,
  kShared,
  kPruned,
  kNumConfigs
};

/// The compression of each configuration from kInt4 on.
Compression getLeverCompression(Config config) {
  Compression c;
  c.quantize = Precision{4, 8};
  if (config >= kShared)
    c.sharedWeights = 16;
  if (config >= kPruned) {
    c.sparsity = Sparsity::TwoFour;
    c.pruneRatio = 0.5;
  }
  return c;
}

/// One graph, searched every way of Config.
struct GraphCosts {
  std::string name, path;
  std::vector<Step> steps[kNumConfigs];
  size_t layers = 0, groups = 0, streamingLayers = 0, attentions = 0;
};

/// Imports \p path with \p options, runs the compile pipeline up to the
/// search, and searches its contractions as the three configurations.
llvm::Expected<GraphCosts>
compileGraph(llvm::StringRef name, const std::string &path,
             const OnnxImportOptions &options, const PlanArgs &args,
             const Target &target, mlir::MLIRContext &ctx) {
  Stopwatch clock;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel("plan", path, options, ctx);
  if (!module)
    return makeStringError(path + ": cannot import the model");
  mlir::PassManager pm(&ctx);
  CompilePipelineOptions pipeline;
  pipeline.target = args.target;
  pipeline.search = PipelineSearch::None;
  buildCompilePipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return makeStringError(path + ": the compile pipeline failed");
  SearchOptions search;
  search.threadPool = getSearchThreadPool(&ctx);
  llvm::Expected<DramCompile> compiled =
      compileModuleDramAware(*module, target, search, "", /*fuse=*/true);
  if (!compiled)
    return makeStringError(path + ": " + llvm::toString(compiled.takeError()));
  CostTarget costTarget = CostTarget::get(target);
  DramParams dram = llvm::cantFail(DramParams::get(target.dram));
  // The tuned SmartShuttle-like baseline on a row-major RoBaRaCoCh DRAM.
  llvm::Expected<RowMajorBaselineTilings> tilings =
      searchRowMajorBaselineTilings(compiled->workloads, costTarget, dram,
                                    search);
  if (!tilings)
    return makeStringError(path + ": " + llvm::toString(tilings.takeError()));
  llvm::Expected<DramSearchResult> baseline =
      evaluateLayersDram(compiled->workloads, tilings->tuned, costTarget, dram,
                         "RoBaRaCoCh", LayoutKind::RowMajor, search);
  if (!baseline)
    return makeStringError(path + ": " + llvm::toString(baseline.takeError()));
  // Every other op (docs/streaming-layers.md): through the baseline's
  // RoBaRaCoCh DRAM or the search's mapping; with fusion the attentions run
  // fused too.
  llvm::Expected<DramModel> baseDram =
      DramModel::get(target.dram, "RoBaRaCoCh");
  llvm::Expected<DramModel> romacDram =
      DramModel::get(target.dram, compiled->result.addressMapping);
  if (!baseDram || !romacDram)
    return makeStringError(path + ": " +
                           llvm::toString(baseDram ? romacDram.takeError()
                                                   : baseDram.takeError()));
  StreamingAnalysis streaming(*module, target);
  std::vector<StreamingLayerSchedule> baseStreaming =
      streaming.costLayers(&*baseDram);
  Schedule schedule =
      makeSchedule(name, costTarget, compiled->workloads, compiled->result,
                   search, compiled->dramOptions);
  schedule.streaming = streaming.costLayers(&*romacDram);
  std::vector<AttentionGroup> attention =
      streaming.findAttentionGroups(schedule, &*romacDram);
  GraphCosts g;
  g.name = name.str();
  g.path = path;
  g.layers = compiled->workloads.size();
  g.streamingLayers = schedule.streaming.size();
  g.attentions = attention.size();
  double mhz = costTarget.frequencyMHz;
  g.steps[kBaseline] = getNetworkSteps(compiled->workloads, *baseline, nullptr,
                                       baseStreaming, {}, dram, mhz);
  g.steps[kRomac] = getNetworkSteps(compiled->workloads, compiled->result,
                                    nullptr, schedule.streaming, {}, dram, mhz);
  g.steps[kFused] =
      getNetworkSteps(compiled->workloads, compiled->result, &*compiled->fusion,
                      schedule.streaming, attention, dram, mhz);
  g.groups = compiled->fusion->groups.size();
  // The compression levers: the same module, searched and fused again with
  // the target compiled for them (its weights' bytes, its MAC energy).
  for (Config c : {kInt4, kShared, kPruned}) {
    Target compressed = target;
    if (llvm::Error e = applyCompression(compressed, getLeverCompression(c)))
      return std::move(e);
    llvm::Expected<DramCompile> run =
        compileModuleDramAware(*module, compressed, search, "", /*fuse=*/true);
    if (!run)
      return makeStringError(path + ": " + llvm::toString(run.takeError()));
    llvm::Expected<DramModel> model =
        DramModel::get(compressed.dram, run->result.addressMapping);
    if (!model)
      return makeStringError(path + ": " + llvm::toString(model.takeError()));
    StreamingAnalysis analysis(*module, compressed);
    Schedule s = makeSchedule(name, CostTarget::get(compressed), run->workloads,
                              run->result, search, run->dramOptions);
    s.streaming = analysis.costLayers(&*model);
    g.steps[c] =
        getNetworkSteps(run->workloads, run->result, &*run->fusion, s.streaming,
                        analysis.findAttentionGroups(s, &*model), dram, mhz);
  }
  if (!args.quiet)
    llvm::errs() << llvm::formatv(
        "romac plan: {0}: {1} contractions searched six ways, {2} fused "
        "groups, {3} streaming layers, {4} attentions fused ({5:f1} s)\n",
        name, g.layers, g.groups, g.streamingLayers, g.attentions,
        clock.seconds());
  return g;
}

/// A shape option NAME=D0xD1... (or NAME=scalar).
void addShape(OnnxImportOptions &options, llvm::StringRef input,
              llvm::ArrayRef<int64_t> shape) {
  options.shapes[input].assign(shape.begin(), shape.end());
}

//===----------------------------------------------------------------------===//
// The pipeline per video frame
//===----------------------------------------------------------------------===//

/// Calls of each graph per video frame.
struct Period {
  /// Per graph (in GraphCosts order).
  std::vector<double> calls;
  /// Interpolated frames per video frame.
  double interpolated = 0;
};

std::vector<Segment> makeSegments(llvm::ArrayRef<GraphCosts> graphs,
                                  Config config, const Period &period,
                                  const Step &interpolation) {
  std::vector<Segment> segments;
  for (auto [g, calls] : llvm::zip_equal(graphs, period.calls)) {
    if (calls <= 0)
      continue;
    Segment s;
    s.name = g.name;
    s.count = calls;
    s.steps = g.steps[config];
    segments.push_back(std::move(s));
  }
  if (period.interpolated > 0) {
    Segment s;
    s.name = "interpolation";
    s.count = period.interpolated;
    s.steps = {interpolation};
    segments.push_back(std::move(s));
  }
  return segments;
}

/// One row of the lever table.
struct LeverRow {
  std::string lever;
  /// False: the lever is not modelled yet (`note` says why); the row
  /// repeats the previous one's numbers.
  bool modelled = true;
  std::string note;
  FrequencyPlan plan;
};

/// The zoom's shape of a run, for the header and the JSON.
struct ZoomShape {
  bool zoom = false;
  size_t unetCalls = 0, fewerStepsCalls = 0;
  double keyFrames = 0, videoFrames = 0;
  int64_t unetBatch = 2;
};

/// Everything the table and the JSON print.
struct PlanResult {
  ZoomShape shape;
  PowerModel power;
  std::vector<LeverRow> rows;
  /// The comparison of the frequency plans on the last row's work (with a
  /// cap or a deadline).
  std::vector<FrequencyPlan> plans;
  std::string plansBound;
  std::string plansNote;
  /// Every lever, every step at the top clock: the most FPS.
  FrequencyPlan fastest;
};

/// The bounds of the plans: the fixed clock of the rows before layer-wise
/// scaling, and romac's optimum from there.
struct Bounds {
  const PlanArgs &args;
  const PowerModel &power;

  llvm::Expected<FrequencyPlan> fixed(llvm::ArrayRef<Segment> segments) const {
    if (args.powerCapMW)
      return planFixedUnderCap(segments, power, *args.powerCapMW);
    return planFixed(segments, power, power.nominal);
  }
  /// romac's optimum: the least time under the cap, the least energy under
  /// the deadline, else the least energy (the most frames per joule).
  llvm::Expected<FrequencyPlan> scaled(llvm::ArrayRef<Segment> segments) const {
    if (args.powerCapMW)
      return planMinLatencyUnderCap(segments, power, *args.powerCapMW);
    if (args.deadlineMs)
      return planMinEnergyUnderDeadline(segments, power,
                                        *args.deadlineMs * 1e6);
    return planMinEnergy(segments, power);
  }
};

/// A plan's operating points as "MHz: steps" counts.
std::map<double, size_t> countPoints(const FrequencyPlan &plan,
                                     const PowerModel &power) {
  std::map<double, size_t> counts;
  for (const auto &segment : plan.points)
    for (unsigned p : segment)
      ++counts[power.points[p].frequencyMHz];
  return counts;
}

std::string describePoints(const FrequencyPlan &plan, const PowerModel &power) {
  std::string text;
  for (auto [mhz, n] : countPoints(plan, power))
    text +=
        llvm::formatv("{0}{1:f0}:{2}", text.empty() ? "" : " ", mhz, n).str();
  return text;
}

/// The frequency plans of the issue on \p last (the work with every
/// lever): one clock for the network, the paper's rule (under a cap) and
/// romac's optimum, into \p result.
llvm::Error compareFrequencyPlans(const PlanArgs &args,
                                  llvm::ArrayRef<Segment> last,
                                  const PowerModel &power, PlanResult &result) {
  if (!power.canScale()) {
    result.plansNote = "the target has no dvfs table";
  } else if (args.powerCapMW) {
    result.plansBound =
        llvm::formatv("power cap {0} mW", llvm::format("%g", *args.powerCapMW))
            .str();
    for (auto planOf :
         {planFixedUnderCap, planHighestUnderCap, planMinLatencyUnderCap}) {
      llvm::Expected<FrequencyPlan> p = planOf(last, power, *args.powerCapMW);
      if (!p)
        return p.takeError();
      result.plans.push_back(std::move(*p));
    }
  } else if (args.deadlineMs) {
    result.plansBound = llvm::formatv("deadline {0} ms per video frame",
                                      llvm::format("%g", *args.deadlineMs))
                            .str();
    llvm::Expected<FrequencyPlan> dvfs =
        planFixedUnderDeadline(last, power, *args.deadlineMs * 1e6);
    if (!dvfs)
      return dvfs.takeError();
    llvm::Expected<FrequencyPlan> best =
        planMinEnergyUnderDeadline(last, power, *args.deadlineMs * 1e6);
    if (!best)
      return best.takeError();
    result.plans = {std::move(*dvfs), std::move(*best)};
    result.plansNote = "the paper's rule needs --power-cap-mw";
  } else {
    result.plansBound = "no bound";
    llvm::Expected<FrequencyPlan> dvfs = planFixedUnderDeadline(
        last, power, std::numeric_limits<double>::infinity());
    if (!dvfs)
      return dvfs.takeError();
    result.plans = {std::move(*dvfs), planMinEnergy(last, power)};
    result.plansNote = "the paper's rule needs --power-cap-mw; "
                       "--deadline-ms bounds romac's plan";
  }
  return llvm::Error::success();
}

/// Builds the lever rows.
llvm::Expected<PlanResult> planLevers(const PlanArgs &args,
                                      llvm::ArrayRef<GraphCosts> graphs,
                                      const Target &target,
                                      const ZoomShape &shape,
                                      const PowerModel &power) {
  PlanResult result;
  result.shape = shape;
  result.power = power;
  Bounds bounds{args, power};
  Step interpolation = getInterpolationStep(target, args.size);

  // Calls per video frame.
  Period painted, sparse, fewer;
  if (shape.zoom) {
    double textPerFrame = 2 / shape.videoFrames; // negative + prompt, once
    double keyPerFrame = shape.keyFrames / shape.videoFrames;
    painted.calls = {textPerFrame, 1, static_cast<double>(shape.unetCalls), 1};
    sparse.calls = {textPerFrame, keyPerFrame,
                    keyPerFrame * static_cast<double>(shape.unetCalls),
                    keyPerFrame};
    sparse.interpolated = 1 - keyPerFrame;
    fewer = sparse;
    fewer.calls[2] = keyPerFrame * static_cast<double>(shape.fewerStepsCalls);
  } else {
    painted.calls = {1};
  }

  // The work with every lever that applies; a deadline it cannot meet is
  // an error before any plan is made.
  const Period &all = !shape.zoom                               ? painted
                      : shape.fewerStepsCalls < shape.unetCalls ? fewer
                                                                : sparse;
  std::vector<Segment> last = makeSegments(graphs, kPruned, all, interpolation);
  result.fastest = planFixed(last, power, power.points.size() - 1);
  const double deadlineNs = args.deadlineMs
                                ? *args.deadlineMs * 1e6
                                : std::numeric_limits<double>::infinity();
  if (result.fastest.latencyNs > deadlineNs)
    return makeStringError(llvm::formatv(
        "--deadline-ms {0}: below the fastest plan with every lever "
        "({1:f3} ms per video frame at {2:f0} MHz, {3:f3} ms over)",
        llvm::format("%g", *args.deadlineMs), result.fastest.latencyNs * 1e-6,
        power.points.back().frequencyMHz,
        (result.fastest.latencyNs - deadlineNs) * 1e-6));

  // A row: the fixed clock, or (scaled) romac's optimum; a row that cannot
  // meet the deadline says by how much.
  auto add = [&](std::string lever, Config config, const Period &period,
                 bool scaled) -> llvm::Error {
    std::vector<Segment> segments =
        makeSegments(graphs, config, period, interpolation);
    LeverRow row;
    row.lever = std::move(lever);
    llvm::Expected<FrequencyPlan> plan = FrequencyPlan();
    if (!scaled) {
      plan = bounds.fixed(segments);
    } else {
      FrequencyPlan top = planFixed(segments, power, power.points.size() - 1);
      if (top.latencyNs > deadlineNs)
        plan = std::move(top);
      else
        plan = bounds.scaled(segments);
    }
    if (!plan)
      return plan.takeError();
    row.plan = std::move(*plan);
    if (row.plan.latencyNs > deadlineNs)
      row.note = llvm::formatv("misses the deadline by {0:f1} ms{1}",
                               (row.plan.latencyNs - deadlineNs) * 1e-6,
                               scaled ? " (at the top clock)" : "")
                     .str();
    result.rows.push_back(std::move(row));
    return llvm::Error::success();
  };
  // A lever without numbers: the row repeats the previous one's.
  auto notModelled = [&](std::string lever, std::string why) {
    LeverRow row = result.rows.back();
    row.lever = std::move(lever);
    row.modelled = false;
    row.note = std::move(why);
    result.rows.push_back(std::move(row));
  };

  bool canScale = power.canScale();
  if (llvm::Error e = add("baseline: SmartShuttle-like tiling, row-major, "
                          "RoBaRaCoCh, fixed clock",
                          kBaseline, painted, false))
    return std::move(e);
  if (llvm::Error e =
          add("+ romac tiling and DRAM mapping", kRomac, painted, false))
    return std::move(e);
  if (llvm::Error e = add("+ fusion", kFused, painted, false))
    return std::move(e);
  for (auto [lever, config] :
       {std::pair{"+ int8, then int4 (w4a8: int4 weights, int8 activations)",
                  kInt4},
        {"+ weight sharing (16 per layer)", kShared},
        {"+ pruning (2:4)", kPruned}})
    if (llvm::Error e = add(lever, config, painted, false))
      return std::move(e);
  if (canScale) {
    if (llvm::Error e =
            add("+ layer-wise frequency scaling", kPruned, painted, true))
      return std::move(e);
  } else {
    notModelled("+ layer-wise frequency scaling",
                "the target has no dvfs table");
  }
  if (shape.zoom) {
    if (llvm::Error e = add(llvm::formatv("+ sparse painting (1 key frame "
                                          "per {0} frames)",
                                          args.interpFrames)
                                .str(),
                            kPruned, sparse, canScale))
      return std::move(e);
    std::string lever = llvm::formatv("+ fewer steps (DPM-Solver++ at 20: "
                                      "{0} UNet calls)",
                                      shape.fewerStepsCalls)
                            .str();
    if (shape.fewerStepsCalls >= shape.unetCalls)
      notModelled(lever, llvm::formatv("not applicable: a key frame already "
                                       "takes {0} UNet calls",
                                       shape.unetCalls));
    else if (llvm::Error e = add(lever, kPruned, fewer, canScale))
      return std::move(e);
  }

  // The three frequency plans on the last row's work.
  if (llvm::Error e = compareFrequencyPlans(args, last, power, result))
    return std::move(e);
  return result;
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

/// Per video frame figures of a plan.
struct Figures {
  double energyMJ, timeMs, fps, powerW, fpsPerW, batteryHours;
};

Figures getFigures(const FrequencyPlan &plan, double batteryMWh) {
  Figures f;
  f.energyMJ = plan.getEnergyPJ() * 1e-9;
  f.timeMs = plan.latencyNs * 1e-6;
  f.fps = plan.latencyNs > 0 ? 1e9 / plan.latencyNs : 0;
  double mw = plan.latencyNs > 0 ? plan.getEnergyPJ() / plan.latencyNs : 0;
  f.powerW = mw * 1e-3;
  f.fpsPerW = f.powerW > 0 ? f.fps / f.powerW : 0;
  f.batteryHours = getBatteryHours(batteryMWh, mw);
  return f;
}

std::string ruleLabel(llvm::StringRef rule) {
  if (rule == "fixed")
    return "(c) one frequency for the network (DVFS)";
  if (rule == "highest-under-cap")
    return "(a) per layer the highest under the cap (ETRI 2022)";
  if (rule == "min-latency-under-cap")
    return "(b) romac: least latency under the cap (DP)";
  if (rule == "min-energy")
    return "(b) romac: least energy (DP)";
  if (rule == "min-energy-under-deadline")
    return "(b) romac: least energy under the deadline (DP)";
  return rule.str();
}

void printTable(llvm::raw_ostream &os, const PlanArgs &args,
                const PlanResult &r, const Target &target) {
  const ZoomShape &s = r.shape;
  if (s.zoom)
    os << llvm::formatv(
        "romac plan: the zoom of {0} on {1}: {2}x{2}, {3} {4} steps = {5} "
        "UNet calls of batch {6} per key frame, {7:f0} key frames, {8:f0} "
        "video "
        "frames ({9} outpaint steps x {10} + 1)\n",
        args.modelDir, target.name, args.size, args.scheduler, args.steps,
        s.unetCalls, s.unetBatch, s.keyFrames, s.videoFrames,
        args.outpaintSteps, args.interpFrames);
  else
    os << llvm::formatv("romac plan: {0} on {1}, one call per frame\n",
                        args.model, target.name);
  os << llvm::formatv("operating points:");
  for (auto [i, p] : llvm::enumerate(r.power.points))
    os << llvm::formatv(" {0:f0} MHz/{1:f2} V/{2:f1} mW{3}", p.frequencyMHz,
                        p.voltage, p.staticPowerMW,
                        i == r.power.nominal ? " (nominal)" : "");
  os << llvm::formatv("; switch {0:f1} us; DRAM standby {1:f1} mW{2}\n",
                      r.power.switchNs * 1e-3, r.power.dramStandbyMW,
                      r.power.hasStaticPower ? ""
                                             : "; no static power given: 0");
  if (args.powerCapMW)
    os << llvm::formatv("NPU power cap {0:f1} mW\n", *args.powerCapMW);
  if (args.deadlineMs)
    os << llvm::formatv("deadline {0:f3} ms per video frame\n",
                        *args.deadlineMs);
  os << "\nper video frame (cumulative levers):\n";
  os << llvm::formatv("{0,2}  {1,-64} {2,11} {3,11} {4,8} {5,8} {6,9} {7,9}  "
                      "{8}\n",
                      "#", "lever", "energy mJ", "time ms", "FPS", "power W",
                      "FPS/W", "battery h", "clock MHz:steps / note");
  for (auto [i, row] : llvm::enumerate(r.rows)) {
    Figures f = getFigures(row.plan, args.batteryMWh);
    std::string tail = row.modelled ? describePoints(row.plan, r.power) : "";
    if (!row.note.empty())
      tail += (tail.empty() ? "" : "; ") + row.note;
    if (!row.modelled)
      os << llvm::formatv("{0,2}  {1,-64} {2,11} {3,11} {4,8} {5,8} {6,9} "
                          "{7,9}  {8}\n",
                          i + 1, row.lever, "-", "-", "-", "-", "-", "-", tail);
    else
      os << llvm::formatv("{0,2}  {1,-64} {2,11:f2} {3,11:f2} {4,8:f4} "
                          "{5,8:f3} {6,9:f4} {7,9:f2}  {8}\n",
                          i + 1, row.lever, f.energyMJ, f.timeMs, f.fps,
                          f.powerW, f.fpsPerW, f.batteryHours, tail);
  }
  const LeverRow &last = r.rows.back();
  Figures f = getFigures(last.plan, args.batteryMWh);
  Figures first = getFigures(r.rows.front().plan, args.batteryMWh);
  os << llvm::formatv(
      "\nwith every modelled lever: {0:f4} FPS, {1:f4} FPS/W ({2:f1}x the "
      "baseline's), {3:f2} W, {4:f2} h on a {5:f0} mWh battery\n",
      f.fps, f.fpsPerW, first.fpsPerW > 0 ? f.fpsPerW / first.fpsPerW : 0,
      f.powerW, f.batteryHours, args.batteryMWh);
  Figures top = getFigures(r.fastest, args.batteryMWh);
  if (top.fps >= args.fps)
    os << llvm::formatv("{0} fps real time: reachable (every lever, {1:f0} "
                        "MHz: {2:f2} FPS)\n",
                        args.fps, r.power.points.back().frequencyMHz, top.fps);
  else
    os << llvm::formatv("{0} fps real time: not reachable; closest: every "
                        "lever at {1:f0} MHz, {2:f4} FPS ({3:f1}x too "
                        "slow)\n",
                        args.fps, r.power.points.back().frequencyMHz, top.fps,
                        args.fps / std::max(top.fps, 1e-12));

  os << "\nfrequency plans on the last row's work";
  if (r.plans.empty()) {
    os << ": " << r.plansNote << "\n";
    return;
  }
  os << " (" << r.plansBound << "):\n";
  const FrequencyPlan &dvfs = r.plans.front();
  Figures base = getFigures(dvfs, args.batteryMWh);
  for (const FrequencyPlan &p : r.plans) {
    Figures g = getFigures(p, args.batteryMWh);
    os << llvm::formatv("  {0,-54} {1,9:f4} FPS ({2,+6:f1} %), {3,10:f2} mJ "
                        "({4,+6:f1} %), peak {5:f0} mW, {6:f0} switches; {7}\n",
                        ruleLabel(p.rule), g.fps, 100 * (g.fps / base.fps - 1),
                        g.energyMJ, 100 * (g.energyMJ / base.energyMJ - 1),
                        p.peakNpuPowerMW, p.switches,
                        describePoints(p, r.power));
  }
  if (!r.plansNote.empty())
    os << "  " << r.plansNote << "\n";
  os << "  (the paper reports +33 % FPS and -14 % energy against DVFS)\n";
}

llvm::json::Object planToJSON(const FrequencyPlan &p, const PowerModel &power,
                              double batteryMWh) {
  Figures f = getFigures(p, batteryMWh);
  llvm::json::Object clocks;
  for (auto [mhz, n] : countPoints(p, power))
    clocks[llvm::formatv("{0:f0}", mhz).str()] = static_cast<int64_t>(n);
  return llvm::json::Object{{"rule", p.rule},
                            {"energy_mj", f.energyMJ},
                            {"npu_energy_mj", p.npuPJ * 1e-9},
                            {"dram_energy_mj", p.dramPJ * 1e-9},
                            {"time_ms", f.timeMs},
                            {"fps", f.fps},
                            {"power_w", f.powerW},
                            {"fps_per_w", f.fpsPerW},
                            {"battery_hours", f.batteryHours},
                            {"peak_npu_power_mw", p.peakNpuPowerMW},
                            {"switches", p.switches},
                            {"steps_per_clock_mhz", std::move(clocks)}};
}

llvm::json::Value toJSON(const PlanArgs &args, const PlanResult &r,
                         const Target &target,
                         llvm::ArrayRef<GraphCosts> graphs) {
  llvm::json::Array points;
  for (const OperatingPoint &p : r.power.points)
    points.push_back(llvm::json::Object{{"frequency_mhz", p.frequencyMHz},
                                        {"voltage", p.voltage},
                                        {"static_power_mw", p.staticPowerMW}});
  llvm::json::Array graphArray;
  for (const GraphCosts &g : graphs) {
    llvm::json::Object perCall;
    const char *names[kNumConfigs] = {"baseline",
                                      "romac",
                                      "romac+fusion",
                                      "romac+fusion+w4a8",
                                      "romac+fusion+w4a8+k16",
                                      "romac+fusion+w4a8+k16+2:4"};
    for (unsigned c = 0; c < kNumConfigs; ++c) {
      Segment s;
      s.steps = g.steps[c];
      FrequencyPlan nominal = planFixed({s}, r.power, r.power.nominal);
      perCall[names[c]] = llvm::json::Object{
          {"energy_mj", nominal.getEnergyPJ() * 1e-9},
          {"time_ms", nominal.latencyNs * 1e-6},
          {"steps", static_cast<int64_t>(g.steps[c].size())}};
    }
    graphArray.push_back(llvm::json::Object{
        {"name", g.name},
        {"path", g.path},
        {"contractions", static_cast<int64_t>(g.layers)},
        {"fused_groups", static_cast<int64_t>(g.groups)},
        {"streaming_layers", static_cast<int64_t>(g.streamingLayers)},
        {"fused_attentions", static_cast<int64_t>(g.attentions)},
        {"per_call_at_nominal_clock", std::move(perCall)}});
  }
  llvm::json::Array levers;
  for (const LeverRow &row : r.rows) {
    llvm::json::Object o{{"lever", row.lever}, {"modelled", row.modelled}};
    if (!row.note.empty())
      o["note"] = row.note;
    if (row.modelled)
      o["per_video_frame"] = planToJSON(row.plan, r.power, args.batteryMWh);
    levers.push_back(std::move(o));
  }
  llvm::json::Array plans;
  for (const FrequencyPlan &p : r.plans)
    plans.push_back(planToJSON(p, r.power, args.batteryMWh));
  llvm::json::Object parameters{{"target", target.name},
                                {"battery_mwh", args.batteryMWh},
                                {"fps", static_cast<int64_t>(args.fps)}};
  if (r.shape.zoom) {
    parameters["model_dir"] = args.modelDir;
    parameters["size"] = static_cast<int64_t>(args.size);
    parameters["scheduler"] = args.scheduler;
    parameters["steps"] = static_cast<int64_t>(args.steps);
    parameters["guidance"] = args.guidance;
    parameters["outpaint_steps"] = static_cast<int64_t>(args.outpaintSteps);
    parameters["interp_frames"] = static_cast<int64_t>(args.interpFrames);
    parameters["unet_calls_per_key_frame"] =
        static_cast<int64_t>(r.shape.unetCalls);
    parameters["unet_batch"] = r.shape.unetBatch;
    parameters["key_frames"] = r.shape.keyFrames;
    parameters["video_frames"] = r.shape.videoFrames;
  } else {
    parameters["model"] = args.model;
  }
  if (args.powerCapMW)
    parameters["power_cap_mw"] = *args.powerCapMW;
  if (args.deadlineMs)
    parameters["deadline_ms"] = *args.deadlineMs;
  Figures f = getFigures(r.rows.back().plan, args.batteryMWh);
  return llvm::json::Object{
      {"format", "romac-plan"},
      {"version", 1},
      {"parameters", std::move(parameters)},
      {"power",
       llvm::json::Object{
           {"operating_points", std::move(points)},
           {"nominal_mhz", r.power.points[r.power.nominal].frequencyMHz},
           {"dfs_switch_us", r.power.switchNs * 1e-3},
           {"dram_standby_mw", r.power.dramStandbyMW},
           {"static_power_given", r.power.hasStaticPower}}},
      {"graphs", std::move(graphArray)},
      {"levers", std::move(levers)},
      {"frequency_plans", llvm::json::Object{{"bound", r.plansBound},
                                             {"note", r.plansNote},
                                             {"plans", std::move(plans)}}},
      {"summary",
       llvm::json::Object{
           {"fps", f.fps},
           {"fps_per_w", f.fpsPerW},
           {"power_w", f.powerW},
           {"battery_hours", f.batteryHours},
           {"fastest_fps", 1e9 / std::max(r.fastest.latencyNs, 1e-9)},
           {"real_time", r.fastest.latencyNs * args.fps <= 1e9}}}};
}

//===----------------------------------------------------------------------===//
// The command
//===----------------------------------------------------------------------===//

int usage(const llvm::Twine &message) {
  llvm::errs() << "romac plan: error: " << message << "\n";
  return kUsageError;
}

/// Checks the flags that do not need a file; 0 or the exit status.
int checkFlags(const PlanArgs &args) {
  if (args.modelDir.empty() == args.model.empty())
    return usage("give one of --model-dir DIR (the zoom) or --model FILE");
  if (!args.model.empty() && args.modelDir.empty() &&
      !llvm::sys::fs::exists(args.model))
    return usage("--model " + args.model + ": no such file");
  if (args.powerCapMW && args.deadlineMs)
    return usage("give --power-cap-mw or --deadline-ms, not both");
  if (args.powerCapMW && !(*args.powerCapMW > 0))
    return usage("--power-cap-mw must be positive");
  if (args.deadlineMs && !(*args.deadlineMs > 0))
    return usage("--deadline-ms must be positive");
  if (!(args.batteryMWh > 0))
    return usage("--battery-mwh must be positive");
  if (!args.modelDir.empty()) {
    if (args.size <= 0 || args.size % 64)
      return usage("--size " + llvm::Twine(args.size) +
                   ": a positive multiple of 64 (the UNet halves the size/8 "
                   "latent three times)");
    if (!(args.guidance >= 1))
      return usage("--guidance must be at least 1");
    if (llvm::Expected<zoom::SchedulerKind> kind =
            zoom::parseSchedulerKind(args.scheduler);
        !kind)
      return usage("--scheduler " + args.scheduler + ": " +
                   llvm::toString(kind.takeError()));
    if (!args.dims.empty() || !args.shapes.empty())
      return usage("--dim and --shape bind the inputs of --model; "
                   "--model-dir's graphs get the zoom's shapes");
  }
  return 0;
}

/// The UNet calls of one key frame for a scheduler and step count.
llvm::Expected<size_t> countUnetCalls(const zoomcmd::ZoomModelDir &dir,
                                      llvm::StringRef scheduler,
                                      unsigned steps) {
  llvm::Expected<zoom::SchedulerKind> kind =
      zoom::parseSchedulerKind(scheduler);
  if (!kind)
    return kind.takeError();
  llvm::Expected<std::unique_ptr<zoom::Scheduler>> s =
      zoom::Scheduler::create(*kind, dir.scheduler, steps);
  if (!s)
    return s.takeError();
  return (*s)->getNumCalls();
}

/// Compiles the zoom's four graphs; fills \p shape.
llvm::Expected<std::vector<GraphCosts>>
compileZoomGraphs(const PlanArgs &args, const Target &target,
                  mlir::MLIRContext &ctx, ZoomShape &shape) {
  ZoomArgs zoomArgs;
  zoomArgs.modelDir = args.modelDir;
  zoomArgs.size = args.size;
  llvm::Expected<zoomcmd::ZoomModelDir> dir = zoomcmd::readModelDir(zoomArgs);
  if (!dir)
    return dir.takeError();
  if (dir->textWidth <= 0)
    return makeStringError(dir->textEncoder +
                           ": the output's width (last_hidden_state [1, 77, "
                           "D]) is not declared");
  llvm::Expected<size_t> calls =
      countUnetCalls(*dir, args.scheduler, args.steps);
  if (!calls)
    return calls.takeError();
  llvm::Expected<size_t> fewer = countUnetCalls(*dir, "dpm-solver++", 20);
  if (!fewer)
    return fewer.takeError();
  shape.zoom = true;
  shape.unetCalls = *calls;
  shape.fewerStepsCalls = *fewer;
  shape.unetBatch = args.guidance > 1 ? 2 : 1;
  shape.keyFrames = args.outpaintSteps + 1.0;
  shape.videoFrames = 1.0 + double(args.outpaintSteps) * args.interpFrames;

  int64_t size = args.size, latent = size / 8, batch = shape.unetBatch;
  std::vector<GraphCosts> graphs;
  auto compile = [&](llvm::StringRef name, const std::string &path,
                     const OnnxImportOptions &options) -> llvm::Error {
    llvm::Expected<GraphCosts> g =
        compileGraph(name, path, options, args, target, ctx);
    if (!g)
      return g.takeError();
    graphs.push_back(std::move(*g));
    return llvm::Error::success();
  };
  OnnxImportOptions text, unet, enc, dec;
  addShape(text, "input_ids", {1, zoomcmd::kSequenceLength});
  addShape(unet, "sample", {batch, 9, latent, latent});
  addShape(unet, "timestep",
           dir->timestepRank1 ? std::vector<int64_t>{1}
                              : std::vector<int64_t>{});
  addShape(unet, "encoder_hidden_states",
           {batch, zoomcmd::kSequenceLength, dir->textWidth});
  addShape(enc, "sample", {1, 3, size, size});
  addShape(dec, "latent_sample", {1, 4, latent, latent});
  if (llvm::Error e = compile("text_encoder", dir->textEncoder, text))
    return std::move(e);
  if (llvm::Error e = compile("vae_encoder", dir->vaeEncoder, enc))
    return std::move(e);
  if (llvm::Error e = compile("unet", dir->unet, unet))
    return std::move(e);
  if (llvm::Error e = compile("vae_decoder", dir->vaeDecoder, dec))
    return std::move(e);
  return graphs;
}

} // namespace

CLI::App *romac::driver::addPlanCommand(CLI::App &app, PlanArgs &args) {
  CLI::App *cmd = app.add_subcommand(
      "plan", "Energy, time and performance per watt of the zoom pipeline "
              "(or one model) on a target, lever by lever: DRAM-aware "
              "tiling and mapping, fusion, layer-wise frequency scaling, "
              "sparse painting, fewer steps (docs/plan.md)");
  cmd->add_option("--model-dir", args.modelDir,
                  "SD2-inpainting export: text_encoder/, unet/, vae_encoder/, "
                  "vae_decoder/ (as romac zoom)");
  cmd->add_option("--model", args.model,
                  "Or one ONNX model, run once per frame (a CNN)");
  cmd->add_option("--dim", args.dims,
                  "With --model: bind a symbolic dim NAME=N (repeatable)");
  cmd->add_option("--shape", args.shapes,
                  "With --model: an input's shape NAME=D0xD1x... "
                  "(repeatable)");
  cmd->add_option("-t,--target", args.target,
                  "Target name or YAML path (default edge-npu-lpddr4)");
  cmd->add_option("--steps", args.steps, "Scheduler steps per key frame")
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option(
      "--scheduler", args.scheduler,
      "pndm (default), ddim, dpm-solver++ or euler-a: how many UNet calls "
      "a key frame takes");
  cmd->add_option("--guidance", args.guidance,
                  "Classifier-free guidance scale (default 7.5; above 1 the "
                  "UNet runs at batch 2)");
  cmd->add_option("--outpaint-steps", args.outpaintSteps,
                  "Outpaint steps: key frames after the first (default 8)")
      ->check(CLI::Range(1u, 10000u));
  cmd->add_option("--interp-frames", args.interpFrames,
                  "Video frames per outpaint step (default 30)")
      ->check(CLI::Range(1u, 10000u));
  cmd->add_option("--fps", args.fps,
                  "The real-time goal in frames per second (default 30)")
      ->check(CLI::Range(1u, 240u));
  cmd->add_option("--size", args.size, "Frame side in pixels (default 512)");
  cmd->add_option("--battery-mwh", args.batteryMWh,
                  "Battery capacity for the battery life (default 15000)");
  cmd->add_option("--power-cap-mw", args.powerCapMW,
                  "Cap on the NPU's average power per layer: the plans "
                  "minimise time under it");
  cmd->add_option("--deadline-ms", args.deadlineMs,
                  "Time per video frame: the plans minimise energy under it");
  cmd->add_option("-o,--output", args.output,
                  "Write the plan JSON here ('-' for stdout; the table then "
                  "goes to stderr)");
  cmd->add_option("--threads", args.threads,
                  "Search threads: 0 (default) one per core");
  cmd->add_flag("-q,--quiet", args.quiet, "No progress lines");
  return cmd;
}

int romac::driver::runPlan(const PlanArgs &args) {
  if (int status = checkFlags(args))
    return status;
  llvm::Expected<Target> target = loadTarget(args.target);
  if (!target)
    return reportError("plan", target.takeError());
  llvm::Expected<PowerModel> power = PowerModel::get(*target);
  if (!power)
    return reportError("plan", power.takeError());
  if ((args.powerCapMW || args.deadlineMs) && !power->canScale())
    return reportError(
        "plan", makeStringError(target->sourcePath +
                                ": no dvfs table (--power-cap-mw and "
                                "--deadline-ms plan the clock per layer)"));
  // Before the graphs are searched: a cap below static power fits nothing.
  if (args.powerCapMW)
    if (llvm::Error e = checkPowerCap(*power, *args.powerCapMW))
      return reportError("plan", std::move(e));
  OutputSet outputs;
  if (!args.output.empty() && args.output != "-")
    if (llvm::Error e = outputs.checkFile(args.output))
      return reportError("plan", std::move(e));

  std::unique_ptr<llvm::ThreadPoolInterface> pool;
  std::unique_ptr<mlir::MLIRContext> context =
      makeSearchContext(args.threads, pool);
  mlir::MLIRContext &ctx = *context;
  DiagnosticPrinter printer(ctx, "plan");

  ZoomShape shape;
  std::vector<GraphCosts> graphs;
  if (!args.modelDir.empty()) {
    llvm::Expected<std::vector<GraphCosts>> zoomGraphs =
        compileZoomGraphs(args, *target, ctx, shape);
    if (!zoomGraphs)
      return reportError("plan", zoomGraphs.takeError());
    graphs = std::move(*zoomGraphs);
  } else {
    OnnxImportOptions options;
    if (!parseImportFlags("plan", args.dims, args.shapes, {}, options))
      return kUsageError;
    llvm::Expected<GraphCosts> g =
        compileGraph(llvm::sys::path::stem(args.model), args.model, options,
                     args, *target, ctx);
    if (!g)
      return reportError("plan", g.takeError());
    graphs.push_back(std::move(*g));
  }
  llvm::Expected<PlanResult> result =
      planLevers(args, graphs, *target, shape, *power);
  if (!result)
    return reportError("plan", result.takeError());

  bool jsonToStdout = args.output == "-";
  printTable(jsonToStdout ? llvm::errs() : llvm::outs(), args, *result,
             *target);
  if (args.output.empty())
    return 0;
  llvm::json::Value json = toJSON(args, *result, *target, graphs);
  if (llvm::Error e = outputs.addFile(args.output, [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", json) << "\n";
      }))
    return reportError("plan", std::move(e));
  if (llvm::Error e = outputs.commit())
    return reportError("plan", std::move(e));
  return 0;
}
