#pragma once

#include <string>
#include <string_view>
#include <vector>

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
 * @return a customer as it crosses the link: its timestamps and its tokens (`kind:token`), one
 * `key=value` a line; never a personal value.
 */
std::string customerLinkPayload(std::int64_t created_at_ms, std::int64_t updated_at_ms,
                                const std::vector<std::pair<std::string, std::string>>& tokens);

/** The outbox and inbox of the site link, over `sync_outbox`, `sync_counter` and `sync_inbox`. */
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
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
