#pragma once

#include "call/call_record.h"
#include "privacy/field_cipher.h"
#include "privacy/tokenizer.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** @return the authenticated context of call `call_id`'s sealed caller: a sealed caller does not
 * open on another call's row. */
std::string callerContext(std::string_view call_id);

/**
 * Call events in `call_events`, an append-only log numbered by `seq`. The caller is a phone number
 * (core-class): sealed by `cipher` when the site has one, else kept in clear only where
 * `caller_in_clear` (the residency policy allows it), else not kept at all; its token (when the
 * site has a tokenizer and the caller is a phone number) is kept beside it in every case, so an
 * edge site still recognises a returning caller. Reading, a caller this site cannot open comes
 * back as its token (or empty). Thread-safe; every call blocks on the database.
 */
class SqlCallRecordRepository final : public call::CallRecordRepository {
 public:
  /** With `outbox` (an edge site: it owns the calls it takes) each event is also written to the
   * site link's outbox, in the same transaction. */
  SqlCallRecordRepository(SqlDatabase& database, privacy::FieldCipherPtr cipher,
                          privacy::TokenizerPtr tokenizer, bool caller_in_clear,
                          bool outbox = false)
      : database_(database),
        cipher_(std::move(cipher)),
        tokenizer_(std::move(tokenizer)),
        caller_in_clear_(caller_in_clear),
        outbox_(outbox) {}

  /** Appends one event; InvalidArgument naming `call_id` when it has none. */
  Result<void> append(const call::CallEvent& event) override;
  /** @return the call's events in the order they were appended; empty when unknown. */
  Result<std::vector<call::CallEvent>> eventsOf(std::string_view call_id) override;
  /** @return the calls created in [from_ms, to_ms), newest first, at most `limit` (capped at
   *  MaxCalls), each as its events in order. */
  Result<std::vector<std::vector<call::CallEvent>>> calls(std::int64_t from_ms, std::int64_t to_ms,
                                                          std::size_t limit) override;
  /** @return the caller's calls, newest first (capped at MaxCalls); in
   *  sql_call_record_history.cc. */
  Result<std::vector<std::vector<call::CallEvent>>> callsOfCaller(std::string_view caller_token,
                                                                  std::string_view except_call_id,
                                                                  std::int64_t created_by_ms,
                                                                  std::size_t limit) override;

  /** The most calls one calls() returns. */
  static constexpr std::size_t MaxCalls = 10'000;

 private:
  /** The columns toEvent() reads, in its order, from `call_events e`. */
  static constexpr std::string_view EventColumns =
      "e.call_id, e.type, e.at_ms, e.caller, e.caller_token, e.dialed, e.entry_point_id, "
      "e.queue_id, e.agent_id, e.target, e.cause, e.detail, e.mos, e.loss_pct, e.jitter_ms, "
      "e.round_trip_ms, e.seq";

  Result<call::CallEvent> toEvent(const SqlRow& row) const;
  /** Appends the rows' events to `calls`, a new call wherever the call id changes (the rows of
   *  a call come together). */
  Result<void> groupByCall(const SqlRows& rows,
                           std::vector<std::vector<call::CallEvent>>& calls) const;

  // Not owned, outlives this.
  SqlDatabase& database_;
  // Owned (shared, immutable).
  privacy::FieldCipherPtr cipher_;
  privacy::TokenizerPtr tokenizer_;
  bool caller_in_clear_;
  bool outbox_;
};

}  // namespace kefu::store::internal
