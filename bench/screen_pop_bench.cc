// The delay a screen pop adds to a softphone's alert: a SQLite site (all-in-one, with its data and
// token keys) holding 10,000 customers, each with two earlier calls and a wrap-up of each; one
// connected softphone (the media engine is the unit tests' fake: no RTP is involved). Each of 100
// rings comes from a different customer's number, published on the bus as call control publishes
// `call.ringing`; the delay is from the publish to the `softphone.alerting` frame reaching the
// socket's send function (the lookup on the blocking pool: token, findByToken, the caller's last
// calls and their wrap-ups, the JSON). The ring then ends (`call.ended`) before the next one.
//
// Prints `bench: screen_pop_alert_delay_p50_ms`, `screen_pop_alert_delay_p99_ms` and
// `screen_pop_alert_delay_max_ms`. Environment: SCREEN_POP_BENCH_CUSTOMERS (10000),
// SCREEN_POP_BENCH_RINGS (100), SCREEN_POP_BENCH_DIR (a fresh directory under /tmp).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "privacy/field_cipher.h"
#include "privacy/key_ring.h"
#include "privacy/tokenizer.h"
#include "server/screen_pops.h"
#include "server/site_softphones.h"
#include "store/store.h"
#include "unit/call/fakes.h"

namespace {

using Clock = std::chrono::steady_clock;
using kefu::DomainEvent;

int envInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

std::string phoneOf(int i) { return fmt::format("1380000{:04d}", i); }

#define CHECK_OK(expr)                                               \
  do {                                                               \
    auto&& r_ = (expr);                                              \
    if (!r_.ok()) {                                                  \
      std::cerr << #expr << ": " << r_.error().message << std::endl; \
      std::exit(1);                                                  \
    }                                                                \
  } while (false)

}  // namespace

int main() {
  using namespace kefu;
  const int customers = envInt("SCREEN_POP_BENCH_CUSTOMERS", 10'000);
  const int rings = envInt("SCREEN_POP_BENCH_RINGS", 100);
  const char* dir_env = std::getenv("SCREEN_POP_BENCH_DIR");
  const std::filesystem::path dir = dir_env != nullptr
                                        ? std::filesystem::path(dir_env)
                                        : std::filesystem::temp_directory_path() /
                                              fmt::format("kefu-screen-pop-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto ring = privacy::KeyRing::generate();
  store::StoreOptions options;
  options.cipher = std::make_shared<privacy::FieldCipher>(ring);
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
  auto opened = store::openStore("sqlite:" + (dir / "kefu.db").string(), options);
  CHECK_OK(opened);
  store::StorePtr store = std::move(opened).value();
  CHECK_OK(store->migrate());
  CHECK_OK(store->users().create({"u_1", "alice", "Alice", auth::Role::Agent, "x", 1, 1}));
  acd::Agent agent;
  agent.id = "ag_1";
  agent.name = "Alice";
  agent.extension = "1001";
  agent.sip_password = "secret-1001";
  agent.user_id = "u_1";
  CHECK_OK(store->agents().create(agent));

  std::cerr << "[bench] seeding " << customers << " customers with 2 calls and wrap-ups each\n";
  const auto seed_started = Clock::now();
  for (int i = 0; i < customers; ++i) {
    crm::Customer c;
    c.id = fmt::format("cu_{:05d}", i);
    c.name = fmt::format("客户{}", i);
    c.phones = {phoneOf(i)};
    c.created_at_ms = c.updated_at_ms = 1;
    CHECK_OK(store->customers().create(c));
    for (int k = 0; k < 2; ++k) {
      const std::string id = fmt::format("call-{}-{}", i, k);
      call::CallEvent e;
      e.call_id = id;
      e.caller = phoneOf(i);
      e.dialed = "8000";
      e.at_ms = 1'000'000 + i * 10 + k;
      CHECK_OK(store->callRecords().append(e));
      e.type = call::CallEventType::Ended;
      e.cause = "caller_hangup";
      e.agent_id = "ag_1";
      e.queue_id = "q_support";
      CHECK_OK(store->callRecords().append(e));
      CHECK_OK(store->wrapUps().save(
          {id, "ag_1", e.at_ms + 5, "q_support", "resolved", "客户询问账单，已解释"}));
    }
  }
  std::cerr << "[bench] seeded in "
            << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - seed_started).count()
            << " s\n";

  EventBus bus;
  BlockingPool pool(4);
  call::test::FakeMediaEngine media;
  server::ScreenPops pops({store->customers(), store->callRecords(), store->wrapUps(),
                           options.tokenizer, true, "bench", &pool});
  server::SiteSoftphones softphones(media, store->agents(), bus);
  softphones.setScreenPop(server::alertLookup(pops, store->agents()), pool);

  std::mutex mutex;
  std::condition_variable alerted;
  std::string alerted_call;
  Clock::time_point alerted_at;
  std::size_t history_seen = 0;
  auth::Principal alice{"u_1", "alice", auth::Role::Agent};
  softphones.onSocketMessage(
      1, alice,
      nlohmann::json{{"type", "softphone.offer"}, {"sdp", "v=0\r\nm=audio 9 RTP/AVP 0\r\n"}},
      [&](std::string frame) {
        auto j = nlohmann::json::parse(frame, nullptr, false);
        if (j.is_object() && j.value("type", "") == "softphone.alerting") {
          std::lock_guard lock(mutex);
          alerted_call = j.value("call_id", "");
          alerted_at = Clock::now();
          history_seen = j["history"].size();
          alerted.notify_all();
        }
        return true;
      });

  std::mt19937 random(42);
  std::uniform_int_distribution<int> pick(0, customers - 1);
  std::vector<double> delays_ms;
  for (int r = 0; r < rings; ++r) {
    const std::string call_id = fmt::format("ring-{}", r);
    DomainEvent ringing;
    ringing.type = "call.ringing";
    ringing.entity_id = call_id;
    ringing.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    ringing.payload_json = nlohmann::json{
        {"agent_id", "ag_1"},
        {"caller", phoneOf(pick(random))},
        {"queue_id",
         "q_support"}}.dump();
    const auto published = Clock::now();
    bus.publish(std::move(ringing));
    {
      std::unique_lock lock(mutex);
      if (!alerted.wait_for(lock, std::chrono::seconds(10),
                            [&] { return alerted_call == call_id; })) {
        std::cerr << "no alert for " << call_id << "\n";
        return 1;
      }
      if (history_seen != 2) {
        std::cerr << "alert without the caller's 2 calls: " << history_seen << "\n";
        return 1;
      }
      delays_ms.push_back(
          std::chrono::duration<double, std::milli>(alerted_at - published).count());
    }
    DomainEvent ended;
    ended.type = "call.ended";
    ended.entity_id = call_id;
    ended.payload_json = R"({"cause":"caller_hangup"})";
    bus.publish(std::move(ended));
  }
  pool.shutdown();
  std::sort(delays_ms.begin(), delays_ms.end());
  auto at = [&](double q) {
    return delays_ms[std::min(delays_ms.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(delays_ms.size())))];
  };
  std::cout << fmt::format("bench: screen_pop_alert_delay_p50_ms {:.2f} ms\n", at(0.50));
  std::cout << fmt::format("bench: screen_pop_alert_delay_p99_ms {:.2f} ms\n", at(0.99));
  std::cout << fmt::format("bench: screen_pop_alert_delay_max_ms {:.2f} ms\n", delays_ms.back());
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
