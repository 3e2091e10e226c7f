//===- HostInfo.cpp - romac --print-host ------------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `--print-host` is a flag of `romac` itself, like `--version`: it is handled
// before CLI11 parses the command line, because CLI11 requires a subcommand.
//
//===----------------------------------------------------------------------===//

#include "HostInfo.h"

#include "romac/Target/Host.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

void romac::addPrintHostFlag(CLI::App &app) {
  app.add_flag("--print-host",
               "Print the CPU romac runs on (the `host` target) and where "
               "each number came from, and exit; add --json for JSON");
}

std::optional<int> romac::runPrintHost(int argc, char **argv) {
  bool printHost = false, json = false;
  std::string extra;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--print-host")
      printHost = true;
    else if (arg == "--json")
      json = true;
    else if (extra.empty())
      extra = arg.str();
  }
  // Only `romac --print-host [--json]` (in either order) is ours.
  if (!printHost || (argc > 1 && llvm::StringRef(argv[1]) != "--print-host" &&
                     llvm::StringRef(argv[1]) != "--json"))
    return std::nullopt;
  if (!extra.empty()) {
    llvm::errs() << "romac: error: --print-host takes only --json, not '"
                 << extra << "'\n";
    return 2;
  }
  const HostCpu &cpu = getHostCpu();
  if (json)
    printHostCpuJson(llvm::outs(), cpu);
  else
    printHostCpu(llvm::outs(), cpu);
  return 0;
}
