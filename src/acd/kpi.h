#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "acd/routing_event.h"

namespace kefu::acd {

/** How the figures are counted; the defaults are the industry's usual ones. */
struct FigureRules {
  std::int64_t short_abandon_ms = 5'000;           // abandoned within this: not counted against SL
  std::int64_t default_service_level_ms = 20'000;  // answered within this counts towards SL
  std::map<std::string, std::int64_t> service_level_ms_by_queue;  // queue id → threshold

  std::int64_t serviceLevelMs(const std::string& queue_id) const;
};

/**
 * One queue's figures over an interval. Counts are attributed to the interval holding the event
 * that settles them (an answer to the interval of Answered, a handled part to the interval in
 * which its talk ended, its wrap-up included).
 */
struct QueueFigures {
  std::uint64_t offered = 0;      // first entered this queue (Offered): once per interaction
  std::uint64_t overflow_in = 0;  // entered from another queue by overflow (Requeued)
  std::uint64_t transfer_in = 0;  // entered from an agent's transfer (Requeued)
  std::uint64_t answered = 0;     // answered live by an agent (callbacks are counted apart)
  std::uint64_t answered_within_threshold = 0;  // of those, within the queue's SL threshold
  std::uint64_t abandoned = 0;                  // all abandons, short ones included
  std::uint64_t short_abandoned = 0;            // within FigureRules::short_abandon_ms
  std::uint64_t overflowed = 0;  // left this queue for another queue or an external pool
  std::uint64_t callbacks_requested = 0;
  std::uint64_t callbacks_connected = 0;
  std::uint64_t transfers_out = 0;    // transferred away by an agent who answered it here
  std::uint64_t handled = 0;          // interactions whose handling here ended (once each)
  std::int64_t answered_wait_ms = 0;  // summed wait of `answered`
  std::int64_t callback_wait_ms = 0;  // summed wait (Offered/Requeued → CallbackConnected)
  std::int64_t talk_ms = 0;           // every agent's talk here, hold excluded
  std::int64_t hold_ms = 0;
  std::int64_t wrap_up_ms = 0;
  std::int64_t longest_wait_ms = 0;  // longest wait that ended, or was still running, in interval

  /** @return answered within threshold / (answered + abandoned beyond the short threshold). */
  std::optional<double> serviceLevel() const;
  /** @return abandoned beyond the short threshold / (entered − short abandoned). */
  std::optional<double> abandonRate() const;
  /** @return average wait of live answers (ASA), in ms; callbacks excluded. */
  std::optional<double> averageSpeedOfAnswerMs() const;
  /** @return (talk + hold + wrap-up) / handled, in ms. */
  std::optional<double> averageHandleMs() const;
  /** @return talk / handled, in ms. */
  std::optional<double> averageTalkMs() const;
  /** @return average wait until a callback connected, in ms. */
  std::optional<double> averageCallbackWaitMs() const;

  friend bool operator==(const QueueFigures&, const QueueFigures&) = default;
};

/** One agent's figures over an interval; each agent's part of a transferred interaction is theirs.
 */
struct AgentFigures {
  std::uint64_t reserved = 0;      // times the agent was alerted
  std::uint64_t no_answer = 0;     // alerts the agent let time out
  std::uint64_t answered = 0;      // interactions the agent took (after a transfer included)
  std::uint64_t transfers_in = 0;  // of those, handed straight to this agent by a transfer
  std::uint64_t transfers_out = 0;
  std::uint64_t handled = 0;  // parts the agent finished (talk ended)
  std::int64_t talk_ms = 0;   // hold excluded
  std::int64_t hold_ms = 0;
  std::int64_t wrap_up_ms = 0;
  std::int64_t staffed_ms = 0;  // in ready, reserved, busy or wrap-up, clipped to the interval
  std::int64_t not_ready_ms = 0;
  std::int64_t working_ms = 0;  // with at least one interaction in talk, hold or wrap-up

  /** @return working / staffed: the share of staffed time spent on interactions. */
  std::optional<double> occupancy() const;
  /** @return (talk + hold + wrap-up) / handled, in ms. */
  std::optional<double> averageHandleMs() const;
  /** @return talk / handled, in ms. */
  std::optional<double> averageTalkMs() const;

