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
  /** Runs after an update was stored (e.g. routing follows a queue's new skills); may be empty. */
  std::function<void(const T&)> after_update = {};
  /**
   * Runs before a delete with the stored entity; its error (e.g. Conflict: a queue still holds
   * interactions) refuses the delete. `undo` is called when the store then fails. May be empty.
   */
  std::function<Result<void>(const T&)> before_delete = {};
  std::function<void(const T&)> undo_before_delete = {};
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
               if (r.after_update) {
                 r.after_update(*entity);
               }
               auto json = toJson(*entity);
               publish(deps, r.event_type + ".updated", entity->id, json);
               return jsonResponse(200, std::move(json));
             });

  router.add("DELETE", r.path + "/{id}", r.writers,
             [&deps, r](const RouteContext& ctx) -> HttpResponse {
               std::string id(ctx.params[0]);
               std::optional<T> stored;
               if (r.before_delete) {
                 auto found = r.repository.get(id);
                 if (!found) {
                   return errorResponse(found.error());
                 }
                 if (auto allowed = r.before_delete(*found); !allowed) {
                   return errorResponse(allowed.error());
                 }
                 stored = std::move(*found);
               }
               if (auto removed = r.repository.remove(id); !removed) {
                 if (stored && r.undo_before_delete) {
                   r.undo_before_delete(*stored);
                 }
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
  addCrudRoutes<acd::Agent>(
      router_, deps_,
      {"/api/v1/agents",
       "ag",
       "agent",
       deps_.agents,
       anyone,
       managers,
       [](const Json& body, acd::Agent base, bool creating) {
         return agentFromJson(body, std::move(base), creating);
       },
       {},
       [this](const acd::Agent& agent) {
         // A logged-in agent's new skills route at once; otherwise they apply at its login.
         if (auto applied = deps_.contact_center.updateAgentSkills(agent.id, agent.skills);
             !applied) {
           KEFU_BUG("routing refused the stored skills of agent " + agent.id + ": " +
                    applied.error().message);
         }
       }});
  addCrudRoutes<acd::Queue>(
      router_, deps_,
      {"/api/v1/queues", "q", "queue", deps_.queues, anyone, admins,
       [](const Json& body, acd::Queue base, bool) { return queueFromJson(body, std::move(base)); },
       [this](const acd::Queue& queue) {
         // Routing takes new queues, their changes and their removal at once.
         if (auto added = deps_.contact_center.addQueue(queue); !added) {
           KEFU_BUG("routing refused stored queue " + queue.id + ": " + added.error().message);
         }
       },
       [this](const acd::Queue& queue) {
         if (auto updated = deps_.contact_center.updateQueue(queue); !updated) {
           KEFU_BUG("routing refused stored queue " + queue.id + ": " + updated.error().message);
         }
       },
       [this](const acd::Queue& queue) -> Result<void> {
         auto removed = deps_.contact_center.removeQueue(queue.id);
         if (!removed && removed.error().code == ErrorCode::NotFound) {
           return {};  // not in routing (it never started there): only the store has it
         }
         return removed;
       },
       [this](const acd::Queue& queue) { (void)deps_.contact_center.addQueue(queue); }});
}

}  // namespace kefu::api
