// The media engine with sessions on different media threads: a bridge, a recording or a conference
// join moves a session to the other's thread, and what is asked of it meanwhile is not lost.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "core/assert.h"
#include "media/engine.h"
#include "media/rtp.h"
#include "media/tone.h"
#include "support/media/audio_checks.h"
#include "support/media/event_recorder.h"
#include "support/media/rtp_peer.h"

namespace kefu::media {
namespace {

using namespace std::chrono_literals;
using testing::EventRecorder;
using testing::powerRatio;
using testing::RtpPeer;
using testing::tonePrompt;
using testing::window;

/** @return how many file descriptors this process holds (sockets included). */
std::size_t openDescriptors() {
  std::size_t count = 0;
  if (DIR* dir = opendir("/proc/self/fd"); dir != nullptr) {
    while (readdir(dir) != nullptr) {
      ++count;
    }
    closedir(dir);
  }
  return count;
}

/** @return how many final quality reports `session` sent. */
std::size_t finalReports(const EventRecorder& events, SessionId session) {
  return static_cast<std::size_t>(std::count_if(
      events.quality.begin(), events.quality.end(),
      [&](const auto& quality) { return quality.session == session && quality.report.final; }));
}

class MediaEngineThreadsTest : public ::testing::Test {
 protected:
  /** Starts an engine of `threads` media threads; affinity N lands on thread N % threads. */
  void start(int threads) {
    EngineConfig config;
    config.threads = threads;
    config.port_min = 40000;
    config.port_max = 45999;
    auto engine = startMediaEngine(config, events_);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(engine).value();
  }

  /** Answers `peer`'s offer with a new session with `affinity` and points the peer at it. */
  SessionId answerPeer(RtpPeer& peer, uint64_t affinity) {
    auto session = engine_->answer(peer.offer(), {.affinity = affinity});
    EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
    peer.useRemote(session->sdp);
    return session->id;
  }

