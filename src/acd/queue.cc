#include "acd/queue.h"

#include <array>
#include <utility>

namespace kefu::acd {
namespace {
constexpr std::array<std::pair<RoutingStrategy, std::string_view>, 5> StrategyNames{{
    {RoutingStrategy::LongestIdle, "longest_idle"},
    {RoutingStrategy::LeastOccupied, "least_occupied"},
    {RoutingStrategy::RoundRobin, "round_robin"},
    {RoutingStrategy::RingAll, "ring_all"},
    {RoutingStrategy::SkillsBestMatch, "skills_best_match"},
}};
}  // namespace

std::string_view toString(RoutingStrategy s) {
  for (auto [strategy, name] : StrategyNames) {
    if (strategy == s) {
      return name;
    }
  }
  return "longest_idle";
}

std::optional<RoutingStrategy> parseRoutingStrategy(std::string_view s) {
  for (auto [strategy, name] : StrategyNames) {
    if (name == s) {
      return strategy;
    }
  }
  return std::nullopt;
}

std::string_view routingStrategyNames() {
  return "longest_idle, least_occupied, round_robin, ring_all, skills_best_match";
}

}  // namespace kefu::acd
