//===- AddressMapping.h - physical address <-> DRAM coordinates -*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// How a physical byte address selects a channel, rank, bank group, bank, row
// and column. The low bits select a byte of one bus transfer and the beat of
// a burst (a burst is the unit the model moves); every bit above selects one
// bit of one field. Conventional mappings give the fields as a string from
// the most to the least significant bits (`RoBaRaCoCh`); the named policies
// `romanet`, `drmap` and `row-interleaved` are fixed field orders chosen for
// their row-buffer behaviour (docs/dram-model.md). Any assignment of address
// bits to field bits is a bijection between the address space and the
// coordinates; AddressMapping::getFromBits() checks that a custom assignment
// is one, and proveAddressMappingBijective() (Verify/AddressMappingZ3.h)
// proves it with Z3.
//
// This header does not include romac/Target/Target.h (DramConfig is only
// declared) so that it can be used next to romac/Analysis/Workload.h.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_ADDRESSMAPPING_H
#define ROMAC_DRAM_ADDRESSMAPPING_H

#include "romac/Support/EnumTable.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>

namespace romac {

struct DramConfig;

/// The fields of a DRAM coordinate that address bits select.
enum class DramField : uint8_t {
  Channel = 0,
  Rank = 1,
  BankGroup = 2,
  Bank = 3,
  Row = 4,
  Column = 5
};

/// Number of DramField values.
inline constexpr unsigned kNumDramFields = 6;

/// The two-letter names of the fields in field-order strings
/// ("RoBaRaCoCh"; the one definition, EnumTable.h).
inline constexpr EnumName<DramField> kDramFieldAbbrevs[] = {
    {DramField::Channel, "Ch"},   {DramField::Rank, "Ra"},
    {DramField::BankGroup, "Bg"}, {DramField::Bank, "Ba"},
    {DramField::Row, "Ro"},       {DramField::Column, "Co"},
};

/// Returns the two-letter name of \p field: "Ch", "Ra", "Bg", "Ba", "Ro" or
/// "Co".
inline llvm::StringRef getDramFieldAbbrev(DramField field) {
  return stringifyEnum(kDramFieldAbbrevs, field);
}

/// The DRAM organisation address bits are assigned over. Every count is a
/// power of two; `busBytes` is the width of one channel's data bus in bytes
/// (chips per rank × device width / 8) and one burst moves
/// `busBytes × burstLength` bytes.
struct DramGeometry {
  uint64_t channels = 1;
  uint64_t ranks = 1;
  uint64_t bankGroups = 1;
  uint64_t banksPerGroup = 1;
  uint64_t rows = 1;
  /// Columns per row of one device (the burst's beats are the low columns).
  uint64_t columns = 1;
  uint64_t burstLength = 1;
  uint64_t busBytes = 1;

  /// The geometry of \p config, validated as by validate().
  static llvm::Expected<DramGeometry> get(const DramConfig &config);
  /// Checks that every count is a non-zero power of two, that
  /// `burstLength <= columns`, and that the address space fits in 64 bits.
  llvm::Error validate() const;

  /// Number of address bits of \p field (column bits exclude the burst
  /// bits, which are below every field).
  unsigned getFieldBits(DramField field) const;
  /// Number of address bits below the fields: log2(bytes per burst).
  unsigned getBurstOffsetBits() const;
  /// Total address bits: log2 of the capacity.
  unsigned getTotalBits() const;
  uint64_t getBytesPerBurst() const { return busBytes * burstLength; }
  /// Bursts that fill one row of a bank: columns / burstLength.
  uint64_t getBurstsPerRow() const { return columns / burstLength; }
  /// Banks per rank: bankGroups × banksPerGroup.
  uint64_t getBanksPerRank() const { return bankGroups * banksPerGroup; }
  /// Banks in the whole system.
  uint64_t getTotalBanks() const {
    return channels * ranks * getBanksPerRank();
  }
  /// Number of values of \p field (columns counts device columns).
  uint64_t getFieldCount(DramField field) const;
};

/// The coordinate of one byte. `column` is the device column (its low
/// log2(burstLength) bits are the beat of the burst); `byte` the byte within
/// one transfer of the bus.
struct DramCoord {
  uint64_t channel = 0, rank = 0, bankGroup = 0, bank = 0, row = 0, column = 0,
           byte = 0;

