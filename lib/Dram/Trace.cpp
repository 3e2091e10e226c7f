//===- Trace.cpp - DRAM traces for DRAMsim3 and Ramulator 2 ---------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/Trace.h"
#include "romac/Dram/RequestStream.h"

#include "RowBufferState.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

using namespace romac;
using namespace romac::detail;
using llvm::StringRef;

uint64_t romac::getTraceArrivalCycle(const DramParams &params, uint64_t index) {
  return index * params.getBurstCycles() / params.geometry.channels;
}

namespace {
/// Writes bursts to the trace streams and replays them through the
/// row-buffer model, stopping after TraceOptions::maxBursts.
class TraceWriter {
public:
  TraceWriter(const DramModel &model, unsigned numOperands,
              llvm::raw_ostream *dramsim3, llvm::raw_ostream *ramulator2,
              const TraceOptions &options)
      : params(model.getParams()), addressMapping(model.getMapping()),
        // Ramulator 2's ChRaBaRoCo mapper, fields msb first Ch Ra Bg Ba Ro Co.
        ramulatorMapping(llvm::cantFail(AddressMapping::get(
            addressMapping.getGeometry(), "ChRaBgBaRoCo"))),
        state(params, addressMapping), dramsim3(dramsim3),
        ramulator2(ramulator2), options(options),
        burstBits(addressMapping.getBurstOffsetBits()) {
    summary.stats.operands.resize(numOperands);
  }

  bool full() const {
    return options.maxBursts != 0 && index >= options.maxBursts;
  }
  DramStats &getStats() { return summary.stats; }

  void emit(const DramRequest &request) {
    if (full()) {
      summary.truncated = true;
      return;
    }
    uint64_t address = request.burst << burstBits;
    if (dramsim3)
      *dramsim3 << llvm::format_hex(address, 3)
                << (request.isWrite ? " WRITE " : " READ ")
                << getTraceArrivalCycle(params, index) << '\n';
    if (ramulator2)
      *ramulator2 << (request.isWrite ? "ST " : "LD ")
                  << llvm::format_hex(ramulatorMapping.encode(
                                          addressMapping.decode(address)),
                                      3)
                  << '\n';
    state.access(request.burst, request.isWrite);
    DramStats &stats = summary.stats;
    if (request.operand >= stats.operands.size())
      stats.operands.resize(request.operand + 1);
    DramOperandStats &op = stats.operands[request.operand];
    (request.isWrite ? op.writeBursts : op.readBursts) += 1;
    ++index;
  }

  TraceSummary finish() {
    DramStats &stats = summary.stats;
    state.finish();
    state.computeStats(stats);
    uint64_t bytesPerBurst = addressMapping.getGeometry().getBytesPerBurst();
    for (DramOperandStats &op : stats.operands) {
      op.readBytes = op.readBursts * bytesPerBurst;
      op.writeBytes = op.writeBursts * bytesPerBurst;
    }
    return summary;
  }

private:
  const DramParams &params;
  const AddressMapping &addressMapping;
  AddressMapping ramulatorMapping;
  RowBufferState state;
  llvm::raw_ostream *dramsim3, *ramulator2;
  const TraceOptions &options;
  unsigned burstBits;
  uint64_t index = 0;
  TraceSummary summary;
};
} // namespace

TraceSummary
romac::writeTraces(const DramModel &model, const Workload &workload,
                   const Mapping &mapping, const LayerLayout &layout,
                   llvm::raw_ostream *dramsim3, llvm::raw_ostream *ramulator2,
                   const TraceOptions &options) {
  TraceWriter writer(model, workload.operands.size(), dramsim3, ramulator2,
                     options);
  forEachBurst(
      workload, mapping, layout, model.getMapping().getBurstOffsetBits(),
      [&](const DramRequest &request) { writer.emit(request); },
      [&](const TileTransfer &t) {
        if (writer.full())
          return;
        DramOperandStats &op = writer.getStats().operands[t.operand];
        uint64_t bytes = static_cast<uint64_t>(
            workload.operands[t.operand].getStorageBytes(t.elements));
        if (t.isWrite) {
          ++op.writeTransfers;
          op.usefulWriteBytes += bytes;
        } else {
          ++op.readTransfers;
          op.usefulReadBytes += bytes;
        }
      });
  return writer.finish();
}

