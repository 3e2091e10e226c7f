//===- HostTest.cpp - host CPU detection and the host target ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// CPUID decoding from register values (a recording of the Zen 5 VM romac is
// developed on; an Intel Sapphire Rapids and an AMD Zen 4 built from the
// Intel SDM's and AMD APM's field definitions), sysfs parsing from folders
// written here, detection without the processor, and the host target.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Host.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <algorithm>

using namespace romac;

namespace {

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;

//===----------------------------------------------------------------------===//
// Fixtures
//===----------------------------------------------------------------------===//

/// CPUID and XGETBV as recorded on the machine romac is developed on: an AMD
/// EPYC Zen 5 VM ("Oxide Virtual Turin-like Processor", family 0x1A) with
/// AVX-512, AVX512-BF16, VNNI and AVX-VNNI and no AMX. Its leaf 0x8000001D
/// reads all zeros, so the caches come from the legacy leaves 0x80000005/6.
CpuidDump zen5Recording() {
  CpuidDump dump;
  dump.leaves = {
      {0x00000000, 0, 0x0000000d, 0x68747541, 0x444d4163, 0x69746e65},
      {0x00000001, 0, 0x00b00f21, 0xbffe0800, 0xfed83203, 0x178bfbff},
      {0x00000004, 0, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
      {0x00000007, 0, 0x00000001, 0xf1bb03a9, 0x18005f42, 0x00000110},
      {0x00000007, 1, 0x00000030, 0x00000000, 0x00000000, 0x00000000},
      {0x80000000, 0, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65},
      {0x80000001, 0, 0x00b00f21, 0x40000000, 0x440001f1, 0x25d3fbff},
      {0x80000002, 0, 0x6469784f, 0x69562065, 0x61757472, 0x7554206c},
      {0x80000003, 0, 0x2d6e6972, 0x656b696c, 0x6f725020, 0x73736563},
      {0x80000004, 0, 0x2020726f, 0x20202020, 0x20202020, 0x00202020},
      {0x80000005, 0, 0xff60ff40, 0xff60ff40, 0x300c0140, 0x20080140},
      {0x80000006, 0, 0x40802040, 0x60804040, 0x04006140, 0x0fe09140},
      {0x8000001d, 0, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
  };
  dump.xcr0 = 0xe7; // x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
  return dump;
}

/// The three leaves 0x80000002-4 spelling \p brand (padded with NULs).
std::vector<CpuidLeaf> brandLeaves(std::string brand) {
  brand.resize(48, '\0');
  std::vector<CpuidLeaf> leaves;
  for (unsigned i = 0; i < 3; ++i) {
    uint32_t regs[4];
    for (unsigned r = 0; r < 4; ++r) {
      regs[r] = 0;
      for (unsigned b = 0; b < 4; ++b)
        regs[r] |= uint32_t(uint8_t(brand[16 * i + 4 * r + b])) << (8 * b);
    }
    leaves.push_back({0x80000002 + i, 0, regs[0], regs[1], regs[2], regs[3]});
  }
  return leaves;
}

/// EAX of a leaf-4 / 0x8000001D cache descriptor: type (1 data,
/// 2 instruction, 3 unified) in bits 4:0, level in 7:5, self-initialising
/// (bit 8), logical processors sharing it minus one in 25:14, cores per
/// package minus one in 31:26.
constexpr uint32_t cacheEax(uint32_t type, uint32_t level, uint32_t sharing,
                            uint32_t coresPerPackage) {
  return type | level << 5 | 1u << 8 | (sharing - 1) << 14 |
         (coresPerPackage - 1) << 26;
}
/// EBX: line size minus one in 11:0, partitions minus one in 21:12, ways
/// minus one in 31:22 (one partition here).
constexpr uint32_t cacheEbx(uint32_t ways, uint32_t line) {
  return (ways - 1) << 22 | (line - 1);
}

/// An Intel Xeon Platinum 8480+ (Sapphire Rapids) as the Intel SDM's
/// definitions of leaves 0, 1, 4, 7, 0x16 describe it: 48 KiB 12-way L1d,
/// 32 KiB 8-way L1i, 2 MiB 16-way L2 (each shared by the 2 threads of a core),
/// 105 MiB 15-way L3; AVX-512, AVX512-BF16, VNNI, AVX-VNNI, AMX-TILE/BF16/
/// INT8; 2.0 GHz base, 3.8 GHz maximum. Built here, not recorded.
CpuidDump sapphireRapidsExample() {
  // Leaf 1 ECX: FMA (12), OSXSAVE (27), AVX (28).
  constexpr uint32_t kLeaf1Ecx = 1u << 12 | 1u << 27 | 1u << 28;
  // Leaf 7 EBX: AVX2 (5), AVX512F (16), AVX512DQ (17), AVX512CD (28),
  // AVX512BW (30), AVX512VL (31); ECX: AVX512_VNNI (11); EDX: AMX-BF16 (22),
  // AMX-TILE (24), AMX-INT8 (25).
  constexpr uint32_t kLeaf7Ebx =
      1u << 5 | 1u << 16 | 1u << 17 | 1u << 28 | 1u << 30 | 1u << 31;
  constexpr uint32_t kLeaf7Ecx = 1u << 11;
  constexpr uint32_t kLeaf7Edx = 1u << 22 | 1u << 24 | 1u << 25;
  CpuidDump dump;
  dump.leaves = {
      {0x00000000, 0, 0x00000020, 0x756e6547, 0x6c65746e, 0x49656e69},
      {0x00000001, 0, 0x000806f8, 0x00800800, kLeaf1Ecx, 0xbfebfbff},
      {0x00000004, 0, cacheEax(1, 1, 2, 64), cacheEbx(12, 64), 63, 0},
      {0x00000004, 1, cacheEax(2, 1, 2, 64), cacheEbx(8, 64), 63, 0},
      {0x00000004, 2, cacheEax(3, 2, 2, 64), cacheEbx(16, 64), 2047, 0},
      {0x00000004, 3, cacheEax(3, 3, 128, 64), cacheEbx(15, 64), 114687, 4},
      {0x00000004, 4, 0, 0, 0, 0},
      // Leaf 7.0 EAX = 1: subleaf 1 exists; its EAX: AVX-VNNI (4),
      // AVX512_BF16 (5).
      {0x00000007, 0, 1, kLeaf7Ebx, kLeaf7Ecx, kLeaf7Edx},
      {0x00000007, 1, 1u << 4 | 1u << 5, 0, 0, 0},
      {0x00000016, 0, 2000, 3800, 100, 0},
      {0x80000000, 0, 0x80000008, 0, 0, 0},
      {0x80000001, 0, 0, 0, 0x00000121, 0x2c100800},
      // L2 2048 KiB, associativity "see leaf 4", 64-byte lines.
      {0x80000006, 0, 0, 0, 0x08007040, 0},
      // Above the highest extended leaf: must be ignored.
      {0x8000001d, 0, cacheEax(1, 1, 1, 1), cacheEbx(4, 32), 3, 0},
  };
  for (const CpuidLeaf &leaf : brandLeaves("Intel(R) Xeon(R) Platinum 8480+"))
    dump.leaves.push_back(leaf);
  // x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, XTILECFG (17), XTILEDATA (18).
  dump.xcr0 = 0x602e7;
  return dump;
}

/// An AMD Zen 4 as the AMD APM's definition of leaf 0x8000001D describes it
/// (with TOPOEXT): 32 KiB 8-way L1d and L1i and 1 MiB 8-way L2 per core (2
/// threads), 32 MiB 16-way L3 shared by 16 threads. Built here, not recorded.
CpuidDump zen4Example() {
  CpuidDump dump;
  dump.leaves = {
      {0x00000000, 0, 0x00000010, 0x68747541, 0x444d4163, 0x69746e65},
      {0x00000001, 0, 0x00a60f12, 0, 1u << 12 | 1u << 27 | 1u << 28, 0},
      {0x00000004, 0, 0, 0, 0, 0},
      {0x00000007, 0, 0, 1u << 5, 0, 0},
      {0x80000000, 0, 0x80000028, 0, 0, 0},
      {0x80000001, 0, 0, 0, 1u << 22, 0}, // TOPOEXT
      {0x8000001d, 0, cacheEax(1, 1, 2, 1), cacheEbx(8, 64), 63, 0},
      {0x8000001d, 1, cacheEax(2, 1, 2, 1), cacheEbx(8, 64), 63, 0},
      {0x8000001d, 2, cacheEax(3, 2, 2, 1), cacheEbx(8, 64), 2047, 0},
      {0x8000001d, 3, cacheEax(3, 3, 16, 1), cacheEbx(16, 64), 32767, 0},
      {0x8000001d, 4, 0, 0, 0, 0},
  };
  dump.xcr0 = 0x7; // AVX state only
  return dump;
}

/// The cache of \p level and \p type, failing the test when there is none.
const HostCache &findCache(const HostCpu &cpu, unsigned level,
                           HostCacheType type) {
  for (const HostCache &cache : cpu.caches)
    if (cache.level == level && cache.type == type)
      return cache;
  ADD_FAILURE() << "no L" << level << " " << stringifyHostCacheType(type).str()
                << " cache";
  static HostCache none;
  return none;
}

/// Checks one cache's numbers and that they all came from \p source.
void expectCache(const HostCpu &cpu, unsigned level, HostCacheType type,
                 uint64_t size, uint64_t ways, uint64_t line,
                 HostSource source) {
  const HostCache &cache = findCache(cpu, level, type);
  SCOPED_TRACE(cache.getName());
  EXPECT_EQ(cache.sizeBytes.value, size);
  EXPECT_EQ(cache.ways.value, ways);
  EXPECT_EQ(cache.lineBytes.value, line);
  EXPECT_EQ(cache.sizeBytes.source, source);
  EXPECT_EQ(cache.ways.source, source);
  EXPECT_EQ(cache.lineBytes.source, source);
}

/// Writes \p text (and a newline) to DIR/NAME, creating DIR.
void writeFile(llvm::StringRef dir, llvm::StringRef name,
               llvm::StringRef text) {
  ASSERT_FALSE(llvm::sys::fs::create_directories(dir));
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << path.str().str();
  os << text << "\n";
}

/// A temporary folder, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("romac-host", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string sub(llvm::StringRef a, llvm::StringRef b = "",
                  llvm::StringRef c = "") const {
    llvm::SmallString<256> result(path);
    for (llvm::StringRef part : {a, b, c})
      if (!part.empty())
        llvm::sys::path::append(result, part);
    return std::string(result);
  }
  llvm::SmallString<128> path;
};

/// One sysfs `indexN` folder.
void writeSysfsCache(llvm::StringRef cacheDir, unsigned index, unsigned level,
                     llvm::StringRef type, llvm::StringRef size,
                     llvm::StringRef ways, llvm::StringRef shared) {
  llvm::SmallString<256> dir(cacheDir);
  llvm::sys::path::append(dir, "index" + std::to_string(index));
  writeFile(dir, "level", std::to_string(level));
  writeFile(dir, "type", type);
  writeFile(dir, "size", size);
  writeFile(dir, "coherency_line_size", "64");
  if (!ways.empty())
    writeFile(dir, "ways_of_associativity", ways);
  writeFile(dir, "shared_cpu_list", shared);
}

/// A sysfs CPU folder of a 4-core, 8-thread machine with a 3.5 GHz maximum
/// clock and a 1.25 MiB L2 (Intel Ice Lake server sizes).
void writeSysfsMachine(const TempDir &tmp) {
  std::string cache = tmp.sub("cpu", "cpu0", "cache");
  writeSysfsCache(cache, 0, 1, "Data", "48K", "12", "0,4");
  writeSysfsCache(cache, 1, 1, "Instruction", "32K", "8", "0,4");
  writeSysfsCache(cache, 2, 2, "Unified", "1280K", "20", "0,4");
  writeSysfsCache(cache, 3, 3, "Unified", "12M", "12", "0-7");
  writeFile(tmp.sub("cpu", "cpu0", "topology"), "thread_siblings_list", "0,4");
  writeFile(tmp.sub("cpu", "cpu0", "cpufreq"), "cpuinfo_max_freq", "3500000");
  writeFile(tmp.sub("cpu"), "online", "0-7");
}

//===----------------------------------------------------------------------===//
// CPUID
//===----------------------------------------------------------------------===//

TEST(HostCpuidTest, Zen5Recording) {
  HostCpu cpu = decodeCpuid(zen5Recording());
  EXPECT_EQ(cpu.vendor.value, "AuthenticAMD");
  EXPECT_EQ(cpu.vendor.source, HostSource::Cpuid);
  EXPECT_EQ(cpu.model.value, "Oxide Virtual Turin-like Processor");
  EXPECT_EQ(cpu.featuresSource, HostSource::Cpuid);

  const HostFeatures &f = cpu.features;
  EXPECT_TRUE(f.avx && f.avx2 && f.fma);
  EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl);
  EXPECT_TRUE(f.avx512bf16 && f.avx512vnni && f.avxvnni);
  EXPECT_FALSE(f.amxTile || f.amxBf16 || f.amxInt8);
  EXPECT_EQ(cpu.vectorBits, 512u);
  EXPECT_EQ(cpu.vectorRegisters, 32u);
  EXPECT_EQ(cpu.getFp32Lanes(), 16u);

