// Routes for voice: registered phones, entry points (dialed numbers) and calls (the CTI
// operations an agent desktop or a CRM uses).

#include "api/call_desk.h"
#include "api/call_service.h"
#include "api/cti_routes.h"
#include "api/rest_api.h"
#include "api/route_support.h"
#include "core/id.h"

namespace kefu::api {
namespace {

using auth::Role;

/** @return the value of `key` in `body` when it is a string; an error naming it otherwise. */
Result<std::optional<std::string>> optionalString(const Json& body, const char* key,
                                                  std::string_view prefix = {}) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return std::optional<std::string>{};
  }
  if (!it->is_string()) {
    return Error::invalid(std::string(prefix) + key, "must be a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

/** Reads `{"kind": "queue", "id": "…"}`; errors name `field.kind` / `field.id`. */
Result<call::Target> targetFromJson(const Json& json, const std::string& field) {
  if (!json.is_object()) {
    return Error::invalid(field, "must be an object with kind and id");
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "kind" && it.key() != "id") {
      return Error::invalid(field + "." + it.key(), "is not a known field");
    }
  }
  auto kind = optionalString(json, "kind", field + ".");
  auto id = optionalString(json, "id", field + ".");
  if (!kind) {
    return kind.error();
  }
  if (!id) {
    return id.error();
  }
  if (!*kind) {
    return Error::invalid(field + ".kind", "is required");
  }
  auto parsed = call::parseTargetKind(**kind);
  if (!parsed) {
    return Error::invalid(field + ".kind",
                          "must be one of queue, extension, number, announcement, agent");
  }
  if (!*id || (*id)->empty()) {
    return Error::invalid(field + ".id", "is required");
  }
  return call::Target{*parsed, **id};
}

Result<call::EntryPoint> entryPointFromJson(const Json& body, call::EntryPoint base) {
  static constexpr std::array<std::string_view, 9> Known{"id",      "number",     "name",
                                                         "target",  "greeting",   "priority",
                                                         "enabled", "created_at", "updated_at"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(Known.begin(), Known.end(), it.key()) == Known.end()) {
      return Error::invalid(it.key(), "is not a known field");
    }
  }
  for (const char* key : {"number", "name", "greeting"}) {
    auto value = optionalString(body, key);
    if (!value) {
      return value.error();
    }
    if (!*value) {
      if (std::string_view(key) == "number") {
        return Error::invalid("number", "is required");
      }
      continue;
    }
    std::string_view k = key;
    (k == "number" ? base.number : k == "name" ? base.name : base.greeting) = std::move(**value);
  }
  if (auto target = body.find("target"); target != body.end()) {
    auto parsed = targetFromJson(*target, "target");
    if (!parsed) {
      return parsed.error();
    }
    base.target = std::move(*parsed);
  } else {
    return Error::invalid("target", "is required");
  }
  if (auto priority = body.find("priority"); priority != body.end()) {
    if (!priority->is_number_integer()) {
      return Error::invalid("priority", "must be an integer");
    }
    base.priority = priority->get<int>();
  }
  if (auto enabled = body.find("enabled"); enabled != body.end()) {
    if (!enabled->is_boolean()) {
      return Error::invalid("enabled", "must be true or false");
    }
    base.enabled = enabled->get<bool>();
  }
  if (base.name.empty()) {
    base.name = base.number;
  }
  return base;
}

void writeTarget(JsonWriter& out, const call::Target& target) {
  out.beginObject().key("kind").value(call::toString(target.kind)).key("id").value(target.id);
  out.endObject();
}

}  // namespace

void writeJson(JsonWriter& out, const call::EntryPoint& entry) {
  out.beginObject().key("id").value(entry.id).key("number").value(entry.number);
  out.key("name").value(entry.name).key("target");
  writeTarget(out, entry.target);
  out.key("greeting").valueOrNull(entry.greeting).key("priority").value(entry.priority);
  out.key("enabled").raw(entry.enabled ? "true" : "false");
  out.key("created_at").value(formatTime(entry.created_at_ms));
  out.key("updated_at").value(formatTime(entry.updated_at_ms)).endObject();
}

