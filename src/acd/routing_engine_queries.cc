// RoutingEngine: read-only queries and the invariant check of the property test.

#include <algorithm>
#include <utility>

#include "acd/routing_engine.h"

namespace kefu::acd {

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

QueueStaffing RoutingEngine::staffing(std::string_view queue_id) const {
  QueueStaffing staffing;
  const Slot q = findQueue(queue_id);
  if (q == NoSlot) {
    return staffing;
  }
  for (const auto& agent : agents_) {
    if (agent.logged_in && agent.shown != AgentState::NotReady && memberOf(agent, q)) {
      ++staffing.staffed;
      if (agent.shown == AgentState::Ready) {
        ++staffing.ready;
      }
    }
  }
  return staffing;
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
