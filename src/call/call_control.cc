#include "call/call_control.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "call/internal/call.h"
#include "call/internal/sip_text.h"
#include "core/id.h"

// The incoming side: INVITEs, the caller's dialog events, and what the media engine reports.

namespace kefu::call {

namespace {

/** @return the host of a "host:port" source ("::1:5060" → "::1"). */
std::string_view hostOfSource(std::string_view source) {
  auto colon = source.rfind(':');
  if (colon == std::string_view::npos) {
    return source;
  }
  auto port = source.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return source;
  }
  source = source.substr(0, colon);
  if (source.size() >= 2 && source.front() == '[' && source.back() == ']') {
    source = source.substr(1, source.size() - 2);
  }
  return source;
}

}  // namespace

std::string_view toString(EndCause cause) {
  switch (cause) {
    case EndCause::CallerHangup:
      return "caller_hangup";
    case EndCause::AgentHangup:
      return "agent_hangup";
    case EndCause::Cancelled:
      return "cancelled";
    case EndCause::NoAnswer:
      return "no_answer";
    case EndCause::Busy:
      return "busy";
    case EndCause::Rejected:
      return "rejected";
    case EndCause::Unreachable:
      return "unreachable";
    case EndCause::RtpTimeout:
      return "rtp_timeout";
    case EndCause::QueueFull:
      return "queue_full";
    case EndCause::QueueNotFound:
      return "queue_not_found";
    case EndCause::AnnouncementDone:
      return "announcement_done";
    case EndCause::RoutingEnded:
      return "routing_ended";
    case EndCause::ApiHangup:
      return "api_hangup";
    case EndCause::Transferred:
      return "transferred";
    case EndCause::Failed:
      return "failed";
    case EndCause::CallbackFailed:
      return "callback_failed";
    case EndCause::IvrEnded:
      return "ivr_ended";
  }
  return "unknown";
}

std::string_view toString(CallState state) {
  switch (state) {
    case CallState::Ringing:
      return "ringing";
    case CallState::Queued:
      return "queued";
    case CallState::Talking:
      return "talking";
    case CallState::Held:
      return "held";
    case CallState::Consulting:
      return "consulting";
    case CallState::Conferenced:
      return "conferenced";
    case CallState::Announcing:
      return "announcing";
    case CallState::CallbackPending:
      return "callback_pending";
    case CallState::InIvr:
      return "in_ivr";
  }
  return "unknown";
}

CallControl::CallControl(EventLoop& loop, const TimeSource& time, sip::SipStack& sip,
                         media::MediaEngine& media, Router& router, AgentDirectory& agents,
                         EventSink events, CallControlConfig config)
    : loop_(loop),
      time_(time),
      sip_(sip),
      media_(media),
      router_(router),
      agents_(agents),
      events_(std::move(events)),
      config_(std::move(config)),
      trunk_nonces_(sip::randomBytes(32), time, std::chrono::minutes(5)) {
  if (!config_.prompt_loader) {
    config_.prompt_loader = [](const std::string& path) { return media::loadWav(path); };
  }
}

CallControl::~CallControl() = default;

void CallControl::setEntryPoints(std::vector<EntryPoint> entry_points) {
  KEFU_ASSERT(loop_.isThisThread());
  entry_points_ = std::move(entry_points);
}

// --- Listener methods: other threads, copy and post. ---

void CallControl::onIncomingInvite(const sip::IncomingInvite& invite) {
  loop_.post([this, invite] { handleInvite(invite); });
}

void CallControl::onDialogEvent(const sip::DialogEvent& event) {
  loop_.post([this, event] { handleDialogEvent(event); });
}

void CallControl::onDtmf(media::SessionId session, char digit, media::DtmfSource source) {
  std::string_view name = source == media::DtmfSource::Rfc4733 ? "rfc4733" : "inband";
  loop_.post([this, session, digit, name] { handleDtmf(session, digit, name); });
}

void CallControl::onPlayFinished(media::SessionId session, uint64_t play_id) {
  loop_.post([this, session, play_id] { handlePlayFinished(session, play_id); });
}

void CallControl::onQuality(media::SessionId session, const media::QualityReport& report) {
  loop_.post([this, session, report] { handleQuality(session, report); });
}

void CallControl::onRtpTimeout(media::SessionId session) {
  loop_.post([this, session] { handleRtpTimeout(session); });
}

void CallControl::onSecureTransport(media::SessionId session, bool ok, std::string_view reason) {
  if (ok) {
    return;
  }
  // A leg whose DTLS handshake failed carries no audio: treat it like a leg gone silent.
  spdlog::warn("call: media session {} secure transport failed: {}", session, reason);
  loop_.post([this, session] { handleRtpTimeout(session); });
}

