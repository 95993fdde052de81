#include "server/site_calls.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "api/json_mapping.h"
#include "api/json_writer.h"
#include "core/id.h"
#include "interaction/call_flows.h"
#include "ivr/flite_synthesizer.h"
#include "ivr/pocketsphinx_recognizer.h"
#include "ivr/tts.h"
#include "media/prompt.h"
#include "server/screen_pops.h"
#include "server/site.h"
#include "server/site_flows.h"
#include "sip/sip_stack.h"

namespace kefu::server {
namespace {

/** The prompt path that stands for the built-in music on hold. */
constexpr std::string_view BuiltinMusic = "builtin:music_on_hold";

/**
 * A calm six-note phrase (C5 E5 G5 A5 G5 E5, 400 ms each with soft edges, then a rest): what a
 * caller hears on hold when no music file is configured. Its notes are what tests listen for.
 */
media::PromptPtr builtinMusic() {
  constexpr int Rate = 16000;
  constexpr std::array<double, 6> Notes{523.25, 659.25, 783.99, 880.0, 783.99, 659.25};
  constexpr int NoteSamples = Rate * 2 / 5;
  constexpr int FadeSamples = Rate / 50;
  std::vector<int16_t> pcm;
  pcm.reserve(Notes.size() * NoteSamples + Rate / 2);
  for (double hz : Notes) {
    for (int n = 0; n < NoteSamples; ++n) {
      const double edge =
          std::min({1.0, double(n) / FadeSamples, double(NoteSamples - 1 - n) / FadeSamples});
      const double sample = 0.25 * edge * std::sin(2 * M_PI * hz * n / Rate);
      pcm.push_back(static_cast<int16_t>(std::lround(sample * 32767)));
    }
  }
  pcm.resize(pcm.size() + Rate / 2, 0);
  return media::promptFromPcm(pcm, Rate);
}

/**
 * Spoken prompts kept in memory (the most used) and on disk (every one, as raw PCM under
 * `ivr.tts_cache_dir`), rendered by espeak-ng only when neither has them. Thread-safe.
 */
class SpeechCache final : public ivr::SpeechSynthesizer {
 public:
  SpeechCache(ivr::SpeechSynthesizerPtr engine, std::filesystem::path dir)
      : engine_(std::move(engine)), dir_(std::move(dir)), disk_(*this), memory_(disk_, 256) {}

  Result<ivr::SpeechAudioPtr> synthesize(const std::string& text,
                                         const std::string& voice) override {
    return memory_.synthesize(text, voice);
  }

 private:
  /** The disk layer under the memory cache. */
  class Disk final : public ivr::SpeechSynthesizer {
   public:
    explicit Disk(SpeechCache& owner) : owner_(owner) {}
    Result<ivr::SpeechAudioPtr> synthesize(const std::string& text,
                                           const std::string& voice) override {
      return owner_.fromDisk(text, voice);
    }

   private:
    SpeechCache& owner_;
  };

  static constexpr std::string_view Magic = "KEFUTTS1";

  /** @return the audio kept in the directory, or rendered (and kept) when it is not there. */
  Result<ivr::SpeechAudioPtr> fromDisk(const std::string& text, const std::string& voice) {
    if (dir_.empty()) {
      return engine_->synthesize(text, voice);
    }
    const auto key = std::hash<std::string>{}(voice + '\n' + text);
    const auto path = dir_ / fmt::format("{}-{:016x}.pcm", voice, key);
    std::ifstream in(path, std::ios::binary);
    std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr std::size_t Header = Magic.size() + sizeof(std::int32_t) + sizeof(std::uint32_t);
    if (stored.size() > Header && stored.starts_with(Magic)) {
      std::int32_t rate = 0;
      std::uint32_t text_size = 0;
      std::memcpy(&rate, stored.data() + Magic.size(), sizeof rate);
      std::memcpy(&text_size, stored.data() + Magic.size() + sizeof rate, sizeof text_size);
      // The text is kept too: two texts with the same hash must not share audio.
      if (stored.size() >= Header + text_size &&
          std::string_view(stored).substr(Header, text_size) == text && rate > 0) {
        auto audio = std::make_shared<ivr::SpeechAudio>();
        audio->rate = rate;
        const auto bytes = stored.size() - Header - text_size;
        audio->samples.resize(bytes / sizeof(std::int16_t));
        std::memcpy(audio->samples.data(), stored.data() + Header + text_size,
                    audio->samples.size() * sizeof(std::int16_t));
        return ivr::SpeechAudioPtr(std::move(audio));
      }
    }
    auto rendered = engine_->synthesize(text, voice);
    if (!rendered) {
      return rendered;
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    // Written aside, then renamed: another thread or a crash never leaves half a file in place.
    const auto temporary = path.string() + ".tmp" +
                           std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      const std::int32_t rate = (*rendered)->rate;
      const auto text_size = static_cast<std::uint32_t>(text.size());
      out.write(Magic.data(), static_cast<std::streamsize>(Magic.size()));
      out.write(reinterpret_cast<const char*>(&rate), sizeof rate);
      out.write(reinterpret_cast<const char*>(&text_size), sizeof text_size);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.write(reinterpret_cast<const char*>((*rendered)->samples.data()),
                static_cast<std::streamsize>((*rendered)->samples.size() * sizeof(std::int16_t)));
    }
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
      spdlog::warn("ivr: cannot keep a spoken prompt in {}: {}", dir_.string(), ec.message());
    }
    return rendered;
  }

