//===- HostCpuid.cpp - read and decode CPUID --------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// readHostCpuid() executes CPUID and XGETBV; decodeCpuid() turns the recorded
// register values into a HostCpu, so that unit tests can decode recordings of
// other CPUs. Bit positions follow the Intel SDM, Vol. 2A, "CPUID", and the
// AMD APM, Vol. 3, Appendix E.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Host.h"

#include "llvm/ADT/StringExtras.h"

#if (defined(__x86_64__) || defined(__i386__)) &&                              \
    (defined(__GNUC__) || defined(__clang__))
#define ROMAC_HAVE_CPUID 1
#include <cpuid.h>
#else
#define ROMAC_HAVE_CPUID 0
#endif

using namespace llvm;
using namespace romac;

namespace {

/// Leaves of the extended range start here.
constexpr uint32_t kExtendedBase = 0x80000000u;

/// Bit \p bit of \p value.
constexpr bool bit(uint32_t value, unsigned bit) { return (value >> bit) & 1u; }

/// Bits [lo, hi] of \p value.
constexpr uint32_t bits(uint32_t value, unsigned hi, unsigned lo) {
  return (value >> lo) & ((hi - lo == 31) ? ~0u : ((1u << (hi - lo + 1)) - 1));
}

/// Appends the four bytes of \p reg (little-endian) to \p out.
void appendRegister(std::string &out, uint32_t reg) {
  for (unsigned i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((reg >> (8 * i)) & 0xff));
}

/// Drops NULs and surrounding blanks, and folds runs of blanks inside.
std::string cleanString(StringRef raw) {
  std::string result;
  for (char c : raw) {
    if (c == '\0')
      break;
    if (!isPrint(c))
      continue;
    if (c == ' ' && (result.empty() || result.back() == ' '))
      continue;
    result.push_back(c);
  }
  while (!result.empty() && result.back() == ' ')
    result.pop_back();
  return result;
}

/// Decodes the caches of leaf 4 (Intel) or 0x8000001D (AMD): one subleaf per
/// cache until the type field reads 0 ("no more caches").
std::vector<HostCache> decodeDeterministicCaches(const CpuidDump &dump,
                                                 uint32_t leaf) {
  std::vector<HostCache> caches;
  for (uint32_t subleaf = 0; subleaf < 32; ++subleaf) {
    std::optional<CpuidLeaf> regs = dump.get(leaf, subleaf);
    if (!regs)
      break;
    uint32_t type = bits(regs->eax, 4, 0);
    if (type == 0)
      break;
    if (type > 3)
      continue; // reserved cache type
    HostCache cache;
    cache.type = type == 1   ? HostCacheType::Data
                 : type == 2 ? HostCacheType::Instruction
                             : HostCacheType::Unified;
    cache.level = bits(regs->eax, 7, 5);
    uint64_t lineBytes = bits(regs->ebx, 11, 0) + 1;
    uint64_t partitions = bits(regs->ebx, 21, 12) + 1;
    uint64_t ways = bits(regs->ebx, 31, 22) + 1;
    uint64_t sets = static_cast<uint64_t>(regs->ecx) + 1;
    cache.sizeBytes.set(ways * partitions * lineBytes * sets,
                        HostSource::Cpuid);
    cache.lineBytes.set(lineBytes, HostSource::Cpuid);
    cache.ways.set(bit(regs->eax, 9) ? 0 : ways, HostSource::Cpuid);
    cache.sharedBy.set(bits(regs->eax, 25, 14) + 1, HostSource::Cpuid);
    caches.push_back(cache);
  }
  return caches;
}

/// Decodes the associativity code of leaves 0x80000006 (L2, L3): the encoding
/// the Intel SDM and the AMD APM share; std::nullopt for codes that mean
/// "see another leaf" or are reserved. 0 is fully associative.
std::optional<uint64_t> decodeLegacyWays(uint32_t code) {
  switch (code) {
  case 0x1:
    return 1;
  case 0x2:
    return 2;
  case 0x4:
    return 4;
  case 0x5:
    return 6; // AMD only; reserved on Intel
  case 0x6:
    return 8;
  case 0x8:
    return 16;
  case 0xA:
    return 32;
  case 0xB:
    return 48;
  case 0xC:
    return 64;
  case 0xD:
    return 96;
  case 0xE:
    return 128;
  case 0xF:
    return 0;
  default:
    return std::nullopt;
  }
}

/// A cache of the legacy leaves; size 0 means the cache is absent.
std::optional<HostCache> makeLegacyCache(unsigned level, HostCacheType type,
                                         uint64_t sizeBytes, uint64_t lineBytes,
                                         std::optional<uint64_t> ways) {
  if (sizeBytes == 0)
    return std::nullopt;
  HostCache cache;
  cache.level = level;
  cache.type = type;
  cache.sizeBytes.set(sizeBytes, HostSource::Cpuid);
  if (lineBytes != 0)
    cache.lineBytes.set(lineBytes, HostSource::Cpuid);
  if (ways)
    cache.ways.set(*ways, HostSource::Cpuid);
  return cache;
}

/// Decodes AMD's L1 leaf 0x80000005 (L1d in ECX, L1i in EDX: size in KiB in
/// bits 31:24, ways in 23:16 with 0xFF fully associative, line in 7:0) and
/// the L2 (ECX) and, on AMD, L3 (EDX) of leaf 0x80000006.
std::vector<HostCache> decodeLegacyCaches(const CpuidDump &dump, bool isAmd) {
  std::vector<HostCache> caches;
  auto add = [&](std::optional<HostCache> cache) {
    if (cache)
      caches.push_back(*cache);
  };
  if (std::optional<CpuidLeaf> l1 = dump.get(0x80000005); l1 && isAmd) {
    auto l1Cache = [&](uint32_t reg, HostCacheType type) {
      uint32_t ways = bits(reg, 23, 16);
      return makeLegacyCache(1, type, uint64_t(bits(reg, 31, 24)) * 1024,
                             bits(reg, 7, 0),
                             ways == 0xff ? 0 : uint64_t(ways));
    };
    add(l1Cache(l1->ecx, HostCacheType::Data));
    add(l1Cache(l1->edx, HostCacheType::Instruction));
  }
  if (std::optional<CpuidLeaf> l2 = dump.get(0x80000006)) {
    add(makeLegacyCache(
        2, HostCacheType::Unified, uint64_t(bits(l2->ecx, 31, 16)) * 1024,
        bits(l2->ecx, 7, 0), decodeLegacyWays(bits(l2->ecx, 15, 12))));
    if (isAmd) // L3 size in 512 KiB units.
      add(makeLegacyCache(3, HostCacheType::Unified,
                          uint64_t(bits(l2->edx, 31, 18)) * 512 * 1024,
                          bits(l2->edx, 7, 0),
                          decodeLegacyWays(bits(l2->edx, 15, 12))));
  }
  return caches;
}

/// Decodes the features of leaves 1 and 7 masked by the register state the
/// OS saves (XCR0): SSE and AVX state (bits 1, 2) for AVX, FMA, AVX2 and
/// AVX-VNNI; opmask and ZMM state (bits 5-7) as well for AVX-512; tile
/// config and data (bits 17, 18) for AMX.
void decodeFeatures(const CpuidDump &dump, HostCpu &cpu) {
  std::optional<CpuidLeaf> l1 = dump.get(1);
  if (!l1)
    return;
  cpu.featuresSource = HostSource::Cpuid;
  bool osxsave = bit(l1->ecx, 27);
  uint64_t xcr0 = osxsave ? dump.xcr0 : 0;
  bool osAvx = (xcr0 & 0x6) == 0x6;
  bool osAvx512 = osAvx && (xcr0 & 0xe0) == 0xe0;
  bool osAmx = (xcr0 & 0x60000) == 0x60000;

  HostFeatures &f = cpu.features;
  f.fma = bit(l1->ecx, 12) && osAvx;
  f.avx = bit(l1->ecx, 28) && osAvx;
  std::optional<CpuidLeaf> l7 = dump.get(7, 0);
  if (!l7)
    return;
  f.avx2 = bit(l7->ebx, 5) && osAvx;
  f.avx512f = bit(l7->ebx, 16) && osAvx512;
  f.avx512bw = bit(l7->ebx, 30) && osAvx512;
  f.avx512vl = bit(l7->ebx, 31) && osAvx512;
  f.avx512vnni = bit(l7->ecx, 11) && osAvx512;
  f.amxBf16 = bit(l7->edx, 22) && osAmx;
  f.amxTile = bit(l7->edx, 24) && osAmx;
  f.amxInt8 = bit(l7->edx, 25) && osAmx;
  // Subleaf 1 exists when subleaf 0 reports it (EAX = highest subleaf).
  std::optional<CpuidLeaf> l71 = l7->eax >= 1 ? dump.get(7, 1) : std::nullopt;
  if (!l71)
    return;
  f.avxvnni = bit(l71->eax, 4) && osAvx;
  f.avx512bf16 = bit(l71->eax, 5) && osAvx512;
}

} // namespace

