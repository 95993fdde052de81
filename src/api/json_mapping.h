#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "acd/agent.h"
#include "acd/erlang_c.h"
#include "acd/queue.h"
#include "acd/skill.h"
#include "api/call_desk.h"
#include "api/json_writer.h"
#include "auth/user.h"
#include "core/result.h"

namespace kefu::api {

using Json = nlohmann::json;

/** @return the request body as a JSON object, or InvalidArgument (field `body`) saying why not. */
Result<Json> parseObject(std::string_view body);

/** @return `ms` as RFC 3339 UTC with milliseconds: 2026-11-23T21:55:19.123Z. */
std::string formatTime(std::int64_t ms);

// Each *FromJson reads the fields a client may write onto `base` (the stored entity for an
// update, a blank one for a create). Unknown fields, wrong types and missing required fields are
// InvalidArgument naming the field; `id`, `created_at` and `updated_at` are read-only and ignored.

Result<acd::Skill> skillFromJson(const Json& body, acd::Skill base);
/** On create `sip_password` is required; on update it may be left out to keep the stored one. */
Result<acd::Agent> agentFromJson(const Json& body, acd::Agent base, bool creating);
Result<acd::Queue> queueFromJson(const Json& body, acd::Queue base);

struct UserInput {
  auth::User user;
  std::optional<std::string> password;  // required on create; on update only to change it
};
Result<UserInput> userFromJson(const Json& body, auth::User base, bool creating);

/** A staffing forecast for POST /api/v1/staffing/erlang-c. */
Result<acd::erlang::StaffingTarget> staffingTargetFromJson(const Json& body);

// Entities as the API shows them, written straight into a response.
void writeJson(JsonWriter& out, const acd::Skill& skill);
void writeJson(JsonWriter& out, const acd::Agent& agent);  // without sip_password
void writeJson(JsonWriter& out, const acd::Queue& queue);
void writeJson(JsonWriter& out, const auth::User& user);  // without password_hash
void writeJson(JsonWriter& out, const acd::erlang::StaffingFigures& figures);
/** `{agent_id, at_ms, disposition, notes}`: a wrap-up as a call shows it (docs/cti.md). */
void writeJson(JsonWriter& out, const call::WrapUpRecord& wrap_up);
/** `{call_id, at_ms, queue_id, agent_id, cause, disposition, notes}`; empty strings are null. */
void writeJson(JsonWriter& out, const PastCall& past);
/** `{id, name, phones, unavailable}`, or null for an unknown caller. */
void writeJson(JsonWriter& out, const std::optional<CustomerCard>& card);
/** `{call_id, customer, history}`: GET /api/v1/calls/{id}/screen-pop. */
void writeScreenPop(JsonWriter& out, std::string_view call_id, const ScreenPop& pop);

/** @return `entity` serialized as its JSON object. */
template <class T>
std::string toJson(const T& entity) {
  std::string out;
  JsonWriter writer(out);
  writeJson(writer, entity);
  return out;
}

/** @return `j` serialized compactly; invalid UTF-8 is replaced, never thrown on. */
std::string dump(const Json& j);

}  // namespace kefu::api
