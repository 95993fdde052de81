// RoutingEngine: the operations on interactions (offer, answer, end, transfer, consult, callback).

#include <algorithm>
#include <utility>

#include "acd/routing_engine.h"

namespace kefu::acd {

// ---- Interactions -------------------------------------------------------------------------

Result<void> RoutingEngine::offer(InteractionRequest request) {
  const std::int64_t at = catchUp();
  if (request.id.empty()) {
    return Error::invalid("id", "must not be empty");
  }
  if (ids_.contains(request.id)) {
    return Error{ErrorCode::AlreadyExists, "interaction " + request.id + " is routed already",
                 "id"};
  }
  const Slot qs = findQueue(request.queue_id);
  if (qs == NoSlot) {
    return Error::notFound("queue " + request.queue_id);
  }
  const QueueRt& q = queues_[qs];
  const OverflowRule* size_rule = nullptr;
  for (const auto& rule : q.cfg.overflow) {
    if (rule.above_size > 0 && q.size >= rule.above_size) {
      size_rule = &rule;
      break;
    }
  }
  if (size_rule == nullptr && q.cfg.max_size > 0 && q.size >= q.cfg.max_size) {
    return conflict("queue " + request.queue_id + " is full");
  }
  const Slot ix = newInteraction();
  InteractionRt& i = interactions_[ix];
  i.id = std::move(request.id);
  i.channel = request.channel;
  i.priority = request.priority;
  i.customer = std::move(request.customer_id);
  i.queue = qs;
  ids_.emplace(i.id, ix);
  emitFor(RoutingEventType::Offered, at, ix, NoSlot);
  if (size_rule != nullptr) {
    overflow(ix, size_rule->target, at, "queue_size");
    return {};
  }
  enqueue(ix, qs, at, true);
  return {};
}

Result<void> RoutingEngine::answer(std::string_view interaction_id, std::string_view agent_id) {
  const std::int64_t at = catchUp();
  Slot ix = findInteraction(interaction_id);
  const Slot a = findAgent(agent_id);
  if (ix == NoSlot || a == NoSlot) {
    return Error::notFound("no interaction " + std::string{interaction_id} + " for agent " +
                           std::string{agent_id});
  }
  const Slot consult = interactions_[ix].consult;
  if (consult != NoSlot && workOf(a, consult) != nullptr) {
    ix = consult;
  }
  InteractionRt& i = interactions_[ix];
  Work* w = workOf(a, ix);
  if (i.phase != Phase::Ringing || w == nullptr || w->phase != WorkPhase::Ringing) {
    return conflict("agent " + std::string{agent_id} + " is not alerted for " +
                    std::string{interaction_id});
  }
  if (i.callback) {
    return conflict("a callback is connected with callbackConnected");
  }
  startTalking(ix, a, at, RoutingEventType::Answered);
  return {};
}

Result<void> RoutingEngine::decline(std::string_view interaction_id, std::string_view agent_id,
                                    std::string_view reason) {
  const std::int64_t at = catchUp();
  Slot ix = findInteraction(interaction_id);
  const Slot a = findAgent(agent_id);
  if (ix == NoSlot || a == NoSlot) {
    return Error::notFound("no interaction " + std::string{interaction_id} + " for agent " +
                           std::string{agent_id});
  }
  const Slot consult = interactions_[ix].consult;
  if (consult != NoSlot && workOf(a, consult) != nullptr) {
    ix = consult;
  }
  InteractionRt& i = interactions_[ix];
  const Work* w = workOf(a, ix);
  if (i.phase != Phase::Ringing || w == nullptr || w->phase != WorkPhase::Ringing) {
    return conflict("agent " + std::string{agent_id} + " is not alerted for " +
                    std::string{interaction_id});
  }
  if (i.callback) {
    failCallback(ix, at);
    return {};
  }
  std::erase(i.ringing, a);
  removeWork(a, ix);
  emitFor(RoutingEventType::NoAnswer, at, ix, a, {}, reason);
  agents_[a].ready = false;
  agents_[a].reason = std::string{reason};
  agentChanged(a, at);
  if (i.ringing.empty()) {
    requeueFront(ix, at);
  }
  return {};
}

void RoutingEngine::startTalking(Slot ix, Slot a, std::int64_t at, RoutingEventType type) {
  InteractionRt& i = interactions_[ix];
  emitFor(type, at, ix, a);
  Work* w = workOf(a, ix);
  w->phase = WorkPhase::Talking;
  w->talk_started_ms = at;
  // Ring-all: the answer closes the other alerts; those agents are simply ready again.
  releaseRinging(ix, a, at, std::nullopt, {}, false);
  i.phase = Phase::Talking;
  i.agent = a;
  if (i.consult_of == NoSlot && !i.customer.empty()) {
    last_agent_[i.customer] = a;
  }
  agentChanged(a, at);
}

Result<void> RoutingEngine::callbackConnected(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  InteractionRt& i = interactions_[ix];
  if (!i.callback || i.phase != Phase::Ringing) {
    return conflict("no agent is reserved for a callback to " + std::string{interaction_id});
  }
  i.callback = false;  // the customer is on the line again: a transfer later is a normal one
  startTalking(ix, i.ringing.front(), at, RoutingEventType::CallbackConnected);
  return {};
}

Result<void> RoutingEngine::callbackFailed(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  if (!interactions_[ix].callback || interactions_[ix].phase != Phase::Ringing) {
    return conflict("no agent is reserved for a callback to " + std::string{interaction_id});
  }
  failCallback(ix, at);
  return {};
}

Result<void> RoutingEngine::requestCallback(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  InteractionRt& i = interactions_[ix];
  if ((i.phase != Phase::Waiting && i.phase != Phase::Sticky) || i.callback) {
    return conflict("only a waiting interaction can ask for a callback");
  }
  if (!queues_[i.queue].cfg.callback_enabled) {
    return conflict("queue " + queues_[i.queue].cfg.queue.id + " offers no callback");
  }
  i.callback = true;
  emitFor(RoutingEventType::CallbackRequested, at, ix, NoSlot);
  return {};
}

Result<void> RoutingEngine::abandon(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  InteractionRt& i = interactions_[ix];
  if (i.phase == Phase::Talking) {
    return conflict("interaction " + i.id + " is answered: end it instead");
  }
  const std::string_view reason = i.callback ? "callback_cancelled" : "";
  if (leaveWaiting(ix)) {
    emitFor(RoutingEventType::Abandoned, at, ix, NoSlot, {}, reason);
  } else {
    const Slot a = i.ringing.size() == 1 ? i.ringing.front() : NoSlot;
    emitFor(RoutingEventType::Abandoned, at, ix, a, {}, reason);
    releaseRinging(ix, NoSlot, at, std::nullopt, {}, false);
  }
  freeInteraction(ix);
  return {};
}

Result<void> RoutingEngine::end(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  if (interactions_[ix].phase != Phase::Talking) {
    return conflict("interaction " + std::string{interaction_id} + " is not answered");
  }
  if (interactions_[ix].consult != NoSlot) {
    dropConsult(ix, at);
  }
  const Slot a = interactions_[ix].agent;
  interactions_[ix].phase = Phase::Waiting;  // no longer routable: it leaves below
  interactions_[ix].agent = NoSlot;
  freeInteraction(ix);
  startWrapUp(a, ix, at);
  return {};
}

Result<void> RoutingEngine::hold(std::string_view interaction_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot || interactions_[ix].phase != Phase::Talking || interactions_[ix].held) {
    return conflict("interaction " + std::string{interaction_id} + " is not talking");
  }
  interactions_[ix].held = true;
  emitFor(RoutingEventType::HoldStarted, at, ix, interactions_[ix].agent);
  return {};
}

