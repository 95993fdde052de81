#pragma once

#include "core/result.h"
#include "core/time_source.h"
#include "crm/customer.h"
#include "privacy/audit_chain.h"
#include "privacy/tokenizer.h"

namespace kefu::crm {

/** @return PermissionDenied unless `role` may verify a caller's identity or change a customer
 * (not an auditor). */
Result<void> checkVerifyAllowed(std::string_view role);

/**
 * The reveal policy: admins and supervisors may see every personal field, agents the name and
 * phone numbers only (to greet and call back), auditors none (they read the trail, not the
 * data). A purpose (1–32 of [a-z0-9_-]) is required. @return PermissionDenied or
 * InvalidArgument naming the field otherwise.
 */
Result<void> checkRevealAllowed(std::string_view role, std::string_view field,
                                std::string_view purpose);

/**
 * The owner's side: answers from the customer repository (clear values on a site with the data
 * key), compares numbers by token, and appends one audit record per answer naming the asking
 * site, user and purpose (action `verify` or `detokenize:<purpose>`) before answering: nothing is
 * shown without its record. Thread-safe.
 */
class IdentityDesk final : public IdentityService {
 public:
  /** All references outlive the desk; `tokenizer` may not be null. */
  IdentityDesk(CustomerRepository& customers, privacy::TokenizerPtr tokenizer,
               privacy::AuditTrail& audit, const TimeSource& time)
      : customers_(customers), tokenizer_(std::move(tokenizer)), audit_(audit), time_(time) {}

  Result<bool> verifyIdentity(const VerifyIdentityRequest& request) override;
  Result<RevealedField> reveal(const RevealRequest& request) override;
  Result<std::int64_t> updateCustomer(const IdentityAsker& asker, const Customer& change) override;
  Result<Customer> createCustomer(const IdentityAsker& asker, const Customer& customer) override;
  Result<void> deleteCustomer(const IdentityAsker& asker, std::string_view id) override;

 private:
  Result<void> record(const IdentityAsker& asker, std::string action, const std::string& id,
                      std::string field);

  CustomerRepository& customers_;
  privacy::TokenizerPtr tokenizer_;
  privacy::AuditTrail& audit_;
  const TimeSource& time_;
};

}  // namespace kefu::crm
