#include "server/site_media.h"

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>

#include "api/json_writer.h"

namespace kefu::server {
namespace {

int64_t unixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view codecName(media::CodecId codec) { return media::codecSpec(codec).name; }

}  // namespace

/** Turns engine callbacks (on media threads) into bus events and metrics. */
class SiteMedia::Listener final : public media::MediaEngineListener {
 public:
  Listener(EventBus& events, stats::Metrics& metrics)
      : events_(events),
        mos_(prometheus::BuildHistogram()
                 .Name("kefu_media_session_mos")
                 .Help("ITU-T G.107 MOS of each finished media session's received audio.")
                 .Register(metrics.registry())
                 .Add({}, prometheus::Histogram::BucketBoundaries{1.0, 2.0, 2.5, 3.0, 3.5, 3.8, 4.0,
                                                                  4.2, 4.4})) {}

  // Publishing from a media thread is allowed: the bus only copies into subscriber queues, and
  // these events come at most once per quality interval or digit, never per packet.
  void onDtmf(media::SessionId session, char digit, media::DtmfSource source) override {
    std::string payload;
    api::JsonWriter json(payload);
    json.beginObject();
    json.key("session").value(std::to_string(session));
    json.key("digit").value(std::string(1, digit));
    json.key("source").value(source == media::DtmfSource::Rfc4733 ? "rfc4733" : "in_band");
    json.endObject();
    publish("media.dtmf", session, std::move(payload));
    if (auto* calls = calls_.load()) {
      calls->onDtmf(session, digit, source);
    }
  }

  void onPlayFinished(media::SessionId session, uint64_t play_id) override {
    if (auto* calls = calls_.load()) {
      calls->onPlayFinished(session, play_id);
    }
  }

  void onQuality(media::SessionId session, const media::QualityReport& report) override {
    if (report.final && report.packets_received > 0) {
      mos_.Observe(report.mos);
    }
    std::string payload;
    api::JsonWriter json(payload);
    json.beginObject();
    json.key("session").value(std::to_string(session));
    json.key("final").raw(report.final ? "true" : "false");
    json.key("codec").value(codecName(report.codec));
    json.key("packets_received").value(static_cast<std::int64_t>(report.packets_received));
    json.key("packets_lost").value(report.packets_lost);
    json.key("loss_percent").value(report.loss_percent);
    json.key("jitter_ms").value(report.jitter_ms);
    json.key("round_trip_ms");
    if (report.round_trip_ms) {
      json.value(*report.round_trip_ms);
    } else {
      json.null();
    }
    json.key("mos").value(report.mos);
    json.endObject();
    publish("media.quality", session, std::move(payload));
    if (auto* calls = calls_.load()) {
      calls->onQuality(session, report);
    }
  }

  void onRtpTimeout(media::SessionId session) override {
    publish("media.rtp_timeout", session, "{\"session\":\"" + std::to_string(session) + "\"}");
    if (auto* calls = calls_.load()) {
      calls->onRtpTimeout(session);
    }
  }

  void onSecureTransport(media::SessionId session, bool ok, std::string_view reason) override {
    if (auto* calls = calls_.load()) {
      calls->onSecureTransport(session, ok, reason);
    }
  }

  void setCalls(media::MediaEngineListener* calls) { calls_.store(calls); }

 private:
  void publish(std::string type, media::SessionId session, std::string payload) {
    DomainEvent event;
    event.type = std::move(type);
    event.entity_id = std::to_string(session);
    event.at_ms = unixMillis();
    event.payload_json = std::move(payload);
    events_.publish(std::move(event));
  }

  EventBus& events_;
  prometheus::Histogram& mos_;
  std::atomic<media::MediaEngineListener*> calls_{nullptr};
};

media::EngineConfig mediaEngineConfig(const Config& config) {
  media::EngineConfig engine;
  engine.threads = config.media.threads;
  engine.bind_address = config.media.bind_address;
  engine.advertised_address = config.media.advertised_address;
  engine.port_min = static_cast<uint16_t>(config.media.port_min);
  engine.port_max = static_cast<uint16_t>(config.media.port_max);
  engine.rtp_timeout_ms = static_cast<int>(config.media.rtp_timeout.count() * 1000);
  engine.quality_interval_ms = static_cast<int>(config.media.quality_interval.count() * 1000);
  engine.codecs.clear();
  std::string_view list = config.media.codecs;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto name = list.substr(0, comma);
    if (name == "opus") {
      engine.codecs.push_back(media::CodecId::Opus);
    } else if (name == "g722") {
      engine.codecs.push_back(media::CodecId::G722);
    } else if (name == "pcmu") {
      engine.codecs.push_back(media::CodecId::Pcmu);
    } else if (name == "pcma") {
      engine.codecs.push_back(media::CodecId::Pcma);
    }
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return engine;
}

Result<std::unique_ptr<SiteMedia>> SiteMedia::start(const Config& config, EventBus& events,
                                                    stats::Metrics& metrics) {
  std::unique_ptr<SiteMedia> media(new SiteMedia());
  media->listener_ = std::make_unique<Listener>(events, metrics);
  auto engine = media::startMediaEngine(mediaEngineConfig(config), *media->listener_);
  if (!engine.ok()) {
    return engine.error();
  }
  media->engine_ = std::move(engine).value();
  media::MediaEngine* raw = media->engine_.get();
  auto counter = [&metrics, raw](std::string name, std::string help, auto field) {
    metrics.addCallbackCounter(std::move(name), std::move(help), [raw, field] {
      return static_cast<double>(raw->counters().*field);
    });
  };
  using C = media::EngineCounters;
  metrics.addCallbackGauge("kefu_media_sessions", "Media sessions open now.",
                           [raw] { return static_cast<double>(raw->counters().sessions_active); });
  counter("kefu_media_sessions_created_total", "Media sessions created.", &C::sessions_created);
  counter("kefu_media_sessions_moved_total",
          "Media sessions moved to another media thread (bridge, recording, conference join).",
          &C::sessions_moved);
  counter("kefu_media_packets_received_total", "RTP packets received (valid ones).",
          &C::packets_received);
  counter("kefu_media_packets_sent_total", "RTP packets sent.", &C::packets_sent);
  counter("kefu_media_packets_relayed_total", "RTP packets relayed without decoding.",
          &C::packets_relayed);
  counter("kefu_media_packets_transcoded_total", "RTP packets decoded and re-encoded.",
          &C::packets_transcoded);
  counter("kefu_media_malformed_rtp_total", "Datagrams refused as RTP.", &C::malformed_rtp);
  counter("kefu_media_malformed_rtcp_total", "Datagrams refused as RTCP.", &C::malformed_rtcp);
  counter("kefu_media_malformed_stun_total", "STUN messages refused (malformed or unauthorised).",
          &C::malformed_stun);
  counter("kefu_media_malformed_dtls_total", "DTLS records refused.", &C::malformed_dtls);
  counter("kefu_media_srtp_failures_total", "SRTP packets that failed authentication.",
          &C::srtp_failures);
  counter("kefu_media_unknown_packets_total", "Datagrams of no known kind.", &C::unknown_packets);
  return media;
}

void SiteMedia::setCallListener(media::MediaEngineListener* listener) {
  listener_->setCalls(listener);
}

SiteMedia::~SiteMedia() { engine_.reset(); }

}  // namespace kefu::server
