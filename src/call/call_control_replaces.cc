#include <spdlog/spdlog.h>

#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"

// An attended transfer done by the agent's phone: it holds the caller (call X), calls a
// colleague through Kefu (call Y, in which the phone is the caller), then sends a REFER on X's
// dialog whose Refer-To carries Replaces naming Y's dialog. The colleague's leg moves from Y to X
// and is bridged with X's caller; the phone's two dialogs are released. Y's sessions may live on
// another media thread than X's, so the moved leg is re-anchored: a new session on X's thread is
// offered to the colleague's phone by re-INVITE, and the old one is dropped once it answers.

namespace kefu::call {

namespace {
using internal::Leg;
}  // namespace

void CallControl::handleReplacesRefer(Call& call, Leg& leg, const sip::DialogEvent& event) {
  Call* other = nullptr;
  for (auto& [id, candidate] : calls_) {
    if (candidate.get() != &call && candidate->sip_call_id == event.replaces_call_id) {
      other = candidate.get();
      break;
    }
  }
  bool usable = other != nullptr && other->party && other->party->answered &&
                (other->state == CallState::Talking || other->state == CallState::Held);
  if (!usable) {
    sip_.notifyReferProgress(event.dialog, 481, "Call/Transaction Does Not Exist");
    return;
  }
  auto offer = media_.offer(media::SessionOptions{.affinity = call.seq, .in_band_dtmf = false});
  if (!offer) {
    sip_.notifyReferProgress(event.dialog, 503, "Service Unavailable");
    return;
  }
  sip_.notifyReferProgress(event.dialog, 200, "OK");
  if (call.routed) {
    router_.transferredAway(call.id, other->party->target);
    call.routed = false;
  }
  releaseLeg(call, leg, true);  // the transferring phone's leg of this call

  Leg moved = std::move(*other->party);
  other->party.reset();
  dialogs_[moved.dialog] = call.id;
  sessions_[moved.session] = call.id;
  moved.reanchor_session = offer->id;
  moved.via_router = false;
  trackSession(call, offer->id);
  auto dialog = moved.dialog;
  call.party = std::move(moved);
  call.agent_id = call.party->agent_id;
  // The caller hears music until the colleague's phone takes the new session.
  call.state = CallState::Ringing;
  playMusicOnHold(call);
  sip_.reinvite(dialog, std::move(offer->sdp));
  emit(call, CallEventType::Transferred, {}, "attended", {}, call.party->target);
  // The rest of the other call (the phone's consultation dialog) ends.
  endCall(*other, EndCause::Transferred);
}

void CallControl::reanchorAnswered(Call& call, Leg& leg, const sip::DialogEvent& event) {
  auto fresh = leg.reanchor_session;
  bool ok = event.status >= 200 && event.status < 300;
  if (ok) {
    auto accepted = media_.acceptAnswer(fresh, event.sdp);
    if (!accepted) {
      spdlog::warn("call {}: transferred party's answer unusable: {}", call.id,
                   accepted.error().message);
      ok = false;
    }
  }
  if (!ok) {
    endCall(call, EndCause::Failed, "re-INVITE of the transferred party failed");
    return;
  }
  destroySession(leg.session);
  leg.session = fresh;
  leg.reanchor_session = 0;
  stopMusic(call);
  call.state = CallState::Talking;
  if (call.answered_ms == 0) {
    call.answered_ms = toUnixMillis(time_.systemTime());
  }
  if (!bridgeParty(call)) {
    endCall(call, EndCause::Failed, "bridge failed");
    return;
  }
  maybeStartRecording(call);
}

}  // namespace kefu::call
