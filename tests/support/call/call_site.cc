#include "support/call/call_site.h"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <thread>

#include "media/tone.h"
#include "support/sip/sip_socket.h"

namespace kefu::test {

using namespace std::chrono_literals;

namespace {

/** @return a string member of `object`, empty when it is missing or not a string. */
std::string text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/** Below this RMS level (of full scale) a window counts as silence. */
constexpr double SilenceLevel = 0.01;

}  // namespace

Audio readChannel(const std::string& path, int channel) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    return {};
  }
  std::vector<int16_t> frames(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(file, frames.data(), info.frames);
  sf_close(file);
  Audio out{info.samplerate, {}};
  if (channel >= info.channels) {
    return out;
  }
  for (sf_count_t i = 0; i < info.frames; ++i) {
    out.pcm.push_back(frames[static_cast<std::size_t>(i * info.channels + channel)]);
  }
  return out;
}

std::vector<double> windowFrequencies(const Audio& audio) {
  std::vector<double> out;
  const auto window = static_cast<std::size_t>(audio.rate / 5);
  for (std::size_t at = 0; window > 0 && at + window <= audio.pcm.size(); at += window) {
    std::span<const int16_t> part(audio.pcm.data() + at, window);
    out.push_back(media::rmsLevel(part) > SilenceLevel ? media::dominantFrequency(part, audio.rate)
                                                       : 0);
  }
  return out;
}

bool nearTone(double f, double hz) { return std::abs(f - hz) < hz * 0.04; }

double shareOfTone(const Audio& audio, double hz) {
  const auto windows = windowFrequencies(audio);
  if (windows.empty()) {
    return 0;
  }
  const auto matching =
      std::count_if(windows.begin(), windows.end(), [hz](double f) { return nearTone(f, hz); });
  return double(matching) / double(windows.size());
}

