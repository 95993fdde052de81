// Hold, transfers, consultations, conferences, recording, DTMF and the API's hang-up.

#include "call_control_fixture.h"

namespace kefu::call::test {
namespace {

class CallFeaturesTest : public CallControlTest {
 protected:
  void refer(sip::DialogId dialog, const std::string& to, const std::string& replaces = {}) {
    sip::DialogEvent event;
    event.dialog = dialog;
    event.kind = Kind::ReferReceived;
    event.refer_to = to;
    event.replaces_call_id = replaces;
    control->onDialogEvent(event);
    run();
  }
  void reinvite(sip::DialogId dialog, const std::string& sdp) {
    dialogEvent(dialog, Kind::ReinviteReceived, 0, sdp);
  }
  void info(sip::DialogId dialog, const std::string& type, const std::string& body) {
    sip::DialogEvent event;
    event.dialog = dialog;
    event.kind = Kind::InfoReceived;
    event.content_type = type;
    event.body = body;
    control->onDialogEvent(event);
    run();
  }
};

// --- Hold. ---

TEST_F(CallFeaturesTest, HoldPlaysMusicToTheCallerAndResumeBridgesAgain) {
  start();
  auto id = talkingToAgent();
  auto caller = callerSession(id);
  auto agent = legSession(id, "party");
  ASSERT_TRUE(control->hold(id, true).ok());
  EXPECT_FALSE(media.partnerOf(caller));
  ASSERT_NE(media.playing(caller), nullptr);
  EXPECT_TRUE(media.playing(caller)->loop);
  EXPECT_EQ(snapshot(id).state, CallState::Held);
  EXPECT_TRUE(router.saw("hold " + id + " on"));
  EXPECT_NE(lastEvent(CallEventType::Held), nullptr);

  EXPECT_EQ(control->hold(id, true).error().code, ErrorCode::Conflict);
  ASSERT_TRUE(control->hold(id, false).ok());
  EXPECT_EQ(media.partnerOf(caller), agent);
  EXPECT_EQ(media.playing(caller), nullptr);
  EXPECT_TRUE(router.saw("hold " + id + " off"));
  EXPECT_NE(lastEvent(CallEventType::Resumed), nullptr);
  EXPECT_EQ(control->hold(id, false).error().code, ErrorCode::Conflict);
  EXPECT_EQ(control->hold("call_nope", true).error().code, ErrorCode::NotFound);
}

TEST_F(CallFeaturesTest, HoldWhileQueuedIsAConflict) {
  start();
  callIn("101");
  EXPECT_EQ(control->hold(onlyCall(), true).error().code, ErrorCode::Conflict);
}

TEST_F(CallFeaturesTest, AgentPhoneReinviteSendonlyHoldsAndSendrecvResumes) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  reinvite(agent, phoneSdp("sendonly"));
  auto answered = sip.last("answer_reinvite", agent);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200);
  EXPECT_EQ(answered->text, "reanswer-of-session-" + std::to_string(legSession(id, "party")));
  EXPECT_EQ(snapshot(id).state, CallState::Held);
  EXPECT_NE(media.playing(callerSession(id)), nullptr);

  reinvite(agent, phoneSdp("sendrecv"));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));

  reinvite(agent, phoneSdp("inactive"));
  EXPECT_EQ(snapshot(id).state, CallState::Held);
  reinvite(agent, phoneSdp("sendrecv", "0.0.0.0"));  // RFC 2543 hold stays on hold
  EXPECT_EQ(snapshot(id).state, CallState::Held);
}

TEST_F(CallFeaturesTest, CallerReinviteIsAnsweredWithoutMusic) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  reinvite(caller, phoneSdp("sendonly"));
  EXPECT_EQ(sip.last("answer_reinvite", caller)->status, 200);
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.playing(callerSession(id)), nullptr);
  EXPECT_FALSE(router.saw("hold " + id + " on"));
}

TEST_F(CallFeaturesTest, UnusableReinviteOfferGets488AndTheCallGoesOn) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  reinvite(agent, "garbage");
  EXPECT_EQ(sip.last("answer_reinvite", agent)->status, 488);
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
}

// --- Blind transfer. ---

