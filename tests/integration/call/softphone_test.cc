// The browser softphone end to end (issue 7): Chromium agents speaking the CTI protocol
// (docs/cti.md) over the event WebSocket, their audio WebRTC with the media engine, and a baresip
// caller dialing a queue. The agent is alerted on its socket with the caller masked, answers by
// REST and both hear each other; a blind transfer rings a second browser agent who answers and
// hears the caller; a supervisor's browser whispers to that agent, who hears it while the caller
// does not.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "support/call/call_site.h"
#include "support/media/child_process.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using media::testing::PipedProcess;

// Away from the built-in music on hold's notes (523, 659, 784, 880 Hz) and from each other.
constexpr double CallerHz = 600;
constexpr double AgentAHz = 1000;
constexpr double AgentBHz = 1300;
constexpr double SupervisorHz = 400;

/** One Chromium softphone (tests/browser/softphone_peer.mjs), connected as one user. */
class BrowserPhone {
 public:
  BrowserPhone(const std::filesystem::path& dir, const std::string& name, const std::string& mic,
               const std::string& events_url)
      : log_path_((dir / (name + "-browser.log")).string()),
        process_(
            {"node",
             (std::filesystem::path(KEFU_SOURCE_DIR) / "tests/browser/softphone_peer.mjs").string(),
             mic, events_url},
            log_path_),
        transcript_(dir / (name + "-socket.jsonl")) {}

  ~BrowserPhone() { process_.writeLine(R"({"quit":true})"); }

  /** @return the next line carrying `key` (socket messages met meanwhile are kept). */
  Json next(const std::string& key, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto line = process_.readLine(std::max(left, 1ms));
      if (line.empty()) {
        continue;
      }
      transcript_ << line << "\n" << std::flush;
      auto json = Json::parse(line, nullptr, false);
      if (!json.is_object()) {
        continue;
      }
      if (json.contains("message")) {
        messages_.push_back(json["message"]);
      }
      if (json.contains("awaited")) {
        awaited_ = json;  // it may come while the test waits for a message
      }
      if (json.contains(key)) {
        return json;
      }
    }
    return nullptr;
  }

  /** @return the first socket message of `type` not yet taken (waiting up to `timeout`). */
  Json message(const std::string& type, std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    while (true) {
      for (std::size_t i = taken_; i < messages_.size(); ++i) {
        if (messages_[i].value("type", "") == type) {
          taken_ = i + 1;
          return messages_[i];
        }
      }
      if (Clock::now() >= deadline) {
        return nullptr;
      }
      next("message",
           std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
  }

  /** Starts waiting, in the browser, for `hz` to be heard above `db`; see awaited(). */
  void awaitTone(double hz, double db) {
    process_.writeLine(Json{{"await", hz}, {"db", db}, {"timeout", 10000}}.dump());
  }
  /** @return the Unix ms at which the awaited tone was first heard, or -1. */
  std::int64_t awaited() {
    auto line = awaited_.is_null() ? next("awaited", 15s) : awaited_;
    if (line.is_null() || !line["awaited"]["heard_at_ms"].is_number()) {
      return -1;
    }
    return line["awaited"]["heard_at_ms"].get<std::int64_t>();
  }

  /** @return what the browser heard over `ms`: its peak and its levels at `hz` (dB). */
  Json listen(int ms, const std::vector<double>& hz) {
    process_.writeLine(Json{{"listen", ms}, {"hz", hz}}.dump());
    auto heard = next("heard", std::chrono::milliseconds(ms) + 10s);
    return heard.is_null() ? heard : heard["heard"];
  }

  /** @return the browser's level at `hz` in what `heard` reports. */
  static double level(const Json& heard, double hz) {
    const auto key = std::to_string(static_cast<int>(hz));  // how JavaScript prints 400
    return heard["levels"].contains(key) ? heard["levels"][key].get<double>() : -200;
  }

  /** Sends `message` on the browser's socket as it is. */
  void send(const Json& message) { process_.writeLine(Json{{"send", message}}.dump()); }

  const std::string& logPath() const { return log_path_; }

 private:
  std::string log_path_;
  PipedProcess process_;
  std::ofstream transcript_;  // every line the browser said, for debugging
  std::vector<Json> messages_;
  std::size_t taken_ = 0;
  Json awaited_;
};

class SoftphoneTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config& config) override {
    // Four media threads: the browsers' sessions (the engine's round robin) land on other threads
    // than the caller's (the call's affinity), so the bridges and the conference move them.
    config.media.threads = 4;
    caller_wav_ = writeToneWav((dir_ / "caller.wav").string(), CallerHz, 90);
    out_dir_ = std::filesystem::path(::testing::TempDir()) /
               ("kefu-softphone-" + std::to_string(::getpid()));
    std::filesystem::create_directories(out_dir_);
  }

  /** Writes a 48 kHz WAV for Chromium's fake microphone; @return its path. */
  std::string micWav(const std::string& name, double hz) {
    return writeToneWav((dir_ / (name + ".wav")).string(), hz, 90);
  }

  /** Creates a user with `role` (and, for agents, its agent with `extension`, logged in and
   *  ready); @return {user token, agent id or ""}. */
  std::pair<std::string, std::string> addUser(const std::string& username, const std::string& role,
                                              const std::string& extension = {}) {
    const std::string password = "pw-" + username + "-secret-1";
    auto user_id = created("/api/v1/users", {{"username", username},
                                             {"password", password},
                                             {"role", role},
                                             {"display_name", username}});
    std::string agent_id;
    if (!extension.empty()) {
      agent_id = created("/api/v1/agents", {{"name", username},
                                            {"extension", extension},
                                            {"sip_password", "sip-" + extension + "-secret"},
                                            {"user_id", user_id}});
      auto login = client().post("/api/v1/agents/" + agent_id + "/login", "{}");
      EXPECT_EQ(login.status, 200) << login.body;
    }
    return {this->login(username, password), agent_id};
  }

  /** Starts a browser softphone for `token` and waits for its WebRTC connection. */
  std::unique_ptr<BrowserPhone> connectBrowser(const std::string& name, double hz,
                                               const std::string& token) {
    auto url = "ws://127.0.0.1:" + std::to_string(site_->httpPort()) +
               "/api/v1/events?access_token=" + token;
    auto browser = std::make_unique<BrowserPhone>(out_dir_, name, micWav(name, hz), url);
    auto state = browser->next("state", 60s);
    EXPECT_EQ(state.value("state", ""), "connected")
        << state.dump() << "; see " << browser->logPath();
    return browser;
  }

  HttpReply as(const std::string& token, const std::string& path, const std::string& body = "{}") {
    auto c = client(false);
    c.setToken(token);
    return c.post(path, body);
  }

  std::string caller_wav_;
  std::filesystem::path out_dir_;
};

