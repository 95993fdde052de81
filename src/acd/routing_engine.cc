#include "acd/routing_engine.h"

#include <algorithm>
#include <utility>

namespace kefu::acd {
namespace {

Error conflict(std::string message) { return {ErrorCode::Conflict, std::move(message), {}}; }

int levelOf(const std::vector<SkillLevel>& skills, const std::string& skill_id) {
  for (const auto& s : skills) {
    if (s.skill_id == skill_id) {
      return s.level;
    }
  }
  return 0;
}

}  // namespace

RoutingEngine::RoutingEngine(const TimeSource& time, Options options, Listener* listener)
    : time_(time), listener_(listener), options_(options) {}

RoutingEngine::~RoutingEngine() = default;

// ---- Time and events ----------------------------------------------------------------------

std::int64_t RoutingEngine::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             time_.monotonicTime().time_since_epoch())
      .count();
}

void RoutingEngine::schedule(std::int64_t at, TimerKind kind, Slot slot, std::uint64_t gen) {
  timers_.push(Timer{at, timer_seq_++, kind, slot, gen});
}

void RoutingEngine::advance() { runDue(nowMs()); }

void RoutingEngine::runDue(std::int64_t now) {
  while (!timers_.empty() && timers_.top().at_ms <= now) {
    Timer timer = timers_.top();
    timers_.pop();
    onTimer(timer);
  }
}

