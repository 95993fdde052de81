#include "interaction/contact_center.h"

#include <algorithm>
#include <future>

namespace kefu::interaction {

namespace {

std::int64_t monotonicMs(const TimeSource& time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             time.monotonicTime().time_since_epoch())
      .count();
}

/** @return `intervals` with their starts moved from the log's clock by `offset_ms`. */
template <class Figures>
std::vector<acd::IntervalFigures<Figures>> shifted(
    std::vector<acd::IntervalFigures<Figures>> intervals, std::int64_t offset_ms) {
  for (auto& interval : intervals) {
    interval.start_ms += offset_ms;
  }
  return intervals;
}

}  // namespace

ContactCenter::ContactCenter(const TimeSource& time, EventSink sink)
    : time_(time),
      sink_(std::move(sink)),
      loop_(time),
      engine_(time, {}, this),
      call_routing_(loop_, engine_, [this] { schedule(); }) {
  // The log's times are monotonic; the figures' intervals are asked for in wall-clock time.
  figures_.setWallClockOffset(toUnixMillis(time_.systemTime()) - monotonicMs(time_));
}

ContactCenter::~ContactCenter() { stop(); }

void ContactCenter::start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { loop_.run(); });
  }
}

void ContactCenter::stop() {
  if (thread_.joinable()) {
    loop_.stop();
    thread_.join();
  }
}

template <class F>
auto ContactCenter::onLoop(F work) -> decltype(work()) {
  using R = decltype(work());
  std::promise<R> promise;
  auto answer = promise.get_future();
  loop_.post([this, &promise, &work] {
    promise.set_value(work());
    schedule();
  });
  return answer.get();
}

void ContactCenter::schedule() {
  if (timer_ != 0) {
    loop_.cancel(timer_);
    timer_ = 0;
  }
  auto next = engine_.nextDeadline();
  if (!next) {
    return;
  }
  auto delay = std::max(*next - time_.monotonicTime(), MonotonicTime::duration::zero());
  timer_ = loop_.postAfter(delay, [this] {
    timer_ = 0;
    engine_.advance();
    schedule();
  });
}

std::size_t ContactCenter::restoreFigures(const std::vector<acd::RoutingEvent>& log) {
  return onLoop([&] {
    const std::int64_t offset = figures_.wallClockOffsetMs();
    const std::int64_t now = monotonicMs(time_);
    std::size_t replayed = 0;
    for (const auto& stored : log) {
      acd::RoutingEvent event = stored;
      event.at_ms -= offset;
      if (event.at_ms > now) {
        continue;
      }
      figures_.record(event);
      ++replayed;
    }
    if (replayed > 0) {
      closeOpen(figures_.nowMs(), "site_restart");
    }
    return replayed;
  });
}

void ContactCenter::closeAll(const std::string& reason) {
  onLoop([&] {
    closeOpen(std::max(monotonicMs(time_), figures_.nowMs()), reason);
    return true;
  });
}

void ContactCenter::closeOpen(std::int64_t at_ms, const std::string& reason) {
  for (const auto& closing : figures_.closingEvents(at_ms, reason)) {
    figures_.record(closing);
    publish(closing);
  }
}

void ContactCenter::publish(const acd::RoutingEvent& event) const {
  if (sink_) {
    acd::RoutingEvent wall = event;
    wall.at_ms += figures_.wallClockOffsetMs();
    sink_(wall);
  }
}

void ContactCenter::onRoutingEvent(const acd::RoutingEvent& event) {
  figures_.record(event);
  call_routing_.onRoutingEvent(event, false);
  publish(event);
}

void ContactCenter::onConsultEvent(const acd::RoutingEvent& event) {
  call_routing_.onRoutingEvent(event, true);
}

void ContactCenter::setRoutedCalls(call::RoutedCalls* calls) {
  onLoop([&] {
    call_routing_.setCalls(calls);
    return true;
  });
}

Result<void> ContactCenter::addQueue(const acd::Queue& queue) {
  return onLoop([&] { return engine_.addQueue(acd::routingOf(queue)); });
}

Result<void> ContactCenter::updateQueue(const acd::Queue& queue) {
  return onLoop([&]() -> Result<void> {
    // The stored queue is the one source of its settings: none is kept from the engine's copy.
    if (!engine_.queueRouting(queue.id)) {
      return engine_.addQueue(acd::routingOf(queue));
    }
    return engine_.updateQueue(acd::routingOf(queue));
  });
}

Result<void> ContactCenter::removeQueue(const std::string& queue_id) {
  return onLoop([&] { return engine_.removeQueue(queue_id); });
}

Result<void> ContactCenter::updateAgentSkills(const std::string& agent_id,
                                              std::vector<acd::SkillLevel> skills) {
  return onLoop([&]() -> Result<void> {
    auto updated = engine_.updateAgentSkills(agent_id, std::move(skills));
    if (!updated && updated.error().code == ErrorCode::NotFound) {
      return {};  // not logged in: the stored skills apply at its next login
    }
    return updated;
  });
}

Result<void> ContactCenter::login(acd::AgentLogin login) {
  return onLoop([&] { return engine_.login(std::move(login)); });
}

Result<void> ContactCenter::logout(const std::string& agent_id) {
  return onLoop([&] { return engine_.logout(agent_id); });
}

Result<void> ContactCenter::setReady(const std::string& agent_id) {
  return onLoop([&] { return engine_.setReady(agent_id); });
}

Result<void> ContactCenter::setNotReady(const std::string& agent_id, const std::string& reason) {
  return onLoop([&] { return engine_.setNotReady(agent_id, reason); });
}

acd::AgentLive ContactCenter::agentLive(const std::string& agent_id) {
  return onLoop([&] { return figures_.agentLive(agent_id); });
}

ContactCenter::QueueStatus ContactCenter::queueStatus(const std::string& queue_id) {
  return onLoop([&] {
    constexpr std::int64_t Day = 24 * 3600 * 1000;
    auto now = toUnixMillis(time_.systemTime());
    auto midnight = now - now % Day;
    // The log's times are on the monotonic clock: shift "since midnight" onto it.
    auto mono_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        time_.monotonicTime().time_since_epoch())
                        .count();
    auto from = mono_now - (now - midnight);
    return QueueStatus{figures_.queueLive(queue_id),
                       figures_.queueFigures(queue_id, from, mono_now + 1),
                       engine_.staffing(queue_id)};
  });
}

std::vector<acd::IntervalFigures<acd::QueueFigures>> ContactCenter::queueIntervals(
    const std::string& queue_id, std::int64_t from_ms, std::int64_t to_ms, std::int64_t length_ms) {
  return onLoop([&] {
    const std::int64_t offset = figures_.wallClockOffsetMs();
    return shifted(figures_.queueIntervals(queue_id, from_ms - offset, to_ms - offset, length_ms),
                   offset);
  });
}

std::vector<acd::IntervalFigures<acd::AgentFigures>> ContactCenter::agentIntervals(
    const std::string& agent_id, std::int64_t from_ms, std::int64_t to_ms, std::int64_t length_ms) {
  return onLoop([&] {
    const std::int64_t offset = figures_.wallClockOffsetMs();
    return shifted(figures_.agentIntervals(agent_id, from_ms - offset, to_ms - offset, length_ms),
                   offset);
  });
}

}  // namespace kefu::interaction
