#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "acd/queue.h"
#include "core/result.h"

namespace kefu::acd {

/** After `after` in a queue, every required skill accepts `min_level` (when lower than its own). */
struct RelaxationStep {
  std::chrono::milliseconds after{0};
  int min_level = MinSkillLevel;
};

/**
 * Where an interaction goes when its queue is too long or it waited too long. `target` is a
 * queue id of the same engine (the interaction is Requeued there) or the name of an external
 * pool such as "cloud" (Overflowed: it leaves the engine).
 */
struct OverflowRule {
  std::chrono::milliseconds after_wait{0};  // > 0: a wait rule
  std::size_t above_size = 0;               // > 0: an arrival rule (queue holds this many or more)
  std::string target;
};

/**
 * The engine's view of one queue: the stored Queue plus the routing settings that are not (yet)
 * stored. The defaults make a plain queue: no relaxation, no limits, no wrap-up.
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

/** @return InvalidArgument naming the field when `routing` breaks a rule. */
Result<void> validate(const QueueRouting& routing);

}  // namespace kefu::acd
