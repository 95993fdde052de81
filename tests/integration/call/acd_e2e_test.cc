// The ACD end to end (issue 5): three baresip agents and five baresip callers through a real
// site. The order in which agents are offered calls follows the queue's strategy (read back from
// the calls' stored `ringing` events), a waiting caller reaches the agent who frees up, and a
// caller who presses the callback key is released, then called back on their own phone once an
// agent is reserved and has answered: caller and agent hear each other.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/call/call_site.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double CallerHz = 1000;
// The caller who asks for a callback sends a tone of their own, so that the agent's recording of
// the callback cannot be mistaken for an earlier call.
constexpr double CallbackCallerHz = 1700;
// Away from the built-in music on hold's notes (523, 659, 784, 880 Hz) and from each other.
constexpr std::array<double, 3> AgentHz{400, 600, 1300};
const std::array<std::string, 3> Extensions{"2001", "2002", "2003"};

class AcdEndToEndTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config&) override {
    caller_wav_ = writeToneWav((dir_ / "caller.wav").string(), CallerHz, 90);
    callback_wav_ = writeToneWav((dir_ / "callback.wav").string(), CallbackCallerHz, 90);
    for (std::size_t i = 0; i < AgentHz.size(); ++i) {
      agent_wavs_[i] =
          writeToneWav((dir_ / ("agent" + std::to_string(i) + ".wav")).string(), AgentHz[i], 120);
    }
  }

  /** Starts the three agents' phones and logs them in (2001 first). */
  std::array<Softphone*, 3> addAgents(const std::array<Json, 3>& skills = {}) {
    std::array<Softphone*, 3> agents{};
    for (std::size_t i = 0; i < agents.size(); ++i) {
      agents[i] = &addAgent(Extensions[i], agent_wavs_[i], true, skills[i]);
    }
    return agents;
  }

  /** Makes every agent not ready, then ready again in `order` (indexes into Extensions). */
  void readyInOrder(const std::array<std::size_t, 3>& order) {
    for (const auto& extension : Extensions) {
      auto reply = client().post("/api/v1/agents/" + agent_ids_[extension] + "/not-ready",
                                 R"({"reason":"break"})");
      ASSERT_EQ(reply.status, 200) << reply.body;
    }
    for (std::size_t index : order) {
      auto reply =
          client().post("/api/v1/agents/" + agent_ids_[Extensions[index]] + "/ready", "{}");
      ASSERT_EQ(reply.status, 200) << reply.body;
      // Idle times are kept in milliseconds: keep two agents from becoming ready in the same one.
      std::this_thread::sleep_for(20ms);
    }
  }

  /** Dials the queue from `caller`, waits until the call talks, @return it. */
  Json callAndWaitTalking(Softphone& caller, const std::string& name) {
    EXPECT_TRUE(caller.command("dial", dial("5000")));
    auto established = caller.waitEvent("CALL_ESTABLISHED", 10s);
    EXPECT_TRUE(established) << caller.log();
    return callOf(name, "talking");
  }

  /** @return the agents offered the calls `call_ids` (their stored `ringing` events), ordered by
   *  when they were offered, as extensions. */
  std::vector<std::string> offerOrder(const std::vector<std::string>& call_ids) {
    std::vector<std::pair<std::string, std::string>> offers;  // (at, agent id)
    for (const auto& id : call_ids) {
      for (const auto& ringing : eventsOfType(callEvents(id), "ringing")) {
        if (ringing.value("detail", Json()) == "callback") {
          continue;  // the customer's phone ringing for a callback: no offer to an agent
        }
        offers.emplace_back(ringing.value("at", ""), ringing.value("agent_id", ""));
      }
    }
    std::stable_sort(offers.begin(), offers.end());
    std::vector<std::string> out;
    for (const auto& [at, agent_id] : offers) {
      std::string extension = "?" + agent_id;
      for (const auto& [ext, id] : agent_ids_) {
        if (id == agent_id) {
          extension = ext;
        }
      }
      out.push_back(extension);
    }
    return out;
  }

  std::string caller_wav_;
  std::string callback_wav_;
  std::array<std::string, 3> agent_wavs_;
};

