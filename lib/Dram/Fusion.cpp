//===- Fusion.cpp - row-band fusion of chains of convolutions -------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Fusion.h"

#include "romac/CostModel/Cost.h"
#include "romac/Dram/RequestStream.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <limits>
#include <set>

using namespace romac;
using llvm::ArrayRef;
using llvm::SmallVector;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

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
    return makeError("layer '" + w.name + "' cannot be fused: " + why);
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
      return fail("kernel rows " + llvm::Twine(rb.kernelRows) +
                  " < stride " + llvm::Twine(rb.stride) +
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
        rb.weightBytes += op.getNumElements() * op.bytesPerElement;
    // One filter: the weights of one output channel, i.e. divided by every
    // parallel dim other than the rows that indexes the output and them
    // (K of a conv; C and the multiplier of a depthwise one; G and K of a
    // grouped one). Those dims lead the weight tensors, so filters are
    // contiguous and a chunk-by-chunk fetch walks them in storage order.
    for (auto [o, op] : llvm::enumerate(w.operands)) {
      if (static_cast<int>(o) == in || static_cast<int>(o) == out)
        continue;
      int64_t bytes = op.getNumElements() * op.bytesPerElement;
      for (auto [k, dim] : llvm::enumerate(w.dims))
        if (k != p && dim.kind == LoopKind::Parallel &&
            output.isIndexedBy(k) && op.isIndexedBy(k))
          bytes = (bytes + dim.bound - 1) / dim.bound;
      rb.weightChunkBytes += bytes;
    }
    return rb;
  }
  return fail(why);
}

