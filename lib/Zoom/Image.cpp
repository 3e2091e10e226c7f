//===- Image.cpp - RGB images, PNG files and the zoom's image ops ---------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// libpng reading and atomic writing, Pillow's bicubic resampling, and the
// image <-> tensor conversions of the inpainting pipeline
// (include/romac/Zoom/Image.h).
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Image.h"

#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"

#include "llvm/Support/Path.h"

#include <png.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

using namespace romac;
using namespace romac::zoom;

//===----------------------------------------------------------------------===//
// PNG
//===----------------------------------------------------------------------===//

namespace {
/// libpng's error callback target: the message, then longjmp.
struct PngErrorState {
  std::string message;
};

void pngError(png_structp png, png_const_charp msg) {
  auto *state = static_cast<PngErrorState *>(png_get_error_ptr(png));
  state->message = msg;
  png_longjmp(png, 1);
}
void pngWarning(png_structp, png_const_charp) {}

/// Closes a FILE on scope exit.
struct FileCloser {
  FILE *f;
  ~FileCloser() {
    if (f)
      fclose(f);
  }
};
} // namespace

/// The largest image romac reads (per side): 2^15 pixels.
static constexpr png_uint_32 kMaxPngSide = 1u << 15;

llvm::Expected<RgbImage> zoom::readPng(llvm::StringRef path) {
  std::string p = path.str();
  FILE *f = fopen(p.c_str(), "rb");
  if (!f)
    return makeStringError("cannot open '" + path + "': " + strerror(errno));
  FileCloser closer{f};
  unsigned char sig[8];
  if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8))
    return makeStringError("'" + path + "' is not a PNG file");
  PngErrorState state;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state,
                                           pngError, pngWarning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return makeStringError("cannot read '" + path + "': out of memory");
  }
  RgbImage image;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return makeStringError("'" + path +
                           "' is not a valid PNG file: " + state.message);
  }
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_set_user_limits(png, kMaxPngSide, kMaxPngSide);
  png_read_info(png, info);
  png_set_expand(png);      // palette, grey < 8 bits, tRNS
  png_set_strip_16(png);    // 16-bit samples -> 8
  png_set_gray_to_rgb(png); // grey -> RGB
  png_set_strip_alpha(png); // drop alpha
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  image.width = static_cast<int>(png_get_image_width(png, info));
  image.height = static_cast<int>(png_get_image_height(png, info));
  if (png_get_rowbytes(png, info) != size_t(image.width) * 3)
    png_error(png, "unexpected row layout after conversion to RGB8");
  image.pixels.resize(size_t(image.width) * image.height * 3);
  rows.resize(image.height);
  for (int y = 0; y < image.height; ++y)
    rows[y] = image.at(0, y);
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return image;
}

/// Writes \p image as PNG into the open \p f; the libpng message on failure.
static std::string writePngStream(FILE *f, const RgbImage &image) {
  PngErrorState state;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state,
                                            pngError, pngWarning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return "out of memory";
  }
  std::vector<png_bytep> rows(image.height);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return state.message.empty() ? "libpng failed" : state.message;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, image.width, image.height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    rows[y] = const_cast<png_bytep>(image.at(0, y));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return "";
}

llvm::Error zoom::writePng(llvm::StringRef path, const RgbImage &image) {
  if (image.width < 1 || image.height < 1 ||
      image.pixels.size() != size_t(image.width) * image.height * 3)
    return makeStringError("cannot write '" + path + "': an empty image");
  return writeThroughTemporary(path, [&](llvm::StringRef temp) {
    FILE *f = std::fopen(temp.str().c_str(), "wb");
    if (!f)
      return std::string(strerror(errno));
    std::string msg = writePngStream(f, image);
    if (fflush(f) != 0 && msg.empty())
      msg = strerror(errno);
    if (fclose(f) != 0 && msg.empty())
      msg = strerror(errno);
    return msg;
  });
}

//===----------------------------------------------------------------------===//
// Pillow's bicubic and Lanczos resampling (libImaging/Resample.c)
//===----------------------------------------------------------------------===//

