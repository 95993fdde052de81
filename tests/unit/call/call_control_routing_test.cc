// Queue calls and the router: ringing agents, answers, declines, hang-ups from either side.

#include <algorithm>
#include <thread>

#include "call_control_fixture.h"

namespace kefu::call::test {
namespace {

TEST_F(CallControlTest, RingAgentInvitesTheAgentsNewestPhoneOnTheCallersMediaThread) {
  sip.addRegistration("301", "sip:301@10.0.0.99:5070", "10.0.0.99:5070");  // newer
  start();
  auto caller = callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  ASSERT_EQ(sip.invites().size(), 1u);
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:301@10.0.0.99:5070");
  auto agent_session = legSession(id, "party");
  EXPECT_EQ(media.sessions().at(agent_session).affinity,
            media.sessions().at(callerSession(id)).affinity);
  // Keys are taken from the caller only: the agent's leg is not searched for tones.
  EXPECT_TRUE(media.sessions().at(callerSession(id)).in_band_dtmf);
  EXPECT_FALSE(media.sessions().at(agent_session).in_band_dtmf);
  EXPECT_EQ(lastEvent(CallEventType::Ringing), nullptr);  // not before the phone says so

  dialogEvent(lastInvite(), Kind::Progress, 183);
  ASSERT_NE(lastEvent(CallEventType::Ringing), nullptr);
  EXPECT_EQ(event(CallEventType::Ringing).agent_id, "ag_1");
  dialogEvent(lastInvite(), Kind::Progress, 180);
  auto types = eventTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), CallEventType::Ringing), 1);

  // Music plays until the agent answers.
  EXPECT_NE(media.playing(callerSession(id)), nullptr);
  answer(lastInvite());
  EXPECT_EQ(media.playing(callerSession(id)), nullptr);
  EXPECT_TRUE(media.sessions().at(agent_session).answered);
  EXPECT_EQ(media.partnerOf(callerSession(id)), agent_session);
  EXPECT_TRUE(router.saw("answered " + id + " ag_1"));
  const auto* answered = lastEvent(CallEventType::Answered);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->agent_id, "ag_1");
  EXPECT_EQ(snapshot(id).agent_id, "ag_1");
  EXPECT_NE(snapshot(id).answered_at_ms, 0);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 200}));  // no second 200
}

TEST_F(CallControlTest, AgentWithoutPhoneIsDeclinedAsUnreachable) {
  start();
  callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_3", false);        // extension 303, nothing registered
  control->ringAgent(id, "ag_unknown", false);  // no extension at all
  run();
  EXPECT_TRUE(sip.invites().empty());
  EXPECT_TRUE(router.saw("declined " + id + " ag_3 unreachable"));
  EXPECT_TRUE(router.saw("declined " + id + " ag_unknown unreachable"));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
}

TEST_F(CallControlTest, AgentRejectingOrBusyGoesBackToTheRouterAndTheCallerKeepsWaiting) {
  start();
  callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  fail(lastInvite(), 603);
  EXPECT_TRUE(router.saw("declined " + id + " ag_1 rejected"));
  control->ringAgent(id, "ag_2", false);
  run();
  fail(lastInvite(), 486);
  EXPECT_TRUE(router.saw("declined " + id + " ag_2 busy"));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(snapshot(id).legs.size(), 1u);
  EXPECT_NE(media.playing(callerSession(id)), nullptr);
  EXPECT_EQ(control->counters().legs_active.load(), 1);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 1);
}

TEST_F(CallControlTest, StopRingingAgentCancelsThatPhoneAndTheNextAgentCanAnswer) {
  start();
  auto caller = callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  auto first = lastInvite();
  auto first_session = legSession(id, "party");
  control->stopRingingAgent(id, "ag_1", "timeout");
  run();
  EXPECT_TRUE(sip.hungUp(first));
  EXPECT_FALSE(media.sessions().contains(first_session));
  // The CANCELled INVITE's late events change nothing.
  fail(first, 487);
  EXPECT_FALSE(router.saw("declined " + id + " ag_1 failed"));

  control->ringAgent(id, "ag_2", false);
  run();
  answer(lastInvite());
  EXPECT_TRUE(router.saw("answered " + id + " ag_2"));
  bye(caller);
  EXPECT_TRUE(router.saw("talkEnded " + id));
  expectNothingLeft();
}

TEST_F(CallControlTest, CallerHangingUpWhileAnAgentRingsCancelsTheAgent) {
  start();
  auto caller = callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  auto agent = lastInvite();
  bye(caller);
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(router.saw("callerLeft " + id));
  EXPECT_FALSE(router.saw("talkEnded " + id));
  expectNothingLeft();
}

