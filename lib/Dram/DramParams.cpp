//===- DramParams.cpp - DRAM model parameters from a target ---------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The only translation unit of the DRAM model that reads romac::DramConfig
// (romac/Target/Target.h); everything else works on DramParams.
//
//===----------------------------------------------------------------------===//

#include "romac/Dram/DramParams.h"
#include "romac/Support/Error.h"
#include "romac/Target/Target.h"

#include <algorithm>

using namespace romac;

llvm::Expected<DramParams> DramParams::get(const DramConfig &config) {
  llvm::Expected<DramGeometry> geometry = DramGeometry::get(config);
  if (!geometry)
    return geometry.takeError();
  DramParams p;
  p.standard = stringifyDramStandard(config.standard).str();
  p.geometry = *geometry;
  p.chipsPerRank = config.chipsPerRank;
  p.deviceWidth = config.deviceWidth;
  p.policy = config.pagePolicy;
  const DramTiming &t = config.timing;
  if (!(t.tCK > 0))
    return makeStringError("DRAM timing: tCK must be positive");
  p.tCK = t.tCK;
  p.CL = t.CL;
  p.CWL = t.CWL;
  p.tRCD = t.tRCD;
  p.tRP = t.tRP;
  p.tRAS = t.tRAS;
  // A hand-built config may leave tRC out: it is at least tRAS + tRP.
  p.tRC = std::max(t.tRC, t.tRAS + t.tRP);
  p.tCCD_S = t.tCCD_S;
  p.tCCD_L = std::max(t.tCCD_L, t.tCCD_S);
  p.tRRD_S = t.tRRD_S;
  p.tRRD_L = std::max(t.tRRD_L, t.tRRD_S);
  p.tFAW = t.tFAW;
  p.tWR = t.tWR;
  p.tWTR_S = t.tWTR_S;
  p.tWTR_L = std::max(t.tWTR_L, t.tWTR_S);
  p.tRTP = t.tRTP;
  p.tRFC = t.tRFC;
  p.tREFI = t.tREFI;
  const DramPower &power = config.power;
  p.VDD = power.VDD;
  p.IDD0 = power.IDD0;
  p.IDD2N = power.IDD2N;
  p.IDD3N = power.IDD3N;
  p.IDD4R = power.IDD4R;
  p.IDD4W = power.IDD4W;
  p.IDD5AB = power.IDD5AB;
  p.addressMapping = config.addressMapping;
  p.controllerQueue = config.controllerQueue;
  return p;
}

llvm::Expected<DramParams> romac::loadDramParams(llvm::StringRef nameOrPath,
                                                 llvm::StringRef targetsDir) {
  llvm::Expected<Target> target = loadTarget(nameOrPath, targetsDir);
  if (!target)
    return target.takeError();
  return DramParams::get(target->dram);
}
