//===- Zoom.h - `romac zoom` -----------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_ZOOM_H
#define ROMAC_TOOLS_ROMAC_ZOOM_H

#include "CompressionFlags.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace romac::driver {

struct ZoomArgs {
  std::string modelDir, prompt, negativePrompt, scheduler = "pndm";
  /// --prompt-at K=TEXT: the prompt from key frame K on.
  std::vector<std::string> promptsAt;
  unsigned steps = 50, outpaintSteps = 8, interpFrames = 30, fps = 30;
  double guidance = 7.5;
  int size = 512, maskWidth = 128;
  std::optional<uint64_t> seed;
  std::string initImage, precision = "fp32", target = "host", out = "zoom";
  bool resume = false, noCache = false;
  /// --dump-tensors: write each computed key frame's initial and final
  /// latents and decoded floats as .npy under OUT/tensors (debugging and
  /// the comparison with python/romac/zoom_reference.py).
  bool dumpTensors = false;
  /// --quantize / --weight-sharing / --prune: every graph runs compressed,
  /// as `romac run` does with dynamic activation scales (CompressionFlags.h).
  CompressionArgs compression;
};

/// Registers `romac zoom` and its flags.
CLI::App *addZoomCommand(CLI::App &app, ZoomArgs &args);

/// Runs `romac zoom`; returns the exit status.
int runZoom(const ZoomArgs &args);

} // namespace romac::driver

#endif // ROMAC_TOOLS_ROMAC_ZOOM_H
