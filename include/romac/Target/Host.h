//===- Host.h - the CPU romac runs on ---------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The `host` target: what romac detects about the CPU it runs on (vendor,
// model, cores, clock, SIMD features, vector width, caches), each number with
// where it came from, and the romac `Target` built from it.
//
// Detection reads, in order of trust:
//   1. sysfs: /sys/devices/system/cpu/cpu0/cache/index*/ (caches),
//      cpu0/cpufreq/cpuinfo_max_freq (clock), cpu0/topology (SMT);
//   2. CPUID: Intel leaf 4 (deterministic cache parameters), AMD leaf
//      0x8000001D (the same layout), else AMD's legacy leaves 0x80000005/6;
//      leaves 1 and 7 for the features, XGETBV for the register state the OS
//      saves, leaf 0x16 for the clock;
//   3. the OS: the CPUs this process may run on, /proc/cpuinfo's clock;
//   4. documented defaults (docs/targets.md).
// A feature counts only when the CPU has it *and* the OS saves its register
// state (XCR0), LLVM's own host detection agrees, and, for AMX, Linux grants
// the tile data state (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)).
//
// The parsing is separate from the reading so that unit tests can feed
// recorded values: parseSysfsCaches() takes a directory, decodeCpuid() the raw
// register values. This library includes no MLIR header.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TARGET_HOST_H
#define ROMAC_TARGET_HOST_H

#include "romac/Support/EnumTable.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace romac {

//===----------------------------------------------------------------------===//
// Where a number came from
//===----------------------------------------------------------------------===//

/// The source of one detected value.
enum class HostSource : uint8_t {
  /// Not found (yet); no value of a finished HostCpu has this source.
  Unknown,
  /// A file under /sys/devices/system/cpu.
  Sysfs,
  /// The CPUID instruction (and XGETBV for the OS-saved register state).
  Cpuid,
  /// The operating system otherwise: the process's CPU affinity,
  /// /proc/cpuinfo, arch_prctl, LLVM's host detection.
  Os,
  /// A documented default (docs/targets.md, "The host target").
  Default,
};

/// The spellings of HostSource (the one definition; EnumTable.h).
inline constexpr EnumName<HostSource> kHostSourceNames[] = {
    {HostSource::Unknown, "unknown"}, {HostSource::Sysfs, "sysfs"},
    {HostSource::Cpuid, "cpuid"},     {HostSource::Os, "os"},
    {HostSource::Default, "default"},
};

/// Returns "unknown", "sysfs", "cpuid", "os" or "default".
inline llvm::StringRef stringifyHostSource(HostSource source) {
  return stringifyEnum(kHostSourceNames, source);
}

/// A value and where it came from.
template <typename T> struct Sourced {
  T value{};
  HostSource source = HostSource::Unknown;

  /// Whether the value was found (its source is not Unknown).
  bool isKnown() const { return source != HostSource::Unknown; }
  /// Sets the value and its source.
  void set(T newValue, HostSource newSource) {
    value = newValue;
    source = newSource;
  }
};

//===----------------------------------------------------------------------===//
// Caches
//===----------------------------------------------------------------------===//

/// What a cache holds.
enum class HostCacheType : uint8_t { Data, Instruction, Unified };

/// The spellings of HostCacheType: sysfs's words.
inline constexpr EnumName<HostCacheType> kHostCacheTypeNames[] = {
    {HostCacheType::Data, "Data"},
    {HostCacheType::Instruction, "Instruction"},
    {HostCacheType::Unified, "Unified"},
};

/// Returns "Data", "Instruction" or "Unified".
inline llvm::StringRef stringifyHostCacheType(HostCacheType type) {
  return stringifyEnum(kHostCacheTypeNames, type);
}

/// One cache of the core romac runs on (cpu0's view).
struct HostCache {
  /// 1 for L1, 2 for L2, ...
  unsigned level = 0;
  HostCacheType type = HostCacheType::Unified;
  /// Capacity in bytes.
  Sourced<uint64_t> sizeBytes;
  /// Line size in bytes.
  Sourced<uint64_t> lineBytes;
  /// Ways of associativity; 0 means fully associative.
  Sourced<uint64_t> ways;
  /// Logical CPUs that share this cache. From CPUID leaf 4 this is the
  /// largest number the cache's sharing field can address (an upper bound).
  Sourced<uint64_t> sharedBy;

  /// Whether data can live in it (a data or unified cache).
  bool holdsData() const { return type != HostCacheType::Instruction; }
  /// "L1d", "L1i", "L2", ...
  std::string getName() const;
};

//===----------------------------------------------------------------------===//
// Features
//===----------------------------------------------------------------------===//

