#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace kefu::sip {

/** One reading of the process's clocks; both are running totals, only differences matter. */
struct CpuSample {
  std::chrono::nanoseconds cpu{0};   // CPU time of every thread of the process
  std::chrono::nanoseconds wall{0};  // monotonic time
};

/** What the meter judges against; see docs/sip.md ("Overload"). */
struct CpuMeterConfig {
  /** The budget as a percentage of all cores (85: 85 % of the machine); 0 turns the meter off. */
  double budget_percent = 0;
  /** Cores the percentage is a share of (at least 1). */
  unsigned cores = 1;
  /** Usage is judged over the samples of this last stretch of time. */
  std::chrono::nanoseconds window = std::chrono::seconds(1);
  /** Once overloaded, the meter is back to normal only below budget_percent * resume_ratio, so
   *  that admission does not flap around the budget. */
  double resume_ratio = 0.9;
};

/**
 * The process's CPU usage over a sliding window, with hysteresis: overloaded above the budget,
 * normal again below resume_ratio of it. Pure logic (samples come from outside, e.g. from
 * readCpuSample() on a timer), so tests drive it with made-up samples. Not thread-safe: one owner
 * adds and reads.
 */
class CpuMeter {
 public:
  explicit CpuMeter(CpuMeterConfig config);

  /** Adds a sample (wall times must not go back; a sample that does is dropped).
   *  @return true when the overloaded state changed with it. */
  bool add(CpuSample sample);
  /** @return whether the usage went above the budget and has not come back below its resume
   *  level since. Always false when the budget is 0 or before a whole window was sampled. */
  bool overloaded() const { return overloaded_; }
  /** @return the usage over the window in percent of all cores, or 0 before two samples. */
  double usagePercent() const { return usage_percent_; }

 private:
  CpuMeterConfig config_;
  std::deque<CpuSample> samples_;  // oldest first; the first one is at or before the window start
  double usage_percent_ = 0;
  bool overloaded_ = false;
};

/** @return the process's CPU time and the monotonic clock now (the real clocks). */
CpuSample readCpuSample();

/** @return the cores this process may run on (at least 1). */
unsigned availableCores();

}  // namespace kefu::sip