TEST_P(SoftphoneTest, BrowserAgentsAnswerTransferAndHearTheCallerAndOnlyTheAgentHearsAWhisper) {
  const std::filesystem::path browser_dir =
      std::filesystem::path(KEFU_SOURCE_DIR) / "tests/browser";
  ASSERT_TRUE(std::filesystem::exists(browser_dir / "node_modules/playwright-core"))
      << "playwright-core is missing: run `make deps`";
  auto queue = addQueue("5000");
  ASSERT_FALSE(queue.empty());
  auto [token_a, agent_a] = addUser("alice", "agent", "3001");
  auto [token_b, agent_b] = addUser("bob", "agent", "3002");
  auto [token_s, unused] = addUser("sue", "supervisor");
  // Bob takes no queue call: only the transfer reaches him.
  ASSERT_EQ(
      client().post("/api/v1/agents/" + agent_b + "/not-ready", R"({"reason":"break"})").status,
      200);

  auto alice = connectBrowser("alice", AgentAHz, token_a);
  auto bob = connectBrowser("bob", AgentBHz, token_b);
  auto sue = connectBrowser("sue", SupervisorHz, token_s);
  ASSERT_FALSE(HasFailure());

  // A baresip customer dials the queue; Alice's browser is alerted with the caller masked.
  const std::string caller_number = "13812345678";
  auto& caller = addCaller(caller_number, caller_wav_);
  ASSERT_TRUE(caller.command("dial", dial("5000")));
  auto alerting = alice->message("softphone.alerting", 15s);
  ASSERT_FALSE(alerting.is_null()) << "Alice was not alerted; see " << alice->logPath();
  EXPECT_EQ(alerting["caller"], "138****5678") << alerting.dump();
  EXPECT_EQ(alerting["queue_id"], queue);
  const std::string call_id = alerting["call_id"];

  // Only the rung agent may answer.
  EXPECT_EQ(as(token_b, "/api/v1/calls/" + call_id + "/answer").status, 409);
  // Before the answer Alice hears nothing of the caller (the music on hold is the caller's).
  alice->awaitTone(CallerHz, -50);
  const auto pressed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  auto answered = as(token_a, "/api/v1/calls/" + call_id + "/answer");
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_FALSE(alice->message("softphone.connected").is_null());
  auto call = callOf(caller_number, "talking");
  EXPECT_EQ(call.value("agent_id", ""), agent_a);
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 10s)) << caller.log();

  // Alice hears the caller's tone, soon after pressing answer.
  const auto heard_at_ms = alice->awaited();
  ASSERT_GT(heard_at_ms, 0) << "Alice never heard the caller; see " << alice->logPath();
  const auto answer_to_audio_ms = heard_at_ms - pressed_ms;
  EXPECT_LT(answer_to_audio_ms, 2000);
  std::cout << "bench: webrtc_answer_to_audio_ms " << answer_to_audio_ms << " ms\n";
  auto heard_a = alice->listen(1500, {CallerHz, AgentBHz});
  EXPECT_NEAR(heard_a.value("peak_hz", 0.0), CallerHz, 6) << heard_a.dump();
  std::this_thread::sleep_for(1500ms);  // the caller hears Alice for a while (checked below)

  // Blind transfer to Bob (an agent target): his browser rings, he answers and hears the caller.
  auto transferred = as(token_a, "/api/v1/calls/" + call_id + "/transfer",
                        Json{{"target", {{"kind", "agent"}, {"id", agent_b}}}}.dump());
  ASSERT_EQ(transferred.status, 200) << transferred.body;
  auto released_a = alice->message("softphone.released");
  ASSERT_FALSE(released_a.is_null());
  EXPECT_EQ(released_a["call_id"], call_id);
  auto alerting_b = bob->message("softphone.alerting", 10s);
  ASSERT_FALSE(alerting_b.is_null()) << "see " << bob->logPath();
  EXPECT_EQ(alerting_b["call_id"], call_id);
  auto answered_b = as(token_b, "/api/v1/calls/" + call_id + "/answer");
  ASSERT_EQ(answered_b.status, 200) << answered_b.body;
  EXPECT_FALSE(bob->message("softphone.connected").is_null());
  auto heard_b = bob->listen(1500, {CallerHz, SupervisorHz});
  EXPECT_NEAR(heard_b.value("peak_hz", 0.0), CallerHz, 6) << heard_b.dump();
  const double whisper_before = BrowserPhone::level(heard_b, SupervisorHz);

  // Sue whispers: Bob hears her as well as the caller; the caller does not hear her.
  auto whisper = as(token_s, "/api/v1/calls/" + call_id + "/monitor", R"({"mode":"whisper"})");
  ASSERT_EQ(whisper.status, 200) << whisper.body;
  EXPECT_FALSE(sue->message("softphone.connected").is_null());
  std::this_thread::sleep_for(500ms);
  auto whispered = bob->listen(2000, {CallerHz, SupervisorHz});
  const double whisper_during = BrowserPhone::level(whispered, SupervisorHz);
  EXPECT_GT(whisper_during, whisper_before + 20) << heard_b.dump() << "\n" << whispered.dump();
  EXPECT_GT(BrowserPhone::level(whispered, CallerHz), -60) << whispered.dump();
  // The supervisor hears the call too (the caller and Bob).
  auto heard_s = sue->listen(1500, {CallerHz, AgentBHz});
  EXPECT_GT(BrowserPhone::level(heard_s, CallerHz), -60) << heard_s.dump();

  // Bob hangs up by REST: the caller is released; both browsers hear of it.
  auto hung_up = as(token_b, "/api/v1/calls/" + call_id + "/hangup");
  EXPECT_TRUE(hung_up.status == 200 || hung_up.status == 204) << hung_up.body;
  EXPECT_TRUE(caller.waitEvent("CALL_CLOSED", 10s)) << caller.log();
  EXPECT_FALSE(bob->message("softphone.released").is_null());
  EXPECT_FALSE(sue->message("softphone.released").is_null());

  // Wrap-up with a disposition makes Bob ready again.
  auto wrap = as(token_b, "/api/v1/agents/" + agent_b + "/wrap-up",
                 Json{{"call_id", call_id}, {"disposition", "resolved"}, {"notes", "ok"}}.dump());
  EXPECT_EQ(wrap.status, 200) << wrap.body;

  // What the caller heard: Alice, then Bob, never Sue.
  caller.stop();
  const auto heard_by_caller = caller.receivedRecordings();
  ASSERT_FALSE(heard_by_caller.empty()) << caller.log();
  const auto audio = readChannel(heard_by_caller.back(), 0);
  std::filesystem::copy_file(heard_by_caller.back(), out_dir_ / "caller-heard.wav",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_GT(shareOfTone(audio, AgentAHz), 0.05) << "see " << out_dir_;
  EXPECT_GT(shareOfTone(audio, AgentBHz), 0.05) << "see " << out_dir_;
  EXPECT_EQ(shareOfTone(audio, SupervisorHz), 0) << "see " << out_dir_;

  EXPECT_GT(site_->mediaForTest().counters().sessions_moved, 0u)
      << "no softphone's session crossed media threads: the test proves nothing";

  // The softphones outlive the call: the next call could ring on them at once.
  auto live = client().get("/metrics");
  EXPECT_EQ(live.status, 200);
  std::cout << "debugging output: " << out_dir_ << "\n";
}

