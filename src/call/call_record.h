#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::call {

/** What happened to a call, in order; each is published on the event stream as `call.<type>`. */
enum class CallEventType {
  Created,      // an INVITE was accepted for routing
  Ringing,      // a phone (agent, extension or number) is alerting
  Answered,     // a party answered: the caller and `agent_id` (or the far end) talk
  Held,         // the caller hears music on hold
  Resumed,      // back from hold
  Transferred,  // handed on to `target` (blind, or completed attended)
  ConsultStarted,
  Conferenced,  // caller, agent and the consulted party talk together
  RecordingStarted,
  RecordingStopped,
  Dtmf,   // `detail` is the digit, `cause` its source (rfc4733, inband, sip_info)
  Ended,  // `cause`: caller_hangup, agent_hangup, rejected, no_answer, busy, rtp_timeout, …
  CallbackRequested,  // the waiting caller asked to be called back (`target`: where to)
};

std::string_view toString(CallEventType type);
/** @return the type toString() names `text`, or nullopt. */
std::optional<CallEventType> parseCallEventType(std::string_view text);

/** Media quality as the engine measured it on the caller's leg. */
struct CallQuality {
  double mos = 0;  // ITU-T G.107 E-model
  double loss_pct = 0;
  double jitter_ms = 0;
  std::optional<double> round_trip_ms;
};

/** One call event; times are Unix milliseconds. */
struct CallEvent {
  CallEventType type = CallEventType::Created;
  std::int64_t at_ms = 0;
  std::string call_id;  // also the interaction id the ACD knows it by
  std::string caller;   // the From user part, as the trunk delivered it
  std::string dialed;   // the request URI's user part
  std::string entry_point_id;
  std::string queue_id;
  std::string agent_id;
  std::string target;  // Transferred / Ringing: "queue:<id>", "extension:<ext>", "number:<n>"
  std::string cause;   // Ended: why; Dtmf: source
  std::string detail;  // Dtmf: the digit; Recording*: the file
  std::optional<CallQuality> quality;  // Ended (and Answered when known)
};

/**
 * Stored call events (an append-only log; `store/` implements it). Blocks on storage: call from
 * the blocking pool. Thread-safe.
 */
class CallRecordRepository {
 public:
  virtual ~CallRecordRepository() = default;
  /** Appends one event. */
  virtual Result<void> append(const CallEvent& event) = 0;
  /** @return a call's events in order; empty when unknown. */
  virtual Result<std::vector<CallEvent>> eventsOf(std::string_view call_id) = 0;
  /** @return the calls whose Created event is in [from_ms, to_ms), each as its events in order,
   *  newest call first, at most `limit` calls. */
  virtual Result<std::vector<std::vector<CallEvent>>> calls(std::int64_t from_ms,
                                                            std::int64_t to_ms,
                                                            std::size_t limit) = 0;
  /** @return the calls of the caller whose phone token is `caller_token` (as the tokenizer gives
   *  it) created at or before `created_by_ms`, newest first by creation, at most `limit`, leaving
   *  out `except_call_id`; each as its events in order. Empty for an empty token. */
  virtual Result<std::vector<std::vector<CallEvent>>> callsOfCaller(std::string_view caller_token,
                                                                    std::string_view except_call_id,
                                                                    std::int64_t created_by_ms,
                                                                    std::size_t limit) = 0;
};

}  // namespace kefu::call
