#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Histogram;
}  // namespace prometheus

namespace kefu::stats::internal {

/** The prometheus handles of one (route, method, status) label set; owned by the registry. */
struct HttpSeries {
  prometheus::Counter* requests = nullptr;
  prometheus::Histogram* duration = nullptr;
};

/**
 * An insert-only hash table from (route, method, status) to the series' handles, so that counting
 * a request costs a hash and a few loads instead of prometheus-cpp's label-map hashing and lock.
 * Lookups are lock-free from any thread; inserts take a mutex and publish the new entry with a
 * release store into an open-addressing slot (entries are never moved or removed, so a reader
 * never sees a half-built one and a pointer it got stays valid for the index's lifetime).
 */
class HttpSeriesIndex {
 public:
  /** @param capacity the number of slots, a power of two; at most 3/4 of it is ever filled. */
  explicit HttpSeriesIndex(std::size_t capacity);
  ~HttpSeriesIndex();
  HttpSeriesIndex(const HttpSeriesIndex&) = delete;
  HttpSeriesIndex& operator=(const HttpSeriesIndex&) = delete;

  /** @return the series of the label set, or null when it has not been inserted. Any thread. */
  const HttpSeries* find(std::string_view route, std::string_view method, int status) const;

  /**
   * Inserts the label set with the handles `make` returns (called once, under the insert mutex)
   * unless it is present. @return its series, or null when the index already holds `limit`
   * entries (or 3/4 of its capacity). Any thread.
   */
  const HttpSeries* insert(std::string_view route, std::string_view method, int status,
                           const std::function<HttpSeries()>& make, std::size_t limit);

  /** @return how many label sets are stored. Any thread. */
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::uint64_t hash;
    std::string route;
    std::string method;
    int status;
    HttpSeries series;
  };

  static std::uint64_t hashOf(std::string_view route, std::string_view method, int status);
  const Entry* probe(std::uint64_t hash, std::string_view route, std::string_view method,
                     int status, std::size_t* free_slot) const;

  const std::size_t mask_;
  std::unique_ptr<std::atomic<const Entry*>[]> slots_;
  std::atomic<std::size_t> size_{0};
  std::mutex insert_mutex_;
  std::vector<std::unique_ptr<Entry>>
      entries_;  // guarded by insert_mutex_; owns what slots_ point to
};

}  // namespace kefu::stats::internal
