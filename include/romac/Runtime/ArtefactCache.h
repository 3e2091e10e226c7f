//===- ArtefactCache.h - compiled models kept between runs ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `romac run` keeps every model it compiles as a shared object (Executable.h
// compileObject + linkSharedObject) in a cache folder, keyed by the model's
// content, the schedule, the options, romac's and LLVM's identity and the
// host CPU, so the second run of a model loads it without importing or
// compiling anything (docs/runtime.md, "The artefact cache").
//
// One entry, `DIR/v1/entries/KEY/`:
//   model.so     the shared object (its manifest holds the signature);
//   weights.bin  the weights that live in no file (packed, ModelABI.h);
//   entry.txt    per weight where it lives: in weights.bin, or at an offset
//                of a file the model memory-mapped (the ONNX model's
//                external data), with that file's content hash; the size and
//                hash of model.so; a checksum of the record itself;
//   about.txt    the model and its flags, for people (romac cache list).
// Entries are written into a temporary folder and renamed into place; an
// entry that does not verify (truncated, corrupt, a changed weight file) is
// removed and rebuilt, never loaded.
//
// Each entry also holds `about.txt` (one line: the model and the flags it was
// compiled with, for `romac cache list`). The folder's size is capped
// (getMaxSize: 20 GiB unless set): after a store, the entries used least
// recently are removed until the cache fits; an entry's last use is its
// folder's modification time, renewed by every hit.
//
// File hashes (xxh3-128 of the content) are remembered per path with the
// file's size, modification time and inode (`DIR/v1/stat/`), as ccache's
// direct mode does, so a 3.5 GB model is hashed once, not on every run.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_RUNTIME_ARTEFACTCACHE_H
#define ROMAC_RUNTIME_ARTEFACTCACHE_H

#include "romac/Runtime/Executable.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace romac {

/// What identifies a compiled model: named parts, in the order added.
class ArtefactKey {
public:
  /// Adds `name = value`.
  void add(llvm::StringRef name, llvm::StringRef value);
  /// The text of the key (one "name value" line per part).
  const std::string &getText() const { return text; }

private:
  std::string text;
};

/// One entry as `romac cache list` shows it.
struct CacheEntryInfo {
  std::string name;
  /// The bytes of its files (the memory-mapped weights it references in
  /// other files are not counted).
  uint64_t bytes = 0;
  std::chrono::system_clock::time_point lastUsed;
  /// about.txt's line, or "" for an entry without one.
  std::string about;
};

/// What trim() removed.
struct CacheTrimResult {
  unsigned entries = 0;
  uint64_t bytes = 0;
  /// The bytes of the entry trim() kept (0 when it listed no entries).
  uint64_t keptBytes = 0;
};

class ArtefactCache {
public:
  /// The size cap when neither $ROMAC_CACHE_MAX_SIZE nor `DIR/max-size`
  /// sets one.
  static constexpr uint64_t kDefaultMaxSize = uint64_t(20) << 30;

  /// Parses a size: a number of bytes, or a number (decimals allowed) with
  /// K, M, G or T (powers of 1024; KiB, MiB, GiB, TiB and lower case are
  /// the same). 0 means no cap. The error says what is wrong with `text`.
  static llvm::Expected<uint64_t> parseSize(llvm::StringRef text);
  /// `bytes` for people: "512 B", "1.5 KiB", "20.0 GiB".
  static std::string formatSize(uint64_t bytes);

  /// $ROMAC_CACHE_DIR, else $XDG_CACHE_HOME/romac, else $HOME/.cache/romac.
  static std::string getDefaultDirectory();

  explicit ArtefactCache(std::string directory);

  const std::string &getDirectory() const { return directory; }

  /// Creates the folder and checks that it is writable and that its size
  /// cap parses (getMaxSize); the error says what is wrong.
  llvm::Error checkUsable();

  /// The content hash of `path` (32 hex digits), computed again only when
  /// the file's size, modification time or inode changed.
  llvm::Expected<std::string> hashFile(llvm::StringRef path);

  /// The entry name of `key` extended by what identifies this compiler:
  /// romac's executable and runtime archives, LLVM's version, the host CPU
  /// and its features.
  llvm::Expected<std::string> getEntryName(const ArtefactKey &key);

  /// Loads the entry `name` (getEntryName). Null when there is none; an
  /// entry that does not verify is removed, `note` says why, and it counts
  /// as a miss.
  llvm::Expected<std::unique_ptr<Executable>> lookup(llvm::StringRef name,
                                                     std::string *note);

  /// Stores `compiled` as the entry `name` (weights that lie in a memory-
  /// mapped file are referenced there, the others packed) with `about` as
  /// its description, trims the cache to getMaxSize() (keeping this entry),
  /// then loads it. `note`, when given, says so when the entry alone is
  /// larger than the cap (it stays until the next store).
  llvm::Expected<std::unique_ptr<Executable>>
  store(llvm::StringRef name, const CompiledObject &compiled,
        llvm::StringRef about = "", std::string *note = nullptr);

  /// Removes every entry and remembered hash; returns how many entries.
  llvm::Expected<unsigned> clear();

  /// The size cap in bytes (0: none): $ROMAC_CACHE_MAX_SIZE, else the
  /// number in `DIR/max-size` (setMaxSize), else kDefaultMaxSize. `source`,
  /// when given, says which. A value that does not parse is an error
  /// naming the variable or the file.
  llvm::Expected<uint64_t> getMaxSize(std::string *source = nullptr) const;
  /// Writes `DIR/max-size` (kept by clear()).
  llvm::Error setMaxSize(uint64_t bytes);

  /// Every entry, the most recently used first.
  /// `readAbout` false leaves CacheEntryInfo::about empty (trim() needs
  /// only sizes and times).
  llvm::Expected<std::vector<CacheEntryInfo>>
  listEntries(bool readAbout = true) const;

  /// Removes the least recently used entries (never `keep`) until the
  /// entries take at most `limit` bytes (0: no cap), and staging folders
  /// left in `v1/tmp` by a process that died more than a day ago.
  llvm::Expected<CacheTrimResult> trim(uint64_t limit,
                                       llvm::StringRef keep = "");

private:
  /// Creates the folder and checks that it is writable.
  llvm::Error checkFolder();

  std::string directory;
};

} // namespace romac

#endif // ROMAC_RUNTIME_ARTEFACTCACHE_H
