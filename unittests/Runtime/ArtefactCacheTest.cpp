//===- ArtefactCacheTest.cpp - the cache of compiled models ------*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// ArtefactCache in a temporary folder: remembered file hashes, entry names,
// a model stored and loaded again (its outputs against plain loops), a
// corrupt entry removed instead of loaded, clear(). Also the shared object
// path of Executable (compileObject, linkSharedObject, load) without the
// cache.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/ArtefactCache.h"
#include "romac/InitRomac.h"
#include "romac/Runtime/Tensor.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/Chrono.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <optional>

using namespace mlir;
using namespace romac;

namespace {

/// A fresh folder, removed at the end of the test.
class TempDir {
public:
  TempDir() {
    EXPECT_FALSE(
        llvm::sys::fs::createUniqueDirectory("romac-cache-test", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string operator/(llvm::StringRef name) const {
    return (path + "/" + name).str();
  }
  std::string str() const { return path.str().str(); }

private:
  llvm::SmallString<128> path;
};

void writeFile(const std::string &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec);
  os << text;
}

/// Dates `path` back by an hour (a file written just now is hashed again on
/// every call, so that a write in the same mtime tick is not missed).
void makeOld(const std::string &path) {
  int fd;
  ASSERT_FALSE(llvm::sys::fs::openFileForWrite(
      path, fd, llvm::sys::fs::CD_OpenExisting, llvm::sys::fs::OF_Append));
  auto old = std::chrono::system_clock::now() - std::chrono::hours(1);
  EXPECT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
      fd, llvm::sys::toTimePoint(std::chrono::system_clock::to_time_t(old))));
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
}

TEST(ArtefactCache, FileHashesFollowContents) {
  TempDir dir;
  ArtefactCache cache(dir / "cache");
  ASSERT_FALSE(bool(cache.checkUsable()));
  std::string a = dir / "a.bin", b = dir / "b.bin";
  writeFile(a, "hello");
  writeFile(b, "hello");
  auto ha = cache.hashFile(a), hb = cache.hashFile(b);
  ASSERT_TRUE(ha && hb);
  EXPECT_EQ(*ha, *hb);
  EXPECT_EQ(ha->size(), 32u);
  writeFile(b, "hello!");
  auto hb2 = cache.hashFile(b);
  ASSERT_TRUE(bool(hb2));
  EXPECT_NE(*hb2, *hb);
  // An old file's hash is remembered (one record in v1/stat).
  makeOld(a);
  ASSERT_TRUE(bool(cache.hashFile(a)));
  std::error_code ec;
  int records = 0;
  for (llvm::sys::fs::directory_iterator it(dir / "cache/v1/stat", ec), end;
       !ec && it != end; it.increment(ec))
    ++records;
  EXPECT_EQ(records, 1);
  EXPECT_FALSE(bool(cache.hashFile(dir / "missing.bin")));
}

TEST(ArtefactCache, EntryNamesFollowKeys) {
  TempDir dir;
  ArtefactCache cache(dir / "cache");
  ASSERT_FALSE(bool(cache.checkUsable()));
  ArtefactKey k1, k2, k3;
  k1.add("model", "abc");
  k2.add("model", "abc");
  k3.add("model", "abd");
  auto n1 = cache.getEntryName(k1), n2 = cache.getEntryName(k2),
       n3 = cache.getEntryName(k3);
  ASSERT_TRUE(n1 && n2 && n3);
  EXPECT_EQ(*n1, *n2);
  EXPECT_NE(*n1, *n3);
}

/// y[3x8] = x[3x16] * w[16x8] with a 512-byte weight; `w` receives it.
OwningOpRef<ModuleOp> parseWeightedMatmul(MLIRContext &ctx,
                                          std::vector<float> &w) {
  std::string values;
  w.resize(16 * 8);
  for (int i = 0; i < 16 * 8; ++i) {
    w[i] = 0.25f * (i % 7) - 0.5f;
    values += (i ? ", " : "") + llvm::formatv("{0:e}", w[i]).str();
  }
  std::string source = R"mlir(
    func.func @main(%x: tensor<3x16xf32> {onnx.name = "x"})
        -> (tensor<3x8xf32> {onnx.name = "y"}) {
      %w = arith.constant dense<[)mlir" +
                       values + R"mlir(]> : tensor<128xf32>
      %w2 = tensor.expand_shape %w [[0, 1]] output_shape [16, 8] : tensor<128xf32> into tensor<16x8xf32>
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<3x8xf32>
      %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x8xf32>) -> tensor<3x8xf32>
      %y = linalg.matmul ins(%x, %w2 : tensor<3x16xf32>, tensor<16x8xf32>)
           outs(%init : tensor<3x8xf32>) -> tensor<3x8xf32>
      return %y : tensor<3x8xf32>
    })mlir";
  return parseSourceString<ModuleOp>(source, &ctx);
}

