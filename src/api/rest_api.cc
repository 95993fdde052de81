#include "api/rest_api.h"

#include "api/error_mapping.h"
#include "api/json_mapping.h"
#include "api/route_support.h"
#include "auth/password.h"
#include "core/id.h"

namespace kefu::api {
namespace {

using auth::Role;

/** Validates a user's fields and, when a password was given, checks and hashes it. */
Result<void> checkAndHash(UserInput& input) {
  KEFU_TRY(auth::validate(input.user));
  if (!input.password) {
    return {};
  }
  KEFU_TRY(auth::checkPasswordRules(*input.password, "password"));
  auto hash = auth::hashPassword(*input.password);
  if (!hash) {
    return hash.error();
  }
  input.user.password_hash = std::move(hash).value();
  return {};
}

}  // namespace

RestApi::RestApi(RestDependencies deps) : deps_(std::move(deps)), router_(deps_.authenticator) {
  router_.add("GET", "/healthz", {}, [this](const RouteContext&) {
    auto health = deps_.check_health ? deps_.check_health() : Result<void>{};
    Json body{{"status", health ? "ok" : "unavailable"},
              {"site", deps_.site_name},
              {"role", deps_.site_role},
              {"storage", health ? "ok" : health.error().message}};
    return jsonResponse(health ? 200 : 503, body);
  });
  router_.add("GET", "/metrics", {}, [this](const RouteContext&) {
    return HttpResponse{200, deps_.render_metrics ? deps_.render_metrics() : "",
                        "text/plain; version=0.0.4; charset=utf-8"};
  });
  // The event stream is a WebSocket the HTTP server upgrades before routing; a plain GET lands
  // here.
  router_.add("GET", "/api/v1/events", {}, [](const RouteContext&) {
    auto response = errorResponse(426, "upgrade_required",
                                  "GET /api/v1/events is a WebSocket: send Upgrade: websocket");
    response.headers.emplace_back("Upgrade", "websocket");
    return response;
  });
  addAuthRoutes();
  addUserRoutes();
  addDirectoryRoutes();
  addStaffingRoutes();
  addSessionRoutes();
  addCustomerRoutes();
  addSyncRoutes();
  addCallRoutes();
  addFlowRoutes();
}

void RestApi::addAuthRoutes() {
  router_.add("POST", "/api/v1/auth/login", {}, [this](const RouteContext& ctx) {
    auto body = readJsonBody(ctx.request);
    if (!body) {
      return body.error();
    }
    auto& json = body.value();
    for (auto key : {"username", "password"}) {
      auto it = json.find(key);
      if (it == json.end() || !it->is_string()) {
        return errorResponse(Error::invalid(key, "is required and must be a string"));
      }
    }
    for (auto it = json.begin(); it != json.end(); ++it) {
      if (it.key() != "username" && it.key() != "password") {
        return errorResponse(Error::invalid(it.key(), "unknown field"));
      }
    }
    auto login = deps_.authenticator.login(json["username"].get<std::string>(),
                                           json["password"].get<std::string>());
    if (!login) {
      return errorResponse(login.error());
    }
    std::string out;
    JsonWriter writer(out);
    writer.beginObject().key("token").value(login->token);
    writer.key("expires_at").value(formatTime(login->expires_at_ms)).key("user");
    writeJson(writer, login->user);
    writer.endObject();
    return jsonResponse(200, std::move(out));
  });

  const Roles anyone{Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor};
  router_.add("POST", "/api/v1/auth/logout", anyone, [this](const RouteContext& ctx) {
    auto done = deps_.authenticator.logout(ctx.bearer_token);
    return done ? HttpResponse{204, "", "application/json"} : errorResponse(done.error());
  });
  router_.add("GET", "/api/v1/auth/me", anyone, [this](const RouteContext& ctx) {
    auto user = deps_.users.get(ctx.principal->user_id);
    return user ? jsonResponse(200, toJson(*user)) : errorResponse(user.error());
  });
}

void RestApi::addUserRoutes() {
  const Roles readers{Role::Admin, Role::Auditor};
  const Roles writers{Role::Admin};
  const std::string base = "/api/v1/users";

  router_.add("GET", base, readers,
              [this](const RouteContext&) { return listResponse(deps_.users.list()); });
  router_.add("GET", base + "/{id}", readers, [this](const RouteContext& ctx) {
    auto user = deps_.users.get(ctx.params[0]);
    return user ? jsonResponse(200, toJson(*user)) : errorResponse(user.error());
  });

  router_.add("POST", base, writers, [this](const RouteContext& ctx) -> HttpResponse {
    auto body = readJsonBody(ctx.request);
    if (!body) {
      return body.error();
    }
    auto input = userFromJson(*body, {}, /*creating=*/true);
    if (!input) {
      return errorResponse(input.error());
    }
    if (auto ready = checkAndHash(*input); !ready) {
      return errorResponse(ready.error());
    }
    auto& user = input->user;
    user.id = newId("usr", deps_.time);
    user.created_at_ms = user.updated_at_ms = toUnixMillis(deps_.time.systemTime());
    if (auto created = deps_.users.create(user); !created) {
      return errorResponse(created.error());
    }
    publish(deps_, "user.created", user.id, toJson(user));
    return jsonResponse(201, toJson(user));
  });

  router_.add("PUT", base + "/{id}", writers, [this](const RouteContext& ctx) -> HttpResponse {
    auto body = readJsonBody(ctx.request);
    if (!body) {
      return body.error();
    }
    auto stored = deps_.users.get(ctx.params[0]);
    if (!stored) {
      return errorResponse(stored.error());
    }
    auto input = userFromJson(*body, *stored, /*creating=*/false);
    if (!input) {
      return errorResponse(input.error());
    }
    if (auto ready = checkAndHash(*input); !ready) {
      return errorResponse(ready.error());
    }
    auto& user = input->user;
    user.updated_at_ms = toUnixMillis(deps_.time.systemTime());
    if (auto updated = deps_.users.update(user); !updated) {
      return errorResponse(updated.error());
    }
    if (input->password || user.role != stored->role) {
      // Old tokens must not keep the old password's or role's rights.
      if (auto revoked = deps_.authenticator.revokeUser(user.id); !revoked) {
        return errorResponse(revoked.error());
      }
    }
    publish(deps_, "user.updated", user.id, toJson(user));
    return jsonResponse(200, toJson(user));
  });

  router_.add("DELETE", base + "/{id}", writers, [this](const RouteContext& ctx) -> HttpResponse {
    std::string id(ctx.params[0]);
    if (id == ctx.principal->user_id) {
      return errorResponse(Error{ErrorCode::Conflict, "you cannot delete your own user", "id"});
    }
    if (auto removed = deps_.users.remove(id); !removed) {
      return errorResponse(removed.error());
    }
    (void)deps_.authenticator.revokeUser(id);  // stored sessions went with the user; drop the cache
    publish(deps_, "user.deleted", id, idJson(id));
    return HttpResponse{204, "", "application/json"};
  });
}

}  // namespace kefu::api
