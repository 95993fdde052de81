// Incoming INVITEs: admission (overload, trust, numbers, SDP) and each target kind's first steps.

#include <chrono>

#include "call_control_fixture.h"

namespace kefu::call::test {
namespace {

using namespace std::chrono_literals;

TEST_F(CallControlTest, UntrustedSourceGets403) {
  start();
  auto dialog = callIn("100", "203.0.113.7");
  EXPECT_EQ(sip.statusesOf(dialog), std::vector<int>{403});
  EXPECT_EQ(control->counters().rejected_forbidden.load(), 1u);
  EXPECT_TRUE(router.log.empty());
  EXPECT_TRUE(events.empty());
  expectNothingLeft();
}

TEST_F(CallControlTest, RegisteredPhoneIsATrustedSource) {
  start();
  auto dialog = callIn("100", "10.0.0.32");
  EXPECT_EQ(sip.statusesOf(dialog), (std::vector<int>{180, 200}));
  EXPECT_EQ(control->counters().rejected_forbidden.load(), 0u);
}

/** @return the Proxy-Authorization a trunk sends for `user` on "sip:100@kefu.example.com"
 *  after the challenge `challenge` (its nonce is taken from there). */
std::string trunkAnswer(const std::string& challenge, const std::string& user,
                        const std::string& password) {
  const auto start = challenge.find("nonce=\"") + 7;
  sip::DigestCredentials credentials;
  credentials.username = user;
  credentials.realm = "kefu";
  credentials.nonce = challenge.substr(start, challenge.find('"', start) - start);
  credentials.uri = "sip:100@kefu.example.com";
  const std::string response = sip::digestResponse(credentials, password, "INVITE");
  return "Digest username=\"" + user + "\", realm=\"kefu\", nonce=\"" + credentials.nonce +
         "\", uri=\"" + credentials.uri + "\", response=\"" + response + "\", algorithm=MD5";
}

TEST_F(CallControlTest, DigestTrunkIsChallengedThenAdmittedWithItsCredentialsOnly) {
  config.trunks.push_back(TrunkConfig{"carrier-b", {}, "carrier-b", "trunk-secret"});
  start();
  auto first = callIn("100", "198.51.100.9");
  ASSERT_EQ(sip.statusesOf(first), std::vector<int>{407});
  const std::string challenge = sip.commands().back().text;
  EXPECT_NE(challenge.find("Digest realm=\"kefu\", nonce=\""), std::string::npos) << challenge;
  EXPECT_TRUE(events.empty()) << "a challenged INVITE is no call";

  proxy_authorization = trunkAnswer(challenge, "carrier-b", "trunk-secret");
  auto admitted = callIn("100", "198.51.100.9");
  EXPECT_EQ(sip.statusesOf(admitted), (std::vector<int>{180, 200}));

  proxy_authorization = trunkAnswer(challenge, "carrier-b", "guess");
  EXPECT_EQ(sip.statusesOf(callIn("100", "198.51.100.9")), std::vector<int>{403});
  proxy_authorization = trunkAnswer(challenge, "someone-else", "trunk-secret");
  EXPECT_EQ(sip.statusesOf(callIn("100", "198.51.100.9")), std::vector<int>{403});
  // A nonce we never issued is no answer at all: challenged again.
  proxy_authorization = trunkAnswer("nonce=\"forged.0\"", "carrier-b", "trunk-secret");
  EXPECT_EQ(sip.statusesOf(callIn("100", "198.51.100.9")), std::vector<int>{407});
  EXPECT_EQ(control->counters().challenged.load(), 2u);
  EXPECT_EQ(control->counters().rejected_forbidden.load(), 2u);
  // The address trunk is still known by address, with no challenge.
  EXPECT_EQ(sip.statusesOf(callIn("100")), (std::vector<int>{180, 200}));
}

TEST_F(CallControlTest, DigestTrunkAnsweringAnOldNonceIsChallengedAsStale) {
  config.trunks.push_back(TrunkConfig{"carrier-b", {}, "carrier-b", "trunk-secret"});
  start();
  auto first = callIn("100", "198.51.100.9");
  const std::string challenge = sip.commands().back().text;
  time.advance(std::chrono::minutes(6));
  proxy_authorization = trunkAnswer(challenge, "carrier-b", "trunk-secret");
  auto late = callIn("100", "198.51.100.9");
  ASSERT_EQ(sip.statusesOf(late), std::vector<int>{407});
  EXPECT_NE(sip.commands().back().text.find("stale=true"), std::string::npos);
  EXPECT_EQ(sip.statusesOf(first), std::vector<int>{407});
}

TEST_F(CallControlTest, EmptyTrunkListAcceptsEverySource) {
  config.trunks.clear();
  start();
  auto dialog = callIn("100", "203.0.113.7");
  EXPECT_EQ(sip.statusesOf(dialog), (std::vector<int>{180, 200}));
}

TEST_F(CallControlTest, UnknownAndDisabledNumbersGet404) {
  start();
  auto unknown = callIn("999");
  auto disabled = callIn("500");
  EXPECT_EQ(sip.statusesOf(unknown), std::vector<int>{404});
  EXPECT_EQ(sip.statusesOf(disabled), std::vector<int>{404});
  EXPECT_EQ(control->counters().rejected_not_found.load(), 2u);
  expectNothingLeft();
}

TEST_F(CallControlTest, EntryPointsSwappedAtRuntimeApplyToTheNextInvite) {
  start();
  control->setEntryPoints({entry("ep_new", "777", {TargetKind::Queue, "support"})});
  EXPECT_EQ(sip.statusesOf(callIn("100")), std::vector<int>{404});
  EXPECT_EQ(sip.statusesOf(callIn("777")), (std::vector<int>{180, 200}));
}

TEST_F(CallControlTest, PhoneDialingARegisteredExtensionIsAnInternalCall) {
  start();
  auto dialog = callIn("302", "10.0.0.31");
  EXPECT_EQ(sip.statusesOf(dialog), std::vector<int>{180});
  ASSERT_EQ(sip.invites().size(), 1u);
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:302@10.0.0.32:5060");
  // The same number from a trunk is not an entry point.
  EXPECT_EQ(sip.statusesOf(callIn("302")), std::vector<int>{404});
}

TEST_F(CallControlTest, OfferTheEngineRefusesGets488) {
  start();
  auto bad = callIn("100", "192.0.2.1", "this is not SDP");
  EXPECT_EQ(sip.statusesOf(bad), std::vector<int>{488});
  EXPECT_EQ(control->counters().rejected_bad_sdp.load(), 1u);
  EXPECT_TRUE(router.log.empty());
  expectNothingLeft();
}

TEST_F(CallControlTest, InviteWithoutOfferGetsOurOfferAndTheAckCarriesTheAnswer) {
  start();
  auto dialog = callIn("400", "192.0.2.1", "");
  auto id = onlyCall();
  auto session = callerSession(id);
  auto ok = sip.last("answer", dialog);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->text, "offer-of-session-" + std::to_string(session));
  EXPECT_EQ(media.playing(session), nullptr);  // nowhere to send it yet
  dialogEvent(dialog, Kind::Acked, 0, phoneSdp());
  EXPECT_TRUE(media.sessions().at(session).answered);
  ASSERT_NE(media.playing(session), nullptr);
  control->onPlayFinished(session, media.playing(session)->play_id);
  run();
  EXPECT_EQ(endedCause(), "announcement_done");
  expectNothingLeft();
}

TEST_F(CallControlTest, AckWithoutUsableAnswerReleasesTheLateOfferCall) {
  start();
  auto dialog = callIn("101", "192.0.2.1", "");
  auto id = onlyCall();
  EXPECT_TRUE(router.saw("enqueue " + id + " sales 2"));
  dialogEvent(dialog, Kind::Acked, 0, "");
  EXPECT_TRUE(sip.hungUp(dialog));
  EXPECT_EQ(endedCause(), "failed");
  EXPECT_TRUE(router.saw("callerLeft " + id));
  expectNothingLeft();
}

TEST_F(CallControlTest, OverloadGets503WithRetryAfterAndExistingCallsContinue) {
  config.max_calls = 1;
  config.retry_after_s = 7;
  start();
  auto first = callIn("101");
  auto id = onlyCall();
  auto second = callIn("101");
  auto rejected = sip.last("reject", second);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(rejected->retry_after_s, 7);
  EXPECT_EQ(control->counters().rejected_overload.load(), 1u);
  // The first call is untouched: still queued with music, and it can still reach an agent.
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  ASSERT_NE(media.playing(callerSession(id)), nullptr);
  control->ringAgent(id, "ag_1", false);
  run();
  answer(lastInvite());
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  bye(first);
  expectNothingLeft();
}

TEST_F(CallControlTest, AnnouncementIsAnsweredPlayedOnceAndReleased) {
  start();
  auto dialog = callIn("400");
  auto id = onlyCall();
  auto ok = sip.last("answer", dialog);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->text, "answer-of-session-" + std::to_string(callerSession(id)));
  auto session = callerSession(id);
  const auto* play = media.playing(session);
  ASSERT_NE(play, nullptr);
  EXPECT_FALSE(play->loop);
  EXPECT_TRUE(router.log.empty());
  EXPECT_FALSE(sip.hungUp(dialog));

