#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kefu::media {

/**
 * Terminated audio (prompts, recordings, conferences, taps, DTMF detection) is processed as 16-bit
 * mono PCM at one internal rate, in frames of one packet time. Codecs convert to and from it.
 */
inline constexpr int InternalRate = 16000;
inline constexpr int PtimeMs = 20;
inline constexpr std::size_t FrameSamples = InternalRate * PtimeMs / 1000;  // 320

/** The largest encoded payload of one frame any supported codec produces or accepts. */
inline constexpr std::size_t MaxPayloadBytes = 1500;

/** One frame of internal-rate audio. A plain value: copying it never allocates. */
struct AudioFrame {
  std::array<int16_t, FrameSamples> samples{};

  std::span<int16_t> view() { return samples; }
  std::span<const int16_t> view() const { return samples; }
};

}  // namespace kefu::media
