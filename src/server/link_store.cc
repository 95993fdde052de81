#include "server/link_store.h"

#include <nlohmann/json.hpp>

namespace kefu::server {
namespace {

using Json = nlohmann::json;

/** Identity requests and answers are small; anything bigger is not one. */
constexpr std::size_t MaxIdentityMessage = 16 * 1024;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

/** @return the string at `key`, or "" when absent or not a string. */
std::string text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

constexpr std::pair<ErrorCode, const char*> ErrorNames[] = {
    {ErrorCode::InvalidArgument, "invalid_argument"},   {ErrorCode::NotFound, "not_found"},
    {ErrorCode::AlreadyExists, "already_exists"},       {ErrorCode::Conflict, "conflict"},
    {ErrorCode::PermissionDenied, "permission_denied"}, {ErrorCode::Unavailable, "unavailable"},
};

std::string errorAnswer(const Error& e) {
  const char* code = "internal";
  for (const auto& [c, name] : ErrorNames) {
    if (c == e.code) {
      code = name;
    }
  }
  return dump(Json{{"ok", false}, {"code", code}, {"message", e.message}, {"field", e.field}});
}

/** @return the answer's object when it says ok; its error otherwise (never throws). */
Result<Json> readAnswer(const Result<std::string>& reply) {
  if (!reply) {
    return reply.error();
  }
  if (reply->size() > MaxIdentityMessage) {
    return Error::internal("identity answer too large");
  }
  Json j = Json::parse(reply->begin(), reply->end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::internal("malformed identity answer from the core site");
  }
  auto ok = j.find("ok");
  if (ok != j.end() && ok->is_boolean() && ok->get<bool>()) {
    return j;
  }
  Error e{ErrorCode::Internal, text(j, "message"), text(j, "field")};
  const std::string code = text(j, "code");
  for (const auto& [c, name] : ErrorNames) {
    if (code == name) {
      e.code = c;
    }
  }
  return e;
}

Json askerJson(const crm::IdentityAsker& a) {
  return Json{{"actor", a.actor}, {"role", a.role}, {"purpose", a.purpose}};
}

/** @return the strings at `key` ("" for an element that is not one), empty when absent. */
std::vector<std::string> texts(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_array()) {
    for (const auto& v : *it) {
      out.push_back(v.is_string() ? v.get<std::string>() : std::string());
    }
  }
  return out;
}

/** A customer's personal fields as an update or create command carries them. */
crm::Customer customerOf(const Json& j) {
  return crm::Customer{text(j, "customer"),
                       text(j, "name"),
                       texts(j, "phones"),
                       text(j, "id_number"),
                       texts(j, "accounts"),
                       0,
                       0};
}

Json commandJson(const crm::IdentityAsker& asker, const char* op, const crm::Customer& c) {
  Json j = askerJson(asker);
  j["v"] = 1;
  j["op"] = op;
  j["customer"] = c.id;
  j["name"] = c.name;
  j["phones"] = c.phones;
  j["id_number"] = c.id_number;
  j["accounts"] = c.accounts;
  return j;
}

}  // namespace

std::string answerIdentityRequest(crm::IdentityService& desk, const std::string& peer,
                                  std::string_view body) {
  if (body.size() > MaxIdentityMessage) {
    return errorAnswer(Error::invalid("request", "too large"));
  }
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != 1) {
    return errorAnswer(Error::invalid("request", "not an identity request"));
  }
  crm::IdentityAsker asker{peer, text(j, "actor"), text(j, "role"), text(j, "purpose")};
  if (asker.actor.empty()) {
    return errorAnswer(Error::invalid("actor", "is required"));
  }
  const std::string op = text(j, "op");
  if (op == "verify") {
    auto match = desk.verifyIdentity({asker, text(j, "customer"), text(j, "phone")});
    return match ? dump(Json{{"ok", true}, {"match", *match}}) : errorAnswer(match.error());
  }
  if (op == "reveal") {
    auto revealed = desk.reveal({asker, text(j, "customer"), text(j, "field")});
    return revealed
               ? dump(Json{{"ok", true}, {"field", revealed->field}, {"values", revealed->values}})
               : errorAnswer(revealed.error());
  }
  if (op == "update") {
    auto stored = desk.updateCustomer(asker, customerOf(j));
    return stored ? dump(Json{{"ok", true}, {"updated_at_ms", *stored}})
                  : errorAnswer(stored.error());
  }
  if (op == "create") {
    auto created = desk.createCustomer(asker, customerOf(j));
    return created ? dump(Json{{"ok", true},
                               {"customer", created->id},
                               {"created_at_ms", created->created_at_ms}})
                   : errorAnswer(created.error());
  }
  if (op == "delete") {
    auto removed = desk.deleteCustomer(asker, text(j, "customer"));
    return removed ? dump(Json{{"ok", true}}) : errorAnswer(removed.error());
  }
  return errorAnswer(Error::invalid("op", "must be verify, reveal, update, create or delete"));
}

