// Queued callback: the caller presses the callback key, is released keeping their place, and is
// called back once the reserved agent answers.

#include "call_control_fixture.h"

namespace kefu::call::test {
namespace {

class CallbackTest : public CallControlTest {
 protected:
  /** A trunk call to queue "sales" whose caller pressed `key`; @return the call id. */
  std::string queuedCall(char key = '*') {
    caller = callIn("101");
    auto id = onlyCall();
    control->onDtmf(callerSession(id), key, media::DtmfSource::Rfc4733);
    run();
    return id;
  }

  /** A call from `user` (Contact `contact`, from the trunk at `source`) to queue "sales" whose
   *  caller pressed '*'; @return the call id. */
  std::string queuedCallFrom(const std::string& user, const std::string& contact,
                             const std::string& source) {
    sip::IncomingInvite invite;
    invite.dialog = caller = sip.newIncoming();
    invite.request_uri = "sip:101@kefu.example.com";
    invite.from_uri = "sip:" + user + "@example.org";
    invite.to_uri = invite.request_uri;
    invite.call_id = "cid-" + std::to_string(invite.dialog);
    invite.sdp = phoneSdp();
    invite.content_type = "application/sdp";
    invite.contact_uri = contact;
    invite.source = source;
    invite.source_host = "192.0.2.1";
    control->onIncomingInvite(invite);
    run();
    auto id = onlyCall();
    control->onDtmf(callerSession(id), '*', media::DtmfSource::Rfc4733);
    run();
    return id;
  }

  /** The callback of `id` rings `agent`, who answers; @return the customer's dialog. */
  sip::DialogId agentAnswers(const std::string& id, const std::string& agent = "ag_1") {
    control->ringAgent(id, agent, false);
    run();
    agent_dialog = lastInvite();
    answer(agent_dialog);
    return lastInvite();
  }