// --- Incoming INVITEs. ---

CallControl::Admission CallControl::admission(const sip::IncomingInvite& invite) const {
  if (config_.trunks.empty()) {
    return Admission::Trusted;
  }
  bool digest_trunks = false;
  for (const auto& trunk : config_.trunks) {
    for (const auto& host : trunk.source_hosts) {
      if (host == invite.source_host) {
        return Admission::Trusted;
      }
    }
    digest_trunks = digest_trunks || !trunk.auth_user.empty();
  }
  for (const auto& registration : sip_.registrations()) {
    if (hostOfSource(registration.source) == invite.source_host) {
      return Admission::Trusted;
    }
  }
  if (!digest_trunks) {
    return Admission::Forbidden;
  }
  // A digest trunk answers our 407 with credentials for this very INVITE (method and URI).
  auto credentials = sip::parseDigestCredentials(invite.proxy_authorization);
  if (!credentials || credentials->realm != config_.realm) {
    return Admission::Challenge;
  }
  const auto nonce = trunk_nonces_.check(credentials->nonce);
  if (nonce == sip::NonceState::Invalid) {
    return Admission::Challenge;
  }
  for (const auto& trunk : config_.trunks) {
    if (!trunk.auth_user.empty() && trunk.auth_user == credentials->username &&
        sip::digestResponse(*credentials, trunk.auth_password, "INVITE") == credentials->response) {
      // A right answer to an old nonce: ask again without doubting the password.
      return nonce == sip::NonceState::Stale ? Admission::ChallengeStale : Admission::Trusted;
    }
  }
  // Wrong credentials: refused outright, so a guess costs a whole new INVITE.
  return Admission::Forbidden;
}

void CallControl::handleInvite(const sip::IncomingInvite& invite) {
  KEFU_ASSERT(loop_.isThisThread());
  if (calls_.size() >= config_.max_calls) {
    ++counters_.rejected_overload;
    sip_.rejectInvite(invite.dialog, 503, "Service Unavailable", config_.retry_after_s);
    return;
  }
  const Admission admitted = admission(invite);
  switch (admitted) {
    case Admission::Trusted:
      break;
    case Admission::Challenge:
    case Admission::ChallengeStale: {
      ++counters_.challenged;
      const bool stale = admitted == Admission::ChallengeStale;
      sip_.challengeInvite(invite.dialog, "Digest realm=\"" + config_.realm + "\", nonce=\"" +
                                              trunk_nonces_.issue() + "\", algorithm=MD5" +
                                              (stale ? ", stale=true" : ""));
      return;
    }
    case Admission::Forbidden:
      ++counters_.rejected_forbidden;
      sip_.rejectInvite(invite.dialog, 403, "Forbidden", 0);
      return;
  }
  auto user = internal::uriUser(invite.request_uri);
  const EntryPoint* entry = nullptr;
  for (const auto& candidate : entry_points_) {
    if (candidate.enabled && candidate.number == user) {
      entry = &candidate;
      break;
    }
  }
  Target target;
  if (entry != nullptr) {
    target = entry->target;
  } else {
    // A registered phone dialing another registered extension is an internal call.
    bool from_phone = false;
    for (const auto& registration : sip_.registrations()) {
      from_phone = from_phone || hostOfSource(registration.source) == invite.source_host;
    }
    if (!from_phone || user.empty() || sip_.contactsOf(user).empty()) {
      ++counters_.rejected_not_found;
      sip_.rejectInvite(invite.dialog, 404, "Not Found", 0);
      return;
    }
    target = Target{TargetKind::Extension, user};
  }

  auto seq = next_call_seq_++;
  // Without an offer (late offer), our 200 carries the offer and the ACK the answer.
  bool late_offer = invite.sdp.empty();
  auto answer = late_offer ? media_.offer(media::SessionOptions{.affinity = seq})
                           : media_.answer(invite.sdp, media::SessionOptions{.affinity = seq});
  if (!answer) {
    if (late_offer) {
      spdlog::warn("call: no media session for an INVITE without offer: {}",
                   answer.error().message);
      sip_.rejectInvite(invite.dialog, 500, "Server Internal Error", 0);
      return;
    }
    ++counters_.rejected_bad_sdp;
    sip_.rejectInvite(invite.dialog, 488, "Not Acceptable Here", 0);
    return;
  }

  auto owned = std::make_unique<Call>();
  auto& call = *owned;
  call.id = newId("call", time_);
  call.seq = seq;
  call.caller = internal::uriUser(invite.from_uri);
  call.sip_call_id = invite.call_id;
  call.dialed = user;
  call.target = target;
  if (target.kind == TargetKind::Queue) {
    call.queue_id = target.id;
  }
  call.created_ms = toUnixMillis(time_.systemTime());
  if (entry != nullptr) {
    call.entry_point_id = entry->id;
    call.priority = entry->priority;
  }
  call.caller_leg.role = Leg::Role::Caller;
  call.caller_leg.dialog = invite.dialog;
  call.caller_leg.session = answer->id;
  call.late_offer = late_offer;
  setCallbackUri(call, invite);
  calls_.emplace(call.id, std::move(owned));
  dialogs_[invite.dialog] = call.id;
  ++counters_.legs_active;
  trackSession(call, answer->id);
  ++counters_.calls_active;
  ++counters_.calls_total;
  // Our answer is sent in the 200, now or when the party answers.
  call.caller_answer_sdp = std::move(answer->sdp);
  emit(call, CallEventType::Created);
  startTarget(call, entry != nullptr ? entry->greeting : std::string());
}

