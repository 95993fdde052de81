#pragma once

// The per-interval contact-center figures of queues and agents. Internal to src/api.

#include <cstdint>
#include <optional>
#include <string_view>

#include "api/router.h"
#include "core/result.h"

namespace kefu::api {

struct RestDependencies;

/** What `?from=&to=&interval=` asked for: Unix ms and an interval length in seconds. */
struct FigureWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::int64_t interval_seconds = 900;
};

/**
 * @return the window of an undecoded query string; `now_ms` is the default `to`, a day before it
 * the default `from`. InvalidArgument naming the parameter when one is malformed or unknown.
 */
Result<FigureWindow> figureWindowFromQuery(std::string_view query, std::int64_t now_ms);

/**
 * Registers GET /api/v1/queues/{id}/figures and GET /api/v1/agents/{id}/figures (admin,
 * supervisor, auditor). Called once at start-up by RestApi::addSessionRoutes().
 */
void addFigureRoutes(Router& router, const RestDependencies& deps);

}  // namespace kefu::api
