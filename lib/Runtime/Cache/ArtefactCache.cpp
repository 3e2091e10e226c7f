//===- ArtefactCache.cpp - compiled models kept between runs ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The entries and the remembered file hashes of ArtefactCache.h. Weights that
// lie in a memory-mapped file are found through /proc/self/maps (the
// importer maps the ONNX model's external data), so the cache references
// them there instead of copying gigabytes.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/ArtefactCache.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>

using namespace romac;

namespace {

constexpr llvm::StringLiteral kEntryHeader = "romac-cache-entry 1";

std::string hex128(llvm::ArrayRef<uint8_t> data) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(data);
  return llvm::formatv("{0:x-16}{1:x-16}", h.high64, h.low64).str();
}

std::string hex128(llvm::StringRef text) {
  return hex128(llvm::ArrayRef<uint8_t>(text.bytes_begin(), text.size()));
}

/// Writes `text` to `path` through a temporary file and a rename.
llvm::Error writeAtomically(llvm::StringRef path, llvm::StringRef text) {
  llvm::SmallString<256> staged;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + "-%%%%%%.tmp", staged))
    return llvm::createFileError(path, ec);
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(staged, ec);
    if (!ec) {
      os << text;
      os.close();
      ec = os.error();
    }
  }
  if (!ec)
    ec = llvm::sys::fs::rename(staged, path);
  if (ec) {
    llvm::sys::fs::remove(staged);
    return llvm::createFileError(path, ec);
  }
  return llvm::Error::success();
}

