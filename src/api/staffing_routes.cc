// Staffing math: how many agents a forecast needs (Erlang C). Stateless: nothing is stored.

#include "api/rest_api.h"
#include "api/route_support.h"

namespace kefu::api {

void RestApi::addStaffingRoutes() {
  const Roles planners{auth::Role::Admin, auth::Role::Supervisor};
  router_.add("POST", "/api/v1/staffing/erlang-c", planners,
              [](const RouteContext& ctx) -> HttpResponse {
                auto body = readJsonBody(ctx.request);
                if (!body) {
                  return body.error();
                }
                auto target = staffingTargetFromJson(*body);
                if (!target) {
                  return errorResponse(target.error());
                }
                auto figures = acd::erlang::agentsNeeded(*target);
                if (!figures) {
                  return errorResponse(figures.error());
                }
                return jsonResponse(200, toJson(*figures));
              });
}

}  // namespace kefu::api
