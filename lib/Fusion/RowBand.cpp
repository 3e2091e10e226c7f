//===- RowBand.cpp - the row-band model of a fused group ------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One fused group on its own (Fusion.h, docs/fusion.md): which layers are
// row-band layers, the band schedule's steps and counts (interval
// arithmetic), the on-chip capacity, and the group's DRAM placement and
// burst stream through the row-buffer model.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Fusion.h"

#include "romac/CostModel/Cost.h"
#include "romac/Dram/RequestStream.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;

//===----------------------------------------------------------------------===//
// Row-band layers
//===----------------------------------------------------------------------===//

std::pair<int64_t, int64_t> RowBandLayer::getInputRows(int64_t outLo,
                                                       int64_t outHi) const {
  if (outLo >= outHi)
    return {0, 0};
  int64_t lo = std::max<int64_t>(0, outLo * stride - pad);
  int64_t hi = std::min(inputRows, (outHi - 1) * stride - pad + kernelRows);
  if (lo >= hi)
    return {0, 0};
  return {lo, hi};
}

llvm::Expected<RowBandLayer> romac::getRowBandLayer(const Workload &w) {
  auto fail = [&](const llvm::Twine &why) {
    return makeLayerError(w.name,
                          "layer '" + w.name + "' cannot be fused: " + why);
  };
  int out = -1;
  for (auto [o, op] : llvm::enumerate(w.operands))
    if (op.role == OperandRole::ReadWrite) {
      if (out >= 0)
        return fail("more than one output");
      out = static_cast<int>(o);
    }
  if (out < 0)
    return fail("no output");
  const Operand &output = w.operands[out];
  std::string why = "no output dim indexed by a parallel loop dim alone that "
                    "exactly one input slides over";
  for (auto [d, e] : llvm::enumerate(output.projection)) {
    if (e.terms.size() != 1 || e.terms[0].coeff != 1 || e.constant != 0)
      continue;
    unsigned p = e.terms[0].dim;
    if (w.dims[p].kind != LoopKind::Parallel || w.dims[p].bound <= 1 ||
        output.extent[d] != w.dims[p].bound)
      continue;
    bool elsewhere = false;
    for (auto [d2, e2] : llvm::enumerate(output.projection))
      elsewhere |= d2 != d && e2.getCoeff(p) != 0;
    if (elsewhere)
      continue;
    int in = -1, readers = 0;
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (static_cast<int>(o) != out && op.isIndexedBy(p)) {
        in = static_cast<int>(o);
        ++readers;
      }
    if (readers != 1)
      continue;
    const Operand &input = w.operands[in];
    int rowDim = -1, dimsUsingP = 0;
    for (auto [d2, e2] : llvm::enumerate(input.projection))
      if (e2.getCoeff(p) != 0) {
        rowDim = static_cast<int>(d2);
        ++dimsUsingP;
      }
    if (dimsUsingP != 1)
      continue;
    const IndexExpr &ie = input.projection[rowDim];
    RowBandLayer rb;
    rb.stride = ie.getCoeff(p);
    // A sliding window: p and one reduction dim (of bound 1 for a 1x1
    // kernel). This also keeps a weight indexed by an output-channel dim
    // from passing for an input.
    if (rb.stride <= 0 || ie.terms.size() != 2)
      continue;
    const AffineTerm &r = ie.terms[0].dim == p ? ie.terms[1] : ie.terms[0];
    if (w.dims[r.dim].kind != LoopKind::Reduction)
      continue;
    if (r.coeff != 1)
      return fail("dilation " + llvm::Twine(r.coeff) +
                  " (rows between kernel taps are skipped)");
    rb.kernelRows = w.dims[r.dim].bound;
    if (rb.kernelRows < rb.stride)
      return fail("kernel rows " + llvm::Twine(rb.kernelRows) + " < stride " +
                  llvm::Twine(rb.stride) +
                  " (rows between windows are skipped)");
    rb.input = static_cast<unsigned>(in);
    rb.output = static_cast<unsigned>(out);
    rb.inputRowDim = static_cast<unsigned>(rowDim);
    rb.outputRowDim = static_cast<unsigned>(d);
    rb.inputRows = input.extent[rowDim];
    rb.outputRows = output.extent[d];
    rb.pad = -ie.constant;
    if (rb.pad < 0)
      return fail("its input is cropped (negative pad " + llvm::Twine(rb.pad) +
                  ")");
    rb.inputRowBytes =
        input.getNumElements() / rb.inputRows * input.bytesPerElement;
    rb.outputRowBytes =
        output.getNumElements() / rb.outputRows * output.bytesPerElement;
    for (auto [o, op] : llvm::enumerate(w.operands))
      if (static_cast<int>(o) != in && static_cast<int>(o) != out)
        rb.weightBytes += op.getStorageBytes(op.getNumElements());
    // One filter: the weights of one output channel, i.e. divided by every
    // parallel dim other than the rows that indexes the output and them
    // (K of a conv; C and the multiplier of a depthwise one; G and K of a
    // grouped one). Those dims lead the weight tensors, so filters are
    // contiguous and a chunk-by-chunk fetch walks them in storage order.
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      if (static_cast<int>(o) == in || static_cast<int>(o) == out)
        continue;
      int64_t bytes = op.getStorageBytes(op.getNumElements());
      for (auto [k, dim] : llvm::enumerate(w.dims))
        if (k != p && dim.kind == LoopKind::Parallel && output.isIndexedBy(k) &&
            op.isIndexedBy(k))
          bytes = (bytes + dim.bound - 1) / dim.bound;
      rb.weightChunkBytes += bytes;
    }
    return rb;
  }
  return fail(why);
}

