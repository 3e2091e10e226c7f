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

/// Each output plane (n, c) is its own input plane filtered by c's
/// weights (or, with `w` null, max-pooled over kh x kw windows); the
/// threads take blocks of output rows of the planes. With padding (padTop,
/// padLeft: the window's first row and column lie that far above and left
/// of the input; rows and columns outside it are zeros) no padded copy of
/// the whole input is written to memory: a 3x3 window of stride 1 or 2
/// takes the ISA's flattened kernel (runDepthwisePadded3x3, which copies
/// each block's rows with their zeros itself); any other window has each
/// block's input rows copied here with the zeros around them, and the row
/// kernel runs on that copy as on an explicitly padded input.
void filterPlanes(RomacMemref4F32 *in, RomacMemref3F32 *w, RomacMemref4F32 *out,
                  int64_t kh, int64_t kw, int64_t strideH, int64_t strideW,
                  int64_t dilH, int64_t dilW, const Epilogue *epilogue,
                  int64_t padTop, int64_t padLeft) {
  int64_t batch = out->sizes[0], channels = out->sizes[1], oh = out->sizes[2],
          ow = out->sizes[3];
  if (batch == 0 || channels == 0 || oh == 0 || ow == 0)
    return;
  struct Ctx {
    const IsaKernels &isa;
    RomacMemref4F32 *in, *out;
    RomacMemref3F32 *w;
    int64_t kh, kw, strideH, strideW, dilH, dilW, channels, oh, rowsPerItem,
        itemsPerPlane, padTop, padLeft;
    /// The row kernel's padded copy of a block's rows: its row pitch (0:
    /// the input is read in place).
    int64_t pitch;
    /// Whether the ISA's flattened 3x3 kernel computes the blocks.
    bool flattened;
    const Epilogue *epilogue;
  } ctx{getKernels(), in,      out,  w,        kh,      kw, strideH,
        strideW,      dilH,    dilW, channels, oh,      0,  0,
        padTop,       padLeft, 0,    false,    epilogue};
  bool padded = padTop != 0 || padLeft != 0 ||
                (oh - 1) * strideH + (kh - 1) * dilH >= in->sizes[2] ||
                (ow - 1) * strideW + (kw - 1) * dilW >= in->sizes[3];
  ctx.flattened = padded && w && kh == 3 && kw == 3 && dilH == 1 && dilW == 1 &&
                  strideH == strideW && (strideH == 1 || strideH == 2) &&
                  in->strides[3] == 1 && out->strides[3] == 1 &&
                  ctx.isa.runDepthwisePadded3x3;
  if (ctx.flattened) {
    // Blocks of about 4096 flattened outputs.
    ctx.rowsPerItem =
        std::clamp<int64_t>(4096 / getPaddedDepthwisePitch(ow, strideH), 1, oh);
  } else {
    // Blocks of 8 output rows: enough items for both threads on the small
    // planes of a network's last layers, whole rows for the vectors.
    ctx.rowsPerItem = 8;
    // A padded copy holds every column the windows read and one more (a
    // stride of 2 loads one float past its last), rounded up to whole
    // vectors of 16 so that no output needs a masked load.
    if (padded)
      ctx.pitch = ((ow - 1) * strideW + (kw - 1) * dilW + 2 + 15) / 16 * 16;
  }
  ctx.itemsPerPlane = (oh + ctx.rowsPerItem - 1) / ctx.rowsPerItem;
  parallelFor(
      batch * channels * ctx.itemsPerPlane,
      [](void *c, int64_t begin, int64_t end) {
        auto &x = *static_cast<Ctx *>(c);
        const RomacMemref4F32 &i = *x.in, &o = *x.out;
        float *scratch = x.flattened
                             ? getThreadScratch(getPaddedDepthwiseScratch(
                                   o.sizes[3], x.rowsPerItem, x.strideH))
                             : nullptr;
        for (int64_t item = begin; item < end; ++item) {
          int64_t plane = item / x.itemsPerPlane;
          int64_t row0 = item % x.itemsPerPlane * x.rowsPerItem;
          int64_t rows = std::min(x.oh - row0, x.rowsPerItem);
          int64_t n = plane / x.channels, ch = plane % x.channels;
          const float *input =
              i.aligned + i.offset + n * i.strides[0] + ch * i.strides[1];
          float *output =
              o.aligned + o.offset + n * o.strides[0] + ch * o.strides[1];
          const float *weights =
              x.w ? x.w->aligned + x.w->offset + ch * x.w->strides[0] : nullptr;
          Epilogue planeEpilogue;
          const Epilogue *epilogue = forPlane(x.epilogue, ch, planeEpilogue);
          if (x.flattened) {
            PaddedDepthwise p{input,           i.strides[2], i.sizes[2],
                              i.sizes[3],      weights,      x.w->strides[1],
                              x.w->strides[2], output,       o.strides[2],
                              o.sizes[3],      x.strideH,    x.padTop,
                              x.padLeft,       epilogue,     scratch};
            x.isa.runDepthwisePadded3x3(p, row0, row0 + rows);
            continue;
          }
          DepthwisePlane p{input,
                           i.strides[2],
                           i.strides[3],
                           i.sizes[3],
                           weights,
                           x.w ? x.w->strides[1] : 0,
                           x.w ? x.w->strides[2] : 0,
                           output + row0 * o.strides[2],
                           o.strides[2],
                           o.strides[3],
                           o.sizes[3],
                           x.kh,
                           x.kw,
                           x.strideH,
                           x.strideW,
                           x.dilH,
                           x.dilW,
                           epilogue,
                           /*max=*/!x.w};
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
              const float *src = input + y * p.inRowStride;
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
          x.isa.runDepthwise(p, 0, rows);
        }
      },
      &ctx);
}

void depthwiseConv2d(RomacMemref4F32 *in, RomacMemref3F32 *w,
                     RomacMemref4F32 *out, int64_t strideH, int64_t strideW,
                     int64_t dilH, int64_t dilW, const Epilogue *epilogue,
                     int64_t padTop, int64_t padLeft) {
  if (isPackingPass())
    return; // its filter is read in place
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
