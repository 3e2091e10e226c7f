//===- HostDetect.cpp - detect the CPU romac runs on ------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Puts the sources of Host.h together: sysfs, then CPUID, then the OS, then
// the documented defaults; asks LLVM to confirm every feature and Linux to
// grant the AMX tile state.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Host.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace llvm;
using namespace romac;

//===----------------------------------------------------------------------===//
// HostCpu and HostCache
//===----------------------------------------------------------------------===//

std::string HostCache::getName() const {
  std::string name = "L" + std::to_string(level);
  if (type == HostCacheType::Data)
    name += 'd';
  else if (type == HostCacheType::Instruction)
    name += 'i';
  return name;
}

const HostCache *HostCpu::getDataCache(unsigned level) const {
  for (const HostCache &cache : caches)
    if (cache.level == level && cache.holdsData())
      return &cache;
  return nullptr;
}

void HostCpu::updateVectorWidth() {
  vectorBits = features.avx512f ? 512 : features.avx ? 256 : 128;
#if defined(__aarch64__)
  vectorRegisters = 32; // NEON: v0-v31
#else
  vectorRegisters = features.avx512f ? 32 : 16;
#endif
}

std::vector<std::string> romac::getLlvmTargetFeatures(const HostCpu &cpu) {
  std::vector<std::string> result;
  for (const HostFeatureName &feature : kHostFeatureNames)
    result.push_back((cpu.features.*feature.flag ? "+" : "-") +
                     feature.llvmName.str());
  return result;
}

//===----------------------------------------------------------------------===//
// sysfs
//===----------------------------------------------------------------------===//

namespace {

/// The first line of the file \p path without surrounding blanks, or
/// std::nullopt when it cannot be read.
std::optional<std::string> readLine(const Twine &path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true, /*RequiresNullTerminator=*/
                            false);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().split('\n').first.trim().str();
}

/// Parses a sysfs size: "48K", "1024K", "32M", or a plain byte count.
std::optional<uint64_t> parseSysfsSize(StringRef text) {
  uint64_t scale = 1;
  if (text.consume_back("K"))
    scale = 1024;
  else if (text.consume_back("M"))
    scale = 1024 * 1024;
  else if (text.consume_back("G"))
    scale = 1024 * 1024 * 1024;
  uint64_t value = 0;
  if (text.getAsInteger(10, value) || value > UINT64_MAX / scale)
    return std::nullopt;
  return value * scale;
}

/// Reads an unsigned integer file under \p dir.
std::optional<uint64_t> readNumber(StringRef dir, StringRef file) {
  SmallString<128> path(dir);
  sys::path::append(path, file);
  std::optional<std::string> line = readLine(path);
  uint64_t value = 0;
  if (!line || StringRef(*line).getAsInteger(10, value))
    return std::nullopt;
  return value;
}

/// Reads one `indexN` folder; std::nullopt when it names no level or type.
std::optional<HostCache> parseSysfsCache(StringRef dir) {
  std::optional<uint64_t> level = readNumber(dir, "level");
  SmallString<128> path(dir);
  sys::path::append(path, "type");
  std::optional<std::string> type = readLine(path);
  if (!level || !type)
    return std::nullopt;
  std::optional<HostCacheType> cacheType =
      symbolizeEnum(kHostCacheTypeNames, *type);
  if (!cacheType)
    return std::nullopt;
  HostCache cache;
  cache.level = static_cast<unsigned>(*level);
  cache.type = *cacheType;
  path = dir;
  sys::path::append(path, "size");
  if (std::optional<std::string> size = readLine(path))
    if (std::optional<uint64_t> bytes = parseSysfsSize(*size); bytes && *bytes)
      cache.sizeBytes.set(*bytes, HostSource::Sysfs);
  if (std::optional<uint64_t> line = readNumber(dir, "coherency_line_size");
      line && *line)
    cache.lineBytes.set(*line, HostSource::Sysfs);
  if (std::optional<uint64_t> ways = readNumber(dir, "ways_of_associativity"))
    cache.ways.set(*ways, HostSource::Sysfs);
  path = dir;
  sys::path::append(path, "shared_cpu_list");
  if (std::optional<std::string> list = readLine(path))
    if (unsigned count = countCpuList(*list))
      cache.sharedBy.set(count, HostSource::Sysfs);
  return cache;
}

/// Orders caches by level, then data, instruction, unified.
void sortCaches(std::vector<HostCache> &caches) {
  llvm::stable_sort(caches, [](const HostCache &a, const HostCache &b) {
    return std::make_pair(a.level, a.type) < std::make_pair(b.level, b.type);
  });
}

} // namespace

