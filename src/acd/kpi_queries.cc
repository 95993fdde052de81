// FigureBook queries: summing the settled facts over an interval, the live state, and comparing
// two books. The folding of events into facts is in kpi.cc.

#include <algorithm>
#include <utility>

#include "acd/kpi.h"

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
  for (std::int64_t start =
           alignDown(from_ms + wall_clock_offset_ms_, length_ms) - wall_clock_offset_ms_;
       start < to_ms; start += length_ms) {
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
  for (std::int64_t start =
           alignDown(from_ms + wall_clock_offset_ms_, length_ms) - wall_clock_offset_ms_;
       start < to_ms; start += length_ms) {
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
