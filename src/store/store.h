#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "acd/agent.h"
#include "acd/queue.h"
#include "acd/routing_log.h"
#include "acd/skill.h"
#include "auth/session.h"
#include "auth/user.h"
#include "call/call_record.h"
#include "call/entry_point.h"
#include "call/wrap_up.h"
#include "core/result.h"
#include "crm/customer.h"
#include "ivr/flow_document.h"
#include "privacy/audit_chain.h"
#include "privacy/field_cipher.h"
#include "privacy/residency_policy.h"
#include "privacy/tokenizer.h"

namespace kefu::store {

struct StoreOptions {
  std::size_t pool_size = 4;  // connections (PostgreSQL) or reader connections (SQLite)
  /** Enforced on every statement (store/internal/residency_guard.h). */
  privacy::ResidencyPolicy residency;
  /** Seals customers' personal fields; null on a site without data keys (an edge site). */
  privacy::FieldCipherPtr cipher;
  /** Tokens of customers' phone and ID numbers; null when the site has no token key. */
  privacy::TokenizerPtr tokenizer;
  /** Whether changes to entities this site owns are written to the site link's outbox. */
  bool outbox = false;
};

/** One change waiting in the outbox for the far site's acknowledgement. */
struct OutboxEntry {
  std::int64_t seq = 0;  // 1, 2, 3, … in commit order, never reused
  std::string entity_type;
  std::string entity_id;
  std::string op;       // upsert, delete
  std::string payload;  // the entity as it crosses the link (no core-class value)
  std::int64_t at_ms = 0;
};

struct OutboxStats {
  std::int64_t backlog = 0;        // entries not yet acknowledged
  std::int64_t oldest_at_ms = 0;   // when the oldest of them was written; 0 when none
  std::int64_t last_seq = 0;       // the highest number ever given
  std::int64_t acked_through = 0;  // every entry up to here is retired
};

/** A change from the far site, as the link delivered it. */
struct InboundChange {
  std::string origin;  // the site that owns the entity
  std::int64_t seq = 0;
  std::string entity_type;
  std::string entity_id;
  std::string op;
  std::string payload;
};

/** What one entity looks like as the link carries it, hashed: equal on both sites when in sync. */
struct EntityChecksum {
  std::string entity_type;
  std::string entity_id;
  std::string checksum;
  bool operator==(const EntityChecksum&) const = default;
};

/** The site link's storage: the outbox this site publishes, the inbox it applies. Thread-safe. */
class Replication {
 public:
  virtual ~Replication() = default;
  /** @return up to `limit` outbox entries after number `after_seq`, in order. */
  virtual Result<std::vector<OutboxEntry>> pendingOutbox(std::int64_t after_seq,
                                                         std::size_t limit) = 0;
  /** Deletes the entries up to `up_to_seq` (acknowledged end to end); @return how many. */
  virtual Result<std::int64_t> retireOutbox(std::int64_t up_to_seq) = 0;
  virtual Result<OutboxStats> outboxStats() = 0;
  /**
   * Applies a change from the far site unless it was applied already or a newer change to the
   * same entity was (idempotent, in order per entity); @return whether it changed anything.
   * InvalidArgument for a change this site cannot apply (never throws on bad payloads).
   */
  virtual Result<bool> applyInbound(const InboundChange& change) = 0;
  /** @return the checksum of every replicated entity this site holds, by type and id. */
  virtual Result<std::vector<EntityChecksum>> checksums() = 0;
};

/**
 * A site's storage: one database (SQLite or PostgreSQL, chosen by URL) and the repositories the
 * domains declared, implemented on it. Thread-safe; every call blocks on the database.
 */
class Store {
 public:
  virtual ~Store() = default;

  /** @return "sqlite" or "postgresql". */
  virtual std::string_view backend() const = 0;
  /** Applies the migrations not yet applied, each in its own transaction; @return how many ran. */
  virtual Result<int> migrate() = 0;
  /** @return the highest applied migration version (0 on an empty database). */
  virtual Result<int> schemaVersion() = 0;

  virtual auth::UserRepository& users() = 0;
  virtual auth::SessionRepository& sessions() = 0;
  virtual acd::SkillRepository& skills() = 0;
  virtual acd::AgentRepository& agents() = 0;
  virtual acd::QueueRepository& queues() = 0;
  virtual crm::CustomerRepository& customers() = 0;
  /** Dialed numbers and where their calls go (call control reads them, the API edits them). */
  virtual call::EntryPointRepository& entryPoints() = 0;
  /** The IVR flows' saved versions (the API edits them, call control runs the current ones). */
  virtual ivr::FlowDocumentRepository& flows() = 0;
  /** The append-only log of call events; the caller is kept as the residency policy allows. */
  virtual call::CallRecordRepository& callRecords() = 0;
  /** Agents' wrap-ups of calls (disposition and notes), one per call and agent. */
  virtual call::WrapUpRepository& wrapUps() = 0;
  /** The routing event log the contact-center figures are rebuilt from after a restart. */
  virtual acd::RoutingLog& routingLog() = 0;
  virtual privacy::AuditTrail& audit() = 0;
  virtual Replication& replication() = 0;

  /**
   * Runs one raw statement through the same residency guard as every repository; @return the rows
   * changed. For tests that try to slip a personal value past the policy.
   */
  virtual Result<std::int64_t> execForTest(std::string_view sql,
                                           const std::vector<std::string>& params) = 0;
};
using StorePtr = std::unique_ptr<Store>;

/**
 * Opens `url`: `sqlite:PATH` (the file is created if missing) or `postgresql://…` (libpq URI).
 * Does not migrate. @return InvalidArgument (field `storage.url`) for an unknown scheme,
 * Unavailable when the database cannot be reached.
 */
Result<StorePtr> openStore(std::string_view url, const StoreOptions& options = {});

}  // namespace kefu::store
