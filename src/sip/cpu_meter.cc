#include "sip/cpu_meter.h"

#include <sched.h>
#include <time.h>

#include <algorithm>

namespace kefu::sip {
namespace {

std::chrono::nanoseconds readClock(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

CpuMeter::CpuMeter(CpuMeterConfig config) : config_(config) {
  config_.cores = std::max(1u, config_.cores);
  config_.resume_ratio = std::clamp(config_.resume_ratio, 0.0, 1.0);
}

bool CpuMeter::add(CpuSample sample) {
  if (!samples_.empty() && sample.wall < samples_.back().wall) {
    return false;
  }
  samples_.push_back(sample);
  // Keep one sample at or before the start of the window, so the window is always covered.
  while (samples_.size() > 2 && samples_[1].wall <= sample.wall - config_.window) {
    samples_.pop_front();
  }
  const CpuSample& first = samples_.front();
  const auto wall = sample.wall - first.wall;
  if (wall <= std::chrono::nanoseconds(0)) {
    return false;
  }
  const auto cpu = std::max(std::chrono::nanoseconds(0), sample.cpu - first.cpu);
  usage_percent_ = 100.0 * static_cast<double>(cpu.count()) /
                   (static_cast<double>(wall.count()) * config_.cores);
  const bool was = overloaded_;
  if (config_.budget_percent <= 0) {
    overloaded_ = false;
  } else if (!overloaded_) {
    // A short start (less than a window of samples) says little: judge only a whole window.
    overloaded_ = wall >= config_.window && usage_percent_ > config_.budget_percent;
  } else {
    overloaded_ = usage_percent_ >= config_.budget_percent * config_.resume_ratio;
  }
  return overloaded_ != was;
}

CpuSample readCpuSample() {
  return CpuSample{readClock(CLOCK_PROCESS_CPUTIME_ID), readClock(CLOCK_MONOTONIC)};
}

unsigned availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return 1;
}

}  // namespace kefu::sip