Result<bool> LinkIdentityClient::verifyIdentity(const crm::VerifyIdentityRequest& request) {
  Json j = askerJson(request.asker);
  j["v"] = 1;
  j["op"] = "verify";
  j["customer"] = request.customer_id;
  j["phone"] = request.phone;
  auto answer = readAnswer(link_.request(dump(j)));
  if (!answer) {
    return answer.error();
  }
  auto match = answer->find("match");
  if (match == answer->end() || !match->is_boolean()) {
    return Error::internal("malformed identity answer from the core site");
  }
  return match->get<bool>();
}

Result<std::int64_t> LinkIdentityClient::updateCustomer(const crm::IdentityAsker& asker,
                                                        const crm::Customer& change) {
  auto answer = readAnswer(link_.request(dump(commandJson(asker, "update", change))));
  if (!answer) {
    return answer.error();
  }
  auto at = answer->find("updated_at_ms");
  if (at == answer->end() || !at->is_number_integer()) {
    return Error::internal("malformed answer from the core site");
  }
  return at->get<std::int64_t>();
}

Result<crm::Customer> LinkIdentityClient::createCustomer(const crm::IdentityAsker& asker,
                                                         const crm::Customer& customer) {
  auto answer = readAnswer(link_.request(dump(commandJson(asker, "create", customer))));
  if (!answer) {
    return answer.error();
  }
  auto at = answer->find("created_at_ms");
  crm::Customer created = customer;
  created.id = text(*answer, "customer");
  if (created.id.empty() || at == answer->end() || !at->is_number_integer()) {
    return Error::internal("malformed answer from the core site");
  }
  created.created_at_ms = created.updated_at_ms = at->get<std::int64_t>();
  return created;
}

Result<void> LinkIdentityClient::deleteCustomer(const crm::IdentityAsker& asker,
                                                std::string_view id) {
  Json j = askerJson(asker);
  j["v"] = 1;
  j["op"] = "delete";
  j["customer"] = std::string(id);
  auto answer = readAnswer(link_.request(dump(j)));
  if (!answer) {
    return answer.error();
  }
  return {};
}

Result<crm::RevealedField> LinkIdentityClient::reveal(const crm::RevealRequest& request) {
  Json j = askerJson(request.asker);
  j["v"] = 1;
  j["op"] = "reveal";
  j["customer"] = request.customer_id;
  j["field"] = request.field;
  auto answer = readAnswer(link_.request(dump(j)));
  if (!answer) {
    return answer.error();
  }
  crm::RevealedField out{text(*answer, "field"), {}};
  auto values = answer->find("values");
  if (values == answer->end() || !values->is_array()) {
    return Error::internal("malformed identity answer from the core site");
  }
  for (const auto& v : *values) {
    if (!v.is_string()) {
      return Error::internal("malformed identity answer from the core site");
    }
    out.values.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::vector<sync::LinkMessage>> LinkStore::pending(std::int64_t after_seq,
                                                          std::size_t limit) {
  auto entries = replication_.pendingOutbox(after_seq, limit);
  if (!entries) {
    return entries.error();
  }
  std::vector<sync::LinkMessage> out;
  out.reserve(entries->size());
  for (auto& e : *entries) {
    out.push_back({{},
                   e.seq,
                   std::move(e.entity_type),
                   std::move(e.entity_id),
                   std::move(e.op),
                   std::move(e.payload),
                   e.at_ms,
                   0});
  }
  return out;
}

Result<std::int64_t> LinkStore::ackedThrough() {
  auto stats = replication_.outboxStats();
  if (!stats) {
    return stats.error();
  }
  return stats->acked_through;
}

Result<void> LinkStore::retire(std::int64_t up_to_seq) {
  auto retired = replication_.retireOutbox(up_to_seq);
  if (!retired) {
    return retired.error();
  }
  return {};
}

Result<bool> LinkStore::apply(const sync::LinkMessage& message) {
  // One owner per entity type: customers belong to the core site, the call records of calls
  // taken on the edge to the edge site. A change is accepted only from the peer, and only to an
  // entity type the peer owns: an edge cannot rewrite the core's customers through the link, nor
  // the core the edge's call records; a change claiming to come from this site itself is forged.
  const bool peer_owns = message.entity_type == "customer"     ? peer_is_core_
                         : message.entity_type == "call_event" ? !peer_is_core_
                                                               : false;
  if (message.origin != peer_ || !peer_owns) {
    return Error::invalid(
        "origin", message.origin + " does not own " + message.entity_type + " on this link");
  }
  return replication_.applyInbound({message.origin, message.seq, message.entity_type,
                                    message.entity_id, message.op, message.payload});
}

}  // namespace kefu::server
