//===- Target.h - accelerator target model ----------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A plain C++ model of an accelerator target: the MAC array, the on-chip
// buffers and the DRAM behind them (geometry, timing, currents), plus an
// optional DVFS table. Targets are loaded from the YAML files in `targets/`
// (format: docs/targets.md). This library includes no MLIR header; the tile
// search, the cost model and the DRAM model use it directly.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TARGET_TARGET_H
#define ROMAC_TARGET_TARGET_H

#include "romac/Support/EnumTable.h"
#include "romac/Target/Compression.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace romac {

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

/// The operand roles of a contraction that on-chip memories hold.
enum class OperandKind : uint8_t { Input = 0, Weight = 1, Output = 2 };

/// Number of `OperandKind` values; arrays indexed by operand have this size.
inline constexpr unsigned kNumOperands = 3;

/// All operands, in enum order.
inline constexpr std::array<OperandKind, kNumOperands> kAllOperands = {
    OperandKind::Input, OperandKind::Weight, OperandKind::Output};

/// The YAML spellings of OperandKind (the one definition; EnumTable.h).
inline constexpr EnumName<OperandKind> kOperandKindNames[] = {
    {OperandKind::Input, "input"},
    {OperandKind::Weight, "weight"},
    {OperandKind::Output, "output"},
};

/// Returns the YAML spelling of \p operand: "input", "weight" or "output".
inline llvm::StringRef stringifyOperandKind(OperandKind operand) {
  return stringifyEnum(kOperandKindNames, operand);
}

/// Parses the YAML spelling of an operand; std::nullopt when unknown.
inline std::optional<OperandKind> symbolizeOperandKind(llvm::StringRef name) {
  return symbolizeEnum(kOperandKindNames, name);
}

//===----------------------------------------------------------------------===//
// Compute array
//===----------------------------------------------------------------------===//

/// The array of multiply-accumulate units.
struct ComputeArray {
  /// Rows and columns of MACs (a systolic array or a PE grid).
  uint64_t rows = 0;
  uint64_t cols = 0;
  /// Clock frequency in MHz.
  double frequencyMHz = 0;
  /// Bytes per element of each operand (the data types), indexed by
  /// OperandKind.
  std::array<uint64_t, kNumOperands> bytesPerElement = {0, 0, 0};
  /// Energy of one MAC in pJ (of the compiled precision when `compression`
  /// quantizes: the entry of macEnergyByPrecision).
  double macEnergyPJ = 0;
  /// MAC energies per precision ("w4a8" -> pJ), in file order; the YAML
  /// `mac_energy_pj_by_precision` (optional).
  std::vector<std::pair<std::string, double>> macEnergyByPrecision;
  /// Whether the array skips a MAC whose weight is zero (no energy for a
  /// pruned weight's MACs); YAML `skips_zero_operands`, default false.
  bool skipsZeroOperands = false;
  /// Bytes per cycle at which every operand tile of a tile step passes
  /// between the buffer and the compute units' own copies (a CPU kernel call
  /// packs its input and weight tiles and loads and stores its output tile);
  /// 0 when the array works on the buffer in place (the default).
  double packBytesPerCycle = 0;

  /// Number of MACs, rows × cols (saturates at UINT64_MAX).
  uint64_t getNumMacs() const;
  /// Bytes per element of \p operand.
  uint64_t getBytesPerElement(OperandKind operand) const {
    return bytesPerElement[static_cast<unsigned>(operand)];
  }
  /// Clock period in ns.
  double getCyclePeriodNs() const { return 1000.0 / frequencyMHz; }
};

//===----------------------------------------------------------------------===//
// On-chip memories
//===----------------------------------------------------------------------===//

/// One on-chip SRAM buffer between DRAM and the MAC array. A buffer that holds
/// several operands is shared between them (a global buffer).
struct OnChipMemory {
  std::string name;
  /// Capacity in bytes.
  uint64_t bytes = 0;
  /// Bit `1 << unsigned(OperandKind)` is set for every operand the buffer
  /// holds.
  uint8_t operandMask = 0;
  /// Energy per byte read / written, in pJ.
  double readEnergyPJPerByte = 0;
  double writeEnergyPJPerByte = 0;
  /// Bandwidth in bytes per cycle of the compute clock.
  double bandwidthBytesPerCycle = 0;

  /// Whether this buffer holds \p operand.
  bool holds(OperandKind operand) const {
    return operandMask & (1u << static_cast<unsigned>(operand));
  }
  /// Number of operands held.
  unsigned getNumOperands() const;
  /// Whether more than one operand shares this buffer.
  bool isShared() const { return getNumOperands() > 1; }
};

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

