//===- Workloads.h - layer lists for the search benchmarks ------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Synthetic layer lists built from published layer shapes (no model file
// needed): the SD2 inpainting UNet's contractions at 512x512 (64x64
// latent), AlexNet's and VGG-16's convolutions, and the headline layer
// K=256, C=512, 64x64, 3x3.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_BENCH_WORKLOADS_H
#define ROMAC_BENCH_WORKLOADS_H

#include "romac/Analysis/Workload.h"

#include <vector>

namespace romac::bench {

/// Conv K=256, C=512, 64x64 output, 3x3 kernel, pad 1, int8.
Workload makeHeadlineConv();

/// The contractions of the SD2 inpainting UNet (diffusers
/// UNet2DConditionModel, batch 1, 64x64 latent, int8): every convolution,
/// linear layer and attention matmul, in model order (hundreds of layers,
/// many identical). shared/reference/sd2-inpainting.md gives the structure.
std::vector<Workload> makeSd2UnetWorkloads();

/// AlexNet's five convolutions (batch 1, 227x227 input).
std::vector<Workload> makeAlexNetConvs();
/// VGG-16's thirteen convolutions (batch 1, 224x224 input).
std::vector<Workload> makeVgg16Convs();

} // namespace romac::bench

#endif // ROMAC_BENCH_WORKLOADS_H
