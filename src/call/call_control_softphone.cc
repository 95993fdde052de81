#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"

// Browser softphones: an agent whose WebRTC session is connected is rung on it (no SIP dialog;
// the session is nailed up for the shift and owned by the site), answers and declines through
// the API; a supervisor's softphone joins a call's conference to listen, whisper or barge; keys
// are sent to the caller on the API's behalf.

namespace kefu::call {

namespace {

using internal::Leg;

constexpr auto DigitGap = std::chrono::milliseconds(200);
constexpr int DigitDurationMs = 120;

Error conflict(std::string message) { return Error{ErrorCode::Conflict, std::move(message), {}}; }

bool dtmfKey(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

}  // namespace

bool CallControl::ringSoftphone(Call& call, const Target& target, LegRole role,
                                const std::string& agent_id, bool via_router,
                                media::SessionId session) {
  Leg leg;
  leg.role = role == LegRole::Party ? Leg::Role::Party : Leg::Role::Consult;
  leg.session = session;
  leg.softphone = true;
  leg.agent_id = agent_id;
  leg.target = "agent:" + agent_id;
  leg.via_router = via_router;
  leg.ring_id = next_ring_id_++;
  leg.alerted = true;
  if (!via_router) {
    // The router times its own rings out; direct rings (transfers, extensions) time out here.
    leg.ring_timer =
        loop_.postAfter(config_.ring_timeout,
                        [this, id = call.id, ring_id = leg.ring_id] { ringTimedOut(id, ring_id); });
  }
  // Tracked like a session of the call so that its DTMF and quality reach the call; releasing
  // the leg "destroys" it, which the site's engine turns into a detach (see SiteSoftphones).
  trackSession(call, session);
  (role == LegRole::Party ? call.party : call.consult) = std::move(leg);
  emit(call, CallEventType::Ringing, {}, role == LegRole::Consult ? "consult" : "softphone",
       agent_id, std::string(toString(target.kind)) + ":" + target.id);
  return true;
}

Result<std::pair<CallControl::Call*, CallControl::Leg*>> CallControl::ringingSoftphone(
    std::string_view call_id, std::string_view agent_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  for (auto* slot : {&c->party, &c->consult}) {
    if (*slot && (*slot)->softphone && !(*slot)->answered && (*slot)->agent_id == agent_id) {
      return std::pair{c, &**slot};
    }
  }
  return conflict("the call is not ringing on agent " + std::string(agent_id) + "'s softphone");
}

Result<void> CallControl::answerSoftphone(std::string_view call_id, std::string_view agent_id) {
  auto ringing = ringingSoftphone(call_id, agent_id);
  if (!ringing) {
    return ringing.error();
  }
  legAnswered(*ringing->first, *ringing->second, {});
  return {};
}

Result<void> CallControl::declineSoftphone(std::string_view call_id, std::string_view agent_id) {
  auto ringing = ringingSoftphone(call_id, agent_id);
  if (!ringing) {
    return ringing.error();
  }
  legFailed(*ringing->first, *ringing->second, EndCause::Rejected, false);
  return {};
}

Result<void> CallControl::sendDigits(std::string_view call_id, std::string_view digits) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (digits.empty() || digits.size() > 64) {
    return Error::invalid("digits", "must be 1 to 64 keys");
  }
  for (char d : digits) {
    if (!dtmfKey(d)) {
      return Error::invalid("digits", "keys are 0-9, *, # and A-D");
    }
  }
  if (!c->caller_leg.answered || c->caller_leg.session == 0) {
    return conflict("the caller is not answered");
  }
  // A new request replaces the keys of an earlier one that are still waiting.
  sendNextDigit(c->id, ++c->dtmf_seq, std::string(digits));
  return {};
}

void CallControl::sendNextDigit(const std::string& call_id, std::uint64_t dtmf_seq,
                                std::string digits) {
  auto* c = findCall(call_id);
  if (c == nullptr || c->dtmf_seq != dtmf_seq || digits.empty() || c->caller_leg.session == 0) {
    return;
  }
  media_.sendDtmf(c->caller_leg.session, digits.front(), DigitDurationMs);
  emit(*c, CallEventType::Dtmf, "api", std::string(1, digits.front()));
  digits.erase(0, 1);
  if (!digits.empty()) {
    loop_.postAfter(DigitGap, [this, call_id, dtmf_seq, digits = std::move(digits)]() mutable {
      sendNextDigit(call_id, dtmf_seq, std::move(digits));
    });
  }
}

Result<void> CallControl::monitor(std::string_view call_id, std::string_view supervisor,
                                  MonitorMode mode) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* c = findCall(call_id);
  if (c == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  bool monitored = c->monitor_session != 0;
  bool talking =
      c->state == CallState::Talking || (monitored && c->state == CallState::Conferenced);
  if (!talking || !c->party || !c->party->answered || c->caller_leg.session == 0) {
    return conflict("only a call talking to an agent can be monitored");
  }
  if (monitored && c->monitor_user != supervisor) {
    return conflict("the call is monitored by another supervisor");
  }
  auto session = agents_.softphoneOf(supervisor);
  if (!session) {
    return conflict("the supervisor's softphone is not connected");
  }
  if (*session == c->party->session || *session == c->caller_leg.session) {
    return Error::invalid("supervisor", "a party of the call cannot monitor it");
  }
  auto role = mode == MonitorMode::Listen    ? media::Mixer::Role::Listener
              : mode == MonitorMode::Whisper ? media::Mixer::Role::Whisperer
                                             : media::Mixer::Role::Speaker;
  if (!monitored) {
    // From a two-party bridge to the call's conference: the caller and the agent as speakers.
    media_.unbridge(c->caller_leg.session);
    for (auto party : {c->caller_leg.session, c->party->session}) {
      auto joined = media_.joinConference(c->seq, party, media::Mixer::Role::Speaker);
      if (!joined) {
        media_.leaveConference(c->caller_leg.session);
        media_.leaveConference(c->party->session);
        if (!bridgeParty(*c)) {
          endCall(*c, EndCause::Failed, "bridge failed");
        }
        return Error::internal("the conference cannot be set up: " + joined.error().message);
      }
    }
  }
  auto joined = media_.joinConference(c->seq, *session, role,
                                      mode == MonitorMode::Whisper ? c->party->session : 0);
  if (!joined) {
    return Error::internal("the supervisor cannot join: " + joined.error().message);
  }
  // Conferenced: hold and transfers refuse while a supervisor takes part; the call's end
  // releases the supervisor (the site detaches its softphone on call.ended).
  c->state = CallState::Conferenced;
  c->monitor_session = *session;
  c->monitor_user = std::string(supervisor);
  std::string_view name = mode == MonitorMode::Listen    ? "listen"
                          : mode == MonitorMode::Whisper ? "whisper"
                                                         : "barge";
  emit(*c, CallEventType::Conferenced, {}, "monitor:" + std::string(name), {},
       "supervisor:" + std::string(supervisor));
  return {};
}

Result<Target> CallControl::resolveAgentTarget(const Target& target) const {
  KEFU_ASSERT(loop_.isThisThread());
  if (target.kind != TargetKind::Agent) {
    return target;
  }
  auto extension = agents_.extensionOf(target.id);
  if (!extension) {
    return Error::invalid("target.id", "no agent " + target.id + " with an extension");
  }
  return Target{TargetKind::Extension, *extension};
}

}  // namespace kefu::call
