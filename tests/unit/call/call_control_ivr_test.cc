// Calls to a Flow target: answered at once, keys and prompt ends reported to the IVR, and what
// the IVR decides (play, transfer, callback, hang-up) carried out; failures go to the default
// queue, never to a dropped caller.

#include <algorithm>

#include "call/ivr.h"
#include "call_control_fixture.h"

namespace kefu::call::test {
namespace {

/** Records what call control tells the IVR, as "method call_id [args]". */
class FakeIvr final : public Ivr {
 public:
  std::vector<std::string> log;
  std::optional<Error> start_error;

  Result<void> start(std::string_view call_id, std::string_view flow_id, std::string_view caller,
                     std::string_view dialed) override {
    log.push_back("start " + std::string(call_id) + " " + std::string(flow_id) + " " +
                  std::string(caller) + " " + std::string(dialed));
    if (start_error) {
      return *start_error;
    }
    return {};
  }
  void digit(std::string_view call_id, char digit) override {
    log.push_back("digit " + std::string(call_id) + " " + std::string(1, digit));
  }
  void promptFinished(std::string_view call_id, std::uint64_t play_id) override {
    log.push_back("promptFinished " + std::string(call_id) + " " + std::to_string(play_id));
  }
  void callerGone(std::string_view call_id) override {
    log.push_back("callerGone " + std::string(call_id));
  }
  bool saw(const std::string& line) const {
    return std::find(log.begin(), log.end(), line) != log.end();
  }
};

/** A tap that counts what reaches it. */
class CountingSink final : public CallerAudioSink {
 public:
  void onCallerAudio(std::span<const std::int16_t> pcm, int /*rate*/) override {
    samples += pcm.size();
  }
  std::size_t samples = 0;
};

media::PromptPtr tone() {
  auto prompt = std::make_shared<media::Prompt>();
  prompt->samples.assign(1600, 1000);
  return prompt;
}

class CallControlIvrTest : public CallControlTest {
 protected:
  void SetUp() override {
    CallControlTest::SetUp();
    entry_points.push_back(entry("ep_bank", "4010", {TargetKind::Flow, "bank"}));
    config.ivr_default_queue = "general";
  }
  void start() {
    CallControlTest::start();
    control->setIvr(&ivr);
  }
  /** A trunk call to the flow entry point; @return the call id. */
  std::string callFlow() {
    caller = callIn("4010");
    return onlyCall();
  }

  FakeIvr ivr;
  sip::DialogId caller = 0;
};

TEST_F(CallControlIvrTest, AFlowTargetIsAnsweredAtOnceAndHandedToTheIvr) {
  start();
  auto id = callFlow();
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{200}));
  EXPECT_TRUE(ivr.saw("start " + id + " bank +4930123 4010")) << ivr.log.front();
  auto s = snapshot(id);
  EXPECT_EQ(s.state, CallState::InIvr);
  EXPECT_NE(s.answered_at_ms, 0);
  EXPECT_TRUE(router.log.empty());  // not queued while the flow runs
  EXPECT_EQ(toString(CallState::InIvr), "in_ivr");
}

TEST_F(CallControlIvrTest, ALateOfferStartsTheFlowOnlyOnceTheAckCarriesTheAnswer) {
  start();
  caller = callIn("4010", "192.0.2.1", "");
  auto id = onlyCall();
  EXPECT_TRUE(ivr.log.empty());  // no address to play prompts to yet
  dialogEvent(caller, Kind::Acked, 0, phoneSdp());
  EXPECT_TRUE(ivr.saw("start " + id + " bank +4930123 4010"));
}

TEST_F(CallControlIvrTest, KeysOfEverySourceGoToTheIvrAndAreStillRecorded) {
  config.callback_key = '*';  // the queue's callback key means nothing in the IVR
  start();
  auto id = callFlow();
  control->onDtmf(callerSession(id), '1', media::DtmfSource::Rfc4733);
  control->onDtmf(callerSession(id), '*', media::DtmfSource::InBand);
  sip::DialogEvent info;
  info.dialog = caller;
  info.kind = Kind::InfoReceived;
  info.content_type = "application/dtmf-relay";
  info.body = "Signal=5\r\nDuration=160\r\n";
  control->onDialogEvent(info);
  run();
  EXPECT_TRUE(ivr.saw("digit " + id + " 1"));
  EXPECT_TRUE(ivr.saw("digit " + id + " *"));
  EXPECT_TRUE(ivr.saw("digit " + id + " 5"));
  EXPECT_FALSE(router.saw("requestCallback " + id));
  auto types = eventTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), CallEventType::Dtmf), 3);
}

