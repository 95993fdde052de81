#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_source.h"
#include "ivr/flow_session.h"

namespace kefu::ivr {

/** What the driver answers to an HTTP request. */
struct HttpAnswer {
  enum class Kind { Response, Failure, Timeout } kind = Kind::Failure;
  int status = 0;
  std::string body;  // the response body, or the failure's reason
};

/** What the driver answers to an intent classification. */
struct IntentAnswer {
  bool failed = false;
  std::string intent;
  double confidence = 0;
};

/** How the driver plays the host's part. */
struct DriverOptions {
  SessionOptions session;
  /** Answers data dips; empty: every request fails ("no HTTP stub"). */
  std::function<HttpAnswer(const HttpRequest&)> http;
  /** Classifies speech; empty: the intent whose name (underscores as spaces) the text contains. */
  std::function<IntentAnswer(const ClassifyIntent&)> nlu;
  /** Prompt files or texts that fail to play (as a missing file or a TTS error would). */
  std::vector<std::string> failing_prompts;
  /** Steps after which the driver stops, whatever the flow does. */
  int max_events = 10000;
};

/**
 * Runs a flow without a call: the host's part (prompts end at once, timers on simulated time,
 * HTTP and NLU through callbacks) for `kefu ivr try`, the unit tests and the bench. Inputs are
 * keys ("1", "#", "622848" for six keys), speech ("say:yes", "say:one two@0.4" with a confidence),
 * "wait" (the next timer fires), "fail-speech" (the recognizer fails) and "hangup". A key or speech
 * given while a barge-in prompt plays interrupts it; once the inputs are used up, timers fire until
 * the flow ends. Not thread-safe; one per run.
 */
class FlowDriver final : public FlowHost {
 public:
  FlowDriver(FlowPtr flow, SimulatedTime& time, const TimeZones& zones, DriverOptions options);

  /** Runs the flow to its end (or until the inputs and timers run out); @return the transcript. */
  std::vector<std::string> run(const std::vector<std::string>& given);

  /** @return the session, for its outcome and variables. */
  const FlowSession& session() const { return session_; }
  /** @return every action the session asked for, in order. */
  const std::vector<Action>& actions() const { return actions_; }
  /** @return the ids of the nodes entered, in order. */
  const std::vector<std::string>& path() const { return path_; }

  void perform(const Action& action) override;
  void onStep(const Node& node, std::string_view detail) override;

 private:
  bool handlePending();
  bool deliver(const std::string& input);
  bool fireTimer();

  SimulatedTime& time_;
  DriverOptions options_;
  FlowSession session_;
  std::vector<Action> actions_;
  std::vector<Action> pending_;  // performed, not yet handled
  std::vector<std::string> path_;
  std::vector<std::string> transcript_;
  std::optional<PlayPrompt> playing_;
  std::optional<StartListening> listening_;
  std::map<std::uint64_t, MonotonicTime> timers_;
};

/** @return inputs split at commas ("1,#,say:yes" → 1, #, say:yes), blanks trimmed. */
std::vector<std::string> splitInputs(std::string_view text);

}  // namespace kefu::ivr
