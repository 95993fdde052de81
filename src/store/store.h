#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "acd/agent.h"
#include "acd/queue.h"
#include "acd/skill.h"
#include "auth/session.h"
#include "auth/user.h"
#include "core/result.h"
#include "crm/customer.h"
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
  virtual privacy::AuditTrail& audit() = 0;

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
