#include "privacy/audit_chain.h"

#include <sodium.h>

#include "privacy/sodium_init.h"

namespace kefu::privacy {
namespace {

/** Feeds `value` with its length first, so that no two records hash the same bytes. */
void feed(crypto_generichash_state& state, std::string_view value) {
  const std::uint64_t length = value.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) {
    prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  }
  crypto_generichash_update(&state, prefix, sizeof prefix);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(value.data()),
                            value.size());
}

}  // namespace

const std::string& auditGenesisHash() {
  static const std::string genesis(64, '0');
  return genesis;
}

std::string auditRecordHash(const AuditRecord& record) {
  ensureSodium();
  unsigned char hash[32];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof hash);
  const AuditEntry& e = record.entry;
  for (const std::string& value :
       {std::to_string(record.seq), std::to_string(e.at_ms), e.site, e.actor, e.action, e.entity,
        e.entity_id, e.field, record.prev_hash}) {
    feed(state, value);
  }
  crypto_generichash_final(&state, hash, sizeof hash);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

AuditRecord chainAuditRecord(AuditEntry entry, std::int64_t prev_seq, std::string prev_hash) {
  AuditRecord record{prev_seq + 1, std::move(entry), std::move(prev_hash), {}};
  record.hash = auditRecordHash(record);
  return record;
}

std::vector<AuditProblem> verifyAuditChain(std::span<const AuditRecord> records,
                                           const std::optional<AuditHead>& head) {
  std::vector<AuditProblem> problems;
  std::int64_t expected_seq = 1;
  std::string prev_hash = auditGenesisHash();
  for (const AuditRecord& record : records) {
    if (record.seq != expected_seq) {
      problems.push_back({record.seq, "records " + std::to_string(expected_seq) + " to " +
                                          std::to_string(record.seq - 1) + " are missing"});
    }
    if (record.prev_hash != prev_hash) {
      problems.push_back({record.seq, "prev_hash does not match the previous record's hash"});
    }
    if (auditRecordHash(record) != record.hash) {
      problems.push_back({record.seq, "hash does not match the record's fields (edited)"});
    }
    expected_seq = record.seq + 1;
    prev_hash = record.hash;
  }
  const std::int64_t last = expected_seq - 1;
  if (head && (head->seq != last || head->hash != prev_hash)) {
    problems.push_back({head->seq, "the head names record " + std::to_string(head->seq) +
                                       " but the chain ends at " + std::to_string(last) +
                                       " (newest records deleted or head edited)"});
  }
  if (!head && !records.empty()) {
    problems.push_back({last, "records exist but the head is missing"});
  }
  return problems;
}

Result<AuditVerification> verifyAuditTrail(AuditTrail& trail) {
  constexpr std::size_t Page = 5000;
  auto head = trail.head();
  if (!head) {
    return head.error();
  }
  std::vector<AuditRecord> records;
  std::int64_t after = 0;
  while (true) {
    auto page = trail.list(after, Page);
    if (!page) {
      return page.error();
    }
    if (page->empty()) {
      break;
    }
    after = page->back().seq;
    records.insert(records.end(), std::make_move_iterator(page->begin()),
                   std::make_move_iterator(page->end()));
    if (page->size() < Page) {
      break;
    }
  }
  AuditVerification result;
  result.records = static_cast<std::int64_t>(records.size());
  result.problems = verifyAuditChain(records, *head);
  if (!*head) {
    result.problems.push_back({0, "the audit head is missing"});
  }
  return result;
}

}  // namespace kefu::privacy
