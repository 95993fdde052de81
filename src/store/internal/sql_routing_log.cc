#include "store/internal/sql_routing_log.h"

#include <optional>
#include <string>

namespace kefu::store::internal {
namespace {

/** @return the value of `Enum` named `text` through acd::toString (one list of names). */
template <class Enum>
std::optional<Enum> parseName(std::string_view text, Enum last) {
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    if (acd::toString(static_cast<Enum>(i)) == text) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<void> SqlRoutingLog::append(std::span<const acd::RoutingEvent> events) {
  if (events.empty()) {
    return {};
  }
  return database_.transact([&](SqlSession& session) -> Result<void> {
    for (const auto& e : events) {
      auto inserted = session.exec(
          "INSERT INTO routing_events (type, at_ms, interaction_id, queue_id, agent_id, target, "
          "channel, state, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          {std::string(acd::toString(e.type)), e.at_ms, e.interaction_id, e.queue_id, e.agent_id,
           e.target, std::string(acd::toString(e.channel)), std::string(acd::toString(e.state)),
           e.reason});
      if (!inserted.ok()) {
        return inserted.error();
      }
    }
    return {};
  });
}

Result<std::vector<acd::RoutingEvent>> SqlRoutingLog::since(std::int64_t from_ms) {
  std::vector<acd::RoutingEvent> events;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT seq, type, at_ms, interaction_id, queue_id, agent_id, target, channel, state, "
        "reason FROM routing_events WHERE at_ms >= $1 ORDER BY seq",
        {from_ms});
    if (!rows.ok()) {
      return rows.error();
    }
    events.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto type = parseName(row.text(1), acd::RoutingEventType::AgentStateChanged);
      auto channel = parseName(row.text(7), acd::Channel::Chat);
      auto state = parseName(row.text(8), acd::AgentState::WrapUp);
      if (!type || !channel || !state) {
        return Error::internal("routing event " + std::to_string(row.int64(0)) +
                               " has an unknown stored type, channel or state");
      }
      acd::RoutingEvent e;
      e.type = *type;
      e.at_ms = row.int64(2);
      e.interaction_id = row.text(3);
      e.queue_id = row.text(4);
      e.agent_id = row.text(5);
      e.target = row.text(6);
      e.channel = *channel;
      e.state = *state;
      e.reason = row.text(9);
      events.push_back(std::move(e));
    }
    return {};
  }));
  return events;
}

}  // namespace kefu::store::internal