void CallSiteFixture::configure(server::Config& config) {
  static int counter = 0;
  sip_port_ = sip::testing::freeSipPort();
  config.sip.enabled = true;
  config.sip.listen = {"127.0.0.1", sip_port_};
  config.calls.ring_timeout = 10s;
  dir_ = std::filesystem::temp_directory_path() /
         ("kefu-calls-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(dir_);
  config.calls.recording_dir = (dir_ / "recordings").string();
  configureCalls(config);
}

void CallSiteFixture::TearDown() {
  phones_.clear();
  SiteFixture::TearDown();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string CallSiteFixture::created(const std::string& path, const Json& body) {
  auto reply = client().post(path, body.dump());
  EXPECT_EQ(reply.status, 201) << path << ": " << reply.body;
  if (reply.status != 201) {
    return {};
  }
  return Json::parse(reply.body).value("id", "");
}

std::string CallSiteFixture::addQueue(const std::string& number, Json settings) {
  settings["name"] = "q" + number;
  auto queue = created("/api/v1/queues", settings);
  created("/api/v1/entry-points",
          {{"number", number}, {"target", {{"kind", "queue"}, {"id", queue}}}});
  return queue;
}

Softphone& CallSiteFixture::addAgent(const std::string& extension, const std::string& wav,
                                     bool auto_answer, const Json& skills) {
  const std::string password = "pw-" + extension + "-secret";
  Json agent{{"name", "Agent " + extension}, {"extension", extension}, {"sip_password", password}};
  if (!skills.is_null()) {
    agent["skills"] = skills;
  }
  auto id = created("/api/v1/agents", agent);
  agent_ids_[extension] = id;
  auto& phone = addPhone(extension, {extension, auto_answer, wav, true, sip_port_, password});
  // Registered when the registrar lists it: the phone may register before its control port is
  // connected, so its REGISTER_OK event can come before we listen.
  bool registered = false;
  for (int i = 0; i < 100 && !registered; ++i) {
    registered = client().get("/api/v1/registrations").body.find("\"" + extension + "\"") !=
                 std::string::npos;
    if (!registered) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(registered) << phone.log();
  auto login = client().post("/api/v1/agents/" + id + "/login", "{}");
  EXPECT_EQ(login.status, 200) << login.body;
  return phone;
}

Softphone& CallSiteFixture::addPhone(const std::string& name, SoftphoneOptions options) {
  phones_.push_back(std::make_unique<Softphone>((dir_ / name).string(), std::move(options)));
  EXPECT_TRUE(phones_.back()->running()) << phones_.back()->log();
  return *phones_.back();
}

Softphone& CallSiteFixture::addCaller(const std::string& name, const std::string& wav) {
  return addPhone(name, {name, true, wav, true, 0, ""});
}

std::string CallSiteFixture::dial(const std::string& number) const {
  return "sip:" + number + "@127.0.0.1:" + std::to_string(sip_port_);
}

Json CallSiteFixture::onlyCall(std::string_view state) {
  Json last;
  for (int i = 0; i < 50; ++i) {
    auto reply = client().get("/api/v1/calls");
    if (reply.status == 200) {
      const Json body = Json::parse(reply.body);
      if (body["items"].size() == 1) {
        last = body["items"][0];
        if (state.empty() || last["state"] == std::string(state)) {
          return last;
        }
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "no single call in progress" << (state.empty() ? "" : " in state ") << state
                << ": " << last.dump();
  return last;
}

Json CallSiteFixture::callOf(const std::string& caller, const std::string& state,
                             std::chrono::milliseconds timeout) {
  Json last;
  std::string seen;
  for (auto waited = 0ms; waited <= timeout; waited += 100ms) {
    auto reply = client().get("/api/v1/calls");
    seen = std::to_string(reply.status) + " " + reply.body;
    if (reply.status == 200) {
      // Kept in a variable: a range-for over a temporary's member would dangle.
      const Json body = Json::parse(reply.body);
      for (const auto& call : body["items"]) {
        if (text(call, "caller") == caller) {
          last = call;
          if (text(call, "state") == state) {
            return call;
          }
        }
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "the call of " << caller << " never reached " << state
                << "; last seen: " << last.dump() << "; calls: " << seen;
  return {};
}

bool CallSiteFixture::waitAnsweredLegs(const std::string& id, std::size_t legs) {
  for (int i = 0; i < 100; ++i) {
    auto reply = client().get("/api/v1/calls/" + id);
    if (reply.status == 200) {
      const Json call = Json::parse(reply.body);
      const auto answered =
          std::count_if(call["legs"].begin(), call["legs"].end(),
                        [](const Json& leg) { return leg.value("answered", false); });
      if (static_cast<std::size_t>(answered) >= legs) {
        return true;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

double CallSiteFixture::metric(const std::string& name) {
  auto body = client(false).get("/metrics").body;
  auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

void CallSiteFixture::expectNothingLeft() {
  const std::array<const char*, 4> gauges{"kefu_calls_active", "kefu_call_legs_active",
                                          "kefu_call_media_sessions_active",
                                          "kefu_sip_dialogs_active"};
  auto anyLeft = [&] {
    return std::any_of(gauges.begin(), gauges.end(),
                       [&](const char* gauge) { return metric(gauge) != 0; });
  };
  for (int i = 0; i < 100 && anyLeft(); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  for (const char* gauge : gauges) {
    EXPECT_EQ(metric(gauge), 0) << gauge;
  }
}

Json CallSiteFixture::callEvents(const std::string& call_id) {
  Json items = Json::array();
  for (int i = 0; i < 30; ++i) {
    auto reply = client().get("/api/v1/calls/" + call_id + "/events");
    if (reply.status == 200) {
      items = Json::parse(reply.body)["items"];
    }
    if (!items.empty() && items.back()["type"] == "ended") {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  return items;
}

std::vector<std::string> CallSiteFixture::eventTypes(const std::string& call_id) {
  std::vector<std::string> types;
  for (const auto& e : callEvents(call_id)) {
    types.push_back(text(e, "type"));
  }
  return types;
}

std::vector<Json> CallSiteFixture::eventsOfType(const Json& events, const std::string& type) {
  std::vector<Json> out;
  for (const auto& e : events) {
    if (text(e, "type") == type) {
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace kefu::test