TEST_F(CallFeaturesTest, ReferFromTheAgentToAnExtensionRingsItForTheCaller) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  auto agent = legDialog(id, "party");
  refer(agent, "<sip:302@kefu.example.com>");
  auto notified = sip.last("notify", agent);
  ASSERT_TRUE(notified);
  EXPECT_EQ(notified->status, 200);
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(router.saw("transferredAway " + id + " extension:302"));
  EXPECT_EQ(event(CallEventType::Transferred).target, "extension:302");
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:302@10.0.0.32:5060");
  EXPECT_NE(media.playing(callerSession(id)), nullptr);  // music while it rings

  answer(lastInvite());
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(snapshot(id).agent_id, "ag_2");
  bye(caller);
  EXPECT_EQ(router.log.back(), "transferredAway " + id + " extension:302");  // router done
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, ReferToAQueueEntryPointRequeuesTheCaller) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  refer(agent, "sip:100@kefu.example.com");
  EXPECT_TRUE(router.saw("transferToQueue " + id + " support"));
  EXPECT_EQ(sip.last("notify", agent)->status, 200);
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(snapshot(id).queue_id, "support");
  EXPECT_NE(media.playing(callerSession(id)), nullptr);
  control->ringAgent(id, "ag_2", false);
  run();
  answer(lastInvite());
  EXPECT_TRUE(router.saw("answered " + id + " ag_2"));
}

TEST_F(CallFeaturesTest, ReferToAnUnknownNumberFailsAndTheCallGoesOn) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  refer(agent, "sip:999@kefu.example.com");
  EXPECT_EQ(sip.last("notify", agent)->status, 404);
  EXPECT_FALSE(sip.hungUp(agent));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
}

TEST_F(CallFeaturesTest, ReferTheRouterRefusesFailsAndTheCallGoesOn) {
  router.transfer_error = Error{ErrorCode::Conflict, "full", {}};
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  refer(agent, "sip:100@kefu.example.com");
  EXPECT_EQ(sip.last("notify", agent)->status, 503);
  EXPECT_FALSE(sip.hungUp(agent));
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
}

TEST_F(CallFeaturesTest, ReferWithReplacesJoinsTheCallerToTheAgentsConsultation) {
  start();
  auto x = talkingToAgent("ag_1");
  auto caller = legDialog(x, "caller");
  auto agent = legDialog(x, "party");
  reinvite(agent, phoneSdp("sendonly"));  // the agent's phone holds the caller
  // The agent's phone calls extension 302 through Kefu: call Y.
  auto consult_dialog = callIn("302", "10.0.0.31");
  std::string y;
  for (const auto& c : control->calls()) {
    y = c.id == x ? y : c.id;
  }
  auto colleague = lastInvite();
  answer(colleague);
  auto old_session = legSession(y, "party");

  refer(agent, "sip:302@kefu.example.com", "cid-" + std::to_string(consult_dialog));
  EXPECT_EQ(sip.last("notify", agent)->status, 200);
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(sip.hungUp(consult_dialog));
  EXPECT_FALSE(sip.hungUp(colleague));
  EXPECT_TRUE(router.saw("transferredAway " + x + " extension:302"));
  EXPECT_EQ(event(CallEventType::Ended).call_id, y);
  EXPECT_EQ(endedCause(), "transferred");
  EXPECT_EQ(control->calls().size(), 1u);
  // The colleague's phone is re-INVITEd onto a session on the caller's media thread.
  auto reinvited = sip.last("reinvite", colleague);
  ASSERT_TRUE(reinvited);
  const std::string prefix = "offer-of-session-";
  ASSERT_EQ(reinvited->text.rfind(prefix, 0), 0u);
  media::SessionId fresh = std::stoull(reinvited->text.substr(prefix.size()));
  EXPECT_EQ(legDialog(x, "party"), colleague);
  EXPECT_EQ(media.sessions().at(fresh).affinity, media.sessions().at(callerSession(x)).affinity);
  EXPECT_NE(media.playing(callerSession(x)), nullptr);

  dialogEvent(colleague, Kind::ReinviteAnswered, 200, phoneSdp());
  EXPECT_FALSE(media.sessions().contains(old_session));
  EXPECT_EQ(legSession(x, "party"), fresh);
  EXPECT_EQ(media.partnerOf(callerSession(x)), fresh);
  EXPECT_EQ(media.playing(callerSession(x)), nullptr);
  EXPECT_EQ(snapshot(x).state, CallState::Talking);
  EXPECT_EQ(snapshot(x).agent_id, "ag_2");
  EXPECT_EQ(ended(EndCause::Transferred), 1u);

  bye(caller);
  EXPECT_TRUE(sip.hungUp(colleague));
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, ReferWithReplacesTheColleagueRefusesReleasesEverything) {
  start();
  auto x = talkingToAgent("ag_1");
  auto caller = legDialog(x, "caller");
  auto agent = legDialog(x, "party");
  auto consult_dialog = callIn("302", "10.0.0.31");
  auto colleague = lastInvite();
  answer(colleague);
  refer(agent, "sip:302@kefu.example.com", "cid-" + std::to_string(consult_dialog));
  dialogEvent(colleague, Kind::ReinviteAnswered, 488);
  EXPECT_TRUE(sip.hungUp(colleague));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "failed");
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, ReferWithReplacesNamingNoCallFailsAndTheCallGoesOn) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  refer(agent, "sip:302@kefu.example.com", "abc@host");
  EXPECT_EQ(sip.last("notify", agent)->status, 481);
  EXPECT_FALSE(sip.hungUp(agent));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
}