/// The SIMD and matrix features romac's code generator may use. Each is true
/// only when the CPU reports it and the OS saves the state it needs.
struct HostFeatures {
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512bf16 = false;
  bool avx512vnni = false;
  bool avxvnni = false;
  /// AMX: also needs Linux to grant the tile data state to this process.
  bool amxTile = false;
  bool amxBf16 = false;
  bool amxInt8 = false;
};

/// One feature: its LLVM name ("avx512bf16", "amx-tile") and its flag.
struct HostFeatureName {
  llvm::StringLiteral llvmName;
  bool HostFeatures::*flag;
};

/// Every feature of HostFeatures with its LLVM target-feature name (the one
/// definition; printing, JSON and getLlvmTargetFeatures() use it).
inline constexpr HostFeatureName kHostFeatureNames[] = {
    {"avx", &HostFeatures::avx},
    {"avx2", &HostFeatures::avx2},
    {"fma", &HostFeatures::fma},
    {"avx512f", &HostFeatures::avx512f},
    {"avx512bw", &HostFeatures::avx512bw},
    {"avx512vl", &HostFeatures::avx512vl},
    {"avx512bf16", &HostFeatures::avx512bf16},
    {"avx512vnni", &HostFeatures::avx512vnni},
    {"avxvnni", &HostFeatures::avxvnni},
    {"amx-tile", &HostFeatures::amxTile},
    {"amx-bf16", &HostFeatures::amxBf16},
    {"amx-int8", &HostFeatures::amxInt8},
};

//===----------------------------------------------------------------------===//
// HostCpu
//===----------------------------------------------------------------------===//

/// Everything romac knows about the CPU it runs on.
struct HostCpu {
  /// CPUID vendor string ("GenuineIntel", "AuthenticAMD").
  Sourced<std::string> vendor;
  /// Brand string ("Intel(R) Xeon(R) Platinum 8480+").
  Sourced<std::string> model;
  /// LLVM's name for the CPU ("znver5", "sapphirerapids"; empty when not
  /// asked).
  std::string llvmCpuName;

  HostFeatures features;
  /// Where the features came from (cpuid; default: none known).
  HostSource featuresSource = HostSource::Unknown;
  /// Whether the CPU and OS support AMX tiles but Linux refused this process
  /// the tile data state.
  bool amxDenied = false;

  /// SIMD register width in bits: 512 with AVX-512, 256 with AVX, else 128.
  unsigned vectorBits = 128;
  /// Vector registers: 32 with AVX-512 (and on AArch64), else 16.
  unsigned vectorRegisters = 16;
  /// FMA pipes per core (no CPUID leaf reports it).
  Sourced<uint64_t> fmaUnitsPerCore;

  /// Physical cores this process may run on.
  Sourced<uint64_t> cores;
  /// Hardware threads per core (SMT).
  Sourced<uint64_t> threadsPerCore;
  /// Core clock in MHz (the maximum where the OS says it).
  Sourced<double> frequencyMHz;

  /// cpu0's caches, by level, data before instruction.
  std::vector<HostCache> caches;

  /// The data (or unified) cache of \p level, or nullptr.
  const HostCache *getDataCache(unsigned level) const;
  /// fp32 lanes per vector register: vectorBits / 32.
  unsigned getFp32Lanes() const { return vectorBits / 32; }
  /// The vector width and registers implied by the features.
  void updateVectorWidth();
};

//===----------------------------------------------------------------------===//
// CPUID records and decoding
//===----------------------------------------------------------------------===//

/// The registers one CPUID leaf (EAX = leaf, ECX = subleaf) returned.
struct CpuidLeaf {
  uint32_t leaf = 0;
  uint32_t subleaf = 0;
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

/// A recording of the CPUID leaves romac reads, and XCR0.
struct CpuidDump {
  std::vector<CpuidLeaf> leaves;
  /// XCR0 as XGETBV returned it (0 when OSXSAVE is off).
  uint64_t xcr0 = 0;

