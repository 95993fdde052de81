#include "store/internal/residency_guard.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "privacy/field_cipher.h"
#include "store/schema.h"

namespace kefu::store::internal {
namespace {

std::atomic<std::uint64_t> refusals{0};

/** One lexical token of a SQL statement. */
struct Token {
  enum Kind { Word, Param, Literal, Punct } kind;
  std::string text;  // a Word lower-cased (quotes removed); a Param's number; a Punct's char
};

/** @return the tokens of `sql`; quoted text becomes one Literal, so nothing inside it counts. */
std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') {
        ++i;
      }
    } else if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      std::string text;
      while (j < sql.size()) {
        if (sql[j] == c && j + 1 < sql.size() && sql[j + 1] == c) {
          text += c;
          j += 2;
        } else if (sql[j] == c) {
          break;
        } else {
          text += sql[j++];
        }
      }
      if (c == '"') {
        for (char& ch : text) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        out.push_back({Token::Word, std::move(text)});
      } else {
        out.push_back({Token::Literal, std::move(text)});
      }
      i = j + 1;
    } else if ((c == '$' || c == '?') && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      std::size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
        ++j;
      }
      out.push_back({Token::Param, std::string(sql.substr(i + 1, j - i - 1))});
      i = j;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      std::string text;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
        text += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[j++])));
      }
      const bool number = std::isdigit(static_cast<unsigned char>(c));
      out.push_back({number ? Token::Literal : Token::Word, std::move(text)});
      i = j;
    } else {
      out.push_back({Token::Punct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

/** Checks statements against the policy. Immutable after construction. */
class Checker {
 public:
  explicit Checker(privacy::ResidencyPolicy policy) : policy_(std::move(policy)) {
    for (const ColumnClass& c : schemaColumns()) {
      declared_.emplace(std::string(c.table) + "." + std::string(c.column), c.data_class);
      tables_.emplace(c.table);
    }
    for (const auto& o : policy_.overrides()) {
      tables_.emplace(o.table);
    }
  }

  bool active() const { return !policy_.mayStoreInClear(privacy::DataClass::Core); }

  /** @return an error when `sql` with `params` would store a core-class value in clear. */
  Result<void> check(std::string_view sql, std::span<const SqlValue> params) const {
    if (!active()) {
      return {};
    }
    auto tokens = tokenize(sql);
    if (tokens.empty() || tokens[0].kind != Token::Word) {
      return {};
    }
    const std::string& verb = tokens[0].text;
    if (verb == "select" || verb == "delete") {
      // Reads and deletions put no value anywhere; a SELECT … INTO or a data-changing CTE is
      // caught below because it names a write verb later on.
      if (!mentionsWordAfter(tokens, {"insert", "update", "into"})) {
        return {};
      }
      return refuseIfCoreTable(tokens, "a write inside a query");
    }
    if (verb == "insert" || verb == "replace") {
      return checkInsert(tokens, params);
    }
    if (verb == "update") {
      return checkUpdate(tokens, params);
    }
    return refuseIfCoreTable(tokens, "a statement the residency guard cannot read");
  }

 private:
  bool isCore(std::string_view table, std::string_view column) const {
    auto it = declared_.find(std::string(table) + "." + std::string(column));
    auto declared = it == declared_.end() ? privacy::DataClass::Operational : it->second;
    return !policy_.mayStoreInClear(policy_.classOf(table, column, declared));
  }

  bool tableHasCore(std::string_view table) const {
    for (const auto& [name, data_class] : declared_) {
      if (name.starts_with(std::string(table) + ".") &&
          isCore(table, std::string_view(name).substr(table.size() + 1))) {
        return true;
      }
    }
    for (const auto& o : policy_.overrides()) {
      if (o.table == table && !policy_.mayStoreInClear(o.data_class)) {
        return true;
      }
    }
    return false;
  }

  static bool mentionsWordAfter(const std::vector<Token>& tokens,
                                std::initializer_list<std::string_view> words) {
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      for (auto w : words) {
        if (tokens[i].kind == Token::Word && tokens[i].text == w) {
          return true;
        }
      }
    }
    return false;
  }

  Result<void> refuseIfCoreTable(const std::vector<Token>& tokens, std::string_view why) const {
    for (const Token& t : tokens) {
      if (t.kind == Token::Word && tables_.count(t.text) > 0 && tableHasCore(t.text)) {
        return refuse(t.text, "", std::string(why) + " touches a table with core-class columns");
      }
    }
    return {};
  }

  Result<void> refuse(std::string_view table, std::string_view column, std::string why) const {
    refusals.fetch_add(1, std::memory_order_relaxed);
    std::string field = std::string(table) + (column.empty() ? "" : "." + std::string(column));
    spdlog::warn("residency: refused a write to {}: {}", field, why);
    return Error{ErrorCode::PermissionDenied,
                 "residency policy: this site may not store core-class data in clear (" + field +
                     ": " + why + ")",
                 field};
  }

  /** @return true when the value bound or written at tokens[i] may go into a core column. */
  static bool safeValue(const std::vector<Token>& tokens, std::size_t i,
                        std::span<const SqlValue> params) {
    const Token& t = tokens[i];
    if (t.kind == Token::Word && t.text == "null") {
      return true;
    }
    if (t.kind == Token::Literal) {
      return t.text.empty() || privacy::FieldCipher::isSealed(t.text);
    }
    if (t.kind != Token::Param) {
      return false;
    }
    const std::size_t n = std::stoul(t.text.substr(0, 6));
    if (n == 0 || n > params.size()) {
      return false;
    }
    const SqlValue& v = params[n - 1];
    if (std::holds_alternative<std::monostate>(v)) {
      return true;
    }
    const auto* text = std::get_if<std::string>(&v);
    return text != nullptr && (text->empty() || privacy::FieldCipher::isSealed(*text));
  }

  /** @return true when tokens[i] is a single value followed by `,` or `)` or the end. */
  static bool singleValue(const std::vector<Token>& tokens, std::size_t i, std::string_view ends) {
    return i + 1 >= tokens.size() ||
           (tokens[i + 1].kind == Token::Punct && ends.find(tokens[i + 1].text[0]) != ends.npos) ||
           (tokens[i + 1].kind == Token::Word && ends == "," &&
            (tokens[i + 1].text == "where" || tokens[i + 1].text == "returning"));
  }

  Result<void> checkInsert(const std::vector<Token>& tokens,
                           std::span<const SqlValue> params) const {
    // INSERT [OR word] INTO table (columns) VALUES (values)[, (values)]… [ON CONFLICT …]
    std::size_t i = 1;
    while (i < tokens.size() && !(tokens[i].kind == Token::Word && tokens[i].text == "into")) {
      ++i;
    }
    if (i + 1 >= tokens.size() || tokens[i + 1].kind != Token::Word) {
      return refuseIfCoreTable(tokens, "an INSERT the guard cannot read");
    }
    const std::string table = tokens[i + 1].text;
    if (!tableHasCore(table)) {
      return {};
    }
    i += 2;
    std::vector<std::string> columns;
    if (i >= tokens.size() || tokens[i].text != "(") {
      return refuse(table, "", "an INSERT must name its columns");
    }
    for (++i; i < tokens.size() && tokens[i].text != ")"; ++i) {
      if (tokens[i].kind == Token::Word) {
        columns.push_back(tokens[i].text);
      }
    }
    ++i;
    if (i >= tokens.size() || tokens[i].text != "values") {
      return refuse(table, "", "an INSERT that is not INSERT … VALUES");
    }
    ++i;
    while (i < tokens.size() && tokens[i].text == "(") {
      ++i;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        if (i >= tokens.size()) {
          return refuse(table, "", "an INSERT whose values the guard cannot read");
        }
        if (isCore(table, columns[c]) &&
            !(singleValue(tokens, i, ",)") && safeValue(tokens, i, params))) {
          return refuse(table, columns[c], "the value is not sealed");
        }
        // Skip this value, which may be an expression with parentheses.
        int depth = 0;
        while (i < tokens.size() &&
               !(depth == 0 && (tokens[i].text == "," || tokens[i].text == ")"))) {
          depth += tokens[i].text == "(" ? 1 : tokens[i].text == ")" ? -1 : 0;
          ++i;
        }
        if (i < tokens.size() && tokens[i].text == ",") {
          ++i;
        }
      }
      if (i < tokens.size() && tokens[i].text == ")") {
        ++i;
      }
      if (i < tokens.size() && tokens[i].text == ",") {
        ++i;
      } else {
        break;
      }
    }
    // An upsert may only copy the checked values (`excluded.col`) into core columns.
    for (; i < tokens.size(); ++i) {
      if (tokens[i].kind == Token::Word && isCore(table, tokens[i].text) && i + 1 < tokens.size() &&
          tokens[i + 1].text == "=") {
        const bool copies_excluded = i + 4 < tokens.size() && tokens[i + 2].text == "excluded" &&
                                     tokens[i + 3].text == "." &&
                                     tokens[i + 4].text == tokens[i].text;
        if (!copies_excluded) {
          return refuse(table, tokens[i].text, "an upsert sets it from something unchecked");
        }
      }
    }
    return {};
  }

  Result<void> checkUpdate(const std::vector<Token>& tokens,
                           std::span<const SqlValue> params) const {
    // UPDATE table SET column = value, … [WHERE …]
    std::size_t i = 1;
    if (i < tokens.size() && tokens[i].text == "only") {
      ++i;
    }
    if (i >= tokens.size() || tokens[i].kind != Token::Word) {
      return refuseIfCoreTable(tokens, "an UPDATE the guard cannot read");
    }
    const std::string table = tokens[i].text;
    if (!tableHasCore(table)) {
      return {};
    }
    ++i;
    if (i >= tokens.size() || tokens[i].text != "set") {
      return refuse(table, "", "an UPDATE the guard cannot read");
    }
    ++i;
    while (i < tokens.size()) {
      if (tokens[i].kind == Token::Word && (tokens[i].text == "where" || tokens[i].text == "from" ||
                                            tokens[i].text == "returning")) {
        break;
      }
      if (tokens[i].text == "(") {
        return refuse(table, "", "a multi-column assignment the guard cannot read");
      }
      if (tokens[i].kind != Token::Word || i + 2 >= tokens.size() || tokens[i + 1].text != "=") {
        return refuse(table, "", "an UPDATE the guard cannot read");
      }
      const std::string column = tokens[i].text;
      i += 2;
      if (isCore(table, column) && !(singleValue(tokens, i, ",") && safeValue(tokens, i, params))) {
        return refuse(table, column, "the value is not sealed");
      }
      int depth = 0;
      while (i < tokens.size() && !(depth == 0 && tokens[i].text == ",")) {
        if (depth == 0 && tokens[i].kind == Token::Word &&
            (tokens[i].text == "where" || tokens[i].text == "from" ||
             tokens[i].text == "returning")) {
          break;
        }
        depth += tokens[i].text == "(" ? 1 : tokens[i].text == ")" ? -1 : 0;
        ++i;
      }
      if (i < tokens.size() && tokens[i].text == ",") {
        ++i;
      }
    }
    return {};
  }

  privacy::ResidencyPolicy policy_;
  std::map<std::string, privacy::DataClass> declared_;  // "table.column" → declared class
  std::set<std::string> tables_;
};

class GuardedSession final : public SqlSession {
 public:
  GuardedSession(SqlSession& inner, const Checker& checker) : inner_(inner), checker_(checker) {}

  Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) override {
    KEFU_TRY(checker_.check(sql, params));
    return inner_.query(sql, params);
  }
  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    KEFU_TRY(checker_.check(sql, params));
    return inner_.exec(sql, params);
  }
  using SqlSession::exec;
  using SqlSession::query;

 private:
  SqlSession& inner_;
  const Checker& checker_;
};

