#include "core/event_loop.h"

namespace kefu {

void EventLoop::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

EventLoop::TimerId EventLoop::postAfter(std::chrono::nanoseconds delay, Task task) {
  TimerId id;
  {
    std::lock_guard lock(mutex_);
    id = next_timer_++;
    auto due = time_.monotonicTime() + std::chrono::duration_cast<MonotonicTime::duration>(delay);
    timers_.emplace(std::pair{due, id}, std::move(task));
    timer_due_.emplace(id, due);
  }
  wake_.notify_one();
  return id;
}

bool EventLoop::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  auto it = timer_due_.find(id);
  if (it == timer_due_.end()) {
    return false;
  }
  timers_.erase(std::pair{it->second, id});
  timer_due_.erase(it);
  return true;
}

std::size_t EventLoop::runReady(std::unique_lock<std::mutex>& lock) {
  std::size_t ran = 0;
  // Tasks posted while these run wait for the next round, so a task that re-posts itself
  // cannot starve timers.
  std::deque<Task> batch;
  batch.swap(tasks_);
  auto now = time_.monotonicTime();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_due_.erase(node.key().second);
    batch.push_back(std::move(node.mapped()));
  }
  lock.unlock();
  for (auto& task : batch) {
    task();
    ++ran;
  }
  lock.lock();
  return ran;
}

void EventLoop::run() {
  thread_id_ = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  // A stop() that came before run() counts: the owner may stop a loop whose thread has not
  // started running yet.
  while (!stopping_) {
    if (runReady(lock) > 0) {
      continue;
    }
    if (stopping_) {
      break;
    }
    if (timers_.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty() || !timers_.empty(); });
    } else {
      // Timers are kept on the TimeSource's clock; wait the same span on the steady clock.
      auto wait = timers_.begin()->first.first - time_.monotonicTime();
      wake_.wait_for(lock, wait, [&] { return stopping_ || !tasks_.empty(); });
    }
  }
}

void EventLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

std::size_t EventLoop::runReadyForTest() {
  thread_id_ = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  std::size_t total = 0;
  for (std::size_t ran; (ran = runReady(lock)) > 0;) {
    total += ran;
  }
  return total;
}

}  // namespace kefu
