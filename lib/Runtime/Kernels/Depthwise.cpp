//===- Depthwise.cpp - depthwise convolutions and max pooling ---*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The entry points of the window ops that filter each plane on its own
// (Kernels.h): the depthwise convolution, with an explicitly or an
// implicitly padded input, and max pooling. The threads take blocks of
// rows of the planes; the ISA's DepthwiseMicro.inc computes each block.
//
//===----------------------------------------------------------------------===//

#include "romac/Runtime/Kernels.h"

#include "Gemm.h"
#include "KernelsInternal.h"

#include <algorithm>
#include <cstring>
#include <optional>

using namespace romac::kernels;
using namespace romac::kernels::detail;

namespace {

const Epilogue *orNull(const std::optional<Epilogue> &epilogue) {
  return epilogue ? &*epilogue : nullptr;
}

/// The epilogue of channel `ch`'s plane: `epilogue` itself, or with a bias
/// a copy in `storage` whose bias points at the channel's.
const Epilogue *forPlane(const Epilogue *epilogue, int64_t ch,
                         Epilogue &storage) {
  if (!epilogue || !epilogue->bias)
    return epilogue;
  storage = *epilogue;
  storage.bias = epilogue->bias + ch * epilogue->biasStride;
  return &storage;
}

/// A 3x3 depthwise convolution, stride 1 or 2, of an implicitly padded
/// input (filterPlanes) by blocks of rows of its planes.
void depthwisePadded3x3(RomacMemref4F32 *in, RomacMemref3F32 *w,
                        RomacMemref4F32 *out, int64_t stride, int64_t padTop,
                        int64_t padLeft, const Epilogue *epilogue) {
  struct Ctx {
    const IsaKernels &isa;
    RomacMemref4F32 *in, *out;
    RomacMemref3F32 *w;
    int64_t stride, padTop, padLeft, channels, oh, rowsPerItem, itemsPerPlane;
    const Epilogue *epilogue;
  } ctx{getKernels(),  in, out, w,       stride, padTop, padLeft, out->sizes[1],
        out->sizes[2], 0,  0,   epilogue};
  int64_t pitch = getPaddedDepthwisePitch(out->sizes[3], stride);
  ctx.rowsPerItem = std::clamp<int64_t>(4096 / pitch, 1, ctx.oh);
  ctx.itemsPerPlane = (ctx.oh + ctx.rowsPerItem - 1) / ctx.rowsPerItem;
  parallelFor(
      out->sizes[0] * ctx.channels * ctx.itemsPerPlane,
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        const RomacMemref4F32 &i = *x.in, &o = *x.out;
        const RomacMemref3F32 &f = *x.w;
        int64_t ow = o.sizes[3];
        float *scratch = getThreadScratch(
            getPaddedDepthwiseScratch(ow, x.rowsPerItem, x.stride));
        for (int64_t item = begin; item < end; ++item) {
          int64_t plane = item / x.itemsPerPlane;
          int64_t row0 = item % x.itemsPerPlane * x.rowsPerItem;
          int64_t n = plane / x.channels, ch = plane % x.channels;
          PaddedDepthwise p{
              i.aligned + i.offset + n * i.strides[0] + ch * i.strides[1],
              i.strides[2],
              i.sizes[2],
              i.sizes[3],
              f.aligned + f.offset + ch * f.strides[0],
              f.strides[1],
              f.strides[2],
              o.aligned + o.offset + n * o.strides[0] + ch * o.strides[1],
              o.strides[2],
              ow,
              x.stride,
              x.padTop,
              x.padLeft,
              x.epilogue,
              scratch};
          Epilogue planeEpilogue;
          p.epilogue = forPlane(x.epilogue, ch, planeEpilogue);
          x.isa.runDepthwisePadded3x3(p, row0,
                                      std::min(x.oh, row0 + x.rowsPerItem));
        }
      },
      &ctx);
}

