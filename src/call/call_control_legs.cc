#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"
#include "call/internal/sip_text.h"

// Outgoing legs (ringing agents, extensions, numbers, forks, early media) and what their
// dialogs report.

namespace kefu::call {

namespace {

using internal::Leg;

struct OutgoingAuth {
  std::string user;
  std::string password;
};

/** @return why a ring failed, from the callee's final status. */
EndCause causeOfStatus(int status) {
  switch (status) {
    case 486:
    case 600:
      return EndCause::Busy;
    case 403:
    case 603:
      return EndCause::Rejected;
    case 408:
    case 480:
      return EndCause::NoAnswer;
    case 404:
    case 410:
    case 484:
    case 503:
      return EndCause::Unreachable;
    default:
      return EndCause::Failed;
  }
}

/** @return the router's word for a declined ring. */
std::string_view routerReason(EndCause cause) {
  switch (cause) {
    case EndCause::Busy:
      return "busy";
    case EndCause::Rejected:
      return "rejected";
    case EndCause::NoAnswer:
    case EndCause::Unreachable:
      return "unreachable";
    default:
      return "failed";
  }
}

/** @return the final status an unanswered caller gets for `cause`. */
std::string targetText(const Target& target) {
  return std::string(toString(target.kind)) + ":" + target.id;
}

/** @return the URI without display brackets and parameters, for a To header. */
std::string bareUri(const std::string& uri) {
  auto at = uri.find('@');
  auto semicolon = uri.find(';', at == std::string::npos ? 0 : at);
  return uri.substr(0, semicolon);
}

}  // namespace

// --- Ringing. ---

bool CallControl::ringTarget(Call& call, const Target& target, LegRole role, std::string agent_id,
                             bool via_router) {
  if (target.kind == TargetKind::Extension || target.kind == TargetKind::Agent) {
    // An agent whose browser softphone is connected is rung there instead of on SIP phones.
    std::optional<std::string> agent = std::optional(agent_id);
    if (agent_id.empty()) {
      agent = target.kind == TargetKind::Agent ? std::optional(target.id)
                                               : agents_.agentOfExtension(target.id);
    }
    if (auto session = agent ? agents_.softphoneOf(*agent) : std::nullopt) {
      return ringSoftphone(call, target, role, *agent, via_router, *session);
    }
    if (target.kind == TargetKind::Agent) {
      auto extension = agents_.extensionOf(target.id);
      return extension && ringTarget(call, Target{TargetKind::Extension, *extension}, role,
                                     target.id, via_router);
    }
  }
  std::vector<std::string> uris;
  OutgoingAuth auth;
  if (target.kind == TargetKind::Extension) {
    uris = sip_.contactsOf(target.id);  // newest registration first
    if (agent_id.empty()) {
      agent_id = agents_.agentOfExtension(target.id).value_or("");
    }
    // An agent reserved by the router, or a consultation, rings one phone: the newest. A direct
    // call to an extension rings every registered phone (forking); the first to answer wins.
    if (via_router || role == LegRole::Consult) {
      uris.resize(std::min<std::size_t>(uris.size(), 1));
    }
  } else if (target.kind == TargetKind::Number && !config_.gateway.uri.empty()) {
    uris.push_back("sip:" + target.id + "@" + config_.gateway.uri);
    auth = {config_.gateway.auth_user, config_.gateway.auth_password};
  }
  auto ring_id = next_ring_id_++;
  std::vector<Leg> legs;
  for (const auto& uri : uris) {
    // Keys are only taken from the customer: an agent's phone or a forwarded number is not
    // listened to for tones.
    auto offer = media_.offer(media::SessionOptions{.affinity = call.seq, .in_band_dtmf = false});
    if (!offer) {
      spdlog::warn("call {}: no media session for {}: {}", call.id, uri, offer.error().message);
      continue;
    }
    sip::OutgoingInvite invite;
    invite.request_uri = uri;
    invite.from_uri =
        "sip:" + (call.caller.empty() ? "anonymous" : call.caller) + "@" + config_.sip_host;
    invite.from_display = call.caller;
    invite.to_uri = bareUri(uri);
    invite.sdp = std::move(offer->sdp);
    invite.auth_user = auth.user;
    invite.auth_password = auth.password;
    invite.headers.push_back("X-Kefu-Call: " + call.id);
    auto dialog = sip_.invite(std::move(invite));

    Leg leg;
    leg.role = role == LegRole::Party ? Leg::Role::Party : Leg::Role::Consult;
    leg.dialog = dialog;
    leg.session = offer->id;
    leg.agent_id = agent_id;
    leg.target = targetText(target);
    leg.via_router = via_router;
    leg.ring_id = ring_id;
    dialogs_[dialog] = call.id;
    ++counters_.legs_active;
    trackSession(call, offer->id);
    legs.push_back(std::move(leg));
  }
  if (legs.empty()) {
    return false;
  }
  if (!via_router) {
    // The router times its own rings out; direct rings (extension, number) time out here.
    legs.front().ring_timer = loop_.postAfter(
        config_.ring_timeout, [this, id = call.id, ring_id] { ringTimedOut(id, ring_id); });
  }
  (role == LegRole::Party ? call.party : call.consult) = std::move(legs.front());
  for (std::size_t i = 1; i < legs.size(); ++i) {
    call.forks.push_back(std::move(legs[i]));
  }
  return true;
}

void CallControl::ringTimedOut(const std::string& call_id, std::uint64_t ring_id) {
  auto* call = findCall(call_id);
  if (call == nullptr) {
    return;
  }
  for (auto* slot : {&call->party, &call->consult}) {
    if (*slot && (*slot)->ring_id == ring_id && !(*slot)->answered) {
      (*slot)->ring_timer = 0;
      releaseForks(*call);
      legFailed(*call, **slot, EndCause::NoAnswer, true);
      return;
    }
  }
}

void CallControl::releaseForks(Call& call) {
  for (auto& fork : call.forks) {
    if (dialogs_.contains(fork.dialog)) {
      sip_.hangUp(fork.dialog);
    }
    forgetDialog(fork.dialog);
    destroySession(fork.session);
  }
  call.forks.clear();
}

bool CallControl::forkEvent(Call& call, const sip::DialogEvent& event) {
  using Kind = sip::DialogEvent::Kind;
  auto it = std::find_if(call.forks.begin(), call.forks.end(),
                         [&](const Leg& fork) { return fork.dialog == event.dialog; });
  if (it == call.forks.end()) {
    return false;
  }
  switch (event.kind) {
    case Kind::Answered: {
      // This phone wins: it becomes the party leg (keeping the ring timer) and the others stop.
      Leg winner = std::move(*it);
      call.forks.erase(it);
      KEFU_ASSERT(call.party.has_value());
      winner.ring_timer = call.party->ring_timer;
      call.party->ring_timer = 0;
      releaseLeg(call, *call.party, true);
      call.party = std::move(winner);
      releaseForks(call);
      legAnswered(call, *call.party, event.sdp);
      return true;
    }
    case Kind::Failed:
    case Kind::Cancelled:
    case Kind::ByeReceived:
    case Kind::Terminated:
      forgetDialog(it->dialog);
      destroySession(it->session);
      call.forks.erase(it);
      return true;
    default:
      // A fork only rings: provisional responses add nothing to the party's Ringing.
      return true;
  }
}

// --- Events on outgoing legs. ---

void CallControl::handleLegEvent(Call& call, Leg& leg, const sip::DialogEvent& event) {
  using Kind = sip::DialogEvent::Kind;
  switch (event.kind) {
    case Kind::Progress:
      if ((event.status == 180 || event.status == 183) && !leg.alerted && !leg.answered) {
        leg.alerted = true;
        emit(call, CallEventType::Ringing, {}, leg.role == Leg::Role::Consult ? "consult" : "",
             leg.agent_id, leg.target);
      }
      if (!event.sdp.empty()) {
        earlyMedia(call, leg, event.sdp);
      }
      return;
    case Kind::Answered:
      if (!leg.answered) {
        legAnswered(call, leg, event.sdp);
      }
      return;
    case Kind::Failed:
    case Kind::Cancelled:
      forgetDialog(leg.dialog);
      if (leg.role == Leg::Role::Party && !call.forks.empty()) {
        // Another phone of the extension still rings: it becomes the party leg.
        Leg next = std::move(call.forks.front());
        call.forks.erase(call.forks.begin());
        next.ring_timer = leg.ring_timer;
        leg.ring_timer = 0;
        releaseLeg(call, leg, false);
        call.party = std::move(next);
        return;
      }
      legFailed(call, leg, causeOfStatus(event.status), false);
      return;
    case Kind::ByeReceived:
    case Kind::Terminated:
      forgetDialog(leg.dialog);
      if (leg.answered) {
        legHungUp(call, leg, EndCause::AgentHangup);
      } else {
        legFailed(call, leg, causeOfStatus(event.status), false);
      }
      return;
    case Kind::ReinviteReceived:
      handleReinvite(call, &leg, event);
      return;
    case Kind::ReferReceived:
      handleRefer(call, leg, event);
      return;
    case Kind::ReinviteAnswered:
      if (leg.reanchor_session != 0) {
        reanchorAnswered(call, leg, event);
      }
      return;
    case Kind::Acked:
    case Kind::InfoReceived:
      return;
  }
}

void CallControl::legAnswered(Call& call, Leg& leg, const std::string& sdp) {
  if (leg.role == Leg::Role::Party) {
    releaseForks(call);
  }
  if (leg.ring_timer != 0) {
    loop_.cancel(leg.ring_timer);
    leg.ring_timer = 0;
  }
  // After early media the 183's SDP is the answer (RFC 3264 allows one per offer).
  // A softphone's session was negotiated when the browser connected: there is no answer here.
  auto accepted =
      leg.early_media || leg.softphone ? Result<void>{} : media_.acceptAnswer(leg.session, sdp);
  if (!accepted) {
    spdlog::warn("call {}: {} answered with SDP we cannot use: {}", call.id, leg.target,
                 accepted.error().message);
    legFailed(call, leg, EndCause::Failed, true);
    return;
  }
  leg.answered = true;
  if (call.state == CallState::CallbackPending && leg.role == Leg::Role::Party) {
    // A callback: the agent answered first; now the customer is called (the router hears of it
    // through callbackConnected, not agentAnswered).
    callbackAgentAnswered(call);
    return;
  }
  if (leg.via_router) {
    router_.agentAnswered(call.id, leg.agent_id);
  }
  if (leg.role == Leg::Role::Consult) {
    if (call.party && call.party->answered) {
      auto bridged = media_.bridge(call.party->session, leg.session);
      if (!bridged) {
        KEFU_BUG("call: consult leg cannot be bridged with the agent");
      }
    }
    emit(call, CallEventType::Answered, {}, "consult", leg.agent_id, leg.target);
    return;
  }
  if (!call.caller_leg.answered) {
    sip_.answerInvite(call.caller_leg.dialog, 200, "OK", std::move(call.caller_answer_sdp));
    call.caller_leg.answered = true;
  }
  stopMusic(call);
  call.state = CallState::Talking;
  call.agent_id = leg.agent_id;
  if (call.answered_ms == 0) {
    call.answered_ms = toUnixMillis(time_.systemTime());
  }
  if (!leg.early_media && !bridgeParty(call)) {
    endCall(call, EndCause::Failed, "bridge failed");
    return;
  }
  emit(call, CallEventType::Answered, {}, {}, leg.agent_id, leg.target);
  maybeStartRecording(call);
}

void CallControl::earlyMedia(Call& call, Leg& leg, const std::string& sdp) {
  // Only a caller still waiting for its 200 hears the callee's early media (ringback, carrier
  // announcements); a late-offer caller has no answer of ours to put in a 183.
  bool wanted = leg.role == Leg::Role::Party && !leg.early_media && !leg.answered &&
                !call.caller_leg.answered && !call.late_offer && !leg.via_router;
  if (!wanted) {
    return;
  }
  auto accepted = media_.acceptAnswer(leg.session, sdp);
  if (!accepted) {
    spdlog::info("call {}: early media from {} ignored: {}", call.id, leg.target,
                 accepted.error().message);
    return;
  }
  leg.early_media = true;
  auto bridged = media_.bridge(call.caller_leg.session, leg.session);
  if (!bridged) {
    KEFU_BUG("call: caller and party cannot be bridged for early media");
  }
  sip_.answerInvite(call.caller_leg.dialog, 183, "Session Progress", call.caller_answer_sdp);
}

void CallControl::legFailed(Call& call, Leg& leg, EndCause cause, bool send_hangup) {
  // Copy what is needed: releaseLeg() destroys `leg`.
  auto role = leg.role;
  auto via_router = leg.via_router;
  auto agent_id = leg.agent_id;
  releaseLeg(call, leg, send_hangup);
  if (via_router) {
    // The router moves on (the caller keeps its music) or ends the consultation.
    router_.agentDeclined(call.id, agent_id, routerReason(cause));
    return;
  }
  if (role == Leg::Role::Consult) {
    // A direct consultation nobody answered: the agent takes the caller back.
    stopMusic(call);
    call.state = CallState::Talking;
    if (!bridgeParty(call)) {
      endCall(call, EndCause::Failed, "bridge failed");
    }
    return;
  }
  endCall(call, cause);
}

void CallControl::legHungUp(Call& call, Leg& leg, EndCause cause) {
  bool send_hangup = cause == EndCause::RtpTimeout;
  if (call.state == CallState::Conferenced) {
    leaveConference(call, leg, cause);
    return;
  }
  if (leg.role == Leg::Role::Consult) {
    // The consulted party hung up: the agent takes the caller back.
    releaseLeg(call, leg, send_hangup);
    (void)cancelConsult(call.id);
    return;
  }
  if (call.state == CallState::Consulting && call.consult && call.consult->answered) {
    // The agent hung up after the consulted party answered: that completes the transfer.
    if (send_hangup) {
      sip_.hangUp(leg.dialog);
    }
    forgetDialog(leg.dialog);
    (void)completeConsult(call.id);
    return;
  }
  endCall(call, cause);
}

void CallControl::leaveConference(Call& call, Leg& leg, EndCause cause) {
  bool send_hangup = cause == EndCause::RtpTimeout;
  media_.leaveConference(leg.session);
  if (leg.role == Leg::Role::Caller) {
    // The recording's left channel is the caller: it ends with the caller.
    stopRecordingOf(call);
    if (send_hangup) {
      sip_.hangUp(leg.dialog);
    }
    forgetDialog(leg.dialog);
    destroySession(leg.session);
    leg.dialog = 0;
    leg.session = 0;
  } else {
    auto role = leg.role;
    releaseLeg(call, leg, send_hangup);
    if (role == Leg::Role::Party && call.consult) {
      // The consulted party stays: it is the caller's party now.
      call.party = std::move(call.consult);
      call.party->role = Leg::Role::Party;
      call.consult.reset();
      call.agent_id = call.party->agent_id;
      if (call.consult_routed) {
        router_.consultCompleted(call.id);
      }
    } else if (role == Leg::Role::Consult && call.consult_routed) {
      router_.consultCancelled(call.id);
    }
    call.consult_routed = false;
  }
  int remaining =
      (call.caller_leg.session != 0 ? 1 : 0) + (call.party ? 1 : 0) + (call.consult ? 1 : 0);
  if (remaining < 2) {
    endCall(call, cause);
  }
}

}  // namespace kefu::call
