//===- PlanArenaTest.cpp - romac-plan-arena on real models -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ground truth for romac-plan-arena: shipped models go through the first
// half of the code generation pipeline (the IR `romac run` lowers), and a
// brute-force checker that shares no code with the pass proves that no two
// buffers of the arena that are live at the same time share a byte. Its
// aliases come from upstream's BufferViewFlowAnalysis (an unknown op's
// memref results alias all its memref operands), its live intervals from
// every use of every alias, and it compares every pair of buffers. A plan
// corrupted on purpose shows that it finds an overlap.
//
//===----------------------------------------------------------------------===//

#include "romac/Codegen/Passes.h"
#include "romac/Dialect/Romac/Transforms/Passes.h"
#include "romac/Import/ONNX.h"
#include "romac/InitRomac.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// One view of the arena, as the checker sees it.
struct CheckedBuffer {
  memref::ViewOp view;
  int64_t begin = 0, end = 0; // bytes [begin, end) of the arena
  int64_t first = 0, last = 0; // positions of the ops that use it
};

/// What the checker found in one function.
struct ArenaReport {
  int64_t arenaBytes = 0;
  int64_t liveBound = 0;
  int64_t buffers = 0;
  int64_t otherAllocs = 0;
  std::vector<std::string> errors;
};

/// Checks the arena of `func` from scratch; every broken rule is one line
/// of `errors`.
ArenaReport checkArena(func::FuncOp func) {
  ArenaReport report;
  Block &block = func.getBody().front();
  auto error = [&](const llvm::Twine &text) {
    if (report.errors.size() < 20)
      report.errors.push_back(text.str());
  };

  memref::AllocOp arena;
  for (auto alloc : block.getOps<memref::AllocOp>()) {
    bool viewed = llvm::any_of(alloc->getUsers(), [](Operation *user) {
      return isa<memref::ViewOp>(user);
    });
    if (!viewed) {
      ++report.otherAllocs;
      continue;
    }
    if (arena)
      error("two arenas");
    arena = alloc;
  }
  if (!arena)
    return report;
  report.arenaBytes = arena.getType().getNumElements();
  if (arena.getAlignment().value_or(0) < 64)
    error("the arena is not 64-byte aligned");

  DenseMap<Operation *, int64_t> positions;
  for (auto [position, op] : llvm::enumerate(block))
    positions[&op] = position;
  BufferViewFlowAnalysis aliases(func);

  std::vector<CheckedBuffer> buffers;
  for (Operation *user : arena->getUsers()) {
    if (isa<memref::DeallocOp>(user)) {
      if (user != block.getTerminator()->getPrevNode())
        error("the arena is freed before the end of the function");
      continue;
    }
    auto view = dyn_cast<memref::ViewOp>(user);
    if (!view) {
      error("the arena has a use that is not a view");
      continue;
    }
    CheckedBuffer buffer;
    buffer.view = view;
    std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
    MemRefType type = view.getType();
    if (!shift || !type.hasStaticShape()) {
      error("a view with a dynamic offset or shape");
      continue;
    }
    buffer.begin = *shift;
    buffer.end = *shift + type.getNumElements() *
                              ((type.getElementTypeBitWidth() + 7) / 8);
    if (buffer.begin % 64)
      error("offset " + llvm::Twine(buffer.begin) + " is not 64-byte aligned");
    if (buffer.begin < 0 || buffer.end > report.arenaBytes)
      error("a view ends past the arena");
    buffer.first = buffer.last = positions.lookup(view);
    bool used = false;
    for (Value alias : aliases.resolve(view.getResult())) {
      for (Operation *aliasUser : alias.getUsers()) {
        bool returned = aliasUser->hasTrait<OpTrait::ReturnLike>() &&
                        aliasUser->getBlock() == &block;
        if (returned || isa<memref::DeallocOp>(aliasUser))
          error("a view of the arena is freed or returned");
        Operation *top = block.findAncestorOpInBlock(*aliasUser);
        if (!top) {
          error("a view of the arena is used outside the function body");
          continue;
        }
        int64_t position = positions.lookup(top);
        if (!used)
          buffer.first = buffer.last = position;
        used = true;
        buffer.first = std::min(buffer.first, position);
        buffer.last = std::max(buffer.last, position);
      }
    }
    buffers.push_back(buffer);
  }
  report.buffers = buffers.size();

  // Every pair: overlapping bytes imply disjoint lifetimes.
  for (size_t i = 0; i < buffers.size(); ++i)
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const CheckedBuffer &a = buffers[i], &b = buffers[j];
      bool sameBytes = a.begin < b.end && b.begin < a.end;
      bool sameTime = a.first <= b.last && b.first <= a.last;
      if (sameBytes && sameTime)
        error("bytes [" + llvm::Twine(a.begin) + ", " + llvm::Twine(a.end) +
              ") live at ops " + llvm::Twine(a.first) + ".." +
              llvm::Twine(a.last) + " overlap [" + llvm::Twine(b.begin) +
              ", " + llvm::Twine(b.end) + ") live at ops " +
              llvm::Twine(b.first) + ".." + llvm::Twine(b.last));
    }

  // The most bytes live at one op, op by op.
  for (int64_t t = 0, e = block.getOperations().size(); t < e; ++t) {
    int64_t live = 0;
    for (const CheckedBuffer &buffer : buffers)
      if (buffer.first <= t && t <= buffer.last)
        live += buffer.end - buffer.begin;
    report.liveBound = std::max(report.liveBound, live);
  }
  auto attr = [&](StringRef name) -> int64_t {
    auto value = func->getAttrOfType<IntegerAttr>(name);
    return value ? value.getInt() : -1;
  };
  if (attr(romac::RomacDialect::getArenaBytesAttrName()) != report.arenaBytes)
    error("romac.arena_bytes is not the arena's size");
  if (attr(romac::RomacDialect::getArenaLowerBoundAttrName()) !=
      report.liveBound)
    error("romac.arena_lower_bound is not the most bytes live at one op");
  return report;
}

