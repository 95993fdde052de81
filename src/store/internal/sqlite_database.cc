#include "store/internal/sqlite_database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "store/internal/sql_error.h"

namespace kefu::store::internal {
namespace {

constexpr int BusyTimeoutMs = 10'000;

/** Converts whatever a SQLite call threw into an Error; call only inside a catch block. */
Error currentSqliteError() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return sqliteError(e.getExtendedErrorCode(), e.what());
  } catch (const std::exception& e) {
    return Error::internal(std::string("database error: ") + e.what());
  } catch (...) {
    return Error::internal("database error: unknown exception");
  }
}

/** One connection and its prepared statements, keyed by SQL text. Used by one thread at a time. */
class SqliteConnection final : public SqlSession {
 public:
  SqliteConnection(const std::string& path, bool read_only)
      : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
            BusyTimeoutMs) {
    db_.exec("PRAGMA foreign_keys = ON");
    if (read_only) {
      db_.exec("PRAGMA query_only = ON");
    }
  }

  SQLite::Database& db() { return db_; }

  using SqlSession::exec;
  using SqlSession::query;

  Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) override {
    try {
      SQLite::Statement& st = prepare(sql, params);
      SqlRows rows;
      while (st.executeStep()) {
        const int columns = st.getColumnCount();
        std::vector<SqlValue> values;
        values.reserve(static_cast<std::size_t>(columns));
        for (int i = 0; i < columns; ++i) {
          SQLite::Column column = st.getColumn(i);
          switch (column.getType()) {
            case SQLITE_INTEGER:
              values.emplace_back(column.getInt64());
              break;
            case SQLITE_FLOAT:
              values.emplace_back(column.getDouble());
              break;
            case SQLITE_NULL:
              values.emplace_back(std::monostate{});
              break;
            default:
              values.emplace_back(column.getString());
              break;
          }
        }
        rows.emplace_back(std::move(values));
      }
      st.reset();
      return rows;
    } catch (...) {
      resetAll();
      return currentSqliteError();
    }
  }

  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    try {
      SQLite::Statement& st = prepare(sql, params);
      while (st.executeStep()) {
      }
      const std::int64_t changed = db_.getChanges();
      st.reset();
      return changed;
    } catch (...) {
      resetAll();
      return currentSqliteError();
    }
  }

  /** Runs a script of several statements without parameters (migrations). */
  Result<void> script(std::string_view sql) {
    try {
      db_.exec(std::string(sql));
      return {};
    } catch (...) {
      return currentSqliteError();
    }
  }

 private:
  SQLite::Statement& prepare(std::string_view sql, std::span<const SqlValue> params) {
    auto it = statements_.find(std::string(sql));
    if (it == statements_.end()) {
      auto st = std::make_unique<SQLite::Statement>(db_, toSqlitePlaceholders(sql));
      it = statements_.emplace(std::string(sql), std::move(st)).first;
    }
    SQLite::Statement& st = *it->second;
    st.reset();
    st.clearBindings();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::monostate>) {
              st.bind(index);
            } else {
              st.bind(index, v);
            }
          },
          params[i]);
    }
    return st;
  }

  /** After a failure, leaves no statement half-run (an active statement would hold a lock). */
  void resetAll() {
    for (auto& [sql, st] : statements_) {
      st->tryReset();
    }
  }

  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

