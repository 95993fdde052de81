#pragma once

#include <functional>
#include <string>

#include "acd/agent.h"
#include "acd/queue.h"
#include "acd/skill.h"
#include "api/call_desk.h"
#include "api/call_service.h"
#include "api/flow_service.h"
#include "api/router.h"
#include "auth/authenticator.h"
#include "auth/user.h"
#include "call/entry_point.h"
#include "core/event_bus.h"
#include "core/time_source.h"
#include "crm/customer.h"
#include "interaction/contact_center.h"
#include "privacy/audit_chain.h"
#include "privacy/tokenizer.h"

namespace kefu::api {

/** The site link as GET /api/v1/sync/status shows it. */
struct SyncStatusView {
  bool enabled = false;  // false: no link configured (an all-in-one site)
  std::string peer;
  bool connected = false;
  bool peer_reachable = false;
  std::int64_t backlog = 0;
  std::int64_t oldest_pending_age_ms = 0;
  std::int64_t published_seq = 0;
  std::int64_t acked_seq = 0;
  std::int64_t applied = 0;
  std::int64_t duplicates = 0;
  std::int64_t rejected = 0;
  std::int64_t last_lag_ms = 0;
};

/** What the REST routes work on; all outlive the RestApi. */
struct RestDependencies {
  auth::Authenticator& authenticator;
  auth::UserRepository& users;
  acd::SkillRepository& skills;
  acd::AgentRepository& agents;
  acd::QueueRepository& queues;
  EventBus& events;
  const TimeSource& time;
  interaction::ContactCenter& contact_center;
  /** @return an error when storage cannot serve; /healthz answers 503 then. */
  std::function<Result<void>()> check_health;
  /** @return the Prometheus text exposition for GET /metrics. */
  std::function<std::string()> render_metrics;
  std::string site_name;
  std::string site_role;
  /** Customers and the audit trail of their personal fields; the routes are absent when null. */
  crm::CustomerRepository* customers = nullptr;
  privacy::AuditTrail* audit = nullptr;
  /** Tokens for lookups by phone or ID number; null on a site without a token key. */
  privacy::TokenizerPtr tokenizer;
  /** False on a site that holds no data key (an edge site): it cannot show personal values. */
  bool personal_data_available = true;
  /** @return the site link's state (`enabled` false on a site without a link). */
  std::function<Result<SyncStatusView>()> sync_status;
  /** Calls and registered phones; the call routes answer 503 without it. */
  CallService* calls = nullptr;
  /** Entry points (dialed numbers); their routes are absent when null. */
  call::EntryPointRepository* entry_points = nullptr;
  crm::IdentityService* identity = nullptr;  // verify-identity and reveal; routes absent when null
  /** The IVR's flow documents; their routes are absent when null. */
  FlowService* flows = nullptr;
  /** Screen pops and stored wrap-ups; their routes answer 503 without it. */
  CallDesk* call_desk = nullptr;
};

/**
 * The JSON API under /api/v1 and /healthz: parses and checks requests, calls the repositories,
 * publishes a DomainEvent for every change and maps errors to statuses. No business rules here:
 * those are the domains' validate() functions. handle() blocks: call it on the blocking pool.
 */
class RestApi {
 public:
  explicit RestApi(RestDependencies deps);

  /** @return the answer to `request`; `route` is set to the matched pattern for metrics. */
  HttpResponse handle(const HttpRequest& request, std::string& route) const {
    return router_.dispatch(request, route);
  }
  const Router& router() const { return router_; }

 private:
  void addAuthRoutes();
  void addUserRoutes();
  void addDirectoryRoutes();  // skills, agents, queues: directory_routes.cc
  void addStaffingRoutes();   // Erlang C: staffing_routes.cc
  void addSessionRoutes();    // agents' login and states, queues' live state: session_routes.cc
  void addCustomerRoutes();   // customers and the audit trail: customer_routes.cc
  void addSyncRoutes();       // the site link's state: customer_routes.cc
  void addCallRoutes();       // registrations, entry points, calls: call_routes.cc
  void addFlowRoutes();       // the IVR's flow documents: flow_routes.cc

  RestDependencies deps_;
  Router router_;
};

}  // namespace kefu::api
