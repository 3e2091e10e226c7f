//===- Pipeline.h - the zoom loop between the models ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `romac zoom` computes between its four model calls (docs/zoom.md):
// seeded noise, the token id mapping of a small text encoder, the 9-channel
// UNet input, the paste-back of the previous frame and v8hid's interpolated
// frames. No model runs here; tools/romac/Zoom.cpp drives the models.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ZOOM_PIPELINE_H
#define ROMAC_ZOOM_PIPELINE_H

#include "romac/Zoom/Image.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace romac::zoom {

/// Standard normal numbers from a 64-bit seed, the same on every platform:
/// SplitMix64 gives uniform doubles, Box-Muller turns pairs of them into
/// normals (both values are used, cosine first).
class NormalNoise {
public:
  /// The stream of key frame \p keyFrame of a run seeded \p seed (each key
  /// frame has its own stream, so a resumed run draws the same numbers).
  NormalNoise(uint64_t seed, uint64_t keyFrame);
  double next();
  /// \p count numbers.
  std::vector<double> take(size_t count);

private:
  uint64_t nextBits();
  uint64_t state;
  double spare = 0;
  bool hasSpare = false;
};

/// The text encoder's ids for a tokenizer's \p ids: unchanged when every id
/// is below \p vocabSize, else each id modulo \p vocabSize (the tiny SD2
/// text encoder has 1000 tokens where CLIP has 49408).
std::vector<int64_t> mapTokenIds(llvm::ArrayRef<int64_t> ids,
                                 int64_t vocabSize);

/// The UNet's `sample` for a batch of \p batch: per item the scaled latents
/// (4 channels), the latent mask (1) and the masked image's latents (4),
/// [batch, 9, h, w] float32. \p latents is [4, h, w] (doubles, scaled by
/// \p scale first), \p mask [1, 1, h, w], \p maskedLatents [1, 4, h, w].
Tensor makeUnetSample(llvm::ArrayRef<double> latents, double scale,
                      const Tensor &mask, const Tensor &maskedLatents,
                      int batch);

/// Pastes the centre of \p canvas (the shrunk previous frame, inside a
/// border of \p maskWidth) over \p frame, so that the new key frame keeps
/// the previous pixels exactly.
void pasteCentre(RgbImage &frame, const RgbImage &canvas, int maskWidth);

/// v8hid's interpolated frames between key frames \p previous and
/// \p current (same square size H, mask width m), `frames - 1` of them:
/// for j = 1 .. frames-1, w = round((1 - (1 - 2m/H)^(1 - j/frames)) H/2),
/// the crop [w, H-w) of \p current resized (bicubic) back to H, with
/// \p previous shrunk (bicubic) to H - 2 w2, w2 = round((1 - (H-2m)/(H-2w))
/// / 2 * H), pasted in the centre. round() is Python's (half to even).
std::vector<RgbImage> interpolateFrames(const RgbImage &previous,
                                        const RgbImage &current, int maskWidth,
                                        int frames);

/// The crop width w of interpolated frame \p j (1 .. frames-1).
int interpolationCropWidth(int size, int maskWidth, int j, int frames);

} // namespace romac::zoom

#endif // ROMAC_ZOOM_PIPELINE_H
