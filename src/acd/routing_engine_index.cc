// RoutingEngine: the agent index (which agents can take what, ordered by each queue's strategy)
// and the routing decisions made on it.

#include <algorithm>
#include <utility>

#include "acd/routing_engine.h"

namespace kefu::acd {

namespace {

int levelOf(const std::vector<SkillLevel>& skills, const std::string& skill_id) {
  for (const auto& s : skills) {
    if (s.skill_id == skill_id) {
      return s.level;
    }
  }
  return 0;
}

}  // namespace

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
    if (!queues_[q].removed) {
      addMembership(a, q);
    }
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

}  // namespace kefu::acd