class GuardedDatabase final : public SqlDatabase {
 public:
  GuardedDatabase(SqlDatabasePtr inner, privacy::ResidencyPolicy policy)
      : inner_(std::move(inner)), checker_(std::move(policy)) {}

  std::string_view backend() const override { return inner_->backend(); }
  Result<void> transact(const SessionWork& work) override {
    return inner_->transact([&](SqlSession& session) {
      GuardedSession guarded(session, checker_);
      return work(guarded);
    });
  }
  Result<void> read(const SessionWork& work) override {
    return inner_->read([&](SqlSession& session) {
      GuardedSession guarded(session, checker_);
      return work(guarded);
    });
  }
  Result<int> migrate(std::span<const Migration> migrations) override {
    return inner_->migrate(migrations);  // schema changes carry no personal values
  }
  Result<int> schemaVersion() override { return inner_->schemaVersion(); }

 private:
  SqlDatabasePtr inner_;
  Checker checker_;
};

}  // namespace

SqlDatabasePtr guardResidency(SqlDatabasePtr inner, privacy::ResidencyPolicy policy) {
  return std::make_unique<GuardedDatabase>(std::move(inner), std::move(policy));
}

std::uint64_t residencyRefusals() { return refusals.load(std::memory_order_relaxed); }

}  // namespace kefu::store::internal