TEST_F(CallControlIvrTest, APromptPlaysToTheCallerAndItsEndIsReported) {
  start();
  auto id = callFlow();
  auto play = control->playToCaller(id, tone());
  ASSERT_TRUE(play.ok());
  const auto* playing = media.playing(callerSession(id));
  ASSERT_NE(playing, nullptr);
  EXPECT_EQ(playing->play_id, *play);
  EXPECT_FALSE(playing->loop);
  control->onPlayFinished(callerSession(id), *play);
  control->onPlayFinished(callerSession(id), *play + 100);  // someone else's play: not reported
  run();
  EXPECT_EQ(std::count_if(ivr.log.begin(), ivr.log.end(),
                          [](const std::string& l) { return l.starts_with("promptFinished"); }),
            1);
  EXPECT_TRUE(ivr.saw("promptFinished " + id + " " + std::to_string(*play)));

  // Barge-in: the prompt stops, and its end is not reported.
  auto second = control->playToCaller(id, tone());
  ASSERT_TRUE(second.ok());
  control->stopCallerPlay(id);
  EXPECT_EQ(media.playing(callerSession(id)), nullptr);
  control->onPlayFinished(callerSession(id), *second);
  run();
  EXPECT_FALSE(ivr.saw("promptFinished " + id + " " + std::to_string(*second)));
}

TEST_F(CallControlIvrTest, TheIvrTransfersToAQueueWithMusicAndAnEvent) {
  start();
  auto id = callFlow();
  auto tapped = control->setCallerTap(id, std::make_shared<CountingSink>());
  EXPECT_TRUE(tapped.ok());
  ASSERT_TRUE(control->ivrTransfer(id, {TargetKind::Queue, "lost-cards"}, "").ok());
  EXPECT_TRUE(router.saw("enqueue " + id + " lost-cards 2"));
  auto s = snapshot(id);
  EXPECT_EQ(s.state, CallState::Queued);
  EXPECT_EQ(s.queue_id, "lost-cards");
  ASSERT_NE(media.playing(callerSession(id)), nullptr);
  EXPECT_TRUE(media.playing(callerSession(id))->loop);  // music on hold
  const auto* transferred = lastEvent(CallEventType::Transferred);
  ASSERT_NE(transferred, nullptr);
  EXPECT_EQ(transferred->target, "queue:lost-cards");
  EXPECT_EQ(transferred->cause, "ivr");
  EXPECT_EQ(transferred->queue_id, "lost-cards");
  // Out of the IVR: keys are the queue's again, and the IVR can no longer play.
  control->onDtmf(callerSession(id), '5', media::DtmfSource::Rfc4733);
  run();
  EXPECT_FALSE(ivr.saw("digit " + id + " 5"));
  EXPECT_EQ(control->playToCaller(id, tone()).error().code, ErrorCode::Conflict);
  // An agent takes it as any queued call.
  control->ringAgent(id, "ag_1", false);
  run();
  answer(lastInvite());
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_FALSE(ivr.saw("callerGone " + id));
}

TEST_F(CallControlIvrTest, AFailureTransferIsMarkedWithItsReason) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->ivrTransfer(id, {TargetKind::Queue, "general"}, "no input").ok());
  const auto* transferred = lastEvent(CallEventType::Transferred);
  ASSERT_NE(transferred, nullptr);
  EXPECT_EQ(transferred->cause, "ivr_failure");
  EXPECT_EQ(transferred->detail, "no input");
  EXPECT_TRUE(router.saw("enqueue " + id + " general 2"));
}

TEST_F(CallControlIvrTest, AQueueThatRefusesTheCallIsFollowedByTheDefaultQueue) {
  start();
  auto id = callFlow();
  router.enqueue_error = Error::notFound("no such queue");
  // The flow's queue refuses, then the default queue is tried; only when it refuses too is the
  // caller told (404) rather than left in silence.
  ASSERT_TRUE(control->ivrTransfer(id, {TargetKind::Queue, "nowhere"}, "").ok());
  run();
  EXPECT_TRUE(router.saw("enqueue " + id + " nowhere 2"));
  EXPECT_TRUE(router.saw("enqueue " + id + " general 2"));
  EXPECT_EQ(endedCause(), "queue_not_found");
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, AnExtensionNobodyAnswersForSendsTheCallerToTheDefaultQueue) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->ivrTransfer(id, {TargetKind::Extension, "399"}, "").ok());
  // Nobody is registered at 399: the caller waits in the default queue instead of being dropped.
  EXPECT_TRUE(router.saw("enqueue " + id + " general 2"));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(lastEvent(CallEventType::Ended), nullptr);
}

TEST_F(CallControlIvrTest, TheIvrTransfersToARegisteredExtension) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->ivrTransfer(id, {TargetKind::Extension, "301"}, "").ok());
  ASSERT_EQ(sip.invites().size(), 1u);
  EXPECT_EQ(lastInviteRequest().request_uri, "sip:301@10.0.0.31:5060");
  EXPECT_EQ(event(CallEventType::Transferred).target, "extension:301");
  answer(lastInvite());
  EXPECT_EQ(snapshot(id).state, CallState::Talking);
  EXPECT_EQ(media.partnerOf(callerSession(id)), legSession(id, "party"));
}

