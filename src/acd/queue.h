#pragma once

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

/** Where interactions wait for an agent. */
struct Queue {
  std::string id;
  std::string name;  // unique
  RoutingStrategy strategy = RoutingStrategy::LongestIdle;
  std::vector<SkillRequirement> required_skills;
  int service_level_seconds = 20;  // answered within this counts towards the service level
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/** @return InvalidArgument naming the field when `queue` breaks a rule. */
Result<void> validate(const Queue& queue);

using QueueRepository = Repository<Queue>;

}  // namespace kefu::acd
