#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_source.h"
#include "ivr/action.h"
#include "ivr/flow.h"
#include "ivr/time_zone.h"

namespace kefu::ivr {

/** What a session starts with. */
struct SessionOptions {
  std::string caller;  // the `caller` variable
  std::string dialed;  // the `dialed` variable
  /** Where failures go when neither the node nor the flow names a fallback. */
  TransferTarget default_transfer{TransferKind::Queue, "general"};
  /** Nodes run back to back without waiting before the session gives up (a guard for flows built
   *  without validation; validated flows cannot loop without input). */
  int max_steps_without_wait = 100;
  /** Nodes entered in all before the session transfers (a caller stuck in menus gets a person). */
  int max_steps = 500;
};

/** How a session ended. */
struct SessionOutcome {
  Action action;  // Transfer, Voicemail, Callback or Hangup; nothing when the caller hung up
  bool caller_hung_up = false;
};

/**
 * One call's run through a flow: pure logic fed events, emitting actions to its host. It lives on
 * the control loop; every method runs there. It holds its flow, so a flow replaced meanwhile does
 * not change a call in progress. Every failure (timeout, HTTP error, recognizer error, bad data)
 * takes the node's fallback or the default transfer: the session never drops a caller.
 *
 * Each asynchronous action carries an id; an answer with an id the session no longer waits for
 * (a prompt stopped by barge-in, a cancelled timer, a late HTTP answer) is ignored.
 */
class FlowSession {
 public:
  FlowSession(FlowPtr flow, FlowHost& host, const TimeSource& time, const TimeZones& zones,
              SessionOptions options);

  /** Enters the start node. Call once. */
  void start();

  /** A key from the caller (RFC 4733 or in-band). */
  void onDigit(char digit);
  /** The prompt `id` finished playing. */
  void onPromptFinished(std::uint64_t id);
  /** The prompt `id` could not be played (missing file, TTS error). */
  void onPromptFailed(std::uint64_t id, std::string_view reason);
  /** The recognizer `id` heard `text` with `confidence` in [0, 1]. */
  void onSpeechResult(std::uint64_t id, std::string_view text, double confidence);
  /** The recognizer `id` failed (engine error); an empty result should be onSpeechResult("", 0). */
  void onSpeechFailed(std::uint64_t id, std::string_view reason);
  /** The timer `id` fired. */
  void onTimer(std::uint64_t id);
  /** The HTTP request `id` got an answer (any status). */
  void onHttpResult(std::uint64_t id, int status, std::string_view body);
  /** The HTTP request `id` failed (connection, TLS, DNS). */
  void onHttpFailed(std::uint64_t id, std::string_view reason);
  /** The NLU classified the text of request `id`. */
  void onIntentResult(std::uint64_t id, std::string_view intent, double confidence);
  /** The NLU failed for request `id`. */
  void onIntentFailed(std::uint64_t id, std::string_view reason);
  /** The caller hung up: the session stops, cancelling what it started. */
  void onCallerHangup();

  /** @return whether the flow ended (a terminal action was sent, or the caller hung up). */
  bool finished() const { return outcome_.has_value(); }
  /** @return how it ended; only when finished(). */
  const SessionOutcome& outcome() const { return *outcome_; }
  /** @return a variable's value, empty when unset. */
  std::string variable(const std::string& name) const;
  /** @return the node the session is in; empty when finished. */
  const std::string& currentNode() const { return node_id_; }
  /** @return nodes entered so far. */
  int steps() const { return steps_; }
  /** @return the flow this call runs on (its version stays for the call's life). */
  const Flow& flow() const { return *flow_; }

 private:
  enum class Wait { None, Prompt, Input, Http, Intent };

  // A next node id to enter, or nullopt when the session waits (or has finished).
  using Next = std::optional<std::string>;

  void run(Next next);
  Next execute(const Node& node);
  Next startAttempt(const Node& node);
  Next retry(bool no_input, std::string_view reason);
  Next keyIn(const Node& node, char key);
  Next finishCollect(const Node& node);
  Next speechIn(const Node& node, std::string_view text, double confidence);
  Next httpDone(const Node& node, int status, std::string_view body);
  Next evaluateHours(const Node& node);
  /** Takes the node's fallback, or ends with the default transfer; @return the fallback. */
  Next failTo(std::string_view reason);
  void finishTerminal(const Node& node);
  void finish(Action action);
  void stopInputs();
  void armTimer(std::chrono::milliseconds after);
  void playPrompt(const Node& node);
  TransferTarget defaultTarget() const;
  static bool takesKeys(const Node& node);
  static bool listens(const Node& node);

  /** @return `text` with ${name} replaced; in a URL, values after the start are %-encoded. */
  std::string interpolate(std::string_view text, bool url = false) const;
  std::uint64_t nextId() { return ++last_id_; }
  void perform(const Action& action) { host_.perform(action); }

  // Not owned; outlive this.
  FlowHost& host_;
  const TimeSource& time_;
  const TimeZones& zones_;

  FlowPtr flow_;
  SessionOptions options_;
  std::map<std::string, std::string> variables_;
  std::optional<SessionOutcome> outcome_;

  const Node* node_ = nullptr;
  std::string node_id_;
  Wait wait_ = Wait::None;
  int attempts_ = 0;  // of the current waiting node
  int steps_ = 0;
  std::string typeahead_;  // keys pressed during a prompt, for the next menu or collect
  std::string digits_;     // collect: the digits so far
  std::uint64_t last_id_ = 0;
  std::uint64_t prompt_id_ = 0;  // the prompt playing, 0 when none
  std::uint64_t listen_id_ = 0;
  std::uint64_t timer_id_ = 0;
  std::uint64_t request_id_ = 0;  // http or intent
};
using FlowSessionPtr = std::unique_ptr<FlowSession>;

}  // namespace kefu::ivr
