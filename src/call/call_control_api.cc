#include <spdlog/spdlog.h>

#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"
#include "call/internal/sip_text.h"

// What the site's API and the router ask of calls: snapshots, hang-up, hold, transfers,
// consultations, conferences, recording, and the router's decisions (RoutedCalls).

namespace kefu::call {

namespace {

using internal::Leg;

Error conflict(std::string message) { return Error{ErrorCode::Conflict, std::move(message), {}}; }

std::string targetText(const Target& target) {
  return std::string(toString(target.kind)) + ":" + target.id;
}

LegSnapshot snapshotOf(const Leg& leg) {
  std::string_view role = leg.role == Leg::Role::Caller  ? "caller"
                          : leg.role == Leg::Role::Party ? "party"
                                                         : "consult";
  return LegSnapshot{std::string(role), leg.dialog,   leg.session,
                     leg.answered,      leg.agent_id, leg.target};
}

bool talking(CallState state) { return state == CallState::Talking || state == CallState::Held; }

}  // namespace

// --- Snapshots. ---

std::vector<CallSnapshot> CallControl::calls() const {
  KEFU_ASSERT(loop_.isThisThread());
  std::vector<CallSnapshot> out;
  out.reserve(calls_.size());
  for (const auto& [id, owned] : calls_) {
    out.push_back(*call(id));
  }
  return out;
}

Result<CallSnapshot> CallControl::call(std::string_view call_id) const {
  KEFU_ASSERT(loop_.isThisThread());
  const auto* found = findCall(call_id);
  if (found == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  const auto& c = *found;
  CallSnapshot s;
  s.id = c.id;
  s.state = c.state;
  s.caller = c.caller;
  s.dialed = c.dialed;
  s.entry_point_id = c.entry_point_id;
  s.queue_id = c.queue_id;
  s.agent_id = c.agent_id;
  s.target = targetText(c.target);
  s.created_at_ms = c.created_ms;
  s.answered_at_ms = c.answered_ms;
  s.recording = c.recording;
  if (c.caller_leg.dialog != 0) {
    s.legs.push_back(snapshotOf(c.caller_leg));
  }
  if (c.party) {
    s.legs.push_back(snapshotOf(*c.party));
  }
  if (c.consult) {
    s.legs.push_back(snapshotOf(*c.consult));
  }
  for (const auto& fork : c.forks) {
    s.legs.push_back(snapshotOf(fork));
    s.legs.back().role = "fork";
  }
  return s;
}

// --- Hang-up and hold. ---

Result<void> CallControl::hangUp(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  endCall(*c, EndCause::ApiHangup);
  return {};
}

Result<void> CallControl::hold(std::string_view call_id, bool held) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (held) {
    if (c->state != CallState::Talking) {
      return conflict("the call is not talking");
    }
    media_.unbridge(c->caller_leg.session);
    playMusicOnHold(*c);
    c->state = CallState::Held;
  } else {
    if (c->state != CallState::Held) {
      return conflict("the call is not on hold");
    }
    stopMusic(*c);
    if (!bridgeParty(*c)) {
      endCall(*c, EndCause::Failed, "bridge failed");
      return Error::internal("the caller and the party cannot be bridged again");
    }
    c->state = CallState::Talking;
  }
  if (c->routed) {
    router_.holdChanged(c->id, held);
  }
  emit(*c, held ? CallEventType::Held : CallEventType::Resumed);
  return {};
}

// --- Transfers. ---

Result<Target> CallControl::checkTarget(const Target& target) const {
  if (target.id.empty()) {
    return Error::invalid("target.id", "the target needs an id");
  }
  if (target.kind == TargetKind::Number && config_.gateway.uri.empty()) {
    return Error::invalid("target", "no gateway is configured for numbers");
  }
  if (target.kind == TargetKind::Flow) {
    // A flow runs from a call's start: a call already talking goes to a queue, a phone or a
    // number, never back into an IVR.
    return Error::invalid("target.kind", "a flow takes new calls only");
  }
  return target;
}

std::optional<Target> CallControl::resolveNumber(std::string_view user) const {
  if (user.empty()) {
    return std::nullopt;
  }
  for (const auto& entry : entry_points_) {
    if (entry.enabled && entry.number == user) {
      return entry.target;
    }
  }
  if (agents_.agentOfExtension(user) || !sip_.contactsOf(user).empty()) {
    return Target{TargetKind::Extension, std::string(user)};
  }
  return std::nullopt;
}

Result<void> CallControl::blindTransfer(std::string_view call_id, const Target& target) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  return transferTo(*c, target, 0);
}

