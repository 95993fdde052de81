// The site link under chaos, at the scale issue 8 asks for: 10,000 changes made on a core site
// (PostgreSQL) while the link is cut, the core's nats-server is killed with SIGKILL and restarted,
// and the core site itself — a real `kefu serve` process — is killed with SIGKILL and started again
// on the same storage. The edge site (SQLite) runs in-process and lives through it all, so its
// counters cover every change it received: after recovery each change is applied exactly once,
// the sites hold the same entities (`kefu sync verify`), and the edge's inbox position of every
// entity is that entity's last change.
//
// Meanwhile the edge takes calls: their call events (edge-owned) cross the other way, through
// the same cuts and kills, and must reach the core exactly once and in order per call.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "call/call_record.h"
#include "store/store.h"
#include "support/nats_server.h"
#include "support/postgres_cluster.h"
#include "support/site_fixture.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int Creates = 7000;
constexpr int Updates = 2000;
constexpr int Deletes = 1000;
constexpr int Changes = Creates + Updates + Deletes;
constexpr int EdgeCalls = 250;
constexpr int EventsPerCall = 5;

std::string customerId(int i) { return "cu_chaos_" + std::to_string(i); }
std::string plantedPhone(int i) { return "1381234" + std::to_string(100000 + i); }
std::string plantedId(int i) { return "4401011990" + std::to_string(10000000 + i); }

