#include "server/site_softphones.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "api/json_writer.h"
#include "privacy/masking.h"

namespace kefu::server {

namespace {

using api::Json;

/** @return `{"type": type, "call_id": call_id, ...}` with the extra string fields. */
std::string frame(std::string_view type, std::string_view call_id,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  std::string out;
  api::JsonWriter w(out);
  w.beginObject().key("type").value(type).key("call_id").value(call_id);
  for (const auto& [key, value] : extra) {
    w.key(key).valueOrNull(value);
  }
  w.endObject();
  return out;
}

std::string stringField(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

/** Who has a softphone connected, and what each is doing. Guarded by one mutex. */
class SiteSoftphones::Registry {
 public:
  struct Phone {
    api::SocketId socket = 0;
    media::SessionId session = 0;
    api::SocketSend send;
    std::string call_id;     // the call ringing or bridged on it; empty when idle
    bool answered = false;   // `call_id` was answered on it
    std::string monitoring;  // the call a supervisor's softphone takes part in
    // The call whose alert waits for its screen pop, and that call's frames meanwhile.
    std::string pending_alert;
    std::vector<std::string> held;
  };

  Registry(media::MediaEngine& engine, acd::AgentRepository& agents)
      : engine_(engine), agents_(agents) {}

  std::optional<media::SessionId> sessionOf(std::string_view key) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(key);
    return it == phones_.end() ? std::nullopt : std::optional(it->second.session);
  }

  std::size_t connected() const {
    std::lock_guard lock(mutex_);
    return phones_.size();
  }

  bool isSoftphone(media::SessionId session) const {
    std::lock_guard lock(mutex_);
    return key_of_.contains(session);
  }

  /** Call control let the session go (its call ended, the ring stopped, a transfer). */
  void released(media::SessionId session) {
    std::lock_guard lock(mutex_);
    auto* phone = phoneOf(session);
    if (phone == nullptr || phone->call_id.empty()) {
      return;
    }
    sendFor(*phone, phone->call_id,
            frame("softphone.released", phone->call_id,
                  {{"cause", phone->answered ? "released" : "not_answered"}}));
    phone->call_id.clear();
    phone->answered = false;
  }

  /** @return the softphone key of `user`: its agent's id, or a supervisor's user id. */
  Result<std::string> keyOf(const auth::Principal& user) {
    if (user.role != auth::Role::Agent && user.role != auth::Role::Supervisor) {
      return Error{ErrorCode::PermissionDenied, "only agents and supervisors have a softphone", {}};
    }
    auto agents = agents_.list();
    if (!agents) {
      return agents.error();
    }
    for (const auto& agent : *agents) {
      if (agent.user_id == user.user_id) {
        return agent.id;
      }
    }
    if (user.role == auth::Role::Agent) {
      return Error::invalid("user", "no agent is linked to this user");
    }
    return user.user_id;
  }

  void connect(std::string key, api::SocketId socket, const std::string& offer,
               const api::SocketSend& send) {
    // Opus or G.711 as the engine negotiates; keys come as RFC 4733 events, never as tones.
    auto answered = engine_.answer(
        offer,
        media::SessionOptions{.security = media::MediaSecurity::DtlsSrtp, .in_band_dtmf = false});
    if (!answered) {
      send(api::socketErrorFrame("sdp", answered.error().message));
      return;
    }
    std::optional<Phone> replaced;
    {
      std::lock_guard lock(mutex_);
      if (auto it = phones_.find(key); it != phones_.end()) {
        replaced = std::move(it->second);
        key_of_.erase(replaced->session);
        phones_.erase(it);
      }
      phones_[key] = Phone{socket, answered->id, send, {}, false, {}, {}, {}};
      key_of_[answered->id] = key;
    }
    if (replaced) {
      // A new connection replaces the old one (a reload of the page, another tab).
      engine_.destroy(replaced->session);
      if (replaced->socket != socket) {
        replaced->send(api::socketErrorFrame({}, "the softphone connected elsewhere"));
      }
    }
    std::string out;
    api::JsonWriter w(out);
    w.beginObject().key("type").value("softphone.answer").key("sdp").value(answered->sdp);
    w.endObject();
    send(std::move(out));
    spdlog::info("softphone: {} connected (session {})", key, answered->id);
  }

  /** Drops the softphones of `socket` (all of them when `key` is empty, else that one). */
  void disconnect(api::SocketId socket, std::string_view key) {
    std::vector<media::SessionId> ended;
    std::vector<std::tuple<std::string, std::string, bool>> calls;  // key, call, answered
    {
      std::lock_guard lock(mutex_);
      for (auto it = phones_.begin(); it != phones_.end();) {
        if (it->second.socket == socket && (key.empty() || it->first == key)) {
          spdlog::info("softphone: {} disconnected", it->first);
          auto& phone = it->second;
          if (!phone.call_id.empty()) {
            phone.send(frame("softphone.released", phone.call_id, {{"cause", "disconnected"}}));
            calls.emplace_back(it->first, phone.call_id, phone.answered);
          }
          ended.push_back(it->second.session);
          key_of_.erase(it->second.session);
          it = phones_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto session : ended) {
      engine_.destroy(session);
    }
    for (const auto& [phone_key, call_id, answered] : calls) {
      if (dropped_) {
        dropped_(phone_key, call_id, answered);
      }
    }
  }

  void setDroppedCall(DroppedCall dropped) { dropped_ = std::move(dropped); }

  void setScreenPop(ScreenPopLookup lookup, BlockingPool& pool) {
    lookup_ = std::move(lookup);
    pool_ = &pool;
  }

  /** Turns call events into the softphones' messages. On the publisher's thread. */
  void onCallEvent(const DomainEvent& event) {
    auto payload = Json::parse(event.payload_json, nullptr, false);
    if (!payload.is_object()) {
      return;
    }
    const auto& call_id = event.entity_id;
    auto agent_id = stringField(payload, "agent_id");
    if (event.type == "call.ringing") {
      ring(event, payload, agent_id);
      return;
    }
    std::lock_guard lock(mutex_);
    if (event.type == "call.answered") {
      auto it = phones_.find(agent_id);
      if (it != phones_.end() && it->second.call_id == call_id && !it->second.answered) {
        it->second.answered = true;
        sendFor(it->second, call_id, frame("softphone.connected", call_id));
      }
    } else if (event.type == "call.conferenced") {
      auto target = stringField(payload, "target");
      auto detail = stringField(payload, "detail");
      if (!target.starts_with("supervisor:") || !detail.starts_with("monitor:")) {
        return;
      }
      auto it = phones_.find(std::string_view(target).substr(11));
      if (it != phones_.end()) {
        it->second.monitoring = call_id;
        it->second.send(frame("softphone.connected", call_id, {{"monitor", detail.substr(8)}}));
      }
    } else if (event.type == "call.ended") {
      for (auto& [key, phone] : phones_) {
        if (phone.monitoring == call_id) {
          // Call control does not own a supervisor's part: it ends here, with the call.
          engine_.leaveConference(phone.session);
          phone.monitoring.clear();
          phone.send(frame("softphone.released", call_id, {{"cause", "call_ended"}}));
        }
        if (phone.call_id == call_id) {
          sendFor(phone, call_id,
                  frame("softphone.released", call_id,
                        {{"cause", phone.answered ? "released" : "not_answered"}}));
          phone.call_id.clear();
          phone.answered = false;
        }
      }
    }
  }

 private:
  /** What an alert says besides its screen pop. */
  struct AlertHead {
    std::string call_id;
    std::string caller;  // masked
    std::string queue_id;
    std::string entry_point_id;
    bool consult = false;
  };

  /** A ring: the alert goes out now, or when its screen pop is ready (on the pool). */
  void ring(const DomainEvent& event, const Json& payload, const std::string& agent_id) {
    const std::string& call_id = event.entity_id;
    const std::string caller = stringField(payload, "caller");
    AlertHead head{call_id, privacy::maskPhone(caller), stringField(payload, "queue_id"),
                   stringField(payload, "entry_point_id"),
                   stringField(payload, "detail") == "consult"};
    {
      std::lock_guard lock(mutex_);
      auto it = phones_.find(agent_id);
      if (it == phones_.end()) {
        return;
      }
      auto& phone = it->second;
      phone.call_id = call_id;
      phone.answered = false;
      phone.held.clear();
      if (!lookup_) {
        phone.pending_alert.clear();
        phone.send(alert(head, {}));
        return;
      }
      phone.pending_alert = call_id;
    }
    // Storage is read on the pool, never on the control loop that published the ring nor under
    // the mutex.
    pool_->submit([this, head = std::move(head), caller, agent_id, rung_at_ms = event.at_ms] {
      const auto started = std::chrono::steady_clock::now();
      ScreenPopJson pop = lookup_(head.call_id, caller, agent_id);
      const auto lookup_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
      std::lock_guard lock(mutex_);
      auto it = phones_.find(agent_id);
      if (it == phones_.end() || it->second.pending_alert != head.call_id) {
        return;  // the softphone reconnected or another call rings it: this alert is stale
      }
      auto& phone = it->second;
      phone.pending_alert.clear();
      std::vector<std::string> held = std::move(phone.held);
      phone.held.clear();
      if (phone.call_id != head.call_id) {
        // The ring ended before the pop was ready: neither the alert nor its release is shown.
        spdlog::debug("softphone: alert for call {} dropped, the ring ended", head.call_id);
        return;
      }
      phone.send(alert(head, pop));
      for (auto& held_frame : held) {
        phone.send(std::move(held_frame));
      }
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      spdlog::debug("softphone: alerted {} of call {}: screen pop {} ms, {} ms after the ring",
                    agent_id, head.call_id, lookup_ms, now_ms - rung_at_ms);
    });
  }

  /** @return the `softphone.alerting` frame of `head` with the screen pop's members. */
  static std::string alert(const AlertHead& head, const ScreenPopJson& pop) {
    std::string out;
    api::JsonWriter w(out);
    w.beginObject().key("type").value("softphone.alerting").key("call_id").value(head.call_id);
    w.key("caller").valueOrNull(head.caller).key("queue_id").valueOrNull(head.queue_id);
    w.key("entry_point_id").valueOrNull(head.entry_point_id);
    w.key("consult").raw(head.consult ? "true" : "false");
    w.key("customer").raw(pop.customer).key("history").raw(pop.history).endObject();
    return out;
  }

  /** Sends `frame` of call `call_id` now, or after that call's alert while it is pending. */
  static void sendFor(Phone& phone, const std::string& call_id, std::string frame) {
    if (!phone.pending_alert.empty() && phone.pending_alert == call_id) {
      phone.held.push_back(std::move(frame));
    } else {
      phone.send(std::move(frame));
    }
  }

  Phone* phoneOf(media::SessionId session) {
    auto key = key_of_.find(session);
    if (key == key_of_.end()) {
      return nullptr;
    }
    auto it = phones_.find(key->second);
    return it == phones_.end() ? nullptr : &it->second;
  }

  // not owned, outlive this
  media::MediaEngine& engine_;
  acd::AgentRepository& agents_;
  // owned
  mutable std::mutex mutex_;
  std::map<std::string, Phone, std::less<>> phones_;  // by key: agent id or supervisor user id
  std::map<media::SessionId, std::string> key_of_;
  DroppedCall dropped_;           // set before sockets connect
  ScreenPopLookup lookup_;        // set before sockets connect; empty: alerts without a pop
  BlockingPool* pool_ = nullptr;  // where lookup_ runs
};

/** The engine as call control sees it: a softphone's session is never destroyed by a call. */
class SiteSoftphones::CallMedia final : public media::MediaEngine {
 public:
  CallMedia(media::MediaEngine& engine, Registry& registry)
      : engine_(engine), registry_(registry) {}

  Result<media::SessionSdp> answer(std::string_view offer_sdp,
                                   const media::SessionOptions& options) override {
    return engine_.answer(offer_sdp, options);
  }
  Result<media::SessionSdp> offer(const media::SessionOptions& options) override {
    return engine_.offer(options);
  }
  Result<void> acceptAnswer(media::SessionId id, std::string_view answer_sdp) override {
    return engine_.acceptAnswer(id, answer_sdp);
  }
  Result<std::string> reanswer(media::SessionId id, std::string_view offer_sdp) override {
    return engine_.reanswer(id, offer_sdp);
  }
  Result<void> bridge(media::SessionId a, media::SessionId b) override {
    return engine_.bridge(a, b);
  }
  void unbridge(media::SessionId id) override { engine_.unbridge(id); }
  void play(media::SessionId id, media::PromptPtr prompt, bool loop, uint64_t play_id) override {
    engine_.play(id, std::move(prompt), loop, play_id);
  }
  void stopPlay(media::SessionId id) override { engine_.stopPlay(id); }
  void sendDtmf(media::SessionId id, char digit, int duration_ms) override {
    engine_.sendDtmf(id, digit, duration_ms);
  }
  Result<void> startRecording(media::SessionId left, media::SessionId right,
                              const std::string& path) override {
    return engine_.startRecording(left, right, path);
  }
  void pauseRecording(media::SessionId left, bool paused) override {
    engine_.pauseRecording(left, paused);
  }
  void stopRecording(media::SessionId left) override { engine_.stopRecording(left); }
  Result<void> joinConference(media::ConferenceId conference, media::SessionId id,
                              media::Mixer::Role role, media::SessionId whisper_target) override {
    return engine_.joinConference(conference, id, role, whisper_target);
  }
  void setConferenceMuted(media::SessionId id, bool muted) override {
    engine_.setConferenceMuted(id, muted);
  }
  void leaveConference(media::SessionId id) override { engine_.leaveConference(id); }
  void setTap(media::SessionId id, std::shared_ptr<media::AudioTap> tap) override {
    engine_.setTap(id, std::move(tap));
  }
  void destroy(media::SessionId id) override {
    if (!registry_.isSoftphone(id)) {
      engine_.destroy(id);
      return;
    }
    // The call lets the agent go: the browser's connection stays for the next call.
    engine_.unbridge(id);
    engine_.leaveConference(id);
    engine_.stopPlay(id);
    registry_.released(id);
  }
  media::EngineCounters counters() const override { return engine_.counters(); }
  const std::string& advertisedAddress() const override { return engine_.advertisedAddress(); }

 private:
  media::MediaEngine& engine_;
  Registry& registry_;
};

SiteSoftphones::SiteSoftphones(media::MediaEngine& engine, acd::AgentRepository& agents,
                               EventBus& events)
    : registry_(std::make_unique<Registry>(engine, agents)),
      call_media_(std::make_unique<CallMedia>(engine, *registry_)),
      events_(events) {}

SiteSoftphones::~SiteSoftphones() {
  std::lock_guard lock(subscription_mutex_);
  if (subscription_ != 0) {
    events_.unsubscribe(subscription_);
  }
}

void SiteSoftphones::followCalls() {
  // A site without connected softphones costs the bus nothing.
  bool any = registry_->connected() > 0;
  if (any && subscription_ == 0) {
    subscription_ = events_.subscribe([registry = registry_.get()](const DomainEventPtr& event) {
      if (event->type.starts_with("call.")) {
        registry->onCallEvent(*event);
      }
    });
  } else if (!any && subscription_ != 0) {
    events_.unsubscribe(subscription_);
    subscription_ = 0;
  }
}

media::MediaEngine& SiteSoftphones::callMedia() { return *call_media_; }

void SiteSoftphones::setDroppedCall(DroppedCall dropped) {
  registry_->setDroppedCall(std::move(dropped));
}

void SiteSoftphones::setScreenPop(ScreenPopLookup lookup, BlockingPool& pool) {
  registry_->setScreenPop(std::move(lookup), pool);
}

std::optional<media::SessionId> SiteSoftphones::sessionOf(std::string_view key) const {
  return registry_->sessionOf(key);
}

void SiteSoftphones::onSocketMessage(api::SocketId socket, const auth::Principal& user,
                                     const api::Json& message, const api::SocketSend& send) {
  auto type = message.value("type", std::string());
  if (type == "softphone.offer") {
    auto sdp = message.find("sdp");
    if (sdp == message.end() || !sdp->is_string() || sdp->get_ref<const std::string&>().empty()) {
      send(api::socketErrorFrame("sdp", "is required: the offer's SDP, ICE gathering complete"));
      return;
    }
    auto key = registry_->keyOf(user);
    if (!key) {
      send(api::socketErrorFrame(key.error().field, key.error().message));
      return;
    }
    std::lock_guard lock(subscription_mutex_);
    registry_->connect(std::move(*key), socket, sdp->get<std::string>(), send);
    followCalls();
  } else if (type == "softphone.hangup") {
    auto key = registry_->keyOf(user);
    if (key) {
      std::lock_guard lock(subscription_mutex_);
      registry_->disconnect(socket, *key);
      followCalls();
    }
  } else {
    send(api::socketErrorFrame("type", "unknown message type: " + type));
  }
}

void SiteSoftphones::onSocketClosed(api::SocketId socket, const auth::Principal& /*user*/) {
  std::lock_guard lock(subscription_mutex_);
  registry_->disconnect(socket, {});
  followCalls();
}

}  // namespace kefu::server
