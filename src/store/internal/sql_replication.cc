#include "store/internal/sql_replication.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

namespace kefu::store::internal {
namespace {

/** @return the integer in `text`, or nullopt unless it is all digits (and fits). */
std::optional<std::int64_t> parseInt(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

/** A customer's link form, parsed. */
struct CustomerLink {
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::vector<std::pair<std::string, std::string>> tokens;  // kind, token
};

bool isTokenText(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

/** Parses what customerLinkPayload wrote; the far site's bytes, so nothing is trusted. */
Result<CustomerLink> parseCustomerLink(std::string_view payload) {
  CustomerLink link;
  bool created = false;
  bool updated = false;
  while (!payload.empty()) {
    auto newline = payload.find('\n');
    std::string_view line = payload.substr(0, newline);
    payload = newline == std::string_view::npos ? std::string_view{} : payload.substr(newline + 1);
    auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Error::invalid("payload", "a line without '='");
    }
    std::string_view key = line.substr(0, equals);
    std::string_view value = line.substr(equals + 1);
    if (key == "created_at" || key == "updated_at") {
      auto n = parseInt(value);
      if (!n) {
        return Error::invalid("payload", std::string(key) + " is not a number");
      }
      (key == "created_at" ? link.created_at_ms : link.updated_at_ms) = *n;
      (key == "created_at" ? created : updated) = true;
    } else if (key == "token") {
      auto colon = value.find(':');
      if (colon == std::string_view::npos) {
        return Error::invalid("payload", "a token without its kind");
      }
      std::string_view kind = value.substr(0, colon);
      std::string_view token = value.substr(colon + 1);
      if ((kind != "phone" && kind != "id_number") || !isTokenText(token) ||
          link.tokens.size() >= 32) {
        return Error::invalid("payload", "a malformed token");
      }
      link.tokens.emplace_back(kind, token);
    } else {
      return Error::invalid("payload", "unknown key " + std::string(key.substr(0, 32)));
    }
  }
  if (!created || !updated) {
    return Error::invalid("payload", "created_at and updated_at are required");
  }
  return link;
}

/** FNV-1a 64: a stable checksum, the same on every site and build. */
std::string checksum(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash = (hash ^ c) * 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

bool isEntityId(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

/** @return `text` with backslashes and line breaks escaped, so it fits on one payload line. */
std::string escapeLinkText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** @return what escapeLinkText escaped, or nullopt for an escape it never writes. */
std::optional<std::string> unescapeLinkText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) {
      return std::nullopt;
    }
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

/** @return `value` in the shortest form that reads back exactly. */
std::string formatReal(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("0");
}

std::optional<double> parseReal(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

/** A call event's link form, parsed. */
struct CallEventLink {
  std::int64_t ordinal = 0;
  call::CallEvent event;
  std::string caller_token;
};

/** Parses what callEventLinkPayload wrote; the far site's bytes, so nothing is trusted. */
Result<CallEventLink> parseCallEventLink(std::string_view payload) {
  CallEventLink link;
  bool ordinal = false;
  bool type = false;
  bool at = false;
  std::optional<double> mos;
  std::optional<double> loss;
  std::optional<double> jitter;
  std::optional<double> round_trip;
  while (!payload.empty()) {
    auto newline = payload.find('\n');
    std::string_view line = payload.substr(0, newline);
    payload = newline == std::string_view::npos ? std::string_view{} : payload.substr(newline + 1);
    auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Error::invalid("payload", "a line without '='");
    }
    const std::string_view key = line.substr(0, equals);
    auto value = unescapeLinkText(line.substr(equals + 1));
    // No limit per value beyond the link message's own (sync::MaxLinkMessageBytes): an event
    // refused here would hold back every later event of its call for good.
    if (!value) {
      return Error::invalid("payload", "a malformed value of " + std::string(key.substr(0, 32)));
    }
    auto real = [&](std::optional<double>& out) -> bool {
      out = parseReal(*value);
      return out.has_value();
    };
    bool ok = true;
    if (key == "n") {
      auto n = parseInt(*value);
      ok = n.has_value() && *n < 1'000'000;
      link.ordinal = n.value_or(0);
      ordinal = true;
    } else if (key == "type") {
      auto parsed = call::parseCallEventType(*value);
      ok = parsed.has_value();
      link.event.type = parsed.value_or(call::CallEventType::Created);
      type = true;
    } else if (key == "at_ms") {
      auto n = parseInt(*value);
      ok = n.has_value();
      link.event.at_ms = n.value_or(0);
      at = true;
    } else if (key == "caller_token") {
      ok = value->empty() || isTokenText(*value);
      link.caller_token = std::move(*value);
    } else if (key == "dialed") {
      link.event.dialed = std::move(*value);
    } else if (key == "entry_point_id") {
      link.event.entry_point_id = std::move(*value);
    } else if (key == "queue_id") {
      link.event.queue_id = std::move(*value);
    } else if (key == "agent_id") {
      link.event.agent_id = std::move(*value);
    } else if (key == "target") {
      link.event.target = std::move(*value);
    } else if (key == "cause") {
      link.event.cause = std::move(*value);
    } else if (key == "detail") {
      link.event.detail = std::move(*value);
    } else if (key == "mos") {
      ok = real(mos);
    } else if (key == "loss_pct") {
      ok = real(loss);
    } else if (key == "jitter_ms") {
      ok = real(jitter);
    } else if (key == "round_trip_ms") {
      ok = real(round_trip);
    } else {
      return Error::invalid("payload", "unknown key " + std::string(key.substr(0, 32)));
    }
    if (!ok) {
      return Error::invalid("payload", "a malformed " + std::string(key));
    }
  }
  if (!ordinal || !type || !at) {
    return Error::invalid("payload", "n, type and at_ms are required");
  }
  if (mos || loss || jitter || round_trip) {
    if (!mos || !loss || !jitter) {
      return Error::invalid("payload", "call quality needs mos, loss_pct and jitter_ms");
    }
    link.event.quality = call::CallQuality{*mos, *loss, *jitter, round_trip};
  }
  return link;
}

/** Columns of call_events in the order callEventOfRow reads them. */
constexpr std::string_view CallEventColumns =
    "e.call_id, e.type, e.at_ms, e.caller_token, e.dialed, e.entry_point_id, e.queue_id, "
    "e.agent_id, e.target, e.cause, e.detail, e.mos, e.loss_pct, e.jitter_ms, e.round_trip_ms";

/** @return the stored event of `row` (CallEventColumns) and its caller token. */
std::pair<call::CallEvent, std::string> callEventOfRow(const SqlRow& row) {
  call::CallEvent event;
  event.call_id = row.text(0);
  event.type = call::parseCallEventType(row.text(1)).value_or(call::CallEventType::Created);
  event.at_ms = row.int64(2);
  event.dialed = row.text(4);
  event.entry_point_id = row.text(5);
  event.queue_id = row.text(6);
  event.agent_id = row.text(7);
  event.target = row.text(8);
  event.cause = row.text(9);
  event.detail = row.text(10);
  if (!row.isNull(11)) {
    event.quality =
        call::CallQuality{row.real(11), row.real(12), row.real(13),
                          row.isNull(14) ? std::nullopt : std::optional<double>(row.real(14))};
  }
  return {std::move(event), row.text(3)};
}

/**
 * Records in `sync_inbox` that change `seq` of the origin's entity is applied. @return false when
 * it (or a later change of the entity) was applied already: nothing to do.
 */
Result<bool> advanceInbox(SqlSession& session, const InboundChange& change) {
  auto last = session.query(
      "SELECT last_seq FROM sync_inbox WHERE origin = $1 AND entity_type = $2 AND entity_id = $3",
      {change.origin, change.entity_type, change.entity_id});
  if (!last) {
    return last.error();
  }
  if (!last->empty() && last->front().int64(0) >= change.seq) {
    return false;
  }
  auto position = last->empty()
                      ? session.exec(
                            "INSERT INTO sync_inbox (origin, entity_type, entity_id, last_seq) "
                            "VALUES ($1, $2, $3, $4)",
                            {change.origin, change.entity_type, change.entity_id, change.seq})
                      : session.exec(
                            "UPDATE sync_inbox SET last_seq = $4 WHERE origin = $1 AND "
                            "entity_type = $2 AND entity_id = $3",
                            {change.origin, change.entity_type, change.entity_id, change.seq});
  if (!position) {
    return position.error();
  }
  return true;
}

}  // namespace

Result<std::int64_t> reserveOutboxSeq(SqlSession& session) {
  // UPDATE … RETURNING locks the counter row until commit on both backends.
  auto counter =
      session.query("UPDATE sync_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq", {});
  if (!counter) {
    return counter.error();
  }
  if (counter->empty()) {
    return Error::internal("sync_counter has no row");
  }
  return counter->front().int64(0);
}

Result<void> insertOutbox(SqlSession& session, std::int64_t seq, std::string_view entity_type,
                          std::string_view entity_id, std::string_view op, std::string_view payload,
                          std::int64_t at_ms) {
  auto inserted = session.exec(
      "INSERT INTO sync_outbox (seq, entity_type, entity_id, op, payload, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {seq, std::string(entity_type), std::string(entity_id), std::string(op), std::string(payload),
       at_ms});
  if (!inserted) {
    return inserted.error();
  }
  return {};
}

Result<std::int64_t> appendOutbox(SqlSession& session, std::string_view backend,
                                  std::string_view entity_type, std::string_view entity_id,
                                  std::string_view op, std::string_view payload,
                                  std::int64_t at_ms) {
  (void)backend;
  auto seq = reserveOutboxSeq(session);
  if (!seq) {
    return seq.error();
  }
  KEFU_TRY(insertOutbox(session, *seq, entity_type, entity_id, op, payload, at_ms));
  return *seq;
}

std::string callEventLinkPayload(std::int64_t ordinal, const call::CallEvent& event,
                                 std::string_view caller_token) {
  std::string out = "n=" + std::to_string(ordinal);
  auto add = [&out](std::string_view key, std::string_view value) {
    out += '\n';
    out += key;
    out += '=';
    out += escapeLinkText(value);
  };
  add("type", call::toString(event.type));
  add("at_ms", std::to_string(event.at_ms));
  add("caller_token", caller_token);
  add("dialed", event.dialed);
  add("entry_point_id", event.entry_point_id);
  add("queue_id", event.queue_id);
  add("agent_id", event.agent_id);
  add("target", event.target);
  add("cause", event.cause);
  add("detail", event.detail);
  if (event.quality) {
    add("mos", formatReal(event.quality->mos));
    add("loss_pct", formatReal(event.quality->loss_pct));
    add("jitter_ms", formatReal(event.quality->jitter_ms));
    if (event.quality->round_trip_ms) {
      add("round_trip_ms", formatReal(*event.quality->round_trip_ms));
    }
  }
  return out;
}

std::string customerLinkPayload(std::int64_t created_at_ms, std::int64_t updated_at_ms,
                                const std::vector<std::pair<std::string, std::string>>& tokens) {
  std::string out = "created_at=" + std::to_string(created_at_ms) +
                    "\nupdated_at=" + std::to_string(updated_at_ms);
  auto sorted = tokens;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [kind, token] : sorted) {
    out += "\ntoken=" + kind + ":" + token;
  }
  return out;
}

Result<std::vector<OutboxEntry>> SqlReplication::pendingOutbox(std::int64_t after_seq,
                                                               std::size_t limit) {
  std::vector<OutboxEntry> entries;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT seq, entity_type, entity_id, op, payload, created_at FROM sync_outbox "
        "WHERE seq > $1 ORDER BY seq LIMIT $2",
        {after_seq, static_cast<std::int64_t>(limit)});
    if (!rows) {
      return rows.error();
    }
    for (const SqlRow& row : *rows) {
      entries.push_back(
          {row.int64(0), row.text(1), row.text(2), row.text(3), row.text(4), row.int64(5)});
    }
    return {};
  }));
  return entries;
}