/// A file's identity for the remembered hash: size, mtime (ns), inode,
/// device.
std::optional<std::string> statIdentity(llvm::StringRef path) {
  struct stat st;
  if (::stat(path.str().c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  return llvm::formatv("{0} {1}.{2:d9} {3} {4}", st.st_size, st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec, st.st_ino, st.st_dev)
      .str();
}

/// Whether `path` was modified in the last two seconds (a write in the same
/// mtime tick could go unnoticed: such a hash is not remembered).
bool isRecent(llvm::StringRef path) {
  struct stat st;
  if (::stat(path.str().c_str(), &st) != 0)
    return true;
  return std::llabs(static_cast<long long>(std::time(nullptr)) -
                    static_cast<long long>(st.st_mtim.tv_sec)) < 2;
}

/// Where a weight's bytes lie in a mapped file.
struct FileSpan {
  std::string path;
  uint64_t offset = 0;
};

/// The regular file mapped at `data` in this process (/proc/self/maps),
/// with the offset of `data` in it; nothing for heap data.
std::optional<FileSpan> findMappedFile(const void *data, size_t bytes) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto address = reinterpret_cast<uintptr_t>(data);
  while (std::getline(maps, line)) {
    // start-end perms offset dev inode path
    llvm::SmallVector<llvm::StringRef, 6> fields;
    llvm::StringRef(line).split(fields, ' ', 5, /*KeepEmpty=*/false);
    if (fields.size() < 6)
      continue;
    auto [startText, endText] = fields[0].split('-');
    uint64_t start, end, offset;
    if (startText.getAsInteger(16, start) || endText.getAsInteger(16, end) ||
        fields[2].getAsInteger(16, offset))
      continue;
    if (address < start || address + bytes > end)
      continue;
    llvm::StringRef path = fields[5].trim();
    if (!path.starts_with("/") || path.ends_with("(deleted)"))
      return std::nullopt;
    if (!llvm::sys::fs::is_regular_file(path))
      return std::nullopt;
    return FileSpan{path.str(), offset + (address - start)};
  }
  return std::nullopt;
}

/// One weight of an entry: in weights.bin (file < 0) or at `offset` of
/// dependency `file`.
struct WeightRecord {
  int file = -1;
  uint64_t offset = 0, bytes = 0;
};

/// entry.txt, parsed.
struct EntryRecord {
  uint64_t soBytes = 0;
  std::string soHash;
  /// Dependencies: (content hash, path).
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<WeightRecord> weights;
};

std::string printEntry(const EntryRecord &e) {
  std::string s = kEntryHeader.str() + "\n";
  s += llvm::formatv("so {0} {1}\n", e.soBytes, e.soHash).str();
  for (const auto &[hash, path] : e.files)
    s += "file " + hash + " " + path + "\n";
  for (const WeightRecord &w : e.weights)
    s += w.file < 0 ? llvm::formatv("weight packed {0}\n", w.bytes).str()
                    : llvm::formatv("weight file {0} {1} {2}\n", w.file,
                                    w.offset, w.bytes)
                          .str();
  return s + "end " + hex128(s) + "\n";
}

llvm::Expected<EntryRecord> parseEntry(llvm::StringRef text) {
  auto corrupt = [](const llvm::Twine &what) {
    return makeStringError("entry.txt: " + what);
  };
  size_t endAt = text.rfind("\nend ");
  if (!text.starts_with(kEntryHeader) || endAt == llvm::StringRef::npos)
    return corrupt("truncated");
  llvm::StringRef body = text.take_front(endAt + 1);
  if (text.drop_front(endAt + 5).trim() != hex128(body))
    return corrupt("checksum mismatch");
  EntryRecord e;
  llvm::SmallVector<llvm::StringRef> lines;
  body.split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : llvm::drop_begin(lines)) {
    auto [key, rest] = line.split(' ');
    llvm::SmallVector<llvm::StringRef, 4> f;
    rest.split(f, ' ', 3);
    bool bad = false;
    if (key == "so" && f.size() == 2) {
      bad = f[0].getAsInteger(10, e.soBytes);
      e.soHash = f[1].str();
    } else if (key == "file" && f.size() >= 2) {
      auto [hash, path] = rest.split(' ');
      e.files.emplace_back(hash.str(), path.str());
    } else if (key == "weight" && f.size() == 2 && f[0] == "packed") {
      WeightRecord w;
      bad = f[1].getAsInteger(10, w.bytes);
      e.weights.push_back(w);
    } else if (key == "weight" && f.size() == 4 && f[0] == "file") {
      WeightRecord w;
      bad = f[1].getAsInteger(10, w.file) || f[2].getAsInteger(10, w.offset) ||
            f[3].getAsInteger(10, w.bytes) || w.file < 0 ||
            w.file >= static_cast<int>(e.files.size());
      e.weights.push_back(w);
    } else {
      bad = true;
    }
    if (bad)
      return corrupt("bad line '" + line + "'");
  }
  return e;
}

/// Maps `path` read-only (mmap for large files).
llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
mapFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createFileError(path, buffer.getError());
  return std::shared_ptr<llvm::MemoryBuffer>(std::move(*buffer));
}

/// The bytes `[offset, offset + bytes)` of `buffer`, or an error.
llvm::Expected<const void *> span(const llvm::MemoryBuffer &buffer,
                                  uint64_t offset, uint64_t bytes,
                                  llvm::StringRef what) {
  uint64_t size = buffer.getBufferSize();
  if (offset > size || size - offset < bytes)
    return makeStringError(what + " is shorter than the weights it holds");
  return static_cast<const void *>(buffer.getBufferStart() + offset);
}

/// Sets the modification time of `path` to now (an entry's last use);
/// failures are ignored (a read-only cache still loads).
void touch(const std::string &path) {
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

/// The bytes of the regular files under `dir`.
uint64_t folderBytes(const std::string &dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      bytes += st.st_size;
  }
  return bytes;
}

std::chrono::system_clock::time_point
modificationTime(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return {};
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) +
          std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

} // namespace

