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
//                hash of model.so; a checksum of the record itself.
// Entries are written into a temporary folder and renamed into place; an
// entry that does not verify (truncated, corrupt, a changed weight file) is
// removed and rebuilt, never loaded.
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

#include <memory>
#include <string>

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

class ArtefactCache {
public:
  /// $ROMAC_CACHE_DIR, else $XDG_CACHE_HOME/romac, else $HOME/.cache/romac.
  static std::string getDefaultDirectory();

  explicit ArtefactCache(std::string directory);

  const std::string &getDirectory() const { return directory; }

  /// Creates the folder and checks that models can be linked (a C compiler
  /// driver and the model runtime are there); the error says what is
  /// missing.
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
  /// mapped file are referenced there, the others packed), then loads it.
  llvm::Expected<std::unique_ptr<Executable>>
  store(llvm::StringRef name, const CompiledObject &compiled);

  /// Removes every entry and remembered hash; returns how many entries.
  llvm::Expected<unsigned> clear();

private:
  std::string directory;
};

} // namespace romac

#endif // ROMAC_RUNTIME_ARTEFACTCACHE_H