Result<void> CallControl::transferTo(Call& c, const Target& target, sip::DialogId refer_dialog) {
  if (!talking(c.state) || !c.party) {
    return conflict("only a call talking to a party can be transferred");
  }
  KEFU_TRY(checkTarget(target));
  if (target.kind == TargetKind::Queue) {
    if (c.routed) {
      KEFU_TRY(router_.transferToQueue(c.id, target.id));
    } else {
      KEFU_TRY(router_.enqueue(
          QueuedCall{.call_id = c.id, .queue_id = target.id, .priority = c.priority}));
      c.routed = true;
    }
    c.queue_id = target.id;
  } else if (c.routed) {
    router_.transferredAway(c.id, targetText(target));
    c.routed = false;
  }
  if (refer_dialog != 0) {
    // Our choice: the REFER succeeds once we take the caller over, before the target answers
    // (the transferring phone is released at once).
    sip_.notifyReferProgress(refer_dialog, 200, "OK");
  }
  releaseLeg(c, *c.party, true);
  c.agent_id.clear();
  emit(c, CallEventType::Transferred, {}, {}, {}, targetText(target));
  switch (target.kind) {
    case TargetKind::Queue:
      c.state = CallState::Queued;
      playMusicOnHold(c);
      break;
    case TargetKind::Extension:
    case TargetKind::Agent:
    case TargetKind::Number:
      c.state = CallState::Ringing;
      playMusicOnHold(c);
      if (!ringTarget(c, target, LegRole::Party, {}, false)) {
        endCall(c, EndCause::Unreachable);
      }
      break;
    case TargetKind::Announcement: {
      c.state = CallState::Announcing;
      stopMusic(c);
      startAnnouncement(c, target.id);
      break;
    }
    case TargetKind::Flow:
      KEFU_BUG("checkTarget refuses flow targets");
      break;
  }
  return {};
}

void CallControl::handleRefer(Call& call, Leg& leg, const sip::DialogEvent& event) {
  if (leg.role != Leg::Role::Party || !leg.answered || !talking(call.state)) {
    sip_.notifyReferProgress(event.dialog, 403, "Forbidden");
    return;
  }
  if (!event.replaces_call_id.empty()) {
    handleReplacesRefer(call, leg, event);
    return;
  }
  auto target = resolveNumber(internal::uriUser(event.refer_to));
  if (!target) {
    sip_.notifyReferProgress(event.dialog, 404, "Not Found");
    return;
  }
  auto dialog = event.dialog;
  auto done = transferTo(call, *target, dialog);
  if (!done) {
    spdlog::info("call {}: REFER to {} refused: {}", call.id, event.refer_to, done.error().message);
    sip_.notifyReferProgress(dialog, 503, "Service Unavailable");
  }
}

void CallControl::handleReinvite(Call& call, Leg* leg, const sip::DialogEvent& event) {
  auto session = leg != nullptr ? leg->session : call.caller_leg.session;
  auto answer = media_.reanswer(session, event.sdp);
  if (!answer) {
    sip_.answerReinvite(event.dialog, 488, {});
    return;
  }
  sip_.answerReinvite(event.dialog, 200, std::move(*answer));
  // The caller holding us needs nothing more; the party holding the caller means music.
  if (leg == nullptr || leg->role != Leg::Role::Party || !leg->answered) {
    return;
  }
  auto holds = internal::offerHolds(event.sdp);
  if (!holds) {
    return;
  }
  if (*holds && call.state == CallState::Talking) {
    (void)hold(call.id, true);
  } else if (!*holds && call.state == CallState::Held) {
    (void)hold(call.id, false);
  }
}

