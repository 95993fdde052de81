#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call/call_control.h"
#include "call/call_record.h"
#include "call/entry_point.h"
#include "core/result.h"

namespace kefu::api {

/** One registered phone, as the API shows it. */
struct RegistrationView {
  std::string extension;
  std::string contact;
  std::string transport;
  std::string source;
  std::string user_agent;
  std::int64_t registered_at_ms = 0;
  std::int64_t expires_at_ms = 0;
};

/** A call-control operation from the CTI API. */
struct CallAction {
  enum class Kind {
    HangUp,
    Hold,
    Resume,
    Transfer,         // blind, to `target`
    Consult,          // attended, step 1: ring `target` for the agent
    CompleteConsult,  // step 2: the caller talks to the consulted party
    CancelConsult,
    Conference,  // caller, agent and consulted party together
    StartRecording,
    PauseRecording,
    ResumeRecording,
    StopRecording,
    Answer,   // the ringing softphone of `agent_id` answers
    Decline,  // the ringing softphone of `agent_id` declines (the ACD tries another agent)
    Dtmf,     // `digits` are sent to the caller
    Monitor,  // the softphone of `agent_id` (a supervisor's key) joins with `mode`
  };
  Kind kind = Kind::HangUp;
  std::optional<call::Target> target;
  std::string agent_id;  // Answer, Decline: the agent; Monitor: the supervisor's softphone key
  std::string digits;    // Dtmf
  call::CallControl::MonitorMode mode = call::CallControl::MonitorMode::Listen;  // Monitor
};

/** A wrap-up's outcome as the agent records it. */
struct WrapUp {
  std::string call_id;
  std::string agent_id;
  std::string disposition;  // a code: 1-32 of a-z, 0-9, '_'
  std::string notes;
};

/**
 * The site's calls as the REST layer needs them; the site implements it over call control.
 * Every method blocks (it waits for the control loop): call it from the blocking pool.
 */
class CallService {
 public:
  virtual ~CallService() = default;
  /** @return false when the site runs without SIP (`sip.enabled: false`). */
  virtual bool available() const = 0;
  virtual std::vector<RegistrationView> registrations() = 0;
  virtual std::vector<call::CallSnapshot> calls() = 0;
  /** @return NotFound for an unknown (or ended) call. */
  virtual Result<call::CallSnapshot> call(std::string_view id) = 0;
  /** @return NotFound, Conflict (wrong state) or InvalidArgument (bad target). */
  virtual Result<void> act(std::string_view id, const CallAction& action) = 0;
  /** @return a call's stored events in order (ended calls too); NotFound when none. */
  virtual Result<std::vector<call::CallEvent>> history(std::string_view id) = 0;
  /** Entry points were created, changed or deleted in storage: call control reloads them. */
  virtual void entryPointsChanged() = 0;
  /** Stores a wrap-up's disposition and notes as the call's `wrap_up` record.
   *  @return NotFound when the call is unknown. */
  virtual Result<void> recordWrapUp(const WrapUp& wrap_up) {
    (void)wrap_up;
    return Error{ErrorCode::Unavailable, "wrap-ups are not stored on this site", {}};
  }
};

}  // namespace kefu::api