/// DRAM standards romac knows.
enum class DramStandard : uint8_t { DDR3, DDR4, LPDDR4, HBM2 };

/// The spellings of DramStandard (the one definition; EnumTable.h).
inline constexpr EnumName<DramStandard> kDramStandardNames[] = {
    {DramStandard::DDR3, "DDR3"},
    {DramStandard::DDR4, "DDR4"},
    {DramStandard::LPDDR4, "LPDDR4"},
    {DramStandard::HBM2, "HBM2"},
};

/// Returns "DDR3", "DDR4", "LPDDR4" or "HBM2".
inline llvm::StringRef stringifyDramStandard(DramStandard standard) {
  return stringifyEnum(kDramStandardNames, standard);
}
/// Parses a standard name (case-insensitive); std::nullopt when unknown.
inline std::optional<DramStandard> symbolizeDramStandard(llvm::StringRef name) {
  return symbolizeEnum(kDramStandardNames, name, /*ignoreCase=*/true);
}

/// Row-buffer management policy of the memory controller (the target's
/// `page_policy`; the DRAM model's DramParams::policy).
enum class PagePolicy : uint8_t {
  /// Rows stay open until another row of the bank is needed.
  Open,
  /// A row is precharged after the last of consecutive requests of its
  /// channel that hit it (one request of look-ahead).
  Closed
};

/// The spellings of PagePolicy (the one definition; EnumTable.h).
inline constexpr EnumName<PagePolicy> kPagePolicyNames[] = {
    {PagePolicy::Open, "open"},
    {PagePolicy::Closed, "closed"},
};

/// Returns "open" or "closed".
inline llvm::StringRef stringifyPagePolicy(PagePolicy policy) {
  return stringifyEnum(kPagePolicyNames, policy);
}
/// Parses "open" or "closed"; std::nullopt otherwise.
inline std::optional<PagePolicy> symbolizePagePolicy(llvm::StringRef name) {
  return symbolizeEnum(kPagePolicyNames, name);
}

/// A named address-mapping policy: a target's `address_mapping` may name one
/// instead of spelling a field order (AddressMapping.h).
struct NamedAddressMapping {
  llvm::StringLiteral name;
  /// The DRAM fields, most significant first.
  llvm::StringLiteral fieldOrder;
};

/// The named policies (the one definition):
///  - romanet: fill a row's columns, then the same row in the other
///    channels and ranks (ROMANet's "other chips": devices with their own row
///    buffers), then the other banks — bank groups first, so that
///    consecutive rows use tCCD_S / tRRD_S — then a new row.
///  - drmap: row-buffer hits first, then bank-level parallelism within a bank
///    group, then the bank groups (the nearest analogue of DRMap's subarray
///    level that standard parts expose), then ranks and channels, then rows.
///  - row-interleaved: the conventional controller default (DRAMsim3's
///    `rochrababgco`): whole rows interleaved over bank groups, banks,
///    ranks, then channels.
inline constexpr NamedAddressMapping kNamedAddressMappings[] = {
    {"romanet", "RoBaBgRaChCo"},
    {"drmap", "RoChRaBgBaCo"},
    {"row-interleaved", "RoChRaBaBgCo"},
};

/// DRAM timing parameters. `tCK` is in ns; every other value is a number of
/// tCK cycles. Field names follow the JEDEC datasheets (and DRAMsim3 configs).
struct DramTiming {
  double tCK = 0;
  uint64_t CL = 0, CWL = 0;
  uint64_t tRCD = 0, tRP = 0, tRAS = 0, tRC = 0;
  uint64_t tCCD_S = 0, tCCD_L = 0;
  uint64_t tRRD_S = 0, tRRD_L = 0, tFAW = 0;
  uint64_t tWR = 0, tWTR_S = 0, tWTR_L = 0, tRTP = 0;
  uint64_t tRFC = 0, tREFI = 0;
};

/// Supply voltage (V) and datasheet IDD currents (mA) of one device, as
/// DRAMPower uses them.
struct DramPower {
  double VDD = 0;
  double IDD0 = 0, IDD2N = 0, IDD3N = 0;
  double IDD4R = 0, IDD4W = 0, IDD5AB = 0;
};

/// Number of physical address bits that select each field. The byte offset
/// selects a byte within one transfer of the rank (bus width); the column
/// bits include the `burst` low bits that a single burst walks through. The
/// fields sum to log2 of the capacity.
struct DramAddressBits {
  unsigned byteOffset = 0;
  unsigned column = 0;
  /// log2(burst length): the low column bits covered by one burst (these are
  /// part of `column`, not extra bits).
  unsigned burst = 0;
  unsigned bank = 0;
  unsigned bankGroup = 0;
  unsigned rank = 0;
  unsigned channel = 0;
  unsigned row = 0;