TEST_P(AcdEndToEndTest, LongestIdleOfferOrderAWaitingCallerAndACallbackCalledBack) {
  addQueue("5000", {{"strategy", "longest_idle"}, {"wrap_up_ms", 0}, {"callback_enabled", true}});
  auto agents = addAgents();
  // Ready in the order 2003, 2001, 2002: longest idle first, whatever the login order was.
  readyInOrder({2, 0, 1});
  std::array<Softphone*, 6> callers{};
  for (int n = 1; n <= 5; ++n) {
    callers[n] = &addCaller("caller" + std::to_string(n), n == 5 ? callback_wav_ : caller_wav_);
  }

  // The first three callers, one after the other, reach 2003, 2001 and 2002.
  std::vector<std::string> first_calls;
  for (int n = 1; n <= 3; ++n) {
    auto call = callAndWaitTalking(*callers[n], "caller" + std::to_string(n));
    ASSERT_FALSE(call.is_null());
    first_calls.push_back(call["id"]);
  }
  for (std::size_t i = 0; i < agents.size(); ++i) {
    ASSERT_TRUE(agents[i]->waitEvent("CALL_ESTABLISHED", 10s)) << agents[i]->log();
  }

  // The fourth waits (nobody is free) until caller 2 hangs up, and reaches that caller's agent.
  ASSERT_TRUE(callers[4]->command("dial", dial("5000")));
  ASSERT_TRUE(callers[4]->waitEvent("CALL_ESTABLISHED", 10s)) << callers[4]->log();
  const auto fourth_queued = callOf("caller4", "queued");
  ASSERT_FALSE(fourth_queued.is_null());
  ASSERT_TRUE(callers[2]->command("hangup"));
  ASSERT_TRUE(agents[0]->waitEvent("CALL_CLOSED", 10s)) << agents[0]->log();
  ASSERT_TRUE(agents[0]->waitEvent("CALL_ESTABLISHED", 10s)) << agents[0]->log();
  const auto fourth = callOf("caller4", "talking");
  ASSERT_FALSE(fourth.is_null());

  // The fifth waits, presses the callback key (RFC 4733) and is released, keeping its place.
  ASSERT_TRUE(callers[5]->command("dial", dial("5000")));
  ASSERT_TRUE(callers[5]->waitEvent("CALL_ESTABLISHED", 10s)) << callers[5]->log();
  ASSERT_FALSE(callOf("caller5", "queued").is_null());
  ASSERT_TRUE(callers[5]->command("sndcode", "*"));
  ASSERT_TRUE(callers[5]->waitEvent("CALL_CLOSED", 10s)) << callers[5]->log();
  const auto pending = callOf("caller5", "callback_pending");
  ASSERT_FALSE(pending.is_null());
  const std::string callback_id = pending["id"];

  // Caller 1 hangs up: 2003 frees up, is reserved for the callback, its phone rings and answers,
  // then Kefu calls caller 5 back; their phone answers by itself.
  const auto freed_at = Clock::now();
  ASSERT_TRUE(callers[1]->command("hangup"));
  ASSERT_TRUE(agents[2]->waitEvent("CALL_CLOSED", 10s)) << agents[2]->log();
  ASSERT_TRUE(agents[2]->waitEvent("CALL_ESTABLISHED", 10s)) << agents[2]->log();
  const auto agent_answered_at = Clock::now();
  // (baresip reports no CALL_INCOMING for a call it answers by itself: the next event after its
  // CALL_CLOSED above is the callback's CALL_ESTABLISHED.)
  ASSERT_TRUE(callers[5]->waitEvent("CALL_ESTABLISHED", 10s)) << callers[5]->log();
  const auto called_back_at = Clock::now();
  const auto talking = callOf("caller5", "talking");
  ASSERT_FALSE(talking.is_null());
  EXPECT_EQ(talking["id"], callback_id);
  EXPECT_EQ(talking["agent_id"], agent_ids_["2003"]);
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::cout << "callback: agent freed -> customer answered "
            << duration_cast<milliseconds>(called_back_at - freed_at).count()
            << " ms (agent answered -> customer answered "
            << duration_cast<milliseconds>(called_back_at - agent_answered_at).count() << " ms)\n";

  // They talk for 3 s; the customer hangs up.
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(callers[5]->command("hangup"));
  ASSERT_TRUE(agents[2]->waitEvent("CALL_CLOSED", 10s)) << agents[2]->log();
  for (int n : {3, 4}) {
    EXPECT_TRUE(callers[n]->command("hangup"));
  }
  expectNothingLeft();

  // Offers, from the stored events: 2003, 2001, 2002 for the first three, 2001 for the fourth,
  // 2003 for the callback.
  std::vector<std::string> calls = first_calls;
  calls.push_back(fourth["id"]);
  calls.push_back(callback_id);
  EXPECT_THAT(offerOrder(calls), testing::ElementsAre("2003", "2001", "2002", "2001", "2003"));
  const auto events = callEvents(callback_id);
  std::vector<std::string> types;
  for (const auto& e : events) {
    types.push_back(e["type"]);
  }
  EXPECT_THAT(types, testing::IsSupersetOf({"callback_requested", "answered", "ended"}));
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), "ended");
  // Kefu called the customer's phone at its Contact (baresip's "caller5-0x...@127.0.0.1:port"),
  // the only answer on this call is the callback's.
  const auto requested = eventsOfType(events, "callback_requested");
  ASSERT_EQ(requested.size(), 1u) << events;
  EXPECT_THAT(requested[0].value("target", ""), testing::StartsWith("sip:caller5-0x"));
  EXPECT_THAT(requested[0].value("target", ""),
              testing::EndsWith("@127.0.0.1:" + std::to_string(callers[5]->sipPort())));
  const auto answered = eventsOfType(events, "answered");
  ASSERT_EQ(answered.size(), 1u) << events;
  EXPECT_EQ(answered[0]["cause"], "callback") << events;
  EXPECT_EQ(answered[0]["agent_id"], agent_ids_["2003"]) << events;

  // Each side of the callback heard the other.
  callers[5]->stop();
  agents[2]->stop();
  const auto heard_by_customer = callers[5]->receivedRecordings();
  const auto heard_by_agent = agents[2]->receivedRecordings();
  // baresip names its recordings by the second a call starts: a callback within the same second
  // as the phone's previous call replaces that call's file. The newest one is the callback's.
  ASSERT_FALSE(heard_by_customer.empty());
  ASSERT_FALSE(heard_by_agent.empty());
  EXPECT_GT(shareOfTone(readChannel(heard_by_customer.back(), 0), AgentHz[2]), 0.5);
  EXPECT_GT(shareOfTone(readChannel(heard_by_agent.back(), 0), CallbackCallerHz), 0.5);
}