void CallControl::startTarget(Call& call, const std::string& greeting) {
  auto answer_caller = [this](Call& c) {
    sip_.answerInvite(c.caller_leg.dialog, 200, "OK", std::move(c.caller_answer_sdp));
    c.caller_leg.answered = true;
  };
  switch (call.target.kind) {
    case TargetKind::Announcement: {
      call.state = CallState::Announcing;
      answer_caller(call);
      call.answered_ms = toUnixMillis(time_.systemTime());
      if (!call.late_offer) {
        // With a late offer the prompt starts once the ACK tells us where to send it.
        startAnnouncement(call, call.target.id);
      }
      return;
    }
    case TargetKind::Queue: {
      call.state = CallState::Queued;
      call.queue_id = call.target.id;
      sip_.answerInvite(call.caller_leg.dialog, 180, "Ringing", {});
      answer_caller(call);
      auto enqueued = router_.enqueue(
          QueuedCall{.call_id = call.id, .queue_id = call.queue_id, .priority = call.priority});
      if (!enqueued) {
        bool full = enqueued.error().code == ErrorCode::Conflict;
        endCall(call, full ? EndCause::QueueFull : EndCause::QueueNotFound,
                enqueued.error().message);
        return;
      }
      call.routed = true;
      auto greeting_prompt = greeting.empty() ? nullptr : prompt(greeting);
      if (greeting_prompt != nullptr) {
        call.greeting_play = next_play_id_++;
        call.music_play = call.greeting_play;
        media_.play(call.caller_leg.session, greeting_prompt, false, call.greeting_play);
      } else {
        playMusicOnHold(call);
      }
      return;
    }
    case TargetKind::Extension:
    case TargetKind::Agent:
    case TargetKind::Number: {
      call.state = CallState::Ringing;
      sip_.answerInvite(call.caller_leg.dialog, 180, "Ringing", {});
      if (!ringTarget(call, call.target, LegRole::Party, {}, false)) {
        endCall(call, EndCause::Unreachable);
      }
      return;
    }
    case TargetKind::Flow: {
      // The IVR talks to the caller at once: answered now, media ready for its prompts.
      call.state = CallState::InIvr;
      answer_caller(call);
      call.answered_ms = toUnixMillis(time_.systemTime());
      if (!call.late_offer) {
        // With a late offer the flow starts once the ACK tells us where to send its prompts.
        startIvr(call);
      }
      return;
    }
  }
}

void CallControl::startAnnouncement(Call& call, const std::string& path) {
  auto announcement = prompt(path);
  if (announcement == nullptr) {
    endCall(call, EndCause::Failed, "announcement prompt cannot be read");
    return;
  }
  call.announcement_play = next_play_id_++;
  media_.play(call.caller_leg.session, announcement, false, call.announcement_play);
}

// --- Dialog events. ---

void CallControl::handleDialogEvent(const sip::DialogEvent& event) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* call = callOfDialog(event.dialog);
  if (call == nullptr) {
    // A dialog we already released (its Terminated, a late response): nothing to do.
    return;
  }
  if (call->caller_leg.dialog == event.dialog) {
    handleCallerEvent(*call, event);
    return;
  }
  if (forkEvent(*call, event)) {
    return;
  }
  auto* leg = legOfDialog(*call, event.dialog);
  if (leg == nullptr) {
    KEFU_BUG("call: a dialog maps to a call without that leg");
    forgetDialog(event.dialog);
    return;
  }
  handleLegEvent(*call, *leg, event);
}

