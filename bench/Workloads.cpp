//===- Workloads.cpp - layer lists for the search benchmarks ----*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Workloads.h"

#include "llvm/Support/Error.h"

#include <string>

using namespace romac;
using namespace romac::bench;

namespace {

/// Appends workloads with running names.
class Builder {
public:
  explicit Builder(std::vector<Workload> &out) : out(out) {}

  void conv(const std::string &name, int64_t cin, int64_t cout, int64_t size,
            int64_t kernel, int64_t stride = 1) {
    Conv2dSpec s;
    s.name = name;
    s.c = cin;
    s.k = cout;
    s.h = s.w = size;
    s.r = s.s = kernel;
    s.strideH = s.strideW = stride;
    int64_t pad = kernel / 2;
    s.padTop = s.padBottom = s.padLeft = s.padRight = pad;
    out.push_back(llvm::cantFail(Workload::conv2d(s)));
  }
  void linear(const std::string &name, int64_t tokens, int64_t in,
              int64_t outFeatures) {
    out.push_back(
        llvm::cantFail(Workload::matmul(tokens, outFeatures, in, 1, name)));
  }
  void bmm(const std::string &name, int64_t batch, int64_t m, int64_t n,
           int64_t k) {
    out.push_back(
        llvm::cantFail(Workload::batchMatmul(batch, m, n, k, 1, name)));
  }

  /// ResnetBlock2D(cin -> cout) at `size` x `size`.
  void resnet(const std::string &p, int64_t cin, int64_t cout, int64_t size) {
    conv(p + ".conv1", cin, cout, size, 3);
    linear(p + ".time_emb_proj", 1, 1280, cout);
    conv(p + ".conv2", cout, cout, size, 3);
    if (cin != cout)
      conv(p + ".conv_shortcut", cin, cout, size, 1);
  }

  /// Transformer2DModel(c) at `size` x `size`, heads of dim 64, text
  /// context 77 x 1024.
  void transformer(const std::string &p, int64_t c, int64_t size) {
    int64_t seq = size * size, heads = c / 64;
    linear(p + ".proj_in", seq, c, c);
    for (const char *attn : {".attn1", ".attn2"}) {
      bool cross = std::string(attn) == ".attn2";
      int64_t kv = cross ? 77 : seq, kvIn = cross ? 1024 : c;
      std::string a = p + ".transformer_blocks.0" + attn;
      linear(a + ".to_q", seq, c, c);
      linear(a + ".to_k", kv, kvIn, c);
      linear(a + ".to_v", kv, kvIn, c);
      bmm(a + ".scores", heads, seq, kv, 64);
      bmm(a + ".context", heads, seq, 64, kv);
      linear(a + ".to_out", seq, c, c);
    }
    std::string ff = p + ".transformer_blocks.0.ff";
    linear(ff + ".proj", seq, c, 8 * c);
    linear(ff + ".out", seq, 4 * c, c);
    linear(p + ".proj_out", seq, c, c);
  }

private:
  std::vector<Workload> &out;
};

} // namespace

Workload romac::bench::makeHeadlineConv() {
  Conv2dSpec s;
  s.name = "conv_k256_c512_64x64_3x3";
  s.c = 512;
  s.k = 256;
  s.h = s.w = 64;
  s.r = s.s = 3;
  s.padTop = s.padBottom = s.padLeft = s.padRight = 1;
  return llvm::cantFail(Workload::conv2d(s));
}

std::vector<Workload> romac::bench::makeSd2UnetWorkloads() {
  std::vector<Workload> out;
  Builder b(out);
  b.linear("time_embedding.linear_1", 1, 320, 1280);
  b.linear("time_embedding.linear_2", 1, 1280, 1280);
  b.conv("conv_in", 9, 320, 64, 3);

  const int64_t channels[4] = {320, 640, 1280, 1280};
  int64_t size = 64, cin = 320;
  // Skip connections: every resnet/downsample output of the down path.
  std::vector<int64_t> skips = {320};
  for (int blk = 0; blk < 4; ++blk) {
    int64_t c = channels[blk];
    for (int i = 0; i < 2; ++i) {
      std::string p = "down_blocks." + std::to_string(blk);
      b.resnet(p + ".resnets." + std::to_string(i), i == 0 ? cin : c, c, size);
      if (blk < 3)
        b.transformer(p + ".attentions." + std::to_string(i), c, size);
      skips.push_back(c);
    }
    cin = c;
    if (blk < 3) {
      b.conv("down_blocks." + std::to_string(blk) + ".downsamplers.0.conv", c,
             c, size, 3, 2);
      size /= 2;
      skips.push_back(c);
    }
  }

  b.resnet("mid_block.resnets.0", 1280, 1280, size);
  b.transformer("mid_block.attentions.0", 1280, size);
  b.resnet("mid_block.resnets.1", 1280, 1280, size);

  const int64_t upChannels[4] = {1280, 1280, 640, 320};
  int64_t prev = 1280;
  for (int blk = 0; blk < 4; ++blk) {
    int64_t c = upChannels[blk];
    for (int i = 0; i < 3; ++i) {
      int64_t skip = skips.back();
      skips.pop_back();
      std::string p = "up_blocks." + std::to_string(blk);
      b.resnet(p + ".resnets." + std::to_string(i), prev + skip, c, size);
      if (blk > 0)
        b.transformer(p + ".attentions." + std::to_string(i), c, size);
      prev = c;
    }
    if (blk < 3) {
      size *= 2;
      b.conv("up_blocks." + std::to_string(blk) + ".upsamplers.0.conv", c, c,
             size, 3);
    }
  }
  b.conv("conv_out", 320, 4, 64, 3);
  return out;
}

std::vector<Workload> romac::bench::makeAlexNetConvs() {
  std::vector<Workload> out;
  auto conv = [&](const char *name, int64_t c, int64_t k, int64_t h, int64_t r,
                  int64_t stride, int64_t pad, int64_t groups) {
    Conv2dSpec s;
    s.name = name;
    s.c = c;
    s.k = k;
    s.h = s.w = h;
    s.r = s.s = r;
    s.strideH = s.strideW = stride;
    s.padTop = s.padBottom = s.padLeft = s.padRight = pad;
    s.groups = groups;
    out.push_back(llvm::cantFail(Workload::conv2d(s)));
  };
  // Krizhevsky et al. 2012 (the torchvision variant has no groups).
  conv("conv1", 3, 96, 227, 11, 4, 0, 1);
  conv("conv2", 96, 256, 27, 5, 1, 2, 2);
  conv("conv3", 256, 384, 13, 3, 1, 1, 1);
  conv("conv4", 384, 384, 13, 3, 1, 1, 2);
  conv("conv5", 384, 256, 13, 3, 1, 1, 2);
  return out;
}

std::vector<Workload> romac::bench::makeVgg16Convs() {
  std::vector<Workload> out;
  Builder b(out);
  const int64_t cfg[13][3] = {{3, 64, 224},    {64, 64, 224},  {64, 128, 112},
                              {128, 128, 112}, {128, 256, 56}, {256, 256, 56},
                              {256, 256, 56},  {256, 512, 28}, {512, 512, 28},
                              {512, 512, 28},  {512, 512, 14}, {512, 512, 14},
                              {512, 512, 14}};
  for (int i = 0; i < 13; ++i)
    b.conv("conv" + std::to_string(i + 1), cfg[i][0], cfg[i][1], cfg[i][2], 3);
  return out;
}
