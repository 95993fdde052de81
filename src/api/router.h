#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "auth/authenticator.h"

namespace kefu::api {

/** What a route handler gets: the request, who sent it and the path parameters. */
struct RouteContext {
  const HttpRequest& request;
  const auth::Principal* principal;      // null on public routes
  std::vector<std::string_view> params;  // the `{…}` segments of the pattern, in order
  std::string_view bearer_token;
};

using RouteHandler = std::function<HttpResponse(const RouteContext&)>;

/** Which roles may call a route; empty means public (no token needed). */
using Roles = std::vector<auth::Role>;

/**
 * Maps method + path pattern (`/api/v1/agents/{id}`) to handlers and enforces bearer tokens and
 * roles before calling them. Built once at start-up, then read-only: thread-safe to dispatch().
 */
class Router {
 public:
  explicit Router(auth::Authenticator& authenticator) : authenticator_(authenticator) {}

  void add(std::string method, std::string pattern, Roles roles, RouteHandler handler);

  /**
   * Answers `request`: 404 for an unknown path, 405 (with Allow) for a known path and another
   * method, 401 without a valid token, 403 for a role not admitted, else the handler's answer.
   * Sets `route` to the matched pattern (for metrics), or "unmatched". Blocks (token lookups and
   * handlers touch storage): call it on the blocking pool.
   */
  HttpResponse dispatch(const HttpRequest& request, std::string& route) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
    bool is_public;
  };
  /** @return every route, for the OpenAPI conformance test. */
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Roles roles;
    RouteHandler handler;
  };
  static bool match(const Route& route, const std::vector<std::string_view>& segments,
                    std::vector<std::string_view>& params);

  // not owned, outlives this
  auth::Authenticator& authenticator_;
  // owned
  std::vector<Route> routes_;
};

/** @return the token of an `Authorization: Bearer …` header, or empty. */
std::string_view bearerToken(std::string_view authorization);

}  // namespace kefu::api