/// The weighted matmul compiled to objects (compileObject), with the
/// context its module lives in.
struct CompiledMatmul {
  static DialectRegistry romacDialects() {
    DialectRegistry registry;
    registerRomacDialects(registry);
    return registry;
  }
  MLIRContext ctx{romacDialects()};
  std::vector<float> w;
  OwningOpRef<ModuleOp> module;
  std::optional<CompiledObject> compiled;
};

void compileMatmul(CompiledMatmul &m) {
  m.module = parseWeightedMatmul(m.ctx, m.w);
  ASSERT_TRUE(m.module);
  auto compiled = compileObject(*m.module);
  ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
  m.compiled = std::move(*compiled);
}

/// Runs `exe` on a random x and checks y against plain loops.
void expectMatmul(Executable &exe, const std::vector<float> &w) {
  ASSERT_EQ(exe.getInputs().size(), 1u);
  EXPECT_EQ(exe.getInputs()[0].str(), "x: float32[3, 16]");
  EXPECT_EQ(exe.getOutputs()[0].str(), "y: float32[3, 8]");
  EXPECT_EQ(exe.getWeightBytes(), 512);
  Tensor x = makeRandomTensor(ElementType::F32, {3, 16}, 3);
  Tensor y(ElementType::F32, {3, 8});
  ASSERT_FALSE(bool(exe.run({x.data()}, {y.data()})));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 8; ++j) {
      double ref = 0;
      for (int k = 0; k < 16; ++k)
        ref += double(x.dataAs<float>()[i * 16 + k]) * w[k * 8 + j];
      EXPECT_NEAR(y.dataAs<float>()[i * 8 + j], ref, 1e-5);
    }
}

TEST(ArtefactCache, StoredModelsLoadAndCorruptOnesAreRebuilt) {
  TempDir dir;
  ArtefactCache cache(dir / "cache");
  ASSERT_FALSE(bool(cache.checkUsable()));
  CompiledMatmul m;
  ASSERT_NO_FATAL_FAILURE(compileMatmul(m));
  const std::vector<float> &w = m.w;
  std::optional<CompiledObject> &compiled = m.compiled;
  ASSERT_EQ(compiled->weights.size(), 1u);

  std::string note;
  auto miss = cache.lookup("entry", &note);
  ASSERT_TRUE(miss && !*miss);
  EXPECT_EQ(note, "");
  auto stored = cache.store("entry", *compiled);
  ASSERT_TRUE(bool(stored)) << llvm::toString(stored.takeError());
  expectMatmul(**stored, w);
  auto hit = cache.lookup("entry", &note);
  ASSERT_TRUE(hit && *hit);
  expectMatmul(**hit, w);

  // A corrupt library is not loaded: the entry goes, the lookup misses.
  // (A truncated copy replaces it: this process has the library mapped.)
  std::string so = dir / "cache/v1/entries/entry/model.so";
  auto library = llvm::MemoryBuffer::getFile(so);
  ASSERT_TRUE(bool(library));
  writeFile(so + ".new", (*library)->getBuffer().take_front(100));
  ASSERT_FALSE(llvm::sys::fs::rename(so + ".new", so));
  auto corrupt = cache.lookup("entry", &note);
  ASSERT_TRUE(corrupt && !*corrupt);
  EXPECT_EQ(note, "the cache entry did not verify (model.so is truncated or "
                  "corrupt) and was removed");
  EXPECT_FALSE(llvm::sys::fs::exists(dir / "cache/v1/entries/entry"));

  ASSERT_TRUE(bool(cache.store("entry", *compiled)));
  auto cleared = cache.clear();
  ASSERT_TRUE(bool(cleared));
  EXPECT_EQ(*cleared, 1u);
  EXPECT_FALSE(llvm::sys::fs::exists(dir / "cache/v1"));
}

