// Routes for the IVR's flow documents: list, read (any saved version), check, save and delete.
// A document is YAML; it travels raw (Content-Type application/yaml) or inside JSON as
// {"document": "…"}.

#include <limits>

#include "api/flow_service.h"
#include "api/rest_api.h"
#include "api/route_support.h"

namespace kefu::api {
namespace {

using auth::Role;

bool isYaml(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  const auto media = content_type.substr(0, semicolon);
  return media == "application/yaml" || media == "application/x-yaml" || media == "text/yaml";
}

/** The document a request carries, or the error response to send instead. */
struct DocumentBody {
  std::string yaml;
  std::optional<HttpResponse> error;
};

DocumentBody documentOf(const HttpRequest& request) {
  if (isYaml(request.content_type)) {
    return {request.body, std::nullopt};
  }
  auto body = readJsonBody(request);
  if (!body) {
    return {{}, body.error()};
  }
  auto it = body->find("document");
  if (it == body->end() || !it->is_string()) {
    return {{}, errorResponse(Error::invalid("document", "must be the flow's YAML as a string"))};
  }
  for (auto field = body->begin(); field != body->end(); ++field) {
    if (field.key() != "document") {
      return {{}, errorResponse(Error::invalid(field.key(), "is not a known field"))};
    }
  }
  return {it->get<std::string>(), std::nullopt};
}

Json problemsJson(const std::vector<ivr::Diagnostic>& problems) {
  Json items = Json::array();
  for (const auto& problem : problems) {
    items.push_back({{"line", problem.line}, {"message", problem.message}});
  }
  return items;
}

/** A 400 listing every problem of a document, each with its line. */
HttpResponse invalidDocument(const std::vector<ivr::Diagnostic>& problems) {
  Json body;
  auto& e = body["error"];
  e["code"] = "invalid_argument";
  e["field"] = "document";
  e["message"] = std::to_string(problems.size()) +
                 (problems.size() == 1 ? " problem" : " problems") + ", the first: line " +
                 std::to_string(problems.front().line) + ": " + problems.front().message;
  e["problems"] = problemsJson(problems);
  return jsonResponse(400, body);
}

Json summaryJson(const ivr::FlowDocument& flow) {
  return {{"id", flow.id},
          {"version", flow.version},
          {"saved_by", flow.saved_by},
          {"saved_at", formatTime(flow.saved_at_ms)}};
}

Json documentJson(const ivr::FlowDocument& flow) {
  Json json = summaryJson(flow);
  json["document"] = flow.yaml;
  return json;
}

HttpResponse summaries(const Result<std::vector<ivr::FlowDocument>>& flows) {
  if (!flows) {
    return errorResponse(flows.error());
  }
  Json items = Json::array();
  for (const auto& flow : *flows) {
    items.push_back(summaryJson(flow));
  }
  return jsonResponse(200, Json{{"items", items}, {"count", flows->size()}});
}

/** @return whether the query holds `item` (`format=yaml`) among its `&`-separated items. */
bool hasQueryItem(std::string_view query, std::string_view item) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    if (query.substr(0, amp) == item) {
      return true;
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return false;
}

/** GET {id}: the current version, or `?version=N`; as JSON, or raw YAML with `format=yaml`. */
HttpResponse readDocument(FlowService& flows, const RouteContext& ctx) {
  const auto& query = ctx.request.query;
  const auto version = queryInteger(query, "version", 0);
  if (!version || *version > std::numeric_limits<int>::max()) {
    return errorResponse(Error::invalid("version", "must be a version number"));
  }
  auto flow = *version == 0 ? flows.current(ctx.params[0])
                            : flows.version(ctx.params[0], static_cast<int>(*version));
  if (!flow) {
    return errorResponse(flow.error());
  }
  if (hasQueryItem(query, "format=yaml")) {
    return HttpResponse{200, flow->yaml, "application/yaml"};
  }
  return jsonResponse(200, documentJson(*flow));
}

}  // namespace

void RestApi::addFlowRoutes() {
  if (deps_.flows == nullptr) {
    return;
  }
  auto& flows = *deps_.flows;
  const Roles managers{Role::Admin, Role::Supervisor};
  const Roles admins{Role::Admin};
  const std::string path = "/api/v1/flows";

  router_.add("GET", path, managers,
              [&flows](const RouteContext&) { return summaries(flows.list()); });
  router_.add("GET", path + "/{id}", managers,
              [&flows](const RouteContext& ctx) { return readDocument(flows, ctx); });
  router_.add("GET", path + "/{id}/versions", managers, [&flows](const RouteContext& ctx) {
    return summaries(flows.versions(ctx.params[0]));
  });
  router_.add("POST", path + "/{id}/check", managers,
              [&flows](const RouteContext& ctx) -> HttpResponse {
                auto document = documentOf(ctx.request);
                if (document.error) {
                  return *document.error;
                }
                const auto problems = flows.check(ctx.params[0], document.yaml);
                return jsonResponse(
                    200, Json{{"valid", problems.empty()}, {"problems", problemsJson(problems)}});
              });
  router_.add("PUT", path + "/{id}", admins,
              [this, &flows, path](const RouteContext& ctx) -> HttpResponse {
                auto document = documentOf(ctx.request);
                if (document.error) {
                  return *document.error;
                }
                const std::string id(ctx.params[0]);
                if (auto problems = flows.check(id, document.yaml); !problems.empty()) {
                  return invalidDocument(problems);
                }
                auto saved = flows.save(id, document.yaml, ctx.principal->username);
                if (!saved) {
                  return errorResponse(saved.error());
                }
                auto json = documentJson(*saved);
                publish(deps_, saved->version == 1 ? "flow.created" : "flow.updated", id,
                        summaryJson(*saved).dump());
                auto response = jsonResponse(saved->version == 1 ? 201 : 200, json);
                response.headers.emplace_back("Location", path + "/" + id);
                return response;
              });
  router_.add("DELETE", path + "/{id}", admins,
              [this, &flows](const RouteContext& ctx) -> HttpResponse {
                const std::string id(ctx.params[0]);
                if (auto removed = flows.remove(id, ctx.principal->username); !removed) {
                  return errorResponse(removed.error());
                }
                publish(deps_, "flow.deleted", id, idJson(id));
                return HttpResponse{204, "", "application/json"};
              });
}

}  // namespace kefu::api
