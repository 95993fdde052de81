// Customers (the personal-data vault) and the audit trail of their personal fields. Responses mask
// personal values unless the caller asks to see them (`?reveal=true`); every reveal, change and
// lookup is written to the hash-chained audit trail with who, what, when and where.

#include <array>

#include "api/rest_api.h"
#include "api/route_support.h"
#include "core/id.h"
#include "privacy/masking.h"

namespace kefu::api {
namespace {

using auth::Role;

constexpr std::array<std::string_view, 4> PersonalFields = {"name", "phones", "id_number",
                                                            "accounts"};
constexpr std::size_t MaxAuditPage = 1000;

/** @return true when the undecoded query string holds `name=true`. */
bool queryFlag(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (item.size() == name.size() + 5 && item.starts_with(name) &&
        item.substr(name.size()) == "=true") {
      return true;
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return false;
}

/** @return the strings of the array at `key`; InvalidArgument naming the element otherwise. */
Result<std::vector<std::string>> stringArray(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return Error::invalid(key, "must be an array of strings");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) {
      return Error::invalid(std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

/** Reads the fields a client may write onto `base`. */
Result<crm::Customer> customerFromJson(const Json& body, crm::Customer base) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    const bool known = key == "name" || key == "phones" || key == "id_number" ||
                       key == "accounts" || key == "id" || key == "created_at" ||
                       key == "updated_at" || key == "tokens" || key == "masked" ||
                       key == "personal_data_available";
    if (!known) {
      return Error::invalid(key, "unknown field");
    }
  }
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) {
    return Error::invalid("name", "is required and must be a string");
  }
  base.name = name->get<std::string>();
  auto id_number = body.find("id_number");
  if (id_number != body.end() && !id_number->is_null() && !id_number->is_string()) {
    return Error::invalid("id_number", "must be a string or null");
  }
  base.id_number =
      id_number != body.end() && id_number->is_string() ? id_number->get<std::string>() : "";
  auto phones = stringArray(body, "phones");
  if (!phones) {
    return phones.error();
  }
  base.phones = std::move(phones).value();
  auto accounts = stringArray(body, "accounts");
  if (!accounts) {
    return accounts.error();
  }
  base.accounts = std::move(accounts).value();
  KEFU_TRY(crm::validate(base));
  return base;
}

void writeStrings(JsonWriter& w, const std::vector<std::string>& values,
                  std::string (*mask)(std::string_view)) {
  w.beginArray();
  for (const auto& v : values) {
    w.value(mask == nullptr ? v : mask(v));
  }
  w.endArray();
}

/** Writes a customer, its personal fields masked unless `reveal`. */
void writeCustomer(JsonWriter& w, const crm::Customer& c, const std::vector<std::string>& tokens,
                   bool reveal, bool available) {
  w.beginObject().key("id").value(c.id);
  w.key("name").value(reveal ? c.name : privacy::maskName(c.name));
  w.key("phones");
  writeStrings(w, c.phones, reveal ? nullptr : &privacy::maskPhone);
  w.key("id_number").valueOrNull(reveal ? c.id_number : privacy::maskIdNumber(c.id_number));
  w.key("accounts");
  writeStrings(w, c.accounts, reveal ? nullptr : &privacy::maskAccount);
  w.key("tokens");
  writeStrings(w, tokens, nullptr);
  w.key("masked").raw(reveal ? "false" : "true");
  w.key("personal_data_available").raw(available ? "true" : "false");
  w.key("created_at").value(formatTime(c.created_at_ms));
  w.key("updated_at").value(formatTime(c.updated_at_ms)).endObject();
}

void writeAuditRecord(JsonWriter& w, const privacy::AuditRecord& r) {
  const auto& e = r.entry;
  w.beginObject().key("seq").value(r.seq).key("at").value(formatTime(e.at_ms));
  w.key("site").value(e.site).key("actor").value(e.actor).key("action").value(e.action);
  w.key("entity").value(e.entity).key("entity_id").value(e.entity_id);
  w.key("field").valueOrNull(e.field).key("prev_hash").value(r.prev_hash);
  w.key("hash").value(r.hash).endObject();
}

/** @return the personal fields that differ between `a` and `b` (all non-empty ones of `b` when
 * `a` is null). */
std::vector<std::string_view> changedFields(const crm::Customer* a, const crm::Customer& b) {
  std::vector<std::string_view> out;
  auto differs = [&](auto member) {
    return a == nullptr ? !(b.*member).empty() : a->*member != b.*member;
  };
  if (differs(&crm::Customer::name)) out.push_back(PersonalFields[0]);
  if (differs(&crm::Customer::phones)) out.push_back(PersonalFields[1]);
  if (differs(&crm::Customer::id_number)) out.push_back(PersonalFields[2]);
  if (differs(&crm::Customer::accounts)) out.push_back(PersonalFields[3]);
  return out;
}

/** @return who asks, as the owner of customers checks and audits it: this site, the user, the
 *  role. */
crm::IdentityAsker askerFrom(const RestDependencies& deps, const RouteContext& ctx,
                             std::string purpose = {}) {
  return crm::IdentityAsker{deps.site_name, ctx.principal->user_id,
                            std::string(auth::toString(ctx.principal->role)), std::move(purpose)};
}

/** Adds POST {base}/{id}/verify-identity and {base}/{id}/reveal, answered by `deps.identity`. */
void addIdentityRoutes(Router& router, const RestDependencies& deps, const std::string& base) {
  // Verify-identity and reveal go to the site that owns customers: this site's own vault on a core
  // (or all-in-one) site, the core over the site link on an edge site. The owner checks the role
  // and purpose and writes the audit record; a clear value is only ever in this response.
  auto& identity = *deps.identity;
  const Roles askers{Role::Admin, Role::Supervisor, Role::Agent};
  auto asker = [&deps](const RouteContext& ctx, std::string purpose) {
    return askerFrom(deps, ctx, std::move(purpose));
  };
  auto stringField = [](const Json& body, const char* key) -> Result<std::string> {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string()) {
      return Error::invalid(key, "is required and must be a string");
    }
    return it->get<std::string>();
  };