TEST(ArtefactCache, SizesParseAndPrint) {
  auto parse = [](llvm::StringRef text) -> int64_t {
    llvm::Expected<uint64_t> size = ArtefactCache::parseSize(text);
    if (!size) {
      llvm::consumeError(size.takeError());
      return -1;
    }
    return static_cast<int64_t>(*size);
  };
  EXPECT_EQ(parse("0"), 0);
  EXPECT_EQ(parse("4096"), 4096);
  EXPECT_EQ(parse("512M"), int64_t(512) << 20);
  EXPECT_EQ(parse("20G"), int64_t(20) << 30);
  EXPECT_EQ(parse(" 20 gib\n"), int64_t(20) << 30);
  EXPECT_EQ(parse("1.5GiB"), int64_t(3) << 29);
  EXPECT_EQ(parse("2t"), int64_t(2) << 40);
  EXPECT_EQ(parse("3kb"), 3072);
  for (llvm::StringRef bad : {"", "G", "-1G", "1.5x", "1e3", "20 G B", "1..2"})
    EXPECT_EQ(parse(bad), -1) << bad.str();
  auto error = ArtefactCache::parseSize("1.5x");
  ASSERT_FALSE(bool(error));
  EXPECT_EQ(llvm::toString(error.takeError()),
            "'1.5x' is not a size (unknown unit 'x'; e.g. 20G, 512M, 1.5GiB, "
            "or 0 for no limit)");
  EXPECT_EQ(ArtefactCache::formatSize(1023), "1023 B");
  EXPECT_EQ(ArtefactCache::formatSize(1536), "1.5 KiB");
  EXPECT_EQ(ArtefactCache::formatSize(uint64_t(20) << 30), "20.0 GiB");
}

TEST(ArtefactCache, LeastRecentlyUsedEntriesGoFirst) {
  TempDir dir;
  ArtefactCache cache(dir / "cache");
  ASSERT_FALSE(bool(cache.checkUsable()));
  // The size cap: the default, then the folder's file; an environment
  // variable would override both (not set in this test's process unless the
  // user set it: then skip the default's check).
  std::string source;
  bool envSet = std::getenv("ROMAC_CACHE_MAX_SIZE") != nullptr;
  if (!envSet) {
    auto limit = cache.getMaxSize(&source);
    ASSERT_TRUE(bool(limit));
    EXPECT_EQ(*limit, ArtefactCache::kDefaultMaxSize);
    EXPECT_EQ(source, "the default");
    ASSERT_FALSE(bool(cache.setMaxSize(0)));
    limit = cache.getMaxSize(&source);
    ASSERT_TRUE(bool(limit));
    EXPECT_EQ(*limit, 0u);
    EXPECT_EQ(source, dir / "cache/max-size");
    writeFile(dir / "cache/max-size", "lots");
    limit = cache.getMaxSize();
    ASSERT_FALSE(bool(limit));
    EXPECT_EQ(llvm::toString(limit.takeError()),
              "'" + dir / "cache/max-size" +
                  "': 'lots' is not a size (no number; e.g. 20G, 512M, "
                  "1.5GiB, or 0 for no limit)");
    EXPECT_TRUE(bool(cache.checkUsable())) << "a bad cap makes it unusable";
    ASSERT_FALSE(bool(cache.setMaxSize(0)));
  }

  CompiledMatmul m;
  ASSERT_NO_FATAL_FAILURE(compileMatmul(m));
  const std::vector<float> &w = m.w;
  std::optional<CompiledObject> &compiled = m.compiled;
  // Three entries used at known times: a two hours ago, b one hour ago, c
  // now.
  for (const char *name : {"a", "b", "c"}) {
    auto stored = cache.store(name, *compiled, std::string("model ") + name);
    ASSERT_TRUE(stored && *stored);
  }
  auto setUsed = [&](const char *name, int hoursAgo) {
    std::string path = dir / ("cache/v1/entries/" + std::string(name));
    auto t = std::chrono::system_clock::now() - std::chrono::hours(hoursAgo);
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = std::chrono::system_clock::to_time_t(t);
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  };
  setUsed("a", 2);
  setUsed("b", 1);
  auto names = [&] {
    std::vector<std::string> out;
    auto entries = cache.listEntries();
    EXPECT_TRUE(bool(entries));
    if (entries)
      for (const CacheEntryInfo &e : *entries)
        out.push_back(e.name + ":" + e.about);
    return out;
  };
  EXPECT_EQ(names(),
            (std::vector<std::string>{"c:model c", "b:model b", "a:model a"}));
  // A hit is a use: a becomes the most recent.
  std::string note;
  auto hit = cache.lookup("a", &note);
  ASSERT_TRUE(hit && *hit);
  EXPECT_EQ(names(),
            (std::vector<std::string>{"a:model a", "c:model c", "b:model b"}));
  auto entries = cache.listEntries();
  ASSERT_TRUE(bool(entries));
  uint64_t one = (*entries)[0].bytes;
  EXPECT_GT(one, 1000u);
  for (const CacheEntryInfo &e : *entries)
    EXPECT_EQ(e.bytes, one) << "the same model in each entry";

  // Room for two entries: the least recently used one (b) goes.
  auto trimmed = cache.trim(2 * one);
  ASSERT_TRUE(bool(trimmed));
  EXPECT_EQ(trimmed->entries, 1u);
  EXPECT_EQ(trimmed->bytes, one);
  EXPECT_EQ(names(), (std::vector<std::string>{"a:model a", "c:model c"}));
  // No cap: nothing goes. A cap below one entry: all but `keep` go.
  trimmed = cache.trim(0);
  ASSERT_TRUE(trimmed && trimmed->entries == 0);
  trimmed = cache.trim(1, "a");
  ASSERT_TRUE(trimmed && trimmed->entries == 1);
  EXPECT_EQ(trimmed->keptBytes, one) << "the kept entry's size";
  EXPECT_EQ(names(), (std::vector<std::string>{"a:model a"}));

  // store() trims to the cap and keeps the entry it stored, even when that
  // entry alone exceeds it. A staging folder older than a day goes too.
  if (!envSet) {
    ASSERT_FALSE(bool(cache.setMaxSize(one)));
    ASSERT_FALSE(llvm::sys::fs::create_directories(dir / "cache/v1/tmp/old"));
    ASSERT_FALSE(llvm::sys::fs::create_directories(dir / "cache/v1/tmp/new"));
    std::string old = dir / "cache/v1/tmp/old";
    struct timespec times[2] = {{0, 0}, {0, 0}};
    times[0].tv_sec = times[1].tv_sec = std::time(nullptr) - 2 * 24 * 3600;
    ASSERT_EQ(::utimensat(AT_FDCWD, old.c_str(), times, 0), 0);
    auto stored = cache.store("d", *compiled);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ(names(), (std::vector<std::string>{"d:"}));
    EXPECT_FALSE(llvm::sys::fs::exists(old));
    EXPECT_TRUE(llvm::sys::fs::exists(dir / "cache/v1/tmp/new"));
    // clear() keeps the cap.
    ASSERT_TRUE(bool(cache.clear()));
    auto limit = cache.getMaxSize();
    ASSERT_TRUE(limit && *limit == one);
  }
}