void writeJson(JsonWriter& out, const RegistrationView& r) {
  out.beginObject().key("extension").value(r.extension).key("contact").value(r.contact);
  out.key("transport").value(r.transport).key("source").value(r.source);
  out.key("user_agent").valueOrNull(r.user_agent);
  out.key("registered_at").value(formatTime(r.registered_at_ms));
  out.key("expires_at").value(formatTime(r.expires_at_ms)).endObject();
}

void writeJson(JsonWriter& out, const call::CallSnapshot& c) {
  out.beginObject().key("id").value(c.id).key("state").value(call::toString(c.state));
  out.key("caller").valueOrNull(c.caller).key("dialed").valueOrNull(c.dialed);
  out.key("entry_point_id").valueOrNull(c.entry_point_id).key("queue_id").valueOrNull(c.queue_id);
  out.key("agent_id").valueOrNull(c.agent_id).key("target").valueOrNull(c.target);
  out.key("created_at").value(formatTime(c.created_at_ms)).key("answered_at");
  if (c.answered_at_ms > 0) {
    out.value(formatTime(c.answered_at_ms));
  } else {
    out.null();
  }
  out.key("recording").raw(c.recording ? "true" : "false").key("legs").beginArray();
  for (const auto& leg : c.legs) {
    out.beginObject()
        .key("role")
        .value(leg.role)
        .key("answered")
        .raw(leg.answered ? "true" : "false");
    out.key("agent_id").valueOrNull(leg.agent_id).key("target").valueOrNull(leg.target).endObject();
  }
  out.endArray().endObject();
}

/** A live call with the wrap-ups stored for it so far (an agent wraps up while a transfer goes on).
 */
struct CallWithWrapUps {
  call::CallSnapshot call;
  std::vector<call::WrapUpRecord> wrap_ups;
};

void writeJson(JsonWriter& out, const CallWithWrapUps& c) {
  std::string call = toJson(c.call);
  call.pop_back();  // the closing brace: the wrap-ups go inside the call's object
  std::string wrap_ups;
  JsonWriter w(wrap_ups);
  w.beginArray();
  for (const auto& wrap_up : c.wrap_ups) {
    writeJson(w, wrap_up);
  }
  w.endArray();
  out.raw(call + ",\"wrap_ups\":" + wrap_ups + "}");
}

/** @return `snapshot` with its stored wrap-ups (none when they cannot be read now). */
CallWithWrapUps withWrapUps(CallDesk* desk, call::CallSnapshot snapshot) {
  CallWithWrapUps out{std::move(snapshot), {}};
  if (desk != nullptr) {
    if (auto stored = desk->wrapUps(out.call.id); stored) {
      out.wrap_ups = std::move(stored).value();
    }
  }
  return out;
}

void writeJson(JsonWriter& out, const call::CallEvent& e) {
  out.beginObject().key("type").value(call::toString(e.type)).key("at").value(formatTime(e.at_ms));
  out.key("caller").valueOrNull(e.caller).key("dialed").valueOrNull(e.dialed);
  out.key("queue_id").valueOrNull(e.queue_id).key("agent_id").valueOrNull(e.agent_id);
  out.key("target").valueOrNull(e.target).key("cause").valueOrNull(e.cause);
  out.key("detail").valueOrNull(e.detail).key("quality");
  if (e.quality) {
    out.beginObject()
        .key("mos")
        .value(e.quality->mos)
        .key("loss_percent")
        .value(e.quality->loss_pct);
    out.key("jitter_ms").value(e.quality->jitter_ms).endObject();
  } else {
    out.null();
  }
  out.endObject();
}