/// Pillow's bicubic kernel, a = -0.5 (support 2).
static double bicubicFilter(double x) {
  const double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/// sin(pi x) / (pi x).
static double sinc(double x) {
  if (x == 0.0)
    return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

/// Pillow's Lanczos kernel, a = 3 (support 3): sinc(x) sinc(x / 3) on
/// [-3, 3).
static double lanczosFilter(double x) {
  if (-3.0 <= x && x < 3.0)
    return sinc(x) * sinc(x / 3);
  return 0.0;
}

namespace {
/// A resampling kernel and its support.
struct Filter {
  double (*kernel)(double);
  double support;
};
} // namespace

static Filter getFilter(ResampleFilter filter) {
  return filter == ResampleFilter::Lanczos ? Filter{lanczosFilter, 3.0}
                                           : Filter{bicubicFilter, 2.0};
}

/// The 8-bit pipeline's fixed-point precision (32 - 8 - 2 bits).
static constexpr int kPrecisionBits = 22;

namespace {
/// The taps of one output pixel: the first input index and the weights.
struct Taps {
  int first;
  std::vector<int32_t> weights;
};
} // namespace

/// precompute_coeffs + normalize_coeffs_8bpc for \p inSize -> \p outSize.
static std::vector<Taps> computeTaps(int inSize, int outSize, Filter filter) {
  double scale = double(inSize) / outSize;
  double filterScale = std::max(scale, 1.0);
  double support = filter.support * filterScale;
  std::vector<Taps> taps(outSize);
  for (int xx = 0; xx < outSize; ++xx) {
    double center = (xx + 0.5) * scale;
    double ss = 1.0 / filterScale;
    int xmin = static_cast<int>(center - support + 0.5); // C truncation
    xmin = std::max(xmin, 0);
    int xmax = static_cast<int>(center + support + 0.5);
    xmax = std::min(xmax, inSize) - xmin;
    std::vector<double> k(std::max(xmax, 0));
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = filter.kernel((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    Taps &t = taps[xx];
    t.first = xmin;
    for (double w : k) {
      if (ww != 0.0)
        w /= ww;
      double v = w * (1 << kPrecisionBits);
      t.weights.push_back(static_cast<int32_t>(w < 0 ? v - 0.5 : v + 0.5));
    }
  }
  return taps;
}

static uint8_t clip8(int64_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
}

RgbImage zoom::resizeBicubic(const RgbImage &in, int width, int height) {
  return resize(in, width, height, ResampleFilter::Bicubic);
}

RgbImage zoom::resizeLanczos(const RgbImage &in, int width, int height) {
  return resize(in, width, height, ResampleFilter::Lanczos);
}

RgbImage zoom::resize(const RgbImage &in, int width, int height,
                      ResampleFilter filter) {
  assert(width >= 1 && height >= 1 && "resize to an empty image");
  const RgbImage *src = &in;
  RgbImage horizontal;
  if (width != in.width) {
    std::vector<Taps> taps = computeTaps(in.width, width, getFilter(filter));
    horizontal = RgbImage(width, in.height);
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < 3; ++c) {
          int64_t acc = int64_t(1) << (kPrecisionBits - 1);
          const Taps &t = taps[x];
          for (size_t i = 0; i < t.weights.size(); ++i)
            acc += int64_t(in.at(t.first + int(i), y)[c]) * t.weights[i];
          horizontal.at(x, y)[c] = clip8(acc);
        }
    src = &horizontal;
  }
  if (height == src->height)
    return src == &in ? in : horizontal;
  std::vector<Taps> taps = computeTaps(src->height, height, getFilter(filter));
  RgbImage out(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) {
        int64_t acc = int64_t(1) << (kPrecisionBits - 1);
        const Taps &t = taps[y];
        for (size_t i = 0; i < t.weights.size(); ++i)
          acc += int64_t(src->at(x, t.first + int(i))[c]) * t.weights[i];
        out.at(x, y)[c] = clip8(acc);
      }
  return out;
}

//===----------------------------------------------------------------------===//
// Crop, paste, the zoom canvas
//===----------------------------------------------------------------------===//

RgbImage zoom::crop(const RgbImage &image, int x0, int y0, int x1, int y1) {
  assert(0 <= x0 && x0 < x1 && x1 <= image.width && 0 <= y0 && y0 < y1 &&
         y1 <= image.height && "crop outside the image");
  RgbImage out(x1 - x0, y1 - y0);
  for (int y = y0; y < y1; ++y)
    std::memcpy(out.at(0, y - y0), image.at(x0, y), size_t(x1 - x0) * 3);
  return out;
}

void zoom::paste(RgbImage &dst, const RgbImage &src, int x, int y) {
  int xb = std::max(0, -x), xe = std::min(src.width, dst.width - x);
  for (int sy = std::max(0, -y); sy < std::min(src.height, dst.height - y);
       ++sy)
    if (xe > xb)
      std::memcpy(dst.at(x + xb, y + sy), src.at(xb, sy), size_t(xe - xb) * 3);
}

RgbImage zoom::shrinkAndPasteOnBlank(const RgbImage &image, int maskWidth) {
  RgbImage canvas(image.width, image.height);
  RgbImage small = resizeBicubic(image, image.width - 2 * maskWidth,
                                 image.height - 2 * maskWidth);
  paste(canvas, small, maskWidth, maskWidth);
  return canvas;
}

Tensor zoom::makeBorderMask(int width, int height, int maskWidth) {
  Tensor mask(ElementType::F32, {1, 1, height, width});
  float *m = mask.dataAs<float>();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      bool inside = x >= maskWidth && x < width - maskWidth && y >= maskWidth &&
                    y < height - maskWidth;
      m[size_t(y) * width + x] = inside ? 0.0f : 1.0f;
    }
  return mask;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

Tensor zoom::imageToTensor(const RgbImage &image) {
  Tensor t(ElementType::F32, {1, 3, image.height, image.width});
  float *d = t.dataAs<float>();
  size_t plane = size_t(image.width) * image.height;
  for (size_t p = 0; p < plane; ++p)
    for (int c = 0; c < 3; ++c) // diffusers: (p / 255) * 2 - 1 in float32
      d[c * plane + p] = (image.pixels[p * 3 + c] / 255.0f) * 2.0f - 1.0f;
  return t;
}

RgbImage zoom::tensorToImage(const Tensor &tensor) {
  llvm::ArrayRef<int64_t> s = tensor.getShape();
  assert(s.size() == 4 && s[0] == 1 && s[1] == 3 &&
         tensor.getElementType() == ElementType::F32);
  RgbImage image(static_cast<int>(s[3]), static_cast<int>(s[2]));
  const float *d = tensor.dataAs<float>();
  size_t plane = size_t(image.width) * image.height;
  for (size_t p = 0; p < plane; ++p)
    for (int c = 0; c < 3; ++c) {
      float v = std::clamp(d[c * plane + p] / 2.0f + 0.5f, 0.0f, 1.0f);
      image.pixels[p * 3 + c] =
          static_cast<uint8_t>(std::nearbyint(v * 255.0f));
    }
  return image;
}

Tensor zoom::maskImageTensor(const Tensor &image, const Tensor &mask) {
  Tensor out = image.clone();
  llvm::ArrayRef<int64_t> s = image.getShape();
  size_t plane = size_t(s[2]) * s[3];
  float *d = out.dataAs<float>();
  const float *m = mask.dataAs<float>();
  for (int64_t c = 0; c < s[1]; ++c)
    for (size_t p = 0; p < plane; ++p)
      if (!(m[p] < 0.5f))
        d[c * plane + p] = 0.0f;
  return out;
}

Tensor zoom::maskToLatent(const Tensor &mask, int factor) {
  llvm::ArrayRef<int64_t> s = mask.getShape();
  int64_t h = s[2], w = s[3], oh = h / factor, ow = w / factor;
  Tensor out(ElementType::F32, {1, 1, oh, ow});
  const float *m = mask.dataAs<float>();
  float *o = out.dataAs<float>();
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      // PyTorch nearest: floor(dst * (in / out)) with a float scale.
      int64_t sy = std::min<int64_t>(
          static_cast<int64_t>(std::floor(y * (float(h) / oh))), h - 1);
      int64_t sx = std::min<int64_t>(
          static_cast<int64_t>(std::floor(x * (float(w) / ow))), w - 1);
      o[y * ow + x] = m[sy * w + sx];
    }
  return out;
}
