//===- Isolate.cpp - one child process per node test ------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Generated code that crashes or hangs would take the whole conformance run
// with it, so the tests run in forked worker processes. A worker takes test
// indices from a pipe, imports, compiles and runs each test in turn and
// reports back through another pipe: the phase it enters (so that a crash
// is attributed to import, compilation or the run), then the outcome and an
// end record. When a worker dies (a signal, or killed past the timeout) its
// current test fails with that cause and a fresh worker takes the next test.
// Workers are long-lived because a process's first compilation pays for
// LLVM's one-time setup and a cold heap (about 50 ms per test when every
// test had its own child). The parent creates no MLIR context and no
// threads, so forking is safe.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace romac::conformance;

namespace {

using Clock = std::chrono::steady_clock;

//===----------------------------------------------------------------------===//
// The child's messages: NUL-terminated records, a tag character then text.
//===----------------------------------------------------------------------===//

enum : char {
  kPhaseTag = 'P',
  kImportTag = 'I',
  kStatusTag = 'S',
  kMessageTag = 'M',
  kCompileTimeTag = 'C',
  kRunTimeTag = 'R',
  /// The last record of a test.
  kEndTag = 'E',
};

void writeAll(int fd, llvm::StringRef bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    bytes = bytes.drop_front(n);
  }
}

void writeRecord(int fd, char tag, llvm::StringRef text) {
  std::string record(1, tag);
  record += text.str();
  // A NUL inside a message would end the record early.
  std::replace(record.begin(), record.end(), '\0', ' ');
  record.push_back('\0');
  writeAll(fd, record);
}

/// Reads exactly \p size bytes; false at end of file or on error.
bool readAll(int fd, void *data, size_t size) {
  char *p = static_cast<char *>(data);
  while (size) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= n;
  }
  return true;
}

/// The worker: runs the test of every index read from \p commandFd, writes
/// its records to \p resultFd, and exits at end of file without running
/// destructors or flushing the parent's buffers.
[[noreturn]] void runWorker(llvm::ArrayRef<NodeTest> tests,
                            const ExecOptions &options, int commandFd,
                            int resultFd) {
  // The generated code's crash should end this process with its signal,
  // not print LLVM's stack trace.
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
    std::signal(sig, SIG_DFL);
  uint64_t index = 0;
  while (readAll(commandFd, &index, sizeof(index)) && index < tests.size()) {
    TestOutcome outcome =
        importAndExecute(tests[index], options, [&](ExecPhase phase) {
          writeRecord(resultFd, kPhaseTag,
                      std::to_string(static_cast<int>(phase)));
        });
    writeRecord(resultFd, kImportTag,
                std::string(outcome.import.passed ? "1" : "0") +
                    outcome.import.message);
    writeRecord(resultFd, kStatusTag,
                std::to_string(static_cast<int>(outcome.exec.status)));
    writeRecord(resultFd, kMessageTag, outcome.exec.message);
    writeRecord(resultFd, kCompileTimeTag,
                std::to_string(outcome.exec.compileSeconds));
    writeRecord(resultFd, kRunTimeTag, std::to_string(outcome.exec.runSeconds));
    writeRecord(resultFd, kEndTag, "");
  }
  ::_exit(0);
}

/// One worker process.
struct Worker {
  pid_t pid = -1;
  /// The parent's ends of the pipes: test indices go out, records come in.
  int commandFd = -1, resultFd = -1;
  /// The index of the test it runs; -1 when idle.
  int64_t current = -1;
  Clock::time_point start;
  /// The records of the current test read so far.
  std::string bytes;
  /// Killed past the timeout.
  bool killed = false;
};

const char *getPhaseName(ExecPhase phase) {
  switch (phase) {
  case ExecPhase::Import:
    return "import";
  case ExecPhase::Compile:
    return "compilation";
  case ExecPhase::Run:
    return "the run";
  }
  return "?";
}

/// The outcome the records in \p bytes describe; \p phase receives the last
/// phase the worker entered.
TestOutcome parseRecords(llvm::StringRef bytes, ExecPhase &phase) {
  TestOutcome outcome;
  llvm::SmallVector<llvm::StringRef> records;
  bytes.split(records, '\0', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef record : records) {
    char tag = record.front();
    llvm::StringRef text = record.drop_front();
    int value = 0;
    switch (tag) {
    case kPhaseTag:
      if (!text.getAsInteger(10, value))
        phase = static_cast<ExecPhase>(value);
      break;
    case kImportTag:
      outcome.import.passed = text.consume_front("1");
      text.consume_front("0");
      outcome.import.message = text.str();
      break;
    case kStatusTag:
      if (!text.getAsInteger(10, value))
        outcome.exec.status = static_cast<ExecStatus>(value);
      break;
    case kMessageTag:
      outcome.exec.message = text.str();
      break;
    case kCompileTimeTag:
      text.getAsDouble(outcome.exec.compileSeconds);
      break;
    case kRunTimeTag:
      text.getAsDouble(outcome.exec.runSeconds);
      break;
    }
  }
  return outcome;
}

