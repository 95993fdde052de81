#include "crm/identity.h"

#include <algorithm>

#include "core/id.h"

namespace kefu::crm {
namespace {

constexpr std::size_t MaxPurpose = 32;

bool isPurpose(std::string_view s) {
  if (s.empty() || s.size() > MaxPurpose) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool isPersonalField(std::string_view field) {
  return field == "name" || field == "phones" || field == "id_number" || field == "accounts";
}

Error denied(std::string message) { return Error{ErrorCode::PermissionDenied, std::move(message)}; }

}  // namespace

Result<void> checkVerifyAllowed(std::string_view role) {
  if (role == "admin" || role == "supervisor" || role == "agent") {
    return {};
  }
  return denied("role " + std::string(role) + " may not verify identities");
}

Result<void> checkRevealAllowed(std::string_view role, std::string_view field,
                                std::string_view purpose) {
  if (!isPersonalField(field)) {
    return Error::invalid("field", "must be name, phones, id_number or accounts");
  }
  if (!isPurpose(purpose)) {
    return Error::invalid("purpose", "is required: 1-32 of a-z, 0-9, _ and -");
  }
  if (role == "admin" || role == "supervisor") {
    return {};
  }
  if (role == "agent" && (field == "name" || field == "phones")) {
    return {};
  }
  return denied("role " + std::string(role) + " may not reveal " + std::string(field));
}

Result<void> IdentityDesk::record(const IdentityAsker& asker, std::string action,
                                  const std::string& id, std::string field) {
  auto appended = audit_.append({{toUnixMillis(time_.systemTime()), asker.site, asker.actor,
                                  std::move(action), "customer", id, std::move(field)}});
  if (!appended) {
    return appended.error();
  }
  return {};
}

Result<bool> IdentityDesk::verifyIdentity(const VerifyIdentityRequest& request) {
  KEFU_TRY(checkVerifyAllowed(request.asker.role));
  auto token = tokenizer_->phoneToken(request.phone);
  if (!token) {
    return Error::invalid("phone", "is not a phone number");
  }
  auto tokens = customers_.tokensOf(request.customer_id);
  if (!tokens) {
    return tokens.error();
  }
  // Recorded whatever the answer: asking is already learning something about the customer.
  KEFU_TRY(record(request.asker, "verify", request.customer_id, "phones"));
  return std::find(tokens->begin(), tokens->end(), *token) != tokens->end();
}

Result<RevealedField> IdentityDesk::reveal(const RevealRequest& request) {
  KEFU_TRY(checkRevealAllowed(request.asker.role, request.field, request.asker.purpose));
  auto customer = customers_.get(request.customer_id);
  if (!customer) {
    return customer.error();
  }
  RevealedField out{request.field, {}};
  if (request.field == "name") {
    out.values = {customer->name};
  } else if (request.field == "phones") {
    out.values = customer->phones;
  } else if (request.field == "id_number") {
    out.values = {customer->id_number};
  } else {
    out.values = customer->accounts;
  }
  KEFU_TRY(record(request.asker, "detokenize:" + request.asker.purpose, request.customer_id,
                  request.field));
  return out;
}

Result<std::int64_t> IdentityDesk::updateCustomer(const IdentityAsker& asker,
                                                  const Customer& change) {
  KEFU_TRY(checkVerifyAllowed(asker.role));
  auto stored = customers_.get(change.id);
  if (!stored) {
    return stored.error();
  }
  Customer updated = *stored;
  updated.name = change.name;
  updated.phones = change.phones;
  updated.id_number = change.id_number;
  updated.accounts = change.accounts;
  updated.updated_at_ms = toUnixMillis(time_.systemTime());
  KEFU_TRY(validate(updated));
  KEFU_TRY(customers_.update(updated));
  // One record per field that changed, as for a change made on this site's own API.
  std::vector<privacy::AuditEntry> entries;
  auto note = [&](bool changed, const char* field) {
    if (changed) {
      entries.push_back({updated.updated_at_ms, asker.site, asker.actor, "update", "customer",
                         updated.id, field});
    }
  };
  note(stored->name != updated.name, "name");
  note(stored->phones != updated.phones, "phones");
  note(stored->id_number != updated.id_number, "id_number");
  note(stored->accounts != updated.accounts, "accounts");
  if (!entries.empty()) {
    auto appended = audit_.append(entries);
    if (!appended) {
      return appended.error();
    }
  }
  return updated.updated_at_ms;
}

Result<Customer> IdentityDesk::createCustomer(const IdentityAsker& asker,
                                              const Customer& customer) {
  KEFU_TRY(checkVerifyAllowed(asker.role));
  Customer created{newId("cu", time_),
                   customer.name,
                   customer.phones,
                   customer.id_number,
                   customer.accounts,
                   0,
                   0};
  created.created_at_ms = created.updated_at_ms = toUnixMillis(time_.systemTime());
  KEFU_TRY(validate(created));
  KEFU_TRY(customers_.create(created));
  // One record per field given, as for a creation on this site's own API.
  std::vector<privacy::AuditEntry> entries;
  auto note = [&](bool given, const char* field) {
    if (given) {
      entries.push_back({created.created_at_ms, asker.site, asker.actor, "create", "customer",
                         created.id, field});
    }
  };
  note(!created.name.empty(), "name");
  note(!created.phones.empty(), "phones");
  note(!created.id_number.empty(), "id_number");
  note(!created.accounts.empty(), "accounts");
  if (!entries.empty()) {
    auto appended = audit_.append(entries);
    if (!appended) {
      return appended.error();
    }
  }
  return created;
}

Result<void> IdentityDesk::deleteCustomer(const IdentityAsker& asker, std::string_view id) {
  if (asker.role != "admin" && asker.role != "supervisor") {
    return Error{ErrorCode::PermissionDenied, "only admins and supervisors delete customers", ""};
  }
  KEFU_TRY(customers_.remove(id));
  return record(asker, "delete", std::string(id), "");
}

}  // namespace kefu::crm