llvm::Expected<uint64_t> ArtefactCache::parseSize(llvm::StringRef text) {
  llvm::StringRef t = text.trim();
  auto bad = [&](const llvm::Twine &why) {
    return makeStringError("'" + t + "' is not a size (" + why +
                           "; e.g. 20G, 512M, 1.5GiB, or 0 for no limit)");
  };
  size_t digits = t.find_first_not_of("0123456789.");
  llvm::StringRef number = t.take_front(digits),
                  unit = t.drop_front(number.size()).trim();
  double value;
  if (number.empty() || number.getAsDouble(value) || !(value >= 0))
    return bad("no number");
  static const std::pair<llvm::StringRef, int> units[] = {
      {"", 0},    {"b", 0},  {"k", 1},   {"kb", 1}, {"kib", 1},
      {"m", 2},   {"mb", 2}, {"mib", 2}, {"g", 3},  {"gb", 3},
      {"gib", 3}, {"t", 4},  {"tb", 4},  {"tib", 4}};
  std::string lower = unit.lower();
  const auto *found =
      llvm::find_if(units, [&](const auto &u) { return u.first == lower; });
  if (found == std::end(units))
    return bad("unknown unit '" + unit + "'");
  double bytes = value * std::pow(1024.0, found->second);
  if (bytes >= 18e18)
    return bad("too large");
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string ArtefactCache::formatSize(uint64_t bytes) {
  static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024)
    return llvm::formatv("{0} B", bytes).str();
  double value = bytes / 1024.0;
  int u = 0;
  while (value >= 1024 && u < 3) {
    value /= 1024;
    ++u;
  }
  return llvm::formatv("{0:f1} {1}", value, units[u]).str();
}

llvm::Expected<uint64_t> ArtefactCache::getMaxSize(std::string *source) const {
  if (const char *env = std::getenv("ROMAC_CACHE_MAX_SIZE"); env && *env) {
    if (source)
      *source = "ROMAC_CACHE_MAX_SIZE";
    llvm::Expected<uint64_t> size = parseSize(env);
    if (!size)
      return makeStringError("ROMAC_CACHE_MAX_SIZE: " +
                             llvm::toString(size.takeError()));
    return size;
  }
  std::string file = directory + "/max-size";
  auto text = llvm::MemoryBuffer::getFile(file);
  if (!text) {
    if (source)
      *source = "the default";
    return kDefaultMaxSize;
  }
  if (source)
    *source = file;
  llvm::Expected<uint64_t> size = parseSize((*text)->getBuffer());
  if (!size)
    return llvm::createFileError(file, size.takeError());
  return size;
}

llvm::Error ArtefactCache::setMaxSize(uint64_t bytes) {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return llvm::createFileError(directory, ec);
  return writeAtomically(directory + "/max-size", std::to_string(bytes) + "\n");
}

llvm::Expected<std::vector<CacheEntryInfo>>
ArtefactCache::listEntries(bool readAbout) const {
  std::vector<CacheEntryInfo> entries;
  std::string root = directory + "/v1/entries";
  if (!llvm::sys::fs::is_directory(root))
    return entries;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!llvm::sys::fs::is_directory(it->path()))
      continue;
    CacheEntryInfo info;
    info.name = llvm::sys::path::filename(it->path()).str();
    info.bytes = folderBytes(it->path());
    info.lastUsed = modificationTime(it->path());
    if (readAbout)
      if (auto about = llvm::MemoryBuffer::getFile(it->path() + "/about.txt"))
        info.about = (*about)->getBuffer().split('\n').first.str();
    entries.push_back(std::move(info));
  }
  if (ec)
    return llvm::createFileError(root, ec);
  // Most recent first; equal times by name, so the order is the same on
  // every call.
  llvm::sort(entries, [](const CacheEntryInfo &a, const CacheEntryInfo &b) {
    return a.lastUsed != b.lastUsed ? a.lastUsed > b.lastUsed : a.name < b.name;
  });
  return entries;
}

