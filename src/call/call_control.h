#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call/agent_directory.h"
#include "call/call_record.h"
#include "call/entry_point.h"
#include "call/ivr.h"
#include "call/router.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "core/time_source.h"
#include "media/engine.h"
#include "sip/digest.h"
#include "sip/sip_stack.h"

namespace kefu::call {

/** Why a call ended; a small fixed set so that /metrics can count each. */
enum class EndCause {
  CallerHangup,
  AgentHangup,  // the party the caller talked to (agent, extension, number) hung up
  Cancelled,    // the caller sent CANCEL before being answered
  NoAnswer,
  Busy,
  Rejected,
  Unreachable,  // nobody to ring (no registered phone, the gateway failed)
  RtpTimeout,
  QueueFull,
  QueueNotFound,
  AnnouncementDone,
  RoutingEnded,  // the router gave the call up (its reason is in the event's detail)
  ApiHangup,
  Failed,          // a media or signalling error on our side
  Transferred,     // a phone's attended transfer (REFER with Replaces) joined its party to another
                   // call and released the rest of this one
  CallbackFailed,  // a queued callback did not reach the customer (or its agent)
  IvrEnded,        // the IVR flow ended the call (hang-up node, voicemail done, callback taken)
};
inline constexpr std::size_t EndCauseCount = 17;

std::string_view toString(EndCause cause);

/** A bridged SIP gateway for Number targets. */
struct GatewayConfig {
  std::string uri;  // host[:port]
  std::string auth_user;
  std::string auth_password;
};

/** A SIP trunk calls may come from: known by its source addresses, or by digest credentials
 *  its INVITEs answer our 407 challenge with (both may be set; either admits a call). */
struct TrunkConfig {
  std::string id;
  std::vector<std::string> source_hosts;  // addresses as IncomingInvite::source_host gives them
  std::string auth_user;                  // empty: the trunk is known by address only
  std::string auth_password;
};

/** Loads a prompt file; the default reads a WAV (media::loadWav). */
using PromptLoader = std::function<Result<media::PromptPtr>(const std::string& path)>;

/** How call control behaves; see docs/call.md. */
struct CallControlConfig {
  std::size_t max_calls = 1000;  // beyond it new INVITEs get 503 with Retry-After
  int retry_after_s = 5;
  std::chrono::milliseconds ring_timeout{30000};  // extension and number targets
  std::string sip_host = "kefu.local";            // our host in From URIs
  GatewayConfig gateway;
  std::vector<TrunkConfig> trunks;  // empty: every source may call
  std::string realm = "kefu";       // the digest realm trunks are challenged in
  std::string music_on_hold;        // a prompt file; empty: silence on hold
  std::string recording_dir = ".";
  bool record_calls = false;
  /** How long an ended call waits for its caller leg's final quality report before Ended. */
  std::chrono::milliseconds final_quality_wait{1000};
  PromptLoader prompt_loader;  // empty: media::loadWav
  /** The key a caller waiting in a queue presses to be called back keeping their place; '\0'
   *  turns the offer off. */
  char callback_key = '*';
  /** A prompt played to confirm the callback before the caller's leg is released; empty: none. */
  std::string callback_confirmation;
  /** Where a Flow call goes when the IVR is missing or fails to start it (ivr.default_queue);
   *  empty: such a call ends (cause failed). */
  std::string ivr_default_queue;
};

/** Figures for /metrics; atomics, read from any thread. */
struct CallControlCounters {
  std::atomic<std::int64_t> calls_active{0};
  std::atomic<std::uint64_t> calls_total{0};  // INVITEs accepted (Created events)
  std::atomic<std::uint64_t> rejected_overload{0};
  std::atomic<std::uint64_t> rejected_forbidden{0};
  std::atomic<std::uint64_t> challenged{0};  // INVITEs answered 407 (a digest trunk's first try)
  std::atomic<std::uint64_t> rejected_not_found{0};
  std::atomic<std::uint64_t> rejected_bad_sdp{0};
  std::atomic<std::int64_t> legs_active{0};            // SIP dialogs call control holds
  std::atomic<std::int64_t> media_sessions_active{0};  // media sessions call control owns
  std::array<std::atomic<std::uint64_t>, EndCauseCount> ended{};  // by EndCause
};

/** What a call is doing now. */
enum class CallState {
  Ringing,          // a target rings for the caller (extension, number, transfer)
  Queued,           // waiting for an agent (music on hold; an agent's phone may be ringing)
  Talking,          // bridged with its party
  Held,             // the caller hears music on hold
  Consulting,       // the caller is on hold while the agent talks to (or rings) a third party
  Conferenced,      // three parties in one conference
  Announcing,       // an announcement plays
  CallbackPending,  // the caller hung up keeping their place; they are called back once an
                    // agent is reserved and answers
  InIvr,            // answered and in an IVR flow (a Flow target): its keys go to the IVR
};
std::string_view toString(CallState state);

/** One leg as the API shows it. */
struct LegSnapshot {
  std::string role;  // caller, party, consult
  sip::DialogId dialog = 0;
  media::SessionId session = 0;
  bool answered = false;
  std::string agent_id;
  std::string target;
};

/** One call as the API shows it. */
struct CallSnapshot {
  std::string id;
  CallState state = CallState::Ringing;
  std::string caller;
  std::string dialed;
  std::string entry_point_id;
  std::string queue_id;
  std::string agent_id;
  std::string target;
  std::int64_t created_at_ms = 0;
  std::int64_t answered_at_ms = 0;  // 0 until a party answered
  bool recording = false;
  std::vector<LegSnapshot> legs;
};

namespace internal {
struct Call;
struct Leg;
}  // namespace internal

/**
 * Kefu's call control (a B2BUA): it answers INVITEs from trunks and phones, routes them to queues
 * (through the Router), extensions, numbers or announcements, rings and bridges the legs, and
 * does hold, transfers, consultations, conferences and recording. It lives on the control loop:
 * every method not marked otherwise runs there. The SIP and media listener methods run on their
 * threads, copy their values and post to the loop.
 *
 * Lifetime: the owner clears the SIP call listener (sip.setCallListener(nullptr)), stops the
 * media engine (or stops forwarding its events) and stops the loop before destroying it; tasks
 * already posted then never run.
 */
class CallControl final : public sip::SipCallListener,
                          public media::MediaEngineListener,
                          public RoutedCalls,
                          public IvrCalls {
 public:
  using EventSink = std::function<void(const CallEvent&)>;

  /** Builds call control; any thread. Everything passed by reference outlives it. */
  CallControl(EventLoop& loop, const TimeSource& time, sip::SipStack& sip,
              media::MediaEngine& media, Router& router, AgentDirectory& agents, EventSink events,
              CallControlConfig config);
  ~CallControl() override;
  CallControl(const CallControl&) = delete;
  CallControl& operator=(const CallControl&) = delete;

  /** Sets the IVR that runs Flow targets (nullptr: none; Flow calls go to the default queue).
   *  Loop. */
  void setIvr(Ivr* ivr) { ivr_ = ivr; }
  /** Changes where Flow calls go when the IVR cannot take them (a queue id). Loop. */
  void setIvrDefaultQueue(std::string queue_id) { config_.ivr_default_queue = std::move(queue_id); }
  /** Replaces the entry points (the site swaps them when they change). Loop. */
  void setEntryPoints(std::vector<EntryPoint> entry_points);

  /** @return every call now. Loop. */
  std::vector<CallSnapshot> calls() const;
  /** @return one call, or NotFound. Loop. */
  Result<CallSnapshot> call(std::string_view call_id) const;
  /** Releases every leg of the call (cause api_hangup). @return NotFound. Loop. */
  Result<void> hangUp(std::string_view call_id);
  /** Puts the caller on hold with music (true) or back with its party (false).
   *  @return NotFound, or Conflict when the call is not talking (or not held). Loop. */
  Result<void> hold(std::string_view call_id, bool held);
  /** Hands the caller to `target`, releasing the current party. @return NotFound, Conflict,
   *  InvalidArgument for a bad target, or the router's error for a queue. Loop. */
  Result<void> blindTransfer(std::string_view call_id, const Target& target);
  /** Puts the caller on hold and rings `target` for the party. Loop. */
  Result<void> startConsult(std::string_view call_id, const Target& target);
  /** Bridges the caller with the consulted party and releases the first one. Loop. */
  Result<void> completeConsult(std::string_view call_id);
  /** Drops the consultation; the caller talks to the first party again. Loop. */
  Result<void> cancelConsult(std::string_view call_id);
  /** Joins caller, party and the answered consulted party in one conference. Loop. */
  Result<void> conference(std::string_view call_id);
  /** Starts recording the call (caller left, party right); @return the engine's error. Loop. */
  Result<void> startRecording(std::string_view call_id);
  /** Pauses (true) or resumes (false) the call's recording. Loop. */
  Result<void> pauseRecording(std::string_view call_id, bool paused);
  /** Stops the call's recording. Loop. */
  Result<void> stopRecording(std::string_view call_id);

  // Browser softphones (call_control_softphone.cc).
  /** The agent answers the call ringing on its softphone: the caller is bridged with it.
   *  @return NotFound, or Conflict when nothing rings for that agent. Loop. */
  Result<void> answerSoftphone(std::string_view call_id, std::string_view agent_id);
  /** The agent declines the call ringing on its softphone (the router tries another agent).
   *  @return NotFound, or Conflict when nothing rings for that agent. Loop. */
  Result<void> declineSoftphone(std::string_view call_id, std::string_view agent_id);
  /** Sends `digits` (0-9, *, #, A-D) to the caller as DTMF, one every 200 ms.
   *  @return NotFound, InvalidArgument for another key, Conflict before the caller is answered.
   *  Loop. */
  Result<void> sendDigits(std::string_view call_id, std::string_view digits);
  /** How a supervisor takes part in a call. */
  enum class MonitorMode { Listen, Whisper, Barge };
  /** Joins the softphone of `supervisor` (its softphoneOf key) to the call's conference: listen
   *  (hears both), whisper (heard by the agent only) or barge (heard by both). Again with another
   *  mode changes the role. @return NotFound, Conflict (the call is not talking to an agent, or
   *  the supervisor's softphone is not connected). Loop. */
  Result<void> monitor(std::string_view call_id, std::string_view supervisor, MonitorMode mode);
  /** @return an Agent target as the leg call control rings for it: the agent's extension (its
   *  softphone rings when connected); InvalidArgument for an unknown agent. Other targets as
   *  they are. Loop. */
  Result<Target> resolveAgentTarget(const Target& target) const;

  /** @return the counters; any thread. */
  const CallControlCounters& counters() const { return counters_; }

  // sip::SipCallListener (SIP thread: posts to the loop).
  void onIncomingInvite(const sip::IncomingInvite& invite) override;
  void onDialogEvent(const sip::DialogEvent& event) override;

  // media::MediaEngineListener (media threads: posts to the loop).
  void onDtmf(media::SessionId session, char digit, media::DtmfSource source) override;
  void onPlayFinished(media::SessionId session, uint64_t play_id) override;
  void onQuality(media::SessionId session, const media::QualityReport& report) override;
  void onRtpTimeout(media::SessionId session) override;
  void onSecureTransport(media::SessionId session, bool ok, std::string_view reason) override;

  // RoutedCalls (loop).
  void ringAgent(std::string_view call_id, std::string_view agent_id, bool consult) override;
  void stopRingingAgent(std::string_view call_id, std::string_view agent_id,
                        std::string_view reason) override;
  void routingEnded(std::string_view call_id, std::string_view reason,
                    std::string_view target) override;

  // IvrCalls (loop; call_control_ivr.cc).
  Result<std::uint64_t> playToCaller(std::string_view call_id, PromptPtr prompt) override;
  void stopCallerPlay(std::string_view call_id) override;
  Result<void> setCallerTap(std::string_view call_id,
                            std::shared_ptr<CallerAudioSink> sink) override;
  Result<void> recordCaller(std::string_view call_id, const std::string& path) override;
  Result<void> ivrTransfer(std::string_view call_id, const Target& target,
                           std::string_view reason) override;
  Result<void> ivrCallback(std::string_view call_id, std::string_view queue,
                           std::string_view number) override;
  Result<void> ivrHangup(std::string_view call_id) override;

 private:
  using Call = internal::Call;
  using Leg = internal::Leg;

  // Incoming side (call_control.cc).
  void handleInvite(const sip::IncomingInvite& invite);
  void handleDialogEvent(const sip::DialogEvent& event);
  void handleCallerEvent(Call& call, const sip::DialogEvent& event);
  /** Whether an INVITE may come in: from a trunk's address, a registered phone, or a digest
   *  trunk whose Proxy-Authorization is right; Challenge (stale or not) asks for credentials. */
  enum class Admission { Trusted, Challenge, ChallengeStale, Forbidden };
  Admission admission(const sip::IncomingInvite& invite) const;
  void startTarget(Call& call, const std::string& greeting);
  void startAnnouncement(Call& call, const std::string& path);
  void handleRtpTimeout(media::SessionId session);
  void handlePlayFinished(media::SessionId session, uint64_t play_id);
  void handleQuality(media::SessionId session, const media::QualityReport& report);
  void handleDtmf(media::SessionId session, char digit, std::string_view source);

  // IVR (call_control_ivr.cc).
  /** Hands the answered caller to the IVR (or the default queue when it cannot take it). */
  void startIvr(Call& call);
  /** The IVR could not take or keep the call: the default queue, or the end (cause failed). */
  void ivrFallback(Call& call, std::string_view reason);
  /** Routes a key of a caller in the IVR there; @return false when the call is not in it. */
  bool ivrDigit(Call& call, char digit);
  /** Tells the IVR that a call in it ends. */
  void ivrCallerGone(Call& call);
  /** @return the call in the IVR, NotFound or Conflict. */
  Result<Call*> ivrCall(std::string_view call_id);
  /** Queues the caller in `queue_id` as the IVR asked; @return the router's refusal. */
  Result<void> ivrEnqueue(Call& call, const std::string& queue_id);

  // Queued callback (call_control_callback.cc).
  void setCallbackUri(Call& call, const sip::IncomingInvite& invite) const;
  bool maybeRequestCallback(Call& call, char digit);
  void releaseCallerForCallback(Call& call);
  void callbackAgentAnswered(Call& call);
  void handleCallbackCustomerEvent(Call& call, const sip::DialogEvent& event);
  void connectCallback(Call& call, const std::string& sdp);
  void failCallback(Call& call, EndCause cause);

  // Outgoing legs (call_control_legs.cc).
  enum class LegRole { Party, Consult };
  bool ringTarget(Call& call, const Target& target, LegRole role, std::string agent_id,
                  bool via_router);
  void handleLegEvent(Call& call, Leg& leg, const sip::DialogEvent& event);
  void legAnswered(Call& call, Leg& leg, const std::string& sdp);
  void earlyMedia(Call& call, Leg& leg, const std::string& sdp);
  void legFailed(Call& call, Leg& leg, EndCause cause, bool send_hangup);
  void legHungUp(Call& call, Leg& leg, EndCause cause);
  void leaveConference(Call& call, Leg& leg, EndCause cause);
  Result<void> transferTo(Call& call, const Target& target, sip::DialogId refer_dialog);
  void ringTimedOut(const std::string& call_id, std::uint64_t ring_id);
  void releaseForks(Call& call);
  bool forkEvent(Call& call, const sip::DialogEvent& event);
  void handleReinvite(Call& call, Leg* leg, const sip::DialogEvent& event);
  void handleRefer(Call& call, Leg& leg, const sip::DialogEvent& event);
  void handleReplacesRefer(Call& call, Leg& leg, const sip::DialogEvent& event);
  void reanchorAnswered(Call& call, Leg& leg, const sip::DialogEvent& event);
  bool ringSoftphone(Call& call, const Target& target, LegRole role, const std::string& agent_id,
                     bool via_router, media::SessionId session);
  /** @return the call and its leg ringing on `agent_id`'s softphone; NotFound or Conflict. */
  Result<std::pair<Call*, Leg*>> ringingSoftphone(std::string_view call_id,
                                                  std::string_view agent_id);
  void sendNextDigit(const std::string& call_id, std::uint64_t dtmf_seq, std::string digits);

  // Shared helpers (call_control_legs.cc).
  Call* findCall(std::string_view call_id);
  const Call* findCall(std::string_view call_id) const;
  Call* callOfDialog(sip::DialogId dialog);
  Call* callOfSession(media::SessionId session);
  Leg* legOfDialog(Call& call, sip::DialogId dialog);
  void releaseLeg(Call& call, Leg& leg, bool send_hangup);
  void endCall(Call& call, EndCause cause, std::string detail = {});
  void finishEnded(media::SessionId session);
  void emit(const Call& call, CallEventType type, std::string cause = {}, std::string detail = {},
            std::string agent_id = {}, std::string target = {});
  void playMusicOnHold(Call& call);
  void stopMusic(Call& call);
  bool bridgeParty(Call& call);
  void maybeStartRecording(Call& call);
  Result<void> beginRecording(Call& call);
  void stopRecordingOf(Call& call);
  media::PromptPtr prompt(const std::string& path);
  std::optional<Target> resolveNumber(std::string_view user) const;
  Result<Target> checkTarget(const Target& target) const;
  void trackSession(Call& call, media::SessionId session);
  void destroySession(media::SessionId session);
  void forgetDialog(sip::DialogId dialog);

  // not owned, outlive this
  EventLoop& loop_;
  const TimeSource& time_;
  sip::SipStack& sip_;
  media::MediaEngine& media_;
  Router& router_;
  AgentDirectory& agents_;
  Ivr* ivr_ = nullptr;  // null: no IVR (see setIvr)
  // owned
  EventSink events_;
  CallControlConfig config_;
  CallControlCounters counters_;
  sip::NonceIssuer trunk_nonces_;  // nonces of the 407 challenges to digest trunks
  std::vector<EntryPoint> entry_points_;
  std::map<std::string, std::unique_ptr<Call>, std::less<>> calls_;
  std::map<sip::DialogId, std::string> dialogs_;      // every live leg's dialog → call id
  std::map<media::SessionId, std::string> sessions_;  // every owned session → call id
  std::map<std::string, media::PromptPtr> prompts_;   // loaded prompt files
  struct PendingEnd {
    CallEvent event;
    EventLoop::TimerId timer = 0;
  };
  std::map<media::SessionId, PendingEnd> pending_ends_;  // waiting for the final quality
  std::uint64_t next_call_seq_ = 1;
  std::uint64_t next_play_id_ = 1;
  std::uint64_t next_ring_id_ = 1;
};

}  // namespace kefu::call
