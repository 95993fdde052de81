// Routes for the routing directory: skills, agents and queues. They share one shape, so one
// template registers the five routes of each.

#include "api/rest_api.h"
#include "api/route_support.h"
#include "core/id.h"

namespace kefu::api {
namespace {

using auth::Role;

template <class T>
struct Resource {
  std::string path;        // "/api/v1/agents"
  std::string id_prefix;   // "ag"
  std::string event_type;  // "agent"
  Repository<T>& repository;
  Roles readers;
  Roles writers;
  /** Reads the client's fields onto `base`; `creating` is false for an update. */
  std::function<Result<T>(const Json& body, T base, bool creating)> from_json;
  /** Runs after a create was stored (e.g. a new queue joins routing); may be empty. */
  std::function<void(const T&)> after_create = {};
};

template <class T>
void addCrudRoutes(Router& router, const RestDependencies& deps, Resource<T> r) {
  auto& repo = r.repository;
  router.add("GET", r.path, r.readers,
             [&repo](const RouteContext&) { return listResponse(repo.list()); });

  router.add("GET", r.path + "/{id}", r.readers, [&repo](const RouteContext& ctx) {
    auto entity = repo.get(ctx.params[0]);
    return entity ? jsonResponse(200, toJson(*entity)) : errorResponse(entity.error());
  });

  router.add("POST", r.path, r.writers, [&deps, r](const RouteContext& ctx) -> HttpResponse {
    auto body = readJsonBody(ctx.request);
    if (!body) {
      return body.error();
    }
    auto entity = r.from_json(*body, T{}, /*creating=*/true);
    if (!entity) {
      return errorResponse(entity.error());
    }
    if (auto valid = validate(*entity); !valid) {
      return errorResponse(valid.error());
    }
    entity->id = newId(r.id_prefix, deps.time);
    entity->created_at_ms = entity->updated_at_ms = toUnixMillis(deps.time.systemTime());
    if (auto created = r.repository.create(*entity); !created) {
      return errorResponse(created.error());
    }
    if (r.after_create) {
      r.after_create(*entity);
    }
    auto json = toJson(*entity);
    publish(deps, r.event_type + ".created", entity->id, json);
    auto response = jsonResponse(201, std::move(json));
    response.headers.emplace_back("Location", r.path + "/" + entity->id);
    return response;
  });

  router.add("PUT", r.path + "/{id}", r.writers,
             [&deps, r](const RouteContext& ctx) -> HttpResponse {
               auto body = readJsonBody(ctx.request);
               if (!body) {
                 return body.error();
               }
               auto stored = r.repository.get(ctx.params[0]);
               if (!stored) {
                 return errorResponse(stored.error());
               }
               auto entity = r.from_json(*body, *stored, /*creating=*/false);
               if (!entity) {
                 return errorResponse(entity.error());
               }
               if (auto valid = validate(*entity); !valid) {
                 return errorResponse(valid.error());
               }
               entity->updated_at_ms = toUnixMillis(deps.time.systemTime());
               if (auto updated = r.repository.update(*entity); !updated) {
                 return errorResponse(updated.error());
               }
               auto json = toJson(*entity);
               publish(deps, r.event_type + ".updated", entity->id, json);
               return jsonResponse(200, std::move(json));
             });

  router.add("DELETE", r.path + "/{id}", r.writers,
             [&deps, r](const RouteContext& ctx) -> HttpResponse {
               std::string id(ctx.params[0]);
               if (auto removed = r.repository.remove(id); !removed) {
                 return errorResponse(removed.error());
               }
               publish(deps, r.event_type + ".deleted", id, idJson(id));
               return HttpResponse{204, "", "application/json"};
             });
}

}  // namespace

void RestApi::addDirectoryRoutes() {
  const Roles anyone{Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor};
  const Roles managers{Role::Admin, Role::Supervisor};
  const Roles admins{Role::Admin};

  addCrudRoutes<acd::Skill>(router_, deps_,
                            {"/api/v1/skills", "sk", "skill", deps_.skills, anyone, managers,
                             [](const Json& body, acd::Skill base, bool) {
                               return skillFromJson(body, std::move(base));
                             }});
  addCrudRoutes<acd::Agent>(router_, deps_,
                            {"/api/v1/agents", "ag", "agent", deps_.agents, anyone, managers,
                             [](const Json& body, acd::Agent base, bool creating) {
                               return agentFromJson(body, std::move(base), creating);
                             }});
  addCrudRoutes<acd::Queue>(
      router_, deps_,
      {"/api/v1/queues", "q", "queue", deps_.queues, anyone, admins,
       [](const Json& body, acd::Queue base, bool) { return queueFromJson(body, std::move(base)); },
       [this](const acd::Queue& queue) {
         // Routing takes new queues at once; changes to a queue's routing
         // apply from the next start (the engine has no reconfiguration yet).
         (void)deps_.contact_center.addQueue({queue});
       }});
}

}  // namespace kefu::api
