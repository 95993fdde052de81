#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acd/agent.h"
#include "acd/queue_routing.h"
#include "acd/routing_event.h"
#include "acd/timer_queue.h"
#include "core/result.h"
#include "core/time_source.h"

namespace kefu::acd {

/** What the engine needs to know about an interaction: nothing but routing inputs. */
struct InteractionRequest {
  std::string id;
  std::string queue_id;
  Channel channel = Channel::Voice;
  int priority = 0;         // higher is served first; FIFO within a priority
  std::string customer_id;  // for the sticky agent; empty when unknown
};

/** An agent logging in: its skills and what it can hold at once. */
struct AgentLogin {
  Agent agent;
  bool voice = true;       // can take one voice interaction
  int chat_capacity = -1;  // chats held at once; -1: the engine's default
};

/** The logged-in agents who qualify for a queue, at any stage of its relaxation. */
struct QueueStaffing {
  std::size_t staffed = 0;  // logged in and not in not_ready
  std::size_t ready = 0;    // of those, ready for a new interaction now
};

/** Where a waiting interaction stands, for announcements. */
struct WaitEstimate {
  std::size_t position = 0;  // 1: next
  std::int64_t estimated_wait_ms = 0;
};

/**
 * Skills-based routing of voice and chat interactions to agents (docs/acd.md). Pure logic: it
 * lives on the control loop, is not thread-safe, and moves with the TimeSource: the owner calls
 * advance() at nextDeadline() (a test after SimulatedTime::advance). Every public mutator first
 * runs the timers already due, so the event log is in time order.
 */
class RoutingEngine {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    /**
     * Called on the control loop for each event, in order, inside the engine call that caused it;
     * it must not call back into the engine (post the reaction instead).
     */
    virtual void onRoutingEvent(const RoutingEvent& event) = 0;
    /**
     * A consultation's Reserved and NoAnswer (an attended transfer through a queue): not part of
     * the customer's events or figures, but call control must ring that agent. Same rules.
     */
    virtual void onConsultEvent(const RoutingEvent& event) { (void)event; }
  };

  struct Options {
    int default_chat_capacity = 3;
    bool keep_event_log = false;           // eventLog() holds every event (tests)
    std::size_t handle_time_samples = 20;  // per queue, for the estimated wait
    std::int64_t default_handle_time_ms = 180'000;
  };

  RoutingEngine(const TimeSource& time, Options options, Listener* listener = nullptr);
  ~RoutingEngine();
  RoutingEngine(const RoutingEngine&) = delete;
  RoutingEngine& operator=(const RoutingEngine&) = delete;

  // Configuration.
  /** @return AlreadyExists for a known queue id, InvalidArgument for a bad setting. */
  [[nodiscard]] Result<void> addQueue(QueueRouting routing);
  /**
   * Applies a known queue's new settings at once: agents are re-matched against its skills,
   * waiting interactions re-staged against its relaxation and routed by its (new) strategy.
   * @return NotFound for an unknown queue id, InvalidArgument for a bad setting.
   */
  [[nodiscard]] Result<void> updateQueue(QueueRouting routing);
  /**
   * Takes a queue out of routing; interactions already answered from it finish normally.
   * @return NotFound for an unknown id, Conflict while interactions wait or ring in it.
   */
  [[nodiscard]] Result<void> removeQueue(std::string_view queue_id);
  /** @return a known queue's settings, nullopt for an unknown id. */
  std::optional<QueueRouting> queueRouting(std::string_view queue_id) const;
  /**
   * Replaces a logged-in agent's skills at once: its queues are re-matched and it takes what now
   * waits for it. @return NotFound when the agent is not logged in, InvalidArgument for a bad
   * level.
   */
  [[nodiscard]] Result<void> updateAgentSkills(std::string_view agent_id,
                                               std::vector<SkillLevel> skills);

