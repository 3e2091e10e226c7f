//===- HostInfo.h - romac --print-host --------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `romac --print-host [--json]`: prints the CPU romac detected (the `host`
// target) and where each number came from.
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_TOOLS_ROMAC_HOSTINFO_H
#define ROMAC_TOOLS_ROMAC_HOSTINFO_H

#include <optional>

namespace CLI {
class App;
} // namespace CLI

namespace romac {

/// Lists `--print-host` in `romac --help`.
void addPrintHostFlag(CLI::App &app);

/// When the command line is `romac --print-host [--json]`, prints the host
/// CPU and returns the exit status (2 for extra arguments); std::nullopt for
/// any other command line.
std::optional<int> runPrintHost(int argc, char **argv);

} // namespace romac

#endif // ROMAC_TOOLS_ROMAC_HOSTINFO_H