/// Each output plane (n, c) is its own input plane filtered by c's
/// weights (or, with `w` null, max-pooled over kh x kw windows); the
/// threads take blocks of output rows of the planes. With padding (padTop,
/// padLeft: the window's first row and column lie that far above and left
/// of the input; rows and columns outside it are zeros), each block first
/// copies the input rows it reads into the thread's buffer with the zeros
/// around them, so the vector loops run as on an explicitly padded input
/// and no padded copy of the whole input is written to memory.
void filterPlanes(RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
                  int64_t kh, int64_t kw, int64_t strideH, int64_t strideW,
                  int64_t dilH, int64_t dilW, const Epilogue *epilogue,
                  int64_t padTop, int64_t padLeft) {
  int64_t batch = out->sizes[0], channels = out->sizes[1], oh = out->sizes[2];
  if (batch == 0 || channels == 0 || oh == 0 || out->sizes[3] == 0)
    return;
  struct Ctx {
    const IsaKernels &isa;
    RomacMemref4F32 *in, *out;
    RomacMemref3F32 *w;
    int64_t kh, kw, strideH, strideW, dilH, dilW, channels, oh, rowsPerItem,
        itemsPerPlane, padTop, padLeft, pitch;
    const Epilogue *epilogue;
  } ctx{getKernels(), in,       out, w, kh, kw,     strideH, strideW, dilH,
        dilW,         channels, oh,  0, 0,  padTop, padLeft, 0,       epilogue};
  // Blocks of 8 output rows: enough items for both threads on the small
  // planes of a network's last layers, whole rows for the vectors.
  ctx.rowsPerItem = 8;
  ctx.itemsPerPlane = (oh + ctx.rowsPerItem - 1) / ctx.rowsPerItem;
  bool padded = padTop != 0 || padLeft != 0 ||
                (oh - 1) * strideH + (kh - 1) * dilH >= in->sizes[2] ||
                (out->sizes[3] - 1) * strideW + (kw - 1) * dilW >= in->sizes[3];
  // The common case, 3x3 with stride 1 or 2: the ISA's padded kernel, on
  // blocks of about 4096 flattened outputs (runDepthwisePadded3x3).
  if (padded && w && kh == 3 && kw == 3 && dilH == 1 && dilW == 1 &&
      strideH == strideW && (strideH == 1 || strideH == 2) &&
      in->strides[3] == 1 && out->strides[3] == 1 &&
      ctx.isa.runDepthwisePadded3x3)
    return depthwisePadded3x3(in, w, out, strideH, padTop, padLeft, epilogue);
  // Any other padded window: each block's input rows are copied with their
  // zeros, every column the windows read and one more (a stride of 2
  // loads one float past its last), rounded up to whole vectors of 16 so
  // that no output needs a masked load.
  if (padded)
    ctx.pitch =
        ((out->sizes[3] - 1) * strideW + (kw - 1) * dilW + 2 + 15) / 16 * 16;
  parallelFor(
      batch * channels * ctx.itemsPerPlane,
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        for (int64_t item = begin; item < end; ++item) {
          int64_t plane = item / x.itemsPerPlane;
          int64_t row0 = item % x.itemsPerPlane * x.rowsPerItem;
          int64_t rows = std::min(x.oh - row0, x.rowsPerItem);
          int64_t n = plane / x.channels, ch = plane % x.channels;
          const RomacMemref4F32 &i = *x.in, &o = *x.out;
          DepthwisePlane p{i.aligned + i.offset + n * i.strides[0] +
                               ch * i.strides[1],
                           i.strides[2],
                           i.strides[3],
                           i.sizes[3],
                           nullptr,
                           0,
                           0,
                           o.aligned + o.offset + n * o.strides[0] +
                               ch * o.strides[1] + row0 * o.strides[2],
                           o.strides[2],
                           o.strides[3],
                           o.sizes[3],
                           x.kh,
                           x.kw,
                           x.strideH,
                           x.strideW,
                           x.dilH,
                           x.dilW,
                           x.epilogue};
          if (x.pitch) {
            // The block's input rows y0 .. y0 + count - 1 (any of them
            // outside the input: zeros) into this thread's buffer.
            int64_t y0 = row0 * x.strideH - x.padTop;
            int64_t count = (rows - 1) * x.strideH + (x.kh - 1) * x.dilH + 1;
            float *copy = getThreadScratch(count * x.pitch);
            // Input columns [0, width) land at [padLeft, padLeft + width).
            int64_t width = std::min(i.sizes[3], x.pitch - x.padLeft);
            for (int64_t r = 0; r < count; ++r) {
              float *dst = copy + r * x.pitch;
              int64_t y = y0 + r;
              if (y < 0 || y >= i.sizes[2] || width <= 0) {
                std::fill(dst, dst + x.pitch, 0.0f);
                continue;
              }
              std::fill(dst, dst + x.padLeft, 0.0f);
              std::fill(dst + x.padLeft + width, dst + x.pitch, 0.0f);
              const float *src = p.in + y * p.inRowStride;
              if (p.inColStride == 1) {
                std::memcpy(dst + x.padLeft, src, width * sizeof(float));
                continue;
              }
              for (int64_t col = 0; col < width; ++col)
                dst[col + x.padLeft] = src[col * p.inColStride];
            }
            p.in = copy;
            p.inRowStride = x.pitch;
            p.inColStride = 1;
            p.inWidth = x.pitch;
          } else {
            p.in += row0 * x.strideH * p.inRowStride;
          }
          if (const RomacMemref3F32 *f = x.w) {
            p.w = f->aligned + f->offset + ch * f->strides[0];
            p.wRowStride = f->strides[1];
            p.wColStride = f->strides[2];
          } else {
            p.max = true;
          }
          Epilogue planeEpilogue;
          p.epilogue = forPlane(x.epilogue, ch, planeEpilogue);
          x.isa.runDepthwise(p, 0, rows);
        }
      },
      &ctx);
}

