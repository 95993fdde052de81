// The media engine over loopback: real RTP between engine sessions and test peers.
#include "media/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "media/tone.h"
#include "support/media/audio_checks.h"
#include "support/media/event_recorder.h"
#include "support/media/rtp_peer.h"

namespace kefu::media {
namespace {

using namespace std::chrono_literals;
using testing::CollectingTap;
using testing::EventRecorder;
using testing::powerRatio;
using testing::RtpPeer;
using testing::tonePrompt;
using testing::window;

class MediaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start(EngineConfig config = {}) {
    config.threads = 2;
    config.port_min = 31000;
    config.port_max = 39999;
    config.quality_interval_ms = quality_interval_ms_;
    config.rtp_timeout_ms = rtp_timeout_ms_;
    auto engine = startMediaEngine(config, events_);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(engine).value();
  }

  /** Answers `peer`'s offer with a new session and points the peer at it. */
  SessionId answerPeer(RtpPeer& peer, uint64_t affinity = 1, bool in_band_dtmf = true) {
    auto session =
        engine_->answer(peer.offer(), {.affinity = affinity, .in_band_dtmf = in_band_dtmf});
    EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
    peer.useRemote(session->sdp);
    return session->id;
  }

  /** Offers a new session to `peer`, which answers. */
  SessionId offerPeer(RtpPeer& peer, uint64_t affinity = 1) {
    auto session = engine_->offer({.affinity = affinity});
    EXPECT_TRUE(session.ok());
    auto accepted = engine_->acceptAnswer(session->id, peer.answer(session->sdp));
    EXPECT_TRUE(accepted.ok()) << (accepted.ok() ? "" : accepted.error().message);
    return session->id;
  }

  int quality_interval_ms_ = 5000;
  int rtp_timeout_ms_ = 30000;
  EventRecorder events_;
  MediaEnginePtr engine_;
};

TEST_F(MediaEngineTest, TwoSessionsExchangeRtpAndAPromptArrivesAtItsFrequency) {
  auto a = engine_->offer({});
  ASSERT_TRUE(a.ok());
  auto b = engine_->answer(a->sdp, {});
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(engine_->acceptAnswer(a->id, b->sdp).ok());
  auto tap = std::make_shared<CollectingTap>();
  engine_->setTap(b->id, tap);

  engine_->play(a->id, tonePrompt(440, 1000), false, 7);
  ASSERT_TRUE(events_.waitFor([&](const EventRecorder& e) { return !e.plays_finished.empty(); }));
  std::this_thread::sleep_for(200ms);

  auto audio = tap->audio();
  auto heard = window(audio, 300, 500);
  ASSERT_EQ(heard.size(), 8000u) << "the tap received " << audio.size() << " samples";
  EXPECT_NEAR(dominantFrequency(heard, InternalRate), 440, 5);
  EXPECT_GT(rmsLevel(heard), 0.1);
  EXPECT_EQ(events_.plays_finished[0], std::make_pair(a->id, uint64_t{7}));
}

TEST_F(MediaEngineTest, RelaysPcmuPacketByPacketWithOneContinuousStreamPerSide) {
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller);
  SessionId b = offerPeer(agent);
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(1000);
  agent.sendTone(600);
  std::this_thread::sleep_for(1200ms);

  auto at_agent = agent.receivedAudio();
  auto at_caller = caller.receivedAudio();
  ASSERT_GE(at_agent.size(), 16000u * 8 / 10);
  ASSERT_GE(at_caller.size(), 16000u * 8 / 10);
  EXPECT_NEAR(dominantFrequency(window(at_agent, 200, 500), InternalRate), 1000, 5);
  EXPECT_NEAR(dominantFrequency(window(at_caller, 200, 500), InternalRate), 600, 5);