TEST_F(CallFeaturesTest, ReferFromTheCallerIsRefused) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  refer(caller, "sip:302@kefu.example.com");
  EXPECT_EQ(sip.last("notify", caller)->status, 403);
  EXPECT_EQ(snapshot(id).agent_id, "ag_1");
}

TEST_F(CallFeaturesTest, ApiBlindTransferToAnExtensionNobodyAnswersReleasesTheCaller) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  ASSERT_TRUE(control->blindTransfer(id, {TargetKind::Extension, "302"}).ok());
  auto target = lastInvite();
  time.advance(config.ring_timeout);
  run();
  EXPECT_TRUE(sip.hungUp(target));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "no_answer");
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, BlindTransferChecksStateAndTarget) {
  start();
  callIn("101");
  auto queued = onlyCall();
  EXPECT_EQ(control->blindTransfer(queued, {TargetKind::Extension, "302"}).error().code,
            ErrorCode::Conflict);
  EXPECT_EQ(control->blindTransfer("call_nope", {TargetKind::Extension, "302"}).error().code,
            ErrorCode::NotFound);
  bye(legDialog(queued, "caller"));
  config.gateway = {};
  control.reset();
  start();
  auto id = talkingToAgent();
  EXPECT_EQ(control->blindTransfer(id, {TargetKind::Number, "555"}).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(control->blindTransfer(id, {TargetKind::Queue, ""}).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
}

TEST_F(CallFeaturesTest, CallerHangingUpWhileTheTransferTargetRingsCancelsIt) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  ASSERT_TRUE(control->blindTransfer(id, {TargetKind::Number, "5550000"}).ok());
  auto target = lastInvite();
  bye(caller);
  EXPECT_TRUE(sip.hungUp(target));
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, TransferTargetRejectingReleasesTheCaller) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  ASSERT_TRUE(control->blindTransfer(id, {TargetKind::Extension, "302"}).ok());
  fail(lastInvite(), 603);
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "rejected");
  expectNothingLeft();
}

// --- Attended transfer. ---

TEST_F(CallFeaturesTest, ConsultThenCompleteHandsTheCallerToTheConsultedParty) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  auto agent = legDialog(id, "party");
  auto agent_session = legSession(id, "party");
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  EXPECT_EQ(snapshot(id).state, CallState::Consulting);
  EXPECT_FALSE(media.partnerOf(callerSession(id)));
  EXPECT_NE(media.playing(callerSession(id)), nullptr);
  EXPECT_EQ(event(CallEventType::ConsultStarted).target, "extension:302");
  EXPECT_EQ(control->completeConsult(id).error().code, ErrorCode::Conflict);  // still ringing

  auto consult = lastInvite();
  answer(consult);
  auto consult_session = legSession(id, "consult");
  EXPECT_EQ(media.partnerOf(agent_session), consult_session);
  EXPECT_NE(media.playing(callerSession(id)), nullptr);

  ASSERT_TRUE(control->completeConsult(id).ok());
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_FALSE(sip.hungUp(consult));
  EXPECT_EQ(media.partnerOf(callerSession(id)), consult_session);
  EXPECT_EQ(media.playing(callerSession(id)), nullptr);
  EXPECT_EQ(snapshot(id).agent_id, "ag_2");
  EXPECT_TRUE(router.saw("transferredAway " + id + " extension:302"));
  EXPECT_EQ(event(CallEventType::Transferred).target, "extension:302");
  bye(caller);
  EXPECT_TRUE(sip.hungUp(consult));
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, ConsultThroughAQueueUsesTheRouter) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Queue, "support"}).ok());
  EXPECT_TRUE(router.saw("consultQueue " + id + " support"));
  EXPECT_EQ(sip.invites().size(), 1u);  // nobody rings until the router says so
  control->ringAgent(id, "ag_2", true);
  run();
  ASSERT_EQ(sip.invites().size(), 2u);
  answer(lastInvite());
  EXPECT_TRUE(router.saw("answered " + id + " ag_2"));
  EXPECT_EQ(media.partnerOf(legSession(id, "party")), legSession(id, "consult"));
  ASSERT_TRUE(control->completeConsult(id).ok());
  EXPECT_TRUE(router.saw("consultCompleted " + id));
  bye(legDialog(id, "caller"));
  EXPECT_TRUE(router.saw("talkEnded " + id));
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, ConsultedAgentDecliningGoesBackToTheRouter) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Queue, "support"}).ok());
  control->ringAgent(id, "ag_2", true);
  run();
  fail(lastInvite(), 486);
  EXPECT_TRUE(router.saw("declined " + id + " ag_2 busy"));
  EXPECT_EQ(snapshot(id).state, CallState::Consulting);
  ASSERT_TRUE(control->cancelConsult(id).ok());
  EXPECT_TRUE(router.saw("consultCancelled " + id));
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
}

