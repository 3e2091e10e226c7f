//===- HostTarget.cpp - the host CPU as a romac target ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Writes the detected CPU as target YAML and parses it with the target
// loader, so that the host target passes exactly the validation of the
// shipped targets. docs/targets.md ("The host target") explains the mapping:
//
//  - compute: rows = fp32 lanes of a vector register, cols = FMA units per
//    core x cores; fp32 operands; the core clock; every operand tile is
//    copied once per kernel call (at half the buffer's bandwidth); a MAC
//    energy per quantized precision from the same 45 nm figures;
//  - memories: one buffer, one core's share of the chosen data cache (the
//    last level by default), holding all three operands, as a cache does;
//  - dram: the DDR4-3200 channel of targets/simba-like.yaml.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Host.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace romac;

namespace {

/// fp32 fused multiply-add, 45 nm: 3.7 pJ multiply + 0.9 pJ add (Horowitz,
/// "Computing's energy problem", ISSCC 2014).
constexpr double kFmaEnergyPJ = 4.6;

/// Energy of one 64-bit cache access in pJ, fitted to the same paper's 45 nm
/// figures (10 pJ at 8 KiB, 20 pJ at 32 KiB, 100 pJ at 1 MiB):
/// 100 pJ x sqrt(size / 1 MiB), with sizes above 16 MiB charged as 16 MiB
/// (400 pJ): the fit is not stretched to a large L3 (this VM reports
/// 508 MiB), whose accesses would otherwise cost more than the default
/// DRAM's 512 pJ.
double cacheEnergyPJPer64Bits(uint64_t sizeBytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  return 100.0 *
         std::sqrt(std::min(static_cast<double>(sizeBytes), 16 * kMiB) / kMiB);
}

/// \p text as a double-quoted YAML scalar (printable ASCII only).
std::string quoteYaml(StringRef text) {
  std::string result = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      result += '\\';
    if (isPrint(c))
      result += c;
  }
  return result + "\"";
}

/// "AVX-512", "AVX2", "AVX" or "SSE": the widest vector ISA.
StringRef describeVectorIsa(const HostCpu &cpu) {
  if (cpu.features.avx512f)
    return "AVX-512";
  if (cpu.features.avx2)
    return "AVX2";
  if (cpu.features.avx)
    return "AVX";
  return "128-bit SIMD";
}

/// The data cache the buffer models: \p cacheLevel, or 0 for the last
/// level (the cache DRAM feeds; the levels below it are the kernels').
const HostCache *chooseCache(const HostCpu &cpu, unsigned cacheLevel) {
  if (cacheLevel != 0)
    return cpu.getDataCache(cacheLevel);
  const HostCache *last = nullptr;
  for (const HostCache &cache : cpu.caches)
    if (cache.holdsData() && (!last || cache.level > last->level))
      last = &cache;
  return last;
}

/// Cores that share \p cache: its logical CPUs over the threads of a core.
uint64_t coresSharing(const HostCpu &cpu, const HostCache &cache) {
  uint64_t threads = std::max<uint64_t>(1, cpu.threadsPerCore.value);
  uint64_t cores = std::max<uint64_t>(1, cache.sharedBy.value / threads);
  return std::min<uint64_t>(cores, std::max<uint64_t>(1, cpu.cores.value));
}

/// The `dram:` section: targets/simba-like.yaml's DDR4-3200 8Gb x8 channel
/// (DRAMsim3 DDR4_8Gb_x8_3200 values) with the conventional controller
/// mapping. romac cannot see the DIMMs, so this is a default.
constexpr StringLiteral kHostDramYaml = R"(dram:
  # Default: the DDR4-3200 8Gb x8 channel of targets/simba-like.yaml
  # (DRAMsim3 DDR4_8Gb_x8_3200 values); the DIMMs are not detected.
  standard: DDR4
  channels: 1
  ranks: 1
  chips_per_rank: 8
  device_width: 8
  bank_groups: 4
  banks_per_group: 4
  rows: 65536
  columns: 1024
  burst_length: 8
  page_policy: open
  address_mapping: row-interleaved   # the conventional controller default
  flat_energy_pj_per_bit: 8          # 45 nm table: 512 pJ per 64 bits
  timing: {tCK: 0.63, CL: 22, CWL: 16, tRCD: 22, tRP: 22, tRAS: 52, tRC: 74,
           tCCD_S: 4, tCCD_L: 8, tRRD_S: 4, tRRD_L: 8, tFAW: 34, tWR: 24,
           tWTR_S: 4, tWTR_L: 12, tRTP: 12, tRFC: 560, tREFI: 12480}
  power: {VDD: 1.2, IDD0: 57, IDD2N: 37, IDD3N: 52, IDD4R: 168, IDD4W: 150,
          IDD5AB: 250}
)";

} // namespace

std::optional<unsigned> romac::parseHostTargetName(StringRef name) {
  if (name == kHostTargetName)
    return 0u;
  unsigned level = 0;
  if (name.consume_front(kHostTargetName) && name.consume_front("-l") &&
      name.size() == 1 && !name.getAsInteger(10, level) && level >= 1)
    return level;
  return std::nullopt;
}