  auto headers = agent.receivedHeaders();
  std::set<uint32_t> ssrcs;
  int gaps = 0;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    ssrcs.insert(headers[i].ssrc);
    EXPECT_EQ(headers[i].payload_type, 0);
    if (i > 0 && static_cast<uint16_t>(headers[i - 1].sequence + 1) != headers[i].sequence) {
      ++gaps;
    }
  }
  EXPECT_EQ(ssrcs.size(), 1u) << "the agent must see one stream, whatever the caller sends";
  EXPECT_EQ(gaps, 0);
  EngineCounters counters = engine_->counters();
  EXPECT_GT(counters.packets_relayed, 80u);
  EXPECT_EQ(counters.packets_transcoded, 0u);
  EXPECT_EQ(counters.frames_decoded, 0u) << "a plain relay has no reader of decoded audio";
}

TEST_F(MediaEngineTest, ARelayWithoutTelephoneEventsDecodesNothingYetHearsInBandDigits) {
  // Phones that negotiated no telephone-event: their digits exist only as tones in the audio,
  // so each leg must look for them, at 8 kHz on the G.711 samples, while relaying untouched.
  RtpPeer caller(CodecId::Pcmu, 0, -1);
  RtpPeer agent(CodecId::Pcma, 8, -1);
  RtpPeer agent_phone(CodecId::Pcmu, 0, -1);
  RtpPeer unheard(CodecId::Pcmu, 0, -1);
  SessionId a = answerPeer(caller);
  SessionId b = answerPeer(agent_phone);
  SessionId c = answerPeer(agent);
  // A session created without in-band detection (call control's agent legs) reports no digit.
  SessionId d = answerPeer(unheard, 1, false);
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(0);
  agent_phone.sendTone(700);
  agent.sendTone(0);
  unheard.sendTone(0);
  for (char digit : std::string("4*0")) {
    caller.sendDigit(digit);
  }
  agent.sendDigit('D');
  unheard.sendDigit('7');
  ASSERT_TRUE(events_.waitFor([](const EventRecorder& e) { return e.digits.size() >= 4; }));
  std::this_thread::sleep_for(300ms);
  std::string from_caller;
  std::string from_agent;
  std::string from_elsewhere;
  events_.waitFor([&](const EventRecorder& e) {
    for (const auto& digit : e.digits) {
      EXPECT_EQ(digit.source, DtmfSource::InBand);
      EXPECT_NE(digit.session, d) << "a session without in-band detection heard a digit";
      std::string& to = digit.session == a   ? from_caller
                        : digit.session == c ? from_agent
                                             : from_elsewhere;
      to += digit.digit;
    }
    return true;
  });
  EXPECT_EQ(from_caller, "4*0");
  EXPECT_EQ(from_agent, "D");
  EXPECT_EQ(from_elsewhere, "") << "a 700 Hz tone is no digit";
  // The relay still works: the agent's phone hears the caller.
  auto at_agent_phone = agent_phone.receivedAudio();
  ASSERT_GE(at_agent_phone.size(), 16000u / 2);
  EngineCounters counters = engine_->counters();
  EXPECT_GT(counters.packets_relayed, 40u);
  EXPECT_EQ(counters.packets_transcoded, 0u);
  EXPECT_EQ(counters.frames_decoded, 0u) << "in-band DTMF on G.711 needs no internal-rate decode";
  EXPECT_GT(counters.frames_dtmf_narrow, 40u);
}

TEST_F(MediaEngineTest, TranscodesBetweenPcmuAndOpusWhenTheLegsShareNoCodec) {
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer browser(CodecId::Opus, 111);
  SessionId a = answerPeer(caller);
  SessionId b = answerPeer(browser);
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(1000);
  browser.sendTone(700);
  std::this_thread::sleep_for(1200ms);

  auto at_browser = browser.receivedAudio();
  auto at_caller = caller.receivedAudio();
  ASSERT_GE(at_browser.size(), 16000u * 8 / 10);
  ASSERT_GE(at_caller.size(), 16000u * 8 / 10);
  EXPECT_NEAR(dominantFrequency(window(at_browser, 300, 500), InternalRate), 1000, 5);
  EXPECT_NEAR(dominantFrequency(window(at_caller, 300, 500), InternalRate), 700, 5);
  for (const RtpHeader& header : browser.receivedHeaders()) {
    EXPECT_EQ(header.payload_type, 111);
  }
  EXPECT_GT(engine_->counters().packets_transcoded, 80u);
}