TEST_P(SoftphoneTest, TheSocketNamesWhatIsWrongWithAMessageAndStaysOpen) {
  auto [token, agent] = addUser("carol", "agent", "3003");
  ASSERT_FALSE(agent.empty());
  auto url = "ws://127.0.0.1:" + std::to_string(site_->httpPort()) +
             "/api/v1/events?access_token=" + token;
  BrowserPhone browser(out_dir_, "carol", micWav("carol", AgentAHz), url);
  ASSERT_EQ(browser.next("state", 60s).value("state", ""), "connected") << browser.logPath();
  const std::vector<std::pair<Json, std::string>> cases{
      {Json{{"type", "softphone.offer"}}, "sdp"},
      {Json{{"type", 7}}, "type"},
      {Json{{"sdp", "x"}}, "type"},
      {Json{{"type", "softphone.nonsense"}}, "type"},
      {Json{{"type", "softphone.offer"}, {"sdp", "v=0 not an offer"}}, "sdp"},
  };
  for (const auto& [bad, field] : cases) {
    browser.send(bad);
    auto error = browser.message("softphone.error", 5s);
    ASSERT_FALSE(error.is_null()) << "no error for " << bad.dump() << "; see " << browser.logPath();
    EXPECT_EQ(error.value("field", ""), field) << bad.dump() << " → " << error.dump();
  }
  // The socket stayed open and the softphone still works: a queue call alerts it.
  addQueue("5001");
  auto& caller = addCaller("13900001111", caller_wav_);
  ASSERT_TRUE(caller.command("dial", dial("5001")));
  EXPECT_FALSE(browser.message("softphone.alerting", 15s).is_null()) << browser.logPath();
  // softphone.hangup drops the connection: the call rings nowhere now and the router moves on.
  browser.send(Json{{"type", "softphone.hangup"}});
  EXPECT_FALSE(browser.message("softphone.released", 10s).is_null()) << browser.logPath();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SoftphoneTest, testing::Values(Backend::Sqlite), backendName);

