#include "acd/kpi.h"

#include <algorithm>
#include <utility>

namespace kefu::acd {
namespace {

std::optional<double> ratio(double numerator, double denominator) {
  if (denominator <= 0) {
    return std::nullopt;
  }
  return numerator / denominator;
}

bool isStaffed(AgentState state) {
  return state == AgentState::Ready || state == AgentState::Reserved || state == AgentState::Busy ||
         state == AgentState::WrapUp;
}

// The part of [start, end) inside [from, to), in ms.
std::int64_t overlap(std::int64_t start, std::int64_t end, std::int64_t from, std::int64_t to) {
  return std::max<std::int64_t>(0, std::min(end, to) - std::max(start, from));
}

// The first interval start at or before `from`, on a multiple of `length` (floor, also below 0).
std::int64_t alignDown(std::int64_t from, std::int64_t length) {
  std::int64_t q = from / length;
  if (from % length != 0 && from < 0) {
    --q;
  }
  return q * length;
}

}  // namespace

std::int64_t FigureRules::serviceLevelMs(const std::string& queue_id) const {
  auto it = service_level_ms_by_queue.find(queue_id);
  return it == service_level_ms_by_queue.end() ? default_service_level_ms : it->second;
}

std::optional<double> QueueFigures::serviceLevel() const {
  return ratio(static_cast<double>(answered_within_threshold),
               static_cast<double>(answered + abandoned - short_abandoned));
}

std::optional<double> QueueFigures::abandonRate() const {
  const auto entered = static_cast<double>(offered + overflow_in + transfer_in);
  return ratio(static_cast<double>(abandoned - short_abandoned),
               entered - static_cast<double>(short_abandoned));
}

std::optional<double> QueueFigures::averageSpeedOfAnswerMs() const {
  return ratio(static_cast<double>(answered_wait_ms), static_cast<double>(answered));
}

std::optional<double> QueueFigures::averageHandleMs() const {
  return ratio(static_cast<double>(talk_ms + hold_ms + wrap_up_ms), static_cast<double>(handled));
}

std::optional<double> QueueFigures::averageTalkMs() const {
  return ratio(static_cast<double>(talk_ms), static_cast<double>(handled));
}

std::optional<double> QueueFigures::averageCallbackWaitMs() const {
  return ratio(static_cast<double>(callback_wait_ms), static_cast<double>(callbacks_connected));
}

std::optional<double> AgentFigures::occupancy() const {
  return ratio(static_cast<double>(working_ms), static_cast<double>(staffed_ms));
}

std::optional<double> AgentFigures::averageHandleMs() const {
  return ratio(static_cast<double>(talk_ms + hold_ms + wrap_up_ms), static_cast<double>(handled));
}

std::optional<double> AgentFigures::averageTalkMs() const {
  return ratio(static_cast<double>(talk_ms), static_cast<double>(handled));
}

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

QueueFigures FigureBook::queueFigures(const std::string& queue_id, std::int64_t from_ms,
                                      std::int64_t to_ms) const {
  QueueFigures f;
  auto q = queues_.find(queue_id);
  if (q != queues_.end()) {
    const std::int64_t threshold = rules_.serviceLevelMs(queue_id);
    for (const QueueFact& fact : q->second.facts) {
      if (fact.at_ms < from_ms || fact.at_ms >= to_ms) {
        continue;
      }
      const std::int64_t v = fact.value_ms;
      switch (fact.kind) {
        case QueueFactKind::Offered:
          ++f.offered;
          break;
        case QueueFactKind::OverflowIn:
          ++f.overflow_in;
          break;
        case QueueFactKind::TransferIn:
          ++f.transfer_in;
          break;
        case QueueFactKind::Answered:
          ++f.answered;
          f.answered_wait_ms += v;
          f.answered_within_threshold += v <= threshold ? 1 : 0;
          f.longest_wait_ms = std::max(f.longest_wait_ms, v);
          break;
        case QueueFactKind::Abandoned:
          ++f.abandoned;
          f.short_abandoned += v <= rules_.short_abandon_ms ? 1 : 0;
          f.longest_wait_ms = std::max(f.longest_wait_ms, v);
          break;
        case QueueFactKind::Overflowed:
          ++f.overflowed;
          f.longest_wait_ms = std::max(f.longest_wait_ms, v);
          break;
        case QueueFactKind::CallbackRequested:
          ++f.callbacks_requested;
          break;
        case QueueFactKind::CallbackConnected:
          ++f.callbacks_connected;
          f.callback_wait_ms += v;
          f.longest_wait_ms = std::max(f.longest_wait_ms, v);
          break;
        case QueueFactKind::TransferOut:
          ++f.transfers_out;
          break;
        case QueueFactKind::Handled:
          ++f.handled;
          break;
        case QueueFactKind::Talk:
          f.talk_ms += v;
          break;
        case QueueFactKind::Hold:
          f.hold_ms += v;
          break;
        case QueueFactKind::WrapUp:
          f.wrap_up_ms += v;
          break;
      }
    }
  }
  // Waits still running count towards the longest, up to the interval's end or now.
  const std::int64_t until = std::min(to_ms, now_ms_);
  for (const auto& [id, in] : interactions_) {
    if (in.queue_id == queue_id && in.waiting_since_ms && *in.waiting_since_ms < to_ms &&
        until >= from_ms) {
      f.longest_wait_ms = std::max(f.longest_wait_ms, until - *in.waiting_since_ms);
    }
  }
  return f;
}

AgentFigures FigureBook::agentFigures(const std::string& agent_id, std::int64_t from_ms,
                                      std::int64_t to_ms) const {
  AgentFigures f;
  auto a = agents_.find(agent_id);
  if (a == agents_.end()) {
    return f;
  }
  const AgentBook& book = a->second;
  for (const AgentFact& fact : book.facts) {
    if (fact.at_ms < from_ms || fact.at_ms >= to_ms) {
      continue;
    }
    switch (fact.kind) {
      case AgentFactKind::Reserved:
        ++f.reserved;
        break;
      case AgentFactKind::NoAnswer:
        ++f.no_answer;
        break;
      case AgentFactKind::Answered:
        ++f.answered;
        break;
      case AgentFactKind::TransferIn:
        ++f.transfers_in;
        break;
      case AgentFactKind::TransferOut:
        ++f.transfers_out;
        break;
      case AgentFactKind::Handled:
        ++f.handled;
        break;
      case AgentFactKind::Talk:
        f.talk_ms += fact.value_ms;
        break;
      case AgentFactKind::Hold:
        f.hold_ms += fact.value_ms;
        break;
      case AgentFactKind::WrapUp:
        f.wrap_up_ms += fact.value_ms;
        break;
    }
  }
  auto add_state = [&](AgentState state, std::int64_t start, std::int64_t end) {
    const std::int64_t ms = overlap(start, end, from_ms, to_ms);
    if (isStaffed(state)) {
      f.staffed_ms += ms;
    } else if (state == AgentState::NotReady) {
      f.not_ready_ms += ms;
    }
  };
  for (const StateSpan& span : book.states) {
    add_state(span.state, span.start_ms, span.end_ms);
  }
  add_state(book.state, book.since_ms, now_ms_);
  // Working time is the union of the spans (chats overlap), clipped to the interval.
  std::vector<Span> work;
  for (const Span& span : book.work) {
    if (overlap(span.start_ms, span.end_ms, from_ms, to_ms) > 0) {
      work.push_back(span);
    }
  }
  for (const auto& [id, since] : book.working_since_ms) {
    if (overlap(since, now_ms_, from_ms, to_ms) > 0) {
      work.push_back({since, now_ms_});
    }
  }
  std::sort(work.begin(), work.end(),
            [](const Span& l, const Span& r) { return l.start_ms < r.start_ms; });
  std::int64_t covered_until = from_ms;
  for (const Span& span : work) {
    const std::int64_t start = std::max(span.start_ms, covered_until);
    const std::int64_t end = std::min(span.end_ms, to_ms);
    if (end > start) {
      f.working_ms += end - start;
      covered_until = end;
    }
  }
  return f;
}

std::vector<IntervalFigures<QueueFigures>> FigureBook::queueIntervals(
    const std::string& queue_id, std::int64_t from_ms, std::int64_t to_ms,
    std::int64_t length_ms) const {
  std::vector<IntervalFigures<QueueFigures>> out;
  if (length_ms <= 0) {
    return out;
  }
  for (std::int64_t start = alignDown(from_ms, length_ms); start < to_ms; start += length_ms) {
    out.push_back({start, queueFigures(queue_id, start, start + length_ms)});
  }
  return out;
}

std::vector<IntervalFigures<AgentFigures>> FigureBook::agentIntervals(
    const std::string& agent_id, std::int64_t from_ms, std::int64_t to_ms,
    std::int64_t length_ms) const {
  std::vector<IntervalFigures<AgentFigures>> out;
  if (length_ms <= 0) {
    return out;
  }
  for (std::int64_t start = alignDown(from_ms, length_ms); start < to_ms; start += length_ms) {
    out.push_back({start, agentFigures(agent_id, start, start + length_ms)});
  }
  return out;
}

void FigureBook::forgetBefore(std::int64_t at_ms) {
  for (auto& [id, book] : queues_) {
    std::erase_if(book.facts, [&](const QueueFact& f) { return f.at_ms < at_ms; });
  }
  for (auto& [id, book] : agents_) {
    std::erase_if(book.facts, [&](const AgentFact& f) { return f.at_ms < at_ms; });
    std::erase_if(book.states, [&](const StateSpan& s) { return s.end_ms <= at_ms; });
    std::erase_if(book.work, [&](const Span& s) { return s.end_ms <= at_ms; });
  }
}

QueueLive FigureBook::queueLive(const std::string& queue_id) const {
  QueueLive live;
  for (const auto& [id, in] : interactions_) {
    if (in.queue_id != queue_id || !in.waiting_since_ms) {
      continue;
    }
    ++live.waiting;
    live.callbacks_pending += in.callback_pending ? 1 : 0;
    live.longest_wait_ms = std::max(live.longest_wait_ms, now_ms_ - *in.waiting_since_ms);
  }
  return live;
}

AgentLive FigureBook::agentLive(const std::string& agent_id) const {
  AgentLive live;
  auto a = agents_.find(agent_id);
  if (a != agents_.end()) {
    live.state = a->second.state;
    live.reason = a->second.reason;
    live.since_ms = a->second.since_ms;
    live.interactions = a->second.working_since_ms.size();
  }
  return live;
}

std::vector<std::string> FigureBook::queueIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, book] : queues_) {
    ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> FigureBook::agentIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, book] : agents_) {
    ids.push_back(id);
  }
  return ids;
}