/// A shipped model imported with `shapes`, scheduled for `target` (none:
/// untiled, as `romac run --no-tile`), through the first half of the code
/// generation pipeline; its @main.
class PlanArenaModel : public ::testing::Test {
protected:
  PlanArenaModel() {
    DialectRegistry registry;
    romac::registerRomacDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  func::FuncOp compile(StringRef model,
                       ArrayRef<std::pair<std::string, SmallVector<int64_t>>>
                           shapes,
                       std::optional<std::string> target) {
    romac::OnnxImportOptions options;
    for (const auto &[name, shape] : shapes)
      options.shapes[name] = shape;
    std::string path = (llvm::Twine(ROMAC_SOURCE_DIR) + "/models/" + model).str();
    module = romac::importOnnxFile(path, ctx, options);
    if (!module)
      return nullptr;
    romac::CodegenPipelineOptions codegen;
    codegen.tile = target.has_value();
    PassManager pm(&ctx);
    if (target) {
      romac::CompilePipelineOptions search;
      search.target = *target;
      romac::buildCompilePipeline(pm, search);
    }
    romac::buildCodegenBufferizePipeline(pm, codegen);
    if (failed(pm.run(*module)))
      return nullptr;
    return module->lookupSymbol<func::FuncOp>("main");
  }

  /// Checks @main and prints what the arena holds.
  ArenaReport expectSoundArena(func::FuncOp main, StringRef what) {
    ArenaReport report = checkArena(main);
    for (const std::string &line : report.errors)
      ADD_FAILURE() << what.str() << ": " << line;
    llvm::outs() << what << ": " << report.buffers << " buffers in an arena of "
                 << report.arenaBytes << " bytes, " << report.liveBound
                 << " bytes live at most (" << report.otherAllocs
                 << " other allocations)\n";
    EXPECT_GT(report.buffers, 0);
    EXPECT_GE(report.arenaBytes, report.liveBound);
    return report;
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
};

TEST_F(PlanArenaModel, TinyUNetWithTheHostSchedule) {
  func::FuncOp main = compile(
      "sd2-inpainting/tiny/unet/model.onnx",
      {{"sample", {2, 9, 16, 16}}, {"encoder_hidden_states", {2, 16, 32}}},
      std::string("host"));
  ASSERT_TRUE(main);
  ArenaReport report = expectSoundArena(main, "tiny UNet, host");
  EXPECT_EQ(report.otherAllocs, 0);
}

TEST_F(PlanArenaModel, TinyVaeDecoderUntiled) {
  func::FuncOp main =
      compile("sd2-inpainting/tiny/vae_decoder/model.onnx",
              {{"latent_sample", {1, 4, 8, 8}}}, std::nullopt);
  ASSERT_TRUE(main);
  expectSoundArena(main, "tiny VAE decoder, untiled");
}

TEST_F(PlanArenaModel, LightInceptionWithAnAcceleratorSchedule) {
  // Concatenations: the branches write into views of one buffer.
  func::FuncOp main = compile("onnx-light/light_inception_v1.onnx", {},
                              std::string("edge-npu-lpddr4"));
  ASSERT_TRUE(main);
  expectSoundArena(main, "light Inception v1, edge-npu-lpddr4");
}

TEST_F(PlanArenaModel, LightResNetUntiled) {
  // Residual connections: a buffer read again several layers later.
  func::FuncOp main =
      compile("onnx-light/light_resnet50.onnx", {}, std::nullopt);
  ASSERT_TRUE(main);
  expectSoundArena(main, "light ResNet-50, untiled");
}

/// The checker is not vacuous: moving a buffer onto the bytes of another
/// that is live at the same time is caught.
TEST_F(PlanArenaModel, TheCheckerFindsAnOverlap) {
  func::FuncOp main = compile("onnx-light/light_resnet50.onnx", {},
                              std::nullopt);
  ASSERT_TRUE(main);
  ASSERT_TRUE(checkArena(main).errors.empty());
  // Two views used by one op (a layer reads one and writes the other).
  for (Operation &op : main.getBody().front()) {
    SmallVector<memref::ViewOp> operands;
    for (Value operand : op.getOperands())
      if (auto view = operand.getDefiningOp<memref::ViewOp>())
        if (!llvm::is_contained(operands, view))
          operands.push_back(view);
    if (operands.size() < 2)
      continue;
    OpBuilder builder(operands[0]);
    operands[0].getByteShiftMutable().assign(
        arith::ConstantIndexOp::create(builder, operands[0].getLoc(),
                                       *getConstantIntValue(
                                           operands[1].getByteShift())));
    break;
  }
  ArenaReport report = checkArena(main);
  EXPECT_TRUE(llvm::any_of(report.errors, [](const std::string &line) {
    return line.find("overlap") != std::string::npos;
  }));
}

} // namespace
