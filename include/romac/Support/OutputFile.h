//===- OutputFile.h - safe output files for the tools -----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// How romac's tools write their outputs (DESIGN.md §8: never a partially
// written file presented as good):
//
//  - "-" is standard output; an existing character device, FIFO, socket or
//    block device (/dev/null, a pipe) is written directly: no temporary file,
//    no rename, so the device stays a device;
//  - a regular file (or a new path) is written to a temporary file in its
//    own directory and renamed over it when the command succeeds;
//  - a symbolic link is followed: its final target is replaced, the link
//    stays a link;
//  - an output that is an input of the same command (the same file, through
//    symbolic links and hard links too) or another output of it is refused;
//  - a command's outputs form one OutputSet: every file and directory is
//    staged first and made visible by commit(); a failed command discards
//    the set and leaves none of its outputs behind;
//  - a write error (a full disk, /dev/full) is one error naming the file,
//    never a fatal error from a stream's destructor.
//
// Typical use in a tool:
//
//   romac::OutputSet outputs;
//   outputs.addInput(modelPath);
//   if (llvm::Error e = outputs.checkFile(outputPath)) ... // before the work
//   ... the work ...
//   if (llvm::Error e = outputs.addFile(outputPath, [&](raw_ostream &os) {
//         os << text; }))
//     ...                           // the OutputSet's destructor cleans up
//   if (llvm::Error e = outputs.commit()) ...
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_SUPPORT_OUTPUTFILE_H
#define ROMAC_SUPPORT_OUTPUTFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem/UniqueID.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>
#include <vector>

namespace romac {

/// How an output path is written.
enum class OutputKind {
  /// "-": standard output, written directly.
  Stdout,
  /// An existing file that is not a regular file (a character device such as
  /// /dev/null, a FIFO, a socket, a block device): written directly.
  Stream,
  /// A regular file or a path that does not exist yet: written to a
  /// temporary file in the same directory, renamed over the path.
  File,
};

/// Where an output path leads.
struct OutputPath {
  OutputKind kind = OutputKind::File;
  /// The path that is written: the final target of a symbolic link (it may
  /// not exist yet), the path itself otherwise ("-" for standard output).
  std::string resolved;
};

/// Resolves \p path: "-" is standard output, symbolic links are followed
/// (also a dangling one: its target is what gets created). Fails with a
/// message naming \p path when it is a directory, a link loop, or cannot be
/// examined.
llvm::Expected<OutputPath> resolveOutputPath(llvm::StringRef path);

/// Whether \p path is an existing directory that holds at least one entry.
/// False when it does not exist; an error when it cannot be read.
llvm::Expected<bool> isNonEmptyDirectory(llvm::StringRef path);

/// Writes through \p write into \p os, flushes it and returns the stream's
/// write error, if any, as an error naming \p path (the stream's error state
/// is cleared so that its destructor does not abort).
llvm::Error writeAndCheck(llvm::raw_fd_ostream &os, llvm::StringRef path,
                          llvm::function_ref<void(llvm::raw_ostream &)> write);

/// Writes \p path through a temporary file next to it: \p write fills the
/// temporary (given its path; it returns an error message, empty on
/// success), which is then renamed over \p path, or removed on failure. For
/// writers that need a file path of their own (libpng's FILE*, libavformat)
/// rather than a stream; errors name \p path.
llvm::Error
writeThroughTemporary(llvm::StringRef path,
                      llvm::function_ref<std::string(llvm::StringRef)> write);

/// The outputs of one command, written as a transaction. Files and
/// directories are staged by addFile() and addDirectory() and made visible
/// together by commit(); discard() (or the destructor, when commit() was not
/// called or failed) removes everything staged, so a failed command leaves
/// none of its outputs.
class OutputSet {
public:
  /// Produces an output's bytes.
  using WriteFn = std::function<void(llvm::raw_ostream &)>;

  OutputSet() = default;
  OutputSet(const OutputSet &) = delete;
  OutputSet &operator=(const OutputSet &) = delete;
  ~OutputSet();

  /// Records \p path as an input of the command: an output that is the same
  /// file (same device and inode, so also through links) is refused. A path
  /// that does not exist (or "-") is ignored.
  void addInput(llvm::StringRef path);

  /// Checks that \p path can be an output of this command: it resolves
  /// (resolveOutputPath()), is not an input and not an output staged
  /// already. Call it before the work so that a bad output path fails early;
  /// addFile() checks again.
  llvm::Error checkFile(llvm::StringRef path) const;

  /// Stages the output \p path with the bytes \p write produces. A regular
  /// file is written now, into a temporary file next to it (its permissions
  /// kept when it exists); standard output and streams are written by
  /// commit(), which calls \p write then: whatever it refers to must live
  /// until commit(). On error nothing of \p path is left.
  llvm::Error addFile(llvm::StringRef path, WriteFn write);

  /// Stages the output directory \p path: creates it (and missing parents)
  /// when needed and returns a fresh staging directory inside it that the
  /// caller fills with files. commit() moves those files into \p path
  /// (replacing files of the same names) and removes the staging directory;
  /// discard() removes the staging directory and the directories this call
  /// created. Whether a non-empty \p path may be written into is the
  /// caller's policy (isNonEmptyDirectory()).
  llvm::Expected<std::string> addDirectory(llvm::StringRef path);

  /// Makes every staged output visible: writes the streams, then renames the
  /// temporary files and moves the staged directories' files. On error
  /// everything staged and everything committed so far is removed and the
  /// error names the output that failed.
  llvm::Error commit();

  /// Removes everything staged and not committed.
  void discard();

private:
  /// A staged file or stream.
  struct StagedFile {
    std::string path;  ///< as the user gave it (for messages)
    OutputPath target; ///< what is written
    std::string temp;  ///< OutputKind::File: the temporary file
    WriteFn write;     ///< Stdout and Stream: written by commit()
    bool committed = false;
  };
  /// A staged directory.
  struct StagedDirectory {
    std::string path;
    std::string staging;
    /// Directories addDirectory() created, outermost first.
    std::vector<std::string> created;
    /// Files moved into `path` by commit().
    std::vector<std::string> committed;
  };

  /// An error when \p target is an input or a staged output.
  llvm::Error checkConflicts(llvm::StringRef path,
                             const OutputPath &target) const;
  llvm::Error commitFile(StagedFile &file);
  llvm::Error commitDirectory(StagedDirectory &dir);
  /// Removes what commit() made visible before it failed.
  void removeCommitted();

  std::vector<std::pair<std::string, llvm::sys::fs::UniqueID>> inputs;
  std::vector<StagedFile> files;
  std::vector<StagedDirectory> directories;
  bool done = false;
};

} // namespace romac

#endif // ROMAC_SUPPORT_OUTPUTFILE_H
