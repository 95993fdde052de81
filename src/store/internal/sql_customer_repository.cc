#include "store/internal/sql_customer_repository.h"

#include <spdlog/spdlog.h>

#include "store/internal/repository_support.h"
#include "store/internal/sql_call_record_repository.h"
#include "store/internal/sql_replication.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view Columns =
    "id, name, phones, id_number, accounts, created_at, updated_at";
constexpr std::array<std::string_view, 4> PersonalColumns = {"name", "phones", "id_number",
                                                             "accounts"};

/** @return `values` one a line (none of them may hold a line break: validate() checks). */
std::string joinLines(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    out += (out.empty() ? "" : "\n") + v;
  }
  return out;
}

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto newline = text.find('\n');
    out.emplace_back(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  }
  return out;
}

/** The authenticated context of a sealed field: a value copied to another row does not open. */
std::string context(std::string_view column, std::string_view id) {
  return "customers." + std::string(column) + ":" + std::string(id);
}

}  // namespace

/** A customer's personal fields as stored: sealed, or NULL when empty. */
struct SqlCustomerRepository::Sealed {
  std::array<SqlValue, 4> values;  // name, phones, id_number, accounts
};

Result<SqlCustomerRepository::Sealed> SqlCustomerRepository::seal(
    const crm::Customer& customer) const {
  const std::array<std::string, 4> plain = {customer.name, joinLines(customer.phones),
                                            customer.id_number, joinLines(customer.accounts)};
  Sealed sealed;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (plain[i].empty()) {
      continue;  // NULL
    }
    if (!cipher_) {
      // No key on this site: hand the value on as it is and let the residency guard decide.
      sealed.values[i] = plain[i];
      continue;
    }
    auto value = cipher_->seal(plain[i], context(PersonalColumns[i], customer.id));
    if (!value) {
      return value.error();
    }
    sealed.values[i] = std::move(value).value();
  }
  return sealed;
}

Result<std::string> SqlCustomerRepository::openField(const SqlRow& row, std::size_t column,
                                                     std::string_view name,
                                                     std::string_view id) const {
  std::string stored = row.text(column);
  if (stored.empty() || !privacy::FieldCipher::isSealed(stored)) {
    return stored;
  }
  if (!cipher_) {
    return std::string();  // this site cannot read personal data; it shows none
  }
  auto plain = cipher_->open(stored, context(name, id));
  if (!plain) {
    return Error::internal("customer " + std::string(id) + " " + std::string(name) +
                           " does not decrypt: " + plain.error().message);
  }
  return plain;
}

Result<crm::Customer> SqlCustomerRepository::toCustomer(const SqlRow& row) const {
  crm::Customer c;
  c.id = row.text(0);
  std::array<std::string, 4> plain;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    auto value = openField(row, i + 1, PersonalColumns[i], c.id);
    if (!value) {
      return value.error();
    }
    plain[i] = std::move(value).value();
  }
  c.name = std::move(plain[0]);
  c.phones = splitLines(plain[1]);
  c.id_number = std::move(plain[2]);
  c.accounts = splitLines(plain[3]);
  c.created_at_ms = row.int64(5);
  c.updated_at_ms = row.int64(6);
  return c;
}

