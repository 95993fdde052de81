#pragma once

// Small pieces the route files share. Internal to src/api.

#include <optional>
#include <string>
#include <string_view>

#include "api/error_mapping.h"
#include "api/json_mapping.h"
#include "api/rest_api.h"

namespace kefu::api {

/** A request body read as a JSON object, or the error response to send instead. */
class JsonBody {
 public:
  explicit JsonBody(Json json) : json_(std::move(json)) {}
  explicit JsonBody(HttpResponse error) : error_(std::move(error)) {}
  explicit operator bool() const { return json_.has_value(); }
  Json& operator*() { return *json_; }
  Json* operator->() { return &*json_; }
  Json& value() { return *json_; }
  const HttpResponse& error() const { return error_; }

 private:
  std::optional<Json> json_;
  HttpResponse error_;
};

/** Checks the Content-Type (415 unless JSON) and parses the body as an object (400 unless). */
JsonBody readJsonBody(const HttpRequest& request);

HttpResponse jsonResponse(int status, const Json& body);

/** @return `{"items": [...], "count": n}` or the error. */
template <class T>
HttpResponse listResponse(const Result<std::vector<T>>& items) {
  if (!items) {
    return errorResponse(items.error());
  }
  std::string out = R"({"items":[)";
  bool first = true;
  for (const auto& item : *items) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += dump(toJson(item));
  }
  out += R"(],"count":)" + std::to_string(items->size()) + "}";
  return {200, std::move(out)};
}

/** Publishes a change on the event bus, stamped with the current time. */
void publish(const RestDependencies& deps, std::string type, std::string id, const Json& payload);

}  // namespace kefu::api