  control->onPlayFinished(session, play->play_id);
  run();
  EXPECT_TRUE(sip.hungUp(dialog));
  const auto* end = lastEvent(CallEventType::Ended);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, "announcement_done");
  ASSERT_TRUE(end->quality);
  EXPECT_DOUBLE_EQ(end->quality->mos, 4.2);  // the final report destroy() produced
  EXPECT_EQ(ended(EndCause::AnnouncementDone), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, EndedWaitsForTheFinalQualityOnlyBriefly) {
  start();
  media.listener = nullptr;  // an engine that never sends the final report
  auto dialog = callIn("400");
  auto id = onlyCall();
  control->onQuality(callerSession(id), media::QualityReport{.mos = 3.9});
  run();
  bye(dialog);
  EXPECT_EQ(lastEvent(CallEventType::Ended), nullptr);
  time.advance(config.final_quality_wait);
  run();
  const auto* end = lastEvent(CallEventType::Ended);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, "caller_hangup");
  ASSERT_TRUE(end->quality);
  EXPECT_DOUBLE_EQ(end->quality->mos, 3.9);  // the last periodic report
  expectNothingLeft();
}

TEST_F(CallControlTest, AnnouncementWithUnreadablePromptReleasesTheCaller) {
  entry_points[4].target.id = "missing.wav";
  start();
  auto dialog = callIn("400");
  EXPECT_TRUE(sip.hungUp(dialog));
  EXPECT_EQ(ended(EndCause::Failed), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, QueueCallIsAnsweredGreetedThenHearsMusicWhileEnqueued) {
  start();
  auto dialog = callIn("100");
  auto id = onlyCall();
  EXPECT_EQ(sip.statusesOf(dialog), (std::vector<int>{180, 200}));
  EXPECT_EQ(router.log, std::vector<std::string>{"enqueue " + id + " support 2"});
  auto session = callerSession(id);
  const auto* greeting = media.playing(session);
  ASSERT_NE(greeting, nullptr);
  EXPECT_FALSE(greeting->loop);
  EXPECT_EQ(greeting->prompt->samples.size(), std::string("hello.wav").size() * 10);

  control->onPlayFinished(session, greeting->play_id);
  run();
  const auto* music = media.playing(session);
  ASSERT_NE(music, nullptr);
  EXPECT_TRUE(music->loop);
  EXPECT_EQ(music->prompt->samples.size(), std::string("moh.wav").size() * 10);

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, CallEventType::Created);
  EXPECT_EQ(events[0].caller, "+4930123");
  EXPECT_EQ(events[0].dialed, "100");
  EXPECT_EQ(events[0].entry_point_id, "ep_support");
  EXPECT_EQ(events[0].queue_id, "support");
  EXPECT_EQ(control->counters().calls_total.load(), 1u);
  EXPECT_EQ(control->counters().calls_active.load(), 1);
}

