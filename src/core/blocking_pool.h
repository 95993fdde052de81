#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/task.h"

namespace kefu {

/**
 * Threads for work that blocks (storage, file I/O, outbound HTTP), so no event loop waits on it.
 * The results go back to whoever asked by the task itself posting them.
 */
class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads);
  /** Finishes every queued task, then joins. */
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  /** Queues `task` for some pool thread. Any thread; after shutdown() it runs on the caller. */
  void submit(Task task);
  /** Stops taking work, runs what is queued and joins the threads. Idempotent. */
  void shutdown();
  std::size_t threadCount() const { return threads_.size(); }

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kefu