  router.add("POST", base + "/{id}/verify-identity", askers,
             [&identity, asker, stringField](const RouteContext& ctx) -> HttpResponse {
               auto body = readJsonBody(ctx.request);
               if (!body) {
                 return body.error();
               }
               if (body->size() != 1) {
                 return errorResponse(Error::invalid("body", "give exactly the phone"));
               }
               auto phone = stringField(*body, "phone");
               if (!phone) {
                 return errorResponse(phone.error());
               }
               std::string id(ctx.params[0]);
               auto match = identity.verifyIdentity({asker(ctx, ""), id, *phone});
               if (!match) {
                 return errorResponse(match.error());
               }
               return jsonResponse(200, Json{{"customer_id", id}, {"match", *match}});
             });

  router.add("POST", base + "/{id}/reveal", askers,
             [&identity, asker, stringField](const RouteContext& ctx) -> HttpResponse {
               auto body = readJsonBody(ctx.request);
               if (!body) {
                 return body.error();
               }
               for (auto it = body->begin(); it != body->end(); ++it) {
                 if (it.key() != "field" && it.key() != "purpose") {
                   return errorResponse(Error::invalid(it.key(), "unknown field"));
                 }
               }
               auto field = stringField(*body, "field");
               auto purpose = stringField(*body, "purpose");
               if (!field || !purpose) {
                 return errorResponse(!field ? field.error() : purpose.error());
               }
               std::string id(ctx.params[0]);
               auto revealed = identity.reveal({asker(ctx, *purpose), id, *field});
               if (!revealed) {
                 return errorResponse(revealed.error());
               }
               auto response = jsonResponse(200, Json{{"customer_id", id},
                                                      {"field", revealed->field},
                                                      {"values", revealed->values}});
               response.headers.emplace_back("Cache-Control", "no-store");
               return response;
             });
}

}  // namespace

