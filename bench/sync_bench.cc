// The site link's figures, against two real nats-servers (JetStream, one domain each; the core's
// dials the edge's as a leafnode over mutual TLS, as in deploy/hybrid) and the two sites' real
// storage: the core on PostgreSQL 15 (a throwaway cluster), the edge on SQLite. Each side runs
// exactly what a site runs for its link (store → server::LinkStore → sync::SiteLink) in this
// process, without the HTTP API, so that the edge can stamp the moment each change is applied.
//
// Changes are customers created on the core with fresh tokens (what the link carries today), each
// stamped with the steady clock just before its transaction; the edge notes when it applied it.
//
// Then the other direction: call events appended on the edge (the call records it owns), applied
// into the core's call_events.
//
// Prints `bench: sync_changes_per_sec`, `sync_lag_p99_ms_at_1000_per_sec`,
// `sync_drain_seconds_after_60s_cut` and `sync_call_events_per_sec_edge_to_core`. Environment:
// SYNC_BENCH_BURST (5000), SYNC_BENCH_STEADY_S (20), SYNC_BENCH_CUT_S (60), SYNC_BENCH_RATE (1000),
// SYNC_BENCH_EVENTS (5000).

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "call/call_record.h"
#include "core/time_source.h"
#include "server/config.h"
#include "server/link_store.h"
#include "server/site.h"
#include "store/store.h"
#include "support/nats_server.h"
#include "support/postgres_cluster.h"
#include "sync/site_link.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using namespace kefu;

int envInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

/** Change number n's id; the edge parses n back to find its write time. */
std::string changeId(int n) { return "cu_bench_" + std::to_string(n); }

/** A site's LinkStore, noting when each change to an entity whose id starts with `prefix` and
 * ends with its change number was applied. */
class StampingLinkStore final : public sync::LinkStore {
 public:
  StampingLinkStore(sync::LinkStore& inner, std::size_t capacity, std::string prefix)
      : inner_(inner), applied_at_(capacity), prefix_(std::move(prefix)) {}

  Result<std::vector<sync::LinkMessage>> pending(std::int64_t after, std::size_t limit) override {
    return inner_.pending(after, limit);
  }
  Result<std::int64_t> ackedThrough() override { return inner_.ackedThrough(); }
  Result<void> retire(std::int64_t up_to) override { return inner_.retire(up_to); }
  Result<bool> apply(const sync::LinkMessage& message) override {
    auto applied = inner_.apply(message);
    if (applied && *applied && message.entity_id.starts_with(prefix_)) {
      const std::size_t n = std::stoul(message.entity_id.substr(prefix_.size()));
      if (n < applied_at_.size()) {
        applied_at_[n] = Clock::now().time_since_epoch().count();
      }
      ++applied_count_;
    }
    return applied;
  }

  /** @return when change n was applied (steady clock ticks), 0 if not yet. */
  std::int64_t appliedAt(std::size_t n) const { return applied_at_[n].load(); }
  std::int64_t appliedCount() const { return applied_count_.load(); }

 private:
  sync::LinkStore& inner_;
  std::vector<std::atomic<std::int64_t>> applied_at_;
  std::atomic<std::int64_t> applied_count_{0};
  std::string prefix_;
};

/** Writes customers into the core's store, stamping each change's time. */
class Writer {
 public:
  Writer(store::Store& store, std::size_t capacity) : store_(store), written_at_(capacity) {}

  /** Writes change n; @return false when the store refused it. */
  bool write(int n) {
    const auto now = Clock::now();
    written_at_[n] = now.time_since_epoch().count();
    const std::int64_t wall = toUnixMillis(std::chrono::system_clock::now());
    crm::Customer c{changeId(n),
                    "Bench " + std::to_string(n),
                    {std::to_string(13800000000LL + n)},
                    "",
                    {},
                    wall,
                    wall};
    return store_.customers().create(c).ok();
  }

  /** Writes changes [from, to) at `rate` per second from `threads` threads; @return false on a
   * refused write. Each thread keeps its own schedule, so a late write does not slow the rest. */
  bool paced(int from, int to, int rate, int threads) {
    std::atomic<bool> ok{true};
    std::vector<std::thread> workers;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int n = from + t; n < to && ok; n += threads) {
          const auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(n - from) *
                                                             1000000 / rate);
          std::this_thread::sleep_until(due);
          if (!write(n)) {
            ok = false;
          }
        }
      });
    }
    for (auto& w : workers) {
      w.join();
    }
    return ok;
  }

  std::int64_t writtenAt(std::size_t n) const { return written_at_[n].load(); }

 private:
  store::Store& store_;
  std::vector<std::atomic<std::int64_t>> written_at_;
};

double ticksToMs(std::int64_t ticks) {
  return std::chrono::duration<double, std::milli>(Clock::duration(ticks)).count();
}

