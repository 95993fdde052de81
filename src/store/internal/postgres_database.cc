#include "store/internal/postgres_database.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <pqxx/pqxx>
#include <unordered_map>
#include <vector>

#include "store/internal/sql_error.h"

namespace kefu::store::internal {
namespace {

// Any fixed number: all Kefu processes migrating one database serialize on it.
constexpr std::int64_t MigrationLockKey = 0x4b6566754d696772;  // "KefuMigr"

/** One pooled connection and the statements prepared on it. */
struct PostgresSlot {
  std::unique_ptr<pqxx::connection> connection;
  std::unordered_map<std::string, std::string> prepared;  // SQL text → statement name
  bool broken = false;
};

/** Converts whatever a libpqxx call threw into an Error; call only inside a catch block. */
Error currentPostgresError(PostgresSlot& slot) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    slot.broken = true;
    return {ErrorCode::Unavailable, std::string("database connection lost: ") + e.what(), {}};
  } catch (const pqxx::in_doubt_error& e) {
    slot.broken = true;
    return {ErrorCode::Unavailable, std::string("database connection lost: ") + e.what(), {}};
  } catch (const pqxx::sql_error& e) {
    Error error = postgresError(e.sqlstate(), e.what());
    if (error.code == ErrorCode::Unavailable) {
      slot.broken = true;
    }
    return error;
  } catch (const std::exception& e) {
    return Error::internal(std::string("database error: ") + e.what());
  } catch (...) {
    return Error::internal("database error: unknown exception");
  }
}

SqlValue cellValue(const pqxx::field& field, pqxx::oid type) {
  if (field.is_null()) {
    return std::monostate{};
  }
  switch (type) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
      return field.as<std::int64_t>();
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return field.as<double>();
    case 16:  // bool
      return std::int64_t{field.as<bool>() ? 1 : 0};
    default:
      return std::string(field.c_str(), field.size());
  }
}

/** A SqlSession over one libpqxx transaction. */
class PostgresSession final : public SqlSession {
 public:
  PostgresSession(PostgresSlot& slot, pqxx::transaction_base& tx) : slot_(slot), tx_(tx) {}

  using SqlSession::exec;
  using SqlSession::query;

  Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) override {
    try {
      const pqxx::result result = run(sql, params);
      SqlRows rows;
      rows.reserve(result.size());
      const auto columns = result.columns();
      std::vector<pqxx::oid> types(columns);
      for (pqxx::row_size_type c = 0; c < columns; ++c) {
        types[c] = result.column_type(c);
      }
      for (const auto& row : result) {
        std::vector<SqlValue> values;
        values.reserve(columns);
        for (pqxx::row_size_type c = 0; c < columns; ++c) {
          values.push_back(cellValue(row[c], types[c]));
        }
        rows.emplace_back(std::move(values));
      }
      return rows;
    } catch (...) {
      return currentPostgresError(slot_);
    }
  }

  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    try {
      return static_cast<std::int64_t>(run(sql, params).affected_rows());
    } catch (...) {
      return currentPostgresError(slot_);
    }
  }

  /** Runs a script of several statements without parameters (migrations). */
  Result<void> script(std::string_view sql) {
    try {
      tx_.exec(std::string(sql));
      return {};
    } catch (...) {
      return currentPostgresError(slot_);
    }
  }

 private:
  pqxx::result run(std::string_view sql, std::span<const SqlValue> params) {
    std::string key(sql);
    auto it = slot_.prepared.find(key);
    if (it == slot_.prepared.end()) {
      std::string name = "kefu_" + std::to_string(slot_.prepared.size() + 1);
      slot_.connection->prepare(name, key);
      it = slot_.prepared.emplace(std::move(key), std::move(name)).first;
    }
    // Values travel as text parameters next to the statement, never inside its text.
    std::vector<std::string> texts;
    texts.reserve(params.size());
    std::vector<const char*> pointers;
    pointers.reserve(params.size());
    for (const SqlValue& param : params) {
      if (std::holds_alternative<std::monostate>(param)) {
        pointers.push_back(nullptr);
        continue;
      }
      if (const auto* n = std::get_if<std::int64_t>(&param)) {
        texts.push_back(std::to_string(*n));
      } else if (const auto* d = std::get_if<double>(&param)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", *d);
        texts.emplace_back(buffer);
      } else {
        texts.push_back(std::get<std::string>(param));
      }
      pointers.push_back(texts.back().c_str());
    }
    return tx_.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(pointers));
  }

  PostgresSlot& slot_;
  pqxx::transaction_base& tx_;
};

class PostgresDatabase final : public SqlDatabase {
 public:
  PostgresDatabase(std::string url, std::size_t pool_size) : url_(std::move(url)) {
    slots_.resize(std::max<std::size_t>(pool_size, 1));
    for (auto& slot : slots_) {
      idle_.push_back(&slot);
    }
  }

  std::string_view backend() const override { return "postgresql"; }