TEST_F(CallControlIvrTest, WithoutAnIvrOrAFlowTheCallerWaitsInTheDefaultQueue) {
  start();
  control->setIvr(nullptr);
  auto id = callFlow();
  EXPECT_TRUE(router.saw("enqueue " + id + " general 2"));
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
  EXPECT_EQ(sip.statusesOf(caller), (std::vector<int>{200}));

  control->setIvr(&ivr);
  ivr.start_error = Error::notFound("no flow bank");
  router.log.clear();
  auto second = callIn("4010");
  auto calls = control->calls();
  auto it =
      std::find_if(calls.begin(), calls.end(), [&](const CallSnapshot& c) { return c.id != id; });
  ASSERT_NE(it, calls.end());
  EXPECT_TRUE(router.saw("enqueue " + it->id + " general 2"));
  EXPECT_EQ(it->state, CallState::Queued);
  EXPECT_TRUE(sip.statusesOf(second) == (std::vector<int>{200}));
}

TEST_F(CallControlIvrTest, WithoutADefaultQueueAFailedFlowEndsTheCallAsFailed) {
  config.ivr_default_queue.clear();
  start();
  ivr.start_error = Error::notFound("no flow bank");
  caller = callIn("4010");
  run();
  EXPECT_EQ(endedCause(), "failed");
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, TheCallerHangingUpMidFlowTellsTheIvr) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->setCallerTap(id, std::make_shared<CountingSink>()).ok());
  bye(caller);
  EXPECT_TRUE(ivr.saw("callerGone " + id));
  EXPECT_EQ(endedCause(), "caller_hangup");
  EXPECT_TRUE(router.log.empty());  // never routed: no abandon counted
  EXPECT_EQ(control->playToCaller(id, tone()).error().code, ErrorCode::NotFound);
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, SilenceOnTheCallersLegEndsTheFlowToo) {
  start();
  auto id = callFlow();
  control->onRtpTimeout(callerSession(id));
  run();
  EXPECT_TRUE(ivr.saw("callerGone " + id));
  EXPECT_EQ(endedCause(), "rtp_timeout");
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, AnApiHangupMidFlowTellsTheIvr) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->hangUp(id).ok());
  run();
  EXPECT_TRUE(ivr.saw("callerGone " + id));  // its timers and requests stop with the call
  EXPECT_EQ(endedCause(), "api_hangup");
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, TheIvrHangsUpWithItsOwnCause) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->ivrHangup(id).ok());
  run();
  EXPECT_TRUE(sip.hungUp(caller));
  EXPECT_EQ(endedCause(), "ivr_ended");
  EXPECT_FALSE(ivr.saw("callerGone " + id));  // the IVR ended it itself
  EXPECT_EQ(ended(EndCause::IvrEnded), 1u);
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, ACallbackRequestIsAnEventWithTheNumberThenTheCallEnds) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->ivrCallback(id, "general", "+4930123").ok());
  run();
  const auto* requested = lastEvent(CallEventType::CallbackRequested);
  ASSERT_NE(requested, nullptr);
  EXPECT_EQ(requested->target, "number:+4930123");
  EXPECT_EQ(requested->queue_id, "general");
  EXPECT_EQ(requested->cause, "ivr");
  EXPECT_EQ(endedCause(), "ivr_ended");
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, AVoicemailRecordsTheCallerAloneUntilTheEnd) {
  start();
  auto id = callFlow();
  ASSERT_TRUE(control->recordCaller(id, "/rec/voicemail/general/" + id + ".wav").ok());
  auto recording = media.recordings().find(callerSession(id));
  ASSERT_NE(recording, media.recordings().end());
  EXPECT_EQ(recording->second.right, 0u);  // the caller alone
  EXPECT_EQ(event(CallEventType::RecordingStarted).detail, "/rec/voicemail/general/" + id + ".wav");
  bye(caller);
  EXPECT_NE(lastEvent(CallEventType::RecordingStopped), nullptr);
  expectNothingLeft();
}

TEST_F(CallControlIvrTest, TheIvrCannotActOnACallOutsideIt) {
  start();
  callIn("101");  // a queue call
  auto id = onlyCall();
  EXPECT_EQ(control->playToCaller(id, tone()).error().code, ErrorCode::Conflict);
  EXPECT_EQ(control->ivrHangup(id).error().code, ErrorCode::Conflict);
  EXPECT_EQ(control->ivrTransfer(id, {TargetKind::Queue, "sales"}, "").error().code,
            ErrorCode::Conflict);
  EXPECT_EQ(control->setCallerTap(id, std::make_shared<CountingSink>()).error().code,
            ErrorCode::Conflict);
  EXPECT_EQ(control->ivrHangup("call_nope").error().code, ErrorCode::NotFound);
  EXPECT_EQ(snapshot(id).state, CallState::Queued);
}

TEST(EntryPointTargetTest, FlowIsATargetKind) {
  EXPECT_EQ(parseTargetKind("flow"), TargetKind::Flow);
  EXPECT_EQ(toString(TargetKind::Flow), "flow");
  EntryPoint entry{.id = "ep", .number = "4010", .name = "Bank", .target = {TargetKind::Flow, ""}};
  EXPECT_FALSE(validate(entry).ok());
  entry.target.id = "bank";
  EXPECT_TRUE(validate(entry).ok());
}

}  // namespace
}  // namespace kefu::call::test
