#pragma once

#include "crm/customer.h"
#include "privacy/field_cipher.h"
#include "privacy/tokenizer.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Customers in `customers` (personal fields sealed by `cipher`) and the tokens of their phone and
 * ID numbers in `customer_tokens`. Without a cipher (an edge site) it writes personal fields as
 * given, which the residency guard refuses, and reads sealed ones as empty. Thread-safe; every call
 * blocks on the database.
 */
class SqlCustomerRepository final : public crm::CustomerRepository {
 public:
  /** With `outbox`, every change is also written to the site link's outbox, in its transaction. */
  SqlCustomerRepository(SqlDatabase& database, privacy::FieldCipherPtr cipher,
                        privacy::TokenizerPtr tokenizer, bool outbox)
      : database_(database),
        cipher_(std::move(cipher)),
        tokenizer_(std::move(tokenizer)),
        outbox_(outbox) {}

  Result<void> create(const crm::Customer& customer) override;
  Result<crm::Customer> get(std::string_view id) override;
  Result<std::vector<crm::Customer>> list() override;
  Result<void> update(const crm::Customer& customer) override;
  Result<void> remove(std::string_view id) override;
  Result<std::vector<crm::Customer>> findByToken(std::string_view token) override;
  Result<std::vector<std::string>> tokensOf(std::string_view id) override;
  Result<std::int64_t> reseal() override;

 private:
  struct Sealed;
  Result<Sealed> seal(const crm::Customer& customer) const;
  Result<crm::Customer> toCustomer(const SqlRow& row) const;
  Result<std::string> openField(const SqlRow& row, std::size_t column, std::string_view name,
                                std::string_view id) const;
  /** Replaces the customer's tokens, then writes the change to the outbox when enabled. */
  Result<void> writeTokens(SqlSession& session, const crm::Customer& customer) const;
  Result<std::vector<crm::Customer>> queryCustomers(std::string_view sql, std::string_view key);

  // Not owned, outlives this.
  SqlDatabase& database_;
  // Shared, immutable; null when the site has no keys.
  privacy::FieldCipherPtr cipher_;
  privacy::TokenizerPtr tokenizer_;
  bool outbox_;
};

}  // namespace kefu::store::internal
