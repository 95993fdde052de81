#include "store/internal/sql_call_record_repository.h"

#include <algorithm>
#include <optional>

#include "store/internal/sql_replication.h"

namespace kefu::store::internal {
namespace {

// Columns 0–16; the caller's two columns are 3 and 4.

SqlValue optionalReal(const std::optional<call::CallQuality>& quality, double value) {
  return quality ? SqlValue{value} : SqlValue{};
}

}  // namespace

std::string callerContext(std::string_view call_id) {
  return "call_events.caller:" + std::string(call_id);
}

Result<void> SqlCallRecordRepository::append(const call::CallEvent& event) {
  if (event.call_id.empty()) {
    return Error::invalid("call_id", "a call event needs its call id");
  }
  SqlValue caller;
  SqlValue caller_token;
  if (!event.caller.empty()) {
    if (cipher_) {
      auto sealed = cipher_->seal(event.caller, callerContext(event.call_id));
      if (!sealed) {
        return sealed.error();
      }
      caller = std::move(sealed).value();
    } else if (caller_in_clear_) {
      caller = event.caller;
    }  // else this site may not keep it: NULL, the token alone stays.
    if (tokenizer_) {
      if (auto token = tokenizer_->phoneToken(event.caller)) {
        caller_token = std::move(*token);
      }
    }
  }
  const auto& q = event.quality;
  SqlValue round_trip = q && q->round_trip_ms ? SqlValue{*q->round_trip_ms} : SqlValue{};
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO call_events (call_id, type, at_ms, caller, caller_token, dialed, "
        "entry_point_id, queue_id, agent_id, target, cause, detail, mos, loss_pct, jitter_ms, "
        "round_trip_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16)",
        {event.call_id, std::string(call::toString(event.type)), event.at_ms, caller, caller_token,
         event.dialed, event.entry_point_id, event.queue_id, event.agent_id, event.target,
         event.cause, event.detail, optionalReal(q, q ? q->mos : 0),
         optionalReal(q, q ? q->loss_pct : 0), optionalReal(q, q ? q->jitter_ms : 0), round_trip});
    if (!inserted.ok()) {
      return inserted.error();
    }
    if (!outbox_) {
      return {};
    }
    // An edge site owns the calls it takes: the event and its outbox entry commit together. The
    // outbox number is taken first (its row stays locked until commit), so the count below sees
    // every earlier event of the call and numbers this one after them.
    auto seq = reserveOutboxSeq(session);
    if (!seq) {
      return seq.error();
    }
    auto held =
        session.query("SELECT COUNT(*) FROM call_events WHERE call_id = $1", {event.call_id});
    if (!held) {
      return held.error();
    }
    const std::int64_t ordinal = held->front().int64(0) - 1;  // this event is counted too
    // What crosses is what this site stored: never the caller's number, only its token.
    return insertOutbox(session, *seq, CallEventEntity, event.call_id, "upsert",
                        callEventLinkPayload(ordinal, event,
                                             std::holds_alternative<std::string>(caller_token)
                                                 ? std::get<std::string>(caller_token)
                                                 : std::string()),
                        event.at_ms);
  });
}

Result<call::CallEvent> SqlCallRecordRepository::toEvent(const SqlRow& row) const {
  call::CallEvent event;
  event.call_id = row.text(0);
  const std::string type = row.text(1);
  const auto parsed = call::parseCallEventType(type);
  if (!parsed) {
    return Error::internal("call " + event.call_id + " has an event of unknown stored type '" +
                           type + "'");
  }
  event.type = *parsed;
  event.at_ms = row.int64(2);
  std::string caller = row.text(3);
  if (privacy::FieldCipher::isSealed(caller)) {
    if (cipher_) {
      auto plain = cipher_->open(caller, callerContext(event.call_id));
      if (!plain) {
        return Error::internal("the caller of call " + event.call_id +
                               " does not decrypt: " + plain.error().message);
      }
      caller = std::move(plain).value();
    } else {
      caller.clear();  // this site cannot read personal data
    }
  }
  event.caller = caller.empty() ? row.text(4) : std::move(caller);
  event.dialed = row.text(5);
  event.entry_point_id = row.text(6);
  event.queue_id = row.text(7);
  event.agent_id = row.text(8);
  event.target = row.text(9);
  event.cause = row.text(10);
  event.detail = row.text(11);
  if (!row.isNull(12)) {
    call::CallQuality quality;
    quality.mos = row.real(12);
    quality.loss_pct = row.real(13);
    quality.jitter_ms = row.real(14);
    if (!row.isNull(15)) {
      quality.round_trip_ms = row.real(15);
    }
    event.quality = quality;
  }
  return event;
}

Result<void> SqlCallRecordRepository::groupByCall(
    const SqlRows& rows, std::vector<std::vector<call::CallEvent>>& calls) const {
  for (const SqlRow& row : rows) {
    auto event = toEvent(row);
    if (!event.ok()) {
      return event.error();
    }
    if (calls.empty() || calls.back().front().call_id != event->call_id) {
      calls.emplace_back();
    }
    calls.back().push_back(std::move(event).value());
  }
  return {};
}

Result<std::vector<call::CallEvent>> SqlCallRecordRepository::eventsOf(std::string_view call_id) {
  std::vector<call::CallEvent> events;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = "SELECT " + std::string(EventColumns) +
                                   " FROM call_events e WHERE e.call_id = $1 ORDER BY e.seq";
    auto rows = session.query(sql, {std::string(call_id)});
    if (!rows.ok()) {
      return rows.error();
    }
    events.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto event = toEvent(row);
      if (!event.ok()) {
        return event.error();
      }
      events.push_back(std::move(event).value());
    }
    return {};
  }));
  return events;
}

Result<std::vector<std::vector<call::CallEvent>>> SqlCallRecordRepository::calls(
    std::int64_t from_ms, std::int64_t to_ms, std::size_t limit) {
  std::vector<std::vector<call::CallEvent>> calls;
  if (limit == 0 || from_ms >= to_ms) {
    return calls;
  }
  limit = std::min(limit, MaxCalls);
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    // One statement, so the calls and their events come from one snapshot. A call's rows arrive
    // together: ordered by its creation (newest first), then by append order.
    static const std::string sql =
        "SELECT " + std::string(EventColumns) +
        " FROM call_events e JOIN (SELECT call_id, MAX(at_ms) AS created_ms, MAX(seq) AS "
        "created_seq FROM call_events WHERE type = $4 AND at_ms >= $1 AND at_ms < $2 "
        "GROUP BY call_id ORDER BY created_ms DESC, created_seq DESC LIMIT $3) c "
        "ON e.call_id = c.call_id ORDER BY c.created_ms DESC, c.created_seq DESC, e.seq";
    auto rows = session.query(sql, {from_ms, to_ms, static_cast<std::int64_t>(limit),
                                    std::string(call::toString(call::CallEventType::Created))});
    if (!rows.ok()) {
      return rows.error();
    }
    return groupByCall(*rows, calls);
  }));
  return calls;
}

}  // namespace kefu::store::internal