std::optional<MonotonicTime> RoutingEngine::nextDeadline() const {
  if (timers_.empty()) {
    return std::nullopt;
  }
  return MonotonicTime{std::chrono::duration_cast<MonotonicTime::duration>(
      std::chrono::milliseconds{timers_.top().at_ms})};
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
    return;  // a consultation is between agents: the customer's stream shows its outcome only
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

// ---- Lookups and slots --------------------------------------------------------------------

RoutingEngine::Slot RoutingEngine::findInteraction(std::string_view id) const {
  auto it = ids_.find(std::string{id});
  return it == ids_.end() ? NoSlot : it->second;
}

RoutingEngine::Slot RoutingEngine::findAgent(std::string_view id) const {
  auto it = agent_ids_.find(std::string{id});
  return it == agent_ids_.end() ? NoSlot : it->second;
}

RoutingEngine::Slot RoutingEngine::findQueue(std::string_view id) const {
  auto it = queue_ids_.find(std::string{id});
  return it == queue_ids_.end() ? NoSlot : it->second;
}

RoutingEngine::Slot RoutingEngine::newInteraction() {
  Slot ix;
  if (!free_slots_.empty()) {
    ix = free_slots_.back();
    free_slots_.pop_back();
  } else {
    ix = static_cast<Slot>(interactions_.size());
    interactions_.emplace_back();
  }
  interactions_[ix] = InteractionRt{};
  interactions_[ix].live = true;
  return ix;
}

void RoutingEngine::freeInteraction(Slot ix) {
  InteractionRt& i = interactions_[ix];
  if (i.consult_of == NoSlot) {
    ids_.erase(i.id);
  }
  i.live = false;
  i.queue_gen = 0;
  i.ring_gen = 0;
  free_slots_.push_back(ix);
}

// ---- Agent index --------------------------------------------------------------------------

bool RoutingEngine::routable(const AgentRt& a, Channel ch) const {
  if (!a.logged_in || !a.ready) {
    return false;
  }
  int chats = 0;
  for (const auto& w : a.work) {
    if (w.channel == Channel::Voice) {
      return false;  // a voice interaction (ringing, talking or in wrap-up) takes the agent whole
    }
    ++chats;
  }
  if (ch == Channel::Voice) {
    return a.voice && chats == 0;
  }
  return chats < a.chat_capacity;
}

bool RoutingEngine::memberOf(const AgentRt& a, Slot q) const {
  return std::any_of(a.memberships.begin(), a.memberships.end(),
                     [q](const Membership& m) { return m.queue == q; });
}

void RoutingEngine::computeMemberships(Slot a) {
  agents_[a].memberships.clear();
  for (Slot q = 0; q < queues_.size(); ++q) {
    addMembership(a, q);
  }
}

void RoutingEngine::addMembership(Slot a, Slot q) {
  AgentRt& agent = agents_[a];
  const QueueRouting& cfg = queues_[q].cfg;
  int relaxed_min = MaxSkillLevel + 1;
  for (int stage = 0; stage < queues_[q].stages; ++stage) {
    if (stage > 0) {
      relaxed_min = std::min(relaxed_min, cfg.relaxation[stage - 1].min_level);
    }
    bool meets = true;
    int score = 0;
    for (const auto& req : cfg.queue.required_skills) {
      const int level = levelOf(agent.skills, req.skill_id);
      score += level;
      if (level < std::min(req.min_level, relaxed_min)) {
        meets = false;
      }
    }
    if (meets) {
      agent.memberships.push_back({q, stage, score});
      return;
    }
  }
}

RoutingEngine::AgentKey RoutingEngine::agentKey(const QueueRt& q, Slot a, const Membership& m,
                                                Channel ch) const {
  const AgentRt& agent = agents_[a];
  switch (q.cfg.queue.strategy) {
    case RoutingStrategy::LongestIdle:
      return ch == Channel::Voice ? AgentKey{agent.snap_idle, 0, 0, a}
                                  : AgentKey{agent.snap_load, agent.snap_idle, 0, a};
    case RoutingStrategy::LeastOccupied:
      return {agent.snap_load, agent.snap_handled, agent.snap_idle, a};
    case RoutingStrategy::SkillsBestMatch:
      return {-m.score, agent.snap_load, agent.snap_idle, a};
    case RoutingStrategy::RoundRobin:
    case RoutingStrategy::RingAll:
      break;
  }
  return {a, 0, 0, a};
}

void RoutingEngine::unindex(Slot a) {
  AgentRt& agent = agents_[a];
  for (Channel ch : {Channel::Voice, Channel::Chat}) {
    const int c = channelIndex(ch);
    if (!agent.indexed[c]) {
      continue;
    }
    for (const auto& m : agent.memberships) {
      QueueRt& q = queues_[m.queue];
      q.agents[m.first_stage * 2 + c].erase(agentKey(q, a, m, ch));
    }
    agent.indexed[c] = false;
  }
}

void RoutingEngine::index(Slot a) {
  unindex(a);
  AgentRt& agent = agents_[a];
  agent.snap_idle = agent.idle_since_ms;
  agent.snap_load = static_cast<std::int64_t>(agent.work.size());
  agent.snap_handled = agent.handled;
  for (Channel ch : {Channel::Voice, Channel::Chat}) {
    if (!routable(agent, ch)) {
      continue;
    }
    const int c = channelIndex(ch);
    for (const auto& m : agent.memberships) {
      QueueRt& q = queues_[m.queue];
      q.agents[m.first_stage * 2 + c].insert(agentKey(q, a, m, ch));
    }
    agent.indexed[c] = true;
  }
}

void RoutingEngine::agentChanged(Slot a, std::int64_t at) {
  emitAgentState(a, at);
  unindex(a);
  routeAgent(a, at);
  index(a);
}

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

// ---- Decisions ----------------------------------------------------------------------------

std::vector<RoutingEngine::Slot> RoutingEngine::pickAgents(Slot ix) {
  const InteractionRt& i = interactions_[ix];
  QueueRt& q = queues_[i.queue];
  const int c = channelIndex(i.channel);
  std::vector<Slot> picked;
  if (q.cfg.queue.strategy == RoutingStrategy::RingAll && !i.callback) {
    for (int s = 0; s <= i.stage; ++s) {
      for (const auto& key : q.agents[s * 2 + c]) {
        picked.push_back(key.agent);
      }
    }
    std::sort(picked.begin(), picked.end());
    return picked;
  }
  const AgentKey* best = nullptr;
  if (q.cfg.queue.strategy == RoutingStrategy::RoundRobin) {
    // The next agent after the last one served, in login order, wrapping around.
    const AgentKey* wrap = nullptr;
    for (int s = 0; s <= i.stage; ++s) {
      const auto& set = q.agents[s * 2 + c];
      if (set.empty()) {
        continue;
      }
      auto it = set.lower_bound(AgentKey{q.rr_cursor + 1, 0, 0, 0});
      if (it != set.end() && (best == nullptr || *it < *best)) {
        best = &*it;
      }
      if (wrap == nullptr || *set.begin() < *wrap) {
        wrap = &*set.begin();
      }
    }
    if (best == nullptr) {
      best = wrap;
    }
  } else {
    for (int s = 0; s <= i.stage; ++s) {
      const auto& set = q.agents[s * 2 + c];
      if (!set.empty() && (best == nullptr || *set.begin() < *best)) {
        best = &*set.begin();
      }
    }
  }
  if (best != nullptr) {
    picked.push_back(best->agent);
  }
  return picked;
}

void RoutingEngine::routeInteraction(Slot ix, std::int64_t at) {
  std::vector<Slot> agents = pickAgents(ix);
  if (agents.empty()) {
    return;
  }
  removeWaiting(ix);
  reserve(ix, agents, at);
}

void RoutingEngine::routeAgent(Slot a, std::int64_t at) {
  for (;;) {
    AgentRt& agent = agents_[a];
    Slot chosen = NoSlot;
    bool sticky = false;
    for (Channel ch : {Channel::Voice, Channel::Chat}) {
      if (chosen != NoSlot || !routable(agent, ch)) {
        continue;
      }
      for (Slot waiter : agent.sticky_waiters) {
        if (interactions_[waiter].channel == ch) {
          chosen = waiter;
          sticky = true;
          break;
        }
      }
      if (chosen != NoSlot) {
        break;
      }
      const int c = channelIndex(ch);
      const WaitKey* best = nullptr;
      for (const auto& m : agent.memberships) {
        const QueueRt& q = queues_[m.queue];
        for (int s = m.first_stage; s < q.stages; ++s) {
          const auto& set = q.waiting[s * 2 + c];
          if (!set.empty() && (best == nullptr || *set.begin() < *best)) {
            best = &*set.begin();
          }
        }
      }
      if (best != nullptr) {
        chosen = best->ix;
      }
    }
    if (chosen == NoSlot) {
      return;
    }
    if (sticky) {
      leaveWaiting(chosen);
    } else {
      removeWaiting(chosen);
    }
    reserve(chosen, {a}, at);
  }
}

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
      if (i.queue_gen == timer.gen && !i.callback &&
          (i.phase == Phase::Waiting || i.phase == Phase::Sticky)) {
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

// ---- Configuration and agents -------------------------------------------------------------

Result<void> RoutingEngine::addQueue(QueueRouting routing) {
  KEFU_TRY(validate(routing));
  if (findQueue(routing.queue.id) != NoSlot) {
    return Error{ErrorCode::AlreadyExists, "queue " + routing.queue.id + " exists", "queue.id"};
  }
  const Slot qs = static_cast<Slot>(queues_.size());
  QueueRt q;
  q.stages = 1 + static_cast<int>(routing.relaxation.size());
  q.agents.resize(static_cast<std::size_t>(q.stages) * 2);
  q.waiting.resize(static_cast<std::size_t>(q.stages) * 2);
  for (const auto& rule : routing.overflow) {
    if (rule.after_wait.count() > 0 &&
        (q.first_wait_rule_ms == 0 || rule.after_wait.count() < q.first_wait_rule_ms)) {
      q.first_wait_rule_ms = rule.after_wait.count();
      q.first_wait_rule_target = rule.target;
    }
  }
  queue_ids_.emplace(routing.queue.id, qs);
  q.cfg = std::move(routing);
  queues_.push_back(std::move(q));
  for (Slot a = 0; a < agents_.size(); ++a) {
    if (agents_[a].logged_in) {
      unindex(a);
      addMembership(a, qs);  // only the new queue: adding a queue costs O(agents)
      index(a);
    }
  }
  return {};
}

Result<void> RoutingEngine::login(AgentLogin login) {
  const std::int64_t at = nowMs();
  runDue(at);
  if (login.agent.id.empty()) {
    return Error::invalid("agent.id", "must not be empty");
  }
  Slot a = findAgent(login.agent.id);
  if (a == NoSlot) {
    a = static_cast<Slot>(agents_.size());
    agents_.emplace_back();
    agents_[a].id = login.agent.id;
    agent_ids_.emplace(login.agent.id, a);
  } else if (agents_[a].logged_in) {
    return conflict("agent " + login.agent.id + " is already logged in");
  }
  AgentRt& agent = agents_[a];
  agent.skills = std::move(login.agent.skills);
  agent.voice = login.voice;
  agent.chat_capacity =
      login.chat_capacity < 0 ? options_.default_chat_capacity : login.chat_capacity;
  agent.logged_in = true;
  agent.ready = true;
  agent.reason.clear();
  computeMemberships(a);
  agentChanged(a, at);
  return {};
}

Result<void> RoutingEngine::logout(std::string_view agent_id) {
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot a = findAgent(agent_id);
  if (a == NoSlot || !agents_[a].logged_in) {
    return Error::notFound("agent " + std::string{agent_id} + " is not logged in");
  }
  if (!agents_[a].work.empty()) {
    return conflict("agent " + std::string{agent_id} + " still holds interactions");
  }
  agents_[a].logged_in = false;
  agents_[a].ready = false;
  agentChanged(a, at);
  // Customers waiting for this agent go to everyone at once.
  for (Slot ix : std::exchange(agents_[a].sticky_waiters, {})) {
    --queues_[interactions_[ix].queue].size;
    interactions_[ix].sticky_agent = NoSlot;
    insertWaiting(ix, at);
    routeInteraction(ix, at);
  }
  return {};
}

Result<void> RoutingEngine::setReady(std::string_view agent_id) {
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot a = findAgent(agent_id);
  if (a == NoSlot || !agents_[a].logged_in) {
    return Error::notFound("agent " + std::string{agent_id} + " is not logged in");
  }
  agents_[a].ready = true;
  agents_[a].reason.clear();
  agentChanged(a, at);
  return {};
}

Result<void> RoutingEngine::setNotReady(std::string_view agent_id, std::string reason) {
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot a = findAgent(agent_id);
  if (a == NoSlot || !agents_[a].logged_in) {
    return Error::notFound("agent " + std::string{agent_id} + " is not logged in");
  }
  if (reason.empty()) {
    return Error::invalid("reason", "a not-ready state needs a reason code");
  }
  agents_[a].ready = false;
  agents_[a].reason = std::move(reason);
  agentChanged(a, at);
  return {};
}

// ---- Interactions -------------------------------------------------------------------------

Result<void> RoutingEngine::offer(InteractionRequest request) {
  const std::int64_t at = nowMs();
  runDue(at);
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
  const std::int64_t at = nowMs();
  runDue(at);
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
  InteractionRt& i = interactions_[ix];
  if (!i.callback || i.phase != Phase::Ringing) {
    return conflict("no agent is reserved for a callback to " + std::string{interaction_id});
  }
  i.callback = false;  // the customer is on the line again: a transfer later is a normal one
  startTalking(ix, i.ringing.front(), at, RoutingEventType::CallbackConnected);
  return {};
}

Result<void> RoutingEngine::callbackFailed(std::string_view interaction_id) {
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
  if (!interactions_[ix].callback || interactions_[ix].phase != Phase::Ringing) {
    return conflict("no agent is reserved for a callback to " + std::string{interaction_id});
  }
  failCallback(ix, at);
  return {};
}

Result<void> RoutingEngine::requestCallback(std::string_view interaction_id) {
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot || interactions_[ix].phase != Phase::Talking || interactions_[ix].held) {
    return conflict("interaction " + std::string{interaction_id} + " is not talking");
  }
  interactions_[ix].held = true;
  emitFor(RoutingEventType::HoldStarted, at, ix, interactions_[ix].agent);
  return {};
}

Result<void> RoutingEngine::unhold(std::string_view interaction_id) {
  const std::int64_t at = nowMs();
  runDue(at);
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
  const std::int64_t at = nowMs();
  runDue(at);
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
  const std::int64_t at = nowMs();
  runDue(at);
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
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
  const std::int64_t at = nowMs();
  runDue(at);
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot || interactions_[ix].consult == NoSlot) {
    return conflict("no consultation for " + std::string{interaction_id});
  }
  dropConsult(ix, at);
  return {};
}

