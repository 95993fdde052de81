#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
class Registry;
struct MetricFamily;
}  // namespace prometheus

namespace kefu::stats {

namespace internal {
class HttpSeriesIndex;
struct HttpSeries;
}  // namespace internal

/**
 * The site's metrics registry and its Prometheus text exposition. Thread-safe: every method may be
 * called from any thread. Exports the build, the HTTP requests served, the process (from
 * /proc/self), the KEFU_BUG count and whatever gauges and families other modules add.
 */
class Metrics {
 public:
  struct BuildInfo {
    std::string version, commit, site, role;
  };

  /** The bucket upper bounds of kefu_http_request_duration_seconds, in seconds. */
  static const std::vector<double>& httpDurationBuckets();

  /**
   * How many (route, method, status) series the HTTP metrics keep; past it, requests are counted
   * under route="other", method="other" so a caller passing raw paths cannot exhaust memory.
   */
  static constexpr std::size_t MaxHttpSeries = 2048;

  explicit Metrics(BuildInfo build);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /**
   * Counts one HTTP request by route pattern (e.g. "/api/v1/agents/{id}"), method and status, and
   * its latency. Any thread; lock-free once a label set has been seen.
   */
  void observeHttpRequest(std::string_view route, std::string_view method, int status,
                          double seconds);

  /**
   * Adds a gauge whose value is read at every scrape (e.g. WebSocket subscribers, bug count). The
   * callback runs on the thread calling render() and must be thread-safe. A name that is not a
   * valid metric name or that is already taken is reported with KEFU_BUG and ignored.
   */
  void addCallbackGauge(std::string name, std::string help, std::function<double()> read);
  /** As addCallbackGauge(), for a value that only grows (exported as a counter, `_total`). */
  void addCallbackCounter(std::string name, std::string help, std::function<double()> read);

  /** @return the Prometheus text exposition format (version 0.0.4) of every metric. Any thread. */
  std::string render() const;

  /** @return the registry, for modules that add their own families. */
  prometheus::Registry& registry();

  /** @return how many distinct HTTP label sets have been seen (bounded by MaxHttpSeries + 1000). */
  std::size_t httpSeriesCountForTest() const;

 private:
  const internal::HttpSeries& httpSeriesSlow(std::string_view route, std::string_view method,
                                             int status);
  std::vector<prometheus::MetricFamily> scrapeTimeFamilies() const;

  void addCallback(std::string name, std::string help, std::function<double()> read, bool counter);

  struct CallbackGauge {
    std::string name;
    std::string help;
    std::function<double()> read;
    bool counter = false;
  };

  std::unique_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* http_requests_ = nullptr;     // owned by registry_
  prometheus::Family<prometheus::Histogram>* http_durations_ = nullptr;  // owned by registry_
  std::unique_ptr<internal::HttpSeriesIndex> http_series_;

  mutable std::mutex callbacks_mutex_;
  std::vector<CallbackGauge> callbacks_;  // guarded by callbacks_mutex_
};
using MetricsPtr = std::unique_ptr<Metrics>;

}  // namespace kefu::stats
