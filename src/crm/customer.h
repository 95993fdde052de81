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

/** Who asks about a customer's identity, from which site and why: what the owner checks and
 * audits. */
struct IdentityAsker {
  std::string site;     // the site the request comes from (this site, or the edge over the link)
  std::string actor;    // the user id on that site
  std::string role;     // admin, supervisor, agent or auditor, as auth::toString(Role) spells it
  std::string purpose;  // why, as a short name (`callback`, `complaint`); required for a reveal
};

/** "Is this caller's number one of customer C's numbers?" */
struct VerifyIdentityRequest {
  IdentityAsker asker;
  std::string customer_id;
  std::string phone;  // the caller's number, as the caller presented it
};

/** "Show field F of customer C in clear, for purpose P." */
struct RevealRequest {
  IdentityAsker asker;
  std::string customer_id;
  std::string field;  // name, phones, id_number or accounts
};

/** The clear value(s) of one personal field (one for name and id_number). */
struct RevealedField {
  std::string field;
  std::vector<std::string> values;
};

/**
 * The owner of customers as any site sees it: verifies identities, reveals personal fields and
 * takes changes to customers. The site that owns customers (core, or all-in-one) answers from its
 * vault (IdentityDesk); an edge site asks the core over the site link — a change there is a
 * command to the owner — and gets Unavailable when the core cannot be reached. Thread-safe; every
 * call blocks.
 */
class IdentityService {
 public:
  virtual ~IdentityService() = default;
  /** @return whether `request.phone` is one of the customer's numbers; PermissionDenied for a
   * role that may not ask, NotFound, Unavailable when the owner cannot be reached. */
  virtual Result<bool> verifyIdentity(const VerifyIdentityRequest& request) = 0;
  /** @return the field's clear values; PermissionDenied when the role may not see the field or no
   * purpose is given, NotFound, Unavailable when the owner cannot be reached. */
  virtual Result<RevealedField> reveal(const RevealRequest& request) = 0;
  /**
   * Replaces the personal fields (name, phones, id_number, accounts) of customer `change.id` on
   * the owner, which audits each changed field and replicates the change. @return the time it
   * was stored (updated_at_ms); InvalidArgument, PermissionDenied, NotFound, Unavailable.
   */
  virtual Result<std::int64_t> updateCustomer(const IdentityAsker& asker,
                                              const Customer& change) = 0;
  /**
   * Creates a customer from `customer`'s personal fields; the owner gives it its id and times
   * and audits the creation naming the asking site and user. @return the stored customer;
   * InvalidArgument, PermissionDenied, Unavailable.
   */
  virtual Result<Customer> createCustomer(const IdentityAsker& asker, const Customer& customer) = 0;
  /** Deletes a customer, audited; PermissionDenied unless admin or supervisor; NotFound,
   *  Unavailable. */
  virtual Result<void> deleteCustomer(const IdentityAsker& asker, std::string_view id) = 0;
};

}  // namespace kefu::crm
