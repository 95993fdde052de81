#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "media/audio.h"

namespace kefu::media {

class RecordingWriter;
struct RecordingChannel;  // the ring between one Recorder and the writer (recorder.cc)

/**
 * One stereo recording (left: caller, right: agent). Lives on a media thread: write() is
 * wait-free and never allocates; it hands the tick to the RecordingWriter's thread through a
 * single-producer ring. Destroying it finalises the file (on the writer's thread).
 */
class Recorder {
 public:
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /** Records one 20 ms tick of both sides. Media thread. */
  void write(const AudioFrame& left, const AudioFrame& right);
  /** While paused, silence is written (the timeline stays aligned). Media thread. */
  void pause() { paused_ = true; }
  /** Records audio again after pause(). Media thread. */
  void resume() { paused_ = false; }
  /** Total 20 ms ticks dropped because the writer fell behind (should stay 0). Any thread. */
  uint64_t droppedTicks() const;

 private:
  friend class RecordingWriter;
  explicit Recorder(std::shared_ptr<RecordingChannel> channel);

  std::shared_ptr<RecordingChannel> channel_;
  bool paused_ = false;
};
using RecorderPtr = std::unique_ptr<Recorder>;  // destroying it finalises the file (on the writer)

/**
 * Owns the recording files and one thread that drains the recorders' rings into them every
 * 20 ms. Its destructor drains what is left, closes every file and joins the thread; recorders
 * still alive after it count their further ticks as dropped.
 */
class RecordingWriter {
 public:
  RecordingWriter();
  ~RecordingWriter();  // joins its thread
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  /** Opens `path` for a new recording; @return an error naming the path when it cannot.
   *  The file is 16 kHz 16-bit stereo WAV; its header is kept valid as it grows, so a recording
   *  cut short (the process killed) is still a playable file of the audio written so far.
   *  Blocking (creates the file): call it off the media thread, or accept one file creation. */
  [[nodiscard]] Result<RecorderPtr> open(const std::string& path);

 private:
  void run();
  /** @return true when it wrote something. Writer thread. */
  bool drain(RecordingChannel& channel);

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<RecordingChannel>> channels_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kefu::media
