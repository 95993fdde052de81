#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::privacy {

/** What someone did with a personal field; the caller's part of an audit record. */
struct AuditEntry {
  std::int64_t at_ms = 0;
  std::string site;    // the site where it happened
  std::string actor;   // user id, or `system:<what>` for the site itself
  std::string action;  // read, create, update, delete, lookup, detokenize
  std::string entity;  // customer
  std::string entity_id;
  std::string field;  // name, phones, id_number, accounts; empty for the whole entity
};

/**
 * One stored audit record: the entry, its place in the chain and the hashes that chain it. Each
 * record's hash covers its fields and the previous record's hash, so editing or deleting any record
 * breaks every hash after it.
 */
struct AuditRecord {
  std::int64_t seq = 0;  // 1, 2, 3, … without gaps
  AuditEntry entry;
  std::string prev_hash;  // hex; the genesis value for seq 1
  std::string hash;       // hex BLAKE2b-256
};

/** The last record's number and hash, kept apart from the records so that deleting the newest
 * records is noticed too. */
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
};

/** The prev_hash of the first record: 64 zeros. */
const std::string& auditGenesisHash();
/** @return the hash `record` must carry, computed from its fields and prev_hash. */
std::string auditRecordHash(const AuditRecord& record);
/** @return `entry` chained after the record with number `prev_seq` and hash `prev_hash`. */
AuditRecord chainAuditRecord(AuditEntry entry, std::int64_t prev_seq, std::string prev_hash);

/** One thing wrong in an audit chain. */
struct AuditProblem {
  std::int64_t seq = 0;  // the record where the chain breaks
  std::string what;
};

/**
 * @return every break in `records` (ordered by seq): a gap in the numbers (a deleted record), a
 * hash that does not match the fields (an edited record), a prev_hash that does not match the
 * previous record, and a `head` that does not match the last record. Empty: the chain is intact.
 */
std::vector<AuditProblem> verifyAuditChain(std::span<const AuditRecord> records,
                                           const std::optional<AuditHead>& head);

/**
 * The append-only audit trail of personal data. `store/` implements it; appends are serialized so
 * the chain never forks. Thread-safe; every call blocks on storage.
 */
class AuditTrail {
 public:
  virtual ~AuditTrail() = default;
  /** Appends `entries` in order, in one transaction; @return the last record's number. */
  virtual Result<std::int64_t> append(const std::vector<AuditEntry>& entries) = 0;
  /** @return up to `limit` records after number `after_seq`, in order. */
  virtual Result<std::vector<AuditRecord>> list(std::int64_t after_seq, std::size_t limit) = 0;
  /** @return the stored head, or nullopt when nothing was ever appended. */
  virtual Result<std::optional<AuditHead>> head() = 0;
};

/** What `verifyAuditTrail` found. */
struct AuditVerification {
  std::int64_t records = 0;
  std::vector<AuditProblem> problems;  // empty: intact
};

/** Reads the whole trail, page by page, and checks its chain and head; blocks on storage. */
Result<AuditVerification> verifyAuditTrail(AuditTrail& trail);

}  // namespace kefu::privacy