TraceSummary romac::writeStreamTraces(const DramModel &model,
                                      BurstSource source, unsigned numOperands,
                                      llvm::raw_ostream *dramsim3,
                                      llvm::raw_ostream *ramulator2,
                                      const TraceOptions &options) {
  TraceWriter writer(model, numOperands, dramsim3, ramulator2, options);
  source([&](const DramRequest &request) { writer.emit(request); });
  return writer.finish();
}

llvm::Error romac::writeDramsim3Ini(llvm::raw_ostream &os,
                                    const DramModel &model) {
  const DramParams &p = model.getParams();
  const DramGeometry &g = p.geometry;
  std::string mapping = model.getMapping().getDramsim3Mapping();
  if (mapping.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "address mapping '" + model.getMapping().getName() +
            "' has non-contiguous fields; DRAMsim3 cannot express it");
  // DRAMsim3 counts HBM columns per pseudo-channel prefetch: it doubles
  // `columns` for HBM, so give it half.
  bool hbm = StringRef(p.standard).starts_with("HBM");
  uint64_t columns = hbm ? std::max<uint64_t>(g.columns / 2, 1) : g.columns;
  // DRAMsim3 derives the ranks from the channel size in MiB.
  uint64_t rankBytes = g.getBanksPerRank() * g.rows * g.columns *
                       p.deviceWidth / 8 * p.chipsPerRank;
  uint64_t channelMiB = g.ranks * rankBytes / (1024 * 1024);

  os << "; DRAMsim3 configuration written by romac for the " << p.standard
     << " DRAM of a romac target.\n"
     << "; romac address mapping: " << model.getMapping().str() << "\n"
     << "; Power-down, self-refresh and command timings romac does not model\n"
     << "; (tCKE, tXS, tXP, tRTRS, IDD2P, IDD3P, IDD6x) are filled with\n"
     << "; neutral values.\n";
  os << "\n[dram_structure]\n"
     << "protocol = " << p.standard << "\n"
     << "bankgroups = " << g.bankGroups << "\n"
     << "banks_per_group = " << g.banksPerGroup << "\n"
     << "rows = " << g.rows << "\n"
     << "columns = " << columns << "\n"
     << "device_width = " << p.deviceWidth << "\n"
     << "BL = " << g.burstLength << "\n";
  os << "\n[timing]\n"
     << "tCK = " << llvm::format("%g", p.tCK) << "\n"
     << "AL = 0\n"
     << "CL = " << p.CL << "\n"
     << "CWL = " << p.CWL << "\n"
     << "tRCD = " << p.tRCD << "\n"
     << "tRP = " << p.tRP << "\n"
     << "tRAS = " << p.tRAS << "\n"
     << "tRFC = " << p.tRFC << "\n"
     << "tRFC2 = " << p.tRFC << "\n"
     << "tRFC4 = " << p.tRFC << "\n"
     << "tREFI = " << p.tREFI << "\n"
     << "tRPRE = 1\n"
     << "tWPRE = 1\n"
     << "tRRD_S = " << p.tRRD_S << "\n"
     << "tRRD_L = " << p.tRRD_L << "\n"
     << "tWTR_S = " << p.tWTR_S << "\n"
     << "tWTR_L = " << p.tWTR_L << "\n"
     << "tFAW = " << p.tFAW << "\n"
     << "tWR = " << p.tWR << "\n"
     << "tWR2 = " << p.tWR << "\n"
     << "tRTP = " << p.tRTP << "\n"
     << "tCCD_S = " << p.tCCD_S << "\n"
     << "tCCD_L = " << p.tCCD_L << "\n"
     << "tCKE = 4\n"
     << "tCKESR = 5\n"
     << "tXS = " << p.tRFC + 8 << "\n"
     << "tXP = 5\n"
     << "tRTRS = 1\n";
  auto current = [&](double value) { return llvm::format("%g", value); };
  os << "\n[power]\n"
     << "VDD = " << current(p.VDD) << "\n"
     << "IDD0 = " << current(p.IDD0) << "\n"
     << "IPP0 = 0\n"
     << "IDD2P = " << current(p.IDD2N) << "\n"
     << "IDD2N = " << current(p.IDD2N) << "\n"
     << "IDD3P = " << current(p.IDD3N) << "\n"
     << "IDD3N = " << current(p.IDD3N) << "\n"
     << "IDD4W = " << current(p.IDD4W) << "\n"
     << "IDD4R = " << current(p.IDD4R) << "\n"
     << "IDD5AB = " << current(p.IDD5AB) << "\n"
     << "IDD6x = " << current(p.IDD2N) << "\n";
  os << "\n[system]\n"
     << "channel_size = " << channelMiB << "\n"
     << "channels = " << g.channels << "\n"
     << "bus_width = " << g.busBytes * 8 << "\n"
     << "address_mapping = " << mapping << "\n"
     << "queue_structure = PER_BANK\n"
     << "refresh_policy = RANK_LEVEL_STAGGERED\n"
     << "row_buf_policy = "
     << (p.policy == PagePolicy::Open ? "OPEN_PAGE" : "CLOSE_PAGE") << "\n"
     << "cmd_queue_size = 8\n"
     << "trans_queue_size = " << p.controllerQueue << "\n";
  os << "\n[other]\n"
     << "epoch_period = 100000\n"
     << "output_level = 1\n";
  return llvm::Error::success();
}