// ---- Queries ------------------------------------------------------------------------------

Result<WaitEstimate> RoutingEngine::estimate(std::string_view interaction_id) const {
  const Slot ix = findInteraction(interaction_id);
  if (ix == NoSlot) {
    return Error::notFound("interaction " + std::string{interaction_id});
  }
  const InteractionRt& i = interactions_[ix];
  const QueueRt& q = queues_[i.queue];
  WaitEstimate estimate;
  if (i.phase == Phase::Waiting) {
    estimate.position = 1;
    for (const auto& set : q.waiting) {
      for (const auto& key : set) {
        if (key < i.key) {
          ++estimate.position;
        }
      }
    }
  } else if (i.phase == Phase::Sticky) {
    estimate.position = 1;
  } else {
    return estimate;  // ringing or talking: no wait left
  }
  std::int64_t aht = options_.default_handle_time_ms;
  if (!q.handle_ms.empty()) {
    std::int64_t sum = 0;
    for (auto ms : q.handle_ms) {
      sum += ms;
    }
    aht = sum / static_cast<std::int64_t>(q.handle_ms.size());
  }
  std::int64_t staffed = 0;
  const Slot qs = i.queue;
  for (const auto& agent : agents_) {
    if (agent.logged_in && agent.shown != AgentState::NotReady && memberOf(agent, qs)) {
      ++staffed;
    }
  }
  estimate.estimated_wait_ms =
      static_cast<std::int64_t>(estimate.position) * aht / std::max<std::int64_t>(staffed, 1);
  return estimate;
}

