//===- Error.cpp - romac's error helpers ----------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Support/Error.h"

#include "llvm/Support/raw_ostream.h"

using namespace romac;

char LayerError::ID = 0;

llvm::Error romac::makeStringError(const llvm::Twine &message) {
  return llvm::make_error<llvm::StringError>(message,
                                             llvm::inconvertibleErrorCode());
}

void LayerError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code LayerError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error romac::makeLayerError(llvm::StringRef layer,
                                  const llvm::Twine &message) {
  return llvm::make_error<LayerError>(layer.str(), message.str());
}

ErrorWithLayer romac::takeErrorWithLayer(llvm::Error err) {
  ErrorWithLayer result;
  llvm::handleAllErrors(
      std::move(err),
      [&](const LayerError &e) {
        result.layer = e.getLayer().str();
        result.message = e.getMessage().str();
      },
      [&](const llvm::ErrorInfoBase &e) { result.message = e.message(); });
  return result;
}
