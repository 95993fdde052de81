#include "api/router.h"

#include <algorithm>

#include "api/error_mapping.h"

namespace kefu::api {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace

std::string_view bearerToken(std::string_view authorization) {
  constexpr std::string_view Scheme = "Bearer ";
  if (authorization.size() <= Scheme.size() ||
      !std::equal(Scheme.begin(), Scheme.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return {};
  }
  auto token = authorization.substr(Scheme.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  return token;
}

void Router::add(std::string method, std::string pattern, Roles roles, RouteHandler handler) {
  Route route{std::move(method), std::move(pattern), {}, std::move(roles), std::move(handler)};
  for (auto segment : splitPath(route.pattern)) {
    route.segments.emplace_back(segment);
  }
  routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string_view>& segments,
                   std::vector<std::string_view>& params) {
  if (route.segments.size() != segments.size()) {
    return false;
  }
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& want = route.segments[i];
    if (want.front() == '{') {
      if (segments[i].empty() || segments[i].size() > 128) {
        return false;
      }
      params.push_back(segments[i]);
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

HttpResponse Router::dispatch(const HttpRequest& request, std::string& route_name) const {
  route_name = "unmatched";
  auto segments = splitPath(request.path);
  std::vector<std::string_view> params;
  std::string allow;
  const Route* found = nullptr;
  for (const auto& route : routes_) {
    if (!match(route, segments, params)) {
      continue;
    }
    if (route.method == request.method) {
      found = &route;
      break;
    }
    allow += allow.empty() ? route.method : ", " + route.method;
  }
  if (found == nullptr) {
    if (allow.empty()) {
      return errorResponse(404, "not_found", "no such route: " + request.path);
    }
    auto response = errorResponse(405, "method_not_allowed",
                                  request.method + " is not allowed here; allowed: " + allow);
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  route_name = found->pattern;
  RouteContext context{request, nullptr, std::move(params), bearerToken(request.authorization)};
  if (found->roles.empty()) {
    return found->handler(context);
  }
  if (context.bearer_token.empty()) {
    return errorResponse(Error{ErrorCode::Unauthenticated, "missing bearer token", {}});
  }
  auto principal = authenticator_.authenticate(context.bearer_token);
  if (!principal) {
    return errorResponse(principal.error());
  }
  if (std::find(found->roles.begin(), found->roles.end(), principal->role) == found->roles.end()) {
    return errorResponse(Error{ErrorCode::PermissionDenied,
                               "role " + std::string(auth::toString(principal->role)) +
                                   " may not " + request.method + " " + found->pattern,
                               {}});
  }
  context.principal = &*principal;
  return found->handler(context);
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) {
    out.push_back({r.method, r.pattern, r.roles.empty()});
  }
  return out;
}

}  // namespace kefu::api
