#include "interaction/call_routing.h"

#include <spdlog/spdlog.h>

namespace kefu::interaction {

using acd::RoutingEventType;

CallRouting::CallRouting(EventLoop& loop, acd::RoutingEngine& engine,
                         std::function<void()> reschedule)
    : loop_(loop), engine_(engine), reschedule_(std::move(reschedule)) {}

void CallRouting::onRoutingEvent(const acd::RoutingEvent& event, bool consult) {
  if (calls_ == nullptr || event.channel != acd::Channel::Voice ||
      !routed_.contains(event.interaction_id)) {
    return;
  }
  // Posted: the engine is inside the call that emitted this event.
  auto post = [this](auto decision) {
    loop_.post([this, decision = std::move(decision)]() mutable {
      if (calls_ != nullptr) {
        decision(*calls_);
      }
    });
  };
  switch (event.type) {
    case RoutingEventType::Reserved:
      post([id = event.interaction_id, agent = event.agent_id, consult](call::RoutedCalls& c) {
        c.ringAgent(id, agent, consult);
      });
      break;
    case RoutingEventType::NoAnswer:
      post([id = event.interaction_id, agent = event.agent_id, reason = event.reason](
               call::RoutedCalls& c) { c.stopRingingAgent(id, agent, reason); });
      break;
    case RoutingEventType::Overflowed:
      // It left the engine for an outside pool: call control decides what the caller gets.
      routed_.erase(event.interaction_id);
      post([id = event.interaction_id, target = event.target](call::RoutedCalls& c) {
        c.routingEnded(id, "overflow", target);
      });
      break;
    case RoutingEventType::Abandoned:
      if (event.reason == "callback_failed") {
        // The engine gave a callback up itself (its agent declined or did not answer in time):
        // call control releases what is left (when it asked for this itself, the call is gone).
        routed_.erase(event.interaction_id);
        post([id = event.interaction_id](call::RoutedCalls& c) {
          c.routingEnded(id, "callback_failed", {});
        });
      }
      break;
    default:
      break;
  }
}

Result<void> CallRouting::enqueue(const call::QueuedCall& call) {
  routed_.insert(call.call_id);
  auto offered = engine_.offer(
      {call.call_id, call.queue_id, acd::Channel::Voice, call.priority, call.customer_id});
  if (!offered) {
    routed_.erase(call.call_id);
  }
  reschedule_();
  return offered;
}

void CallRouting::agentAnswered(std::string_view call_id, std::string_view agent_id) {
  check(engine_.answer(call_id, agent_id), "answer", call_id);
  reschedule_();
}

void CallRouting::agentDeclined(std::string_view call_id, std::string_view agent_id,
                                std::string_view reason) {
  // Conflict is normal here: the ring timeout may have released the agent first.
  (void)engine_.decline(call_id, agent_id, reason);
  reschedule_();
}

void CallRouting::callerLeft(std::string_view call_id) {
  if (routed_.erase(std::string{call_id}) > 0) {
    check(engine_.abandon(call_id), "abandon", call_id);
    reschedule_();
  }
}

void CallRouting::talkEnded(std::string_view call_id) {
  if (routed_.erase(std::string{call_id}) > 0) {
    check(engine_.end(call_id), "end", call_id);
    reschedule_();
  }
}

void CallRouting::holdChanged(std::string_view call_id, bool held) {
  check(held ? engine_.hold(call_id) : engine_.unhold(call_id), held ? "hold" : "unhold", call_id);
  reschedule_();
}

Result<void> CallRouting::transferToQueue(std::string_view call_id, std::string_view queue_id) {
  auto transferred = engine_.transfer(call_id, queue_id);
  reschedule_();
  return transferred;
}

void CallRouting::transferredAway(std::string_view call_id, std::string_view target) {
  (void)target;
  // The engine counts the agent's talk as ended; the call leaves routing.
  talkEnded(call_id);
}

Result<void> CallRouting::consultQueue(std::string_view call_id, std::string_view queue_id) {
  auto started = engine_.startConsult(call_id, queue_id);
  reschedule_();
  return started;
}

void CallRouting::consultCompleted(std::string_view call_id) {
  check(engine_.completeConsult(call_id), "complete consult", call_id);
  reschedule_();
}

void CallRouting::consultCancelled(std::string_view call_id) {
  check(engine_.cancelConsult(call_id), "cancel consult", call_id);
  reschedule_();
}

Result<void> CallRouting::requestCallback(std::string_view call_id) {
  auto requested = engine_.requestCallback(call_id);
  reschedule_();
  return requested;
}

void CallRouting::callbackConnected(std::string_view call_id) {
  check(engine_.callbackConnected(call_id), "callback connected", call_id);
  reschedule_();
}

void CallRouting::callbackFailed(std::string_view call_id) {
  if (routed_.erase(std::string{call_id}) > 0) {
    check(engine_.callbackFailed(call_id), "callback failed", call_id);
    reschedule_();
  }
}

void CallRouting::check(const Result<void>& result, std::string_view what,
                        std::string_view call_id) {
  if (!result) {
    spdlog::warn("routing refused {} for call {}: {}", what, call_id, result.error().message);
  }
}

}  // namespace kefu::interaction
