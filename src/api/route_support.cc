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

/** @return the integer value of `name=` in the query, or `fallback`; nullopt when malformed. */
std::optional<std::int64_t> queryInteger(std::string_view query, std::string_view name,
                                         std::int64_t fallback) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=') {
      std::string_view digits = item.substr(name.size() + 1);
      if (digits.empty() || digits.size() > 15) {
        return std::nullopt;
      }
      std::int64_t value = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') {
          return std::nullopt;
        }
        value = value * 10 + (c - '0');
      }
      return value;
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return fallback;
}

}  // namespace kefu::api