std::optional<CpuidLeaf> CpuidDump::get(uint32_t leaf, uint32_t subleaf) const {
  // A leaf above the highest one the CPU reports returns the data of the
  // highest basic leaf on Intel: never trust it.
  uint32_t base = leaf >= kExtendedBase ? kExtendedBase : 0;
  if (leaf != base) {
    std::optional<CpuidLeaf> range = get(base);
    if (!range || leaf > range->eax)
      return std::nullopt;
  }
  for (const CpuidLeaf &record : leaves)
    if (record.leaf == leaf && record.subleaf == subleaf)
      return record;
  return std::nullopt;
}

CpuidDump romac::readHostCpuid() {
  CpuidDump dump;
#if ROMAC_HAVE_CPUID
  auto read = [&](uint32_t leaf, uint32_t subleaf) -> std::optional<CpuidLeaf> {
    CpuidLeaf record;
    record.leaf = leaf;
    record.subleaf = subleaf;
    // __get_cpuid_count checks the leaf against the highest of its range.
    if (!__get_cpuid_count(leaf, subleaf, &record.eax, &record.ebx, &record.ecx,
                           &record.edx))
      return std::nullopt;
    dump.leaves.push_back(record);
    return record;
  };
  // Leaves 4 and 0x8000001D list one cache per subleaf until type 0.
  auto readCaches = [&](uint32_t leaf) {
    for (uint32_t subleaf = 0; subleaf < 32; ++subleaf) {
      std::optional<CpuidLeaf> record = read(leaf, subleaf);
      if (!record || bits(record->eax, 4, 0) == 0)
        break;
    }
  };
  std::optional<CpuidLeaf> basic = read(0, 0);
  if (!basic)
    return dump;
  std::optional<CpuidLeaf> l1 = read(1, 0);
  readCaches(4);
  if (std::optional<CpuidLeaf> l7 = read(7, 0); l7 && l7->eax >= 1)
    read(7, 1);
  read(0x16, 0);
  if (read(kExtendedBase, 0)) {
    for (uint32_t leaf = 0x80000001; leaf <= 0x80000006; ++leaf)
      read(leaf, 0);
    readCaches(0x8000001D);
  }
  if (l1 && bit(l1->ecx, 27)) { // OSXSAVE: XGETBV may be executed.
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    dump.xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
  }
#endif
  return dump;
}