TEST_F(CallFeaturesTest, CancelConsultBringsTheAgentBackToTheCaller) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  answer(consult);
  ASSERT_TRUE(control->cancelConsult(id).ok());
  EXPECT_TRUE(sip.hungUp(consult));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(media.playing(callerSession(id)), nullptr);
  EXPECT_EQ(control->cancelConsult(id).error().code, ErrorCode::Conflict);
  EXPECT_EQ(control->counters().legs_active.load(), 2);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 2);
}

TEST_F(CallFeaturesTest, ConsultedPartyHangingUpBringsTheAgentBack) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  answer(consult);
  bye(consult);
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
}

TEST_F(CallFeaturesTest, ConsultNobodyAnswersBringsTheAgentBack) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  time.advance(config.ring_timeout);
  run();
  EXPECT_TRUE(sip.hungUp(consult));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
}

TEST_F(CallFeaturesTest, AgentHangingUpAfterTheConsultAnsweredCompletesTheTransfer) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  answer(consult);
  auto consult_session = legSession(id, "consult");
  bye(legDialog(id, "party"));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), consult_session);
  EXPECT_FALSE(sip.hungUp(consult));
  bye(consult);
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, AgentHangingUpWhileTheConsultRingsEndsEverything) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  bye(legDialog(id, "party"));
  EXPECT_TRUE(sip.hungUp(consult));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "agent_hangup");
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, CallerHangingUpMidConsultReleasesEveryone) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Queue, "support"}).ok());
  control->ringAgent(id, "ag_2", true);
  run();
  auto consult = lastInvite();
  auto agent = legDialog(id, "party");
  bye(legDialog(id, "caller"));
  EXPECT_TRUE(sip.hungUp(consult));
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(router.saw("consultCancelled " + id));
  EXPECT_TRUE(router.saw("talkEnded " + id));
  expectNothingLeft();
}

// --- Conference. ---

TEST_F(CallFeaturesTest, ConferenceJoinsThreePartiesAndSurvivesOneLeaving) {
  start();
  auto id = talkingToAgent();
  EXPECT_EQ(control->conference(id).error().code, ErrorCode::Conflict);
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  answer(consult);
  ASSERT_TRUE(control->conference(id).ok());
  auto caller_session = callerSession(id);
  auto agent_session = legSession(id, "party");
  auto consult_session = legSession(id, "consult");
  ASSERT_EQ(media.conferences().size(), 3u);
  auto room = media.conferences().at(caller_session);
  EXPECT_EQ(media.conferences().at(agent_session), room);
  EXPECT_EQ(media.conferences().at(consult_session), room);
  EXPECT_FALSE(media.partnerOf(agent_session));
  EXPECT_EQ(media.playing(caller_session), nullptr);
  EXPECT_EQ(snapshot(id).state, CallState::Conferenced);
  EXPECT_NE(lastEvent(CallEventType::Conferenced), nullptr);

  // The caller leaves: the agent and the consulted party keep talking.
  bye(legDialog(id, "caller"));
  EXPECT_EQ(lastEvent(CallEventType::Ended), nullptr);
  EXPECT_EQ(media.conferences().size(), 2u);
  EXPECT_FALSE(sip.hungUp(consult));
  // Then one of them leaves: the call is over.
  bye(consult);
  EXPECT_NE(lastEvent(CallEventType::Ended), nullptr);
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, AgentLeavingTheConferenceLeavesCallerAndConsultedPartyTalking) {
  start();
  auto id = talkingToAgent();
  ASSERT_TRUE(control->startConsult(id, {TargetKind::Extension, "302"}).ok());
  auto consult = lastInvite();
  answer(consult);
  ASSERT_TRUE(control->conference(id).ok());
  bye(legDialog(id, "party"));
  EXPECT_EQ(media.conferences().size(), 2u);
  EXPECT_EQ(snapshot(id).agent_id, "ag_2");
  auto caller = legDialog(id, "caller");
  control->onRtpTimeout(legSession(id, "party"));  // the consulted phone goes silent
  run();
  EXPECT_TRUE(sip.hungUp(consult));
  EXPECT_TRUE(sip.hungUp(caller));
  expectNothingLeft();
}