  // Legacy leaves: L1 ways are counts, L2's code 6 is 8-way, L3's code 9
  // ("see leaf 0x8000001D") leaves its ways unknown; L3 is 1016 x 512 KiB.
  ASSERT_EQ(cpu.caches.size(), 4u);
  expectCache(cpu, 1, HostCacheType::Data, 48 * kKiB, 12, 64,
              HostSource::Cpuid);
  expectCache(cpu, 1, HostCacheType::Instruction, 32 * kKiB, 8, 64,
              HostSource::Cpuid);
  expectCache(cpu, 2, HostCacheType::Unified, 1 * kMiB, 8, 64,
              HostSource::Cpuid);
  const HostCache &l3 = findCache(cpu, 3, HostCacheType::Unified);
  EXPECT_EQ(l3.sizeBytes.value, 508 * kMiB);
  EXPECT_FALSE(l3.ways.isKnown());
  EXPECT_FALSE(l3.sharedBy.isKnown());      // the legacy leaves do not say
  EXPECT_FALSE(cpu.frequencyMHz.isKnown()); // no leaf 0x16 on AMD
}

TEST(HostCpuidTest, OsStateMasksFeatures) {
  // The OS saves the AVX state but not the ZMM state: no AVX-512.
  CpuidDump dump = zen5Recording();
  dump.xcr0 = 0x7;
  HostCpu cpu = decodeCpuid(dump);
  EXPECT_TRUE(cpu.features.avx2 && cpu.features.fma && cpu.features.avxvnni);
  EXPECT_FALSE(cpu.features.avx512f || cpu.features.avx512bw ||
               cpu.features.avx512bf16 || cpu.features.avx512vnni);
  EXPECT_EQ(cpu.vectorBits, 256u);
  EXPECT_EQ(cpu.vectorRegisters, 16u);

  // Without OSXSAVE, XCR0 does not count: SSE only.
  for (CpuidLeaf &leaf : dump.leaves)
    if (leaf.leaf == 1)
      leaf.ecx &= ~(1u << 27);
  dump.xcr0 = 0xe7;
  cpu = decodeCpuid(dump);
  EXPECT_FALSE(cpu.features.avx || cpu.features.avx2 || cpu.features.fma);
  EXPECT_EQ(cpu.vectorBits, 128u);
}

