#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace kefu::media::testing {

/**
 * A program the test starts (e.g. gst-launch-1.0) and always stops: the destructor sends
 * SIGINT, then SIGKILL if it has not exited after a grace period. stdout and stderr go to a log
 * file.
 */
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /** Waits up to `timeout` for the program to exit; @return its exit status, or -1 if running. */
  int wait(std::chrono::milliseconds timeout);
  /** Sends SIGINT and waits up to `grace` before SIGKILL; @return the exit status. */
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

/**
 * A program the test talks to over its stdin and stdout, line by line (stderr goes to a log file).
 * It runs in its own process group, and the destructor kills the whole group (a browser started by
 * node goes with it).
 */
class PipedProcess {
 public:
  PipedProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~PipedProcess();
  PipedProcess(const PipedProcess&) = delete;
  PipedProcess& operator=(const PipedProcess&) = delete;

  /** @return the next line of its stdout, or "" when none came within `timeout` (or it exited). */
  std::string readLine(std::chrono::milliseconds timeout);
  void writeLine(const std::string& line);

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string pending_;
};

/** @return a UDP port on 127.0.0.1 that was free a moment ago. */
uint16_t freeUdpPort();

}  // namespace kefu::media::testing
