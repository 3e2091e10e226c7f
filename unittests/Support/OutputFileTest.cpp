//===- OutputFileTest.cpp - safe output files -------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// OutputSet as a transaction: regular files appear only on commit (and keep
// their permissions), nothing is left on discard or on a failed commit,
// symbolic links are followed, inputs and duplicate outputs are refused,
// devices and FIFOs are written in place, /dev/full is one clean error, and
// staged directories move their files in on commit.
//
//===----------------------------------------------------------------------===//

#include "romac/Support/OutputFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace romac;
namespace fs = llvm::sys::fs;

namespace {

/// A fresh directory, removed with everything in it at the end.
class OutputFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(fs::createUniqueDirectory("romac-output-test", dir));
  }
  void TearDown() override { fs::remove_directories(dir); }

  std::string at(llvm::StringRef name) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }

  static std::string read(llvm::StringRef file) {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    return buffer ? (*buffer)->getBuffer().str() : std::string("<missing>");
  }

  static void write(llvm::StringRef file, llvm::StringRef text) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << text;
  }

  /// The names in the test directory (sorted).
  std::vector<std::string> entries(llvm::StringRef sub = "") const {
    std::vector<std::string> names;
    std::error_code ec;
    std::string root = sub.empty() ? std::string(dir) : at(sub);
    for (fs::directory_iterator it(root, ec), end; !ec && it != end;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

  static OutputSet::WriteFn text(std::string s) {
    return [s](llvm::raw_ostream &os) { os << s; };
  }

  llvm::SmallString<256> dir;
};

TEST_F(OutputFileTest, RegularFileAppearsOnCommit) {
  std::string out = at("out.json");
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(out, text("{}\n"))));
  EXPECT_FALSE(fs::exists(out));
  ASSERT_EQ(entries().size(), 1u); // the temporary file
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  EXPECT_EQ(read(out), "{}\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.json"});
}

TEST_F(OutputFileTest, ReplacingKeepsPermissions) {
  std::string out = at("out.json");
  write(out, "old");
  ASSERT_FALSE(fs::setPermissions(out, fs::perms(0640)));
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(out, text("new"))));
  EXPECT_EQ(read(out), "old");
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  EXPECT_EQ(read(out), "new");
  llvm::ErrorOr<fs::perms> perms = fs::getPermissions(out);
  ASSERT_TRUE(bool(perms));
  EXPECT_EQ(*perms, fs::perms(0640));
}

TEST_F(OutputFileTest, DiscardLeavesNothing) {
  std::string out = at("out.json");
  {
    OutputSet outputs;
    ASSERT_FALSE(llvm::errorToBool(outputs.addFile(out, text("x"))));
    llvm::Expected<std::string> staging =
        outputs.addDirectory(at("traces/a/b"));
    ASSERT_TRUE(bool(staging));
    write(*staging + "/t.trace", "bursts");
    // Destroyed without commit(): a failed command.
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(OutputFileTest, DirectoryFilesMoveInOnCommit) {
  std::string traces = at("traces");
  ASSERT_FALSE(fs::create_directory(traces));
  write(at("traces/old.trace"), "old");
  write(at("traces/same.trace"), "old");
  OutputSet outputs;
  llvm::Expected<std::string> staging = outputs.addDirectory(traces);
  ASSERT_TRUE(bool(staging));
  write(*staging + "/same.trace", "new");
  write(*staging + "/new.trace", "new");
  EXPECT_EQ(read(at("traces/same.trace")), "old");
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  EXPECT_EQ(entries("traces"),
            (std::vector<std::string>{"new.trace", "old.trace", "same.trace"}));
  EXPECT_EQ(read(at("traces/same.trace")), "new");
}

TEST_F(OutputFileTest, DirectoryUnderAFileFails) {
  write(at("file"), "x");
  OutputSet outputs;
  llvm::Expected<std::string> staging = outputs.addDirectory(at("file/sub"));
  ASSERT_FALSE(bool(staging));
  EXPECT_NE(llvm::toString(staging.takeError()).find("cannot create"),
            std::string::npos);
  EXPECT_EQ(entries(), std::vector<std::string>{"file"});
}

TEST_F(OutputFileTest, NonEmptyDirectory) {
  EXPECT_FALSE(llvm::cantFail(isNonEmptyDirectory(at("none"))));
  ASSERT_FALSE(fs::create_directory(at("d")));
  EXPECT_FALSE(llvm::cantFail(isNonEmptyDirectory(at("d"))));
  write(at("d/x"), "x");
  EXPECT_TRUE(llvm::cantFail(isNonEmptyDirectory(at("d"))));
}

TEST_F(OutputFileTest, SymlinkIsFollowed) {
  std::string target = at("real.json"), link = at("link.json");
  write(target, "old");
  ASSERT_FALSE(fs::create_link("real.json", link)); // relative to the link
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(link, text("new"))));
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  EXPECT_EQ(read(target), "new");
  fs::file_status status;
  ASSERT_FALSE(fs::status(link, status, /*Follow=*/false));
  EXPECT_EQ(status.type(), fs::file_type::symlink_file);
}

