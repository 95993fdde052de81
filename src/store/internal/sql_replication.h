#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "call/call_record.h"
#include "store/internal/sql_database.h"
#include "store/store.h"

namespace kefu::store::internal {

/**
 * Appends a change to the outbox inside the caller's transaction, numbered by the counter row
 * (locked until commit, so numbers follow commit order with no gaps). @return its number.
 */
Result<std::int64_t> appendOutbox(SqlSession& session, std::string_view backend,
                                  std::string_view entity_type, std::string_view entity_id,
                                  std::string_view op, std::string_view payload,
                                  std::int64_t at_ms);

/**
 * Takes the next outbox number inside the caller's transaction, locking the counter row until
 * commit: whatever the transaction reads after this sees every change numbered before it.
 */
Result<std::int64_t> reserveOutboxSeq(SqlSession& session);

/** Writes outbox entry `seq` (from reserveOutboxSeq) inside the caller's transaction. */
Result<void> insertOutbox(SqlSession& session, std::int64_t seq, std::string_view entity_type,
                          std::string_view entity_id, std::string_view op, std::string_view payload,
                          std::int64_t at_ms);

/** The entity type of call records on the link: owned by the edge site that took the call. */
inline constexpr std::string_view CallEventEntity = "call_event";

/** What verify() sees of call records a site took itself (not copies from its peer). */
inline constexpr std::string_view OwnCallEventEntity = "call_event:own";

/**
 * @return call event `event` as it crosses the link: its number within its call (`ordinal`, 0 for
 * the first), its operational fields and the caller's token, one `key=value` a line. The
 * caller's number (event.caller) is never read: only `caller_token` crosses.
 */
std::string callEventLinkPayload(std::int64_t ordinal, const call::CallEvent& event,
                                 std::string_view caller_token);

/**
 * @return a customer as it crosses the link: its timestamps and its tokens (`kind:token`), one
 * `key=value` a line; never a personal value.
 */
std::string customerLinkPayload(std::int64_t created_at_ms, std::int64_t updated_at_ms,
                                const std::vector<std::pair<std::string, std::string>>& tokens);

/**
 * The outbox and inbox of the site link, over `sync_outbox`, `sync_counter` and `sync_inbox`.
 * Applies customers (from the core) and call events (from the edge that took the call); which
 * site may send which is the link's check (server::LinkStore). checksums() reports a site's own
 * calls as OwnCallEventEntity and its copies of the peer's as CallEventEntity.
 */
class SqlReplication final : public Replication {
 public:
  explicit SqlReplication(SqlDatabase& database) : database_(database) {}

  Result<std::vector<OutboxEntry>> pendingOutbox(std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<std::int64_t> retireOutbox(std::int64_t up_to_seq) override;
  Result<OutboxStats> outboxStats() override;
  Result<bool> applyInbound(const InboundChange& change) override;
  Result<std::vector<EntityChecksum>> checksums() override;

 private:
  /** Appends a call event from the far site (the owner of its call) unless it holds it already;
   * Conflict when an earlier event of the call has not arrived yet. */
  Result<bool> applyCallEvent(const InboundChange& change);

  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