// --- Recording, DTMF, hang-up. ---

TEST_F(CallFeaturesTest, RecordingStartPauseStopThroughTheApi) {
  start();
  auto id = talkingToAgent();
  EXPECT_EQ(control->pauseRecording(id, true).error().code, ErrorCode::Conflict);
  ASSERT_TRUE(control->startRecording(id).ok());
  EXPECT_EQ(control->startRecording(id).error().code, ErrorCode::Conflict);
  auto caller = callerSession(id);
  ASSERT_TRUE(media.recordings().contains(caller));
  EXPECT_EQ(media.recordings().at(caller).right, legSession(id, "party"));
  ASSERT_TRUE(control->pauseRecording(id, true).ok());
  EXPECT_TRUE(media.recordings().at(caller).paused);
  ASSERT_TRUE(control->stopRecording(id).ok());
  EXPECT_FALSE(media.recordings().contains(caller));
  EXPECT_EQ(event(CallEventType::RecordingStopped).detail, "/rec/" + id + "-1.wav");
  ASSERT_TRUE(control->startRecording(id).ok());
  EXPECT_EQ(event(CallEventType::RecordingStarted).detail, "/rec/" + id + "-2.wav");
  media.fail_recording = true;
  ASSERT_TRUE(control->stopRecording(id).ok());
  EXPECT_EQ(control->startRecording(id).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(control->stopRecording("call_nope").error().code, ErrorCode::NotFound);
}

TEST_F(CallFeaturesTest, CallerDtmfFromMediaAndSipInfoBecomeEvents) {
  start();
  auto id = talkingToAgent();
  control->onDtmf(callerSession(id), '5', media::DtmfSource::Rfc4733);
  control->onDtmf(legSession(id, "party"), '9', media::DtmfSource::Rfc4733);  // agent: ignored
  control->onDtmf(callerSession(id), '#', media::DtmfSource::InBand);
  run();
  info(legDialog(id, "caller"), "application/dtmf-relay", "Signal=7\r\nDuration=160\r\n");
  info(legDialog(id, "caller"), "application/dtmf", "*");
  info(legDialog(id, "caller"), "application/json", "{}");
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : events) {
    if (e.type == CallEventType::Dtmf) {
      got.emplace_back(e.detail, e.cause);
    }
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"5", "rfc4733"}, {"#", "inband"}, {"7", "sip_info"}, {"*", "sip_info"}}));
}

TEST_F(CallFeaturesTest, ApiHangUpReleasesEveryLeg) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  auto agent = legDialog(id, "party");
  ASSERT_TRUE(control->hangUp(id).ok());
  run();
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_EQ(endedCause(), "api_hangup");
  EXPECT_EQ(control->hangUp(id).error().code, ErrorCode::NotFound);
  expectNothingLeft();
}

TEST_F(CallFeaturesTest, SnapshotShowsTheCallAndItsLegs) {
  start();
  auto id = talkingToAgent();
  auto s = snapshot(id);
  EXPECT_EQ(s.caller, "+4930123");
  EXPECT_EQ(s.dialed, "101");
  EXPECT_EQ(s.queue_id, "sales");
  EXPECT_EQ(s.target, "queue:sales");
  ASSERT_EQ(s.legs.size(), 2u);
  EXPECT_EQ(s.legs[1].agent_id, "ag_1");
  EXPECT_EQ(s.legs[1].target, "extension:301");
  EXPECT_TRUE(s.legs[1].answered);
  EXPECT_EQ(control->call("call_nope").error().code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace kefu::call::test