TEST_F(MediaEngineTest, ConferenceMixesEveryoneAndAWhisperReachesOnlyItsTarget) {
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::G722, 9);
  RtpPeer supervisor(CodecId::Opus, 111);
  SessionId c = answerPeer(caller, 5);
  SessionId a = answerPeer(agent, 5);
  SessionId s = answerPeer(supervisor, 5);
  ASSERT_TRUE(engine_->joinConference(5, c, Mixer::Role::Speaker).ok());
  ASSERT_TRUE(engine_->joinConference(5, a, Mixer::Role::Speaker).ok());
  ASSERT_TRUE(engine_->joinConference(5, s, Mixer::Role::Whisperer, a).ok());
  caller.sendTone(500);
  agent.sendTone(800);
  supervisor.sendTone(1300);
  std::this_thread::sleep_for(1200ms);

  auto at_caller = window(caller.receivedAudio(), 400, 600);
  auto at_agent = window(agent.receivedAudio(), 400, 600);
  auto at_supervisor = window(supervisor.receivedAudio(), 400, 600);
  ASSERT_EQ(at_caller.size(), 9600u);
  ASSERT_EQ(at_agent.size(), 9600u);
  ASSERT_EQ(at_supervisor.size(), 9600u);
  // The caller hears the agent, not the whispering supervisor, and not itself.
  EXPECT_GT(powerRatio(at_caller, 800, 1300), 100);
  EXPECT_GT(powerRatio(at_caller, 800, 500), 100);
  // The agent hears both the caller and the supervisor.
  EXPECT_GT(powerRatio(at_agent, 500, 800), 100);
  EXPECT_GT(powerRatio(at_agent, 1300, 800), 100);
  // The supervisor hears both parties.
  EXPECT_GT(powerRatio(at_supervisor, 500, 1300), 100);
  EXPECT_GT(powerRatio(at_supervisor, 800, 1300), 100);

  // Barge: the supervisor becomes a speaker and the caller hears it too.
  ASSERT_TRUE(engine_->joinConference(5, s, Mixer::Role::Speaker).ok());
  caller.clearReceived();
  std::this_thread::sleep_for(800ms);
  auto after_barge = window(caller.receivedAudio(), 300, 400);
  ASSERT_EQ(after_barge.size(), 6400u);
  EXPECT_GT(powerRatio(after_barge, 1300, 500), 100);
  EXPECT_GT(powerRatio(after_barge, 800, 500), 100);
}

TEST_F(MediaEngineTest, ReportsRfc4733AndInBandDigitsOnce) {
  RtpPeer phone(CodecId::Pcmu, 0, 101);
  RtpPeer old_phone(CodecId::Pcma, 8, -1);
  SessionId with_events = answerPeer(phone);
  SessionId in_band = answerPeer(old_phone);
  phone.sendTone(0);
  old_phone.sendTone(0);
  for (char digit : std::string("5#")) {
    phone.sendDigit(digit);
  }
  for (char digit : std::string("79")) {
    old_phone.sendDigit(digit);
  }
  ASSERT_TRUE(events_.waitFor([](const EventRecorder& e) { return e.digits.size() >= 4; }));
  std::this_thread::sleep_for(300ms);
  std::string rfc4733;
  std::string detected;
  events_.waitFor([&](const EventRecorder& e) {
    for (const auto& digit : e.digits) {
      if (digit.session == with_events) {
        EXPECT_EQ(digit.source, DtmfSource::Rfc4733);
        rfc4733 += digit.digit;
      } else if (digit.session == in_band) {
        EXPECT_EQ(digit.source, DtmfSource::InBand);
        detected += digit.digit;
      }
    }
    return true;
  });
  EXPECT_EQ(rfc4733, "5#");
  EXPECT_EQ(detected, "79");
}