  sip::DialogId caller = 0;
  sip::DialogId agent_dialog = 0;
};

TEST_F(CallbackTest, CallbackKeyReleasesTheCallerAndKeepsTheCallPending) {
  start();
  auto id = queuedCall();
  EXPECT_TRUE(router.saw("requestCallback " + id));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_FALSE(router.saw("callerLeft " + id));  // the place is kept, not abandoned
  auto s = snapshot(id);
  EXPECT_EQ(s.state, CallState::CallbackPending);
  EXPECT_EQ(toString(s.state), "callback_pending");
  EXPECT_EQ(control->counters().calls_active.load(), 1);
  EXPECT_EQ(control->counters().legs_active.load(), 0);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 0);
  EXPECT_TRUE(media.sessions().empty());
  const auto* requested = lastEvent(CallEventType::CallbackRequested);
  ASSERT_NE(requested, nullptr);
  EXPECT_EQ(requested->target, "sip:+4930123@gw.example.net:5060");
  EXPECT_EQ(toString(CallEventType::CallbackRequested), "callback_requested");
  // The caller's BYE completing is no news.
  dialogEvent(caller, Kind::Terminated);
  EXPECT_EQ(snapshot(id).state, CallState::CallbackPending);
}

TEST_F(CallbackTest, AgentAnswersFirstThenTheCustomerIsCalledBackThroughTheGatewayAndBridged) {
  start();
  auto id = queuedCall();
  auto customer = agentAnswers(id);
  ASSERT_NE(customer, agent_dialog);
  EXPECT_FALSE(router.saw("answered " + id + " ag_1"));  // the engine hears callbackConnected
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:+4930123@gw.example.net:5060");
  EXPECT_EQ(lastInviteRequest().auth_user, "kefu");
  EXPECT_EQ(lastInviteRequest().auth_password, "secret");
  EXPECT_EQ(lastInviteRequest().from_uri, "sip:101@" + config.sip_host);
  EXPECT_EQ(snapshot(id).state, CallState::CallbackPending);

  dialogEvent(customer, Kind::Progress, 180);
  EXPECT_EQ(event(CallEventType::Ringing).detail, "callback");
  answer(customer);
  EXPECT_TRUE(router.saw("callbackConnected " + id));
  auto s = snapshot(id);
  EXPECT_EQ(s.state, CallState::Talking);
  EXPECT_EQ(s.agent_id, "ag_1");
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(event(CallEventType::Answered).cause, "callback");
  EXPECT_EQ(event(CallEventType::Answered).agent_id, "ag_1");

  bye(customer);
  EXPECT_TRUE(router.saw("talkEnded " + id));
  EXPECT_TRUE(sip.hungUp(agent_dialog));
  EXPECT_EQ(endedCause(), "caller_hangup");
  expectNothingLeft();
}

TEST_F(CallbackTest, WithoutGatewayTheCallerIsCalledBackWhereItsInviteCameFrom) {
  config.gateway = {};
  start();
  auto id = queuedCall();
  EXPECT_EQ(event(CallEventType::CallbackRequested).target, "sip:+4930123@192.0.2.1:5060");
  auto customer = agentAnswers(id);
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:+4930123@192.0.2.1:5060");
  EXPECT_TRUE(lastInviteRequest().auth_user.empty());
  answer(customer);
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  bye(agent_dialog);
  EXPECT_TRUE(sip.hungUp(customer));
  EXPECT_EQ(endedCause(), "agent_hangup");
  expectNothingLeft();
}

TEST_F(CallbackTest, WithoutGatewayTheCallerIsCalledBackAtTheContactOfItsInvite) {
  config.gateway = {};
  start();
  // A phone whose Contact names a user of its own (as baresip's "<user>-0x<address>") and TCP.
  auto id = queuedCallFrom("alice", "sip:alice-0x1f@198.51.100.7:5070;transport=tcp?Subject=hi",
                           "udp:192.0.2.1:5060");
  // The headers part is no place to call; the user part and the transport are the phone's.
  const std::string contact = "sip:alice-0x1f@198.51.100.7:5070;transport=tcp";
  EXPECT_EQ(event(CallEventType::CallbackRequested).target, contact);
  agentAnswers(id);
  EXPECT_EQ(lastInviteRequest().request_uri, contact);
  EXPECT_EQ(lastInviteRequest().to_uri, "sip:alice-0x1f@198.51.100.7:5070");
}

TEST_F(CallbackTest, AContactThatIsNoSipUriFallsBackToTheSourceAddress) {
  config.gateway = {};
  start();
  for (const char* contact : {"tel:+4930123", "sip:", "sip:bob@", "sip:bob@;lr", "junk"}) {
    SCOPED_TRACE(contact);
    auto id = queuedCallFrom("bob", contact, "udp:192.0.2.1:5062");
    EXPECT_EQ(lastEvent(CallEventType::CallbackRequested)->target, "sip:bob@192.0.2.1:5062");
    ASSERT_TRUE(control->hangUp(id));
    run();
  }
}

TEST_F(CallbackTest, CustomerNotAnsweringFailsTheCallbackAndReleasesTheAgent) {
  start();
  auto id = queuedCall();
  auto customer = agentAnswers(id);
  fail(customer, 486);
  EXPECT_TRUE(router.saw("callbackFailed " + id));
  EXPECT_FALSE(router.saw("callerLeft " + id));
  EXPECT_TRUE(sip.hungUp(agent_dialog));
  EXPECT_EQ(endedCause(), "callback_failed");
  EXPECT_EQ(event(CallEventType::Ended).detail, "busy");
  EXPECT_EQ(ended(EndCause::CallbackFailed), 1u);
  expectNothingLeft();
}

TEST_F(CallbackTest, CustomerRingTimeoutFailsTheCallback) {
  start();
  auto id = queuedCall();
  auto customer = agentAnswers(id);
  time.advance(config.ring_timeout);
  run();
  EXPECT_TRUE(sip.hungUp(customer));
  EXPECT_TRUE(sip.hungUp(agent_dialog));
  EXPECT_TRUE(router.saw("callbackFailed " + id));
  EXPECT_EQ(endedCause(), "callback_failed");
  EXPECT_EQ(event(CallEventType::Ended).detail, "no_answer");
  expectNothingLeft();
}

TEST_F(CallbackTest, AgentHangingUpWhileTheCustomerRingsFailsTheCallback) {
  start();
  auto id = queuedCall();
  auto customer = agentAnswers(id);
  bye(agent_dialog);
  EXPECT_TRUE(sip.hungUp(customer));
  EXPECT_TRUE(router.saw("callbackFailed " + id));
  EXPECT_FALSE(router.saw("callerLeft " + id));
  expectNothingLeft();
}

TEST_F(CallbackTest, AgentDecliningGoesToTheRouterWhichEndsTheCallback) {
  start();
  auto id = queuedCall();
  control->ringAgent(id, "ag_1", false);
  run();
  fail(lastInvite(), 603);
  EXPECT_TRUE(router.saw("declined " + id + " ag_1 rejected"));
  EXPECT_EQ(snapshot(id).state, CallState::CallbackPending);
  // The engine fails a callback whose agent declines or does not answer in time.
  control->routingEnded(id, "callback_failed", {});
  run();
  EXPECT_EQ(endedCause(), "callback_failed");
  EXPECT_EQ(sip.invites().size(), 1u);  // the customer was never called
  expectNothingLeft();
}

TEST_F(CallbackTest, HangingUpAPendingCallbackThroughTheApiCancelsIt) {
  start();
  auto id = queuedCall();
  ASSERT_TRUE(control->hangUp(id).ok());
  EXPECT_TRUE(router.saw("callerLeft " + id));
  EXPECT_EQ(endedCause(), "api_hangup");
  expectNothingLeft();
}

TEST_F(CallbackTest, RefusedCallbackLeavesTheCallerWaitingWithMusic) {
  router.callback_error = Error{ErrorCode::Conflict, "queue sales offers no callback", {}};
  start();
  auto id = queuedCall();
  EXPECT_TRUE(router.saw("requestCallback " + id));
  EXPECT_FALSE(sip.hungUp(caller));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_NE(media.playing(callerSession(id)), nullptr);
  EXPECT_EQ(lastEvent(CallEventType::CallbackRequested), nullptr);
}

TEST_F(CallbackTest, OtherKeysOrADisabledKeyOnlyReportDtmf) {
  config.callback_key = '\0';
  start();
  auto id = queuedCall('*');
  control->onDtmf(callerSession(id), '5', media::DtmfSource::Rfc4733);
  run();
  EXPECT_FALSE(router.saw("requestCallback " + id));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(event(CallEventType::Dtmf).detail, "5");
}

TEST_F(CallbackTest, ConfiguredKeyBySipInfoWorksToo) {
  config.callback_key = '9';
  start();
  caller = callIn("101");
  auto id = onlyCall();
  sip::DialogEvent info;
  info.dialog = caller;
  info.kind = Kind::InfoReceived;
  info.content_type = "application/dtmf-relay";
  info.body = "Signal=9\r\nDuration=160\r\n";
  control->onDialogEvent(info);
  run();
  EXPECT_TRUE(router.saw("requestCallback " + id));
  EXPECT_EQ(snapshot(id).state, CallState::CallbackPending);
}

TEST_F(CallbackTest, ConfirmationPromptPlaysBeforeTheCallerIsReleased) {
  config.callback_confirmation = "callback.wav";
  start();
  auto id = queuedCall();
  auto session = callerSession(id);
  const auto* play = media.playing(session);
  ASSERT_NE(play, nullptr);
  EXPECT_FALSE(play->loop);
  EXPECT_FALSE(sip.hungUp(caller));
  control->onPlayFinished(session, play->play_id);
  run();
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(control->counters().media_sessions_active.load(), 0);
  ASSERT_TRUE(control->hangUp(id).ok());
  expectNothingLeft();
}

TEST_F(CallbackTest, AgentAnsweringDuringTheConfirmationTalksToTheCallerAtOnce) {
  config.callback_confirmation = "callback.wav";
  start();
  auto id = queuedCall();
  auto session = callerSession(id);
  control->ringAgent(id, "ag_1", false);
  run();
  agent_dialog = lastInvite();
  answer(agent_dialog);
  EXPECT_EQ(sip.invites().size(), 1u);  // nobody to call back
  EXPECT_TRUE(router.saw("callbackConnected " + id));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(session), legSession(id, "party"));
  EXPECT_FALSE(sip.hungUp(caller));
  bye(caller);
  expectNothingLeft();
}

}  // namespace
}  // namespace kefu::call::test