FigureBook replay(std::span<const RoutingEvent> log, FigureRules rules) {
  FigureBook book(std::move(rules));
  for (const RoutingEvent& event : log) {
    book.record(event);
  }
  return book;
}

namespace {

template <class T>
void compare(std::vector<std::string>& out, const std::string& who, const char* name, const T& a,
             const T& b) {
  if (!(a == b)) {
    out.push_back(who + " " + name + ": " + std::to_string(a) + " != " + std::to_string(b));
  }
}

std::vector<std::string> unionOf(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

}  // namespace

std::vector<std::string> figureDifferences(const FigureBook& a, const FigureBook& b,
                                           std::int64_t from_ms, std::int64_t to_ms) {
  std::vector<std::string> out;
#define KEFU_COMPARE(field) compare(out, who, #field, x.field, y.field)
  for (const std::string& id : unionOf(a.queueIds(), b.queueIds())) {
    const QueueFigures x = a.queueFigures(id, from_ms, to_ms);
    const QueueFigures y = b.queueFigures(id, from_ms, to_ms);
    const std::string who = "queue " + id;
    KEFU_COMPARE(offered);
    KEFU_COMPARE(overflow_in);
    KEFU_COMPARE(transfer_in);
    KEFU_COMPARE(answered);
    KEFU_COMPARE(answered_within_threshold);
    KEFU_COMPARE(abandoned);
    KEFU_COMPARE(short_abandoned);
    KEFU_COMPARE(overflowed);
    KEFU_COMPARE(callbacks_requested);
    KEFU_COMPARE(callbacks_connected);
    KEFU_COMPARE(transfers_out);
    KEFU_COMPARE(handled);
    KEFU_COMPARE(answered_wait_ms);
    KEFU_COMPARE(callback_wait_ms);
    KEFU_COMPARE(talk_ms);
    KEFU_COMPARE(hold_ms);
    KEFU_COMPARE(wrap_up_ms);
    KEFU_COMPARE(longest_wait_ms);
  }
  for (const std::string& id : unionOf(a.agentIds(), b.agentIds())) {
    const AgentFigures x = a.agentFigures(id, from_ms, to_ms);
    const AgentFigures y = b.agentFigures(id, from_ms, to_ms);
    const std::string who = "agent " + id;
    KEFU_COMPARE(reserved);
    KEFU_COMPARE(no_answer);
    KEFU_COMPARE(answered);
    KEFU_COMPARE(transfers_in);
    KEFU_COMPARE(transfers_out);
    KEFU_COMPARE(handled);
    KEFU_COMPARE(talk_ms);
    KEFU_COMPARE(hold_ms);
    KEFU_COMPARE(wrap_up_ms);
    KEFU_COMPARE(staffed_ms);
    KEFU_COMPARE(not_ready_ms);
    KEFU_COMPARE(working_ms);
  }
#undef KEFU_COMPARE
  compare(out, "book", "ignored_events", a.ignoredEvents(), b.ignoredEvents());
  return out;
}

}  // namespace kefu::acd
