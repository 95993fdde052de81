#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/task.h"
#include "core/time_source.h"

namespace kefu {

/**
 * One thread's run loop: tasks posted from any thread run in order on the loop's thread, and
 * timers fire on it. The thread that calls run() becomes the loop's thread; tests drive it
 * without a thread through runReadyForTest() and a SimulatedTime.
 */
class EventLoop {
 public:
  using TimerId = std::uint64_t;

  explicit EventLoop(const TimeSource& time) : time_(time) {}
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /** Queues `task` to run on the loop's thread. Any thread. */
  void post(Task task);
  /** Runs `task` on the loop's thread once `delay` has passed on the time source. Any thread. */
  TimerId postAfter(std::chrono::nanoseconds delay, Task task);
  /** Cancels a timer that has not fired; @return whether it was still pending. Any thread. */
  bool cancel(TimerId id);

  /** Runs tasks and timers on the calling thread until stop(); at once when already stopped. */
  void run();
  /** Makes run() return after the task it is running. Any thread. */
  void stop();
  /** @return whether the caller runs on this loop's thread. */
  bool isThisThread() const { return std::this_thread::get_id() == thread_id_; }

  /** Runs every posted task and due timer without blocking; @return how many ran. */
  std::size_t runReadyForTest();

 private:
  std::size_t runReady(std::unique_lock<std::mutex>& lock);

  // not owned, outlives this
  const TimeSource& time_;
  // owned
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  std::map<std::pair<MonotonicTime, TimerId>, Task> timers_;
  std::map<TimerId, MonotonicTime> timer_due_;
  TimerId next_timer_ = 1;
  bool stopping_ = false;
  std::thread::id thread_id_{};
};

}  // namespace kefu
