//===- Video.h - H.264 MP4 output -------------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// writeMp4(): RGB frames to an H.264 (libx264, yuv420p, CRF 18) MP4 through
// FFmpeg's libavformat / libavcodec / libswscale. The file is written under
// a temporary name in the target's directory and renamed over the target
// only when complete, so a failure never destroys an existing file.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ZOOM_VIDEO_H
#define ROMAC_ZOOM_VIDEO_H

#include "romac/Zoom/Image.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace romac::zoom {

/// Encodes \p frames (all the same even width and height) at \p fps frames
/// per second into the MP4 file \p path.
llvm::Error writeMp4(llvm::StringRef path, llvm::ArrayRef<RgbImage> frames,
                     int fps);

} // namespace romac::zoom

#endif // ROMAC_ZOOM_VIDEO_H
