#include "stats/metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "core/assert.h"
#include "stats/internal/http_series_index.h"
#include "stats/process_figures.h"

namespace kefu::stats {
namespace {

// Room for MaxHttpSeries label sets plus the overflow ones (route="other", method="other", one per
// status 0..999) at a load factor under 3/4.
constexpr std::size_t HttpIndexSlots = 4096;
constexpr std::size_t HttpIndexLimit = Metrics::MaxHttpSeries + 1000;
static_assert(HttpIndexLimit <= HttpIndexSlots / 4 * 3);

constexpr std::string_view OverflowLabel = "other";

// Names the scrape-time families take, so a callback gauge cannot shadow them.
constexpr std::array<std::string_view, 11> BuiltInNames = {
    "kefu_build_info",
    "kefu_http_requests_total",
    "kefu_http_request_duration_seconds",
    "kefu_bugs_total",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
    "process_threads",
};

prometheus::MetricFamily singleValueFamily(std::string name, std::string help,
                                           prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {std::move(metric)}};
}

}  // namespace

const std::vector<double>& Metrics::httpDurationBuckets() {
  static const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5};
  return buckets;
}

Metrics::Metrics(BuildInfo build)
    : registry_(std::make_unique<prometheus::Registry>()),
      http_series_(std::make_unique<internal::HttpSeriesIndex>(HttpIndexSlots)) {
  prometheus::BuildGauge()
      .Name("kefu_build_info")
      .Help("The running Kefu build; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", build.version},
            {"commit", build.commit},
            {"site", build.site},
            {"role", build.role}})
      .Set(1);
  http_requests_ = &prometheus::BuildCounter()
                        .Name("kefu_http_requests_total")
                        .Help("HTTP requests served, by route pattern, method and status.")
                        .Register(*registry_);
  http_durations_ = &prometheus::BuildHistogram()
                         .Name("kefu_http_request_duration_seconds")
                         .Help("Time from reading an HTTP request to writing its response.")
                         .Register(*registry_);
}

Metrics::~Metrics() = default;

void Metrics::observeHttpRequest(std::string_view route, std::string_view method, int status,
                                 double seconds) {
  status = std::clamp(status, 0, 999);
  const internal::HttpSeries* series = http_series_->find(route, method, status);
  if (series == nullptr) [[unlikely]] {
    series = &httpSeriesSlow(route, method, status);
  }
  series->requests->Increment();
  series->duration->Observe(seconds);
}

const internal::HttpSeries& Metrics::httpSeriesSlow(std::string_view route, std::string_view method,
                                                    int status) {
  auto make = [&] {
    // Family::Add returns the existing histogram when another status of the route made it.
    const std::string route_label(route);
    const std::string method_label(method);
    return internal::HttpSeries{
        &http_requests_->Add(
            {{"route", route_label}, {"method", method_label}, {"status", std::to_string(status)}}),
        &http_durations_->Add({{"route", route_label}, {"method", method_label}},
                              httpDurationBuckets()),
    };
  };
  if (const auto* series = http_series_->insert(route, method, status, make, MaxHttpSeries)) {
    return *series;
  }
  // Too many distinct label sets: the caller is probably passing raw paths, not route patterns.
  // Count the request under one bounded series instead of growing without limit.
  route = OverflowLabel;
  method = OverflowLabel;
  const auto* series = http_series_->insert(route, method, status, make, HttpIndexLimit);
  KEFU_ASSERT(series != nullptr);  // at most 1000 overflow statuses fit in the reserve
  return *series;
}

void Metrics::addCallbackGauge(std::string name, std::string help, std::function<double()> read) {
  addCallback(std::move(name), std::move(help), std::move(read), /*counter=*/false);
}

void Metrics::addCallbackCounter(std::string name, std::string help, std::function<double()> read) {
  addCallback(std::move(name), std::move(help), std::move(read), /*counter=*/true);
}

void Metrics::addCallback(std::string name, std::string help, std::function<double()> read,
                          bool counter) {
  if (!prometheus::CheckMetricName(name) || !read) {
    KEFU_BUG("callback gauge with an invalid name or no callback: " + name);
    return;
  }
  std::lock_guard lock(callbacks_mutex_);
  const bool taken =
      std::find(BuiltInNames.begin(), BuiltInNames.end(), name) != BuiltInNames.end() ||
      std::any_of(callbacks_.begin(), callbacks_.end(),
                  [&](const CallbackGauge& gauge) { return gauge.name == name; });
  if (taken) {
    KEFU_BUG("callback gauge name already taken: " + name);
    return;
  }
  callbacks_.push_back({std::move(name), std::move(help), std::move(read), counter});
}

std::vector<prometheus::MetricFamily> Metrics::scrapeTimeFamilies() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  families.push_back(singleValueFamily("kefu_bugs_total",
                                       "Broken invariants reported with KEFU_BUG since start.",
                                       MetricType::Counter, static_cast<double>(bugCount())));

  // A process whose /proc cannot be read (not Linux, or a sandbox) just exports no process_*.
  if (auto process = readProcessFigures(); process.ok()) {
    families.push_back(singleValueFamily("process_cpu_seconds_total",
                                         "Total user and system CPU time spent in seconds.",
                                         MetricType::Counter, process->cpu_seconds));
    families.push_back(singleValueFamily("process_resident_memory_bytes",
                                         "Resident memory size in bytes.", MetricType::Gauge,
                                         process->resident_bytes));
    families.push_back(singleValueFamily("process_virtual_memory_bytes",
                                         "Virtual memory size in bytes.", MetricType::Gauge,
                                         process->virtual_bytes));
    families.push_back(singleValueFamily("process_open_fds", "Number of open file descriptors.",
                                         MetricType::Gauge, process->open_fds));
    families.push_back(singleValueFamily("process_max_fds",
                                         "Maximum number of open file descriptors.",
                                         MetricType::Gauge, process->max_fds));
    families.push_back(singleValueFamily("process_start_time_seconds",
                                         "Start time of the process since unix epoch in seconds.",
                                         MetricType::Gauge, process->start_time_seconds));
    families.push_back(singleValueFamily("process_threads", "Number of OS threads in the process.",
                                         MetricType::Gauge, process->threads));
  }

  // Copy the callbacks out so a slow one does not block addCallbackGauge on another thread.
  std::vector<CallbackGauge> callbacks;
  {
    std::lock_guard lock(callbacks_mutex_);
    callbacks = callbacks_;
  }
  for (auto& gauge : callbacks) {
    families.push_back(singleValueFamily(std::move(gauge.name), std::move(gauge.help),
                                         gauge.counter ? MetricType::Counter : MetricType::Gauge,
                                         gauge.read()));
  }
  return families;
}

std::string Metrics::render() const {
  auto families = registry_->Collect();
  auto scraped = scrapeTimeFamilies();
  families.insert(families.end(), std::make_move_iterator(scraped.begin()),
                  std::make_move_iterator(scraped.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

prometheus::Registry& Metrics::registry() { return *registry_; }

std::size_t Metrics::httpSeriesCountForTest() const { return http_series_->size(); }

}  // namespace kefu::stats