TEST_F(CallControlTest, FullQueueReleasesTheCallerWithQueueFull) {
  router.enqueue_error = Error{ErrorCode::Conflict, "full", {}};
  start();
  auto dialog = callIn("101");
  EXPECT_TRUE(sip.hungUp(dialog));
  ASSERT_NE(lastEvent(CallEventType::Ended), nullptr);
  EXPECT_EQ(endedCause(), "queue_full");
  EXPECT_FALSE(router.saw("callerLeft " + event(CallEventType::Ended).call_id));
  expectNothingLeft();
}

TEST_F(CallControlTest, UnknownQueueReleasesTheCallerWithQueueNotFound) {
  router.enqueue_error = Error::notFound("no queue");
  start();
  callIn("101");
  EXPECT_EQ(ended(EndCause::QueueNotFound), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, CallerHangingUpWhileQueuedIsAnAbandon) {
  start();
  auto dialog = callIn("101");
  auto id = onlyCall();
  bye(dialog);
  EXPECT_TRUE(router.saw("callerLeft " + id));
  EXPECT_EQ(endedCause(), "caller_hangup");
  EXPECT_EQ(ended(EndCause::CallerHangup), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, ExtensionTargetRingsThePhoneAndAnswersTheCallerWhenItAnswers) {
  start();
  auto caller = callIn("200");
  auto id = onlyCall();
  EXPECT_EQ(sip.statusesOf(caller), std::vector<int>{180});
  ASSERT_EQ(sip.invites().size(), 1u);
  const auto& invite = lastInviteRequest();
  EXPECT_EQ(invite.request_uri, "sip:301@10.0.0.31:5060");
  EXPECT_EQ(invite.from_display, "+4930123");
  EXPECT_EQ(invite.from_uri, "sip:+4930123@kefu.local");
  EXPECT_EQ(invite.sdp, "offer-of-session-" + std::to_string(legSession(id, "party")));
  EXPECT_EQ(invite.headers, std::vector<std::string>{"X-Kefu-Call: " + id});
  EXPECT_TRUE(router.log.empty());

  auto callee = lastInvite();
  dialogEvent(callee, Kind::Progress, 180);
  ASSERT_NE(lastEvent(CallEventType::Ringing), nullptr);
  EXPECT_EQ(event(CallEventType::Ringing).target, "extension:301");
  EXPECT_EQ(event(CallEventType::Ringing).agent_id, "ag_1");

  answer(callee);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 200}));
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_NE(lastEvent(CallEventType::Answered), nullptr);

  bye(callee);
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "agent_hangup");
  expectNothingLeft();
}