llvm::Expected<CacheTrimResult> ArtefactCache::trim(uint64_t limit,
                                                    llvm::StringRef keep) {
  CacheTrimResult result;
  // Staging folders of processes that died while storing.
  std::error_code ec;
  auto dayAgo = std::chrono::system_clock::now() - std::chrono::hours(24);
  for (llvm::sys::fs::directory_iterator it(directory + "/v1/tmp", ec), end;
       !ec && it != end; it.increment(ec))
    if (modificationTime(it->path()) < dayAgo)
      llvm::sys::fs::remove_directories(it->path());
  if (limit == 0)
    return result;
  llvm::Expected<std::vector<CacheEntryInfo>> entries =
      listEntries(/*readAbout=*/false);
  if (!entries)
    return entries.takeError();
  uint64_t total = 0;
  for (const CacheEntryInfo &e : *entries) {
    total += e.bytes;
    if (e.name == keep)
      result.keptBytes = e.bytes;
  }
  for (const CacheEntryInfo &e : llvm::reverse(*entries)) {
    if (total <= limit)
      break;
    if (e.name == keep)
      continue;
    if (std::error_code rm = llvm::sys::fs::remove_directories(
            directory + "/v1/entries/" + e.name))
      return llvm::createFileError(directory + "/v1/entries/" + e.name, rm);
    total -= e.bytes;
    ++result.entries;
    result.bytes += e.bytes;
  }
  return result;
}

void ArtefactKey::add(llvm::StringRef name, llvm::StringRef value) {
  text += name.str() + " " + value.str() + "\n";
}

