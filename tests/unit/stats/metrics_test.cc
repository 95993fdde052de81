#include "stats/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/assert.h"

namespace kefu::stats {
namespace {

Metrics::BuildInfo testBuild() { return {"0.1.0", "abc1234", "hq", "all"}; }

// The value of the sample whose name and labels are exactly `series`, or NaN when absent.
double sampleValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end - at);
    if (line.starts_with(prefix)) {
      return std::strtod(line.c_str() + prefix.size(), nullptr);
    }
    if (end == std::string::npos) {
      break;
    }
    at = end + 1;
  }
  return std::nan("");
}

TEST(MetricsTest, RendersBuildInfo) {
  Metrics metrics(testBuild());
  const auto text = metrics.render();
  EXPECT_EQ(sampleValue(
                text, R"(kefu_build_info{commit="abc1234",role="all",site="hq",version="0.1.0"})"),
            1);
  EXPECT_NE(text.find("# TYPE kefu_build_info gauge"), std::string::npos);
}

TEST(MetricsTest, CountsRequestsByRouteMethodAndStatus) {
  Metrics metrics(testBuild());
  metrics.observeHttpRequest("/api/v1/agents/{id}", "GET", 200, 0.001);
  metrics.observeHttpRequest("/api/v1/agents/{id}", "GET", 200, 0.002);
  metrics.observeHttpRequest("/api/v1/agents/{id}", "GET", 404, 0.001);
  metrics.observeHttpRequest("/api/v1/agents/{id}", "DELETE", 204, 0.003);
  metrics.observeHttpRequest("/api/v1/skills", "GET", 200, 0.001);

  const auto text = metrics.render();
  EXPECT_EQ(
      sampleValue(
          text,
          R"(kefu_http_requests_total{method="GET",route="/api/v1/agents/{id}",status="200"})"),
      2);
  EXPECT_EQ(
      sampleValue(
          text,
          R"(kefu_http_requests_total{method="GET",route="/api/v1/agents/{id}",status="404"})"),
      1);
  EXPECT_EQ(
      sampleValue(
          text,
          R"(kefu_http_requests_total{method="DELETE",route="/api/v1/agents/{id}",status="204"})"),
      1);
  EXPECT_EQ(
      sampleValue(text,
                  R"(kefu_http_requests_total{method="GET",route="/api/v1/skills",status="200"})"),
      1);
  EXPECT_TRUE(std::isnan(sampleValue(
      text, R"(kefu_http_requests_total{method="POST",route="/api/v1/skills",status="200"})")));
  EXPECT_EQ(metrics.httpSeriesCountForTest(), 4u);

  metrics.observeHttpRequest("/api/v1/skills", "GET", 200, 0.001);
  EXPECT_EQ(
      sampleValue(metrics.render(),
                  R"(kefu_http_requests_total{method="GET",route="/api/v1/skills",status="200"})"),
      2);
}

TEST(MetricsTest, HistogramCountsAndSumsLatencyPerRouteAndMethod) {
  Metrics metrics(testBuild());
  metrics.observeHttpRequest("/api/v1/agents", "GET", 200, 0.0004);
  metrics.observeHttpRequest("/api/v1/agents", "GET", 500, 0.02);
  metrics.observeHttpRequest("/api/v1/agents", "GET", 200, 3.0);
  metrics.observeHttpRequest("/api/v1/agents", "POST", 201, 0.5);

  const auto text = metrics.render();
  const std::string get = R"(kefu_http_request_duration_seconds)";
  EXPECT_EQ(sampleValue(text, get + R"(_count{method="GET",route="/api/v1/agents"})"), 3);
  EXPECT_DOUBLE_EQ(sampleValue(text, get + R"(_sum{method="GET",route="/api/v1/agents"})"), 3.0204);
  EXPECT_EQ(sampleValue(text, get + R"(_bucket{method="GET",route="/api/v1/agents",le="0.0005"})"),
            1);
  EXPECT_EQ(sampleValue(text, get + R"(_bucket{method="GET",route="/api/v1/agents",le="0.025"})"),
            2);
  EXPECT_EQ(sampleValue(text, get + R"(_bucket{method="GET",route="/api/v1/agents",le="2.5"})"), 2);
  EXPECT_EQ(sampleValue(text, get + R"(_bucket{method="GET",route="/api/v1/agents",le="5"})"), 3);
  EXPECT_EQ(sampleValue(text, get + R"(_bucket{method="GET",route="/api/v1/agents",le="+Inf"})"),
            3);
  EXPECT_EQ(sampleValue(text, get + R"(_count{method="POST",route="/api/v1/agents"})"), 1);
  EXPECT_DOUBLE_EQ(sampleValue(text, get + R"(_sum{method="POST",route="/api/v1/agents"})"), 0.5);
}

