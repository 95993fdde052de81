#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "ivr/flow.h"

namespace kefu::ivr {

/** Play a prompt file or speak a text; answer with FlowSession::onPromptFinished / Failed. */
struct PlayPrompt {
  std::uint64_t id = 0;
  std::string file;  // empty: speak `text` with TTS
  std::string text;
  std::string language;  // the call's language (en, zh …)
  std::string voice;     // the flow's TTS voice for that language (espeak-ng: en, cmn)
  bool barge_in = true;  // the caller's keys stop it (the session then sends StopPrompt)
};

/** Stop the prompt playing now (barge-in). No answer expected. */
struct StopPrompt {
  std::uint64_t id = 0;
};

/** Start the recognizer on the caller's audio; answer with onSpeechResult / onSpeechFailed. */
struct StartListening {
  std::uint64_t id = 0;
  std::string grammar;             // digits, yes_no, words, or free (an intent node)
  std::vector<std::string> words;  // the words grammar
  std::string language;
};

/** Stop the recognizer (input came by key, or the node was left). */
struct StopListening {
  std::uint64_t id = 0;
};

/** Fire onTimer(id) after `after`, unless cancelled. */
struct StartTimer {
  std::uint64_t id = 0;
  std::chrono::milliseconds after{0};
};
struct CancelTimer {
  std::uint64_t id = 0;
};

/** A data dip; answer with onHttpResult / onHttpFailed. The session runs its own timeout timer. */
struct HttpRequest {
  std::uint64_t id = 0;
  std::string method;
  std::string url;
  std::string body;
  std::chrono::milliseconds timeout{0};
};
/** The session gave up on the request (timeout or call left); drop its answer. */
struct CancelHttp {
  std::uint64_t id = 0;
};

/** Classify free speech through the NLU; answer with onIntentResult / onIntentFailed. */
struct ClassifyIntent {
  std::uint64_t id = 0;
  std::string text;
  std::string language;
};

// The ends of a flow: after one of these the session is finished and sends nothing more.

/** Transfer the caller to a queue, extension or number. `reason` says why, for reports. */
struct Transfer {
  TransferTarget target;
  std::string reason;  // empty when the flow chose it; otherwise the failure that led here
};
struct Voicemail {
  std::string mailbox;
};
struct Callback {
  std::string queue;
  std::string number;
};
struct Hangup {};

using Action =
    std::variant<PlayPrompt, StopPrompt, StartListening, StopListening, StartTimer, CancelTimer,
                 HttpRequest, CancelHttp, ClassifyIntent, Transfer, Voicemail, Callback, Hangup>;

/** @return the action in one line, as `kefu ivr try` prints it. */
std::string describe(const Action& action);

/** What a session asks its host (call control, or the text driver) to do. */
class FlowHost {
 public:
  virtual ~FlowHost() = default;
  /** Carries out one action; called on the control loop, must not call back into the session. */
  virtual void perform(const Action& action) = 0;
  /** Reports that the session entered a node, for logs and `kefu ivr try`; on the control loop. */
  virtual void onStep(const Node& /*node*/, std::string_view /*detail*/) {}
};

}  // namespace kefu::ivr
