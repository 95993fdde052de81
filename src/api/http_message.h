#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kefu::api {

/** An HTTP request as the routes see it, independent of the server library. */
struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query
  std::string query;   // after '?', undecoded; empty when none
  std::string authorization;
  std::string content_type;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace kefu::api
