//===- romac-zoom-tool.cpp - test driver of the zoom building blocks ------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A test-only command line over lib/Zoom for the python oracle tests
// (python/tests/test_zoom_*.py). Every command reads JSON on stdin and
// writes JSON on stdout; a failure is one line "error: ..." on stderr and
// exit status 1.
//
//   tokenize --bpe GZ | --hf VOCAB MERGES
//       stdin: ["prompt", ...]; stdout: [{"ids": [77 ids], "encode": [...]}
//       or {"error": "..."}, ...]
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Tokenizer.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace romac;
using namespace romac::zoom;

static int fail(llvm::Error e) {
  llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
  return 1;
}

static llvm::Expected<llvm::json::Value> readStdinJson() {
  auto buf = llvm::MemoryBuffer::getSTDIN();
  if (!buf)
    return llvm::createStringError(buf.getError(), "cannot read stdin");
  return llvm::json::parse((*buf)->getBuffer());
}

static llvm::json::Value idsToJson(const std::vector<int64_t> &ids) {
  llvm::json::Array a;
  for (int64_t id : ids)
    a.push_back(id);
  return a;
}

static int tokenizeCommand(llvm::ArrayRef<const char *> args) {
  llvm::Expected<ClipTokenizer> tok =
      args.size() == 2 && llvm::StringRef(args[0]) == "--bpe"
          ? ClipTokenizer::loadOpenAI(args[1])
      : args.size() == 3 && llvm::StringRef(args[0]) == "--hf"
          ? ClipTokenizer::loadHF(args[1], args[2])
          : llvm::Expected<ClipTokenizer>(llvm::createStringError(
                "usage: tokenize --bpe GZ | --hf VOCAB MERGES"));
  if (!tok)
    return fail(tok.takeError());
  auto in = readStdinJson();
  if (!in)
    return fail(in.takeError());
  const llvm::json::Array *prompts = in->getAsArray();
  if (!prompts)
    return fail(llvm::createStringError("stdin must be a JSON array of strings"));
  llvm::json::Array out;
  for (const llvm::json::Value &p : *prompts) {
    std::optional<llvm::StringRef> text = p.getAsString();
    if (!text)
      return fail(llvm::createStringError("stdin must be a JSON array of strings"));
    auto ids = tok->tokenize(*text);
    if (!ids) {
      out.push_back(llvm::json::Object{{"error", llvm::toString(ids.takeError())}});
      continue;
    }
    auto all = tok->encode(*text);
    if (!all)
      return fail(all.takeError()); // tokenize() succeeded on the same text
    out.push_back(llvm::json::Object{{"ids", idsToJson(*ids)},
                                     {"encode", idsToJson(*all)}});
  }
  llvm::outs() << llvm::json::Value(std::move(out)) << "\n";
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    llvm::errs() << "usage: romac-zoom-tool COMMAND ARGS... (see the file "
                    "banner of unittests/Zoom/romac-zoom-tool.cpp)\n";
    return 2;
  }
  llvm::StringRef cmd = argv[1];
  llvm::ArrayRef<const char *> args(argv + 2, argv + argc);
  if (cmd == "tokenize")
    return tokenizeCommand(args);
  llvm::errs() << "error: unknown command '" << cmd << "'\n";
  return 2;
}