  bool operator==(const DramCoord &other) const;
  bool operator!=(const DramCoord &other) const { return !(*this == other); }
  /// Prints "ch0 ra0 bg1 ba2 ro17 co64 by3".
  std::string str() const;
};

/// A bijection between physical byte addresses and DRAM coordinates. Bits
/// `[0, getBurstOffsetBits())` select the byte within a transfer and the
/// beat of the burst; every higher bit selects one bit of one field. The
/// burst address of a byte address is `address >> getBurstOffsetBits()`;
/// the model works on burst addresses.
class AddressMapping {
public:
  /// The mapping called \p name over \p geometry: `romanet`, `drmap`,
  /// `row-interleaved`, or a field order from most to least significant bits
  /// made of Ch, Ra, Bg, Ba, Ro and Co (each at most once; Ro, Ba and Co
  /// required; Ch / Ra / Bg may be left out when they have no bits — a
  /// missing Bg sits just above Ba).
  static llvm::Expected<AddressMapping> get(const DramGeometry &geometry,
                                            llvm::StringRef name);
  /// The mapping \p name (the target's `address_mapping` when empty) over
  /// the geometry of \p config.
  static llvm::Expected<AddressMapping> get(const DramConfig &config,
                                            llvm::StringRef name = "");
  /// A custom mapping: \p bitFields gives the field of every burst-address
  /// bit, least significant first; each field's bits are taken from its
  /// least significant bit up. The number of bits given for each field must
  /// equal what the geometry needs.
  static llvm::Expected<AddressMapping>
  getFromBits(const DramGeometry &geometry, llvm::ArrayRef<DramField> bitFields,
              llvm::StringRef name = "custom");

  /// The names of the named policies.
  static llvm::ArrayRef<llvm::StringRef> getPolicyNames();
  /// The field order (most significant first) a named policy stands for,
  /// e.g. "RoBaBgRaChCo" for romanet; empty when \p name is not a policy.
  static llvm::StringRef getPolicyFieldOrder(llvm::StringRef name);

  /// The coordinate of byte address \p address (asserts it is in range).
  DramCoord decode(uint64_t address) const;
  /// The byte address of \p coord (asserts every field is in range).
  uint64_t encode(const DramCoord &coord) const;

  /// Value of \p field selected by burst address \p burst.
  uint64_t getField(uint64_t burst, DramField field) const {
    const FieldInfo &info = fields[static_cast<unsigned>(field)];
    if (info.contiguous)
      return (burst >> info.shift) & info.mask;
    return gather(burst, info);
  }
  /// Index of the bank burst \p burst goes to, over the whole system:
  /// ((channel × ranks + rank) × bankGroups + bankGroup) × banksPerGroup +
  /// bank.
  uint64_t getBankIndex(uint64_t burst) const {
    return ((getField(burst, DramField::Channel) * geometry.ranks +
             getField(burst, DramField::Rank)) *
                geometry.bankGroups +
            getField(burst, DramField::BankGroup)) *
               geometry.banksPerGroup +
           getField(burst, DramField::Bank);
  }
  uint64_t getRow(uint64_t burst) const {
    return getField(burst, DramField::Row);
  }

  const DramGeometry &getGeometry() const { return geometry; }
  /// The name given to get(): a policy or a field order.
  llvm::StringRef getName() const { return name; }
  /// log2(bytes per burst): the byte-address bits below the fields.
  unsigned getBurstOffsetBits() const { return burstOffsetBits; }
  /// Number of burst-address bits (total address bits minus the offset).
  unsigned getNumBurstBits() const { return bitFields.size(); }
  /// The field of every burst-address bit, least significant first.
  llvm::ArrayRef<DramField> getBitFields() const { return bitFields; }
  /// The field order, most significant first, in the notation of get()
  /// ("RoBaBgRaChCo"), listing only fields with bits; empty when some field's
  /// bits are not contiguous.
  std::string getFieldOrder() const;
  /// The 12-letter DRAMsim3 `address_mapping` (all six fields, most
  /// significant first, e.g. "rochrababgco"); empty when some field's bits
  /// are not contiguous.
  std::string getDramsim3Mapping() const;
  /// A one-line description: "romanet = RoBaBgRaChCo (bits: ...)".
  std::string str() const;

private:
  struct FieldInfo {
    /// Burst-address bit of each field bit, least significant first.
    llvm::SmallVector<uint8_t, 20> bits;
    bool contiguous = true;
    unsigned shift = 0;
    uint64_t mask = 0;
  };
  static uint64_t gather(uint64_t burst, const FieldInfo &info);

  DramGeometry geometry;
  std::string name;
  unsigned burstOffsetBits = 0;
  llvm::SmallVector<DramField, 48> bitFields;
  std::array<FieldInfo, kNumDramFields> fields;
};

} // namespace romac

#endif // ROMAC_DRAM_ADDRESSMAPPING_H
