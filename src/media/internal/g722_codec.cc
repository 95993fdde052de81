#include "media/internal/g722_codec.h"

#include <spandsp.h>

namespace kefu::media::internal {
namespace {

constexpr int BitRate = 64000;
constexpr std::size_t PayloadBytes = FrameSamples / 2;  // 4 bits per sample at 64 kbit/s

}  // namespace

G722Encoder::G722Encoder() : state_(g722_encode_init(nullptr, BitRate, 0)) {}

G722Encoder::~G722Encoder() { g722_encode_free(state_); }

std::size_t G722Encoder::encode(const AudioFrame& frame, std::span<uint8_t> payload) {
  if (payload.size() < PayloadBytes || state_ == nullptr) {
    return 0;
  }
  int bytes =
      g722_encode(state_, payload.data(), frame.samples.data(), static_cast<int>(FrameSamples));
  return bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
}

G722Decoder::G722Decoder() : state_(g722_decode_init(nullptr, BitRate, 0)) {}

G722Decoder::~G722Decoder() { g722_decode_free(state_); }

bool G722Decoder::decode(std::span<const uint8_t> payload, AudioFrame& frame) {
  if (payload.size() != PayloadBytes || state_ == nullptr) {
    frame.samples.fill(0);
    return false;
  }
  int samples =
      g722_decode(state_, frame.samples.data(), payload.data(), static_cast<int>(payload.size()));
  if (samples != static_cast<int>(FrameSamples)) {
    frame.samples.fill(0);
    return false;
  }
  plc_.received(frame.view());
  return true;
}

void G722Decoder::conceal(AudioFrame& frame) {
  // spandsp's PLC is tuned for 8 kHz; at 16 kHz its pitch search covers 133-400 Hz, which still
  // spans most voices, and it fades out over the same number of samples (so twice as fast).
  plc_.fill(frame.view());
}

}  // namespace kefu::media::internal
