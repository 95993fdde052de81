#pragma once

#include <string_view>

#include "api/http_message.h"
#include "core/error.h"

namespace kefu::api {

/** @return the HTTP status for an error code (the one place this mapping lives). */
int httpStatus(ErrorCode code);

/**
 * @return a JSON error response: `{"error":{"code","message","field"?}}` with the mapped status.
 * Internal errors are logged here and shown without their details.
 */
HttpResponse errorResponse(const Error& error);

/** @return an error response with an explicit status (404 route, 405, 413, 415 …). */
HttpResponse errorResponse(int status, std::string_view code, std::string_view message);

}  // namespace kefu::api
