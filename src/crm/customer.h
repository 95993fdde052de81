#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/repository.h"
#include "core/result.h"

namespace kefu::crm {

/**
 * A customer: the first core-class entity. Its personal fields live only on the core site (or an
 * all-in-one site), encrypted at rest; other sites know a customer by id and by the tokens of its
 * phone and ID numbers.
 */
struct Customer {
  std::string id;
  std::string name;                   // core
  std::vector<std::string> phones;    // core; each a phone number as given
  std::string id_number;              // core; empty when unknown
  std::vector<std::string> accounts;  // core; bank or service account numbers
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/** @return InvalidArgument naming the field (`phones[1]`) when `customer` breaks a rule. */
Result<void> validate(const Customer& customer);

/** Customers by id; also by the token of a phone or ID number (privacy/tokenizer.h). */
class CustomerRepository : public Repository<Customer> {
 public:
  /** @return the customers one of whose phone or ID number has `token`, oldest first. Blocks. */
  virtual Result<std::vector<Customer>> findByToken(std::string_view token) = 0;
  /** @return the tokens stored for customer `id` (phones, then ID number); NotFound. Blocks. */
  virtual Result<std::vector<std::string>> tokensOf(std::string_view id) = 0;
  /**
   * Re-encrypts every customer's personal fields under the current data key (after a key
   * rotation); @return how many customers were rewritten. Blocks.
   */
  virtual Result<std::int64_t> reseal() = 0;
};

}  // namespace kefu::crm
