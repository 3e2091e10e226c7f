//===- OutputFile.cpp - safe output files for the tools -------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Support/OutputFile.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

using namespace romac;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

/// How many symbolic links resolveOutputPath() follows (Linux's limit).
constexpr unsigned kMaxSymlinks = 40;

/// "cannot write 'PATH': REASON".
llvm::Error cannotWrite(llvm::StringRef file, const llvm::Twine &reason) {
  return makeStringError("cannot write '" + file + "': " + reason);
}

/// The target of the symbolic link \p link, relative targets made relative
/// to the link's directory.
llvm::Expected<std::string> readSymlink(llvm::StringRef link) {
  llvm::SmallString<256> buffer;
  buffer.resize(4096);
  std::string linkPath = link.str();
  ssize_t n = ::readlink(linkPath.c_str(), buffer.data(), buffer.size());
  if (n < 0)
    return makeStringError(std::strerror(errno));
  buffer.resize(static_cast<size_t>(n));
  if (path::is_absolute(buffer))
    return std::string(buffer);
  llvm::SmallString<256> result(path::parent_path(link));
  path::append(result, buffer);
  return std::string(result);
}

/// The directory a file at \p file lives in ("." for a bare name).
std::string directoryOf(llvm::StringRef file) {
  llvm::StringRef dir = path::parent_path(file);
  return dir.empty() ? std::string(".") : dir.str();
}

/// A key naming the file \p file: its directory's unique id and its name
/// (so two spellings of one path compare equal), or the absolute path
/// without dots when the directory does not exist.
std::string fileKey(llvm::StringRef file) {
  fs::UniqueID dir;
  if (!fs::getUniqueID(directoryOf(file), dir))
    return (llvm::Twine(dir.getDevice()) + ":" + llvm::Twine(dir.getFile()) +
            "/" + path::filename(file))
        .str();
  llvm::SmallString<256> abs(file);
  fs::make_absolute(abs);
  path::remove_dots(abs, /*remove_dot_dot=*/true);
  return std::string(abs);
}

/// The write error of \p os (none when it has none), cleared so that the
/// stream's destructor does not abort.
std::error_code takeStreamError(llvm::raw_fd_ostream &os) {
  if (!os.has_error())
    return {};
  std::error_code ec = os.error();
  os.clear_error();
  return ec;
}

/// Writes through \p write into a new file descriptor \p fd, closes it and
/// returns the first error (naming \p file).
llvm::Error writeToFd(int fd, llvm::StringRef file,
                      llvm::function_ref<void(llvm::raw_ostream &)> write) {
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  if (llvm::Error e = writeAndCheck(os, file, write))
    return e;
  os.close();
  if (std::error_code ec = takeStreamError(os))
    return cannotWrite(file, ec.message());
  return llvm::Error::success();
}

} // namespace

llvm::Expected<OutputPath> romac::resolveOutputPath(llvm::StringRef file) {
  if (file == "-")
    return OutputPath{OutputKind::Stdout, "-"};
  if (file.empty())
    return makeStringError("cannot write '': empty file name");
  std::string current = file.str();
  for (unsigned links = 0;; ++links) {
    fs::file_status status;
    std::error_code ec = fs::status(current, status, /*Follow=*/false);
    if (ec == llvm::errc::no_such_file_or_directory)
      return OutputPath{OutputKind::File, current};
    if (ec)
      return cannotWrite(file, ec.message());
    switch (status.type()) {
    case fs::file_type::symlink_file: {
      if (links == kMaxSymlinks)
        return cannotWrite(file, "too many levels of symbolic links");
      llvm::Expected<std::string> target = readSymlink(current);
      if (!target)
        return cannotWrite(file, "cannot read the symbolic link '" + current +
                                     "': " + toString(target.takeError()));
      current = std::move(*target);
      continue;
    }
    case fs::file_type::directory_file:
      return cannotWrite(file, "it is a directory");
    case fs::file_type::regular_file:
      return OutputPath{OutputKind::File, current};
    default:
      return OutputPath{OutputKind::Stream, current};
    }
  }
}

llvm::Expected<bool> romac::isNonEmptyDirectory(llvm::StringRef dir) {
  if (!fs::is_directory(dir))
    return false;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    return makeStringError("cannot read the directory '" + dir +
                           "': " + ec.message());
  return it != fs::directory_iterator();
}

