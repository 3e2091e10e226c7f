//===- Target.cpp - accelerator target model --------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Derived values of a target, names of enums, the error class and the lookup
// of targets by name. The YAML parser lives in TargetParser.cpp.
//
//===----------------------------------------------------------------------===//

#include "romac/Target/Target.h"
#include "romac/Target/Host.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>

using namespace llvm;
using namespace romac;

//===----------------------------------------------------------------------===//
// Derived values
//===----------------------------------------------------------------------===//

/// Product of \p factors, saturating at UINT64_MAX.
static uint64_t product(std::initializer_list<uint64_t> factors) {
  uint64_t result = 1;
  for (uint64_t factor : factors)
    result = SaturatingMultiply(result, factor);
  return result;
}

/// log2 of a power of two (0 for 0).
static unsigned log2Exact(uint64_t value) {
  assert((value == 0 || isPowerOf2_64(value)) && "count is not a power of two");
  return value == 0 ? 0 : Log2_64(value);
}

uint64_t ComputeArray::getNumMacs() const { return product({rows, cols}); }

unsigned OnChipMemory::getNumOperands() const {
  return llvm::popcount(static_cast<unsigned>(operandMask));
}

uint64_t DramConfig::getBusWidthBits() const {
  return product({chipsPerRank, deviceWidth});
}

uint64_t DramConfig::getBytesPerBurst() const {
  return product({chipsPerRank, deviceWidth, burstLength}) / 8;
}

uint64_t DramConfig::getRowBytes() const {
  return product({columns, deviceWidth, chipsPerRank}) / 8;
}

uint64_t DramConfig::getBurstsPerRow() const {
  return burstLength == 0 ? 0 : columns / burstLength;
}

uint64_t DramConfig::getBanksPerRank() const {
  return product({bankGroups, banksPerGroup});
}

uint64_t DramConfig::getTotalBanks() const {
  return product({channels, ranks, bankGroups, banksPerGroup});
}

uint64_t DramConfig::getDeviceBits() const {
  return product({bankGroups, banksPerGroup, rows, columns, deviceWidth});
}

uint64_t DramConfig::getCapacityBytes() const {
  // Divide the bus width first (it is a whole number of bytes) so that the
  // product only saturates when the capacity itself does not fit.
  return product({channels, ranks, bankGroups, banksPerGroup, rows, columns,
                  getBusWidthBits() / 8});
}

DramAddressBits DramConfig::getAddressBits() const {
  DramAddressBits bits;
  bits.byteOffset = log2Exact(getBusWidthBits() / 8);
  bits.column = log2Exact(columns);
  bits.burst = log2Exact(burstLength);
  bits.bank = log2Exact(banksPerGroup);
  bits.bankGroup = log2Exact(bankGroups);
  bits.rank = log2Exact(ranks);
  bits.channel = log2Exact(channels);
  bits.row = log2Exact(rows);
  return bits;
}

double DramConfig::getPeakBandwidthGBps() const {
  if (timing.tCK <= 0)
    return 0;
  // Double data rate: two transfers of the bus per tCK; bytes per ns = GB/s.
  return static_cast<double>(channels) *
         (static_cast<double>(getBusWidthBits()) / 8.0) * 2.0 / timing.tCK;
}

const OnChipMemory *Target::getMemoryFor(OperandKind operand) const {
  for (const OnChipMemory &memory : memories)
    if (memory.holds(operand))
      return &memory;
  return nullptr;
}

const OnChipMemory *Target::findMemory(StringRef memoryName) const {
  for (const OnChipMemory &memory : memories)
    if (memory.name == memoryName)
      return &memory;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// TargetError
//===----------------------------------------------------------------------===//

char TargetError::ID = 0;

void TargetError::log(raw_ostream &os) const {
  if (!file.empty()) {
    os << file;
    if (line != 0)
      os << ':' << line << ':' << column;
    os << ": ";
  }
  os << "error: " << message;
}

std::error_code TargetError::convertToErrorCode() const {
  return inconvertibleErrorCode();
}

//===----------------------------------------------------------------------===//
// Lookup by name
//===----------------------------------------------------------------------===//

static Expected<TargetSource> readTargetFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code ec = buffer.getError())
    return make_error<TargetError>(path.str(), 0, 0,
                                   "cannot read target file: " + ec.message());
  return TargetSource{(*buffer)->getBuffer().str(), path.str()};
}

