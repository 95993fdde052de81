#include "store/store.h"

#include "store/internal/migrations.h"
#include "store/internal/postgres_database.h"
#include "store/internal/residency_guard.h"
#include "store/internal/sql_agent_repository.h"
#include "store/internal/sql_audit_trail.h"
#include "store/internal/sql_call_record_repository.h"
#include "store/internal/sql_customer_repository.h"
#include "store/internal/sql_entry_point_repository.h"
#include "store/internal/sql_flow_repository.h"
#include "store/internal/sql_queue_repository.h"
#include "store/internal/sql_replication.h"
#include "store/internal/sql_routing_log.h"
#include "store/internal/sql_session_repository.h"
#include "store/internal/sql_skill_repository.h"
#include "store/internal/sql_user_repository.h"
#include "store/internal/sql_wrap_up_repository.h"
#include "store/internal/sqlite_database.h"
#include "store/schema.h"

namespace kefu::store {
namespace {

using internal::SqlDatabasePtr;

/** @return whether `policy` lets this site keep table.column, as the schema declares it, in clear.
 */
bool mayStoreInClear(const privacy::ResidencyPolicy& policy, std::string_view table,
                     std::string_view column) {
  for (const ColumnClass& declared : schemaColumns()) {
    if (declared.table == table && declared.column == column) {
      return policy.mayStoreInClear(policy.classOf(table, column, declared.data_class));
    }
  }
  return policy.mayStoreInClear(privacy::DataClass::Core);  // undeclared: the strictest
}

/** The repositories over one SqlDatabase; the same code for both backends. */
class SqlStore final : public Store {
 public:
  SqlStore(SqlDatabasePtr database, const StoreOptions& options)
      : database_(std::move(database)),
        users_(*database_),
        sessions_(*database_),
        skills_(*database_),
        agents_(*database_),
        queues_(*database_),
        customers_(*database_, options.cipher, options.tokenizer, options.outbox),
        entry_points_(*database_),
        flows_(*database_),
        call_records_(*database_, options.cipher, options.tokenizer,
                      mayStoreInClear(options.residency, "call_events", "caller"),
                      options.outbox && options.residency.site() == privacy::SiteKind::Edge),
        wrap_ups_(*database_),
        routing_log_(*database_),
        audit_(*database_),
        replication_(*database_) {}

  std::string_view backend() const override { return database_->backend(); }
  Result<int> migrate() override { return database_->migrate(internal::migrations()); }
  Result<int> schemaVersion() override { return database_->schemaVersion(); }

  auth::UserRepository& users() override { return users_; }
  auth::SessionRepository& sessions() override { return sessions_; }
  acd::SkillRepository& skills() override { return skills_; }
  acd::AgentRepository& agents() override { return agents_; }
  acd::QueueRepository& queues() override { return queues_; }
  crm::CustomerRepository& customers() override { return customers_; }
  call::EntryPointRepository& entryPoints() override { return entry_points_; }
  ivr::FlowDocumentRepository& flows() override { return flows_; }
  call::CallRecordRepository& callRecords() override { return call_records_; }
  call::WrapUpRepository& wrapUps() override { return wrap_ups_; }
  acd::RoutingLog& routingLog() override { return routing_log_; }
  privacy::AuditTrail& audit() override { return audit_; }
  Replication& replication() override { return replication_; }

  Result<std::int64_t> execForTest(std::string_view sql,
                                   const std::vector<std::string>& params) override {
    std::vector<internal::SqlValue> values(params.begin(), params.end());
    std::int64_t changed = 0;
    KEFU_TRY(database_->transact([&](internal::SqlSession& session) -> Result<void> {
      auto result = session.exec(sql, values);
      if (!result) {
        return result.error();
      }
      changed = *result;
      return {};
    }));
    return changed;
  }

 private:
  // Owned; the repositories refer to database_, so it is declared first.
  SqlDatabasePtr database_;
  internal::SqlUserRepository users_;
  internal::SqlSessionRepository sessions_;
  internal::SqlSkillRepository skills_;
  internal::SqlAgentRepository agents_;
  internal::SqlQueueRepository queues_;
  internal::SqlCustomerRepository customers_;
  internal::SqlEntryPointRepository entry_points_;
  internal::SqlFlowRepository flows_;
  internal::SqlCallRecordRepository call_records_;
  internal::SqlWrapUpRepository wrap_ups_;
  internal::SqlRoutingLog routing_log_;
  internal::SqlAuditTrail audit_;
  internal::SqlReplication replication_;
};

}  // namespace

Result<StorePtr> openStore(std::string_view url, const StoreOptions& options) {
  Result<SqlDatabasePtr> database = Error::internal("unreachable");
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) {
      path.remove_prefix(2);  // sqlite:///var/lib/kefu.db
    }
    if (path.empty()) {
      return Error::invalid("storage.url", "sqlite URL has no file path: use sqlite:PATH");
    }
    database = internal::openSqliteDatabase(std::string(path), options.pool_size);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    database = internal::openPostgresDatabase(std::string(url), options.pool_size);
  } else {
    return Error::invalid("storage.url",
                          "unknown storage URL scheme: use sqlite:PATH or postgresql://…");
  }
  if (!database.ok()) {
    return database.error();
  }
  // Every repository reaches the database through the residency guard, so no code path can
  // store what the site's policy forbids.
  return StorePtr(std::make_unique<SqlStore>(
      internal::guardResidency(std::move(database).value(), options.residency), options));
}

}  // namespace kefu::store