TEST_F(CallControlTest, AgentHangingUpEndsTheCallAndTheAgentsTalk) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  bye(legDialog(id, "party"));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_TRUE(router.saw("talkEnded " + id));
  EXPECT_EQ(endedCause(), "agent_hangup");
  EXPECT_EQ(event(CallEventType::Ended).agent_id, "ag_1");
  EXPECT_EQ(ended(EndCause::AgentHangup), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, CallerHangingUpWhileTalkingReleasesTheAgent) {
  start();
  auto id = talkingToAgent();
  auto agent = legDialog(id, "party");
  bye(legDialog(id, "caller"));
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(router.saw("talkEnded " + id));
  EXPECT_EQ(ended(EndCause::CallerHangup), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, RtpTimeoutOnEitherSideReleasesBoth) {
  start();
  auto id = talkingToAgent();
  auto caller = legDialog(id, "caller");
  auto agent = legDialog(id, "party");
  control->onRtpTimeout(callerSession(id));
  run();
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_EQ(endedCause(), "rtp_timeout");
  expectNothingLeft();

  id = talkingToAgent("ag_2");
  caller = legDialog(id, "caller");
  agent = legDialog(id, "party");
  control->onRtpTimeout(legSession(id, "party"));
  run();
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_EQ(ended(EndCause::RtpTimeout), 2u);
  expectNothingLeft();
}

TEST_F(CallControlTest, AgentAnsweringWithUnusableSdpIsDeclinedAndHungUp) {
  start();
  callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  auto agent = lastInvite();
  dialogEvent(agent, Kind::Answered, 200, "garbage");
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(router.saw("declined " + id + " ag_1 failed"));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(snapshot(id).legs.size(), 1u);
}

TEST_F(CallControlTest, RingAgentForACallThatIsNotWaitingIsDeclined) {
  start();
  auto id = talkingToAgent();
  control->ringAgent(id, "ag_2", false);
  control->ringAgent("call_gone", "ag_2", false);
  run();
  EXPECT_TRUE(router.saw("declined " + id + " ag_2 failed"));
  EXPECT_EQ(sip.invites().size(), 1u);
  EXPECT_EQ(snapshot(id).agent_id, "ag_1");
}

TEST_F(CallControlTest, RoutingEndedReleasesTheCaller) {
  start();
  auto caller = callIn("101");
  auto id = onlyCall();
  control->ringAgent(id, "ag_1", false);
  run();
  auto agent = lastInvite();
  control->routingEnded(id, "queue_removed", "");
  run();
  EXPECT_TRUE(sip.hungUp(agent));
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_FALSE(router.saw("callerLeft " + id));  // the router gave it up itself
  EXPECT_EQ(endedCause(), "routing_ended");
  EXPECT_EQ(event(CallEventType::Ended).detail, "queue_removed");
  expectNothingLeft();
}

TEST_F(CallControlTest, RoutingEndedToANumberSendsTheCallerThere) {
  start();
  auto caller = callIn("101");
  auto id = onlyCall();
  control->routingEnded(id, "overflow", "+4989555");
  run();
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:+4989555@gw.example.net:5060");
  EXPECT_EQ(event(CallEventType::Transferred).target, "number:+4989555");
  answer(lastInvite());
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  bye(caller);
  EXPECT_FALSE(router.saw("callerLeft " + id));
  EXPECT_FALSE(router.saw("talkEnded " + id));
  expectNothingLeft();
}

TEST_F(CallControlTest, RecordsEveryAnsweredCallWhenConfigured) {
  config.record_calls = true;
  start();
  auto id = talkingToAgent();
  const auto* started = lastEvent(CallEventType::RecordingStarted);
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->detail, "/rec/" + id + "-1.wav");
  ASSERT_TRUE(media.recordings().contains(callerSession(id)));
  EXPECT_EQ(media.recordings().at(callerSession(id)).right, legSession(id, "party"));
  bye(legDialog(id, "caller"));
  ASSERT_NE(lastEvent(CallEventType::RecordingStopped), nullptr);
  EXPECT_EQ(event(CallEventType::RecordingStopped).detail, "/rec/" + id + "-1.wav");
  expectNothingLeft();
}

TEST_F(CallControlTest, CountersFollowEveryCallBackToZero) {
  start();
  auto a = talkingToAgent("ag_1");
  auto b_dialog = callIn("101");
  EXPECT_EQ(control->counters().calls_active.load(), 2);
  EXPECT_EQ(control->counters().legs_active.load(), 3);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 3);
  bye(legDialog(a, "caller"));
  dialogEvent(b_dialog, Kind::Terminated);
  EXPECT_EQ(control->counters().calls_total.load(), 2u);
  EXPECT_EQ(ended(EndCause::CallerHangup), 2u);
  expectNothingLeft();
}

}  // namespace
}  // namespace kefu::call::test

namespace kefu::call::test {
namespace {

TEST_F(CallControlTest, ListenerCallsFromOtherThreadsOnlyPostToTheLoop) {
  start();
  sip::IncomingInvite invite;
  invite.dialog = sip.newIncoming();
  invite.request_uri = "sip:101@kefu.example.com";
  invite.from_uri = "sip:777@carrier.example";
  invite.sdp = phoneSdp();
  invite.source_host = "192.0.2.1";
  std::thread sip_thread([&] { control->onIncomingInvite(invite); });
  sip_thread.join();
  EXPECT_TRUE(sip.commands().empty());  // nothing ran on the SIP thread
  EXPECT_TRUE(media.sessions().empty());
  run();
  EXPECT_EQ(sip.statusesOf(invite.dialog), (std::vector<int>{180, 200}));

  auto session = callerSession(onlyCall());
  std::thread media_thread([&] { control->onDtmf(session, '3', media::DtmfSource::Rfc4733); });
  media_thread.join();
  EXPECT_EQ(event(CallEventType::Dtmf).call_id, "<none>");
  run();
  EXPECT_EQ(event(CallEventType::Dtmf).detail, "3");
}

}  // namespace
}  // namespace kefu::call::test
