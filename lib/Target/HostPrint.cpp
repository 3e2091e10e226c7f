//===- HostPrint.cpp - print the detected host CPU --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `romac --print-host` prints: every detected value with its source in
// brackets, as text or as one JSON object.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Host.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

using namespace llvm;
using namespace romac;

namespace {

/// " [source]".
std::string tag(HostSource source) {
  return (" [" + stringifyHostSource(source) + "]").str();
}

/// The LLVM names of the features that are on (\p on) or off.
SmallVector<StringRef> listFeatures(const HostFeatures &features, bool on) {
  SmallVector<StringRef> names;
  for (const HostFeatureName &feature : kHostFeatureNames)
    if (features.*feature.flag == on)
      names.push_back(feature.llvmName);
  return names;
}

/// Writes `{"value": V, "source": S}`.
template <typename T>
void writeSourced(json::OStream &json, StringRef key, const Sourced<T> &v) {
  json.attributeObject(key, [&] {
    json.attribute("value", v.value);
    json.attribute("source", stringifyHostSource(v.source));
  });
}

} // namespace

void romac::printHostCpu(raw_ostream &os, const HostCpu &cpu) {
  os << "host CPU ([source]: sysfs, cpuid, os or default)\n";
  os << "vendor: " << cpu.vendor.value << tag(cpu.vendor.source) << "\n";
  os << "model: " << cpu.model.value << tag(cpu.model.source) << "\n";
  if (!cpu.llvmCpuName.empty())
    os << "llvm cpu: " << cpu.llvmCpuName << "\n";
  os << "cores: " << cpu.cores.value << tag(cpu.cores.source) << "\n";
  os << "threads per core: " << cpu.threadsPerCore.value
     << tag(cpu.threadsPerCore.source) << "\n";
  os << "frequency: " << format("%.0f", cpu.frequencyMHz.value) << " MHz"
     << tag(cpu.frequencyMHz.source) << "\n";
  os << "vector: " << cpu.vectorBits << " bits, " << cpu.vectorRegisters
     << " registers, " << cpu.getFp32Lanes() << " fp32 lanes\n";
  os << "fma units per core: " << cpu.fmaUnitsPerCore.value
     << tag(cpu.fmaUnitsPerCore.source) << "\n";
  SmallVector<StringRef> on = listFeatures(cpu.features, true);
  os << "features: " << (on.empty() ? "none" : join(on, " "))
     << tag(cpu.featuresSource) << "\n";
  SmallVector<StringRef> off = listFeatures(cpu.features, false);
  os << "not available: " << (off.empty() ? "none" : join(off, " ")) << "\n";
  if (cpu.amxDenied)
    os << "amx: the CPU has AMX, but Linux refused this process the tile "
          "state (arch_prctl)\n";
  for (const HostCache &cache : cpu.caches) {
    os << "cache " << cache.getName() << ": "
       << formatByteSize(cache.sizeBytes.value) << tag(cache.sizeBytes.source)
       << ", line " << cache.lineBytes.value << " B"
       << tag(cache.lineBytes.source) << ", ";
    if (cache.ways.value == 0)
      os << "fully associative";
    else
      os << cache.ways.value << "-way";
    os << tag(cache.ways.source) << ", shared by " << cache.sharedBy.value
       << " CPU(s)" << tag(cache.sharedBy.source) << "\n";
  }
  Expected<Target> target = makeHostTarget(cpu);
  if (!target) {
    os << "target host: " << toString(target.takeError()) << "\n";
    return;
  }
  const OnChipMemory &buffer = target->memories.front();
  os << "target host: " << target->compute.rows << " x " << target->compute.cols
     << " fp32 MACs at " << format("%.0f", target->compute.frequencyMHz)
     << " MHz, buffer " << buffer.name << " " << formatByteSize(buffer.bytes)
     << " (input, weight, output), DRAM "
     << stringifyDramStandard(target->dram.standard) << " [default]\n";
}

void romac::printHostCpuJson(raw_ostream &os, const HostCpu &cpu) {
  json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    writeSourced(json, "vendor", cpu.vendor);
    writeSourced(json, "model", cpu.model);
    json.attribute("llvm_cpu", cpu.llvmCpuName);
    writeSourced(json, "cores", cpu.cores);
    writeSourced(json, "threads_per_core", cpu.threadsPerCore);
    writeSourced(json, "frequency_mhz", cpu.frequencyMHz);
    json.attribute("vector_bits", cpu.vectorBits);
    json.attribute("vector_registers", cpu.vectorRegisters);
    writeSourced(json, "fma_units_per_core", cpu.fmaUnitsPerCore);
    json.attributeObject("features", [&] {
      for (const HostFeatureName &feature : kHostFeatureNames)
        json.attribute(feature.llvmName, cpu.features.*feature.flag);
    });
    json.attribute("features_source", stringifyHostSource(cpu.featuresSource));
    json.attribute("amx_denied", cpu.amxDenied);
    json.attributeArray("caches", [&] {
      for (const HostCache &cache : cpu.caches)
        json.object([&] {
          json.attribute("name", cache.getName());
          json.attribute("level", cache.level);
          json.attribute("type", stringifyHostCacheType(cache.type));
          writeSourced(json, "size_bytes", cache.sizeBytes);
          writeSourced(json, "line_bytes", cache.lineBytes);
          writeSourced(json, "ways", cache.ways);
          writeSourced(json, "shared_by", cache.sharedBy);
        });
    });
    Expected<Target> target = makeHostTarget(cpu);
    if (!target) {
      json.attribute("target_error", toString(target.takeError()));
      return;
    }
    json.attributeObject("target", [&] {
      json.attribute("name", target->name);
      json.attribute("rows", target->compute.rows);
      json.attribute("cols", target->compute.cols);
      json.attribute("buffer", target->memories.front().name);
      json.attribute("buffer_bytes", target->memories.front().bytes);
    });
  });
  os << "\n";
}