HostCpu romac::decodeCpuid(const CpuidDump &dump) {
  HostCpu cpu;
  std::optional<CpuidLeaf> basic = dump.get(0);
  if (!basic)
    return cpu;
  std::string vendor;
  for (uint32_t reg : {basic->ebx, basic->edx, basic->ecx})
    appendRegister(vendor, reg);
  cpu.vendor.set(cleanString(vendor), HostSource::Cpuid);
  bool isAmd =
      cpu.vendor.value == "AuthenticAMD" || cpu.vendor.value == "HygonGenuine";

  std::string brand;
  for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; ++leaf)
    if (std::optional<CpuidLeaf> regs = dump.get(leaf))
      for (uint32_t reg : {regs->eax, regs->ebx, regs->ecx, regs->edx})
        appendRegister(brand, reg);
  if (std::string model = cleanString(brand); !model.empty())
    cpu.model.set(model, HostSource::Cpuid);

  decodeFeatures(dump, cpu);

  // Caches: the deterministic leaves where they list any, else the legacy
  // ones. AMD's 0x8000001D needs TOPOEXT (0x80000001 ECX bit 22).
  cpu.caches = decodeDeterministicCaches(dump, 4);
  std::optional<CpuidLeaf> ext1 = dump.get(0x80000001);
  if (cpu.caches.empty() && ext1 && bit(ext1->ecx, 22))
    cpu.caches = decodeDeterministicCaches(dump, 0x8000001D);
  if (cpu.caches.empty())
    cpu.caches = decodeLegacyCaches(dump, isAmd);
  mergeCaches(cpu.caches, {}); // sorts

  // Leaf 0x16 (Intel): maximum frequency in EBX, base in EAX, in MHz.
  if (std::optional<CpuidLeaf> freq = dump.get(0x16)) {
    uint32_t mhz = bits(freq->ebx, 15, 0) ? bits(freq->ebx, 15, 0)
                                          : bits(freq->eax, 15, 0);
    if (mhz)
      cpu.frequencyMHz.set(mhz, HostSource::Cpuid);
  }
  cpu.updateVectorWidth();
  return cpu;
}
