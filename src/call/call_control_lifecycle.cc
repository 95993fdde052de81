#include <spdlog/spdlog.h>

#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"

// The bookkeeping every path shares: finding calls by dialog and session, releasing legs and
// sessions, ending calls (with their final quality), events, music on hold and prompts.

namespace kefu::call {

namespace {

using internal::Leg;

int callerStatus(EndCause cause) {
  switch (cause) {
    case EndCause::Busy:
      return 486;
    case EndCause::Rejected:
      return 603;
    case EndCause::QueueFull:
      return 503;
    case EndCause::QueueNotFound:
      return 404;
    case EndCause::Failed:
      return 500;
    default:
      return 480;
  }
}

std::string_view phraseOf(int status) {
  switch (status) {
    case 404:
      return "Not Found";
    case 486:
      return "Busy Here";
    case 500:
      return "Server Internal Error";
    case 503:
      return "Service Unavailable";
    case 603:
      return "Decline";
    default:
      return "Temporarily Unavailable";
  }
}

}  // namespace

// --- Lookups. ---

CallControl::Call* CallControl::findCall(std::string_view call_id) {
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : it->second.get();
}

const CallControl::Call* CallControl::findCall(std::string_view call_id) const {
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : it->second.get();
}

CallControl::Call* CallControl::callOfDialog(sip::DialogId dialog) {
  auto it = dialogs_.find(dialog);
  return it == dialogs_.end() ? nullptr : findCall(it->second);
}

CallControl::Call* CallControl::callOfSession(media::SessionId session) {
  auto it = sessions_.find(session);
  return it == sessions_.end() ? nullptr : findCall(it->second);
}

CallControl::Leg* CallControl::legOfDialog(Call& call, sip::DialogId dialog) {
  if (call.party && call.party->dialog == dialog) {
    return &*call.party;
  }
  if (call.consult && call.consult->dialog == dialog) {
    return &*call.consult;
  }
  return nullptr;
}

void CallControl::trackSession(Call& call, media::SessionId session) {
  sessions_[session] = call.id;
  ++counters_.media_sessions_active;
}

void CallControl::destroySession(media::SessionId session) {
  if (session == 0) {
    return;
  }
  if (sessions_.erase(session) > 0) {
    --counters_.media_sessions_active;
  }
  media_.destroy(session);
}

void CallControl::forgetDialog(sip::DialogId dialog) {
  if (dialogs_.erase(dialog) > 0) {
    --counters_.legs_active;
  }
}

// --- Shared bookkeeping. ---

void CallControl::releaseLeg(Call& call, Leg& leg, bool send_hangup) {
  KEFU_ASSERT(leg.role != Leg::Role::Caller);
  if (leg.ring_timer != 0) {
    loop_.cancel(leg.ring_timer);
  }
  if (leg.role == Leg::Role::Party && call.recording) {
    stopRecordingOf(call);
  }
  if (send_hangup && dialogs_.contains(leg.dialog)) {
    sip_.hangUp(leg.dialog);
  }
  forgetDialog(leg.dialog);
  destroySession(leg.session);
  destroySession(leg.reanchor_session);
  (leg.role == Leg::Role::Party ? call.party : call.consult).reset();
}

void CallControl::endCall(Call& call, EndCause cause, std::string detail) {
  if (cause != EndCause::IvrEnded) {
    ivrCallerGone(call);  // e.g. hung up by the API while in its IVR: the flow stops with it
  }
  releaseForks(call);
  if (call.recording) {
    stopRecordingOf(call);
  }
  if (call.consult_routed && call.state == CallState::Consulting) {
    router_.consultCancelled(call.id);
  }
  if (call.routed) {
    bool talking = call.state == CallState::Talking || call.state == CallState::Held ||
                   call.state == CallState::Consulting || call.state == CallState::Conferenced;
    if (talking) {
      router_.talkEnded(call.id);
    } else if (call.state == CallState::CallbackPending && call.party) {
      // An agent is reserved for the callback: the callback fails and that agent is free.
      router_.callbackFailed(call.id);
    } else {
      router_.callerLeft(call.id);
    }
  }
  if (call.consult) {
    releaseLeg(call, *call.consult, true);
  }
  if (call.party) {
    releaseLeg(call, *call.party, true);
  }
  if (call.callback_timer != 0) {
    loop_.cancel(call.callback_timer);
    call.callback_timer = 0;
  }
  auto& caller = call.caller_leg;
  if (dialogs_.contains(caller.dialog)) {
    if (caller.answered || caller.outgoing) {
      sip_.hangUp(caller.dialog);
    } else {
      int status = callerStatus(cause);
      sip_.rejectInvite(caller.dialog, status, std::string(phraseOf(status)), 0);
    }
    forgetDialog(caller.dialog);
  }

  CallEvent event;
  event.type = CallEventType::Ended;
  event.at_ms = toUnixMillis(time_.systemTime());
  event.call_id = call.id;
  event.caller = call.caller;
  event.dialed = call.dialed;
  event.entry_point_id = call.entry_point_id;
  event.queue_id = call.queue_id;
  event.agent_id = call.agent_id;
  event.cause = std::string(toString(cause));
  event.detail = std::move(detail);
  if (call.quality) {
    event.quality = CallQuality{call.quality->mos, call.quality->loss_percent,
                                call.quality->jitter_ms, call.quality->round_trip_ms};
  }
  ++counters_.ended[static_cast<std::size_t>(cause)];
  --counters_.calls_active;
  auto session = caller.session;
  calls_.erase(call.id);  // `call` is gone from here on
  if (session == 0) {
    events_(event);
    return;
  }
  if (sessions_.erase(session) > 0) {
    --counters_.media_sessions_active;
  }
  // Ended waits (briefly) for the caller leg's final quality report, which destroy() triggers.
  auto timer =
      loop_.postAfter(config_.final_quality_wait, [this, session] { finishEnded(session); });
  pending_ends_.emplace(session, PendingEnd{std::move(event), timer});
  media_.destroy(session);
}

void CallControl::finishEnded(media::SessionId session) {
  auto it = pending_ends_.find(session);
  if (it == pending_ends_.end()) {
    return;
  }
  auto event = std::move(it->second.event);
  pending_ends_.erase(it);
  events_(event);
}

void CallControl::emit(const Call& call, CallEventType type, std::string cause, std::string detail,
                       std::string agent_id, std::string target) {
  CallEvent event;
  event.type = type;
  event.at_ms = toUnixMillis(time_.systemTime());
  event.call_id = call.id;
  event.caller = call.caller;
  event.dialed = call.dialed;
  event.entry_point_id = call.entry_point_id;
  event.queue_id = call.queue_id;
  if (agent_id.empty()) {
    event.agent_id = call.agent_id;
  } else {
    event.agent_id = std::move(agent_id);
  }
  event.target = std::move(target);
  event.cause = std::move(cause);
  event.detail = std::move(detail);
  events_(event);
}

void CallControl::playMusicOnHold(Call& call) {
  if (call.music_play != 0 && call.greeting_play == 0) {
    return;  // already playing
  }
  call.greeting_play = 0;
  call.music_play = next_play_id_++;
  auto music = config_.music_on_hold.empty() ? nullptr : prompt(config_.music_on_hold);
  if (music == nullptr) {
    // Without music the caller hears silence: stopPlay() cuts whatever played before.
    media_.stopPlay(call.caller_leg.session);
    return;
  }
  media_.play(call.caller_leg.session, music, true, call.music_play);
}

void CallControl::stopMusic(Call& call) {
  if (call.music_play == 0) {
    return;
  }
  call.music_play = 0;
  call.greeting_play = 0;
  media_.stopPlay(call.caller_leg.session);
}

bool CallControl::bridgeParty(Call& call) {
  if (!call.party || !call.party->answered || call.caller_leg.session == 0) {
    return false;
  }
  auto bridged = media_.bridge(call.caller_leg.session, call.party->session);
  if (!bridged) {
    KEFU_BUG("call: caller and party cannot be bridged");
    return false;
  }
  return true;
}

media::PromptPtr CallControl::prompt(const std::string& path) {
  if (auto it = prompts_.find(path); it != prompts_.end()) {
    return it->second;
  }
  // The first use of a file reads it on the loop (short WAVs, once); failures are retried.
  auto loaded = config_.prompt_loader(path);
  if (!loaded) {
    spdlog::warn("call: prompt {} cannot be read: {}", path, loaded.error().message);
    return nullptr;
  }
  prompts_.emplace(path, *loaded);
  return *loaded;
}

}  // namespace kefu::call
