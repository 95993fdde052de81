#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "acd/routing_event.h"
#include "core/result.h"

namespace kefu::acd {

/**
 * The stored routing event log (an append-only log; `store/` implements it), from which a site
 * that restarts rebuilds its figures. Times are wall-clock ms since the Unix epoch. Blocks on
 * storage: call from a pool thread. Thread-safe.
 */
class RoutingLog {
 public:
  virtual ~RoutingLog() = default;
  /** Appends `events` in order, in one transaction. */
  virtual Result<void> append(std::span<const RoutingEvent> events) = 0;
  /** @return the events at or after `from_ms`, in the order they were appended. */
  virtual Result<std::vector<RoutingEvent>> since(std::int64_t from_ms) = 0;
};

}  // namespace kefu::acd
