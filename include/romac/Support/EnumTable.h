//===- EnumTable.h - one name table per enum ---------------------*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every enum that users spell (objective, reuse policy, page policy, DRAM
// standard, layout kind, ...) has exactly one table of its spellings, next to
// its declaration:
//
//   inline constexpr EnumName<Objective> kObjectiveNames[] = {
//       {Objective::Energy, "energy", "total energy (pJ)"}, ...};
//
// Its stringify/symbolize functions, the lists in error messages and help
// texts, and the `cl::values` of pass options (enumClValues()) are all derived
// from that table, so a spelling cannot drift between them.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SUPPORT_ENUMTABLE_H
#define ROMAC_SUPPORT_ENUMTABLE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"

#include <cstddef>
#include <optional>
#include <string>

namespace romac {

/// One spelling of an enum value and a one-line description for help texts.
template <typename E> struct EnumName {
  E value;
  llvm::StringLiteral name;
  llvm::StringLiteral help = "";
};

/// The spelling of \p value in \p table (every value must be listed).
template <typename E, size_t N>
llvm::StringRef stringifyEnum(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E> &entry : table)
    if (entry.value == value)
      return entry.name;
  llvm_unreachable("enum value missing from its name table");
}

/// The value spelled \p name in \p table; std::nullopt when none is.
/// With \p ignoreCase, "ddr4" matches "DDR4".
template <typename E, size_t N>
std::optional<E> symbolizeEnum(const EnumName<E> (&table)[N],
                               llvm::StringRef name, bool ignoreCase = false) {
  for (const EnumName<E> &entry : table)
    if (ignoreCase ? name.equals_insensitive(entry.name) : name == entry.name)
      return entry.value;
  return std::nullopt;
}

/// The spellings for a message: "a, b or c".
template <typename E, size_t N>
std::string listEnumNames(const EnumName<E> (&table)[N]) {
  std::string list;
  for (size_t i = 0; i < N; ++i) {
    if (i)
      list += i + 1 == N ? " or " : ", ";
    list += table[i].name.str();
  }
  return list;
}

/// A `cl::opt` modifier that registers every spelling of \p table as a
/// literal of an enum option (what `cl::values(clEnumValN(...), ...)` does),
/// so a pass option such as `objective=edp` is parsed into the enum and a bad
/// value fails when the pipeline is parsed. Used from Passes.td as the
/// option's extra argument:
/// `"::romac::enumClValues(::romac::kObjectiveNames)"`.
template <typename E, size_t N> struct EnumClValues {
  const EnumName<E> (&table)[N];

  template <typename Opt> void apply(Opt &option) const {
    for (const EnumName<E> &entry : table)
      option.getParser().addLiteralOption(entry.name, entry.value, entry.help);
  }
};

template <typename E, size_t N>
EnumClValues<E, N> enumClValues(const EnumName<E> (&table)[N]) {
  return {table};
}

} // namespace romac

#endif // ROMAC_SUPPORT_ENUMTABLE_H