TEST_F(CallControlTest, ExtensionNotAnsweringInTimeReleasesTheCallerWith480) {
  start();
  auto caller = callIn("200");
  auto callee = lastInvite();
  time.advance(config.ring_timeout - 1ms);
  run();
  EXPECT_FALSE(sip.hungUp(callee));
  time.advance(1ms);
  run();
  EXPECT_TRUE(sip.hungUp(callee));  // CANCEL
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 480}));
  EXPECT_EQ(endedCause(), "no_answer");
  expectNothingLeft();
}

TEST_F(CallControlTest, BusyExtensionGivesTheCallerBusy) {
  start();
  auto caller = callIn("200");
  fail(lastInvite(), 486);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 486}));
  EXPECT_EQ(ended(EndCause::Busy), 1u);
  // The timer of the failed ring is gone: nothing happens when it would have fired.
  time.advance(config.ring_timeout);
  run();
  EXPECT_EQ(control->counters().ended[static_cast<std::size_t>(EndCause::NoAnswer)].load(), 0u);
  expectNothingLeft();
}

TEST_F(CallControlTest, ExtensionWithoutRegisteredPhoneIsUnreachable) {
  entry_points[2].target.id = "303";
  start();
  auto caller = callIn("200");
  EXPECT_TRUE(sip.invites().empty());
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 480}));
  EXPECT_EQ(ended(EndCause::Unreachable), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, CallerCancellingWhileTheExtensionRingsCancelsIt) {
  start();
  auto caller = callIn("200");
  auto callee = lastInvite();
  dialogEvent(caller, Kind::Cancelled);
  dialogEvent(caller, Kind::Terminated);
  EXPECT_TRUE(sip.hungUp(callee));
  EXPECT_EQ(endedCause(), "cancelled");
  EXPECT_EQ(ended(EndCause::Cancelled), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, NumberGoesOutThroughTheGatewayWithCredentials) {
  start();
  callIn("300");
  const auto& invite = lastInviteRequest();
  EXPECT_EQ(invite.request_uri, "sip:5551234@gw.example.net:5060");
  EXPECT_EQ(invite.to_uri, "sip:5551234@gw.example.net:5060");
  EXPECT_EQ(invite.auth_user, "kefu");
  EXPECT_EQ(invite.auth_password, "secret");
  fail(lastInvite(), 503);
  EXPECT_EQ(ended(EndCause::Unreachable), 1u);
  expectNothingLeft();
}

TEST_F(CallControlTest, NumberWithoutGatewayIsUnreachable) {
  config.gateway = {};
  start();
  auto caller = callIn("300");
  EXPECT_TRUE(sip.invites().empty());
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 480}));
  expectNothingLeft();
}

