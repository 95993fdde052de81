#include "media/recorder.h"

#include <sndfile.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>

namespace kefu::media {
namespace {

constexpr int Channels = 2;
constexpr std::size_t TickSamples = FrameSamples * Channels;  // interleaved stereo
// 2.56 s of audio per recording: the writer drains every 20 ms, so only a stalled disk fills it.
constexpr std::size_t RingTicks = 128;
constexpr auto DrainPeriod = std::chrono::milliseconds(20);

}  // namespace

/**
 * A single-producer (the recorder's media thread), single-consumer (the writer's thread) ring of
 * interleaved ticks. Indices only grow; the slot is index % RingTicks.
 */
struct RecordingChannel {
  std::string path;
  SNDFILE* file = nullptr;  // the writer's thread only, once open() has handed it over
  std::array<std::array<int16_t, TickSamples>, RingTicks> ring{};
  std::atomic<uint64_t> head{0};  // next tick the recorder writes
  std::atomic<uint64_t> tail{0};  // next tick the writer reads
  std::atomic<uint64_t> dropped{0};
  std::atomic<bool> closed{false};       // the Recorder is gone: finalise once drained
  std::atomic<bool> writer_gone{false};  // the RecordingWriter is gone: nothing drains
};

Recorder::Recorder(std::shared_ptr<RecordingChannel> channel) : channel_(std::move(channel)) {}

Recorder::~Recorder() { channel_->closed.store(true, std::memory_order_release); }

void Recorder::write(const AudioFrame& left, const AudioFrame& right) {
  RecordingChannel& channel = *channel_;
  const uint64_t head = channel.head.load(std::memory_order_relaxed);
  const uint64_t tail = channel.tail.load(std::memory_order_acquire);
  if (channel.writer_gone.load(std::memory_order_acquire) || head - tail >= RingTicks) {
    channel.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::array<int16_t, TickSamples>& slot = channel.ring[head % RingTicks];
  if (paused_) {
    slot.fill(0);
  } else {
    for (std::size_t i = 0; i < FrameSamples; ++i) {
      slot[2 * i] = left.samples[i];
      slot[2 * i + 1] = right.samples[i];
    }
  }
  channel.head.store(head + 1, std::memory_order_release);
}

uint64_t Recorder::droppedTicks() const {
  return channel_->dropped.load(std::memory_order_relaxed);
}

RecordingWriter::RecordingWriter() : thread_([this] { run(); }) {}

RecordingWriter::~RecordingWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<RecorderPtr> RecordingWriter::open(const std::string& path) {
  auto channel = std::make_shared<RecordingChannel>();
  channel->path = path;
  SF_INFO info{};
  info.samplerate = InternalRate;
  info.channels = Channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  channel->file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (channel->file == nullptr) {
    return Error::invalid("path", "cannot create recording " + path + ": " + sf_strerror(nullptr));
  }
  // Rewrite the header after every write, and write it now, so the file is a valid WAV of what
  // it holds at every moment, even if the process dies before closing it.
  sf_command(channel->file, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
  sf_command(channel->file, SFC_UPDATE_HEADER_NOW, nullptr, 0);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      sf_close(channel->file);
      return Error{ErrorCode::Unavailable, "the recording writer is stopping: " + path, "path"};
    }
    channels_.push_back(channel);
  }
  return RecorderPtr(new Recorder(std::move(channel)));
}

bool RecordingWriter::drain(RecordingChannel& channel) {
  uint64_t tail = channel.tail.load(std::memory_order_relaxed);
  const uint64_t head = channel.head.load(std::memory_order_acquire);
  bool wrote = false;
  while (tail < head) {
    // Write each contiguous run of the ring at once: one header update per run, not per tick.
    const std::size_t first = tail % RingTicks;
    const auto run = static_cast<std::size_t>(std::min<uint64_t>(head - tail, RingTicks - first));
    sf_writef_short(channel.file, channel.ring[first].data(),
                    static_cast<sf_count_t>(run * FrameSamples));
    tail += run;
    channel.tail.store(tail, std::memory_order_release);
    wrote = true;
  }
  return wrote;
}

void RecordingWriter::run() {
  std::vector<std::shared_ptr<RecordingChannel>> channels;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, DrainPeriod, [this] { return stopping_; });
      stopping = stopping_;
      channels = channels_;
    }
    std::vector<std::shared_ptr<RecordingChannel>> finished;
    for (const auto& channel : channels) {
      // Read `closed` before draining: a recorder writes nothing after it closes, so what is
      // drained after seeing it is all there is.
      const bool closed = channel->closed.load(std::memory_order_acquire);
      if (stopping) {
        channel->writer_gone.store(true, std::memory_order_release);
      }
      drain(*channel);
      if (closed || stopping) {
        sf_close(channel->file);
        channel->file = nullptr;
        finished.push_back(channel);
      }
    }
    if (!finished.empty()) {
      std::lock_guard lock(mutex_);
      std::erase_if(channels_, [&](const auto& channel) {
        return std::find(finished.begin(), finished.end(), channel) != finished.end();
      });
    }
    if (stopping) {
      return;
    }
  }
}

}  // namespace kefu::media