std::string ArtefactCache::getDefaultDirectory() {
  if (const char *dir = std::getenv("ROMAC_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (llvm::Twine(xdg) + "/romac").str();
  if (const char *home = std::getenv("HOME"); home && *home)
    return (llvm::Twine(home) + "/.cache/romac").str();
  return "";
}

ArtefactCache::ArtefactCache(std::string directory)
    : directory(std::move(directory)) {}

llvm::Error ArtefactCache::checkUsable() {
  if (llvm::Error e = checkFolder())
    return e;
  llvm::Expected<uint64_t> limit = getMaxSize();
  if (!limit)
    return limit.takeError();
  return llvm::Error::success();
}

llvm::Error ArtefactCache::checkFolder() {
  if (directory.empty())
    return makeStringError("no cache folder: set ROMAC_CACHE_DIR or HOME");
  for (const char *sub : {"/v1/entries", "/v1/stat", "/v1/tmp"})
    if (std::error_code ec = llvm::sys::fs::create_directories(directory + sub))
      return llvm::createFileError(directory + sub, ec);
  if (llvm::sys::fs::access(directory + "/v1/entries",
                            llvm::sys::fs::AccessMode::Write))
    return makeStringError(directory + ": the cache folder is not writable");
  return llvm::Error::success();
}

llvm::Expected<std::string> ArtefactCache::hashFile(llvm::StringRef path) {
  llvm::SmallString<256> real;
  if (std::error_code ec = llvm::sys::fs::real_path(path, real))
    return llvm::createFileError(path, ec);
  std::optional<std::string> identity = statIdentity(real);
  if (!identity)
    return makeStringError(path + ": not a regular file");
  std::string record =
      directory + "/v1/stat/" + hex128(llvm::StringRef(real)).substr(0, 24);
  if (auto buffer = llvm::MemoryBuffer::getFile(record)) {
    // "<identity>\n<hash>\n<path>\n"
    llvm::SmallVector<llvm::StringRef, 3> lines;
    (*buffer)->getBuffer().split(lines, '\n', 3, /*KeepEmpty=*/false);
    if (lines.size() == 3 && lines[0] == *identity && lines[2] == real &&
        lines[1].size() == 32)
      return lines[1].str();
  }
  auto buffer = mapFile(real);
  if (!buffer)
    return buffer.takeError();
  std::string hash = hex128(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
      (*buffer)->getBufferSize()));
  // Remembered only while the file is unchanged and not being written.
  if (statIdentity(real) == identity && !isRecent(real))
    llvm::consumeError(writeAtomically(record, *identity + "\n" + hash + "\n" +
                                                   real.str().str() + "\n"));
  return hash;
}

llvm::Expected<std::string>
ArtefactCache::getEntryName(const ArtefactKey &key) {
  ArtefactKey full = key;
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::Expected<std::string> exeHash = hashFile(exe);
  if (!exeHash)
    return exeHash.takeError();
  full.add("compiler", *exeHash);
  full.add("llvm", LLVM_VERSION_STRING);
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> enabled;
  for (const auto &f : features)
    if (f.getValue())
      enabled.push_back(f.getKey().str());
  llvm::sort(enabled);
  full.add("cpu", llvm::sys::getHostCPUName());
  full.add("cpu-features", llvm::join(enabled, ","));
  return hex128(full.getText());
}

llvm::Expected<std::unique_ptr<Executable>>
ArtefactCache::lookup(llvm::StringRef name, std::string *note) {
  std::string dir = directory + "/v1/entries/" + name.str();
  auto entryText = llvm::MemoryBuffer::getFile(dir + "/entry.txt");
  if (!entryText) {
    if (llvm::sys::fs::exists(dir) && note)
      *note = "an incomplete cache entry was removed";
    llvm::sys::fs::remove_directories(dir);
    return nullptr;
  }
  std::vector<std::shared_ptr<void>> keepAlive;
  std::vector<const void *> weights;
  auto verify = [&]() -> llvm::Error {
    llvm::Expected<EntryRecord> entry = parseEntry((*entryText)->getBuffer());
    if (!entry)
      return entry.takeError();
    auto so = llvm::MemoryBuffer::getFile(dir + "/model.so");
    if (!so)
      return makeStringError("model.so: " + so.getError().message());
    if ((*so)->getBufferSize() != entry->soBytes ||
        hex128(llvm::ArrayRef<uint8_t>(
            reinterpret_cast<const uint8_t *>((*so)->getBufferStart()),
            (*so)->getBufferSize())) != entry->soHash)
      return makeStringError("model.so is truncated or corrupt");
    std::vector<std::shared_ptr<llvm::MemoryBuffer>> files;
    for (const auto &[hash, path] : entry->files) {
      llvm::Expected<std::string> now = hashFile(path);
      if (!now)
        return now.takeError();
      if (*now != hash)
        return makeStringError(path + " changed since the model was compiled");
      auto buffer = mapFile(path);
      if (!buffer)
        return buffer.takeError();
      files.push_back(*buffer);
    }
    std::shared_ptr<llvm::MemoryBuffer> packed;
    for (const WeightRecord &w : entry->weights) {
      if (w.file < 0 && !packed) {
        auto buffer = mapFile(dir + "/weights.bin");
        if (!buffer)
          return buffer.takeError();
        packed = *buffer;
      }
      uint64_t offset = w.offset;
      if (w.file < 0) {
        // The packed file's table: weight i at 24 + 16 i.
        size_t i = &w - entry->weights.data();
        auto slot = span(*packed, 24 + 16 * i, 16, "weights.bin");
        if (!slot)
          return slot.takeError();
        uint64_t header[2];
        std::memcpy(header, *slot, 16);
        if (header[1] != w.bytes)
          return makeStringError("weights.bin does not match entry.txt");
        offset = header[0];
      }
      auto data =
          span(w.file < 0 ? *packed : *files[w.file], offset, w.bytes,
               w.file < 0 ? "weights.bin" : entry->files[w.file].second);
      if (!data)
        return data.takeError();
      weights.push_back(*data);
    }
    for (auto &f : files)
      keepAlive.push_back(f);
    if (packed)
      keepAlive.push_back(packed);
    return llvm::Error::success();
  };
  if (llvm::Error e = verify()) {
    if (note)
      *note = "the cache entry did not verify (" +
              llvm::toString(std::move(e)) + ") and was removed";
    llvm::sys::fs::remove_directories(dir);
    return nullptr;
  }
  touch(dir);
  return Executable::load(dir + "/model.so", weights, std::move(keepAlive));
}

llvm::Expected<std::unique_ptr<Executable>>
ArtefactCache::store(llvm::StringRef name, const CompiledObject &compiled,
                     llvm::StringRef about, std::string *tooLarge) {
  if (llvm::Error e = checkFolder())
    return std::move(e);
  // The cap, read once, before anything is written.
  llvm::Expected<uint64_t> limit = getMaxSize();
  if (!limit)
    return limit.takeError();
  llvm::SmallString<256> staging;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(
          directory + "/v1/tmp/entry", staging))
    return llvm::createFileError(directory + "/v1/tmp", ec);
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(staging); });
  std::string stage = staging.str().str();
  if (llvm::Error e = linkSharedObject(compiled.objects, stage + "/model.so"))
    return std::move(e);

  EntryRecord entry;
  auto so = mapFile(stage + "/model.so");
  if (!so)
    return so.takeError();
  entry.soBytes = (*so)->getBufferSize();
  entry.soHash = hex128(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>((*so)->getBufferStart()),
      entry.soBytes));
  std::vector<bool> packed(compiled.weights.size(), true);
  llvm::StringMap<int> fileIndex;
  for (auto [i, w] : llvm::enumerate(compiled.weights)) {
    WeightRecord record;
    record.bytes = w.size();
    if (std::optional<FileSpan> mapped = findMappedFile(w.data(), w.size())) {
      auto [it, added] =
          fileIndex.try_emplace(mapped->path, entry.files.size());
      if (added) {
        llvm::Expected<std::string> hash = hashFile(mapped->path);
        if (!hash)
          return hash.takeError();
        entry.files.emplace_back(*hash, mapped->path);
      }
      record.file = it->getValue();
      record.offset = mapped->offset;
      packed[i] = false;
    }
    entry.weights.push_back(record);
  }
  if (llvm::is_contained(packed, true))
    if (llvm::Error e =
            writeWeightsFile(compiled, stage + "/weights.bin", &packed))
      return std::move(e);
  if (llvm::Error e = writeAtomically(stage + "/entry.txt", printEntry(entry)))
    return std::move(e);
  if (!about.empty())
    if (llvm::Error e = writeAtomically(stage + "/about.txt",
                                        about.split('\n').first.str() + "\n"))
      return std::move(e);

  // Into place. An entry of that name that verifies (another process put it
  // there since our lookup) is as good as ours; one that does not is
  // removed by lookup() and replaced.
  std::string dir = directory + "/v1/entries/" + name.str();
  if (llvm::sys::fs::rename(stage, dir)) {
    std::string note;
    llvm::Expected<std::unique_ptr<Executable>> existing = lookup(name, &note);
    if (existing && *existing)
      return existing;
    if (!existing)
      llvm::consumeError(existing.takeError());
    llvm::sys::fs::remove_directories(dir);
    if (std::error_code ec = llvm::sys::fs::rename(stage, dir))
      return llvm::createFileError(dir, ec);
  }
  touch(dir);
  // Room for the new entry. A failure to trim leaves a cache too big, which
  // is no reason to fail the run.
  llvm::Expected<CacheTrimResult> trimmed = trim(*limit, name);
  if (!trimmed)
    llvm::consumeError(trimmed.takeError());
  else if (uint64_t bytes = trimmed->keptBytes;
           tooLarge && *limit && bytes > *limit)
    *tooLarge = "the compiled model takes " + formatSize(bytes) +
                ", more than the artefact cache's limit (" +
                formatSize(*limit) +
                "): it stays only until the next model is stored (romac "
                "cache max-size)";
  std::string note;
  llvm::Expected<std::unique_ptr<Executable>> exe = lookup(name, &note);
  if (exe && !*exe)
    return makeStringError("the new cache entry " + dir +
                           " does not load: " + note);
  return exe;
}

llvm::Expected<unsigned> ArtefactCache::clear() {
  unsigned count = 0;
  std::error_code ec;
  std::string entries = directory + "/v1/entries";
  for (llvm::sys::fs::directory_iterator it(entries, ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  if (std::error_code e = llvm::sys::fs::remove_directories(directory + "/v1"))
    return llvm::createFileError(directory, e);
  return count;
}