std::optional<AgentState> RoutingEngine::agentState(std::string_view agent_id) const {
  const Slot a = findAgent(agent_id);
  if (a == NoSlot) {
    return std::nullopt;
  }
  return agents_[a].shown;
}

std::size_t RoutingEngine::waitingCount(std::string_view queue_id) const {
  const Slot q = findQueue(queue_id);
  return q == NoSlot ? 0 : queues_[q].size;
}

std::string RoutingEngine::checkInvariantsForTest() const {
  std::vector<std::size_t> sizes(queues_.size(), 0);
  for (Slot ix = 0; ix < interactions_.size(); ++ix) {
    const InteractionRt& i = interactions_[ix];
    if (!i.live) {
      continue;
    }
    const QueueRt& q = queues_[i.queue];
    switch (i.phase) {
      case Phase::Waiting:
        if (!q.waiting[i.stage * 2 + channelIndex(i.channel)].contains(i.key)) {
          return i.id + " waits outside its queue";
        }
        ++sizes[i.queue];
        break;
      case Phase::Sticky:
        ++sizes[i.queue];
        break;
      case Phase::Ringing:
        if (i.ringing.empty()) {
          return i.id + " rings nobody";
        }
        for (Slot a : i.ringing) {
          const AgentRt& agent = agents_[a];
          const auto n = std::count_if(agent.work.begin(), agent.work.end(), [ix](const Work& w) {
            return w.ix == ix && w.phase == WorkPhase::Ringing;
          });
          if (n != 1) {
            return i.id + " rings " + agent.id + " who does not ring for it";
          }
        }
        break;
      case Phase::Talking: {
        const auto& work = agents_[i.agent].work;
        if (std::none_of(work.begin(), work.end(), [ix](const Work& w) {
              return w.ix == ix && w.phase == WorkPhase::Talking;
            })) {
          return i.id + " talks to an agent who does not hold it";
        }
        break;
      }
    }
  }
  for (Slot qs = 0; qs < queues_.size(); ++qs) {
    const QueueRt& q = queues_[qs];
    if (sizes[qs] != q.size) {
      return "queue " + q.cfg.queue.id + " counts " + std::to_string(q.size) + " but holds " +
             std::to_string(sizes[qs]);
    }
    // Nobody waits while an eligible agent is free.
    for (int c = 0; c < 2; ++c) {
      for (int s = 0; s < q.stages; ++s) {
        if (q.waiting[s * 2 + c].empty()) {
          continue;
        }
        for (int t = 0; t <= s; ++t) {
          if (!q.agents[t * 2 + c].empty()) {
            return "queue " + q.cfg.queue.id + " has a waiting interaction and a free agent";
          }
        }
      }
    }
  }
  for (const AgentRt& agent : agents_) {
    int voice = 0;
    int chats = 0;
    for (const auto& w : agent.work) {
      (w.channel == Channel::Voice ? voice : chats) += 1;
    }
    if (voice > 1 || (voice == 1 && chats > 0)) {
      return agent.id + " holds a voice interaction and more";
    }
    if (chats > agent.chat_capacity) {
      return agent.id + " holds more chats than its capacity";
    }
    if (computedState(agent) != agent.shown) {
      return agent.id + " shows a stale state";
    }
    for (Channel ch : {Channel::Voice, Channel::Chat}) {
      if (agent.indexed[channelIndex(ch)] != routable(agent, ch)) {
        return agent.id + " is indexed wrongly for " + std::string{toString(ch)};
      }
    }
  }
  return {};
}

}  // namespace kefu::acd
