// RoutingEngine: interactions waiting in queues, agents alerted, talking and in wrap-up.

#include <algorithm>
#include <utility>

#include "acd/routing_engine.h"

namespace kefu::acd {

// ---- Waiting ------------------------------------------------------------------------------

int RoutingEngine::stageAt(const QueueRt& q, std::int64_t waited_ms) const {
  int stage = 0;
  for (const auto& step : q.cfg.relaxation) {
    if (waited_ms >= step.after.count()) {
      ++stage;
    }
  }
  return stage;
}

void RoutingEngine::insertWaiting(Slot ix, std::int64_t at) {
  InteractionRt& i = interactions_[ix];
  QueueRt& q = queues_[i.queue];
  i.phase = Phase::Waiting;
  i.stage = stageAt(q, at - i.enqueued_ms);
  q.waiting[i.stage * 2 + channelIndex(i.channel)].insert(i.key);
  ++q.size;
}

void RoutingEngine::removeWaiting(Slot ix) {
  InteractionRt& i = interactions_[ix];
  QueueRt& q = queues_[i.queue];
  q.waiting[i.stage * 2 + channelIndex(i.channel)].erase(i.key);
  --q.size;
}

bool RoutingEngine::leaveWaiting(Slot ix) {
  InteractionRt& i = interactions_[ix];
  if (i.phase == Phase::Waiting) {
    removeWaiting(ix);
    return true;
  }
  if (i.phase == Phase::Sticky) {
    auto& waiters = agents_[i.sticky_agent].sticky_waiters;
    waiters.erase(std::find(waiters.begin(), waiters.end(), ix));
    --queues_[i.queue].size;
    i.sticky_agent = NoSlot;
    return true;
  }
  return false;
}

void RoutingEngine::enqueue(Slot ix, Slot qs, std::int64_t at, bool allow_sticky) {
  InteractionRt& i = interactions_[ix];
  QueueRt& q = queues_[qs];
  i.queue = qs;
  i.enqueued_ms = at;
  i.queue_gen = next_gen_++;
  i.key = WaitKey{-i.priority, next_seq_++, ix};
  for (const auto& step : q.cfg.relaxation) {
    schedule(at + step.after.count(), TimerKind::Relax, ix, i.queue_gen);
  }
  if (q.first_wait_rule_ms > 0 && i.consult_of == NoSlot) {
    schedule(at + q.first_wait_rule_ms, TimerKind::WaitOverflow, ix, i.queue_gen);
  }
  if (allow_sticky && q.cfg.sticky_window.count() > 0 && !i.customer.empty()) {
    auto last = last_agent_.find(i.customer);
    if (last != last_agent_.end() && agents_[last->second].logged_in &&
        memberOf(agents_[last->second], qs)) {
      const Slot a = last->second;
      if (routable(agents_[a], i.channel)) {
        reserve(ix, {a}, at);
        return;
      }
      i.phase = Phase::Sticky;
      i.sticky_agent = a;
      agents_[a].sticky_waiters.push_back(ix);
      ++q.size;
      schedule(at + q.cfg.sticky_window.count(), TimerKind::StickyEnd, ix, i.queue_gen);
      return;
    }
  }
  insertWaiting(ix, at);
  routeInteraction(ix, at);
}

void RoutingEngine::moveToQueue(Slot ix, Slot q, std::int64_t at, std::string_view reason) {
  InteractionRt& i = interactions_[ix];
  i.queue = q;
  emitFor(RoutingEventType::Requeued, at, ix, NoSlot, {}, reason);
  enqueue(ix, q, at, false);
}

void RoutingEngine::overflow(Slot ix, const std::string& target, std::int64_t at,
                             std::string_view reason) {
  const Slot tq = findQueue(target);
  if (tq != NoSlot) {
    moveToQueue(ix, tq, at, "overflow");
    return;
  }
  emitFor(RoutingEventType::Overflowed, at, ix, NoSlot, target, reason);
  freeInteraction(ix);
}

void RoutingEngine::requeueFront(Slot ix, std::int64_t at) {
  InteractionRt& i = interactions_[ix];
  const QueueRt& q = queues_[i.queue];
  i.ringing.clear();
  i.key.seq = --front_seq_;
  if (q.first_wait_rule_ms > 0 && i.consult_of == NoSlot && !i.callback &&
      at - i.enqueued_ms >= q.first_wait_rule_ms) {
    overflow(ix, q.first_wait_rule_target, at, "max_wait");
    return;
  }
  insertWaiting(ix, at);
  routeInteraction(ix, at);
}

// ---- Work ------------------------------------------------------------------------------

void RoutingEngine::reserve(Slot ix, const std::vector<Slot>& agents, std::int64_t at) {
  InteractionRt& i = interactions_[ix];
  QueueRt& q = queues_[i.queue];
  i.phase = Phase::Ringing;
  i.ringing = agents;
  i.ring_gen = next_gen_++;
  if (q.cfg.queue.strategy == RoutingStrategy::RoundRobin) {
    q.rr_cursor = agents.front();
  }
  for (Slot a : agents) {
    agents_[a].work.push_back(
        Work{ix, i.id, i.channel, i.queue, WorkPhase::Ringing, 0, 0, 0, i.consult_of != NoSlot});
    emitFor(RoutingEventType::Reserved, at, ix, a);
    emitAgentState(a, at);
    index(a);
  }
  const auto timeout = i.callback ? q.cfg.callback_timeout : q.cfg.alert_timeout;
  schedule(at + timeout.count(), TimerKind::RingTimeout, ix, i.ring_gen);
}

RoutingEngine::Work* RoutingEngine::workOf(Slot a, Slot ix) {
  for (auto& w : agents_[a].work) {
    if (w.ix == ix && w.phase != WorkPhase::WrapUp) {
      return &w;
    }
  }
  return nullptr;
}

void RoutingEngine::removeWork(Slot a, Slot ix) {
  auto& work = agents_[a].work;
  work.erase(
      std::remove_if(work.begin(), work.end(),
                     [ix](const Work& w) { return w.ix == ix && w.phase != WorkPhase::WrapUp; }),
      work.end());
}

void RoutingEngine::releaseRinging(Slot ix, Slot except, std::int64_t at,
                                   std::optional<RoutingEventType> type, std::string_view reason,
                                   bool no_answer_penalty) {
  const std::vector<Slot> ringing = std::exchange(interactions_[ix].ringing, {});
  for (Slot a : ringing) {
    if (a == except) {
      continue;
    }
    removeWork(a, ix);
    if (type) {
      emitFor(*type, at, ix, a, {}, reason);
    }
    if (no_answer_penalty) {
      agents_[a].ready = false;
      agents_[a].reason = "no_answer";
    }
  }
  for (Slot a : ringing) {
    if (a != except) {
      agentChanged(a, at);
    }
  }
}

void RoutingEngine::startWrapUp(Slot a, Slot ix, std::int64_t at, bool report_end) {
  Work* w = workOf(a, ix);
  KEFU_ASSERT(w != nullptr);
  if (report_end && !w->consult) {
    emit(RoutingEventType::Ended, at, w->interaction_id, w->queue, a, w->channel);
  }
  w->phase = WorkPhase::WrapUp;
  w->ix = NoSlot;
  w->talk_ms = at - w->talk_started_ms;
  w->token = next_gen_++;
  const std::uint64_t token = w->token;
  const auto wrap_up = queues_[w->queue].cfg.wrap_up.count();
  if (wrap_up == 0) {
    endWrapUp(a, token, at);
    return;
  }
  schedule(at + wrap_up, TimerKind::WrapUpEnd, a, token);
  agentChanged(a, at);
}

void RoutingEngine::endWrapUp(Slot a, std::uint64_t token, std::int64_t at) {
  AgentRt& agent = agents_[a];
  auto it = std::find_if(agent.work.begin(), agent.work.end(), [token](const Work& w) {
    return w.phase == WorkPhase::WrapUp && w.token == token;
  });
  if (it == agent.work.end()) {
    KEFU_BUG("a wrap-up timer for work the agent no longer holds");
    return;
  }
  if (!it->consult) {
    emit(RoutingEventType::WrapUpEnded, at, it->interaction_id, it->queue, a, it->channel);
    QueueRt& q = queues_[it->queue];
    q.handle_ms.push_back(at - it->talk_started_ms);
    if (q.handle_ms.size() > options_.handle_time_samples) {
      q.handle_ms.pop_front();
    }
  }
  agent.work.erase(it);
  ++agent.handled;
  agent.idle_since_ms = at;
  agentChanged(a, at);
}

void RoutingEngine::failCallback(Slot ix, std::int64_t at) {
  InteractionRt& i = interactions_[ix];
  const Slot a = i.ringing.size() == 1 ? i.ringing.front() : NoSlot;
  emitFor(RoutingEventType::Abandoned, at, ix, a, {}, "callback_failed");
  releaseRinging(ix, NoSlot, at, std::nullopt, {}, false);
  freeInteraction(ix);
}

}  // namespace kefu::acd