TEST(HostCpuidTest, SapphireRapidsExample) {
  HostCpu cpu = decodeCpuid(sapphireRapidsExample());
  EXPECT_EQ(cpu.vendor.value, "GenuineIntel");
  EXPECT_EQ(cpu.model.value, "Intel(R) Xeon(R) Platinum 8480+");
  const HostFeatures &f = cpu.features;
  EXPECT_TRUE(f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl);
  EXPECT_TRUE(f.avx512bf16 && f.avx512vnni && f.avxvnni);
  // As far as CPUID and XCR0 tell; detectHostCpu() also asks Linux.
  EXPECT_TRUE(f.amxTile && f.amxBf16 && f.amxInt8);

  // Leaf 4 wins over 0x80000006; the leaf above 0x80000008 is ignored.
  ASSERT_EQ(cpu.caches.size(), 4u);
  expectCache(cpu, 1, HostCacheType::Data, 48 * kKiB, 12, 64,
              HostSource::Cpuid);
  expectCache(cpu, 1, HostCacheType::Instruction, 32 * kKiB, 8, 64,
              HostSource::Cpuid);
  expectCache(cpu, 2, HostCacheType::Unified, 2 * kMiB, 16, 64,
              HostSource::Cpuid);
  expectCache(cpu, 3, HostCacheType::Unified, 105 * kMiB, 15, 64,
              HostSource::Cpuid);
  EXPECT_EQ(findCache(cpu, 2, HostCacheType::Unified).sharedBy.value, 2u);
  EXPECT_EQ(findCache(cpu, 3, HostCacheType::Unified).sharedBy.value, 128u);
  EXPECT_EQ(cpu.frequencyMHz.value, 3800);
  EXPECT_EQ(cpu.frequencyMHz.source, HostSource::Cpuid);
}

