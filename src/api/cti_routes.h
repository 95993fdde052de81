#pragma once

#include "api/rest_api.h"
#include "api/router.h"

namespace kefu::api {

/**
 * The CTI routes a browser softphone (or a CRM's desktop) needs beyond the call actions:
 * POST /api/v1/calls/{id}/answer|decline|dtmf|monitor and POST /api/v1/agents/{id}/wrap-up.
 * See docs/cti.md.
 */
void addCtiRoutes(Router& router, const RestDependencies& deps);

}  // namespace kefu::api