// --- Consultations and conferences. ---

Result<void> CallControl::startConsult(std::string_view call_id, const Target& target) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (!talking(c->state) || !c->party || c->consult) {
    return conflict("only a call talking to a party can start a consultation");
  }
  KEFU_TRY(checkTarget(target));
  if (target.kind == TargetKind::Queue) {
    KEFU_TRY(router_.consultQueue(c->id, target.id));
    c->consult_routed = true;
  } else if (target.kind == TargetKind::Announcement) {
    return Error::invalid("target.kind", "an announcement cannot be consulted");
  } else if (!ringTarget(*c, target, LegRole::Consult, {}, false)) {
    return Error{ErrorCode::Unavailable, "nobody to ring for " + targetText(target), "target"};
  }
  if (c->state == CallState::Talking) {
    media_.unbridge(c->caller_leg.session);
    playMusicOnHold(*c);
  }
  c->state = CallState::Consulting;
  c->consult_target = target;
  emit(*c, CallEventType::ConsultStarted, {}, {}, {}, targetText(target));
  return {};
}

Result<void> CallControl::completeConsult(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (c->state != CallState::Consulting || !c->consult || !c->consult->answered) {
    return conflict("no answered consultation to complete");
  }
  media_.unbridge(c->consult->session);
  if (c->consult_routed) {
    router_.consultCompleted(c->id);
    c->routed = true;
  } else if (c->routed) {
    router_.transferredAway(c->id, targetText(c->consult_target));
    c->routed = false;
  }
  c->consult_routed = false;
  if (c->party) {
    releaseLeg(*c, *c->party, true);
  }
  c->party = std::move(c->consult);
  c->party->role = Leg::Role::Party;
  c->consult.reset();
  c->agent_id = c->party->agent_id;
  if (c->consult_target.kind == TargetKind::Queue) {
    c->queue_id = c->consult_target.id;
  }
  stopMusic(*c);
  c->state = CallState::Talking;
  if (!bridgeParty(*c)) {
    endCall(*c, EndCause::Failed, "bridge failed");
    return Error::internal("the caller and the consulted party cannot be bridged");
  }
  emit(*c, CallEventType::Transferred, {}, "attended", {}, targetText(c->consult_target));
  maybeStartRecording(*c);
  return {};
}

Result<void> CallControl::cancelConsult(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (c->state != CallState::Consulting) {
    return conflict("the call has no consultation");
  }
  if (c->consult) {
    releaseLeg(*c, *c->consult, true);
  }
  if (c->consult_routed) {
    router_.consultCancelled(c->id);
    c->consult_routed = false;
  }
  if (!c->party) {
    endCall(*c, EndCause::AgentHangup);
    return {};
  }
  stopMusic(*c);
  c->state = CallState::Talking;
  if (!bridgeParty(*c)) {
    endCall(*c, EndCause::Failed, "bridge failed");
    return Error::internal("the caller and the party cannot be bridged again");
  }
  emit(*c, CallEventType::Resumed, {}, "consult_cancelled");
  return {};
}

Result<void> CallControl::conference(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (c->state != CallState::Consulting || !c->party || !c->consult || !c->consult->answered) {
    return conflict("a conference needs an answered consultation");
  }
  media_.unbridge(c->party->session);
  stopMusic(*c);
  for (auto session : {c->caller_leg.session, c->party->session, c->consult->session}) {
    auto joined = media_.joinConference(c->seq, session, media::Mixer::Role::Speaker);
    if (!joined) {
      endCall(*c, EndCause::Failed, "conference failed");
      return Error::internal("the conference cannot be set up: " + joined.error().message);
    }
  }
  c->state = CallState::Conferenced;
  emit(*c, CallEventType::Conferenced, {}, {}, {}, targetText(c->consult_target));
  return {};
}

// --- Recording. ---

