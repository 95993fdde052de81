// The site's media engine: its quality reports reach the event bus and its counters /metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "media/tone.h"
#include "support/site_fixture.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;

class SiteMediaTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override {
    config.media.threads = 1;
    config.media.port_min = 41000;
    config.media.port_max = 41999;
    config.media.quality_interval = std::chrono::seconds(1);
  }
};

/** @return the value of the first sample of `name` in a Prometheus text body, or -1. */
double sample(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST_P(SiteMediaTest, QualityReportsAreEventsAndCountersAreMetrics) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Json> quality;
  auto subscription = site_->eventsForTest().subscribe([&](const DomainEventPtr& event) {
    if (event->type == "media.quality") {
      std::lock_guard lock(mutex);
      quality.push_back(Json::parse(event->payload_json));
      changed.notify_all();
    }
  });

  media::MediaEngine& engine = site_->mediaForTest();
  auto a = engine.offer({});
  ASSERT_TRUE(a.ok());
  auto b = engine.answer(a->sdp, {});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(engine.acceptAnswer(a->id, b->sdp).ok());
  std::vector<int16_t> pcm(16000 * 2);
  media::ToneGenerator(440, 0.3).fill(pcm);
  engine.play(a->id, media::promptFromPcm(pcm, 16000), false, 1);

  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] {
      for (const Json& report : quality) {
        if (report["session"] == std::to_string(b->id) && report["packets_received"] > 20) {
          return true;
        }
      }
      return false;
    }));
    const Json& report = quality.back();
    EXPECT_EQ(report["codec"], "opus");
    EXPECT_GT(report["mos"].get<double>(), 4.0);
    EXPECT_LT(report["loss_percent"].get<double>(), 1.0);
  }

  auto metrics = client(false).get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(sample(metrics.body, "kefu_media_sessions"), 2);
  EXPECT_GT(sample(metrics.body, "kefu_media_packets_received_total"), 20);
  EXPECT_NE(metrics.body.find("# TYPE kefu_media_packets_sent_total counter"), std::string::npos);

  engine.destroy(a->id);
  engine.destroy(b->id);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] {
      int finals = 0;
      for (const Json& report : quality) {
        finals += report["final"].get<bool>() ? 1 : 0;
      }
      return finals == 2;
    }));
  }
  metrics = client(false).get("/metrics");
  EXPECT_EQ(sample(metrics.body, "kefu_media_sessions"), 0);
  // Only b received audio: a session that heard nothing has no MOS to record.
  EXPECT_NE(metrics.body.find("kefu_media_session_mos_count 1\n"), std::string::npos);
  site_->eventsForTest().unsubscribe(subscription);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SiteMediaTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
