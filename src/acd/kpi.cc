#include "acd/kpi.h"

#include <algorithm>
#include <map>
#include <utility>

namespace kefu::acd {

// The event folding; the queries over what it folded are in kpi_queries.cc.

FigureBook::FigureBook(FigureRules rules) : rules_(std::move(rules)) {}

void FigureBook::ignore(const RoutingEvent& event, std::string why) {
  ++ignored_;
  last_ignored_reason_ = std::string(toString(event.type)) + " at " + std::to_string(event.at_ms) +
                         " (" + event.interaction_id + "): " + std::move(why);
}

FigureBook::QueueBook& FigureBook::queue(const std::string& id) { return queues_[id]; }

FigureBook::AgentBook& FigureBook::agent(const std::string& id) { return agents_[id]; }

void FigureBook::addQueueFact(const std::string& queue_id, QueueFactKind kind, std::int64_t at_ms,
                              std::int64_t value_ms) {
  queue(queue_id).facts.push_back({kind, at_ms, value_ms});
}

void FigureBook::addAgentFact(const std::string& agent_id, AgentFactKind kind, std::int64_t at_ms,
                              std::int64_t value_ms) {
  agent(agent_id).facts.push_back({kind, at_ms, value_ms});
}

void FigureBook::record(const RoutingEvent& event) {
  ++recorded_;
  if (event.at_ms < now_ms_) {
    ignore(event, "time ran backwards from " + std::to_string(now_ms_));
    return;
  }
  now_ms_ = event.at_ms;
  if (event.type == RoutingEventType::AgentStateChanged) {
    onAgentStateChanged(event);
    return;
  }
  if (event.interaction_id.empty()) {
    ignore(event, "no interaction id");
    return;
  }
  if (event.type == RoutingEventType::WrapUpEnded) {
    // Expected after a state change already ended this wrap-up: nothing left to count.
    auto agent_book = agents_.find(event.agent_id);
    if (agent_book != agents_.end() &&
        agent_book->second.wrapped_without_event.erase(event.interaction_id) > 0) {
      return;
    }
  }
  if (event.type != RoutingEventType::Offered && !interactions_.contains(event.interaction_id)) {
    ignore(event, "unknown interaction");
    return;
  }
  switch (event.type) {
    case RoutingEventType::Offered:
      onOffered(event);
      break;
    case RoutingEventType::Requeued:
      onRequeued(event);
      break;
    case RoutingEventType::Reserved:
      onReserved(event);
      break;
    case RoutingEventType::NoAnswer:
      onNoAnswer(event);
      break;
    case RoutingEventType::Answered:
      onAnswered(event);
      break;
    case RoutingEventType::HoldStarted:
      onHold(event, true);
      break;
    case RoutingEventType::HoldEnded:
      onHold(event, false);
      break;
    case RoutingEventType::Transferred:
    case RoutingEventType::Ended:
      onTalkEnded(event);
      break;
    case RoutingEventType::WrapUpEnded:
      onWrapUpEnded(event);
      break;
    case RoutingEventType::Abandoned:
      onAbandoned(event);
      break;
    case RoutingEventType::Overflowed:
      onOverflowed(event);
      break;
    case RoutingEventType::CallbackRequested:
      onCallbackRequested(event);
      break;
    case RoutingEventType::CallbackConnected:
      onCallbackConnected(event);
      break;
    case RoutingEventType::AgentStateChanged:
      break;  // handled above
  }
}

void FigureBook::onOffered(const RoutingEvent& e) {
  if (e.queue_id.empty()) {
    ignore(e, "no queue id");
    return;
  }
  auto [it, inserted] = interactions_.try_emplace(e.interaction_id);
  if (!inserted) {
    // Offered once, where it was first offered: a second Offered is the engine's mistake.
    ignore(e, "offered twice");
    return;
  }
  it->second.queue_id = e.queue_id;
  it->second.waiting_since_ms = e.at_ms;
  addQueueFact(e.queue_id, QueueFactKind::Offered, e.at_ms);
}

std::int64_t FigureBook::endWait(Interaction& interaction, std::int64_t at_ms) {
  const std::int64_t wait = at_ms - interaction.waiting_since_ms.value_or(at_ms);
  interaction.waiting_since_ms.reset();
  interaction.callback_pending = false;
  return wait;
}

void FigureBook::onRequeued(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (e.queue_id.empty()) {
    ignore(e, "no queue id");
    return;
  }
  if (in.ended) {
    ignore(e, "requeued after it ended");
    return;
  }
  if (in.waiting_since_ms) {
    if (in.queue_id == e.queue_id) {
      ignore(e, "requeued into the queue it waits in");
      return;
    }
    // Moved on without an Overflowed event: an overflow all the same, out of the old queue.
    const std::int64_t wait = endWait(in, e.at_ms);
    addQueueFact(in.queue_id, QueueFactKind::Overflowed, e.at_ms, wait);
  } else if (!in.transfer_pending && !in.left_by_overflow) {
    ignore(e, "requeued while neither waiting, transferred nor overflowed");
    return;
  }
  addQueueFact(e.queue_id,
               in.transfer_pending ? QueueFactKind::TransferIn : QueueFactKind::OverflowIn,
               e.at_ms);
  in.queue_id = e.queue_id;
  in.waiting_since_ms = e.at_ms;
  in.transfer_pending = false;
  in.left_by_overflow = false;
  in.handled_in_queue = false;
}

void FigureBook::onReserved(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (e.agent_id.empty()) {
    ignore(e, "no agent id");
    return;
  }
  if (!in.waiting_since_ms && !in.transfer_pending) {
    ignore(e, "reserved while not waiting for an agent");
    return;
  }
  addAgentFact(e.agent_id, AgentFactKind::Reserved, e.at_ms);
}

void FigureBook::onNoAnswer(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (e.agent_id.empty()) {
    ignore(e, "no agent id");
    return;
  }
  if (!in.waiting_since_ms && !in.transfer_pending) {
    ignore(e, "no answer while not waiting for an agent");
    return;
  }
  // The wait goes on: the interaction is back at the front of the same queue.
  addAgentFact(e.agent_id, AgentFactKind::NoAnswer, e.at_ms);
}

void FigureBook::startPart(Interaction& interaction, const std::string& interaction_id,
                           const std::string& agent_id, std::int64_t at_ms) {
  AgentBook& book = agent(agent_id);
  book.wrapped_without_event.clear();
  auto existing = interaction.parts.find(agent_id);
  if (existing != interaction.parts.end()) {
    // Handed back to an agent still in wrap-up for it: that wrap-up ends now.
    endWrapUp(interaction_id, agent_id, existing->second, at_ms);
    interaction.parts.erase(existing);
  }
  Part part;
  part.queue_id = interaction.queue_id;
  part.answered_at_ms = at_ms;
  interaction.parts.emplace(agent_id, std::move(part));
  book.working_since_ms[interaction_id] = at_ms;
  addAgentFact(agent_id, AgentFactKind::Answered, at_ms);
}

FigureBook::Part* FigureBook::talkingPart(Interaction& interaction, const std::string& agent_id) {
  if (!agent_id.empty()) {
    auto it = interaction.parts.find(agent_id);
    return it != interaction.parts.end() && !it->second.talk_ended_at_ms ? &it->second : nullptr;
  }
  // Without an agent id, the one agent talking (if only one is).
  Part* found = nullptr;
  for (auto& [id, part] : interaction.parts) {
    if (!part.talk_ended_at_ms) {
      if (found != nullptr) {
        return nullptr;
      }
      found = &part;
    }
  }
  return found;
}

void FigureBook::onAnswered(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (e.agent_id.empty()) {
    ignore(e, "no agent id");
    return;
  }
  if (Part* talking = talkingPart(in, e.agent_id)) {
    if (talking->via_callback) {
      talking->via_callback = false;  // the answer confirming a connected callback
      return;
    }
    ignore(e, "answered twice by the same agent");
    return;
  }
  if (in.waiting_since_ms) {
    const std::int64_t wait = endWait(in, e.at_ms);
    addQueueFact(in.queue_id, QueueFactKind::Answered, e.at_ms, wait);
    startPart(in, e.interaction_id, e.agent_id, e.at_ms);
  } else if (in.transfer_pending) {
    // Handed straight to this agent: an answer for the agent, not a new one for the queue.
    in.transfer_pending = false;
    startPart(in, e.interaction_id, e.agent_id, e.at_ms);
    addAgentFact(e.agent_id, AgentFactKind::TransferIn, e.at_ms);
  } else if (in.callback_answer_pending) {
    in.callback_answer_pending = false;
    startPart(in, e.interaction_id, e.agent_id, e.at_ms);
  } else {
    ignore(e, "answered while not waiting for an agent");
  }
}

void FigureBook::onHold(const RoutingEvent& e, bool started) {
  Part* part = talkingPart(interactions_.at(e.interaction_id), e.agent_id);
  if (part == nullptr) {
    ignore(e, "hold without an agent talking");
    return;
  }
  if (started) {
    if (part->hold_since_ms) {
      ignore(e, "hold started twice");
      return;
    }
    part->hold_since_ms = e.at_ms;
    return;
  }
  if (!part->hold_since_ms) {
    ignore(e, "hold ended without starting");
    return;
  }
  part->hold_ms += e.at_ms - *part->hold_since_ms;
  part->hold_since_ms.reset();
}

void FigureBook::endTalk(Interaction& interaction, const std::string& agent_id, Part& part,
                         std::int64_t at_ms) {
  if (part.hold_since_ms) {  // the hold ends with the talk
    part.hold_ms += at_ms - *part.hold_since_ms;
    part.hold_since_ms.reset();
  }
  part.talk_ended_at_ms = at_ms;
  part.via_callback = false;
  const std::int64_t talk = at_ms - part.answered_at_ms - part.hold_ms;
  addAgentFact(agent_id, AgentFactKind::Handled, at_ms);
  addAgentFact(agent_id, AgentFactKind::Talk, at_ms, talk);
  addAgentFact(agent_id, AgentFactKind::Hold, at_ms, part.hold_ms);
  // A queue counts an interaction handled once, however many agents of it took a part.
  if (part.queue_id == interaction.queue_id && !interaction.handled_in_queue) {
    interaction.handled_in_queue = true;
    addQueueFact(part.queue_id, QueueFactKind::Handled, at_ms);
  }
  addQueueFact(part.queue_id, QueueFactKind::Talk, at_ms, talk);
  addQueueFact(part.queue_id, QueueFactKind::Hold, at_ms, part.hold_ms);
}

void FigureBook::endWrapUp(const std::string& interaction_id, const std::string& agent_id,
                           const Part& part, std::int64_t at_ms) {
  AgentBook& book = agent(agent_id);
  if (part.talk_ended_at_ms) {
    // Kept with the time its talk ended, so that a part's handle time stays in one interval.
    const std::int64_t wrap = at_ms - *part.talk_ended_at_ms;
    addAgentFact(agent_id, AgentFactKind::WrapUp, *part.talk_ended_at_ms, wrap);
    addQueueFact(part.queue_id, QueueFactKind::WrapUp, *part.talk_ended_at_ms, wrap);
  }
  auto working = book.working_since_ms.find(interaction_id);
  if (working != book.working_since_ms.end()) {
    book.work.push_back({working->second, at_ms});
    book.working_since_ms.erase(working);
  }
}

void FigureBook::onTalkEnded(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  const bool transferred = e.type == RoutingEventType::Transferred;
  if (transferred || !e.agent_id.empty()) {
    Part* part = talkingPart(in, e.agent_id);
    if (part == nullptr) {
      ignore(e, "no agent talking");
      return;
    }
    std::string agent_id = e.agent_id;
    if (agent_id.empty()) {
      for (auto& [id, p] : in.parts) {
        if (&p == part) {
          agent_id = id;
        }
      }
    }
    endTalk(in, agent_id, *part, e.at_ms);
    if (transferred) {
      in.transfer_pending = true;
      addAgentFact(agent_id, AgentFactKind::TransferOut, e.at_ms);
      addQueueFact(part->queue_id, QueueFactKind::TransferOut, e.at_ms);
    } else {
      in.ended = true;
    }
    return;
  }
  // Ended without an agent: every agent still talking (a conference) stops.
  bool any = false;
  for (auto& [agent_id, part] : in.parts) {
    if (!part.talk_ended_at_ms) {
      endTalk(in, agent_id, part, e.at_ms);
      any = true;
    }
  }
  if (!any) {
    ignore(e, "ended with no agent talking");
    return;
  }
  in.ended = true;
}

void FigureBook::onWrapUpEnded(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  auto it = in.parts.find(e.agent_id);
  if (it == in.parts.end() || !it->second.talk_ended_at_ms) {
    ignore(e, "wrap-up ended before the talk did");
    return;
  }
  endWrapUp(e.interaction_id, e.agent_id, it->second, e.at_ms);
  in.parts.erase(it);
  forgetIfDone(e.interaction_id);
}

void FigureBook::onAbandoned(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (in.waiting_since_ms) {
    const std::int64_t wait = endWait(in, e.at_ms);
    addQueueFact(in.queue_id, QueueFactKind::Abandoned, e.at_ms, wait);
  } else if (!in.transfer_pending) {
    // The customer can leave a queue or an agent's transfer alert; a talk ends with Ended.
    ignore(e, "abandoned while not waiting");
    return;
  }
  // A customer leaving a transfer alert was never in a queue again: no queue counts it.
  in.transfer_pending = false;
  in.ended = true;
  forgetIfDone(e.interaction_id);
}

void FigureBook::onOverflowed(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (!in.waiting_since_ms) {
    ignore(e, "overflowed while not waiting");
    return;
  }
  const std::int64_t wait = endWait(in, e.at_ms);
  addQueueFact(in.queue_id, QueueFactKind::Overflowed, e.at_ms, wait);
  // To another queue a Requeued follows; to an external pool nothing does, and the entry stays.
  in.left_by_overflow = true;
}

void FigureBook::onCallbackRequested(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (!in.waiting_since_ms || in.callback_pending) {
    ignore(e, "callback requested while not waiting on the line");
    return;
  }
  in.callback_pending = true;  // it keeps its place: the wait goes on
  addQueueFact(in.queue_id, QueueFactKind::CallbackRequested, e.at_ms,
               e.at_ms - *in.waiting_since_ms);
}

void FigureBook::onCallbackConnected(const RoutingEvent& e) {
  Interaction& in = interactions_.at(e.interaction_id);
  if (!in.waiting_since_ms || !in.callback_pending) {
    ignore(e, "callback connected without a callback pending");
    return;
  }
  const std::int64_t wait = endWait(in, e.at_ms);
  addQueueFact(in.queue_id, QueueFactKind::CallbackConnected, e.at_ms, wait);
  if (e.agent_id.empty()) {
    in.callback_answer_pending = true;
    return;
  }
  startPart(in, e.interaction_id, e.agent_id, e.at_ms);
  in.parts.at(e.agent_id).via_callback = true;
}

std::vector<RoutingEvent> FigureBook::closingEvents(std::int64_t at_ms,
                                                    const std::string& reason) const {
  std::vector<RoutingEvent> events;
  // Sorted by id, so that the same book always closes in the same order.
  std::map<std::string, const Interaction*> open;
  for (const auto& [id, in] : interactions_) {
    if (!in.ended) {
      open.emplace(id, &in);
    }
  }
  for (const auto& [id, in] : open) {
    RoutingEvent e;
    e.at_ms = at_ms;
    e.interaction_id = id;
    e.queue_id = in->queue_id;
    e.reason = reason;
    const bool talking = std::any_of(in->parts.begin(), in->parts.end(), [](const auto& part) {
      return !part.second.talk_ended_at_ms;
    });
    if (in->waiting_since_ms || in->transfer_pending) {
      e.type = RoutingEventType::Abandoned;
    } else if (talking) {
      e.type = RoutingEventType::Ended;  // without an agent: every part still talking ends
    } else {
      continue;  // overflowed to an external pool, or only wrap-ups left: the log-outs close them
    }
    events.push_back(std::move(e));
  }
  for (const auto& [id, book] : agents_) {
    if (book.state != AgentState::LoggedOut) {
      RoutingEvent e;
      e.type = RoutingEventType::AgentStateChanged;
      e.at_ms = at_ms;
      e.agent_id = id;
      e.state = AgentState::LoggedOut;
      e.reason = reason;
      events.push_back(std::move(e));
    }
  }
  return events;
}

void FigureBook::onAgentStateChanged(const RoutingEvent& e) {
  if (e.agent_id.empty()) {
    ignore(e, "no agent id");
    return;
  }
  AgentBook& book = agent(e.agent_id);
  if (book.state == e.state && book.reason == e.reason) {
    return;  // a repeat changes nothing
  }
  if (book.state != AgentState::LoggedOut && e.at_ms > book.since_ms) {
    book.states.push_back({book.state, book.since_ms, e.at_ms});
  }
  book.state = e.state;
  book.reason = e.reason;
  book.since_ms = e.at_ms;
  if (e.state != AgentState::Ready && e.state != AgentState::NotReady &&
      e.state != AgentState::LoggedOut) {
    return;
  }
  // Out of wrap-up: wrap-ups that no WrapUpEnded closed (after a transfer, say) end here.
  std::vector<std::string> done;
  for (const auto& [interaction_id, since] : book.working_since_ms) {
    auto in = interactions_.find(interaction_id);
    if (in == interactions_.end()) {
      continue;
    }
    auto part = in->second.parts.find(e.agent_id);
    if (part != in->second.parts.end() && part->second.talk_ended_at_ms) {
      done.push_back(interaction_id);
    }
  }
  for (const auto& interaction_id : done) {
    Interaction& in = interactions_.at(interaction_id);
    auto part = in.parts.find(e.agent_id);
    endWrapUp(interaction_id, e.agent_id, part->second, e.at_ms);
    in.parts.erase(part);
    book.wrapped_without_event.insert(interaction_id);
    forgetIfDone(interaction_id);
  }
}

void FigureBook::forgetIfDone(const std::string& interaction_id) {
  auto it = interactions_.find(interaction_id);
  if (it != interactions_.end() && it->second.ended && it->second.parts.empty() &&
      !it->second.waiting_since_ms) {
    interactions_.erase(it);
  }
}

}  // namespace kefu::acd