TEST_F(MediaEngineTest, RecordsBothSidesOfABridgedCallIntoOneStereoFile) {
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller);
  SessionId b = answerPeer(agent);
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(600);
  agent.sendTone(900);
  std::this_thread::sleep_for(200ms);
  std::string path = ::testing::TempDir() + "kefu-recording-" + std::to_string(getpid()) + ".wav";
  ASSERT_TRUE(engine_->startRecording(a, b, path).ok());
  std::this_thread::sleep_for(1000ms);
  engine_->stopRecording(a);
  std::this_thread::sleep_for(300ms);

  auto wav = testing::readWav(path);
  ASSERT_EQ(wav.channels, 2);
  ASSERT_EQ(wav.rate, InternalRate);
  double seconds = static_cast<double>(wav.channel[0].size()) / InternalRate;
  EXPECT_NEAR(seconds, 1.0, 0.15);
  auto left = window(wav.channel[0], 300, 400);
  auto right = window(wav.channel[1], 300, 400);
  EXPECT_NEAR(dominantFrequency(left, InternalRate), 600, 5);
  EXPECT_NEAR(dominantFrequency(right, InternalRate), 900, 5);
  EXPECT_GT(engine_->counters().frames_decoded, 2u * 40u) << "a recording decodes both sides";
  // The call itself was still relayed while recording.
  EXPECT_NEAR(dominantFrequency(window(agent.receivedAudio(), 600, 400), InternalRate), 600, 5);
  std::filesystem::remove(path);
}

TEST_F(MediaEngineTest, GarbageIsCountedAndTheSessionKeepsServing) {
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller);
  SessionId b = answerPeer(agent);
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(1000);
  std::this_thread::sleep_for(200ms);
  caller.sendRaw({0x80});                                            // too short for anything
  caller.sendRaw({0x90, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1});  // extension bit, no extension
  caller.sendRaw(std::vector<uint8_t>(200, 0xff));                   // not RTP at all
  caller.sendRaw(
      {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4,
       5,    6,    7,    8,    9,    10,   11,   12,   0, 6, 0, 4});  // STUN on a plain RTP leg
  agent.clearReceived();
  std::this_thread::sleep_for(600ms);
  EngineCounters counters = engine_->counters();
  EXPECT_GE(counters.malformed_rtp + counters.unknown_packets, 3u);
  EXPECT_NEAR(dominantFrequency(window(agent.receivedAudio(), 100, 400), InternalRate), 1000, 5);
}

class MediaEngineTimingTest : public MediaEngineTest {
 protected:
  void SetUp() override {
    quality_interval_ms_ = 400;
    rtp_timeout_ms_ = 600;
    start();
  }
};

TEST_F(MediaEngineTimingTest, ReportsQualityWhileMediaFlowsAndATimeoutWhenItStops) {
  RtpPeer caller(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller);
  caller.sendTone(500);
  ASSERT_TRUE(events_.waitFor([&](const EventRecorder& e) {
    for (const auto& quality : e.quality) {
      if (quality.session == a && quality.report.packets_received > 10) {
        return true;
      }
    }
    return false;
  }));
  events_.waitFor([&](const EventRecorder& e) {
    const QualityReport& report = e.quality.back().report;
    EXPECT_EQ(report.codec, CodecId::Pcmu);
    EXPECT_LT(report.loss_percent, 1.0);
    EXPECT_GT(report.mos, 4.0);
    EXPECT_LE(report.mos, 4.5);
    return true;
  });
  caller.stopSending();
  ASSERT_TRUE(events_.waitFor(
      [&](const EventRecorder& e) { return !e.timeouts.empty() && e.timeouts[0] == a; }, 3s));
  engine_->destroy(a);
  ASSERT_TRUE(events_.waitFor(
      [&](const EventRecorder& e) { return !e.quality.empty() && e.quality.back().report.final; }));
  EXPECT_EQ(engine_->counters().sessions_active, 0u);
}

