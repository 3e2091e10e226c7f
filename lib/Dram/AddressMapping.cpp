//===- AddressMapping.cpp - physical address <-> DRAM coordinates ---------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/AddressMapping.h"
#include "romac/Support/Error.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace romac;
using llvm::ArrayRef;
using llvm::StringRef;

static constexpr std::array<DramField, kNumDramFields> kAllFields = {
    DramField::Channel, DramField::Rank, DramField::BankGroup,
    DramField::Bank,    DramField::Row,  DramField::Column};

//===----------------------------------------------------------------------===//
// DramGeometry
//===----------------------------------------------------------------------===//

llvm::Expected<DramGeometry> DramGeometry::get(const DramConfig &config) {
  uint64_t busBits = config.chipsPerRank * config.deviceWidth;
  if (config.chipsPerRank == 0 || config.deviceWidth == 0)
    return makeStringError(
        "DRAM geometry: chips_per_rank and device_width must be "
        "positive, got " +
        llvm::Twine(config.chipsPerRank) + " and " +
        llvm::Twine(config.deviceWidth));
  if (busBits / config.deviceWidth != config.chipsPerRank || busBits % 8 != 0)
    return makeStringError(
        "DRAM geometry: the bus (chips_per_rank × device_width "
        "= " +
        llvm::Twine(busBits) + " bits) is not a whole number of bytes");
  DramGeometry geometry;
  geometry.channels = config.channels;
  geometry.ranks = config.ranks;
  geometry.bankGroups = config.bankGroups;
  geometry.banksPerGroup = config.banksPerGroup;
  geometry.rows = config.rows;
  geometry.columns = config.columns;
  geometry.burstLength = config.burstLength;
  geometry.busBytes = busBits / 8;
  if (llvm::Error err = geometry.validate())
    return std::move(err);
  return geometry;
}

llvm::Error DramGeometry::validate() const {
  std::pair<StringRef, uint64_t> counts[] = {
      {"channels", channels},
      {"ranks", ranks},
      {"bank_groups", bankGroups},
      {"banks_per_group", banksPerGroup},
      {"rows", rows},
      {"columns", columns},
      {"burst_length", burstLength},
      {"bus bytes (chips_per_rank × device_width / 8)", busBytes}};
  for (auto [key, value] : counts)
    if (!llvm::isPowerOf2_64(value))
      return makeStringError(
          "DRAM geometry: " + key +
          " must be a power of two (it selects address bits), "
          "got " +
          llvm::Twine(value));
  if (burstLength > columns)
    return makeStringError("DRAM geometry: burst_length " +
                           llvm::Twine(burstLength) + " exceeds the " +
                           llvm::Twine(columns) + " columns of a row");
  unsigned total = 0;
  for (auto [key, value] : counts)
    if (key != "burst_length")
      total += llvm::Log2_64(value);
  if (total > 63)
    return makeStringError("DRAM geometry: the address space needs " +
                           llvm::Twine(total) +
                           " bits; at most 63 are supported");
  return llvm::Error::success();
}

unsigned DramGeometry::getFieldBits(DramField field) const {
  switch (field) {
  case DramField::Channel:
    return llvm::Log2_64(channels);
  case DramField::Rank:
    return llvm::Log2_64(ranks);
  case DramField::BankGroup:
    return llvm::Log2_64(bankGroups);
  case DramField::Bank:
    return llvm::Log2_64(banksPerGroup);
  case DramField::Row:
    return llvm::Log2_64(rows);
  case DramField::Column:
    return llvm::Log2_64(columns) - llvm::Log2_64(burstLength);
  }
  llvm_unreachable("unknown DRAM field");
}

uint64_t DramGeometry::getFieldCount(DramField field) const {
  switch (field) {
  case DramField::Channel:
    return channels;
  case DramField::Rank:
    return ranks;
  case DramField::BankGroup:
    return bankGroups;
  case DramField::Bank:
    return banksPerGroup;
  case DramField::Row:
    return rows;
  case DramField::Column:
    return columns;
  }
  llvm_unreachable("unknown DRAM field");
}

unsigned DramGeometry::getBurstOffsetBits() const {
  return llvm::Log2_64(busBytes) + llvm::Log2_64(burstLength);
}

unsigned DramGeometry::getTotalBits() const {
  unsigned total = getBurstOffsetBits();
  for (DramField field : kAllFields)
    total += getFieldBits(field);
  return total;
}

//===----------------------------------------------------------------------===//
// DramCoord
//===----------------------------------------------------------------------===//