llvm::Error
romac::writeAndCheck(llvm::raw_fd_ostream &os, llvm::StringRef file,
                     llvm::function_ref<void(llvm::raw_ostream &)> write) {
  write(os);
  os.flush();
  if (std::error_code ec = takeStreamError(os))
    return cannotWrite(file, ec.message());
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// OutputSet
//===----------------------------------------------------------------------===//

OutputSet::~OutputSet() {
  if (!done)
    discard();
}

void OutputSet::addInput(llvm::StringRef file) {
  fs::UniqueID id;
  if (file != "-" && !fs::getUniqueID(file, id))
    inputs.emplace_back(file.str(), id);
}

llvm::Error OutputSet::checkConflicts(llvm::StringRef file,
                                      const OutputPath &target) const {
  if (target.kind != OutputKind::File)
    return llvm::Error::success();
  fs::UniqueID id;
  bool exists = !fs::getUniqueID(target.resolved, id);
  if (exists)
    for (const auto &[input, inputID] : inputs)
      if (inputID == id)
        return makeStringError("refusing to write '" + file +
                               "': it is the input '" + input +
                               "' of this command");
  std::string key = fileKey(target.resolved);
  for (const StagedFile &staged : files)
    if (staged.target.kind == OutputKind::File &&
        fileKey(staged.target.resolved) == key)
      return makeStringError("refusing to write '" + file +
                             "': it is also the output '" + staged.path +
                             "' of this command");
  return llvm::Error::success();
}

llvm::Error OutputSet::checkFile(llvm::StringRef file) const {
  llvm::Expected<OutputPath> target = resolveOutputPath(file);
  if (!target)
    return target.takeError();
  return checkConflicts(file, *target);
}

llvm::Error OutputSet::addFile(llvm::StringRef file, WriteFn write) {
  llvm::Expected<OutputPath> target = resolveOutputPath(file);
  if (!target)
    return target.takeError();
  if (llvm::Error e = checkConflicts(file, *target))
    return e;
  StagedFile staged;
  staged.path = file.str();
  staged.target = std::move(*target);
  if (staged.target.kind != OutputKind::File) {
    staged.write = std::move(write);
    files.push_back(std::move(staged));
    return llvm::Error::success();
  }
  // A temporary file next to the target, so that the rename stays on one
  // file system.
  llvm::SmallString<256> model(directoryOf(staged.target.resolved));
  path::append(model, path::filename(staged.target.resolved) + ".tmp-%%%%%%");
  int fd;
  llvm::SmallString<256> temp;
  if (std::error_code ec = fs::createUniqueFile(model, fd, temp))
    return cannotWrite(file, ec.message());
  llvm::ErrorOr<fs::perms> perms = fs::getPermissions(staged.target.resolved);
  if (perms)
    (void)fs::setPermissions(fd, *perms);
  if (llvm::Error e = writeToFd(fd, file, write)) {
    (void)fs::remove(temp);
    return e;
  }
  staged.temp = std::string(temp);
  files.push_back(std::move(staged));
  return llvm::Error::success();
}

llvm::Error romac::writeThroughTemporary(
    llvm::StringRef path,
    llvm::function_ref<std::string(llvm::StringRef)> write) {
  llvm::SmallString<256> temp;
  int fd;
  if (std::error_code ec = fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return makeStringError("cannot write '" + path + "': " + ec.message());
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  std::string message = write(temp);
  if (message.empty())
    if (std::error_code ec = fs::rename(temp, path))
      message = ec.message();
  if (message.empty())
    return llvm::Error::success();
  (void)fs::remove(temp);
  return makeStringError("cannot write '" + path + "': " + message);
}

llvm::Expected<std::string> OutputSet::addDirectory(llvm::StringRef dir) {
  StagedDirectory staged;
  staged.path = dir.str();
  // The directories that do not exist yet, innermost first.
  std::vector<std::string> missing;
  for (llvm::StringRef p = dir; !p.empty() && !fs::exists(p);
       p = path::parent_path(p))
    missing.push_back(p.str());
  auto removeCreated = [&] {
    for (const std::string &d : missing)
      (void)fs::remove(d);
  };
  if (std::error_code ec = fs::create_directories(dir)) {
    removeCreated();
    return makeStringError("cannot create the directory '" + dir +
                           "': " + ec.message());
  }
  if (!fs::is_directory(dir)) {
    removeCreated();
    return makeStringError("cannot write into '" + dir +
                           "': it is not a directory");
  }
  staged.created.assign(missing.rbegin(), missing.rend());
  // A fresh staging directory inside `dir` (a rename from it stays on one
  // file system).
  llvm::SmallString<256> model(dir);
  path::append(model, ".romac-staging-%%%%%%");
  std::error_code ec;
  for (unsigned tries = 0; tries < 128; ++tries) {
    llvm::SmallString<256> staging;
    fs::createUniquePath(model, staging, /*MakeAbsolute=*/false);
    ec = fs::create_directory(staging, /*IgnoreExisting=*/false);
    if (!ec) {
      staged.staging = std::string(staging);
      break;
    }
    if (ec != llvm::errc::file_exists)
      break;
  }
  if (staged.staging.empty()) {
    removeCreated();
    return makeStringError("cannot write into '" + dir + "': " +
                           (ec ? ec.message() : "no unique staging name"));
  }
  directories.push_back(std::move(staged));
  return directories.back().staging;
}

llvm::Error OutputSet::commitFile(StagedFile &file) {
  switch (file.target.kind) {
  case OutputKind::Stdout: {
    llvm::raw_fd_ostream &os = llvm::outs();
    file.write(os);
    os.flush();
    if (std::error_code ec = takeStreamError(os))
      return makeStringError("cannot write to standard output: " +
                             ec.message());
    break;
  }
  case OutputKind::Stream: {
    std::error_code ec;
    int fd;
    // Opened as it is: no O_CREAT, no O_TRUNC on a device or a FIFO.
    ec = fs::openFileForWrite(file.target.resolved, fd, fs::CD_OpenExisting);
    if (ec)
      return cannotWrite(file.path, ec.message());
    if (llvm::Error e = writeToFd(fd, file.path, file.write))
      return e;
    break;
  }
  case OutputKind::File:
    if (std::error_code ec = fs::rename(file.temp, file.target.resolved))
      return cannotWrite(file.path, ec.message());
    file.temp.clear();
    break;
  }
  file.committed = true;
  return llvm::Error::success();
}

llvm::Error OutputSet::commitDirectory(StagedDirectory &dir) {
  std::error_code ec;
  std::vector<std::string> entries;
  for (fs::directory_iterator it(dir.staging, ec), end; !ec && it != end;
       it.increment(ec))
    entries.push_back(it->path());
  if (ec)
    return makeStringError("cannot write into '" + dir.path +
                           "': " + ec.message());
  for (const std::string &entry : entries) {
    llvm::SmallString<256> destination(dir.path);
    path::append(destination, path::filename(entry));
    if (std::error_code ec = fs::rename(entry, destination))
      return cannotWrite(destination, ec.message());
    dir.committed.push_back(std::string(destination));
  }
  (void)fs::remove(dir.staging);
  dir.staging.clear();
  return llvm::Error::success();
}

llvm::Error OutputSet::commit() {
  // Streams first: they cannot be taken back, and the renames after them
  // hardly fail.
  llvm::Error error = llvm::Error::success();
  for (StagedFile &file : files)
    if (file.target.kind != OutputKind::File)
      if ((error = commitFile(file)))
        break;
  if (!error)
    for (StagedFile &file : files)
      if (file.target.kind == OutputKind::File)
        if ((error = commitFile(file)))
          break;
  if (!error)
    for (StagedDirectory &dir : directories)
      if ((error = commitDirectory(dir)))
        break;
  if (error) {
    removeCommitted();
    discard();
    return error;
  }
  done = true;
  return llvm::Error::success();
}

void OutputSet::removeCommitted() {
  for (StagedFile &file : files)
    if (file.committed && file.target.kind == OutputKind::File)
      (void)fs::remove(file.target.resolved);
  for (StagedDirectory &dir : directories)
    for (const std::string &f : dir.committed)
      (void)fs::remove(f);
}

void OutputSet::discard() {
  for (StagedFile &file : files)
    if (!file.temp.empty())
      (void)fs::remove(file.temp);
  for (StagedDirectory &dir : directories) {
    if (!dir.staging.empty())
      (void)fs::remove_directories(dir.staging);
    // Created directories, innermost first; a directory that is not empty
    // (something else wrote into it) stays.
    for (auto it = dir.created.rbegin(); it != dir.created.rend(); ++it)
      (void)fs::remove(*it);
  }
  files.clear();
  directories.clear();
  done = true;
}
