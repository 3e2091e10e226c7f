//===- Calibrate.h - `romac run --calibrate`: static scales -----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_CALIBRATE_H
#define ROMAC_TOOLS_ROMAC_CALIBRATE_H

#include "ModelLoader.h"
#include "Run.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace romac::driver {

/// Whether `args` asks for static activation scales (--calibrate DIR or
/// --calibrate-seed SEED).
bool isCalibrated(const RunArgs &args);

/// The max |x| of every activation quantizeModuleActivations() rounds in
/// `module` (its weights compressed already), in that function's order:
/// the largest over runs of the module, compiled untiled with a probe per
/// activation (addActivationProbes), on the calibration inputs. Those are
/// the files of --calibrate DIR (one set of inputs, or one per subfolder
/// when DIR has subfolders: NAME.npy, NAME.pb or input_K.pb for the model's
/// K-th input NAME) or seeded random inputs (--calibrate-seed). An error
/// names the folder or file and the problem (a missing input, a type or
/// shape the model does not take, a non-finite maximum).
llvm::Expected<std::vector<float>>
calibrateActivations(const RunArgs &args, const ModelLoadRequest &request,
                     mlir::ModuleOp module);

/// Every file under --calibrate DIR, sorted: the artefact cache's key
/// holds their paths and content hashes (ModelLoadRequest::keyFiles);
/// std::nullopt when DIR cannot be listed (the run then compiles afresh
/// and calibrateActivations() reports the problem).
std::optional<std::vector<std::string>>
getCalibrationFiles(llvm::StringRef dir);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_CALIBRATE_H