  friend bool operator==(const AgentFigures&, const AgentFigures&) = default;
};

/** A queue right now. */
struct QueueLive {
  std::size_t waiting = 0;  // in the queue, callbacks pending included
  std::size_t callbacks_pending = 0;
  std::int64_t longest_wait_ms = 0;  // of those waiting, at the last event's time
  friend bool operator==(const QueueLive&, const QueueLive&) = default;
};

/** An agent right now. */
struct AgentLive {
  AgentState state = AgentState::LoggedOut;
  std::string reason;
  std::int64_t since_ms = 0;
  std::size_t interactions = 0;  // in talk, hold or wrap-up
  friend bool operator==(const AgentLive&, const AgentLive&) = default;
};

/** Figures for one fixed interval: [start_ms, start_ms + length). */
template <class Figures>
struct IntervalFigures {
  std::int64_t start_ms = 0;
  Figures figures;
  friend bool operator==(const IntervalFigures&, const IntervalFigures&) = default;
};

/**
 * The contact-center figures (offered, answered, abandoned, service level, ASA, AHT, occupancy…)
 * per queue and per agent, computed from the routing event log one event at a time.
 *
 * Lives on the routing engine's loop (or a test's thread); not thread-safe. Events that make no
 * sense (an answer to an interaction never offered, a hold that never started, time running
 * backwards) are ignored and counted, never trusted. Memory grows with the log: each settled
 * figure keeps its time so that any interval can be asked for afterwards.
 */
class FigureBook {
 public:
  explicit FigureBook(FigureRules rules = {});

  /** Takes the next event of the log. */
  void record(const RoutingEvent& event);

  /** @return a queue's figures over [from_ms, to_ms); an unknown queue has all zeros. */
  QueueFigures queueFigures(const std::string& queue_id, std::int64_t from_ms,
                            std::int64_t to_ms) const;
  /** @return an agent's figures over [from_ms, to_ms). */
  AgentFigures agentFigures(const std::string& agent_id, std::int64_t from_ms,
                            std::int64_t to_ms) const;
  /**
   * Sets the wall clock of the log's times: wall-clock ms (since the Unix epoch) = log ms +
   * `offset_ms`. Intervals then start on wall-clock multiples of their length (a 15-minute
   * interval at :00, :15, :30 and :45 UTC) instead of multiples of the log's monotonic ms.
   */
  void setWallClockOffset(std::int64_t offset_ms) { wall_clock_offset_ms_ = offset_ms; }
  /** @return wall-clock ms − log ms (0 until setWallClockOffset()). */
  std::int64_t wallClockOffsetMs() const { return wall_clock_offset_ms_; }

  /**
   * @return a queue's figures per interval of `length_ms` covering [from_ms, to_ms), aligned on
   * wall-clock multiples of the length (see setWallClockOffset()); times in log ms.
   */
  std::vector<IntervalFigures<QueueFigures>> queueIntervals(const std::string& queue_id,
                                                            std::int64_t from_ms,
                                                            std::int64_t to_ms,
                                                            std::int64_t length_ms) const;
  /** @return an agent's figures per interval of `length_ms`, aligned as queueIntervals(). */
  std::vector<IntervalFigures<AgentFigures>> agentIntervals(const std::string& agent_id,
                                                            std::int64_t from_ms,
                                                            std::int64_t to_ms,
                                                            std::int64_t length_ms) const;

  /**
   * Drops what only intervals ending at or before `at_ms` need (settled figures, closed state
   * and work spans), so that a long-running book stays small; live state is kept. Figures asked
   * for before `at_ms` afterwards are incomplete.
   */
  void forgetBefore(std::int64_t at_ms);

  /**
   * @return the events that close everything the log leaves open at `at_ms`, for a site that
   * stopped and lost its interactions and agents' sessions: a waiting (or transfer-alerted)
   * interaction is Abandoned, a conversation Ended, every agent not logged out LoggedOut (which
   * ends their wrap-ups), each with `reason`. Recording them, in order, leaves nothing open.
   */
  std::vector<RoutingEvent> closingEvents(std::int64_t at_ms, const std::string& reason) const;

  /** @return the queue's waiting interactions and its current longest wait. */
  QueueLive queueLive(const std::string& queue_id) const;
  /** @return the agent's state and load as the log last reported it. */
  AgentLive agentLive(const std::string& agent_id) const;

  /** @return every queue and agent id the log has named, sorted. */
  std::vector<std::string> queueIds() const;
  std::vector<std::string> agentIds() const;

  /** @return the latest at_ms recorded: "now" for the live figures. */
  std::int64_t nowMs() const { return now_ms_; }
  /** @return how many events were recorded, nonsense included. */
  std::uint64_t recordedEvents() const { return recorded_; }
  /** @return how many events were ignored because they made no sense. */
  std::uint64_t ignoredEvents() const { return ignored_; }
  /** @return why the last ignored event was ignored (empty when none was). */
  const std::string& lastIgnoredReason() const { return last_ignored_reason_; }

  const FigureRules& rules() const { return rules_; }

 private:
  // What a settled figure adds to a queue: kept with its time so any interval can be summed.
  enum class QueueFactKind {
    Offered,
    OverflowIn,
    TransferIn,
    Answered,
    Abandoned,
    Overflowed,
    CallbackRequested,
    CallbackConnected,
    TransferOut,
    Handled,
    Talk,
    Hold,
    WrapUp,
  };
  struct QueueFact {
    QueueFactKind kind;
    std::int64_t at_ms;
    std::int64_t value_ms;  // a wait or a duration; 0 for plain counts
  };
  enum class AgentFactKind {
    Reserved,
    NoAnswer,
    Answered,
    TransferIn,
    TransferOut,
    Handled,
    Talk,
    Hold,
    WrapUp,
  };
  struct AgentFact {
    AgentFactKind kind;
    std::int64_t at_ms;
    std::int64_t value_ms;
  };
  struct Span {
    std::int64_t start_ms;
    std::int64_t end_ms;
  };
  struct StateSpan {
    AgentState state;
    std::int64_t start_ms;
    std::int64_t end_ms;
  };