llvm::Error romac::verifyRowBandChain(ArrayRef<RowBandLayer> chain) {
  if (chain.empty())
    return makeStringError("an empty chain cannot be fused");
  for (auto [j, l] : llvm::enumerate(chain)) {
    if (l.stride < 1 || l.kernelRows < l.stride || l.inputRows < 1 ||
        l.outputRows < 1 || l.inputRowBytes < 0 || l.outputRowBytes < 0 ||
        l.weightBytes < 0 || l.weightChunkBytes < 0 ||
        l.weightChunkBytes > l.weightBytes)
      return makeStringError("chain layer " + llvm::Twine(j) +
                             " has invalid row-band numbers");
    if (j + 1 < chain.size() &&
        (chain[j + 1].inputRows != l.outputRows ||
         chain[j + 1].inputRowBytes != l.outputRowBytes ||
         chain[j + 1].inputRowDim != l.outputRowDim))
      return makeStringError(
          "chain layer " + llvm::Twine(j + 1) + " reads " +
          llvm::Twine(chain[j + 1].inputRows) + " rows of " +
          llvm::Twine(chain[j + 1].inputRowBytes) + " bytes in tensor dim " +
          llvm::Twine(chain[j + 1].inputRowDim) + " but layer " +
          llvm::Twine(j) + " writes " + llvm::Twine(l.outputRows) +
          " rows of " + llvm::Twine(l.outputRowBytes) +
          " bytes in tensor dim " + llvm::Twine(l.outputRowDim));
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Steps and counts
//===----------------------------------------------------------------------===//

void romac::forEachRowBandStep(
    ArrayRef<RowBandLayer> chain, int64_t bandRows,
    llvm::function_ref<void(const RowBandStep &)> fn) {
  size_t m = chain.size();
  int64_t rows = chain.back().outputRows;
  bandRows = std::clamp<int64_t>(bandRows, 1, rows);
  SmallVector<int64_t, 8> produced(m, 0), lo(m), hi(m);
  for (int64_t b = 0; b * bandRows < rows; ++b) {
    lo[m - 1] = produced[m - 1];
    hi[m - 1] = std::min((b + 1) * bandRows, rows);
    for (size_t j = m - 1; j > 0; --j) {
      auto need = chain[j].getInputRows(lo[j], hi[j]);
      lo[j - 1] = produced[j - 1];
      hi[j - 1] = std::max(produced[j - 1], need.second);
    }
    for (size_t j = 0; j < m; ++j) {
      RowBandStep step;
      step.band = b;
      step.position = static_cast<unsigned>(j);
      if (lo[j] < hi[j]) {
        step.outLo = lo[j];
        step.outHi = hi[j];
        std::tie(step.inLo, step.inHi) = chain[j].getInputRows(lo[j], hi[j]);
      }
      fn(step);
      produced[j] = std::max(produced[j], hi[j]);
    }
  }
}

bool RowBandCounts::operator==(const RowBandCounts &o) const {
  return bands == o.bands && inputRowsRead == o.inputRowsRead &&
         inputReadBytes == o.inputReadBytes &&
         outputWriteBytes == o.outputWriteBytes &&
         weightReadBytes == o.weightReadBytes &&
         peakActivationBytes == o.peakActivationBytes &&
         weightBufferBytes == o.weightBufferBytes && savedBytes == o.savedBytes;
}

RowBandCounts romac::computeRowBandCounts(ArrayRef<RowBandLayer> chain,
                                          const RowBandSchedule &schedule) {
  size_t m = chain.size();
  std::vector<RowBandStep> steps;
  forEachRowBandStep(chain, schedule.bandRows,
                     [&](const RowBandStep &s) { steps.push_back(s); });
  RowBandCounts c;
  c.bands = static_cast<int64_t>(steps.size() / m);
  const RowBandLayer &last = chain.back();
  c.outputWriteBytes = last.outputRows * last.outputRowBytes;
  for (size_t j = 0; j + 1 < m; ++j)
    c.savedBytes += 2 * chain[j].outputRows * chain[j].outputRowBytes;

  // nextLo[k][t]: the first input row layer k needs at step t or later (the
  // needs of a layer only move forward), or INT64_MAX.
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  size_t n = steps.size();
  std::vector<std::vector<int64_t>> nextLo(m, std::vector<int64_t>(n + 1));
  for (size_t k = 0; k < m; ++k) {
    nextLo[k][n] = kNone;
    for (size_t t = n; t-- > 0;) {
      const RowBandStep &s = steps[t];
      nextLo[k][t] =
          s.position == k && s.inLo < s.inHi ? s.inLo : nextLo[k][t + 1];
    }
  }
  // end[k]: rows of layer k's input on chip so far (fetched for k = 0,
  // produced by layer k - 1 otherwise).
  SmallVector<int64_t, 8> end(m, 0);
  std::vector<bool> weightsFetched(m, false);
  int64_t residentWeights = 0;
  for (size_t t = 0; t < n; ++t) {
    const RowBandStep &s = steps[t];
    unsigned j = s.position;
    if (j == 0 && s.inLo < s.inHi) {
      int64_t from = std::max(s.inLo, end[0]);
      c.inputRowsRead += std::max<int64_t>(0, s.inHi - from);
      end[0] = std::max(end[0], s.inHi);
    }
    if (j + 1 < m)
      end[j + 1] = std::max(end[j + 1], s.outHi);
    int64_t stepWeights = 0;
    if (!s.isEmpty()) {
      if (!schedule.weightsResident) {
        c.weightReadBytes += chain[j].weightBytes;
        stepWeights = chain[j].weightChunkBytes > 0 ? chain[j].weightChunkBytes
                                                    : chain[j].weightBytes;
      } else if (!weightsFetched[j]) {
        weightsFetched[j] = true;
        c.weightReadBytes += chain[j].weightBytes;
        residentWeights += chain[j].weightBytes;
      }
    }
    c.weightBufferBytes =
        std::max(c.weightBufferBytes,
                 schedule.weightsResident ? residentWeights : stepWeights);
    int64_t bytes = 0;
    for (size_t k = 0; k < m; ++k)
      if (nextLo[k][t] != kNone && end[k] > nextLo[k][t])
        bytes += (end[k] - nextLo[k][t]) * chain[k].inputRowBytes;
    if (j + 1 == m)
      bytes += (s.outHi - s.outLo) * last.outputRowBytes;
    c.peakActivationBytes = std::max(c.peakActivationBytes, bytes);
  }
  c.inputReadBytes = c.inputRowsRead * chain.front().inputRowBytes;
  return c;
}

RowBandCapacity RowBandCapacity::get(const CostTarget &target) {
  RowBandCapacity cap;
  for (const CostMemory &m : target.memories) {
    // Activation rows live where the layers read their inputs; the output
    // buffers join them only when the target pools the two.
    bool act = m.holds(OperandClass::Input) || (m.holds(OperandClass::Output) &&
                                                target.activationBuffersPooled);
    bool weight = m.holds(OperandClass::Weight);
    if (act && weight)
      cap.sharedBytes += m.capacityBytes;
    else if (act)
      cap.activationBytes += m.capacityBytes;
    else if (weight)
      cap.weightBytes += m.capacityBytes;
  }
  return cap;
}

bool RowBandCapacity::fits(const RowBandCounts &c) const {
  if (activationLimit > 0 && c.peakActivationBytes > activationLimit)
    return false;
  return c.peakActivationBytes <= activationBytes + sharedBytes &&
         c.weightBufferBytes <= weightBytes + sharedBytes &&
         c.peakActivationBytes + c.weightBufferBytes <=
             activationBytes + weightBytes + sharedBytes;
}

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

static uint64_t getRowBytes(const DramParams &params) {
  return params.geometry.columns * params.deviceWidth * params.chipsPerRank / 8;
}

/// The dim order that stores `rowDim` outermost; the identity order when
/// that stores the tensor the same way (the dims before `rowDim` all have
/// extent 1, or the row dim has extent 1).
static SmallVector<unsigned, 4> rowsOutermostOrder(ArrayRef<int64_t> extent,
                                                   unsigned rowDim) {
  SmallVector<unsigned, 4> order;
  bool same = extent[rowDim] == 1;
  if (!same) {
    same = true;
    for (unsigned d = 0; d < rowDim; ++d)
      same &= extent[d] == 1;
  }
  if (same)
    return order;
  order.push_back(rowDim);
  for (unsigned d = 0; d < extent.size(); ++d)
    if (d != rowDim)
      order.push_back(d);
  return order;
}

llvm::Expected<RowBandPlacement>
romac::placeRowBandGroup(ArrayRef<const Workload *> layers,
                         ArrayRef<RowBandLayer> chain, const DramParams &params,
                         bool rowsOutermost, uint64_t base,
                         uint64_t alignment) {
  if (layers.size() != chain.size() || chain.empty())
    return makeStringError(
        "placeRowBandGroup: one workload per chain layer needed");
  uint64_t align =
      std::max<uint64_t>(alignment ? alignment : getRowBytes(params), 1);
  uint64_t next = base;
  auto place =
      [&](const Operand &op,
          std::optional<unsigned> rowDim) -> llvm::Expected<TensorLayout> {
    next += (align - next % align) % align;
    SmallVector<unsigned, 4> order;
    if (rowDim && rowsOutermost)
      order = rowsOutermostOrder(op.extent, *rowDim);
    llvm::Expected<TensorLayout> l =
        TensorLayout::getRowMajor(op.extent, ElementSize::of(op), next, order);
    if (l)
      next += l->getSizeBytes();
    return l;
  };
  const Workload &first = *layers.front();
  auto in =
      place(first.operands[chain.front().input], chain.front().inputRowDim);
  if (!in)
    return in.takeError();
  std::vector<TensorLayout> weights;
  for (auto [w, rb] : llvm::zip_equal(layers, chain))
    for (auto [o, op] : llvm::enumerate(w->operands)) {
      if (o == rb.input || o == rb.output)
        continue;
      auto l = place(op, std::nullopt);
      if (!l)
        return l.takeError();
      weights.push_back(*l);
    }
  const Workload &lastW = *layers.back();
  auto out =
      place(lastW.operands[chain.back().output], chain.back().outputRowDim);
  if (!out)
    return out.takeError();
  return RowBandPlacement(*in, *out, std::move(weights));
}

void romac::forEachRowBandBurst(
    ArrayRef<const Workload *> layers, ArrayRef<RowBandLayer> chain,
    const RowBandSchedule &schedule, const RowBandPlacement &placement,
    unsigned burstOffsetBits,
    llvm::function_ref<void(const DramRequest &)> fn) {
  size_t m = chain.size();
  // The first weight layout of every layer.
  SmallVector<unsigned, 8> firstWeight(m + 1, 0);
  for (size_t j = 0; j < m; ++j)
    firstWeight[j + 1] = firstWeight[j] + layers[j]->operands.size() - 2;
  auto emitBox = [&](const TensorLayout &layout, unsigned rowDim, int64_t lo,
                     int64_t hi, unsigned operand, bool isWrite) {
    SmallVector<int64_t, 4> boxLo(layout.getExtent().size(), 0);
    SmallVector<int64_t, 4> boxSize(layout.getExtent());
    if (rowDim < boxLo.size()) {
      boxLo[rowDim] = lo;
      boxSize[rowDim] = hi - lo;
    }
    forEachBurstRange(layout, boxLo, boxSize, burstOffsetBits,
                      [&](uint64_t first, uint64_t count) {
                        for (uint64_t i = 0; i < count; ++i)
                          fn(DramRequest{first + i, operand, isWrite});
                      });
  };
  int64_t fetched = 0;
  std::vector<bool> weightsFetched(m, false);
  forEachRowBandStep(chain, schedule.bandRows, [&](const RowBandStep &s) {
    unsigned j = s.position;
    if (j == 0 && s.inLo < s.inHi) {
      int64_t from = std::max(s.inLo, fetched);
      if (from < s.inHi)
        emitBox(placement.input, chain[0].inputRowDim, from, s.inHi, 0, false);
      fetched = std::max(fetched, s.inHi);
    }
    if (s.isEmpty())
      return;
    if (!schedule.weightsResident || !weightsFetched[j]) {
      weightsFetched[j] = true;
      for (unsigned w = firstWeight[j]; w < firstWeight[j + 1]; ++w) {
        const TensorLayout &l = placement.weights[w];
        if (l.getSizeBytes() == 0)
          continue;
        emitBox(l, 0, 0, l.getExtent().empty() ? 1 : l.getExtent()[0], 1,
                false);
      }
    }
    if (j + 1 == m)
      emitBox(placement.output, chain[j].outputRowDim, s.outLo, s.outHi, 2,
              true);
  });
}

DramStats romac::evaluateRowBandGroup(ArrayRef<const Workload *> layers,
                                      ArrayRef<RowBandLayer> chain,
                                      const RowBandSchedule &schedule,
                                      const RowBandPlacement &placement,
                                      const DramModel &model) {
  DramStats stats = model.replayBurstStream(
      [&](llvm::function_ref<void(const DramRequest &)> sink) {
        forEachRowBandBurst(layers, chain, schedule, placement,
                            model.getMapping().getBurstOffsetBits(), sink);
      });
  stats.operands.resize(3);
  RowBandCounts counts = computeRowBandCounts(chain, schedule);
  stats.operands[0].usefulReadBytes = counts.inputReadBytes;
  stats.operands[1].usefulReadBytes = counts.weightReadBytes;
  stats.operands[2].usefulWriteBytes = counts.outputWriteBytes;
  return stats;
}
