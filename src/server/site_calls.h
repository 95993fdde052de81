#pragma once

#include <memory>

#include "api/call_desk.h"
#include "api/call_service.h"
#include "api/flow_service.h"
#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "core/result.h"
#include "core/time_source.h"
#include "crm/customer.h"
#include "interaction/contact_center.h"
#include "server/config.h"
#include "server/site_media.h"
#include "server/site_softphones.h"
#include "stats/metrics.h"
#include "store/store.h"

namespace kefu::server {

/**
 * The site's voice side: the SIP stack (registrar, trunks, phones) and call control on the
 * control loop, with the ACD as its router. Agents' extensions and SIP passwords come from
 * storage and follow every agent change; entry points likewise. Call events go to the bus
 * (`call.<type>`) and, in order, to storage; registrations to the bus (`sip.registration`);
 * counters to /metrics. It serves the API's call routes (api::CallService) and, as api::CallDesk,
 * screen pops and stored wrap-ups; the browser softphones' alerts carry the same screen pop.
 */
class SiteCalls final : public api::CallService, public api::CallDesk {
 public:
  struct Parts {
    const TimeSource& time;
    store::Store& store;
    EventBus& events;
    stats::Metrics& metrics;
    SiteMedia& media;
    interaction::ContactCenter& contact_center;
    BlockingPool& pool;
    SiteSoftphones* softphones = nullptr;  // browser softphones; null: SIP phones only
  };

  /** Starts the SIP stack and call control (none when `sip.enabled` is false: the API then
   *  answers 503); @return an error naming the bad key. */
  static Result<std::unique_ptr<SiteCalls>> start(const Config& config, Parts parts);
  /** Stops signalling first (see stopSignalling), then frees call control. Destroy it after the
   *  control loop and the media engine have stopped. */
  ~SiteCalls() override;

  /** Detaches call control from routing and stops the SIP stack (its thread is joined); call it
   *  while the control loop still runs. Idempotent. */
  void stopSignalling();

  /** @return the IVR flows (files of ivr.flows_dir and the stored ones; a save installs the
   *  flow for new calls) for the API's /api/v1/flows, or null without SIP. */
  api::FlowService* flowService();

  // api::CallService (blocking: any thread but the control loop).
  bool available() const override;
  std::vector<api::RegistrationView> registrations() override;
  std::vector<call::CallSnapshot> calls() override;
  Result<call::CallSnapshot> call(std::string_view id) override;
  Result<void> act(std::string_view id, const api::CallAction& action) override;
  Result<std::vector<call::CallEvent>> history(std::string_view id) override;
  void entryPointsChanged() override;
  /** Stores the wrap-up (replacing the agent's earlier one of the same call), then publishes
   *  `call.wrap_up`. */
  Result<void> recordWrapUp(const api::WrapUp& wrap_up) override;

  // api::CallDesk (blocking: the blocking pool).
  Result<api::ScreenPop> screenPop(std::string_view call_id, std::string_view user_id,
                                   std::string_view role) override;
  Result<std::vector<call::WrapUpRecord>> wrapUps(std::string_view call_id) override;

  /** Sets who reveals customers' names on a site that does not hold them (an edge site: the core
   *  over the link, crm::IdentityService); null: screen pops there say the name is unavailable.
   *  Any thread. */
  void setIdentity(crm::IdentityService* identity);

  class Impl;

 private:
  explicit SiteCalls(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::server
