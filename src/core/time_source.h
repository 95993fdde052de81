#pragma once

#include <chrono>
#include <mutex>

namespace kefu {

using SystemTime = std::chrono::system_clock::time_point;
using MonotonicTime = std::chrono::steady_clock::time_point;

/** Where code asks for the time, so tests can run on a simulated clock. Thread-safe. */
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  /** @return wall-clock time, for timestamps stored or shown. */
  virtual SystemTime systemTime() const = 0;
  /** @return monotonic time, for timeouts and durations. */
  virtual MonotonicTime monotonicTime() const = 0;
};

/** The machine's clocks. */
class RealTimeSource final : public TimeSource {
 public:
  SystemTime systemTime() const override { return std::chrono::system_clock::now(); }
  MonotonicTime monotonicTime() const override { return std::chrono::steady_clock::now(); }
};

/** A clock that moves only when a test says so; starts at a fixed, readable instant. */
class SimulatedTime final : public TimeSource {
 public:
  SystemTime systemTime() const override;
  MonotonicTime monotonicTime() const override;
  void advance(std::chrono::nanoseconds by);

 private:
  mutable std::mutex mutex_;
  std::chrono::nanoseconds elapsed_{0};
};

/** Milliseconds since the Unix epoch: how timestamps are stored. */
inline std::int64_t toUnixMillis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline SystemTime fromUnixMillis(std::int64_t ms) {
  return SystemTime{std::chrono::milliseconds{ms}};
}

}  // namespace kefu