/** `kefu serve` with a built web app (web.root): its files, app routes, and nothing outside. */
class WebRootTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override {
    base_ = std::filesystem::temp_directory_path() / ("kefu-webroot-" + std::to_string(::getpid()));
    std::filesystem::create_directories(base_ / "dist/assets");
    std::filesystem::create_directories(base_ / "outside");
    std::ofstream(base_ / "dist/index.html") << "<!doctype html><title>Kefu</title>";
    std::ofstream(base_ / "dist/assets/app-1a2b.js") << "console.log('kefu')";
    std::ofstream(base_ / "dist/logo.svg") << "<svg/>";
    std::ofstream(base_ / "secret.txt") << "TOP-SECRET";
    std::ofstream(base_ / "outside/secret.txt") << "TOP-SECRET";
    std::filesystem::create_directory_symlink(base_ / "outside", base_ / "dist/link");
    config.web.root = (base_ / "dist").string();
  }
  void TearDown() override {
    SiteFixture::TearDown();
    std::error_code ignored;
    std::filesystem::remove_all(base_, ignored);
  }
  std::filesystem::path base_;
};

TEST_P(WebRootTest, ServesTheAppItsRoutesAndNothingOutsideItsRoot) {
  auto http = client(false);
  auto index = http.get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>Kefu</title>");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");

  auto script = http.get("/assets/app-1a2b.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(http.get("/logo.svg").headers["content-type"], "image/svg+xml");

  // An app route (no file, no extension) is the app's to show; a missing file is 404.
  auto route = http.get("/agent/desk?tab=calls");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, index.body);
  EXPECT_EQ(http.get("/assets/missing.js").status, 404);

  // Nothing outside the root, however the path is spelled.
  for (const std::string path :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
        "/assets/%2E%2E/%2E%2E/secret.txt", "/link/secret.txt", "/..%5csecret.txt",
        "/%00index.html", "/%zz"}) {
    auto reply = http.get(path);
    EXPECT_TRUE(reply.status == 404 || reply.status == 400) << path << " → " << reply.status;
    EXPECT_EQ(reply.body.find("TOP-SECRET"), std::string::npos) << path;
  }

  // The API, metrics and health stay the API's.
  auto api = http.get("/api/v1/nothing-here");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.body.find("<!doctype"), std::string::npos);
  EXPECT_EQ(http.get("/healthz").status, 200);
  EXPECT_EQ(http.get("/metrics").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, WebRootTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