void romac::writeTraceSummary(llvm::raw_ostream &os, const DramModel &model,
                              const Workload &workload,
                              const TraceSummary &summary) {
  std::vector<std::string> names;
  for (const Operand &op : workload.operands)
    names.push_back(op.name);
  writeTraceSummary(os, model, workload.name, names, summary);
}

void romac::writeTraceSummary(llvm::raw_ostream &os, const DramModel &model,
                              StringRef name,
                              llvm::ArrayRef<std::string> operandNames,
                              const TraceSummary &summary) {
  const DramStats &s = summary.stats;
  const DramParams &p = model.getParams();
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attribute("format", "romac-dram-trace-summary");
    j.attribute("version", 1);
    j.attribute("layer", name);
    j.attribute("standard", p.standard);
    j.attribute("address_mapping", model.getMapping().getName());
    j.attribute("field_order", model.getMapping().getFieldOrder());
    j.attribute("page_policy", stringifyPagePolicy(p.policy));
    j.attribute("bytes_per_burst",
                static_cast<int64_t>(p.geometry.getBytesPerBurst()));
    j.attribute("truncated", summary.truncated);
    j.attribute("bursts", static_cast<int64_t>(s.bursts));
    j.attribute("reads", static_cast<int64_t>(s.reads));
    j.attribute("writes", static_cast<int64_t>(s.writes));
    j.attribute("row_hits", static_cast<int64_t>(s.rowHits));
    j.attribute("row_misses", static_cast<int64_t>(s.rowMisses));
    j.attribute("row_conflicts", static_cast<int64_t>(s.rowConflicts));
    j.attribute("activates", static_cast<int64_t>(s.activates));
    j.attribute("precharges", static_cast<int64_t>(s.precharges));
    j.attribute("refresh_closes", static_cast<int64_t>(s.refreshCloses));
    j.attribute("serial_bursts", static_cast<int64_t>(s.serialBursts));
    j.attribute("cycles", static_cast<int64_t>(s.cycles));
    j.attributeObject("energy_pj", [&] {
      j.attribute("act_pre", s.energyPJ.actPre);
      j.attribute("rd_wr", s.energyPJ.rdWr);
      j.attribute("background", s.energyPJ.background);
      j.attribute("refresh", s.energyPJ.refresh);
      j.attribute("total", s.energyPJ.getTotal());
    });
    j.attributeObject("read_bytes", [&] {
      for (auto [i, op] : llvm::enumerate(s.operands))
        j.attribute(operandNames[i], static_cast<int64_t>(op.readBytes));
    });
    j.attributeObject("write_bytes", [&] {
      for (auto [i, op] : llvm::enumerate(s.operands))
        j.attribute(operandNames[i], static_cast<int64_t>(op.writeBytes));
    });
  });
  os << "\n";
}