Result<void> RoutingEngine::unhold(std::string_view interaction_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot || interactions_[ix].phase != Phase::Talking || !interactions_[ix].held) {
    return conflict("interaction " + std::string{interaction_id} + " is not on hold");
  }
  interactions_[ix].held = false;
  emitFor(RoutingEventType::HoldEnded, at, ix, interactions_[ix].agent);
  return {};
}

Result<void> RoutingEngine::transfer(std::string_view interaction_id,
                                     std::string_view target_queue_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  const Slot tq = findQueue(target_queue_id);
  if (ix == NoSlot || tq == NoSlot) {
    return Error::notFound("interaction or queue not found");
  }
  InteractionRt& i = interactions_[ix];
  if (i.phase != Phase::Talking || i.consult != NoSlot) {
    return conflict("only a talking interaction without a consultation can be transferred");
  }
  const Slot a = i.agent;
  if (i.held) {
    emitFor(RoutingEventType::HoldEnded, at, ix, a);
    i.held = false;
  }
  emitFor(RoutingEventType::Transferred, at, ix, a, target_queue_id);
  i.phase = Phase::Waiting;  // in transit: not in any waiting set until moveToQueue
  i.agent = NoSlot;
  startWrapUp(a, ix, at, false);
  moveToQueue(ix, tq, at, "transfer");
  return {};
}