Result<std::int64_t> SqlReplication::retireOutbox(std::int64_t up_to_seq) {
  std::int64_t retired = 0;
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM sync_outbox WHERE seq <= $1", {up_to_seq});
    if (!changed) {
      return changed.error();
    }
    retired = *changed;
    return {};
  }));
  return retired;
}

Result<OutboxStats> SqlReplication::outboxStats() {
  OutboxStats stats;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT COUNT(*), COALESCE(MIN(created_at), 0), (SELECT seq FROM sync_counter WHERE id = "
        "1), MIN(seq) FROM sync_outbox",
        {});
    if (!rows) {
      return rows.error();
    }
    stats.backlog = rows->front().int64(0);
    stats.oldest_at_ms = rows->front().int64(1);
    stats.last_seq = rows->front().int64(2);
    stats.acked_through = rows->front().isNull(3) ? stats.last_seq : rows->front().int64(3) - 1;
    return {};
  }));
  return stats;
}

Result<bool> SqlReplication::applyInbound(const InboundChange& change) {
  if (!isEntityId(change.entity_id) || !isEntityId(change.origin)) {
    return Error::invalid("entity_id", "a malformed id");
  }
  if (change.entity_type == CallEventEntity) {
    return applyCallEvent(change);
  }
  if (change.entity_type != "customer") {
    return Error::invalid(
        "entity_type", "this site applies no '" + change.entity_type.substr(0, 32) + "' changes");
  }
  if (change.op != "upsert" && change.op != "delete") {
    return Error::invalid("op", "must be upsert or delete");
  }
  std::optional<CustomerLink> link;
  if (change.op == "upsert") {
    auto parsed = parseCustomerLink(change.payload);
    if (!parsed) {
      return parsed.error();
    }
    link = std::move(parsed).value();
  }
  bool applied = false;
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto fresh = advanceInbox(session, change);
    if (!fresh) {
      return fresh.error();
    }
    if (!*fresh) {
      return {};  // a duplicate, or older than what is applied: nothing to do
    }
    auto removed =
        session.exec("DELETE FROM customer_tokens WHERE customer_id = $1", {change.entity_id});
    if (!removed) {
      return removed.error();
    }
    if (change.op == "delete") {
      auto deleted = session.exec("DELETE FROM customers WHERE id = $1", {change.entity_id});
      if (!deleted) {
        return deleted.error();
      }
      applied = true;
      return {};
    }
    // Only the id, timestamps and tokens arrive; the personal columns stay NULL here.
    auto upserted = session.exec(
        "INSERT INTO customers (id, created_at, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
        {change.entity_id, link->created_at_ms, link->updated_at_ms});
    if (!upserted) {
      return upserted.error();
    }
    for (const auto& [kind, token] : link->tokens) {
      auto inserted = session.exec(
          "INSERT INTO customer_tokens (customer_id, token, kind) VALUES ($1, $2, $3) "
          "ON CONFLICT DO NOTHING",
          {change.entity_id, token, kind});
      if (!inserted) {
        return inserted.error();
      }
    }
    applied = true;
    return {};
  }));
  return applied;
}