Result<void> SqlCustomerRepository::writeTokens(SqlSession& session,
                                                const crm::Customer& customer) const {
  auto removed = session.exec("DELETE FROM customer_tokens WHERE customer_id = $1", {customer.id});
  if (!removed) {
    return removed.error();
  }
  std::vector<std::pair<std::string, std::string>> tokens;  // token, kind
  if (tokenizer_) {
    for (const auto& phone : customer.phones) {
      if (auto token = tokenizer_->phoneToken(phone)) {
        tokens.emplace_back(std::move(*token), "phone");
      }
    }
    if (auto token = tokenizer_->idNumberToken(customer.id_number)) {
      tokens.emplace_back(std::move(*token), "id_number");
    }
  }
  std::vector<std::pair<std::string, std::string>> stored;  // kind, token
  for (auto& [token, kind] : tokens) {
    // A customer may list the same number twice; the token is stored once.
    auto exists =
        session.query("SELECT 1 FROM customer_tokens WHERE customer_id = $1 AND token = $2",
                      {customer.id, token});
    if (!exists) {
      return exists.error();
    }
    if (!exists->empty()) {
      continue;
    }
    auto inserted =
        session.exec("INSERT INTO customer_tokens (customer_id, token, kind) VALUES ($1, $2, $3)",
                     {customer.id, token, kind});
    if (!inserted) {
      return inserted.error();
    }
    stored.emplace_back(kind, token);
  }
  if (!outbox_) {
    return {};
  }
  // The change and its event commit together: the link can never miss it nor see it early.
  auto queued =
      appendOutbox(session, database_.backend(), "customer", customer.id, "upsert",
                   customerLinkPayload(customer.created_at_ms, customer.updated_at_ms, stored),
                   customer.updated_at_ms);
  if (!queued) {
    return queued.error();
  }
  return {};
}

Result<void> SqlCustomerRepository::create(const crm::Customer& customer) {
  auto sealed = seal(customer);
  if (!sealed) {
    return sealed.error();
  }
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    const auto& v = sealed->values;
    auto inserted = session.exec(
        "INSERT INTO customers (id, name, phones, id_number, accounts, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {customer.id, v[0], v[1], v[2], v[3], customer.created_at_ms, customer.updated_at_ms});
    if (!inserted) {
      return inserted.error();
    }
    return writeTokens(session, customer);
  });
  if (!result && isUniqueViolation(result.error(), "id")) {
    return takenError("id", customer.id);
  }
  return result;
}

Result<std::vector<crm::Customer>> SqlCustomerRepository::queryCustomers(std::string_view sql,
                                                                         std::string_view key) {
  std::vector<crm::Customer> customers;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = key.empty() ? session.query(sql) : session.query(sql, {std::string(key)});
    if (!rows) {
      return rows.error();
    }
    customers.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto customer = toCustomer(row);
      if (!customer) {
        return customer.error();
      }
      customers.push_back(std::move(customer).value());
    }
    return {};
  }));
  return customers;
}

Result<crm::Customer> SqlCustomerRepository::get(std::string_view id) {
  static const std::string sql = "SELECT " + std::string(Columns) + " FROM customers WHERE id = $1";
  auto found = queryCustomers(sql, id);
  if (!found) {
    return found.error();
  }
  if (found->empty()) {
    return notFoundError("customer", id);
  }
  return std::move(found->front());
}

Result<std::vector<crm::Customer>> SqlCustomerRepository::list() {
  static const std::string sql =
      "SELECT " + std::string(Columns) + " FROM customers ORDER BY created_at, id";
  return queryCustomers(sql, {});
}

Result<std::vector<crm::Customer>> SqlCustomerRepository::findByToken(std::string_view token) {
  static const std::string sql = "SELECT " + std::string(Columns) +
                                 " FROM customers WHERE id IN (SELECT customer_id FROM "
                                 "customer_tokens WHERE token = $1) ORDER BY created_at, id";
  if (token.empty()) {
    return std::vector<crm::Customer>{};
  }
  return queryCustomers(sql, token);
}

Result<std::vector<std::string>> SqlCustomerRepository::tokensOf(std::string_view id) {
  std::vector<std::string> tokens;
  bool exists = false;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto customer = session.query("SELECT 1 FROM customers WHERE id = $1", {std::string(id)});
    if (!customer) {
      return customer.error();
    }
    exists = !customer->empty();
    auto rows = session.query(
        "SELECT token FROM customer_tokens WHERE customer_id = $1 ORDER BY kind DESC, token",
        {std::string(id)});
    if (!rows) {
      return rows.error();
    }
    for (const SqlRow& row : *rows) {
      tokens.push_back(row.text(0));
    }
    return {};
  }));
  if (!exists) {
    return notFoundError("customer", id);
  }
  return tokens;
}

