// Every column the migrations create is declared, with its data class, in store/schema.cc, and
// nothing declared is missing: read back from each backend's real schema.

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <set>
#include <utility>

#include "store/schema.h"
#include "store/store.h"
#include "support/postgres_cluster.h"

namespace kefu::store {
namespace {

using ColumnSet = std::set<std::pair<std::string, std::string>>;

ColumnSet declaredColumns() {
  ColumnSet declared;
  for (const ColumnClass& c : schemaColumns()) {
    EXPECT_TRUE(declared.emplace(std::string(c.table), std::string(c.column)).second)
        << c.table << "." << c.column << " is declared twice";
  }
  return declared;
}

void migrate(const std::string& url) {
  auto store = openStore(url);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto migrated = (*store)->migrate();
  ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  EXPECT_GE(*migrated, 1);
}

TEST(StoreSchemaTest, SqliteColumnsAreExactlyTheDeclaredOnes) {
  std::string dir = (std::filesystem::temp_directory_path() / "kefu-schema-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/kefu.db";
  migrate("sqlite:" + path);

  ColumnSet actual;
  {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement tables(db,
                             "SELECT name FROM sqlite_master WHERE type = 'table' "
                             "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'");
    while (tables.executeStep()) {
      const std::string table = tables.getColumn(0).getString();
      SQLite::Statement columns(db, "SELECT name FROM pragma_table_info(?)");
      columns.bind(1, table);
      while (columns.executeStep()) {
        actual.emplace(table, columns.getColumn(0).getString());
      }
    }
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(actual, declaredColumns());
}

TEST(StoreSchemaTest, PostgresColumnsAreExactlyTheDeclaredOnes) {
  const std::string url = test::sharedPostgres().createDatabase("schema_test");
  migrate(url);

  ColumnSet actual;
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  for (const auto& row :
       tx.exec("SELECT table_name, column_name FROM information_schema.columns "
               "WHERE table_schema = 'public' AND table_name <> 'schema_migrations'")) {
    actual.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  EXPECT_EQ(actual, declaredColumns());
}

}  // namespace
}  // namespace kefu::store