class SqliteDatabase final : public SqlDatabase {
 public:
  SqliteDatabase(std::unique_ptr<SqliteConnection> writer,
                 std::vector<std::unique_ptr<SqliteConnection>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {
    for (auto& reader : readers_) {
      idle_readers_.push_back(reader.get());
    }
  }

  std::string_view backend() const override { return "sqlite"; }

  Result<void> transact(const SessionWork& work) override {
    std::lock_guard lock(writer_mutex_);
    return transactLocked(work);
  }

  Result<void> read(const SessionWork& work) override {
    if (readers_.empty()) {
      std::lock_guard lock(writer_mutex_);
      return runCatching(*writer_, work);
    }
    SqliteConnection* reader = nullptr;
    {
      std::unique_lock lock(readers_mutex_);
      readers_free_.wait(lock, [&] { return !idle_readers_.empty(); });
      reader = idle_readers_.back();
      idle_readers_.pop_back();
    }
    // One read transaction, so the several queries of `work` see one snapshot.
    Result<void> result = reader->script("BEGIN");
    if (result.ok()) {
      result = runCatching(*reader, work);
      Result<void> ended = reader->script(result.ok() ? "COMMIT" : "ROLLBACK");
      if (result.ok() && !ended.ok()) {
        result = ended;
      }
    }
    {
      std::lock_guard lock(readers_mutex_);
      idle_readers_.push_back(reader);
    }
    readers_free_.notify_one();
    return result;
  }

  Result<int> migrate(std::span<const Migration> migrations) override {
    std::lock_guard lock(writer_mutex_);
    KEFU_TRY(
        writer_->script("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
    int applied = 0;
    for (const Migration& migration : migrations) {
      bool ran = false;
      // BEGIN IMMEDIATE takes the write lock first, so a second process migrating the same file
      // waits, then sees the version already recorded and skips it.
      KEFU_TRY(transactLocked([&](SqlSession& session) -> Result<void> {
        auto rows = session.query("SELECT 1 FROM schema_migrations WHERE version = $1",
                                  {std::int64_t{migration.version}});
        KEFU_TRY(rows);
        if (!rows->empty()) {
          return {};
        }
        KEFU_TRY(writer_->script(migration.sqlite));
        KEFU_TRY(session.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                              {std::int64_t{migration.version}, nowMillis()}));
        ran = true;
        return {};
      }));
      applied += ran ? 1 : 0;
    }
    return applied;
  }

  Result<int> schemaVersion() override {
    int version = 0;
    KEFU_TRY(read([&](SqlSession& session) -> Result<void> {
      auto tables = session.query(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
      KEFU_TRY(tables);
      if (tables->empty()) {
        return {};
      }
      auto rows = session.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      KEFU_TRY(rows);
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

  static Result<void> runCatching(SqliteConnection& connection, const SessionWork& work) {
    try {
      return work(connection);
    } catch (...) {
      return currentSqliteError();
    }
  }

  Result<void> transactLocked(const SessionWork& work) {
    KEFU_TRY(writer_->script("BEGIN IMMEDIATE"));
    Result<void> result = runCatching(*writer_, work);
    if (result.ok()) {
      Result<void> committed = writer_->script("COMMIT");
      if (committed.ok()) {
        return {};
      }
      result = committed;
    }
    (void)writer_->script("ROLLBACK");
    return result;
  }

  // Owned.
  std::mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable readers_free_;
  std::vector<SqliteConnection*> idle_readers_;
};

}  // namespace

Result<SqlDatabasePtr> openSqliteDatabase(const std::string& path, std::size_t readers) {
  try {
    if (path != ":memory:" && !path.empty()) {
      // `sqlite:var/kefu.db` on a fresh checkout: create the directory, as for the file itself.
      auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) {
        std::filesystem::create_directories(parent);
      }
    }
    auto writer = std::make_unique<SqliteConnection>(path, /*read_only=*/false);
    std::vector<std::unique_ptr<SqliteConnection>> reader_connections;
    if (path != ":memory:" && !path.empty()) {
      // WAL lets readers see the last commit while the writer works; FULL sync makes every
      // commit durable across power loss too (writes here are configuration, not hot paths).
      writer->db().exec("PRAGMA journal_mode = WAL");
      writer->db().exec("PRAGMA synchronous = FULL");
      for (std::size_t i = 0; i < readers; ++i) {
        reader_connections.push_back(std::make_unique<SqliteConnection>(path, /*read_only=*/true));
      }
    }
    return SqlDatabasePtr(
        std::make_unique<SqliteDatabase>(std::move(writer), std::move(reader_connections)));
  } catch (const std::exception& e) {
    return Error{ErrorCode::Unavailable, "cannot open SQLite database " + path + ": " + e.what(),
                 "storage.url"};
  }
}

}  // namespace kefu::store::internal