  // Agents: logged_out → ready ⇄ not_ready(reason); reserved/busy/wrap_up come from the work.
  /** Logs in as Ready. @return Conflict when already logged in. */
  [[nodiscard]] Result<void> login(AgentLogin login);
  /** @return Conflict while the agent holds work (reserved, busy or in wrap-up). */
  [[nodiscard]] Result<void> logout(std::string_view agent_id);
  [[nodiscard]] Result<void> setReady(std::string_view agent_id);
  /** The agent finishes what it holds but gets nothing new. */
  [[nodiscard]] Result<void> setNotReady(std::string_view agent_id, std::string reason);

  // Interactions.
  /** Offered (or rejected with Conflict when the queue is full and no rule takes it). */
  [[nodiscard]] Result<void> offer(InteractionRequest request);
  /** The reserved agent took it. @return Conflict when `agent_id` is not ringing for it. */
  [[nodiscard]] Result<void> answer(std::string_view interaction_id, std::string_view agent_id);
  /**
   * The alerted agent cannot take it (its phone rejected the call, is unreachable or failed): the
   * agent becomes not ready with `reason` and, when nobody else rings for it, the interaction goes
   * back to the front of its queue (NoAnswer with `reason`). @return Conflict when `agent_id` is
   * not ringing for it.
   */
  [[nodiscard]] Result<void> decline(std::string_view interaction_id, std::string_view agent_id,
                                     std::string_view reason);
  /** The conversation ended; the agent's wrap-up starts. */
  [[nodiscard]] Result<void> end(std::string_view interaction_id);
  /** The customer left while waiting or ringing. */
  [[nodiscard]] Result<void> abandon(std::string_view interaction_id);
  [[nodiscard]] Result<void> hold(std::string_view interaction_id);
  [[nodiscard]] Result<void> unhold(std::string_view interaction_id);
  /** The customer hangs up keeping their place; an agent is reserved for them later. */
  [[nodiscard]] Result<void> requestCallback(std::string_view interaction_id);
  /** The callback reached the customer: the reserved agent is now talking. */
  [[nodiscard]] Result<void> callbackConnected(std::string_view interaction_id);
  /** The callback did not reach the customer: it ends as abandoned (reason callback_failed). */
  [[nodiscard]] Result<void> callbackFailed(std::string_view interaction_id);
  /** Blind transfer: talk ends for the agent (wrap-up) and it waits in `target_queue_id`. */
  [[nodiscard]] Result<void> transfer(std::string_view interaction_id,
                                      std::string_view target_queue_id);
  /** Attended transfer, step 1: route a consultation through `target_queue_id`. */
  [[nodiscard]] Result<void> startConsult(std::string_view interaction_id,
                                          std::string_view target_queue_id);
  /** Step 2: the consulted agent takes the interaction; the first one goes to wrap-up. */
  [[nodiscard]] Result<void> completeConsult(std::string_view interaction_id);
  /** Or: the consultation is dropped; the first agent keeps the customer. */
  [[nodiscard]] Result<void> cancelConsult(std::string_view interaction_id);

  // Time.
  /** Runs every timer due at the TimeSource's now (ring timeouts, wrap-ups, relaxation…). */
  void advance();
  /** @return when advance() has something to do next; nullopt when nothing is scheduled. */
  std::optional<MonotonicTime> nextDeadline() const;

  // Queries.
  /** @return the position and estimated wait of a waiting interaction. */
  [[nodiscard]] Result<WaitEstimate> estimate(std::string_view interaction_id) const;
  std::optional<AgentState> agentState(std::string_view agent_id) const;
  std::size_t waitingCount(std::string_view queue_id) const;
  /** @return who can serve a queue now; all zeros for an unknown queue. */
  QueueStaffing staffing(std::string_view queue_id) const;
  std::size_t liveInteractionCount() const { return ids_.size(); }
  const std::vector<RoutingEvent>& eventLog() const { return log_; }
  void clearEventLogForTest() { log_.clear(); }
  /** @return an empty string when every internal invariant holds, else what broke. */
  std::string checkInvariantsForTest() const;

 private:
  using Slot = std::uint32_t;
  static constexpr Slot NoSlot = UINT32_MAX;