Result<void> RoutingEngine::startConsult(std::string_view interaction_id,
                                         std::string_view target_queue_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  const Slot tq = findQueue(target_queue_id);
  if (ix == NoSlot || tq == NoSlot) {
    return Error::notFound("interaction or queue not found");
  }
  if (interactions_[ix].phase != Phase::Talking || interactions_[ix].consult != NoSlot) {
    return conflict("only a talking interaction without a consultation can consult");
  }
  const Slot c = newInteraction();  // may reallocate: take references after
  InteractionRt& consult = interactions_[c];
  const InteractionRt& primary = interactions_[ix];
  consult.id = primary.id;
  consult.channel = primary.channel;
  consult.priority = primary.priority;
  consult.customer = primary.customer;
  consult.consult_of = ix;
  consult.queue = tq;
  interactions_[ix].consult = c;
  moveToQueue(c, tq, at, "consult");
  return {};
}

void RoutingEngine::dropConsult(Slot primary, std::int64_t at) {
  const Slot c = interactions_[primary].consult;
  interactions_[primary].consult = NoSlot;
  InteractionRt& consult = interactions_[c];
  if (consult.phase == Phase::Ringing) {
    releaseRinging(c, NoSlot, at, RoutingEventType::NoAnswer, "consult_cancelled", false);
  } else if (consult.phase == Phase::Talking) {
    const Slot b = consult.agent;
    consult.phase = Phase::Waiting;
    consult.agent = NoSlot;
    startWrapUp(b, c, at);
  } else {
    leaveWaiting(c);
  }
  freeInteraction(c);
}

Result<void> RoutingEngine::completeConsult(std::string_view interaction_id) {
  auto call = dueInteraction(interaction_id);
  if (!call) {
    return call.error();
  }
  const auto [at, ix] = *call;
  const Slot c = interactions_[ix].consult;
  if (c == NoSlot || interactions_[c].phase != Phase::Talking) {
    return conflict("no consulted agent has answered " + std::string{interaction_id});
  }
  const Slot a = interactions_[ix].agent;
  const Slot b = interactions_[c].agent;
  InteractionRt& i = interactions_[ix];
  if (i.held) {
    emitFor(RoutingEventType::HoldEnded, at, ix, a);
    i.held = false;
  }
  emitFor(RoutingEventType::Transferred, at, ix, a, agents_[b].id);
  // The consulted agent's work now belongs to the customer's interaction, which stays in its
  // queue: the customer's stream shows the hand-over as an alert answered at once.
  Work* w = workOf(b, c);
  w->ix = ix;
  w->consult = false;
  w->queue = i.queue;
  w->talk_started_ms = at;
  i.consult = NoSlot;
  i.agent = b;
  freeInteraction(c);
  emitFor(RoutingEventType::Reserved, at, ix, b);
  emitFor(RoutingEventType::Answered, at, ix, b);
  if (!i.customer.empty()) {
    last_agent_[i.customer] = b;
  }
  startWrapUp(a, ix, at, false);
  return {};
}

Result<void> RoutingEngine::cancelConsult(std::string_view interaction_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot || interactions_[ix].consult == NoSlot) {
    return conflict("no consultation for " + std::string{interaction_id});
  }
  dropConsult(ix, at);
  return {};
}

}  // namespace kefu::acd
