//===- Error.h - romac's error helpers ---------------------------*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The two kinds of error the model libraries return: a plain message
// (makeStringError()) and an error of one layer (LayerError), which carries
// the layer's name so that a pass or the driver can point at that layer
// without searching for its name inside the message text.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SUPPORT_ERROR_H
#define ROMAC_SUPPORT_ERROR_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace romac {

/// An error holding \p message (with llvm::inconvertibleErrorCode()).
llvm::Error makeStringError(const llvm::Twine &message);

/// An error that belongs to one layer. Its message is exactly the text it was
/// made with (the layer's name is usually part of it); `getLayer()` says
/// which layer without parsing that text.
class LayerError : public llvm::ErrorInfo<LayerError> {
public:
  static char ID;

  LayerError(std::string layer, std::string message)
      : layer(std::move(layer)), message(std::move(message)) {}

  /// The layer's name (Workload::name).
  llvm::StringRef getLayer() const { return layer; }
  llvm::StringRef getMessage() const { return message; }

  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  std::string layer;
  std::string message;
};

/// A LayerError of \p layer with \p message.
llvm::Error makeLayerError(llvm::StringRef layer, const llvm::Twine &message);

/// A failed error taken apart: the layer it belongs to ("" when it is not
/// a LayerError) and its message.
struct ErrorWithLayer {
  std::string layer;
  std::string message;
};
ErrorWithLayer takeErrorWithLayer(llvm::Error err);

} // namespace romac

#endif // ROMAC_SUPPORT_ERROR_H