void depthwiseConv2d(RomacMemref4F32 *in, RomacMemref3F32 *w,
                     RomacMemref4F32 *out, int64_t strideH, int64_t strideW,
                     int64_t dilH, int64_t dilW, const Epilogue *epilogue,
                     int64_t padTop, int64_t padLeft) {
  filterPlanes(in, w, out, w->sizes[1], w->sizes[2], strideH, strideW, dilH,
               dilW, epilogue, padTop, padLeft);
}

} // namespace

extern "C" void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW) {
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, nullptr, 0, 0);
}

extern "C" void _mlir_ciface_romac_maxpool2d_nchw_f32(
    RomacMemref4F32 *in, RomacMemref4F32 *out, int64_t kh, int64_t kw,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW) {
  filterPlanes(in, nullptr, out, kh, kw, strideH, strideW, dilH, dilW, nullptr,
               0, 0);
}

extern "C" void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t overwrite, float scale, float lo, float hi) {
  std::optional<Epilogue> epilogue = getEpilogue(overwrite, scale, lo, hi);
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, orNull(epilogue), 0,
                  0);
}

extern "C" void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t padTop, int64_t padLeft) {
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, nullptr, padTop,
                  padLeft);
}

extern "C" void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    int64_t strideH, int64_t strideW, int64_t dilH, int64_t dilW,
    int64_t padTop, int64_t padLeft, int64_t overwrite, float scale, float lo,
    float hi) {
  std::optional<Epilogue> epilogue = getEpilogue(overwrite, scale, lo, hi);
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, orNull(epilogue),
                  padTop, padLeft);
}

extern "C" void _mlir_ciface_romac_depthwise_conv2d_nchw_chw_bias_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t overwrite, float scale, float lo, float hi) {
  Epilogue epilogue = getBiasEpilogue(bias, overwrite, scale, lo, hi);
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, &epilogue, 0, 0);
}

extern "C" void
_mlir_ciface_romac_depthwise_conv2d_nchw_chw_padded_bias_fused_f32(
    RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
    RomacMemref1F32 *bias, int64_t strideH, int64_t strideW, int64_t dilH,
    int64_t dilW, int64_t padTop, int64_t padLeft, int64_t overwrite,
    float scale, float lo, float hi) {
  Epilogue epilogue = getBiasEpilogue(bias, overwrite, scale, lo, hi);
  depthwiseConv2d(in, w, out, strideH, strideW, dilH, dilW, &epilogue, padTop,
                  padLeft);
}
