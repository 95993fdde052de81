#include "core/blocking_pool.h"

namespace kefu {

BlockingPool::BlockingPool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

BlockingPool::~BlockingPool() { shutdown(); }

void BlockingPool::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      tasks_.push_back(std::move(task));
      wake_.notify_one();
      return;
    }
  }
  task();
}

void BlockingPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
}

void BlockingPool::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return closing_ || !tasks_.empty(); });
    if (tasks_.empty()) {
      return;  // closing and drained
    }
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace kefu
