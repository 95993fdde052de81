#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

namespace kefu::acd {

/**
 * Timers by deadline (ms on the owner's clock), the first scheduled first among equal deadlines so
 * that what one instant causes happens in the order it was decided. `T` is the timer's payload and
 * has an `at_ms` deadline. Not thread-safe: it lives on its owner's loop (the routing engine's).
 */
template <class T>
class TimerQueue {
 public:
  /** Arms `timer` for its `at_ms`. */
  void schedule(T timer) {
    const std::int64_t at_ms = timer.at_ms;
    heap_.push(Entry{at_ms, next_seq_++, std::move(timer)});
  }

  /** @return the earliest deadline, nullopt when nothing is armed. */
  std::optional<std::int64_t> nextAt() const {
    return heap_.empty() ? std::nullopt : std::optional<std::int64_t>{heap_.top().at_ms};
  }

  /** Removes the earliest timer due at `now_ms` or before. @return it, nullopt when none is. */
  std::optional<T> popDue(std::int64_t now_ms) {
    if (heap_.empty() || heap_.top().at_ms > now_ms) {
      return std::nullopt;
    }
    T timer = heap_.top().timer;
    heap_.pop();
    return timer;
  }

  /** @return how many timers are armed (fired or not yet). */
  std::size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    std::int64_t at_ms = 0;
    std::uint64_t seq = 0;
    T timer;
    bool operator>(const Entry& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : seq > o.seq;
    }
  };

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace kefu::acd