namespace {
/// A file written under a temporary name and renamed by commit().
class AtomicFile {
public:
  explicit AtomicFile(StringRef path) : path(path.str()) {}
  ~AtomicFile() {
    os.reset();
    if (!tempPath.empty())
      llvm::sys::fs::remove(tempPath);
  }
  llvm::Error open() {
    int fd;
    llvm::SmallString<256> temp;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, temp))
      return llvm::createStringError(ec,
                                     "cannot create a temporary file for '" +
                                         path + "': " + ec.message());
    tempPath = temp.str().str();
    os = std::make_unique<llvm::raw_fd_ostream>(fd, /*shouldClose=*/true);
    return llvm::Error::success();
  }
  llvm::raw_fd_ostream &stream() { return *os; }
  /// Closes the temporary file; the error when writing failed.
  llvm::Error close() {
    os->close();
    if (std::error_code ec = os->error()) {
      os->clear_error();
      return llvm::createStringError(ec, "cannot write '" + path +
                                             "': " + ec.message());
    }
    return llvm::Error::success();
  }
  llvm::Error commit() {
    if (std::error_code ec = llvm::sys::fs::rename(tempPath, path))
      return llvm::createStringError(ec, "cannot rename '" + tempPath +
                                             "' to '" + path +
                                             "': " + ec.message());
    tempPath.clear();
    return llvm::Error::success();
  }

private:
  std::string path, tempPath;
  std::unique_ptr<llvm::raw_fd_ostream> os;
};
} // namespace

/// Writes the four files of one trace; \p write streams the bursts to the
/// two trace files and returns romac's prediction.
static llvm::Expected<LayerTraceFiles> writeFiles(
    const DramModel &model, StringRef name,
    llvm::ArrayRef<std::string> operandNames,
    llvm::function_ref<TraceSummary(llvm::raw_ostream *, llvm::raw_ostream *)>
        write,
    StringRef prefix) {
  LayerTraceFiles files;
  files.dramsim3Trace = (prefix + ".dramsim3.trace").str();
  files.dramsim3Ini = (prefix + ".dramsim3.ini").str();
  files.ramulator2Trace = (prefix + ".ramulator2.trace").str();
  files.summary = (prefix + ".summary.json").str();
  AtomicFile trace(files.dramsim3Trace), ini(files.dramsim3Ini),
      ramulator(files.ramulator2Trace), summary(files.summary);
  for (AtomicFile *file : {&trace, &ini, &ramulator, &summary})
    if (llvm::Error err = file->open())
      return std::move(err);
  if (llvm::Error err = writeDramsim3Ini(ini.stream(), model))
    return std::move(err);
  files.result = write(&trace.stream(), &ramulator.stream());
  writeTraceSummary(summary.stream(), model, name, operandNames, files.result);
  for (AtomicFile *file : {&trace, &ini, &ramulator, &summary})
    if (llvm::Error err = file->close())
      return std::move(err);
  for (AtomicFile *file : {&trace, &ini, &ramulator, &summary})
    if (llvm::Error err = file->commit())
      return std::move(err);
  return files;
}

llvm::Expected<LayerTraceFiles>
romac::writeTraceFiles(const DramModel &model, StringRef name,
                       llvm::ArrayRef<std::string> operandNames,
                       BurstSource source, StringRef prefix,
                       const TraceOptions &options) {
  return writeFiles(
      model, name, operandNames,
      [&](llvm::raw_ostream *dramsim3, llvm::raw_ostream *ramulator2) {
        return writeStreamTraces(model, source, operandNames.size(), dramsim3,
                                 ramulator2, options);
      },
      prefix);
}

llvm::Expected<LayerTraceFiles>
romac::writeLayerTraces(const DramModel &model, const Workload &workload,
                        const Mapping &mapping, const LayerLayout &layout,
                        StringRef prefix, const TraceOptions &options) {
  std::vector<std::string> names;
  for (const Operand &op : workload.operands)
    names.push_back(op.name);
  return writeFiles(
      model, workload.name, names,
      [&](llvm::raw_ostream *dramsim3, llvm::raw_ostream *ramulator2) {
        return writeTraces(model, workload, mapping, layout, dramsim3,
                           ramulator2, options);
      },
      prefix);
}
