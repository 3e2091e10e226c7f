//===- Image.h - RGB images, PNG files and the zoom's image ops --*- C++
//-*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The image side of `romac zoom` (docs/zoom.md):
//
//  - RgbImage: 8-bit RGB, row-major, interleaved;
//  - readPng() / writePng() through libpng; the writer goes through a
//    temporary file renamed over the target, so an existing file is never
//    left half written;
//  - resizeBicubic(): Pillow's Image.resize(..., BICUBIC) (its default
//    filter, which v8hid's infinite zoom uses), bit for bit: a separable
//    a = -0.5 cubic stretched by the downscale factor, 22-bit fixed-point
//    coefficients, horizontal pass first, rounded to 8 bits between passes;
//    resizeLanczos(): the same with Pillow's LANCZOS (a = 3) kernel;
//  - crop(), paste(), shrinkAndPasteOnBlank() and the border mask;
//  - imageToTensor() / tensorToImage(): [0,255] <-> [-1,1] NCHW float32, as
//    diffusers' VaeImageProcessor; maskToLatent(): nearest down-sampling as
//    F.interpolate(mask, size=(H/8, W/8)).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ZOOM_IMAGE_H
#define ROMAC_ZOOM_IMAGE_H

#include "romac/Runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace romac::zoom {

/// An 8-bit RGB image.
struct RgbImage {
  int width = 0;
  int height = 0;
  /// width * height * 3 bytes, rows top to bottom, R G B per pixel.
  std::vector<uint8_t> pixels;

  RgbImage() = default;
  /// A black \p width x \p height image.
  RgbImage(int width, int height)
      : width(width), height(height),
        pixels(static_cast<size_t>(width) * height * 3, 0) {}
  uint8_t *at(int x, int y) { return &pixels[(size_t(y) * width + x) * 3]; }
  const uint8_t *at(int x, int y) const {
    return &pixels[(size_t(y) * width + x) * 3];
  }
  bool operator==(const RgbImage &o) const {
    return width == o.width && height == o.height && pixels == o.pixels;
  }
};

/// Reads a PNG file as 8-bit RGB (palette and grey images are expanded,
/// 16-bit samples reduced, alpha dropped). A file that is not a readable PNG
/// is one error naming it.
llvm::Expected<RgbImage> readPng(llvm::StringRef path);
/// Writes \p image as an 8-bit RGB PNG: to a temporary file in the same
/// directory, renamed over \p path on success (removed on failure).
llvm::Error writePng(llvm::StringRef path, const RgbImage &image);

/// Pillow's resampling filters.
enum class ResampleFilter {
  /// BICUBIC: a = -0.5, support 2 (Image.resize's default).
  Bicubic,
  /// LANCZOS: sinc(x) sinc(x / 3), support 3.
  Lanczos,
};

/// Pillow's Image.resize of \p image to \p width x \p height (both >= 1)
/// with \p filter, bit for bit.
RgbImage resize(const RgbImage &image, int width, int height,
                ResampleFilter filter);
/// Pillow's BICUBIC resize of \p image to \p width x \p height (both >= 1).
RgbImage resizeBicubic(const RgbImage &image, int width, int height);
/// Pillow's LANCZOS resize (v8hid's for a custom init image).
RgbImage resizeLanczos(const RgbImage &image, int width, int height);
/// The pixels [x0, x1) x [y0, y1) of \p image (inside it).
RgbImage crop(const RgbImage &image, int x0, int y0, int x1, int y1);
/// Copies \p src into \p dst with its top-left corner at (x, y), clipped.
void paste(RgbImage &dst, const RgbImage &src, int x, int y);

/// v8hid's shrink_and_paste_on_blank: \p image resized (bicubic) to
/// (W - 2m) x (H - 2m) and pasted centred on a black canvas of its size.
RgbImage shrinkAndPasteOnBlank(const RgbImage &image, int maskWidth);
/// The inpainting mask of that canvas: a [1, 1, H, W] float32 tensor, 1 on
/// the border of width \p maskWidth (repaint) and 0 inside (keep).
Tensor makeBorderMask(int width, int height, int maskWidth);

/// [1, 3, H, W] float32 with 2 * p / 255 - 1.
Tensor imageToTensor(const RgbImage &image);
/// The inverse of imageToTensor(): round(clamp(x / 2 + 0.5, 0, 1) * 255)
/// (half to even) of a [1, 3, H, W] float32 tensor.
RgbImage tensorToImage(const Tensor &tensor);
/// \p image (from imageToTensor()) times (mask < 0.5): the repaint region
/// becomes 0, mid-grey.
Tensor maskImageTensor(const Tensor &image, const Tensor &mask);
/// Nearest down-sampling of a [1, 1, H, W] mask to [1, 1, H/f, W/f]
/// (source index floor(i * H / h), PyTorch's "nearest").
Tensor maskToLatent(const Tensor &mask, int factor = 8);

} // namespace romac::zoom

#endif // ROMAC_ZOOM_IMAGE_H