TEST(HostCpuidTest, AmxNeedsTheTileState) {
  CpuidDump dump = sapphireRapidsExample();
  dump.xcr0 = 0xe7; // the OS does not enable XTILECFG / XTILEDATA
  HostCpu cpu = decodeCpuid(dump);
  EXPECT_FALSE(cpu.features.amxTile || cpu.features.amxBf16 ||
               cpu.features.amxInt8);
  EXPECT_TRUE(cpu.features.avx512bf16);
}

TEST(HostCpuidTest, Zen4ExampleUsesLeaf8000001D) {
  HostCpu cpu = decodeCpuid(zen4Example());
  EXPECT_EQ(cpu.vendor.value, "AuthenticAMD");
  EXPECT_FALSE(cpu.model.isKnown()); // no brand string recorded
  EXPECT_TRUE(cpu.features.avx2 && cpu.features.fma);
  EXPECT_FALSE(cpu.features.avx512f);
  EXPECT_EQ(cpu.vectorBits, 256u);
  ASSERT_EQ(cpu.caches.size(), 4u);
  expectCache(cpu, 1, HostCacheType::Data, 32 * kKiB, 8, 64, HostSource::Cpuid);
  expectCache(cpu, 2, HostCacheType::Unified, 1 * kMiB, 8, 64,
              HostSource::Cpuid);
  expectCache(cpu, 3, HostCacheType::Unified, 32 * kMiB, 16, 64,
              HostSource::Cpuid);
  EXPECT_EQ(findCache(cpu, 3, HostCacheType::Unified).sharedBy.value, 16u);
}

