// The media engine against an independent RTP implementation: GStreamer's rtppcmupay/depay.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "media/engine.h"
#include "media/tone.h"
#include "support/media/audio_checks.h"
#include "support/media/child_process.h"
#include "support/media/event_recorder.h"

namespace kefu::media {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::EventRecorder;

class GStreamerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::system("gst-inspect-1.0 rtppcmupay >/dev/null 2>&1") != 0) {
      GTEST_FAIL() << "GStreamer with rtppcmupay is missing: run `make deps`";
    }
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("kefu-gst-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    EngineConfig config;
    config.threads = 1;
    config.port_min = 31000;
    config.port_max = 39999;
    auto engine = startMediaEngine(config, events_);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(engine).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /** An offer as a GStreamer pipeline would make it: PCMU to `port` on loopback. */
  static std::string pcmuOffer(uint16_t port) {
    return "v=0\r\no=gst 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n";
  }

  static uint16_t portOf(const std::string& sdp) {
    auto at = sdp.find("m=audio ");
    return static_cast<uint16_t>(std::stoi(sdp.substr(at + 8)));
  }

  std::filesystem::path dir_;
  EventRecorder events_;
  MediaEnginePtr engine_;
};

TEST_F(GStreamerTest, AToneFromGStreamerIsRecordedAtItsFrequencyAndLength) {
  uint16_t gst_port = testing::freeUdpPort();
  auto session = engine_->answer(pcmuOffer(gst_port), {});
  ASSERT_TRUE(session.ok()) << session.error().message;
  std::string recording = (dir_ / "from-gst.wav").string();
  ASSERT_TRUE(engine_->startRecording(session->id, 0, recording).ok());

  // 50 buffers of 160 samples at 8 kHz: one second of 700 Hz, paced in real time.
  ChildProcess sender({"gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", "freq=700",
                       "volume=0.3", "num-buffers=50", "samplesperbuffer=160", "!",
                       "audio/x-raw,rate=8000,channels=1", "!", "mulawenc", "!", "rtppcmupay", "!",
                       "udpsink", "host=127.0.0.1", "port=" + std::to_string(portOf(session->sdp))},
                      (dir_ / "sender.log").string());
  ASSERT_EQ(sender.wait(10s), 0) << "gst-launch failed; see its log in " << dir_;
  std::this_thread::sleep_for(300ms);
  engine_->stopRecording(session->id);
  std::this_thread::sleep_for(300ms);

  auto wav = testing::readWav(recording);
  ASSERT_EQ(wav.channels, 2);
  const auto& left = wav.channel[0];
  // Where the tone is: samples louder than a tenth of its level.
  std::size_t first = left.size();
  std::size_t last = 0;
  for (std::size_t i = 0; i < left.size(); ++i) {
    if (std::abs(left[i]) > 3000) {
      first = std::min(first, i);
      last = i;
    }
  }
  ASSERT_LT(first, last) << "no tone in the recording";
  double tone_seconds = static_cast<double>(last - first) / InternalRate;
  EXPECT_NEAR(tone_seconds, 1.0, 0.06);
  auto middle = testing::window(std::vector<int16_t>(left.begin() + static_cast<long>(first),
                                                     left.begin() + static_cast<long>(last)),
                                200, 500);
  EXPECT_NEAR(dominantFrequency(middle, InternalRate), 700, 5);
}

TEST_F(GStreamerTest, APromptPlayedBySessionArrivesInGStreamerAtItsFrequencyAndLength) {
  uint16_t gst_port = testing::freeUdpPort();
  std::string raw = (dir_ / "to-gst.raw").string();
  ChildProcess receiver(
      {"gst-launch-1.0", "-q", "udpsrc", "address=127.0.0.1", "port=" + std::to_string(gst_port),
       "caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0", "!",
       "rtpjitterbuffer", "latency=60", "!", "rtppcmudepay", "!", "mulawdec", "!",
       "audio/x-raw,format=S16LE,rate=8000,channels=1", "!", "filesink", "location=" + raw},
      (dir_ / "receiver.log").string());
  std::this_thread::sleep_for(500ms);  // gst-launch binds its port
  auto session = engine_->answer(pcmuOffer(gst_port), {});
  ASSERT_TRUE(session.ok());
  engine_->play(session->id, testing::tonePrompt(500, 1200), false, 9);
  ASSERT_TRUE(
      events_.waitFor([](const EventRecorder& e) { return !e.plays_finished.empty(); }, 5s));
  std::this_thread::sleep_for(400ms);
  receiver.stop();

  std::ifstream file(raw, std::ios::binary);
  std::vector<int16_t> pcm;
  int16_t sample = 0;
  while (file.read(reinterpret_cast<char*>(&sample), sizeof sample)) {
    pcm.push_back(sample);
  }
  std::size_t first = pcm.size();
  std::size_t last = 0;
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    if (std::abs(pcm[i]) > 3000) {
      first = std::min(first, i);
      last = i;
    }
  }
  ASSERT_LT(first, last) << "GStreamer received no tone (" << pcm.size() << " samples)";
  EXPECT_NEAR(static_cast<double>(last - first) / 8000, 1.2, 0.06);
  std::vector<int16_t> middle(pcm.begin() + static_cast<long>(first) + 1600,
                              pcm.begin() + static_cast<long>(first) + 1600 + 4000);
  EXPECT_NEAR(dominantFrequency(middle, 8000), 500, 5);
}

}  // namespace
}  // namespace kefu::media
