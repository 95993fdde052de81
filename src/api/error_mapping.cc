#include "api/error_mapping.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace kefu::api {

int httpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return 400;
    case ErrorCode::Unauthenticated:
      return 401;
    case ErrorCode::PermissionDenied:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
      return 409;
    case ErrorCode::Unavailable:
      return 503;
    case ErrorCode::Internal:
      return 500;
  }
  return 500;
}

HttpResponse errorResponse(const Error& error) {
  nlohmann::json body;
  auto& e = body["error"];
  e["code"] = toString(error.code);
  if (error.code == ErrorCode::Internal) {
    spdlog::error("internal error: {}", error.message);
    e["message"] = "internal error";
  } else {
    e["message"] = error.message;
  }
  if (!error.field.empty()) {
    e["field"] = error.field;
  }
  HttpResponse response{httpStatus(error.code),
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  if (error.code == ErrorCode::Unauthenticated) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  if (error.code == ErrorCode::Unavailable) {
    response.headers.emplace_back("Retry-After", "1");
  }
  return response;
}

HttpResponse errorResponse(int status, std::string_view code, std::string_view message) {
  nlohmann::json body;
  body["error"]["code"] = code;
  body["error"]["message"] = message;
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace kefu::api
