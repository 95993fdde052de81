#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "acd/kpi.h"
#include "acd/routing_engine.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "core/time_source.h"
#include "interaction/call_routing.h"

namespace kefu::interaction {

/**
 * The site's live contact center: the routing engine and its figures, owned by the control loop
 * (one thread, no locks). Other threads call the public methods, which post the work to the loop
 * and wait for its answer: they block, so call them from the blocking pool, never from the loop.
 * Routing events go to the sink on the loop, in order (the site publishes them on the event bus).
 */
class ContactCenter final : private acd::RoutingEngine::Listener {
 public:
  /** Receives each routing event on the loop, in order, its time in wall-clock (Unix) ms. */
  using EventSink = std::function<void(const acd::RoutingEvent&)>;

  ContactCenter(const TimeSource& time, EventSink sink);
  /** Stops the control loop. */
  ~ContactCenter() override;
  ContactCenter(const ContactCenter&) = delete;
  ContactCenter& operator=(const ContactCenter&) = delete;

  /** Starts the control loop thread. */
  void start();
  /**
   * Rebuilds the figures from a stored routing log (wall-clock ms, in order), before the first
   * routing: replays it, then closes what it leaves open at its last event (the interactions and
   * agents' sessions the previous run lost: acd::FigureBook::closingEvents with reason
   * "site_restart"), sending those closing events to the sink so that they are stored too. Events
   * later than now (a clock set back) are skipped. @return how many events were replayed. Any
   * thread but the loop.
   */
  std::size_t restoreFigures(const std::vector<acd::RoutingEvent>& log);
  /** Stops the control loop after the work already posted. Idempotent. */
  void stop();
  /**
   * Ends, at now and with `reason`, every interaction and agent session the figures have open
   * (acd::FigureBook::closingEvents), sending the closing events to the sink: a stopping site
   * logs its agents out and loses its interactions. Any thread but the loop; before stop().
   */
  void closeAll(const std::string& reason);

  /**
   * Adds a stored queue to routing with all its settings (acd::routingOf); AlreadyExists for a
   * known one, InvalidArgument for a bad setting. Any thread but the loop.
   */
  Result<void> addQueue(const acd::Queue& queue);
  /**
   * Applies a stored queue's settings, every one of them, to routing at once (the waiting
   * interactions keep their place); a queue routing does not know yet is added. Any thread but
   * the loop.
   */
  Result<void> updateQueue(const acd::Queue& queue);
  /** Takes a queue out of routing; Conflict while interactions wait or ring in it. */
  Result<void> removeQueue(const std::string& queue_id);
  /** Applies an agent's new skills at once when it is logged in (else at its next login). */
  Result<void> updateAgentSkills(const std::string& agent_id, std::vector<acd::SkillLevel> skills);

  // An agent's session: log in with its stored skills, ready / not ready with a reason, log out.
  Result<void> login(acd::AgentLogin login);
  Result<void> logout(const std::string& agent_id);
  Result<void> setReady(const std::string& agent_id);
  Result<void> setNotReady(const std::string& agent_id, const std::string& reason);

  /** @return the agent's state as the routing log reports it. */
  acd::AgentLive agentLive(const std::string& agent_id);
  struct QueueStatus {
    acd::QueueLive live;
    acd::QueueFigures today;  // since the last UTC midnight on the loop's clock
    acd::QueueStaffing staffing;
  };
  QueueStatus queueStatus(const std::string& queue_id);

  /**
   * @return a queue's figures per interval of `length_ms`, the intervals starting on wall-clock
   * multiples of it and covering [from_ms, to_ms); every time in Unix ms. Any thread but the loop.
   */
  std::vector<acd::IntervalFigures<acd::QueueFigures>> queueIntervals(const std::string& queue_id,
                                                                      std::int64_t from_ms,
                                                                      std::int64_t to_ms,
                                                                      std::int64_t length_ms);
  /** @return an agent's figures per interval, as queueIntervals(). */
  std::vector<acd::IntervalFigures<acd::AgentFigures>> agentIntervals(const std::string& agent_id,
                                                                      std::int64_t from_ms,
                                                                      std::int64_t to_ms,
                                                                      std::int64_t length_ms);

  /** @return the control loop, where call control runs beside routing. */
  EventLoop& loop() { return loop_; }
  /** @return the ACD as call control's decision maker. Use on the loop only. */
  call::Router& callRouter() { return call_routing_; }
  /** Sends routing decisions for calls to `calls` (nullptr: stop). Any thread but the loop. */
  void setRoutedCalls(call::RoutedCalls* calls);

 private:
  void onRoutingEvent(const acd::RoutingEvent& event) override;
  void onConsultEvent(const acd::RoutingEvent& event) override;
  /** Records and publishes the events that close what the figures have open at `at_ms` (log
   *  ms). Loop only. */
  void closeOpen(std::int64_t at_ms, const std::string& reason);
  /** Sends an event of the log (monotonic ms) to the sink in wall-clock ms. Loop only. */
  void publish(const acd::RoutingEvent& event) const;
  /** Runs `work` on the loop and returns its result; any thread but the loop's. */
  template <class F>
  auto onLoop(F work) -> decltype(work());
  /** Arms the loop's timer for the engine's next deadline. Loop only. */
  void schedule();

  // not owned, outlives this
  const TimeSource& time_;
  // owned
  EventSink sink_;
  EventLoop loop_;
  acd::RoutingEngine engine_;
  acd::FigureBook figures_;
  CallRouting call_routing_;
  EventLoop::TimerId timer_ = 0;
  std::thread thread_;
};

}  // namespace kefu::interaction
