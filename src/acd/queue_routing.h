#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "acd/queue.h"
#include "core/result.h"

namespace kefu::acd {

/**
 * The engine's view of one queue, built from a stored Queue by routingOf(): the engine reads the
 * settings here, `queue` keeps the rest (id, strategy, required skills). The settings' defaults
 * are Queue's.
 */
struct QueueRouting {
  Queue queue;
  std::vector<RelaxationStep> relaxation;              // ascending `after`
  std::size_t max_size = 0;                            // 0: unlimited; full and no rule: rejected
  std::vector<OverflowRule> overflow;                  // first matching rule wins
  std::chrono::milliseconds wrap_up{0};                // automatic wrap-up after each interaction
  std::chrono::milliseconds alert_timeout{20'000};     // ringing longer: no_answer
  std::chrono::milliseconds sticky_window{0};          // 0: no sticky agent
  std::chrono::milliseconds callback_timeout{60'000};  // reserved for a callback, not connected
  std::chrono::milliseconds short_abandon{5'000};      // for the figures; the engine only keeps it
  bool callback_enabled = true;
};

/** @return the routing of `queue`, its settings copied from the queue. */
QueueRouting routingOf(Queue queue);

/** @return the stored queue `routing` describes: `routing.queue` with the routing's settings. */
Queue queueOf(const QueueRouting& routing);

/**
 * @return InvalidArgument naming the field when `routing` breaks a rule: validate(queueOf()),
 * with the engine's field names (`relaxation[0].after`, `alert_timeout`: no `_ms`).
 */
Result<void> validate(const QueueRouting& routing);

}  // namespace kefu::acd
