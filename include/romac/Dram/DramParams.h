//===- DramParams.h - DRAM parameters of the model --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The DRAM parameters the model uses, copied from a target's DramConfig, and
// the DRAMPower command energies derived from the datasheet currents. The
// page policy is the target's enum (romac/Target/Target.h).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_DRAM_DRAMPARAMS_H
#define ROMAC_DRAM_DRAMPARAMS_H

#include "romac/Dram/AddressMapping.h"
#include "romac/Target/Target.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace romac {

struct DramConfig;


/// What the model needs to know about the DRAM, copied from a DramConfig.
/// Timing values are in cycles of tCK, currents in mA, tCK in ns.
struct DramParams {
  /// "DDR3", "DDR4", "LPDDR4" or "HBM2".
  std::string standard;
  DramGeometry geometry;
  uint64_t chipsPerRank = 1;
  uint64_t deviceWidth = 8;
  PagePolicy policy = PagePolicy::Open;

  double tCK = 1;
  uint64_t CL = 0, CWL = 0, tRCD = 0, tRP = 0, tRAS = 0, tRC = 0;
  uint64_t tCCD_S = 0, tCCD_L = 0, tRRD_S = 0, tRRD_L = 0, tFAW = 0;
  uint64_t tWR = 0, tWTR_S = 0, tWTR_L = 0, tRTP = 0, tRFC = 0, tREFI = 0;

  double VDD = 0, IDD0 = 0, IDD2N = 0, IDD3N = 0, IDD4R = 0, IDD4W = 0,
         IDD5AB = 0;

  /// The target's default address mapping (`address_mapping`).
  std::string addressMapping;
  /// Requests each channel's controller queues (DramConfig::controllerQueue).
  uint64_t controllerQueue = 32;

  /// The parameters of \p config (geometry validated).
  static llvm::Expected<DramParams> get(const DramConfig &config);

  /// Cycles one burst occupies the data bus: BL / 2 (at least 1).
  uint64_t getBurstCycles() const;
  /// Energy of one ACT + PRE pair of a rank (all its chips), pJ:
  /// VDD · (IDD0·tRC − (IDD3N·tRAS + IDD2N·(tRC − tRAS))) · tCK · chips.
  double getActPreEnergyPJ() const;
  /// Energy of one read / write burst of a rank, pJ:
  /// VDD · (IDD4R − IDD3N) · BL/2 · tCK · chips (IDD4W for writes).
  double getReadBurstEnergyPJ() const;
  double getWriteBurstEnergyPJ() const;
  /// Energy of one all-bank refresh of a rank, pJ:
  /// VDD · (IDD5AB − IDD3N) · tRFC · tCK · chips.
  double getRefreshEnergyPJ() const;
  /// Standby energy of a rank per cycle, pJ: VDD · IDD3N (a bank open) or
  /// IDD2N (all banks precharged) · tCK · chips.
  double getActiveStandbyEnergyPJPerCycle() const;
  double getPrechargeStandbyEnergyPJPerCycle() const;
};

/// Loads the DRAM parameters of a target by name or path (as
/// romac::loadTarget() resolves it; an empty \p targetsDir means the default
/// targets directory). For code that cannot include romac/Target/Target.h
/// next to romac/Analysis/Workload.h.
llvm::Expected<DramParams> loadDramParams(llvm::StringRef targetNameOrPath,
                                          llvm::StringRef targetsDir = "");

} // namespace romac

#endif // ROMAC_DRAM_DRAMPARAMS_H