Result<bool> SqlReplication::applyCallEvent(const InboundChange& change) {
  if (change.op != "upsert") {
    return Error::invalid("op", "call events are only appended (upsert)");
  }
  auto parsed = parseCallEventLink(change.payload);
  if (!parsed) {
    return parsed.error();
  }
  const CallEventLink& link = *parsed;
  bool applied = false;
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto last = session.query(
        "SELECT last_seq FROM sync_inbox WHERE origin = $1 AND entity_type = $2 AND entity_id = $3",
        {change.origin, change.entity_type, change.entity_id});
    if (!last) {
      return last.error();
    }
    if (!last->empty() && last->front().int64(0) >= change.seq) {
      return {};  // a duplicate: applied already
    }
    // The origin numbers each call's events 0, 1, 2, …: one beyond the next is early (an
    // earlier event of the call is still on its way, redelivered after a cut or a restart) and
    // must wait for it, since the log is append-only and a skipped event could never be put back
    // in its place; one the core holds already is never appended twice.
    auto held =
        session.query("SELECT COUNT(*) FROM call_events WHERE call_id = $1", {change.entity_id});
    if (!held) {
      return held.error();
    }
    const std::int64_t count = held->front().int64(0);
    if (link.ordinal < count) {
      return {};  // held already: nothing changes, the inbox position included
    }
    if (link.ordinal > count) {
      return Error{ErrorCode::Conflict,
                   "call " + change.entity_id + " event " + std::to_string(link.ordinal) +
                       " arrived before event " + std::to_string(count),
                   "seq"};
    }
    const call::CallEvent& e = link.event;
    const auto& q = e.quality;
    // The caller crossed as its token only; the number itself stays NULL here.
    auto inserted = session.exec(
        "INSERT INTO call_events (call_id, type, at_ms, caller, caller_token, dialed, "
        "entry_point_id, queue_id, agent_id, target, cause, detail, mos, loss_pct, jitter_ms, "
        "round_trip_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16)",
        {change.entity_id, std::string(call::toString(e.type)), e.at_ms, SqlValue{},
         link.caller_token.empty() ? SqlValue{} : SqlValue{link.caller_token}, e.dialed,
         e.entry_point_id, e.queue_id, e.agent_id, e.target, e.cause, e.detail,
         q ? SqlValue{q->mos} : SqlValue{}, q ? SqlValue{q->loss_pct} : SqlValue{},
         q ? SqlValue{q->jitter_ms} : SqlValue{},
         q && q->round_trip_ms ? SqlValue{*q->round_trip_ms} : SqlValue{}});
    if (!inserted) {
      return inserted.error();
    }
    auto fresh = advanceInbox(session, change);
    if (!fresh) {
      return fresh.error();
    }
    if (!*fresh) {
      // The inbox says this change (or a later one of the call) was applied, yet the event was
      // missing: nothing to trust, so nothing changes.
      return Error{ErrorCode::Internal,
                   "the inbox of call " + change.entity_id + " is ahead of its events", "seq"};
    }
    applied = true;
    return {};
  }));
  return applied;
}