TEST(MetricsTest, ExportsPlausibleProcessFigures) {
  Metrics metrics(testBuild());
  const auto text = metrics.render();
  EXPECT_GT(sampleValue(text, "process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GE(sampleValue(text, "process_virtual_memory_bytes"),
            sampleValue(text, "process_resident_memory_bytes"));
  EXPECT_GE(sampleValue(text, "process_open_fds"), 3);  // at least stdin, stdout and stderr
  EXPECT_GE(sampleValue(text, "process_max_fds"), sampleValue(text, "process_open_fds"));
  EXPECT_GE(sampleValue(text, "process_threads"), 1);
  EXPECT_GE(sampleValue(text, "process_cpu_seconds_total"), 0);
  // Started after 2020 and not in the future (a lenient check that needs no clock).
  EXPECT_GT(sampleValue(text, "process_start_time_seconds"), 1577836800);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
}

TEST(MetricsTest, ReadsCallbackGaugesAtEveryScrape) {
  Metrics metrics(testBuild());
  std::atomic<int> subscribers = 3;
  int reads = 0;
  metrics.addCallbackGauge("kefu_websocket_subscribers", "Open WebSocket event subscriptions.",
                           [&] {
                             ++reads;
                             return static_cast<double>(subscribers.load());
                           });
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(sampleValue(metrics.render(), "kefu_websocket_subscribers"), 3);
  subscribers = 7;
  const auto text = metrics.render();
  EXPECT_EQ(sampleValue(text, "kefu_websocket_subscribers"), 7);
  EXPECT_EQ(reads, 2);
  EXPECT_NE(text.find("# HELP kefu_websocket_subscribers Open WebSocket event subscriptions."),
            std::string::npos);
}

TEST(MetricsTest, ExportsCallbackCountersWithTheCounterType) {
  Metrics metrics(testBuild());
  double packets = 41;
  metrics.addCallbackCounter("kefu_media_packets_received_total", "RTP packets received.",
                             [&] { return packets; });
  packets = 42;
  const auto text = metrics.render();
  EXPECT_EQ(sampleValue(text, "kefu_media_packets_received_total"), 42);
  EXPECT_NE(text.find("# TYPE kefu_media_packets_received_total counter"), std::string::npos);
  // A counter and a gauge share one namespace.
  metrics.addCallbackGauge("kefu_media_packets_received_total", "", [] { return 0.0; });
  EXPECT_EQ(sampleValue(metrics.render(), "kefu_media_packets_received_total"), 42);
}

TEST(MetricsTest, ExportsBugCountAndRejectsTakenOrInvalidGaugeNames) {
  Metrics metrics(testBuild());
  const double bugs_before = sampleValue(metrics.render(), "kefu_bugs_total");
  EXPECT_EQ(bugs_before, static_cast<double>(bugCount()));

  metrics.addCallbackGauge("kefu_queue_depth", "", [] { return 1.0; });
  metrics.addCallbackGauge("kefu_queue_depth", "", [] { return 2.0; });  // taken
  metrics.addCallbackGauge("process_open_fds", "", [] { return 3.0; });  // built in
  metrics.addCallbackGauge("not a name", "", [] { return 4.0; });        // invalid

  const auto text = metrics.render();
  EXPECT_EQ(sampleValue(text, "kefu_bugs_total"), bugs_before + 3);
  EXPECT_EQ(sampleValue(text, "kefu_queue_depth"), 1);
  EXPECT_NE(sampleValue(text, "process_open_fds"), 3);
  EXPECT_EQ(text.find("not a name"), std::string::npos);
}

TEST(MetricsTest, BoundsSeriesWhenCallersPassRawPaths) {
  Metrics metrics(testBuild());
  for (std::size_t i = 0; i < Metrics::MaxHttpSeries + 10; ++i) {
    metrics.observeHttpRequest("/api/v1/agents/" + std::to_string(i), "GET", 200, 0.001);
  }
  metrics.observeHttpRequest("/api/v1/agents/x", "BREW", 418, 0.001);
  EXPECT_EQ(metrics.httpSeriesCountForTest(), Metrics::MaxHttpSeries + 2);

  const auto text = metrics.render();
  EXPECT_EQ(
      sampleValue(text, R"(kefu_http_requests_total{method="other",route="other",status="200"})"),
      10);
  EXPECT_EQ(
      sampleValue(text, R"(kefu_http_requests_total{method="other",route="other",status="418"})"),
      1);
  EXPECT_EQ(
      sampleValue(
          text, R"(kefu_http_requests_total{method="GET",route="/api/v1/agents/0",status="200"})"),
      1);
}

TEST(MetricsTest, CountsEveryRequestObservedConcurrently) {
  Metrics metrics(testBuild());
  constexpr int Threads = 4;
  constexpr int PerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < Threads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < PerThread; ++i) {
        // Every thread races to create the same few series, then keeps counting into them.
        metrics.observeHttpRequest("/api/v1/route" + std::to_string(i % 8), "GET",
                                   (i + t) % 2 == 0 ? 200 : 404, 0.001);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto text = metrics.render();
  double total = 0;
  for (int r = 0; r < 8; ++r) {
    const std::string route = "/api/v1/route" + std::to_string(r);
    total += sampleValue(
        text, R"(kefu_http_requests_total{method="GET",route=")" + route + R"(",status="200"})");
    total += sampleValue(
        text, R"(kefu_http_requests_total{method="GET",route=")" + route + R"(",status="404"})");
    EXPECT_EQ(sampleValue(text, R"(kefu_http_request_duration_seconds_count{method="GET",route=")" +
                                    route + R"("})"),
              Threads * PerThread / 8);
  }
  EXPECT_EQ(total, Threads * PerThread);
  EXPECT_EQ(metrics.httpSeriesCountForTest(), 16u);
}

TEST(MetricsTest, RendersFamiliesOtherModulesRegister) {
  Metrics metrics(testBuild());
  prometheus::BuildCounter()
      .Name("kefu_store_queries_total")
      .Help("Queries.")
      .Register(metrics.registry())
      .Add({{"backend", "sqlite"}})
      .Increment(5);
  EXPECT_EQ(sampleValue(metrics.render(), R"(kefu_store_queries_total{backend="sqlite"})"), 5);
}

}  // namespace
}  // namespace kefu::stats
