#include <spdlog/spdlog.h>

#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"
#include "media/audio.h"
#include "media/prompt.h"

// Calls in an IVR flow (a Flow target): call control answers them, reports their keys, prompt
// ends and hang-up to the Ivr, and carries out what the flow decides (IvrCalls). The IVR never
// drops a caller: whatever fails sends the call to the default queue.

namespace kefu::call {

namespace {

std::string targetName(const Target& target) {
  return std::string(toString(target.kind)) + ":" + target.id;
}

Error notInIvr() { return Error{ErrorCode::Conflict, "the call is not in the IVR", {}}; }

/** The media engine's tap for one caller, handing its frames to the IVR's sink. */
class SinkTap final : public media::AudioTap {
 public:
  explicit SinkTap(std::shared_ptr<CallerAudioSink> sink) : sink_(std::move(sink)) {}
  void onAudio(media::SessionId /*session*/, const media::AudioFrame& frame) override {
    sink_->onCallerAudio(frame.view(), media::InternalRate);
  }

 private:
  std::shared_ptr<CallerAudioSink> sink_;
};

}  // namespace

PromptPtr ivrPromptFromPcm(std::span<const std::int16_t> pcm, int rate) {
  return media::promptFromPcm(pcm, rate);
}

Result<PromptPtr> loadIvrPrompt(const std::string& path) { return media::loadWav(path); }

void CallControl::startIvr(Call& call) {
  if (ivr_ == nullptr) {
    ivrFallback(call, "no IVR configured");
    return;
  }
  // The flow's own failures come back as transfers; only a flow that cannot start lands here.
  auto started = ivr_->start(call.id, call.target.id, call.caller, call.dialed);
  if (!started) {
    ivrFallback(call, started.error().message);
  }
}

void CallControl::ivrFallback(Call& call, std::string_view reason) {
  spdlog::warn("call {}: IVR flow {} failed ({}): to the default queue {}", call.id, call.target.id,
               reason, config_.ivr_default_queue);
  if (config_.ivr_default_queue.empty()) {
    endCall(call, EndCause::Failed, "ivr: " + std::string(reason));
    return;
  }
  auto queued = ivrEnqueue(call, config_.ivr_default_queue);
  if (!queued) {
    const bool full = queued.error().code == ErrorCode::Conflict;
    endCall(call, full ? EndCause::QueueFull : EndCause::QueueNotFound, queued.error().message);
  }
}

bool CallControl::ivrDigit(Call& call, char digit) {
  if (call.state != CallState::InIvr) {
    return false;
  }
  if (ivr_ != nullptr) {
    ivr_->digit(call.id, digit);
  }
  return true;
}

void CallControl::ivrCallerGone(Call& call) {
  if (call.state != CallState::InIvr) {
    return;
  }
  call.ivr_play = 0;
  if (ivr_ != nullptr) {
    ivr_->callerGone(call.id);
  }
}

Result<CallControl::Call*> CallControl::ivrCall(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto* call = findCall(call_id);
  if (call == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  if (call->state != CallState::InIvr) {
    return notInIvr();
  }
  return call;
}

Result<void> CallControl::ivrEnqueue(Call& call, const std::string& queue_id) {
  KEFU_TRY(router_.enqueue(
      QueuedCall{.call_id = call.id, .queue_id = queue_id, .priority = call.priority}));
  call.routed = true;
  call.queue_id = queue_id;
  call.state = CallState::Queued;
  call.ivr_play = 0;
  playMusicOnHold(call);
  return {};
}

Result<std::uint64_t> CallControl::playToCaller(std::string_view call_id, PromptPtr prompt) {
  auto call = ivrCall(call_id);
  if (!call) {
    return call.error();
  }
  if (prompt == nullptr) {
    return Error::invalid("prompt", "no audio");
  }
  auto& c = **call;
  c.ivr_play = next_play_id_++;
  media_.play(c.caller_leg.session, std::move(prompt), false, c.ivr_play);
  return c.ivr_play;
}

void CallControl::stopCallerPlay(std::string_view call_id) {
  auto call = ivrCall(call_id);
  if (!call || (*call)->ivr_play == 0) {
    return;
  }
  (*call)->ivr_play = 0;
  media_.stopPlay((*call)->caller_leg.session);
}

Result<void> CallControl::setCallerTap(std::string_view call_id,
                                       std::shared_ptr<CallerAudioSink> sink) {
  auto* call = findCall(call_id);
  if (call == nullptr) {
    return Error::notFound("no call " + std::string(call_id));
  }
  // Clearing is allowed in any state (a recognizer stopped while the flow transfers).
  if (sink != nullptr && call->state != CallState::InIvr) {
    return notInIvr();
  }
  media_.setTap(call->caller_leg.session,
                sink == nullptr ? nullptr : std::make_shared<SinkTap>(std::move(sink)));
  return {};
}

Result<void> CallControl::recordCaller(std::string_view call_id, const std::string& path) {
  auto call = ivrCall(call_id);
  if (!call) {
    return call.error();
  }
  auto& c = **call;
  if (c.recording) {
    return Error{ErrorCode::Conflict, "the call is being recorded", {}};
  }
  KEFU_TRY(media_.startRecording(c.caller_leg.session, 0, path));
  c.recording = true;
  c.recording_path = path;
  emit(c, CallEventType::RecordingStarted, "voicemail", path);
  return {};
}

Result<void> CallControl::ivrTransfer(std::string_view call_id, const Target& target,
                                      std::string_view reason) {
  auto call = ivrCall(call_id);
  if (!call) {
    return call.error();
  }
  auto& c = **call;
  const std::string cause = reason.empty() ? "ivr" : "ivr_failure";
  if (c.ivr_play != 0) {
    c.ivr_play = 0;
    media_.stopPlay(c.caller_leg.session);
  }
  auto checked = target.kind == TargetKind::Flow || target.kind == TargetKind::Announcement
                     ? Result<Target>(Error::invalid("target",
                                                     "the IVR transfers to a queue, "
                                                     "an extension, a number or an "
                                                     "agent"))
                     : checkTarget(target);
  if (!checked) {
    ivrFallback(c, checked.error().message);
    return {};
  }
  if (target.kind == TargetKind::Queue) {
    auto queued = ivrEnqueue(c, target.id);
    if (!queued) {
      // A queue that is full or gone must not drop the caller: the default queue takes it.
      if (target.id != config_.ivr_default_queue) {
        ivrFallback(c, queued.error().message);
      } else {
        const bool full = queued.error().code == ErrorCode::Conflict;
        endCall(c, full ? EndCause::QueueFull : EndCause::QueueNotFound, queued.error().message);
      }
      return {};
    }
    emit(c, CallEventType::Transferred, cause, std::string(reason), {}, targetName(target));
    return {};
  }
  c.target = target;
  c.state = CallState::Ringing;
  emit(c, CallEventType::Transferred, cause, std::string(reason), {}, targetName(target));
  playMusicOnHold(c);
  if (!ringTarget(c, target, LegRole::Party, {}, false)) {
    // Nobody to ring: the caller waits for an agent rather than being dropped.
    c.state = CallState::InIvr;
    ivrFallback(c, "nobody to ring at " + targetName(target));
  }
  return {};
}

Result<void> CallControl::ivrCallback(std::string_view call_id, std::string_view queue,
                                      std::string_view number) {
  auto call = ivrCall(call_id);
  if (!call) {
    return call.error();
  }
  auto& c = **call;
  c.queue_id = std::string(queue);
  emit(c, CallEventType::CallbackRequested, "ivr", {}, {}, "number:" + std::string(number));
  endCall(c, EndCause::IvrEnded, "callback");
  return {};
}

Result<void> CallControl::ivrHangup(std::string_view call_id) {
  auto call = ivrCall(call_id);
  if (!call) {
    return call.error();
  }
  endCall(**call, EndCause::IvrEnded);
  return {};
}

}  // namespace kefu::call
