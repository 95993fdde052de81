#include "support/media/event_recorder.h"

namespace kefu::media::testing {

void EventRecorder::onDtmf(SessionId session, char digit, DtmfSource source) {
  std::lock_guard lock(mutex_);
  digits.push_back({session, digit, source});
  changed_.notify_all();
}

void EventRecorder::onPlayFinished(SessionId session, uint64_t play_id) {
  std::lock_guard lock(mutex_);
  plays_finished.emplace_back(session, play_id);
  changed_.notify_all();
}

void EventRecorder::onQuality(SessionId session, const QualityReport& report) {
  std::lock_guard lock(mutex_);
  quality.push_back({session, report});
  changed_.notify_all();
}

void EventRecorder::onRtpTimeout(SessionId session) {
  std::lock_guard lock(mutex_);
  timeouts.push_back(session);
  changed_.notify_all();
}

void EventRecorder::onSecureTransport(SessionId session, bool ok, std::string_view reason) {
  std::lock_guard lock(mutex_);
  secure.emplace_back(session,
                      ok ? std::string() : std::string(reason.empty() ? "failed" : reason));
  changed_.notify_all();
}

bool EventRecorder::waitFor(const std::function<bool(const EventRecorder&)>& done,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(*this); });
}

}  // namespace kefu::media::testing