TEST(HostCpuidTest, EmptyDumpDecodesToNothing) {
  HostCpu cpu = decodeCpuid(CpuidDump());
  EXPECT_FALSE(cpu.vendor.isKnown());
  EXPECT_TRUE(cpu.caches.empty());
  EXPECT_EQ(cpu.featuresSource, HostSource::Unknown);
  EXPECT_EQ(cpu.vectorBits, 128u);
}

TEST(HostCpuidTest, LlvmTargetFeatures) {
  HostCpu cpu = decodeCpuid(zen5Recording());
  std::vector<std::string> features = getLlvmTargetFeatures(cpu);
  auto has = [&](llvm::StringRef f) {
    return llvm::is_contained(features, f.str());
  };
  EXPECT_TRUE(has("+avx512f") && has("+avx512bf16") && has("+avxvnni"));
  EXPECT_TRUE(has("-amx-tile") && has("-amx-bf16") && has("-amx-int8"));
  EXPECT_EQ(features.size(), std::size(kHostFeatureNames));
}

//===----------------------------------------------------------------------===//
// sysfs
//===----------------------------------------------------------------------===//

TEST(HostSysfsTest, CountCpuList) {
  EXPECT_EQ(countCpuList("0"), 1u);
  EXPECT_EQ(countCpuList("0-1"), 2u);
  EXPECT_EQ(countCpuList("0,4"), 2u);
  EXPECT_EQ(countCpuList("0-3,8,10-11\n"), 7u);
  EXPECT_EQ(countCpuList(""), 0u);
  EXPECT_EQ(countCpuList("3-1"), 0u);
  EXPECT_EQ(countCpuList("x"), 0u);
}

TEST(HostSysfsTest, ParsesCaches) {
  TempDir tmp;
  writeSysfsMachine(tmp);
  std::string cacheDir = tmp.sub("cpu", "cpu0", "cache");
  // Not a cache: ignored. A cache folder without a type: skipped.
  writeFile(cacheDir, "uevent", "");
  writeFile(tmp.sub("cpu", "cpu0", "cache") + "/index9", "level", "4");

  HostCpu cpu;
  cpu.caches = parseSysfsCaches(cacheDir);
  ASSERT_EQ(cpu.caches.size(), 4u);
  EXPECT_EQ(cpu.caches[0].getName(), "L1d");
  EXPECT_EQ(cpu.caches[1].getName(), "L1i");
  EXPECT_EQ(cpu.caches[2].getName(), "L2");
  EXPECT_EQ(cpu.caches[3].getName(), "L3");
  expectCache(cpu, 1, HostCacheType::Data, 48 * kKiB, 12, 64,
              HostSource::Sysfs);
  expectCache(cpu, 2, HostCacheType::Unified, 1280 * kKiB, 20, 64,
              HostSource::Sysfs);
  expectCache(cpu, 3, HostCacheType::Unified, 12 * kMiB, 12, 64,
              HostSource::Sysfs);
  EXPECT_EQ(cpu.caches[2].sharedBy.value, 2u);
  EXPECT_EQ(cpu.caches[3].sharedBy.value, 8u);
  EXPECT_EQ(cpu.caches[3].sharedBy.source, HostSource::Sysfs);

  EXPECT_TRUE(parseSysfsCaches(tmp.sub("no-such-dir")).empty());
}

