//===- Pipeline.cpp - the pieces of the zoom loop between the models -----===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Seeded noise, token id mapping, the UNet's 9-channel input, paste-back and
// interpolated frames (Pipeline.h).
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Pipeline.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace romac;
using namespace romac::zoom;

NormalNoise::NormalNoise(uint64_t seed, uint64_t keyFrame)
    : state(seed ^ (0x9E3779B97F4A7C15ull * (keyFrame + 1))) {}

uint64_t NormalNoise::nextBits() {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double NormalNoise::next() {
  if (hasSpare) {
    hasSpare = false;
    return spare;
  }
  // u1 in (0, 1], u2 in [0, 1): 53-bit uniforms.
  double u1 = double((nextBits() >> 11) + 1) * 0x1.0p-53;
  double u2 = double(nextBits() >> 11) * 0x1.0p-53;
  double r = std::sqrt(-2.0 * std::log(u1));
  double angle = 2.0 * M_PI * u2;
  spare = r * std::sin(angle);
  hasSpare = true;
  return r * std::cos(angle);
}

std::vector<double> NormalNoise::take(size_t count) {
  std::vector<double> out(count);
  for (double &v : out)
    v = next();
  return out;
}

std::vector<int64_t> zoom::mapTokenIds(llvm::ArrayRef<int64_t> ids,
                                       int64_t vocabSize) {
  std::vector<int64_t> out(ids.begin(), ids.end());
  if (vocabSize <= 0 ||
      llvm::all_of(ids, [&](int64_t id) { return id < vocabSize; }))
    return out;
  for (int64_t &id : out)
    id %= vocabSize;
  return out;
}

Tensor zoom::makeUnetSample(llvm::ArrayRef<double> latents, double scale,
                            const Tensor &mask, const Tensor &maskedLatents,
                            int batch) {
  int64_t h = mask.getShape()[2], w = mask.getShape()[3], plane = h * w;
  Tensor sample(ElementType::F32, {batch, 9, h, w});
  float *s = sample.dataAs<float>();
  const float *m = mask.dataAs<float>();
  const float *ml = maskedLatents.dataAs<float>();
  for (int b = 0; b < batch; ++b) {
    float *item = s + b * 9 * plane;
    for (int64_t i = 0; i < 4 * plane; ++i)
      item[i] = float(latents[i] * scale);
    std::copy(m, m + plane, item + 4 * plane);
    std::copy(ml, ml + 4 * plane, item + 5 * plane);
  }
  return sample;
}

void zoom::pasteCentre(RgbImage &frame, const RgbImage &canvas, int maskWidth) {
  paste(frame,
        crop(canvas, maskWidth, maskWidth, canvas.width - maskWidth,
             canvas.height - maskWidth),
        maskWidth, maskWidth);
}

int zoom::interpolationCropWidth(int size, int maskWidth, int j, int frames) {
  double keep = 1.0 - 2.0 * maskWidth / size;
  double w = (1.0 - std::pow(keep, 1.0 - double(j) / frames)) * size / 2;
  return int(std::nearbyint(w));
}

std::vector<RgbImage> zoom::interpolateFrames(const RgbImage &previous,
                                              const RgbImage &current,
                                              int maskWidth, int frames) {
  int size = current.width;
  std::vector<RgbImage> out;
  for (int j = 1; j < frames; ++j) {
    int w = interpolationCropWidth(size, maskWidth, j, frames);
    RgbImage frame =
        resizeBicubic(crop(current, w, w, size - w, size - w), size, size);
    int w2 = int(std::nearbyint(
        (1.0 - double(size - 2 * maskWidth) / (size - 2 * w)) / 2 * size));
    if (size - 2 * w2 > 0)
      paste(frame, resizeBicubic(previous, size - 2 * w2, size - 2 * w2), w2,
            w2);
    out.push_back(std::move(frame));
  }
  return out;
}
