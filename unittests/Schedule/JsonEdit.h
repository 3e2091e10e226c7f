//===- JsonEdit.h - editing schedule JSON in tests ---------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The schedule tests corrupt written schedules one field at a time: parse
// the text, edit the object, print it back.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_UNITTESTS_SCHEDULE_JSONEDIT_H
#define ROMAC_UNITTESTS_SCHEDULE_JSONEDIT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace romac::test {

/// Parses `text` as JSON, applies `edit` and prints it back.
inline std::string
editJSON(const std::string &text,
         llvm::function_ref<void(llvm::json::Object &)> edit) {
  llvm::json::Value v = llvm::cantFail(llvm::json::parse(text));
  edit(*v.getAsObject());
  std::string out;
  llvm::raw_string_ostream os(out);
  os << v;
  return out;
}

/// The object of layer `i` of a schedule's JSON.
inline llvm::json::Object &jsonLayer(llvm::json::Object &root, size_t i) {
  return *(*root.getArray("layers"))[i].getAsObject();
}

} // namespace romac::test

#endif // ROMAC_UNITTESTS_SCHEDULE_JSONEDIT_H