unsigned romac::countCpuList(StringRef list) {
  unsigned count = 0;
  SmallVector<StringRef> ranges;
  list.trim().split(ranges, ',', -1, /*KeepEmpty=*/false);
  for (StringRef range : ranges) {
    auto [firstText, lastText] = range.trim().split('-');
    unsigned first = 0, last = 0;
    if (firstText.getAsInteger(10, first))
      return 0;
    last = first;
    if (!lastText.empty() && lastText.getAsInteger(10, last))
      return 0;
    if (last < first)
      return 0;
    count += last - first + 1;
  }
  return count;
}

std::vector<HostCache> romac::parseSysfsCaches(StringRef cacheDir) {
  std::vector<HostCache> caches;
  std::error_code ec;
  for (sys::fs::directory_iterator it(cacheDir, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (!sys::path::filename(it->path()).starts_with("index"))
      continue;
    if (std::optional<HostCache> cache = parseSysfsCache(it->path()))
      caches.push_back(*cache);
  }
  sortCaches(caches);
  return caches;
}

void romac::mergeCaches(std::vector<HostCache> &caches,
                        const std::vector<HostCache> &fallback) {
  auto fill = [](Sourced<uint64_t> &field, const Sourced<uint64_t> &other) {
    if (!field.isKnown() && other.isKnown())
      field = other;
  };
  for (const HostCache &other : fallback) {
    auto same = llvm::find_if(caches, [&](const HostCache &cache) {
      return cache.level == other.level && cache.type == other.type;
    });
    if (same == caches.end()) {
      caches.push_back(other);
      continue;
    }
    fill(same->sizeBytes, other.sizeBytes);
    fill(same->lineBytes, other.lineBytes);
    fill(same->ways, other.ways);
    fill(same->sharedBy, other.sharedBy);
  }
  sortCaches(caches);
}

//===----------------------------------------------------------------------===//
// Defaults
//===----------------------------------------------------------------------===//

void romac::applyHostDefaults(HostCpu &cpu) {
  constexpr HostSource kDefault = HostSource::Default;
  if (!cpu.vendor.isKnown())
    cpu.vendor.set("unknown", kDefault);
  if (!cpu.model.isKnown())
    cpu.model.set("unknown", kDefault);
  if (cpu.featuresSource == HostSource::Unknown)
    cpu.featuresSource = kDefault; // no feature beyond the baseline
  if (!cpu.fmaUnitsPerCore.isKnown())
    cpu.fmaUnitsPerCore.set(2, kDefault);
  if (!cpu.threadsPerCore.isKnown())
    cpu.threadsPerCore.set(1, kDefault);
  if (!cpu.cores.isKnown())
    cpu.cores.set(1, kDefault);
  if (!cpu.frequencyMHz.isKnown())
    cpu.frequencyMHz.set(2000, kDefault);

  constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;
  if (cpu.caches.empty()) {
    for (HostCacheType type : {HostCacheType::Data, HostCacheType::Instruction})
      cpu.caches.push_back({1, type, {}, {}, {}, {}});
    cpu.caches.push_back({2, HostCacheType::Unified, {}, {}, {}, {}});
  }
  uint64_t threads = cpu.threadsPerCore.value;
  for (HostCache &cache : cpu.caches) {
    bool l1 = cache.level <= 1;
    if (!cache.sizeBytes.isKnown())
      cache.sizeBytes.set(l1                 ? 32 * kKiB
                          : cache.level == 2 ? 1 * kMiB
                                             : 8 * kMiB,
                          kDefault);
    if (!cache.lineBytes.isKnown())
      cache.lineBytes.set(64, kDefault);
    if (!cache.ways.isKnown())
      cache.ways.set(l1 ? 8 : 16, kDefault);
    // L1 and L2 are private to a core; L3 is shared by all.
    if (!cache.sharedBy.isKnown())
      cache.sharedBy.set(cache.level <= 2 ? threads : threads * cpu.cores.value,
                         kDefault);
  }
  cpu.updateVectorWidth();
}

//===----------------------------------------------------------------------===//
// Detection
//===----------------------------------------------------------------------===//

namespace {

/// Logical CPUs this process may run on (its affinity mask), or 0.
unsigned countAffinityCpus() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
#endif
  return std::thread::hardware_concurrency();
}

/// The `cpu MHz` of /proc/cpuinfo (the first one), or 0.
double readProcCpuinfoMHz(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFileAsStream(path);
  if (!buffer)
    return 0;
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (StringRef line : lines) {
    auto [key, value] = line.split(':');
    double mhz = 0;
    if (key.trim() == "cpu MHz" && !value.trim().getAsDouble(mhz) && mhz > 0)
      return mhz;
  }
  return 0;
}

/// Keeps only the features LLVM's own host detection also reports (it
/// checks XCR0 too); does nothing when LLVM reports none (not x86).
void crossCheckWithLlvm(HostCpu &cpu) {
  StringMap<bool, MallocAllocator> llvmFeatures = sys::getHostCPUFeatures();
  if (llvmFeatures.empty())
    return;
  for (const HostFeatureName &feature : kHostFeatureNames)
    if (!llvmFeatures.lookup(feature.llvmName))
      cpu.features.*feature.flag = false;
}

/// Asks Linux for the AMX tile data state (needed before the first tile
/// instruction); drops AMX when it is refused or cannot be asked for.
void requestAmxPermission(HostCpu &cpu) {
  HostFeatures &f = cpu.features;
  if (!f.amxTile && !f.amxBf16 && !f.amxInt8)
    return;
  bool granted = false;
#if defined(__linux__) && defined(__x86_64__) && defined(SYS_arch_prctl)
  constexpr long kArchReqXcompPerm = 0x1023; // ARCH_REQ_XCOMP_PERM
  constexpr long kXfeatureXtiledata = 18;    // XFEATURE_XTILEDATA
  granted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#endif
  if (!granted) {
    f.amxTile = f.amxBf16 = f.amxInt8 = false;
    cpu.amxDenied = true;
  }
}

/// Logical CPUs, threads per core and cores from sysfs and the process's
/// affinity.
void detectCores(HostCpu &cpu, const HostDetectOptions &options) {
  SmallString<128> path(options.sysfsCpuDir);
  sys::path::append(path, "cpu0", "topology", "thread_siblings_list");
  if (std::optional<std::string> list = readLine(path))
    if (unsigned count = countCpuList(*list))
      cpu.threadsPerCore.set(count, HostSource::Sysfs);

  unsigned logical = 0;
  HostSource source = HostSource::Os;
  if (options.queryProcessor)
    logical = countAffinityCpus();
  if (logical == 0) {
    path = options.sysfsCpuDir;
    sys::path::append(path, "online");
    if (std::optional<std::string> list = readLine(path))
      logical = countCpuList(*list);
    source = HostSource::Sysfs;
  }
  if (logical == 0)
    return;
  uint64_t threads =
      cpu.threadsPerCore.isKnown() ? cpu.threadsPerCore.value : 1;
  cpu.cores.set(std::max<uint64_t>(1, logical / threads), source);
}

/// The clock: sysfs's maximum, else CPUID's (already decoded), else
/// /proc/cpuinfo's current one.
void detectFrequency(HostCpu &cpu, const HostDetectOptions &options) {
  SmallString<128> dir(options.sysfsCpuDir);
  sys::path::append(dir, "cpu0", "cpufreq");
  if (std::optional<uint64_t> khz = readNumber(dir, "cpuinfo_max_freq");
      khz && *khz) {
    cpu.frequencyMHz.set(static_cast<double>(*khz) / 1000.0, HostSource::Sysfs);
    return;
  }
  if (cpu.frequencyMHz.isKnown())
    return;
  if (double mhz = readProcCpuinfoMHz(options.procCpuinfo); mhz > 0)
    cpu.frequencyMHz.set(mhz, HostSource::Os);
}

} // namespace

HostCpu romac::detectHostCpu(const HostDetectOptions &options) {
  HostCpu cpu;
  if (options.queryProcessor) {
    cpu = decodeCpuid(readHostCpuid());
    crossCheckWithLlvm(cpu);
    requestAmxPermission(cpu);
    cpu.llvmCpuName = sys::getHostCPUName().str();
  }
  // sysfs first; CPUID fills what it does not say.
  SmallString<128> cacheDir(options.sysfsCpuDir);
  sys::path::append(cacheDir, "cpu0", "cache");
  std::vector<HostCache> caches = parseSysfsCaches(cacheDir);
  mergeCaches(caches, cpu.caches);
  cpu.caches = std::move(caches);

  detectCores(cpu, options);
  detectFrequency(cpu, options);
  applyHostDefaults(cpu);
  return cpu;
}

const HostCpu &romac::getHostCpu() {
  static const HostCpu cpu = detectHostCpu();
  return cpu;
}
