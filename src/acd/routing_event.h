#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kefu::acd {

/** The kind of contact: the engine only needs it to count an agent's capacity. */
enum class Channel { Voice, Chat };

/** Where an agent stands (the ACD's state machine; see docs/architecture.md). */
enum class AgentState { LoggedOut, Ready, NotReady, Reserved, Busy, WrapUp };

std::string_view toString(Channel channel);
std::string_view toString(AgentState state);

/**
 * What the routing engine reports, in order: the one log from which live figures, history and
 * the event stream are all derived (a test recomputes the live KPIs from it).
 */
enum class RoutingEventType {
  Offered,   // the interaction entered its first queue: counted once, here
  Requeued,  // it entered another queue of this site (overflow or transfer target)
  Reserved,  // an agent was reserved for it and is being alerted (ringing)
  NoAnswer,  // the reserved agent did not answer in time; the interaction is back in front
  Answered,  // the agent took it; talk time starts
  HoldStarted,
  HoldEnded,
  Transferred,  // the agent handed it on (`target`: a queue id or an agent id); talk ends here
  Ended,        // the conversation ended; the agent's wrap-up starts
  WrapUpEnded,  // the agent finished wrap-up for it
  Abandoned,    // the customer left while waiting
  Overflowed,   // it left for `target` (another queue, or an external pool such as "cloud")
  CallbackRequested,  // the customer hung up keeping their place; the engine calls back later
  CallbackConnected,  // the callback reached the customer and the reserved agent
  AgentStateChanged,  // `state` and `reason` (not-ready reason code) hold the new state
};

std::string_view toString(RoutingEventType type);

struct RoutingEvent {
  RoutingEventType type = RoutingEventType::Offered;
  std::int64_t at_ms = 0;      // on the engine's TimeSource (monotonic milliseconds)
  std::string interaction_id;  // empty for AgentStateChanged
  std::string queue_id;        // the queue the interaction is in (or was offered to)
  std::string agent_id;        // set for Reserved…WrapUpEnded and AgentStateChanged
  std::string target;          // Transferred / Overflowed destination
  Channel channel = Channel::Voice;
  AgentState state = AgentState::LoggedOut;  // AgentStateChanged only
  std::string reason;                        // not-ready reason code; abandon / overflow cause
};

}  // namespace kefu::acd