  /// Total address bits: log2 of the capacity in bytes.
  unsigned getTotal() const {
    return byteOffset + column + bank + bankGroup + rank + channel + row;
  }
};

/// The DRAM system: geometry, timing, currents and controller settings.
/// Counts that select address bits are powers of two once loaded.
struct DramConfig {
  DramStandard standard = DramStandard::DDR3;
  uint64_t channels = 0;
  uint64_t ranks = 0;        ///< ranks per channel
  uint64_t chipsPerRank = 0; ///< devices that act together in a rank
  uint64_t deviceWidth = 0;  ///< data pins per device, in bits (x8 → 8)
  uint64_t bankGroups = 0;   ///< bank groups per device (1 when none)
  uint64_t banksPerGroup = 0;
  uint64_t rows = 0;    ///< rows per bank
  uint64_t columns = 0; ///< columns per row of one device
  uint64_t burstLength = 0;
  DramTiming timing;
  DramPower power;
  PagePolicy pagePolicy = PagePolicy::Open;
  /// Default address mapping: a policy name (`romanet`, `drmap`,
  /// `row-interleaved`) or a field order such as `RoBaRaCoCh`.
  std::string addressMapping;
  /// Flat DRAM access energy in pJ per bit, for the flat cost model.
  double flatEnergyPJPerBit = 0;
  /// Requests each channel's controller queues (`controller_queue`). The
  /// accelerator issues its bursts in order, so a run of more consecutive
  /// bursts to one channel stalls the issue while the other channels drain
  /// what they hold (docs/dram-model.md).
  uint64_t controllerQueue = 32;

  // Derived values. They use 64-bit arithmetic and saturate at UINT64_MAX on
  // overflow; a loaded target never saturates (the loader checks).

  /// Data bus width of one channel in bits: chipsPerRank × deviceWidth.
  uint64_t getBusWidthBits() const;
  /// Bytes transferred by one burst: chipsPerRank × deviceWidth × BL / 8.
  uint64_t getBytesPerBurst() const;
  /// Bytes of one row across the rank (the page the row buffers hold):
  /// columns × deviceWidth × chipsPerRank / 8.
  uint64_t getRowBytes() const;
  /// Bursts that fill one row: columns / burstLength.
  uint64_t getBurstsPerRow() const;
  /// Banks in one device (and in one rank): bankGroups × banksPerGroup.
  uint64_t getBanksPerRank() const;
  /// Banks in the whole system: channels × ranks × banks per rank.
  uint64_t getTotalBanks() const;
  /// Density of one device in bits: banks × rows × columns × deviceWidth.
  uint64_t getDeviceBits() const;
  /// Capacity of the whole system in bytes.
  uint64_t getCapacityBytes() const;
  /// Address bits per field; needs power-of-two counts.
  DramAddressBits getAddressBits() const;
  /// Peak bandwidth of all channels in GB/s (two transfers per tCK).
  double getPeakBandwidthGBps() const;
};

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

/// One operating point of the DVFS table.
struct DvfsPoint {
  double frequencyMHz = 0;
  double voltage = 0;
  /// Static (leakage) power of the compute die at this voltage, mW; unset
  /// when the table does not give it (docs/plan.md says what is assumed).
  std::optional<double> staticPowerMW;
};

/// The compute die's power figures besides its MAC and SRAM energies (the
/// YAML `power` section, optional; docs/plan.md).
struct PowerConfig {
  /// Static power at the nominal operating point (compute.frequency_mhz), mW.
  std::optional<double> staticPowerMW;
  /// Time one change of operating point takes, µs (no work is done then).
  double dfsSwitchUs = 0;
};

/// An accelerator target.
struct Target {
  /// Target name (the YAML `name`, else the file's stem).
  std::string name;
  std::string description;
  /// File the target was loaded from (or the name given to parseTarget).
  std::string sourcePath;
  ComputeArray compute;
  /// On-chip buffers; every operand is held by exactly one of them.
  std::vector<OnChipMemory> memories;
  DramConfig dram;
  /// Optional DVFS operating points, in file order.
  std::vector<DvfsPoint> dvfs;
  /// Optional static power and frequency-switch time.
  PowerConfig power;
  /// The buffers holding inputs and those holding outputs may together hold
  /// a fused group's activation rows (the array reads its inputs from either:
  /// ping-pong between layers); YAML `activation_buffers_pooled`, default
  /// false: a fused group's activations must fit the input buffers.
  bool activationBuffersPooled = false;
  /// The compression the network is compiled with (the YAML `compression`
  /// section; `romac compile --quantize/--weight-sharing/--prune`). The
  /// parser applies it: `compute`'s bytes per element and MAC energy are
  /// those of the compressed types.
  Compression compression;
  /// The format of constant weights (plain values of the weight type when
  /// nothing is compressed).
  WeightFormat weightFormat;

