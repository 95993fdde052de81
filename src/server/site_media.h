#pragma once

#include <memory>

#include "core/event_bus.h"
#include "core/result.h"
#include "media/engine.h"
#include "server/config.h"
#include "stats/metrics.h"

namespace kefu::server {

/**
 * The site's media engine and what it reports: quality reports, DTMF and RTP timeouts become
 * events on the bus (`media.quality`, `media.dtmf`, `media.rtp_timeout`), and the engine's
 * counters and each finished session's MOS become Prometheus metrics.
 */
class SiteMedia {
 public:
  /** Starts the engine from `config.media`; @return an error naming the bad key. */
  static Result<std::unique_ptr<SiteMedia>> start(const Config& config, EventBus& events,
                                                  stats::Metrics& metrics);
  ~SiteMedia();

  media::MediaEngine& engine() { return *engine_; }
  /** Also sends every engine report to `listener` (call control); nullptr stops that. After it
   *  returns with nullptr, reports already being forwarded may still finish. Any thread. */
  void setCallListener(media::MediaEngineListener* listener);

  class Listener;

 private:
  SiteMedia() = default;

  std::unique_ptr<Listener> listener_;
  media::MediaEnginePtr engine_;  // after listener_: it stops first
};

/** @return the engine configuration `config.media` asks for. */
media::EngineConfig mediaEngineConfig(const Config& config);

}  // namespace kefu::server