llvm::Error romac::verifyRowBandChain(ArrayRef<RowBandLayer> chain) {
  if (chain.empty())
    return makeError("an empty chain cannot be fused");
  for (auto [j, l] : llvm::enumerate(chain)) {
    if (l.stride < 1 || l.kernelRows < l.stride || l.inputRows < 1 ||
        l.outputRows < 1 || l.inputRowBytes < 0 || l.outputRowBytes < 0 ||
        l.weightBytes < 0 || l.weightChunkBytes < 0 ||
        l.weightChunkBytes > l.weightBytes)
      return makeError("chain layer " + llvm::Twine(j) +
                       " has invalid row-band numbers");
    if (j + 1 < chain.size() &&
        (chain[j + 1].inputRows != l.outputRows ||
         chain[j + 1].inputRowBytes != l.outputRowBytes ||
         chain[j + 1].inputRowDim != l.outputRowDim))
      return makeError("chain layer " + llvm::Twine(j + 1) + " reads " +
                       llvm::Twine(chain[j + 1].inputRows) + " rows of " +
                       llvm::Twine(chain[j + 1].inputRowBytes) +
                       " bytes in tensor dim " +
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
    c.weightBufferBytes = std::max(
        c.weightBufferBytes,
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
    bool act = m.holds(OperandClass::Input) || m.holds(OperandClass::Output);
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
    return makeError("placeRowBandGroup: one workload per chain layer needed");
  uint64_t align = std::max<uint64_t>(alignment ? alignment : getRowBytes(params), 1);
  uint64_t next = base;
  auto place = [&](const Operand &op,
                   std::optional<unsigned> rowDim) -> llvm::Expected<TensorLayout> {
    next += (align - next % align) % align;
    SmallVector<unsigned, 4> order;
    if (rowDim && rowsOutermost)
      order = rowsOutermostOrder(op.extent, *rowDim);
    llvm::Expected<TensorLayout> l =
        TensorLayout::getRowMajor(op.extent, op.bytesPerElement, next, order);
    if (l)
      next += l->getSizeBytes();
    return l;
  };
  const Workload &first = *layers.front();
  auto in = place(first.operands[chain.front().input], chain.front().inputRowDim);
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
  auto out = place(lastW.operands[chain.back().output], chain.back().outputRowDim);
  if (!out)
    return out.takeError();
  return RowBandPlacement(*in, *out, std::move(weights));
}

void romac::forEachRowBandBurst(
    ArrayRef<const Workload *> layers, ArrayRef<RowBandLayer> chain,
    const RowBandSchedule &schedule, const RowBandPlacement &placement,
    unsigned burstOffsetBits, llvm::function_ref<void(const DramRequest &)> fn) {
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
  std::vector<DramRequest> requests;
  forEachRowBandBurst(layers, chain, schedule, placement,
                      model.getMapping().getBurstOffsetBits(),
                      [&](const DramRequest &r) { requests.push_back(r); });
  DramStats stats = model.replayBursts(requests);
  stats.operands.resize(3);
  RowBandCounts counts = computeRowBandCounts(chain, schedule);
  stats.operands[0].usefulReadBytes = counts.inputReadBytes;
  stats.operands[1].usefulReadBytes = counts.weightReadBytes;
  stats.operands[2].usefulWriteBytes = counts.outputWriteBytes;
  return stats;
}

//===----------------------------------------------------------------------===//
// Choosing the groups of a network
//===----------------------------------------------------------------------===//

double FusedGroup::getEnergyPJ() const {
  double e = stats.energyPJ.getTotal();
  for (const Relayout &r : relayouts)
    e += r.energyPJ;
  return e;
}

/// \p layout at another base address.
static TensorLayout rebase(const TensorLayout &layout, uint64_t base) {
  if (layout.getKind() == LayoutKind::Blocked)
    return llvm::cantFail(TensorLayout::getBlocked(
        layout.getExtent(), layout.getBytesPerElement(), base,
        layout.getBlockSizes(), layout.getDimOrder()));
  return llvm::cantFail(TensorLayout::getRowMajor(
      layout.getExtent(), layout.getBytesPerElement(), base,
      layout.getDimOrder()));
}

/// \p layout for a tensor of shape \p extent (a reshape of it): itself when
/// the shapes agree, the identity row-major layout when \p layout stores the
/// tensor that way, else nothing.
static std::optional<TensorLayout> reshapeLayout(const TensorLayout &layout,
                                                 ArrayRef<int64_t> extent) {
  if (layout.getExtent() == extent)
    return layout;
  TensorLayout identity = llvm::cantFail(TensorLayout::getRowMajor(
      layout.getExtent(), layout.getBytesPerElement(), layout.getBase()));
  if (!sameDataLayout(layout, identity))
    return std::nullopt;
  llvm::Expected<TensorLayout> l = TensorLayout::getRowMajor(
      extent, layout.getBytesPerElement(), layout.getBase());
  if (!l) {
    llvm::consumeError(l.takeError());
    return std::nullopt;
  }
  return *l;
}

namespace {

/// The best way found to run one chain: the group (first, last and
/// re-layouts are set when it is chosen) and its own DRAM energy.
struct GroupChoice : FusedGroup {
  double energy = std::numeric_limits<double>::infinity();
  bool valid() const { return energy < std::numeric_limits<double>::infinity(); }
};

/// The cost of an unfused layer with some operands reading tensors that
/// groups wrote in their layouts.
struct SingletonChoice {
  DramStats stats;
  LayerLayout layout;
  SmallVector<Relayout, 1> relayouts;
  double energy = 0;
};

class Fuser {
public:
  Fuser(ArrayRef<Workload> workloads, ArrayRef<Workload> streaming,
        const std::map<std::string, std::string> &aliases,
        const DramSearchResult &unfused, const CostTarget &target,
        const DramParams &params, const FusionOptions &options,
        DramModel model)
      : workloads(workloads), streaming(streaming), aliases(aliases),
        unfused(unfused), target(target), params(params), options(options),
        model(std::move(model)), capacity(RowBandCapacity::get(target)) {
    capacity.activationLimit = options.activationBytesLimit;
  }

  FusionResult run();

private:
  /// A chosen group: layers [first, last] run as `choice`.
  struct Segment {
    unsigned first, last;
    const GroupChoice *choice;
  };
  /// The fused result of running `segments` as groups and every other layer
  /// unfused, with the real producers of every tensor.
  FusionResult account(llvm::ArrayRef<Segment> segments);
  /// What unfused layer k's energy changes by when its operand o reads a
  /// tensor a group wrote with `placement` (adopting it or paying).
  double singletonDelta(unsigned k, unsigned o,
                        const RowBandPlacement &placement);
  std::string resolve(const std::string &tensor) const;
  void findLinks();
  /// The best schedule of chain [i, j] per layout variant (rows outermost
  /// or not, input in its producer's layout or not); empty when nothing
  /// fits.
  SmallVector<GroupChoice, 4> evaluateGroup(unsigned i, unsigned j);
  double relayoutEnergy(int64_t bytes);
  Relayout relayout(int64_t bytes);
  /// Layer i unfused, operands `adopt` reading tensors in the given layouts
  /// (group outputs): adopting them all, or paying a re-layout for each
  /// that differs, whichever costs less.
  SingletonChoice
  singleton(unsigned i,
            ArrayRef<std::pair<unsigned, const TensorLayout *>> adopt);
  /// The read operand of layer i that layer i - 1 writes, if any.
  std::optional<unsigned> chainOperand(unsigned i) const;

  ArrayRef<Workload> workloads;
  ArrayRef<Workload> streaming;
  const std::map<std::string, std::string> &aliases;
  const DramSearchResult &unfused;
  const CostTarget &target;
  const DramParams &params;
  const FusionOptions &options;
  DramModel model;
  RowBandCapacity capacity;

  std::vector<std::optional<RowBandLayer>> rb;
  std::vector<SmallVector<std::pair<int, int>, 3>> producers;
  /// link[i]: layers i and i + 1 may share a group.
  std::vector<bool> link;
  /// consumers[i]: the (layer, operand) pairs that read layer i's output.
  std::vector<SmallVector<std::pair<unsigned, unsigned>, 2>> consumers;
  std::map<int64_t, Relayout> relayoutCache;
  uint64_t evaluations = 0;
};

} // namespace

std::string Fuser::resolve(const std::string &tensor) const {
  return resolveTensorAlias(aliases, tensor);
}

std::optional<unsigned> Fuser::chainOperand(unsigned i) const {
  if (i == 0)
    return std::nullopt;
  for (auto [o, p] : llvm::enumerate(producers[i]))
    if (p.first == static_cast<int>(i) - 1)
      return static_cast<unsigned>(o);
  return std::nullopt;
}

void Fuser::findLinks() {
  size_t n = workloads.size();
  rb.resize(n);
  for (auto [i, w] : llvm::enumerate(workloads)) {
    llvm::Expected<RowBandLayer> l = getRowBandLayer(w);
    if (l)
      rb[i] = *l;
    else
      llvm::consumeError(l.takeError());
  }
  producers = findProducers(workloads, aliases);
  consumers.assign(n, {});
  for (size_t k = 0; k < n; ++k)
    for (auto [o, p] : llvm::enumerate(producers[k]))
      if (p.first >= 0)
        consumers[p.first].push_back(
            {static_cast<unsigned>(k), static_cast<unsigned>(o)});
  // Readers of every tensor (by its alias root) that would need it in DRAM:
  // contraction operands, and streaming layers other than element-wise
  // ones with a single full-size input (a fused ReLU / clip).
  llvm::StringMap<unsigned> readers;
  for (const Workload &w : workloads)
    for (const Operand &op : w.operands)
      if (op.role == OperandRole::Read)
        ++readers[resolve(op.tensor)];
  for (const std::string &t : options.keepInDram)
    ++readers[resolve(t)];
  for (const Workload &s : streaming) {
    const Operand *out = nullptr;
    unsigned outputs = 0, fullInputs = 0;
    for (const Operand &op : s.operands)
      if (op.role == OperandRole::ReadWrite) {
        out = &op;
        ++outputs;
      }
    for (const Operand &op : s.operands)
      fullInputs += op.role == OperandRole::Read && out &&
                    op.extent == out->extent;
    // A single-input element-wise layer (bias, ReLU, clip) runs on the band
    // in place: its read of the tensor it aliases does not count. Its other
    // reads (a bias vector, a broadcast scale) do.
    std::string source;
    if (outputs == 1 && fullInputs == 1)
      if (auto it = aliases.find(out->tensor); it != aliases.end())
        source = it->second;
    for (const Operand &op : s.operands)
      if (op.role == OperandRole::Read &&
          !(op.tensor == source && op.extent == out->extent))
        ++readers[resolve(op.tensor)];
  }
  link.assign(n, false);
  for (size_t i = 0; i + 1 < n; ++i) {
    if (!rb[i] || !rb[i + 1])
      continue;
    const Operand &out = workloads[i].operands[rb[i]->output];
    std::pair<int, int> p = producers[i + 1][rb[i + 1]->input];
    if (p.first != static_cast<int>(i) ||
        p.second != static_cast<int>(rb[i]->output))
      continue;
    if (readers.lookup(resolve(out.tensor)) != 1)
      continue;
    // The same tensor, not a reshape of it (rows must mean the same rows).
    if (workloads[i + 1].operands[rb[i + 1]->input].extent != out.extent)
      continue;
    RowBandLayer pair[2] = {*rb[i], *rb[i + 1]};
    if (llvm::Error e = verifyRowBandChain(pair)) {
      llvm::consumeError(std::move(e));
      continue;
    }
    link[i] = true;
  }
}

Relayout Fuser::relayout(int64_t bytes) {
  auto it = relayoutCache.find(bytes);
  if (it == relayoutCache.end())
    it = relayoutCache
             .emplace(bytes, computeRelayoutCharge(bytes, RelayoutCharge::RowBuffer,
                                                   model, target))
             .first;
  return it->second;
}

double Fuser::relayoutEnergy(int64_t bytes) { return relayout(bytes).energyPJ; }

SmallVector<GroupChoice, 4> Fuser::evaluateGroup(unsigned i, unsigned j) {
  SmallVector<RowBandLayer, 8> chain;
  SmallVector<const Workload *, 8> layers;
  for (unsigned k = i; k <= j; ++k) {
    chain.push_back(*rb[k]);
    layers.push_back(&workloads[k]);
  }
  // The producer's layout of the group input, when an unfused layer wrote
  // it.
  std::optional<TensorLayout> producerLayout;
  auto [p, po] = producers[i][chain[0].input];
  if (p >= 0) {
    const TensorLayout &written = unfused.layers[p].layout.operands[po];
    if (auto l = reshapeLayout(written, workloads[i].operands[chain[0].input].extent))
      producerLayout = *l;
  }
  int64_t rows = chain.back().outputRows;
  SmallVector<int64_t, 32> bands;
  for (int64_t n = 1; n <= rows; ++n) {
    int64_t b = (rows + n - 1) / n;
    if (bands.empty() || bands.back() != b)
      bands.push_back(b);
  }
  SmallVector<GroupChoice, 4> variants;
  for (bool ro : {false, true}) {
    if (ro && !options.rowsOutermostLayouts)
      continue;
    llvm::Expected<RowBandPlacement> placed =
        placeRowBandGroup(layers, chain, params, ro);
    if (!placed) {
      llvm::consumeError(placed.takeError());
      continue;
    }
    for (bool fromProducer : {false, true}) {
      RowBandPlacement placement = *placed;
      if (fromProducer) {
        if (!producerLayout || sameDataLayout(*producerLayout, placed->input))
          continue;
        placement.input = rebase(*producerLayout, placed->input.getBase());
      }
      GroupChoice best;
      for (int64_t b : bands)
        for (bool resident : {true, false}) {
          RowBandSchedule schedule{b, resident};
          RowBandCounts counts = computeRowBandCounts(chain, schedule);
          if (!capacity.fits(counts))
            continue;
          ++evaluations;
          DramStats stats =
              evaluateRowBandGroup(layers, chain, schedule, placement, model);
          double e = stats.energyPJ.getTotal();
          if (e < best.energy) {
            best.schedule = schedule;
            best.counts = counts;
            best.rowsOutermost = ro;
            best.producerInput = fromProducer;
            best.placement = placement;
            best.stats = std::move(stats);
            best.energy = e;
          }
          if (resident)
            break; // streaming the weights only helps when they do not fit
        }
      if (best.valid())
        variants.push_back(std::move(best));
    }
  }
  return variants;
}

SingletonChoice
Fuser::singleton(unsigned i,
                 ArrayRef<std::pair<unsigned, const TensorLayout *>> adopt) {
  const DramLayerResult &orig = unfused.layers[i];
  const Workload &w = workloads[i];
  auto keptRelayouts = [&](SingletonChoice &c) {
    for (const Relayout &r : orig.relayouts)
      if (!llvm::any_of(adopt, [&](auto &a) { return a.first == r.operand; }))
        c.relayouts.push_back(r);
  };
  // Pay re-layouts where the layouts differ.
  SingletonChoice pay;
  pay.stats = orig.stats;
  pay.layout = orig.layout;
  keptRelayouts(pay);
  bool differs = false;
  for (auto [o, layout] : adopt) {
    if (sameDataLayout(*layout, orig.layout.operands[o]))
      continue;
    differs = true;
    Relayout r = relayout(static_cast<int64_t>(layout->getSizeBytes()));
    r.operand = o;
    r.tensor = w.operands[o].tensor;
    pay.relayouts.push_back(std::move(r));
  }
  auto total = [](SingletonChoice &c) {
    c.energy = c.stats.energyPJ.getTotal();
    for (const Relayout &r : c.relayouts)
      c.energy += r.energyPJ;
  };
  total(pay);
  if (!differs)
    return pay;
  // Adopt: read the operands in the groups' layouts.
  DramPlacement placement;
  for (const TensorLayout &l : orig.layout.operands)
    placement.fixed.push_back(l);
  for (auto [o, layout] : adopt) {
    std::optional<TensorLayout> l = reshapeLayout(*layout, w.operands[o].extent);
    if (!l)
      return pay;
    placement.fixed[o] = *l;
  }
  RowBufferDramModel rbm(model, placement);
  llvm::Expected<LayerLayout> layout = rbm.getLayout(w, orig.layer.mapping);
  if (!layout) {
    llvm::consumeError(layout.takeError());
    return pay;
  }
  ++evaluations;
  SingletonChoice take;
  take.layout = *layout;
  take.stats = model.evaluate(w, orig.layer.mapping, *layout);
  keptRelayouts(take);
  total(take);
  return take.energy < pay.energy ? take : pay;
}

double Fuser::singletonDelta(unsigned k, unsigned o,
                             const RowBandPlacement &placement) {
  std::pair<unsigned, const TensorLayout *> adopt[] = {{o, &placement.output}};
  const DramLayerResult &orig = unfused.layers[k];
  return singleton(k, adopt).energy -
         (orig.stats.energyPJ.getTotal() + orig.getRelayoutEnergyPJ());
}

FusionResult Fuser::run() {
  findLinks();
  size_t n = workloads.size();
  constexpr double kInf = std::numeric_limits<double>::infinity();

  // Groups: every chain of >= 2 linked layers, until nothing fits (a longer
  // chain needs at least the rows of a shorter one: a pruning heuristic).
  std::map<std::pair<unsigned, unsigned>, SmallVector<GroupChoice, 4>> groups;
  for (unsigned i = 0; i < n; ++i)
    for (unsigned j = i + 1; j < n && link[j - 1] &&
                             j - i + 1 <= options.maxGroupLayers;
         ++j) {
      SmallVector<GroupChoice, 4> g = evaluateGroup(i, j);
      if (g.empty())
        break;
      groups.emplace(std::pair{i, j}, std::move(g));
    }

  // Dynamic program over the layers. The state after a prefix says what
  // its last segment is: an unfused layer (0), or a group writing its output
  // in the identity order (1) or rows outermost (2). A group's input pays a
  // re-layout unless its producer wrote that layout; an unfused layer after
  // a group adopts the group's layout or pays (singleton()). Producers other
  // than the previous segment are settled by the exact accounting below.
  struct Cell {
    double cost = kInf;
    int from = -1;      ///< first layer of the last segment
    int fromState = -1; ///< state before it
    int variant = -1;   ///< the group variant of the last segment
  };
  std::vector<std::array<Cell, 3>> dp(n + 1);
  dp[0][0].cost = 0;
  auto lastGroup = [&](unsigned i, unsigned state) -> const GroupChoice & {
    const Cell &c = dp[i][state];
    return groups.at({static_cast<unsigned>(c.from), i - 1})[c.variant];
  };
  for (unsigned i = 0; i < n; ++i)
    for (unsigned state = 0; state < 3; ++state) {
      const Cell &cell = dp[i][state];
      if (cell.cost == kInf)
        continue;
      // Layer i unfused.
      {
        double c = unfused.layers[i].stats.energyPJ.getTotal() +
                   unfused.layers[i].getRelayoutEnergyPJ();
        std::optional<unsigned> o = chainOperand(i);
        if (state != 0 && o) {
          std::pair<unsigned, const TensorLayout *> adopt[] = {
              {*o, &lastGroup(i, state).placement->output}};
          c = singleton(i, adopt).energy;
        }
        Cell &next = dp[i + 1][0];
        if (cell.cost + c < next.cost)
          next = {cell.cost + c, static_cast<int>(i), static_cast<int>(state),
                  -1};
      }
      // A group starting at i.
      for (unsigned j = i + 1; j < n; ++j) {
        auto it = groups.find({i, j});
        if (it == groups.end())
          break;
        for (auto [v, g] : llvm::enumerate(it->second)) {
          double c = g.energy;
          // Unfused readers of the group's output other than layer j + 1
          // (which the next step charges) adopt its layout or pay.
          for (auto [k, o] : consumers[j])
            if (k > j + 1)
              c += singletonDelta(k, o, *g.placement);
          auto [p, po] = producers[i][rb[i]->input];
          if (p >= 0) {
            bool agree;
            if (state != 0 && p + 1 == static_cast<int>(i))
              agree = sameDataLayout(lastGroup(i, state).placement->output,
                                     g.placement->input);
            else
              agree = g.producerInput ||
                      sameDataLayout(unfused.layers[p].layout.operands[po],
                                     g.placement->input);
            if (!agree)
              c += relayoutEnergy(
                  static_cast<int64_t>(g.placement->input.getSizeBytes()));
          }
          Cell &next = dp[j + 1][g.rowsOutermost ? 2 : 1];
          if (cell.cost + c < next.cost)
            next = {cell.cost + c, static_cast<int>(i),
                    static_cast<int>(state), static_cast<int>(v)};
        }
      }
    }

  // Walk back the segments.
  std::vector<Segment> segments;
  {
    unsigned i = n, state = 0;
    for (unsigned s = 1; s < 3; ++s)
      if (dp[n][s].cost < dp[n][state].cost)
        state = s;
    while (i > 0) {
      const Cell &c = dp[i][state];
      if (c.variant >= 0)
        segments.push_back({static_cast<unsigned>(c.from), i - 1,
                            &groups.at({static_cast<unsigned>(c.from), i - 1})
                                 [c.variant]});
      i = static_cast<unsigned>(c.from);
      state = static_cast<unsigned>(c.fromState);
    }
    std::reverse(segments.begin(), segments.end());
  }


  // Exact accounting; then drop groups while that lowers the energy (the
  // dynamic program's boundary charges are estimates), and never return
  // more than the unfused schedule costs.
  FusionResult best = account(segments);
  for (bool improved = true; improved && !segments.empty();) {
    improved = false;
    for (size_t k = 0; k < segments.size(); ++k) {
      std::vector<Segment> fewer = segments;
      fewer.erase(fewer.begin() + k);
      FusionResult r = account(fewer);
      if (r.energyPJ < best.energyPJ) {
        best = std::move(r);
        segments = std::move(fewer);
        improved = true;
        break;
      }
    }
  }
  FusionResult none = account({});
  if (none.energyPJ <= best.energyPJ)
    best = std::move(none);
  best.evaluations = evaluations;
  return best;
}

FusionResult Fuser::account(llvm::ArrayRef<Segment> segments) {
  size_t n = workloads.size();
  // The chosen segments with the real producers of every tensor.
  FusionResult result;
  result.groupOf.assign(n, -1);
  result.layers.assign(unfused.layers.begin(), unfused.layers.end());
  std::vector<const GroupChoice *> chosen;
  for (const Segment &seg : segments) {
    const GroupChoice &g = *seg.choice;
    chosen.push_back(&g);
    FusedGroup fg = g;
    fg.first = seg.first;
    fg.last = seg.last;
    for (unsigned k = seg.first; k <= seg.last; ++k)
      result.groupOf[k] = static_cast<int>(result.groups.size());
    result.groups.push_back(std::move(fg));
  }
  auto groupOutput = [&](int layer) -> const TensorLayout * {
    int gi = result.groupOf[layer];
    if (gi < 0 || result.groups[gi].last != static_cast<unsigned>(layer))
      return nullptr;
    return &chosen[gi]->placement->output;
  };
  for (auto [fg, gp] : llvm::zip_equal(result.groups, chosen)) {
    const GroupChoice &g = *gp;
    auto [p, po] = producers[fg.first][rb[fg.first]->input];
    if (p < 0)
      continue;
    const TensorLayout *written = groupOutput(p);
    bool agree = written ? sameDataLayout(*written, g.placement->input)
                         : g.producerInput ||
                               sameDataLayout(unfused.layers[p].layout.operands[po],
                                              g.placement->input);
    if (agree)
      continue;
    Relayout r = relayout(static_cast<int64_t>(g.placement->input.getSizeBytes()));
    r.operand = rb[fg.first]->input;
    r.tensor = workloads[fg.first].operands[r.operand].tensor;
    r.producerIndex = static_cast<unsigned>(p);
    r.producer = workloads[p].name;
    fg.relayouts.push_back(std::move(r));
  }
  for (unsigned i = 0; i < n; ++i) {
    if (result.groupOf[i] >= 0)
      continue;
    SmallVector<std::pair<unsigned, const TensorLayout *>, 2> adopt;
    for (auto [o, p] : llvm::enumerate(producers[i]))
      if (p.first >= 0)
        if (const TensorLayout *l = groupOutput(p.first))
          adopt.push_back({static_cast<unsigned>(o), l});
    if (adopt.empty())
      continue;
    SingletonChoice c = singleton(i, adopt);
    DramLayerResult &l = result.layers[i];
    l.stats = c.stats;
    l.layout = c.layout;
    l.relayouts = c.relayouts;
    for (Relayout &r : l.relayouts)
      if (r.producer.empty()) {
        r.producerIndex = static_cast<unsigned>(producers[i][r.operand].first);
        r.producer = workloads[r.producerIndex].name;
      }
  }
  double mhz = target.frequencyMHz;
  auto relayoutCycles = [&](ArrayRef<Relayout> rs) {
    double c = 0;
    for (const Relayout &r : rs)
      c += r.cycles * 1000.0 / (params.tCK * mhz);
    return c;
  };
  for (const FusedGroup &fg : result.groups) {
    result.energyPJ += fg.getEnergyPJ();
    result.dramCycles +=
        static_cast<double>(fg.stats.cycles) + relayoutCycles(fg.relayouts);
  }
  for (unsigned i = 0; i < n; ++i) {
    if (result.groupOf[i] >= 0)
      continue;
    const DramLayerResult &l = result.layers[i];
    result.energyPJ += l.stats.energyPJ.getTotal() + l.getRelayoutEnergyPJ();
    result.dramCycles +=
        static_cast<double>(l.stats.cycles) + relayoutCycles(l.relayouts);
  }
  return result;
}

llvm::Expected<FusionResult>
romac::fuseLayersDram(ArrayRef<Workload> workloads, ArrayRef<Workload> streaming,
                      const std::map<std::string, std::string> &aliases,
                      const DramSearchResult &unfused, const CostTarget &target,
                      const DramParams &params, const FusionOptions &options) {
  if (unfused.layers.size() != workloads.size())
    return makeError("fuseLayersDram: " + llvm::Twine(unfused.layers.size()) +
                     " unfused results for " + llvm::Twine(workloads.size()) +
                     " workloads");
  for (auto [w, l] : llvm::zip_equal(workloads, unfused.layers))
    if (l.layout.operands.size() != w.operands.size())
      return makeError("fuseLayersDram: layer '" + w.name + "' has no layout");
  llvm::Expected<DramModel> model = getDramModel(params, unfused.addressMapping);
  if (!model)
    return model.takeError();
  Fuser fuser(workloads, streaming, aliases, unfused, target, params, options,
              *model);
  return fuser.run();
}

llvm::Expected<std::vector<LayerTraceFiles>>
romac::writeFusedGroupTraces(const FusionResult &result,
                             ArrayRef<Workload> workloads,
                             const DramModel &model, llvm::StringRef dir,
                             const TraceOptions &options) {
  std::vector<LayerTraceFiles> files;
  size_t width =
      std::max<size_t>(2, std::to_string(result.groups.size()).size());
  for (auto [g, group] : llvm::enumerate(result.groups)) {
    if (!group.placement || group.last >= workloads.size())
      return makeError("fused group " + llvm::Twine(g) +
                       " has no placement for its layers");
    if (!options.layer.empty() &&
        llvm::none_of(workloads.slice(group.first, group.last - group.first + 1),
                      [&](const Workload &w) { return w.name == options.layer; }))
      continue;
    SmallVector<RowBandLayer, 8> chain;
    SmallVector<const Workload *, 8> layers;
    for (unsigned k = group.first; k <= group.last; ++k) {
      llvm::Expected<RowBandLayer> l = getRowBandLayer(workloads[k]);
      if (!l)
        return l.takeError();
      chain.push_back(*l);
      layers.push_back(&workloads[k]);
    }
    const std::string &firstName = workloads[group.first].name;
    std::string name = std::to_string(g);
    name.insert(0, width - std::min(width, name.size()), '0');
    name = "group-" + name + "-";
    for (char ch : firstName)
      name +=
          llvm::isAlnum(ch) || ch == '.' || ch == '_' || ch == '-' ? ch : '_';
    llvm::SmallString<256> prefix(dir);
    llvm::sys::path::append(prefix, name);
    std::string traceName = firstName + ".." + workloads[group.last].name;
    llvm::Expected<LayerTraceFiles> written = writeTraceFiles(
        model, traceName, {"input", "weights", "output"},
        [&](llvm::function_ref<void(const DramRequest &)> emit) {
          forEachRowBandBurst(layers, chain, group.schedule, *group.placement,
                              model.getMapping().getBurstOffsetBits(), emit);
        },
        prefix, options);
    if (!written)
      return makeError("fused group " + llvm::Twine(g) + " ('" + traceName +
                       "'): " + llvm::toString(written.takeError()));
    // The useful bytes a burst stream does not carry (as
    // evaluateRowBandGroup() records them).
    DramStats &stats = written->result.stats;
    stats.operands.resize(3);
    stats.operands[0].usefulReadBytes = group.counts.inputReadBytes;
    stats.operands[1].usefulReadBytes = group.counts.weightReadBytes;
    stats.operands[2].usefulWriteBytes = group.counts.outputWriteBytes;
    files.push_back(std::move(*written));
  }
  return files;
}