  /** Opens the first connection; @return Unavailable when the server cannot be reached. */
  Result<void> connectFirst() {
    PostgresSlot& slot = slots_.front();
    return ensureConnected(slot);
  }

  Result<void> transact(const SessionWork& work) override {
    return withSlot([&](PostgresSlot& slot) -> Result<void> {
      try {
        pqxx::work tx(*slot.connection);
        PostgresSession session(slot, tx);
        Result<void> result = work(session);
        if (!result.ok()) {
          return result;  // ~work rolls back
        }
        tx.commit();
        return {};
      } catch (...) {
        return currentPostgresError(slot);
      }
    });
  }

  Result<void> read(const SessionWork& work) override {
    return withSlot([&](PostgresSlot& slot) -> Result<void> {
      try {
        // One snapshot for all the reads of `work` (an agent list and its skill rows agree).
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*slot.connection);
        PostgresSession session(slot, tx);
        Result<void> result = work(session);
        if (result.ok()) {
          tx.commit();
        }
        return result;
      } catch (...) {
        return currentPostgresError(slot);
      }
    });
  }

  Result<int> migrate(std::span<const Migration> migrations) override {
    int applied = 0;
    KEFU_TRY(withSlot([&](PostgresSlot& slot) -> Result<void> {
      try {
        // A session-level advisory lock serializes concurrent migrators (two processes starting
        // together); it is released below, or by the server if this connection dies.
        {
          pqxx::nontransaction tx(*slot.connection);
          tx.exec("SELECT pg_advisory_lock(" + std::to_string(MigrationLockKey) + ")");
        }
        Result<void> result = migrateLocked(slot, migrations, applied);
        if (!slot.broken) {
          pqxx::nontransaction tx(*slot.connection);
          tx.exec("SELECT pg_advisory_unlock(" + std::to_string(MigrationLockKey) + ")");
        }
        return result;
      } catch (...) {
        return currentPostgresError(slot);
      }
    }));
    return applied;
  }

  Result<int> schemaVersion() override {
    int version = 0;
    KEFU_TRY(read([&](SqlSession& session) -> Result<void> {
      auto exists = session.query("SELECT to_regclass('schema_migrations') IS NOT NULL");
      if (!exists.ok()) {
        return exists.error();
      }
      if (exists->at(0).int64(0) == 0) {
        return {};
      }
      auto rows = session.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (!rows.ok()) {
        return rows.error();
      }
      version = static_cast<int>(rows->at(0).int64(0));
      return {};
    }));
    return version;
  }

 private:
  static std::int64_t nowMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  Result<void> migrateLocked(PostgresSlot& slot, std::span<const Migration> migrations,
                             int& applied) {
    {
      pqxx::work tx(*slot.connection);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
      tx.commit();
    }
    for (const Migration& migration : migrations) {
      pqxx::work tx(*slot.connection);
      PostgresSession session(slot, tx);
      auto rows = session.query("SELECT 1 FROM schema_migrations WHERE version = $1",
                                {std::int64_t{migration.version}});
      if (!rows.ok()) {
        return rows.error();
      }
      if (!rows->empty()) {
        continue;
      }
      KEFU_TRY(session.script(migration.postgres));
      KEFU_TRY(session.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                            {std::int64_t{migration.version}, nowMillis()}));
      tx.commit();
      ++applied;
    }
    return {};
  }

  Result<void> ensureConnected(PostgresSlot& slot) {
    if (slot.connection && !slot.broken && slot.connection->is_open()) {
      return {};
    }
    slot.connection.reset();
    slot.prepared.clear();
    slot.broken = false;
    try {
      slot.connection = std::make_unique<pqxx::connection>(url_);
      return {};
    } catch (const std::exception& e) {
      slot.connection.reset();
      return Error{
          ErrorCode::Unavailable, std::string("cannot connect to PostgreSQL: ") + e.what(), {}};
    }
  }

  Result<void> withSlot(const std::function<Result<void>(PostgresSlot&)>& work) {
    PostgresSlot* slot = nullptr;
    {
      std::unique_lock lock(mutex_);
      free_.wait(lock, [&] { return !idle_.empty(); });
      slot = idle_.back();
      idle_.pop_back();
    }
    Result<void> result = ensureConnected(*slot);
    if (result.ok()) {
      result = work(*slot);
    }
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(slot);
    }
    free_.notify_one();
    return result;
  }

  const std::string url_;
  std::mutex mutex_;
  std::condition_variable free_;
  std::vector<PostgresSlot> slots_;  // never resized after construction: idle_ points into it
  std::vector<PostgresSlot*> idle_;
};

}  // namespace

Result<SqlDatabasePtr> openPostgresDatabase(const std::string& url, std::size_t pool_size) {
  auto database = std::make_unique<PostgresDatabase>(url, pool_size);
  KEFU_TRY(database->connectFirst());
  return SqlDatabasePtr(std::move(database));
}

}  // namespace kefu::store::internal
