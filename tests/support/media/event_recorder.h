#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "media/engine.h"

namespace kefu::media::testing {

/** A MediaEngineListener that keeps every event, for tests to wait on. Thread-safe. */
class EventRecorder final : public MediaEngineListener {
 public:
  struct Digit {
    SessionId session;
    char digit;
    DtmfSource source;
  };
  struct Quality {
    SessionId session;
    QualityReport report;
  };

  void onDtmf(SessionId session, char digit, DtmfSource source) override;
  void onPlayFinished(SessionId session, uint64_t play_id) override;
  void onQuality(SessionId session, const QualityReport& report) override;
  void onRtpTimeout(SessionId session) override;
  void onSecureTransport(SessionId session, bool ok, std::string_view reason) override;

  /** Waits until `done` holds (checked under the lock) or `timeout` passes; @return done(). */
  bool waitFor(const std::function<bool(const EventRecorder&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Read under waitFor's lock, or after the engine stopped.
  std::vector<Digit> digits;
  std::vector<std::pair<SessionId, uint64_t>> plays_finished;
  std::vector<Quality> quality;
  std::vector<SessionId> timeouts;
  std::vector<std::pair<SessionId, std::string>> secure;  // reason "" = connected

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace kefu::media::testing
