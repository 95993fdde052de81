#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "call/call_control.h"
#include "call/entry_point.h"
#include "core/event_loop.h"
#include "media/engine.h"
#include "sip/sip_stack.h"

namespace kefu::call::internal {

/** One SIP dialog of a call and its media session. */
struct Leg {
  enum class Role { Caller, Party, Consult };
  Role role = Role::Caller;
  sip::DialogId dialog = 0;
  media::SessionId session = 0;
  bool answered = false;
  std::string agent_id;     // set when the router reserved this agent (or a phone of an agent)
  std::string target;       // "extension:101", "number:555…"; empty for the caller
  bool via_router = false;  // rung by RoutedCalls::ringAgent: the router hears how it ends
  EventLoop::TimerId ring_timer = 0;
  std::uint64_t ring_id = 0;
  /** A session on the call's media thread that replaces `session` once the phone answers our
   *  re-INVITE (a leg moved here from another call by an attended transfer); 0 when none. */
  media::SessionId reanchor_session =
      0;                     // the ring (ringTarget call) it belongs to; forks share it
  bool alerted = false;      // a Ringing event was sent for it
  bool early_media = false;  // its 183's SDP was accepted and it is bridged with the caller
  bool outgoing = false;     // a caller leg we placed ourselves (a queued callback)
  /** An agent's browser softphone: no dialog; `session` is the agent's nailed-up WebRTC
   *  session, which the site owns and which outlives the call (call control only bridges it). */
  bool softphone = false;
};

/** One caller's call: its legs and what it is doing. Owned by CallControl, loop only. */
struct Call {
  std::string id;
  std::uint64_t seq = 0;  // media affinity and conference id
  CallState state = CallState::Ringing;
  std::string caller;
  std::string sip_call_id;  // the caller dialog's Call-ID (what a Replaces header names)
  std::string dialed;
  std::string entry_point_id;
  std::string queue_id;
  int priority = 0;
  Target target;
  Leg caller_leg;
  std::optional<Leg> party;
  std::optional<Leg> consult;
  std::vector<Leg> forks;       // the extension's other phones ringing beside `party`
  bool routed = false;          // the router knows the call: tell it how it ends
  bool consult_routed = false;  // the consultation goes through the router
  Target consult_target;
  std::string caller_answer_sdp;  // our 200's SDP (an offer when late_offer)
  bool late_offer = false;        // the INVITE had no SDP: the caller's answer comes in the ACK
  bool held = false;
  std::uint64_t music_play = 0;     // the MOH or greeting play now, 0 when none
  std::uint64_t greeting_play = 0;  // the greeting still playing (MOH follows it)
  std::uint64_t announcement_play = 0;
  bool recording = false;
  std::string recording_path;
  int recordings = 0;
  std::optional<media::QualityReport> quality;
  std::int64_t created_ms = 0;
  std::int64_t answered_ms = 0;
  std::string agent_id;  // the agent talking with the caller now, when there is one
  // Queued callback: where the customer is called back and how far it got.
  std::string callback_uri;
  bool callback_via_gateway = false;
  std::uint64_t callback_play = 0;        // the confirmation prompt playing, 0 when none
  EventLoop::TimerId callback_timer = 0;  // the customer's ring timeout
  // A supervisor's softphone monitoring the call (listen, whisper or barge) in its conference.
  media::SessionId monitor_session = 0;
  std::string monitor_user;
  std::uint64_t dtmf_seq = 0;  // keys sent by the API: later ones wait for earlier ones
  // The IVR (a Flow target): the prompt it plays now, 0 when none.
  std::uint64_t ivr_play = 0;
};

}  // namespace kefu::call::internal
