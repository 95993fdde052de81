#include "stats/internal/http_series_index.h"

#include "core/assert.h"

namespace kefu::stats::internal {

HttpSeriesIndex::HttpSeriesIndex(std::size_t capacity)
    : mask_(capacity - 1), slots_(std::make_unique<std::atomic<const Entry*>[]>(capacity)) {
  KEFU_ASSERT(capacity >= 4 && (capacity & mask_) == 0);
  for (std::size_t i = 0; i < capacity; ++i) {
    slots_[i].store(nullptr, std::memory_order_relaxed);
  }
}

HttpSeriesIndex::~HttpSeriesIndex() = default;

std::uint64_t HttpSeriesIndex::hashOf(std::string_view route, std::string_view method, int status) {
  // std::hash of a string_view is libstdc++'s murmur hash; the method and status are mixed in
  // with a multiplicative step so that GET 200 and POST 200 of one route land far apart.
  std::uint64_t h = std::hash<std::string_view>{}(route);
  h = (h ^ std::hash<std::string_view>{}(method)) * 0x9e3779b97f4a7c15ULL;
  h = (h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(status))) * 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

const HttpSeriesIndex::Entry* HttpSeriesIndex::probe(std::uint64_t hash, std::string_view route,
                                                     std::string_view method, int status,
                                                     std::size_t* free_slot) const {
  // Linear probing; the table is never more than 3/4 full, so an empty slot ends every probe.
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Entry* entry = slots_[i].load(std::memory_order_acquire);
    if (entry == nullptr) {
      if (free_slot != nullptr) {
        *free_slot = i;
      }
      return nullptr;
    }
    if (entry->hash == hash && entry->status == status && entry->route == route &&
        entry->method == method) {
      return entry;
    }
  }
}

const HttpSeries* HttpSeriesIndex::find(std::string_view route, std::string_view method,
                                        int status) const {
  const Entry* entry = probe(hashOf(route, method, status), route, method, status, nullptr);
  return entry != nullptr ? &entry->series : nullptr;
}

const HttpSeries* HttpSeriesIndex::insert(std::string_view route, std::string_view method,
                                          int status, const std::function<HttpSeries()>& make,
                                          std::size_t limit) {
  const std::uint64_t hash = hashOf(route, method, status);
  std::lock_guard lock(insert_mutex_);
  std::size_t free_slot = 0;
  if (const Entry* entry = probe(hash, route, method, status, &free_slot)) {
    return &entry->series;  // another thread inserted it first
  }
  const std::size_t max_fill = (mask_ + 1) / 4 * 3;
  if (entries_.size() >= limit || entries_.size() >= max_fill) {
    return nullptr;
  }
  auto entry =
      std::make_unique<Entry>(Entry{hash, std::string(route), std::string(method), status, make()});
  slots_[free_slot].store(entry.get(), std::memory_order_release);
  entries_.push_back(std::move(entry));
  size_.store(entries_.size(), std::memory_order_relaxed);
  return &entries_.back()->series;
}

}  // namespace kefu::stats::internal