void RestApi::addCallRoutes() {
  const Roles managers{Role::Admin, Role::Supervisor};
  const Roles admins{Role::Admin};
  const Roles desk{Role::Admin, Role::Supervisor, Role::Agent};
  const Roles history{Role::Admin, Role::Supervisor, Role::Auditor};
  const Roles history_and_desk{Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor};
  auto* calls = deps_.calls;
  auto* call_desk = deps_.call_desk;
  auto unavailable = [] {
    return errorResponse(503, "unavailable", "this site runs without SIP (sip.enabled: false)");
  };

  router_.add("GET", "/api/v1/registrations", managers, [calls, unavailable](const RouteContext&) {
    if (calls == nullptr || !calls->available()) {
      return unavailable();
    }
    return listResponse(Result<std::vector<RegistrationView>>(calls->registrations()));
  });

  if (deps_.entry_points != nullptr) {
    auto& repo = *deps_.entry_points;
    const std::string path = "/api/v1/entry-points";
    auto changed = [calls] {
      if (calls != nullptr) {
        calls->entryPointsChanged();
      }
    };
    router_.add("GET", path, managers,
                [&repo](const RouteContext&) { return listResponse(repo.list()); });
    router_.add("GET", path + "/{id}", managers, [&repo](const RouteContext& ctx) {
      auto entry = repo.get(ctx.params[0]);
      return entry ? jsonResponse(200, toJson(*entry)) : errorResponse(entry.error());
    });
    auto save = [this, &repo, changed, path](const RouteContext& ctx, bool creating) {
      auto body = readJsonBody(ctx.request);
      if (!body) {
        return body.error();
      }
      // A PUT replaces the entry point, like every PUT of the API: only its identity is kept.
      call::EntryPoint base;
      if (!creating) {
        auto stored = repo.get(ctx.params[0]);
        if (!stored) {
          return errorResponse(stored.error());
        }
        base.id = stored->id;
        base.created_at_ms = stored->created_at_ms;
      }
      auto entry = entryPointFromJson(*body, std::move(base));
      if (!entry) {
        return errorResponse(entry.error());
      }
      if (auto valid = call::validate(*entry); !valid) {
        return errorResponse(valid.error());
      }
      if (entry->target.kind == call::TargetKind::Queue && !deps_.queues.get(entry->target.id)) {
        return errorResponse(Error::invalid("target.id", "no queue " + entry->target.id));
      }
      const auto now = toUnixMillis(deps_.time.systemTime());
      entry->updated_at_ms = now;
      if (creating) {
        entry->id = newId("ep", deps_.time);
        entry->created_at_ms = now;
      }
      auto saved = creating ? repo.create(*entry) : repo.update(*entry);
      if (!saved) {
        return errorResponse(saved.error());
      }
      changed();
      auto json = toJson(*entry);
      publish(deps_, creating ? "entry_point.created" : "entry_point.updated", entry->id, json);
      auto response = jsonResponse(creating ? 201 : 200, std::move(json));
      if (creating) {
        response.headers.emplace_back("Location", path + "/" + entry->id);
      }
      return response;
    };
    router_.add("POST", path, admins, [save](const RouteContext& ctx) { return save(ctx, true); });
    router_.add("PUT", path + "/{id}", admins,
                [save](const RouteContext& ctx) { return save(ctx, false); });
    router_.add("DELETE", path + "/{id}", admins,
                [this, &repo, changed](const RouteContext& ctx) -> HttpResponse {
                  std::string id(ctx.params[0]);
                  if (auto removed = repo.remove(id); !removed) {
                    return errorResponse(removed.error());
                  }
                  changed();
                  publish(deps_, "entry_point.deleted", id, idJson(id));
                  return HttpResponse{204, "", "application/json"};
                });
  }

  router_.add("GET", "/api/v1/calls", desk, [calls, call_desk, unavailable](const RouteContext&) {
    if (calls == nullptr || !calls->available()) {
      return unavailable();
    }
    std::vector<CallWithWrapUps> items;
    for (auto& snapshot : calls->calls()) {
      items.push_back(withWrapUps(call_desk, std::move(snapshot)));
    }
    return listResponse(Result<std::vector<CallWithWrapUps>>(std::move(items)));
  });
  router_.add("GET", "/api/v1/calls/{id}", desk,
              [calls, call_desk, unavailable](const RouteContext& ctx) {
                if (calls == nullptr || !calls->available()) {
                  return unavailable();
                }
                auto found = calls->call(ctx.params[0]);
                return found ? jsonResponse(200, toJson(withWrapUps(call_desk, std::move(*found))))
                             : errorResponse(found.error());
              });
  // Ended calls too: the wrap-ups are stored after the call.
  router_.add("GET", "/api/v1/calls/{id}/wrap-ups", history_and_desk,
              [call_desk, unavailable](const RouteContext& ctx) {
                if (call_desk == nullptr) {
                  return unavailable();
                }
                auto wrap_ups = call_desk->wrapUps(ctx.params[0]);
                if (!wrap_ups) {
                  return errorResponse(wrap_ups.error());
                }
                // The call's field, as GET /api/v1/calls/{id} shows it.
                std::string out;
                JsonWriter w(out);
                w.beginObject().key("call_id").value(ctx.params[0]).key("wrap_ups").beginArray();
                for (const auto& wrap_up : *wrap_ups) {
                  writeJson(w, wrap_up);
                }
                w.endArray().endObject();
                return jsonResponse(200, std::move(out));
              });
  // The caller's customer card and last calls, as the softphone's alert carries them, for a
  // third-party CRM desktop.
  router_.add("GET", "/api/v1/calls/{id}/screen-pop", desk,
              [call_desk, unavailable](const RouteContext& ctx) {
                if (call_desk == nullptr) {
                  return unavailable();
                }
                auto pop = call_desk->screenPop(ctx.params[0], ctx.principal->user_id,
                                                auth::toString(ctx.principal->role));
                if (!pop) {
                  return errorResponse(pop.error());
                }
                std::string out;
                JsonWriter w(out);
                writeScreenPop(w, ctx.params[0], *pop);
                return jsonResponse(200, std::move(out));
              });
  router_.add("GET", "/api/v1/calls/{id}/events", history,
              [calls, unavailable](const RouteContext& ctx) {
                if (calls == nullptr) {
                  return unavailable();
                }
                return listResponse(calls->history(ctx.params[0]));
              });

  using Kind = CallAction::Kind;
  struct ActionRoute {
    const char* path;
    Kind kind;
    bool needs_target;
  };
  static constexpr std::array<ActionRoute, 12> Actions{{
      {"hangup", Kind::HangUp, false},
      {"hold", Kind::Hold, false},
      {"resume", Kind::Resume, false},
      {"transfer", Kind::Transfer, true},
      {"consult", Kind::Consult, true},
      {"consult/complete", Kind::CompleteConsult, false},
      {"consult/cancel", Kind::CancelConsult, false},
      {"conference", Kind::Conference, false},
      {"recording/start", Kind::StartRecording, false},
      {"recording/pause", Kind::PauseRecording, false},
      {"recording/resume", Kind::ResumeRecording, false},
      {"recording/stop", Kind::StopRecording, false},
  }};
  for (const auto& action : Actions) {
    router_.add("POST", std::string("/api/v1/calls/{id}/") + action.path, desk,
                [calls, unavailable, action](const RouteContext& ctx) -> HttpResponse {
                  if (calls == nullptr || !calls->available()) {
                    return unavailable();
                  }
                  CallAction request{action.kind, std::nullopt};
                  if (action.needs_target) {
                    auto body = readJsonBody(ctx.request);
                    if (!body) {
                      return body.error();
                    }
                    auto target = body->find("target");
                    if (target == body->end()) {
                      return errorResponse(Error::invalid("target", "is required"));
                    }
                    auto parsed = targetFromJson(*target, "target");
                    if (!parsed) {
                      return errorResponse(parsed.error());
                    }
                    request.target = std::move(*parsed);
                  }
                  auto done = calls->act(ctx.params[0], request);
                  if (!done) {
                    return errorResponse(done.error());
                  }
                  auto found = calls->call(ctx.params[0]);
                  // The call may have ended (hang-up): then there is nothing more to show.
                  return found ? jsonResponse(200, toJson(*found))
                               : HttpResponse{204, "", "application/json"};
                });
  }
  addCtiRoutes(router_, deps_);
}

}  // namespace kefu::api