Result<void> SqlCustomerRepository::update(const crm::Customer& customer) {
  auto sealed = seal(customer);
  if (!sealed) {
    return sealed.error();
  }
  return database_.transact([&](SqlSession& session) -> Result<void> {
    const auto& v = sealed->values;
    auto changed = session.exec(
        "UPDATE customers SET name = $2, phones = $3, id_number = $4, accounts = $5, "
        "updated_at = $6 WHERE id = $1",
        {customer.id, v[0], v[1], v[2], v[3], customer.updated_at_ms});
    if (!changed) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("customer", customer.id);
    }
    return writeTokens(session, customer);
  });
}

Result<void> SqlCustomerRepository::remove(std::string_view id) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM customers WHERE id = $1", {std::string(id)});
    if (!changed) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("customer", id);
    }
    if (outbox_) {
      auto queued = appendOutbox(session, database_.backend(), "customer", id, "delete", "", 0);
      if (!queued) {
        return queued.error();
      }
    }
    return {};
  });
}

Result<std::int64_t> SqlCustomerRepository::reseal() {
  if (!cipher_) {
    return Error{ErrorCode::PermissionDenied, "this site has no data key to re-encrypt with", {}};
  }
  const std::uint32_t current = cipher_->ring().currentDataKeyId();
  std::int64_t rewritten = 0;
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto rows = session.query("SELECT " + std::string(Columns) + " FROM customers ORDER BY id");
    if (!rows) {
      return rows.error();
    }
    for (const SqlRow& row : *rows) {
      bool stale = false;
      for (std::size_t i = 1; i <= 4; ++i) {
        const std::string stored = row.text(i);
        stale = stale || (!stored.empty() && privacy::FieldCipher::keyIdOf(stored) != current);
      }
      if (!stale) {
        continue;
      }
      auto customer = toCustomer(row);
      if (!customer) {
        return customer.error();
      }
      auto sealed = seal(*customer);
      if (!sealed) {
        return sealed.error();
      }
      const auto& v = sealed->values;
      auto changed = session.exec(
          "UPDATE customers SET name = $2, phones = $3, id_number = $4, accounts = $5 WHERE id = "
          "$1",
          {customer->id, v[0], v[1], v[2], v[3]});
      if (!changed) {
        return changed.error();
      }
      ++rewritten;
    }
    // The callers of call events are sealed under the same data keys: `kefu keys rotate` must
    // leave nothing under an old key. Each sealed value is rewritten where it stands (the same
    // ciphertext identifies its rows; the nonce makes it unique to one append).
    auto callers = session.query("SELECT DISTINCT call_id, caller FROM call_events");
    if (!callers) {
      return callers.error();
    }
    std::int64_t events = 0;
    for (const SqlRow& row : *callers) {
      const std::string call_id = row.text(0);
      const std::string stored = row.text(1);
      if (!privacy::FieldCipher::isSealed(stored) ||
          privacy::FieldCipher::keyIdOf(stored) == current) {
        continue;
      }
      auto plain = cipher_->open(stored, callerContext(call_id));
      if (!plain) {
        return plain.error();
      }
      auto sealed = cipher_->seal(*plain, callerContext(call_id));
      if (!sealed) {
        return sealed.error();
      }
      auto changed =
          session.exec("UPDATE call_events SET caller = $3 WHERE call_id = $1 AND caller = $2",
                       {call_id, stored, *sealed});
      if (!changed) {
        return changed.error();
      }
      events += *changed;
    }
    if (events > 0) {
      spdlog::info("keys: re-encrypted the caller of {} call event(s)", events);
    }
    return {};
  }));
  return rewritten;
}

}  // namespace kefu::store::internal
