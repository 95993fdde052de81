#include "media/internal/g711_codec.h"

#include <algorithm>

#include "media/g711.h"

namespace kefu::media::internal {
namespace {

constexpr int NarrowRate = 8000;
constexpr std::size_t NarrowSamples = FrameSamples / 2;

}  // namespace

G711Encoder::G711Encoder(bool alaw) : alaw_(alaw), downsampler_(InternalRate, NarrowRate) {}

std::size_t G711Encoder::encode(const AudioFrame& frame, std::span<uint8_t> payload) {
  if (payload.size() < NarrowSamples) {
    return 0;
  }
  std::size_t produced = downsampler_.process(frame.view(), narrow_);
  // A 2:1 ratio gives exactly half; should the filter ever hand back fewer samples, the frame is
  // completed with its last sample rather than left short.
  std::fill(narrow_.begin() + static_cast<std::ptrdiff_t>(produced), narrow_.end(),
            produced > 0 ? narrow_[produced - 1] : int16_t{0});
  for (std::size_t i = 0; i < NarrowSamples; ++i) {
    payload[i] = alaw_ ? linearToAlaw(narrow_[i]) : linearToUlaw(narrow_[i]);
  }
  return NarrowSamples;
}

G711Decoder::G711Decoder(bool alaw) : alaw_(alaw), upsampler_(NarrowRate, InternalRate) {}

G711Decoder::~G711Decoder() = default;

bool G711Decoder::decode(std::span<const uint8_t> payload, AudioFrame& frame) {
  if (payload.size() != NarrowSamples) {
    frame.samples.fill(0);
    return false;
  }
  for (std::size_t i = 0; i < NarrowSamples; ++i) {
    narrow_[i] = alaw_ ? alawToLinear(payload[i]) : ulawToLinear(payload[i]);
  }
  // plc_rx keeps the history the concealment is built from (and smooths the edge after a gap).
  plc_.received(narrow_);
  upsample(frame);
  return true;
}

void G711Decoder::conceal(AudioFrame& frame) {
  plc_.fill(narrow_);
  upsample(frame);
}

void G711Decoder::upsample(AudioFrame& frame) {
  std::size_t produced = upsampler_.process(narrow_, frame.view());
  std::fill(frame.samples.begin() + static_cast<std::ptrdiff_t>(produced), frame.samples.end(),
            produced > 0 ? frame.samples[produced - 1] : int16_t{0});
}

}  // namespace kefu::media::internal