  ivr::SpeechSynthesizerPtr engine_;
  std::filesystem::path dir_;
  Disk disk_;
  ivr::CachedSynthesizer memory_;
};

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    if (auto item = text.substr(0, comma); !item.empty()) {
      out.emplace_back(item);
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

std::string eventPayload(const call::CallEvent& e) {
  std::string payload;
  api::JsonWriter w(payload);
  w.beginObject();
  w.key("call_id").value(e.call_id).key("type").value(call::toString(e.type));
  w.key("caller").valueOrNull(e.caller).key("dialed").valueOrNull(e.dialed);
  w.key("entry_point_id").valueOrNull(e.entry_point_id).key("queue_id").valueOrNull(e.queue_id);
  w.key("agent_id").valueOrNull(e.agent_id).key("target").valueOrNull(e.target);
  w.key("cause").valueOrNull(e.cause).key("detail").valueOrNull(e.detail);
  w.key("quality");
  if (e.quality) {
    w.beginObject().key("mos").value(e.quality->mos).key("loss_percent").value(e.quality->loss_pct);
    w.key("jitter_ms").value(e.quality->jitter_ms).key("round_trip_ms");
    if (e.quality->round_trip_ms) {
      w.value(*e.quality->round_trip_ms);
    } else {
      w.null();
    }
    w.endObject();
  } else {
    w.null();
  }
  w.endObject();
  return payload;
}

/** @return the entry points of a YAML file (`entry_points:` list); errors name the item. */
Result<std::vector<call::EntryPoint>> readEntryPointFile(const std::string& path,
                                                         const std::vector<acd::Queue>& queues) {
  const std::string field = "calls.entry_points";
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Error::invalid(field, path + ": " + e.what());
  }
  auto list = root["entry_points"];
  if (!list || !list.IsSequence()) {
    return Error::invalid(field, path + ": needs an `entry_points:` list");
  }
  std::vector<call::EntryPoint> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto node = list[i];
    const std::string where = path + ": entry_points[" + std::to_string(i) + "]";
    auto text = [&](const char* key) -> std::string {
      return node[key] && node[key].IsScalar() ? node[key].as<std::string>() : std::string{};
    };
    call::EntryPoint entry;
    entry.number = text("number");
    entry.name = text("name").empty() ? entry.number : text("name");
    entry.greeting = text("greeting");
    try {
      entry.priority = node["priority"] ? node["priority"].as<int>() : 0;
      entry.enabled = node["enabled"] ? node["enabled"].as<bool>() : true;
    } catch (const YAML::Exception&) {
      return Error::invalid(field, where + ": priority must be an integer, enabled a boolean");
    }
    // `target: {kind: queue, id: general}`; a queue may be named by its name or its id.
    const auto target = node["target"];
    auto kind = target && target.IsMap() && target["kind"] && target["kind"].IsScalar()
                    ? call::parseTargetKind(target["kind"].as<std::string>())
                    : std::nullopt;
    if (!kind || !target["id"] || !target["id"].IsScalar()) {
      return Error::invalid(field, where +
                                       ": needs `target: {kind: queue|extension|number|"
                                       "announcement, id: ...}`");
    }
    entry.target = {*kind, target["id"].as<std::string>()};
    if (entry.target.kind == call::TargetKind::Queue) {
      // A queue may be named by its name (what people write) or its id.
      auto queue = std::find_if(queues.begin(), queues.end(), [&](const acd::Queue& q) {
        return q.name == entry.target.id || q.id == entry.target.id;
      });
      if (queue == queues.end()) {
        return Error::invalid(field, where + ": no queue named " + entry.target.id);
      }
      entry.target.id = queue->id;
    }
    if (auto valid = call::validate(entry); !valid) {
      return Error::invalid(field, where + ": " + valid.error().message);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

class SiteCalls::Impl final : public sip::SipStackListener, public call::AgentDirectory {
 public:
  Impl(const Config& config, Parts parts) : config_(config), parts_(parts) {
    // The same keys as the store's: a token finds the customer, a data key means the names are
    // held here in clear.
    privacy::TokenizerPtr tokenizer;
    bool names_held = false;
    if (auto options = privacyStoreOptions(config); options) {
      tokenizer = options->tokenizer;
      names_held = options->cipher != nullptr;
    } else {
      spdlog::warn("calls: no screen pops: {}", options.error().message);
    }
    screen_pops_ = std::make_unique<ScreenPops>(
        ScreenPops::Parts{parts.store.customers(), parts.store.callRecords(), parts.store.wrapUps(),
                          std::move(tokenizer), names_held, config.site.name, &parts.pool});
    if (parts.softphones != nullptr) {
      parts.softphones->setScreenPop(alertLookup(*screen_pops_, parts.store.agents()), parts.pool);
    }
  }

  ScreenPops& screenPops() { return *screen_pops_; }

  ~Impl() override {
    stopSignalling();
    if (subscription_ != 0) {
      parts_.events.unsubscribe(subscription_);
    }
  }

  Result<void> start() {
    KEFU_TRY(storeEntryPointFile());
    sip::SipConfig sip;
    sip.sip = {config_.sip.listen.host, config_.sip.listen.port};
    sip.advertised_host = config_.sip.advertised_address;
    if (!config_.sip.tls_listen.empty()) {
      auto colon = config_.sip.tls_listen.rfind(':');
      sip.tls = {config_.sip.tls_listen.substr(0, colon),
                 static_cast<uint16_t>(std::stoi(config_.sip.tls_listen.substr(colon + 1)))};
      sip.tls_certificate_dir = config_.sip.tls_certificate_dir;
    }
    sip.user_agent = "Kefu";
    sip.registrar.realm = config_.sip.realm;
    sip.cpu_budget_percent = config_.calls.cpu_budget;
    sip.max_pending_invites = static_cast<std::size_t>(config_.calls.max_pending_invites);
    sip.overload_retry_after_s = static_cast<int>(config_.calls.retry_after.count());
    auto stack = sip::startSipStack(sip, *this, parts_.time);
    if (!stack) {
      return stack.error();
    }
    sip_ = std::move(stack).value();
    KEFU_TRY(reloadAgents());

    call::CallControlConfig cc;
    cc.max_calls = static_cast<std::size_t>(config_.calls.max_calls);
    cc.retry_after_s = static_cast<int>(config_.calls.retry_after.count());
    cc.ring_timeout = config_.calls.ring_timeout;
    cc.sip_host =
        config_.sip.advertised_address.empty()
            ? config_.sip.listen.toString()
            : HostPort{config_.sip.advertised_address, config_.sip.listen.port}.toString();
    cc.gateway = {config_.calls.gateway, config_.calls.gateway_user,
                  config_.calls.gateway_password.value_or("")};
    if (auto hosts = splitList(config_.sip.trunks); !hosts.empty()) {
      cc.trunks.push_back({"trunks", std::move(hosts), {}, {}});
    }
    if (!config_.sip.trunk_user.empty()) {
      cc.trunks.push_back(
          {"digest", {}, config_.sip.trunk_user, config_.sip.trunk_password.value_or("")});
    }
    cc.realm = config_.sip.realm;
    cc.music_on_hold = config_.calls.music_on_hold.empty() ? std::string(BuiltinMusic)
                                                           : config_.calls.music_on_hold;
    cc.recording_dir = config_.calls.recording_dir;
    cc.record_calls = config_.calls.record;
    cc.callback_key = config_.calls.callback_key.empty() ? '\0' : config_.calls.callback_key[0];
    KEFU_TRY(reloadQueues());
    cc.ivr_default_queue = queueIdOf(config_.ivr.default_queue);
    cc.prompt_loader = [](const std::string& path) -> Result<media::PromptPtr> {
      if (path == BuiltinMusic) {
        return builtinMusic();
      }
      return media::loadWav(path);
    };
    std::error_code ec;
    std::filesystem::create_directories(cc.recording_dir, ec);

    auto& cc_loop = parts_.contact_center.loop();
    // With browser softphones, call control's engine leaves their nailed-up sessions alone.
    auto& call_media =
        parts_.softphones != nullptr ? parts_.softphones->callMedia() : parts_.media.engine();
    calls_ = std::make_unique<call::CallControl>(
        cc_loop, parts_.time, *sip_, call_media, parts_.contact_center.callRouter(), *this,
        [this](const call::CallEvent& e) { onCallEvent(e); }, std::move(cc));
    KEFU_TRY(reloadEntryPoints());
    KEFU_TRY(startFlows());
    if (parts_.softphones != nullptr) {
      // A browser that goes away mid-call is a phone that hangs up (or declines the ring).
      parts_.softphones->setDroppedCall([this](const std::string& agent_id,
                                               const std::string& call_id, bool answered) {
        parts_.contact_center.loop().post([this, agent_id, call_id, answered] {
          (void)(answered ? calls_->hangUp(call_id) : calls_->declineSoftphone(call_id, agent_id));
        });
      });
    }
    parts_.contact_center.setRoutedCalls(calls_.get());
    parts_.media.setCallListener(calls_.get());
    sip_->setCallListener(calls_.get());
    subscription_ = parts_.events.subscribe([this](const DomainEventPtr& event) {
      // Agents and entry points change through the API: follow them off the publishing thread.
      if (event->type.starts_with("agent.created") || event->type.starts_with("agent.updated") ||
          event->type.starts_with("agent.deleted")) {
        parts_.pool.submit([this] { (void)reloadAgents(); });
      }
      if (event->type.starts_with("queue.")) {
        parts_.pool.submit([this] { (void)reloadQueues(); });
      }
    });
    addMetrics();
    spdlog::info("sip: listening on {} (udp, tcp){}", config_.sip.listen.toString(),
                 config_.sip.tls_listen.empty() ? "" : ", tls on " + config_.sip.tls_listen);
    return {};
  }

  void stopSignalling() {
    if (!sip_) {
      return;
    }
    if (flows_) {
      onLoop([this] {
        calls_->setIvr(nullptr);
        parts_.contact_center.loop().cancel(flow_rescan_);
        return true;
      });
    }
    sip_->setCallListener(nullptr);
    parts_.media.setCallListener(nullptr);
    parts_.contact_center.setRoutedCalls(nullptr);
    sip_.reset();  // joins the SIP thread: no SIP event reaches call control after this
  }

  bool available() const { return calls_ != nullptr; }

  // sip::SipStackListener (SIP thread).
  void onRegistration(const sip::BindingChange& change) override {
    std::string payload;
    api::JsonWriter w(payload);
    w.beginObject().key("extension").value(change.extension).key("contact").value(change.contact);
    w.key("registered").raw(change.added ? "true" : "false").endObject();
    DomainEvent event;
    event.type = "sip.registration";
    event.entity_id = change.extension;
    event.at_ms = toUnixMillis(parts_.time.systemTime());
    event.payload_json = std::move(payload);
    parts_.events.publish(std::move(event));
  }

  // call::AgentDirectory (control loop).
  std::optional<std::string> extensionOf(std::string_view agent_id) const override {
    std::lock_guard lock(directory_mutex_);
    auto it = extension_of_.find(agent_id);
    return it == extension_of_.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::string> agentOfExtension(std::string_view extension) const override {
    std::lock_guard lock(directory_mutex_);
    auto it = agent_of_.find(extension);
    return it == agent_of_.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<media::SessionId> softphoneOf(std::string_view agent_id) const override {
    return parts_.softphones != nullptr ? parts_.softphones->sessionOf(agent_id) : std::nullopt;
  }

  template <class F>
  auto onLoop(F work) -> decltype(work()) {
    using R = decltype(work());
    std::promise<R> promise;
    auto answer = promise.get_future();
    parts_.contact_center.loop().post([&promise, &work] { promise.set_value(work()); });
    return answer.get();
  }

  call::CallControl& calls() { return *calls_; }
  api::FlowService* flowService() { return site_flows_.get(); }

  /** @return the id of the queue named `name` (or with that id); `name` itself when unknown.
   *  Any thread. */
  std::string queueIdOf(const std::string& name) const {
    std::lock_guard lock(directory_mutex_);
    auto it = queue_ids_.find(name);
    return it == queue_ids_.end() ? name : it->second;
  }

  /** Reads the queues' names (flows name queues as people do). Blocking. */
  Result<void> reloadQueues() {
    auto queues = parts_.store.queues().list();
    if (!queues) {
      spdlog::warn("ivr: cannot read queues: {}", queues.error().message);
      return queues.error();
    }
    std::map<std::string, std::string, std::less<>> ids;
    for (const auto& queue : *queues) {
      ids[queue.name] = queue.id;
    }
    for (const auto& queue : *queues) {
      ids[queue.id] = queue.id;  // an id always means itself
    }
    {
      std::lock_guard lock(directory_mutex_);
      queue_ids_ = std::move(ids);
    }
    if (calls_) {
      parts_.contact_center.loop().post([this, queue = queueIdOf(config_.ivr.default_queue)] {
        calls_->setIvrDefaultQueue(queue);
      });
    }
    return {};
  }

  /** Builds the IVR (TTS, flows) and installs the flows: the files of ivr.flows_dir, then the
   *  stored ones. Blocking; at start. */
  Result<void> startFlows() {
    interaction::CallFlowsConfig flows_config;
    flows_config.default_queue = config_.ivr.default_queue;
    flows_config.recording_dir = config_.calls.recording_dir;
    interaction::CallFlowsParts flows_parts;
    // espeak-ng speaks every language; a flow may choose flite's English voice (`voices: {en:
    // slt}`). Either engine may be missing: its voices then take their prompts' fallbacks.
    ivr::SpeechSynthesizerPtr espeak;
    ivr::SpeechSynthesizerPtr flite;
    if (auto made = ivr::makeEspeakSynthesizer(8000); made) {
      espeak = std::move(made).value();
    } else {
      spdlog::warn("ivr: no espeak-ng ({}): its voices take their fallbacks", made.error().message);
    }
    if (auto made = ivr::makeFliteSynthesizer(8000); made) {
      flite = std::move(made).value();
    } else {
      spdlog::warn("ivr: no flite ({}): its voices take their fallbacks", made.error().message);
    }
    if (espeak || flite) {
      flows_parts.tts = std::make_shared<SpeechCache>(
          std::make_unique<ivr::VoiceRoutedSynthesizer>(std::move(espeak), std::move(flite)),
          config_.ivr.tts_cache_dir);
    }
    if (auto recognizer = ivr::makePocketsphinxRecognizer(); recognizer) {
      flows_parts.recognizer = std::move(recognizer).value();
    } else {
      spdlog::warn("ivr: no speech recognition ({}): menus take keys only",
                   recognizer.error().message);
    }
    flows_parts.prompt_loader = [](const std::string& path) { return media::loadWav(path); };
    flows_parts.queue_id_of = [this](const std::string& name) { return queueIdOf(name); };
    auto& loop = parts_.contact_center.loop();
    flows_ = std::make_unique<interaction::CallFlows>(
        loop, parts_.time, parts_.pool, *calls_, std::move(flows_config), std::move(flows_parts));
    onLoop([this] {
      calls_->setIvr(flows_.get());
      return true;
    });
    site_flows_ = std::make_unique<SiteFlows>(
        parts_.store.flows(), parts_.time, config_.ivr.flows_dir,
        [this, &loop](const std::string& id, ivr::FlowPtr flow) {
          loop.post([this, id, flow] { flows_->catalog().install(id, flow); });
        },
        [this, &loop](const std::string& id) {
          loop.post([this, id] { flows_->catalog().remove(id); });
        });
    auto installed = site_flows_->start();
    if (!installed) {
      spdlog::error("ivr: cannot load the flows: {}", installed.error().message);
      return installed.error();
    }
    spdlog::info("ivr: {} flow(s) installed (files from {})", *installed, config_.ivr.flows_dir);
    onLoop([this] {
      scheduleFlowRescan();
      return true;
    });
    return {};
  }

  /** Looks at the flows directory again every 2 s, on the pool: an edited file reaches new calls
   *  without a restart. Loop. */
  void scheduleFlowRescan() {
    flow_rescan_ = parts_.contact_center.loop().postAfter(std::chrono::seconds(2), [this] {
      parts_.pool.submit([this] { site_flows_->rescan(); });
      scheduleFlowRescan();
    });
  }

  Result<std::vector<call::CallEvent>> history(std::string_view id) {
    auto events = parts_.store.callRecords().eventsOf(id);
    if (events && events->empty()) {
      return Error::notFound("call " + std::string(id));
    }
    return events;
  }
  sip::SipStack& sip() { return *sip_; }

  Result<std::vector<call::WrapUpRecord>> wrapUps(std::string_view call_id) {
    return parts_.store.wrapUps().ofCall(call_id);
  }

  /** Stores the wrap-up, then publishes it on the bus (`call.wrap_up`) with the call's queue. On
   *  the blocking pool (the API's handler), never the control loop. */
  Result<void> recordWrapUp(const api::WrapUp& wrap_up) {
    auto events = parts_.store.callRecords().eventsOf(wrap_up.call_id);
    if (!events) {
      return events.error();
    }
    if (events->empty()) {
      return Error::notFound("call " + wrap_up.call_id);
    }
    call::CallEvent e = events->back();
    for (const auto& event : *events) {
      if (!event.queue_id.empty()) {
        e.queue_id = event.queue_id;  // the last queue the call went through
      }
    }
    call::WrapUpRecord record{
        wrap_up.call_id, wrap_up.agent_id,    toUnixMillis(parts_.time.systemTime()),
        e.queue_id,      wrap_up.disposition, wrap_up.notes};
    KEFU_TRY(parts_.store.wrapUps().save(record));
    std::string payload;
    api::JsonWriter w(payload);
    w.beginObject().key("call_id").value(wrap_up.call_id).key("type").value("wrap_up");
    w.key("agent_id").value(wrap_up.agent_id).key("queue_id").valueOrNull(e.queue_id);
    w.key("disposition").value(wrap_up.disposition).key("notes").valueOrNull(wrap_up.notes);
    w.endObject();
    DomainEvent event;
    event.type = "call.wrap_up";
    event.entity_id = wrap_up.call_id;
    event.at_ms = record.at_ms;
    event.payload_json = std::move(payload);
    parts_.events.publish(std::move(event));
    return {};
  }

  Result<void> reloadEntryPoints() {
    auto entries = parts_.store.entryPoints().list();
    if (!entries) {
      return entries.error();
    }
    onLoop([&] {
      calls_->setEntryPoints(std::move(entries).value());
      return true;
    });
    return {};
  }

  Result<void> reloadAgents() {
    auto agents = parts_.store.agents().list();
    if (!agents) {
      spdlog::warn("sip: cannot read agents for the registrar: {}", agents.error().message);
      return agents.error();
    }
    auto credentials = std::make_shared<sip::CredentialMap>();
    std::map<std::string, std::string, std::less<>> extension_of;
    std::map<std::string, std::string, std::less<>> agent_of;
    for (const auto& agent : *agents) {
      if (agent.extension.empty()) {
        continue;
      }
      (*credentials)[agent.extension] = agent.sip_password;
      extension_of[agent.id] = agent.extension;
      agent_of[agent.extension] = agent.id;
    }
    {
      std::lock_guard lock(directory_mutex_);
      extension_of_ = std::move(extension_of);
      agent_of_ = std::move(agent_of);
    }
    if (sip_) {
      sip_->setCredentials(std::move(credentials));
    }
    return {};
  }

 private:
  /** Stores the entries of `calls.entry_points`, replacing those with the same number. */
  Result<void> storeEntryPointFile() {
    if (config_.calls.entry_points.empty()) {
      return {};
    }
    auto queues = parts_.store.queues().list();
    if (!queues) {
      return queues.error();
    }
    auto entries = readEntryPointFile(config_.calls.entry_points, *queues);
    if (!entries) {
      return entries.error();
    }
    auto stored = parts_.store.entryPoints().list();
    if (!stored) {
      return stored.error();
    }
    const auto now = toUnixMillis(parts_.time.systemTime());
    for (auto& entry : *entries) {
      auto same = std::find_if(stored->begin(), stored->end(),
                               [&](const call::EntryPoint& e) { return e.number == entry.number; });
      entry.updated_at_ms = now;
      if (same != stored->end()) {
        entry.id = same->id;
        entry.created_at_ms = same->created_at_ms;
        KEFU_TRY(parts_.store.entryPoints().update(entry));
      } else {
        entry.id = newId("ep", parts_.time);
        entry.created_at_ms = now;
        KEFU_TRY(parts_.store.entryPoints().create(entry));
      }
    }
    spdlog::info("calls: {} entry point(s) from {}", entries->size(), config_.calls.entry_points);
    return {};
  }

  /** On the control loop: publish now, store in order through one writer on the pool. */
  void onCallEvent(const call::CallEvent& e) {
    DomainEvent event;
    event.type = "call." + std::string(call::toString(e.type));
    event.entity_id = e.call_id;
    event.at_ms = e.at_ms;
    event.payload_json = eventPayload(e);
    parts_.events.publish(std::move(event));
    std::lock_guard lock(writer_mutex_);
    to_store_.push_back(e);
    if (!writer_busy_) {
      writer_busy_ = true;
      parts_.pool.submit([this] { drainToStore(); });
    }
  }

  void drainToStore() {
    std::unique_lock lock(writer_mutex_);
    while (!to_store_.empty()) {
      auto e = std::move(to_store_.front());
      to_store_.pop_front();
      lock.unlock();
      if (auto stored = parts_.store.callRecords().append(e); !stored) {
        spdlog::error("calls: cannot store {} of call {}: {}", call::toString(e.type), e.call_id,
                      stored.error().message);
      }
      lock.lock();
    }
    writer_busy_ = false;
  }

  void addMetrics() {
    auto& m = parts_.metrics;
    const auto* c = &calls_->counters();
    const auto* s = &sip_->counters();
    const auto* r = &sip_->registrarCounters();
    auto gauge = [&m](std::string name, std::string help, const auto* value) {
      m.addCallbackGauge(std::move(name), std::move(help),
                         [value] { return static_cast<double>(value->load()); });
    };
    auto counter = [&m](std::string name, std::string help, const auto* value) {
      m.addCallbackCounter(std::move(name), std::move(help),
                           [value] { return static_cast<double>(value->load()); });
    };
    gauge("kefu_calls_active", "Calls in progress.", &c->calls_active);
    gauge("kefu_call_legs_active", "SIP dialogs call control holds.", &c->legs_active);
    gauge("kefu_call_media_sessions_active", "Media sessions call control owns.",
          &c->media_sessions_active);
    counter("kefu_calls_created_total", "INVITEs accepted for routing.", &c->calls_total);
    counter("kefu_calls_rejected_overload_total", "INVITEs refused with 503 (call limit).",
            &c->rejected_overload);
    counter("kefu_calls_rejected_cpu_total",
            "INVITEs refused with 503 by the SIP thread (CPU budget, calls.cpu_budget).",
            &s->invites_refused_cpu);
    counter("kefu_calls_rejected_backlog_total",
            "INVITEs refused with 503 by the SIP thread (too many waiting for call control, "
            "calls.max_pending_invites).",
            &s->invites_refused_backlog);
    gauge("kefu_sip_invites_pending", "New INVITEs waiting for call control's first answer.",
          &s->invites_pending);
    m.addCallbackGauge("kefu_process_cpu_percent",
                       "Kefu's CPU over the last second, in percent of all cores.",
                       [s] { return static_cast<double>(s->cpu_usage_permille.load()) / 10.0; });
    counter("kefu_calls_rejected_forbidden_total", "INVITEs refused with 403 (unknown source).",
            &c->rejected_forbidden);
    counter("kefu_calls_challenged_total",
            "INVITEs answered 407 (a digest trunk asked for its credentials).", &c->challenged);
    counter("kefu_calls_rejected_not_found_total", "INVITEs refused with 404 (unknown number).",
            &c->rejected_not_found);
    counter("kefu_calls_rejected_bad_sdp_total", "INVITEs refused with 488 (unusable SDP).",
            &c->rejected_bad_sdp);
    for (std::size_t i = 0; i < call::EndCauseCount; ++i) {
      const auto cause = static_cast<call::EndCause>(i);
      counter("kefu_calls_ended_" + std::string(call::toString(cause)) + "_total",
              "Calls ended: " + std::string(call::toString(cause)) + ".", &c->ended[i]);
    }
    gauge("kefu_sip_dialogs_active", "SIP dialogs the stack holds.", &s->dialogs_active);
    counter("kefu_sip_requests_invite_total", "INVITE requests received.", &s->requests_invite);
    counter("kefu_sip_requests_register_total", "REGISTER requests received.",
            &s->requests_register);
    counter("kefu_sip_malformed_total", "SIP messages refused as malformed.", &s->malformed);
    counter("kefu_sip_invites_sent_total", "INVITEs sent (agents, extensions, numbers).",
            &s->invites_sent);
    counter("kefu_sip_responses_4xx_total", "4xx responses sent.", &s->responses_4xx);
    counter("kefu_sip_responses_5xx_total", "5xx responses sent.", &s->responses_5xx);
    counter("kefu_sip_registrations_accepted_total", "REGISTERs accepted.", &r->accepted);
    counter("kefu_sip_registrations_refused_total", "REGISTERs refused (403 and others).",
            &r->refused);
    const auto* f = &flows_->counters();
    gauge("kefu_ivr_sessions_active", "Calls in an IVR flow now.", &f->sessions_active);
    counter("kefu_ivr_sessions_total", "Calls that entered an IVR flow.", &f->sessions_total);
    counter("kefu_ivr_steps_total", "Flow nodes entered on calls.", &f->steps_total);
    counter("kefu_ivr_prompts_played_total", "IVR prompts played to callers.", &f->prompts_played);
    counter("kefu_ivr_prompts_failed_total",
            "IVR prompts that could not be played (missing file, TTS error).", &f->prompts_failed);
    counter("kefu_ivr_transfers_total", "Calls the IVR handed on (queue, extension, number).",
            &f->transfers);
    counter("kefu_ivr_failure_transfers_total",
            "IVR transfers taken because something failed (no input, HTTP error ...).",
            &f->failure_transfers);
    counter("kefu_ivr_voicemails_total", "Voicemails the IVR recorded.", &f->voicemails);
    counter("kefu_ivr_http_failures_total", "IVR data dips that failed (connection, timeout).",
            &f->http_failures);
    counter("kefu_ivr_listens_unserved_total",
            "Speech input a menu asked for that no recognizer serves (its language): keys only.",
            &f->listens_unserved);
    m.addCallbackGauge("kefu_sip_registrations", "Registered phone contacts now.", [this] {
      return sip_ ? static_cast<double>(sip_->registrations().size()) : 0.0;
    });
  }

  const Config config_;
  Parts parts_;
  std::unique_ptr<ScreenPops> screen_pops_;
  sip::SipStackPtr sip_;
  std::unique_ptr<call::CallControl> calls_;
  // After calls_, so destroyed first: the IVR's runs name call control's calls.
  std::unique_ptr<interaction::CallFlows> flows_;
  std::unique_ptr<SiteFlows> site_flows_;
  EventBus::SubscriptionId subscription_ = 0;
  EventLoop::TimerId flow_rescan_ = 0;  // the next look at the flows directory
  mutable std::mutex directory_mutex_;
  std::map<std::string, std::string, std::less<>> extension_of_;  // agent id → extension
  std::map<std::string, std::string, std::less<>> agent_of_;      // extension → agent id
  std::map<std::string, std::string, std::less<>> queue_ids_;     // queue name or id → id
  std::mutex writer_mutex_;
  std::deque<call::CallEvent> to_store_;
  bool writer_busy_ = false;
};

Result<std::unique_ptr<SiteCalls>> SiteCalls::start(const Config& config, Parts parts) {
  auto impl = std::make_unique<Impl>(config, parts);
  if (config.sip.enabled) {
    KEFU_TRY(impl->start());
  }
  return std::unique_ptr<SiteCalls>(new SiteCalls(std::move(impl)));
}

SiteCalls::SiteCalls(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SiteCalls::~SiteCalls() = default;

void SiteCalls::stopSignalling() { impl_->stopSignalling(); }

api::FlowService* SiteCalls::flowService() { return available() ? impl_->flowService() : nullptr; }

bool SiteCalls::available() const { return impl_->available(); }

std::vector<api::RegistrationView> SiteCalls::registrations() {
  std::vector<api::RegistrationView> out;
  if (!available()) {
    return out;
  }
  for (const auto& r : impl_->sip().registrations()) {
    out.push_back({r.extension, r.contact, r.transport, r.source, r.user_agent,
                   toUnixMillis(r.registered_at), toUnixMillis(r.expires_at)});
  }
  return out;
}

std::vector<call::CallSnapshot> SiteCalls::calls() {
  if (!available()) {
    return {};
  }
  return impl_->onLoop([this] { return impl_->calls().calls(); });
}

Result<call::CallSnapshot> SiteCalls::call(std::string_view id) {
  if (!available()) {
    return Error::notFound("call " + std::string(id));
  }
  return impl_->onLoop([this, id] { return impl_->calls().call(id); });
}

Result<void> SiteCalls::act(std::string_view id, const api::CallAction& action) {
  if (!available()) {
    return Error::notFound("call " + std::string(id));
  }
  using Kind = api::CallAction::Kind;
  return impl_->onLoop([this, id, &action]() -> Result<void> {
    auto& calls = impl_->calls();
    switch (action.kind) {
      case Kind::HangUp:
        return calls.hangUp(id);
      case Kind::Hold:
        return calls.hold(id, true);
      case Kind::Resume:
        return calls.hold(id, false);
      case Kind::Transfer:
      case Kind::Consult: {
        auto target = calls.resolveAgentTarget(*action.target);  // an agent: its extension
        if (!target) {
          return target.error();
        }
        return action.kind == Kind::Transfer ? calls.blindTransfer(id, *target)
                                             : calls.startConsult(id, *target);
      }
      case Kind::CompleteConsult:
        return calls.completeConsult(id);
      case Kind::CancelConsult:
        return calls.cancelConsult(id);
      case Kind::Conference:
        return calls.conference(id);
      case Kind::StartRecording:
        return calls.startRecording(id);
      case Kind::PauseRecording:
        return calls.pauseRecording(id, true);
      case Kind::ResumeRecording:
        return calls.pauseRecording(id, false);
      case Kind::StopRecording:
        return calls.stopRecording(id);
      case Kind::Answer:
        return calls.answerSoftphone(id, action.agent_id);
      case Kind::Decline:
        return calls.declineSoftphone(id, action.agent_id);
      case Kind::Dtmf:
        return calls.sendDigits(id, action.digits);
      case Kind::Monitor:
        return calls.monitor(id, action.agent_id, action.mode);
    }
    return Error::invalid("action", "unknown action");
  });
}

Result<std::vector<call::CallEvent>> SiteCalls::history(std::string_view id) {
  return impl_->history(id);
}

Result<void> SiteCalls::recordWrapUp(const api::WrapUp& wrap_up) {
  return impl_->recordWrapUp(wrap_up);
}

Result<api::ScreenPop> SiteCalls::screenPop(std::string_view call_id, std::string_view user_id,
                                            std::string_view role) {
  crm::IdentityAsker asker{{}, std::string(user_id), std::string(role), "screen_pop"};
  return impl_->screenPops().ofStoredCall(call_id, asker);
}

Result<std::vector<call::WrapUpRecord>> SiteCalls::wrapUps(std::string_view call_id) {
  return impl_->wrapUps(call_id);
}

void SiteCalls::setIdentity(crm::IdentityService* identity) {
  impl_->screenPops().setIdentity(identity);
}

void SiteCalls::entryPointsChanged() {
  if (available()) {
    if (auto reloaded = impl_->reloadEntryPoints(); !reloaded) {
      spdlog::warn("calls: cannot reload entry points: {}", reloaded.error().message);
    }
  }
}

}  // namespace kefu::server