std::string romac::getHostTargetYaml(const HostCpu &cpu, unsigned cacheLevel) {
  std::string yaml;
  raw_string_ostream os(yaml);
  const HostCache *cache = chooseCache(cpu, cacheLevel);
  std::string name = cacheLevel == 0 ? kHostTargetName.str()
                                     : kHostTargetName.str() + "-l" +
                                           std::to_string(cacheLevel);
  std::string cacheName = cache ? cache->getName() : "none";
  uint64_t sharing = cache ? coresSharing(cpu, *cache) : 1;
  uint64_t bytes = cache ? cache->sizeBytes.value / sharing : 0;

  os << "# The host CPU, detected at run time (docs/targets.md, \"The host "
        "target\").\n";
  os << "name: " << name << "\n";
  os << "description: "
     << quoteYaml(formatv("{0}: {1} core(s), {2}, fp32 on {3} x {4} FMA "
                          "lanes, {5} {6} per core, default DDR4-3200",
                          cpu.model.value, cpu.cores.value,
                          describeVectorIsa(cpu), cpu.getFp32Lanes(),
                          cpu.fmaUnitsPerCore.value * cpu.cores.value,
                          formatByteSize(bytes), cacheName)
                      .str())
     << "\n";

  os << "compute:\n";
  os << "  rows: " << cpu.getFp32Lanes() << "    # fp32 lanes of a "
     << cpu.vectorBits << "-bit vector register\n";
  os << "  cols: " << cpu.fmaUnitsPerCore.value * cpu.cores.value << "    # "
     << cpu.fmaUnitsPerCore.value << " FMA unit(s) per core ["
     << stringifyHostSource(cpu.fmaUnitsPerCore.source) << "] x "
     << cpu.cores.value << " core(s) [" << stringifyHostSource(cpu.cores.source)
     << "]\n";
  os << "  frequency_mhz: " << format("%.3f", cpu.frequencyMHz.value) << "  # ["
     << stringifyHostSource(cpu.frequencyMHz.source) << "]\n";
  os << "  bytes_per_element: {input: 4, weight: 4, output: 4}   # fp32\n";
  os << "  mac_energy_pj: " << format("%g", kFmaEnergyPJ)
     << "   # fp32 FMA, 45 nm (Horowitz, ISSCC 2014)\n";
  // The quantized precisions (--quantize): an 8-bit multiply (0.2 pJ) and
  // a 32-bit accumulate (0.1 pJ), 45 nm (the same paper), the multiply
  // scaling with the product of the operands' widths, as for the shipped
  // targets.
  os << "  mac_energy_pj_by_precision: {w8a8: 0.3, w4a8: 0.2, w8a16: 0.5, "
        "w4a16: 0.3}   # 8-bit multiply 0.2 pJ x (weight bits x activation "
        "bits / 64) + 32-bit add 0.1 pJ, 45 nm (Horowitz)\n";

  // An L1 feeds two vector loads per cycle; the levels below it one line.
  double bandwidth = !cache              ? 0
                     : cache->level <= 1 ? 2.0 * cpu.vectorBits / 8.0
                                         : double(cache->lineBytes.value);
  if (bandwidth > 0)
    os << "  pack_bytes_per_cycle: " << format("%g", bandwidth / 2)
       << "   # a kernel call packs its input and weight tiles and loads and "
          "stores its output tile: read + write at the buffer's bandwidth\n";

  os << "memories:\n";
  if (cache) {
    double pjPerByte = cacheEnergyPJPer64Bits(cache->sizeBytes.value) / 8.0;
    os << "  # One core's share of the " << cacheName << " ("
       << formatByteSize(cache->sizeBytes.value) << " ["
       << stringifyHostSource(cache->sizeBytes.source) << "], shared by "
       << sharing << " core(s)); a cache holds every operand.\n";
    os << "  - name: " << cacheName << "\n";
    os << "    bytes: " << bytes << "\n";
    os << "    holds: [input, weight, output]\n";
    os << "    read_energy_pj_per_byte: " << format("%.4f", pjPerByte)
       << "   # 100 pJ x sqrt(min(size, 16 MiB) / 1 MiB) per 64 bits, 45 nm "
          "fit\n";
    os << "    write_energy_pj_per_byte: " << format("%.4f", pjPerByte) << "\n";
    os << "    bandwidth_bytes_per_cycle: " << format("%g", bandwidth) << "\n";
  }
  os << kHostDramYaml;
  return yaml;
}

std::string romac::formatByteSize(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0)
    return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0)
    return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " B";
}

Expected<Target> romac::makeHostTarget(const HostCpu &cpu,
                                       unsigned cacheLevel) {
  if (!chooseCache(cpu, cacheLevel))
    return make_error<TargetError>(
        "", 0, 0,
        cacheLevel == 0
            ? std::string("the host CPU has no data cache")
            : formatv("the host CPU has no level-{0} data cache", cacheLevel)
                  .str());
  return parseTarget(getHostTargetYaml(cpu, cacheLevel), kHostTargetName);
}
