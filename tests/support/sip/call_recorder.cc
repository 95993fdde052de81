#include "support/sip/call_recorder.h"

#include <algorithm>

namespace kefu::sip::testing {

void CallRecorder::onIncomingInvite(const IncomingInvite& invite) {
  {
    const std::lock_guard lock(mutex_);
    invites_.push_back(invite);
    changed_.notify_all();
  }
  if (hook_) {
    hook_(invite);
  }
}

void CallRecorder::onDialogEvent(const DialogEvent& event) {
  const std::lock_guard lock(mutex_);
  events_.push_back(event);
  changed_.notify_all();
}

std::optional<IncomingInvite> CallRecorder::waitInvite(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return !invites_.empty(); })) {
    return std::nullopt;
  }
  return invites_.front();
}

std::optional<DialogEvent> CallRecorder::waitEvent(DialogEvent::Kind kind, DialogId dialog,
                                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<DialogEvent> found;
  changed_.wait_for(lock, timeout, [&] {
    auto it = std::find_if(events_.begin(), events_.end(), [&](const DialogEvent& e) {
      return e.kind == kind && (dialog == 0 || e.dialog == dialog);
    });
    if (it != events_.end()) {
      found = *it;
    }
    return found.has_value();
  });
  return found;
}

std::size_t CallRecorder::count(DialogEvent::Kind kind) {
  const std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      events_.begin(), events_.end(), [&](const DialogEvent& e) { return e.kind == kind; }));
}

std::vector<DialogEvent> CallRecorder::events() {
  const std::lock_guard lock(mutex_);
  return events_;
}

}  // namespace kefu::sip::testing
