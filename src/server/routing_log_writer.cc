#include "server/routing_log_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace kefu::server {

namespace {
constexpr auto RetryAfter = std::chrono::seconds(1);
}  // namespace

RoutingLogWriter::RoutingLogWriter(acd::RoutingLog& log) : log_(log) {
  thread_ = std::thread([this] { run(); });
}

RoutingLogWriter::~RoutingLogWriter() { stop(); }

void RoutingLogWriter::add(const acd::RoutingEvent& event) {
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(event);
  }
  wake_.notify_one();
}

void RoutingLogWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void RoutingLogWriter::run() {
  std::vector<acd::RoutingEvent> batch;  // taken from the queue, not stored yet
  std::unique_lock lock(mutex_);
  for (;;) {
    if (batch.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    } else {
      // The last append failed: try again a little later (at once when stopping).
      wake_.wait_for(lock, RetryAfter, [this] { return stopping_; });
    }
    batch.insert(batch.end(), std::make_move_iterator(queued_.begin()),
                 std::make_move_iterator(queued_.end()));
    queued_.clear();
    if (batch.empty()) {
      return;  // stopping, and everything is stored
    }
    const bool last_chance = stopping_;
    lock.unlock();
    auto appended = log_.append(batch);
    lock.lock();
    if (appended.ok()) {
      batch.clear();
    } else if (last_chance) {
      spdlog::error("routing log: {} event(s) not stored at stop: {}", batch.size(),
                    appended.error().message);
      return;
    } else {
      spdlog::warn("routing log: {} event(s) not stored yet, trying again: {}", batch.size(),
                   appended.error().message);
    }
  }
}

}  // namespace kefu::server