  struct AgentKey {
    std::int64_t k0 = 0, k1 = 0, k2 = 0;
    Slot agent = NoSlot;
    auto operator<=>(const AgentKey&) const =
        default;  // NOLINT(modernize-use-nullptr): clang-tidy bug
  };
  struct WaitKey {
    int neg_priority = 0;
    std::int64_t seq = 0;
    Slot ix = NoSlot;
    auto operator<=>(const WaitKey&) const =
        default;  // NOLINT(modernize-use-nullptr): clang-tidy bug
  };
  enum class WorkPhase { Ringing, Talking, WrapUp };
  struct Work {
    Slot ix = NoSlot;  // NoSlot once the interaction went on (wrap-up after a transfer)
    std::string interaction_id;
    Channel channel = Channel::Voice;
    Slot queue = NoSlot;
    WorkPhase phase = WorkPhase::Ringing;
    std::uint64_t token = 0;
    std::int64_t talk_started_ms = 0;
    std::int64_t talk_ms = 0;
    bool consult = false;  // a consultation's work: not part of the customer's event stream
  };
  struct Membership {
    Slot queue = NoSlot;
    int first_stage = 0;
    int score = 0;
  };
  struct AgentRt {
    std::string id;
    std::vector<SkillLevel> skills;
    bool voice = true;
    int chat_capacity = 0;
    bool logged_in = false;
    bool ready = false;
    std::string reason;
    AgentState shown = AgentState::LoggedOut;
    std::string shown_reason;
    std::vector<Work> work;
    std::int64_t idle_since_ms = 0;
    std::int64_t handled = 0;
    std::vector<Membership> memberships;
    bool indexed[2] = {false, false};
    std::int64_t snap_idle = 0, snap_load = 0, snap_handled = 0;
    std::vector<Slot> sticky_waiters;
  };
  enum class Phase { Waiting, Sticky, Ringing, Talking };
  struct InteractionRt {
    bool live = false;
    std::string id;
    Channel channel = Channel::Voice;
    int priority = 0;
    std::string customer;
    Slot queue = NoSlot;
    Phase phase = Phase::Waiting;
    int stage = 0;
    std::int64_t enqueued_ms = 0;
    WaitKey key;
    bool callback = false;
    bool held = false;
    std::vector<Slot> ringing;
    Slot agent = NoSlot;
    std::uint64_t queue_gen = 0;
    std::uint64_t ring_gen = 0;
    Slot sticky_agent = NoSlot;
    Slot consult = NoSlot;     // on the customer's interaction: its consultation
    Slot consult_of = NoSlot;  // on a consultation: the customer's interaction
  };
  struct QueueRt {
    QueueRouting cfg;
    int stages = 1;
    std::vector<std::set<AgentKey>> agents;  // [stage * 2 + channel]: first_stage == stage
    std::vector<std::set<WaitKey>> waiting;  // [stage * 2 + channel]
    std::size_t size = 0;                    // waiting, sticky included
    std::int64_t rr_cursor = -1;
    std::deque<std::int64_t> handle_ms;
    std::int64_t first_wait_rule_ms = 0;  // 0: none
    std::string first_wait_rule_target;
    bool removed = false;  // removeQueue(): its slot stays for the work still referring to it
  };
  enum class TimerKind { Relax, WaitOverflow, StickyEnd, RingTimeout, WrapUpEnd };
  struct Timer {
    std::int64_t at_ms = 0;
    TimerKind kind = TimerKind::Relax;
    Slot slot = NoSlot;
    std::uint64_t gen = 0;  // the interaction's queue/ring generation, or a wrap-up's token
  };

  /** What every public call starts with: the timers due now have run; `ix` is the one named. */
  struct Call {
    std::int64_t at = 0;
    Slot ix = NoSlot;
  };
  static Error conflict(std::string message);
  /** Runs the timers already due. @return now, in ms. */
  std::int64_t catchUp();
  /** catchUp(), then finds a customer's interaction. @return NotFound naming it when unknown. */
  Result<Call> dueInteraction(std::string_view interaction_id);

