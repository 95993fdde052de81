#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "acd/routing_engine.h"
#include "call/router.h"
#include "core/event_loop.h"

namespace kefu::interaction {

/**
 * The ACD as call control's decision maker: call::Router over the routing engine. Control loop
 * only. The routing events of the calls it routes become call::RoutedCalls decisions, posted to
 * the loop (the engine reports events from inside its own calls, which must not be re-entered).
 */
class CallRouting final : public call::Router {
 public:
  /** `reschedule` re-arms the loop's timer after the engine changed (ContactCenter::schedule). */
  CallRouting(EventLoop& loop, acd::RoutingEngine& engine, std::function<void()> reschedule);

  /** Sets where decisions go (nullptr: nowhere). Loop only. */
  void setCalls(call::RoutedCalls* calls) { calls_ = calls; }
  /** Takes every routing event (customer's and consultations'); loop only, inside engine calls. */
  void onRoutingEvent(const acd::RoutingEvent& event, bool consult);

  Result<void> enqueue(const call::QueuedCall& call) override;
  void agentAnswered(std::string_view call_id, std::string_view agent_id) override;
  void agentDeclined(std::string_view call_id, std::string_view agent_id,
                     std::string_view reason) override;
  void callerLeft(std::string_view call_id) override;
  void talkEnded(std::string_view call_id) override;
  void holdChanged(std::string_view call_id, bool held) override;
  Result<void> transferToQueue(std::string_view call_id, std::string_view queue_id) override;
  void transferredAway(std::string_view call_id, std::string_view target) override;
  Result<void> consultQueue(std::string_view call_id, std::string_view queue_id) override;
  void consultCompleted(std::string_view call_id) override;
  void consultCancelled(std::string_view call_id) override;
  Result<void> requestCallback(std::string_view call_id) override;
  void callbackConnected(std::string_view call_id) override;
  void callbackFailed(std::string_view call_id) override;

 private:
  /** Logs a refusal the engine should never give for a call call control tracks. */
  void check(const Result<void>& result, std::string_view what, std::string_view call_id);

  // not owned, outlive this
  EventLoop& loop_;
  acd::RoutingEngine& engine_;
  call::RoutedCalls* calls_ = nullptr;
  // owned
  std::function<void()> reschedule_;
  std::unordered_set<std::string> routed_;  // calls the engine knows, by interaction id
};

}  // namespace kefu::interaction