  /// The buffer that holds \p operand, or nullptr (never for a loaded target).
  const OnChipMemory *getMemoryFor(OperandKind operand) const;
  /// The buffer called \p memoryName, or nullptr.
  const OnChipMemory *findMemory(llvm::StringRef memoryName) const;
};

/// Compiles \p target for \p compression: the operands' bytes per element
/// become the quantized types' (a 4-bit weight is held in a byte as a value;
/// its storage is the WeightFormat's), the MAC energy the
/// `mac_energy_pj_by_precision` entry of the precision, and `compression`
/// and `weightFormat` are set. Fails, changing nothing, when the target has
/// no MAC energy for the precision or is already compressed.
llvm::Error applyCompression(Target &target, const Compression &compression);

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// The error loading a target produces. Its message is one complete
/// diagnostic line: `FILE:LINE:COL: error: KEY.PATH: PROBLEM`, or
/// `FILE: error: PROBLEM` when there is no position, or `error: PROBLEM` when
/// there is no file (an unknown target name).
class TargetError : public llvm::ErrorInfo<TargetError> {
public:
  static char ID;

  TargetError(std::string file, unsigned line, unsigned column,
              std::string message)
      : file(std::move(file)), line(line), column(column),
        message(std::move(message)) {}

  /// The file, empty when the error is not about one file.
  llvm::StringRef getFile() const { return file; }
  /// 1-based line and column, 0 when unknown.
  unsigned getLine() const { return line; }
  unsigned getColumn() const { return column; }
  /// The problem, without the location and `error: ` prefix.
  llvm::StringRef getMessage() const { return message; }

  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  std::string file;
  unsigned line;
  unsigned column;
  std::string message;
};

/// Parses and validates a target from YAML text. \p fileName is used in error
/// messages and, when the YAML has no `name`, for the target's name (its stem).
llvm::Expected<Target> parseTarget(llvm::StringRef yamlText,
                                   llvm::StringRef fileName);

/// Reads, parses and validates the target file at \p path.
llvm::Expected<Target> loadTargetFile(llvm::StringRef path);

/// Whether \p nameOrPath is a path (it contains a path separator or ends in
/// ".yaml") rather than the name of a target in a targets directory.
bool isTargetPath(llvm::StringRef nameOrPath);

/// Loads a target by name or path. The name `host` is the CPU romac runs on
/// (makeHostTarget(getHostCpu()), Host.h); any other name is looked up as
/// `targetsDir/NAME.yaml` (an unknown name lists the available ones); anything
/// else is a path. An empty \p targetsDir means getDefaultTargetsDir().
llvm::Expected<Target> loadTarget(llvm::StringRef nameOrPath,
                                  llvm::StringRef targetsDir = "");

/// A target description's YAML text and where it came from.
struct TargetSource {
  /// The YAML document (docs/targets.md).
  std::string yaml;
  /// The file it was read from, or `host` for the host CPU's description:
  /// what parseTarget() names in its messages.
  std::string origin;
};

/// Finds the description \p nameOrPath names, as loadTarget() does, and
/// returns its text without parsing it (the host's is getHostTargetYaml()).
llvm::Expected<TargetSource> readTargetSource(llvm::StringRef nameOrPath,
                                              llvm::StringRef targetsDir = "");

/// The targets directory: the environment variable ROMAC_TARGETS_DIR when set
/// and not empty, else getShippedTargetsDir().
std::string getDefaultTargetsDir();

/// The targets shipped with the running executable: `share/romac/targets`
/// next to the folder that holds it (`PREFIX/bin/romac` reads
/// `PREFIX/share/romac/targets`). Found from the executable's own path, so an
/// installed or moved romac reads its own copy; in the build tree,
/// `BUILD/share/romac/targets` links to the source tree's `targets/`.
std::string getShippedTargetsDir();

/// Names of the targets in \p targetsDir (its `*.yaml` files), sorted. Empty
/// when the directory does not exist.
std::vector<std::string> listTargets(llvm::StringRef targetsDir);

} // namespace romac

#endif // ROMAC_TARGET_TARGET_H