void CallControl::handleCallerEvent(Call& call, const sip::DialogEvent& event) {
  using Kind = sip::DialogEvent::Kind;
  if (call.caller_leg.outgoing && !call.caller_leg.answered) {
    handleCallbackCustomerEvent(call, event);
    return;
  }
  switch (event.kind) {
    case Kind::Cancelled:
      forgetDialog(call.caller_leg.dialog);
      endCall(call, EndCause::Cancelled);
      return;
    case Kind::ByeReceived:
    case Kind::Terminated:
    case Kind::Failed:
      forgetDialog(call.caller_leg.dialog);
      ivrCallerGone(call);
      if (call.state == CallState::Conferenced) {
        // The other two keep talking.
        leaveConference(call, call.caller_leg, EndCause::CallerHangup);
        return;
      }
      endCall(call, EndCause::CallerHangup);
      return;
    case Kind::ReinviteReceived:
      handleReinvite(call, nullptr, event);
      return;
    case Kind::InfoReceived:
      if (auto digit = internal::infoDigit(event.content_type, event.body)) {
        emit(call, CallEventType::Dtmf, "sip_info", std::string(1, *digit));
        if (!ivrDigit(call, *digit)) {
          maybeRequestCallback(call, *digit);
        }
      }
      return;
    case Kind::ReferReceived:
      // Only the agent side may transfer; a caller's REFER is refused.
      sip_.notifyReferProgress(event.dialog, 403, "Forbidden");
      return;
    case Kind::Acked:
      if (call.late_offer) {
        call.late_offer = false;
        auto accepted = media_.acceptAnswer(call.caller_leg.session, event.sdp);
        if (!accepted) {
          spdlog::info("call {}: the ACK carries no usable answer: {}", call.id,
                       accepted.error().message);
          endCall(call, EndCause::Failed, "no usable answer in the ACK");
          return;
        }
        if (call.state == CallState::Announcing && call.announcement_play == 0) {
          startAnnouncement(call, call.target.id);
        }
        if (call.state == CallState::InIvr) {
          startIvr(call);
        }
      }
      return;
    case Kind::Progress:
    case Kind::Answered:
    case Kind::ReinviteAnswered:
      return;
  }
}

// --- Media events. ---

void CallControl::handleRtpTimeout(media::SessionId session) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* call = callOfSession(session);
  if (call == nullptr) {
    return;
  }
  if (call->caller_leg.session == session) {
    ivrCallerGone(*call);
    if (call->state == CallState::Conferenced) {
      leaveConference(*call, call->caller_leg, EndCause::RtpTimeout);
      return;
    }
    endCall(*call, EndCause::RtpTimeout);
    return;
  }
  for (auto* leg :
       {call->party ? &*call->party : nullptr, call->consult ? &*call->consult : nullptr}) {
    if (leg != nullptr && leg->session == session) {
      legHungUp(*call, *leg, EndCause::RtpTimeout);
      return;
    }
  }
}

void CallControl::handlePlayFinished(media::SessionId session, uint64_t play_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* call = callOfSession(session);
  if (call == nullptr || call->caller_leg.session != session) {
    return;
  }
  if (play_id == call->announcement_play && call->announcement_play != 0) {
    call->announcement_play = 0;
    endCall(*call, EndCause::AnnouncementDone);
    return;
  }
  if (play_id == call->ivr_play && call->ivr_play != 0) {
    call->ivr_play = 0;
    if (call->state == CallState::InIvr && ivr_ != nullptr) {
      ivr_->promptFinished(call->id, play_id);
    }
    return;
  }
  if (play_id == call->callback_play && call->callback_play != 0) {
    call->callback_play = 0;
    releaseCallerForCallback(*call);
    return;
  }
  if (play_id == call->greeting_play && call->greeting_play != 0) {
    call->greeting_play = 0;
    call->music_play = 0;
    if (call->state == CallState::Queued) {
      playMusicOnHold(*call);
    }
  }
}

void CallControl::handleQuality(media::SessionId session, const media::QualityReport& report) {
  KEFU_ASSERT(loop_.isThisThread());
  auto pending = pending_ends_.find(session);
  if (pending != pending_ends_.end()) {
    if (report.final) {
      pending->second.event.quality =
          CallQuality{report.mos, report.loss_percent, report.jitter_ms, report.round_trip_ms};
      loop_.cancel(pending->second.timer);
      finishEnded(session);
    }
    return;
  }
  auto* call = callOfSession(session);
  if (call != nullptr && call->caller_leg.session == session) {
    call->quality = report;
  }
}

void CallControl::handleDtmf(media::SessionId session, char digit, std::string_view source) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* call = callOfSession(session);
  if (call == nullptr || call->caller_leg.session != session) {
    return;
  }
  emit(*call, CallEventType::Dtmf, std::string(source), std::string(1, digit));
  if (!ivrDigit(*call, digit)) {
    maybeRequestCallback(*call, digit);
  }
}

}  // namespace kefu::call
