#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/internal/sql_value.h"

namespace kefu::store::internal {

/**
 * One borrowed connection, inside a transaction or not. SQL uses `$1`-style placeholders on every
 * backend; values are always bound, never spliced into the text. Database failures come back as
 * errors, never as exceptions:
 *   unique violation → AlreadyExists, `field` = the column (when the backend says which);
 *   foreign key violation → Conflict, `field` = the column when known (the caller decides what
 *   it means: an unknown reference on insert, a row still in use on delete);
 *   lost connection, busy database → Unavailable; anything else → Internal.
 * Used only on the thread that borrowed it.
 */
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  /** Runs a statement that returns rows; @return the rows. */
  virtual Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) = 0;
  /** Runs a statement that changes rows; @return how many it changed. */
  virtual Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) = 0;

  Result<SqlRows> query(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return query(sql, std::span<const SqlValue>(params.begin(), params.size()));
  }
  Result<std::int64_t> exec(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return exec(sql, std::span<const SqlValue>(params.begin(), params.size()));
  }
};

/** A schema change, in each backend's dialect; applied once, in its own transaction. */
struct Migration {
  int version;
  std::string_view description;
  std::string_view sqlite;
  std::string_view postgres;
};

using SessionWork = std::function<Result<void>(SqlSession&)>;

/**
 * A database reached through a set of connections. Thread-safe: each call borrows a connection
 * for its duration (waiting when all are busy).
 */
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  /** @return "sqlite" or "postgresql". */
  virtual std::string_view backend() const = 0;
  /**
   * Runs `work` in one write transaction: committed when it returns ok, rolled back when it
   * returns an error (which is passed on) or throws. Never lets an exception out.
   */
  virtual Result<void> transact(const SessionWork& work) = 0;
  /** Runs `work` on a connection for reading, outside an explicit transaction. */
  virtual Result<void> read(const SessionWork& work) = 0;
  /** Applies the migrations above the stored version, each in its own transaction; @return how
   * many. */
  virtual Result<int> migrate(std::span<const Migration> migrations) = 0;
  /** @return the highest applied migration version, 0 when none. */
  virtual Result<int> schemaVersion() = 0;
};
using SqlDatabasePtr = std::unique_ptr<SqlDatabase>;

}  // namespace kefu::store::internal
