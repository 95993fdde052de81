// The audio processing that runs per 20 ms frame on a media thread never allocates: this binary
// counts the calling thread's operator new calls around steady-state loops. (The C libraries
// underneath, libopus, speexdsp and spandsp, allocate only when their states are created.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <new>

#include "media/codec.h"
#include "media/dtmf.h"
#include "media/jitter_buffer.h"
#include "media/mixer.h"
#include "media/player.h"
#include "media/recorder.h"
#include "media/tone.h"

namespace {
thread_local std::size_t allocations = 0;
}  // namespace

// The replaced global allocation functions, every plain form, so each pairs with its own delete
// (AddressSanitizer checks that). The aligned forms stay the library's, with their own deletes.
void* operator new(std::size_t size) {
  ++allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) {
    return memory;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }

namespace kefu::media {
namespace {

constexpr int Frames = 200;

template <class Body>
std::size_t allocationsDuring(Body body) {
  body(0);  // a warm-up frame, as the first frame of a call would be
  std::size_t before = allocations;
  for (int i = 1; i < Frames; ++i) {
    body(i);
  }
  return allocations - before;
}

int* volatile sink = nullptr;

TEST(DspAllocationTest, TheCounterSeesAnAllocation) {
  std::size_t count = allocationsDuring([](int i) {
    sink = new int(i);
    delete sink;
  });
  EXPECT_EQ(count, Frames - 1u);
}

TEST(DspAllocationTest, CodecsDoNotAllocatePerFrame) {
  for (CodecId codec : {CodecId::Pcmu, CodecId::Pcma, CodecId::G722, CodecId::Opus}) {
    EncoderPtr encoder = makeEncoder(codec);
    DecoderPtr decoder = makeDecoder(codec);
    ToneGenerator tone(440, 0.3);
    AudioFrame in;
    AudioFrame out;
    std::array<uint8_t, MaxPayloadBytes> payload{};
    std::size_t count = allocationsDuring([&](int i) {
      tone.fill(in.view());
      std::size_t size = encoder->encode(in, payload);
      if (i % 10 == 3) {
        decoder->conceal(out);
      } else if (i % 10 == 4) {
        decoder->recover(std::span(payload.data(), size), out);
      } else {
        decoder->decode(std::span(payload.data(), size), out);
      }
    });
    EXPECT_EQ(count, 0u) << static_cast<int>(codec);
  }
}

TEST(DspAllocationTest, DtmfDoesNotAllocatePerFrame) {
  DtmfGenerator generator;
  DtmfDetector detector;
  std::size_t digits = 0;
  std::size_t count = allocationsDuring([&](int i) {
    if (i % 10 == 0) {
      generator.start("1234567890*#ABCD"[(i / 10) % 16], 100);
    }
    AudioFrame frame;
    generator.fill(frame);
    digits += detector.feed(frame).size();
  });
  EXPECT_EQ(count, 0u);
  EXPECT_GT(digits, 15u);  // the loop did detect digits
}

TEST(DspAllocationTest, MixerJitterBufferPlayerAndRecorderDoNotAllocatePerFrame) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.add(3, Mixer::Role::Whisperer, 2);
  JitterBuffer buffer({});
  std::vector<int16_t> pcm(1000);
  ToneGenerator(300, 0.3).fill(pcm);
  Player player(promptFromPcm(pcm, 8000), true);
  const auto path = std::filesystem::temp_directory_path() /
                    ("kefu_dsp_allocation_" + std::to_string(::getpid()) + ".wav");
  RecordingWriter writer;
  Result<RecorderPtr> recorder = writer.open(path.string());
  ASSERT_TRUE(recorder.ok());
  std::array<uint8_t, 160> payload{};
  std::size_t count = allocationsDuring([&](int i) {
    player.fill(mixer.input(1));
    mixer.input(3).samples[0] = 1;
    mixer.mix();
    (*recorder)->write(mixer.output(1), mixer.output(2));
    buffer.put(static_cast<uint16_t>(i), static_cast<uint32_t>(i * 160), payload, i * 20);
    buffer.pop(i * 20 + 20);
  });
  EXPECT_EQ(count, 0u);
  recorder->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kefu::media