void CallControl::maybeStartRecording(Call& call) {
  if (config_.record_calls && !call.recording) {
    auto started = beginRecording(call);
    if (!started) {
      spdlog::warn("call {}: recording not started: {}", call.id, started.error().message);
    }
  }
}

Result<void> CallControl::beginRecording(Call& call) {
  if (call.recording) {
    return conflict("the call is being recorded");
  }
  if (!call.caller_leg.answered || call.caller_leg.session == 0) {
    return conflict("the caller is not answered");
  }
  auto path =
      config_.recording_dir + "/" + call.id + "-" + std::to_string(++call.recordings) + ".wav";
  media::SessionId right = call.party && call.party->answered ? call.party->session : 0;
  KEFU_TRY(media_.startRecording(call.caller_leg.session, right, path));
  call.recording = true;
  call.recording_path = path;
  emit(call, CallEventType::RecordingStarted, {}, path);
  return {};
}

void CallControl::stopRecordingOf(Call& call) {
  if (!call.recording) {
    return;
  }
  media_.stopRecording(call.caller_leg.session);
  call.recording = false;
  emit(call, CallEventType::RecordingStopped, {}, call.recording_path);
}

Result<void> CallControl::startRecording(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  return beginRecording(*c);
}

Result<void> CallControl::pauseRecording(std::string_view call_id, bool paused) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (!c->recording) {
    return conflict("the call is not being recorded");
  }
  media_.pauseRecording(c->caller_leg.session, paused);
  return {};
}

Result<void> CallControl::stopRecording(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (!c->recording) {
    return conflict("the call is not being recorded");
  }
  stopRecordingOf(*c);
  return {};
}

// --- RoutedCalls. ---

void CallControl::ringAgent(std::string_view call_id, std::string_view agent_id, bool consult) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    // The caller left meanwhile; the router has been told (callerLeft).
    return;
  }
  bool expected = consult ? c->state == CallState::Consulting && c->consult_routed
                          : c->state == CallState::Queued || c->state == CallState::CallbackPending;
  if (!expected) {
    router_.agentDeclined(call_id, agent_id, "failed");
    return;
  }
  auto& slot = consult ? c->consult : c->party;
  if (slot) {
    // The router asks for another agent without stopping the last one: that one stops now.
    releaseLeg(*c, *slot, true);
  }
  // The agent's browser softphone when it is connected, else the phone at its extension.
  if (!ringTarget(*c, Target{TargetKind::Agent, std::string(agent_id)},
                  consult ? LegRole::Consult : LegRole::Party, std::string(agent_id), true)) {
    router_.agentDeclined(call_id, agent_id, "unreachable");
  }
}

void CallControl::stopRingingAgent(std::string_view call_id, std::string_view agent_id,
                                   std::string_view /*reason*/) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return;
  }
  for (auto* slot : {&c->party, &c->consult}) {
    if (*slot && !(*slot)->answered && (*slot)->agent_id == agent_id && (*slot)->via_router) {
      releaseLeg(*c, **slot, true);
    }
  }
}

void CallControl::routingEnded(std::string_view call_id, std::string_view reason,
                               std::string_view target) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return;
  }
  c->routed = false;
  if (reason == "callback_failed") {
    // The router released the callback's agent itself (it declined or did not answer in time).
    endCall(*c, EndCause::CallbackFailed, std::string(reason));
    return;
  }
  if (c->party && !c->party->answered) {
    releaseLeg(*c, *c->party, true);
  }
  bool number =
      !target.empty() && target.find_first_not_of("+0123456789*#") == std::string_view::npos;
  if (number && c->state == CallState::Queued) {
    Target next{TargetKind::Number, std::string(target)};
    emit(*c, CallEventType::Transferred, {}, std::string(reason), {}, targetText(next));
    c->state = CallState::Ringing;
    if (!ringTarget(*c, next, LegRole::Party, {}, false)) {
      endCall(*c, EndCause::Unreachable, std::string(reason));
    }
    return;
  }
  endCall(*c, EndCause::RoutingEnded, std::string(reason));
}

}  // namespace kefu::call
