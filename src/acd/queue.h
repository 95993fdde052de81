#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acd/skill.h"
#include "core/repository.h"
#include "core/result.h"

namespace kefu::acd {

/** How a queue picks among the agents able to take an interaction. */
enum class RoutingStrategy { LongestIdle, LeastOccupied, RoundRobin, RingAll, SkillsBestMatch };

std::string_view toString(RoutingStrategy s);
std::optional<RoutingStrategy> parseRoutingStrategy(std::string_view s);
/** "longest_idle, least_occupied, …": for error messages and documentation. */
std::string_view routingStrategyNames();

/** A skill a queue's interactions need, at a minimum level. */
struct SkillRequirement {
  std::string skill_id;
  int min_level = MinSkillLevel;
  friend bool operator==(const SkillRequirement&, const SkillRequirement&) = default;
};

/** After `after` in a queue, every required skill accepts `min_level` (when lower than its own). */
struct RelaxationStep {
  std::chrono::milliseconds after{0};
  int min_level = MinSkillLevel;
  friend bool operator==(const RelaxationStep&, const RelaxationStep&) = default;
};

/**
 * Where an interaction goes when its queue is too long or it waited too long. `target` is a
 * queue id of the same engine (the interaction is Requeued there) or the name of an external
 * pool such as "cloud" (Overflowed: it leaves the engine). Stored targets that contain '_' are
 * queue ids (every id is `prefix_ULID`) and must name a stored queue; others are pool names.
 */
struct OverflowRule {
  std::chrono::milliseconds after_wait{0};  // > 0: a wait rule
  std::size_t above_size = 0;               // > 0: an arrival rule (queue holds this many or more)
  std::string target;
  friend bool operator==(const OverflowRule&, const OverflowRule&) = default;
};

/**
 * Where interactions wait for an agent: the stored queue with every routing setting, the one
 * source of truth routing is built from (acd/queue_routing.h). The defaults make a plain queue:
 * no relaxation, no limits, no wrap-up.
 */
struct Queue {
  std::string id;
  std::string name;  // unique
  RoutingStrategy strategy = RoutingStrategy::LongestIdle;
  std::vector<SkillRequirement> required_skills;
  int service_level_seconds = 20;  // answered within this counts towards the service level
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // The routing settings come after the timestamps so that positional initializers written
  // before they were stored still compile.
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

/** The most relaxation steps and overflow rules one queue may have. */
constexpr std::size_t MaxQueueRules = 20;
/** The longest duration a queue setting may hold (one day), so deadlines never overflow. */
constexpr std::chrono::milliseconds MaxQueueDuration{86'400'000};
/** The largest `max_size` and `above_size`. */
constexpr std::size_t MaxQueueSize = 1'000'000;

/**
 * @return InvalidArgument naming the field as the API spells it (`relaxation[0].after_ms`,
 * `alert_timeout_ms`, …) when `queue` breaks a rule. Whether an overflow target names a stored
 * queue is the repository's check.
 */
Result<void> validate(const Queue& queue);

using QueueRepository = Repository<Queue>;

}  // namespace kefu::acd