TEST(HostSysfsTest, MergeFillsWhatSysfsLacks) {
  TempDir tmp;
  std::string cacheDir = tmp.sub("cache");
  // sysfs without associativity and without an L3.
  writeSysfsCache(cacheDir, 0, 1, "Data", "48K", "", "0");
  writeSysfsCache(cacheDir, 1, 2, "Unified", "1024K", "", "0");
  std::vector<HostCache> caches = parseSysfsCaches(cacheDir);
  ASSERT_EQ(caches.size(), 2u);
  EXPECT_FALSE(caches[0].ways.isKnown());

  mergeCaches(caches, decodeCpuid(zen5Recording()).caches);
  HostCpu cpu;
  cpu.caches = caches;
  ASSERT_EQ(cpu.caches.size(), 4u); // L1i and L3 from CPUID
  const HostCache &l1d = findCache(cpu, 1, HostCacheType::Data);
  EXPECT_EQ(l1d.sizeBytes.source, HostSource::Sysfs);
  EXPECT_EQ(l1d.ways.value, 12u);
  EXPECT_EQ(l1d.ways.source, HostSource::Cpuid);
  EXPECT_EQ(findCache(cpu, 3, HostCacheType::Unified).sizeBytes.source,
            HostSource::Cpuid);
}

//===----------------------------------------------------------------------===//
// Detection and defaults
//===----------------------------------------------------------------------===//

TEST(HostDetectTest, FromSysfsOnly) {
  TempDir tmp;
  writeSysfsMachine(tmp);
  HostDetectOptions options;
  options.sysfsCpuDir = tmp.sub("cpu");
  options.procCpuinfo = tmp.sub("no-cpuinfo");
  options.queryProcessor = false;
  HostCpu cpu = detectHostCpu(options);

  EXPECT_EQ(cpu.threadsPerCore.value, 2u);
  EXPECT_EQ(cpu.threadsPerCore.source, HostSource::Sysfs);
  EXPECT_EQ(cpu.cores.value, 4u);
  EXPECT_EQ(cpu.cores.source, HostSource::Sysfs);
  EXPECT_EQ(cpu.frequencyMHz.value, 3500);
  EXPECT_EQ(cpu.frequencyMHz.source, HostSource::Sysfs);
  EXPECT_EQ(cpu.caches.size(), 4u);
  EXPECT_EQ(cpu.getDataCache(2)->sizeBytes.value, 1280 * kKiB);
  // Nothing tells the features without CPUID.
  EXPECT_EQ(cpu.featuresSource, HostSource::Default);
  EXPECT_EQ(cpu.vendor.source, HostSource::Default);
  EXPECT_EQ(cpu.fmaUnitsPerCore.value, 2u);
  EXPECT_EQ(cpu.vectorBits, 128u);
}

TEST(HostDetectTest, ProcCpuinfoClock) {
  TempDir tmp;
  writeFile(tmp.path, "cpuinfo",
            "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2096.029\n");
  HostDetectOptions options;
  options.sysfsCpuDir = tmp.sub("no-sysfs");
  options.procCpuinfo = tmp.sub("cpuinfo");
  options.queryProcessor = false;
  HostCpu cpu = detectHostCpu(options);
  EXPECT_DOUBLE_EQ(cpu.frequencyMHz.value, 2096.029);
  EXPECT_EQ(cpu.frequencyMHz.source, HostSource::Os);
}

TEST(HostDetectTest, DefaultsWhenNothingIsKnown) {
  HostDetectOptions options;
  options.sysfsCpuDir = "/nonexistent/romac/cpu";
  options.procCpuinfo = "/nonexistent/romac/cpuinfo";
  options.queryProcessor = false;
  HostCpu cpu = detectHostCpu(options);
  EXPECT_EQ(cpu.cores.value, 1u);
  EXPECT_EQ(cpu.cores.source, HostSource::Default);
  EXPECT_EQ(cpu.frequencyMHz.value, 2000);
  EXPECT_EQ(cpu.frequencyMHz.source, HostSource::Default);
  ASSERT_EQ(cpu.caches.size(), 3u);
  expectCache(cpu, 1, HostCacheType::Data, 32 * kKiB, 8, 64,
              HostSource::Default);
  expectCache(cpu, 1, HostCacheType::Instruction, 32 * kKiB, 8, 64,
              HostSource::Default);
  expectCache(cpu, 2, HostCacheType::Unified, 1 * kMiB, 16, 64,
              HostSource::Default);
}

