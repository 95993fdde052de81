// RoutingEngine: construction, slots, configuration and agent sessions. The rest of the class is
// split by concern: routing_engine_interactions.cc (the interaction operations),
// routing_engine_index.cc (the agent index and the choice of agents), routing_engine_work.cc
// (waiting, alerting, wrap-up), routing_engine_timers.cc (time and events) and
// routing_engine_queries.cc.

#include "acd/routing_engine.h"

#include <algorithm>
#include <utility>

namespace kefu::acd {

Error RoutingEngine::conflict(std::string message) {
  return {ErrorCode::Conflict, std::move(message), {}};
}

RoutingEngine::RoutingEngine(const TimeSource& time, Options options, Listener* listener)
    : time_(time), listener_(listener), options_(options) {}

RoutingEngine::~RoutingEngine() = default;

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

// ---- Configuration and agents -------------------------------------------------------------

void RoutingEngine::configure(QueueRt& q, QueueRouting routing) {
  q.stages = 1 + static_cast<int>(routing.relaxation.size());
  q.agents.assign(static_cast<std::size_t>(q.stages) * 2, {});
  q.waiting.assign(static_cast<std::size_t>(q.stages) * 2, {});
  q.first_wait_rule_ms = 0;
  q.first_wait_rule_target.clear();
  for (const auto& rule : routing.overflow) {
    if (rule.after_wait.count() > 0 &&
        (q.first_wait_rule_ms == 0 || rule.after_wait.count() < q.first_wait_rule_ms)) {
      q.first_wait_rule_ms = rule.after_wait.count();
      q.first_wait_rule_target = rule.target;
    }
  }
  q.cfg = std::move(routing);
}

Result<void> RoutingEngine::addQueue(QueueRouting routing) {
  KEFU_TRY(validate(routing));
  if (findQueue(routing.queue.id) != NoSlot) {
    return Error{ErrorCode::AlreadyExists, "queue " + routing.queue.id + " exists", "queue.id"};
  }
  const Slot qs = static_cast<Slot>(queues_.size());
  queue_ids_.emplace(routing.queue.id, qs);
  queues_.emplace_back();
  configure(queues_.back(), std::move(routing));
  for (Slot a = 0; a < agents_.size(); ++a) {
    if (agents_[a].logged_in) {
      unindex(a);
      addMembership(a, qs);  // only the new queue: adding a queue costs O(agents)
      index(a);
    }
  }
  return {};
}

Result<void> RoutingEngine::updateQueue(QueueRouting routing) {
  KEFU_TRY(validate(routing));
  const std::int64_t at = catchUp();
  const Slot qs = findQueue(routing.queue.id);
  if (qs == NoSlot) {
    return Error::notFound("queue " + routing.queue.id);
  }
  // The agent keys follow the strategy and the sets the relaxation stages: everything leaves the
  // queue's index under the old settings and comes back under the new ones.
  for (Slot a = 0; a < agents_.size(); ++a) {
    unindex(a);
  }
  std::vector<Slot> waiting;
  QueueRt& q = queues_[qs];
  for (const auto& set : q.waiting) {
    for (const WaitKey& key : set) {
      waiting.push_back(key.ix);
    }
  }
  q.size -= waiting.size();  // the sticky ones stay where they are
  std::sort(waiting.begin(), waiting.end(),
            [this](Slot x, Slot y) { return interactions_[x].key < interactions_[y].key; });
  configure(q, std::move(routing));
  for (Slot a = 0; a < agents_.size(); ++a) {
    AgentRt& agent = agents_[a];
    if (!agent.logged_in) {
      continue;
    }
    std::erase_if(agent.memberships, [qs](const Membership& m) { return m.queue == qs; });
    addMembership(a, qs);
    index(a);
  }
  for (Slot ix : waiting) {
    // Timers armed under the old settings stay armed; their handlers check the current ones.
    const InteractionRt& i = interactions_[ix];
    for (const auto& step : q.cfg.relaxation) {
      if (i.enqueued_ms + step.after.count() > at) {
        schedule(i.enqueued_ms + step.after.count(), TimerKind::Relax, ix, i.queue_gen);
      }
    }
    if (q.first_wait_rule_ms > 0 && i.consult_of == NoSlot) {
      schedule(std::max(at, i.enqueued_ms + q.first_wait_rule_ms), TimerKind::WaitOverflow, ix,
               i.queue_gen);
    }
    insertWaiting(ix, at);
  }
  for (Slot ix : waiting) {
    if (interactions_[ix].phase == Phase::Waiting) {
      routeInteraction(ix, at);
    }
  }
  runDue(at);  // a shortened maximum wait may already be over
  return {};
}

Result<void> RoutingEngine::removeQueue(std::string_view queue_id) {
  catchUp();
  const Slot qs = findQueue(queue_id);
  if (qs == NoSlot) {
    return Error::notFound("queue " + std::string{queue_id});
  }
  QueueRt& q = queues_[qs];
  const bool alerting =
      std::any_of(interactions_.begin(), interactions_.end(), [qs](const InteractionRt& i) {
        return i.live && i.queue == qs && i.phase == Phase::Ringing;
      });
  if (q.size > 0 || alerting) {
    return conflict("queue " + q.cfg.queue.id + " still has interactions waiting or alerting");
  }
  for (Slot a = 0; a < agents_.size(); ++a) {
    AgentRt& agent = agents_[a];
    if (!agent.logged_in) {
      continue;
    }
    unindex(a);
    std::erase_if(agent.memberships, [qs](const Membership& m) { return m.queue == qs; });
    index(a);
  }
  // The slot stays: answered interactions and wrap-ups still read its settings and id.
  q.removed = true;
  queue_ids_.erase(q.cfg.queue.id);
  return {};
}

std::optional<QueueRouting> RoutingEngine::queueRouting(std::string_view queue_id) const {
  const Slot qs = findQueue(queue_id);
  if (qs == NoSlot) {
    return std::nullopt;
  }
  return queues_[qs].cfg;
}

Result<void> RoutingEngine::updateAgentSkills(std::string_view agent_id,
                                              std::vector<SkillLevel> skills) {
  for (std::size_t k = 0; k < skills.size(); ++k) {
    if (skills[k].skill_id.empty()) {
      return Error::invalid("skills[" + std::to_string(k) + "].skill_id", "must not be empty");
    }
    if (skills[k].level < MinSkillLevel || skills[k].level > MaxSkillLevel) {
      return Error::invalid("skills[" + std::to_string(k) + "].level", "must be between 1 and 10");
    }
  }
  const std::int64_t at = catchUp();
  const Slot a = findAgent(agent_id);
  if (a == NoSlot || !agents_[a].logged_in) {
    return Error::notFound("agent " + std::string{agent_id} + " is not logged in");
  }
  unindex(a);
  agents_[a].skills = std::move(skills);
  computeMemberships(a);
  // Customers kept for this agent in a queue it no longer serves go to everyone at once.
  auto& waiters = agents_[a].sticky_waiters;
  std::vector<Slot> released;
  std::erase_if(waiters, [&](Slot ix) {
    const bool gone = !memberOf(agents_[a], interactions_[ix].queue);
    if (gone) {
      released.push_back(ix);
    }
    return gone;
  });
  agentChanged(a, at);
  for (Slot ix : released) {
    --queues_[interactions_[ix].queue].size;
    interactions_[ix].sticky_agent = NoSlot;
    insertWaiting(ix, at);
    routeInteraction(ix, at);
  }
  return {};
}

Result<void> RoutingEngine::login(AgentLogin login) {
  const std::int64_t at = catchUp();
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
  const std::int64_t at = catchUp();
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
  const std::int64_t at = catchUp();
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
  const std::int64_t at = catchUp();
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

}  // namespace kefu::acd
