#include "store/internal/sql_error.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace kefu::store::internal {
namespace {

TEST(SqliteErrorTest, UniqueViolationNamesTheColumn) {
  const Error e =
      sqliteError(SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: agents.extension");
  EXPECT_EQ(e.code, ErrorCode::AlreadyExists);
  EXPECT_EQ(e.field, "extension");
}

TEST(SqliteErrorTest, PrimaryKeyOfSeveralColumnsNamesTheFirst) {
  const Error e =
      sqliteError(SQLITE_CONSTRAINT_PRIMARYKEY,
                  "UNIQUE constraint failed: agent_skills.agent_id, agent_skills.skill_id");
  EXPECT_EQ(e.code, ErrorCode::AlreadyExists);
  EXPECT_EQ(e.field, "agent_id");
}

TEST(SqliteErrorTest, ForeignKeyIsConflictAndBusyIsUnavailable) {
  EXPECT_EQ(sqliteError(SQLITE_CONSTRAINT_FOREIGNKEY, "FOREIGN KEY constraint failed").code,
            ErrorCode::Conflict);
  // ON DELETE RESTRICT reports the plain code; the message tells.
  EXPECT_EQ(sqliteError(SQLITE_CONSTRAINT, "FOREIGN KEY constraint failed").code,
            ErrorCode::Conflict);
  EXPECT_EQ(sqliteError(SQLITE_BUSY, "database is locked").code, ErrorCode::Unavailable);
  EXPECT_EQ(sqliteError(SQLITE_ERROR, "no such table: x").code, ErrorCode::Internal);
}

TEST(PostgresErrorTest, UniqueViolationNamesTheColumnFromDetail) {
  const Error e = postgresError(
      "23505",
      "ERROR:  duplicate key value violates unique constraint \"agents_extension_key\"\n"
      "DETAIL:  Key (extension)=(1001) already exists.\n");
  EXPECT_EQ(e.code, ErrorCode::AlreadyExists);
  EXPECT_EQ(e.field, "extension");
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

TEST(PostgresErrorTest, ForeignKeyConnectionAndOther) {
  const Error fk = postgresError(
      "23503",
      "ERROR:  insert or update on table \"agent_skills\" violates foreign key constraint\n"
      "DETAIL:  Key (skill_id)=(sk_x) is not present in table \"skills\".");
  EXPECT_EQ(fk.code, ErrorCode::Conflict);
  EXPECT_EQ(fk.field, "skill_id");
  EXPECT_EQ(postgresError("08006", "connection failure").code, ErrorCode::Unavailable);
  EXPECT_EQ(postgresError("57P01", "terminating connection").code, ErrorCode::Unavailable);
  EXPECT_EQ(postgresError("42P01", "relation does not exist").code, ErrorCode::Internal);
}

}  // namespace
}  // namespace kefu::store::internal
