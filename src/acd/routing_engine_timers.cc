// RoutingEngine: the clock, the timers and the events they cause.

#include <algorithm>
#include <utility>

#include "acd/routing_engine.h"

namespace kefu::acd {

// ---- Time and events ----------------------------------------------------------------------

std::int64_t RoutingEngine::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             time_.monotonicTime().time_since_epoch())
      .count();
}

void RoutingEngine::schedule(std::int64_t at, TimerKind kind, Slot slot, std::uint64_t gen) {
  timers_.schedule(Timer{at, kind, slot, gen});
}

void RoutingEngine::advance() { runDue(nowMs()); }

std::int64_t RoutingEngine::catchUp() {
  const std::int64_t at = nowMs();
  runDue(at);
  return at;
}

Result<RoutingEngine::Call> RoutingEngine::dueInteraction(std::string_view interaction_id) {
  const std::int64_t at = catchUp();
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
  return Call{at, ix};
}

void RoutingEngine::runDue(std::int64_t now) {
  while (auto timer = timers_.popDue(now)) {
    onTimer(*timer);
  }
}

std::optional<MonotonicTime> RoutingEngine::nextDeadline() const {
  const auto next = timers_.nextAt();
  if (!next) {
    return std::nullopt;
  }
  return MonotonicTime{
      std::chrono::duration_cast<MonotonicTime::duration>(std::chrono::milliseconds{*next})};
}

void RoutingEngine::emit(RoutingEventType type, std::int64_t at, const std::string& interaction_id,
                         Slot queue, Slot agent, Channel channel, std::string_view target,
                         std::string_view reason) {
  if (listener_ == nullptr && !options_.keep_event_log) {
    return;
  }
  scratch_.type = type;
  scratch_.at_ms = at;
  scratch_.interaction_id = interaction_id;
  scratch_.queue_id = queue == NoSlot ? std::string{} : queues_[queue].cfg.queue.id;
  scratch_.agent_id = agent == NoSlot ? std::string{} : agents_[agent].id;
  scratch_.target = target;
  scratch_.channel = channel;
  scratch_.state = AgentState::LoggedOut;
  scratch_.reason = reason;
  if (options_.keep_event_log) {
    log_.push_back(scratch_);
  }
  if (listener_ != nullptr) {
    listener_->onRoutingEvent(scratch_);
  }
}

void RoutingEngine::emitFor(RoutingEventType type, std::int64_t at, Slot ix, Slot agent,
                            std::string_view target, std::string_view reason) {
  const InteractionRt& i = interactions_[ix];
  if (i.consult_of != NoSlot) {
    // A consultation is between agents: the customer's stream shows its outcome only.
    if (listener_ != nullptr) {
      RoutingEvent event{type,
                         at,
                         i.id,
                         i.queue == NoSlot ? std::string{} : queues_[i.queue].cfg.queue.id,
                         agent == NoSlot ? std::string{} : agents_[agent].id,
                         std::string{target},
                         i.channel,
                         AgentState::LoggedOut,
                         std::string{reason}};
      listener_->onConsultEvent(event);
    }
    return;
  }
  emit(type, at, i.id, i.queue, agent, i.channel, target, reason);
}

AgentState RoutingEngine::computedState(const AgentRt& a) const {
  if (!a.logged_in) {
    return AgentState::LoggedOut;
  }
  bool ringing = false;
  bool wrap_up = false;
  for (const auto& w : a.work) {
    if (w.phase == WorkPhase::Talking) {
      return AgentState::Busy;
    }
    ringing = ringing || w.phase == WorkPhase::Ringing;
    wrap_up = wrap_up || w.phase == WorkPhase::WrapUp;
  }
  if (ringing) {
    return AgentState::Reserved;
  }
  if (wrap_up) {
    return AgentState::WrapUp;
  }
  return a.ready ? AgentState::Ready : AgentState::NotReady;
}

void RoutingEngine::emitAgentState(Slot a, std::int64_t at) {
  AgentRt& agent = agents_[a];
  const AgentState state = computedState(agent);
  const std::string& reason = state == AgentState::NotReady ? agent.reason : std::string{};
  if (state == agent.shown && reason == agent.shown_reason) {
    return;
  }
  if (state == AgentState::Ready && agent.shown != AgentState::Ready) {
    agent.idle_since_ms = at;
  }
  agent.shown = state;
  agent.shown_reason = reason;
  if (listener_ == nullptr && !options_.keep_event_log) {
    return;
  }
  scratch_ = RoutingEvent{};
  scratch_.type = RoutingEventType::AgentStateChanged;
  scratch_.at_ms = at;
  scratch_.agent_id = agent.id;
  scratch_.state = state;
  scratch_.reason = reason;
  if (options_.keep_event_log) {
    log_.push_back(scratch_);
  }
  if (listener_ != nullptr) {
    listener_->onRoutingEvent(scratch_);
  }
}

void RoutingEngine::onTimer(const Timer& timer) {
  const std::int64_t at = timer.at_ms;
  if (timer.kind == TimerKind::WrapUpEnd) {
    endWrapUp(timer.slot, timer.gen, at);
    return;
  }
  InteractionRt& i = interactions_[timer.slot];
  if (!i.live) {
    return;
  }
  switch (timer.kind) {
    case TimerKind::Relax:
      if (i.queue_gen == timer.gen && i.phase == Phase::Waiting) {
        removeWaiting(timer.slot);
        insertWaiting(timer.slot, at);
        routeInteraction(timer.slot, at);
      }
      break;
    case TimerKind::WaitOverflow:
      // updateQueue() may have lengthened or dropped the wait rule since this timer was armed.
      if (i.queue_gen == timer.gen && !i.callback &&
          (i.phase == Phase::Waiting || i.phase == Phase::Sticky) &&
          queues_[i.queue].first_wait_rule_ms > 0 &&
          at - i.enqueued_ms >= queues_[i.queue].first_wait_rule_ms) {
        leaveWaiting(timer.slot);
        overflow(timer.slot, queues_[i.queue].first_wait_rule_target, at, "max_wait");
      }
      break;
    case TimerKind::StickyEnd:
      if (i.queue_gen == timer.gen && i.phase == Phase::Sticky) {
        leaveWaiting(timer.slot);
        insertWaiting(timer.slot, at);
        routeInteraction(timer.slot, at);
      }
      break;
    case TimerKind::RingTimeout:
      if (i.ring_gen == timer.gen && i.phase == Phase::Ringing) {
        if (i.callback) {
          failCallback(timer.slot, at);
          break;
        }
        releaseRinging(timer.slot, NoSlot, at, RoutingEventType::NoAnswer, "timeout", true);
        requeueFront(timer.slot, at);
      }
      break;
    case TimerKind::WrapUpEnd:
      break;
  }
}

}  // namespace kefu::acd
