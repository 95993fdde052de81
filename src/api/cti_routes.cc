// The softphone's call operations (answer, decline, keys, a supervisor's monitoring) and the
// agent's wrap-up, on the site's CallService and ContactCenter.

#include "api/cti_routes.h"

#include <algorithm>
#include <array>

#include "api/call_service.h"
#include "api/route_support.h"
#include "interaction/contact_center.h"

namespace kefu::api {

// Defined with the other call routes (call_routes.cc).
void writeJson(JsonWriter& out, const call::CallSnapshot& c);

namespace {

using auth::Role;

constexpr std::size_t MaxNotesChars = 2000;

/** @return the characters (UTF-8 code points) of `text`: what a person counts in the notes. */
std::size_t charCount(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

/** @return the id of the agent linked to `user_id`, or NotFound. */
Result<std::string> agentOfUser(const RestDependencies& deps, const std::string& user_id) {
  auto agents = deps.agents.list();
  if (!agents) {
    return agents.error();
  }
  for (const auto& agent : *agents) {
    if (agent.user_id == user_id) {
      return agent.id;
    }
  }
  return Error{ErrorCode::NotFound, "no agent is linked to this user", "user"};
}

/** @return whether `code` is 1–32 of a-z, 0-9, '_'. */
bool isCode(const std::string& code) {
  return !code.empty() && code.size() <= 32 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

/** @return an error naming the first key of `body` not in `known`. */
Result<void> onlyKnown(const Json& body, std::initializer_list<std::string_view> known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return Error::invalid(it.key(), "is not a known field");
    }
  }
  return {};
}

/** Reads the body of a call action; @return the action or the error to answer. */
Result<CallAction> actionFrom(const RestDependencies& deps, CallAction::Kind kind,
                              const RouteContext& ctx) {
  CallAction action{kind, std::nullopt};
  switch (kind) {
    case CallAction::Kind::Answer:
    case CallAction::Kind::Decline: {
      auto agent = agentOfUser(deps, ctx.principal->user_id);
      if (!agent) {
        return Error{
            ErrorCode::PermissionDenied, "only the agent the call rings for may answer", {}};
      }
      action.agent_id = std::move(*agent);
      return action;
    }
    case CallAction::Kind::Dtmf: {
      auto body = parseObject(ctx.request.body);
      if (!body) {
        return body.error();
      }
      KEFU_TRY(onlyKnown(*body, {"digits"}));
      auto digits = body->find("digits");
      if (digits == body->end() || !digits->is_string()) {
        return Error::invalid("digits", "is required: keys such as \"12#\"");
      }
      action.digits = digits->get<std::string>();
      return action;
    }
    case CallAction::Kind::Monitor: {
      auto body = parseObject(ctx.request.body);
      if (!body) {
        return body.error();
      }
      KEFU_TRY(onlyKnown(*body, {"mode"}));
      auto mode = body->find("mode");
      std::string text = mode != body->end() && mode->is_string() ? mode->get<std::string>() : "";
      if (text == "listen") {
        action.mode = call::CallControl::MonitorMode::Listen;
      } else if (text == "whisper") {
        action.mode = call::CallControl::MonitorMode::Whisper;
      } else if (text == "barge") {
        action.mode = call::CallControl::MonitorMode::Barge;
      } else {
        return Error::invalid("mode", "must be listen, whisper or barge");
      }
      // The softphone belongs to the supervisor's agent when it has one, else to its user.
      auto agent = agentOfUser(deps, ctx.principal->user_id);
      action.agent_id = agent ? *agent : ctx.principal->user_id;
      return action;
    }
    default:
      return Error::internal("not a CTI action");
  }
}

}  // namespace

void addCtiRoutes(Router& router, const RestDependencies& deps) {
  const Roles desk{Role::Admin, Role::Supervisor, Role::Agent};
  const Roles agents{Role::Agent, Role::Supervisor};
  const Roles supervisors{Role::Admin, Role::Supervisor};
  auto* calls = deps.calls;
  using Kind = CallAction::Kind;
  struct CtiRoute {
    const char* path;
    Kind kind;
    const Roles* roles;
  };
  const std::array<CtiRoute, 4> routes{{
      {"answer", Kind::Answer, &agents},
      {"decline", Kind::Decline, &agents},
      {"dtmf", Kind::Dtmf, &desk},
      {"monitor", Kind::Monitor, &supervisors},
  }};
  for (const auto& route : routes) {
    router.add("POST", std::string("/api/v1/calls/{id}/") + route.path, *route.roles,
               [&deps, calls, kind = route.kind](const RouteContext& ctx) -> HttpResponse {
                 if (calls == nullptr || !calls->available()) {
                   return errorResponse(503, "unavailable",
                                        "this site runs without SIP (sip.enabled: false)");
                 }
                 auto action = actionFrom(deps, kind, ctx);
                 if (!action) {
                   return errorResponse(action.error());
                 }
                 auto done = calls->act(ctx.params[0], *action);
                 if (!done) {
                   return errorResponse(done.error());
                 }
                 auto found = calls->call(ctx.params[0]);
                 return found ? jsonResponse(200, toJson(*found))
                              : HttpResponse{204, "", "application/json"};
               });
  }

  router.add(
      "POST", "/api/v1/agents/{id}/wrap-up", desk,
      [&deps, calls](const RouteContext& ctx) -> HttpResponse {
        auto agent = deps.agents.get(ctx.params[0]);
        if (!agent) {
          return errorResponse(agent.error());
        }
        if (ctx.principal->role == Role::Agent && agent->user_id != ctx.principal->user_id) {
          return errorResponse(
              Error{ErrorCode::PermissionDenied, "an agent may wrap up only its own calls", {}});
        }
        auto body = parseObject(ctx.request.body);
        if (!body) {
          return errorResponse(body.error());
        }
        if (auto known = onlyKnown(*body, {"call_id", "disposition", "notes", "not_ready_reason"});
            !known) {
          return errorResponse(known.error());
        }
        WrapUp wrap_up;
        wrap_up.agent_id = agent->id;
        auto text = [&](const char* key) -> std::optional<std::string> {
          auto it = body->find(key);
          return it != body->end() && it->is_string() ? std::optional(it->get<std::string>())
                                                      : std::nullopt;
        };
        auto call_id = text("call_id");
        if (!call_id || call_id->empty()) {
          return errorResponse(Error::invalid("call_id", "is required"));
        }
        wrap_up.call_id = *call_id;
        auto disposition = text("disposition");
        if (!disposition || !isCode(*disposition)) {
          return errorResponse(
              Error::invalid("disposition", "is required: 1 to 32 of a-z, 0-9 and '_'"));
        }
        wrap_up.disposition = *disposition;
        if (body->contains("notes")) {
          auto notes = text("notes");
          if (!notes || charCount(*notes) > MaxNotesChars) {
            return errorResponse(
                Error::invalid("notes", "must be a string of at most 2000 characters"));
          }
          wrap_up.notes = *notes;
        }
        std::optional<std::string> not_ready;
        if (body->contains("not_ready_reason")) {
          not_ready = text("not_ready_reason");
          if (!not_ready || !isCode(*not_ready)) {
            return errorResponse(
                Error::invalid("not_ready_reason", "must be 1 to 32 of a-z, 0-9 and '_'"));
          }
        }
        if (calls == nullptr || !calls->available()) {
          return errorResponse(503, "unavailable",
                               "this site runs without SIP (sip.enabled: false)");
        }
        if (auto recorded = calls->recordWrapUp(wrap_up); !recorded) {
          return errorResponse(recorded.error());
        }
        // Ending the wrap-up: the agent takes calls again, or pauses when it asked to.
        auto changed = not_ready ? deps.contact_center.setNotReady(agent->id, *not_ready)
                                 : deps.contact_center.setReady(agent->id);
        if (!changed) {
          return errorResponse(changed.error());
        }
        auto live = deps.contact_center.agentLive(agent->id);
        std::string out;
        JsonWriter w(out);
        w.beginObject().key("agent_id").value(agent->id).key("call_id").value(wrap_up.call_id);
        w.key("disposition")
            .value(wrap_up.disposition)
            .key("state")
            .value(acd::toString(live.state));
        w.endObject();
        return jsonResponse(200, std::move(out));
      });
}

}  // namespace kefu::api