Expected<Target> romac::loadTargetFile(StringRef path) {
  Expected<TargetSource> source = readTargetFile(path);
  if (!source)
    return source.takeError();
  return parseTarget(source->yaml, source->origin);
}

bool romac::isTargetPath(StringRef nameOrPath) {
  return nameOrPath.ends_with(".yaml") || llvm::any_of(nameOrPath, [](char c) {
           return sys::path::is_separator(c);
         });
}

/// Any function of this library: its address lets getMainExecutable() find
/// the executable when /proc/self/exe is not available.
static void anchorForMainExecutable() {}

std::string romac::getShippedTargetsDir() {
  std::string exe = sys::fs::getMainExecutable(
      "romac", reinterpret_cast<void *>(&anchorForMainExecutable));
  if (exe.empty())
    return "share/romac/targets";
  // PREFIX/bin/TOOL -> PREFIX/share/romac/targets.
  SmallString<256> dir(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(dir, "share", "romac", "targets");
  return std::string(dir);
}

std::string romac::getDefaultTargetsDir() {
  if (const char *env = std::getenv("ROMAC_TARGETS_DIR"))
    if (*env)
      return env;
  return getShippedTargetsDir();
}

std::vector<std::string> romac::listTargets(StringRef targetsDir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (sys::fs::directory_iterator it(targetsDir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef fileName = sys::path::filename(it->path());
    if (!fileName.ends_with(".yaml") || fileName.starts_with("."))
      continue;
    names.push_back(fileName.drop_back(strlen(".yaml")).str());
  }
  llvm::sort(names);
  return names;
}

/// The file \p nameOrPath names: a path as is, else `NAME.yaml` in
/// \p targetsDir (empty: the default folder). An unknown name is an error
/// that lists the available ones.
static Expected<std::string> findTargetFile(StringRef nameOrPath,
                                            StringRef targetsDir) {
  if (nameOrPath.empty())
    return make_error<TargetError>("", 0, 0, "empty target name");
  if (isTargetPath(nameOrPath))
    return nameOrPath.str();
  std::string dir =
      targetsDir.empty() ? getDefaultTargetsDir() : targetsDir.str();
  SmallString<256> path(dir);
  sys::path::append(path, nameOrPath + ".yaml");
  if (sys::fs::exists(path))
    return std::string(path);

  std::vector<std::string> available = listTargets(dir);
  std::string message = "unknown target '" + nameOrPath.str() + "' ";
  if (available.empty())
    message += "(no targets in '" + dir + "'; " + kHostTargetName.str() +
               " is this CPU)";
  else
    message += "(available: " + llvm::join(available, ", ") + ", and " +
               kHostTargetName.str() +
               " for this CPU, host-lN for its level-N "
               "cache)";
  return make_error<TargetError>("", 0, 0, std::move(message));
}

Expected<Target> romac::loadTarget(StringRef nameOrPath, StringRef targetsDir) {
  if (std::optional<unsigned> level = parseHostTargetName(nameOrPath))
    return makeHostTarget(getHostCpu(), *level);
  Expected<std::string> path = findTargetFile(nameOrPath, targetsDir);
  if (!path)
    return path.takeError();
  return loadTargetFile(*path);
}

Expected<TargetSource> romac::readTargetSource(StringRef nameOrPath,
                                               StringRef targetsDir) {
  if (std::optional<unsigned> level = parseHostTargetName(nameOrPath)) {
    // makeHostTarget() says why a CPU has no host target.
    if (Expected<Target> host = makeHostTarget(getHostCpu(), *level); !host)
      return host.takeError();
    return TargetSource{getHostTargetYaml(getHostCpu(), *level),
                        nameOrPath.str()};
  }
  Expected<std::string> path = findTargetFile(nameOrPath, targetsDir);
  if (!path)
    return path.takeError();
  return readTargetFile(*path);
}
