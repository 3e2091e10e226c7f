//===- CacheCommand.cpp - `romac cache` -------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The artefact cache of `romac run` (ArtefactCache.h) for its user: where it
// is, what it holds and how big it is, emptying it, and its size cap
// (docs/runtime.md, "The artefact cache").
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "Run.h"

#include "romac/Runtime/ArtefactCache.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <ctime>

using namespace romac;
using namespace romac::driver;

namespace {

/// "2026-12-07 18:20" in local time.
std::string formatTime(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &local);
  return text;
}

/// "20.0 GiB", or "no limit" for 0.
std::string formatLimit(uint64_t bytes) {
  return bytes ? ArtefactCache::formatSize(bytes) : "no limit";
}

int listCache(ArtefactCache &cache) {
  llvm::Expected<std::vector<CacheEntryInfo>> entries = cache.listEntries();
  if (!entries)
    return reportError("cache", entries.takeError());
  std::string source;
  llvm::Expected<uint64_t> limit = cache.getMaxSize(&source);
  if (!limit)
    return reportError("cache", limit.takeError());
  uint64_t total = 0;
  for (const CacheEntryInfo &e : *entries)
    total += e.bytes;
  llvm::outs() << llvm::formatv(
      "{0}: {1} {2}, {3} (limit {4}, from {5})\n", cache.getDirectory(),
      entries->size(), entries->size() == 1 ? "entry" : "entries",
      ArtefactCache::formatSize(total), formatLimit(*limit), source);
  if (entries->empty())
    return 0;
  llvm::outs() << llvm::formatv("{0,-16}  {1,10}  {2,-8}  {3}\n", "last used",
                                "size", "entry", "model");
  for (const CacheEntryInfo &e : *entries)
    llvm::outs() << llvm::formatv("{0,-16}  {1,10}  {2,-8}  {3}\n",
                                  formatTime(e.lastUsed),
                                  ArtefactCache::formatSize(e.bytes),
                                  llvm::StringRef(e.name).take_front(8),
                                  e.about.empty() ? "(not recorded)" : e.about);
  return 0;
}

int setCacheMaxSize(ArtefactCache &cache, llvm::StringRef text) {
  llvm::Expected<uint64_t> size = ArtefactCache::parseSize(text);
  if (!size)
    return reportError("cache", size.takeError());
  if (llvm::Error e = cache.setMaxSize(*size))
    return reportError("cache", std::move(e));
  std::string source;
  llvm::Expected<uint64_t> limit = cache.getMaxSize(&source);
  if (!limit)
    return reportError("cache", limit.takeError());
  llvm::outs() << "romac cache: " << cache.getDirectory()
               << (*size ? " is now limited to " + formatLimit(*size)
                         : std::string(" now has no size limit"))
               << "\n";
  if (source == "ROMAC_CACHE_MAX_SIZE")
    llvm::errs() << "romac cache: warning: ROMAC_CACHE_MAX_SIZE is set and "
                    "overrides it ("
                 << formatLimit(*limit) << ")\n";
  llvm::Expected<CacheTrimResult> trimmed = cache.trim(*limit);
  if (!trimmed)
    return reportError("cache", trimmed.takeError());
  if (trimmed->entries)
    llvm::outs() << llvm::formatv(
        "romac cache: removed the {0} least recently used {1} ({2})\n",
        trimmed->entries, trimmed->entries == 1 ? "entry" : "entries",
        ArtefactCache::formatSize(trimmed->bytes));
  return 0;
}

} // namespace

CLI::App *romac::driver::addCacheCommand(CLI::App &app, CacheArgs &args) {
  CLI::App *cache = app.add_subcommand(
      "cache", "The artefact cache of compiled models (romac run): its "
               "folder, its entries, emptying it, its size limit");
  cache
      ->add_option("action", args.action,
                   "dir: print the folder ($ROMAC_CACHE_DIR, else "
                   "$XDG_CACHE_HOME/romac, else ~/.cache/romac); list: the "
                   "entries, most recently used first, with their sizes and "
                   "models; clear: remove every entry; max-size [SIZE]: print "
                   "or set the size limit (20G by default, "
                   "$ROMAC_CACHE_MAX_SIZE overrides it; 0: none); the least "
                   "recently used entries go when a new one would exceed it")
      ->required()
      ->check(CLI::IsMember({"dir", "list", "clear", "max-size"}));
  cache->add_option("size", args.size,
                    "max-size's new limit: bytes, or with K, M, G, T (powers "
                    "of 1024), e.g. 20G, 512M, 1.5GiB; 0 for none");
  return cache;
}

int romac::driver::runCache(const CacheArgs &args) {
  ArtefactCache cache(ArtefactCache::getDefaultDirectory());
  if (cache.getDirectory().empty()) {
    llvm::errs() << "romac cache: error: no cache folder: set "
                    "ROMAC_CACHE_DIR or HOME\n";
    return 1;
  }
  if (!args.size.empty() && args.action != "max-size") {
    llvm::errs() << "romac cache: error: only max-size takes a value, '"
                 << args.action << "' does not\n";
    return 1;
  }
  if (args.action == "dir") {
    llvm::outs() << cache.getDirectory() << "\n";
    return 0;
  }
  if (args.action == "list")
    return listCache(cache);
  if (args.action == "max-size") {
    if (!args.size.empty())
      return setCacheMaxSize(cache, args.size);
    std::string source;
    llvm::Expected<uint64_t> limit = cache.getMaxSize(&source);
    if (!limit)
      return reportError("cache", limit.takeError());
    llvm::outs() << formatLimit(*limit) << " (from " << source << ")\n";
    return 0;
  }
  llvm::Expected<unsigned> removed = cache.clear();
  if (!removed)
    return reportError("cache", removed.takeError());
  llvm::outs() << "romac cache: removed " << *removed << " entries from "
               << cache.getDirectory() << "\n";
  return 0;
}