Result<std::vector<EntityChecksum>> SqlReplication::checksums() {
  std::vector<EntityChecksum> out;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto customers =
        session.query("SELECT id, created_at, updated_at FROM customers ORDER BY id", {});
    if (!customers) {
      return customers.error();
    }
    auto tokens = session.query(
        "SELECT customer_id, kind, token FROM customer_tokens ORDER BY customer_id", {});
    if (!tokens) {
      return tokens.error();
    }
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_customer;
    for (const SqlRow& row : *tokens) {
      by_customer[row.text(0)].emplace_back(row.text(1), row.text(2));
    }
    for (const SqlRow& row : *customers) {
      const std::string id = row.text(0);
      out.push_back({"customer", id,
                     checksum(customerLinkPayload(row.int64(1), row.int64(2), by_customer[id]))});
    }
    // A call this site holds as a copy (its inbox has a position for it) is the peer's; any other
    // is its own. Each is checksummed over its events' link forms, in order.
    static const std::string events_sql =
        "SELECT " + std::string(CallEventColumns) +
        ", CASE WHEN c.entity_id IS NULL THEN 0 ELSE 1 END FROM call_events e LEFT JOIN (SELECT "
        "DISTINCT entity_id FROM sync_inbox WHERE entity_type = $1) c ON c.entity_id = e.call_id "
        "ORDER BY e.call_id, e.seq";
    auto events = session.query(events_sql, {std::string(CallEventEntity)});
    if (!events) {
      return events.error();
    }
    std::string call_id;
    std::string forms;
    std::int64_t ordinal = 0;
    bool copy = false;
    auto flush = [&] {
      if (!call_id.empty()) {
        out.push_back(
            {std::string(copy ? CallEventEntity : OwnCallEventEntity), call_id, checksum(forms)});
      }
    };
    for (const SqlRow& row : *events) {
      auto [event, token] = callEventOfRow(row);
      if (event.call_id != call_id) {
        flush();
        call_id = event.call_id;
        forms.clear();
        ordinal = 0;
        copy = row.int64(15) == 1;
      }
      forms += callEventLinkPayload(ordinal++, event, token);
      forms += '\0';
    }
    flush();
    return {};
  }));
  return out;
}

}  // namespace kefu::store::internal
