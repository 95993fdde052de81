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
/** @return a response whose body is `json`, already serialized. */
inline HttpResponse jsonResponse(int status, std::string json) { return {status, std::move(json)}; }

/** @return `{"items": [...], "count": n}` or the error. */
template <class T>
HttpResponse listResponse(const Result<std::vector<T>>& items) {
  if (!items) {
    return errorResponse(items.error());
  }
  std::string out;
  out.reserve(256 * items->size() + 32);
  JsonWriter writer(out);
  writer.beginObject().key("items").beginArray();
  for (const auto& item : *items) {
    writeJson(writer, item);
  }
  writer.endArray().key("count").value(static_cast<std::int64_t>(items->size())).endObject();
  return {200, std::move(out)};
}

/** Publishes a change (`payload` is the entity's JSON) on the event bus, stamped with the time. */
void publish(const RestDependencies& deps, std::string type, std::string id, std::string payload);

/** @return the integer value of `name=` in the query, or `fallback`; nullopt when malformed. */
std::optional<std::int64_t> queryInteger(std::string_view query, std::string_view name,
                                         std::int64_t fallback);

/** @return `{"id": id}`: the payload of a deletion event. */
std::string idJson(std::string_view id);

}  // namespace kefu::api
