#include "store/internal/sql_replication.h"

#include <algorithm>
#include <charconv>
#include <map>

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

}  // namespace

Result<std::int64_t> appendOutbox(SqlSession& session, std::string_view backend,
                                  std::string_view entity_type, std::string_view entity_id,
                                  std::string_view op, std::string_view payload,
                                  std::int64_t at_ms) {
  (void)backend;  // UPDATE … RETURNING locks the counter row on both backends
  auto counter =
      session.query("UPDATE sync_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq", {});
  if (!counter) {
    return counter.error();
  }
  if (counter->empty()) {
    return Error::internal("sync_counter has no row");
  }
  const std::int64_t seq = counter->front().int64(0);
  auto inserted = session.exec(
      "INSERT INTO sync_outbox (seq, entity_type, entity_id, op, payload, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {seq, std::string(entity_type), std::string(entity_id), std::string(op), std::string(payload),
       at_ms});
  if (!inserted) {
    return inserted.error();
  }
  return seq;
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
  if (change.entity_type != "customer") {
    return Error::invalid(
        "entity_type", "this site applies no '" + change.entity_type.substr(0, 32) + "' changes");
  }
  if (!isEntityId(change.entity_id) || !isEntityId(change.origin)) {
    return Error::invalid("entity_id", "a malformed id");
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
    auto last = session.query(
        "SELECT last_seq FROM sync_inbox WHERE origin = $1 AND entity_type = $2 AND entity_id = $3",
        {change.origin, change.entity_type, change.entity_id});
    if (!last) {
      return last.error();
    }
    if (!last->empty() && last->front().int64(0) >= change.seq) {
      return {};  // a duplicate, or older than what is applied: nothing to do
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
    return {};
  }));
  return out;
}

}  // namespace kefu::store::internal