void RestApi::addCustomerRoutes() {
  if (deps_.customers == nullptr || deps_.audit == nullptr) {
    return;
  }
  const Roles readers{Role::Admin, Role::Supervisor, Role::Agent};
  const Roles removers{Role::Admin, Role::Supervisor};
  const Roles auditors{Role::Admin, Role::Auditor};
  const std::string base = "/api/v1/customers";
  auto& customers = *deps_.customers;
  const bool available = deps_.personal_data_available;

  // Appends one audit record per field; a failed append fails the request, so nothing personal is
  // shown or changed without its record.
  auto audit = [this](const RouteContext& ctx, std::string_view action, std::string_view id,
                      const std::vector<std::string_view>& fields) -> Result<void> {
    std::vector<privacy::AuditEntry> entries;
    const auto now = toUnixMillis(deps_.time.systemTime());
    for (auto field : fields) {
      entries.push_back({now, deps_.site_name, ctx.principal->user_id, std::string(action),
                         "customer", std::string(id), std::string(field)});
    }
    if (entries.empty()) {
      return {};
    }
    auto appended = deps_.audit->append(entries);
    if (!appended) {
      return appended.error();
    }
    return {};
  };
  auto respond = [&customers, available](int status, const crm::Customer& c, bool reveal) {
    auto tokens = customers.tokensOf(c.id);
    std::string out;
    JsonWriter w(out);
    writeCustomer(w, c, tokens ? *tokens : std::vector<std::string>{}, reveal, available);
    return jsonResponse(status, std::move(out));
  };
  auto respondList = [&customers, available](const std::vector<crm::Customer>& list) {
    std::string out;
    JsonWriter w(out);
    w.beginObject().key("items").beginArray();
    for (const auto& c : list) {
      auto tokens = customers.tokensOf(c.id);
      writeCustomer(w, c, tokens ? *tokens : std::vector<std::string>{}, false, available);
    }
    w.endArray().key("count").value(static_cast<std::int64_t>(list.size())).endObject();
    return jsonResponse(200, std::move(out));
  };

  router_.add("GET", base, readers, [&customers, respondList](const RouteContext&) {
    auto list = customers.list();
    return list ? respondList(*list) : errorResponse(list.error());
  });

  router_.add("GET", base + "/{id}", readers,
              [&customers, audit, respond](const RouteContext& ctx) -> HttpResponse {
                auto customer = customers.get(ctx.params[0]);
                if (!customer) {
                  return errorResponse(customer.error());
                }
                const bool reveal = queryFlag(ctx.request.query, "reveal");
                if (reveal) {
                  auto fields = changedFields(nullptr, *customer);
                  if (auto logged = audit(ctx, "read", customer->id, fields); !logged) {
                    return errorResponse(logged.error());
                  }
                }
                return respond(200, *customer, reveal);
              });

  router_.add(
      "POST", base, readers,
      [this, &customers, audit, respond, base](const RouteContext& ctx) -> HttpResponse {
        auto body = readJsonBody(ctx.request);
        if (!body) {
          return body.error();
        }
        auto customer = customerFromJson(*body, {});
        if (!customer) {
          return errorResponse(customer.error());
        }
        if (!deps_.personal_data_available && deps_.identity != nullptr) {
          // A creation on a site that does not own customers is a command to the owner, which
          // gives the id, stores and audits; the customer replicates back as tokens.
          auto created = deps_.identity->createCustomer(askerFrom(deps_, ctx), *customer);
          if (!created) {
            return errorResponse(created.error());
          }
          publish(deps_, "customer.created", created->id, idJson(created->id));
          auto response = respond(201, *created, false);
          response.headers.emplace_back("Location", base + "/" + created->id);
          return response;
        }
        customer->id = newId("cu", deps_.time);
        customer->created_at_ms = customer->updated_at_ms = toUnixMillis(deps_.time.systemTime());
        if (auto created = customers.create(*customer); !created) {
          return errorResponse(created.error());
        }
        if (auto logged = audit(ctx, "create", customer->id, changedFields(nullptr, *customer));
            !logged) {
          return errorResponse(logged.error());
        }
        // The event stream carries the id only: personal values never leave through it.
        publish(deps_, "customer.created", customer->id, idJson(customer->id));
        auto response = respond(201, *customer, false);
        response.headers.emplace_back("Location", base + "/" + customer->id);
        return response;
      });

  router_.add(
      "PUT", base + "/{id}", readers,
      [this, &customers, audit, respond](const RouteContext& ctx) -> HttpResponse {
        auto body = readJsonBody(ctx.request);
        if (!body) {
          return body.error();
        }
        auto stored = customers.get(ctx.params[0]);
        if (!stored) {
          return errorResponse(stored.error());
        }
        auto customer = customerFromJson(*body, *stored);
        if (!customer) {
          return errorResponse(customer.error());
        }
        if (!deps_.personal_data_available && deps_.identity != nullptr) {
          // This site does not own customers: the change is a command to the owner (the core),
          // which audits it and whose change then replicates back as tokens. Not queued here
          // when the core is out of reach: the edge may not store the clear values it carries.
          auto at = deps_.identity->updateCustomer(askerFrom(deps_, ctx), *customer);
          if (!at) {
            return errorResponse(at.error());
          }
          customer->updated_at_ms = *at;
          publish(deps_, "customer.updated", customer->id, idJson(customer->id));
          return respond(200, *customer, false);
        }
        customer->updated_at_ms = toUnixMillis(deps_.time.systemTime());
        if (auto updated = customers.update(*customer); !updated) {
          return errorResponse(updated.error());
        }
        if (auto logged = audit(ctx, "update", customer->id, changedFields(&*stored, *customer));
            !logged) {
          return errorResponse(logged.error());
        }
        publish(deps_, "customer.updated", customer->id, idJson(customer->id));
        return respond(200, *customer, false);
      });

  router_.add("DELETE", base + "/{id}", removers,
              [this, &customers, audit](const RouteContext& ctx) -> HttpResponse {
                std::string id(ctx.params[0]);
                if (!deps_.personal_data_available && deps_.identity != nullptr) {
                  // A command to the owner, like a creation; the deletion replicates back.
                  if (auto removed = deps_.identity->deleteCustomer(askerFrom(deps_, ctx), id);
                      !removed) {
                    return errorResponse(removed.error());
                  }
                  publish(deps_, "customer.deleted", id, idJson(id));
                  return HttpResponse{204, "", "application/json"};
                }
                if (auto removed = customers.remove(id); !removed) {
                  return errorResponse(removed.error());
                }
                if (auto logged = audit(ctx, "delete", id, {""}); !logged) {
                  return errorResponse(logged.error());
                }
                publish(deps_, "customer.deleted", id, idJson(id));
                return HttpResponse{204, "", "application/json"};
              });

  // A lookup by number is a POST so the number travels in the body, never in a URL or access log.
  router_.add(
      "POST", base + "/lookup", readers,
      [this, &customers, audit, respondList](const RouteContext& ctx) -> HttpResponse {
        auto body = readJsonBody(ctx.request);
        if (!body) {
          return body.error();
        }
        if (body->size() != 1) {
          return errorResponse(
              Error::invalid("body", "give exactly one of phone, id_number or token"));
        }
        // Copies, not a structured binding: items() yields a temporary proxy (ASan caught it).
        const auto first = body->begin();
        const std::string key = first.key();
        const Json& value = first.value();
        if (key != "phone" && key != "id_number" && key != "token") {
          return errorResponse(Error::invalid(key, "unknown field"));
        }
        if (!value.is_string()) {
          return errorResponse(Error::invalid(key, "must be a string"));
        }
        std::optional<std::string> token = value.get<std::string>();
        if (key != "token") {
          if (!deps_.tokenizer) {
            return errorResponse(
                Error{ErrorCode::Unavailable, "this site has no token key; look up by token", key});
          }
          token = key == "phone" ? deps_.tokenizer->phoneToken(*token)
                                 : deps_.tokenizer->idNumberToken(*token);
          if (!token) {
            return errorResponse(Error::invalid(key, "is not a valid " + key));
          }
        }
        auto found = customers.findByToken(*token);
        if (!found) {
          return errorResponse(found.error());
        }
        for (const auto& c : *found) {
          if (auto logged = audit(ctx, "lookup", c.id, {key}); !logged) {
            return errorResponse(logged.error());
          }
        }
        return respondList(*found);
      });

  if (deps_.identity != nullptr) {
    addIdentityRoutes(router_, deps_, base);
  }

  router_.add("GET", "/api/v1/audit", auditors, [this](const RouteContext& ctx) -> HttpResponse {
    auto after = queryInteger(ctx.request.query, "after", 0);
    auto limit = queryInteger(ctx.request.query, "limit", 100);
    if (!after) {
      return errorResponse(Error::invalid("after", "must be a record number"));
    }
    if (!limit || *limit < 1 || *limit > static_cast<std::int64_t>(MaxAuditPage)) {
      return errorResponse(Error::invalid("limit", "must be between 1 and 1000"));
    }
    auto records = deps_.audit->list(*after, static_cast<std::size_t>(*limit));
    if (!records) {
      return errorResponse(records.error());
    }
    std::string out;
    JsonWriter w(out);
    w.beginObject().key("items").beginArray();
    for (const auto& r : *records) {
      writeAuditRecord(w, r);
    }
    w.endArray().key("count").value(static_cast<std::int64_t>(records->size())).endObject();
    return jsonResponse(200, std::move(out));
  });

  router_.add("GET", "/api/v1/audit/verify", auditors, [this](const RouteContext&) {
    auto verified = verifyAuditTrail(*deps_.audit);
    if (!verified) {
      return errorResponse(verified.error());
    }
    std::string out;
    JsonWriter w(out);
    w.beginObject().key("intact").raw(verified->problems.empty() ? "true" : "false");
    w.key("records").value(verified->records).key("problems").beginArray();
    for (const auto& p : verified->problems) {
      w.beginObject().key("seq").value(p.seq).key("problem").value(p.what).endObject();
    }
    w.endArray().endObject();
    return jsonResponse(200, std::move(out));
  });
}

void RestApi::addSyncRoutes() {
  if (!deps_.sync_status) {
    return;
  }
  const Roles viewers{Role::Admin, Role::Supervisor, Role::Auditor};
  router_.add("GET", "/api/v1/sync/status", viewers, [this](const RouteContext&) {
    auto status = deps_.sync_status();
    if (!status) {
      return errorResponse(status.error());
    }
    const auto& s = *status;
    std::string out;
    JsonWriter w(out);
    w.beginObject().key("peer").value(s.peer);
    w.key("link").value(!s.enabled ? "off" : s.connected && s.peer_reachable ? "up" : "down");
    w.key("connected").raw(s.connected ? "true" : "false");
    w.key("peer_reachable").raw(s.peer_reachable ? "true" : "false");
    w.key("backlog").value(s.backlog).key("oldest_pending_age_ms").value(s.oldest_pending_age_ms);
    w.key("published_seq").value(s.published_seq).key("acked_seq").value(s.acked_seq);
    w.key("applied").value(s.applied).key("duplicates").value(s.duplicates);
    w.key("rejected").value(s.rejected).key("last_lag_ms").value(s.last_lag_ms).endObject();
    return jsonResponse(200, std::move(out));
  });
}

}  // namespace kefu::api