  /** Waits until the engine counts `active` open sessions; @return whether it did in time. */
  bool waitForActive(uint64_t active) {
    for (int i = 0; i < 500; ++i) {
      if (engine_->counters().sessions_active == active) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  /** Waits until `peer` has received `ms` of audio; @return whether it did in time (a slow
   *  sanitizer build starts a conference's mix later). */
  static bool waitForAudio(const RtpPeer& peer, int ms) {
    for (int i = 0; i < 100; ++i) {
      if (peer.receivedAudio().size() >= static_cast<std::size_t>(ms) * InternalRate / 1000) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  EventRecorder events_;
  MediaEnginePtr engine_;
};

TEST_F(MediaEngineThreadsTest, BridgesSessionsOfTwoThreadsAndRelaysBothWays) {
  start(2);
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller, 1);  // thread 1
  SessionId b = answerPeer(agent, 2);   // thread 0
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  caller.sendTone(1000);
  agent.sendTone(600);
  ASSERT_TRUE(waitForAudio(agent, 1000));
  ASSERT_TRUE(waitForAudio(caller, 1000));

  auto at_agent = agent.receivedAudio();
  auto at_caller = caller.receivedAudio();
  EXPECT_NEAR(dominantFrequency(window(at_agent, 200, 500), InternalRate), 1000, 5);
  EXPECT_NEAR(dominantFrequency(window(at_caller, 200, 500), InternalRate), 600, 5);
  // The moved leg keeps one stream towards its peer.
  auto headers = agent.receivedHeaders();
  int gaps = 0;
  for (std::size_t i = 1; i < headers.size(); ++i) {
    gaps += static_cast<uint16_t>(headers[i - 1].sequence + 1) != headers[i].sequence ? 1 : 0;
  }
  EXPECT_EQ(gaps, 0);

  // The sums over the threads: both sessions open once, every relayed packet received first.
  EngineCounters counters = engine_->counters();
  EXPECT_EQ(counters.sessions_active, 2u);
  EXPECT_EQ(counters.sessions_created, 2u);
  EXPECT_EQ(counters.sessions_moved, 1u) << "b, and only b, moved to a's thread";
  EXPECT_GT(counters.packets_relayed, 80u);
  EXPECT_LE(counters.packets_relayed, counters.packets_received);
  EXPECT_EQ(counters.packets_transcoded, 0u);
}

TEST_F(MediaEngineThreadsTest, APromptAndADestroyPostedRightAfterACrossThreadBridgeAreHonoured) {
  start(2);
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  RtpPeer other(CodecId::Pcmu, 0);
  std::size_t descriptors = openDescriptors();
  SessionId a = answerPeer(caller, 1);  // thread 1
  SessionId b = answerPeer(agent, 2);   // thread 0
  SessionId c = answerPeer(other, 4);   // thread 0
  caller.sendTone(0);
  // Posted while b is on its way to a's thread, in this order: the second prompt replaces the
  // first at once (which is reported finished first), and b's peer hears the second.
  ASSERT_TRUE(engine_->bridge(a, b).ok());
  engine_->play(b, tonePrompt(300, 2000), false, 8);
  engine_->play(b, tonePrompt(440, 400), false, 9);
  ASSERT_TRUE(
      events_.waitFor([&](const EventRecorder& e) { return e.plays_finished.size() >= 2; }));
  std::this_thread::sleep_for(100ms);
  auto heard = window(agent.receivedAudio(), 100, 200);
  ASSERT_EQ(heard.size(), 3200u);
  EXPECT_NEAR(dominantFrequency(heard, InternalRate), 440, 5);
  events_.waitFor([&](const EventRecorder& e) {
    EXPECT_EQ(e.plays_finished.size(), 2u);
    EXPECT_EQ(e.plays_finished[0], std::make_pair(b, uint64_t{8}));
    EXPECT_EQ(e.plays_finished[1], std::make_pair(b, uint64_t{9}));
    return true;
  });

  // c moves to a's thread and is destroyed before it can have arrived: it ends there, once.
  ASSERT_TRUE(engine_->bridge(a, c).ok());
  engine_->destroy(c);
  ASSERT_TRUE(waitForActive(2));
  events_.waitFor([&](const EventRecorder& e) { return finalReports(e, c) > 0; });
  std::this_thread::sleep_for(100ms);
  events_.waitFor([&](const EventRecorder& e) {
    EXPECT_EQ(finalReports(e, c), 1u);
    return true;
  });
  // a left b for c: b's peer no longer hears the caller.
  caller.sendTone(1000);
  agent.clearReceived();
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(agent.receivedHeaders().size(), 3u);

  engine_->destroy(a);
  engine_->destroy(b);
  ASSERT_TRUE(waitForActive(0));
  EXPECT_EQ(engine_->counters().sessions_created, 3u);
  EXPECT_EQ(openDescriptors(), descriptors) << "a moved session's sockets must close once";
}

TEST_F(MediaEngineThreadsTest, ASessionOfAnotherThreadJoinsAConferenceAndHearsTheMix) {
  start(2);
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::G722, 9);
  RtpPeer supervisor(CodecId::Opus, 111);
  SessionId c = answerPeer(caller, 7);      // thread 1
  SessionId a = answerPeer(agent, 7);       // thread 1
  SessionId s = answerPeer(supervisor, 8);  // thread 0: a softphone made before the call
  ASSERT_TRUE(engine_->bridge(c, a).ok());
  ASSERT_TRUE(engine_->joinConference(7, c, Mixer::Role::Speaker).ok());
  ASSERT_TRUE(engine_->joinConference(7, a, Mixer::Role::Speaker).ok());
  ASSERT_TRUE(engine_->joinConference(7, s, Mixer::Role::Whisperer, a).ok());
  caller.sendTone(500);
  agent.sendTone(800);
  supervisor.sendTone(1300);
  for (const RtpPeer* peer : {&caller, &agent, &supervisor}) {
    ASSERT_TRUE(waitForAudio(*peer, 1000));
  }

  auto at_caller = window(caller.receivedAudio(), 400, 600);
  auto at_agent = window(agent.receivedAudio(), 400, 600);
  auto at_supervisor = window(supervisor.receivedAudio(), 400, 600);
  ASSERT_EQ(at_caller.size(), 9600u);
  ASSERT_EQ(at_agent.size(), 9600u);
  ASSERT_EQ(at_supervisor.size(), 9600u);
  // The moved supervisor hears both parties; its whisper reaches the agent, not the caller.
  EXPECT_GT(powerRatio(at_supervisor, 500, 1300), 100);
  EXPECT_GT(powerRatio(at_supervisor, 800, 1300), 100);
  EXPECT_GT(powerRatio(at_agent, 1300, 800), 100);
  EXPECT_GT(powerRatio(at_caller, 800, 1300), 100);
  EXPECT_EQ(engine_->counters().sessions_active, 3u);
  EXPECT_EQ(engine_->counters().sessions_moved, 1u);
}

TEST_F(MediaEngineThreadsTest, RecordingMovesTheRightChannelToTheLeftsThread) {
  start(2);
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  SessionId a = answerPeer(caller, 1);  // thread 1
  SessionId b = answerPeer(agent, 2);   // thread 0
  std::string path =
      ::testing::TempDir() + "kefu-threads-recording-" + std::to_string(getpid()) + ".wav";
  ASSERT_TRUE(engine_->startRecording(a, b, path).ok());
  caller.sendTone(500);
  agent.sendTone(900);
  std::this_thread::sleep_for(800ms);
  engine_->stopRecording(a);
  engine_->destroy(a);
  engine_->destroy(b);
  ASSERT_TRUE(waitForActive(0));
  std::this_thread::sleep_for(200ms);  // the writer thread closes the file

  auto wav = testing::readWav(path);
  ASSERT_EQ(wav.channels, 2);
  auto left = window(wav.channel[0], 300, 300);
  auto right = window(wav.channel[1], 300, 300);
  ASSERT_EQ(right.size(), 4800u);
  EXPECT_NEAR(dominantFrequency(left, InternalRate), 500, 5);
  EXPECT_NEAR(dominantFrequency(right, InternalRate), 900, 5) << "the moved right channel";
  std::filesystem::remove(path);
}

TEST_F(MediaEngineThreadsTest, RapidBridgesPlaysAndDestroysOverFourThreadsLeakNothing) {
  start(4);
  std::size_t descriptors = openDescriptors();
  uint64_t bugs = bugCount();
  // Sessions offered and answered by the engine itself, so each pair exchanges prompts' RTP.
  auto new_pair = [&](uint64_t first_affinity, uint64_t second_affinity) {
    auto offer = engine_->offer({.affinity = first_affinity});
    EXPECT_TRUE(offer.ok());
    auto answer = engine_->answer(offer->sdp, {.affinity = second_affinity});
    EXPECT_TRUE(answer.ok());
    EXPECT_TRUE(engine_->acceptAnswer(offer->id, answer->sdp).ok());
    return std::make_pair(offer->id, answer->id);
  };
  std::vector<SessionId> sessions;
  uint64_t created = 0;
  for (uint64_t i = 1; i <= 8; ++i) {
    auto [x, y] = new_pair(i, i + 1);
    sessions.push_back(x);
    sessions.push_back(y);
  }
  std::mt19937 random(1234);
  auto pick = [&] { return sessions[random() % sessions.size()]; };
  auto pick_other = [&](SessionId one) {
    SessionId other = pick();
    while (other == one) {
      other = pick();
    }
    return other;
  };
  uint64_t play_id = 0;
  for (int round = 0; round < 2000; ++round) {
    switch (random() % 8) {
      case 0:
      case 1: {
        SessionId one = pick();
        EXPECT_TRUE(engine_->bridge(one, pick_other(one)).ok());
        break;
      }
      case 2:
        engine_->unbridge(pick());
        break;
      case 3:
        engine_->play(pick(), tonePrompt(300, 60), false, ++play_id);
        break;
      case 4:
        EXPECT_TRUE(engine_->joinConference(random() % 3 + 1, pick(), Mixer::Role::Speaker).ok());
        break;
      case 5:
        engine_->sendDtmf(pick(), '5', 60);
        break;
      case 6: {
        // Destroy one and make a new pair right away: the rest keeps moving around it.
        std::size_t index = random() % sessions.size();
        engine_->destroy(sessions[index]);
        auto [x, y] = new_pair(random(), random());
        sessions[index] = x;
        sessions.push_back(y);
        created += 2;
        break;
      }
      default:
        engine_->stopPlay(pick());
        break;
    }
    if (round % 100 == 0) {
      std::this_thread::sleep_for(5ms);  // let some moves land mid-stream
    }
  }
  created += 16;
  for (SessionId id : sessions) {
    engine_->destroy(id);
  }
  ASSERT_TRUE(waitForActive(0)) << engine_->counters().sessions_active << " sessions still open";
  EXPECT_EQ(engine_->counters().sessions_created, created);
  EXPECT_GT(engine_->counters().sessions_moved, 100u);
  EXPECT_EQ(bugCount(), bugs) << "a broken invariant was reported";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(openDescriptors(), descriptors) << "every socket closes once";
}

// Not a check but a measurement, so not part of `make test` (run it with
// --gtest_also_run_disabled_tests): prints how long a bridge takes to carry its first packet,
// across threads and on one thread (docs/benchmarks.md). The caller's peer sends a packet every 0.2
// ms from the bridge on.
TEST_F(MediaEngineThreadsTest, DISABLED_MeasuresBridgeToTheFirstRelayedPacket) {
  start(2);
  RtpPeer caller(CodecId::Pcmu, 0);
  RtpPeer agent(CodecId::Pcmu, 0);
  std::vector<uint8_t> packet(12 + 160, 0xff);
  RtpHeader header;
  header.payload_type = 0;
  header.ssrc = 4242;
  for (bool cross : {true, false}) {
    std::vector<double> micros;
    for (int i = 0; i < 40; ++i) {
      SessionId a = answerPeer(caller, 1);
      SessionId b = answerPeer(agent, cross ? 2 : 1);
      header.sequence = static_cast<uint16_t>(i * 1000);
      writeRtpHeader(header, packet);
      caller.sendRaw(packet);  // latches the caller's address before the bridge
      std::this_thread::sleep_for(30ms);
      agent.clearReceived();
      auto begin = std::chrono::steady_clock::now();
      ASSERT_TRUE(engine_->bridge(a, b).ok());
      for (int sent = 1; agent.receivedHeaders().empty(); ++sent) {
        ASSERT_LT(sent, 10000) << "no packet relayed";
        header.sequence = static_cast<uint16_t>(header.sequence + 1);
        header.timestamp += 160;
        writeRtpHeader(header, packet);
        caller.sendRaw(packet);
        std::this_thread::sleep_for(200us);
      }
      micros.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - begin)
              .count());
      engine_->destroy(a);
      engine_->destroy(b);
    }
    std::sort(micros.begin(), micros.end());
    std::printf("bench: media_bridge_first_packet_%s_us p50 %.0f p90 %.0f (40 bridges)\n",
                cross ? "cross_thread" : "same_thread", micros[micros.size() / 2],
                micros[micros.size() * 9 / 10]);
  }
}

}  // namespace
}  // namespace kefu::media