/** Waits until `edge` has applied `count` changes or `limit` passes; @return whether it did. */
bool waitApplied(const StampingLinkStore& edge, std::int64_t count, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (edge.appliedCount() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return edge.appliedCount() >= count;
}

int run() {
  const int burst = envInt("SYNC_BENCH_BURST", 5000);
  const int steady_seconds = envInt("SYNC_BENCH_STEADY_S", 20);
  const int cut_seconds = envInt("SYNC_BENCH_CUT_S", 60);
  const int rate = envInt("SYNC_BENCH_RATE", 1000);
  const int steady = steady_seconds * rate;
  const int cut = cut_seconds * rate;
  const std::size_t capacity = static_cast<std::size_t>(burst + steady + cut);

  auto certs = test::TestCertificates::make();
  auto edge_nats =
      test::NatsServer::start({"edge", true, 0, certs->ca, certs->hub_cert, certs->hub_key});
  if (!edge_nats) {
    return 1;
  }
  auto core_nats = test::NatsServer::start(
      {"core", false, edge_nats->leafPort(), certs->ca, certs->leaf_cert, certs->leaf_key});
  if (!core_nats) {
    return 1;
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("kefu-sync-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  server::Config core_config;
  core_config.site.name = "core";
  core_config.site.role = server::SiteRole::Core;
  core_config.storage.url = test::sharedPostgres().createDatabase("sync_bench");
  core_config.privacy.key_file = (dir / "core.keys").string();
  server::Config edge_config;
  edge_config.site.name = "edge";
  edge_config.site.role = server::SiteRole::Edge;
  edge_config.storage.url = "sqlite:" + (dir / "edge.db").string();
  edge_config.privacy.key_file = (dir / "edge.keys").string();

  auto open = [](const server::Config& config) -> store::StorePtr {
    auto options = server::privacyStoreOptions(config);
    if (!options) {
      std::cerr << "sync bench: " << options.error().message << "\n";
      return nullptr;
    }
    auto opened = store::openStore(config.storage.url, *options);
    if (!opened || !(*opened)->migrate()) {
      std::cerr << "sync bench: cannot open " << config.storage.url << "\n";
      return nullptr;
    }
    return std::move(opened).value();
  };
  auto core_store = open(core_config);
  auto edge_store = open(edge_config);
  if (!core_store || !edge_store) {
    return 1;
  }
  server::LinkStore core_inner(core_store->replication(), "edge", false);
  const int events = envInt("SYNC_BENCH_EVENTS", 5000);
  StampingLinkStore core_link_store(core_inner, static_cast<std::size_t>(events), "call_bench_");
  server::LinkStore edge_inner(edge_store->replication(), "core", true);
  StampingLinkStore edge_link_store(edge_inner, capacity, "cu_bench_");
  const RealTimeSource time;
  auto core_link =
      sync::SiteLink::start({"core", "edge", core_nats->clientUrl()}, core_link_store, time);
  auto edge_link =
      sync::SiteLink::start({"edge", "core", edge_nats->clientUrl()}, edge_link_store, time);
  if (!core_link || !edge_link) {
    std::cerr << "sync bench: the links did not start\n";
    return 1;
  }
  Writer writer(*core_store, capacity);
  std::cerr << fmt::format(
      "sync bench: core on PostgreSQL 15, edge on SQLite, nats-server leafnode over mutual TLS, "
      "loopback, {} CPUs; changes are customer upserts (tokens only)\n",
      std::thread::hardware_concurrency());

  // Warm-up: the streams and the consumer exist and one change has crossed.
  if (!writer.write(0) || !waitApplied(edge_link_store, 1, 60s)) {
    std::cerr << "sync bench: the link never came up\n";
    return 1;
  }

  // 1. A burst: changes written as fast as one writer can, the clock stops when the edge has
  // applied the last.
  const int burst_from = 1;
  const auto burst_start = Clock::now();
  for (int n = burst_from; n < burst_from + burst; ++n) {
    if (!writer.write(n)) {
      std::cerr << "sync bench: a write failed\n";
      return 1;
    }
  }
  const double write_s = std::chrono::duration<double>(Clock::now() - burst_start).count();
  if (!waitApplied(edge_link_store, 1 + burst, 120s)) {
    std::cerr << "sync bench: the burst did not arrive\n";
    return 1;
  }
  const double burst_s = std::chrono::duration<double>(Clock::now() - burst_start).count();
  std::cerr << fmt::format(
      "sync bench: burst of {} changes written in {:.2f} s ({:.0f}/s), all applied on the edge "
      "after {:.2f} s\n",
      burst, write_s, burst / write_s, burst_s);
  std::cout << fmt::format("bench: sync_changes_per_sec {:.0f} changes/s\n", burst / burst_s);

  // 2. Steady load: `rate` changes per second for `steady_seconds`.
  const int steady_from = burst_from + burst;
  if (!writer.paced(steady_from, steady_from + steady, rate, 2) ||
      !waitApplied(edge_link_store, steady_from + steady, 60s)) {
    std::cerr << "sync bench: the steady load did not arrive\n";
    return 1;
  }
  std::vector<double> lags;
  for (int n = steady_from; n < steady_from + steady; ++n) {
    lags.push_back(ticksToMs(edge_link_store.appliedAt(n) - writer.writtenAt(n)));
  }
  std::sort(lags.begin(), lags.end());
  auto pct = [&](double p) { return lags[static_cast<std::size_t>(p * (lags.size() - 1))]; };
  std::cerr << fmt::format(
      "sync bench: {} changes at {}/s for {} s: lag p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} "
      "ms\n",
      steady, rate, steady_seconds, pct(0.5), pct(0.99), lags.back());
  std::cout << fmt::format("bench: sync_lag_p99_ms_at_1000_per_sec {:.1f} ms\n", pct(0.99));

  // 3. The link is cut (the edge's nats-server is down) for `cut_seconds` while the core keeps
  // changing at `rate`; the clock runs from reconnect until the core's outbox is empty.
  const int cut_from = steady_from + steady;
  edge_nats->kill();
  if (!writer.paced(cut_from, cut_from + cut, rate, 2)) {
    std::cerr << "sync bench: a write failed during the cut\n";
    return 1;
  }
  const auto backlog_at_cut = core_store->replication().outboxStats();
  if (!edge_nats->restart()) {
    return 1;
  }
  const auto reconnect = Clock::now();
  const auto deadline = reconnect + 300s;
  std::int64_t left = -1;
  while (Clock::now() < deadline) {
    auto stats = core_store->replication().outboxStats();
    left = stats ? stats->backlog : -1;
    if (left == 0 && edge_link_store.appliedCount() >= cut_from + cut) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  const double drain_s = std::chrono::duration<double>(Clock::now() - reconnect).count();
  if (left != 0) {
    std::cerr << "sync bench: the backlog did not drain: " << left << " left\n";
    return 1;
  }
  std::cerr << fmt::format(
      "sync bench: link cut for {} s at {}/s: backlog {} at reconnect, drained in {:.2f} s\n",
      cut_seconds, rate, backlog_at_cut ? backlog_at_cut->backlog : -1, drain_s);
  std::cout << fmt::format("bench: sync_drain_seconds_after_60s_cut {:.2f} s\n", drain_s);

  // 4. Edge → core: call events appended on the edge (calls of five events each: created,
  // ringing, answered, dtmf, ended) as fast as one writer can; the clock stops when the core has
  // applied the last.
  const auto events_start = Clock::now();
  for (int n = 0; n < events; ++n) {
    call::CallEvent e;
    e.call_id = "call_bench_" + std::to_string(n / 5);
    e.type = std::array{call::CallEventType::Created, call::CallEventType::Ringing,
                        call::CallEventType::Answered, call::CallEventType::Dtmf,
                        call::CallEventType::Ended}[n % 5];
    e.at_ms = toUnixMillis(std::chrono::system_clock::now());
    e.dialed = "4008001000";
    e.queue_id = "q_bench";
    e.agent_id = "ag_bench";
    if (!edge_store->callRecords().append(e)) {
      std::cerr << "sync bench: a call event append failed\n";
      return 1;
    }
  }
  const double events_write_s = std::chrono::duration<double>(Clock::now() - events_start).count();
  const auto events_deadline = Clock::now() + 120s;
  while (core_link_store.appliedCount() < events && Clock::now() < events_deadline) {
    std::this_thread::sleep_for(1ms);
  }
  if (core_link_store.appliedCount() < events) {
    std::cerr << "sync bench: the call events did not arrive: " << core_link_store.appliedCount()
              << " applied\n";
    return 1;
  }
  const double events_s = std::chrono::duration<double>(Clock::now() - events_start).count();
  std::cerr << fmt::format(
      "sync bench: {} call events appended on the edge (SQLite) in {:.2f} s ({:.0f}/s), all "
      "applied on the core (PostgreSQL) after {:.2f} s\n",
      events, events_write_s, events / events_write_s, events_s);
  std::cout << fmt::format("bench: sync_call_events_per_sec_edge_to_core {:.0f} events/s\n",
                           events / events_s);

  const auto core_status = (*core_link)->status();
  const auto edge_status = (*edge_link)->status();
  std::cerr << fmt::format("sync bench: edge applied {}, duplicates {}, rejected {}\n",
                           edge_status.applied, edge_status.duplicates, edge_status.rejected);
  std::cerr << fmt::format("sync bench: core applied {}, duplicates {}, rejected {}, early {}\n",
                           core_status.applied, core_status.duplicates, core_status.rejected,
                           core_status.early);
  (*core_link)->stop();
  (*edge_link)->stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}

}  // namespace

int main() { return run(); }
