#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "acd/routing_event.h"

// Short builders of routing log events for the figure tests; times are given in seconds.

namespace kefu::acd::log_builders {

inline constexpr std::int64_t Sec = 1000;

/** @return an interaction's event at `at_s` seconds. */
inline RoutingEvent ev(RoutingEventType type, std::int64_t at_s, std::string interaction,
                       std::string queue, std::string agent = "", std::string target = "") {
  RoutingEvent e;
  e.type = type;
  e.at_ms = at_s * Sec;
  e.interaction_id = std::move(interaction);
  e.queue_id = std::move(queue);
  e.agent_id = std::move(agent);
  e.target = std::move(target);
  return e;
}

/** @return an agent's state change at `at_s` seconds. */
inline RoutingEvent state(std::int64_t at_s, std::string agent, AgentState s,
                          std::string reason = "") {
  RoutingEvent e;
  e.type = RoutingEventType::AgentStateChanged;
  e.at_ms = at_s * Sec;
  e.agent_id = std::move(agent);
  e.state = s;
  e.reason = std::move(reason);
  return e;
}

}  // namespace kefu::acd::log_builders
