#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kefu::store::internal {

/** One SQL parameter or result cell: NULL, an integer, a real or a text. */
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

/** @return a NULL value when `s` is empty, else the text: how optional references are stored. */
inline SqlValue nullIfEmpty(std::string_view s) {
  return s.empty() ? SqlValue{} : SqlValue{std::string(s)};
}

/** One result row. Accessors convert leniently: a NULL reads as 0 or "". */
class SqlRow {
 public:
  SqlRow() = default;
  explicit SqlRow(std::vector<SqlValue> values) : values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  const SqlValue& at(std::size_t i) const { return values_.at(i); }
  bool isNull(std::size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  std::int64_t int64(std::size_t i) const;
  double real(std::size_t i) const;
  std::string text(std::size_t i) const;

 private:
  std::vector<SqlValue> values_;
};
using SqlRows = std::vector<SqlRow>;

/**
 * Rewrites PostgreSQL placeholders (`$1`) as SQLite's numbered ones (`?1`), leaving quoted text
 * and identifiers alone, so each repository's SQL is written once for both backends.
 */
std::string toSqlitePlaceholders(std::string_view sql);

}  // namespace kefu::store::internal