TEST(ArtefactCache, LibraryWithPackedWeights) {
  // The --emit-library path without the cache: a shared object and a packed
  // weights file; load() binds the weights read back from that file.
  TempDir dir;
  CompiledMatmul m;
  ASSERT_NO_FATAL_FAILURE(compileMatmul(m));
  const std::vector<float> &w = m.w;
  std::optional<CompiledObject> &compiled = m.compiled;
  ASSERT_FALSE(bool(linkSharedObject(compiled->objects, dir / "m.so")));
  ASSERT_FALSE(bool(writeWeightsFile(*compiled, dir / "m.weights")));
  auto buffer = llvm::MemoryBuffer::getFile(dir / "m.weights");
  ASSERT_TRUE(bool(buffer));
  llvm::StringRef bytes = (*buffer)->getBuffer();
  ASSERT_TRUE(bytes.starts_with("ROMACWT1"));
  uint64_t offset;
  std::memcpy(&offset, bytes.data() + 24, 8);
  EXPECT_EQ(offset % 64, 0u);
  std::shared_ptr<llvm::MemoryBuffer> keep = std::move(*buffer);
  auto exe =
      Executable::load(dir / "m.so", {keep->getBufferStart() + offset}, {keep});
  ASSERT_TRUE(bool(exe)) << llvm::toString(exe.takeError());
  expectMatmul(**exe, w);
  // A wrong number of weights is an error, not a crash.
  auto wrong = Executable::load(dir / "m.so", {});
  ASSERT_FALSE(bool(wrong));
  EXPECT_EQ(llvm::toString(wrong.takeError()),
            dir / "m.so" + ": the model has 1 weights, 0 were given");
}

} // namespace
