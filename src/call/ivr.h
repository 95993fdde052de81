#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "call/entry_point.h"
#include "core/result.h"
#include "media/engine.h"
#include "media/prompt.h"

namespace kefu::call {

/** Audio a caller hears (what IvrCalls::playToCaller takes); immutable, shared. */
using PromptPtr = media::PromptPtr;

/** @return a prompt from mono PCM at `rate` (TTS output). Any thread; allocates. */
PromptPtr ivrPromptFromPcm(std::span<const std::int16_t> pcm, int rate);
/** @return the prompt in a sound file, or an error naming the path. Blocking: not on the loop. */
[[nodiscard]] Result<PromptPtr> loadIvrPrompt(const std::string& path);

/** Receives the caller's decoded audio while the IVR listens. Called on the call's media thread:
 *  copy and return at once. */
class CallerAudioSink {
 public:
  virtual ~CallerAudioSink() = default;
  /** `pcm` is mono 16-bit at `rate` Hz (20 ms frames). */
  virtual void onCallerAudio(std::span<const std::int16_t> pcm, int rate) = 0;
};

/**
 * The voice menus (IVR) as call control sees them; `interaction/` runs the flows behind it. A
 * call whose target is a Flow is answered at once and handed here; its keys, the end of its
 * prompts and its hang-up are reported, and the IVR answers through IvrCalls. Control loop only.
 * An IVR never calls IvrCalls from inside these methods for the same call's teardown: after
 * callerGone() it sends nothing more for that call.
 */
class Ivr {
 public:
  virtual ~Ivr() = default;
  /** The answered call `call_id` enters flow `flow_id`. @return NotFound when there is no such
   *  flow (call control then sends the caller to the default queue). */
  [[nodiscard]] virtual Result<void> start(std::string_view call_id, std::string_view flow_id,
                                           std::string_view caller, std::string_view dialed) = 0;
  /** The caller pressed a key (RFC 4733, in-band or SIP INFO). */
  virtual void digit(std::string_view call_id, char digit) = 0;
  /** The prompt started with IvrCalls::playToCaller (its id) finished playing. */
  virtual void promptFinished(std::string_view call_id, std::uint64_t play_id) = 0;
  /** The caller hung up (or the call ended otherwise) while in the IVR: stop its flow. */
  virtual void callerGone(std::string_view call_id) = 0;
};

/** What the IVR asks of call control, on the control loop. Each fails with NotFound when the call
 *  is gone and Conflict when it is no longer in the IVR; the IVR then stops its flow. */
class IvrCalls {
 public:
  virtual ~IvrCalls() = default;
  /** Plays `prompt` to the caller, replacing what plays; @return its play id (Ivr::promptFinished
   *  names it). */
  [[nodiscard]] virtual Result<std::uint64_t> playToCaller(std::string_view call_id,
                                                           PromptPtr prompt) = 0;
  /** Stops the prompt playing to the caller (barge-in); no promptFinished follows. */
  virtual void stopCallerPlay(std::string_view call_id) = 0;
  /** Streams the caller's decoded audio to `sink` (on its media thread); nullptr stops it. */
  [[nodiscard]] virtual Result<void> setCallerTap(std::string_view call_id,
                                                  std::shared_ptr<CallerAudioSink> sink) = 0;
  /** Records the caller alone to `path` (a voicemail) until the call ends or stopCallerRecording.
   */
  [[nodiscard]] virtual Result<void> recordCaller(std::string_view call_id,
                                                  const std::string& path) = 0;
  /** The flow ends by sending the caller to `target` (queue, extension, number, agent);
   *  `reason` is empty when the flow chose it, else the failure that led there. A queue that
   *  refuses the call sends it to the default queue instead. */
  [[nodiscard]] virtual Result<void> ivrTransfer(std::string_view call_id, const Target& target,
                                                 std::string_view reason) = 0;
  /** The caller asked to be called back at `number` by `queue`: a callback_requested event is
   *  emitted and the call is released (cause ivr_ended). */
  [[nodiscard]] virtual Result<void> ivrCallback(std::string_view call_id, std::string_view queue,
                                                 std::string_view number) = 0;
  /** The flow ends the call (hang-up node, end of a voicemail): cause ivr_ended. */
  [[nodiscard]] virtual Result<void> ivrHangup(std::string_view call_id) = 0;
};

}  // namespace kefu::call