/// The outcome of the test whose worker died: the failure of the phase it
/// was in, with how it died.
TestOutcome getDeathOutcome(const Worker &worker, int waitStatus,
                            unsigned timeoutSeconds) {
  ExecPhase phase = ExecPhase::Import;
  TestOutcome outcome = parseRecords(worker.bytes, phase);
  std::string how;
  if (worker.killed)
    how = "timed out after " + std::to_string(timeoutSeconds) + " s";
  else if (WIFSIGNALED(waitStatus))
    how = "crashed with signal " + std::to_string(WTERMSIG(waitStatus)) + " (" +
          ::strsignal(WTERMSIG(waitStatus)) + ")";
  else
    how = "the worker exited with status " +
          std::to_string(WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : -1);
  how += std::string(" in ") + getPhaseName(phase);
  outcome.import.passed = phase != ExecPhase::Import;
  if (phase == ExecPhase::Import) {
    outcome.import.message = how;
    outcome.exec = {};
    return outcome;
  }
  outcome.exec.status = phase == ExecPhase::Compile ? ExecStatus::CompileFailed
                                                    : ExecStatus::RunFailed;
  outcome.exec.message = how;
  return outcome;
}

/// Starts a worker process; false when pipe or fork fails.
bool startWorker(llvm::ArrayRef<NodeTest> tests, const ExecOptions &options,
                 llvm::ArrayRef<Worker> others, Worker &worker) {
  int command[2], result[2];
  if (::pipe(command) != 0)
    return false;
  if (::pipe(result) != 0) {
    ::close(command[0]);
    ::close(command[1]);
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {command[0], command[1], result[0], result[1]})
      ::close(fd);
    return false;
  }
  if (pid == 0) {
    // The other workers' pipes stay theirs: a copy here would keep their
    // command pipe open after the parent closes it.
    for (const Worker &other : others)
      if (other.pid > 0) {
        ::close(other.commandFd);
        ::close(other.resultFd);
      }
    ::close(command[1]);
    ::close(result[0]);
    runWorker(tests, options, command[0], result[1]);
  }
  ::close(command[0]);
  ::close(result[1]);
  worker = Worker();
  worker.pid = pid;
  worker.commandFd = command[1];
  worker.resultFd = result[0];
  return true;
}

/// Closes \p worker's pipes and reaps it; returns its wait status.
int stopWorker(Worker &worker) {
  ::close(worker.commandFd);
  ::close(worker.resultFd);
  int status = 0;
  while (::waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
  }
  worker.pid = -1;
  return status;
}

/// Hands test \p index to an idle worker, starting one when needed; false
/// when no worker can be started or reached.
bool assignTest(llvm::ArrayRef<NodeTest> tests, const ExecOptions &options,
                llvm::ArrayRef<Worker> all, Worker &worker, size_t index) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (worker.pid < 0 && !startWorker(tests, options, all, worker))
      return false;
    uint64_t value = index;
    if (::write(worker.commandFd, &value, sizeof(value)) ==
        static_cast<ssize_t>(sizeof(value))) {
      worker.current = index;
      worker.start = Clock::now();
      worker.bytes.clear();
      worker.killed = false;
      return true;
    }
    // The idle worker is gone (EPIPE): start a fresh one.
    ::kill(worker.pid, SIGKILL);
    stopWorker(worker);
  }
  return false;
}

} // namespace

void romac::conformance::runIsolated(
    llvm::ArrayRef<NodeTest> tests, const ExecOptions &options, unsigned jobs,
    unsigned timeoutSeconds,
    llvm::function_ref<void(size_t, TestOutcome)> onDone) {
  // A write to a worker that died must fail with EPIPE, not end the run.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<Worker> workers(std::max(1u, jobs));
  size_t next = 0, done = 0;
  const llvm::StringRef endRecord("\0E\0", 3);
  while (done < tests.size()) {
    for (Worker &w : workers)
      while (w.current < 0 && next < tests.size()) {
        size_t index = next++;
        if (assignTest(tests, options, workers, w, index))
          break;
        TestOutcome failed;
        failed.import = {false, std::string("cannot start a worker process: ") +
                                    std::strerror(errno)};
        onDone(index, std::move(failed));
        ++done;
      }
    std::vector<pollfd> fds;
    std::vector<Worker *> busy;
    for (Worker &w : workers)
      if (w.current >= 0) {
        fds.push_back({w.resultFd, POLLIN, 0});
        busy.push_back(&w);
      }
    if (busy.empty())
      continue;
    ::poll(fds.data(), fds.size(), /*timeout ms=*/200);
    for (auto [pfd, w] : llvm::zip(fds, busy)) {
      bool eof = false;
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        ssize_t n = ::read(w->resultFd, buf, sizeof(buf));
        if (n > 0)
          w->bytes.append(buf, n);
        else if (n == 0 || errno != EINTR)
          eof = true;
      }
      size_t end = llvm::StringRef(w->bytes).find(endRecord);
      if (end != llvm::StringRef::npos) {
        ExecPhase phase = ExecPhase::Import;
        TestOutcome outcome =
            parseRecords(llvm::StringRef(w->bytes).take_front(end + 1), phase);
        size_t index = w->current;
        w->current = -1;
        w->bytes.clear();
        onDone(index, std::move(outcome));
        ++done;
      }
      if (eof) {
        int status = stopWorker(*w);
        if (w->current >= 0) {
          size_t index = w->current;
          TestOutcome outcome = getDeathOutcome(*w, status, timeoutSeconds);
          w->current = -1;
          onDone(index, std::move(outcome));
          ++done;
        }
        continue;
      }
      if (w->current >= 0 && !w->killed &&
          Clock::now() - w->start > std::chrono::seconds(timeoutSeconds)) {
        ::kill(w->pid, SIGKILL);
        w->killed = true;
      }
    }
  }
  for (Worker &w : workers)
    if (w.pid > 0)
      stopWorker(w);
}