TEST_F(OutputFileTest, DanglingSymlinkCreatesItsTarget) {
  std::string link = at("link.json");
  ASSERT_FALSE(fs::create_link(at("new.json"), link));
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(link, text("x"))));
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  EXPECT_EQ(read(at("new.json")), "x");
}

TEST_F(OutputFileTest, SymlinkLoopIsAnError) {
  ASSERT_FALSE(fs::create_link(at("b"), at("a")));
  ASSERT_FALSE(fs::create_link(at("a"), at("b")));
  llvm::Expected<OutputPath> p = resolveOutputPath(at("a"));
  ASSERT_FALSE(bool(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("symbolic links"),
            std::string::npos);
}

TEST_F(OutputFileTest, InputIsRefused) {
  std::string model = at("model.onnx"), link = at("alias.onnx");
  write(model, "weights");
  ASSERT_FALSE(fs::create_link(model, link));
  OutputSet outputs;
  outputs.addInput(model);
  for (const std::string &out : {model, link}) {
    llvm::Error e = outputs.checkFile(out);
    ASSERT_TRUE(bool(e));
    std::string message = llvm::toString(std::move(e));
    EXPECT_NE(message.find("it is the input"), std::string::npos) << message;
    EXPECT_TRUE(llvm::errorToBool(outputs.addFile(out, text("x"))));
  }
  EXPECT_EQ(read(model), "weights");
  EXPECT_EQ(entries(), (std::vector<std::string>{"alias.onnx", "model.onnx"}));
}

TEST_F(OutputFileTest, SameOutputTwiceIsRefused) {
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(at("x.json"), text("a"))));
  std::string other = std::string(dir) + "/./x.json";
  llvm::Error e = outputs.addFile(other, text("b"));
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("also the output"),
            std::string::npos);
}

TEST_F(OutputFileTest, DirectoryIsNotAFile) {
  llvm::Expected<OutputPath> p = resolveOutputPath(std::string(dir));
  ASSERT_FALSE(bool(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("is a directory"),
            std::string::npos);
}

TEST_F(OutputFileTest, DevicesAndStdoutAreStreams) {
  EXPECT_EQ(llvm::cantFail(resolveOutputPath("-")).kind, OutputKind::Stdout);
  EXPECT_EQ(llvm::cantFail(resolveOutputPath("/dev/null")).kind,
            OutputKind::Stream);
  EXPECT_EQ(llvm::cantFail(resolveOutputPath(at("new"))).kind,
            OutputKind::File);
}

TEST_F(OutputFileTest, FullDeviceIsOneError) {
  if (!fs::exists("/dev/full"))
    GTEST_SKIP() << "no /dev/full";
  std::string out = at("out.json");
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(out, text("x"))));
  ASSERT_FALSE(
      llvm::errorToBool(outputs.addFile("/dev/full", text("bytes\n"))));
  llvm::Error e = outputs.commit();
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(llvm::toString(std::move(e)),
            "cannot write '/dev/full': No space left on device");
  // The whole set failed: the regular file is not left either.
  EXPECT_TRUE(entries().empty());
  fs::file_status status;
  ASSERT_FALSE(fs::status("/dev/full", status));
  EXPECT_EQ(status.type(), fs::file_type::character_file);
}

TEST_F(OutputFileTest, FifoIsWrittenInPlace) {
  std::string fifo = at("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read(fifo); });
  OutputSet outputs;
  ASSERT_FALSE(llvm::errorToBool(outputs.addFile(fifo, text("through"))));
  ASSERT_FALSE(llvm::errorToBool(outputs.commit()));
  reader.join();
  EXPECT_EQ(received, "through");
  fs::file_status status;
  ASSERT_FALSE(fs::status(fifo, status));
  EXPECT_EQ(status.type(), fs::file_type::fifo_file);
  EXPECT_EQ(entries(), std::vector<std::string>{"pipe"});
}

} // namespace