TEST_P(AcdEndToEndTest, SkillsBestMatchOffersTheHighestLevelFirst) {
  const auto skill = created("/api/v1/skills", {{"name", "billing"}});
  addQueue("5000", {{"strategy", "skills_best_match"},
                    {"wrap_up_ms", 0},
                    {"required_skills", {{{"skill_id", skill}, {"min_level", 1}}}}});
  // Logged in 2001, 2002, 2003 (2001 idle longest) with levels 3, 9 and 6.
  auto level = [&](int n) { return Json::array({{{"skill_id", skill}, {"level", n}}}); };
  auto agents = addAgents({level(3), level(9), level(6)});
  std::vector<std::string> calls;
  for (int n = 1; n <= 3; ++n) {
    auto& caller = addCaller("caller" + std::to_string(n), caller_wav_);
    auto call = callAndWaitTalking(caller, "caller" + std::to_string(n));
    ASSERT_FALSE(call.is_null());
    calls.push_back(call["id"]);
  }
  for (auto* agent : agents) {
    ASSERT_TRUE(agent->waitEvent("CALL_ESTABLISHED", 10s)) << agent->log();
  }
  for (std::size_t i = 3; i < phones_.size(); ++i) {
    EXPECT_TRUE(phones_[i]->command("hangup"));
  }
  expectNothingLeft();
  EXPECT_THAT(offerOrder(calls), testing::ElementsAre("2002", "2003", "2001"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AcdEndToEndTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
