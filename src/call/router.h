#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace kefu::call {

/** A call that waits in a queue for an agent, as the router sees it. */
struct QueuedCall {
  std::string call_id;
  std::string queue_id;
  int priority = 0;
  std::string customer_id;  // for the sticky agent; empty when unknown
};

/**
 * The decision maker for queue targets (the ACD; `interaction/` adapts the routing engine to it).
 * Call control reports what happens to each routed call; the router's decisions come back through
 * RoutedCalls. Control loop only. A router never calls RoutedCalls from inside these methods: it
 * posts its decisions to the loop, so neither side is re-entered.
 */
class Router {
 public:
  virtual ~Router() = default;
  /** The call waits in `queue_id` (first offer). @return Conflict when the queue refuses it (full),
   *  NotFound for an unknown queue. */
  virtual Result<void> enqueue(const QueuedCall& call) = 0;
  /** The reserved agent's phone answered. */
  virtual void agentAnswered(std::string_view call_id, std::string_view agent_id) = 0;
  /** The reserved agent cannot take it (`reason`: rejected, busy, unreachable, failed); the call
   *  goes back to the front of its queue. */
  virtual void agentDeclined(std::string_view call_id, std::string_view agent_id,
                             std::string_view reason) = 0;
  /** The caller left before an agent answered (abandon). */
  virtual void callerLeft(std::string_view call_id) = 0;
  /** The conversation with the agent ended (either side hung up); the agent's wrap-up starts. */
  virtual void talkEnded(std::string_view call_id) = 0;
  /** Hold started (true) or ended (false). */
  virtual void holdChanged(std::string_view call_id, bool held) = 0;
  /** Blind transfer to another queue: the agent's talk ends, the call waits in `queue_id`. */
  virtual Result<void> transferToQueue(std::string_view call_id, std::string_view queue_id) = 0;
  /** The agent handed the call to a party outside routing (an extension, a number): the agent's
   *  talk ends and the router forgets the call. */
  virtual void transferredAway(std::string_view call_id, std::string_view target) = 0;
  /** Attended transfer through a queue: a consultation agent is routed for the call. */
  virtual Result<void> consultQueue(std::string_view call_id, std::string_view queue_id) = 0;
  /** The consulted agent takes the call; the first agent's wrap-up starts. */
  virtual void consultCompleted(std::string_view call_id) = 0;
  /** The consultation was dropped; the first agent keeps the call. */
  virtual void consultCancelled(std::string_view call_id) = 0;
  /** The waiting caller asked to be called back keeping their place (the caller's leg is then
   *  released). @return Conflict when the call is not waiting or its queue offers no callback. */
  virtual Result<void> requestCallback(std::string_view call_id) = 0;
  /** The callback reached the customer: the reserved agent (who answered first) now talks. */
  virtual void callbackConnected(std::string_view call_id) = 0;
  /** The callback did not reach the customer (or the agent left): the call ends as abandoned
   *  with reason callback_failed and the reserved agent is released. */
  virtual void callbackFailed(std::string_view call_id) = 0;
};

/**
 * What the router asks of call control, on the control loop (posted, see Router).
 */
class RoutedCalls {
 public:
  virtual ~RoutedCalls() = default;
  /** An agent is reserved for the call (or its consultation): ring the agent's phones. */
  virtual void ringAgent(std::string_view call_id, std::string_view agent_id, bool consult) = 0;
  /** Stop ringing that agent (`reason`: timeout, cancelled): the router has moved on. */
  virtual void stopRingingAgent(std::string_view call_id, std::string_view agent_id,
                                std::string_view reason) = 0;
  /** The router gave the call up (`reason`: overflow to an outside pool, callback_failed when a
   *  callback's reserved agent did not answer in time…): release
   *  the caller after telling them, or send them to `target` when it names a number. */
  virtual void routingEnded(std::string_view call_id, std::string_view reason,
                            std::string_view target) = 0;
};

}  // namespace kefu::call