bool DramCoord::operator==(const DramCoord &other) const {
  return channel == other.channel && rank == other.rank &&
         bankGroup == other.bankGroup && bank == other.bank &&
         row == other.row && column == other.column && byte == other.byte;
}

std::string DramCoord::str() const {
  return llvm::formatv("ch{0} ra{1} bg{2} ba{3} ro{4} co{5} by{6}", channel,
                       rank, bankGroup, bank, row, column, byte);
}

//===----------------------------------------------------------------------===//
// AddressMapping
//===----------------------------------------------------------------------===//

ArrayRef<StringRef> AddressMapping::getPolicyNames() {
  static const auto names = [] {
    std::array<StringRef, std::size(kNamedAddressMappings)> n;
    for (auto [i, policy] : llvm::enumerate(kNamedAddressMappings))
      n[i] = policy.name;
    return n;
  }();
  return names;
}

StringRef AddressMapping::getPolicyFieldOrder(StringRef name) {
  for (const NamedAddressMapping &policy : kNamedAddressMappings)
    if (policy.name == name)
      return policy.fieldOrder;
  return "";
}

llvm::Expected<AddressMapping> AddressMapping::get(const DramConfig &config,
                                                   StringRef name) {
  llvm::Expected<DramGeometry> geometry = DramGeometry::get(config);
  if (!geometry)
    return geometry.takeError();
  return get(*geometry, name.empty() ? StringRef(config.addressMapping) : name);
}

llvm::Expected<AddressMapping> AddressMapping::get(const DramGeometry &geometry,
                                                   StringRef name) {
  if (llvm::Error err = geometry.validate())
    return std::move(err);
  StringRef order = getPolicyFieldOrder(name);
  if (order.empty())
    order = name;

  auto unknown = [&]() {
    return makeStringError(
        "unknown address mapping '" + name +
        "' (expected romanet, drmap, row-interleaved, or a "
        "field order such as RoBaRaCoCh made of Ch, Ra, Bg, Ba, "
        "Ro, Co)");
  };
  if (order.empty() || order.size() % 2 != 0)
    return unknown();
  // Fields most significant first.
  llvm::SmallVector<DramField, 6> fieldsMsbFirst;
  for (size_t i = 0; i < order.size(); i += 2) {
    StringRef abbrev = order.substr(i, 2);
    std::optional<DramField> field = symbolizeEnum(kDramFieldAbbrevs, abbrev);
    if (!field)
      return unknown();
    if (llvm::is_contained(fieldsMsbFirst, *field))
      return makeStringError("field " + abbrev +
                             " appears twice in address mapping '" + name +
                             "'");
    fieldsMsbFirst.push_back(*field);
  }
  for (DramField field : {DramField::Row, DramField::Bank, DramField::Column})
    if (!llvm::is_contained(fieldsMsbFirst, field))
      return makeStringError("address mapping '" + name + "' has no " +
                             getDramFieldAbbrev(field) + " field");
  for (DramField field : {DramField::Channel, DramField::Rank})
    if (!llvm::is_contained(fieldsMsbFirst, field) &&
        geometry.getFieldBits(field) > 0)
      return makeStringError(
          "address mapping '" + name + "' has no " + getDramFieldAbbrev(field) +
          " field but there are " + llvm::Twine(geometry.getFieldCount(field)) +
          (field == DramField::Channel ? " channels" : " ranks"));
  if (!llvm::is_contained(fieldsMsbFirst, DramField::BankGroup)) {
    // The bank-group bits sit just above the bank bits.
    auto *bank = llvm::find(fieldsMsbFirst, DramField::Bank);
    fieldsMsbFirst.insert(bank, DramField::BankGroup);
  }
  // Ch / Ra without bits may be left out: they get no bits anyway.
  llvm::SmallVector<DramField, 48> bits;
  for (DramField field : llvm::reverse(fieldsMsbFirst))
    bits.append(geometry.getFieldBits(field), field);
  return getFromBits(geometry, bits, name);
}

