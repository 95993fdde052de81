#pragma once

#include <chrono>
#include <string>

#include "core/result.h"

namespace kefu::ivr {

/** An HTTP answer of any status. */
struct HttpResponse {
  int status = 0;
  std::string body;
};

/**
 * Sends one HTTP/1.1 request (`http://host[:port]/path` only; no TLS, no redirects, no chunked
 * request bodies) and reads the whole answer, all within `timeout`. @return the answer, or an
 * error naming what failed (bad URL, DNS, connect, timeout, malformed answer). Blocking: call it
 * from a blocking pool, never on the control loop. Thread-safe; never throws.
 */
[[nodiscard]] Result<HttpResponse> httpFetch(const std::string& method, const std::string& url,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout);

}  // namespace kefu::ivr