TEST(HostDetectTest, ThisMachineIsFullyKnown) {
  const HostCpu &cpu = getHostCpu();
  EXPECT_TRUE(cpu.vendor.isKnown() && cpu.model.isKnown());
  EXPECT_GT(cpu.cores.value, 0u);
  EXPECT_GT(cpu.frequencyMHz.value, 0);
  EXPECT_NE(cpu.featuresSource, HostSource::Unknown);
  ASSERT_NE(cpu.getDataCache(1), nullptr);
  for (const HostCache &cache : cpu.caches) {
    SCOPED_TRACE(cache.getName());
    EXPECT_GT(cache.sizeBytes.value, 0u);
    EXPECT_TRUE(cache.sizeBytes.isKnown() && cache.lineBytes.isKnown() &&
                cache.ways.isKnown() && cache.sharedBy.isKnown());
  }
  // AVX-512 implies AVX2 on every CPU that has it; AMX needs AVX-512.
  if (cpu.features.avx512f) {
    EXPECT_TRUE(cpu.features.avx2);
  }
  if (cpu.features.amxTile) {
    EXPECT_TRUE(cpu.features.avx512f);
  }
}

//===----------------------------------------------------------------------===//
// The host target
//===----------------------------------------------------------------------===//

/// The recorded Zen 5 with this VM's 2 cores, finished with the defaults.
HostCpu zen5TwoCores() {
  HostCpu cpu = decodeCpuid(zen5Recording());
  cpu.cores.set(2, HostSource::Os);
  cpu.frequencyMHz.set(2096.029, HostSource::Os);
  applyHostDefaults(cpu);
  return cpu;
}

TEST(HostTargetTest, Zen5Target) {
  HostCpu cpu = zen5TwoCores();
  llvm::Expected<Target> target = makeHostTarget(cpu);
  ASSERT_TRUE(bool(target))
      << llvm::toString(target.takeError()) << getHostTargetYaml(cpu);
  EXPECT_EQ(target->name, "host");
  EXPECT_EQ(target->compute.rows, 16u); // 512-bit fp32 lanes
  EXPECT_EQ(target->compute.cols, 4u);  // 2 FMA units x 2 cores
  EXPECT_EQ(target->compute.getNumMacs(), 64u);
  EXPECT_DOUBLE_EQ(target->compute.frequencyMHz, 2096.029);
  for (OperandKind operand : kAllOperands)
    EXPECT_EQ(target->compute.getBytesPerElement(operand), 4u);
  // The buffer is the last-level cache, the L3, shared by both cores (the
  // default for an unknown sharing): one core's share is half of it. Its
  // energy is a 16 MiB array's (400 pJ per 64 bits), not the fit's 2254.
  ASSERT_EQ(target->memories.size(), 1u);
  const OnChipMemory &l3 = target->memories.front();
  EXPECT_EQ(l3.name, "L3");
  EXPECT_EQ(l3.bytes, 254 * kMiB);
  EXPECT_EQ(l3.getNumOperands(), 3u);
  EXPECT_NEAR(l3.readEnergyPJPerByte, 50.0, 1e-3);
  EXPECT_EQ(l3.bandwidthBytesPerCycle, 64);
  EXPECT_EQ(target->dram.standard, DramStandard::DDR4);
  EXPECT_EQ(target->dram.getCapacityBytes(), 8ull * 1024 * kMiB);
  EXPECT_NE(target->description.find("Turin-like"), std::string::npos);

  llvm::Expected<Target> l1 = makeHostTarget(cpu, 1);
  ASSERT_TRUE(bool(l1)) << llvm::toString(l1.takeError());
  EXPECT_EQ(l1->name, "host-l1");
  EXPECT_EQ(l1->memories.front().name, "L1d");
  EXPECT_EQ(l1->memories.front().bytes, 48 * kKiB);
  EXPECT_EQ(l1->memories.front().bandwidthBytesPerCycle, 128); // 2 x 64 B

  llvm::Expected<Target> l2 = makeHostTarget(cpu, 2);
  ASSERT_TRUE(bool(l2)) << llvm::toString(l2.takeError());
  EXPECT_EQ(l2->name, "host-l2");
  EXPECT_EQ(l2->memories.front().name, "L2");
  EXPECT_EQ(l2->memories.front().bytes, 1 * kMiB);
  EXPECT_NEAR(l2->memories.front().readEnergyPJPerByte, 12.5,
              1e-3); // 100 pJ per 64 bits

  EXPECT_EQ(parseHostTargetName("host"), 0u);
  EXPECT_EQ(parseHostTargetName("host-l2"), 2u);
  EXPECT_EQ(parseHostTargetName("host-l0"), std::nullopt);
  EXPECT_EQ(parseHostTargetName("host-l12"), std::nullopt);
  EXPECT_EQ(parseHostTargetName("hostess"), std::nullopt);

  llvm::Expected<Target> l4 = makeHostTarget(cpu, 4);
  ASSERT_FALSE(bool(l4));
  EXPECT_EQ(llvm::toString(l4.takeError()),
            "error: the host CPU has no level-4 data cache");
}