  /// The leaf, or std::nullopt when it was not recorded or lies above the
  /// highest basic or extended leaf the CPU reports.
  std::optional<CpuidLeaf> get(uint32_t leaf, uint32_t subleaf = 0) const;
};

/// Executes CPUID and XGETBV for every leaf decodeCpuid() reads. Empty on a
/// CPU that is not x86-64.
CpuidDump readHostCpuid();

/// Decodes a recording: vendor, brand string, features (CPU bits masked by
/// XCR0; AMX as far as CPUID tells: the caller checks the OS permission),
/// caches (Intel leaf 4, AMD leaf 0x8000001D, or AMD/Intel legacy leaves
/// 0x80000005/6) and the clock of leaf 0x16. Everything it sets has source
/// Cpuid; what CPUID does not tell stays Unknown.
HostCpu decodeCpuid(const CpuidDump &dump);

//===----------------------------------------------------------------------===//
// Detection
//===----------------------------------------------------------------------===//

/// Reads the caches under \p cacheDir (sysfs layout: `index*/level`, `type`,
/// `size`, `coherency_line_size`, `ways_of_associativity`,
/// `shared_cpu_list`), sorted by level, data before instruction. Empty when
/// the directory does not exist; a field whose file is missing stays Unknown.
std::vector<HostCache> parseSysfsCaches(llvm::StringRef cacheDir);

/// Number of CPUs in a Linux CPU list such as "0-3,8,10-11"; 0 when it does
/// not parse.
unsigned countCpuList(llvm::StringRef list);

/// Fills the fields of \p caches that are Unknown from the cache of the same
/// level and type in \p fallback, and appends the caches of \p fallback whose
/// level and type \p caches lacks.
void mergeCaches(std::vector<HostCache> &caches,
                 const std::vector<HostCache> &fallback);

/// Sets every value of \p cpu that is still Unknown to its documented default
/// (docs/targets.md): 32 KiB L1d/L1i and a 1 MiB L2, 64-byte lines, 8-way L1,
/// 16-way L2/L3, private L1/L2, 2 FMA units per core, 2000 MHz, one core, one
/// thread per core; no features. Also updates the vector width.
void applyHostDefaults(HostCpu &cpu);

/// What detectHostCpu() reads.
struct HostDetectOptions {
  /// The sysfs CPU folder (`cpu0/cache`, `cpu0/cpufreq`, `cpu0/topology`,
  /// `online` are read below it).
  std::string sysfsCpuDir = "/sys/devices/system/cpu";
  /// /proc/cpuinfo (its `cpu MHz` line).
  std::string procCpuinfo = "/proc/cpuinfo";
  /// Also ask the processor and the process: CPUID, XGETBV, arch_prctl,
  /// sched_getaffinity and LLVM's host detection. Tests turn this off to
  /// read only the files above.
  bool queryProcessor = true;
};

/// Detects the CPU: sysfs first, then CPUID, the OS and the defaults.
HostCpu detectHostCpu(const HostDetectOptions &options = {});

/// The CPU this process runs on, detected once (thread-safe).
const HostCpu &getHostCpu();

/// The LLVM target features romac tracks, each as "+name" or "-name"
/// ("+avx512f", "-amx-tile"): a JIT applies them on top of LLVM's host
/// features so that nothing the process may not execute is emitted.
std::vector<std::string> getLlvmTargetFeatures(const HostCpu &cpu);

//===----------------------------------------------------------------------===//
// The host target
//===----------------------------------------------------------------------===//

/// The name that resolves to the host target wherever a target is named.
inline constexpr llvm::StringLiteral kHostTargetName = "host";

/// The cache level a host target name asks for: 0 for `host` (the
/// last-level cache), N for `host-lN` (N = 1..9); nothing for other names.
std::optional<unsigned> parseHostTargetName(llvm::StringRef name);

/// The target YAML (docs/targets.md format) that describes \p cpu: the SIMD
/// FMA units as the MAC array (rows = fp32 lanes, cols = FMA units per core x
/// cores), one data cache of one core as the buffer shared by all operands,
/// and a default DDR4-3200 channel (targets/simba-like.yaml's part). With
/// \p cacheLevel 0 the buffer is the last-level data cache (the one DRAM
/// feeds: the L3 where there is one); otherwise the data cache of that
/// level, and the target is called `host-lN`. Every number is commented
/// with its source.
std::string getHostTargetYaml(const HostCpu &cpu, unsigned cacheLevel = 0);

/// The target getHostTargetYaml() describes, parsed and validated exactly as
/// a target file is. Fails when \p cacheLevel names no data cache.
llvm::Expected<Target> makeHostTarget(const HostCpu &cpu,
                                      unsigned cacheLevel = 0);

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

/// "48 KiB", "1 MiB" (whole multiples only), else "1000 B".
std::string formatByteSize(uint64_t bytes);

/// Prints what was detected, one `name: value [source]` per line, then the
/// host target's array and buffer (`romac --print-host`).
void printHostCpu(llvm::raw_ostream &os, const HostCpu &cpu);

/// Prints the same as one JSON object (`romac --print-host --json`).
void printHostCpuJson(llvm::raw_ostream &os, const HostCpu &cpu);

} // namespace romac

#endif // ROMAC_TARGET_HOST_H