/** A `kefu serve` child process (the core site), killed with SIGKILL when the test says so. */
class ServeProcess {
 public:
  /** Starts `kefu serve` with `args`; @return nullptr unless it printed its HTTP address. */
  static std::unique_ptr<ServeProcess> start(const std::vector<std::string>& args) {
    auto process = std::unique_ptr<ServeProcess>(new ServeProcess);
    int out[2];
    if (::pipe(out) != 0) {
      return nullptr;
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(KEFU_BINARY));
    argv.push_back(const_cast<char*>("serve"));
    for (const auto& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    process->pid_ = ::fork();
    if (process->pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::execv(KEFU_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    process->out_ = ::fdopen(out[0], "r");
    char line[512];
    const std::regex address(R"(http://127\.0\.0\.1:(\d+))");
    while (std::fgets(line, sizeof line, process->out_) != nullptr) {
      std::cmatch m;
      if (std::regex_search(line, m, address)) {
        process->port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        return process;
      }
    }
    return nullptr;
  }
  ~ServeProcess() { kill(); }
  /** Kills it at once (SIGKILL) and reaps it; idempotent. */
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (out_ != nullptr) {
      std::fclose(out_);
      out_ = nullptr;
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  ServeProcess() = default;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::uint16_t port_ = 0;
};

/** @return the exit code and output of the kefu binary run with `args`. */
std::pair<int, std::string> runKefu(const std::vector<std::string>& args) {
  std::string command = std::string("'") + KEFU_BINARY + "'";
  for (const auto& arg : args) {
    command += " '" + arg + "'";
  }
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1 </dev/null").c_str(), "r");
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while (pipe != nullptr && (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    output.append(buffer.data(), n);
  }
  int status = pipe == nullptr ? -1 : ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

/** @return origin's inbox position per entity id in the SQLite database at `path`. */
std::map<std::string, std::int64_t> inboxPositions(const std::string& path,
                                                   const std::string& origin) {
  std::map<std::string, std::int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* statement = nullptr;
  const char* sql = "SELECT entity_id, last_seq FROM sync_inbox WHERE origin = ?";
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(statement, 1, origin.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(statement) == SQLITE_ROW) {
      out[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))] =
          sqlite3_column_int64(statement, 1);
    }
  } else {
    ADD_FAILURE() << sqlite3_errmsg(db);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

class HybridChaosTest : public testing::Test {
 protected:
  void SetUp() override {
    certs_ = TestCertificates::make();
    edge_nats_ =
        NatsServer::start({"edge", true, 0, certs_->ca, certs_->hub_cert, certs_->hub_key});
    ASSERT_NE(edge_nats_, nullptr);
    core_nats_ = NatsServer::start(
        {"core", false, edge_nats_->leafPort(), certs_->ca, certs_->leaf_cert, certs_->leaf_key});
    ASSERT_NE(core_nats_, nullptr);
    keys_dir_ =
        std::filesystem::temp_directory_path() / ("kefu-chaos-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(keys_dir_);
    core_storage_ = freshStorageUrl(Backend::Postgres);
    core_keys_ = (keys_dir_ / "core.keys").string();

    edge_config_.site.name = "edge";
    edge_config_.site.role = server::SiteRole::Edge;
    edge_config_.storage.url = freshStorageUrl(Backend::Sqlite);
    edge_config_.privacy.key_file = (keys_dir_ / "edge.keys").string();  // absent: no keys
    edge_config_.sync = {edge_nats_->clientUrl(), "core"};
    edge_config_.http.listen = {"127.0.0.1", 0};
    edge_config_.sip.enabled = false;
    edge_config_.auth.admin_password = AdminPassword;
    edge_config_.log.level = server::LogLevel::Warn;
    auto edge = server::Site::start(edge_config_);
    ASSERT_TRUE(edge.ok()) << edge.error().message;
    edge_ = std::move(edge).value();
    auto reply = HttpClient(edge_->httpPort())
                     .post("/api/v1/auth/login",
                           Json{{"username", "admin"}, {"password", AdminPassword}}.dump());
    edge_token_ = Json::parse(reply.body).value("token", "");
    core_ = startCore();
    ASSERT_NE(core_, nullptr);
  }

  void TearDown() override {
    if (core_) {
      core_->kill();
    }
    if (edge_) {
      edge_->stop(1s);
      edge_.reset();
    }
    core_nats_.reset();
    edge_nats_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(keys_dir_, ignored);
    std::filesystem::remove_all(
        std::filesystem::path(edge_config_.storage.url.substr(7)).parent_path(), ignored);
  }

  std::unique_ptr<ServeProcess> startCore() {
    return ServeProcess::start({"--site-name", "core", "--site-role", "core", "--storage-url",
                                core_storage_, "--privacy-key-file", core_keys_, "--sync-nats-url",
                                core_nats_->clientUrl(), "--sync-peer", "edge", "--http-listen",
                                "127.0.0.1:0", "--sip-enabled=false", "--auth-admin-password",
                                AdminPassword, "--log-level", "warn"});
  }

  Json edgeStatus() {
    HttpClient client(edge_->httpPort());
    client.setToken(edge_token_);
    return Json::parse(client.get("/api/v1/sync/status").body);
  }

  /** Waits up to `limit` for `done`; @return whether it happened. */
  template <class Predicate>
  static bool eventually(Predicate done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) {
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return done();
  }

  std::unique_ptr<TestCertificates> certs_;
  std::unique_ptr<NatsServer> edge_nats_;
  std::unique_ptr<NatsServer> core_nats_;
  std::filesystem::path keys_dir_;
  std::string core_storage_;
  std::string core_keys_;
  server::Config edge_config_;
  std::unique_ptr<server::Site> edge_;
  std::string edge_token_;
  std::unique_ptr<ServeProcess> core_;
};

TEST_F(HybridChaosTest, TenThousandChangesThroughCutKillAndRestartArriveExactlyOnce) {
  // The core's changes are written straight into its store (as a second writer on the same
  // database), so they keep coming while the core site is dead and the test makes 10,000 in
  // seconds; the core site's relay publishes them from the shared outbox.
  server::Config core_config;
  core_config.site.name = "core";
  core_config.site.role = server::SiteRole::Core;  // without it the writes queue no changes
  core_config.storage.url = core_storage_;
  core_config.privacy.key_file = core_keys_;
  auto options = server::privacyStoreOptions(core_config);
  ASSERT_TRUE(options.ok()) << options.error().message;
  auto opened = store::openStore(core_storage_, *options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  store::Store& core_store = **opened;
  const std::int64_t first_seq = core_store.replication().outboxStats()->last_seq + 1;

  // Change k (0-based) gets outbox number first_seq + k: one writer, one counter. Creates,
  // updates and deletes are interleaved so that order per entity matters: an update or a delete
  // applied before the create, or an old update after a newer one, would show in the checksums.
  std::map<std::string, std::int64_t> last_change;  // entity id → its last change's number
  std::atomic<int> written{0};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    int change = 0;
    // At most 800 changes a second, so that each failure below happens with changes in flight
    // and more coming, not after the writer is done.
    const auto begun = std::chrono::steady_clock::now();
    auto record = [&](const std::string& id) {
      last_change[id] = first_seq + change;
      written = ++change;
      std::this_thread::sleep_until(begun + change * 1250us);
    };
    int updates = 0;
    int deletes = 0;
    for (int i = 0; i < Creates && !writer_failed; ++i) {
      crm::Customer c{customerId(i),
                      "Chaos " + std::to_string(i),
                      {plantedPhone(i)},
                      plantedId(i),
                      {},
                      1000 + i,
                      1000 + i};
      if (!core_store.customers().create(c).ok()) {
        writer_failed = true;
        break;
      }
      record(c.id);
      // Every seventh create is followed by two updates of earlier customers, every seventh
      // (shifted) by a delete of an even earlier one: 2,000 updates and 1,000 deletes in all.
      if (i % 7 == 6 && updates < Updates) {
        for (int u = 0; u < 2; ++u) {
          const int target = (i / 2) + u * 3;
          if (target % 7 == 3) {
            continue;  // deleted (or to be) below; keeps the arithmetic simple
          }
          auto current = core_store.customers().get(customerId(target));
          if (!current.ok()) {
            writer_failed = true;
            break;
          }
          crm::Customer updated = *current;
          updated.phones = {plantedPhone(Creates + updates)};
          updated.updated_at_ms = 100000 + updates;
          if (!core_store.customers().update(updated).ok()) {
            writer_failed = true;
            break;
          }
          ++updates;
          record(updated.id);
        }
      }
      if (i % 7 == 3 && i >= 3 && deletes < Deletes) {
        // Delete customer i itself: created just now, possibly not yet relayed, so the delete
        // overtakes nothing only if the link keeps order per entity.
        if (!core_store.customers().remove(customerId(i)).ok()) {
          writer_failed = true;
          break;
        }
        ++deletes;
        record(customerId(i));
      }
    }
    // Top up to exactly 10,000 changes with updates of surviving customers.
    for (int i = 0; updates < Updates && !writer_failed; ++i) {
      if (i % 7 == 3) {
        continue;
      }
      auto current = core_store.customers().get(customerId(i));
      if (!current.ok()) {
        writer_failed = true;
        break;
      }
      crm::Customer updated = *current;
      updated.phones = {plantedPhone(Creates + updates)};
      updated.updated_at_ms = 100000 + updates;
      if (!core_store.customers().update(updated).ok()) {
        writer_failed = true;
        break;
      }
      ++updates;
      record(updated.id);
    }
  });
  // A failed assertion below returns early: the writer is stopped and joined, not abandoned.
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) {
        thread.join();
      }
    }
  } joiner{writer_failed, writer};
  auto when = [&](int count) {
    while (written < count && !writer_failed) {
      std::this_thread::sleep_for(5ms);
    }
  };
  const auto started = std::chrono::steady_clock::now();

  // The edge's calls, appended through the edge's own call record repository (a second store on
  // its database, as its call control would), paced to last as long as the core's writer.
  auto edge_options = server::privacyStoreOptions(edge_config_);
  ASSERT_TRUE(edge_options.ok()) << edge_options.error().message;
  auto edge_opened = store::openStore(edge_config_.storage.url, *edge_options);
  ASSERT_TRUE(edge_opened.ok()) << edge_opened.error().message;
  store::Store& edge_store = **edge_opened;
  std::atomic<bool> edge_writer_failed{false};
  std::thread edge_writer([&] {
    using T = call::CallEventType;
    constexpr std::array<T, EventsPerCall> Types{T::Created, T::Ringing, T::Answered, T::Dtmf,
                                                 T::Ended};
    const auto begun = std::chrono::steady_clock::now();
    // Interleaved: five calls at a time, so that every cut finds calls half crossed.
    for (int k = 0; k < EdgeCalls * EventsPerCall && !writer_failed; ++k) {
      const int group = k / (5 * EventsPerCall);
      const int call = group * 5 + k % 5;
      call::CallEvent e;
      e.call_id = "call_chaos_" + std::to_string(call);
      e.type = Types[(k % (5 * EventsPerCall)) / 5];
      e.at_ms = 1'700'000'000'000 + k;
      e.dialed = "4008001000";
      e.agent_id = "ag_" + std::to_string(call % 7);
      if (!edge_store.callRecords().append(e).ok()) {
        edge_writer_failed = true;
        break;
      }
      std::this_thread::sleep_until(begun + (k + 1) * 9ms);
    }
  });
  struct EdgeJoiner {
    std::thread& thread;
    ~EdgeJoiner() {
      if (thread.joinable()) {
        thread.join();
      }
    }
  } edge_joiner{edge_writer};

  when(Changes / 6);
  edge_nats_->kill();  // the link is cut (the edge's side of the leafnode is gone)
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(edge_nats_->restart());
  when(2 * Changes / 6);
  core_nats_->kill();  // SIGKILL of the core's nats-server, with changes in flight
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(core_nats_->restart());
  when(3 * Changes / 6);
  core_->kill();  // SIGKILL of the core site: published, unacknowledged changes are in flight
  std::this_thread::sleep_for(1s);
  core_ = startCore();
  ASSERT_NE(core_, nullptr);
  when(4 * Changes / 6);
  edge_nats_->kill();  // and the link is cut once more, with the core restarted
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(edge_nats_->restart());
  writer.join();
  edge_writer.join();
  ASSERT_FALSE(writer_failed);
  ASSERT_FALSE(edge_writer_failed);
  ASSERT_EQ(written, Changes);

  auto backlog = [&] { return core_store.replication().outboxStats()->backlog; };
  ASSERT_TRUE(eventually([&] { return backlog() == 0; }, 90s))
      << backlog() << " left; edge " << edgeStatus().dump();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "chaos: " << Changes << " changes written and drained in " << seconds << " s\n";

  // Exactly once: the edge (alive throughout) applied each of the 10,000 changes once; whatever
  // came again (redelivered or republished) was counted as a duplicate and skipped.
  const Json status = edgeStatus();
  std::cout << "chaos: edge status " << status.dump() << "\n";
  EXPECT_EQ(status.value("applied", -1), Changes);
  EXPECT_EQ(status.value("rejected", -1), 0);
  // The edge's call events all crossed the other way: its outbox empties on the core's
  // acknowledgement, and (below) each call on the core equals the edge's, event for event.
  EXPECT_TRUE(eventually([&] { return edgeStatus().value("backlog", -1) == 0; }, 60s))
      << edgeStatus().dump();

  // Every entity's inbox position on the edge is its last change on the core.
  const auto positions =
      inboxPositions(edge_config_.storage.url.substr(std::string("sqlite:").size()), "core");
  EXPECT_EQ(positions.size(), static_cast<std::size_t>(Creates));
  std::size_t mismatched = 0;
  for (const auto& [id, seq] : last_change) {
    auto it = positions.find(id);
    if (it == positions.end() || it->second != seq) {
      ++mismatched;
    }
  }
  EXPECT_EQ(mismatched, 0u);

  // The same entities on both sides, checked by the command an operator runs.
  auto core_sums = core_store.replication().checksums();
  ASSERT_TRUE(core_sums.ok());
  EXPECT_EQ(core_sums->size(), static_cast<std::size_t>(Creates - Deletes + EdgeCalls));
  auto sample = core_store.callRecords().eventsOf("call_chaos_17");
  ASSERT_TRUE(sample.ok());
  EXPECT_EQ(sample->size(), static_cast<std::size_t>(EventsPerCall));
  auto verified = runKefu({"sync", "verify", "--storage-url", core_storage_, "--privacy-key-file",
                           core_keys_, "--site-role", "core", "--peer-storage-url",
                           edge_config_.storage.url, "--log-level", "warn"});
  EXPECT_EQ(verified.first, 0) << verified.second.substr(0, 2000);
  EXPECT_THAT(
      verified.second.substr(verified.second.size() > 200 ? verified.second.size() - 200 : 0),
      HasSubstr(std::to_string(Creates - Deletes + EdgeCalls) + " entities, no difference"));
}

}  // namespace
}  // namespace kefu::test
