// Agents' sessions (login, ready, not ready, logout) and the live state of agents and queues:
// the routing engine's side of the directory, through the site's ContactCenter.

#include <algorithm>

#include "api/figure_routes.h"
#include "api/rest_api.h"
#include "api/route_support.h"

namespace kefu::api {
namespace {

using auth::Role;

/**
 * @return the stored agent when the caller may drive its session: administrators and supervisors
 * any agent, an agent only the one linked to its own login.
 */
Result<acd::Agent> sessionAgent(const RestDependencies& deps, const RouteContext& ctx) {
  auto agent = deps.agents.get(ctx.params[0]);
  if (!agent) {
    return agent.error();
  }
  if (ctx.principal->role == Role::Agent && agent->user_id != ctx.principal->user_id) {
    return Error{ErrorCode::PermissionDenied, "an agent may change only its own state", {}};
  }
  return agent;
}

/** @return the not-ready reason code of the body: 1–32 of a-z, 0-9, '_'. */
Result<std::string> reasonFromBody(const Json& body) {
  auto it = body.find("reason");
  if (it == body.end() || !it->is_string()) {
    return Error::invalid("reason", "is required and must be a string (e.g. \"break\")");
  }
  auto reason = it->get<std::string>();
  bool valid = !reason.empty() && reason.size() <= 32 &&
               std::all_of(reason.begin(), reason.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
               });
  if (!valid) {
    return Error::invalid("reason", "must be 1 to 32 of a-z, 0-9 and '_'");
  }
  for (auto field = body.begin(); field != body.end(); ++field) {
    if (field.key() != "reason") {
      return Error::invalid(field.key(), "unknown field");
    }
  }
  return reason;
}

std::string agentLiveJson(const std::string& agent_id, const acd::AgentLive& live) {
  std::string out;
  JsonWriter w(out);
  w.beginObject().key("agent_id").value(agent_id).key("state").value(acd::toString(live.state));
  w.key("reason")
      .valueOrNull(live.reason)
      .key("interactions")
      .value(static_cast<std::int64_t>(live.interactions));
  w.endObject();
  return out;
}

void writeOptional(JsonWriter& w, std::string_view key, std::optional<double> value) {
  w.key(key);
  if (value) {
    w.value(*value);
  } else {
    w.null();
  }
}

std::string queueStatusJson(const std::string& queue_id,
                            const interaction::ContactCenter::QueueStatus& status) {
  const auto& f = status.today;
  std::string out;
  JsonWriter w(out);
  w.beginObject().key("queue_id").value(queue_id);
  w.key("waiting").value(static_cast<std::int64_t>(status.live.waiting));
  w.key("callbacks_pending").value(static_cast<std::int64_t>(status.live.callbacks_pending));
  w.key("longest_wait_ms").value(status.live.longest_wait_ms);
  w.key("agents_staffed").value(static_cast<std::int64_t>(status.staffing.staffed));
  w.key("agents_ready").value(static_cast<std::int64_t>(status.staffing.ready));
  w.key("today").beginObject();
  w.key("offered").value(static_cast<std::int64_t>(f.offered));
  w.key("answered").value(static_cast<std::int64_t>(f.answered));
  w.key("abandoned").value(static_cast<std::int64_t>(f.abandoned));
  w.key("overflowed").value(static_cast<std::int64_t>(f.overflowed));
  writeOptional(w, "service_level", f.serviceLevel());
  writeOptional(w, "abandon_rate", f.abandonRate());
  writeOptional(w, "average_speed_of_answer_ms", f.averageSpeedOfAnswerMs());
  writeOptional(w, "average_handle_ms", f.averageHandleMs());
  w.endObject().endObject();
  return out;
}

}  // namespace

void RestApi::addSessionRoutes() {
  const Roles staff{Role::Admin, Role::Supervisor, Role::Agent};
  const Roles anyone{Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor};
  auto& cc = deps_.contact_center;

  auto session = [this](auto change) {
    return [this, change](const RouteContext& ctx) -> HttpResponse {
      auto agent = sessionAgent(deps_, ctx);
      if (!agent) {
        return errorResponse(agent.error());
      }
      if (auto done = change(*agent, ctx); !done) {
        auto error = done.error();
        if (error.code == ErrorCode::NotFound) {
          // The agent exists (it was just read): routing does not know it because it is not
          // logged in, a state conflict rather than a missing resource.
          error.code = ErrorCode::Conflict;
        }
        return errorResponse(error);
      }
      return jsonResponse(200, agentLiveJson(agent->id, deps_.contact_center.agentLive(agent->id)));
    };
  };

  router_.add("POST", "/api/v1/agents/{id}/login", staff,
              session([&cc](const acd::Agent& agent, const RouteContext&) {
                return cc.login(acd::AgentLogin{agent, true, agent.chat_capacity});
              }));
  router_.add(
      "POST", "/api/v1/agents/{id}/logout", staff,
      session([&cc](const acd::Agent& agent, const RouteContext&) { return cc.logout(agent.id); }));
  router_.add("POST", "/api/v1/agents/{id}/ready", staff,
              session([&cc](const acd::Agent& agent, const RouteContext&) {
                return cc.setReady(agent.id);
              }));
  router_.add("POST", "/api/v1/agents/{id}/not-ready", staff,
              session([&cc](const acd::Agent& agent, const RouteContext& ctx) -> Result<void> {
                auto body = parseObject(ctx.request.body);
                if (!body) {
                  return body.error();
                }
                auto reason = reasonFromBody(*body);
                if (!reason) {
                  return reason.error();
                }
                return cc.setNotReady(agent.id, *reason);
              }));

  router_.add("GET", "/api/v1/agents/{id}/state", anyone, [this](const RouteContext& ctx) {
    auto agent = deps_.agents.get(ctx.params[0]);
    if (!agent) {
      return errorResponse(agent.error());
    }
    return jsonResponse(200, agentLiveJson(agent->id, deps_.contact_center.agentLive(agent->id)));
  });
  addFigureRoutes(router_, deps_);
  router_.add("GET", "/api/v1/queues/{id}/live", anyone, [this](const RouteContext& ctx) {
    auto queue = deps_.queues.get(ctx.params[0]);
    if (!queue) {
      return errorResponse(queue.error());
    }
    return jsonResponse(200,
                        queueStatusJson(queue->id, deps_.contact_center.queueStatus(queue->id)));
  });
}

}  // namespace kefu::api