  // One agent's part of one interaction, from Answered to WrapUpEnded.
  struct Part {
    std::string queue_id;  // the queue it was answered from, for the queue's figures
    std::int64_t answered_at_ms = 0;
    std::optional<std::int64_t> hold_since_ms;
    std::int64_t hold_ms = 0;
    std::optional<std::int64_t> talk_ended_at_ms;  // set once Transferred or Ended
    bool via_callback = false;  // started by CallbackConnected; an Answered may confirm it
  };

  struct Interaction {
    std::string queue_id;                          // the queue it is in, or was last in
    std::optional<std::int64_t> waiting_since_ms;  // set while it waits in queue_id
    bool callback_pending = false;
    bool handled_in_queue = false;         // a part already ended in queue_id: count it once
    bool transfer_pending = false;         // transferred; the next entry is a transfer
    bool callback_answer_pending = false;  // connected without an agent; Answered names one
    bool left_by_overflow = false;         // overflowed; may come back through Requeued
    bool ended = false;                    // Ended or Abandoned: only wrap-ups may follow
    std::map<std::string, Part> parts;     // by agent id
  };

  struct QueueBook {
    std::vector<QueueFact> facts;
  };
  struct AgentBook {
    std::vector<AgentFact> facts;
    std::vector<StateSpan> states;  // closed spans
    std::vector<Span> work;         // closed spans of talk or wrap-up, per interaction
    AgentState state = AgentState::LoggedOut;
    std::string reason;
    std::int64_t since_ms = 0;
    std::map<std::string, std::int64_t> working_since_ms;  // by interaction id: open work spans
    // Wrap-ups closed by a state change before their WrapUpEnded arrived: that event, if it
    // comes, is expected and changes nothing.
    std::set<std::string> wrapped_without_event;
  };

  void ignore(const RoutingEvent& event, std::string why);
  QueueBook& queue(const std::string& id);
  AgentBook& agent(const std::string& id);
  void addQueueFact(const std::string& queue_id, QueueFactKind kind, std::int64_t at_ms,
                    std::int64_t value_ms = 0);
  void addAgentFact(const std::string& agent_id, AgentFactKind kind, std::int64_t at_ms,
                    std::int64_t value_ms = 0);

  void onOffered(const RoutingEvent& e);
  void onRequeued(const RoutingEvent& e);
  void onReserved(const RoutingEvent& e);
  void onNoAnswer(const RoutingEvent& e);
  void onAnswered(const RoutingEvent& e);
  void onHold(const RoutingEvent& e, bool started);
  void onTalkEnded(const RoutingEvent& e);
  void onWrapUpEnded(const RoutingEvent& e);
  void onAbandoned(const RoutingEvent& e);
  void onOverflowed(const RoutingEvent& e);
  void onCallbackRequested(const RoutingEvent& e);
  void onCallbackConnected(const RoutingEvent& e);
  void onAgentStateChanged(const RoutingEvent& e);

  // Ends the wait in the queue the interaction is in; records nothing itself.
  std::int64_t endWait(Interaction& interaction, std::int64_t at_ms);
  void startPart(Interaction& interaction, const std::string& interaction_id,
                 const std::string& agent_id, std::int64_t at_ms);
  void endTalk(Interaction& interaction, const std::string& agent_id, Part& part,
               std::int64_t at_ms);
  void endWrapUp(const std::string& interaction_id, const std::string& agent_id, const Part& part,
                 std::int64_t at_ms);
  Part* talkingPart(Interaction& interaction, const std::string& agent_id);
  void forgetIfDone(const std::string& interaction_id);

  FigureRules rules_;
  std::map<std::string, QueueBook> queues_;
  std::map<std::string, AgentBook> agents_;
  std::unordered_map<std::string, Interaction> interactions_;
  std::int64_t now_ms_ = 0;
  std::int64_t wall_clock_offset_ms_ = 0;
  std::uint64_t recorded_ = 0;
  std::uint64_t ignored_ = 0;
  std::string last_ignored_reason_;
};

/** @return the figures a fresh book computes from `log`, replayed in order. */
FigureBook replay(std::span<const RoutingEvent> log, FigureRules rules = {});

/**
 * @return one line per figure on which `a` and `b` disagree over [from_ms, to_ms), for every
 * queue and agent either has seen (empty when they agree): what the engine's property test
 * asserts between the live book and one replayed from the log.
 */
std::vector<std::string> figureDifferences(const FigureBook& a, const FigureBook& b,
                                           std::int64_t from_ms, std::int64_t to_ms);

}  // namespace kefu::acd
