#include "api/route_support.h"

namespace kefu::api {

JsonBody readJsonBody(const HttpRequest& request) {
  std::string_view type = request.content_type;
  auto semicolon = type.find(';');
  auto media = type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  if (media != "application/json") {
    return JsonBody(
        errorResponse(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto parsed = parseObject(request.body);
  if (!parsed) {
    return JsonBody(errorResponse(parsed.error()));
  }
  return JsonBody(std::move(parsed).value());
}

HttpResponse jsonResponse(int status, const Json& body) { return {status, dump(body)}; }

void publish(const RestDependencies& deps, std::string type, std::string id, std::string payload) {
  deps.events.publish(DomainEvent{0, std::move(type), std::move(id),
                                  toUnixMillis(deps.time.systemTime()), std::move(payload)});
}

std::string idJson(std::string_view id) {
  std::string out;
  JsonWriter(out).beginObject().key("id").value(id).endObject();
  return out;
}

}  // namespace kefu::api
