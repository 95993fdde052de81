#include "acd/routing_event.h"

namespace kefu::acd {

std::string_view toString(Channel channel) { return channel == Channel::Voice ? "voice" : "chat"; }

std::string_view toString(AgentState state) {
  switch (state) {
    case AgentState::LoggedOut:
      return "logged_out";
    case AgentState::Ready:
      return "ready";
    case AgentState::NotReady:
      return "not_ready";
    case AgentState::Reserved:
      return "reserved";
    case AgentState::Busy:
      return "busy";
    case AgentState::WrapUp:
      return "wrap_up";
  }
  return "logged_out";
}

std::string_view toString(RoutingEventType type) {
  switch (type) {
    case RoutingEventType::Offered:
      return "offered";
    case RoutingEventType::Requeued:
      return "requeued";
    case RoutingEventType::Reserved:
      return "reserved";
    case RoutingEventType::NoAnswer:
      return "no_answer";
    case RoutingEventType::Answered:
      return "answered";
    case RoutingEventType::HoldStarted:
      return "hold_started";
    case RoutingEventType::HoldEnded:
      return "hold_ended";
    case RoutingEventType::Transferred:
      return "transferred";
    case RoutingEventType::Ended:
      return "ended";
    case RoutingEventType::WrapUpEnded:
      return "wrap_up_ended";
    case RoutingEventType::Abandoned:
      return "abandoned";
    case RoutingEventType::Overflowed:
      return "overflowed";
    case RoutingEventType::CallbackRequested:
      return "callback_requested";
    case RoutingEventType::CallbackConnected:
      return "callback_connected";
    case RoutingEventType::AgentStateChanged:
      return "agent_state_changed";
  }
  return "offered";
}

}  // namespace kefu::acd