/** A way of protecting media, what our offer must say for it, and the tone sent through it. */
struct SecurityCase {
  const char* name;
  MediaSecurity security;
  const char* protocol;
  const char* attribute;  // the SDP attribute that carries the keys or the fingerprint
  double hz;
};

class MediaEngineSecurityTest : public ::testing::TestWithParam<SecurityCase> {};

TEST_P(MediaEngineSecurityTest, TwoEnginesCarryAudioThroughIt) {
  const SecurityCase& c = GetParam();
  EventRecorder events_one;
  EventRecorder events_two;
  EngineConfig config;
  config.threads = 1;
  config.port_min = 31000;
  config.port_max = 39999;
  auto one = startMediaEngine(config, events_one);
  auto two = startMediaEngine(config, events_two);
  ASSERT_TRUE(one.ok() && two.ok());
  auto offer = (*one)->offer({.security = c.security});
  ASSERT_TRUE(offer.ok());
  EXPECT_NE(offer->sdp.find(c.protocol), std::string::npos);
  EXPECT_NE(offer->sdp.find(c.attribute), std::string::npos);
  auto answer = (*two)->answer(offer->sdp, {});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE((*one)->acceptAnswer(offer->id, answer->sdp).ok());
  if (c.security == MediaSecurity::DtlsSrtp) {
    auto connected = [](const EventRecorder& e) {
      return !e.secure.empty() && e.secure[0].second.empty();
    };
    ASSERT_TRUE(events_one.waitFor(connected, 5s)) << "engine one's handshake did not finish";
    ASSERT_TRUE(events_two.waitFor(connected, 5s)) << "engine two's handshake did not finish";
  }

  auto tap = std::make_shared<CollectingTap>();
  (*two)->setTap(answer->id, tap);
  (*one)->play(offer->id, tonePrompt(c.hz, 800), false, 1);
  ASSERT_TRUE(events_one.waitFor([](const EventRecorder& e) { return !e.plays_finished.empty(); }));
  std::this_thread::sleep_for(200ms);
  auto heard = window(tap->audio(), 200, 400);
  ASSERT_EQ(heard.size(), 6400u);
  EXPECT_NEAR(dominantFrequency(heard, InternalRate), c.hz, 5);
  EXPECT_EQ((*two)->counters().srtp_failures, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Security, MediaEngineSecurityTest,
    ::testing::Values(SecurityCase{"DtlsSrtp", MediaSecurity::DtlsSrtp, "UDP/TLS/RTP/SAVPF",
                                   "a=fingerprint:sha-256", 850},
                      SecurityCase{"Sdes", MediaSecurity::Sdes, "RTP/SAVP", "a=crypto:", 650}),
    [](const ::testing::TestParamInfo<SecurityCase>& info) { return info.param.name; });

TEST(MediaEngineConfigTest, RefusesABadPortRangeNamingTheKey) {
  EventRecorder events;
  EngineConfig config;
  config.port_min = 30000;
  config.port_max = 30000;
  auto engine = startMediaEngine(config, events);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.error().field, "media.port_min");
  config.port_max = 30010;
  config.bind_address = "not-an-address";
  engine = startMediaEngine(config, events);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.error().field, "media.bind_address");
}

TEST_F(MediaEngineTest, AMalformedOfferIsRefusedWithAnError) {
  auto session = engine_->answer("v=0\r\nthis is not sdp\r\n", {});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, ErrorCode::InvalidArgument);
  auto no_codec = engine_->answer(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 3\r\na=rtpmap:3 GSM/8000\r\n",
      {});
  ASSERT_FALSE(no_codec.ok());
  EXPECT_EQ(engine_->counters().sessions_active, 0u);
}

}  // namespace
}  // namespace kefu::media