TEST_F(CallControlTest, NoMediaPortForTheCalleeReleasesTheCaller) {
  start();
  media.fail_offer = true;
  auto caller = callIn("200");
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 480}));
  expectNothingLeft();
}

}  // namespace
}  // namespace kefu::call::test

namespace kefu::call::test {
namespace {

TEST_F(CallControlTest, ExtensionWithTwoPhonesRingsBothAndTheFirstToAnswerWins) {
  sip.addRegistration("301", "sip:301@10.0.0.41:5062", "10.0.0.41:5062");  // a softphone
  start();
  auto caller = callIn("200");
  auto id = onlyCall();
  ASSERT_EQ(sip.invites().size(), 2u);
  auto softphone = sip.invites()[0].first;  // newest first
  auto deskphone = sip.invites()[1].first;
  EXPECT_EQ(sip.invites()[0].second.request_uri, "sip:301@10.0.0.41:5062");
  EXPECT_EQ(sip.invites()[1].second.request_uri, "sip:301@10.0.0.31:5060");
  EXPECT_EQ(control->counters().legs_active.load(), 3);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 3);

  answer(deskphone);
  EXPECT_TRUE(sip.hungUp(softphone));
  EXPECT_FALSE(sip.hungUp(deskphone));
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 200}));
  EXPECT_EQ(legDialog(id, "party"), deskphone);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(control->counters().legs_active.load(), 2);
  EXPECT_EQ(control->counters().media_sessions_active.load(), 2);
  // The ring timer is gone with the answer.
  time.advance(config.ring_timeout);
  run();
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  bye(deskphone);
  expectNothingLeft();
}

TEST_F(CallControlTest, ExtensionWithTwoPhonesKeepsRingingWhenOneRefusesThenTimesOut) {
  sip.addRegistration("301", "sip:301@10.0.0.41:5062", "10.0.0.41:5062");
  start();
  auto caller = callIn("200");
  auto softphone = sip.invites()[0].first;
  auto deskphone = sip.invites()[1].first;
  fail(softphone, 486);
  EXPECT_EQ(sip.statusesOf(caller), std::vector<int>{180});
  time.advance(config.ring_timeout);
  run();
  EXPECT_TRUE(sip.hungUp(deskphone));
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 480}));
  EXPECT_EQ(endedCause(), "no_answer");
  expectNothingLeft();

  // And the other order: the newest phone stays alone and fails too.
  caller = callIn("200");
  softphone = sip.invites()[2].first;
  deskphone = sip.invites()[3].first;
  fail(deskphone, 603);
  fail(softphone, 486);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 486}));
  expectNothingLeft();
}

TEST_F(CallControlTest, CallerCancellingWhileTwoPhonesRingCancelsBoth) {
  sip.addRegistration("301", "sip:301@10.0.0.41:5062", "10.0.0.41:5062");
  start();
  auto caller = callIn("200");
  dialogEvent(caller, Kind::Cancelled);
  EXPECT_TRUE(sip.hungUp(sip.invites()[0].first));
  EXPECT_TRUE(sip.hungUp(sip.invites()[1].first));
  expectNothingLeft();
}

}  // namespace
}  // namespace kefu::call::test

namespace kefu::call::test {
namespace {

TEST_F(CallControlTest, CalleesEarlyMediaReachesTheCallerBefore200) {
  start();
  auto caller = callIn("300");
  auto id = onlyCall();
  auto gateway = lastInvite();
  dialogEvent(gateway, Kind::Progress, 183, phoneSdp());
  auto early = sip.last("answer", caller);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 183);
  EXPECT_EQ(early->text, "Session Progress");
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_EQ(snapshot(id).state, CallState::Ringing);

  answer(gateway);  // the 200 repeats the 183's SDP: it is not applied twice
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 183, 200}));
  EXPECT_EQ(sip.last("answer", caller)->text,
            "answer-of-session-" + std::to_string(callerSession(id)));
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
  EXPECT_FALSE(sip.hungUp(gateway));
  bye(caller);
  expectNothingLeft();
}

TEST_F(CallControlTest, EarlyMediaThenFailureReleasesTheCaller) {
  start();
  auto caller = callIn("300");
  auto gateway = lastInvite();
  dialogEvent(gateway, Kind::Progress, 183, phoneSdp());
  fail(gateway, 404);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{180, 183, 480}));
  EXPECT_EQ(endedCause(), "unreachable");
  expectNothingLeft();
}

}  // namespace
}  // namespace kefu::call::test
