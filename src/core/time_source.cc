#include "core/time_source.h"

namespace kefu {
namespace {
// 2026-01-01T00:00:00Z: simulated timestamps are easy to read in a failing test.
constexpr std::chrono::seconds SimulatedEpoch{1767225600};
}  // namespace

SystemTime SimulatedTime::systemTime() const {
  std::lock_guard lock(mutex_);
  return SystemTime{std::chrono::duration_cast<SystemTime::duration>(SimulatedEpoch + elapsed_)};
}

MonotonicTime SimulatedTime::monotonicTime() const {
  std::lock_guard lock(mutex_);
  return MonotonicTime{std::chrono::duration_cast<MonotonicTime::duration>(elapsed_)};
}

void SimulatedTime::advance(std::chrono::nanoseconds by) {
  std::lock_guard lock(mutex_);
  elapsed_ += by;
}

}  // namespace kefu
