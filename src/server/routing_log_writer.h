#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "acd/routing_log.h"

namespace kefu::server {

/**
 * Stores the site's routing events in order, off the control loop: the loop hands each event over
 * without waiting on storage, and one thread of its own appends them in batches. An append that
 * fails is tried again a second later with what arrived meanwhile, so a database that is briefly
 * away loses nothing; stop() writes what is left.
 */
class RoutingLogWriter {
 public:
  explicit RoutingLogWriter(acd::RoutingLog& log);
  /** Stops, writing what is left. */
  ~RoutingLogWriter();
  RoutingLogWriter(const RoutingLogWriter&) = delete;
  RoutingLogWriter& operator=(const RoutingLogWriter&) = delete;

  /** Queues one event (wall-clock ms) behind the ones before it. Any thread. */
  void add(const acd::RoutingEvent& event);
  /** Writes what is queued, then stops the thread (one last attempt if storage fails).
   *  Idempotent; any thread. */
  void stop();

 private:
  void run();

  // not owned, outlives this
  acd::RoutingLog& log_;
  // owned
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<acd::RoutingEvent> queued_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kefu::server