  /** Applies `routing` to a queue's runtime (stages, sets, wait rule); the sets are emptied. */
  static void configure(QueueRt& q, QueueRouting routing);
  std::int64_t nowMs() const;
  void runDue(std::int64_t now);
  void schedule(std::int64_t at, TimerKind kind, Slot slot, std::uint64_t gen);
  void onTimer(const Timer& timer);
  void emit(RoutingEventType type, std::int64_t at, const std::string& interaction_id, Slot queue,
            Slot agent, Channel channel, std::string_view target = {},
            std::string_view reason = {});
  void emitFor(RoutingEventType type, std::int64_t at, Slot ix, Slot agent,
               std::string_view target = {}, std::string_view reason = {});
  void emitAgentState(Slot a, std::int64_t at);

  Slot findInteraction(std::string_view id) const;
  Slot findAgent(std::string_view id) const;
  Slot findQueue(std::string_view id) const;
  Slot newInteraction();
  void freeInteraction(Slot ix);

  static int channelIndex(Channel ch) { return ch == Channel::Voice ? 0 : 1; }
  bool routable(const AgentRt& a, Channel ch) const;
  void computeMemberships(Slot a);
  /** Records the first relaxation stage at which agent `a` qualifies for queue `q`, if any. */
  void addMembership(Slot a, Slot q);
  AgentKey agentKey(const QueueRt& q, Slot a, const Membership& m, Channel ch) const;
  void unindex(Slot a);
  void index(Slot a);
  /** After any change to an agent: state event, routing, index. */
  void agentChanged(Slot a, std::int64_t at);

  int stageAt(const QueueRt& q, std::int64_t waited_ms) const;
  void enqueue(Slot ix, Slot q, std::int64_t at, bool allow_sticky);
  void insertWaiting(Slot ix, std::int64_t at);
  void removeWaiting(Slot ix);
  void routeInteraction(Slot ix, std::int64_t at);
  void routeAgent(Slot a, std::int64_t at);
  std::vector<Slot> pickAgents(Slot ix);
  void reserve(Slot ix, const std::vector<Slot>& agents, std::int64_t at);
  /** Frees the agents ringing for `ix` but `except`; `type` (NoAnswer) is reported when set. */
  void releaseRinging(Slot ix, Slot except, std::int64_t at, std::optional<RoutingEventType> type,
                      std::string_view reason, bool no_answer_penalty);
  /** `a`, alerted for `ix`, starts talking (reported as `type`) and becomes the customer's last
   * agent. */
  void startTalking(Slot ix, Slot a, std::int64_t at, RoutingEventType type);
  Work* workOf(Slot a, Slot ix);
  void removeWork(Slot a, Slot ix);
  /** `report_end`: false after a Transferred, which already ended the talk. */
  void startWrapUp(Slot a, Slot ix, std::int64_t at, bool report_end = true);
  void endWrapUp(Slot a, std::uint64_t token, std::int64_t at);
  void moveToQueue(Slot ix, Slot q, std::int64_t at, std::string_view reason);
  void overflow(Slot ix, const std::string& target, std::int64_t at, std::string_view reason);
  void requeueFront(Slot ix, std::int64_t at);
  void failCallback(Slot ix, std::int64_t at);
  AgentState computedState(const AgentRt& a) const;
  bool memberOf(const AgentRt& a, Slot q) const;
  bool leaveWaiting(Slot ix);
  void dropConsult(Slot primary, std::int64_t at);

  // Not owned, outlive this.
  const TimeSource& time_;
  Listener* listener_;
  // Owned.
  Options options_;
  std::vector<AgentRt> agents_;
  std::vector<QueueRt> queues_;
  std::vector<InteractionRt> interactions_;
  std::vector<Slot> free_slots_;
  std::unordered_map<std::string, Slot> agent_ids_;
  std::unordered_map<std::string, Slot> queue_ids_;
  std::unordered_map<std::string, Slot> ids_;         // customers' interactions (not consultations)
  std::unordered_map<std::string, Slot> last_agent_;  // customer → agent who last served them
  TimerQueue<Timer> timers_;
  std::uint64_t next_gen_ = 1;
  std::int64_t next_seq_ = 1;
  std::int64_t front_seq_ = 0;
  std::vector<RoutingEvent> log_;
  RoutingEvent scratch_;
};

using RoutingEnginePtr = std::unique_ptr<RoutingEngine>;

}  // namespace kefu::acd
