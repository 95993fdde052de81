#include "store/internal/sql_value.h"

#include <gtest/gtest.h>

namespace kefu::store::internal {
namespace {

TEST(SqlitePlaceholdersTest, RewritesNumberedPlaceholders) {
  EXPECT_EQ(toSqlitePlaceholders("SELECT a FROM t WHERE id = $1 AND b = $12"),
            "SELECT a FROM t WHERE id = ?1 AND b = ?12");
}

TEST(SqlitePlaceholdersTest, LeavesQuotedTextAndBareDollarsAlone) {
  EXPECT_EQ(toSqlitePlaceholders("SELECT '$1', \"$2\" FROM t WHERE x = $3 AND y = '$'"),
            "SELECT '$1', \"$2\" FROM t WHERE x = ?3 AND y = '$'");
  EXPECT_EQ(toSqlitePlaceholders("SELECT 'it''s $1' || $2"), "SELECT 'it''s $1' || ?2");
}

TEST(SqlRowTest, ReadsNullAsZeroOrEmpty) {
  SqlRow row({SqlValue{}, SqlValue{std::int64_t{7}}, SqlValue{std::string("42")}});
  EXPECT_TRUE(row.isNull(0));
  EXPECT_EQ(row.text(0), "");
  EXPECT_EQ(row.int64(0), 0);
  EXPECT_EQ(row.int64(1), 7);
  EXPECT_EQ(row.text(1), "7");
  EXPECT_EQ(row.int64(2), 42);
}

TEST(SqlValueTest, EmptyReferenceIsNull) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(nullIfEmpty("")));
  EXPECT_EQ(std::get<std::string>(nullIfEmpty("us_1")), "us_1");
}

}  // namespace
}  // namespace kefu::store::internal