llvm::Expected<AddressMapping>
AddressMapping::getFromBits(const DramGeometry &geometry,
                            ArrayRef<DramField> bitFields, StringRef name) {
  if (llvm::Error err = geometry.validate())
    return std::move(err);
  AddressMapping mapping;
  mapping.geometry = geometry;
  mapping.name = name.str();
  mapping.burstOffsetBits = geometry.getBurstOffsetBits();
  mapping.bitFields.assign(bitFields.begin(), bitFields.end());
  for (auto [bit, field] : llvm::enumerate(bitFields))
    mapping.fields[static_cast<unsigned>(field)].bits.push_back(bit);
  for (DramField field : kAllFields) {
    FieldInfo &info = mapping.fields[static_cast<unsigned>(field)];
    unsigned need = geometry.getFieldBits(field);
    if (info.bits.size() != need)
      return makeStringError("address mapping '" + name +
                             "': address bits do not "
                             "add up: " +
                             llvm::Twine(info.bits.size()) + " " +
                             getDramFieldAbbrev(field) +
                             " bits given, the "
                             "geometry needs " +
                             llvm::Twine(need));
    for (size_t i = 1; i < info.bits.size(); ++i)
      if (info.bits[i] != info.bits[i - 1] + 1)
        info.contiguous = false;
    info.shift = info.bits.empty() ? 0 : info.bits.front();
    info.mask = need == 0 ? 0 : llvm::maskTrailingOnes<uint64_t>(need);
  }
  if (mapping.burstOffsetBits + bitFields.size() != geometry.getTotalBits())
    return makeStringError("address mapping '" + name +
                           "': address bits do not add up");
  return mapping;
}

uint64_t AddressMapping::gather(uint64_t burst, const FieldInfo &info) {
  uint64_t value = 0;
  for (auto [i, bit] : llvm::enumerate(info.bits))
    value |= ((burst >> bit) & 1) << i;
  return value;
}

DramCoord AddressMapping::decode(uint64_t address) const {
  assert((geometry.getTotalBits() == 64 ||
          address >> geometry.getTotalBits() == 0) &&
         "address out of range");
  unsigned byteBits = llvm::Log2_64(geometry.busBytes);
  unsigned beatBits = llvm::Log2_64(geometry.burstLength);
  uint64_t burst = address >> burstOffsetBits;
  DramCoord coord;
  coord.byte = address & (geometry.busBytes - 1);
  uint64_t beat = (address >> byteBits) & (geometry.burstLength - 1);
  coord.channel = getField(burst, DramField::Channel);
  coord.rank = getField(burst, DramField::Rank);
  coord.bankGroup = getField(burst, DramField::BankGroup);
  coord.bank = getField(burst, DramField::Bank);
  coord.row = getField(burst, DramField::Row);
  coord.column = (getField(burst, DramField::Column) << beatBits) | beat;
  return coord;
}

uint64_t AddressMapping::encode(const DramCoord &coord) const {
  assert(coord.channel < geometry.channels && coord.rank < geometry.ranks &&
         coord.bankGroup < geometry.bankGroups &&
         coord.bank < geometry.banksPerGroup && coord.row < geometry.rows &&
         coord.column < geometry.columns && coord.byte < geometry.busBytes &&
         "coordinate out of range");
  unsigned byteBits = llvm::Log2_64(geometry.busBytes);
  unsigned beatBits = llvm::Log2_64(geometry.burstLength);
  uint64_t values[kNumDramFields] = {coord.channel,   coord.rank,
                                     coord.bankGroup, coord.bank,
                                     coord.row,       coord.column >> beatBits};
  uint64_t burst = 0;
  for (DramField field : kAllFields) {
    const FieldInfo &info = fields[static_cast<unsigned>(field)];
    uint64_t value = values[static_cast<unsigned>(field)];
    for (auto [i, bit] : llvm::enumerate(info.bits))
      burst |= ((value >> i) & 1) << bit;
  }
  uint64_t beat = coord.column & (geometry.burstLength - 1);
  return (burst << burstOffsetBits) | (beat << byteBits) | coord.byte;
}

std::string AddressMapping::getFieldOrder() const {
  for (const FieldInfo &info : fields)
    if (!info.contiguous)
      return "";
  std::string order;
  DramField last = DramField::Channel;
  bool any = false;
  for (DramField field : llvm::reverse(bitFields)) {
    if (any && field == last)
      continue;
    order += getDramFieldAbbrev(field).str();
    last = field;
    any = true;
  }
  return order;
}

std::string AddressMapping::getDramsim3Mapping() const {
  std::string order = getFieldOrder();
  if (order.empty() && !bitFields.empty())
    return "";
  // Fields without bits go on top (their position does not matter).
  std::string missing;
  for (DramField field : kAllFields)
    if (fields[static_cast<unsigned>(field)].bits.empty())
      missing += getDramFieldAbbrev(field).lower();
  return missing + llvm::StringRef(order).lower();
}

std::string AddressMapping::str() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << name;
  std::string order = getFieldOrder();
  if (!order.empty() && order != name)
    os << " = " << order;
  os << " (bits, msb first:";
  for (DramField field : llvm::reverse(bitFields))
    os << ' ' << getDramFieldAbbrev(field);
  os << "; " << burstOffsetBits << " offset bits)";
  return out;
}