TEST(HostTargetTest, SapphireRapidsTarget) {
  HostCpu cpu = decodeCpuid(sapphireRapidsExample());
  cpu.threadsPerCore.set(2, HostSource::Sysfs);
  cpu.cores.set(56, HostSource::Os);
  applyHostDefaults(cpu);
  llvm::Expected<Target> target = makeHostTarget(cpu);
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->compute.rows, 16u);
  EXPECT_EQ(target->compute.cols, 112u);
  // The last level, the L3: 128 addressable IDs / 2 threads = 64 > 56
  // cores: shared by all 56.
  EXPECT_EQ(target->memories.front().bytes, 105 * kMiB / 56);
  EXPECT_EQ(target->compute.frequencyMHz, 3800);
  llvm::Expected<Target> l2 = makeHostTarget(cpu, 2);
  ASSERT_TRUE(bool(l2)) << llvm::toString(l2.takeError());
  EXPECT_EQ(l2->memories.front().bytes, 2 * kMiB); // private to a core
}

TEST(HostTargetTest, DefaultCpuTarget) {
  HostCpu cpu;
  applyHostDefaults(cpu);
  llvm::Expected<Target> target = makeHostTarget(cpu);
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->compute.rows, 4u); // 128-bit SIMD
  EXPECT_EQ(target->compute.cols, 2u);
  EXPECT_EQ(target->memories.front().bytes, 1 * kMiB);
}

TEST(HostTargetTest, NoDataCacheIsAnError) {
  HostCpu cpu;
  applyHostDefaults(cpu);
  cpu.caches.clear();
  llvm::Expected<Target> target = makeHostTarget(cpu);
  ASSERT_FALSE(bool(target));
  EXPECT_EQ(llvm::toString(target.takeError()),
            "error: the host CPU has no data cache");
}

TEST(HostTargetTest, HostNameResolves) {
  // `host` is built in: no targets folder is needed.
  llvm::Expected<Target> target = loadTarget("host", "/nonexistent/targets");
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->name, "host");
  EXPECT_GT(target->compute.getNumMacs(), 0u);
  EXPECT_EQ(target->compute.rows, getHostCpu().getFp32Lanes());
  ASSERT_EQ(target->memories.size(), 1u);
  EXPECT_GT(target->memories.front().bytes, 0u);
  // A path still names a file.
  EXPECT_FALSE(bool(loadTarget("./host", "/nonexistent/targets")));
  llvm::consumeError(loadTarget("./host").takeError());
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

TEST(HostPrintTest, TextNamesEverySource) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printHostCpu(os, zen5TwoCores());
  EXPECT_NE(text.find("vendor: AuthenticAMD [cpuid]\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cores: 2 [os]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vector: 512 bits, 32 registers, 16 fp32 lanes\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("features: avx avx2 fma avx512f avx512bw avx512vl "
                      "avx512bf16 avx512vnni avxvnni [cpuid]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("not available: amx-tile amx-bf16 amx-int8\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cache L1d: 48 KiB [cpuid], line 64 B [cpuid], 12-way "
                      "[cpuid], shared by 1 CPU(s) [default]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cache L3: 508 MiB [cpuid], line 64 B [cpuid], 16-way "
                      "[default], shared by 2 CPU(s) [default]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("target host: 16 x 4 fp32 MACs at 2096 MHz, buffer L3 "
                      "254 MiB"),
            std::string::npos)
      << text;
}

TEST(HostPrintTest, JsonParses) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printHostCpuJson(os, zen5TwoCores());
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(text);
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *root = value->getAsObject();
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->getObject("vendor")->getString("source"), "cpuid");
  EXPECT_EQ(root->getInteger("vector_bits"), 512);
  EXPECT_EQ(root->getObject("features")->getBoolean("avx512bf16"), true);
  EXPECT_EQ(root->getObject("features")->getBoolean("amx-tile"), false);
  EXPECT_EQ(root->getArray("caches")->size(), 4u);
  EXPECT_EQ(root->getObject("target")->getInteger("rows"), 16);
}

} // namespace
